// The New ticket form: subject, description, the requester found by searching customers,
// priority, type, group and the tenant's custom fields; the created ticket opens.
import { html, useState } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { navigate, Field, FieldSet, useAction, useLoad, useDebounced, fieldError, FormFoot, ErrorBox } from "../ui.js";
import { identityText } from "./customers.js";
import { PRIORITIES, TYPES } from "../ticket-rules.js";
import { CustomFieldInputs, useFieldDefs } from "../custom-fields.js";

/** Search customers and pick one; `value` is the picked customer or null. */
function RequesterPicker({ value, onChange, error }) {
  const [q, setQ] = useState("");
  const query = useDebounced(q.trim());
  const results = useLoad(
    () => (query ? api.get("/customers", { q: query, limit: 10 }) : Promise.resolve({ items: [] })),
    [query],
  );
  if (value) {
    return html`<${FieldSet} legend=${t("tickets.requester")} error=${error}>
      <div class="row">
        <strong class="grow">${value.name}</strong>
        <button type="button" onClick=${() => onChange(null)}>${t("tickets.change_requester")}</button>
      </div>
    <//>`;
  }
  const found = (results.data ? results.data.items : []).filter((c) => !c.merged_into);
  // A fieldset, not a label: the results and their buttons must not become the input's name.
  return html`<${FieldSet} legend=${t("tickets.requester")} error=${error} hint=${t("tickets.requester_hint")}>
    <input type="search" value=${q} aria-label=${t("tickets.find_customer")} placeholder=${t("tickets.find_customer")}
      onInput=${(e) => setQ(e.target.value)} />
    <${ErrorBox} error=${results.error} />
    ${query && html`<ul class="candidates" aria-label=${t("tickets.customers_found")}>
      ${found.map(
        (c) => html`<li key=${c.id}>
          <span class="grow"><strong>${c.name}</strong>${" "}
            <span class="muted">${c.identities.map(identityText).join(" · ")}</span></span>
          <button type="button" onClick=${() => onChange(c)}>${t("tickets.pick_customer", { name: c.name })}</button>
        </li>`,
      )}
    </ul>`}
    ${query && !results.loading && found.length === 0 && html`<p class="muted">${t("common.empty")}</p>`}
  <//>`;
}

export function NewTicketForm({ groups, onCancel }) {
  const [draft, setDraft] = useState({
    subject: "", description: "", requester: null, priority: "normal", type: "question", group_id: "",
    custom_fields: {},
  });
  const defs = useFieldDefs();
  const [noRequester, setNoRequester] = useState(false);
  const save = useAction();
  const set = (key) => (e) => setDraft({ ...draft, [key]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    // Checked here: without it the server could only answer a bare "invalid field".
    setNoRequester(!draft.requester);
    if (!draft.requester) return;
    const body = {
      subject: draft.subject,
      description: draft.description,
      requester_id: draft.requester.id,
      priority: draft.priority,
      type: draft.type,
      // The UI is one channel among several; `web` tells these apart from API-made tickets.
      channel: "web",
      custom_fields: draft.custom_fields,
    };
    if (draft.group_id) body.group_id = draft.group_id;
    const created = await save.run(() => api.post("/tickets", body));
    if (created) navigate(`#/tickets/${created.id}`);
  };
  const requesterError = fieldError(save.error, "requester_id") ||
    (noRequester && !draft.requester ? t("field.required") : null);
  return html`<form class="card form" onSubmit=${submit} aria-label=${t("tickets.new")}>
    <h2>${t("tickets.new")}</h2>
    <${Field} label=${t("tickets.subject")} error=${fieldError(save.error, "subject")}>
      <input name="subject" required value=${draft.subject} onInput=${set("subject")} />
    <//>
    <${Field} label=${t("tickets.description")} error=${fieldError(save.error, "description")}>
      <textarea name="description" rows="5" value=${draft.description} onInput=${set("description")} />
    <//>
    <${RequesterPicker} value=${draft.requester} error=${requesterError}
      onChange=${(requester) => setDraft({ ...draft, requester })} />
    <div class="fields">
      <${Field} label=${t("tickets.priority")}>
        <select value=${draft.priority} onChange=${set("priority")}>
          ${PRIORITIES.map((p) => html`<option key=${p} value=${p}>${t(`ticket.priority.${p}`)}</option>`)}
        </select>
      <//>
      <${Field} label=${t("tickets.type")}>
        <select value=${draft.type} onChange=${set("type")}>
          ${TYPES.map((k) => html`<option key=${k} value=${k}>${t(`ticket.type.${k}`)}</option>`)}
        </select>
      <//>
      <${Field} label=${t("tickets.group")} error=${fieldError(save.error, "group_id")}>
        <select value=${draft.group_id} onChange=${set("group_id")}>
          <option value="">${t("tickets.no_group")}</option>
          ${groups.map((g) => html`<option key=${g.id} value=${g.id}>${g.name}</option>`)}
        </select>
      <//>
    </div>
    <${CustomFieldInputs} defs=${defs.data?.items} values=${draft.custom_fields} type=${draft.type} error=${save.error}
      onChange=${(key, value) => {
        const custom_fields = { ...draft.custom_fields, [key]: value };
        if (value === null) delete custom_fields[key];
        setDraft({ ...draft, custom_fields });
      }} />
    <${FormFoot} action=${save} label=${t("common.create")}>
      <button type="button" onClick=${onCancel}>${t("common.cancel")}</button>
    <//>
  </form>`;
}
