// The customer beside the open conversation: tier, tags and identities, contact details left
// unverified in the pre-chat form, the editable profile and custom attributes, and the
// customer's other conversations (any channel; one click opens them) and tickets.
import { html } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { ErrorBox, useLoad, fmtTime } from "./ui.js";
import { useTenant } from "./lookups.js";
import { ProfileForm } from "./pages/customer.js";
import { identityText } from "./pages/customers.js";
import { StatusBadge, ticketNumber } from "./ticket-rules.js";

const UNVERIFIED = ["unverified_phone", "unverified_email", "possible_match"];

function Unverified({ attributes }) {
  const left = UNVERIFIED.filter((key) => attributes?.[key] != null);
  if (left.length === 0) return null;
  return html`<div class="notice" role="note">
    <strong>${t("panel.unverified")}</strong>
    <ul>
      ${left.map((key) => html`<li key=${key}>${t(`panel.${key}`)}: ${String(attributes[key])}</li>`)}
    </ul>
  </div>`;
}

function OtherConversations({ customerId, currentId, onOpen }) {
  const list = useLoad(() => api.get("/conversations", { customer_id: customerId, limit: 20 }), [customerId]);
  const others = (list.data?.items || []).filter((c) => c.id !== currentId);
  return html`<section aria-label=${t("panel.conversations")}>
    <h3>${t("panel.conversations")}</h3>
    <${ErrorBox} error=${list.error} />
    ${list.data && others.length === 0 && html`<p class="muted">${t("panel.first_contact")}</p>`}
    <ul class="plain">
      ${others.map(
        (c) => html`<li key=${c.id}>
          <button type="button" class="link" onClick=${() => onOpen(c.id)}>
            ${fmtTime(c.created_at)} · ${t(`conversations.status.${c.status}`)}${c.topic ? ` · ${c.topic}` : ""}
          </button>
        </li>`,
      )}
    </ul>
  </section>`;
}

function Tickets({ customerId }) {
  // Agents without ticket access simply see none.
  const list = useLoad(
    () => api.get("/tickets", { requester_id: customerId, limit: 10 }).catch(() => ({ items: [] })),
    [customerId],
  );
  const items = list.data?.items || [];
  return html`<section aria-label=${t("panel.tickets")}>
    <h3>${t("panel.tickets")}</h3>
    ${list.data && items.length === 0 && html`<p class="muted">${t("common.empty")}</p>`}
    <ul class="plain">
      ${items.map(
        (tk) => html`<li key=${tk.id}>
          <a href=${`#/tickets/${tk.id}`}>${ticketNumber(tk)} ${tk.subject}</a> <${StatusBadge} status=${tk.status} />
        </li>`,
      )}
    </ul>
  </section>`;
}

export function CustomerPanel({ customerId, conversationId, onOpen }) {
  const customer = useLoad(() => api.get(`/customers/${customerId}`), [customerId]);
  const tenant = useTenant();
  const c = customer.data;
  return html`<aside class="card customer-panel" aria-label=${t("panel.title")}>
    <h2>${t("panel.title")}</h2>
    <${ErrorBox} error=${customer.error} />
    ${!c && !customer.error && html`<p class="muted">${t("common.loading")}</p>`}
    ${c &&
    html`<div class="stack">
      <p>
        <a href=${`#/customers/${c.id}`}>${c.name}</a>
        <span class="badge">${c.tier}</span>
        ${c.tags.map((tag) => html` <span class="chip small" key=${tag}>${tag}</span>`)}
      </p>
      <ul class="plain muted" aria-label=${t("panel.identities")}>
        ${c.identities.map((i) => html`<li key=${`${i.kind}:${i.value}`}>${identityText(i)}</li>`)}
      </ul>
      <${Unverified} attributes=${c.attributes} />
      <${ProfileForm} customer=${c} tiers=${tenant.data ? tenant.data.settings.tiers : [c.tier]}
        onSaved=${(updated) => customer.set(updated)} />
      <${OtherConversations} customerId=${c.id} currentId=${conversationId} onOpen=${onOpen} />
      <${Tickets} customerId=${c.id} />
    </div>`}
  </aside>`;
}
