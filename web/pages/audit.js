// The audit log (admins): who did what to which record and when, with the record's state
// before and after. The API pages it oldest first, so "load more" goes forward in time.
import { html } from "../lib.js";
import { api } from "../api.js";
import { t, has } from "../i18n.js";
import { usePaged, LoadMore, fmtTime, JsonView, PageHead } from "../ui.js";
import { useUsers, namer } from "../lookups.js";

function actorText(entry, userName) {
  if (entry.actor_type === "user" && entry.actor_id) return userName(entry.actor_id);
  const kind = has(`audit.actor.${entry.actor_type}`) ? t(`audit.actor.${entry.actor_type}`) : entry.actor_type;
  return entry.actor_id ? `${kind} ${entry.actor_id}` : kind;
}

export function AuditPage() {
  const users = useUsers();
  const userName = namer(users.data, "display_name");
  const paged = usePaged((cursor) => api.get("/audit", { cursor }), []);
  return html`<section>
    <${PageHead} title=${t("nav.audit")} />
    <p class="hint">${t("audit.order_hint")}</p>
    <table class="list audit">
      <thead><tr>
        <th>${t("audit.when")}</th><th>${t("audit.who")}</th><th>${t("audit.what")}</th>
        <th>${t("audit.record")}</th><th>${t("audit.changes")}</th>
      </tr></thead>
      <tbody>
        ${paged.items.map(
          (e) => html`<tr key=${e.id}>
            <td>${fmtTime(e.created_at)}</td>
            <td>${actorText(e, userName)}${e.ip && html`<br /><span class="muted">${e.ip}</span>`}</td>
            <td><code>${e.action}</code></td>
            <td>${e.entity_type}<br /><span class="muted mono">${e.entity_id}</span></td>
            <td>
              <details>
                <summary>${t("audit.before_after")}</summary>
                <div class="diff">
                  <div><h3>${t("audit.before")}</h3><${JsonView} value=${e.before_state} /></div>
                  <div><h3>${t("audit.after")}</h3><${JsonView} value=${e.after_state} /></div>
                </div>
              </details>
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
    <${LoadMore} paged=${paged} />
  </section>`;
}
