// The supervisors' live view (实时监控): queues with waiting, longest and estimated wait (amber
// past 20 s, red past 60 s), today's service level against the tenant's goal (green, amber
// within 10 points, red below, with an alert), and agents with presence, chats and capacity;
// refreshed on stream events and every 2 s (today's figures every 30 s).
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
const TODAY_POLL_MS = 30_000;
// Today's figures come from the report rollups, which follow the log a moment later.
const TODAY_EVENT_DELAY_MS = 2000;
const AMBER_POINTS = 10;
const AMBER_SECS = 20;
const RED_SECS = 60;

/** 75 → "1:15", 3675 → "1:01:15"; null → "–". */
function duration(secs) {
  if (secs == null) return "–";
  const s = String(secs % 60).padStart(2, "0");
  if (secs < 3600) return `${Math.floor(secs / 60)}:${s}`;
  const m = String(Math.floor(secs / 60) % 60).padStart(2, "0");
  return `${Math.floor(secs / 3600)}:${m}:${s}`;
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

/** Today's date where the tenant works, as YYYY-MM-DD. */
function localDate(zone) {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

/** The queue key the reports use: the inbox, and the topic if any. */
const queueKey = (q) => (q.topic ? `${q.inbox_id}/${q.topic}` : q.inbox_id);

/** Today's answered count and service level per queue (by the tenant's goal), from the reports. */
function useToday() {
  const [state, setState] = useState({ goal: null, byQueue: new Map() });
  const soon = useRef(null);
  const load = useRef(null);
  // The goal and time zone are read once per visit, and again only when the tenant changes
  // (a `tenant.*` event), not with every refresh of today's figures.
  const tenantSettings = useRef(null);
  load.current = async () => {
    try {
      tenantSettings.current ||= api.get("/tenant");
      const tenant = await tenantSettings.current.catch((err) => {
        tenantSettings.current = null;
        throw err;
      });
      const goal = tenant.settings.service_level_goal || { target_percent: 80, threshold_secs: 20 };
      const day = localDate(tenant.settings.timezone);
      const report = await api.get("/reports/metrics", {
        from: day, to: day, granularity: "day", dimensions: "queue", sl_threshold_secs: goal.threshold_secs,
      });
      const byQueue = new Map();
      for (const row of report.rows) {
        if (row.dimension.kind !== "queue") continue;
        byQueue.set(row.dimension.value, {
          offered: row.counts.offered,
          answered: row.counts.answered,
          sl: row.rates.service_level,
        });
      }
      setState({ goal, byQueue });
    } catch {
      // The live figures still show; today's come back on the next refresh.
    }
  };
  useEffect(() => {
    load.current();
    const timer = setInterval(() => load.current(), TODAY_POLL_MS);
    return () => {
      clearInterval(timer);
      clearTimeout(soon.current);
    };
  }, []);
  useStream((frame) => {
    if (frame.kind.startsWith("tenant.")) tenantSettings.current = null;
    else if (!frame.kind.startsWith("conversation.")) return;
    clearTimeout(soon.current);
    soon.current = setTimeout(() => load.current(), TODAY_EVENT_DELAY_MS);
  });
  return state;
}

/** Green at or above the goal, amber within AMBER_POINTS of it, red below that. */
function slClass(percent, target) {
  if (percent >= target) return "sl sl-green";
  if (percent >= target - AMBER_POINTS) return "sl sl-amber";
  return "sl sl-red";
}

const percentOf = (rate) => Math.round(rate * 1000) / 10;

/** The queues below their goal today, in words, for the alert above the tables. */
function SlAlerts({ queues, today, boxes }) {
  if (!today.goal) return null;
  const inboxName = namer(boxes);
  const target = today.goal.target_percent;
  const below = queues
    .map((q) => ({ q, day: today.byQueue.get(queueKey(q)) }))
    .filter(({ day }) => day && day.sl != null && percentOf(day.sl) < target);
  if (below.length === 0) return null;
  return html`<div class="error sl-alerts" role="alert">
    ${below.map(
      ({ q, day }) => html`<p key=${queueKey(q)}>${t("live.sl_alert", {
        queue: `${inboxName(q.inbox_id)} · ${q.topic ? topicLabel(boxes, q.inbox_id, q.topic) : t("live.no_topic")}`,
        sl: percentOf(day.sl),
        target,
      })}</p>`,
    )}
  </div>`;
}

function QueuesTable({ queues, boxes, today }) {
  const inboxName = namer(boxes);
  return html`<table class="list live-queues" aria-label=${t("live.queues")}>
    <caption>${t("live.queues")}</caption>
    <thead><tr>
      <th>${t("live.queue")}</th><th>${t("live.waiting")}</th>
      <th>${t("live.longest_wait")}</th><th>${t("live.estimated_wait")}</th>
      <th>${t("live.answered_today")}</th><th>${t("live.sl_today")}</th>
    </tr></thead>
    <tbody>
      ${queues.map(
        (q) => html`<tr key=${`${q.inbox_id}/${q.topic ?? ""}`} class=${waitClass(q.longest_wait_secs)}>
          <td>${inboxName(q.inbox_id)} · ${q.topic ? topicLabel(boxes, q.inbox_id, q.topic) : t("live.no_topic")}</td>
          <td>${q.waiting}</td>
          <td>${duration(q.longest_wait_secs)}</td>
          <td>${duration(q.estimated_wait_secs)}</td>
          <${TodayCells} day=${today.byQueue.get(queueKey(q))} goal=${today.goal} />
        </tr>`,
      )}
      ${queues.length === 0 && html`<tr><td colspan="6" class="muted">${t("live.no_queues")}</td></tr>`}
    </tbody>
  </table>`;
}

function TodayCells({ day, goal }) {
  if (!day || day.sl == null || !goal) return html`<td>${day ? day.answered : 0}</td><td>–</td>`;
  const percent = percentOf(day.sl);
  return html`<td>${day.answered}</td>
    <td><span class=${slClass(percent, goal.target_percent)}>${percent}%</span></td>`;
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
      <th>${t("live.agent")}</th><th>${t("live.presence")}</th><th>${t("live.in_state")}</th>
      <th>${t("live.chats")}</th><th>${t("live.takes_offers")}</th>
    </tr></thead>
    <tbody>
      ${sorted.map(
        (a) => html`<tr key=${a.agent_id}>
          <td>${userName(a.agent_id)}</td>
          <td><span class=${`presence presence-${a.presence}`}>${presenceText(a.presence, a.reason)}</span></td>
          <td>${a.presence_since ? duration(Math.max(0, Math.round((Date.now() - Date.parse(a.presence_since)) / 1000))) : "–"}</td>
          <td>${a.chats} / ${a.chat_capacity}</td>
          <td>${a.takes_offers ? t("live.yes") : t("live.no")}</td>
        </tr>`,
      )}
      ${agents.length === 0 && html`<tr><td colspan="5" class="muted">${t("common.empty")}</td></tr>`}
    </tbody>
  </table>`;
}

export function LivePage() {
  const { view, error, at } = useLiveView();
  const today = useToday();
  const users = useUsers();
  const [boxes, setBoxes] = useState([]);
  useEffect(() => {
    inboxes().then(setBoxes, () => {});
  }, []);
  const userName = namer(users.data, "display_name");
  return html`<section>
    <${PageHead} title=${t("nav.live")}>
      ${today.goal && html`<span class="muted">${t("live.sl_goal", { target: today.goal.target_percent, secs: today.goal.threshold_secs })}</span>`}
      ${at && html`<span class="muted" role="status">${t("live.updated", { when: fmtTime(at.toISOString()) })}</span>`}
    <//>
    <${ErrorBox} error=${error} />
    ${view
      ? html`<div class="stack">
          <${SlAlerts} queues=${view.queues} today=${today} boxes=${boxes} />
          <div class="card scroll"><${QueuesTable} queues=${view.queues} boxes=${boxes} today=${today} /></div>
          <div class="card scroll"><${AgentsTable} agents=${view.agents} userName=${userName} /></div>
        </div>`
      : !error && html`<p class="muted">${t("common.loading")}</p>`}
  </section>`;
}
