//! The email channel in the server: its settings, the address directory the SMTP listener
//! routes by, and the start of the listener (inbound) and of the outbox worker (outbound).
//!
//! Inbound mail is stored before the listener answers 250 (see `inbound`); outbound replies
//! are found in the event log and queued in the database before any attempt (see
//! `outbound`), so neither direction loses mail across a restart.

mod directory;
mod imap;
mod inbound;
mod outbound;

pub use kefu_mail::{RelayConfig, RelayTls};

use directory::Directory;
use hmac::{Hmac, KeyInit, Mac};
use kefu_store::{Store, StoreError};
use sha2::Sha256;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use uuid::Uuid;

/// The deployment's reply-token secret; each tenant signs with a key derived from it.
#[derive(Clone, PartialEq, Eq)]
pub struct MailSecret(pub String);

impl fmt::Debug for MailSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

/// Email channel settings; the binary builds them from `smtp_*`, `relay_*`, `tls_extra_ca`
/// and `mail_token_secret`.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// Where the SMTP listener binds; `None` runs no listener.
    pub smtp_listen: Option<SocketAddr>,
    /// Largest inbound message; bigger ones are refused with 552.
    pub smtp_max_bytes: usize,
    /// The name in the SMTP greeting.
    pub smtp_hostname: String,
    /// Certificate and key for STARTTLS on the listener; `None` offers no TLS.
    pub smtp_tls: Option<kefu_mail::ServerTls>,
    /// Refuse mail (530) on a connection that has not switched to TLS.
    pub smtp_require_tls: bool,
    /// A private CA trusted (besides the public roots) by the IMAP pollers and the relay.
    pub extra_roots: kefu_mail::ExtraRoots,
    /// Signs the reply address of each ticket (`support+t-<token>@…`); without it, replies
    /// carry no token and inbound tokens are not trusted.
    pub token_secret: Option<MailSecret>,
    /// Where replies are sent; `None` keeps them queued until a relay is configured.
    pub relay: Option<RelayConfig>,
    /// Wait before the first retry; doubles with each attempt up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Attempts after which a reply is given up (it stays in the outbox with its error).
    pub max_attempts: u32,
    /// How often the outbox looks for due retries when nothing else wakes it.
    pub poll_interval: Duration,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_listen: None,
            smtp_max_bytes: 25 * 1024 * 1024,
            smtp_hostname: "localhost".into(),
            smtp_tls: None,
            smtp_require_tls: false,
            extra_roots: kefu_mail::ExtraRoots::default(),
            token_secret: None,
            relay: None,
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            max_attempts: 10,
            poll_interval: Duration::from_secs(5),
        }
    }
}

/// How often a running listener re-reads the mailboxes, for changes made through another
/// kefu node on the same database (this node's own changes reload at once).
const DIRECTORY_REFRESH: Duration = Duration::from_secs(30);

/// The email channel's shared part: settings and the address directory.
#[derive(Clone)]
pub struct Mail {
    inner: Arc<MailInner>,
}

struct MailInner {
    settings: MailSettings,
    directory: Directory,
    /// Bumped by every reload (a mailbox change): the outbox re-reads its tenants then,
    /// instead of on every commit.
    mailbox_changes: std::sync::atomic::AtomicU64,
    /// The IMAP pollers, synced with the mailboxes at every reload.
    pollers: std::sync::Mutex<imap::Pollers>,
}

impl Mail {
    pub fn new(settings: MailSettings) -> Self {
        Mail {
            inner: Arc::new(MailInner {
                settings,
                directory: Directory::default(),
                mailbox_changes: std::sync::atomic::AtomicU64::new(0),
                pollers: std::sync::Mutex::default(),
            }),
        }
    }

    pub fn settings(&self) -> &MailSettings {
        &self.inner.settings
    }

    /// Re-reads the enabled mailboxes; called at start and after every mailbox change.
    /// IMAP pollers follow (once started): new settings start one, removed ones stop.
    pub async fn reload(&self, store: &Store) -> Result<(), StoreError> {
        self.inner
            .mailbox_changes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.directory.reload(store).await?;
        self.sync_pollers(store).await
    }

    fn mailbox_changes(&self) -> u64 {
        self.inner
            .mailbox_changes
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The tenant's signing key: HMAC of the tenant id under the deployment secret, so a
    /// token made for one tenant never verifies in another.
    fn tenant_secret(&self, tenant_id: Uuid) -> Option<Vec<u8>> {
        let secret = self.inner.settings.token_secret.as_ref()?;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.0.as_bytes()).ok()?;
        mac.update(b"kefu-mail/tenant-key/v1\0");
        mac.update(tenant_id.as_bytes());
        Some(mac.finalize().into_bytes().to_vec())
    }

    /// Starts the SMTP listener on `listener` until `closing` turns true.
    pub(crate) fn start_listener(
        &self,
        store: Store,
        listener: TcpListener,
        mut closing: tokio::sync::watch::Receiver<bool>,
    ) {
        let settings = &self.inner.settings;
        let config = kefu_mail::SmtpConfig {
            hostname: settings.smtp_hostname.clone(),
            max_message_size: settings.smtp_max_bytes,
            tls: settings.smtp_tls.clone(),
            require_tls: settings.smtp_require_tls,
            ..kefu_mail::SmtpConfig::default()
        };
        let server = kefu_mail::SmtpServer::new(
            config,
            self.inner.directory.policy(),
            inbound::Inbound::new(store.clone(), self.clone()),
        );
        let mail = self.clone();
        let mut refresh_closing = closing.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(DIRECTORY_REFRESH) => {
                        if let Err(err) = mail.reload(&store).await {
                            tracing::warn!(%err, "refreshing the mailbox directory");
                        }
                    }
                    changed = refresh_closing.changed() => {
                        if changed.is_err() || *refresh_closing.borrow() {
                            return;
                        }
                    }
                }
            }
        });
        tokio::spawn(async move {
            let shutdown = async move {
                while !*closing.borrow() {
                    if closing.changed().await.is_err() {
                        break;
                    }
                }
            };
            if let Err(err) = server.run(listener, shutdown).await {
                tracing::error!(%err, code = err.code(), "smtp listener stopped");
            }
        });
    }

    /// Starts the outbox worker when a relay is configured. With the server's `public_url`,
    /// each reply carries the ticket's status link.
    pub(crate) fn start_outbox(
        &self,
        store: Store,
        public_url: Option<String>,
        closing: tokio::sync::watch::Receiver<bool>,
    ) {
        let Some(relay) = &self.inner.settings.relay else {
            return;
        };
        let relay = kefu_mail::RelayConfig {
            extra_roots: self.inner.settings.extra_roots.clone(),
            ..relay.clone()
        };
        match kefu_mail::Relay::new(&relay) {
            Ok(relay) => {
                let worker = outbound::Outbox::new(store, self.clone(), relay, public_url);
                tokio::spawn(worker.run(closing));
            }
            Err(err) => tracing::error!(%err, code = err.code(), "smtp relay not usable"),
        }
    }
}
