// Saved ticket views (视图): the form that names a filter and keeps it (the agent's own, or
// shared with the tenant by supervisors and admins), and the tabs' loader. The list applies a
// view with GET /tickets?view=ID, so a shared view means the same to everyone ("me", "mine").
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { ErrorBox, Field, useAction, useLoad, rank, fieldError } from "./ui.js";
import { STATUSES, PRIORITIES, TYPES } from "./ticket-rules.js";

export const isSupervisor = (user) => rank(user.role) >= rank("supervisor");
export const canChangeView = (user, view) => (view.shared ? isSupervisor(user) : view.owner_id === user.id);

/** The views the signed-in agent sees: shared ones, then their own. */
export function useViews() {
  return useLoad(() => api.get("/ticket-views").then((r) => r.items), []);
}

function Ticks({ legend, names, label, value, onChange }) {
  const toggle = (name, on) => onChange(on ? [...value, name] : value.filter((v) => v !== name));
  return html`<fieldset class="ticks">
    <legend>${legend}</legend>
    ${names.map(
      (name) => html`<label class="inline" key=${name}><input type="checkbox" checked=${value.includes(name)}
        onChange=${(e) => toggle(name, e.target.checked)} />${t(label(name))}</label>`,
    )}
  </fieldset>`;
}

/** Creates a view, or changes `view` when given; `onSaved(view)` with what the server kept. */
export function ViewForm({ view, groups, user, onSaved, onCancel }) {
  const start = view?.filters || {};
  const [name, setName] = useState(view?.name || "");
  const [shared, setShared] = useState(view?.shared || false);
  const [statuses, setStatuses] = useState(start.statuses || []);
  const [priorities, setPriorities] = useState(start.priorities || []);
  const [types, setTypes] = useState(start.types || []);
  const [assignee, setAssignee] = useState(start.assignee || "");
  const [group, setGroup] = useState(start.group || "");
  const [tag, setTag] = useState(start.tag || "");
  const [breaching, setBreaching] = useState(start.sla_breaching || false);
  const save = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const filters = { statuses, priorities, types, sla_breaching: breaching };
    if (assignee) filters.assignee = assignee;
    if (group) filters.group = group;
    if (tag.trim()) filters.tag = tag.trim();
    const saved = await save.run(() =>
      view ? api.patch(`/ticket-views/${view.id}`, { name, filters }) : api.post("/ticket-views", { name, filters, shared }),
    );
    if (saved) onSaved(saved);
  };
  return html`<form class="card view-form" aria-label=${t("views.form")} onSubmit=${submit}>
    <${Field} label=${t("views.name")} error=${fieldError(save.error, "name")}>
      <input value=${name} maxlength="60" required onInput=${(e) => setName(e.target.value)} />
    <//>
    <${Ticks} legend=${t("tickets.status")} names=${STATUSES} label=${(s) => `ticket.status.${s}`}
      value=${statuses} onChange=${setStatuses} />
    <${Ticks} legend=${t("tickets.priority")} names=${PRIORITIES} label=${(p) => `ticket.priority.${p}`}
      value=${priorities} onChange=${setPriorities} />
    <${Ticks} legend=${t("views.types")} names=${TYPES} label=${(x) => `ticket.type.${x}`}
      value=${types} onChange=${setTypes} />
    <div class="row">
      <${Field} label=${t("tickets.assignee")}>
        <select value=${assignee} onChange=${(e) => setAssignee(e.target.value)}>
          <option value="">${t("views.anyone")}</option>
          <option value="me">${t("views.me")}</option>
          <option value="none">${t("tickets.unassigned")}</option>
        </select>
      <//>
      <${Field} label=${t("tickets.group")}>
        <select value=${group} onChange=${(e) => setGroup(e.target.value)}>
          <option value="">${t("views.any_group")}</option>
          <option value="mine">${t("views.my_groups")}</option>
          ${groups.map((g) => html`<option key=${g.id} value=${g.id}>${g.name}</option>`)}
        </select>
      <//>
      <${Field} label=${t("views.tag")}>
        <input value=${tag} maxlength="64" onInput=${(e) => setTag(e.target.value)} />
      <//>
    </div>
    <label class="inline"><input type="checkbox" checked=${breaching} onChange=${(e) => setBreaching(e.target.checked)} />
      ${t("tickets.view.breaching")}</label>
    ${!view && isSupervisor(user) &&
    html`<label class="inline"><input type="checkbox" checked=${shared} onChange=${(e) => setShared(e.target.checked)} />
      ${t("views.shared")}</label>`}
    <div class="actions">
      <button type="submit" class="primary" disabled=${save.busy}>${t("common.save")}</button>
      <button type="button" onClick=${onCancel}>${t("common.cancel")}</button>
    </div>
    <${ErrorBox} error=${save.error} />
  </form>`;
}
