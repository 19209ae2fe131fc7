// The tab's one staff socket on /api/v1/stream, shared by every part that follows events (the
// conversations page, offers, the presence switcher, the live view); resumed after the last seq.
import { useState, useEffect, useRef } from "./lib.js";

const MAX_BACKOFF_MS = 30_000;

// The last event seen, kept across reconnects and page visits so a return resumes instead of
// replaying. null until the first socket says where the log is: we then follow it from there.
let lastSeq = null;
let socket = null;
let timer = null;
let backoff = 1000;
let live = false;
const subscribers = new Set();
// How far this machine's clock is ahead of the server's, from recent events' created_at (plus
// the delivery time, so the smallest recent sample is the best guess). Countdowns to server
// instants (offer_expires_at) use it, so a wrong desk clock does not end an offer early.
const skewSamples = [];
const MAX_SKEW_SAMPLES = 20;

function sampleSkew(createdAt) {
  const at = Date.parse(createdAt || "");
  if (!Number.isFinite(at)) return;
  skewSamples.push(Date.now() - at);
  if (skewSamples.length > MAX_SKEW_SAMPLES) skewSamples.shift();
}

/** The server's time now, as well as the stream lets us tell (this clock until an event came). */
export function serverNow() {
  return Date.now() - (skewSamples.length ? Math.min(...skewSamples) : 0);
}

function setLive(value) {
  live = value;
  for (const s of subscribers) s.onState?.(value);
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const after = lastSeq === null ? "" : `?after=${lastSeq}`;
  const ws = new WebSocket(`${proto}://${location.host}/api/v1/stream${after}`);
  let caughtUp = false;
  socket = ws;
  ws.onmessage = (e) => {
    let frame;
    try {
      frame = JSON.parse(e.data);
    } catch {
      return;
    }
    if (frame.type === "event" && frame.seq > lastSeq) {
      lastSeq = frame.seq;
      // The replay before "live" only advances the seq: subscribers reload on live instead.
      if (caughtUp) {
        sampleSkew(frame.created_at);
        for (const s of subscribers) s.onEvent?.(frame);
      }
    } else if (frame.type === "typing") {
      // Signals carry no seq and are never replayed: only those arriving live matter.
      for (const s of subscribers) s.onSignal?.(frame);
    } else if (frame.type === "live") {
      lastSeq = Math.max(lastSeq ?? 0, frame.last_seq);
      caughtUp = true;
      backoff = 1000;
      setLive(true);
      for (const s of subscribers) s.onLive?.();
    }
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    setLive(false);
    // 1012 (server restarting), a lost network, an expired session: try again after our seq.
    timer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  };
}

function disconnect() {
  clearTimeout(timer);
  timer = null;
  const ws = socket;
  socket = null;
  ws?.close();
  live = false;
  // The next sign-in may be another tenant, whose log has its own seqs.
  lastSeq = null;
}

/**
 * Follows the stream until the returned function is called: `onEvent(frame)` for each event
 * once caught up, `onLive()` each time it has caught up (and at once if it already has), so the
 * caller reloads what it shows; `onState(live)` when the connection comes or goes; `onSignal(frame)`
 * for signals that are not events (typing). The socket
 * opens with the first subscriber and closes with the last (signing out unmounts them all).
 */
export function subscribe(handlers) {
  subscribers.add(handlers);
  if (!socket && !timer) connect();
  else if (live) queueMicrotask(() => subscribers.has(handlers) && handlers.onLive?.());
  return () => {
    subscribers.delete(handlers);
    if (subscribers.size === 0) disconnect();
  };
}

/** The hook form of subscribe for components; returns whether the stream is live. */
export function useStream(onEvent, onLive) {
  const handlers = useRef({ onEvent, onLive });
  handlers.current = { onEvent, onLive };
  const [isLive, setIsLive] = useState(live);
  useEffect(
    () =>
      subscribe({
        onEvent: (frame) => handlers.current.onEvent?.(frame),
        onLive: () => handlers.current.onLive?.(),
        onState: setIsLive,
      }),
    [],
  );
  return isLive;
}
