// The ticket list (工单): views as tabs (mine, unassigned, breaching soon, all open,
// solved/closed, then the saved views: shared ones and the agent's own), a search
// box that also takes "#1001", newest first with "load more", ticking rows to change them
// together (status, priority, assign to me), and the New ticket form.
import { html, useState } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import {
  usePaged, LoadMore, useDebounced, fmtTime, PageHead, useAction, ErrorBox, Notice, ConfirmButton,
} from "../ui.js";
import { useGroups, useUsers, namer } from "../lookups.js";
import {
  OPEN_STATUSES, STATUSES, PRIORITIES, StatusBadge, PriorityLabel, CustomerName, ticketNumber,
} from "../ticket-rules.js";
import { NewTicketForm } from "./ticket-new.js";
import { useViews, ViewForm, canChangeView } from "../ticket-views.js";

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

function ViewTabs({ view, saved, onPick }) {
  const tab = (key, label, title) => html`<button type="button" role="tab" key=${key}
    aria-selected=${key === view ? "true" : "false"} class=${key === view ? "active" : ""} title=${title}
    onClick=${() => onPick(key)}>${label}</button>`;
  return html`<div class="tabs" role="tablist" aria-label=${t("tickets.views")}>
    ${VIEWS.map(({ key }) => tab(key, t(`tickets.view.${key}`)))}
    ${saved.map((v) => tab(v.id, v.name, v.shared ? t("views.shared") : t("views.own")))}
  </div>`;
}

/** The change for the ticked tickets; each is changed on its own and refusals are named. */
function BulkBar({ ids, tickets, me, onDone }) {
  const [status, setStatus] = useState("");
  const [priority, setPriority] = useState("");
  const [assign, setAssign] = useState(false);
  const apply = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const patch = {};
    if (status) patch.status = status;
    if (priority) patch.priority = priority;
    if (assign) patch.assignee_id = me;
    const result = await apply.run(() => api.post("/tickets/bulk-update", { ids, patch }));
    if (!result) return;
    const number = (id) => ticketNumber(tickets.find((tk) => tk.id === id) || { number: "?" });
    const refused = result.failed.map((f) => `${number(f.id)} (${f.message})`).join(", ");
    onDone(
      t("tickets.bulk_done", { n: result.updated.length }) +
        (refused ? ` ${t("tickets.bulk_refused", { list: refused })}` : ""),
    );
  };
  const nothing = !status && !priority && !assign;
  return html`<form class="bulk-bar card" role="group" aria-label=${t("tickets.bulk")} onSubmit=${submit}>
    <strong>${t("tickets.bulk_selected", { n: ids.length })}</strong>
    <label class="inline">${t("tickets.status")}
      <select value=${status} onChange=${(e) => setStatus(e.target.value)}>
        <option value="">—</option>
        ${STATUSES.filter((s) => s !== "new").map((s) => html`<option key=${s} value=${s}>${t(`ticket.status.${s}`)}</option>`)}
      </select>
    </label>
    <label class="inline">${t("tickets.priority")}
      <select value=${priority} onChange=${(e) => setPriority(e.target.value)}>
        <option value="">—</option>
        ${PRIORITIES.map((p) => html`<option key=${p} value=${p}>${t(`ticket.priority.${p}`)}</option>`)}
      </select>
    </label>
    <label class="inline"><input type="checkbox" checked=${assign} onChange=${(e) => setAssign(e.target.checked)} />
      ${t("tickets.assign_to_me")}</label>
    <button type="submit" class="primary" disabled=${apply.busy || nothing}>${t("tickets.bulk_apply")}</button>
    <${ErrorBox} error=${apply.error} />
  </form>`;
}

function TicketRow({ ticket: tk, userName, groupName, ticked, onTick }) {
  const href = `#/tickets/${tk.id}`;
  return html`<tr class=${`priority-row-${tk.priority}`}>
    <td><input type="checkbox" checked=${ticked} aria-label=${t("tickets.tick", { number: ticketNumber(tk) })}
      onChange=${(e) => onTick(e.target.checked)} /></td>
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

export function TicketsPage({ session }) {
  const [view, setView] = useState(lastView);
  const [ticked, setTicked] = useState(() => new Set());
  const [notice, setNotice] = useState(null);
  const [q, setQ] = useState("");
  const [creating, setCreating] = useState(false);
  const query = useDebounced(q.trim());
  const users = useUsers();
  const groups = useGroups();
  const userName = namer(users.data, "display_name");
  const groupName = namer(groups.data);
  const views = useViews();
  const saved = views.data || [];
  const savedView = saved.find((v) => v.id === view);
  const [editing, setEditing] = useState(null);
  // A "#1001" query finds that ticket whatever the view (the server ignores the filters then).
  // A saved view that is gone (deleted elsewhere) falls back to the first tab.
  const params = VIEWS.find((v) => v.key === view)?.params || (savedView || !views.data ? { view } : VIEWS[0].params);
  const paged = usePaged((cursor) => api.get("/tickets", { ...params, q: query, cursor }), [JSON.stringify(params), query]);
  const pick = (key) => {
    lastView = key;
    setView(key);
    setTicked(new Set());
  };
  const tick = (id, on) =>
    setTicked((old) => {
      const next = new Set(old);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  return html`<section>
    <${PageHead} title=${t("nav.tickets")}>
      ${!creating && html`<button type="button" class="primary" onClick=${() => setCreating(true)}>
        ${t("tickets.new")}</button>`}
    <//>
    ${creating && html`<${NewTicketForm} groups=${groups.data || []} onCancel=${() => setCreating(false)} />`}
    <div class="filters">
      <${ViewTabs} view=${view} saved=${saved} onPick=${pick} />
      <button type="button" onClick=${() => setEditing("new")}>${t("views.save_new")}</button>
      ${savedView && canChangeView(session.user, savedView) &&
      html`<button type="button" onClick=${() => setEditing(savedView)}>${t("views.edit")}</button>
        <${ConfirmButton} label=${t("views.delete")} onConfirm=${async () => {
          await api.del(`/ticket-views/${savedView.id}`);
          pick("mine");
          views.reload();
        }} />`}
      <input type="search" aria-label=${t("common.search")} placeholder=${t("tickets.search")}
        value=${q} onInput=${(e) => setQ(e.target.value)} />
    </div>
    ${editing &&
    html`<${ViewForm} key=${editing === "new" ? "new" : editing.id} view=${editing === "new" ? null : editing}
      groups=${groups.data || []} user=${session.user} onCancel=${() => setEditing(null)}
      onSaved=${(v) => {
        setEditing(null);
        views.reload();
        pick(v.id);
        paged.reload();
      }} />`}
    ${ticked.size > 0 &&
    html`<${BulkBar} ids=${[...ticked]} tickets=${paged.items} me=${session?.user?.id}
      onDone=${(text) => {
        setNotice(text);
        setTicked(new Set());
        paged.reload();
      }} />`}
    <${Notice} text=${notice} />
    <table class="list tickets">
      <thead><tr>
        <th></th><th>${t("tickets.number")}</th><th>${t("tickets.subject")}</th><th>${t("tickets.requester")}</th>
        <th>${t("tickets.status")}</th><th>${t("tickets.priority")}</th><th>${t("tickets.assignee")}</th>
        <th>${t("tickets.group")}</th><th>${t("tickets.updated")}</th>
      </tr></thead>
      <tbody>
        ${paged.items.map(
          (tk) => html`<${TicketRow} key=${tk.id} ticket=${tk} userName=${userName} groupName=${groupName}
            ticked=${ticked.has(tk.id)} onTick=${(on) => tick(tk.id, on)} />`,
        )}
      </tbody>
    </table>
    <${LoadMore} paged=${paged} />
  </section>`;
}
