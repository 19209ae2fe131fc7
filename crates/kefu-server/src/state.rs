//! Shared server state: the store, the server's settings and its in-memory limiters.

use crate::ratelimit::RateLimiter;
use kefu_store::Store;
use std::sync::Arc;
use std::time::Duration;

/// Settings the HTTP layer needs; the binary builds them from kefu.toml, env and flags.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How long a login session lasts.
    pub session_ttl: Duration,
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Offer timeout and missed-offer rule of the router.
    pub routing: crate::routing::RoutingSettings,
    /// How long an agent may be without a workspace socket before being set offline.
    pub disconnect_grace: Duration,
    /// Live sockets the whole server keeps open at once; more get 503 `too_many_connections`.
    pub max_sockets: usize,
    /// Live sockets per user or visitor (their tabs); more get 429 `too_many_connections`.
    pub max_sockets_per_client: usize,
    /// Retries, timeout and allowed receivers of outgoing webhooks.
    pub webhooks: crate::webhooks::WebhookSettings,
    /// Solved tickets are closed this long after they were solved; `None` never.
    pub ticket_auto_close: Option<Duration>,
    /// A conversation left waiting while nobody could answer becomes a ticket once the customer
    /// has been quiet this long; `None` leaves it in the queue.
    pub left_message_ticket_after: Option<Duration>,
    /// How often the rule that solves tickets unanswered by the customer (each tenant's
    /// `pending_solve_hours`) looks; `None` turns it off for the whole server.
    pub pending_solve_check: Option<Duration>,
    /// How often the report mailer looks for scheduled reports due (it also wakes at once on
    /// a send-now); `None` turns scheduled reports off for the whole server.
    pub report_schedule_check: Option<Duration>,
    /// The email channel: SMTP listener, relay, reply tokens, retries.
    pub mail: crate::mail::MailSettings,
    /// Where customers reach this server (`https://support.example.com`): links sent to them,
    /// such as a ticket's status link in a mailed reply, start with it. `None`: no links are sent.
    pub public_url: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            session_ttl: Duration::from_secs(12 * 3600),
            secure_cookies: false,
            trust_forwarded_for: false,
            max_body_bytes: 1024 * 1024,
            routing: crate::routing::RoutingSettings::default(),
            disconnect_grace: Duration::from_secs(60),
            max_sockets: 50_000,
            max_sockets_per_client: 20,
            webhooks: crate::webhooks::WebhookSettings::default(),
            ticket_auto_close: Some(Duration::from_secs(4 * 24 * 3600)),
            left_message_ticket_after: Some(Duration::from_secs(5 * 60)),
            pending_solve_check: Some(Duration::from_secs(60)),
            report_schedule_check: Some(Duration::from_secs(30)),
            mail: crate::mail::MailSettings::default(),
            public_url: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: ServerConfig,
    login_failures_by_ip: RateLimiter,
    login_failures_by_account: RateLimiter,
    help_searches: RateLimiter,
    /// Becomes true when the server starts shutting down: open sockets close with "reconnect".
    closing: tokio::sync::watch::Sender<bool>,
    hubs: crate::hub::Hubs,
    signals: crate::signals::Signals,
    sockets: crate::sockets::SocketLimits,
    webhooks: crate::webhooks::Webhooks,
    triggers: crate::triggers::Triggers,
    sla: crate::sla::SlaKeeper,
    routing: crate::routing::Routing,
    workspaces: crate::workspaces::Workspaces,
    mail: crate::mail::Mail,
    rollups: crate::reports::maintainer::Rollups,
    knowledge: crate::knowledge::KnowledgeBases,
    /// The client the bot's scenarios call tenants' integrations with.
    integrations: Option<reqwest::Client>,
    /// Customer messages whose bot turn is being taken: a retry arriving meanwhile waits for
    /// nothing and runs nothing (no second step, no second call).
    bot_turns: crate::bot::TurnsInFlight,
    search: crate::search::SearchIndexes,
    /// Wakes the report mailer (a send-now was queued).
    report_mailer: Arc<tokio::sync::Notify>,
}

impl AppState {
    pub fn new(store: Store, config: ServerConfig) -> Self {
        let closing = tokio::sync::watch::channel(false).0;
        let webhooks = crate::webhooks::Webhooks::new(
            store.clone(),
            config.webhooks.clone(),
            closing.subscribe(),
        );
        AppState {
            inner: Arc::new(Inner {
                hubs: crate::hub::Hubs::new(store.clone()),
                signals: crate::signals::Signals::default(),
                sla: crate::sla::SlaKeeper::new(store.clone(), closing.subscribe()),
                triggers: crate::triggers::Triggers::new(
                    store.clone(),
                    webhooks.clone(),
                    closing.subscribe(),
                ),
                webhooks,
                sockets: crate::sockets::SocketLimits::new(
                    config.max_sockets,
                    config.max_sockets_per_client,
                ),
                workspaces: crate::workspaces::Workspaces::new(
                    store.clone(),
                    config.disconnect_grace,
                    closing.subscribe(),
                ),
                routing: crate::routing::Routing::new(
                    store.clone(),
                    config.routing.clone(),
                    closing.subscribe(),
                ),
                mail: crate::mail::Mail::new(config.mail.clone()),
                rollups: crate::reports::maintainer::Rollups::new(store.clone()),
                knowledge: crate::knowledge::KnowledgeBases::new(),
                integrations: crate::integrations::client(),
                bot_turns: crate::bot::TurnsInFlight::default(),
                search: crate::search::SearchIndexes::new(store.clone(), closing.subscribe()),
                report_mailer: Arc::new(tokio::sync::Notify::new()),
                store,
                config,
                // Failures only, so a whole shift signing in behind one NAT is never refused,
                // while spraying many accounts from one address stops after thirty misses.
                login_failures_by_ip: RateLimiter::new(30, Duration::from_secs(300)),
                // Guessing one account's password stops after ten misses for fifteen minutes.
                login_failures_by_account: RateLimiter::new(10, Duration::from_secs(900)),
                // Public help-center searches per address: a person typing stays far below a
                // search a second; a scraper walking the index does not.
                help_searches: RateLimiter::new(120, Duration::from_secs(60)),
                closing,
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    pub fn login_failures_by_ip(&self) -> &RateLimiter {
        &self.inner.login_failures_by_ip
    }

    pub fn login_failures_by_account(&self) -> &RateLimiter {
        &self.inner.login_failures_by_account
    }

    pub fn help_searches(&self) -> &RateLimiter {
        &self.inner.help_searches
    }
}

impl AppState {
    /// Watches for shutdown; long-lived connections end themselves when it turns true.
    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    /// Which agents have their workspace open.
    pub fn workspaces(&self) -> &crate::workspaces::Workspaces {
        &self.inner.workspaces
    }

    /// The per-tenant routers.
    pub fn routing(&self) -> &crate::routing::Routing {
        &self.inner.routing
    }

    /// The email channel's settings and address directory.
    pub fn mail(&self) -> &crate::mail::Mail {
        &self.inner.mail
    }

    /// The per-tenant report rollup maintainers.
    pub fn rollups(&self) -> &crate::reports::maintainer::Rollups {
        &self.inner.rollups
    }

    /// The per-tenant compiled knowledge bases (FAQ matcher and bot settings).
    pub fn knowledge(&self) -> &crate::knowledge::KnowledgeBases {
        &self.inner.knowledge
    }

    /// Wakes the report mailer: a report was queued to be sent now.
    pub fn report_mailer(&self) -> &Arc<tokio::sync::Notify> {
        &self.inner.report_mailer
    }

    pub fn integrations_http(&self) -> Option<&reqwest::Client> {
        self.inner.integrations.as_ref()
    }

    pub fn bot_turns(&self) -> &crate::bot::TurnsInFlight {
        &self.inner.bot_turns
    }

    /// The per-tenant full-text indexes of articles and FAQs.
    pub fn search(&self) -> &crate::search::SearchIndexes {
        &self.inner.search
    }

    /// The per-tenant fan-out of live events.
    pub fn hubs(&self) -> &crate::hub::Hubs {
        &self.inner.hubs
    }

    /// The per-tenant fan-out of signals that are never logged (typing).
    pub fn signals(&self) -> &crate::signals::Signals {
        &self.inner.signals
    }

    /// Ticket SLAs: the follower that keeps targets and acts on warnings and breaches.
    pub fn sla(&self) -> &crate::sla::SlaKeeper {
        &self.inner.sla
    }

    /// Outgoing webhooks: the fan-out and the sender.
    pub fn webhooks(&self) -> &crate::webhooks::Webhooks {
        &self.inner.webhooks
    }

    /// Ticket triggers: the follower that runs them over the event log.
    pub fn triggers(&self) -> &crate::triggers::Triggers {
        &self.inner.triggers
    }

    /// The limits on live sockets.
    pub fn sockets(&self) -> &crate::sockets::SocketLimits {
        &self.inner.sockets
    }

    pub fn begin_closing(&self) {
        self.inner.closing.send_replace(true);
    }
}

/// Resolves once the server starts shutting down (at once if it already has); every
/// long-lived task and socket selects on it.
pub async fn until_closing(closing: &mut tokio::sync::watch::Receiver<bool>) {
    // The guard wait_for returns must not live across the caller's awaits.
    let _ = closing.wait_for(|closing| *closing).await.map(|_| ());
}

/// What woke a follower of the event log.
pub enum Woken {
    /// These tenants committed; signals that came together are one batch.
    Tenants(std::collections::HashSet<uuid::Uuid>),
    /// Signals were lost (the follower lagged): every tenant may have committed.
    Everything,
}

/// Waits for the next commit signal and takes every one already waiting with it, so a busy
/// chat's many commits cost a follower one read per tenant. `None` once the server is closing
/// or the store is gone.
pub async fn next_commits(
    commits: &mut tokio::sync::broadcast::Receiver<uuid::Uuid>,
    closing: &mut tokio::sync::watch::Receiver<bool>,
) -> Option<Woken> {
    use tokio::sync::broadcast::error::{RecvError, TryRecvError};
    let first = tokio::select! {
        commit = commits.recv() => match commit {
            Ok(tenant) => tenant,
            Err(RecvError::Lagged(_)) => return Some(Woken::Everything),
            Err(RecvError::Closed) => return None,
        },
        () = until_closing(closing) => return None,
    };
    let mut tenants = std::collections::HashSet::from([first]);
    loop {
        match commits.try_recv() {
            Ok(tenant) => {
                tenants.insert(tenant);
            }
            Err(TryRecvError::Lagged(_)) => return Some(Woken::Everything),
            Err(_) => return Some(Woken::Tenants(tenants)),
        }
    }
}

/// Locks a mutex whose holders change it by single inserts, removes or replacements, so the
/// data is consistent even if one of them panicked: a poisoned lock is taken as it is.
pub fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `round` now and then every `period` until the server starts shutting down: the time
/// rules (auto-close, left messages) are rounds like this.
pub async fn every<Round, Done>(
    period: Duration,
    mut closing: tokio::sync::watch::Receiver<bool>,
    mut round: Round,
) where
    Round: FnMut() -> Done,
    Done: std::future::Future<Output = ()>,
{
    loop {
        round().await;
        tokio::select! {
            () = tokio::time::sleep(period) => {}
            () = until_closing(&mut closing) => return,
        }
    }
}
