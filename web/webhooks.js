// Outgoing webhooks on the settings page: receivers with the event kinds they want, the signing
// secret shown once when one is added, pause/resume and delete, and each one's delivery log
// (state, attempts, the receiver's answer) with a retry button.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { ErrorBox, Field, useLoad, useAction, fieldError, FormFoot, ConfirmButton, fmtTime } from "./ui.js";

const patterns = (text) => text.split(/[\s,，]+/).map((p) => p.trim()).filter(Boolean);

function Deliveries({ webhook }) {
  const log = useLoad(() => api.get(`/webhooks/${webhook.id}/deliveries`, { limit: 20 }), [webhook.id]);
  const retry = useAction();
  const again = async (d) => {
    if (await retry.run(() => api.post(`/webhooks/${webhook.id}/deliveries/${d.id}/retry`, {}))) log.reload();
  };
  const items = log.data?.items || [];
  return html`<div class="deliveries">
    <${ErrorBox} error=${log.error || retry.error} />
    ${log.data && items.length === 0 && html`<p class="muted">${t("webhooks.no_deliveries")}</p>`}
    ${items.length > 0 &&
    html`<table class="list" aria-label=${t("webhooks.deliveries")}>
      <thead><tr>
        <th>${t("webhooks.event")}</th><th>${t("webhooks.state")}</th><th>${t("webhooks.attempts")}</th>
        <th>${t("webhooks.answer")}</th><th>${t("webhooks.when")}</th><th></th>
      </tr></thead>
      <tbody>
        ${items.map(
          (d) => html`<tr key=${d.id} data-state=${d.state}>
            <td><code>${d.event_kind}</code> <span class="muted">#${d.event_seq}</span></td>
            <td><span class=${`badge delivery-${d.state}`}>${t(`webhooks.state.${d.state}`)}</span></td>
            <td>${d.attempts}</td>
            <td>${d.last_status ?? ""} <span class="muted">${d.last_error || ""}</span></td>
            <td class="muted">${fmtTime(d.delivered_at || d.created_at)}</td>
            <td>${d.state === "failed" &&
            html`<button type="button" disabled=${retry.busy} onClick=${() => again(d)}>${t("webhooks.retry")}</button>`}</td>
          </tr>`,
        )}
      </tbody>
    </table>`}
    <button type="button" class="link" onClick=${() => log.reload()}>${t("webhooks.refresh")}</button>
  </div>`;
}

export function Webhooks() {
  const hooks = useLoad(() => api.get("/webhooks"), []);
  const blank = { url: "", events: "ticket.*", description: "" };
  const [draft, setDraft] = useState(blank);
  const [secret, setSecret] = useState(null);
  const [open, setOpen] = useState(null);
  const add = useAction();
  const change = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const body = { url: draft.url, events: patterns(draft.events), description: draft.description || null };
    const created = await add.run(() => api.post("/webhooks", body));
    if (created) {
      setSecret({ url: created.url, secret: created.secret });
      setDraft(blank);
      hooks.reload();
    }
  };
  const toggle = async (w) => {
    if (await change.run(() => api.patch(`/webhooks/${w.id}`, { active: !w.active }))) hooks.reload();
  };
  const remove = async (w) => {
    if (await change.run(() => api.del(`/webhooks/${w.id}`))) hooks.reload();
  };
  return html`<div class="card" aria-label=${t("webhooks.title")} role="region">
    <h2>${t("webhooks.title")}</h2>
    <p class="muted">${t("webhooks.hint")}</p>
    ${secret &&
    html`<div class="notice" role="status">
      <p>${t("webhooks.secret_once", { url: secret.url })}</p>
      <code class="secret">${secret.secret}</code>
    </div>`}
    <${ErrorBox} error=${hooks.error || change.error} />
    <ul class="plain">
      ${(hooks.data || []).map(
        (w) => html`<li key=${w.id} class="webhook">
          <strong>${w.url}</strong> <span class="muted">${w.events.join(", ")}</span>
          ${w.description && html` <span class="muted">· ${w.description}</span>`}
          <div class="actions">
            <label class="inline"><input type="checkbox" checked=${w.active} disabled=${change.busy}
              onChange=${() => toggle(w)} /> ${w.active ? t("webhooks.active") : t("webhooks.paused")}</label>
            <button type="button" onClick=${() => setOpen(open === w.id ? null : w.id)}>${t("webhooks.deliveries")}</button>
            <${ConfirmButton} label=${t("common.delete")} onConfirm=${() => remove(w)} />
          </div>
          ${open === w.id && html`<${Deliveries} webhook=${w} />`}
        </li>`,
      )}
    </ul>
    <form class="form" onSubmit=${submit} aria-label=${t("webhooks.add")}>
      <${Field} label=${t("webhooks.url")} error=${fieldError(add.error, "url")}>
        <input name="webhook-url" type="url" required placeholder="https://crm.example.com/hooks/kefu" value=${draft.url}
          onInput=${(e) => setDraft({ ...draft, url: e.target.value })} />
      <//>
      <${Field} label=${t("webhooks.events")} hint=${t("webhooks.events_hint")}
        error=${fieldError(add.error, "events")}>
        <input name="webhook-events" required value=${draft.events}
          onInput=${(e) => setDraft({ ...draft, events: e.target.value })} />
      <//>
      <${Field} label=${t("webhooks.description")} error=${fieldError(add.error, "description")}>
        <input name="webhook-description" value=${draft.description}
          onInput=${(e) => setDraft({ ...draft, description: e.target.value })} />
      <//>
      <${FormFoot} action=${add} label=${t("webhooks.add")} />
    </form>
  </div>`;
}
