// The requester's view of one ticket, opened by the secret in its status link (/t/{token}):
// number, subject, status and the public replies, and a box to answer while it is not closed.
import { html, render, useState, useEffect } from "./lib.js";
import { t, LANGS, lang, setLang, onLangChange } from "./i18n.js";

const token = decodeURIComponent(location.pathname.replace(/^\/t\//, "").split("/")[0] || "");
const endpoint = `/api/v1/status/${encodeURIComponent(token)}`;

async function call(method, body) {
  const response = await fetch(endpoint + (body ? "/replies" : ""), {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(data.message || response.statusText), { code: data.code });
  return data;
}

const when = (iso) => new Date(iso).toLocaleString(lang());

function Reply({ reply }) {
  const who =
    reply.author_kind === "customer"
      ? t("status.you")
      : reply.author_kind === "agent"
        ? reply.author_name || t("status.support")
        : t("status.support");
  return html`<li class=${`status-reply from-${reply.author_kind}`}>
    <div class="muted"><strong>${who}</strong> · <time datetime=${reply.created_at}>${when(reply.created_at)}</time></div>
    <div class="status-body">${reply.body}</div>
  </li>`;
}

function Answer({ onSent }) {
  const [body, setBody] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    if (!body.trim()) return;
    setBusy(true);
    setError(null);
    try {
      onSent(await call("POST", { body }));
      setBody("");
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="card status-answer" onSubmit=${submit}>
    <label for="answer">${t("status.answer")}</label>
    <textarea id="answer" rows="4" value=${body} onInput=${(e) => setBody(e.target.value)}></textarea>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <button type="submit" class="primary" disabled=${busy || !body.trim()}>${t("status.send")}</button>
  </form>`;
}

function StatusPage() {
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const [, rerender] = useState(0);
  useEffect(() => onLangChange(() => rerender((n) => n + 1)), []);
  useEffect(() => {
    call("GET").then(setPage, (err) => setError(err));
  }, []);
  const langs = html`<div class="status-lang">${LANGS.map(
    ([code, name]) => html`<button type="button" key=${code} class="link" aria-pressed=${code === lang() ? "true" : "false"}
      onClick=${() => setLang(code)}>${name}</button>`,
  )}</div>`;
  if (error) {
    return html`<main class="status-main">${langs}<h1>${t("status.title")}</h1>
      <p class="error" role="alert">${error.code === "ticket_not_found" ? t("status.not_found") : error.message}</p></main>`;
  }
  if (!page) return html`<main class="status-main"><p class="muted">${t("common.loading")}</p></main>`;
  return html`<main class="status-main">
    ${langs}
    <h1>${t("status.title")} #${page.number}</h1>
    <p class="status-subject">${page.subject}</p>
    <p>${t("status.now")} <span class="badge" data-status=${page.status}>${t(`ticket.status.${page.status}`)}</span></p>
    <p class="muted">${t("status.opened", { at: when(page.created_at) })} · ${t("status.updated", { at: when(page.updated_at) })}</p>
    <h2>${t("status.replies")}</h2>
    ${page.replies.length === 0
      ? html`<p class="muted">${t("status.no_replies")}</p>`
      : html`<ol class="status-replies">${page.replies.map((r, i) => html`<${Reply} key=${i} reply=${r} />`)}</ol>`}
    ${page.can_reply
      ? html`<${Answer} onSent=${setPage} />`
      : html`<p class="muted">${t("status.closed")}</p>`}
  </main>`;
}

render(html`<${StatusPage} />`, document.getElementById("app"));
