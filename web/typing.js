// "Typing…" in the agent workspace, both ways: who is typing in a conversation (from the stream's
// typing signals, shown for a few seconds after the last one) and a throttled "I am typing".
import { useState, useEffect, useRef } from "./lib.js";
import { api } from "./api.js";
import { subscribe } from "./stream.js";

const SHOWN_MS = 6000;
const EVERY_MS = 3000;

/** Who is typing in the conversation now, besides `me`: `{customer: bool, agents: [user ids]}`. */
export function useTypingIn(conversationId, me) {
  const [typists, setTypists] = useState(() => new Map()); // "customer" | user id → until (ms)
  useEffect(() => {
    setTypists(new Map());
    if (!conversationId) return undefined;
    let timer = null;
    const expire = () =>
      setTypists((old) => {
        const now = Date.now();
        const next = new Map([...old].filter(([, until]) => until > now));
        return next.size === old.size ? old : next;
      });
    const unsubscribe = subscribe({
      onSignal: (frame) => {
        if (frame.conversation_id !== conversationId) return;
        const who = frame.sender_kind === "customer" ? "customer" : frame.sender_id;
        if (!who || who === me) return;
        setTypists((old) => new Map(old).set(who, Date.now() + SHOWN_MS));
        clearTimeout(timer);
        timer = setTimeout(expire, SHOWN_MS + 50);
      },
      onEvent: (frame) => {
        // A message sent ends its sender's typing.
        const m = frame.kind === "message.created" ? frame.payload?.message : null;
        if (!m || m.conversation_id !== conversationId) return;
        const who = m.sender_kind === "customer" ? "customer" : m.sender_id;
        setTypists((old) => {
          if (!old.has(who)) return old;
          const next = new Map(old);
          next.delete(who);
          return next;
        });
      },
    });
    return () => {
      clearTimeout(timer);
      unsubscribe();
    };
  }, [conversationId, me]);
  return {
    customer: typists.has("customer"),
    agents: [...typists.keys()].filter((k) => k !== "customer"),
  };
}

/** A function to call on every keystroke: tells the others at most every few seconds. */
export function useTellTyping(conversationId) {
  const sentAt = useRef(0);
  useEffect(() => {
    sentAt.current = 0;
  }, [conversationId]);
  return (note) => {
    if (!conversationId || Date.now() - sentAt.current < EVERY_MS) return;
    sentAt.current = Date.now();
    api.post(`/conversations/${conversationId}/typing`, { note: Boolean(note) }).catch(() => {});
  };
}
