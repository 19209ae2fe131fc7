// A ticket's links on its page: the banner of a merged or split-off ticket, the parent and the
// children with their status, and the forms to add a sub-task, link to a parent, merge and split.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { ErrorBox, Field, useLoad, useAction, allPages } from "./ui.js";
import { StatusBadge, ticketNumber } from "./ticket-rules.js";

const KINDS = ["subtask", "incident"];

function TicketLink({ tk }) {
  return html`<a href=${`#/tickets/${tk.id}`}>${ticketNumber(tk)} ${tk.subject}</a>`;
}

/** "Merged into #1001" (or "split from #1001") above everything else on the page. */
export function LinkBanner({ ticket: tk }) {
  return html`${tk.merged_into_ticket &&
    html`<p class="notice warn merged-banner" role="status">
      ${t("links.merged_into")} <${TicketLink} tk=${tk.merged_into_ticket} />
    </p>`}
  ${tk.split_from_ticket &&
    html`<p class="notice" role="status">${t("links.split_from")} <${TicketLink} tk=${tk.split_from_ticket} /></p>`}`;
}

/** The ticket with this number (`#1001` or `1001`), or an error naming it. */
async function byNumber(text) {
  const number = String(text).trim().replace(/^[#＃]/, "");
  const found = await api.get("/tickets", { q: `#${number}` });
  if (!found.items.length) throw new Error(t("links.no_such_ticket", { number }));
  return found.items[0];
}

function SubtaskForm({ ticket, users, groups, onDone }) {
  const [subject, setSubject] = useState("");
  const [groupId, setGroupId] = useState("");
  const [assigneeId, setAssigneeId] = useState("");
  const add = useAction();
  const submit = async (e) => {
    e.preventDefault();
    if (!subject.trim()) return;
    const body = { subject, group_id: groupId || null, assignee_id: assigneeId || null };
    if (await add.run(() => api.post(`/tickets/${ticket.id}/subtasks`, body))) {
      setSubject("");
      onDone();
    }
  };
  return html`<form class="stack" onSubmit=${submit} aria-label=${t("links.add_subtask")}>
    <${Field} label=${t("links.subtask_subject")}>
      <input value=${subject} onInput=${(e) => setSubject(e.target.value)} />
    <//>
    <${Field} label=${t("tickets.group")}>
      <select value=${groupId} onChange=${(e) => setGroupId(e.target.value)}>
        <option value="">${t("tickets.no_group")}</option>
        ${groups.map((g) => html`<option key=${g.id} value=${g.id}>${g.name}</option>`)}
      </select>
    <//>
    <${Field} label=${t("tickets.assignee")}>
      <select value=${assigneeId} onChange=${(e) => setAssigneeId(e.target.value)}>
        <option value="">${t("tickets.unassigned")}</option>
        ${users.map((u) => html`<option key=${u.id} value=${u.id}>${u.display_name}</option>`)}
      </select>
    <//>
    <button type="submit" disabled=${add.busy || !subject.trim()}>${t("links.add_subtask")}</button>
    <${ErrorBox} error=${add.error} />
  </form>`;
}

function ParentForm({ ticket, onDone }) {
  const [number, setNumber] = useState("");
  const [kind, setKind] = useState("subtask");
  const link = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const done = await link.run(async () => {
      const parent = await byNumber(number);
      return api.put(`/tickets/${ticket.id}/parent`, { parent_id: parent.id, kind });
    });
    if (done) {
      setNumber("");
      onDone();
    }
  };
  return html`<form class="row" onSubmit=${submit} aria-label=${t("links.link_parent")}>
    <input aria-label=${t("links.parent_number")} placeholder="#1001" size="8" value=${number}
      onInput=${(e) => setNumber(e.target.value)} />
    <select aria-label=${t("links.kind")} value=${kind} onChange=${(e) => setKind(e.target.value)}>
      ${KINDS.map((k) => html`<option key=${k} value=${k}>${t(`links.kind.${k}`)}</option>`)}
    </select>
    <button type="submit" disabled=${link.busy || !number.trim()}>${t("links.link_parent")}</button>
    <${ErrorBox} error=${link.error} />
  </form>`;
}

function MergeForm({ ticket, onDone }) {
  const [number, setNumber] = useState("");
  const merge = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const done = await merge.run(async () => {
      const target = await byNumber(number);
      const question = t("links.merge_confirm", { source: ticketNumber(ticket), target: ticketNumber(target) });
      if (!window.confirm(question)) return false;
      return api.post(`/tickets/${ticket.id}/merge`, { into: target.id });
    });
    if (done) {
      setNumber("");
      onDone();
    }
  };
  return html`<form class="row" onSubmit=${submit} aria-label=${t("links.merge")}>
    <input aria-label=${t("links.merge_number")} placeholder="#1001" size="8" value=${number}
      onInput=${(e) => setNumber(e.target.value)} />
    <button type="submit" disabled=${merge.busy || !number.trim()}>${t("links.merge")}</button>
    <${ErrorBox} error=${merge.error} />
  </form>`;
}

/** The parent, the children with their status, and the link forms (none on a closed ticket). */
export function LinksPanel({ ticket: tk, users, groups, version, onChanged }) {
  const children = useLoad(
    () => allPages((cursor) => api.get(`/tickets/${tk.id}/children`, { cursor, limit: 200 })),
    [tk.id, tk.updated_at, version],
  );
  const unlink = useAction();
  const remove = async () => {
    if (await unlink.run(() => api.del(`/tickets/${tk.id}/parent`))) onChanged();
  };
  const items = children.data || [];
  const open = tk.status !== "closed";
  // A closed ticket takes no new links: with none to show, the panel would be empty.
  if (!open && !tk.parent && items.length === 0) return null;
  return html`<section class="card ticket-links" aria-label=${t("links.title")}>
    <h2>${t("links.title")}</h2>
    ${tk.parent &&
    html`<p class="parent-link">
      ${t("links.parent")}: <${TicketLink} tk=${tk.parent} /> <${StatusBadge} status=${tk.parent.status} />
      ${" "}<span class="badge">${t(`links.kind.${tk.link_kind}`)}</span>
      ${open && html` <button type="button" class="link" onClick=${remove} disabled=${unlink.busy}>${t("links.unlink")}</button>`}
    </p>`}
    <${ErrorBox} error=${unlink.error || children.error} />
    ${items.length > 0 &&
    html`<h3>${t("links.children")}</h3>
      <ul class="plain children">
        ${items.map(
          (c) => html`<li key=${c.id} data-status=${c.status}>
            <${TicketLink} tk=${c} /> <${StatusBadge} status=${c.status} />
            ${" "}<span class="badge">${t(`links.kind.${c.kind}`)}</span>
          </li>`,
        )}
      </ul>`}
    ${open &&
    html`<details>
        <summary>${t("links.add_subtask")}</summary>
        <${SubtaskForm} ticket=${tk} users=${users} groups=${groups} onDone=${onChanged} />
      </details>
      <details>
        <summary>${t("links.link_parent")}</summary>
        <${ParentForm} ticket=${tk} onDone=${onChanged} />
      </details>
      <details>
        <summary>${t("links.merge")}</summary>
        <${MergeForm} ticket=${tk} onDone=${onChanged} />
      </details>`}
  </section>`;
}

/** Under the comments: the ticked ones go to a new ticket with this subject. */
export function SplitForm({ ticket, selected, onDone }) {
  const [subject, setSubject] = useState("");
  const split = useAction();
  if (selected.length === 0) return null;
  const submit = async (e) => {
    e.preventDefault();
    const created = await split.run(() =>
      api.post(`/tickets/${ticket.id}/split`, { comment_ids: selected, subject }),
    );
    if (created) {
      setSubject("");
      onDone(created);
    }
  };
  return html`<form class="row split-form" onSubmit=${submit} aria-label=${t("links.split")}>
    <span class="muted">${t("links.split_selected", { n: selected.length })}</span>
    <input aria-label=${t("links.split_subject")} placeholder=${t("links.split_subject")} value=${subject}
      onInput=${(e) => setSubject(e.target.value)} />
    <button type="submit" disabled=${split.busy || !subject.trim()}>${t("links.split")}</button>
    <${ErrorBox} error=${split.error} />
  </form>`;
}
