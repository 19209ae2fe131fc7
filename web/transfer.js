// Transfer (转接) of an open conversation: a dialog to hand it to an agent (listed with their
// presence) or to a topic's queue of its inbox, with an optional note for whoever takes it next.
import { html, useState, useEffect, useRef } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { ErrorBox, Field, FieldSet, useAction, useLoad, allPages } from "./ui.js";
import { inboxes } from "./lookups.js";
import { presenceText } from "./presence.js";

// Available agents first: they can take it now; then the rest by name.
const PRESENCE_ORDER = ["available", "busy", "wrap_up", "away", "offline"];
const byPresence = (a, b) =>
  PRESENCE_ORDER.indexOf(a.presence) - PRESENCE_ORDER.indexOf(b.presence) ||
  a.display_name.localeCompare(b.display_name);

async function targets(conversation) {
  const [users, boxes] = await Promise.all([
    allPages((cursor) => api.get("/users", { cursor, limit: 200 })),
    inboxes(),
  ]);
  const inbox = boxes.find((b) => b.id === conversation.inbox_id);
  return {
    // Handing it to the agent who has it now would be no transfer.
    agents: users.filter((u) => u.active && u.id !== conversation.assignee_id).sort(byPresence),
    topics: inbox?.settings?.topics || [],
    inboxName: inbox?.name || "",
  };
}

function TransferDialog({ conversation, onClose, onDone }) {
  const options = useLoad(() => targets(conversation), [conversation.id]);
  const [to, setTo] = useState("agent");
  const [agentId, setAgentId] = useState("");
  const [topic, setTopic] = useState(conversation.topic || "");
  const [note, setNote] = useState("");
  const send = useAction();
  const first = useRef(null);
  useEffect(() => first.current?.focus(), []);
  useEffect(() => {
    const onKey = (e) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const submit = async (e) => {
    e.preventDefault();
    const body = to === "agent" ? { agent_id: agentId } : { topic };
    if (note.trim()) body.note = note.trim();
    const updated = await send.run(() => api.post(`/conversations/${conversation.id}/transfer`, body));
    if (updated) onDone(updated);
  };

  const o = options.data;
  const ready = to === "agent" ? Boolean(agentId) : true;
  return html`<div class="overlay">
    <form class="card form transfer" role="dialog" aria-modal="true" aria-labelledby="transfer-title" onSubmit=${submit}>
      <h2 id="transfer-title">${t("transfer.title")}</h2>
      <${ErrorBox} error=${options.error} />
      <${FieldSet} legend=${t("transfer.to")}>
        <label class="inline"><input type="radio" name="to" value="agent" ref=${first}
          checked=${to === "agent"} onChange=${() => setTo("agent")} />${t("transfer.to_agent")}</label>
        <label class="inline"><input type="radio" name="to" value="topic"
          checked=${to === "topic"} onChange=${() => setTo("topic")} />${t("transfer.to_topic")}</label>
      <//>
      ${to === "agent"
        ? html`<${Field} label=${t("transfer.agent")}>
            <select value=${agentId} required onChange=${(e) => setAgentId(e.target.value)}>
              <option value="">${o ? t("transfer.pick_agent") : t("common.loading")}</option>
              ${(o?.agents || []).map(
                (u) => html`<option key=${u.id} value=${u.id}>
                  ${u.display_name} · ${presenceText(u.presence, u.away_reason)}</option>`,
              )}
            </select>
          <//>`
        : html`<${Field} label=${t("transfer.topic")}>
            <select value=${topic} onChange=${(e) => setTopic(e.target.value)}>
              <option value="">${t("transfer.no_topic", { inbox: o?.inboxName || "" })}</option>
              ${(o?.topics || []).map((tp) => html`<option key=${tp.key} value=${tp.key}>${tp.label}</option>`)}
            </select>
          <//>`}
      <${Field} label=${t("transfer.note")} hint=${t("transfer.note_hint")}>
        <textarea rows="3" value=${note} onInput=${(e) => setNote(e.target.value)} />
      <//>
      <${ErrorBox} error=${send.error} />
      <div class="actions">
        <button type="submit" class="primary" disabled=${send.busy || !ready}>${t("transfer.submit")}</button>
        <button type="button" onClick=${onClose}>${t("common.cancel")}</button>
      </div>
    </form>
  </div>`;
}

/** The Transfer button of an open conversation; `onDone(conversation)` gets the moved one. */
export function TransferButton({ conversation, onDone }) {
  const [open, setOpen] = useState(false);
  return html`<button type="button" onClick=${() => setOpen(true)}>${t("transfer.button")}</button>
    ${open && html`<${TransferDialog} conversation=${conversation} onClose=${() => setOpen(false)}
      onDone=${(c) => {
        setOpen(false);
        onDone(c);
      }} />`}`;
}
