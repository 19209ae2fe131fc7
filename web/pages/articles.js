// The Knowledge page's Articles tab: help articles listed with filters, the editor (Markdown
// with a live preview through markdown.js), publish/unpublish and delete; and the search over
// the whole knowledge base that agents get as they type.
import { html, useState, useEffect } from "../lib.js";
import { api } from "../api.js";
import { t, lang } from "../i18n.js";
import { markdown, highlight } from "../markdown.js";
import {
  ErrorBox, Field, ChipInput, usePaged, LoadMore, useLoad, useAction, fieldError, ConfirmButton,
  FormFoot, useDebounced, fmtTime,
} from "../ui.js";

const LANGUAGES = ["zh-CN", "en"];

export function ArticlesTab({ writer, paths, CategorySelect, editing, setEditing }) {
  const [version, setVersion] = useState(0);
  return html`<div class="articles">
    ${writer && html`<div class="actions"><button type="button" class="primary" onClick=${() => setEditing("new")}>${t("kb.article.new")}</button></div>`}
    ${editing &&
    html`<${ArticleEditor} key=${editing} id=${editing} writer=${writer} paths=${paths} CategorySelect=${CategorySelect}
      onSaved=${() => setVersion(version + 1)}
      onDone=${() => {
        setEditing(null);
        setVersion(version + 1);
      }} />`}
    <${ArticleList} paths=${paths} version=${version} onOpen=${setEditing} CategorySelect=${CategorySelect} />
  </div>`;
}

function ArticleList({ paths, version, onOpen, CategorySelect }) {
  const [q, setQ] = useState("");
  const [status, setStatus] = useState("");
  const [language, setLanguage] = useState("");
  const [category, setCategory] = useState(null);
  const [tag, setTag] = useState("");
  const query = useDebounced(q.trim());
  const tagFilter = useDebounced(tag.trim());
  const paged = usePaged(
    (cursor) => api.get("/kb/articles", { q: query, status, language, category_id: category, tag: tagFilter, cursor }),
    [query, status, language, category, tagFilter, version],
  );
  return html`<div class="card">
    <h2>${t("kb.articles")}</h2>
    <div class="filters">
      <input type="search" aria-label=${t("kb.article.filter")} placeholder=${t("kb.article.filter")} value=${q}
        onInput=${(e) => setQ(e.target.value)} />
      <select aria-label=${t("kb.status")} value=${status} onChange=${(e) => setStatus(e.target.value)}>
        <option value="">${t("kb.all_statuses")}</option>
        <option value="published">${t("kb.status.published")}</option>
        <option value="draft">${t("kb.status.draft")}</option>
      </select>
      <select aria-label=${t("kb.article.language")} value=${language} onChange=${(e) => setLanguage(e.target.value)}>
        <option value="">${t("kb.article.all_languages")}</option>
        ${LANGUAGES.map((l) => html`<option value=${l} key=${l}>${l}</option>`)}
      </select>
      <${CategorySelect} paths=${paths} value=${category} onChange=${setCategory}
        label=${t("kb.category_filter")} none=${t("kb.all_categories")} />
      <input aria-label=${t("kb.article.tag_filter")} placeholder=${t("kb.article.tag_filter")} value=${tag}
        onInput=${(e) => setTag(e.target.value)} />
    </div>
    <table class="list" aria-label=${t("kb.articles")}>
      <thead><tr>
        <th>${t("kb.article.title")}</th><th>${t("kb.category")}</th><th>${t("kb.article.language")}</th>
        <th>${t("kb.status")}</th><th>${t("kb.article.updated")}</th>
      </tr></thead>
      <tbody>
        ${paged.items.map(
          (a) => html`<tr key=${a.id}>
            <td><button type="button" class="link" onClick=${() => onOpen(a.id)}>${a.title}</button>
              ${a.tags.length > 0 && html` <small class="muted">${a.tags.join(", ")}</small>`}</td>
            <td>${paths.get(a.category_id) || ""}</td>
            <td>${a.language}</td>
            <td><span class="badge">${t(`kb.status.${a.status}`)}</span></td>
            <td>${fmtTime(a.updated_at)}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${!paged.loading && paged.items.length === 0 && html`<p class="muted">${t("kb.article.none")}</p>`}
    <${LoadMore} paged=${paged} />
  </div>`;
}

const BLANK = { title: "", body: "", category_id: null, tags: [], language: "" };

function ArticleEditor({ id: opened, writer, paths, CategorySelect, onSaved, onDone }) {
  // A new article keeps its editor (and its "saved" notice) once created: it is then edited.
  const [id, setId] = useState(opened === "new" ? null : opened);
  const isNew = !id;
  const [article, setArticle] = useState(null);
  const loaded = useLoad(() => (opened === "new" ? Promise.resolve(null) : api.get(`/kb/articles/${opened}`)), [opened]);
  const [draft, setDraft] = useState({ ...BLANK, language: lang() === "zh-CN" ? "zh-CN" : "en" });
  const [preview, setPreview] = useState(false);
  const save = useAction();
  const flip = useAction();
  const remove = useAction();
  useEffect(() => {
    const a = loaded.data;
    if (a) {
      setArticle(a);
      setDraft({ title: a.title, body: a.body, category_id: a.category_id, tags: a.tags, language: a.language });
    }
  }, [loaded.data]);
  const set = (patch) => setDraft({ ...draft, ...patch });
  const submit = async (e) => {
    e.preventDefault();
    const body = { ...draft };
    const saved = isNew
      ? await save.run(() => api.post("/kb/articles", body), t("kb.article.saved"))
      : await save.run(() => api.patch(`/kb/articles/${id}`, body), t("kb.article.saved"));
    if (saved && saved.id) {
      setArticle(saved);
      setId(saved.id);
      onSaved();
    }
  };
  const toggle = async () => {
    const action = article.status === "published" ? "unpublish" : "publish";
    const changed = await flip.run(() => api.post(`/kb/articles/${id}/${action}`, {}));
    if (changed && changed.id) {
      setArticle(changed);
      onSaved();
    }
  };
  const del = async () => {
    if (await remove.run(() => api.del(`/kb/articles/${id}`))) onDone();
  };
  if (loaded.error) return html`<${ErrorBox} error=${loaded.error} />`;
  if (!isNew && !article) return html`<p class="muted">${t("common.loading")}</p>`;
  return html`<form class="card form" aria-label=${t("kb.article.editor")} onSubmit=${submit}>
    <h2>${isNew ? t("kb.article.new") : t("kb.article.edit")}
      ${article && html` <span class="badge">${t(`kb.status.${article.status}`)}</span>`}</h2>
    <fieldset class="plain" disabled=${!writer}>
      <${Field} label=${t("kb.article.title")} error=${fieldError(save.error, "title")} wide>
        <input name="title" required maxlength="200" value=${draft.title} onInput=${(e) => set({ title: e.target.value })} />
      <//>
      <${Field} label=${t("kb.article.body")} hint=${t("kb.article.body_hint")}
        error=${fieldError(save.error, "body") || fieldError(flip.error, "body")} wide>
        ${preview
          ? html`<div class="help-body article-preview" aria-label=${t("kb.article.preview")}>${markdown(draft.body)}</div>`
          : html`<textarea name="body" rows="12" value=${draft.body} onInput=${(e) => set({ body: e.target.value })}></textarea>`}
      <//>
      <div class="actions">
        <button type="button" aria-pressed=${preview ? "true" : "false"} onClick=${() => setPreview(!preview)}>
          ${preview ? t("kb.article.write") : t("kb.article.preview")}</button>
      </div>
      <${Field} label=${t("kb.category")} error=${fieldError(save.error, "category_id")}>
        <${CategorySelect} paths=${paths} value=${draft.category_id} onChange=${(v) => set({ category_id: v })}
          label=${t("kb.category")} none=${t("kb.no_category")} />
      <//>
      <${Field} label=${t("kb.tags")} error=${fieldError(save.error, "tags")}>
        <${ChipInput} label=${t("kb.tags")} value=${draft.tags} onChange=${(tags) => set({ tags })} />
      <//>
      <${Field} label=${t("kb.article.language")} error=${fieldError(save.error, "language")}>
        <select name="language" value=${draft.language} onChange=${(e) => set({ language: e.target.value })}>
          ${LANGUAGES.map((l) => html`<option value=${l} key=${l}>${l}</option>`)}
        </select>
      <//>
    </fieldset>
    ${writer
      ? html`<${FormFoot} action=${save} label=${isNew ? t("common.create") : t("common.save")}>
          ${article &&
          html`<button type="button" disabled=${flip.busy} onClick=${toggle}>
            ${article.status === "published" ? t("kb.article.unpublish") : t("kb.article.publish")}</button>`}
          <button type="button" onClick=${onDone}>${t("kb.close")}</button>
          ${article && html`<${ConfirmButton} label=${t("common.delete")} onConfirm=${del} disabled=${remove.busy} />`}
        <//>`
      : html`<div class="actions"><button type="button" onClick=${onDone}>${t("kb.close")}</button></div>`}
    <${ErrorBox} error=${flip.error && !fieldError(flip.error, "body") ? flip.error : null} />
    <${ErrorBox} error=${remove.error} />
  </form>`;
}

/** Search-as-you-type over articles and FAQs (drafts too for editors), with matches marked. */
export function KbSearch({ onOpenFaq, onOpenArticle }) {
  const [q, setQ] = useState("");
  const query = useDebounced(q.trim(), 200);
  const [result, setResult] = useState({ hits: null, error: null });
  useEffect(() => {
    if (!query) return setResult({ hits: null, error: null });
    let current = true;
    api.get("/kb/search", { q: query, limit: 8 }).then(
      (r) => current && setResult({ hits: r.hits, error: null }),
      (error) => current && setResult({ hits: null, error }),
    );
    return () => {
      current = false;
    };
  }, [query]);
  return html`<div class="card kb-search">
    <input type="search" aria-label=${t("kb.search_all")} placeholder=${t("kb.search_all_hint")} value=${q}
      onInput=${(e) => setQ(e.target.value)} />
    <${ErrorBox} error=${result.error} />
    ${result.hits &&
    (result.hits.length === 0
      ? html`<p class="muted">${t("kb.search_none")}</p>`
      : html`<ol class="help-hits" aria-label=${t("kb.search_results")}>
          ${result.hits.map(
            (hit) => html`<li class="help-hit" key=${hit.kind + hit.id}>
              <button type="button" class="link"
                onClick=${() => (hit.kind === "faq" ? onOpenFaq(hit.id) : onOpenArticle(hit.id))}>
                ${highlight(hit.title.text, hit.title.highlights)}</button>
              <span class="badge">${t(`help.kind.${hit.kind}`)}</span>
              ${hit.status === "draft" && html` <span class="badge">${t("kb.status.draft")}</span>`}
              <p class="muted">${highlight(hit.snippet.text, hit.snippet.highlights)}</p>
            </li>`,
          )}
        </ol>`)}
  </div>`;
}
