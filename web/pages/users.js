// Users and agents: the filtered list with presence (supervisors read it, admins edit), and the
// create/edit form with languages, skills, groups, channel capacities, activation and presence.
import { html, useState, useEffect } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import {
  ROLES, isAdmin, navigate, ErrorBox, Field, FieldSet, ChipInput, usePaged, LoadMore, useLoad,
  useAction, useDebounced, fieldError, RoleLabel, PresenceDot, PresencePicker, ConfirmButton,
  PageHead, FormFoot, RowList,
} from "../ui.js";
import { useGroups, namer } from "../lookups.js";

const CHANNELS = ["voice", "chat", "email", "ticket", "social"];

function Filters({ filters, setFilters, groups }) {
  const set = (key) => (e) =>
    setFilters({ ...filters, [key]: e.target.type === "checkbox" ? e.target.checked : e.target.value });
  return html`<div class="filters">
    <input type="search" aria-label=${t("common.search")} placeholder=${t("users.search")}
      value=${filters.q} onInput=${set("q")} />
    <select aria-label=${t("users.role")} value=${filters.role} onChange=${set("role")}>
      <option value="">${t("users.any_role")}</option>
      ${ROLES.map((r) => html`<option key=${r} value=${r}>${t(`role.${r}`)}</option>`)}
    </select>
    <select aria-label=${t("users.group")} value=${filters.group_id} onChange=${set("group_id")}>
      <option value="">${t("users.any_group")}</option>
      ${groups.map((g) => html`<option key=${g.id} value=${g.id}>${g.name}</option>`)}
    </select>
    <label class="inline">
      <input type="checkbox" checked=${filters.include_inactive} onChange=${set("include_inactive")} />
      ${t("users.include_inactive")}
    </label>
  </div>`;
}

const skillText = (s) => `${s.skill} ${s.proficiency}`;
const capacityText = (caps) =>
  Object.entries(caps || {}).map(([ch, n]) => `${t(`channel.${ch}`)} ${n}`).join(" · ");

export function UsersPage({ session }) {
  const admin = isAdmin(session.user);
  const [filters, setFilters] = useState({ q: "", role: "", group_id: "", include_inactive: false });
  const q = useDebounced(filters.q);
  const groups = useGroups();
  const groupName = namer(groups.data);
  const paged = usePaged(
    (cursor) => api.get("/users", { ...filters, q, cursor }),
    [q, filters.role, filters.group_id, filters.include_inactive],
  );
  return html`<section>
    <${PageHead} title=${t("nav.users")}>
      ${admin && html`<a class="button primary" href="#/users/new">${t("users.new")}</a>`}
    <//>
    <${Filters} filters=${filters} setFilters=${setFilters} groups=${groups.data || []} />
    <table class="list">
      <thead><tr>
        <th>${t("users.name")}</th><th>${t("users.email")}</th><th>${t("users.role")}</th>
        <th>${t("users.groups")}</th><th>${t("users.skills")}</th>
        <th>${t("users.capacities")}</th><th>${t("users.presence")}</th>
      </tr></thead>
      <tbody>
        ${paged.items.map(
          (u) => html`<tr key=${u.id} class=${u.active ? "" : "inactive"}>
            <td>${admin ? html`<a href=${`#/users/${u.id}`}>${u.display_name}</a>` : u.display_name}
              ${!u.active && html` <span class="badge">${t("users.inactive")}</span>`}</td>
            <td>${u.email}</td>
            <td><${RoleLabel} role=${u.role} /></td>
            <td>${u.group_ids.map(groupName).join(", ")}</td>
            <td>${u.skills.map(skillText).join(", ")}</td>
            <td>${capacityText(u.capacities)}</td>
            <td><${PresenceDot} state=${u.presence} reason=${u.away_reason} /></td>
          </tr>`,
        )}
      </tbody>
    </table>
    <${LoadMore} paged=${paged} />
  </section>`;
}

function emptyDraft() {
  return {
    display_name: "", email: "", role: "agent", password: "", languages: [],
    skills: [], group_ids: [], capacities: { voice: "1", chat: "5", email: "10" }, auto_accept: false,
  };
}

/** The form's state from a loaded user; capacities as strings so a field can be blank. */
function draftOf(user) {
  const capacities = {};
  for (const [ch, n] of Object.entries(user.capacities || {})) capacities[ch] = String(n);
  return {
    display_name: user.display_name, email: user.email, role: user.role, password: "",
    languages: user.languages, skills: user.skills.map((s) => ({ ...s })),
    group_ids: user.group_ids, capacities, auto_accept: Boolean(user.auto_accept),
  };
}

function bodyOf(draft) {
  const capacities = {};
  for (const ch of CHANNELS) {
    const raw = (draft.capacities[ch] || "").trim();
    if (raw) capacities[ch] = Number(raw);
  }
  const body = {
    display_name: draft.display_name, email: draft.email, role: draft.role,
    languages: draft.languages,
    skills: draft.skills.filter((s) => s.skill.trim()).map((s) => ({ ...s, proficiency: Number(s.proficiency) })),
    group_ids: draft.group_ids, capacities, auto_accept: draft.auto_accept,
  };
  if (draft.password) body.password = draft.password;
  return body;
}

function SkillsEditor({ skills, onChange, error }) {
  return html`<${RowList} legend=${t("users.skills")} hint=${t("users.skills_hint")} error=${error}
    rows=${skills} onChange=${onChange} blank=${{ skill: "", proficiency: 3 }} addLabel=${t("users.add_skill")}
    renderRow=${(s, update) => html`
      <input aria-label=${t("users.skill_name")} placeholder=${t("users.skill_name")} value=${s.skill}
        onInput=${(e) => update({ skill: e.target.value })} />
      <select aria-label=${t("users.proficiency")} value=${String(s.proficiency)}
        onChange=${(e) => update({ proficiency: Number(e.target.value) })}>
        ${[1, 2, 3, 4, 5].map((n) => html`<option key=${n} value=${n}>${n} · ${t(`proficiency.${n}`)}</option>`)}
      </select>`} />`;
}

function CapacitiesEditor({ capacities, onChange, error }) {
  return html`<${FieldSet} legend=${t("users.capacities")} error=${error} hint=${t("users.capacities_hint")}>
    <div class="row wrap">
      ${CHANNELS.map(
        (ch) => html`<label class="inline" key=${ch}>${t(`channel.${ch}`)}
          <input type="number" min="1" max="100" class="narrow" name=${`capacity-${ch}`}
            value=${capacities[ch] || ""} onInput=${(e) => onChange({ ...capacities, [ch]: e.target.value })} />
        </label>`,
      )}
    </div>
  <//>`;
}

function GroupsPicker({ groups, value, onChange }) {
  const toggle = (id, on) => onChange(on ? [...value, id] : value.filter((x) => x !== id));
  return html`<${FieldSet} legend=${t("users.groups")}>
    ${groups.length === 0 && html`<span class="muted">${t("common.empty")}</span>`}
    ${groups.map(
      (g) => html`<label class="inline" key=${g.id}>
        <input type="checkbox" checked=${value.includes(g.id)} onChange=${(e) => toggle(g.id, e.target.checked)} />
        ${g.name}</label>`,
    )}
  <//>`;
}

export function UserEditPage({ id, session }) {
  const isNew = id === "new";
  const user = useLoad(() => (isNew ? Promise.resolve(null) : api.get(`/users/${id}`)), [id]);
  const groups = useGroups();
  const [draft, setDraft] = useState(emptyDraft);
  const save = useAction();
  const status = useAction();
  useEffect(() => user.data && setDraft(draftOf(user.data)), [user.data]);

  const set = (key) => (value) => setDraft({ ...draft, [key]: value });
  const setInput = (key) => (e) => set(key)(e.target.value);
  const err = (path) => fieldError(save.error, path);
  // Only an owner may hand out the owner role; the server refuses it to anyone else.
  const roles = ROLES.filter((r) => r !== "owner" || session.user.role === "owner" || draft.role === "owner");

  const submit = async (e) => {
    e.preventDefault();
    const body = bodyOf(draft);
    if (isNew) {
      const created = await save.run(() => api.post("/users", body));
      if (created) navigate("#/users");
    } else {
      const updated = await save.run(() => api.patch(`/users/${id}`, body), t("common.saved"));
      if (updated) user.set(updated);
    }
  };
  const setActive = (active) =>
    status.run(async () => {
      if (active) await api.patch(`/users/${id}`, { active: true });
      else await api.del(`/users/${id}`);
      user.reload();
    });
  const setPresence = (body) =>
    status.run(async () => user.set(await api.put(`/users/${id}/presence`, body)));

  if (user.error) return html`<${ErrorBox} error=${user.error} />`;
  if (!isNew && !user.data) return html`<p class="muted">${t("common.loading")}</p>`;
  const u = user.data;
  return html`<section>
    <${PageHead} title=${isNew ? t("users.new") : u.display_name}>
      <a href="#/users">${t("common.back_to_list")}</a>
    <//>
    ${u && html`<div class="card status-bar">
      ${u.active
        ? html`<span class="badge ok">${t("users.active")}</span>`
        : html`<span class="badge">${t("users.inactive")}</span>`}
      <${PresencePicker} label=${t("users.presence")} state=${u.presence} reason=${u.away_reason}
        onSet=${setPresence} disabled=${status.busy || !u.active} />
      ${u.active
        ? html`<${ConfirmButton} label=${t("users.deactivate")} onConfirm=${() => setActive(false)}
            disabled=${status.busy || u.id === session.user.id} />`
        : html`<button type="button" onClick=${() => setActive(true)} disabled=${status.busy}>
            ${t("users.reactivate")}</button>`}
      <${ErrorBox} error=${status.error} />
    </div>`}
    <form class="card form" onSubmit=${submit}>
      <${Field} label=${t("users.name")} error=${err("display_name")}>
        <input name="display_name" required value=${draft.display_name} onInput=${setInput("display_name")} />
      <//>
      <${Field} label=${t("users.email")} error=${err("email")}>
        <input name="email" type="email" required value=${draft.email} onInput=${setInput("email")} />
      <//>
      <${Field} label=${t("users.role")} error=${err("role")}>
        <select name="role" value=${draft.role} onChange=${setInput("role")}>
          ${roles.map((r) => html`<option key=${r} value=${r}>${t(`role.${r}`)}</option>`)}
        </select>
      <//>
      <${Field} label=${isNew ? t("users.password") : t("users.new_password")} error=${err("password")}
        hint=${isNew ? t("users.password_hint_new") : t("users.password_hint_edit")}>
        <input name="password" type="password" autocomplete="new-password" value=${draft.password}
          onInput=${setInput("password")} />
      <//>
      <${FieldSet} legend=${t("users.languages")} error=${err("languages")} hint=${t("users.languages_hint")}>
        <${ChipInput} label=${t("users.languages")} value=${draft.languages} onChange=${set("languages")} />
      <//>
      <${SkillsEditor} skills=${draft.skills} onChange=${set("skills")} error=${err("skills")} />
      <${GroupsPicker} groups=${groups.data || []} value=${draft.group_ids} onChange=${set("group_ids")} />
      <${CapacitiesEditor} capacities=${draft.capacities} onChange=${set("capacities")} error=${err("capacities")} />
      <label class="inline">
        <input type="checkbox" name="auto_accept" checked=${draft.auto_accept}
          onChange=${(e) => set("auto_accept")(e.target.checked)} />
        ${t("users.auto_accept")}
      </label>
      <small class="hint">${t("users.auto_accept_hint")}</small>
      <${FormFoot} action=${save} label=${isNew ? t("common.create") : t("common.save")} />
    </form>
  </section>`;
}
