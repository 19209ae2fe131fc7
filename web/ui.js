// Shared building blocks of the admin screens: roles, errors in words, labelled fields and form
// parts, chip and row editors, paged lists, presence and language pickers, in-page confirmation.
import { html, useState, useEffect, useCallback, useRef } from "./lib.js";
import { t, has, lang, setLang, LANGS } from "./i18n.js";

export const ROLES = ["agent", "supervisor", "admin", "owner"];
export const rank = (role) => ROLES.indexOf(role);
export const isAdmin = (user) => rank(user.role) >= rank("admin");

export function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(lang());
}

/** A translated sentence for an error: our own text for known codes, else the server's. */
export function errorText(err) {
  if (!err) return "";
  const code = err.code || "";
  if (code === "rate_limited" && err.retryAfter) {
    return t("error.rate_limited_for", { minutes: Math.ceil(err.retryAfter / 60) });
  }
  if (has(`error.${code}`)) return t(`error.${code}`);
  if (code.endsWith("_not_found")) return t("error.not_found");
  if (err.status === 422) return t("error.invalid_input");
  return err.message || String(err);
}

/**
 * The message for the first field error at `path` or below it (`skills` matches
 * `skills[0].proficiency`), translated by its code when we know the code.
 */
export function fieldError(err, path) {
  if (!err || !err.fieldErrors) return null;
  const hit = err.fieldErrors().find(
    (e) => e.field === path || e.field.startsWith(`${path}.`) || e.field.startsWith(`${path}[`),
  );
  if (!hit) return null;
  return has(`field.${hit.code}`) ? t(`field.${hit.code}`) : hit.message;
}

/**
 * The error in our words. For 403 and 422 the server's own sentence goes under it, because it
 * says which role or which field (it is English: the API speaks one language).
 */
export function ErrorBox({ error }) {
  if (!error) return null;
  const text = errorText(error);
  const server = [403, 422].includes(error.status) && error.message !== text ? error.message : null;
  return html`<div class="error" role="alert">
    ${text}${server && html`<small class="server-message">${server}</small>`}
  </div>`;
}

export function Notice({ text }) {
  if (!text) return null;
  return html`<div class="notice" role="status">${text}</div>`;
}

/**
 * A labelled control with an optional hint and the field's error under it. The hint and error
 * sit outside the <label> so the control's accessible name is just the label.
 */
export function Field({ label, error, hint, children, wide }) {
  return html`<div class=${`field${wide ? " wide" : ""}${error ? " invalid" : ""}`}>
    <label><span class="label">${label}</span>${children}</label>
    ${hint && html`<small class="hint">${hint}</small>`}
    ${error && html`<small class="field-error">${error}</small>`}
  </div>`;
}

/** The same as Field for a group of controls (checkboxes, rows), with a legend. */
export function FieldSet({ legend, error, hint, children }) {
  return html`<fieldset class=${error ? "invalid" : ""}>
    <legend>${legend}</legend>
    ${children}
    ${hint && html`<small class="hint">${hint}</small>`}
    ${error && html`<small class="field-error">${error}</small>`}
  </fieldset>`;
}

/** Edits a list of short words (tags, languages, tiers): chips with a remove button and an input. */
export function ChipInput({ label, value, onChange, placeholder }) {
  const [draft, setDraft] = useState("");
  const add = () => {
    const words = draft
      .split(/[,，]/)
      .map((w) => w.trim())
      .filter((w) => w && !value.includes(w));
    if (words.length) onChange([...value, ...words]);
    setDraft("");
  };
  return html`<div class="chips">
    ${value.map(
      (w) => html`<span class="chip" key=${w}>
        <span>${w}</span>
        <button type="button" class="link" aria-label=${t("common.remove_x", { x: w })}
          onClick=${() => onChange(value.filter((x) => x !== w))}>×</button>
      </span>`,
    )}
    <input aria-label=${label} placeholder=${placeholder || t("common.add_placeholder")} value=${draft}
      onInput=${(e) => setDraft(e.target.value)}
      onKeyDown=${(e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          add();
        }
      }} />
    <button type="button" onClick=${add} disabled=${!draft.trim()}>${t("common.add")}</button>
  </div>`;
}

/**
 * Loads a cursor-paged list: `load(cursor)` returns {items, next_cursor}. Reloads when `deps`
 * change; `more()` appends the next page.
 */
export function usePaged(load, deps) {
  const [state, setState] = useState({ items: [], next: null, loading: true, error: null });
  const seq = useRef(0);
  const fetchPage = useCallback((cursor, append) => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    load(cursor).then(
      (page) => {
        if (mine !== seq.current) return;
        setState((s) => ({
          items: append ? [...s.items, ...page.items] : page.items,
          next: page.next_cursor || null,
          loading: false,
          error: null,
        }));
      },
      (error) => {
        if (mine !== seq.current) return;
        setState((s) => ({ ...s, loading: false, error }));
      },
    );
  }, deps);
  useEffect(() => fetchPage(null, false), [fetchPage]);
  return {
    ...state,
    more: () => state.next && fetchPage(state.next, true),
    reload: () => fetchPage(null, false),
  };
}

export function LoadMore({ paged }) {
  return html`<div class="list-foot">
    <${ErrorBox} error=${paged.error} />
    ${paged.loading && html`<span class="muted">${t("common.loading")}</span>`}
    ${!paged.loading && !paged.error && paged.items.length === 0 &&
    html`<span class="muted">${t("common.empty")}</span>`}
    ${paged.next && !paged.loading &&
    html`<button type="button" onClick=${paged.more}>${t("common.load_more")}</button>`}
  </div>`;
}

/** Loads one thing once per change of `deps`; returns {data, error, loading, reload, set}. */
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (error) => mine === seq.current && setState({ data: null, error, loading: false }),
    );
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run, set: (data) => setState({ data, error: null, loading: false }) };
}

/** Collects every page of a list (small lists only: groups, users for pickers). */
export async function allPages(load) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < 50; i++) {
    const page = await load(cursor);
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return items;
}

export function RoleLabel({ role }) {
  return html`<span class=${`role role-${role}`}>${t(`role.${role}`)}</span>`;
}

export function PresenceDot({ state, reason }) {
  return html`<span class=${`presence presence-${state}`}>
    ${t(`presence.${state}`)}${state === "away" && reason ? ` · ${reasonLabel(reason)}` : ""}
  </span>`;
}

const AWAY_REASONS = ["lunch", "meeting", "training", "break"];

function reasonLabel(reason) {
  return has(`reason.${reason}`) ? t(`reason.${reason}`) : reason;
}

/**
 * The presence control: available, away with a reason, busy, offline (wrap-up is set by the
 * router, shown but not pickable). `onSet({state, reason})` does the request.
 */
export function PresencePicker({ state, reason, onSet, label, disabled }) {
  const value = state === "away" ? `away:${reason || ""}` : state;
  const options = [
    ["available", t("presence.available")],
    ...AWAY_REASONS.map((r) => [`away:${r}`, `${t("presence.away")} · ${reasonLabel(r)}`]),
    ["busy", t("presence.busy")],
    ["offline", t("presence.offline")],
  ];
  if (!options.some(([v]) => v === value)) {
    options.push([value, t(`presence.${state}`) + (reason ? ` · ${reasonLabel(reason)}` : "")]);
  }
  return html`<select aria-label=${label} value=${value} disabled=${disabled}
    class=${`presence-select presence-${state}`}
    onChange=${(e) => {
      const [s, r] = e.target.value.split(":");
      onSet(s === "away" ? { state: s, reason: r } : { state: s });
    }}>
    ${options.map(([v, l]) => html`<option value=${v} key=${v}>${l}</option>`)}
  </select>`;
}

/** JSON shown as text, for audit states and event payloads. */
export function JsonView({ value }) {
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}

/**
 * A button that asks "sure?" in place before doing something destructive. In-page rather than
 * window.confirm, so no browser dialog ever opens (the e2e test treats any dialog as a failure).
 */
export function ConfirmButton({ label, confirmLabel, onConfirm, disabled, danger = true }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return html`<button type="button" class=${danger ? "danger" : ""} disabled=${disabled}
      onClick=${() => setAsking(true)}>${label}</button>`;
  }
  return html`<span class="confirm">
    <button type="button" class="danger" onClick=${() => { setAsking(false); onConfirm(); }}>
      ${confirmLabel || t("common.confirm_x", { x: label })}
    </button>
    <button type="button" onClick=${() => setAsking(false)}>${t("common.cancel")}</button>
  </span>`;
}

/**
 * Runs one request at a time for a form or button: {busy, error, notice, run(fn, doneText)}.
 * `run` keeps the error for display instead of throwing, and resolves to fn's result or null.
 */
export function useAction() {
  const [state, setState] = useState({ busy: false, error: null, notice: null });
  const run = async (fn, doneText) => {
    setState({ busy: true, error: null, notice: null });
    try {
      const result = await fn();
      setState({ busy: false, error: null, notice: doneText || null });
      return result ?? true;
    } catch (error) {
      setState({ busy: false, error, notice: null });
      return null;
    }
  };
  return { ...state, run, clear: () => setState({ busy: false, error: null, notice: null }) };
}

/** A page title with actions on the right. */
export function PageHead({ title, children }) {
  return html`<div class="page-head"><h1>${title}</h1><div class="actions">${children}</div></div>`;
}

/** The language switcher: overrides the browser's language and is remembered. */
export function LangSwitch() {
  return html`<select aria-label=${t("header.language")} value=${lang()}
    onChange=${(e) => setLang(e.target.value)}>
    ${LANGS.map(([code, name]) => html`<option value=${code} key=${code}>${name}</option>`)}
  </select>`;
}

/** `value`, but only once it has stopped changing for `ms` (search boxes). */
export function useDebounced(value, ms = 300) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/** A form's last lines: its error, its "saved" notice, the submit button and any other buttons. */
export function FormFoot({ action, label, children }) {
  return html`<${ErrorBox} error=${action.error} />
    <${Notice} text=${action.notice} />
    <div class="actions">
      <button type="submit" class="primary" disabled=${action.busy}>${label}</button>
      ${children}
    </div>`;
}

/**
 * An editable list of rows (skills, attributes): `renderRow(row, update)` draws one row's
 * inputs, `update(patch)` changes that row; each row gets a remove button, the list an add one.
 */
export function RowList({ legend, hint, error, rows, onChange, blank, addLabel, renderRow }) {
  const update = (i) => (patch) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return html`<${FieldSet} legend=${legend} error=${error} hint=${hint}>
    ${rows.map(
      (row, i) => html`<div class="row" key=${i}>
        ${renderRow(row, update(i))}
        <button type="button" class="link" onClick=${() => onChange(rows.filter((_, j) => j !== i))}>
          ${t("common.remove")}</button>
      </div>`,
    )}
    <button type="button" onClick=${() => onChange([...rows, { ...blank }])}>${addLabel}</button>
  <//>`;
}
