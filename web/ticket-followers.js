// Who hears about a ticket and what it carries on, on its page: the followers (follow or
// unfollow myself, add a colleague, remove one), the CC addresses copied on public replies by
// mail, and the conversations linked to it, each opening in the inbox.
import { html, useState } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { ErrorBox, Field, useLoad, useAction, fmtTime } from "./ui.js";

export function FollowersPanel({ ticket, users, me, version }) {
  const followers = useLoad(() => api.get(`/tickets/${ticket.id}/followers`), [ticket.id, version]);
  const change = useAction();
  const [colleague, setColleague] = useState("");
  const ids = (followers.data?.items || []).map((f) => f.user_id);
  const name = (id) => users.find((u) => u.id === id)?.display_name || id;
  const follow = async (userId) => {
    const list = await change.run(() => api.put(`/tickets/${ticket.id}/followers/${userId}`));
    if (list) followers.set(list);
  };
  const unfollow = async (userId) => {
    if (await change.run(() => api.del(`/tickets/${ticket.id}/followers/${userId}`))) followers.reload();
  };
  const following = ids.includes(me);
  return html`<section class="card" aria-label=${t("followers.title")}>
    <h2>${t("followers.title")} <span class="badge">${ids.length}</span></h2>
    <${ErrorBox} error=${followers.error || change.error} />
    <ul class="plain followers">
      ${ids.map(
        (id) => html`<li key=${id} data-user=${id}>${id === me ? t("conversations.sender.you") : name(id)}
          ${id !== me && html` <button type="button" class="link" aria-label=${t("followers.remove", { name: name(id) })}
            onClick=${() => unfollow(id)}>×</button>`}</li>`,
      )}
    </ul>
    ${followers.data && ids.length === 0 && html`<p class="muted">${t("followers.none")}</p>`}
    <div class="row">
      <button type="button" disabled=${change.busy} onClick=${() => (following ? unfollow(me) : follow(me))}>
        ${following ? t("followers.unfollow") : t("followers.follow")}
      </button>
    </div>
    <form class="row" aria-label=${t("followers.add")} onSubmit=${(e) => {
      e.preventDefault();
      if (colleague) follow(colleague).then(() => setColleague(""));
    }}>
      <select class="grow" value=${colleague} aria-label=${t("followers.colleague")}
        onChange=${(e) => setColleague(e.target.value)}>
        <option value="">${t("followers.colleague")}</option>
        ${users
          .filter((u) => !ids.includes(u.id))
          .map((u) => html`<option key=${u.id} value=${u.id}>${u.display_name}</option>`)}
      </select>
      <button type="submit" disabled=${!colleague || change.busy}>${t("followers.add")}</button>
    </form>
  </section>`;
}

/** The CC list as one box of addresses, separated by commas, spaces or new lines. */
export function CcPanel({ ticket, version }) {
  const cc = useLoad(() => api.get(`/tickets/${ticket.id}/cc`), [ticket.id, version]);
  const [text, setText] = useState(null);
  const save = useAction();
  const shown = text ?? (cc.data?.emails || []).join(", ");
  const submit = async (e) => {
    e.preventDefault();
    const emails = shown.split(/[\s,;，；]+/).filter(Boolean);
    const saved = await save.run(() => api.put(`/tickets/${ticket.id}/cc`, { emails }));
    if (saved) {
      cc.set(saved);
      setText(null);
    }
  };
  return html`<section class="card" aria-label=${t("cc.title")}>
    <h2>${t("cc.title")}</h2>
    <${ErrorBox} error=${cc.error} />
    <form class="stack" onSubmit=${submit} aria-label=${t("cc.title")}>
      <${Field} label=${t("cc.emails")} hint=${t("cc.hint")}>
        <textarea rows="2" value=${shown} onInput=${(e) => setText(e.target.value)} />
      <//>
      <div class="actions">
        <button type="submit" disabled=${save.busy || text === null}>${t("common.save")}</button>
      </div>
      <${ErrorBox} error=${save.error} />
    </form>
  </section>`;
}

export function ConversationsPanel({ ticket, version }) {
  const links = useLoad(() => api.get(`/tickets/${ticket.id}/conversations`), [ticket.id, version]);
  const items = links.data?.items || [];
  if (links.error) return html`<${ErrorBox} error=${links.error} />`;
  if (items.length === 0) return null;
  return html`<section class="card" aria-label=${t("ticket_conversations.title")}>
    <h2>${t("ticket_conversations.title")} <span class="badge">${items.length}</span></h2>
    <ul class="plain linked-conversations">
      ${items.map(
        (c) => html`<li key=${c.conversation_id}>
          <a href=${`#/conversations/${c.conversation_id}`}>${t("tickets.open_conversation")}</a>
          <span class="muted"> ${t("ticket_conversations.linked_at", { when: fmtTime(c.linked_at) })}</span>
        </li>`,
      )}
    </ul>
  </section>`;
}
