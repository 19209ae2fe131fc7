// API tokens for integrations (admins): the list, creating one with scopes (its secret shown
// once, with a copy button) and revoking.
import { html, useState } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import {
  ErrorBox, Field, FieldSet, usePaged, LoadMore, useAction, fieldError, fmtTime, ConfirmButton,
  PageHead, FormFoot,
} from "../ui.js";
import { useUsers, namer } from "../lookups.js";

const SCOPES = [
  "customers:read", "customers:write", "users:read", "users:write", "groups:read", "groups:write",
  "events:read", "wfm:compute", "tickets:read", "tickets:write", "reports:read",
  "webhooks:write", "kb:read", "kb:write",
];

/** The new token's secret: the only time anyone sees it. */
function SecretBox({ created, onDone }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.token);
      setCopied(true);
    } catch {
      // No clipboard permission (plain http): the text is selectable instead.
      setCopied(false);
    }
  };
  return html`<div class="card secret" role="status">
    <p><strong>${t("tokens.shown_once", { name: created.name })}</strong></p>
    <div class="row">
      <input class="grow mono" readonly aria-label=${t("tokens.secret")} value=${created.token}
        onFocus=${(e) => e.target.select()} />
      <button type="button" onClick=${copy}>${copied ? t("tokens.copied") : t("tokens.copy")}</button>
      <button type="button" onClick=${onDone}>${t("common.done")}</button>
    </div>
  </div>`;
}

function CreateToken({ onCreated }) {
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState([]);
  const save = useAction();
  const toggle = (s, on) => setScopes(on ? [...scopes, s] : scopes.filter((x) => x !== s));
  const submit = async (e) => {
    e.preventDefault();
    const created = await save.run(() => api.post("/api-tokens", { name, scopes }));
    if (created) {
      setName("");
      setScopes([]);
      onCreated(created);
    }
  };
  return html`<form class="card form" onSubmit=${submit} aria-label=${t("tokens.new")}>
    <h2>${t("tokens.new")}</h2>
    <${Field} label=${t("tokens.name")} error=${fieldError(save.error, "name")}>
      <input name="name" required value=${name} onInput=${(e) => setName(e.target.value)} />
    <//>
    <${FieldSet} legend=${t("tokens.scopes")} error=${fieldError(save.error, "scopes")}>
      <div class="columns">
        ${SCOPES.map(
          (s) => html`<label class="inline" key=${s}>
            <input type="checkbox" checked=${scopes.includes(s)} onChange=${(e) => toggle(s, e.target.checked)} />
            <code>${s}</code> ${t(`scope.${s}`)}</label>`,
        )}
      </div>
    <//>
    <${FormFoot} action=${save} label=${t("common.create")} />
  </form>`;
}

export function TokensPage() {
  const [created, setCreated] = useState(null);
  const users = useUsers();
  const userName = namer(users.data, "display_name");
  const paged = usePaged((cursor) => api.get("/api-tokens", { cursor }), []);
  const revoke = useAction();
  const doRevoke = async (id) => {
    if (await revoke.run(() => api.del(`/api-tokens/${id}`))) paged.reload();
  };
  return html`<section>
    <${PageHead} title=${t("nav.tokens")} />
    ${created && html`<${SecretBox} created=${created} onDone=${() => setCreated(null)} />`}
    <${CreateToken} onCreated=${(c) => { setCreated(c); paged.reload(); }} />
    <${ErrorBox} error=${revoke.error} />
    <table class="list">
      <thead><tr>
        <th>${t("tokens.name")}</th><th>${t("tokens.prefix")}</th><th>${t("tokens.scopes")}</th>
        <th>${t("tokens.created")}</th><th>${t("tokens.last_used")}</th><th></th>
      </tr></thead>
      <tbody>
        ${paged.items.map(
          (tok) => html`<tr key=${tok.id} class=${tok.revoked_at ? "inactive" : ""}>
            <td>${tok.name}</td>
            <td><code>${tok.token_prefix}…</code></td>
            <td>${tok.scopes.map((s) => html`<code class="chip small" key=${s}>${s}</code>`)}</td>
            <td>${fmtTime(tok.created_at)}${tok.created_by && html`<br /><span class="muted">${userName(tok.created_by)}</span>`}</td>
            <td>${tok.last_used_at ? fmtTime(tok.last_used_at) : "—"}</td>
            <td>${tok.revoked_at
              ? html`<span class="badge">${t("tokens.revoked_at", { when: fmtTime(tok.revoked_at) })}</span>`
              : html`<${ConfirmButton} label=${t("tokens.revoke")} onConfirm=${() => doRevoke(tok.id)} disabled=${revoke.busy} />`}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    <${LoadMore} paged=${paged} />
  </section>`;
}
