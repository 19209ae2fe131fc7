// SLA warnings and breaches for the signed-in user, wherever they are in the app: the server
// logs each once naming who is to be told (ticket.sla_warning / ticket.sla_breached); those
// naming this user pop up as a notice linking to the ticket, with a chime and a notification.
import { html, useState } from "./lib.js";
import { t } from "./i18n.js";
import { useStream } from "./stream.js";
import { chime, notify } from "./alerts.js";

const KINDS = { "ticket.sla_warning": "warning", "ticket.sla_breached": "breach" };

export function SlaAlerts({ session }) {
  const [alerts, setAlerts] = useState([]);
  const me = session.user.id;
  useStream((frame) => {
    const kind = KINDS[frame.kind];
    const p = frame.payload || {};
    if (!kind || !(p.notify || []).includes(me)) return;
    const text = t(`sla.alert.${kind}`, { number: p.number, target: t(`sla.target.${p.target}`) });
    setAlerts((old) => [...old.filter((a) => a.seq !== frame.seq), { seq: frame.seq, kind, text, ticket: p.ticket_id }]);
    chime();
    notify(text, p.policy || "", `sla-${p.ticket_id}-${p.target}-${kind}`);
  });
  if (alerts.length === 0) return null;
  const dismiss = (seq) => setAlerts((old) => old.filter((a) => a.seq !== seq));
  return html`<ul class="sla-alerts" aria-label=${t("sla.alerts")}>
    ${alerts.map(
      (a) => html`<li key=${a.seq} role="alert" class=${`sla-alert sla-alert-${a.kind}`}>
        <a href=${`#/tickets/${a.ticket}`} onClick=${() => dismiss(a.seq)}>${a.text}</a>
        <button type="button" class="link" aria-label=${t("common.close")} onClick=${() => dismiss(a.seq)}>×</button>
      </li>`,
    )}
  </ul>`;
}
