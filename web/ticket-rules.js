// What the ticket screens share: statuses, priorities and types with their labels, the status
// moves the lifecycle allows (kefu-core's can_move_to), badges, and customer names by id.
import { html, useState, useEffect } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";

export const STATUSES = ["new", "open", "pending_customer", "pending_internal", "on_hold", "solved", "closed"];
export const OPEN_STATUSES = STATUSES.filter((s) => s !== "solved" && s !== "closed");
export const PRIORITIES = ["low", "normal", "high", "urgent"];
export const TYPES = ["question", "incident", "problem", "task", "complaint", "suggestion"];

/**
 * Mirrors TicketStatus::can_move_to, so the status picker offers only moves the server
 * accepts: nothing goes back to new, closed is final, solved reopens or closes, and anything
 * else goes anywhere except new and closed (a ticket is solved before it closes).
 */
export function canMoveTo(from, to) {
  if (to === "new" || from === "closed" || from === to) return false;
  if (from === "solved") return to === "open" || to === "closed";
  return to !== "closed";
}

/** The current status first, then where it may go, in lifecycle order. */
export const statusChoices = (from) => [from, ...STATUSES.filter((to) => canMoveTo(from, to))];

export const ticketNumber = (ticket) => `#${ticket.number}`;

export function StatusBadge({ status }) {
  return html`<span class=${`badge ticket-status ticket-${status}`}>${t(`ticket.status.${status}`)}</span>`;
}

export function PriorityLabel({ priority }) {
  return html`<span class=${`priority priority-${priority}`}>${t(`ticket.priority.${priority}`)}</span>`;
}

// One request per customer per page load, shared by every row and panel that names them.
const customerNames = new Map();

/** The customer's name, or null while loading (the id itself if it cannot be read). */
export function useCustomerName(id) {
  const cached = customerNames.get(id);
  const [name, setName] = useState(typeof cached === "string" ? cached : null);
  useEffect(() => {
    if (!id) return;
    if (!customerNames.has(id)) {
      customerNames.set(id, api.get(`/customers/${id}`).then((c) => c.name, () => id));
    }
    let live = true;
    Promise.resolve(customerNames.get(id)).then((n) => {
      customerNames.set(id, n);
      if (live) setName(n);
    });
    return () => {
      live = false;
    };
  }, [id]);
  return name;
}

export function CustomerName({ id }) {
  const name = useCustomerName(id);
  return html`<span>${name ?? t("common.loading")}</span>`;
}
