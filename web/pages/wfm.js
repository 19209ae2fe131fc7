// Workforce planning for supervisors: agents needed by Erlang C or A, blocking by Erlang B, an
// exact shift schedule solved from a JSON question, and a volume forecast from the tenant's own
// history with its hold-out error. Nothing is stored; every answer is computed.
import { html, useState } from "../lib.js";
import { api } from "../api.js";
import { t, lang } from "../i18n.js";
import { Field, useAction, fieldError, PageHead, FormFoot } from "../ui.js";

// The worked example: 100 calls per 30 minutes, 3 minutes each, 80 % answered within 20 s.
const STAFFING_DEFAULTS = {
  model: "erlang-c", calls: "100", interval_min: "30", aht_secs: "180", sl_pct: "80",
  target_secs: "20", max_occupancy_pct: "", shrinkage_pct: "30", patience_secs: "120",
};
const ERLANG_B_DEFAULTS = { traffic: "10", lines: "15" };


const pct = (fraction) => `${(fraction * 100).toFixed(1)} %`;
const fmtNum = (n) => n.toLocaleString(lang(), { maximumFractionDigits: 2 });
/** A percentage typed into a form as a share, or undefined when left empty (optional fields). */
const share = (text) => (text.trim() === "" ? undefined : Number(text) / 100);

/** Props for a NumberField editing `draft[key]`, showing errors about the API field `apiField`. */
function binder(draft, setDraft, error) {
  return (key, apiField = key) => ({
    name: key,
    value: draft[key],
    error: fieldError(error, apiField),
    onChange: (value) => setDraft({ ...draft, [key]: value }),
  });
}

function NumberField({ label, hint, name, value, error, onChange, optional, min, step = "any" }) {
  return html`<${Field} label=${label} hint=${hint} error=${error}>
    <input type="number" name=${name} step=${step} min=${min} required=${!optional} value=${value}
      onInput=${(e) => onChange(e.target.value)} />
  <//>`;
}

/** Label–value pairs of a result. */
function Figures({ label, items }) {
  return html`<dl class="figures" role="status" aria-label=${label}>
    ${items.map(([name, value]) => html`<div key=${name}><dt>${name}</dt><dd>${value}</dd></div>`)}
  </dl>`;
}

function StaffingResult({ out }) {
  const items = [
    [t("wfm.agents"), out.agents],
    [t("wfm.scheduled_agents"), out.scheduled_agents],
    [t("wfm.service_level"), pct(out.service_level)],
    [t("wfm.asa"), t("wfm.secs", { n: out.asa_secs.toFixed(1) })],
    [t("wfm.occupancy"), pct(out.occupancy)],
    [t("wfm.waiting"), pct(out.waiting_probability)],
  ];
  if (out.abandon_probability !== undefined) items.push([t("wfm.abandon"), pct(out.abandon_probability)]);
  return html`<${Figures} label=${t("wfm.result")} items=${items} />`;
}

function StaffingForm() {
  const [draft, setDraft] = useState(STAFFING_DEFAULTS);
  const [result, setResult] = useState(null);
  const calc = useAction();
  const bind = binder(draft, setDraft, calc.error);
  const erlangA = draft.model === "erlang-a";
  const submit = async (e) => {
    e.preventDefault();
    const question = {
      calls: Number(draft.calls),
      interval_secs: Number(draft.interval_min) * 60,
      aht_secs: Number(draft.aht_secs),
      target_secs: Number(draft.target_secs),
      service_level: Number(draft.sl_pct) / 100,
      max_occupancy: share(draft.max_occupancy_pct),
      shrinkage: share(draft.shrinkage_pct),
      ...(erlangA ? { patience_secs: Number(draft.patience_secs) } : {}),
    };
    setResult(await calc.run(() => api.post(`/wfm/${draft.model}`, question)));
  };
  const pickModel = (model) => {
    setDraft({ ...draft, model });
    setResult(null);
    calc.clear();
  };
  return html`<form class="card form" onSubmit=${submit} aria-label=${t("wfm.staffing")}>
    <h2>${t("wfm.staffing")}</h2>
    <${Field} label=${t("wfm.model")}
      hint=${erlangA ? t("wfm.model_a_hint") : t("wfm.model_c_hint")}>
      <select name="model" value=${draft.model} onChange=${(e) => pickModel(e.target.value)}>
        <option value="erlang-c">${t("wfm.erlang_c")}</option>
        <option value="erlang-a">${t("wfm.erlang_a")}</option>
      </select>
    <//>
    <div class="fields">
      <${NumberField} label=${t("wfm.calls")} ...${bind("calls")} />
      <${NumberField} label=${t("wfm.interval_min")} ...${bind("interval_min", "interval_secs")} />
      <${NumberField} label=${t("wfm.aht_secs")} ...${bind("aht_secs")} />
      <${NumberField} label=${t("wfm.sl_pct")} ...${bind("sl_pct", "service_level")} />
      <${NumberField} label=${t("wfm.target_secs")} ...${bind("target_secs")} />
      ${erlangA &&
      html`<${NumberField} label=${t("wfm.patience_secs")} ...${bind("patience_secs")} />`}
      <${NumberField} label=${t("wfm.max_occupancy_pct")} optional
        ...${bind("max_occupancy_pct", "max_occupancy")} />
      <${NumberField} label=${t("wfm.shrinkage_pct")} optional ...${bind("shrinkage_pct", "shrinkage")} />
    </div>
    <${FormFoot} action=${calc} label=${t("wfm.calculate")} />
    ${result && html`<${StaffingResult} out=${result} />`}
  </form>`;
}

function ErlangBForm() {
  const [draft, setDraft] = useState(ERLANG_B_DEFAULTS);
  const [result, setResult] = useState(null);
  const calc = useAction();
  const bind = binder(draft, setDraft, calc.error);
  const submit = async (e) => {
    e.preventDefault();
    const question = { traffic: Number(draft.traffic), lines: Number(draft.lines) };
    setResult(await calc.run(() => api.post("/wfm/erlang-b", question)));
  };
  return html`<form class="card form" onSubmit=${submit} aria-label=${t("wfm.erlang_b")}>
    <h2>${t("wfm.erlang_b")}</h2>
    <p class="muted">${t("wfm.erlang_b_hint")}</p>
    <div class="fields">
      <${NumberField} label=${t("wfm.traffic")} ...${bind("traffic")} />
      <${NumberField} label=${t("wfm.lines")} min="0" step="1" ...${bind("lines")} />
    </div>
    <${FormFoot} action=${calc} label=${t("wfm.calculate")} />
    ${result &&
    html`<${Figures} label=${t("wfm.result")}
      items=${[[t("wfm.blocking"), pct(result.blocking_probability)]]} />`}
  </form>`;
}

// The example schedule: one day of 24 hourly periods, staffed from 06:00 to 22:00 by three
// eight-hour shifts that overlap at the busy hours.
const hours = (from, to) => Array.from({ length: 24 }, (_, h) => (h >= from && h < to ? 1 : 0));
const EXAMPLE_SCHEDULE = {
  days: 1,
  periods_per_day: 24,
  required: [[0, 0, 0, 0, 0, 0, 2, 3, 4, 5, 6, 6, 5, 5, 6, 6, 5, 4, 3, 3, 2, 2, 0, 0]],
  shifts: {
    early: { coverage: hours(6, 14), cost: 8 },
    middle: { coverage: hours(10, 18), cost: 8 },
    late: { coverage: hours(14, 22), cost: 9 },
  },
};
/** Indented JSON with every list of numbers kept on one line, so a day reads as one row. */
const showJson = (value) =>
  JSON.stringify(value, null, 2).replace(
    /\[\s+([-\d.,\s]+?)\s+\]/g,
    (_, inner) => `[${inner.split(/,\s*/).join(", ")}]`,
  );

/** The period's start as a clock time when periods divide the day evenly, else its number. */
function periodLabel(period, perDay) {
  const minutes = 1440 / perDay;
  if (!Number.isInteger(minutes)) return String(period + 1);
  const start = period * minutes;
  return `${String(Math.floor(start / 60)).padStart(2, "0")}:${String(start % 60).padStart(2, "0")}`;
}

function ScheduleResult({ question, out }) {
  if (out.status === "infeasible") {
    return html`<div class="notice warn" role="status">${t("wfm.infeasible")}</div>`;
  }
  const shifts = [...new Set([...Object.keys(question.shifts || {}), ...out.schedule.map((a) => a.shift)])];
  const agents = (day, shift) => out.schedule.find((a) => a.day === day && a.shift === shift)?.agents ?? 0;
  const required = (day, period) => question.required?.[day]?.[period] ?? 0;
  const perDay = out.coverage[0]?.length || 0;
  const cost = t("wfm.total_cost", { cost: fmtNum(out.cost) });
  const difference = t("wfm.abs_difference", { n: fmtNum(out.abs_difference) });
  return html`<div class="schedule-result" role="status" aria-label=${t("wfm.result")}>
    <p><strong>${t("wfm.optimal")}</strong> · ${cost} · ${difference}</p>
    <table class="list">
      <caption>${t("wfm.agents_per_shift")}</caption>
      <thead><tr><th>${t("wfm.day")}</th>${shifts.map((s) => html`<th key=${s}>${s}</th>`)}</tr></thead>
      <tbody>
        ${out.coverage.map(
          (_, day) => html`<tr key=${day}>
            <td>${t("wfm.day_n", { n: day + 1 })}</td>
            ${shifts.map((s) => html`<td key=${s}>${agents(day, s)}</td>`)}
          </tr>`,
        )}
      </tbody>
    </table>
    <div class="scroll">
      <table class="list coverage">
        <caption>${t("wfm.coverage")}</caption>
        <thead><tr>
          <th>${t("wfm.day")}</th>
          ${Array.from({ length: perDay }, (_, p) => html`<th key=${p}>${periodLabel(p, perDay)}</th>`)}
        </tr></thead>
        <tbody>
          ${out.coverage.map(
            (periods, day) => html`<tr key=${day}>
              <th>${t("wfm.day_n", { n: day + 1 })}</th>
              ${periods.map((onDuty, p) => {
                const short = onDuty < required(day, p);
                return html`<td key=${p} class=${short ? "short" : ""}
                  title=${t("wfm.on_duty_of", { on: onDuty, need: required(day, p) })}>
                  ${onDuty}<small>/${required(day, p)}</small></td>`;
              })}
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <small class="hint">${t("wfm.coverage_hint")}</small>
  </div>`;
}

/** The textarea's question, or a sentence saying why it is not one (caught before any request). */
function parseQuestion(text) {
  let question;
  try {
    question = JSON.parse(text);
  } catch (err) {
    return { error: t("wfm.bad_json", { reason: err.message }) };
  }
  if (!question || typeof question !== "object" || Array.isArray(question)) {
    return { error: t("wfm.not_an_object") };
  }
  return { question, error: null };
}

function ScheduleForm() {
  const [text, setText] = useState(() => showJson(EXAMPLE_SCHEDULE));
  const [objective, setObjective] = useState("min-cost");
  const [parseError, setParseError] = useState(null);
  const [solved, setSolved] = useState(null);
  const solve = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const parsed = parseQuestion(text);
    setParseError(parsed.error);
    if (parsed.error) {
      setSolved(null);
      solve.clear();
      return;
    }
    const question = { ...parsed.question, objective };
    const out = await solve.run(() => api.post("/wfm/schedule", question));
    setSolved(out && { question, out });
  };
  return html`<form class="card form wide-form" onSubmit=${submit} aria-label=${t("wfm.schedule")}>
    <h2>${t("wfm.schedule")}</h2>
    <${Field} label=${t("wfm.question")} hint=${t("wfm.question_hint")} error=${parseError}>
      <textarea name="question" rows="20" class="mono" spellcheck="false" value=${text}
        onInput=${(e) => setText(e.target.value)} />
    <//>
    <${Field} label=${t("wfm.objective")}>
      <select name="objective" value=${objective} onChange=${(e) => setObjective(e.target.value)}>
        <option value="min-cost">${t("wfm.min_cost")}</option>
        <option value="min-abs-difference">${t("wfm.min_abs_difference")}</option>
      </select>
    <//>
    <${FormFoot} action=${solve} label=${t("wfm.solve")}>
      <button type="button" onClick=${() => setText(showJson(EXAMPLE_SCHEDULE))}>
        ${t("wfm.reset_example")}</button>
    <//>
    ${solved && html`<${ScheduleResult} question=${solved.question} out=${solved.out} />`}
  </form>`;
}

const FORECAST_DEFAULTS = { history_weeks: "8", interval_min: "30", horizon_weeks: "1", holdout_weeks: "1" };
const WEEKDAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** Daily totals of a per-interval forecast: [date, calls, busiest interval start]. */
function dailyTotals(forecast) {
  const perDay = Math.round(86400 / forecast.interval_secs);
  const start = new Date(`${forecast.start}Z`);
  const days = [];
  for (let d = 0; d * perDay < forecast.calls.length; d++) {
    const slice = forecast.calls.slice(d * perDay, (d + 1) * perDay);
    const peak = slice.indexOf(Math.max(...slice));
    const day = new Date(start.getTime() + d * 86400_000);
    const peakAt = new Date(day.getTime() + peak * forecast.interval_secs * 1000);
    days.push([day.toISOString().slice(0, 10), slice.reduce((a, b) => a + b, 0), peakAt.toISOString().slice(11, 16)]);
  }
  return days;
}

function ForecastResult({ out }) {
  const model = out.forecast.model;
  const bt = out.backtest;
  const items = [
    [t("wfm.history"), t("wfm.history_of", { days: out.history_days, calls: fmtNum(out.history_calls) })],
    [t("wfm.level"), fmtNum(model.level)],
    [t("wfm.trend"), fmtNum(model.trend)],
  ];
  if (bt) {
    items.push([t("wfm.model_wmape"), pct(bt.model.wmape)], [t("wfm.naive_wmape"), pct(bt.naive.wmape)]);
    items.push([t("wfm.model_mape"), pct(bt.model.mape)], [t("wfm.naive_mape"), pct(bt.naive.mape)]);
  }
  return html`<${Figures} label=${t("wfm.result")} items=${items} />
    <table class="list" aria-label=${t("wfm.day_factors")}>
      <caption>${t("wfm.day_factors")}</caption>
      <thead><tr>${WEEKDAY_KEYS.map((d) => html`<th key=${d}>${t(`weekday.${d}`)}</th>`)}</tr></thead>
      <tbody><tr>${model.day_of_week_factors.map((f, i) => html`<td key=${i}>${f.toFixed(2)}</td>`)}</tr></tbody>
    </table>
    <table class="list" aria-label=${t("wfm.forecast_days")}>
      <caption>${t("wfm.forecast_days")}</caption>
      <thead><tr><th>${t("wfm.date")}</th><th>${t("wfm.calls_forecast")}</th><th>${t("wfm.peak")}</th></tr></thead>
      <tbody>
        ${dailyTotals(out.forecast).map(
          ([date, calls, peak]) => html`<tr key=${date}><td>${date}</td><td>${fmtNum(Math.round(calls))}</td><td>${peak}</td></tr>`,
        )}
      </tbody>
    </table>`;
}

/** Forecast from the tenant's own offered contacts (the reports' numbers), local time. */
function ForecastForm() {
  const [draft, setDraft] = useState(FORECAST_DEFAULTS);
  const [result, setResult] = useState(null);
  const calc = useAction();
  const bind = binder(draft, setDraft, calc.error);
  const submit = async (e) => {
    e.preventDefault();
    const question = {
      history_weeks: Number(draft.history_weeks),
      interval_secs: Number(draft.interval_min) * 60,
      horizon_weeks: Number(draft.horizon_weeks),
    };
    if (draft.holdout_weeks.trim() !== "" && Number(draft.holdout_weeks) > 0) question.holdout_weeks = Number(draft.holdout_weeks);
    setResult(await calc.run(() => api.post("/wfm/forecast", question)));
  };
  return html`<form class="card form" onSubmit=${submit} aria-label=${t("wfm.forecast")}>
    <h2>${t("wfm.forecast")}</h2>
    <p class="muted">${t("wfm.forecast_hint")}</p>
    <div class="fields">
      <${NumberField} label=${t("wfm.history_weeks")} min="2" step="1" ...${bind("history_weeks")} />
      <${Field} label=${t("wfm.interval_min")} error=${fieldError(calc.error, "interval_secs")}>
        <select name="interval_min" value=${draft.interval_min} onChange=${(e) => setDraft({ ...draft, interval_min: e.target.value })}>
          <option value="15">15</option><option value="30">30</option><option value="60">60</option>
        </select>
      <//>
      <${NumberField} label=${t("wfm.horizon_weeks")} min="1" step="1" ...${bind("horizon_weeks")} />
      <${NumberField} label=${t("wfm.holdout_weeks")} optional min="0" step="1" ...${bind("holdout_weeks")} />
    </div>
    <${FormFoot} action=${calc} label=${t("wfm.run_forecast")} />
    ${result && html`<${ForecastResult} out=${result} />`}
  </form>`;
}

export function WfmPage() {
  return html`<section>
    <${PageHead} title=${t("nav.wfm")} />
    <div class="grid">
      <${StaffingForm} />
      <${ErlangBForm} />
    </div>
    <${ScheduleForm} />
    <${ForecastForm} />
  </section>`;
}
