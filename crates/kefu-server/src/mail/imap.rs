//! IMAP pollers: one task per enabled mailbox with IMAP settings, started and stopped as the
//! mailboxes change, each feeding new messages through the listener's inbound path.
//!
//! A message is stored (its folder position moving in the same transaction) before it is
//! flagged \Seen on the server; a crash in between re-reads it, and the position and the
//! Message-ID check keep it from being taken in twice. Failures are recorded on the mailbox and
//! retried with backoff; one mailbox's trouble never touches another's poller.

use super::Mail;
use super::directory::Route;
use super::inbound::Inbound;
use kefu_mail::{ImapConfig, ImapSecurity, ImapSession, MailError};
use kefu_store::{ImapMailbox, ImapPosition, Store, StoreError};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::AbortHandle;
use uuid::Uuid;

/// Limit for each IMAP step (connect, handshake, each command).
const STEP_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest wait between attempts while a server keeps failing.
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// Messages taken per poll; the rest come at the next one, so a huge backlog does not hold
/// one connection for hours.
const BATCH: usize = 200;

/// The running pollers, by mailbox, with the settings each was started with.
#[derive(Default)]
pub(crate) struct Pollers {
    running: HashMap<Uuid, (ImapMailbox, AbortHandle)>,
    /// Set once the server starts them; before that (and in tools that never serve) a
    /// mailbox change starts nothing.
    started: Option<(Store, watch::Receiver<bool>)>,
}

impl Drop for Pollers {
    fn drop(&mut self) {
        for (_, (_, task)) in self.running.drain() {
            task.abort();
        }
    }
}

impl Mail {
    /// Starts polling; called once when the server starts.
    pub(crate) async fn start_pollers(&self, store: Store, closing: watch::Receiver<bool>) {
        self.inner
            .pollers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .started = Some((store.clone(), closing));
        if let Err(err) = self.sync_pollers(&store).await {
            tracing::error!(%err, "loading the IMAP mailboxes");
        }
    }

    /// Starts pollers for new or changed IMAP mailboxes and stops those of removed, disabled
    /// or changed ones.
    pub(crate) async fn sync_pollers(&self, store: &Store) -> Result<(), StoreError> {
        let wanted = store.imap_mailboxes().await?;
        let mut pollers = self
            .inner
            .pollers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some((store, closing)) = pollers.started.clone() else {
            return Ok(());
        };
        pollers.running.retain(|id, (config, task)| {
            let keep = wanted.iter().any(|w| w.mailbox_id == *id && w == config);
            if !keep {
                // Stopping mid-mail is safe: an unfinished transaction stores nothing.
                task.abort();
            }
            keep
        });
        for mailbox in wanted {
            if pollers.running.contains_key(&mailbox.mailbox_id) {
                continue;
            }
            let poller = Poller {
                extra_roots: self.inner.settings.extra_roots.clone(),
                store: store.clone(),
                inbound: Inbound::new(store.clone(), self.clone()),
                mailbox: mailbox.clone(),
            };
            let task = tokio::spawn(poller.run(closing.clone()));
            pollers
                .running
                .insert(mailbox.mailbox_id, (mailbox, task.abort_handle()));
        }
        Ok(())
    }
}

struct Poller {
    /// The deployment's private CA, trusted besides the public roots.
    extra_roots: kefu_mail::ExtraRoots,
    store: Store,
    inbound: Inbound,
    mailbox: ImapMailbox,
}

impl Poller {
    async fn run(self, mut closing: watch::Receiver<bool>) {
        let (tenant, id) = (self.mailbox.tenant_id, self.mailbox.mailbox_id);
        let interval =
            Duration::from_secs(u64::try_from(self.mailbox.poll_seconds.max(1)).unwrap_or(60));
        let mut failures: u32 = 0;
        loop {
            let outcome = self.poll().await;
            let error = match &outcome {
                Ok(taken) => {
                    if *taken > 0 {
                        tracing::info!(%tenant, mailbox = %id, taken, "mail fetched over IMAP");
                    }
                    failures = 0;
                    None
                }
                Err(err) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(%tenant, mailbox = %id, host = %self.mailbox.host, failures, error = %err, "IMAP poll failed");
                    Some(err.to_string())
                }
            };
            if let Err(err) = self.store.imap_polled(tenant, id, error.as_deref()).await {
                tracing::warn!(%err, %tenant, mailbox = %id, "recording an IMAP poll");
            }
            let wait = if failures == 0 {
                interval
            } else {
                interval
                    .saturating_mul(2u32.saturating_pow(failures.min(16)))
                    .min(MAX_BACKOFF.max(interval))
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                changed = closing.changed() => {
                    if changed.is_err() || *closing.borrow() {
                        return;
                    }
                }
            }
        }
    }

    /// One visit to the folder: every new message stored, then flagged \Seen.
    async fn poll(&self) -> Result<usize, PollError> {
        let m = &self.mailbox;
        let config = ImapConfig {
            host: m.host.clone(),
            port: u16::try_from(m.port).map_err(|_| PollError::Config("bad port"))?,
            security: ImapSecurity::parse(&m.security).ok_or(PollError::Config("bad security"))?,
            username: m.username.clone(),
            password: m.password.clone(),
            folder: m.folder.clone(),
            timeout: STEP_TIMEOUT,
            extra_roots: self.extra_roots.clone(),
        };
        let mut session = ImapSession::connect(&config).await?;
        let result = self.take_new(&mut session).await;
        session.logout().await;
        result
    }

    async fn take_new(&self, session: &mut ImapSession) -> Result<usize, PollError> {
        let m = &self.mailbox;
        let validity = i64::from(session.select(&m.folder).await?);
        let (known, mut last) = self.store.imap_position(m.tenant_id, m.mailbox_id).await?;
        // A folder seen for the first time, or renumbered by the server: kefu has no place
        // in it, so it takes the unseen messages only (those it took in before are \Seen).
        let fresh = known != Some(validity);
        if fresh {
            self.store
                .imap_restart(m.tenant_id, m.mailbox_id, validity)
                .await?;
            last = 0;
        }
        let after = u32::try_from(last).unwrap_or(0);
        let uids = session.uids_after(after, fresh).await?;
        let route = Route {
            tenant_id: m.tenant_id,
            mailbox_id: m.mailbox_id,
        };
        let mut taken = 0;
        for uid in uids.into_iter().take(BATCH) {
            let position = ImapPosition {
                mailbox_id: m.mailbox_id,
                uid_validity: validity,
                uid: i64::from(uid),
            };
            match session.fetch(uid).await? {
                Some(raw) => {
                    match self
                        .inbound
                        .take_polled(route, &m.address, raw, position)
                        .await
                    {
                        Ok(()) => taken += 1,
                        // Another poller stored it first (a restart's overlap, another node).
                        Err(StoreError::Conflict {
                            code: "mail_already_taken",
                            ..
                        }) => {}
                        Err(err) => return Err(err.into()),
                    }
                    session.mark_seen(uid).await?;
                }
                // Expunged since the search: nothing to take.
                None => self.store.imap_skip(m.tenant_id, &position).await?,
            }
        }
        Ok(taken)
    }
}

/// Why a poll failed; shown to admins on the mailbox (never with the password).
#[derive(Debug, thiserror::Error)]
enum PollError {
    #[error("{code}: {err}", code = .err.code())]
    Imap {
        #[from]
        err: MailError,
    },
    #[error("storing: {0}")]
    Store(#[from] StoreError),
    #[error("settings: {0}")]
    Config(&'static str),
}
