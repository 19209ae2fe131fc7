// Offers to the signed-in agent, wherever they are in the app: a dialog with the customer, topic
// and first message, a countdown, Accept (Enter) and Reject (Esc), a chime and a notification.
import { html, useState, useEffect, useRef } from "./lib.js";
import { api } from "./api.js";
import { t } from "./i18n.js";
import { ErrorBox, navigate, useLoad } from "./ui.js";
import { useStream, serverNow } from "./stream.js";
import { chime, notify } from "./alerts.js";
import { inboxes, topicLabel } from "./lookups.js";

const TICK_MS = 250;
const expiresAt = (c) => Date.parse(c.offer_expires_at || "") || 0;

/**
 * The conversations offered to `me` right now, by id: loaded whenever the stream catches up
 * (page load, reconnect) and kept current from conversation events in between.
 */
function useMyOffers(me) {
  const [offers, setOffers] = useState(() => new Map());
  // Events that arrive while the list is loading are applied again on top of it, so a stale
  // answer cannot resurrect a withdrawn offer or drop a fresh one.
  const arrivedDuringLoad = useRef(null);
  const apply = (conversations) =>
    setOffers((old) => {
      let next = old;
      for (const c of conversations) {
        const mine = c.status === "offered" && c.assignee_id === me;
        if (mine === old.has(c.id) && (!mine || old.get(c.id).updated_at === c.updated_at)) continue;
        if (next === old) next = new Map(old);
        if (mine) next.set(c.id, c);
        else next.delete(c.id);
      }
      return next;
    });
  const reload = async () => {
    arrivedDuringLoad.current = [];
    try {
      const page = await api.get("/conversations", { status: "offered", assignee: "me", limit: 50 });
      setOffers(new Map(page.items.map((c) => [c.id, c])));
      apply(arrivedDuringLoad.current);
    } catch {
      // The stream's next catch-up loads again; events keep the map current meanwhile.
    } finally {
      arrivedDuringLoad.current = null;
    }
  };
  useStream((frame) => {
    const c = frame.payload?.conversation;
    if (!c) return;
    arrivedDuringLoad.current?.push(c);
    apply([c]);
  }, reload);
  const drop = (id) => apply([{ id, status: "gone" }]);
  return [offers, drop];
}

/** Re-renders every TICK_MS while `on`; returns the server's time now. */
function useNow(on) {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    if (!on) return undefined;
    setNow(serverNow());
    const timer = setInterval(() => setNow(serverNow()), TICK_MS);
    return () => clearInterval(timer);
  }, [on]);
  return now;
}

const isCustomerText = (m) => m.sender_kind === "customer" && m.kind !== "note";

/** What the dialog shows about the conversation; each part may fail on its own. */
async function offerDetails(c) {
  const [customer, first, boxes] = await Promise.all([
    api.get(`/customers/${c.customer_id}`).catch(() => null),
    api.get(`/conversations/${c.id}/messages`, { limit: 5 }).catch(() => null),
    inboxes().catch(() => []),
  ]);
  const message = first?.items?.find(isCustomerText);
  return {
    customer: customer?.name || null,
    topic: c.topic ? topicLabel(boxes, c.inbox_id, c.topic) : null,
    inbox: boxes.find((b) => b.id === c.inbox_id)?.name || null,
    message: message?.body || null,
  };
}

function OfferDialog({ offer, now, total, more, onDone }) {
  const details = useLoad(() => offerDetails(offer), [offer.id]);
  // The widget opens the conversation before it sends the first message, so the offer often
  // arrives first: the message then comes on the stream.
  const [arrived, setArrived] = useState(null);
  useStream((frame) => {
    const m = frame.payload?.message;
    if (frame.kind === "message.created" && m?.conversation_id === offer.id && isCustomerText(m)) {
      setArrived((old) => old || m.body);
    }
  });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const accept = useRef(null);
  const dialog = useRef(null);
  useEffect(() => accept.current?.focus(), [offer.id]);

  const answer = async (verb) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await api.post(`/conversations/${offer.id}/${verb}`);
      onDone(offer.id);
      if (verb === "accept") navigate(`#/conversations/${offer.id}`);
    } catch (err) {
      // Usually offer_not_available: it lapsed or was withdrawn; the event closes the dialog.
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const answerRef = useRef(answer);
  answerRef.current = answer;

  useEffect(() => {
    const onKey = (e) => {
      if (e.isComposing || e.repeat) return;
      // Keys typed into a field elsewhere (the reply box) are not answers to the offer.
      const editable = e.target instanceof HTMLElement && e.target.matches("input, textarea, select, [contenteditable]");
      if (editable && !dialog.current?.contains(e.target)) return;
      if (e.key === "Enter") {
        e.preventDefault();
        answerRef.current("accept");
      } else if (e.key === "Escape") {
        e.preventDefault();
        answerRef.current("reject");
      }
    };
    window.addEventListener("keydown", onKey, true);
    return () => window.removeEventListener("keydown", onKey, true);
  }, []);

  const leftMs = Math.max(0, expiresAt(offer) - now);
  const secs = Math.ceil(leftMs / 1000);
  const d = { ...details.data, message: details.data?.message || arrived };
  return html`<div class="overlay">
    <div class="card offer" role="dialog" aria-modal="true" aria-labelledby="offer-title" ref=${dialog}>
      <h2 id="offer-title">${t("offer.title")}</h2>
      <dl class="offer-facts">
        <div><dt>${t("offer.customer")}</dt><dd class="offer-customer">${d.customer || t("common.loading")}</dd></div>
        ${d.inbox && html`<div><dt>${t("offer.inbox")}</dt><dd>${d.inbox}</dd></div>`}
        ${d.topic && html`<div><dt>${t("offer.topic")}</dt><dd>${d.topic}</dd></div>`}
        ${d.message && html`<div class="wide"><dt>${t("offer.first_message")}</dt><dd class="msg-body">${d.message}</dd></div>`}
      </dl>
      <div class="countdown" role="timer" aria-label=${t("offer.countdown")}>
        <progress max=${total} value=${leftMs}></progress>
        <span class="secs">${t("offer.seconds_left", { n: secs })}</span>
      </div>
      ${more > 0 && html`<p class="muted">${t("offer.more", { n: more })}</p>`}
      <${ErrorBox} error=${error} />
      <div class="actions">
        <button type="button" class="primary" ref=${accept} disabled=${busy} onClick=${() => answer("accept")}>
          ${t("offer.accept")} <kbd>Enter</kbd></button>
        <button type="button" disabled=${busy} onClick=${() => answer("reject")}>
          ${t("offer.reject")} <kbd>Esc</kbd></button>
      </div>
    </div>
  </div>`;
}

export function OfferPopup({ session }) {
  const [offers, drop] = useMyOffers(session.user.id);
  const now = useNow(offers.size > 0);
  // Offers still open by our clock, the one that lapses first in front.
  const open = [...offers.values()]
    .filter((c) => expiresAt(c) > now)
    .sort((a, b) => expiresAt(a) - expiresAt(b) || Date.parse(a.created_at) - Date.parse(b.created_at));
  const first = open[0] || null;

  // Each offer's length as first seen, for the progress bar (the server's timeout is config).
  const totals = useRef(new Map());
  const alerts = useRef(new Map());
  useEffect(() => {
    for (const c of open) {
      if (!totals.current.has(c.id)) totals.current.set(c.id, Math.max(1, expiresAt(c) - serverNow()));
      if (!alerts.current.has(c.id)) {
        chime();
        alerts.current.set(c.id, notify(t("offer.title"), t("offer.notification"), `kefu-offer-${c.id}`));
      }
    }
    const ids = new Set(open.map((c) => c.id));
    for (const [id, n] of alerts.current) {
      if (!ids.has(id)) {
        n?.close();
        alerts.current.delete(id);
        totals.current.delete(id);
      }
    }
  }, [open.map((c) => c.id).join(",")]);

  if (!first) return null;
  return html`<${OfferDialog} key=${first.id} offer=${first} now=${now} more=${open.length - 1}
    total=${totals.current.get(first.id) || Math.max(1, expiresAt(first) - now)} onDone=${drop} />`;
}
