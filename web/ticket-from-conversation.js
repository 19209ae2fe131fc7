// "Create ticket" on a conversation: carries it on as a ticket (the server copies the
// transcript, notes left out, and links back) and opens that ticket.
import { html } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { navigate, useAction, ErrorBox } from "./ui.js";

// Being served or finished: a waiting one is better taken first than parked as a ticket.
const TICKETABLE = ["assigned", "wrap_up", "resolved"];

export function CreateTicketButton({ conversation }) {
  const create = useAction();
  if (!TICKETABLE.includes(conversation.status)) return null;
  const run = async () => {
    const ticket = await create.run(() => api.post(`/conversations/${conversation.id}/ticket`, {}));
    if (ticket) navigate(`#/tickets/${ticket.id}`);
  };
  return html`<button type="button" disabled=${create.busy} onClick=${run}>${t("tickets.create_from_conversation")}</button>
    <${ErrorBox} error=${create.error} />`;
}
