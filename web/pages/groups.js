// Service groups (客服分组): the list with members for supervisors and admins, and the admin's
// create/edit form (name, description, members) with delete.
import { html, useState, useEffect } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import {
  isAdmin, navigate, ErrorBox, Field, FieldSet, usePaged, LoadMore, useLoad, useAction,
  fieldError, ConfirmButton, PageHead, FormFoot,
} from "../ui.js";
import { useUsers, namer } from "../lookups.js";

export function GroupsPage({ session }) {
  const admin = isAdmin(session.user);
  const users = useUsers();
  const userName = namer(users.data, "display_name");
  const paged = usePaged((cursor) => api.get("/groups", { cursor }), []);
  return html`<section>
    <${PageHead} title=${t("nav.groups")}>
      ${admin && html`<a class="button primary" href="#/groups/new">${t("groups.new")}</a>`}
    <//>
    <table class="list">
      <thead><tr>
        <th>${t("groups.name")}</th><th>${t("groups.description")}</th><th>${t("groups.members")}</th>
      </tr></thead>
      <tbody>
        ${paged.items.map(
          (g) => html`<tr key=${g.id}>
            <td>${admin ? html`<a href=${`#/groups/${g.id}`}>${g.name}</a>` : g.name}</td>
            <td>${g.description}</td>
            <td>${g.member_ids.map(userName).join(", ")}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    <${LoadMore} paged=${paged} />
  </section>`;
}

export function GroupEditPage({ id }) {
  const isNew = id === "new";
  const group = useLoad(() => (isNew ? Promise.resolve(null) : api.get(`/groups/${id}`)), [id]);
  const users = useUsers();
  const [draft, setDraft] = useState({ name: "", description: "", member_ids: [] });
  const save = useAction();
  const remove = useAction();
  useEffect(() => {
    const g = group.data;
    if (g) setDraft({ name: g.name, description: g.description, member_ids: g.member_ids });
  }, [group.data]);

  const toggle = (uid, on) =>
    setDraft({
      ...draft,
      member_ids: on ? [...draft.member_ids, uid] : draft.member_ids.filter((x) => x !== uid),
    });
  const submit = async (e) => {
    e.preventDefault();
    if (isNew) {
      if (await save.run(() => api.post("/groups", draft))) navigate("#/groups");
    } else {
      const updated = await save.run(() => api.patch(`/groups/${id}`, draft), t("common.saved"));
      if (updated) group.set(updated);
    }
  };
  const del = async () => {
    if (await remove.run(() => api.del(`/groups/${id}`))) navigate("#/groups");
  };

  if (group.error) return html`<${ErrorBox} error=${group.error} />`;
  if (!isNew && !group.data) return html`<p class="muted">${t("common.loading")}</p>`;
  // Inactive users stay listed only if they are already members, so they can be removed.
  const candidates = (users.data || []).filter((u) => u.active || draft.member_ids.includes(u.id));
  return html`<section>
    <${PageHead} title=${isNew ? t("groups.new") : group.data.name}>
      <a href="#/groups">${t("common.back_to_list")}</a>
      ${!isNew && html`<${ConfirmButton} label=${t("common.delete")} onConfirm=${del} disabled=${remove.busy} />`}
    <//>
    <${ErrorBox} error=${remove.error} />
    <form class="card form" onSubmit=${submit}>
      <${Field} label=${t("groups.name")} error=${fieldError(save.error, "name")}>
        <input name="name" required value=${draft.name}
          onInput=${(e) => setDraft({ ...draft, name: e.target.value })} />
      <//>
      <${Field} label=${t("groups.description")} error=${fieldError(save.error, "description")}>
        <textarea name="description" rows="3" value=${draft.description}
          onInput=${(e) => setDraft({ ...draft, description: e.target.value })}></textarea>
      <//>
      <${FieldSet} legend=${t("groups.members")}>
        <div class="columns">
          ${candidates.map(
            (u) => html`<label class="inline" key=${u.id}>
              <input type="checkbox" checked=${draft.member_ids.includes(u.id)}
                onChange=${(e) => toggle(u.id, e.target.checked)} />
              ${u.display_name} <span class="muted">${u.email}</span></label>`,
          )}
        </div>
      <//>
      <${FormFoot} action=${save} label=${isNew ? t("common.create") : t("common.save")} />
    </form>
  </section>`;
}
