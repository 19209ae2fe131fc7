// Tenant settings for admins: name, time zone, default locale, the customer tiers (lowest
// first), business hours per weekday, when unanswered tickets are solved, the chat channels
// (with the bot on or off) and the bot's figures, the support mailboxes mail arrives at,
// webhooks, ticket custom fields and triggers.
import { html, useState, useEffect } from "../lib.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import {
  ErrorBox, Field, FieldSet, ChipInput, useLoad, useAction, fieldError, PageHead, FormFoot, usePaged,
  LoadMore, ConfirmButton,
} from "../ui.js";
import { useGroups, namer } from "../lookups.js";
import { Webhooks } from "../webhooks.js";
import { TicketFieldSettings } from "../custom-fields.js";
import { Triggers } from "../triggers.js";
import { BotUnanswered } from "../bot-unanswered.js";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const TIMEZONES = [
  "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Asia/Kolkata",
  "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC",
];

/** Ranges as people type them: "09:00-12:00, 13:00-18:00"; empty means closed. */
const hoursText = (ranges) => (ranges || []).map(([a, b]) => `${a}-${b}`).join(", ");
function parseHours(text) {
  const ranges = [];
  for (const part of text.split(/[,，]/).map((p) => p.trim()).filter(Boolean)) {
    const m = part.match(/^(\d{1,2}:\d{2})\s*[-–~至]\s*(\d{1,2}:\d{2})$/);
    if (!m) return null;
    ranges.push([m[1].padStart(5, "0"), m[2].padStart(5, "0")]);
  }
  return ranges;
}

function draftOf(tenant) {
  const s = tenant.settings;
  const hours = {};
  for (const day of WEEKDAYS) hours[day] = hoursText(s.business_hours[day]);
  const goal = s.service_level_goal || { target_percent: 80, threshold_secs: 20 };
  return {
    name: tenant.name, timezone: s.timezone, locale: s.locale, tiers: s.tiers, hours,
    targetPercent: String(goal.target_percent), thresholdSecs: String(goal.threshold_secs),
    pending_solve_hours: String(s.pending_solve_hours ?? 72),
  };
}

export function SettingsPage({ session, setSession }) {
  const tenant = useLoad(() => api.get("/tenant"), []);
  const [draft, setDraft] = useState(null);
  const [badDays, setBadDays] = useState([]);
  const save = useAction();
  useEffect(() => tenant.data && setDraft(draftOf(tenant.data)), [tenant.data]);
  if (tenant.error) return html`<${ErrorBox} error=${tenant.error} />`;
  if (!draft) return html`<p class="muted">${t("common.loading")}</p>`;

  const set = (key) => (value) => setDraft({ ...draft, [key]: value });
  const submit = async (e) => {
    e.preventDefault();
    const business_hours = {};
    const bad = [];
    for (const day of WEEKDAYS) {
      const ranges = parseHours(draft.hours[day]);
      if (ranges === null) bad.push(day);
      else if (ranges.length) business_hours[day] = ranges;
    }
    setBadDays(bad);
    if (bad.length) return;
    const service_level_goal = { target_percent: Number(draft.targetPercent), threshold_secs: Number(draft.thresholdSecs) };
    // Settings this form does not show are sent back as they were.
    const settings = {
      ...tenant.data.settings,
      timezone: draft.timezone, locale: draft.locale, tiers: draft.tiers, business_hours, service_level_goal,
      pending_solve_hours: Number(draft.pending_solve_hours || 0),
    };
    const updated = await save.run(() => api.patch("/tenant", { name: draft.name, settings }), t("common.saved"));
    if (updated) {
      tenant.set(updated);
      setSession({ ...session, tenant: { ...session.tenant, name: updated.name } });
    }
  };
  const dayError = (day) =>
    badDays.includes(day) ? t("settings.hours_format") : fieldError(save.error, `settings.business_hours.${day}`);
  return html`<section>
    <${PageHead} title=${t("nav.settings")} />
    <form class="card form" onSubmit=${submit}>
      <${Field} label=${t("settings.name")} error=${fieldError(save.error, "name")}>
        <input name="name" required value=${draft.name} onInput=${(e) => set("name")(e.target.value)} />
      <//>
      <${Field} label=${t("settings.timezone")} error=${fieldError(save.error, "settings.timezone")}>
        <input name="timezone" list="timezones" value=${draft.timezone}
          onInput=${(e) => set("timezone")(e.target.value)} />
        <datalist id="timezones">${TIMEZONES.map((z) => html`<option key=${z} value=${z} />`)}</datalist>
      <//>
      <${Field} label=${t("settings.locale")} error=${fieldError(save.error, "settings.locale")}>
        <select name="locale" value=${draft.locale} onChange=${(e) => set("locale")(e.target.value)}>
          <option value="zh-CN">简体中文</option>
          <option value="en">English</option>
        </select>
      <//>
      <${FieldSet} legend=${t("settings.tiers")} hint=${t("settings.tiers_hint")}
        error=${fieldError(save.error, "tiers") || fieldError(save.error, "settings.tiers")}>
        <${ChipInput} label=${t("settings.tiers")} value=${draft.tiers} onChange=${set("tiers")} />
      <//>
      <${FieldSet} legend=${t("settings.hours")} hint=${t("settings.hours_hint")}>
        <div class="hours">
          ${WEEKDAYS.map(
            (day) => html`<${Field} key=${day} label=${t(`weekday.${day}`)} error=${dayError(day)}>
              <input name=${`hours-${day}`} placeholder=${t("settings.closed")} value=${draft.hours[day]}
                onInput=${(e) => set("hours")({ ...draft.hours, [day]: e.target.value })} />
            <//>`,
          )}
        </div>
      <//>
      <${FieldSet} legend=${t("settings.sl_goal")} hint=${t("settings.sl_goal_hint")}>
        <div class="row">
          <${Field} label=${t("settings.sl_target_percent")} error=${fieldError(save.error, "settings.service_level_goal.target_percent")}>
            <input name="sl-target" type="number" min="1" max="100" required value=${draft.targetPercent}
              onInput=${(e) => set("targetPercent")(e.target.value)} />
          <//>
          <${Field} label=${t("settings.sl_threshold_secs")} error=${fieldError(save.error, "settings.service_level_goal.threshold_secs")}>
            <input name="sl-threshold" type="number" min="1" max="3600" required value=${draft.thresholdSecs}
              onInput=${(e) => set("thresholdSecs")(e.target.value)} />
          <//>
        </div>
      <//>
      <${Field} label=${t("settings.pending_solve_hours")} hint=${t("settings.pending_solve_hours_hint")}
        error=${fieldError(save.error, "settings.pending_solve_hours")}>
        <input name="pending-solve-hours" type="number" min="0" step="any" value=${draft.pending_solve_hours}
          onInput=${(e) => set("pending_solve_hours")(e.target.value)} />
      <//>
      <${FormFoot} action=${save} label=${t("common.save")} />
    </form>
    <${Inboxes} />
    <${BotFigures} />
    <${BotUnanswered} />
    <${Mailboxes} />
    <${Webhooks} />
    <${TicketFieldSettings} />
    <${Triggers} />
  </section>`;
}

/** Support mailboxes: mail to these addresses opens tickets; replies go out from them. */
function Mailboxes() {
  const paged = usePaged((cursor) => api.get("/mailboxes", { cursor }), []);
  const groups = useGroups();
  const groupName = namer(groups.data);
  const blank = { address: "", display_name: "", group_id: "", ...imapDraft(null) };
  const [draft, setDraft] = useState(blank);
  const [editing, setEditing] = useState(null);
  const add = useAction();
  const change = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const body = { address: draft.address, display_name: draft.display_name, group_id: draft.group_id || null };
    // IMAP only when a host is given: the mailbox is then polled instead of (or besides) SMTP.
    if (draft.imap_host.trim()) body.imap = imapBody(draft);
    if (await add.run(() => api.post("/mailboxes", body), t("common.saved"))) {
      setDraft(blank);
      paged.reload();
    }
  };
  const toggle = async (m) => {
    if (await change.run(() => api.patch(`/mailboxes/${m.id}`, { enabled: !m.enabled }))) paged.reload();
  };
  const remove = async (m) => {
    if (await change.run(() => api.del(`/mailboxes/${m.id}`))) paged.reload();
  };
  const stopImap = async (m) => {
    if (await change.run(() => api.patch(`/mailboxes/${m.id}`, { imap: null }))) {
      if (editing === m.id) setEditing(null);
      paged.reload();
    }
  };
  const editingMailbox = paged.items.find((m) => m.id === editing);
  return html`<div class="card" role="region" aria-label=${t("mailboxes.title")}>
    <h2>${t("mailboxes.title")}</h2>
    <p class="muted">${t("mailboxes.hint")}</p>
    <table class="list">
      <thead><tr>
        <th>${t("mailboxes.address")}</th><th>${t("mailboxes.display_name")}</th>
        <th>${t("mailboxes.group")}</th><th>${t("mailboxes.enabled")}</th><th>${t("mailboxes.imap")}</th><th></th>
      </tr></thead>
      <tbody>
        ${paged.items.map(
          (m) => html`<tr key=${m.id}>
            <td>${m.address}</td>
            <td>${m.display_name}</td>
            <td>${m.group_id ? groupName(m.group_id) : ""}</td>
            <td><label><input type="checkbox" checked=${m.enabled} disabled=${change.busy}
              onChange=${() => toggle(m)} /> ${m.enabled ? t("mailboxes.on") : t("mailboxes.off")}</label></td>
            <td>${m.imap ? html`<${ImapStatus} imap=${m.imap} />` : "—"}
              <div class="actions">
                <button type="button" aria-label=${`${m.imap ? t("mailboxes.imap_edit") : t("mailboxes.imap_setup")} ${m.address}`}
                  onClick=${() => setEditing(editing === m.id ? null : m.id)}>
                  ${m.imap ? t("mailboxes.imap_edit") : t("mailboxes.imap_setup")}</button>
                ${m.imap && html`<${ConfirmButton} label=${t("mailboxes.imap_stop")} onConfirm=${() => stopImap(m)} />`}
              </div></td>
            <td><${ConfirmButton} label=${t("common.delete")} onConfirm=${() => remove(m)} /></td>
          </tr>`,
        )}
      </tbody>
    </table>
    <${LoadMore} paged=${paged} />
    <${ErrorBox} error=${change.error} />
    ${editingMailbox && html`<${ImapEditor} key=${editingMailbox.id} mailbox=${editingMailbox}
      onDone=${() => { setEditing(null); paged.reload(); }} onCancel=${() => setEditing(null)} />`}
    <form class="form" onSubmit=${submit} aria-label=${t("mailboxes.add")}>
      <h3>${t("mailboxes.add")}</h3>
      <${Field} label=${t("mailboxes.address")} error=${fieldError(add.error, "address")}>
        <input name="mailbox-address" type="email" required placeholder="support@example.com" value=${draft.address}
          onInput=${(e) => setDraft({ ...draft, address: e.target.value })} />
      <//>
      <${Field} label=${t("mailboxes.display_name")} error=${fieldError(add.error, "display_name")}>
        <input name="mailbox-name" required value=${draft.display_name}
          onInput=${(e) => setDraft({ ...draft, display_name: e.target.value })} />
      <//>
      <${Field} label=${t("mailboxes.group")} error=${fieldError(add.error, "group_id")}>
        <select name="mailbox-group" value=${draft.group_id} onChange=${(e) => setDraft({ ...draft, group_id: e.target.value })}>
          <option value="">—</option>
          ${(groups.data || []).map((g) => html`<option key=${g.id} value=${g.id}>${g.name}</option>`)}
        </select>
      <//>
      <p class="muted">${t("mailboxes.imap_hint")}</p>
      <${ImapFields} draft=${draft} setDraft=${setDraft} error=${add.error} passwordSet=${null} />
      <${FormFoot} action=${add} label=${t("mailboxes.add")} />
    </form>
  </div>`;
}

/** The form's IMAP values from a mailbox's settings (`null`: none yet). Never a password. */
function imapDraft(imap) {
  return {
    imap_host: imap?.host || "", imap_port: imap ? String(imap.port) : "", imap_security: imap?.security || "tls",
    imap_username: imap?.username || "", imap_password: "", imap_folder: imap?.folder || "INBOX",
    imap_poll: String(imap?.poll_seconds ?? 60),
  };
}

/** The API's `imap` object; an empty password is left out, so the stored one is kept. */
function imapBody(draft) {
  const imap = {
    host: draft.imap_host.trim(), security: draft.imap_security, username: draft.imap_username,
    folder: draft.imap_folder || "INBOX", poll_seconds: Number(draft.imap_poll) || 60,
  };
  if (draft.imap_password) imap.password = draft.imap_password;
  if (draft.imap_port) imap.port = Number(draft.imap_port);
  return imap;
}

/**
 * Host, security, port, login, password, folder and interval. The password is write-only:
 * `passwordSet` (true, false, or null for a new mailbox) is all that is shown of it.
 */
function ImapFields({ draft, setDraft, error, passwordSet }) {
  const set = (key) => (e) => setDraft({ ...draft, [key]: e.target.value });
  const passwordHint = passwordSet === null ? null
    : `${passwordSet ? t("mailboxes.imap_password_set") : t("mailboxes.imap_password_unset")}${passwordSet ? ` · ${t("mailboxes.imap_password_keep")}` : ""}`;
  return html`
    <${Field} label=${t("mailboxes.imap_host")} error=${fieldError(error, "imap.host")}>
      <input name="imap-host" placeholder="imap.example.com" value=${draft.imap_host} onInput=${set("imap_host")} />
    <//>
    <${Field} label=${t("mailboxes.imap_security")} error=${fieldError(error, "imap.security")}>
      <select name="imap-security" value=${draft.imap_security} onChange=${set("imap_security")}>
        <option value="tls">TLS</option><option value="starttls">STARTTLS</option>
        <option value="none">${t("mailboxes.imap_plain")}</option>
      </select>
    <//>
    <${Field} label=${t("mailboxes.imap_port")} error=${fieldError(error, "imap.port")}>
      <input name="imap-port" type="number" min="1" max="65535" placeholder="993 / 143" value=${draft.imap_port} onInput=${set("imap_port")} />
    <//>
    <${Field} label=${t("mailboxes.imap_username")} error=${fieldError(error, "imap.username")}>
      <input name="imap-username" autocomplete="off" value=${draft.imap_username} onInput=${set("imap_username")} />
    <//>
    <${Field} label=${t("mailboxes.imap_password")} hint=${passwordHint} error=${fieldError(error, "imap.password")}>
      <input name="imap-password" type="password" autocomplete="new-password" value=${draft.imap_password} onInput=${set("imap_password")} />
    <//>
    <${Field} label=${t("mailboxes.imap_folder")} error=${fieldError(error, "imap.folder")}>
      <input name="imap-folder" value=${draft.imap_folder} onInput=${set("imap_folder")} />
    <//>
    <${Field} label=${t("mailboxes.imap_poll")} error=${fieldError(error, "imap.poll_seconds")}>
      <input name="imap-poll" type="number" min="1" max="3600" value=${draft.imap_poll} onInput=${set("imap_poll")} />
    <//>`;
}

/** Sets or changes one mailbox's IMAP settings; the stored password stays unless a new one is typed. */
function ImapEditor({ mailbox, onDone, onCancel }) {
  const [draft, setDraft] = useState(imapDraft(mailbox.imap));
  const save = useAction();
  const submit = async (e) => {
    e.preventDefault();
    const body = { imap: imapBody(draft) };
    if (await save.run(() => api.patch(`/mailboxes/${mailbox.id}`, body), t("common.saved"))) onDone();
  };
  const title = t("mailboxes.imap_of", { x: mailbox.address });
  return html`<form class="form" onSubmit=${submit} aria-label=${title}>
    <h3>${title}</h3>
    <${ImapFields} draft=${draft} setDraft=${setDraft} error=${save.error} passwordSet=${Boolean(mailbox.imap?.password_set)} />
    <${FormFoot} action=${save} label=${t("mailboxes.imap_save")}>
      <button type="button" onClick=${onCancel}>${t("common.cancel")}</button>
    <//>
  </form>`;
}

/** Where a mailbox is polled and how the last poll went (the password is never shown). */
function ImapStatus({ imap }) {
  const when = (at) => (at ? new Date(at).toLocaleString() : "—");
  return html`<div>
    <div>${imap.username}@${imap.host}:${imap.port} (${imap.security}) / ${imap.folder}</div>
    <div class="muted">${imap.password_set ? t("mailboxes.imap_password_set") : t("mailboxes.imap_password_unset")}</div>
    ${imap.last_error
      ? html`<div class="error">${t("mailboxes.imap_failed")} ${when(imap.last_error_at)}: ${imap.last_error}</div>`
      : html`<div class="muted">${t("mailboxes.imap_polled")} ${when(imap.polled_at)}</div>`}
  </div>`;
}

/** The chat channels; the bot can be switched on for each. */
function Inboxes() {
  const inboxes = useLoad(() => api.get("/inboxes"), []);
  const change = useAction();
  const toggleBot = async (inbox) => {
    const settings = { ...inbox.settings, bot_enabled: !inbox.settings.bot_enabled };
    if (await change.run(() => api.patch(`/inboxes/${inbox.id}`, { settings }), t("inboxes.saved"))) inboxes.reload();
  };
  return html`<div class="card">
    <h2>${t("inboxes.title")}</h2>
    <p class="muted">${t("inboxes.hint")}</p>
    <${ErrorBox} error=${inboxes.error || change.error} />
    <table class="list">
      <thead><tr><th>${t("inboxes.name")}</th><th>${t("inboxes.bot")}</th></tr></thead>
      <tbody>
        ${(inboxes.data || []).map(
          (inbox) => html`<tr key=${inbox.id}>
            <td>${inbox.name} <span class="muted">${inbox.channel}</span></td>
            <td><label><input type="checkbox" name=${`bot-${inbox.id}`} checked=${inbox.settings.bot_enabled}
              disabled=${change.busy} onChange=${() => toggleBot(inbox)} />
              ${inbox.settings.bot_enabled ? t("mailboxes.on") : t("mailboxes.off")}</label></td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${change.notice && html`<p class="muted" role="status">${change.notice}</p>`}
  </div>`;
}

/** The bot's last 30 days: how much it answered alone, how much went to agents, feedback. */
function BotFigures() {
  const figures = useLoad(() => api.get("/bot/metrics"), []);
  const f = figures.data;
  const pct = (x) => `${Math.round((x || 0) * 100)}%`;
  return html`<div class="card">
    <h2>${t("bot.metrics")}</h2>
    <${ErrorBox} error=${figures.error} />
    ${f &&
    html`<dl class="bot-figures">
      <div><dt>${t("bot.started")}</dt><dd>${f.started}</dd></div>
      <div><dt>${t("bot.answer_rate")}</dt><dd>${pct(f.answer_rate)}</dd></div>
      <div><dt>${t("bot.handoff_rate")}</dt><dd>${pct(f.handoff_rate)}</dd></div>
      <div><dt>${t("bot.helpful")}</dt><dd>${f.helpful_yes} / ${f.helpful_no}</dd></div>
    </dl>`}
  </div>`;
}
