// One ticket: its number and subject, the description, comments oldest first (internal notes
// set apart, public replies marked as sent), a composer, the side panel of fields, and for
// email tickets the mails in and out with their source and the files they brought, and the SLA
// targets of the policy that applies (due times, paused, met or breached), its links (parent,
// children, sub-tasks, merge, and ticked comments split off; see ticket-links.js), its
// followers, CC and linked conversations (ticket-followers.js), and the customer's status link. It follows the event stream, so a colleague's change or the
// customer's answer shows without a reload.
import { html, useState, useRef, useEffect } from "../lib.js";
import { useStream } from "../stream.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, PageHead, useLoad, useAction, errorText, fmtTime, allPages } from "../ui.js";
import { useGroups, useUsers, namer } from "../lookups.js";
import { StatusBadge, ticketNumber, useCustomerName } from "../ticket-rules.js";
import { TicketFields } from "./ticket-fields.js";
import { LinkBanner, LinksPanel, SplitForm } from "../ticket-links.js";
import { FollowersPanel, CcPanel, ConversationsPanel } from "../ticket-followers.js";

const fileUrl = (ticket, f) =>
  `/api/v1/tickets/${encodeURIComponent(ticket)}/files/${encodeURIComponent(f.id)}`;
const isPicture = (f) => ["image/png", "image/jpeg", "image/gif", "image/webp"].includes(f.content_type);

/** A comment's files: pictures as thumbnails, everything as a download link. */
function CommentFiles({ comment: c }) {
  const files = c.attachments || [];
  if (files.length === 0) return null;
  return html`<ul class="comment-files plain" aria-label=${t("tickets.attachments")}>
    ${files.map(
      (f) => html`<li key=${f.id}>
        ${isPicture(f) &&
        html`<a href=${fileUrl(c.ticket_id, f)} target="_blank" rel="noopener"><img class="thumb" src=${fileUrl(c.ticket_id, f)}
          alt=${f.name} loading="lazy" style="max-width:160px;max-height:120px" /></a><br />`}
        <a href=${fileUrl(c.ticket_id, f)} download=${f.name}>${f.name}</a> <span class="muted">${f.size} B</span>
      </li>`,
    )}
  </ul>`;
}

function CommentItem({ comment: c, userName, requesterName, me, ticked, onTick }) {
  let who = t(`tickets.author.${c.author_kind}`);
  if (c.author_kind === "agent" && c.author_id) who = c.author_id === me ? t("conversations.sender.you") : userName(c.author_id);
  if (c.author_kind === "customer") who = requesterName || who;
  return html`<li class=${`comment ${c.public ? "comment-public" : "comment-note"}`} data-public=${String(c.public)}>
    <div class="msg-head">
      ${onTick && html`<input type="checkbox" aria-label=${t("links.tick_comment")} checked=${ticked}
        onChange=${(e) => onTick(c.id, e.target.checked)} />`}
      <strong>${who}</strong>
      <span class="badge">${c.public ? t("tickets.sent_to_customer") : t("tickets.internal_note")}</span>
      <span class="muted">${fmtTime(c.created_at)}</span>
    </div>
    <div class="msg-body">${c.body}</div>
    <${CommentFiles} comment=${c} />
  </li>`;
}

function Composer({ ticket, onSent }) {
  const [body, setBody] = useState("");
  // An internal note unless the agent says otherwise: a slip then stays inside the team.
  const [isPublic, setPublic] = useState(false);
  const send = useAction();
  const busy = useRef(false);
  // Files are uploaded first, then named in the comment (a public reply mails them along).
  const [files, setFiles] = useState([]);
  const fileInput = useRef(null);
  const submit = async (e) => {
    e.preventDefault();
    if (!body.trim() || busy.current) return;
    busy.current = true;
    const comment = await send.run(async () => {
      const attachment_ids = [];
      for (const file of files) {
        const uploaded = await api.upload(`/tickets/${ticket.id}/files`, file);
        attachment_ids.push(uploaded.id);
      }
      return api.post(`/tickets/${ticket.id}/comments`, { body, public: isPublic, attachment_ids });
    });
    busy.current = false;
    if (comment) {
      setBody("");
      setFiles([]);
      if (fileInput.current) fileInput.current.value = "";
      onSent(comment);
    }
  };
  const label = isPublic ? t("tickets.reply_placeholder") : t("tickets.note_placeholder");
  return html`<form class=${`reply${isPublic ? "" : " as-note"}`} onSubmit=${submit} aria-label=${t("tickets.composer")}>
    <div class="row" role="radiogroup" aria-label=${t("tickets.comment_kind")}>
      <label class="inline"><input type="radio" name="comment-kind" checked=${isPublic}
        onChange=${() => setPublic(true)} />${t("tickets.public_reply")}</label>
      <label class="inline"><input type="radio" name="comment-kind" checked=${!isPublic}
        onChange=${() => setPublic(false)} />${t("tickets.internal_note")}</label>
    </div>
    <textarea aria-label=${label} placeholder=${label} value=${body} rows="4"
      onInput=${(e) => setBody(e.target.value)}
      onKeyDown=${(e) => e.key === "Enter" && (e.ctrlKey || e.metaKey) && submit(e)} />
    <label class="inline">${t("tickets.attach")}
      <input type="file" multiple ref=${fileInput} aria-label=${t("tickets.attach")}
        onChange=${(e) => setFiles(Array.from(e.target.files || []).slice(0, 10))} /></label>
    <div class="actions">
      <small class="hint grow">${t("tickets.ctrl_enter")}${isPublic ? "" : ` ${t("tickets.mention_hint")}`}</small>
      <button type="submit" class="primary" disabled=${send.busy || !body.trim()}>
        ${isPublic ? t("tickets.send_reply") : t("tickets.add_note")}
      </button>
    </div>
    <${ErrorBox} error=${send.error} />
  </form>`;
}

function Comments({ ticket, version, userName, requesterName, me, onSplit }) {
  const comments = useLoad(
    () => allPages((cursor) => api.get(`/tickets/${ticket.id}/comments`, { cursor, limit: 200 })),
    [ticket.id, version],
  );
  // Ticked comments, for splitting them off into a new ticket (not on a closed one).
  const [ticked, setTicked] = useState([]);
  const tick = (id, on) => setTicked((list) => (on ? [...list, id] : list.filter((x) => x !== id)));
  const onTick = ticket.status === "closed" ? null : tick;
  const items = comments.data || [];
  return html`<section class="card" aria-label=${t("tickets.comments")}>
    <h2>${t("tickets.comments")} <span class="badge">${items.length}</span></h2>
    <${ErrorBox} error=${comments.error} />
    <ol class="comments">
      ${items.map(
        (c) => html`<${CommentItem} key=${c.id} comment=${c} userName=${userName} requesterName=${requesterName} me=${me}
          ticked=${ticked.includes(c.id)} onTick=${onTick} />`,
      )}
    </ol>
    <${SplitForm} ticket=${ticket} selected=${ticked.filter((id) => items.some((c) => c.id === id))}
      onDone=${(created) => { setTicked([]); onSplit(created); }} />
    ${comments.data && items.length === 0 && html`<p class="muted">${t("tickets.no_comments")}</p>`}
  </section>`;
}

/** An email ticket's mails (in and out, with their raw source) and the files that came with them. */
function Mails({ ticket, version }) {
  const mails = useLoad(() => api.get(`/tickets/${ticket.id}/mails`), [ticket.id, version]);
  if (mails.error) return html`<${ErrorBox} error=${mails.error} />`;
  if (!mails.data) return null;
  const base = `/api/v1/tickets/${encodeURIComponent(ticket.id)}/files/`;
  return html`<section class="card" aria-label=${t("tickets.mails")}>
    <h2>${t("tickets.mails")} <span class="badge">${mails.data.mails.length}</span></h2>
    <ul class="mails">
      ${mails.data.mails.map(
        (m) => html`<li key=${m.id}>
          <span class="badge">${t(m.direction === "inbound" ? "tickets.mail_in" : "tickets.mail_out")}</span>
          ${" "}${m.from_address} · ${m.subject} <span class="muted">${fmtTime(m.created_at)}</span>
          ${m.kind !== "normal" && html` <span class="badge">${m.kind}</span>`}
          ${m.direction === "inbound" &&
          html` <a href=${`/api/v1/mails/${encodeURIComponent(m.id)}/raw`} download>${t("tickets.mail_raw")}</a>`}
        </li>`,
      )}
    </ul>
    ${mails.data.files.length > 0 &&
    html`<h3>${t("tickets.mail_files")}</h3>
      <ul>
        ${mails.data.files.map(
          (f) => html`<li key=${f.id}><a href=${base + encodeURIComponent(f.id)} download=${f.name}>${f.name}</a>
            <span class="muted">${f.size} B</span></li>`,
        )}
      </ul>`}
  </section>`;
}

const SLA_POLL_MS = 3000;

/** "in 12 min" / "5 min overdue", from now to `at`. */
function untilText(at) {
  const minutes = Math.round((Date.parse(at) - Date.now()) / 60000);
  return minutes >= 0 ? t("sla.due_in", { n: minutes }) : t("sla.overdue", { n: -minutes });
}

function SlaPanel({ ticket }) {
  const sla = useLoad(() => api.get(`/tickets/${ticket.id}/sla`), [ticket.id, ticket.updated_at]);
  // The server recomputes targets a moment after each change and as due times pass; a
  // quiet poll keeps the panel and its "due in" current without a reload.
  useEffect(() => {
    const timer = setInterval(() => sla.reload(), SLA_POLL_MS);
    return () => clearInterval(timer);
  }, [ticket.id]);
  const targets = sla.data?.targets || [];
  if (sla.error) return html`<${ErrorBox} error=${sla.error} />`;
  if (targets.length === 0) return null;
  return html`<section class="card" aria-label=${t("sla.title")}>
    <h2>${t("sla.title")} <span class="muted small">${targets[0].policy}</span></h2>
    <ul class="plain sla-targets">
      ${targets.map(
        (x) => html`<li key=${x.target} data-target=${x.target} data-state=${x.state}>
          <strong>${t(`sla.target.${x.target}`)}</strong>
          <span class=${`badge sla-${x.state}`}>${t(`sla.state.${x.state}`)}</span>
          ${x.state === "active" && x.due_at && html` <span class="muted">${fmtTime(x.due_at)} · ${untilText(x.due_at)}</span>`}
          ${x.state === "breached" && x.breached_at && html` <span class="muted">${fmtTime(x.breached_at)}</span>`}
          ${x.state === "met" && x.completed_at && html` <span class="muted">${fmtTime(x.completed_at)}</span>`}
        </li>`,
      )}
    </ul>
  </section>`;
}

/** The link that lets the requester follow the ticket without an account (/t/{token}). */
function StatusLinkBox({ ticket }) {
  const link = useLoad(() => api.get(`/tickets/${ticket.id}/status-link`), [ticket.id]);
  const [copied, setCopied] = useState(false);
  if (!link.data) return html`<${ErrorBox} error=${link.error} />`;
  const url = link.data.url || location.origin + link.data.path;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      // No clipboard (plain http, or refused): the link stays selectable in the box.
    }
  };
  return html`<section class="card" aria-label=${t("tickets.status_link")}>
    <h2>${t("tickets.status_link")}</h2>
    <p class="hint">${t("tickets.status_link_hint")}</p>
    <div class="row">
      <input class="grow" readonly value=${url} aria-label=${t("tickets.status_link")} onFocus=${(e) => e.target.select()} />
      <button type="button" onClick=${copy}>${copied ? t("tickets.copied") : t("tickets.copy")}</button>
    </div>
  </section>`;
}

export function TicketPage({ id, session }) {
  const ticket = useLoad(() => api.get(`/tickets/${id}`), [id]);
  const users = useUsers();
  const groups = useGroups();
  // Bumped after a comment: the list reloads, and so does the ticket (a reply can open it).
  const [version, setVersion] = useState(0);
  const requesterName = useCustomerName(ticket.data?.requester_id);
  const refresh = () => {
    setVersion((v) => v + 1);
    ticket.reload();
  };
  // Anyone's change to this ticket (a colleague, a trigger, the customer's mail or answer on the
  // status page) reloads it; so does catching up after a reconnect, but not the first catch-up,
  // which only repeats the load the page just made.
  const caughtUp = useRef(false);
  useStream(
    (frame) => frame.entity_type === "ticket" && frame.entity_id === id && refresh(),
    () => (caughtUp.current ? refresh() : (caughtUp.current = true)),
  );
  if (ticket.error) return html`<div class="error" role="alert">${errorText(ticket.error)}</div>`;
  if (!ticket.data) return html`<p class="muted">${t("common.loading")}</p>`;
  const tk = ticket.data;
  const userName = namer(users.data, "display_name");
  const sent = refresh;
  return html`<section>
    <${PageHead} title=${`${ticketNumber(tk)} ${tk.subject}`}>
      <${StatusBadge} status=${tk.status} />
      <a href="#/tickets">${t("common.back_to_list")}</a>
    <//>
    <${LinkBanner} ticket=${tk} />
    <div class="ticket-layout">
      <div>
        <section class="card" aria-label=${t("tickets.description")}>
          <h2>${t("tickets.description")}</h2>
          <p class="muted">${t("tickets.opened_by", { name: requesterName || "…", when: fmtTime(tk.created_at) })}</p>
          ${tk.description
            ? html`<div class="msg-body ticket-description">${tk.description}</div>`
            : html`<p class="muted">${t("tickets.no_description")}</p>`}
        </section>
        <${SlaPanel} ticket=${tk} />
        <${StatusLinkBox} ticket=${tk} />
        <${Comments} ticket=${tk} version=${version} userName=${userName} requesterName=${requesterName}
          me=${session.user.id} onSplit=${sent} />
        ${tk.channel === "email" && html`<${Mails} ticket=${tk} version=${version} />`}
        ${tk.status === "closed"
          ? html`<p class="notice warn">${t("tickets.closed_final")}</p>`
          : html`<${Composer} key=${tk.id} ticket=${tk} onSent=${sent} />`}
      </div>
      <div>
        <${TicketFields} ticket=${tk} users=${users.data || []} groups=${groups.data || []}
          me=${session.user.id} requesterName=${requesterName} onSaved=${(saved) => ticket.set({ ...tk, ...saved })}
          onStale=${ticket.reload} />
        <${LinksPanel} ticket=${tk} users=${users.data || []} groups=${groups.data || []} version=${version}
          onChanged=${sent} />
        <${FollowersPanel} ticket=${tk} users=${users.data || []} me=${session.user.id} version=${version} />
        <${CcPanel} ticket=${tk} version=${version} />
        <${ConversationsPanel} ticket=${tk} version=${version} />
      </div>
    </div>
  </section>`;
}
