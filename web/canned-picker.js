// The reply box's "/" list: a reply that is "/" plus a shortcut lists the matching canned
// responses; arrows and Enter or a click put the picked one, rendered for the conversation, in.
import { html, useState, useEffect } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";

// "/" at the very start and the shortcut typed so far: a space or a new line ends the command,
// so a reply that merely starts with a slash ("/etc is …") closes the list once it goes on.
const SLASH = /^\/(\S*)$/;
const LIMIT = 20;
const DEBOUNCE_MS = 120;
const LIST_ID = "canned-picker";

/** What follows the "/" when the reply is a "/" command, else null. */
export const slashQuery = (text) => text.match(SLASH)?.[1] ?? null;

/** Shortcuts that start with the query first (the server also matches titles and bodies). */
function ranked(items, query) {
  const q = query.toLowerCase();
  const starts = (c) => (c.shortcut.startsWith(q) ? 0 : 1);
  return [...items].sort((a, b) => starts(a) - starts(b) || a.shortcut.localeCompare(b.shortcut));
}

/**
 * State of the list for the reply `text`. `onPick(body)` gets the rendered text. Returns
 * {open, onKeyDown, textareaProps, list}: `onKeyDown(e)` is true when the list used the key.
 */
export function useCannedPicker({ text, conversationId, onPick }) {
  const query = slashQuery(text);
  // The reply as it was when Esc closed the list: it stays closed until the reply changes.
  const [dismissed, setDismissed] = useState(null);
  const [result, setResult] = useState({ query: null, items: [], error: null });
  const [active, setActive] = useState(0);
  const [rendering, setRendering] = useState(false);
  const [pickError, setPickError] = useState(null);
  const open = query !== null && dismissed !== text;

  useEffect(() => {
    if (!open) return undefined;
    let stale = false;
    const timer = setTimeout(() => {
      api.get("/canned-responses", { q: query, limit: LIMIT }).then(
        (page) => {
          if (stale) return;
          setResult({ query, items: ranked(page.items, query), error: null });
          setActive(0);
        },
        (error) => !stale && setResult({ query, items: [], error }),
      );
    }, DEBOUNCE_MS);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [open, query]);

  useEffect(() => {
    if (open) document.getElementById(`${LIST_ID}-${active}`)?.scrollIntoView({ block: "nearest" });
  }, [open, active]);

  const items = open && result.query === query ? result.items : [];
  const pick = async (canned) => {
    if (!canned || rendering) return;
    setRendering(true);
    setPickError(null);
    try {
      const rendered = await api.post(`/conversations/${conversationId}/canned-responses/${canned.id}/render`, {});
      onPick(rendered.body);
    } catch (error) {
      setPickError(error);
    } finally {
      setRendering(false);
    }
  };

  const onKeyDown = (e) => {
    if (!open) return false;
    if (e.key === "Escape") {
      setDismissed(text);
      return true;
    }
    if (items.length === 0) return false;
    if (e.key === "ArrowDown") setActive((a) => (a + 1) % items.length);
    else if (e.key === "ArrowUp") setActive((a) => (a - 1 + items.length) % items.length);
    else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey && !e.shiftKey) pick(items[active]);
    else return false;
    return true;
  };

  const textareaProps = {
    "aria-autocomplete": "list",
    "aria-controls": open ? LIST_ID : undefined,
    "aria-activedescendant": items.length ? `${LIST_ID}-${active}` : undefined,
  };

  const waiting = open && result.query !== query;
  const list = open
    ? html`<div class="canned-picker">
        <ul role="listbox" id=${LIST_ID} aria-label=${t("canned.picker")} aria-busy=${String(waiting || rendering)}>
          ${items.map(
            (c, i) => html`<li role="option" key=${c.id} id=${`${LIST_ID}-${i}`} aria-selected=${String(i === active)}
              class=${i === active ? "active" : ""}
              onMouseDown=${(e) => e.preventDefault()} onMouseEnter=${() => setActive(i)} onClick=${() => pick(c)}>
              <span class="canned-head">
                <strong>/${c.shortcut}</strong> <span>${c.title}</span>
                ${c.shared && html`<span class="badge">${t("canned.shared")}</span>`}
              </span>
              <span class="canned-preview muted">${c.body}</span>
            </li>`,
          )}
        </ul>
        ${waiting && items.length === 0 && html`<p class="muted">${t("common.loading")}</p>`}
        ${!waiting && !result.error && items.length === 0 &&
        html`<p class="muted">${t("canned.no_match", { q: `/${query}` })} <a href="#/canned">${t("canned.manage")}</a></p>`}
      </div>`
    : null;

  return { open, onKeyDown, textareaProps, list, error: (open && result.error) || pickError, rendering };
}
