// The customer list: search, tier and tag filters, load more, and the form that creates a
// customer (optionally with a first identity) and opens it.
import { html, useState } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import {
  navigate, Field, FieldSet, ChipInput, usePaged, LoadMore, useAction, useDebounced, fieldError,
  PageHead, FormFoot,
} from "../ui.js";
import { useTenant } from "../lookups.js";

export const IDENTITY_KINDS = ["phone", "email", "wechat_openid", "app_user_id", "web_visitor_id"];

export const identityText = (i) => `${t(`identity.${i.kind}`)}: ${i.value}`;

export function TierSelect({ tiers, value, onChange, label, anyLabel }) {
  return html`<select aria-label=${label} name="tier" value=${value} onChange=${(e) => onChange(e.target.value)}>
    ${anyLabel && html`<option value="">${anyLabel}</option>`}
    ${tiers.map((tier) => html`<option key=${tier} value=${tier}>${tier}</option>`)}
  </select>`;
}

function CreateCustomer({ tiers, onCancel }) {
  const [draft, setDraft] = useState({ name: "", company: "", tier: "", tags: [], kind: "phone", value: "" });
  const save = useAction();
  const set = (key) => (e) => setDraft({ ...draft, [key]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const body = { name: draft.name, tags: draft.tags };
    if (draft.company.trim()) body.company = draft.company;
    if (draft.tier) body.tier = draft.tier;
    if (draft.value.trim()) body.identities = [{ kind: draft.kind, value: draft.value }];
    const created = await save.run(() => api.post("/customers", body));
    if (created) navigate(`#/customers/${created.id}`);
  };
  return html`<form class="card form" onSubmit=${submit} aria-label=${t("customers.new")}>
    <h2>${t("customers.new")}</h2>
    <${Field} label=${t("customers.name")} error=${fieldError(save.error, "name")}>
      <input name="name" required value=${draft.name} onInput=${set("name")} />
    <//>
    <${Field} label=${t("customers.company")} error=${fieldError(save.error, "company")}>
      <input name="company" value=${draft.company} onInput=${set("company")} />
    <//>
    <${Field} label=${t("customers.tier")} error=${fieldError(save.error, "tier")}>
      <${TierSelect} tiers=${tiers} value=${draft.tier} label=${t("customers.tier")}
        anyLabel=${t("customers.lowest_tier")} onChange=${(tier) => setDraft({ ...draft, tier })} />
    <//>
    <${FieldSet} legend=${t("customers.tags")} error=${fieldError(save.error, "tags")}>
      <${ChipInput} label=${t("customers.tags")} value=${draft.tags} onChange=${(tags) => setDraft({ ...draft, tags })} />
    <//>
    <${FieldSet} legend=${t("customers.first_identity")} error=${fieldError(save.error, "identities")}>
      <div class="row">
        <select aria-label=${t("customers.identity_kind")} value=${draft.kind} onChange=${set("kind")}>
          ${IDENTITY_KINDS.map((k) => html`<option key=${k} value=${k}>${t(`identity.${k}`)}</option>`)}
        </select>
        <input aria-label=${t("customers.identity_value")} value=${draft.value} onInput=${set("value")} />
      </div>
    <//>
    <${FormFoot} action=${save} label=${t("common.create")}>
      <button type="button" onClick=${onCancel}>${t("common.cancel")}</button>
    <//>
  </form>`;
}

export function CustomersPage() {
  const [filters, setFilters] = useState({ q: "", tier: "", tag: "" });
  const [creating, setCreating] = useState(false);
  const q = useDebounced(filters.q);
  const tag = useDebounced(filters.tag);
  const tenant = useTenant();
  const tiers = tenant.data ? tenant.data.settings.tiers : [];
  const paged = usePaged((cursor) => api.get("/customers", { q, tag, tier: filters.tier, cursor }), [q, tag, filters.tier]);
  const set = (key) => (e) => setFilters({ ...filters, [key]: e.target.value });
  return html`<section>
    <${PageHead} title=${t("nav.customers")}>
      ${!creating && html`<button type="button" class="primary" onClick=${() => setCreating(true)}>
        ${t("customers.new")}</button>`}
    <//>
    ${creating && html`<${CreateCustomer} tiers=${tiers} onCancel=${() => setCreating(false)} />`}
    <div class="filters">
      <input type="search" aria-label=${t("common.search")} placeholder=${t("customers.search")}
        value=${filters.q} onInput=${set("q")} />
      <${TierSelect} tiers=${tiers} value=${filters.tier} label=${t("customers.tier")}
        anyLabel=${t("customers.any_tier")} onChange=${(tier) => setFilters({ ...filters, tier })} />
      <input aria-label=${t("customers.tag")} placeholder=${t("customers.tag")} value=${filters.tag}
        onInput=${set("tag")} />
    </div>
    <table class="list">
      <thead><tr>
        <th>${t("customers.name")}</th><th>${t("customers.company")}</th><th>${t("customers.tier")}</th>
        <th>${t("customers.tags")}</th><th>${t("customers.identities")}</th>
      </tr></thead>
      <tbody>
        ${paged.items.map(
          (c) => html`<tr key=${c.id}>
            <td><a href=${`#/customers/${c.id}`}>${c.name}</a></td>
            <td>${c.company}</td>
            <td><span class=${`tier tier-${c.tier}`}>${c.tier}</span></td>
            <td>${c.tags.map((tg) => html`<span class="chip small" key=${tg}>${tg}</span>`)}</td>
            <td>${c.identities.map(identityText).join(" · ")}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    <${LoadMore} paged=${paged} />
  </section>`;
}
