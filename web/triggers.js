// Ticket triggers on the settings page: the tenant's rules in running order (move up/down,
// on/off, edit, delete) and an editor with selects for the event, conditions and actions.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { Field, ErrorBox, useLoad, useAction, fieldError, FormFoot, ConfirmButton, RowList } from "./ui.js";
import { useGroups, useUsers } from "./lookups.js";
import { useFieldDefs } from "./custom-fields.js";
import { STATUSES, PRIORITIES, TYPES } from "./ticket-rules.js";

const EVENTS = ["ticket_created", "ticket_updated", "comment_added"];
const BASE_FIELDS = [
  "status", "priority", "type", "group_id", "assignee_id", "tags", "channel", "subject", "comment",
  "comment_public", "requester_tier",
];
const ACTIONS = [
  "add_tags", "remove_tags", "set_status", "set_priority", "set_type", "set_group", "set_assignee",
  "set_custom_field", "notify_users", "notify_groups", "reply", "call_webhook",
];

/** The operators a field takes (kefu-core's check_rules decides; this only narrows the select). */
function operatorsFor(field, def, on) {
  const changes = on === "ticket_updated" ? ["changed_to", "changed"] : [];
  if (["status", "priority", "type", "group_id", "assignee_id"].includes(field)) return ["is", "is_not", ...changes];
  if (["channel", "requester_tier"].includes(field)) return ["is", "is_not"];
  if (["tags", "subject", "comment"].includes(field)) return ["contains", "not_contains"];
  if (field === "comment_public") return ["is"];
  if (def?.type === "number") return ["is", "is_not", "greater_than", "less_than", ...changes];
  if (def?.type === "multi_select") return ["contains", "not_contains", ...(changes.length ? ["changed"] : [])];
  return ["is", "is_not", ...changes];
}

/** The choices a field's value has, or null for free text. */
function choicesFor(field, def, lists) {
  const named = (values, prefix) => values.map((v) => [v, t(`${prefix}.${v}`)]);
  if (field === "status") return named(STATUSES, "ticket.status");
  if (field === "priority") return named(PRIORITIES, "ticket.priority");
  if (field === "type") return named(TYPES, "ticket.type");
  if (field === "group_id") return lists.groups.map((g) => [g.id, g.name]);
  if (field === "assignee_id") return lists.users.map((u) => [u.id, u.display_name]);
  if (field === "comment_public") return [["true", t("triggers.public")], ["false", t("triggers.internal")]];
  if (def && ["select", "multi_select"].includes(def.type)) return def.options.map((o) => [o, o]);
  return null;
}

const toText = (value) => (value === null || value === undefined ? "" : String(value));

/** A condition's value as the API wants it: booleans, numbers and ids typed. */
function conditionValue(row, def) {
  if (row.operator === "changed") return null;
  if (row.field === "comment_public") return row.value === "true";
  if (def?.type === "number") return row.value === "" ? null : Number(row.value);
  if (["group_id", "assignee_id"].includes(row.field)) return row.value || null;
  return row.value;
}

const toRow = (c) => ({ field: c.field, operator: c.operator, value: toText(c.value) });

function actionRow(a) {
  const row = { type: a.type, value: "", list: [], key: "" };
  switch (a.type) {
    case "set_status": case "set_priority": case "set_type": return { ...row, value: a.value };
    case "set_group": return { ...row, value: a.group_id || "" };
    case "set_assignee": return { ...row, value: a.user_id || "" };
    case "add_tags": case "remove_tags": return { ...row, value: a.tags.join(", ") };
    case "set_custom_field": return { ...row, key: a.key, value: Array.isArray(a.value) ? a.value.join(", ") : toText(a.value) };
    case "notify_users": return { ...row, list: a.user_ids };
    case "notify_groups": return { ...row, list: a.group_ids };
    case "reply": return { ...row, value: a.body };
    case "call_webhook": return { ...row, value: a.webhook_id };
    default: return row;
  }
}

function actionOf(row, defs) {
  const list = (text) => text.split(/[,，]/).map((w) => w.trim()).filter(Boolean);
  switch (row.type) {
    case "set_status": case "set_priority": case "set_type": return { type: row.type, value: row.value };
    case "set_group": return { type: row.type, group_id: row.value || null };
    case "set_assignee": return { type: row.type, user_id: row.value || null };
    case "add_tags": case "remove_tags": return { type: row.type, tags: list(row.value) };
    case "set_custom_field": {
      const def = defs.find((d) => d.key === row.key);
      let value = row.value === "" ? null : row.value;
      if (value !== null && def?.type === "number") value = Number(value);
      if (value !== null && def?.type === "multi_select") value = list(value);
      return { type: row.type, key: row.key, value };
    }
    case "notify_users": return { type: row.type, user_ids: row.list };
    case "notify_groups": return { type: row.type, group_ids: row.list };
    case "reply": return { type: row.type, body: row.value };
    case "call_webhook": return { type: row.type, webhook_id: row.value };
    default: return { type: row.type };
  }
}

function Options({ choices, empty }) {
  return html`${empty !== undefined && html`<option value="">${empty}</option>`}
    ${choices.map(([v, label]) => html`<option key=${v} value=${v}>${label}</option>`)}`;
}

function ConditionRow({ row, update, on, defs, lists, name }) {
  const def = row.field.startsWith("custom_fields.") ? defs.find((d) => `custom_fields.${d.key}` === row.field) : null;
  const operators = operatorsFor(row.field, def, on);
  const choices = choicesFor(row.field, def, lists);
  const fields = [
    ...BASE_FIELDS.map((f) => [f, t(`triggers.field.${f}`)]),
    ...defs.map((d) => [`custom_fields.${d.key}`, d.label]),
  ];
  return html`
    <select aria-label=${t("triggers.condition_field")} name=${`${name}-field`} value=${row.field}
      onChange=${(e) => update({ field: e.target.value, operator: operatorsFor(e.target.value, null, on)[0], value: "" })}>
      <${Options} choices=${fields} />
    </select>
    <select aria-label=${t("triggers.operator")} name=${`${name}-operator`} value=${row.operator}
      onChange=${(e) => update({ operator: e.target.value })}>
      <${Options} choices=${operators.map((o) => [o, t(`triggers.op.${o}`)])} />
    </select>
    ${row.operator !== "changed" &&
    (choices
      ? html`<select aria-label=${t("triggers.value")} name=${`${name}-value`} value=${row.value}
          onChange=${(e) => update({ value: e.target.value })}>
          <${Options} choices=${choices} empty="—" />
        </select>`
      : html`<input aria-label=${t("triggers.value")} name=${`${name}-value`} value=${row.value}
          onInput=${(e) => update({ value: e.target.value })} />`)}`;
}

function ActionRow({ row, update, defs, lists, name }) {
  const select = (choices, empty) => html`<select aria-label=${t("triggers.value")} name=${`${name}-value`}
    value=${row.value} onChange=${(e) => update({ value: e.target.value })}><${Options} choices=${choices} empty=${empty} /></select>`;
  const many = (choices) => html`<select multiple aria-label=${t("triggers.value")} name=${`${name}-list`}
    onChange=${(e) => update({ list: [...e.target.selectedOptions].map((o) => o.value) })}>
    ${choices.map(([v, label]) => html`<option key=${v} value=${v} selected=${row.list.includes(v)}>${label}</option>`)}
  </select>`;
  const text = (placeholder) => html`<input aria-label=${t("triggers.value")} name=${`${name}-value`} value=${row.value}
    placeholder=${placeholder} onInput=${(e) => update({ value: e.target.value })} />`;
  let editor = null;
  switch (row.type) {
    case "set_status": editor = select(STATUSES.filter((s) => s !== "new").map((s) => [s, t(`ticket.status.${s}`)]), "—"); break;
    case "set_priority": editor = select(PRIORITIES.map((s) => [s, t(`ticket.priority.${s}`)]), "—"); break;
    case "set_type": editor = select(TYPES.map((s) => [s, t(`ticket.type.${s}`)]), "—"); break;
    case "set_group": editor = select(lists.groups.map((g) => [g.id, g.name]), t("tickets.no_group")); break;
    case "set_assignee": editor = select(lists.users.map((u) => [u.id, u.display_name]), t("tickets.unassigned")); break;
    case "add_tags": case "remove_tags": editor = text(t("triggers.tags_hint")); break;
    case "notify_users": editor = many(lists.users.map((u) => [u.id, u.display_name])); break;
    case "notify_groups": editor = many(lists.groups.map((g) => [g.id, g.name])); break;
    case "call_webhook": editor = select(lists.webhooks.map((w) => [w.id, w.description || w.url]), "—"); break;
    case "reply":
      editor = html`<textarea aria-label=${t("triggers.reply_body")} name=${`${name}-value`} rows="3" value=${row.value}
        placeholder=${t("triggers.reply_hint")} onInput=${(e) => update({ value: e.target.value })} />`;
      break;
    case "set_custom_field":
      editor = html`<select aria-label=${t("triggers.custom_field")} name=${`${name}-key`} value=${row.key}
          onChange=${(e) => update({ key: e.target.value, value: "" })}>
          <${Options} choices=${defs.filter((d) => d.active).map((d) => [d.key, d.label])} empty="—" />
        </select>
        ${(() => {
          const def = defs.find((d) => d.key === row.key);
          return def?.type === "select" ? select(def.options.map((o) => [o, o]), "—") : text("");
        })()}`;
      break;
  }
  return html`<select aria-label=${t("triggers.action")} name=${`${name}-type`} value=${row.type}
      onChange=${(e) => update({ type: e.target.value, value: "", list: [], key: "" })}>
      <${Options} choices=${ACTIONS.map((a) => [a, t(`triggers.action.${a}`)])} />
    </select>
    ${editor}`;
}

function TriggerEditor({ trigger, lists, defs, onDone }) {
  const start = trigger
    ? { name: trigger.name, on: trigger.rules.on, all: trigger.rules.all.map(toRow), any: trigger.rules.any.map(toRow),
        actions: trigger.rules.actions.map(actionRow) }
    : { name: "", on: "ticket_created", all: [], any: [], actions: [{ type: "add_tags", value: "", list: [], key: "" }] };
  const [draft, setDraft] = useState(start);
  const save = useAction();
  const defOf = (field) => defs.find((d) => `custom_fields.${d.key}` === field);
  const submit = async (e) => {
    e.preventDefault();
    const condition = (row) => ({ field: row.field, operator: row.operator, value: conditionValue(row, defOf(row.field)) });
    const rules = {
      on: draft.on,
      all: draft.all.map(condition),
      any: draft.any.map(condition),
      actions: draft.actions.map((a) => actionOf(a, defs)),
    };
    const body = { name: draft.name, rules };
    const saved = await save.run(() =>
      trigger ? api.patch(`/triggers/${trigger.id}`, body) : api.post("/triggers", body), t("common.saved"));
    if (saved) onDone();
  };
  const blankCondition = { field: "priority", operator: "is", value: "" };
  const conditions = (list) => html`<${RowList} legend=${t(`triggers.${list}`)} hint=${t(`triggers.${list}_hint`)}
    error=${fieldError(save.error, `rules.${list}`)} rows=${draft[list]} blank=${blankCondition}
    addLabel=${t("triggers.add_condition")} onChange=${(rows) => setDraft({ ...draft, [list]: rows })}
    renderRow=${(row, update) => html`<${ConditionRow} row=${row} update=${update} on=${draft.on} defs=${defs}
      lists=${lists} name=${`${list}-${draft[list].indexOf(row)}`} />`} />`;
  return html`<form class="form trigger-editor" onSubmit=${submit} aria-label=${t(trigger ? "triggers.edit" : "triggers.add")}>
    <div class="fields">
      <${Field} label=${t("triggers.name")} error=${fieldError(save.error, "name")}>
        <input name="trigger-name" required value=${draft.name} onInput=${(e) => setDraft({ ...draft, name: e.target.value })} />
      <//>
      <${Field} label=${t("triggers.on")}>
        <select name="trigger-on" value=${draft.on} onChange=${(e) => setDraft({ ...draft, on: e.target.value })}>
          <${Options} choices=${EVENTS.map((ev) => [ev, t(`triggers.on.${ev}`)])} />
        </select>
      <//>
    </div>
    ${conditions("all")}
    ${conditions("any")}
    <${RowList} legend=${t("triggers.actions")} error=${fieldError(save.error, "rules.actions")} rows=${draft.actions}
      blank=${{ type: "add_tags", value: "", list: [], key: "" }} addLabel=${t("triggers.add_action")}
      onChange=${(rows) => setDraft({ ...draft, actions: rows })}
      renderRow=${(row, update) => html`<${ActionRow} row=${row} update=${update} defs=${defs} lists=${lists}
        name=${`action-${draft.actions.indexOf(row)}`} />`} />
    <${FormFoot} action=${save} label=${t("common.save")}>
      <button type="button" onClick=${onDone}>${t("common.cancel")}</button>
    <//>
  </form>`;
}

/** A trigger's rules in one line, for the list. */
function summary(tr) {
  const n = tr.rules.all.length + tr.rules.any.length;
  return `${t(`triggers.on.${tr.rules.on}`)} · ${t("triggers.n_conditions", { n })} · ${tr.rules.actions
    .map((a) => t(`triggers.action.${a.type}`))
    .join(", ")}`;
}

export function Triggers() {
  const list = useLoad(() => api.get("/triggers"), []);
  const groups = useGroups();
  const users = useUsers();
  const hooks = useLoad(() => api.get("/webhooks"), []);
  const defs = useFieldDefs();
  const [editing, setEditing] = useState(null);
  const change = useAction();
  const items = list.data?.items || [];
  const lists = {
    groups: groups.data || [],
    users: (users.data || []).filter((u) => u.active),
    webhooks: hooks.data || [],
  };
  const toggle = async (tr) => {
    if (await change.run(() => api.patch(`/triggers/${tr.id}`, { active: !tr.active }))) list.reload();
  };
  const remove = async (tr) => {
    if (await change.run(() => api.del(`/triggers/${tr.id}`))) list.reload();
  };
  // Moving swaps positions with the neighbour; positions are renumbered in list order first.
  const move = async (i, by) => {
    const order = [...items];
    const [moved] = order.splice(i, 1);
    order.splice(i + by, 0, moved);
    const ok = await change.run(async () => {
      for (const [pos, tr] of order.entries()) {
        if (tr.position !== pos) await api.patch(`/triggers/${tr.id}`, { position: pos });
      }
      return true;
    });
    if (ok) list.reload();
  };
  const done = () => {
    setEditing(null);
    list.reload();
  };
  return html`<div class="card" role="region" aria-label=${t("triggers.title")}>
    <h2>${t("triggers.title")}</h2>
    <p class="muted">${t("triggers.hint")}</p>
    <${ErrorBox} error=${list.error || change.error} />
    <ol class="plain triggers">
      ${items.map(
        (tr, i) => html`<li key=${tr.id} class="trigger">
          <strong>${tr.name}</strong> <span class="muted">${summary(tr)}</span>
          <div class="actions">
            <label class="inline"><input type="checkbox" checked=${tr.active} disabled=${change.busy}
              onChange=${() => toggle(tr)} /> ${tr.active ? t("triggers.active") : t("triggers.paused")}</label>
            <button type="button" disabled=${i === 0 || change.busy} aria-label=${t("triggers.up", { name: tr.name })}
              onClick=${() => move(i, -1)}>↑</button>
            <button type="button" disabled=${i === items.length - 1 || change.busy}
              aria-label=${t("triggers.down", { name: tr.name })} onClick=${() => move(i, 1)}>↓</button>
            <button type="button" onClick=${() => setEditing(tr)}>${t("common.edit")}</button>
            <${ConfirmButton} label=${t("common.delete")} onConfirm=${() => remove(tr)} />
          </div>
        </li>`,
      )}
    </ol>
    ${editing
      ? html`<${TriggerEditor} key=${editing === "new" ? "new" : editing.id} trigger=${editing === "new" ? null : editing}
          lists=${lists} defs=${defs.data?.items || []} onDone=${done} />`
      : html`<button type="button" onClick=${() => setEditing("new")}>${t("triggers.add")}</button>`}
  </div>`;
}
