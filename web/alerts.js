// Getting an agent's attention when a conversation is offered: a short chime made with WebAudio
// (no audio files) and a desktop notification, both switched on by a user gesture.

const ASKED_KEY = "kefu.notify.asked";
let audio = null;

function askedBefore() {
  try {
    return localStorage.getItem(ASKED_KEY) === "1";
  } catch {
    return false;
  }
}

function rememberAsked() {
  try {
    localStorage.setItem(ASKED_KEY, "1");
  } catch {
    // Not remembered: we may ask again next time, which the browser tolerates.
  }
}

/**
 * Call from a user gesture (the presence switch, a click): browsers only start audio and only
 * show the permission prompt then. Asks for notifications once, ever, so a "no" stays a no.
 */
export function unlockAlerts() {
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") audio.resume().catch(() => {});
  } catch {
    audio = null;
  }
  if (typeof Notification !== "undefined" && Notification.permission === "default" && !askedBefore()) {
    rememberAsked();
    Promise.resolve(Notification.requestPermission()).catch(() => {});
  }
}

/** Two rising tones, a quarter second each; silent if audio was never unlocked. */
export function chime() {
  if (!audio || audio.state !== "running") return;
  const start = audio.currentTime + 0.01;
  [880, 1318.5].forEach((freq, i) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    const at = start + i * 0.18;
    osc.type = "sine";
    osc.frequency.value = freq;
    // A quick fade in and out: a bare square edge clicks in the speaker.
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(0.2, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.001, at + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + 0.26);
  });
}

/**
 * A desktop notification if the agent allowed them and is looking elsewhere (the dialog is
 * already in front of them otherwise); clicking it brings the tab forward. Returns it or null.
 */
export function notify(title, body, tag) {
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return null;
  if (document.visibilityState === "visible" && document.hasFocus()) return null;
  try {
    const n = new Notification(title, { body, tag, requireInteraction: true });
    n.onclick = () => {
      window.focus();
      n.close();
    };
    return n;
  } catch {
    return null;
  }
}
