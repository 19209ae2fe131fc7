//! Outbound replies: one task follows each mail tenant's event log from its stored cursor,
//! queues public replies (agents', automation's) on email tickets in the outbox (same transaction as the
//! cursor move), and delivers due rows, with the files they carry, through the relay with
//! exponential backoff.

use super::Mail;
use chrono::Utc;
use kefu_core::IdentityKind;
use kefu_mail::{MailError, Mailbox as Address, OutboundReply, Relay, build_reply, reply_address};
use kefu_store::{
    Actor, MailDirection, Mailbox, NewMailRecord, OutboundMail, Store, StoreError, Ticket,
};
use std::collections::{HashMap, HashSet};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::watch;
use uuid::Uuid;

/// Log events read per query.
const LOG_BATCH: u32 = 500;
/// Outbox rows attempted per tenant per round.
const SEND_BATCH: u32 = 50;
/// Events the stored cursor may lag behind the one in memory. Queueing is idempotent (one
/// row per comment), so a stale stored cursor only means re-reading some log after a
/// restart; storing it less often spares a write per commit on busy tenants.
const CURSOR_SAVE_EVERY: i64 = 1000;

pub(crate) struct Outbox {
    store: Store,
    mail: Mail,
    relay: Relay,
    /// How far each tenant's log has been read in this process.
    read_up_to: HashMap<Uuid, i64>,
    /// The tenants with mail, as of a count of mailbox changes.
    tenants: Option<(u64, Vec<Uuid>)>,
    /// Where customers reach the server: replies end with the ticket's status link under it.
    public_url: Option<String>,
}

/// What a round looks at.
enum Wake {
    /// Every mail tenant's log and outbox (at start, or when commit signals were lost).
    Everything,
    /// Only rows due for a retry (the timer): logs are followed on commit signals.
    Retries,
    /// The logs and outboxes of tenants that just wrote.
    Tenants(HashSet<Uuid>),
}

/// Why one attempt failed, and whether trying again may help.
struct Failure {
    permanent: bool,
    message: String,
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Self {
        Failure {
            permanent: matches!(err, StoreError::NotFound),
            message: err.to_string(),
        }
    }
}

impl From<MailError> for Failure {
    fn from(err: MailError) -> Self {
        let permanent = !matches!(
            err,
            MailError::Relay {
                transient: true,
                ..
            } | MailError::Io(_)
        );
        Failure {
            permanent,
            message: format!("{}: {err}", err.code()),
        }
    }
}

fn permanent(message: &str) -> Failure {
    Failure {
        permanent: true,
        message: message.to_owned(),
    }
}

impl Outbox {
    pub(crate) fn new(store: Store, mail: Mail, relay: Relay, public_url: Option<String>) -> Self {
        Outbox {
            store,
            mail,
            relay,
            read_up_to: HashMap::new(),
            tenants: None,
            public_url,
        }
    }

    /// The reply's text, with the link to follow the ticket below a signature separator when
    /// the server knows its public address.
    async fn reply_text(
        &self,
        tenant: Uuid,
        ticket: &Ticket,
        body: String,
    ) -> Result<String, Failure> {
        let Some(base) = self.public_url.as_deref() else {
            return Ok(body);
        };
        let token = self.store.ticket_status_token(tenant, ticket.id).await?;
        let link = crate::routes::tickets::status_link(Some(base), token);
        let locale = self.store.tenant(tenant).await?.settings.0.locale;
        let label = if locale.starts_with("zh") {
            "查看工单进度、在线回复"
        } else {
            "Follow this ticket and answer online"
        };
        Ok(format!(
            "{body}\n\n-- \n{label}: {}",
            link.url.unwrap_or(link.path)
        ))
    }

    /// Wakes on commits of mail tenants and on a timer (for retries), until closing.
    pub(crate) async fn run(mut self, mut closing: watch::Receiver<bool>) {
        let mut commits = self.store.subscribe_commits();
        let mut poll = tokio::time::interval(self.mail.settings().poll_interval);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // At start, every tenant's log is read from its stored cursor: what was written while
        // kefu was down is queued now.
        let mut wake = Wake::Everything;
        loop {
            self.round(&wake).await;
            wake = tokio::select! {
                _ = poll.tick() => Wake::Retries,
                signal = commits.recv() => match signal {
                    Ok(tenant) => Wake::Tenants(HashSet::from([tenant])),
                    Err(RecvError::Lagged(_)) => Wake::Everything,
                    Err(RecvError::Closed) => return,
                },
                changed = closing.changed() => {
                    if changed.is_err() || *closing.borrow() {
                        return;
                    }
                    Wake::Retries
                }
            };
            // Many commits arrive together (a busy chat): take them all in one round.
            while let Wake::Tenants(tenants) = &mut wake {
                match commits.try_recv() {
                    Ok(tenant) => {
                        tenants.insert(tenant);
                    }
                    Err(TryRecvError::Lagged(_)) => wake = Wake::Everything,
                    Err(_) => break,
                }
            }
        }
    }

    /// The tenants that have mail, read again only after a mailbox change: a busy chat tenant
    /// without mail costs the outbox no query per commit.
    async fn tenants(&mut self) -> Result<Vec<Uuid>, StoreError> {
        let changes = self.mail.mailbox_changes();
        match &self.tenants {
            Some((seen, tenants)) if *seen == changes => Ok(tenants.clone()),
            _ => {
                let tenants = self.store.mail_tenants().await?;
                self.tenants = Some((changes, tenants.clone()));
                Ok(tenants)
            }
        }
    }

    async fn round(&mut self, wake: &Wake) {
        let tenants = match self.tenants().await {
            Ok(tenants) => tenants,
            Err(err) => {
                tracing::warn!(%err, "listing mail tenants");
                return;
            }
        };
        for tenant in tenants {
            let follow = match wake {
                Wake::Everything => true,
                Wake::Retries => false,
                Wake::Tenants(wrote) if wrote.contains(&tenant) => true,
                Wake::Tenants(_) => continue,
            };
            if follow && let Err(err) = self.follow(tenant).await {
                tracing::warn!(%err, %tenant, "queueing mail replies");
            }
            if let Err(err) = self.deliver(tenant).await {
                tracing::warn!(%err, %tenant, "delivering mail replies");
            }
        }
    }

    /// Moves the tenant's cursor to the end of its log, queueing every public agent reply
    /// on an email ticket on the way.
    async fn follow(&mut self, tenant: Uuid) -> Result<(), StoreError> {
        let Some(mut saved) = self.store.mail_cursor(tenant).await? else {
            return Ok(());
        };
        let mut cursor = self
            .read_up_to
            .get(&tenant)
            .copied()
            .unwrap_or(saved)
            .max(saved);
        loop {
            let events = self.store.events_since(tenant, cursor, LOG_BATCH).await?;
            let Some(last) = events.last().map(|e| e.seq) else {
                self.read_up_to.insert(tenant, cursor);
                return Ok(());
            };
            let mut replies = Vec::new();
            for event in &events {
                if event.kind != "ticket.comment_added" {
                    continue;
                }
                let comment = &event.payload.0["comment"];
                // Agents' replies, and the system's (a trigger's template reply, an API
                // token's): every public reply that is not the customer's own.
                let agent_reply = comment["public"].as_bool() == Some(true)
                    && matches!(comment["author_kind"].as_str(), Some("agent" | "system"));
                let ids = event.entity_id.zip(
                    comment["id"]
                        .as_str()
                        .and_then(|id| id.parse::<Uuid>().ok()),
                );
                let Some((ticket_id, comment_id)) = ids.filter(|_| agent_reply) else {
                    continue;
                };
                let ticket = match self.store.ticket(tenant, ticket_id).await {
                    Ok(ticket) => ticket,
                    Err(StoreError::NotFound) => continue,
                    Err(err) => return Err(err),
                };
                if self.mailed_to_requester(tenant, &ticket).await? {
                    replies.push((ticket_id, comment_id));
                }
            }
            if !replies.is_empty() || last - saved >= CURSOR_SAVE_EVERY {
                self.store.queue_outbound(tenant, last, &replies).await?;
                saved = last;
            }
            cursor = last;
        }
    }

    /// Email tickets are answered by mail; so are the others (chats carried on, messages left
    /// out of hours) whose requester gave an email address, as they have no live channel.
    async fn mailed_to_requester(&self, tenant: Uuid, ticket: &Ticket) -> Result<bool, StoreError> {
        if ticket.channel == "email" {
            return Ok(true);
        }
        match self.store.customer(tenant, ticket.requester_id).await {
            Ok(customer) => Ok(customer
                .identities
                .iter()
                .any(|i| i.kind == IdentityKind::Email)),
            Err(StoreError::NotFound) => Ok(false),
            Err(err) => Err(err),
        }
    }

    async fn deliver(&self, tenant: Uuid) -> Result<(), StoreError> {
        let now = Utc::now();
        for item in self.store.due_outbound(tenant, now, SEND_BATCH).await? {
            let Err(failure) = self.send(tenant, &item).await else {
                continue;
            };
            let attempts = u32::try_from(item.attempts + 1).unwrap_or(u32::MAX);
            let settings = self.mail.settings();
            let retry_at = (!failure.permanent && attempts < settings.max_attempts).then(|| {
                let wait = settings
                    .retry_base
                    .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1)))
                    .min(settings.retry_max);
                let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                now.checked_add_signed(wait).unwrap_or(now)
            });
            tracing::warn!(%tenant, outbox = %item.id, attempts, error = %failure.message, retry = ?retry_at, "mail reply not sent");
            self.store
                .outbound_failed(tenant, item.id, &failure.message, retry_at)
                .await?;
        }
        Ok(())
    }

    /// One attempt: build the threaded reply, hand it to the relay, remember its Message-ID.
    async fn send(&self, tenant: Uuid, item: &OutboundMail) -> Result<(), Failure> {
        let ticket = self.store.ticket(tenant, item.ticket_id).await?;
        let comment = self
            .store
            .ticket_comment(tenant, item.ticket_id, item.comment_id)
            .await?;
        let customer = self.store.customer(tenant, ticket.requester_id).await?;
        let to = customer
            .identities
            .iter()
            .find(|i| i.kind == IdentityKind::Email)
            .ok_or_else(|| permanent("the requester has no email address"))?;
        let thread = self.store.ticket_mails(tenant, ticket.id).await?;
        let mailbox = self.mailbox(tenant, &ticket, &thread).await?;
        let number = u64::try_from(ticket.number).map_err(|_| permanent("bad ticket number"))?;
        let reply_to = match self.mail.tenant_secret(tenant) {
            Some(secret) => Some(reply_address(&mailbox.address, &secret, number)?),
            None => None,
        };
        let in_reply_to = thread
            .iter()
            .rev()
            .find(|m| m.direction == MailDirection::Inbound && m.message_id.is_some())
            .and_then(|m| m.message_id.clone());
        let references = thread.iter().filter_map(|m| m.message_id.clone()).collect();
        // The files the agent attached go with the reply, byte for byte.
        let attachments = self
            .store
            .comment_files(tenant, comment.id)
            .await?
            .into_iter()
            .map(|(file, data)| kefu_mail::Attachment {
                name: file.name,
                content_type: file.content_type,
                data,
                content_id: None,
                inline: false,
            })
            .collect();
        let built = build_reply(&OutboundReply {
            from: Address {
                address: mailbox.address.clone(),
                name: Some(mailbox.display_name.clone()).filter(|n| !n.is_empty()),
            },
            reply_to,
            to: vec![Address {
                address: to.value.clone(),
                name: Some(customer.name.clone()),
            }],
            // The ticket's CC (set by agents, or taken from the customer's mail) hear the
            // answer as the customer does.
            cc: self
                .store
                .ticket_cc(tenant, ticket.id)
                .await?
                .into_iter()
                .filter(|address| *address != to.value)
                .map(|address| Address {
                    address,
                    name: None,
                })
                .collect(),
            subject: ticket.subject.clone(),
            ticket: number,
            text: self.reply_text(tenant, &ticket, comment.body).await?,
            html: None,
            attachments,
            in_reply_to,
            references,
            // Sent by automation: marked Auto-Submitted, so the customer's autoresponder keeps quiet.
            automatic: comment.author_kind == kefu_store::CommentAuthor::System,
        })?;
        self.relay.send(&built.message).await?;
        let subject = kefu_mail::tagged_subject(&ticket.subject, number);
        self.store
            .outbound_sent(
                tenant,
                item.id,
                NewMailRecord {
                    mailbox_id: Some(mailbox.id),
                    direction: MailDirection::Outbound,
                    message_id: Some(built.message_id.clone()),
                    kind: "normal".into(),
                    from_address: mailbox.address.clone(),
                    subject,
                    raw: Some(built.formatted()),
                    parse_error: None,
                },
                &Actor::system(),
            )
            .await?;
        Ok(())
    }

    /// The mailbox the customer last wrote to, else the tenant's first enabled one.
    async fn mailbox(
        &self,
        tenant: Uuid,
        ticket: &Ticket,
        thread: &[kefu_store::MailRecord],
    ) -> Result<Mailbox, Failure> {
        let used = thread
            .iter()
            .rev()
            .filter_map(|m| m.mailbox_id)
            .collect::<Vec<_>>();
        for id in used {
            match self.store.mailbox(tenant, id).await {
                Ok(mailbox) if mailbox.enabled => return Ok(mailbox),
                Ok(_) | Err(StoreError::NotFound) => {}
                Err(err) => return Err(err.into()),
            }
        }
        let all = self.store.list_mailboxes(tenant, None, 200).await?;
        all.items.into_iter().find(|m| m.enabled).ok_or_else(|| {
            tracing::warn!(%tenant, ticket = ticket.number, "no enabled mailbox to reply from");
            // An admin may enable one again: retried like a relay outage.
            Failure {
                permanent: false,
                message: "no enabled mailbox to send from".into(),
            }
        })
    }
}
