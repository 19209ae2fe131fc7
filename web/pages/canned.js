// Canned responses (快捷回复): the list an agent can use (shared ones and their own) with search,
// and the create/edit form; supervisors and up may make a shared one and change shared ones.
import { html, useState, useEffect } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import {
  rank, navigate, ErrorBox, Field, usePaged, LoadMore, useLoad, useAction, fieldError,
  ConfirmButton, PageHead, FormFoot, useDebounced,
} from "../ui.js";

const SCOPES = ["visible", "shared", "own"];
const isSupervisor = (user) => rank(user.role) >= rank("supervisor");
/** The server's rule, mirrored so the page offers only what it will allow. */
const canEdit = (user, c) => (c.shared ? isSupervisor(user) : c.owner_id === user.id);

export function CannedPage({ session }) {
  const [q, setQ] = useState("");
  const [scope, setScope] = useState("visible");
  const query = useDebounced(q.trim());
  const paged = usePaged((cursor) => api.get("/canned-responses", { q: query, scope, cursor }), [query, scope]);
  return html`<section>
    <${PageHead} title=${t("nav.canned")}>
      <a class="button primary" href="#/canned/new">${t("canned.new")}</a>
    <//>
    <p class="muted">${t("canned.intro")}</p>
    <div class="filters">
      <input type="search" aria-label=${t("canned.search")} placeholder=${t("canned.search")} value=${q}
        onInput=${(e) => setQ(e.target.value)} />
      <select aria-label=${t("canned.scope")} value=${scope} onChange=${(e) => setScope(e.target.value)}>
        ${SCOPES.map((s) => html`<option value=${s} key=${s}>${t(`canned.scope.${s}`)}</option>`)}
      </select>
    </div>
    <table class="list">
      <thead><tr>
        <th>${t("canned.shortcut")}</th><th>${t("canned.title")}</th><th>${t("canned.body")}</th>
        <th>${t("canned.whose")}</th>
      </tr></thead>
      <tbody>
        ${paged.items.map(
          (c) => html`<tr key=${c.id}>
            <td class="canned-shortcut">${canEdit(session.user, c)
              ? html`<a href=${`#/canned/${c.id}`}>/${c.shortcut}</a>`
              : html`<span>/${c.shortcut}</span>`}</td>
            <td>${c.title}${c.language && html` <span class="chip small">${c.language}</span>`}</td>
            <td><div class="canned-preview">${c.body}</div></td>
            <td><span class="badge">${c.shared ? t("canned.shared") : t("canned.mine")}</span></td>
          </tr>`,
        )}
      </tbody>
    </table>
    <${LoadMore} paged=${paged} />
  </section>`;
}

const BLANK = { shortcut: "", title: "", body: "", language: "", shared: false };

export function CannedEditPage({ id, session }) {
  const isNew = id === "new";
  const supervisor = isSupervisor(session.user);
  const canned = useLoad(() => (isNew ? Promise.resolve(null) : api.get(`/canned-responses/${id}`)), [id]);
  const [draft, setDraft] = useState(BLANK);
  const save = useAction();
  const remove = useAction();
  useEffect(() => {
    const c = canned.data;
    if (c) setDraft({ shortcut: c.shortcut, title: c.title, body: c.body, language: c.language || "", shared: c.shared });
  }, [canned.data]);
  const set = (patch) => setDraft({ ...draft, ...patch });

  const submit = async (e) => {
    e.preventDefault();
    const fields = {
      shortcut: draft.shortcut.trim(),
      title: draft.title,
      body: draft.body,
      language: draft.language.trim() || null,
    };
    if (isNew) {
      const body = { ...fields, shared: draft.shared };
      if (!body.language) delete body.language;
      if (await save.run(() => api.post("/canned-responses", body))) navigate("#/canned");
    } else {
      const updated = await save.run(() => api.patch(`/canned-responses/${id}`, fields), t("common.saved"));
      if (updated) canned.set(updated);
    }
  };
  const del = async () => {
    if (await remove.run(() => api.del(`/canned-responses/${id}`))) navigate("#/canned");
  };

  if (canned.error) return html`<${ErrorBox} error=${canned.error} />`;
  if (!isNew && !canned.data) return html`<p class="muted">${t("common.loading")}</p>`;
  const editable = isNew || canEdit(session.user, canned.data);
  return html`<section>
    <${PageHead} title=${isNew ? t("canned.new") : `/${canned.data.shortcut}`}>
      <a href="#/canned">${t("common.back_to_list")}</a>
      ${!isNew && editable &&
      html`<${ConfirmButton} label=${t("common.delete")} onConfirm=${del} disabled=${remove.busy} />`}
    <//>
    <${ErrorBox} error=${remove.error} />
    ${!editable && html`<div class="notice" role="status">${t("canned.read_only")}</div>`}
    <form class="card form" onSubmit=${submit}>
      <fieldset class="plain" disabled=${!editable}>
        <${Field} label=${t("canned.shortcut")} hint=${t("canned.shortcut_hint")} error=${fieldError(save.error, "shortcut")}>
          <input name="shortcut" required maxlength="32" autocomplete="off" value=${draft.shortcut}
            onInput=${(e) => set({ shortcut: e.target.value })} />
        <//>
        <${Field} label=${t("canned.title")} error=${fieldError(save.error, "title")}>
          <input name="title" required maxlength="100" value=${draft.title}
            onInput=${(e) => set({ title: e.target.value })} />
        <//>
        <${Field} label=${t("canned.body")} hint=${t("canned.body_hint")} error=${fieldError(save.error, "body")} wide>
          <textarea name="body" rows="6" required value=${draft.body}
            onInput=${(e) => set({ body: e.target.value })}></textarea>
        <//>
        <${Field} label=${t("canned.language")} hint=${t("canned.language_hint")} error=${fieldError(save.error, "language")}>
          <input name="language" value=${draft.language} onInput=${(e) => set({ language: e.target.value })} />
        <//>
        <label class="inline">
          <input type="checkbox" checked=${draft.shared} disabled=${!isNew || !supervisor}
            onChange=${(e) => set({ shared: e.target.checked })} />
          ${t("canned.shared_label")}
        </label>
        <small class="hint">${isNew ? (supervisor ? t("canned.shared_hint") : t("canned.shared_supervisors")) : t("canned.scope_fixed")}</small>
      </fieldset>
      ${editable && html`<${FormFoot} action=${save} label=${isNew ? t("common.create") : t("common.save")} />`}
    </form>
  </section>`;
}
