// The customer chat widget, for any site: <script src="https://kefu.example/widget.js"
// data-inbox="INBOX_ID"></script>. A launcher and a chat panel in a shadow root (the page's
// styles and ours never mix), a visitor session remembered in localStorage, the conversation's
// history from the API, live messages over the visitor WebSocket (resumed after the last seq),
// idempotent sends, the pre-chat form (contact details and topic), the place in the queue while
// waiting, the rating, and files (attach button, image thumbnails, download links; helpers near
// the end). Self-contained: plain DOM, no
// imports, so it runs on pages that are not ours. Everything people typed is set as text.
(() => {
  const script = typeof document !== "undefined" ? document.currentScript : null;
  const inboxId = script && script.dataset && script.dataset.inbox;
  if (!script || !script.src || !inboxId) return;
  const ORIGIN = new URL(script.src, location.href).origin;
  const API = `${ORIGIN}/api/v1`;
  const STORAGE_KEY = `kefu.widget.${inboxId}`;
  const MAX_BACKOFF_MS = 30_000;
  const STANDING_POLL_MS = 5000;

  // The widget's strings, [English, 简体中文] like web/i18n.js (web.test.js checks both are there).
  // strings:begin
  const STRINGS = {
    open: ["Chat with us", "在线客服"],
    close: ["Close the chat", "关闭对话窗口"],
    title: ["Customer service", "在线客服"],
    messages: ["Messages", "消息记录"],
    message: ["Message", "输入消息"],
    placeholder: ["Type a message…", "请输入消息…"],
    send: ["Send", "发送"],
    pick_topic: ["What can we help you with?", "请选择咨询类型："],
    waiting: ["Waiting for an agent…", "正在为您接入人工客服，请稍候…"],
    ahead: ["{n} ahead of you", "您前面还有 {n} 位"],
    next: ["You are next in line", "下一位就是您"],
    eta_minutes: ["estimated wait about {n} min", "预计等待约 {n} 分钟"],
    eta_soon: ["estimated wait under a minute", "预计等待不到 1 分钟"],
    joined: ["An agent has joined the conversation.", "客服已接入，正在为您服务。"],
    agent_typing: ["The agent is typing…", "客服正在输入…"],
    resolved: ["This conversation has ended.", "本次会话已结束。"],
    carried: ["Your message is now a ticket: we will reply as soon as we can. You can still add to it here.", "您的留言已转为工单，我们会尽快回复；如需补充，可继续在此留言。"],
    rate: ["How satisfied are you with our service?", "请对本次服务进行评价："],
    stars: ["{n} of 5", "{n} 星"],
    comment: ["Comment (optional)", "评价内容（选填）"],
    submit_rating: ["Submit rating", "提交评价"],
    rated: ["Thank you for your rating: {n} of 5.", "感谢您的评价：{n} 星。"],
    new_chat: ["Start a new conversation", "发起新会话"],
    sending: ["Sending…", "发送中…"],
    failed: ["Not sent.", "发送失败。"],
    retry: ["Retry", "重试"],
    offline: ["Reconnecting…", "正在重新连接…"],
    error: ["Something went wrong; please try again.", "出错了，请稍后重试。"],
    you: ["You", "我"],
    agent: ["Agent", "客服"],
    system: ["System", "系统"],
    leave_message: [
      "No agent is available right now: leave a message and we will reply as soon as we can.",
      "暂时没有客服在线，请留言，我们会尽快回复您。",
    ],
    closed_until: ["We are closed now; we open again {when}.", "现在是非服务时间，{when} 恢复服务。"],
    prechat_intro: ["Tell us how to reach you (optional):", "请留下联系方式（选填）："],
    prechat_name: ["Your name", "您的称呼"],
    prechat_phone: ["Mobile phone", "手机号"],
    prechat_email: ["Email", "邮箱"],
    start_chat: ["Start chatting", "开始咨询"],
    attach: ["Attach a file", "添加附件"],
    uploading: ["Sending file…", "正在发送文件…"],
    too_large: ["The file is too large.", "文件太大，无法发送。"],
    bad_type: ["This type of file cannot be sent.", "不支持发送此类型的文件。"],
    bot: ["Assistant", "智能助手"],
    bot_here: [
      "You are chatting with our assistant. Type \"agent\" to reach a person.",
      "智能助手为您服务，输入“转人工”可联系人工客服。",
    ],
    helpful: ["Was this helpful?", "这个回答对您有帮助吗？"],
    helpful_yes: ["Yes", "有帮助"],
    helpful_no: ["No", "没帮助"],
    thanks_feedback: ["Thanks for your feedback.", "感谢您的反馈。"],
  };
  // strings:end
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  const LANG = prefs.some((l) => String(l).toLowerCase().startsWith("zh")) ? "zh-CN" : "en";
  const say = (key, vars) => {
    const text = (STRINGS[key] || [key, key])[LANG === "zh-CN" ? 1 : 0];
    return vars ? text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m)) : text;
  };

  // ---- remembered state: {token, conversation, seq} ----
  let saved = {};
  try {
    saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}") || {};
  } catch {
    saved = {};
  }
  const remember = (patch) => {
    saved = { ...saved, ...patch };
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(saved));
    } catch {
      // Storage is off (private mode): this page still works, a reload starts over.
    }
  };

  const state = {
    inbox: null, // {id, name, greeting, pre_chat_form, topics}
    conversation: null, // the current conversation, or null before the first message
    messages: new Map(), // id (or client_msg_id while pending) → message
    topic: null,
    open: false,
    live: false,
    rated: null,
    standing: null, // {position, waiting, estimated_wait_secs} while the conversation is queued
    service: null, // {open, next_open_at, agents_available} when the session started
    contact: null, // {name, phone, email} from the pre-chat form, sent with the new conversation
    prechatDone: false,
  };

  // ---- HTTP ----
  class WidgetError extends Error {
    constructor(status, code, message) {
      super(message || code);
      this.status = status;
      this.code = code;
    }
  }

  async function call(method, path, body) {
    const headers = { accept: "application/json" };
    if (saved.token) headers.authorization = `Bearer ${saved.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let res;
    try {
      res = await fetch(`${API}${path}`, {
        method,
        headers,
        credentials: "omit",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new WidgetError(0, "network", String(e));
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!res.ok) throw new WidgetError(res.status, (data && data.code) || `http_${res.status}`, data && data.message);
    return { status: res.status, data };
  }

  /** The visitor session: the remembered token if it is still good, else a new one. */
  async function startSession() {
    const body = saved.token ? { visitor_token: saved.token } : {};
    try {
      const { data } = await call("POST", `/widget/${encodeURIComponent(inboxId)}/session`, body);
      state.inbox = data.inbox;
      state.service = data.service || null;
      if (data.visitor_token !== saved.token) {
        // A new visitor follows the log from now on: nothing before it is theirs.
        remember({ token: data.visitor_token, conversation: null, seq: data.last_seq || 0 });
      }
    } catch (err) {
      if (err.code !== "invalid_visitor_token") throw err;
      // A stale token (another inbox, a reset server): drop it and start over.
      remember({ token: null, conversation: null, seq: 0 });
      return startSession();
    }
  }

  /** The remembered conversation (or the newest) and its whole history, oldest first. */
  async function loadConversation() {
    const { data: list } = await call("GET", "/widget/conversations");
    const current = list.find((c) => c.id === saved.conversation) || list.find((c) => c.status !== "resolved") || null;
    setConversation(current);
    if (!current) return;
    let cursor = null;
    for (let page = 0; page < 50; page++) {
      const q = `?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const { data } = await call("GET", `/widget/conversations/${current.id}/messages${q}`);
      if (!state.conversation || state.conversation.id !== current.id) return;
      data.items.forEach(addMessage);
      cursor = data.next_cursor;
      if (!cursor) break;
    }
  }

  function setConversation(conversation) {
    const changed = (conversation && conversation.id) !== (state.conversation && state.conversation.id);
    state.conversation = conversation;
    if (changed) {
      state.messages.clear();
      state.rated = null;
      remember({ conversation: conversation ? conversation.id : null });
    }
    followStanding();
    render();
  }

  // ---- the place in the queue ----
  // Polled while the conversation is queued; stopped when it is not (an agent is offered or has
  // it, or it ended) or the server says not_waiting, until a later version of it is queued again.
  let standingTimer = null;
  let standingFor = null; // "id@updated_at" of the queued version being followed or given up on

  function followStanding() {
    const c = state.conversation;
    const key = c && c.status === "queued" ? `${c.id}@${c.updated_at}` : null;
    if (!key) {
      stopStanding();
      return;
    }
    if (key === standingFor) return;
    // A new queued version (e.g. an offer lapsed): follow it, keeping the last figures meanwhile.
    clearTimeout(standingTimer);
    standingFor = key;
    pollStanding(c.id, key);
  }

  function stopStanding() {
    clearTimeout(standingTimer);
    standingTimer = null;
    standingFor = null;
    if (state.standing) {
      state.standing = null;
      render();
    }
  }

  async function pollStanding(id, key) {
    try {
      const { data } = await call("GET", `/widget/conversations/${id}/standing`);
      if (standingFor !== key) return;
      state.standing = data;
      render();
    } catch (err) {
      if (standingFor !== key) return;
      if (err.status === 409 || err.status === 404) {
        // Not waiting any more: keep standingFor so this version is not polled again.
        clearTimeout(standingTimer);
        state.standing = null;
        render();
        return;
      }
      // A network blip: keep the last figures and try again on the next tick.
    }
    standingTimer = setTimeout(() => pollStanding(id, key), STANDING_POLL_MS);
  }

  function standingText(s) {
    const ahead = Math.max(0, s.position - 1);
    const parts = [ahead === 0 ? say("next") : say("ahead", { n: ahead })];
    const eta = s.estimated_wait_secs;
    if (eta != null) parts.push(eta < 60 ? say("eta_soon") : say("eta_minutes", { n: Math.ceil(eta / 60) }));
    return parts.join(LANG === "zh-CN" ? "，" : ", ");
  }

  // ---- typing, both ways: signals that are never logged, so they only live a few seconds ----
  const TYPING_SHOWN_MS = 6000;
  const TYPING_EVERY_MS = 3000;
  let typingTimer = null;
  function onTyping(frame) {
    const c = state.conversation;
    if (frame.sender_kind !== "agent" || !c || frame.conversation_id !== c.id) return;
    state.agentTypingUntil = Date.now() + TYPING_SHOWN_MS;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(render, TYPING_SHOWN_MS + 50);
    render();
  }
  let typingSentAt = 0;
  function tellTyping() {
    const c = state.conversation;
    if (!c || c.status === "resolved" || Date.now() - typingSentAt < TYPING_EVERY_MS) return;
    typingSentAt = Date.now();
    call("POST", `/widget/conversations/${c.id}/typing`).catch(() => {});
  }

  function addMessage(message) {
    if (!state.conversation || message.conversation_id !== state.conversation.id) return;
    // Whoever was typing has sent it.
    if (message.sender_kind === "agent") state.agentTypingUntil = 0;
    // The echo of our own send replaces its pending copy.
    if (message.client_msg_id) state.messages.delete(`pending:${message.client_msg_id}`);
    state.messages.set(message.id, message);
    if (!state.open && message.sender_kind !== "customer") ui.launcher.classList.add("unread");
    render();
  }

  // ---- sending ----
  const newClientId = () =>
    `w-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

  async function ensureConversation() {
    const c = state.conversation;
    if (c && c.status !== "resolved") return c;
    const body = { language: LANG };
    if (state.topic) body.topic = state.topic;
    if (state.contact) body.contact = state.contact;
    const { data } = await call("POST", "/widget/conversations", body);
    setConversation(data);
    return data;
  }

  /** Sends (or re-sends, with the same client_msg_id) one pending message. */
  async function send(pending) {
    pending.failed = false;
    state.messages.set(pending.id, pending);
    render();
    try {
      let conversation = await ensureConversation();
      if (!state.messages.has(pending.id)) state.messages.set(pending.id, pending);
      let res;
      try {
        res = await call("POST", `/widget/conversations/${conversation.id}/messages`, {
          body: pending.body,
          client_msg_id: pending.client_msg_id,
          ...(pending.faq_id ? { faq_id: pending.faq_id } : {}),
        });
      } catch (err) {
        if (err.code !== "conversation_closed") throw err;
        // Closed meanwhile: the message opens a new conversation.
        state.conversation = { ...conversation, status: "resolved" };
        conversation = await ensureConversation();
        state.messages.set(pending.id, pending);
        res = await call("POST", `/widget/conversations/${conversation.id}/messages`, {
          body: pending.body,
          client_msg_id: pending.client_msg_id,
          ...(pending.faq_id ? { faq_id: pending.faq_id } : {}),
        });
      }
      addMessage(res.data);
    } catch (err) {
      pending.failed = true;
      pending.error = err;
      state.messages.set(pending.id, pending);
      render();
    }
  }

  function submitText(text, faqId) {
    const body = text.trim();
    if (!body) return false;
    const client_msg_id = newClientId();
    send({
      faq_id: faqId || null,
      id: `pending:${client_msg_id}`,
      pending: true,
      client_msg_id,
      body,
      sender_kind: "customer",
      kind: "text",
      conversation_id: state.conversation && state.conversation.id,
      created_at: new Date().toISOString(),
    });
    return true;
  }

  // ---- the live stream ----
  let socket = null;
  let backoff = 1000;
  let reconnectTimer = null;

  function connect() {
    if (!saved.token || socket) return;
    const url = `${ORIGIN.replace(/^http/, "ws")}/api/v1/widget/stream?token=${encodeURIComponent(saved.token)}&after=${saved.seq || 0}`;
    const ws = new WebSocket(url);
    socket = ws;
    ws.onmessage = (e) => {
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return;
      }
      if (frame.type === "live") {
        backoff = 1000;
        state.live = true;
        render();
      } else if (frame.type === "typing") {
        onTyping(frame);
      } else if (frame.type === "event") {
        onEvent(frame);
        if (frame.seq > (saved.seq || 0)) remember({ seq: frame.seq });
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      state.live = false;
      render();
      // 1012 (server restarting), a dropped network, a failed upgrade: all resume after our seq.
      clearTimeout(reconnectTimer);
      reconnectTimer = setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    };
  }

  function onEvent(frame) {
    const payload = frame.payload || {};
    if ((frame.kind === "message.created" || frame.kind === "bot.feedback") && payload.message) {
      addMessage(payload.message);
    } else if (payload.conversation) {
      const c = payload.conversation;
      if (state.conversation && c.id === state.conversation.id) setConversation(c);
      else if (!state.conversation && frame.kind === "conversation.created") setConversation(c);
    } else if (frame.kind === "conversation.rated" && state.conversation && frame.entity_id === state.conversation.id) {
      state.conversation = { ...state.conversation, rating: payload.rating };
      render();
    }
  }

  // ---- DOM ----
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  };

  const CSS = `
    :host { all: initial; }
    * { box-sizing: border-box; font-family: system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; }
    .launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; border: none; border-radius: 999px;
      background: #1a5fd0; color: #fff; padding: 12px 18px; font-size: 15px; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); }
    .launcher.unread::after { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: #e53935; margin-left: 8px; vertical-align: middle; }
    .panel { position: fixed; right: 20px; bottom: 80px; z-index: 2147483000; width: 360px; max-width: calc(100vw - 40px);
      height: 520px; max-height: calc(100vh - 100px); background: #fff; color: #1d2330; border-radius: 12px;
      box-shadow: 0 8px 30px rgba(0,0,0,.25); display: flex; flex-direction: column; overflow: hidden; font-size: 14px; }
    [hidden] { display: none !important; }
    header { background: #1a5fd0; color: #fff; padding: 10px 14px; display: flex; justify-content: space-between; align-items: center; }
    header h2 { font-size: 15px; margin: 0; }
    header button { background: none; border: none; color: #fff; font-size: 20px; cursor: pointer; line-height: 1; }
    .log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; background: #f5f7fa; }
    .msg { max-width: 80%; padding: 8px 11px; border-radius: 10px; white-space: pre-wrap; overflow-wrap: anywhere; }
    .msg.customer { align-self: flex-end; background: #1a5fd0; color: #fff; }
    .msg.agent, .msg.bot { align-self: flex-start; background: #fff; border: 1px solid #dde2ea; }
    .msg small.who { margin: 0 0 3px; }
    .choices { display: flex; flex-direction: column; gap: 4px; margin-top: 6px; }
    .choices button.choice { text-align: left; border: 1px solid #1a5fd0; color: #1a5fd0; background: #fff; border-radius: 8px; padding: 5px 9px; cursor: pointer; font-size: 13px; margin: 0; }
    .feedback { display: flex; gap: 6px; align-items: center; margin-top: 6px; }
    .feedback small { margin: 0; }
    .msg.system, .note { align-self: center; color: #5b6475; font-size: 12px; text-align: center; }
    .msg.failed { background: #fdecea; color: #b3261e; border: 1px solid #f5c2c0; }
    .msg small { display: block; opacity: .75; font-size: 11px; margin-top: 3px; }
    .msg button { font-size: 11px; margin-left: 6px; }
    .status { padding: 6px 12px; font-size: 12px; color: #5b6475; background: #eef2f8; border-top: 1px solid #dde2ea; }
    .status:empty { display: none; }
    .status { white-space: pre-line; }
    .topics, .rating { padding: 10px 12px; border-top: 1px solid #dde2ea; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
    .topics p, .rating p { margin: 0 0 4px; flex-basis: 100%; }
    .prechat input { flex-basis: 100%; box-sizing: border-box; padding: 6px 8px; border: 1px solid #c5ccd6; border-radius: 6px; font: inherit; }
    .topics button, .stars button { border: 1px solid #1a5fd0; color: #1a5fd0; background: #fff; border-radius: 999px; padding: 5px 11px; cursor: pointer; }
    .stars { display: flex; gap: 4px; }
    .stars button[aria-pressed="true"] { background: #1a5fd0; color: #fff; }
    .rating textarea { width: 100%; min-height: 48px; border: 1px solid #c9d0dc; border-radius: 6px; padding: 6px; font-size: 13px; }
    form.compose { display: flex; gap: 6px; padding: 10px; border-top: 1px solid #dde2ea; }
    form.compose textarea { flex: 1; resize: none; height: 40px; border: 1px solid #c9d0dc; border-radius: 6px; padding: 8px; font-size: 14px; }
    button.primary { background: #1a5fd0; color: #fff; border: none; border-radius: 6px; padding: 0 14px; cursor: pointer; }
    .rating button.primary { padding: 6px 14px; }
    button.new-chat { border: 1px solid #1a5fd0; color: #1a5fd0; background: #fff; border-radius: 6px; padding: 5px 11px; cursor: pointer; margin: 0 12px 10px; }
    .rating button.new-chat { margin: 4px 0 0; }
    .error { color: #b3261e; padding: 6px 12px; font-size: 12px; }
    .error:empty { display: none; }
  `;

  const host = el("div", { "data-kefu-widget": inboxId });
  const root = host.attachShadow({ mode: "open" });
  const ui = {};
  ui.launcher = el("button", { type: "button", class: "launcher", "aria-expanded": "false", text: say("open"), onclick: () => toggle(!state.open) });
  ui.log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": say("messages") });
  ui.status = el("div", { class: "status", role: "status" });
  ui.error = el("div", { class: "error", role: "alert" });
  ui.extra = el("div");
  ui.input = el("textarea", { "aria-label": say("message"), placeholder: say("placeholder"), rows: "1" });
  ui.input.addEventListener("input", () => ui.input.value.trim() && tellTyping());
  ui.input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      ui.compose.requestSubmit();
    }
  });
  ui.compose = el(
    "form",
    {
      class: "compose",
      onsubmit: (e) => {
        e.preventDefault();
        if (submitText(ui.input.value)) ui.input.value = "";
      },
    },
    ui.input,
    el("button", { type: "submit", class: "primary", text: say("send") }),
  );
  ui.title = el("h2", { text: say("title") });
  ui.panel = el(
    "div",
    { class: "panel", role: "dialog", "aria-label": say("title"), hidden: true },
    el("header", {}, ui.title, el("button", { type: "button", "aria-label": say("close"), text: "×", onclick: () => toggle(false) })),
    ui.log,
    ui.status,
    ui.error,
    ui.extra,
    ui.compose,
  );
  root.append(el("style", { text: CSS }), ui.panel, ui.launcher);

  function showError(err) {
    ui.error.textContent = err ? say("error") : "";
  }

  function messageNode(m) {
    const who = m.kind === "note" ? "system" : m.sender_kind;
    const node = el("div", { class: `msg ${who}${m.failed ? " failed" : ""}`, "data-sender": m.sender_kind });
    if (m.sender_kind === "bot") node.append(el("small", { class: "who", text: say("bot") }));
    node.append(el("span", { class: "body", text: m.body }), ...attachmentNodes(m));
    if (m.sender_kind === "bot" && m.bot) node.append(...botNodes(m));
    if (m.pending) {
      const note = el("small", { text: m.failed ? say("failed") : say("sending") });
      if (m.failed) note.append(el("button", { type: "button", text: say("retry"), onclick: () => send(m) }));
      node.append(note);
    }
    return node;
  }

  // What a bot message offers: its "did you mean" choices (while the bot still has the
  // conversation and this is its latest word) and "was this helpful?" under an answer.
  function botNodes(m) {
    const c = state.conversation;
    const withBot = c && c.status === "bot";
    const latestBot = [...state.messages.values()].filter((x) => x.sender_kind === "bot").pop();
    const nodes = [];
    if (m.bot.action === "did_you_mean" && withBot && latestBot && latestBot.id === m.id) {
      nodes.push(
        el(
          "div",
          { class: "choices", role: "group" },
          ...(m.bot.choices || []).map((choice) =>
            el("button", { type: "button", class: "choice", text: choice.question, onclick: () => submitText(choice.question, choice.faq_id) }),
          ),
        ),
      );
    }
    // A scenario's buttons: the label is sent as the customer's answer.
    if ((m.bot.options || []).length > 0 && withBot && latestBot && latestBot.id === m.id) {
      nodes.push(
        el(
          "div",
          { class: "choices", role: "group" },
          ...m.bot.options.map((label) =>
            el("button", { type: "button", class: "choice", text: label, onclick: () => submitText(label) }),
          ),
        ),
      );
    }
    if (m.bot.action === "answer") {
      if (m.bot.helpful != null) nodes.push(el("small", { class: "feedback", text: say("thanks_feedback") }));
      else {
        const rate = (helpful) => async () => {
          try {
            const { data } = await call("POST", `/widget/conversations/${m.conversation_id}/messages/${m.id}/feedback`, { helpful });
            addMessage(data);
          } catch (err) {
            if (err.code === "feedback_given") addMessage({ ...m, bot: { ...m.bot, helpful } });
            else showError(err);
          }
        };
        nodes.push(
          el(
            "div",
            { class: "feedback", role: "group", "aria-label": say("helpful") },
            el("small", { text: say("helpful") }),
            el("button", { type: "button", text: say("helpful_yes"), onclick: rate(true) }),
            el("button", { type: "button", text: say("helpful_no"), onclick: rate(false) }),
          ),
        );
      }
    }
    return nodes;
  }

  // The pre-chat form: optional contact details, then a topic (which picks the queue) or,
  // when the inbox has no topics, a start button.
  function topicPicker() {
    const topics = (state.inbox && state.inbox.topics) || [];
    const field = (key, type, autocomplete) =>
      el("input", { type, name: key, autocomplete, "aria-label": say(`prechat_${key}`), placeholder: say(`prechat_${key}`), maxlength: "100" });
    const name = field("name", "text", "name");
    const phone = field("phone", "tel", "tel");
    const email = field("email", "email", "email");
    const done = (topic) => {
      const contact = {};
      for (const [key, input] of [["name", name], ["phone", phone], ["email", email]]) {
        if (input.value.trim()) contact[key] = input.value.trim();
      }
      state.contact = Object.keys(contact).length ? contact : null;
      state.topic = topic;
      state.prechatDone = true;
      render();
      ui.input.focus();
    };
    const choices = topics.length
      ? [el("p", { text: say("pick_topic") }), ...topics.map((tp) => el("button", { type: "button", text: tp.label, onclick: () => done(tp.key) }))]
      : [el("button", { type: "button", class: "primary", text: say("start_chat"), onclick: () => done(null) })];
    return el(
      "div",
      { class: "topics prechat", role: "group", "aria-label": say("pick_topic") },
      el("p", { text: say("prechat_intro") }),
      name,
      phone,
      email,
      ...choices,
    );
  }

  /** A message left while nobody could answer, carried on as a ticket: nothing to rate, and
   * the customer may still add to it (which reopens the conversation). */
  function carried(c) {
    return c.disposition === "transferred_to_ticket" && !c.assignee_id;
  }

  /** Out of hours or nobody available: what the customer is told before writing. */
  function serviceText() {
    const service = state.service;
    if (!service) return "";
    if (!service.open && service.next_open_at) {
      const when = new Date(service.next_open_at).toLocaleString(LANG, { weekday: "short", hour: "2-digit", minute: "2-digit" });
      return `${say("closed_until", { when })}\n${say("leave_message")}`;
    }
    return service.agents_available === 0 ? say("leave_message") : "";
  }

  function ratingForm(conversation) {
    let stars = 0;
    const buttons = [1, 2, 3, 4, 5].map((n) =>
      el("button", {
        type: "button",
        "aria-pressed": "false",
        "aria-label": say("stars", { n }),
        text: `${n} ★`,
        onclick: () => {
          stars = n;
          buttons.forEach((b, i) => b.setAttribute("aria-pressed", String(i + 1 === n)));
          submit.disabled = false;
        },
      }),
    );
    const comment = el("textarea", { "aria-label": say("comment"), placeholder: say("comment"), maxlength: "1000" });
    const submit = el("button", {
      type: "button",
      class: "primary",
      disabled: true,
      text: say("submit_rating"),
      onclick: async () => {
        submit.disabled = true;
        try {
          const body = { rating: stars };
          if (comment.value.trim()) body.comment = comment.value;
          const { data } = await call("POST", `/widget/conversations/${conversation.id}/rating`, body);
          showError(null);
          state.conversation = data;
          render();
        } catch (err) {
          if (err.code === "already_rated") state.conversation = { ...state.conversation, rating: stars };
          else showError(err);
          submit.disabled = false;
          render();
        }
      },
    });
    return el(
      "div",
      { class: "rating", role: "group", "aria-label": say("rate") },
      el("p", { text: say("rate") }),
      el("div", { class: "stars" }, ...buttons),
      comment,
      submit,
    );
  }

  let extraFor = null;
  function render() {
    const c = state.conversation;
    const stick = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
    const nodes = [];
    if (state.inbox && state.inbox.greeting) nodes.push(el("div", { class: "msg agent greeting", text: state.inbox.greeting }));
    for (const m of state.messages.values()) nodes.push(messageNode(m));
    ui.log.replaceChildren(...nodes);
    if (stick) ui.log.scrollTop = ui.log.scrollHeight;
    if (state.inbox) ui.title.textContent = state.inbox.name;

    let status = "";
    // Before the first message: say if nobody can answer now (the message still waits for the
    // next agent). After it, the queue's own figures say more.
    // With the bot, someone answers at once whatever the hours.
    if (!c) status = state.inbox && state.inbox.bot_enabled ? say("bot_here") : serviceText();
    else if (c.status === "bot") status = say("bot_here");
    else if (["queued", "offered"].includes(c.status)) status = say("waiting");
    // Handed off with nobody to take it: the message waits for the next agent all the same.
    if (c && c.status === "queued" && state.service && (!state.service.open || state.service.agents_available === 0)) {
      status = `${status}\n${say("leave_message")}`;
    }
    if (c && c.status === "queued" && state.standing) status = `${status}\n${standingText(state.standing)}`;
    else if (c && ["assigned", "wrap_up"].includes(c.status)) {
      status = (state.agentTypingUntil || 0) > Date.now() ? say("agent_typing") : say("joined");
    }
    else if (c && c.status === "resolved") status = carried(c) ? say("carried") : say("resolved");
    if (saved.token && !state.live && socket === null && state.inbox) status = `${status} ${say("offline")}`.trim();
    ui.status.textContent = status;

    // Below the messages: topics before the first message; the rating, then "new conversation",
    // after the end.
    const needTopic = !c && state.inbox && state.inbox.pre_chat_form && !state.prechatDone;
    const ended = c && c.status === "resolved";
    const key = needTopic ? "topics" : ended ? `rating:${c.id}:${c.rating ?? ""}` : "none";
    if (key !== extraFor) {
      extraFor = key;
      if (needTopic) ui.extra.replaceChildren(topicPicker());
      else if (ended && carried(c)) ui.extra.replaceChildren();
      else if (ended && c.rating == null) ui.extra.replaceChildren(ratingForm(c), newChatButton());
      else if (ended) {
        ui.extra.replaceChildren(
          el("div", { class: "rating" }, el("p", { text: say("rated", { n: c.rating }) }), newChatButton()),
        );
      } else ui.extra.replaceChildren();
    }
    ui.compose.hidden = Boolean(needTopic || (ended && !carried(c)));
  }

  function newChatButton() {
    return el("button", {
      type: "button",
      class: "new-chat",
      text: say("new_chat"),
      onclick: () => {
        state.topic = null;
        state.prechatDone = false;
        setConversation(null);
        ui.input.focus();
      },
    });
  }

  function toggle(open) {
    state.open = open;
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      ui.launcher.classList.remove("unread");
      boot().then(() => ui.input.focus());
    }
  }

  let booting = null;
  function boot() {
    if (!booting) {
      booting = (async () => {
        await startSession();
        await loadConversation();
        connect();
        render();
      })().catch((err) => {
        booting = null;
        showError(err);
      });
    }
    return booting;
  }

  // ---- attachments ----
  // The widget authenticates with a bearer token, not a cookie: files are fetched with it and
  // shown through blob URLs (cached per file, as render() rebuilds the log).
  const blobs = new Map(); // attachment id → Promise<blob URL>
  const fileBlob = (id) => {
    if (!blobs.has(id)) {
      const url = fetch(`${API}/widget/attachments/${encodeURIComponent(id)}`, {
        headers: { authorization: `Bearer ${saved.token}` },
        credentials: "omit",
      }).then((res) => (res.ok ? res.blob() : Promise.reject(new WidgetError(res.status, `http_${res.status}`))))
        .then((blob) => URL.createObjectURL(blob));
      url.catch(() => blobs.delete(id));
      blobs.set(id, url);
    }
    return blobs.get(id);
  };

  function attachmentNodes(m) {
    return (m.attachments || []).map((a) => {
      if (a.content_type.startsWith("image/")) {
        const img = el("img", { class: "thumb", alt: a.name });
        fileBlob(a.id).then((url) => (img.src = url), () => {});
        return img;
      }
      return el("a", {
        class: "file",
        href: "#",
        text: a.name,
        onclick: (e) => {
          e.preventDefault();
          fileBlob(a.id).then((url) => {
            const link = el("a", { href: url, download: a.name });
            root.append(link);
            link.click();
            link.remove();
          }, showError);
        },
      });
    });
  }

  /** Uploads the file (raw body, its own type) and sends it as a message of its own. */
  async function sendFile(file) {
    ui.status.textContent = say("uploading");
    try {
      const conversation = await ensureConversation();
      const path = `${API}/widget/conversations/${conversation.id}/attachments?name=${encodeURIComponent(file.name)}`;
      const res = await fetch(path, {
        method: "POST",
        headers: { authorization: `Bearer ${saved.token}`, "content-type": file.type || "application/octet-stream" },
        credentials: "omit",
        body: file,
      });
      const meta = await res.json().catch(() => null);
      if (!res.ok) throw new WidgetError(res.status, (meta && meta.code) || `http_${res.status}`);
      const sent = await call("POST", `/widget/conversations/${conversation.id}/messages`, {
        body: "",
        client_msg_id: newClientId(),
        attachment_ids: [meta.id],
      });
      showError(null);
      addMessage(sent.data);
    } catch (err) {
      ui.error.textContent =
        err.code === "attachment_too_large" ? say("too_large") : err.code === "unsupported_type" ? say("bad_type") : say("error");
    }
    render();
  }

  ui.fileInput = el("input", {
    type: "file",
    hidden: true,
    accept: "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,.docx,.xlsx,.pptx,.zip",
    onchange: (e) => {
      const files = [...e.target.files];
      e.target.value = "";
      files.reduce((prev, f) => prev.then(() => sendFile(f)), Promise.resolve());
    },
  });
  ui.compose.prepend(
    ui.fileInput,
    el("button", { type: "button", class: "attach", "aria-label": say("attach"), title: say("attach"), text: "📎", onclick: () => ui.fileInput.click() }),
  );
  root.append(
    el("style", {
      text: `.msg .thumb { display: block; max-width: 200px; max-height: 160px; border-radius: 6px; margin-top: 4px; }
        .msg a.file { display: block; color: inherit; text-decoration: underline; margin-top: 4px; }
        form.compose button.attach { background: none; border: 1px solid #c9d0dc; border-radius: 6px; cursor: pointer; font-size: 16px; padding: 0 8px; }`,
    }),
  );

  const mount = () => {
    document.body.append(host);
    // A returning visitor: pick up the conversation (and its live messages) at once.
    if (saved.token) boot();
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
