// The knowledge base (知识库): search over everything, then two tabs — FAQs (list with search and
// category filter, the FAQ editor, CSV/JSONL import and export, the bot's settings, "Try the bot")
// and help articles (pages/articles.js) — and the category tree both share.
import { html, useState, useEffect } from "../lib.js";
import { api, ApiError } from "../api.js";
import { t } from "../i18n.js";
import {
  rank, isAdmin, ErrorBox, Notice, Field, ChipInput, usePaged, LoadMore, useLoad, useAction, fieldError,
  ConfirmButton, PageHead, FormFoot, useDebounced, RowList,
} from "../ui.js";
import { ArticlesTab, KbSearch } from "./articles.js";
import { ScenariosTab, IntegrationsTab, FaqActionEditor } from "./scenarios.js";

const canWrite = (user) => rank(user.role) >= rank("supervisor");

/** Category id → "parent/child" path, for the pickers and the list. */
function categoryPaths(categories) {
  const byId = new Map(categories.map((c) => [c.id, c]));
  const paths = new Map();
  for (const c of categories) {
    const names = [c.name];
    let parent = byId.get(c.parent_id);
    while (parent && names.length <= categories.length) {
      names.unshift(parent.name);
      parent = byId.get(parent.parent_id);
    }
    paths.set(c.id, names.join(" / "));
  }
  return paths;
}

export function KnowledgePage({ session }) {
  const writer = canWrite(session.user);
  const categories = useLoad(() => api.get("/kb/categories"), []);
  const paths = categoryPaths(categories.data || []);
  const [tab, setTab] = useState("faqs");
  const [editing, setEditing] = useState(null);
  const [article, setArticle] = useState(null);
  const [version, setVersion] = useState(0);
  const changed = () => {
    setVersion(version + 1);
    categories.reload();
  };
  const admin = isAdmin(session.user);
  const tabs = [
    ["faqs", t("kb.faqs")],
    ["articles", t("kb.articles")],
    ["scenarios", t("kb.scenarios")],
    ...(admin ? [["integrations", t("kb.integrations")]] : []),
  ];
  return html`<section class="knowledge">
    <${PageHead} title=${t("nav.knowledge")}>
      ${writer && tab === "faqs" && html`<button type="button" class="primary" onClick=${() => setEditing("new")}>${t("kb.new")}</button>`}
    <//>
    <p class="muted">${t("kb.intro")}</p>
    <${KbSearch}
      onOpenFaq=${(id) => {
        setTab("faqs");
        setEditing(id);
      }}
      onOpenArticle=${(id) => {
        setTab("articles");
        setArticle(id);
      }} />
    <div class="tabs" role="tablist" aria-label=${t("nav.knowledge")}>
      ${tabs.map(
        ([name, label]) => html`<button type="button" role="tab" key=${name} aria-selected=${tab === name ? "true" : "false"}
          class=${tab === name ? "tab active" : "tab"} onClick=${() => setTab(name)}>${label}</button>`,
      )}
    </div>
    ${tab === "scenarios" && html`<${TryBot} writer=${writer} /><${ScenariosTab} writer=${writer} admin=${admin} />`}
    ${tab === "integrations" && html`<${IntegrationsTab} />`}
    ${tab === "articles" &&
    html`<${ArticlesTab} writer=${writer} paths=${paths} CategorySelect=${CategorySelect}
          editing=${article} setEditing=${setArticle} />`}
    ${tab === "faqs" &&
    html`<${TryBot} writer=${writer} />
          ${editing &&
          html`<${FaqEditor} key=${editing} id=${editing} paths=${paths} writer=${writer}
            onDone=${() => {
              setEditing(null);
              changed();
            }} />`}
          ${editing && editing !== "new" && html`<${FaqActionEditor} key=${`action-${editing}`} faqId=${editing} writer=${writer} />`}
          <${FaqList} paths=${paths} version=${version} onOpen=${setEditing} />`}
    ${writer && (tab === "faqs" || tab === "articles") && html`<${Categories} paths=${paths} onChange=${changed} />`}
    ${tab === "faqs" && html`<${ImportExport} writer=${writer} onImported=${changed} />
      <${BotSettings} writer=${writer} />`}
  </section>`;
}

function CategorySelect({ paths, value, onChange, label, none }) {
  return html`<select aria-label=${label} value=${value || ""} onChange=${(e) => onChange(e.target.value || null)}>
    <option value="">${none}</option>
    ${[...paths.entries()]
      .sort((a, b) => a[1].localeCompare(b[1]))
      .map(([id, path]) => html`<option value=${id} key=${id}>${path}</option>`)}
  </select>`;
}

function FaqList({ paths, version, onOpen }) {
  const [q, setQ] = useState("");
  const [category, setCategory] = useState(null);
  const [status, setStatus] = useState("");
  const query = useDebounced(q.trim());
  const paged = usePaged(
    (cursor) => api.get("/kb/faqs", { q: query, category_id: category, status, cursor }),
    [query, category, status, version],
  );
  return html`<div class="card">
    <h2>${t("kb.faqs")}</h2>
    <div class="filters">
      <input type="search" aria-label=${t("kb.search")} placeholder=${t("kb.search")} value=${q}
        onInput=${(e) => setQ(e.target.value)} />
      <${CategorySelect} paths=${paths} value=${category} onChange=${setCategory}
        label=${t("kb.category_filter")} none=${t("kb.all_categories")} />
      <select aria-label=${t("kb.status")} value=${status} onChange=${(e) => setStatus(e.target.value)}>
        <option value="">${t("kb.all_statuses")}</option>
        <option value="published">${t("kb.status.published")}</option>
        <option value="draft">${t("kb.status.draft")}</option>
      </select>
    </div>
    <table class="list">
      <thead><tr>
        <th>${t("kb.question")}</th><th>${t("kb.answer")}</th><th>${t("kb.category")}</th><th>${t("kb.status")}</th>
      </tr></thead>
      <tbody>
        ${paged.items.map(
          (f) => html`<tr key=${f.id}>
            <td><button type="button" class="link" onClick=${() => onOpen(f.id)}>${f.question}</button>
              ${f.similar_questions.length > 0 &&
              html`<small class="muted"> +${t("kb.similar_count", { n: f.similar_questions.length })}</small>`}</td>
            <td><div class="canned-preview">${f.answer}</div></td>
            <td>${paths.get(f.category_id) || ""}</td>
            <td><span class="badge">${t(`kb.status.${f.status}`)}</span></td>
          </tr>`,
        )}
      </tbody>
    </table>
    <${LoadMore} paged=${paged} />
  </div>`;
}

const BLANK = {
  question: "", similar: "", answer: "", category_id: null, tags: [], language: "",
  status: "published", variants: [],
};

function FaqEditor({ id, paths, writer, onDone }) {
  const isNew = id === "new";
  const faq = useLoad(() => (isNew ? Promise.resolve(null) : api.get(`/kb/faqs/${id}`)), [id]);
  const [draft, setDraft] = useState(BLANK);
  const save = useAction();
  const remove = useAction();
  useEffect(() => {
    const f = faq.data;
    if (f) {
      setDraft({
        question: f.question, similar: f.similar_questions.join("\n"), answer: f.answer,
        category_id: f.category_id, tags: f.tags, language: f.language || "", status: f.status,
        variants: Object.entries(f.variants).map(([channel, text]) => ({ channel, text })),
      });
    }
  }, [faq.data]);
  const set = (patch) => setDraft({ ...draft, ...patch });
  const submit = async (e) => {
    e.preventDefault();
    const body = {
      question: draft.question,
      similar_questions: draft.similar.split("\n").map((s) => s.trim()).filter(Boolean),
      answer: draft.answer,
      category_id: draft.category_id,
      tags: draft.tags,
      language: draft.language.trim() || null,
      status: draft.status,
      variants: Object.fromEntries(draft.variants.filter((v) => v.channel.trim()).map((v) => [v.channel.trim(), v.text])),
    };
    const done = isNew
      ? await save.run(() => api.post("/kb/faqs", body))
      : await save.run(() => api.patch(`/kb/faqs/${id}`, body));
    if (done) onDone();
  };
  const del = async () => {
    if (await remove.run(() => api.del(`/kb/faqs/${id}`))) onDone();
  };
  if (faq.error) return html`<${ErrorBox} error=${faq.error} />`;
  if (!isNew && !faq.data) return html`<p class="muted">${t("common.loading")}</p>`;
  return html`<form class="card form" aria-label=${t("kb.editor")} onSubmit=${submit}>
    <h2>${isNew ? t("kb.new") : t("kb.edit")}</h2>
    <fieldset class="plain" disabled=${!writer}>
      <${Field} label=${t("kb.question")} error=${fieldError(save.error, "question")} wide>
        <input name="question" required maxlength="500" value=${draft.question}
          onInput=${(e) => set({ question: e.target.value })} />
      <//>
      <${Field} label=${t("kb.similar")} hint=${t("kb.similar_hint")} error=${fieldError(save.error, "similar_questions")} wide>
        <textarea name="similar" rows="4" value=${draft.similar} onInput=${(e) => set({ similar: e.target.value })}></textarea>
      <//>
      <${Field} label=${t("kb.answer")} hint=${t("kb.answer_hint")} error=${fieldError(save.error, "answer")} wide>
        <textarea name="answer" rows="5" required value=${draft.answer} onInput=${(e) => set({ answer: e.target.value })}></textarea>
      <//>
      <${Field} label=${t("kb.category")} error=${fieldError(save.error, "category_id")}>
        <${CategorySelect} paths=${paths} value=${draft.category_id} onChange=${(v) => set({ category_id: v })}
          label=${t("kb.category")} none=${t("kb.no_category")} />
      <//>
      <${Field} label=${t("kb.tags")} error=${fieldError(save.error, "tags")}>
        <${ChipInput} label=${t("kb.tags")} value=${draft.tags} onChange=${(tags) => set({ tags })} />
      <//>
      <${Field} label=${t("kb.language")} error=${fieldError(save.error, "language")}>
        <input name="language" value=${draft.language} onInput=${(e) => set({ language: e.target.value })} />
      <//>
      <${Field} label=${t("kb.status")}>
        <select value=${draft.status} onChange=${(e) => set({ status: e.target.value })}>
          <option value="published">${t("kb.status.published")}</option>
          <option value="draft">${t("kb.status.draft")}</option>
        </select>
      <//>
      <${RowList} legend=${t("kb.variants")} hint=${t("kb.variants_hint")} error=${fieldError(save.error, "variants")}
        rows=${draft.variants} onChange=${(variants) => set({ variants })} blank=${{ channel: "", text: "" }}
        addLabel=${t("kb.add_variant")}
        renderRow=${(row, update) => html`
          <input aria-label=${t("kb.variant_channel")} placeholder="wechat" value=${row.channel}
            onInput=${(e) => update({ channel: e.target.value })} />
          <textarea aria-label=${t("kb.variant_text")} rows="2" value=${row.text}
            onInput=${(e) => update({ text: e.target.value })}></textarea>`} />
    </fieldset>
    ${writer
      ? html`<${FormFoot} action=${save} label=${isNew ? t("common.create") : t("common.save")}>
          <button type="button" onClick=${onDone}>${t("kb.close")}</button>
          ${!isNew && html`<${ConfirmButton} label=${t("common.delete")} onConfirm=${del} disabled=${remove.busy} />`}
        <//>`
      : html`<div class="actions"><button type="button" onClick=${onDone}>${t("kb.close")}</button></div>`}
    <${ErrorBox} error=${remove.error} />
  </form>`;
}

function Categories({ paths, onChange }) {
  const [name, setName] = useState("");
  const [parent, setParent] = useState(null);
  const add = useAction();
  const submit = async (e) => {
    e.preventDefault();
    if (await add.run(() => api.post("/kb/categories", { name, parent_id: parent }))) {
      setName("");
      onChange();
    }
  };
  return html`<form class="card form" aria-label=${t("kb.categories")} onSubmit=${submit}>
    <h2>${t("kb.categories")}</h2>
    <div class="filters">
      <input aria-label=${t("kb.category_name")} placeholder=${t("kb.category_name")} required value=${name}
        onInput=${(e) => setName(e.target.value)} />
      <${CategorySelect} paths=${paths} value=${parent} onChange=${setParent}
        label=${t("kb.category_parent")} none=${t("kb.top_level")} />
      <button type="submit" disabled=${add.busy}>${t("kb.add_category")}</button>
    </div>
    <${ErrorBox} error=${add.error} />
  </form>`;
}

/** Sends the chosen file as the raw body; the answer (or its line errors) is shown. */
async function uploadImport(file, format) {
  const res = await fetch(`/api/v1/kb/import?format=${format}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": format === "csv" ? "text/csv" : "application/x-ndjson" },
    body: file,
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

function ImportExport({ writer, onImported }) {
  const [file, setFile] = useState(null);
  const [format, setFormat] = useState("csv");
  const run = useAction();
  const [result, setResult] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setResult(null);
    const done = await run.run(() => uploadImport(file, format));
    if (done) {
      setResult(done);
      onImported();
    }
  };
  const lineErrors = run.error?.code === "invalid_import" ? run.error.details.errors || [] : [];
  return html`<div class="card">
    <h2>${t("kb.import_export")}</h2>
    <p class="muted">${t("kb.import_hint")}</p>
    ${writer &&
    html`<form class="filters" aria-label=${t("kb.import")} onSubmit=${submit}>
      <input type="file" aria-label=${t("kb.import_file")} accept=".csv,.jsonl,.ndjson,text/csv"
        onChange=${(e) => {
          const chosen = e.target.files[0] || null;
          setFile(chosen);
          if (chosen && /\.(jsonl|ndjson)$/i.test(chosen.name)) setFormat("jsonl");
        }} />
      <select aria-label=${t("kb.format")} value=${format} onChange=${(e) => setFormat(e.target.value)}>
        <option value="csv">CSV</option><option value="jsonl">JSONL</option>
      </select>
      <button type="submit" class="primary" disabled=${!file || run.busy}>${t("kb.import")}</button>
    </form>`}
    ${lineErrors.length > 0
      ? html`<div class="error" role="alert">
          <p>${t("kb.import_failed")}</p>
          <ul class="import-errors">
            ${lineErrors.map(
              (e, i) => html`<li key=${i}>${t("kb.import_line", { line: e.line, field: e.field })} ${e.message}</li>`,
            )}
          </ul>
        </div>`
      : html`<${ErrorBox} error=${run.error} />`}
    ${result && html`<${Notice} text=${t("kb.imported", result)} />`}
    <div class="actions">
      <a class="button" href="/api/v1/kb/export?format=csv" download="faqs.csv">${t("kb.export_csv")}</a>
      <a class="button" href="/api/v1/kb/export?format=jsonl" download="faqs.jsonl">${t("kb.export_jsonl")}</a>
    </div>
  </div>`;
}

const SETTINGS = [
  ["answer_threshold", "0.01"],
  ["margin", "0.01"],
  ["suggest_threshold", "0.01"],
  ["rephrase_attempts", "1"],
  ["max_choices", "1"],
  ["slot_attempts", "1"],
];

function BotSettings({ writer }) {
  const loaded = useLoad(() => api.get("/kb/settings"), []);
  const [draft, setDraft] = useState(null);
  const save = useAction();
  useEffect(() => loaded.data && setDraft(loaded.data), [loaded.data]);
  if (loaded.error) return html`<${ErrorBox} error=${loaded.error} />`;
  if (!draft) return null;
  const submit = async (e) => {
    e.preventDefault();
    const body = Object.fromEntries(SETTINGS.map(([k]) => [k, Number(draft[k])]));
    const saved = await save.run(() => api.put("/kb/settings", body), t("common.saved"));
    if (saved) loaded.set(saved);
  };
  return html`<form class="card form" aria-label=${t("kb.settings")} onSubmit=${submit}>
    <h2>${t("kb.settings")}</h2>
    <p class="muted">${t("kb.settings_hint")}</p>
    <fieldset class="plain" disabled=${!writer}>
      ${SETTINGS.map(
        ([key, step]) => html`<${Field} key=${key} label=${t(`kb.setting.${key}`)} error=${fieldError(save.error, key)}>
          <input type="number" step=${step} value=${draft[key]} onInput=${(e) => setDraft({ ...draft, [key]: e.target.value })} />
        <//>`,
      )}
    </fieldset>
    ${writer && html`<${FormFoot} action=${save} label=${t("common.save")} />`}
  </form>`;
}

function TryBot({ writer }) {
  const [question, setQuestion] = useState("");
  const [channel, setChannel] = useState("web");
  const ask = useAction();
  const [answer, setAnswer] = useState(null);
  // While a scenario runs: the last /kb/try answer, whose `state` goes with the next message.
  const [walk, setWalk] = useState(null);
  const send = async (message) => {
    if (walk?.state) {
      const next = await ask.run(() => api.post("/kb/try", { message, state: walk.state, channel }));
      if (next) {
        setWalk(next);
        setQuestion("");
      }
      return;
    }
    const result = await ask.run(() => api.post("/kb/match", { question: message, channel }));
    setAnswer(result || null);
    // Supervisors and up may run scenarios (their calls reach the tenant's systems).
    const tried = writer && result ? await api.post("/kb/try", { message, channel }).catch(() => null) : null;
    const walking = tried && (tried.action === "scenario" || tried.state || tried.handoff_context);
    setWalk(walking ? tried : null);
    if (walking) setQuestion("");
  };
  const submit = (e) => {
    e.preventDefault();
    send(question);
  };
  const reply = answer?.reply;
  return html`<form class="card form" aria-label=${t("kb.try")} onSubmit=${submit}>
    <h2>${t("kb.try")}</h2>
    <div class="filters">
      <input aria-label=${t("kb.try_question")} placeholder=${t("kb.try_placeholder")} value=${question}
        onInput=${(e) => setQuestion(e.target.value)} />
      <select aria-label=${t("kb.channel")} value=${channel} onChange=${(e) => setChannel(e.target.value)}>
        ${["web", "app", "email", "wechat"].map((c) => html`<option value=${c} key=${c}>${c}</option>`)}
      </select>
      <button type="submit" disabled=${ask.busy}>${t("kb.ask")}</button>
    </div>
    <${ErrorBox} error=${ask.error} />
    ${walk &&
    html`<div class="bot-reply" role="status" aria-label=${t("kb.bot_reply")}>
      <p><strong>${t(`kb.action.${walk.action}`)}</strong>
        ${walk.handoff_reason && html` · ${t(`bot.reason.${walk.handoff_reason}`)}`}</p>
      <p class="pre">${walk.body}</p>
      ${walk.options.length > 0 &&
      html`<div class="actions" role="group">
        ${walk.options.map((o) => html`<button type="button" key=${o} onClick=${() => send(o)}>${o}</button>`)}
      </div>`}
      ${walk.handoff_context && html`<pre class="muted">${JSON.stringify(walk.handoff_context, null, 2)}</pre>`}
      <button type="button" class="link" onClick=${() => setWalk(null)}>${t("kb.try_restart")}</button>
    </div>`}
    ${reply && !walk &&
    html`<div class="bot-reply" role="status" aria-label=${t("kb.bot_reply")}>
      <p><strong>${t(`kb.action.${reply.action}`)}</strong>
        ${reply.answer && html` · ${reply.answer.question} (${Math.round(reply.answer.confidence * 100)}%)`}</p>
      ${reply.answer && html`<p class="pre">${reply.answer.answer}</p>`}
      ${reply.choices?.length > 0 &&
      html`<ul>${reply.choices.map((c) => html`<li key=${c.faq_id}>${c.question}</li>`)}</ul>`}
      ${answer.truncated && html`<p class="muted">${t("kb.truncated")}</p>`}
      <table class="list" aria-label=${t("kb.matches")}>
        <thead><tr><th>${t("kb.question")}</th><th>${t("kb.confidence")}</th></tr></thead>
        <tbody>
          ${answer.matches.map(
            (m) => html`<tr key=${m.faq_id}><td>${m.question}</td><td>${Math.round(m.confidence * 100)}%</td></tr>`,
          )}
        </tbody>
      </table>
    </div>`}
  </form>`;
}
