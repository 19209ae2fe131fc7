// The bot's scenarios (guided flows: ask, choice, call, say, handoff as an ordered list of steps)
// and the integrations their `call` steps reach (admins only; the secret is write-only), as two
// tabs of the Knowledge page.
import { html, useState } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { ErrorBox, Field, useLoad, useAction, fieldError, ConfirmButton, FormFoot } from "../ui.js";

const KINDS = ["ask", "choice", "call", "say", "handoff"];

/** "label", "label => 3" (jump to step 3) or "label => end", one option per line. */
function optionsText(options) {
  return (options || [])
    .map((o) => (o.end ? `${o.label} => end` : o.goto != null ? `${o.label} => ${o.goto + 1}` : o.label))
    .join("\n");
}

function parseOptions(text) {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [label, target] = line.split("=>").map((part) => part.trim());
      if (target === "end") return { label, end: true };
      const step = Number(target);
      return target && Number.isInteger(step) && step > 0 ? { label, goto: step - 1 } : { label };
    });
}

/** The editor's copy of a step: choice options as text, empty strings for absent texts. */
function toDraft(step) {
  return { ...step, options_text: optionsText(step.options) };
}

const OPTIONAL = ["prompt_en", "pattern", "retry_prompt", "retry_prompt_en", "text_en"];

function fromDraft(d) {
  const out = { kind: d.kind };
  const keep = {
    ask: ["slot", "prompt", "prompt_en", "pattern", "retry_prompt"],
    choice: ["prompt", "prompt_en"],
    call: ["integration_id"],
    say: ["text", "text_en"],
    handoff: ["text", "text_en"],
  }[d.kind];
  for (const key of keep) {
    const value = (d[key] ?? "").trim();
    if (value || !(OPTIONAL.includes(key) || d.kind === "handoff")) out[key] = value;
  }
  if (d.kind === "choice") out.options = parseOptions(d.options_text || "");
  return out;
}

export function ScenariosTab({ writer, admin }) {
  const list = useLoad(() => api.get("/kb/scenarios"), []);
  const [editing, setEditing] = useState(null);
  const integrations = useLoad(() => (admin || writer ? api.get("/kb/integrations").catch(() => ({ items: [] })) : Promise.resolve({ items: [] })), []);
  if (list.error) return html`<${ErrorBox} error=${list.error} />`;
  const items = list.data?.items || [];
  return html`<div class="scenarios">
    ${writer && !editing && html`<button type="button" class="primary" onClick=${() => setEditing("new")}>${t("sc.new")}</button>`}
    ${editing &&
    html`<${ScenarioEditor} key=${editing === "new" ? "new" : editing.id} scenario=${editing === "new" ? null : editing}
      integrations=${integrations.data?.items || []} writer=${writer}
      onDone=${() => {
        setEditing(null);
        list.reload();
      }} />`}
    <table class="list" aria-label=${t("sc.list")}>
      <thead><tr><th>${t("sc.name")}</th><th>${t("kb.status")}</th><th>${t("sc.triggers")}</th><th>${t("sc.steps")}</th></tr></thead>
      <tbody>
        ${items.map(
          (s) => html`<tr key=${s.id}>
            <td><button type="button" class="link" onClick=${() => setEditing(s)}>${s.name}</button></td>
            <td>${t(`kb.status.${s.status}`)}</td>
            <td>${s.triggers.join(" · ")}</td>
            <td>${s.steps.length}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${items.length === 0 && html`<p class="muted">${t("sc.none")}</p>`}
  </div>`;
}

function ScenarioEditor({ scenario, integrations, writer, onDone }) {
  const [name, setName] = useState(scenario?.name || "");
  const [triggers, setTriggers] = useState((scenario?.triggers || []).join("\n"));
  const [status, setStatus] = useState(scenario?.status || "published");
  const [steps, setSteps] = useState((scenario?.steps || [{ kind: "ask", slot: "", prompt: "" }]).map(toDraft));
  const save = useAction();
  const remove = useAction();
  const update = (i, patch) => setSteps(steps.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  const move = (i, by) => {
    const next = [...steps];
    const [step] = next.splice(i, 1);
    next.splice(i + by, 0, step);
    setSteps(next);
  };
  const submit = async (e) => {
    e.preventDefault();
    const body = {
      name,
      triggers: triggers.split("\n").map((q) => q.trim()).filter(Boolean),
      status,
      steps: steps.map(fromDraft),
    };
    const saved = await save.run(() =>
      scenario ? api.patch(`/kb/scenarios/${scenario.id}`, body) : api.post("/kb/scenarios", body),
    );
    if (saved) onDone();
  };
  const input = (i, key, label) => html`<${Field} label=${label} error=${fieldError(save.error, `steps[${i}].${key}`)}>
    <input value=${steps[i][key] || ""} onInput=${(e) => update(i, { [key]: e.target.value })} />
  <//>`;
  return html`<form class="card form" aria-label=${t("sc.editor")} onSubmit=${submit}>
    <h2>${scenario ? t("sc.edit") : t("sc.new")}</h2>
    <fieldset class="plain" disabled=${!writer}>
      <${Field} label=${t("sc.name")} error=${fieldError(save.error, "name")}>
        <input value=${name} onInput=${(e) => setName(e.target.value)} />
      <//>
      <${Field} label=${t("sc.triggers")} hint=${t("sc.triggers_hint")} error=${fieldError(save.error, "triggers")}>
        <textarea rows="3" value=${triggers} onInput=${(e) => setTriggers(e.target.value)}></textarea>
      <//>
      <${Field} label=${t("kb.status")}>
        <select value=${status} onChange=${(e) => setStatus(e.target.value)}>
          <option value="published">${t("kb.status.published")}</option>
          <option value="draft">${t("kb.status.draft")}</option>
        </select>
      <//>
      <ol class="steps" aria-label=${t("sc.steps")}>
        ${steps.map(
          (s, i) => html`<li key=${i} class="card step" aria-label=${t("sc.step", { n: i + 1 })}>
            <div class="filters">
              <strong>${i + 1}.</strong>
              <select aria-label=${t("sc.kind")} value=${s.kind} onChange=${(e) => update(i, { kind: e.target.value })}>
                ${KINDS.map((k) => html`<option value=${k} key=${k}>${t(`sc.kind.${k}`)}</option>`)}
              </select>
              <button type="button" disabled=${i === 0} onClick=${() => move(i, -1)}>${t("sc.up")}</button>
              <button type="button" disabled=${i === steps.length - 1} onClick=${() => move(i, 1)}>${t("sc.down")}</button>
              <button type="button" class="link" onClick=${() => setSteps(steps.filter((_, j) => j !== i))}>${t("common.remove")}</button>
            </div>
            ${s.kind === "ask" &&
            html`${input(i, "slot", t("sc.slot"))}${input(i, "prompt", t("sc.prompt"))}${input(i, "prompt_en", t("sc.prompt_en"))}
              ${input(i, "pattern", t("sc.pattern"))}${input(i, "retry_prompt", t("sc.retry_prompt"))}`}
            ${s.kind === "choice" &&
            html`${input(i, "prompt", t("sc.prompt"))}
              <${Field} label=${t("sc.options")} hint=${t("sc.options_hint")} error=${fieldError(save.error, `steps[${i}].options`)}>
                <textarea rows="3" value=${s.options_text || ""} onInput=${(e) => update(i, { options_text: e.target.value })}></textarea>
              <//>`}
            ${s.kind === "call" &&
            html`<${Field} label=${t("sc.integration")} error=${fieldError(save.error, `steps[${i}].integration_id`)}>
              <select value=${s.integration_id || ""} onChange=${(e) => update(i, { integration_id: e.target.value })}>
                <option value="">—</option>
                ${integrations.map((it) => html`<option value=${it.id} key=${it.id}>${it.name}</option>`)}
              </select>
            <//>`}
            ${(s.kind === "say" || s.kind === "handoff") &&
            html`<${Field} label=${t("sc.text")} hint=${s.kind === "say" ? t("sc.text_hint") : null} error=${fieldError(save.error, `steps[${i}].text`)}>
                <textarea rows="2" value=${s.text || ""} onInput=${(e) => update(i, { text: e.target.value })}></textarea>
              <//>${input(i, "text_en", t("sc.text_en"))}`}
          </li>`,
        )}
      </ol>
      <button type="button" onClick=${() => setSteps([...steps, { kind: "say", text: "" }])}>${t("sc.add_step")}</button>
    </fieldset>
    ${writer &&
    html`<${FormFoot} action=${save} label=${t("common.save")}>
      <button type="button" onClick=${onDone}>${t("kb.close")}</button>
      ${scenario &&
      html`<${ConfirmButton} label=${t("common.delete")}
        onConfirm=${async () => (await remove.run(() => api.del(`/kb/scenarios/${scenario.id}`))) && onDone()} />`}
    <//>`}
    ${!writer && html`<button type="button" onClick=${onDone}>${t("kb.close")}</button>`}
    <${ErrorBox} error=${remove.error} />
  </form>`;
}

const BLANK = { name: "", base_url: "", method: "GET", path_template: "", secret_header: "", secret_value: "", timeout_ms: 5000 };

export function IntegrationsTab() {
  const list = useLoad(() => api.get("/kb/integrations"), []);
  const [draft, setDraft] = useState(BLANK);
  const create = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const body = { ...draft, timeout_ms: Number(draft.timeout_ms) };
    if (!body.secret_header) delete body.secret_header;
    if (!body.secret_value) delete body.secret_value;
    if (await create.run(() => api.post("/kb/integrations", body), t("common.saved"))) {
      setDraft(BLANK);
      list.reload();
    }
  };
  const field = (key, label, type = "text") => html`<${Field} label=${label} error=${fieldError(create.error, key)}>
    <input type=${type} value=${draft[key]} onInput=${(e) => setDraft({ ...draft, [key]: e.target.value })} />
  <//>`;
  if (list.error) return html`<${ErrorBox} error=${list.error} />`;
  return html`<div class="integrations">
    <table class="list" aria-label=${t("in.list")}>
      <thead><tr><th>${t("sc.name")}</th><th>${t("in.endpoint")}</th><th>${t("in.secret")}</th><th></th></tr></thead>
      <tbody>
        ${(list.data?.items || []).map((it) => html`<${IntegrationRow} key=${it.id} it=${it} onChange=${list.reload} />`)}
      </tbody>
    </table>
    <form class="card form" aria-label=${t("in.new")} onSubmit=${submit}>
      <h2>${t("in.new")}</h2>
      ${field("name", t("sc.name"))}${field("base_url", t("in.base_url"))}
      <${Field} label=${t("in.method")}>
        <select value=${draft.method} onChange=${(e) => setDraft({ ...draft, method: e.target.value })}>
          <option value="GET">GET</option><option value="POST">POST</option>
        </select>
      <//>
      ${field("path_template", t("in.path"))}${field("secret_header", t("in.secret_header"))}
      ${field("secret_value", t("in.secret_value"), "password")}${field("timeout_ms", t("in.timeout"), "number")}
      <${FormFoot} action=${create} label=${t("common.create")} />
    </form>
  </div>`;
}

function IntegrationRow({ it, onChange }) {
  const [slots, setSlots] = useState("");
  const test = useAction();
  const remove = useAction();
  const [result, setResult] = useState(null);
  const run = async () => {
    // "order_id=123456, x=y" → {order_id: "123456", x: "y"}
    const pairs = slots.split(",").map((p) => p.split("=").map((s) => s.trim())).filter(([k]) => k);
    const out = await test.run(() => api.post(`/kb/integrations/${it.id}/test`, { slots: Object.fromEntries(pairs) }));
    setResult(out);
  };
  return html`<tr>
    <td>${it.name}</td>
    <td><code>${it.method} ${it.base_url}${it.path_template}</code></td>
    <td>${it.has_secret ? `${it.secret_header} · ${t("in.secret_set")}` : "—"}</td>
    <td>
      <input aria-label=${t("in.sample_slots")} placeholder="order_id=123456" value=${slots} onInput=${(e) => setSlots(e.target.value)} />
      <button type="button" disabled=${test.busy} onClick=${run}>${t("in.test")}</button>
      <${ConfirmButton} label=${t("common.delete")}
        onConfirm=${async () => (await remove.run(() => api.del(`/kb/integrations/${it.id}`))) && onChange()} />
      <${ErrorBox} error=${test.error || remove.error} />
      ${result &&
      html`<p role="status" class=${result.ok ? "" : "error"}>
        ${result.ok ? `${t("in.ok")} · ${JSON.stringify(result.result)}` : `${t("in.failed")} · ${result.error}`} (${result.duration_ms} ms)
      </p>`}
    </td>
  </tr>`;
}

/** "slot | question | pattern" per line ⇄ the action's slot questions. */
function slotsText(slots) {
  return (slots || []).map((s) => [s.slot, s.prompt, s.pattern || ""].join(" | ").replace(/ \| $/, "")).join("\n");
}

function parseSlots(text) {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [slot, prompt, pattern] = line.split("|").map((part) => part.trim());
      return pattern ? { slot, prompt: prompt || "", pattern } : { slot, prompt: prompt || "" };
    });
}

/** An FAQ's business action: answering the FAQ asks the slots, calls the integration and says
 * the reply instead of the written answer. */
export function FaqActionEditor({ faqId, writer }) {
  const loaded = useLoad(() => api.get(`/kb/faqs/${faqId}/action`), [faqId]);
  const integrations = useLoad(() => api.get("/kb/integrations").catch(() => ({ items: [] })), []);
  const [draft, setDraft] = useState(null);
  const save = useAction();
  const action = loaded.data?.action;
  if (loaded.error) return html`<${ErrorBox} error=${loaded.error} />`;
  if (!loaded.data) return null;
  const current = draft || {
    integration_id: action?.integration_id || "",
    slots: slotsText(action?.slots),
    reply: action?.reply || "",
  };
  const set = (patch) => setDraft({ ...current, ...patch });
  const submit = async (e) => {
    e.preventDefault();
    const body = { integration_id: current.integration_id, slots: parseSlots(current.slots), reply: current.reply };
    const saved = await save.run(() => api.put(`/kb/faqs/${faqId}/action`, body), t("common.saved"));
    if (saved) loaded.set(saved);
  };
  const clear = async () => {
    if (await save.run(() => api.del(`/kb/faqs/${faqId}/action`))) {
      setDraft(null);
      loaded.reload();
    }
  };
  return html`<form class="card form" aria-label=${t("fa.title")} onSubmit=${submit}>
    <h2>${t("fa.title")}</h2>
    <p class="muted">${t("fa.hint")}</p>
    <fieldset class="plain" disabled=${!writer}>
      <${Field} label=${t("sc.integration")} error=${fieldError(save.error, "integration_id")}>
        <select value=${current.integration_id} onChange=${(e) => set({ integration_id: e.target.value })}>
          <option value="">—</option>
          ${(integrations.data?.items || []).map((it) => html`<option value=${it.id} key=${it.id}>${it.name}</option>`)}
        </select>
      <//>
      <${Field} label=${t("fa.slots")} hint=${t("fa.slots_hint")} error=${fieldError(save.error, "slots[0].pattern") || fieldError(save.error, "slots[0].slot")} wide>
        <textarea rows="2" value=${current.slots} onInput=${(e) => set({ slots: e.target.value })}></textarea>
      <//>
      <${Field} label=${t("fa.reply")} hint=${t("sc.text_hint")} error=${fieldError(save.error, "reply")} wide>
        <textarea rows="2" value=${current.reply} onInput=${(e) => set({ reply: e.target.value })}></textarea>
      <//>
    </fieldset>
    ${writer &&
    html`<${FormFoot} action=${save} label=${t("common.save")}>
      ${action && html`<button type="button" onClick=${clear}>${t("fa.remove")}</button>`}
    <//>`}
  </form>`;
}
