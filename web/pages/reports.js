// Contact-center reports for supervisors: a date range, granularity and SL definition, a chart
// of offered/answered per bucket with the service-level line, a table per dimension, CSV and
// XLSX links; and the Scorecards and Schedules tabs (scorecards.js).
import { html, useState } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { Field, ErrorBox, PageHead, useAction, useLoad, fieldError } from "../ui.js";
import { useUsers, namer } from "../lookups.js";
import { ScorecardsTab, SchedulesSection } from "./scorecards.js";

const GRANULARITIES = ["15m", "30m", "60m", "day", "week", "month"];
const DIMENSIONS = ["tenant", "queue", "agent", "channel"];

/** YYYY-MM-DD of a Date in the browser's calendar, for the date inputs. */
const isoDate = (d) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;

function defaults() {
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 6 * 86400000);
  return { from: isoDate(weekAgo), to: isoDate(today), granularity: "day", service_level: "3", sl_threshold_secs: "20" };
}

const pct = (x) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)} %`);
const secs = (x) => (x === null || x === undefined ? "–" : t("reports.secs", { n: x.toFixed(1) }));

/** The query string the API and the CSV link share. */
function params(draft) {
  return {
    from: draft.from,
    to: draft.to,
    granularity: draft.granularity,
    service_level: draft.service_level,
    sl_threshold_secs: draft.sl_threshold_secs,
    dimensions: DIMENSIONS.join(","),
  };
}

/** A bucket label: the local start as the report gives it, shortened to what matters. */
function bucketLabel(row, granularity) {
  const text = row.bucket_start;
  return ["day", "week", "month"].includes(granularity) ? text.slice(0, 10) : text.slice(5, 16).replace("T", " ");
}

/** Offered and answered bars per bucket and the service level as a line (right axis, 0–100 %). */
function Chart({ rows, granularity }) {
  const width = 720;
  const height = 220;
  const pad = { left: 40, right: 44, top: 12, bottom: 36 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = Math.max(1, ...rows.map((r) => r.counts.offered));
  const step = plotW / Math.max(1, rows.length);
  const bar = Math.max(1, step / 2 - 1);
  const y = (v) => pad.top + plotH - (v / max) * plotH;
  const ySl = (v) => pad.top + plotH - v * plotH;
  const points = rows
    .map((r, i) => (r.rates.service_level === null ? null : `${pad.left + i * step + step / 2},${ySl(r.rates.service_level)}`))
    .filter(Boolean)
    .join(" ");
  const every = Math.ceil(rows.length / 8);
  return html`<figure class="card chart">
    <svg viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${t("reports.chart")}>
      <line x1=${pad.left} y1=${pad.top + plotH} x2=${width - pad.right} y2=${pad.top + plotH} stroke="#999" />
      <text x=${pad.left - 4} y=${pad.top + 8} text-anchor="end" font-size="10">${max}</text>
      <text x=${width - pad.right + 4} y=${pad.top + 8} font-size="10">100%</text>
      <text x=${width - pad.right + 4} y=${pad.top + plotH} font-size="10">0%</text>
      ${rows.map(
        (r, i) => html`<g key=${r.bucket_start}>
          <rect class="offered" x=${pad.left + i * step} y=${y(r.counts.offered)} width=${bar}
            height=${pad.top + plotH - y(r.counts.offered)} fill="#9bb7e0">
            <title>${bucketLabel(r, granularity)} ${t("reports.offered")} ${r.counts.offered}</title>
          </rect>
          <rect class="answered" x=${pad.left + i * step + bar + 1} y=${y(r.counts.answered)} width=${bar}
            height=${pad.top + plotH - y(r.counts.answered)} fill="#2e6bc6">
            <title>${bucketLabel(r, granularity)} ${t("reports.answered")} ${r.counts.answered}</title>
          </rect>
          ${i % every === 0 &&
          html`<text x=${pad.left + i * step} y=${height - 18} font-size="10">${bucketLabel(r, granularity)}</text>`}
        </g>`,
      )}
      ${points && html`<polyline class="sl" points=${points} fill="none" stroke="#d9822b" stroke-width="2" />`}
    </svg>
    <figcaption class="legend">
      <span><i style="background:#9bb7e0"></i>${t("reports.offered")}</span>
      <span><i style="background:#2e6bc6"></i>${t("reports.answered")}</span>
      <span><i style="background:#d9822b"></i>${t("reports.service_level")}</span>
    </figcaption>
  </figure>`;
}

function DimensionTable({ dimension, rows, granularity, name }) {
  if (!rows.length) return null;
  const showKey = dimension !== "tenant";
  return html`<table class="list report" aria-label=${t(`reports.dim.${dimension}`)}>
    <caption>${t(`reports.dim.${dimension}`)}</caption>
    <thead><tr>
      <th>${t("reports.bucket")}</th>
      ${showKey && html`<th>${t(`reports.dim.${dimension}`)}</th>`}
      <th>${t("reports.offered")}</th><th>${t("reports.answered")}</th>
      <th>${t("reports.abandoned")}</th><th>${t("reports.service_level")}</th>
      <th>${t("reports.asa")}</th><th>${t("reports.aht")}</th><th>${t("reports.frt")}</th>
      <th>${t("reports.transfers")}</th><th>${t("reports.csat")}</th>
    </tr></thead>
    <tbody>
      ${rows.map(
        (r) => html`<tr key=${`${r.bucket_start}/${r.dimension.value || ""}`}>
          <td>${bucketLabel(r, granularity)}</td>
          ${showKey && html`<td>${name(dimension, r.dimension.value)}</td>`}
          <td>${r.counts.offered}</td><td>${r.counts.answered}</td><td>${r.counts.abandoned}</td>
          <td>${pct(r.rates.service_level)}</td><td>${secs(r.durations.asa_secs)}</td>
          <td>${secs(r.durations.aht_secs)}</td><td>${secs(r.durations.frt_secs)}</td>
          <td>${r.counts.transfers}</td><td>${pct(r.rates.csat)}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

const TABS = ["metrics", "scorecards", "schedules"];

/** The Reports page: metrics, agent scorecards and mailed report schedules, one tab each. */
export function ReportsPage() {
  const [tab, setTab] = useState("metrics");
  const tabs = html`<div class="tabs" role="tablist" aria-label=${t("nav.reports")}>
    ${TABS.map(
      (name) => html`<button key=${name} type="button" role="tab" aria-selected=${tab === name}
        class=${tab === name ? "tab active" : "tab"} onClick=${() => setTab(name)}>${t(`reports.tab.${name}`)}</button>`,
    )}
  </div>`;
  if (tab === "scorecards") {
    return html`<section><${PageHead} title=${t("nav.reports")} />${tabs}<${ScorecardsTab} range=${defaults()} /></section>`;
  }
  if (tab === "schedules") {
    return html`<section><${PageHead} title=${t("nav.reports")} />${tabs}<${SchedulesSection} /></section>`;
  }
  return html`<section><${MetricsTab} tabs=${tabs} /></section>`;
}

function MetricsTab({ tabs }) {
  const [draft, setDraft] = useState(defaults);
  const [shown, setShown] = useState(null);
  const run = useAction();
  const users = useUsers();
  const inboxes = useLoad(() => api.get("/inboxes"), []);
  const userName = namer(users.data, "display_name");
  const queueName = (key) => {
    const [inboxId, topic] = key.split("/");
    const inbox = (inboxes.data || []).find((i) => i.id === inboxId);
    if (!inbox) return key;
    const label = topic && (inbox.settings.topics || []).find((x) => x.key === topic);
    return topic ? `${inbox.name} / ${label ? label.label : topic}` : inbox.name;
  };
  const name = (dimension, value) =>
    dimension === "agent" ? userName(value) : dimension === "queue" ? queueName(value) : value;
  const set = (key) => (e) => setDraft({ ...draft, [key]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const report = await run.run(() => api.get("/reports/metrics", params(draft)));
    if (report) setShown({ report, draft });
  };
  const csvHref = `/api/v1/reports/metrics?${new URLSearchParams({ ...params(draft), format: "csv" })}`;
  const xlsxHref = `/api/v1/reports/metrics?${new URLSearchParams({ ...params(draft), format: "xlsx" })}`;
  const rows = shown ? shown.report.rows : [];
  const byDimension = (d) => rows.filter((r) => r.dimension.kind === d);
  return html`<div>
    <${PageHead} title=${t("nav.reports")}>
      <a class="button" href=${csvHref} download>${t("reports.download_csv")}</a>
      <a class="button" href=${xlsxHref} download>${t("reports.download_xlsx")}</a>
    <//>
    ${tabs}
    <form class="card form" onSubmit=${submit} aria-label=${t("reports.parameters")}>
      <div class="fields">
        <${Field} label=${t("reports.from")} error=${fieldError(run.error, "from")}>
          <input type="date" name="from" required value=${draft.from} onInput=${set("from")} />
        <//>
        <${Field} label=${t("reports.to")} error=${fieldError(run.error, "to")}>
          <input type="date" name="to" required value=${draft.to} onInput=${set("to")} />
        <//>
        <${Field} label=${t("reports.granularity")} error=${fieldError(run.error, "granularity")}>
          <select name="granularity" value=${draft.granularity} onChange=${set("granularity")}>
            ${GRANULARITIES.map((g) => html`<option key=${g} value=${g}>${t(`reports.g.${g}`)}</option>`)}
          </select>
        <//>
        <${Field} label=${t("reports.sl_definition")} error=${fieldError(run.error, "service_level")}>
          <select name="service_level" value=${draft.service_level} onChange=${set("service_level")}>
            ${[1, 2, 3, 4, 5].map((n) => html`<option key=${n} value=${n}>${t(`reports.sl.${n}`)}</option>`)}
          </select>
        <//>
        <${Field} label=${t("reports.sl_threshold")} error=${fieldError(run.error, "sl_threshold_secs")}>
          <input type="number" name="sl_threshold_secs" min="0" max="86400" step="1" required
            value=${draft.sl_threshold_secs} onInput=${set("sl_threshold_secs")} />
        <//>
      </div>
      <${ErrorBox} error=${run.error} />
      <div class="actions">
        <button type="submit" class="primary" disabled=${run.busy}>${t("reports.run")}</button>
      </div>
    </form>
    ${shown &&
    html`<p class="hint" role="status">
        ${t("reports.sl_used", {
          n: shown.report.service_level.number,
          formula: shown.report.service_level.formula,
          secs: shown.report.service_level.threshold_secs,
          zone: shown.report.time_zone,
        })}
      </p>
      <${Chart} rows=${byDimension("tenant")} granularity=${shown.draft.granularity} />
      ${DIMENSIONS.map(
        (d) => html`<${DimensionTable} key=${d} dimension=${d} rows=${byDimension(d)}
          granularity=${shown.draft.granularity} name=${name} />`,
      )}`}
  </div>`;
}
