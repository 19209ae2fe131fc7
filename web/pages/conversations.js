// The agent's conversations: the waiting queue and their own open ones (supervisors also everyone
// else's), kept live from the tenant's event stream (/api/v1/stream, resumed after the last seq
// on every reconnect); one open conversation with its messages (internal notes set apart), typing
// both ways, a reply box that writes a note instead when ticked and offers canned responses on
// "/", Take for a waiting one, Transfer and Resolve (with a disposition code) for one being
// served, Take over for supervisors, keyboard shortcuts, and the customer panel beside it. Files:
// images as thumbnails, others as download links, and an attach button (helpers at the end).
// After a bot handoff, the bot's best guesses; for the customer's latest message, knowledge
// suggestions whose answer one click puts in the reply box (bot-assist.js).
import { html, useState, useEffect, useRef } from "../lib.js";
import { api, ApiError } from "../api.js";
import { t, has } from "../i18n.js";
import { ErrorBox, PageHead, useAction, fmtTime, rank } from "../ui.js";
import { useCannedPicker } from "../canned-picker.js";
import { useStream } from "../stream.js";
import { TransferButton } from "../transfer.js";
import { CreateTicketButton } from "../ticket-from-conversation.js";
import { useTypingIn, useTellTyping } from "../typing.js";
import { CustomerPanel } from "../customer-panel.js";
import { BotGuesses, Suggestions } from "../bot-assist.js";

const WAITING = ["queued", "offered"];
const SERVING = ["assigned", "wrap_up"];
const LIST_LIMIT = 100;

const newClientId = () => `a-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
const newer = (a, b) => !b || Date.parse(a.updated_at) >= Date.parse(b.updated_at);

const customerNames = new Map();
/** The customer's name (cached per page load), or null while loading. */
function useCustomerName(id) {
  const [name, setName] = useState(() => (typeof customerNames.get(id) === "string" ? customerNames.get(id) : null));
  useEffect(() => {
    if (!id) return;
    if (!customerNames.has(id)) {
      customerNames.set(id, api.get(`/customers/${id}`).then((c) => c.name, () => id));
    }
    Promise.resolve(customerNames.get(id)).then((n) => {
      customerNames.set(id, n);
      setName(n);
    });
  }, [id]);
  return name;
}

function statusLabel(status) {
  return t(`conversations.status.${status}`);
}

function ConversationItem({ conversation: c, selected, onOpen }) {
  const name = useCustomerName(c.customer_id);
  return html`<li class=${selected ? "selected" : ""}>
    <button type="button" class="conv-item" aria-current=${selected ? "true" : undefined} onClick=${() => onOpen(c.id)}>
      <span class="conv-name">${name || t("common.loading")}</span>
      <span class="muted">${c.topic ? `${c.topic} · ` : ""}${fmtTime(c.last_message_at || c.created_at)}</span>
    </button>
  </li>`;
}

function ConversationList({ title, items, selectedId, onOpen }) {
  return html`<section class="card conv-list" aria-label=${title}>
    <h2>${title} <span class="badge">${items.length}</span></h2>
    <ul>
      ${items.map(
        (c) => html`<${ConversationItem} key=${c.id} conversation=${c} selected=${c.id === selectedId} onOpen=${onOpen} />`,
      )}
    </ul>
    ${items.length === 0 && html`<p class="muted">${t("conversations.none")}</p>`}
  </section>`;
}

function MessageItem({ message: m, customerName, me }) {
  const note = m.kind === "note";
  let who = t(`conversations.sender.${m.sender_kind}`);
  if (m.sender_kind === "customer") who = customerName || who;
  else if (m.sender_kind === "agent" && m.sender_id === me) who = t("conversations.sender.you");
  return html`<li class=${`msg msg-${m.sender_kind}${note ? " msg-note" : ""}`} data-kind=${m.kind} data-sender=${m.sender_kind}>
    <div class="msg-head">
      <strong>${who}</strong>
      ${m.sender_kind === "bot" && html`<span class="badge bot">${t("bot.badge")}</span>`}
      ${note && html`<span class="badge">${t("conversations.note")}</span>`}
      <span class="muted">${fmtTime(m.created_at)}</span>
    </div>
    <div class="msg-body">${m.body}</div>
    <${Attachments} items=${m.attachments} />
  </li>`;
}

function ReplyBox({ conversation, canReply, startAsNote, onSent, inserted }) {
  const [body, setBody] = useState("");
  const [note, setNote] = useState(!canReply || startAsNote);
  const [files, setFiles] = useState([]); // uploaded, waiting to be sent with this message
  const send = useAction();
  const tellTyping = useTellTyping(conversation.id);
  // One id per draft: a retry after a network error is the same message, stored once.
  const clientId = useRef(newClientId());
  const box = useRef(null);
  useEffect(() => setNote(!canReply || startAsNote), [canReply, startAsNote]);
  // A suggestion picked beside the thread: its answer becomes the draft, to edit and send.
  useEffect(() => {
    if (!inserted) return;
    setBody(inserted.text);
    clientId.current = newClientId();
    box.current?.focus();
  }, [inserted]);
  const picker = useCannedPicker({
    text: body,
    conversationId: conversation.id,
    onPick: (text) => {
      setBody(text);
      clientId.current = newClientId();
      // After the new text is in: the caret at its end, ready to edit or send.
      requestAnimationFrame(() => {
        const el = box.current;
        if (!el) return;
        el.focus();
        el.setSelectionRange(el.value.length, el.value.length);
      });
    },
  });
  const submit = async (e) => {
    e.preventDefault();
    if (!body.trim() && files.length === 0) return;
    const message = await send.run(() =>
      api.post(`/conversations/${conversation.id}/messages`, {
        body,
        kind: note || !canReply ? "note" : "text",
        client_msg_id: clientId.current,
        attachment_ids: files.map((f) => f.id),
      }),
    );
    if (message) {
      clientId.current = newClientId();
      setBody("");
      setFiles([]);
      onSent(message);
    }
  };
  const label = note ? t("conversations.note_placeholder") : t("conversations.reply_placeholder");
  return html`<form class=${`reply${note ? " as-note" : ""}`} onSubmit=${submit} aria-label=${t("conversations.reply")}>
    ${picker.list}
    <textarea ref=${box} aria-label=${label} placeholder=${label} value=${body} rows="3" ...${picker.textareaProps}
      onInput=${(e) => {
        setBody(e.target.value);
        clientId.current = newClientId();
        if (e.target.value.trim()) tellTyping(note || !canReply);
      }}
      onKeyDown=${(e) => {
        if (picker.onKeyDown(e)) e.preventDefault();
        else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) submit(e);
        else if (e.altKey && e.key.toLowerCase() === "n" && canReply) {
          e.preventDefault();
          e.stopPropagation();
          setNote(!note);
        }
      }} />
    <small class="hint">${t("canned.slash_hint")}</small>
    <${ErrorBox} error=${picker.error} />
    <div class="actions">
      <label class="inline">
        <input type="checkbox" checked=${note || !canReply} disabled=${!canReply}
          onChange=${(e) => setNote(e.target.checked)} />
        ${t("conversations.as_note")}
      </label>
      <${AttachButton} conversationId=${conversation.id} files=${files}
        onFiles=${(next) => {
          setFiles(next);
          clientId.current = newClientId();
        }} />
      <button type="submit" class="primary" disabled=${send.busy || (!body.trim() && files.length === 0)}>
        ${note || !canReply ? t("conversations.add_note") : t("conversations.send")}
      </button>
    </div>
    <${ErrorBox} error=${send.error} />
  </form>`;
}

function Thread({ conversation: c, messages, session, onChanged, onMessage }) {
  const me = session.user.id;
  const customerName = useCustomerName(c.customer_id);
  const act = useAction();
  const typing = useTypingIn(c.id, me);
  const bottom = useRef(null);
  useEffect(() => bottom.current?.scrollIntoView({ block: "nearest" }), [messages.length]);
  const take = async () => {
    const updated = await act.run(() => api.post(`/conversations/${c.id}/assign`, {}));
    if (updated) onChanged(updated);
  };
  // A supervisor takes the conversation over from its agent: it becomes theirs.
  const takeOver = async () => {
    const updated = await act.run(() => api.post(`/conversations/${c.id}/assign`, { agent_id: me }));
    if (updated) onChanged(updated);
  };
  const [closing, setClosing] = useState(false);
  useEffect(() => setClosing(false), [c.id]);
  const [inserted, setInserted] = useState(null);
  const lastCustomer = [...messages].reverse().find((m) => m.sender_kind === "customer" && m.kind === "text" && m.body.trim());
  const resolve = async (disposition) => {
    const updated = await act.run(() => api.post(`/conversations/${c.id}/resolve`, { disposition }));
    if (updated) {
      setClosing(false);
      onChanged(updated);
    }
  };
  const supervisor = rank(session.user.role) >= rank("supervisor");
  const mine = c.assignee_id === me;
  const canReply = mine || supervisor;
  useAltKeys({
    t: () => WAITING.includes(c.status) && !act.busy && take(),
    r: () => SERVING.includes(c.status) && canReply && setClosing(true),
  });
  return html`<section class="card thread" aria-label=${t("conversations.thread")}>
    <div class="page-head">
      <div>
        <h2><a href=${`#/customers/${c.customer_id}`}>${customerName || t("common.loading")}</a></h2>
        <span class=${`badge status-${c.status}`}>${statusLabel(c.status)}</span>
        ${c.topic && html` <span class="chip small">${c.topic}</span>`}
        ${c.rating != null && html` <span class="badge">${t("conversations.rating", { n: c.rating })}</span>`}
      </div>
      <div class="actions">
        ${WAITING.includes(c.status) &&
        html`<button type="button" class="primary" disabled=${act.busy} onClick=${take}>${t("conversations.take")}</button>`}
        ${SERVING.includes(c.status) && supervisor && !mine &&
        html`<button type="button" disabled=${act.busy} onClick=${takeOver}>${t("conversations.take_over")}</button>`}
        ${SERVING.includes(c.status) && canReply &&
        html`<${TransferButton} conversation=${c} onDone=${onChanged} />`}
        ${SERVING.includes(c.status) && canReply &&
        html`<button type="button" disabled=${act.busy || closing} onClick=${() => setClosing(true)}>${t("conversations.resolve")}</button>`}
        <${CreateTicketButton} conversation=${c} />
      </div>
    </div>
    ${closing && SERVING.includes(c.status) &&
    html`<${ResolveForm} busy=${act.busy} onResolve=${resolve} onCancel=${() => setClosing(false)} />`}
    ${c.status === "resolved" && c.disposition &&
    html`<p class="muted">${t("conversations.closed_as", {
      code: has(`disposition.${c.disposition}`) ? t(`disposition.${c.disposition}`) : c.disposition,
    })}</p>`}
    <${ErrorBox} error=${act.error} />
    <${BotGuesses} conversation=${c} />
    <ol class="messages" aria-label=${t("conversations.messages")}>
      ${messages.map((m) => html`<${MessageItem} key=${m.id} message=${m} customerName=${customerName} me=${me} />`)}
      <li ref=${bottom} class="end" aria-hidden="true"></li>
    </ol>
    ${messages.length === 0 && html`<p class="muted">${t("common.empty")}</p>`}
    <p class="typing muted" role="status" aria-live="polite">
      ${typing.customer ? t("conversations.customer_typing", { name: customerName || t("conversations.sender.customer") }) : ""}
      ${typing.agents.length > 0 ? ` ${t("conversations.agent_typing")}` : ""}
    </p>
    ${supervisor && !mine && SERVING.includes(c.status) &&
    html`<p class="muted">${t("conversations.whisper_hint")}</p>`}
    ${c.status !== "resolved" && lastCustomer &&
    html`<${Suggestions} key=${lastCustomer.id} question=${lastCustomer.body}
      onInsert=${(text) => setInserted({ text })} />`}
    ${c.status !== "resolved" &&
    html`<${ReplyBox} key=${c.id} conversation=${c} canReply=${canReply} inserted=${inserted}
      startAsNote=${supervisor && !mine && SERVING.includes(c.status)} onSent=${onMessage} />`}
  </section>`;
}

/** Every page of a conversation's messages, oldest first. */
async function allMessages(id) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < 50; i++) {
    const page = await api.get(`/conversations/${id}/messages`, { limit: 200, cursor });
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return items;
}

const byNewest = (a, b) => Date.parse(b.created_at) - Date.parse(a.created_at);

// Disposition codes an agent closes a conversation with (reports group by them).
const DISPOSITIONS = ["resolved", "follow_up", "transferred_to_ticket", "customer_left", "spam"];

/** Closing a conversation: pick a disposition code, then confirm. */
function ResolveForm({ busy, onResolve, onCancel }) {
  const [code, setCode] = useState("resolved");
  const select = useRef(null);
  useEffect(() => select.current?.focus(), []);
  return html`<form class="resolve-form" role="group" aria-label=${t("conversations.close_title")}
    onSubmit=${(e) => {
      e.preventDefault();
      onResolve(code);
    }}>
    <label class="inline">${t("conversations.disposition")}
      <select ref=${select} value=${code} onChange=${(e) => setCode(e.target.value)}
        onKeyDown=${(e) => e.key === "Escape" && onCancel()}>
        ${DISPOSITIONS.map((d) => html`<option key=${d} value=${d}>${t(`disposition.${d}`)}</option>`)}
      </select>
    </label>
    <button type="submit" class="primary" disabled=${busy}>${t("conversations.resolve_confirm")}</button>
    <button type="button" onClick=${onCancel}>${t("common.cancel")}</button>
  </form>`;
}

/** Alt+key shortcuts while the page is open; `keys` maps e.key (lower case) to a handler. */
function useAltKeys(keys) {
  const current = useRef(keys);
  current.current = keys;
  useEffect(() => {
    const onKey = (e) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const run = current.current[e.key.length === 1 ? e.key.toLowerCase() : e.key];
      if (!run) return;
      e.preventDefault();
      run();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
}

const SHORTCUTS = [
  ["Alt+↑ / Alt+↓", "conversations.key_move"],
  ["Alt+T", "conversations.key_take"],
  ["Alt+R", "conversations.key_resolve"],
  ["Alt+N", "conversations.key_note"],
  ["Ctrl+Enter", "conversations.key_send"],
  ["/", "conversations.key_canned"],
];

function ShortcutHelp() {
  return html`<details class="shortcuts">
    <summary>${t("conversations.shortcuts")}</summary>
    <dl>
      ${SHORTCUTS.map(([keys, label]) => html`<div key=${keys}><dt><kbd>${keys}</kbd></dt><dd>${t(label)}</dd></div>`)}
    </dl>
  </details>`;
}

export function ConversationsPage({ session, id }) {
  const me = session.user.id;
  const supervisor = rank(session.user.role) >= rank("supervisor");
  // Every conversation seen, by id, the newest version of each: the lists are views of it.
  const [known, setKnown] = useState(() => new Map());
  const [listError, setListError] = useState(null);
  const [selectedId, setSelectedId] = useState(null);
  const [thread, setThread] = useState({ id: null, messages: [], error: null });

  const remember = (conversations) =>
    setKnown((old) => {
      const next = new Map(old);
      for (const c of conversations) if (newer(c, next.get(c.id))) next.set(c.id, c);
      return next;
    });
  const addMessages = (id, messages) =>
    setThread((th) => {
      if (th.id !== id) return th;
      const seen = new Set(th.messages.map((m) => m.id));
      const fresh = messages.filter((m) => !seen.has(m.id));
      return fresh.length ? { ...th, messages: [...th.messages, ...fresh] } : th;
    });

  const loadLists = async () => {
    try {
      const [waiting, mine, everyone] = await Promise.all([
        api.get("/conversations", { status: WAITING.join(","), limit: LIST_LIMIT }),
        api.get("/conversations", { status: SERVING.join(","), assignee: "me", limit: LIST_LIMIT }),
        supervisor ? api.get("/conversations", { status: SERVING.join(","), limit: LIST_LIMIT }) : { items: [] },
      ]);
      setListError(null);
      remember([...waiting.items, ...mine.items, ...everyone.items]);
    } catch (err) {
      setListError(err);
    }
  };

  const live = useStream((frame) => {
    const payload = frame.payload || {};
    if (payload.conversation) remember([payload.conversation]);
    if (frame.kind === "message.created" && payload.message) addMessages(frame.entity_id, [payload.message]);
  }, loadLists);

  const open = async (id) => {
    setSelectedId(id);
    setThread({ id, messages: [], error: null });
    try {
      const [conversation, messages] = await Promise.all([api.get(`/conversations/${id}`), allMessages(id)]);
      remember([conversation]);
      addMessages(id, messages);
    } catch (error) {
      setThread((th) => (th.id === id ? { ...th, error } : th));
    }
  };

  // #/conversations/{id} (e.g. after accepting an offer) opens that one.
  useEffect(() => {
    if (id) open(id);
  }, [id]);

  const all = [...known.values()];
  const waiting = all.filter((c) => WAITING.includes(c.status)).sort(byNewest);
  const mine = all.filter((c) => c.assignee_id === me && SERVING.includes(c.status)).sort(byNewest);
  // Supervisors also follow everyone else's conversations, to whisper or take over.
  const others = supervisor
    ? all.filter((c) => c.assignee_id !== me && SERVING.includes(c.status)).sort(byNewest)
    : [];
  const current = selectedId ? known.get(selectedId) : null;
  // Alt+↑/↓ walk the lists top to bottom, as they are shown.
  const shown = [...waiting, ...mine, ...others];
  const step = (by) => {
    if (shown.length === 0) return;
    const at = shown.findIndex((c) => c.id === selectedId);
    const next = at < 0 ? 0 : Math.min(shown.length - 1, Math.max(0, at + by));
    if (shown[next].id !== selectedId) open(shown[next].id);
  };
  useAltKeys({ ArrowDown: () => step(1), ArrowUp: () => step(-1) });

  return html`<section>
    <${PageHead} title=${t("nav.conversations")}>
      <${ShortcutHelp} />
      <span class=${`badge${live ? " ok" : ""}`} role="status">
        ${live ? t("conversations.live") : t("conversations.connecting")}
      </span>
    <//>
    <${ErrorBox} error=${listError} />
    <div class="conversations">
      <div class="conv-lists">
        <${ConversationList} title=${t("conversations.waiting")} items=${waiting} selectedId=${selectedId} onOpen=${open} />
        <${ConversationList} title=${t("conversations.mine")} items=${mine} selectedId=${selectedId} onOpen=${open} />
        ${supervisor &&
        html`<${ConversationList} title=${t("conversations.others")} items=${others} selectedId=${selectedId} onOpen=${open} />`}
      </div>
      <div>
        <${ErrorBox} error=${thread.error} />
        ${current
          ? html`<${Thread} conversation=${current} messages=${thread.messages} session=${session}
              onChanged=${(c) => remember([c])} onMessage=${(m) => addMessages(current.id, [m])} />`
          : !thread.error && html`<p class="muted card">${t("conversations.pick")}</p>`}
      </div>
      ${current && html`<${CustomerPanel} key=${current.customer_id} customerId=${current.customer_id}
        conversationId=${current.id} onOpen=${open} />`}
    </div>
  </section>`;
}

// ---- attachments ----
// Staff downloads authenticate with the session cookie, so images and links point at the API.

const fileUrl = (id) => `/api/v1/attachments/${encodeURIComponent(id)}`;
const fmtSize = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);

/** A message's files: images as thumbnails opening full size, the rest as download links. */
function Attachments({ items }) {
  if (!items || items.length === 0) return null;
  return html`<ul class="attachments" aria-label=${t("conversations.attachments")}>
    ${items.map((a) =>
      a.content_type.startsWith("image/")
        ? html`<li key=${a.id}><a href=${fileUrl(a.id)} target="_blank" rel="noopener">
            <img class="thumb" src=${fileUrl(a.id)} alt=${a.name} loading="lazy" style="max-width:160px;max-height:120px" />
          </a></li>`
        : html`<li key=${a.id}><a href=${fileUrl(a.id)} download=${a.name}>${a.name}</a> <span class="muted">${fmtSize(a.size)}</span></li>`,
    )}
  </ul>`;
}

/** Uploads one file as the raw body (Content-Type = its type); the stored metadata. */
async function uploadFile(conversationId, file) {
  const path = `/api/v1/conversations/${encodeURIComponent(conversationId)}/attachments?name=${encodeURIComponent(file.name)}`;
  let res;
  try {
    res = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": file.type || "application/octet-stream", accept: "application/json" },
      body: file,
    });
  } catch (e) {
    throw new ApiError(0, { code: "network", message: String(e) });
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** The paper-clip: picks files, uploads each at once, lists them with a remove button. */
function AttachButton({ conversationId, files, onFiles }) {
  const upload = useAction();
  const input = useRef(null);
  const pick = async (e) => {
    const picked = [...e.target.files];
    e.target.value = "";
    const done = [];
    for (const file of picked) {
      const meta = await upload.run(() => uploadFile(conversationId, file));
      if (meta) done.push(meta);
    }
    if (done.length) onFiles([...files, ...done]);
  };
  return html`<span class="attach">
    <input ref=${input} type="file" multiple hidden onChange=${pick} aria-label=${t("conversations.attach")} />
    <button type="button" disabled=${upload.busy} onClick=${() => input.current?.click()}>
      ${upload.busy ? t("conversations.uploading") : t("conversations.attach")}
    </button>
    ${files.map(
      (f) => html` <span class="chip small" key=${f.id}>${f.name}
        <button type="button" class="link" aria-label=${t("conversations.remove_file", { name: f.name })}
          onClick=${() => onFiles(files.filter((x) => x.id !== f.id))}>×</button></span>`,
    )}
    <${ErrorBox} error=${upload.error} />
  </span>`;
}
