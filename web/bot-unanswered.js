// The bot's learning loop for knowledge editors: questions it did not answer outright (choices,
// rephrase, handoff), grouped by text, most frequent first, each one click away from becoming a
// similar question of the bot's best guess or a new FAQ (through the knowledge base API).
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { ErrorBox, useLoad, useAction } from "./ui.js";

function Group({ group, onDone }) {
  const act = useAction();
  const [answer, setAnswer] = useState("");
  const [creating, setCreating] = useState(false);
  const guess = group.best_guess;
  const addSimilar = () =>
    act.run(async () => {
      const faq = await api.get(`/kb/faqs/${guess.faq_id}`);
      const similar = faq.similar_questions.includes(group.example)
        ? faq.similar_questions
        : [...faq.similar_questions, group.example];
      await api.patch(`/kb/faqs/${guess.faq_id}`, { similar_questions: similar });
      onDone(t("bot.added_similar", { question: guess.question }));
    });
  const create = (e) => {
    e.preventDefault();
    act.run(async () => {
      await api.post("/kb/faqs", { question: group.example, answer });
      onDone(t("bot.faq_created"));
    });
  };
  return html`<li class="unanswered">
    <div><strong>${group.example}</strong> <span class="badge">×${group.count}</span>
      ${Object.entries(group.outcomes).map(([k, n]) => html` <span class="chip small" key=${k}>${t(`bot.outcome.${k}`)} ${n}</span>`)}</div>
    ${guess && html`<div class="muted">${t("bot.best_guess", { question: guess.question, pct: Math.round(guess.confidence * 100) })}</div>`}
    <div class="actions">
      ${guess && html`<button type="button" disabled=${act.busy} onClick=${addSimilar}>${t("bot.add_similar")}</button>`}
      <button type="button" disabled=${act.busy} onClick=${() => setCreating(!creating)}>${t("bot.create_faq")}</button>
    </div>
    ${creating &&
    html`<form class="form" onSubmit=${create}>
      <label>${t("bot.new_answer")}
        <textarea required value=${answer} onInput=${(e) => setAnswer(e.target.value)} /></label>
      <button type="submit" class="primary" disabled=${act.busy}>${t("common.save")}</button>
    </form>`}
    <${ErrorBox} error=${act.error} />
  </li>`;
}

/** Settings' section: what the bot missed in the last 30 days. */
export function BotUnanswered() {
  const list = useLoad(() => api.get("/bot/unanswered", { limit: 20 }), []);
  const [notice, setNotice] = useState(null);
  const done = (text) => {
    setNotice(text);
    list.reload();
  };
  return html`<div class="card" role="region" aria-label=${t("bot.unanswered")}>
    <h2>${t("bot.unanswered")}</h2>
    <p class="muted">${t("bot.unanswered_hint")}</p>
    <${ErrorBox} error=${list.error} />
    ${notice && html`<p class="muted" role="status">${notice}</p>`}
    ${list.data && list.data.length === 0 && html`<p class="muted">${t("common.empty")}</p>`}
    <ul class="plain">
      ${(list.data || []).map((g) => html`<${Group} key=${g.text} group=${g} onDone=${done} />`)}
    </ul>
  </div>`;
}
