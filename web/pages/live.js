// The supervisors' live view (实时监控): queues with waiting, longest and estimated wait (amber
// past 20 s, red past 60 s) and agents with presence, chats and capacity, refreshed every 2 s.
import { html, useState, useEffect, useRef } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, PageHead, fmtTime } from "../ui.js";
import { useUsers, inboxes, topicLabel, namer } from "../lookups.js";
import { useStream } from "../stream.js";
import { presenceText } from "../presence.js";

const POLL_MS = 2000;
// An event usually means the picture changed: refresh soon, but once for a burst of events.
const EVENT_DELAY_MS = 300;
const AMBER_SECS = 20;
const RED_SECS = 60;

/** 75 → "1:15"; null → "–". */
function duration(secs) {
  if (secs == null) return "–";
  const m = Math.floor(secs / 60);
  const s = String(secs % 60).padStart(2, "0");
  return `${m}:${s}`;
}

function waitClass(secs) {
  if (secs == null) return "";
  if (secs > RED_SECS) return "wait-red";
  if (secs > AMBER_SECS) return "wait-amber";
  return "";
}

/** GET /routing/live every POLL_MS and shortly after stream events; keeps the last good view. */
function useLiveView() {
  const [state, setState] = useState({ view: null, error: null, at: null });
  const soon = useRef(null);
  const load = useRef(null);
  load.current = () =>
    api.get("/routing/live").then(
      (view) => setState({ view, error: null, at: new Date() }),
      (error) => setState((s) => ({ ...s, error })),
    );
  useEffect(() => {
    load.current();
    const timer = setInterval(() => load.current(), POLL_MS);
    return () => {
      clearInterval(timer);
      clearTimeout(soon.current);
    };
  }, []);
  useStream(
    (frame) => {
      if (!frame.kind.startsWith("conversation.") && frame.kind !== "agent.presence_changed") return;
      clearTimeout(soon.current);
      soon.current = setTimeout(() => load.current(), EVENT_DELAY_MS);
    },
    () => load.current(),
  );
  return state;
}

function QueuesTable({ queues, boxes }) {
  const inboxName = namer(boxes);
  return html`<table class="list live-queues" aria-label=${t("live.queues")}>
    <caption>${t("live.queues")}</caption>
    <thead><tr>
      <th>${t("live.queue")}</th><th>${t("live.waiting")}</th>
      <th>${t("live.longest_wait")}</th><th>${t("live.estimated_wait")}</th>
    </tr></thead>
    <tbody>
      ${queues.map(
        (q) => html`<tr key=${`${q.inbox_id}/${q.topic ?? ""}`} class=${waitClass(q.longest_wait_secs)}>
          <td>${inboxName(q.inbox_id)} · ${q.topic ? topicLabel(boxes, q.inbox_id, q.topic) : t("live.no_topic")}</td>
          <td>${q.waiting}</td>
          <td>${duration(q.longest_wait_secs)}</td>
          <td>${duration(q.estimated_wait_secs)}</td>
        </tr>`,
      )}
      ${queues.length === 0 && html`<tr><td colspan="4" class="muted">${t("live.no_queues")}</td></tr>`}
    </tbody>
  </table>`;
}

const PRESENCE_ORDER = ["available", "away", "offline"];

function AgentsTable({ agents, userName }) {
  const sorted = [...agents].sort(
    (a, b) =>
      PRESENCE_ORDER.indexOf(a.presence) - PRESENCE_ORDER.indexOf(b.presence) ||
      userName(a.agent_id).localeCompare(userName(b.agent_id)),
  );
  return html`<table class="list live-agents" aria-label=${t("live.agents")}>
    <caption>${t("live.agents")}</caption>
    <thead><tr>
      <th>${t("live.agent")}</th><th>${t("live.presence")}</th>
      <th>${t("live.chats")}</th><th>${t("live.takes_offers")}</th>
    </tr></thead>
    <tbody>
      ${sorted.map(
        (a) => html`<tr key=${a.agent_id}>
          <td>${userName(a.agent_id)}</td>
          <td><span class=${`presence presence-${a.presence}`}>${presenceText(a.presence, a.reason)}</span></td>
          <td>${a.chats} / ${a.chat_capacity}</td>
          <td>${a.takes_offers ? t("live.yes") : t("live.no")}</td>
        </tr>`,
      )}
      ${agents.length === 0 && html`<tr><td colspan="4" class="muted">${t("common.empty")}</td></tr>`}
    </tbody>
  </table>`;
}

export function LivePage() {
  const { view, error, at } = useLiveView();
  const users = useUsers();
  const [boxes, setBoxes] = useState([]);
  useEffect(() => {
    inboxes().then(setBoxes, () => {});
  }, []);
  const userName = namer(users.data, "display_name");
  return html`<section>
    <${PageHead} title=${t("nav.live")}>
      ${at && html`<span class="muted" role="status">${t("live.updated", { when: fmtTime(at.toISOString()) })}</span>`}
    <//>
    <${ErrorBox} error=${error} />
    ${view
      ? html`<div class="stack">
          <div class="card scroll"><${QueuesTable} queues=${view.queues} boxes=${boxes} /></div>
          <div class="card scroll"><${AgentsTable} agents=${view.agents} userName=${userName} /></div>
        </div>`
      : !error && html`<p class="muted">${t("common.loading")}</p>`}
  </section>`;
}
