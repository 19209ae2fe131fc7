//! Inbound mail to tickets: each accepted message is parsed off the runtime, classified,
//! threaded (Message-ID, reply token, then `[#1001]` tag) and stored in one transaction per
//! tenant before the listener answers 250. Robots never open tickets or reopen them.

use super::Mail;
use super::directory::Route;
use kefu_core::{IdentityKind, TicketPriority, TicketStatus, TicketType};
use kefu_mail::{
    InboundMail, MailError, MailKind, MailSink, ReceivedMail, SinkRefusal, classify, parse,
    strip_quoted, thread_hints,
};
use kefu_store::{
    Actor, CommentAuthor, Customer, ImapPosition, IngestMail, MailAction, MailDirection,
    NewComment, NewCustomer, NewIdentity, NewMailRecord, NewTicket, NewTicketFile, Store,
    StoreError, Ticket,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Longest subject kept on a ticket (kefu-core's limit for ticket subjects).
const MAX_SUBJECT: usize = kefu_core::ticket::MAX_SUBJECT_CHARS;
/// Longest description or comment kept; the raw mail keeps everything.
const MAX_BODY: usize = kefu_core::ticket::MAX_COMMENT_CHARS;

pub(crate) struct Inbound {
    store: Store,
    mail: Mail,
}

impl Inbound {
    pub(crate) fn new(store: Store, mail: Mail) -> Self {
        Inbound { store, mail }
    }
}

impl MailSink for Inbound {
    async fn deliver(&self, received: ReceivedMail) -> Result<(), SinkRefusal> {
        // One mail may be addressed to mailboxes of several tenants: each gets its own copy.
        let mut routes: Vec<Route> = Vec::new();
        for recipient in &received.recipients {
            if let Some(route) = self.mail.inner.directory.route(recipient)
                && !routes.iter().any(|r| r.tenant_id == route.tenant_id)
            {
                routes.push(route);
            }
        }
        if routes.is_empty() {
            return Err(SinkRefusal::Permanent("mailbox no longer enabled".into()));
        }
        let max = self.mail.settings().smtp_max_bytes;
        let raw = received.data.clone();
        // MIME decoding of a large message (base64, charsets) is CPU work: keep it off the
        // runtime's threads.
        let parsed = tokio::task::spawn_blocking(move || parse(&raw, max))
            .await
            .map_err(|err| SinkRefusal::Temporary(format!("parser task failed: {err}")))?;
        for route in routes {
            self.take_in(route, &received, &parsed, None)
                .await
                .map_err(|err| {
                    tracing::warn!(%err, tenant = %route.tenant_id, "storing an inbound mail");
                    SinkRefusal::Temporary(err.to_string())
                })?;
        }
        Ok(())
    }
}

impl Inbound {
    /// A mail fetched from an IMAP folder: the same path as one taken by the listener, for
    /// the mailbox it was fetched for; the folder position moves in the same transaction.
    /// The envelope is made up from the headers: Return-Path (else From) as the sender, To
    /// and Cc (and the mailbox itself) as the recipients.
    pub(crate) async fn take_polled(
        &self,
        route: Route,
        mailbox_address: &str,
        raw: Vec<u8>,
        position: ImapPosition,
    ) -> Result<(), StoreError> {
        let max = self.mail.settings().smtp_max_bytes;
        let bytes = raw.clone();
        let parsed = tokio::task::spawn_blocking(move || parse(&bytes, max))
            .await
            .map_err(|err| StoreError::Unavailable(format!("parser task failed: {err}")))?;
        let (envelope_from, mut recipients) = match &parsed {
            Ok(mail) => (
                mail.loop_headers
                    .return_path
                    .as_deref()
                    .map(|p| p.trim().trim_matches(['<', '>']).to_owned())
                    .or_else(|| mail.from.as_ref().map(|m| m.address.clone()))
                    .unwrap_or_default(),
                mail.to
                    .iter()
                    .chain(&mail.cc)
                    .map(|m| m.address.clone())
                    .collect::<Vec<_>>(),
            ),
            Err(_) => (String::new(), Vec::new()),
        };
        recipients.push(mailbox_address.to_owned());
        let received = ReceivedMail {
            peer: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
            helo: String::new(),
            envelope_from,
            recipients,
            data: raw,
        };
        self.take_in(route, &received, &parsed, Some(position))
            .await
    }

    async fn take_in(
        &self,
        route: Route,
        received: &ReceivedMail,
        parsed: &Result<InboundMail, MailError>,
        position: Option<ImapPosition>,
    ) -> Result<(), StoreError> {
        let tenant = route.tenant_id;
        let mut record = NewMailRecord {
            mailbox_id: Some(route.mailbox_id),
            direction: MailDirection::Inbound,
            message_id: None,
            kind: "unparseable".into(),
            from_address: received.envelope_from.clone(),
            subject: String::new(),
            raw: Some(received.data.clone()),
            parse_error: None,
        };
        let mail = match parsed {
            Ok(mail) => mail,
            Err(err) => {
                // Kept raw with the reason, for an agent to read; never dropped.
                record.parse_error = Some(format!("{}: {err}", err.code()));
                return self
                    .ingest(
                        tenant,
                        record,
                        MailAction::Record { ticket_id: None },
                        vec![],
                        position,
                    )
                    .await;
            }
        };
        let class = classify(mail, Some(&received.envelope_from));
        record.kind = match class.kind {
            MailKind::Normal => "normal",
            MailKind::AutoReply => "auto_reply",
            MailKind::Bounce => "bounce",
            MailKind::List => "list",
        }
        .into();
        record.message_id = mail.message_id.clone();
        record.subject = mail.subject.chars().take(MAX_SUBJECT * 4).collect();
        let sender = mail
            .reply_address()
            .map(|m| m.address.clone())
            .unwrap_or_else(|| received.envelope_from.clone());
        record.from_address = sender.clone();
        // Mail from one of kefu's own addresses (a forward rule sending our reply back, a
        // misconfigured relay): answering it would start a loop.
        if class.kind != MailKind::Bounce && self.mail.inner.directory.route(&sender).is_some() {
            tracing::warn!(%tenant, %sender, "mail from a support address recorded, not answered");
            record.kind = "loop".into();
            return self
                .ingest(
                    tenant,
                    record,
                    MailAction::Record { ticket_id: None },
                    vec![],
                    position,
                )
                .await;
        }
        if class.kind == MailKind::Bounce {
            tracing::info!(%tenant, reason = ?class.reason, "bounce recorded");
            return self
                .ingest(
                    tenant,
                    record,
                    MailAction::Record { ticket_id: None },
                    vec![],
                    position,
                )
                .await;
        }
        let email = kefu_core::normalize_identity(IdentityKind::Email, &sender).ok();
        // A robot's address is looked up but never becomes a customer.
        let create = class.kind != MailKind::AutoReply;
        let customer = match &email {
            Some(email) => self.customer(tenant, email, mail, create).await?,
            None => None,
        };
        let ticket = self
            .thread(tenant, mail, &received.recipients, customer.as_ref())
            .await?;
        let ticket_id = ticket.as_ref().map(|t| t.id);
        let open_ticket = ticket.filter(|t| t.status != TicketStatus::Closed);
        let files = files(mail);
        let action = match (class.kind, open_ticket, customer) {
            // An out-of-office answer on a ticket: a note for the agents, which neither
            // reopens the ticket nor counts as the customer's answer.
            (MailKind::AutoReply, Some(ticket), _) => MailAction::Comment {
                ticket_id: ticket.id,
                comment: NewComment {
                    author_kind: CommentAuthor::System,
                    author_id: None,
                    public: false,
                    body: clip(
                        &format!("Automatic reply from {sender}:\n\n{}", mail.text.trim()),
                        MAX_BODY,
                    ),
                },
            },
            (MailKind::AutoReply, None, _) | (_, _, None) => MailAction::Record { ticket_id },
            (_, Some(ticket), Some(customer)) => MailAction::Comment {
                ticket_id: ticket.id,
                comment: NewComment {
                    author_kind: CommentAuthor::Customer,
                    author_id: Some(customer.id),
                    public: true,
                    body: body_or_placeholder(&strip_quoted(&mail.text), &files),
                },
            },
            (_, None, Some(customer)) => MailAction::NewTicket(NewTicket {
                subject: {
                    let subject = clip(&mail.subject, MAX_SUBJECT);
                    if subject.is_empty() {
                        "(no subject)".into()
                    } else {
                        subject
                    }
                },
                description: body_or_placeholder(&mail.text, &files),
                requester_id: customer.id,
                channel: "email".into(),
                priority: TicketPriority::Normal,
                ticket_type: TicketType::Question,
                tags: vec![],
                assignee_id: None,
                group_id: self.mailbox_group(tenant, route.mailbox_id).await?,
                conversation_id: None,
                custom_fields: Default::default(),
            }),
        };
        let cc = self.copied(mail, &sender);
        self.ingest_copied(tenant, record, action, files, cc, position)
            .await
    }

    /// The customer-side addresses in the mail's Cc: kefu's own support addresses (any
    /// tenant's: copying them would loop) and the sender's are left out, as are ones that are
    /// not addresses; the store drops repeats and cuts what a ticket cannot keep.
    fn copied(&self, mail: &InboundMail, sender: &str) -> Vec<String> {
        let sender = kefu_core::normalize_identity(IdentityKind::Email, sender).ok();
        mail.cc
            .iter()
            .filter_map(|m| kefu_core::normalize_identity(IdentityKind::Email, &m.address).ok())
            .filter(|a| Some(a) != sender.as_ref())
            .filter(|a| self.mail.inner.directory.route(a).is_none())
            .collect()
    }

    async fn ingest(
        &self,
        tenant: Uuid,
        mail: NewMailRecord,
        action: MailAction,
        files: Vec<NewTicketFile>,
        position: Option<ImapPosition>,
    ) -> Result<(), StoreError> {
        self.ingest_copied(tenant, mail, action, files, Vec::new(), position)
            .await
    }

    async fn ingest_copied(
        &self,
        tenant: Uuid,
        mail: NewMailRecord,
        action: MailAction,
        files: Vec<NewTicketFile>,
        cc: Vec<String>,
        position: Option<ImapPosition>,
    ) -> Result<(), StoreError> {
        let ingested = self
            .store
            .ingest_mail_at(
                tenant,
                IngestMail {
                    mail,
                    action,
                    files,
                    cc,
                },
                position.as_ref(),
                &Actor::system(),
            )
            .await?;
        if ingested.duplicate {
            tracing::info!(%tenant, mail = %ingested.mail.id, "mail already taken in; ignored");
        }
        Ok(())
    }

    async fn mailbox_group(&self, tenant: Uuid, mailbox: Uuid) -> Result<Option<Uuid>, StoreError> {
        match self.store.mailbox(tenant, mailbox).await {
            Ok(mailbox) => Ok(mailbox.group_id),
            Err(StoreError::NotFound) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// The customer with this email identity, created on first contact when `create`.
    async fn customer(
        &self,
        tenant: Uuid,
        email: &str,
        mail: &InboundMail,
        create: bool,
    ) -> Result<Option<Customer>, StoreError> {
        match self
            .store
            .customer_by_identity(tenant, IdentityKind::Email, email)
            .await
        {
            Err(StoreError::NotFound) if create => {}
            Err(StoreError::NotFound) => return Ok(None),
            found => return found.map(Some),
        }
        let name = mail
            .reply_address()
            .and_then(|m| m.name.clone())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_owned());
        let created = self
            .store
            .create_customer(
                tenant,
                NewCustomer {
                    name: clip(&name, 100),
                    company: None,
                    tier: "normal".into(),
                    tags: vec![],
                    attributes: Default::default(),
                    identities: vec![NewIdentity {
                        kind: IdentityKind::Email,
                        value: email.to_owned(),
                    }],
                },
                &Actor::system(),
            )
            .await;
        match created {
            // Two mails from a new sender at once: the other one created them first.
            Err(StoreError::Conflict { .. }) => self
                .store
                .customer_by_identity(tenant, IdentityKind::Email, email)
                .await
                .map(Some),
            other => other.map(Some),
        }
    }

    /// The ticket a mail answers: a Message-ID of the ticket's thread, then the signed
    /// reply address, then a `[#1001]` subject tag, which anyone can type and so counts
    /// only when the sender is the ticket's requester.
    async fn thread(
        &self,
        tenant: Uuid,
        mail: &InboundMail,
        recipients: &[String],
        sender: Option<&Customer>,
    ) -> Result<Option<Ticket>, StoreError> {
        let secret = self.mail.tenant_secret(tenant).unwrap_or_default();
        let hints = thread_hints(mail, recipients, &secret);
        for id in &hints.message_ids {
            if let Some(ticket) = self.store.ticket_of_message(tenant, id).await? {
                return match found(self.store.ticket(tenant, ticket).await)? {
                    Some(ticket) => self.merged_target(tenant, ticket).await.map(Some),
                    None => Ok(None),
                };
            }
        }
        if !secret.is_empty()
            && let Some(number) = hints.token_ticket.and_then(|n| i64::try_from(n).ok())
            && let Some(ticket) = found(self.store.ticket_by_number(tenant, number).await)?
        {
            return self.merged_target(tenant, ticket).await.map(Some);
        }
        if let Some(number) = hints.subject_ticket.and_then(|n| i64::try_from(n).ok())
            && let Some(ticket) = found(self.store.ticket_by_number(tenant, number).await)?
            && sender.is_some_and(|c| c.id == ticket.requester_id)
        {
            return self.merged_target(tenant, ticket).await.map(Some);
        }
        Ok(None)
    }

    /// A merged ticket's mail goes where its history went (the ticket's token and `[#1002]`
    /// tag still name the closed source; its Message-IDs already moved with its mails).
    async fn merged_target(&self, tenant: Uuid, mut ticket: Ticket) -> Result<Ticket, StoreError> {
        for _ in 0..kefu_core::ticket_link::MAX_LINK_DEPTH {
            let Some(into) = ticket.merged_into else {
                break;
            };
            match found(self.store.ticket(tenant, into).await)? {
                Some(target) => ticket = target,
                None => break,
            }
        }
        Ok(ticket)
    }
}

/// `NotFound` as `None`.
fn found(result: Result<Ticket, StoreError>) -> Result<Option<Ticket>, StoreError> {
    match result {
        Ok(ticket) => Ok(Some(ticket)),
        Err(StoreError::NotFound) => Ok(None),
        Err(err) => Err(err),
    }
}

fn files(mail: &InboundMail) -> Vec<NewTicketFile> {
    mail.attachments
        .iter()
        .map(|a| NewTicketFile {
            name: a.name.clone(),
            content_type: a.content_type.clone(),
            sha256: hex::encode(Sha256::digest(&a.data)),
            content: a.data.clone(),
        })
        .collect()
}

/// The text, cut to `max` characters; an empty body says what the mail carried instead.
fn body_or_placeholder(text: &str, files: &[NewTicketFile]) -> String {
    let text = clip(text, MAX_BODY);
    match (text.is_empty(), files.is_empty()) {
        (false, _) => text,
        (true, false) => format!("({} attachment(s), no text)", files.len()),
        (true, true) => "(empty message)".into(),
    }
}

fn clip(text: &str, max: usize) -> String {
    text.trim()
        .chars()
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}
