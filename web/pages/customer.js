// One customer: profile, tier, tags, custom attributes, identities (add/remove, with the holder
// named on a conflict), merging another customer into this one, and the history of events.
import { html, useState, useEffect } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import {
  ErrorBox, Notice, Field, FieldSet, ChipInput, useLoad, useAction, useDebounced, fieldError,
  fmtTime, errorText, JsonView, ConfirmButton, PageHead, FormFoot, RowList,
} from "../ui.js";
import { useTenant } from "../lookups.js";
import { IDENTITY_KINDS, TierSelect, identityText } from "./customers.js";

/**
 * Attribute values are edited as text: what parses as JSON is saved as JSON, the rest as text.
 * A string that would parse (e.g. the zip code "100000") is shown quoted, so saving the form
 * unchanged never turns it into a number.
 */
function attrValue(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
const attrText = (v) => (typeof v === "string" && attrValue(v) === v ? v : JSON.stringify(v));

function AttributesEditor({ rows, onChange, error }) {
  return html`<${RowList} legend=${t("customer.attributes")} hint=${t("customer.attributes_hint")}
    error=${error} rows=${rows} onChange=${onChange} blank=${{ key: "", value: "" }}
    addLabel=${t("customer.add_attribute")}
    renderRow=${(r, update) => html`
      <input aria-label=${t("customer.attr_key")} placeholder=${t("customer.attr_key")} value=${r.key}
        onInput=${(e) => update({ key: e.target.value })} />
      <input aria-label=${t("customer.attr_value")} placeholder=${t("customer.attr_value")} class="grow"
        value=${r.value} onInput=${(e) => update({ value: e.target.value })} />`} />`;
}

export function ProfileForm({ customer, tiers, onSaved }) {
  const draftOf = (c) => ({
    name: c.name, company: c.company || "", tier: c.tier, tags: c.tags,
    attributes: Object.entries(c.attributes || {}).map(([key, v]) => ({ key, value: attrText(v) })),
  });
  const [draft, setDraft] = useState(() => draftOf(customer));
  const save = useAction();
  useEffect(() => setDraft(draftOf(customer)), [customer]);
  const set = (key) => (value) => setDraft({ ...draft, [key]: value });
  const submit = async (e) => {
    e.preventDefault();
    const attributes = {};
    for (const { key, value } of draft.attributes) if (key.trim()) attributes[key.trim()] = attrValue(value);
    const body = { name: draft.name, company: draft.company.trim() || null, tier: draft.tier, tags: draft.tags, attributes };
    const updated = await save.run(() => api.patch(`/customers/${customer.id}`, body), t("common.saved"));
    if (updated) onSaved(updated);
  };
  return html`<form class="card form" onSubmit=${submit} aria-label=${t("customer.profile")}>
    <h2>${t("customer.profile")}</h2>
    <${Field} label=${t("customers.name")} error=${fieldError(save.error, "name")}>
      <input name="name" required value=${draft.name} onInput=${(e) => set("name")(e.target.value)} />
    <//>
    <${Field} label=${t("customers.company")} error=${fieldError(save.error, "company")}>
      <input name="company" value=${draft.company} onInput=${(e) => set("company")(e.target.value)} />
    <//>
    <${Field} label=${t("customers.tier")} error=${fieldError(save.error, "tier")}>
      <${TierSelect} tiers=${tiers.includes(draft.tier) ? tiers : [...tiers, draft.tier]}
        value=${draft.tier} label=${t("customers.tier")} onChange=${set("tier")} />
    <//>
    <${FieldSet} legend=${t("customers.tags")} error=${fieldError(save.error, "tags")}>
      <${ChipInput} label=${t("customers.tags")} value=${draft.tags} onChange=${set("tags")} />
    <//>
    <${AttributesEditor} rows=${draft.attributes} onChange=${set("attributes")}
      error=${fieldError(save.error, "attributes")} />
    <${FormFoot} action=${save} label=${t("common.save")} />
  </form>`;
}

/** A 409 identity_taken, told with the name of the customer who holds the identity. */
function ConflictBox({ error }) {
  const holderId = error && error.code === "identity_taken" ? error.details.customer_id : null;
  const holder = useLoad(() => (holderId ? api.get(`/customers/${holderId}`) : Promise.resolve(null)), [holderId]);
  if (!error) return null;
  if (!holderId) {
    const text = fieldError(error, "identity") || errorText(error);
    return html`<div class="error" role="alert">${text}</div>`;
  }
  return html`<div class="error" role="alert">
    ${t("customer.identity_taken_by", { identity: error.details.value || "" })}${" "}
    <a href=${`#/customers/${holderId}`}>${holder.data ? holder.data.name : holderId}</a>
  </div>`;
}

function Identities({ customer, onChange }) {
  const [draft, setDraft] = useState({ kind: "phone", value: "" });
  const add = useAction();
  const remove = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const updated = await add.run(() => api.post(`/customers/${customer.id}/identities`, draft));
    if (updated) {
      setDraft({ ...draft, value: "" });
      onChange(updated);
    }
  };
  const del = async (identityId) => {
    const updated = await remove.run(() => api.del(`/customers/${customer.id}/identities/${identityId}`));
    if (updated) onChange(updated);
  };
  return html`<section class="card" aria-label=${t("customers.identities")}>
    <h2>${t("customers.identities")}</h2>
    <ul class="identities">
      ${customer.identities.map(
        (i) => html`<li key=${i.id}>
          <span class="identity">${identityText(i)}</span>
          <span class="muted">${fmtTime(i.created_at)}</span>
          <${ConfirmButton} label=${t("common.remove")} onConfirm=${() => del(i.id)} disabled=${remove.busy} />
        </li>`,
      )}
    </ul>
    ${customer.identities.length === 0 && html`<p class="muted">${t("common.empty")}</p>`}
    <${ErrorBox} error=${remove.error} />
    <form class="row" onSubmit=${submit} aria-label=${t("customer.add_identity")}>
      <select aria-label=${t("customers.identity_kind")} name="identity-kind" value=${draft.kind}
        onChange=${(e) => setDraft({ ...draft, kind: e.target.value })}>
        ${IDENTITY_KINDS.map((k) => html`<option key=${k} value=${k}>${t(`identity.${k}`)}</option>`)}
      </select>
      <input aria-label=${t("customers.identity_value")} name="identity-value" required value=${draft.value}
        onInput=${(e) => setDraft({ ...draft, value: e.target.value })} />
      <button type="submit" disabled=${add.busy}>${t("customer.add_identity")}</button>
    </form>
    <${ConflictBox} error=${add.error} />
  </section>`;
}

function Merge({ customer, onMerged }) {
  const [q, setQ] = useState("");
  const query = useDebounced(q.trim());
  const results = useLoad(
    () => (query ? api.get("/customers", { q: query, limit: 10 }) : Promise.resolve({ items: [] })),
    [query],
  );
  const merge = useAction();
  const candidates = (results.data ? results.data.items : []).filter(
    (c) => c.id !== customer.id && !c.merged_into,
  );
  const doMerge = async (source) => {
    const merged = await merge.run(
      () => api.post(`/customers/${customer.id}/merge`, { source_id: source.id }),
      t("customer.merged_done", { name: source.name }),
    );
    if (merged) {
      setQ("");
      onMerged(merged);
    }
  };
  return html`<section class="card" aria-label=${t("customer.merge")}>
    <h2>${t("customer.merge")}</h2>
    <p class="hint">${t("customer.merge_hint")}</p>
    <input type="search" aria-label=${t("customer.merge_search")} placeholder=${t("customer.merge_search")}
      value=${q} onInput=${(e) => setQ(e.target.value)} />
    <${ErrorBox} error=${results.error} />
    <ul class="candidates">
      ${query && candidates.map(
        (c) => html`<li key=${c.id}>
          <a href=${`#/customers/${c.id}`}>${c.name}</a>
          <span class="muted">${c.identities.map(identityText).join(" · ")}</span>
          <${ConfirmButton} label=${t("customer.merge_this")} onConfirm=${() => doMerge(c)} disabled=${merge.busy} />
        </li>`,
      )}
    </ul>
    ${query && !results.loading && candidates.length === 0 && html`<p class="muted">${t("common.empty")}</p>`}
    <${ErrorBox} error=${merge.error} />
    <${Notice} text=${merge.notice} />
  </section>`;
}

function History({ customerId, version }) {
  const events = useLoad(() => api.get(`/customers/${customerId}/history`, { limit: 100 }), [customerId, version]);
  return html`<section class="card" aria-label=${t("customer.history")}>
    <h2>${t("customer.history")}</h2>
    <${ErrorBox} error=${events.error} />
    ${events.data && events.data.length === 0 && html`<p class="muted">${t("common.empty")}</p>`}
    <ol class="history">
      ${(events.data || []).map(
        (ev) => html`<li key=${ev.seq}>
          <details>
            <summary><span class="muted">${fmtTime(ev.created_at)}</span> <code>${ev.kind}</code></summary>
            <${JsonView} value=${ev.payload} />
          </details>
        </li>`,
      )}
    </ol>
  </section>`;
}

export function CustomerPage({ id }) {
  const customer = useLoad(() => api.get(`/customers/${id}`), [id]);
  const tenant = useTenant();
  // Bumped on every change so the history shows it without a page reload.
  const [version, setVersion] = useState(0);
  const changed = (updated) => {
    customer.set(updated);
    setVersion((v) => v + 1);
  };
  if (customer.error) return html`<div class="error" role="alert">${errorText(customer.error)}</div>`;
  if (!customer.data) return html`<p class="muted">${t("common.loading")}</p>`;
  const c = customer.data;
  const tiers = tenant.data ? tenant.data.settings.tiers : [c.tier];
  return html`<section>
    <${PageHead} title=${c.name}>
      <a href="#/customers">${t("common.back_to_list")}</a>
    <//>
    ${c.merged_into && html`<div class="notice">${t("customer.was_merged")}${" "}
      <a href=${`#/customers/${c.merged_into}`}>${t("customer.open_survivor")}</a></div>`}
    <div class="grid">
      <${ProfileForm} customer=${c} tiers=${tiers} onSaved=${changed} />
      <div class="stack">
        <${Identities} customer=${c} onChange=${changed} />
        <${Merge} customer=${c} onMerged=${changed} />
      </div>
    </div>
    <${History} customerId=${c.id} version=${version} />
  </section>`;
}
