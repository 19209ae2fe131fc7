// The application shell: who is signed in, hash routing to the pages, and the header with the
// tenant, the user, their presence, the language switcher, logout and navigation by role.
import { html, render, useState, useEffect } from "./lib.js";
import { api, setUnauthorizedHandler } from "./api.js";
import { t, lang, onLangChange } from "./i18n.js";
import { rank, ErrorBox, RoleLabel, LangSwitch } from "./ui.js";
import { PresenceSwitch } from "./presence.js";
import { OfferPopup } from "./offers.js";
import { TicketAlerts } from "./ticket-alerts.js";
import { forgetLookups } from "./lookups.js";
import { LoginPage } from "./pages/login.js";
import { UsersPage, UserEditPage } from "./pages/users.js";
import { GroupsPage, GroupEditPage } from "./pages/groups.js";
import { CustomersPage } from "./pages/customers.js";
import { CustomerPage } from "./pages/customer.js";
import { SettingsPage } from "./pages/settings.js";
import { TokensPage } from "./pages/tokens.js";
import { AuditPage } from "./pages/audit.js";
import { WfmPage } from "./pages/wfm.js";
import { ReportsPage } from "./pages/reports.js";
import { MyScorecardPage } from "./pages/scorecards.js";
import { ConversationsPage } from "./pages/conversations.js";
import { TicketsPage } from "./pages/tickets.js";
import { TicketPage } from "./pages/ticket.js";
import { CannedPage, CannedEditPage } from "./pages/canned.js";
import { LivePage } from "./pages/live.js";
import { KnowledgePage } from "./pages/knowledge.js";

// `min` is the least role that may open the list, `detailMin` the detail/edit page. The server
// enforces the same rules; this only keeps people away from screens that would answer 403.
const ROUTES = {
  // The detail is the same page with that conversation open (where an accepted offer leads).
  conversations: { min: "agent", list: ConversationsPage, detail: ConversationsPage },
  tickets: { min: "agent", list: TicketsPage, detail: TicketPage },
  canned: { min: "agent", list: CannedPage, detail: CannedEditPage },
  // Agents read it and try the bot; supervisors and up edit it.
  knowledge: { min: "agent", list: KnowledgePage },
  customers: { min: "agent", list: CustomersPage, detail: CustomerPage },
  scorecard: { min: "agent", list: MyScorecardPage },
  users: { min: "supervisor", detailMin: "admin", list: UsersPage, detail: UserEditPage },
  groups: { min: "supervisor", detailMin: "admin", list: GroupsPage, detail: GroupEditPage },
  live: { min: "supervisor", list: LivePage },
  wfm: { min: "supervisor", list: WfmPage },
  reports: { min: "supervisor", list: ReportsPage },
  settings: { min: "admin", list: SettingsPage },
  tokens: { min: "admin", list: TokensPage },
  audit: { min: "admin", list: AuditPage },
};
const DEFAULT_ROUTE = "customers";

function parseHash() {
  const [name, id] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  return { name: ROUTES[name] ? name : DEFAULT_ROUTE, id: id || null };
}

function useHashRoute() {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const update = () => setRoute(parseHash());
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}

function Nav({ user, current }) {
  const visible = Object.entries(ROUTES).filter(([, r]) => rank(user.role) >= rank(r.min));
  return html`<nav class="nav" aria-label=${t("nav.label")}>
    ${visible.map(
      ([name]) => html`<a key=${name} href=${`#/${name}`} class=${name === current ? "active" : ""}
        aria-current=${name === current ? "page" : undefined}>${t(`nav.${name}`)}</a>`,
    )}
  </nav>`;
}

function Header({ session, setSession, onLogout }) {
  const { user, tenant } = session;
  return html`<header class="top">
    <div class="brand"><strong>客服 kefu</strong><span class="tenant">${tenant.name}</span></div>
    <div class="who">
      <span class="me">${user.display_name}</span>
      <${RoleLabel} role=${user.role} />
      <${PresenceSwitch} session=${session} setSession=${setSession} />
      <${LangSwitch} />
      <button type="button" onClick=${onLogout}>${t("header.logout")}</button>
    </div>
  </header>`;
}

function Forbidden() {
  return html`<div class="error" role="alert">${t("error.forbidden_page")}</div>`;
}

function Shell({ session, setSession, onLogout }) {
  const route = useHashRoute();
  const spec = ROUTES[route.name];
  const need = route.id ? spec.detailMin || spec.min : spec.min;
  const Page = route.id ? spec.detail : spec.list;
  const allowed = rank(session.user.role) >= rank(need) && Page;
  return html`<div class="app">
    <${Header} session=${session} setSession=${setSession} onLogout=${onLogout} />
    <div class="body">
      <${Nav} user=${session.user} current=${route.name} />
      <main>
        ${allowed
          ? html`<${Page} key=${`${route.name}/${route.id}`} id=${route.id} session=${session}
              setSession=${setSession} />`
          : html`<${Forbidden} />`}
      </main>
    </div>
    <${OfferPopup} session=${session} />
    <${TicketAlerts} session=${session} />
  </div>`;
}

function App() {
  // undefined: still asking the server; null: signed out.
  const [session, setSession] = useState(undefined);
  const [bootError, setBootError] = useState(null);
  const [, setLangShown] = useState(lang());
  useEffect(() => onLangChange(setLangShown), []);
  useEffect(() => {
    setUnauthorizedHandler(() => setSession(null));
    api.get("/auth/me").then(
      (me) => setSession(me.user ? { user: me.user, tenant: me.tenant } : null),
      (err) => (err.status === 401 ? setSession(null) : setBootError(err)),
    );
  }, []);
  const logout = async () => {
    try {
      await api.post("/auth/logout");
    } finally {
      // Signed out here even if the server was unreachable; the cookie expires on its own.
      setSession(null);
      forgetLookups();
      history.replaceState(null, "", location.pathname);
    }
  };
  if (bootError) return html`<main class="center"><${ErrorBox} error=${bootError} /></main>`;
  if (session === undefined) return html`<main class="center muted">${t("common.loading")}</main>`;
  if (session === null) return html`<${LoginPage} onLogin=${setSession} />`;
  return html`<${Shell} session=${session} setSession=${setSession} onLogout=${logout} />`;
}

render(html`<${App} />`, document.getElementById("app"));
