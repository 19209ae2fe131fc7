// The Reports page's Scorecards tab (per-agent figures over a date range, sortable by any
// column, CSV and XLSX links) and Schedules section (daily or weekly mailed reports).
import { html, useState } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { Field, ErrorBox, useAction, useLoad, fieldError, ConfirmButton, Notice } from "../ui.js";

const pct = (x) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)} %`);
const secs = (x) => (x === null || x === undefined ? "–" : t("reports.secs", { n: x.toFixed(1) }));
const plain = (x) => (x === null || x === undefined ? "–" : String(x));

/** Column key, how to show it. Sorting uses the raw value (nulls last). */
const COLUMNS = [
  ["name", plain],
  ["conversations_answered", plain],
  ["conversations_handled", plain],
  ["tickets_solved", plain],
  ["aht_secs", secs],
  ["frt_secs", secs],
  ["csat", pct],
  ["csat_responses", plain],
  ["fcr_rate", pct],
  ["transfer_rate", pct],
  ["occupancy", pct],
  ["adherence", pct],
];

function compare(key, dir) {
  return (a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
    if (y === null || y === undefined) return -1;
    const order = typeof x === "string" ? x.localeCompare(y) : x - y;
    return dir === "asc" ? order : -order;
  };
}

/** A scorecard table sortable by clicking a column header. */
export function ScorecardTable({ cards }) {
  const [sort, setSort] = useState({ key: "name", dir: "asc" });
  const sorted = [...cards].sort(compare(sort.key, sort.dir));
  const by = (key) => () =>
    setSort(sort.key === key ? { key, dir: sort.dir === "asc" ? "desc" : "asc" } : { key, dir: key === "name" ? "asc" : "desc" });
  return html`<table class="list report scorecards" aria-label=${t("scorecards.title")}>
    <thead><tr>
      ${COLUMNS.map(
        ([key]) => html`<th key=${key} aria-sort=${sort.key === key ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}>
          <button type="button" class="link" onClick=${by(key)}>${t(`scorecards.${key}`)}${sort.key === key ? (sort.dir === "asc" ? " ▲" : " ▼") : ""}</button>
        </th>`,
      )}
    </tr></thead>
    <tbody>
      ${sorted.map(
        (c) => html`<tr key=${c.agent_id}>${COLUMNS.map(([key, show]) => html`<td key=${key}>${show(c[key])}</td>`)}</tr>`,
      )}
    </tbody>
  </table>`;
}

/** The Scorecards tab: a date range, the table, and download links. */
export function ScorecardsTab({ range }) {
  const [draft, setDraft] = useState(range);
  const [shown, setShown] = useState(null);
  const run = useAction();
  const set = (key) => (e) => setDraft({ ...draft, [key]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const report = await run.run(() => api.get("/reports/scorecards", { from: draft.from, to: draft.to }));
    if (report) setShown(report);
  };
  const href = (format) => `/api/v1/reports/scorecards?${new URLSearchParams({ from: draft.from, to: draft.to, format })}`;
  return html`<div>
    <form class="card form" onSubmit=${submit} aria-label=${t("scorecards.title")}>
      <div class="fields">
        <${Field} label=${t("reports.from")} error=${fieldError(run.error, "from")}>
          <input type="date" name="from" required value=${draft.from} onInput=${set("from")} />
        <//>
        <${Field} label=${t("reports.to")} error=${fieldError(run.error, "to")}>
          <input type="date" name="to" required value=${draft.to} onInput=${set("to")} />
        <//>
      </div>
      <${ErrorBox} error=${run.error} />
      <div class="actions">
        <button type="submit" class="primary" disabled=${run.busy}>${t("scorecards.run")}</button>
        <a class="button" href=${href("csv")} download>${t("reports.download_csv")}</a>
        <a class="button" href=${href("xlsx")} download>${t("reports.download_xlsx")}</a>
      </div>
    </form>
    ${shown && html`<p class="hint">${t("scorecards.adherence_note")}</p><${ScorecardTable} cards=${shown.scorecards} />`}
  </div>`;
}

function blankSchedule() {
  return { name: "", frequency: "daily", weekday: "1", send_time: "08:00", recipients: "", report_kind: "scorecards", format: "xlsx" };
}

/** The Schedules section: the tenant's mailed reports, a form to add one, send-now and delete. */
export function SchedulesSection() {
  const list = useLoad(() => api.get("/report-schedules"), []);
  const [draft, setDraft] = useState(blankSchedule);
  const save = useAction();
  const act = useAction();
  const set = (key) => (e) => setDraft({ ...draft, [key]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const body = {
      name: draft.name,
      frequency: draft.frequency,
      weekday: draft.frequency === "weekly" ? Number(draft.weekday) : null,
      send_time: draft.send_time,
      recipients: draft.recipients.split(/[\s,;]+/).filter(Boolean),
      report_kind: draft.report_kind,
      format: draft.format,
    };
    const created = await save.run(() => api.post("/report-schedules", body), t("schedules.created"));
    if (created) {
      setDraft(blankSchedule());
      list.reload();
    }
  };
  const items = (list.data && list.data.items) || [];
  const when = (s) =>
    s.frequency === "weekly" ? t("schedules.weekly_at", { day: t(`schedules.day.${s.weekday}`), time: s.send_time }) : t("schedules.daily_at", { time: s.send_time });
  return html`<div>
    <${ErrorBox} error=${list.error || act.error} />
    <${Notice} text=${act.notice} />
    <table class="list" aria-label=${t("schedules.title")}>
      <thead><tr>
        <th>${t("schedules.name")}</th><th>${t("schedules.when")}</th><th>${t("schedules.report_kind")}</th>
        <th>${t("schedules.format")}</th><th>${t("schedules.recipients")}</th><th></th>
      </tr></thead>
      <tbody>
        ${items.map(
          (s) => html`<tr key=${s.id}>
            <td>${s.name}</td><td>${when(s)}</td><td>${t(`schedules.kind.${s.report_kind}`)}</td>
            <td>${s.format.toUpperCase()}</td><td>${s.recipients.join(", ")}</td>
            <td class="actions">
              <button type="button" onClick=${() => act.run(() => api.post(`/report-schedules/${s.id}/send-now`), t("schedules.queued"))}>${t("schedules.send_now")}</button>
              <${ConfirmButton} label=${t("schedules.delete")} confirmLabel=${t("schedules.delete_confirm")}
                onConfirm=${async () => (await act.run(() => api.del(`/report-schedules/${s.id}`))) && list.reload()} />
            </td>
          </tr>`,
        )}
        ${!items.length && !list.loading && html`<tr><td colspan="6" class="hint">${t("schedules.none")}</td></tr>`}
      </tbody>
    </table>
    <form class="card form" onSubmit=${submit} aria-label=${t("schedules.new")}>
      <h2>${t("schedules.new")}</h2>
      <div class="fields">
        <${Field} label=${t("schedules.name")} error=${fieldError(save.error, "name")}>
          <input name="name" required value=${draft.name} onInput=${set("name")} />
        <//>
        <${Field} label=${t("schedules.frequency")} error=${fieldError(save.error, "frequency")}>
          <select name="frequency" value=${draft.frequency} onChange=${set("frequency")}>
            <option value="daily">${t("schedules.daily")}</option>
            <option value="weekly">${t("schedules.weekly")}</option>
          </select>
        <//>
        ${draft.frequency === "weekly" &&
        html`<${Field} label=${t("schedules.weekday")} error=${fieldError(save.error, "weekday")}>
          <select name="weekday" value=${draft.weekday} onChange=${set("weekday")}>
            ${[1, 2, 3, 4, 5, 6, 7].map((d) => html`<option key=${d} value=${d}>${t(`schedules.day.${d}`)}</option>`)}
          </select>
        <//>`}
        <${Field} label=${t("schedules.send_time")} error=${fieldError(save.error, "send_time")}>
          <input type="time" name="send_time" required value=${draft.send_time} onInput=${set("send_time")} />
        <//>
        <${Field} label=${t("schedules.recipients")} hint=${t("schedules.recipients_hint")} error=${fieldError(save.error, "recipients")}>
          <input name="recipients" required value=${draft.recipients} onInput=${set("recipients")} />
        <//>
        <${Field} label=${t("schedules.report_kind")} error=${fieldError(save.error, "report_kind")}>
          <select name="report_kind" value=${draft.report_kind} onChange=${set("report_kind")}>
            <option value="scorecards">${t("schedules.kind.scorecards")}</option>
            <option value="metrics">${t("schedules.kind.metrics")}</option>
          </select>
        <//>
        <${Field} label=${t("schedules.format")} error=${fieldError(save.error, "format")}>
          <select name="format" value=${draft.format} onChange=${set("format")}>
            <option value="xlsx">XLSX</option>
            <option value="csv">CSV</option>
          </select>
        <//>
      </div>
      <${ErrorBox} error=${save.error} />
      <${Notice} text=${save.notice} />
      <div class="actions"><button type="submit" class="primary" disabled=${save.busy}>${t("schedules.create")}</button></div>
    </form>
  </div>`;
}

/** "My scorecard": the signed-in user's own figures (agents see no one else's). */
export function MyScorecardPage({ session }) {
  const today = new Date();
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  const [range, setRange] = useState({ from: iso(new Date(today.getTime() - 29 * 86400000)), to: iso(today) });
  const mine = useLoad(
    () => api.get("/reports/scorecards", { from: range.from, to: range.to, agent: session.user.id }),
    [range.from, range.to],
  );
  const set = (key) => (e) => e.target.value && setRange({ ...range, [key]: e.target.value });
  const card = mine.data && mine.data.scorecards[0];
  return html`<section>
    <h1>${t("nav.scorecard")}</h1>
    <form class="card form" aria-label=${t("scorecards.mine")} onSubmit=${(e) => e.preventDefault()}>
      <div class="fields">
        <${Field} label=${t("reports.from")}><input type="date" name="from" value=${range.from} onChange=${set("from")} /><//>
        <${Field} label=${t("reports.to")}><input type="date" name="to" value=${range.to} onChange=${set("to")} /><//>
      </div>
    </form>
    <${ErrorBox} error=${mine.error} />
    ${card
      ? html`<dl class="figures" aria-label=${t("scorecards.mine")}>
          ${COLUMNS.filter(([key]) => key !== "name").map(
            ([key, show]) => html`<div key=${key}><dt>${t(`scorecards.${key}`)}</dt><dd>${show(card[key])}</dd></div>`,
          )}
        </dl>`
      : !mine.loading && !mine.error && html`<p class="hint">${t("scorecards.none")}</p>`}
  </section>`;
}
