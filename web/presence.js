// The header's presence switcher for the signed-in user: available, away with a reason, offline;
// it follows agent.presence_changed for them (the router's "missed", a restart's offline).
import { html, useRef } from "./lib.js";
import { api } from "./api.js";
import { t, has } from "./i18n.js";
import { ErrorBox, useAction } from "./ui.js";
import { useStream } from "./stream.js";
import { unlockAlerts } from "./alerts.js";

// The reasons an agent picks; the router sets others ("missed") and they are shown, not offered.
export const AWAY_REASONS = ["break", "lunch", "meeting", "training"];

export function presenceText(state, reason) {
  const base = has(`presence.${state}`) ? t(`presence.${state}`) : state;
  if (state !== "away" || !reason) return base;
  return `${base} · ${has(`reason.${reason}`) ? t(`reason.${reason}`) : reason}`;
}

const valueOf = (state, reason) => (state === "away" ? `away:${reason || ""}` : state);

export function PresenceSwitch({ session, setSession }) {
  const { user } = session;
  const action = useAction();
  // Counts the answers shown; a catch-up read started before a newer answer arrived is stale.
  const shown = useRef(0);
  const show = (presence, away_reason) => {
    shown.current += 1;
    setSession((s) => (s ? { ...s, user: { ...s.user, presence, away_reason } } : s));
  };

  useStream(
    (frame) => {
      if (frame.kind === "agent.presence_changed" && frame.entity_id === user.id) {
        show(frame.payload?.state, frame.payload?.reason ?? null);
      }
    },
    // Caught up after a (re)connect: whatever changed while we were away is in /auth/me.
    () => {
      const before = shown.current;
      api.get("/auth/me").then(
        (me) => me.user && shown.current === before && show(me.user.presence, me.user.away_reason),
        () => {},
      );
    },
  );

  const current = valueOf(user.presence, user.away_reason);
  const options = [
    ["available", presenceText("available")],
    ...AWAY_REASONS.map((r) => [`away:${r}`, presenceText("away", r)]),
    ["offline", presenceText("offline")],
  ];
  // Set by someone else (the router, a supervisor): shown as it is until the agent picks again.
  if (!options.some(([v]) => v === current)) options.push([current, presenceText(user.presence, user.away_reason)]);

  const pick = async (value) => {
    // The pick is a user gesture: the one moment the browser lets us unlock sound and ask once
    // for notifications, so offers can alert later.
    unlockAlerts();
    const [state, reason] = value.split(":");
    const updated = await action.run(() =>
      api.put(`/users/${user.id}/presence`, state === "away" ? { state, reason } : { state }),
    );
    if (updated) show(updated.presence, updated.away_reason);
  };

  return html`<span class="presence-switch">
    <span class=${`presence presence-${user.presence}`} aria-hidden="true"></span>
    <select aria-label=${t("header.presence")} value=${current} disabled=${action.busy}
      data-state=${user.presence} onChange=${(e) => pick(e.target.value)}>
      ${options.map(([v, label]) => html`<option key=${v} value=${v}>${label}</option>`)}
    </select>
    ${action.error && html`<${ErrorBox} error=${action.error} />`}
  </span>`;
}
