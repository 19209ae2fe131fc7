// Ticket alerts for the signed-in user, wherever they are in the app: SLA warnings and breaches
// (logged once, naming who is to be told), internal notes that @mention them, triggers that
// notify them and changes to tickets they follow pop up as a notice linking to the ticket,
// with a chime and a desktop notification.
import { html, useState } from "./lib.js";
import { t } from "./i18n.js";
import { useStream } from "./stream.js";
import { chime, notify } from "./alerts.js";

const KINDS = { "ticket.sla_warning": "warning", "ticket.sla_breached": "breach" };

/** What to say about the event, or null when it is not for `me`. */
function alertOf(frame, me) {
  const p = frame.payload || {};
  const kind = KINDS[frame.kind];
  if (kind && (p.notify || []).includes(me)) {
    return { kind, ticket: p.ticket_id, tag: `sla-${p.ticket_id}-${p.target}-${kind}`,
      text: t(`sla.alert.${kind}`, { number: p.number, target: t(`sla.target.${p.target}`) }) };
  }
  if (frame.kind === "trigger.fired" && (p.notify || []).includes(me)) {
    return { kind: "trigger", ticket: p.ticket_id, tag: `trigger-${frame.seq}`,
      text: t("tickets.alert.trigger", { name: p.trigger?.name, number: p.number }) };
  }
  if (frame.kind === "ticket.comment_added" && (p.mentions || []).includes(me)) {
    return { kind: "mention", ticket: frame.entity_id, tag: `mention-${p.comment?.id}`,
      text: t("tickets.alert.mention", { number: p.number }) };
  }
  // Followers are named in `notify` the same way, on public replies, the customer's answers
  // status changes and merges (told on the ticket that remains).
  if (!(p.notify || []).includes(me)) return null;
  if (frame.kind === "ticket.comment_added") {
    const who = p.comment?.author_kind === "customer" ? "customer" : "reply";
    return { kind: "follow", ticket: frame.entity_id, tag: `follow-${p.comment?.id}`,
      text: t(`tickets.alert.follow.${who}`, { number: p.number }) };
  }
  if (frame.kind === "ticket.merged" && p.from) {
    return { kind: "follow", ticket: frame.entity_id, tag: `follow-${frame.seq}`,
      text: t("tickets.alert.follow.merged", { from: p.from.number }) };
  }
  if (frame.kind === "ticket.updated" && p.ticket) {
    return { kind: "follow", ticket: frame.entity_id, tag: `follow-${frame.seq}`,
      text: t("tickets.alert.follow.status", { number: p.ticket.number, status: t(`ticket.status.${p.ticket.status}`) }) };
  }
  return null;
}

export function TicketAlerts({ session }) {
  const [alerts, setAlerts] = useState([]);
  const me = session.user.id;
  useStream((frame) => {
    const alert = alertOf(frame, me);
    if (!alert) return;
    setAlerts((old) => [...old.filter((a) => a.seq !== frame.seq), { seq: frame.seq, ...alert }]);
    chime();
    notify(alert.text, "", alert.tag);
  });
  if (alerts.length === 0) return null;
  const dismiss = (seq) => setAlerts((old) => old.filter((a) => a.seq !== seq));
  return html`<ul class="sla-alerts" aria-label=${t("tickets.alerts")}>
    ${alerts.map(
      (a) => html`<li key=${a.seq} role="alert" class=${`sla-alert sla-alert-${a.kind}`}>
        <a href=${`#/tickets/${a.ticket}`} onClick=${() => dismiss(a.seq)}>${a.text}</a>
        <button type="button" class="link" aria-label=${t("common.close")} onClick=${() => dismiss(a.seq)}>×</button>
      </li>`,
    )}
  </ul>`;
}
