// A tenant's public help center, no login: /help/{slug} lists the categories with their
// articles (FAQs open per category) and searches; /help/{slug}/articles/{id} and
// /help/{slug}/faqs/{id} show one. Markdown is shown through markdown.js, never as HTML.
import { html, render, useState, useEffect } from "./lib.js";
import { t, LANGS, lang, setLang, onLangChange } from "./i18n.js";
import { markdown, highlight } from "./markdown.js";

const [, slugPart = "", section = "", idPart = ""] = location.pathname.replace(/\/+$/, "").split("/").slice(1);
const slug = decodeURIComponent(slugPart);
const base = `/help/${encodeURIComponent(slug)}`;
const endpoint = `/api/v1/help/${encodeURIComponent(slug)}`;

async function get(path, params) {
  const query = params ? `?${new URLSearchParams(params)}` : "";
  const response = await fetch(endpoint + path + query);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(data.message || response.statusText), { code: data.code });
  return data;
}

const when = (iso) => (iso ? new Date(iso).toLocaleDateString(lang()) : "");

function Langs() {
  return html`<div class="status-lang">${LANGS.map(
    ([code, name]) => html`<button type="button" key=${code} class="link" aria-pressed=${code === lang() ? "true" : "false"}
      onClick=${() => setLang(code)}>${name}</button>`,
  )}</div>`;
}

function Shell({ title, children }) {
  return html`<main class="status-main help-main">
    <${Langs} />
    <p class="help-home"><a href=${base}>${title || t("help.title")}</a></p>
    ${children}
  </main>`;
}

function Failure({ error }) {
  const known = {
    help_center_not_found: "help.not_found",
    article_not_found: "help.article_not_found",
    faq_not_found: "help.article_not_found",
    rate_limited: "help.rate_limited",
  };
  return html`<p class="error" role="alert">${known[error.code] ? t(known[error.code]) : error.message}</p>`;
}

function Hit({ hit }) {
  const href = `${base}/${hit.kind === "article" ? "articles" : "faqs"}/${hit.id}`;
  return html`<li class="help-hit">
    <a href=${href}>${highlight(hit.title.text, hit.title.highlights)}</a>
    <span class="badge">${t(`help.kind.${hit.kind}`)}</span>
    <p class="muted">${highlight(hit.snippet.text, hit.snippet.highlights)}</p>
  </li>`;
}

function Search() {
  const initial = new URLSearchParams(location.search).get("q") || "";
  const [q, setQ] = useState(initial);
  const [hits, setHits] = useState(null);
  const [error, setError] = useState(null);
  const run = async (text) => {
    const query = text.trim();
    history.replaceState(null, "", query ? `${base}?q=${encodeURIComponent(query)}` : base);
    if (!query) return setHits(null);
    try {
      setError(null);
      setHits((await get("/search", { q: query })).hits);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    if (initial) run(initial);
  }, []);
  return html`<section>
    <form class="help-search" role="search" onSubmit=${(e) => {
      e.preventDefault();
      run(q);
    }}>
      <input type="search" name="q" aria-label=${t("help.search")} placeholder=${t("help.search_hint")} value=${q}
        onInput=${(e) => setQ(e.target.value)} />
      <button type="submit" class="primary">${t("help.search")}</button>
    </form>
    ${error && html`<${Failure} error=${error} />`}
    ${hits &&
    (hits.length === 0
      ? html`<p class="muted">${t("help.no_results")}</p>`
      : html`<ol class="help-hits" aria-label=${t("help.results")}>${hits.map((hit) => html`<${Hit} key=${hit.kind + hit.id} hit=${hit} />`)}</ol>`)}
  </section>`;
}

function CategoryFaqs({ categoryId }) {
  const [faqs, setFaqs] = useState(null);
  const [error, setError] = useState(null);
  const load = () => get("/faqs", categoryId ? { category_id: categoryId } : undefined).then((r) => setFaqs(r.items), setError);
  if (error) return html`<${Failure} error=${error} />`;
  if (!faqs) return html`<button type="button" class="link" onClick=${load}>${t("help.show_faqs")}</button>`;
  const shown = categoryId ? faqs : faqs.filter((f) => !f.category_id);
  if (shown.length === 0) return html`<p class="muted">${t("help.no_faqs")}</p>`;
  return html`<div class="help-faqs">${shown.map(
    (f) => html`<details key=${f.id}><summary>${f.question}</summary><div class="help-body">${markdown(f.answer)}</div></details>`,
  )}</div>`;
}

function Home() {
  const [center, setCenter] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    get("").then((c) => {
      setCenter(c);
      document.title = `${c.name} · ${t("help.title")}`;
    }, setError);
  }, []);
  if (error) return html`<${Shell}><h1>${t("help.title")}</h1><${Failure} error=${error} /><//>`;
  if (!center) return html`<${Shell}><p class="muted">${t("common.loading")}</p><//>`;
  const children = (parent) => center.categories.filter((c) => (c.parent_id || null) === parent);
  const articlesIn = (id) => center.articles.filter((a) => (a.category_id || null) === id);
  const Category = ({ category, depth }) => html`<section class="help-category">
    ${depth === 0 ? html`<h2>${category.name}</h2>` : html`<h3>${category.name}</h3>`}
    <ul>${articlesIn(category.id).map((a) => html`<li key=${a.id}><a href=${`${base}/articles/${a.id}`}>${a.title}</a></li>`)}</ul>
    <${CategoryFaqs} categoryId=${category.id} />
    ${children(category.id).map((c) => html`<${Category} key=${c.id} category=${c} depth=${depth + 1} />`)}
  </section>`;
  const loose = articlesIn(null);
  return html`<${Shell} title=${center.name}>
    <h1>${center.name} · ${t("help.title")}</h1>
    <${Search} />
    ${children(null).map((c) => html`<${Category} key=${c.id} category=${c} depth=${0} />`)}
    <section class="help-category">
      <h2>${t("help.other")}</h2>
      ${loose.length > 0 &&
      html`<ul>${loose.map((a) => html`<li key=${a.id}><a href=${`${base}/articles/${a.id}`}>${a.title}</a></li>`)}</ul>`}
      <${CategoryFaqs} categoryId=${null} />
    </section>
  <//>`;
}

function Article({ kind, id }) {
  const [item, setItem] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    get(`/${kind}/${encodeURIComponent(id)}`).then((a) => {
      setItem(a);
      document.title = a.title || a.question;
    }, setError);
  }, []);
  if (error) return html`<${Shell}><${Failure} error=${error} /><//>`;
  if (!item) return html`<${Shell}><p class="muted">${t("common.loading")}</p><//>`;
  return html`<${Shell}>
    <article class="help-article" lang=${item.language || undefined}>
      <h1>${item.title || item.question}</h1>
      ${item.published_at && html`<p class="muted">${t("help.updated", { at: when(item.updated_at) })}</p>`}
      <div class="help-body">${markdown(item.body ?? item.answer)}</div>
    </article>
  <//>`;
}

function HelpCenter() {
  const [, rerender] = useState(0);
  useEffect(() => onLangChange(() => rerender((n) => n + 1)), []);
  if ((section === "articles" || section === "faqs") && idPart) {
    return html`<${Article} kind=${section} id=${decodeURIComponent(idPart)} />`;
  }
  return html`<${Home} />`;
}

render(html`<${HelpCenter} />`, document.getElementById("app"));
