// A ticket's side panel: status (only the moves the lifecycle allows), priority, type,
// assignee ("assign to me"), group, tags and the tenant's custom fields, each saved by PATCH as
// it changes; and its links.
import { html } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { Field, FieldSet, ChipInput, ErrorBox, Notice, useAction } from "../ui.js";
import { statusChoices, PRIORITIES, TYPES } from "../ticket-rules.js";
import { CustomFieldInputs, useFieldDefs } from "../custom-fields.js";

/** A refused status move in words, naming both ends; other errors as usual. */
function SaveError({ error }) {
  if (error?.code === "ticket_blocked_by_subtasks") {
    const list = (error.details?.numbers || []).map((n) => `#${n}`).join(", ");
    return html`<div class="error" role="alert">${t("links.blocked", { list })}</div>`;
  }
  if (error?.code !== "invalid_transition") return html`<${ErrorBox} error=${error} />`;
  const name = (s) => (s ? t(`ticket.status.${s}`) : "?");
  return html`<div class="error" role="alert">
    ${t("tickets.invalid_transition", { from: name(error.details.from), to: name(error.details.to) })}
  </div>`;
}

export function TicketFields({ ticket: tk, users, groups, me, requesterName, onSaved, onStale }) {
  const save = useAction();
  const defs = useFieldDefs();
  const patch = async (body) => {
    const updated = await save.run(() => api.patch(`/tickets/${tk.id}`, body), t("common.saved"));
    if (updated) onSaved(updated);
    // After a refusal the controls show the ticket as stored: someone may have moved it
    // meanwhile (a 409), and the status choices must start from where it is now.
    else onStale();
  };
  const pick = (key, empty) => (e) => patch({ [key]: e.target.value || empty });
  // Active agents, plus whoever has it now even if deactivated, so the select can show them.
  const agents = users.filter((u) => u.active || u.id === tk.assignee_id);
  const closed = tk.status === "closed";
  return html`<aside class="card ticket-side" aria-label=${t("tickets.details")}>
    <${Field} label=${t("tickets.status")}>
      <select name="status" value=${tk.status} disabled=${save.busy || closed} onChange=${pick("status")}>
        ${statusChoices(tk.status).map((s) => html`<option key=${s} value=${s}>${t(`ticket.status.${s}`)}</option>`)}
      </select>
    <//>
    <${Field} label=${t("tickets.priority")}>
      <select name="priority" value=${tk.priority} disabled=${save.busy || closed} onChange=${pick("priority")}>
        ${PRIORITIES.map((p) => html`<option key=${p} value=${p}>${t(`ticket.priority.${p}`)}</option>`)}
      </select>
    <//>
    <${Field} label=${t("tickets.type")}>
      <select name="type" value=${tk.type} disabled=${save.busy || closed} onChange=${pick("type")}>
        ${TYPES.map((k) => html`<option key=${k} value=${k}>${t(`ticket.type.${k}`)}</option>`)}
      </select>
    <//>
    <${Field} label=${t("tickets.assignee")}>
      <select name="assignee" value=${tk.assignee_id || ""} disabled=${save.busy || closed}
        onChange=${pick("assignee_id", null)}>
        <option value="">${t("tickets.unassigned")}</option>
        ${agents.map((u) => html`<option key=${u.id} value=${u.id}>${u.display_name}</option>`)}
      </select>
    <//>
    ${tk.assignee_id !== me && !closed && html`<button type="button" class="link assign-me" disabled=${save.busy}
      onClick=${() => patch({ assignee_id: me })}>${t("tickets.assign_to_me")}</button>`}
    <${Field} label=${t("tickets.group")}>
      <select name="group" value=${tk.group_id || ""} disabled=${save.busy || closed} onChange=${pick("group_id", null)}>
        <option value="">${t("tickets.no_group")}</option>
        ${groups.map((g) => html`<option key=${g.id} value=${g.id}>${g.name}</option>`)}
      </select>
    <//>
    <${FieldSet} legend=${t("tickets.tags")}>
      <${ChipInput} label=${t("tickets.tags")} value=${tk.tags} onChange=${(tags) => patch({ tags })} />
    <//>
    <${CustomFieldInputs} defs=${defs.data?.items} values=${tk.custom_fields || {}} type=${tk.type}
      disabled=${save.busy || closed} error=${save.error}
      onChange=${(key, value) => patch({ custom_fields: { [key]: value } })} />
    <${SaveError} error=${save.error} />
    <${Notice} text=${save.notice} />
    <dl class="ticket-links">
      <dt>${t("tickets.requester")}</dt>
      <dd><a href=${`#/customers/${tk.requester_id}`}>${requesterName || t("common.loading")}</a></dd>
      ${tk.conversation_id && html`<dt>${t("tickets.source")}</dt>
        <dd><a href=${`#/conversations/${tk.conversation_id}`}>${t("tickets.open_conversation")}</a></dd>`}
      <dt>${t("tickets.channel")}</dt>
      <dd>${tk.channel}</dd>
    </dl>
  </aside>`;
}
