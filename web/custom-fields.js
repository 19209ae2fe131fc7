// Ticket custom fields in the UI: the inputs for a ticket's values (text, number, date, select,
// multi-select) on the ticket page and the new-ticket form, and the admins' settings section.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { Field, FieldSet, ErrorBox, useLoad, useAction, fieldError, FormFoot } from "./ui.js";
import { TYPES } from "./ticket-rules.js";

export const FIELD_TYPES = ["text", "number", "date", "select", "multi_select"];

export function useFieldDefs() {
  return useLoad(() => api.get("/ticket-fields"), []);
}

/** A field's label, marked when the ticket's type requires it. */
const labelOf = (def, type) => (def.required_for.includes(type) ? `${def.label} *` : def.label);

/**
 * One input per active field. `values` is the ticket's `custom_fields`; `onChange(key, value)`
 * gets the typed value (`null` to clear). Text inputs report on change (blur), not per key.
 */
export function CustomFieldInputs({ defs, values, type, disabled, error, onChange }) {
  const active = (defs || []).filter((d) => d.active);
  if (active.length === 0) return null;
  return html`<div class="custom-fields">
    ${active.map((def) => {
      const value = values[def.key];
      const err = fieldError(error, `custom_fields.${def.key}`);
      const name = `field-${def.key}`;
      const label = labelOf(def, type);
      switch (def.type) {
        case "select":
          return html`<${Field} key=${def.key} label=${label} error=${err}>
            <select name=${name} value=${value ?? ""} disabled=${disabled}
              onChange=${(e) => onChange(def.key, e.target.value || null)}>
              <option value="">—</option>
              ${def.options.map((o) => html`<option key=${o} value=${o}>${o}</option>`)}
            </select>
          <//>`;
        case "multi_select": {
          const chosen = Array.isArray(value) ? value : [];
          const toggle = (o) => {
            const next = chosen.includes(o) ? chosen.filter((x) => x !== o) : [...chosen, o];
            onChange(def.key, next.length ? next : null);
          };
          return html`<${FieldSet} key=${def.key} legend=${label} error=${err}>
            ${def.options.map(
              (o) => html`<label class="inline" key=${o}>
                <input type="checkbox" name=${name} value=${o} checked=${chosen.includes(o)} disabled=${disabled}
                  onChange=${() => toggle(o)} /> ${o}</label>`,
            )}
          <//>`;
        }
        case "number":
          return html`<${Field} key=${def.key} label=${label} error=${err}>
            <input name=${name} type="number" step="any" value=${value ?? ""} disabled=${disabled}
              onChange=${(e) => onChange(def.key, e.target.value === "" ? null : Number(e.target.value))} />
          <//>`;
        case "date":
          return html`<${Field} key=${def.key} label=${label} error=${err}>
            <input name=${name} type="date" value=${value ?? ""} disabled=${disabled}
              onChange=${(e) => onChange(def.key, e.target.value || null)} />
          <//>`;
        default:
          return html`<${Field} key=${def.key} label=${label} error=${err}>
            <input name=${name} value=${value ?? ""} disabled=${disabled}
              onChange=${(e) => onChange(def.key, e.target.value.trim() || null)} />
          <//>`;
      }
    })}
  </div>`;
}

const words = (text) => text.split(/[,，\n]/).map((w) => w.trim()).filter(Boolean);

/** Settings: the tenant's fields, each with active on/off, and a form to add one. */
export function TicketFieldSettings() {
  const defs = useFieldDefs();
  const blank = { key: "", label: "", type: "text", options: "", required_for: [] };
  const [draft, setDraft] = useState(blank);
  const add = useAction();
  const change = useAction();
  const set = (key) => (e) => setDraft({ ...draft, [key]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const body = {
      key: draft.key.trim(),
      label: draft.label,
      type: draft.type,
      options: ["select", "multi_select"].includes(draft.type) ? words(draft.options) : [],
      required_for: draft.required_for,
    };
    if (await add.run(() => api.post("/ticket-fields", body), t("common.saved"))) {
      setDraft(blank);
      defs.reload();
    }
  };
  const toggle = async (f) => {
    if (await change.run(() => api.patch(`/ticket-fields/${f.id}`, { active: !f.active }))) defs.reload();
  };
  const toggleType = (k) =>
    setDraft({
      ...draft,
      required_for: draft.required_for.includes(k) ? draft.required_for.filter((x) => x !== k) : [...draft.required_for, k],
    });
  const items = defs.data?.items || [];
  return html`<div class="card" role="region" aria-label=${t("fields.title")}>
    <h2>${t("fields.title")}</h2>
    <p class="muted">${t("fields.hint")}</p>
    <${ErrorBox} error=${defs.error || change.error} />
    ${items.length > 0 &&
    html`<table class="list">
      <thead><tr>
        <th>${t("fields.key")}</th><th>${t("fields.label")}</th><th>${t("fields.type")}</th>
        <th>${t("fields.options")}</th><th>${t("fields.required_for")}</th><th>${t("fields.active")}</th>
      </tr></thead>
      <tbody>
        ${items.map(
          (f) => html`<tr key=${f.id}>
            <td><code>${f.key}</code></td>
            <td>${f.label}</td>
            <td>${t(`fields.type.${f.type}`)}</td>
            <td>${f.options.join(", ")}</td>
            <td>${f.required_for.map((k) => t(`ticket.type.${k}`)).join(", ")}</td>
            <td><label class="inline"><input type="checkbox" checked=${f.active} disabled=${change.busy}
              onChange=${() => toggle(f)} /> ${f.active ? t("fields.on") : t("fields.off")}</label></td>
          </tr>`,
        )}
      </tbody>
    </table>`}
    <form class="form" onSubmit=${submit} aria-label=${t("fields.add")}>
      <div class="fields">
        <${Field} label=${t("fields.key")} hint=${t("fields.key_hint")} error=${fieldError(add.error, "key")}>
          <input name="field-key" required value=${draft.key} onInput=${set("key")} />
        <//>
        <${Field} label=${t("fields.label")} error=${fieldError(add.error, "label")}>
          <input name="field-label" required value=${draft.label} onInput=${set("label")} />
        <//>
        <${Field} label=${t("fields.type")}>
          <select name="field-type" value=${draft.type} onChange=${set("type")}>
            ${FIELD_TYPES.map((k) => html`<option key=${k} value=${k}>${t(`fields.type.${k}`)}</option>`)}
          </select>
        <//>
      </div>
      ${["select", "multi_select"].includes(draft.type) &&
      html`<${Field} label=${t("fields.options")} hint=${t("fields.options_hint")} error=${fieldError(add.error, "options")}>
        <input name="field-options" value=${draft.options} onInput=${set("options")} />
      <//>`}
      <${FieldSet} legend=${t("fields.required_for")} error=${fieldError(add.error, "required_for")}>
        ${TYPES.map(
          (k) => html`<label class="inline" key=${k}><input type="checkbox" checked=${draft.required_for.includes(k)}
            onChange=${() => toggleType(k)} /> ${t(`ticket.type.${k}`)}</label>`,
        )}
      <//>
      <${FormFoot} action=${add} label=${t("fields.add")} />
    </form>
  </div>`;
}
