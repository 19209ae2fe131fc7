// The bot beside an agent's conversation: after a handoff, why it handed off and its best
// guesses; for the customer's latest message, the top knowledge suggestions, whose answer one
// click puts in the reply box (never sent by itself).
import { html, useState, useEffect } from "./lib.js";
import { api } from "./api.js";
import { t, has } from "./i18n.js";

const SUGGESTIONS = 3;
const percent = (confidence) => `${Math.round((confidence || 0) * 100)}%`;

/** The bot's handoff reason and guesses, when the conversation started with the bot. */
export function BotGuesses({ conversation: c }) {
  const [bot, setBot] = useState(null);
  useEffect(() => {
    let current = true;
    setBot(null);
    api.get(`/conversations/${c.id}/bot`).then(
      (data) => current && setBot(data),
      () => current && setBot(null),
    );
    return () => {
      current = false;
    };
  }, [c.id, c.status]);
  const reason = bot?.session?.handoff_reason;
  if (!reason) return null;
  const reasonText = has(`bot.reason.${reason}`) ? t(`bot.reason.${reason}`) : reason;
  const context = bot.session.handoff_context;
  return html`<aside class="bot-guesses card" aria-label=${t("bot.guesses")}>
    <h3>${t("bot.guesses")}</h3>
    <p class="muted">${t("bot.handed_off", { reason: reasonText })}</p>
    ${context && html`<${HandoffContext} context=${context} />`}
    ${bot.handoff_guesses.length === 0
      ? html`<p class="muted">${t("bot.no_guesses")}</p>`
      : html`<ol>
          ${bot.handoff_guesses.map(
            (g) => html`<li key=${g.faq_id}><span>${g.question}</span> <span class="badge">${percent(g.confidence)}</span></li>`,
          )}
        </ol>`}
  </aside>`;
}

/** What a scenario collected before handing off (slots as the customer typed them, as text)
 * and the integration's error code, for the agent only. */
function HandoffContext({ context }) {
  const slots = Object.entries(context.slots || {});
  return html`<div class="bot-context" aria-label=${t("bot.context")}>
    ${slots.length > 0 &&
    html`<dl>${slots.map(([k, v]) => html`<div key=${k}><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`}
    ${context.error && html`<p class="muted">${t("bot.context_error", { code: context.error })}</p>`}
  </div>`;
}

/** The knowledge base's best answers to `question`; `onInsert(answer)` fills the reply box. */
export function Suggestions({ question, onInsert }) {
  const [items, setItems] = useState(null);
  useEffect(() => {
    let current = true;
    api.post("/kb/match", { question, limit: SUGGESTIONS }).then(
      (data) => {
        if (!current) return;
        const list = Array.isArray(data) ? data : data.matches || data.items || [];
        setItems(list.slice(0, SUGGESTIONS));
      },
      // No knowledge base (or none matching): the workspace works as before.
      () => current && setItems([]),
    );
    return () => {
      current = false;
    };
  }, [question]);
  if (!items || items.length === 0) return null;
  return html`<section class="suggestions" aria-label=${t("bot.suggestions")}>
    <h3>${t("bot.suggestions")}</h3>
    <ul>
      ${items.map(
        (s) => html`<li key=${s.faq_id}>
          <div><strong>${s.question}</strong> <span class="badge">${percent(s.confidence)}</span></div>
          <div class="muted suggestion-answer">${s.answer}</div>
          <button type="button" onClick=${() => onInsert(s.answer)}>${t("bot.insert")}</button>
        </li>`,
      )}
    </ul>
  </section>`;
}
