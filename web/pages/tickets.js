// The ticket list (工单): views as tabs (mine, unassigned, breaching soon, all open,
// solved/closed), a search
// box that also takes "#1001", newest first with "load more", and the New ticket form.
import { html, useState } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { usePaged, LoadMore, useDebounced, fmtTime, PageHead } from "../ui.js";
import { useGroups, useUsers, namer } from "../lookups.js";
import { OPEN_STATUSES, StatusBadge, PriorityLabel, CustomerName, ticketNumber } from "../ticket-rules.js";
import { NewTicketForm } from "./ticket-new.js";

const VIEWS = [
  { key: "mine", params: { assignee: "me", status: OPEN_STATUSES.join(",") } },
  { key: "unassigned", params: { status: "new" } },
  // An SLA target due within the hour, or already breached and still running.
  { key: "breaching", params: { sla: "breaching", status: OPEN_STATUSES.join(",") } },
  { key: "open", params: { status: OPEN_STATUSES.join(",") } },
  { key: "done", params: { status: "solved,closed" } },
];

// The view survives a trip to a ticket and back (the page remounts on every route change).
let lastView = "mine";

function ViewTabs({ view, onPick }) {
  return html`<div class="tabs" role="tablist" aria-label=${t("tickets.views")}>
    ${VIEWS.map(
      ({ key }) => html`<button type="button" role="tab" key=${key} aria-selected=${key === view ? "true" : "false"}
        class=${key === view ? "active" : ""} onClick=${() => onPick(key)}>${t(`tickets.view.${key}`)}</button>`,
    )}
  </div>`;
}

function TicketRow({ ticket: tk, userName, groupName }) {
  const href = `#/tickets/${tk.id}`;
  return html`<tr class=${`priority-row-${tk.priority}`}>
    <td><a href=${href}>${ticketNumber(tk)}</a></td>
    <td><a href=${href}>${tk.subject}</a></td>
    <td><${CustomerName} id=${tk.requester_id} /></td>
    <td><${StatusBadge} status=${tk.status} /></td>
    <td><${PriorityLabel} priority=${tk.priority} /></td>
    <td>${tk.assignee_id ? userName(tk.assignee_id) : html`<span class="muted">${t("tickets.unassigned")}</span>`}</td>
    <td>${tk.group_id ? groupName(tk.group_id) : ""}</td>
    <td class="muted">${fmtTime(tk.updated_at)}</td>
  </tr>`;
}

export function TicketsPage() {
  const [view, setView] = useState(lastView);
  const [q, setQ] = useState("");
  const [creating, setCreating] = useState(false);
  const query = useDebounced(q.trim());
  const users = useUsers();
  const groups = useGroups();
  const userName = namer(users.data, "display_name");
  const groupName = namer(groups.data);
  // A "#1001" query finds that ticket whatever the view (the server ignores the filters then).
  const params = VIEWS.find((v) => v.key === view).params;
  const paged = usePaged((cursor) => api.get("/tickets", { ...params, q: query, cursor }), [view, query]);
  const pick = (key) => {
    lastView = key;
    setView(key);
  };
  return html`<section>
    <${PageHead} title=${t("nav.tickets")}>
      ${!creating && html`<button type="button" class="primary" onClick=${() => setCreating(true)}>
        ${t("tickets.new")}</button>`}
    <//>
    ${creating && html`<${NewTicketForm} groups=${groups.data || []} onCancel=${() => setCreating(false)} />`}
    <div class="filters">
      <${ViewTabs} view=${view} onPick=${pick} />
      <input type="search" aria-label=${t("common.search")} placeholder=${t("tickets.search")}
        value=${q} onInput=${(e) => setQ(e.target.value)} />
    </div>
    <table class="list tickets">
      <thead><tr>
        <th>${t("tickets.number")}</th><th>${t("tickets.subject")}</th><th>${t("tickets.requester")}</th>
        <th>${t("tickets.status")}</th><th>${t("tickets.priority")}</th><th>${t("tickets.assignee")}</th>
        <th>${t("tickets.group")}</th><th>${t("tickets.updated")}</th>
      </tr></thead>
      <tbody>
        ${paged.items.map(
          (tk) => html`<${TicketRow} key=${tk.id} ticket=${tk} userName=${userName} groupName=${groupName} />`,
        )}
      </tbody>
    </table>
    <${LoadMore} paged=${paged} />
  </section>`;
}
