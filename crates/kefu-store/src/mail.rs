//! The email channel's records: support mailboxes, the mails of each ticket (Message-IDs for
//! threading, raw inbound bytes), files that came by mail, and the outbox of replies to send.
//! Taking a mail in is one transaction (ticket or comment, mail record, files), so an SMTP
//! "250" is only ever answered for mail that is fully stored; the rules live in the server.

use crate::events::{Actor, Change, record};
use crate::page::{Page, clamp_limit};
use crate::sql::Conn;
use crate::ticket_followers::add_cc_in;
use crate::tickets::{
    CommentAuthor, NewComment, NewTicket, Ticket, TicketComment, insert_comment, insert_ticket,
};
use crate::{Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use uuid::Uuid;

/// A support address of a tenant, e.g. `support@acme.example`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mailbox {
    pub id: Uuid,
    /// Lowercase; unique in the whole deployment.
    #[cfg_attr(feature = "openapi", schema(example = "support@acme.example"))]
    pub address: String,
    /// The name replies are sent under, e.g. "Acme 客服".
    pub display_name: String,
    /// The department new tickets from this address go to.
    pub group_id: Option<Uuid>,
    /// A disabled mailbox refuses mail (550) and sends nothing.
    pub enabled: bool,
    /// Where kefu fetches this address's mail when it is hosted elsewhere; `None` when mail
    /// arrives through kefu's own SMTP listener only.
    pub imap: Option<MailboxImap>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A mailbox's IMAP settings as shown: the password never is, only whether one is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailboxImap {
    #[cfg_attr(feature = "openapi", schema(example = "imap.example.com"))]
    pub host: String,
    pub port: i64,
    /// `none`, `starttls` or `tls`.
    #[cfg_attr(feature = "openapi", schema(example = "tls"))]
    pub security: String,
    pub username: String,
    #[cfg_attr(feature = "openapi", schema(example = "INBOX"))]
    pub folder: String,
    /// Seconds between polls.
    pub poll_seconds: i64,
    pub password_set: bool,
    /// The last poll that reached the folder.
    pub polled_at: Option<DateTime<Utc>>,
    /// Why the last poll failed; `None` once a poll succeeds again.
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct MailboxRow {
    id: Uuid,
    address: String,
    display_name: String,
    group_id: Option<Uuid>,
    enabled: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    imap_host: Option<String>,
    imap_port: Option<i64>,
    imap_security: Option<String>,
    imap_username: Option<String>,
    password_set: bool,
    imap_folder: Option<String>,
    imap_poll_seconds: Option<i64>,
    imap_polled_at: Option<DateTime<Utc>>,
    imap_error: Option<String>,
    imap_error_at: Option<DateTime<Utc>>,
}

impl From<MailboxRow> for Mailbox {
    fn from(row: MailboxRow) -> Self {
        let imap = row.imap_host.map(|host| MailboxImap {
            host,
            port: row.imap_port.unwrap_or_default(),
            security: row.imap_security.unwrap_or_default(),
            username: row.imap_username.unwrap_or_default(),
            folder: row.imap_folder.unwrap_or_default(),
            poll_seconds: row.imap_poll_seconds.unwrap_or_default(),
            password_set: row.password_set,
            polled_at: row.imap_polled_at,
            last_error: row.imap_error,
            last_error_at: row.imap_error_at,
        });
        Mailbox {
            id: row.id,
            address: row.address,
            display_name: row.display_name,
            group_id: row.group_id,
            enabled: row.enabled,
            imap,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

macro_rules! mailbox_columns {
    () => {
        "id, address, display_name, group_id, enabled, created_at, updated_at, imap_host, imap_port,
         imap_security, imap_username, imap_password IS NOT NULL AS password_set, imap_folder,
         imap_poll_seconds, imap_polled_at, imap_error, imap_error_at"
    };
}

/// IMAP settings to store; checked by the caller.
#[derive(Clone, PartialEq, Eq)]
pub struct NewImap {
    pub host: String,
    pub port: i64,
    pub security: String,
    pub username: String,
    /// `None` on an update keeps the stored password.
    pub password: Option<String>,
    pub folder: String,
    pub poll_seconds: i64,
}

impl std::fmt::Debug for NewImap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewImap")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("folder", &self.folder)
            .field("poll_seconds", &self.poll_seconds)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct NewMailbox {
    /// Already checked and lowercased by the caller.
    pub address: String,
    pub display_name: String,
    pub group_id: Option<Uuid>,
    pub enabled: bool,
    pub imap: Option<NewImap>,
}

/// Fields to change; `None` leaves a field, `Some(None)` clears the group (or IMAP).
#[derive(Debug, Clone, Default)]
pub struct MailboxPatch {
    pub address: Option<String>,
    pub display_name: Option<String>,
    pub group_id: Option<Option<Uuid>>,
    pub enabled: Option<bool>,
    pub imap: Option<Option<NewImap>>,
}

/// An enabled mailbox with its tenant: what the SMTP listener routes recipients by.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MailRoute {
    pub tenant_id: Uuid,
    pub mailbox_id: Uuid,
    pub address: String,
}

/// Which way a mail went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MailDirection {
    Inbound,
    Outbound,
}

impl MailDirection {
    fn as_str(self) -> &'static str {
        match self {
            MailDirection::Inbound => "inbound",
            MailDirection::Outbound => "outbound",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [MailDirection::Inbound, MailDirection::Outbound]
            .into_iter()
            .find(|d| d.as_str() == text)
    }
}

/// One mail of a tenant, without its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MailRecord {
    pub id: Uuid,
    pub mailbox_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub comment_id: Option<Uuid>,
    pub direction: MailDirection,
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// `normal`, `auto_reply`, `bounce`, `list` or `unparseable` (set by the server).
    pub kind: String,
    pub from_address: String,
    pub subject: String,
    /// Why the raw mail could not be read, when it could not.
    pub parse_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct MailRow {
    id: Uuid,
    mailbox_id: Option<Uuid>,
    ticket_id: Option<Uuid>,
    comment_id: Option<Uuid>,
    direction: String,
    message_id: Option<String>,
    kind: String,
    from_address: String,
    subject: String,
    parse_error: Option<String>,
    created_at: DateTime<Utc>,
}

macro_rules! mail_columns {
    () => {
        "id, mailbox_id, ticket_id, comment_id, direction, message_id, kind, from_address, subject, parse_error, created_at"
    };
}

impl TryFrom<MailRow> for MailRecord {
    type Error = StoreError;
    fn try_from(row: MailRow) -> Result<Self, StoreError> {
        Ok(MailRecord {
            id: row.id,
            mailbox_id: row.mailbox_id,
            ticket_id: row.ticket_id,
            comment_id: row.comment_id,
            direction: MailDirection::parse(&row.direction)
                .ok_or_else(|| StoreError::corrupt("ticket_mails.direction", &row.direction))?,
            message_id: row.message_id,
            kind: row.kind,
            from_address: row.from_address,
            subject: row.subject,
            parse_error: row.parse_error,
            created_at: row.created_at,
        })
    }
}

/// A mail to remember.
#[derive(Debug, Clone)]
pub struct NewMailRecord {
    pub mailbox_id: Option<Uuid>,
    pub direction: MailDirection,
    pub message_id: Option<String>,
    pub kind: String,
    pub from_address: String,
    pub subject: String,
    /// The bytes as received (inbound mail), so nothing is lost when parsing fails.
    pub raw: Option<Vec<u8>>,
    pub parse_error: Option<String>,
}

/// A file that came with a mail, already named and hashed by the caller.
#[derive(Debug, Clone)]
pub struct NewTicketFile {
    pub name: String,
    pub content_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// A stored file of a ticket, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketFile {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub comment_id: Option<Uuid>,
    pub mail_id: Option<Uuid>,
    #[sqlx(rename = "file_name")]
    pub name: String,
    pub content_type: String,
    #[sqlx(rename = "size_bytes")]
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// What a received mail does to the tickets.
#[derive(Debug, Clone)]
pub enum MailAction {
    /// Opens a ticket.
    NewTicket(NewTicket),
    /// Adds a comment (the customer's answer, or an internal note about an automatic reply).
    Comment {
        ticket_id: Uuid,
        comment: NewComment,
    },
    /// Only remembered (a bounce, a mail that could not be read), on a ticket if it names one.
    Record { ticket_id: Option<Uuid> },
}

#[derive(Debug, Clone)]
pub struct IngestMail {
    pub mail: NewMailRecord,
    pub action: MailAction,
    pub files: Vec<NewTicketFile>,
    /// Customer-side addresses the mail was copied to (normalised, kefu's own and the
    /// sender's left out): added to the CC of the ticket it opens or answers.
    pub cc: Vec<String>,
}

/// What taking a mail in did.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub mail: MailRecord,
    pub ticket: Option<Ticket>,
    pub comment: Option<TicketComment>,
    /// The same Message-ID had already been taken in (the sender retried after a lost
    /// "250"): nothing was changed and `mail` is the earlier record.
    pub duplicate: bool,
}

/// A public reply waiting for (or done with) the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboundMail {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub comment_id: Uuid,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// Given up: a permanent refusal, or too many attempts.
    pub failed: bool,
    pub sent_at: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

macro_rules! outbox_columns {
    () => {
        "id, ticket_id, comment_id, attempts, next_attempt_at, last_error, failed, sent_at, message_id, created_at"
    };
}

async fn load_mailbox(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Mailbox, StoreError> {
    sql_optional!(
        MailboxRow,
        conn,
        concat!(
            "SELECT ",
            mailbox_columns!(),
            " FROM mailboxes WHERE tenant_id = $1 AND id = $2"
        ),
        tenant_id,
        id
    )?
    .map(Mailbox::from)
    .ok_or(StoreError::NotFound)
}

/// Writes a mailbox's IMAP settings (`None` removes them). A new server, account or folder
/// starts from a fresh position; an unchanged one keeps its place and its password when
/// none is given.
async fn write_imap(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
    before: Option<&MailboxImap>,
    imap: Option<&NewImap>,
) -> Result<(), StoreError> {
    let Some(imap) = imap else {
        sql_execute!(
            &mut *conn,
            "UPDATE mailboxes SET imap_host = NULL, imap_port = NULL, imap_security = NULL,
                 imap_username = NULL, imap_password = NULL, imap_folder = NULL, imap_poll_seconds = NULL,
                 imap_uid_validity = NULL, imap_last_uid = 0, imap_polled_at = NULL, imap_error = NULL,
                 imap_error_at = NULL
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        return Ok(());
    };
    if imap.password.is_none() && !before.is_some_and(|b| b.password_set) {
        return Err(kefu_core::ValidationErrors::single(
            "imap.password",
            "required",
            "an IMAP password is needed",
        )
        .into());
    }
    let same_place = before.is_some_and(|b| {
        (
            b.host.as_str(),
            b.port,
            b.username.as_str(),
            b.folder.as_str(),
        ) == (
            imap.host.as_str(),
            imap.port,
            imap.username.as_str(),
            imap.folder.as_str(),
        )
    });
    sql_execute!(
        &mut *conn,
        "UPDATE mailboxes SET imap_host = $3, imap_port = $4, imap_security = $5, imap_username = $6,
             imap_password = COALESCE($7, imap_password), imap_folder = $8, imap_poll_seconds = $9,
             imap_uid_validity = CASE WHEN $10 THEN imap_uid_validity ELSE NULL END,
             imap_last_uid = CASE WHEN $10 THEN imap_last_uid ELSE 0 END,
             imap_error = NULL, imap_error_at = NULL
         WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id,
        &imap.host,
        imap.port,
        &imap.security,
        &imap.username,
        imap.password.as_deref(),
        &imap.folder,
        imap.poll_seconds,
        same_place
    )?;
    Ok(())
}

/// Addresses are unique across tenants: a mail finds its tenant by the address alone.
async fn check_address_free(
    conn: &mut Conn<'_>,
    address: &str,
    except: Option<Uuid>,
) -> Result<(), StoreError> {
    let taken = sql_scalar_optional!(
        Uuid,
        conn,
        "SELECT id FROM mailboxes WHERE address = $1",
        address
    )?;
    match taken {
        Some(id) if Some(id) != except => Err(StoreError::conflict(
            "address_taken",
            "this address is already a support mailbox",
            serde_json::json!({"field": "address"}),
        )),
        _ => Ok(()),
    }
}

async fn check_group(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    group_id: Option<Uuid>,
) -> Result<(), StoreError> {
    let Some(group_id) = group_id else {
        return Ok(());
    };
    let found = sql_scalar_optional!(
        Uuid,
        conn,
        "SELECT id FROM service_groups WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        group_id
    )?;
    if found.is_none() {
        return Err(kefu_core::ValidationErrors::single(
            "group_id",
            "unknown_reference",
            "no such group in this tenant",
        )
        .into());
    }
    Ok(())
}

async fn insert_mail(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    mail: &NewMailRecord,
    ticket_id: Option<Uuid>,
    comment_id: Option<Uuid>,
) -> Result<MailRecord, StoreError> {
    let id = Uuid::now_v7();
    let now = Utc::now().trunc_subsecs(6);
    sql_execute!(
        &mut *conn,
        "INSERT INTO ticket_mails (id, tenant_id, mailbox_id, ticket_id, comment_id, direction, message_id, kind,
             from_address, subject, raw, parse_error, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        id,
        tenant_id,
        mail.mailbox_id,
        ticket_id,
        comment_id,
        mail.direction.as_str(),
        mail.message_id.as_deref(),
        &mail.kind,
        &mail.from_address,
        &mail.subject,
        mail.raw.as_deref(),
        mail.parse_error.as_deref(),
        now
    )?;
    Ok(MailRecord {
        id,
        mailbox_id: mail.mailbox_id,
        ticket_id,
        comment_id,
        direction: mail.direction,
        message_id: mail.message_id.clone(),
        kind: mail.kind.clone(),
        from_address: mail.from_address.clone(),
        subject: mail.subject.clone(),
        parse_error: mail.parse_error.clone(),
        created_at: now,
    })
}

impl Store {
    /// Adds a support mailbox. The tenant's outbox starts following its event log here, so
    /// only replies written from now on are mailed.
    pub async fn create_mailbox(
        &self,
        tenant_id: Uuid,
        new: NewMailbox,
        actor: &Actor,
    ) -> Result<Mailbox, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        check_address_free(&mut conn, &new.address, None).await?;
        check_group(&mut conn, tenant_id, new.group_id).await?;
        let id = Uuid::now_v7();
        let now = Utc::now().trunc_subsecs(6);
        sql_execute!(
            &mut conn,
            "INSERT INTO mailboxes (id, tenant_id, address, display_name, group_id, enabled, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            id,
            tenant_id,
            &new.address,
            new.display_name.trim(),
            new.group_id,
            new.enabled,
            now
        )?;
        if new.imap.is_some() {
            write_imap(&mut conn, tenant_id, id, None, new.imap.as_ref()).await?;
        }
        sql_execute!(
            &mut conn,
            "INSERT INTO mail_cursors (tenant_id, last_seq)
             SELECT tenant_id, last_seq FROM event_sequences WHERE tenant_id = $1
             ON CONFLICT (tenant_id) DO NOTHING",
            tenant_id
        )?;
        let mailbox = load_mailbox(&mut conn, tenant_id, id).await?;
        let after = serde_json::to_value(&mailbox).unwrap_or_default();
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "mailbox.created",
                entity_type: "mailbox",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({"mailbox": mailbox}),
                audit: Some((None, Some(after))),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(mailbox)
    }

    pub async fn mailbox(&self, tenant_id: Uuid, id: Uuid) -> Result<Mailbox, StoreError> {
        let mut read = self.read().await?;
        load_mailbox(&mut read.conn(), tenant_id, id).await
    }

    /// The tenant's mailboxes, oldest first.
    pub async fn list_mailboxes(
        &self,
        tenant_id: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<Mailbox>, StoreError> {
        let mut read = self.read().await?;
        let rows: Vec<Mailbox> = sql_all!(
            MailboxRow,
            read.conn(),
            concat!(
                "SELECT ",
                mailbox_columns!(),
                " FROM mailboxes WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
            ),
            tenant_id,
            after,
            clamp_limit(limit)
        )?
        .into_iter()
        .map(Mailbox::from)
        .collect();
        Ok(Page::from_rows(rows, limit, |m| m.id))
    }

    pub async fn update_mailbox(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: MailboxPatch,
        actor: &Actor,
    ) -> Result<Mailbox, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_mailbox(&mut conn, tenant_id, id).await?;
        if let Some(address) = &patch.address {
            check_address_free(&mut conn, address, Some(id)).await?;
        }
        check_group(&mut conn, tenant_id, patch.group_id.flatten()).await?;
        sql_execute!(
            &mut conn,
            "UPDATE mailboxes SET address = $3, display_name = $4, group_id = $5, enabled = $6, updated_at = $7
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            patch.address.as_deref().unwrap_or(&before.address),
            patch
                .display_name
                .as_deref()
                .map_or(before.display_name.as_str(), str::trim),
            patch.group_id.unwrap_or(before.group_id),
            patch.enabled.unwrap_or(before.enabled),
            Utc::now().trunc_subsecs(6)
        )?;
        if let Some(imap) = &patch.imap {
            write_imap(
                &mut conn,
                tenant_id,
                id,
                before.imap.as_ref(),
                imap.as_ref(),
            )
            .await?;
        }
        let after = load_mailbox(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "mailbox.updated",
                entity_type: "mailbox",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({"mailbox": after}),
                audit: Some((
                    serde_json::to_value(&before).ok(),
                    serde_json::to_value(&after).ok(),
                )),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Removes a mailbox; the mails it received stay with their tickets.
    pub async fn delete_mailbox(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_mailbox(&mut conn, tenant_id, id).await?;
        sql_execute!(
            &mut conn,
            "DELETE FROM mailboxes WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "mailbox.deleted",
                entity_type: "mailbox",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({"mailbox_id": id}),
                audit: Some((serde_json::to_value(&before).ok(), None)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every enabled mailbox of the deployment. The one read across tenants, by design: an
    /// SMTP recipient is all there is to find the tenant of an inbound mail.
    pub async fn mail_routes(&self) -> Result<Vec<MailRoute>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            MailRoute,
            read.conn(),
            "SELECT tenant_id, id AS mailbox_id, address FROM mailboxes WHERE enabled ORDER BY address"
        )?)
    }

    /// Takes a received mail in: does its action, remembers the mail and stores its files, in
    /// one transaction. A Message-ID already taken in for this tenant changes nothing.
    pub async fn ingest_mail(
        &self,
        tenant_id: Uuid,
        ingest: IngestMail,
        actor: &Actor,
    ) -> Result<Ingested, StoreError> {
        self.ingest_mail_at(tenant_id, ingest, None, actor).await
    }

    /// [`Store::ingest_mail`] for a mail fetched over IMAP: the mailbox's position moves to
    /// its UID in the same transaction (also when it turns out to be a duplicate), so a poll
    /// interrupted at any point neither loses nor repeats a mail.
    pub async fn ingest_mail_at(
        &self,
        tenant_id: Uuid,
        ingest: IngestMail,
        position: Option<&crate::imap::ImapPosition>,
        actor: &Actor,
    ) -> Result<Ingested, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        if let Some(position) = position {
            crate::imap::advance(&mut conn, tenant_id, position).await?;
        }
        if let Some(message_id) = &ingest.mail.message_id {
            let earlier = sql_optional!(
                MailRow,
                &mut conn,
                concat!(
                    "SELECT ",
                    mail_columns!(),
                    " FROM ticket_mails WHERE tenant_id = $1 AND message_id = $2 AND direction = $3 LIMIT 1"
                ),
                tenant_id,
                message_id,
                ingest.mail.direction.as_str()
            )?;
            if let Some(earlier) = earlier {
                tx.commit().await?;
                return Ok(Ingested {
                    mail: earlier.try_into()?,
                    ticket: None,
                    comment: None,
                    duplicate: true,
                });
            }
        }
        let (ticket, comment) = match ingest.action {
            MailAction::NewTicket(new) => {
                let ticket = insert_ticket(&mut conn, tenant_id, new, actor).await?;
                add_cc_in(&mut conn, tenant_id, ticket.id, &ingest.cc, actor).await?;
                (Some(ticket), None)
            }
            MailAction::Comment { ticket_id, comment } => {
                // Only the customer's own mail speaks for who is copied; a note about an
                // out-of-office answer does not.
                let customer = comment.author_kind == CommentAuthor::Customer;
                let (comment, ticket) =
                    insert_comment(&mut conn, tenant_id, ticket_id, comment, &[], actor).await?;
                if customer {
                    add_cc_in(&mut conn, tenant_id, ticket_id, &ingest.cc, actor).await?;
                }
                (Some(ticket), Some(comment))
            }
            MailAction::Record { ticket_id } => {
                let ticket = match ticket_id {
                    Some(id) => Some(crate::tickets::load_ticket(&mut conn, tenant_id, id).await?),
                    None => None,
                };
                (ticket, None)
            }
        };
        let ticket_id = ticket.as_ref().map(|t| t.id);
        let comment_id = comment.as_ref().map(|c| c.id);
        let mail = insert_mail(&mut conn, tenant_id, &ingest.mail, ticket_id, comment_id).await?;
        let mut files = Vec::new();
        if let Some(ticket_id) = ticket_id {
            for file in ingest.files {
                let id = Uuid::now_v7();
                let size = i64::try_from(file.content.len()).unwrap_or(i64::MAX);
                sql_execute!(
                    &mut conn,
                    "INSERT INTO ticket_attachments (id, tenant_id, ticket_id, comment_id, mail_id, file_name, content_type,
                         size_bytes, sha256, content, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    id,
                    tenant_id,
                    ticket_id,
                    comment_id,
                    mail.id,
                    &file.name,
                    &file.content_type,
                    size,
                    &file.sha256,
                    &file.content,
                    mail.created_at
                )?;
                files.push(serde_json::json!({"id": id, "name": file.name, "content_type": file.content_type, "size": size}));
            }
        }
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "mail.received",
                entity_type: if ticket_id.is_some() {
                    "ticket"
                } else {
                    "mail"
                },
                entity_id: Some(ticket_id.unwrap_or(mail.id)),
                actor,
                payload: serde_json::json!({"mail": mail, "attachments": files}),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Ingested {
            mail,
            ticket,
            comment,
            duplicate: false,
        })
    }

    /// The ticket a Message-ID belongs to (a mail it received or sent), if any.
    pub async fn ticket_of_message(
        &self,
        tenant_id: Uuid,
        message_id: &str,
    ) -> Result<Option<Uuid>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_scalar_optional!(
            Uuid,
            read.conn(),
            "SELECT ticket_id FROM ticket_mails
             WHERE tenant_id = $1 AND message_id = $2 AND ticket_id IS NOT NULL
             ORDER BY id LIMIT 1",
            tenant_id,
            message_id
        )?)
    }

    /// The mails of a ticket, oldest first.
    pub async fn ticket_mails(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
    ) -> Result<Vec<MailRecord>, StoreError> {
        let mut read = self.read().await?;
        sql_all!(
            MailRow,
            read.conn(),
            concat!(
                "SELECT ",
                mail_columns!(),
                " FROM ticket_mails WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY id"
            ),
            tenant_id,
            ticket_id
        )?
        .into_iter()
        .map(MailRecord::try_from)
        .collect()
    }

    /// Mails kept without a ticket (bounces, unreadable mail), newest first.
    pub async fn unthreaded_mails(
        &self,
        tenant_id: Uuid,
        limit: u32,
    ) -> Result<Vec<MailRecord>, StoreError> {
        let mut read = self.read().await?;
        sql_all!(
            MailRow,
            read.conn(),
            concat!(
                "SELECT ",
                mail_columns!(),
                " FROM ticket_mails WHERE tenant_id = $1 AND ticket_id IS NULL ORDER BY id DESC LIMIT $2"
            ),
            tenant_id,
            clamp_limit(limit)
        )?
        .into_iter()
        .map(MailRecord::try_from)
        .collect()
    }

    /// The raw bytes of an inbound mail of this tenant.
    pub async fn mail_raw(&self, tenant_id: Uuid, mail_id: Uuid) -> Result<Vec<u8>, StoreError> {
        let mut read = self.read().await?;
        sql_scalar_optional!(
            Option<Vec<u8>>,
            read.conn(),
            "SELECT raw FROM ticket_mails WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            mail_id
        )?
        .flatten()
        .ok_or(StoreError::NotFound)
    }

    /// The files a ticket received by mail, oldest first.
    pub async fn ticket_files(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
    ) -> Result<Vec<TicketFile>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            TicketFile,
            read.conn(),
            "SELECT id, ticket_id, comment_id, mail_id, file_name, content_type, size_bytes, sha256, created_at
             FROM ticket_attachments WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY id",
            tenant_id,
            ticket_id
        )?)
    }

    pub async fn ticket_file_content(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> Result<Vec<u8>, StoreError> {
        let mut read = self.read().await?;
        sql_scalar_optional!(
            Vec<u8>,
            read.conn(),
            "SELECT content FROM ticket_attachments WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?
        .ok_or(StoreError::NotFound)
    }

    /// Stores an agent's file on a ticket, waiting for the comment that will carry it
    /// ([`Store::add_comment_with_files`]).
    pub async fn upload_ticket_file(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        file: NewTicketFile,
        uploader_id: Option<Uuid>,
        actor: &Actor,
    ) -> Result<TicketFile, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        crate::tickets::load_ticket(&mut conn, tenant_id, ticket_id).await?;
        let id = Uuid::now_v7();
        let now = Utc::now().trunc_subsecs(6);
        let size = i64::try_from(file.content.len()).unwrap_or(i64::MAX);
        sql_execute!(
            &mut conn,
            "INSERT INTO ticket_attachments (id, tenant_id, ticket_id, comment_id, mail_id, file_name, content_type,
                 size_bytes, sha256, content, created_at, uploader_id)
             VALUES ($1, $2, $3, NULL, NULL, $4, $5, $6, $7, $8, $9, $10)",
            id,
            tenant_id,
            ticket_id,
            &file.name,
            &file.content_type,
            size,
            &file.sha256,
            &file.content,
            now,
            uploader_id
        )?;
        let stored = TicketFile {
            id,
            ticket_id,
            comment_id: None,
            mail_id: None,
            name: file.name,
            content_type: file.content_type,
            size,
            sha256: file.sha256,
            created_at: now,
        };
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "ticket.file_uploaded",
                entity_type: "ticket",
                entity_id: Some(ticket_id),
                actor,
                payload: serde_json::json!({"file": stored}),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Adds a comment carrying files uploaded to the ticket and not yet used, in one
    /// transaction: an unknown, used or other ticket's file refuses the whole comment (422).
    pub async fn add_comment_with_files(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        new: NewComment,
        mentions: &[Uuid],
        file_ids: &[Uuid],
        actor: &Actor,
    ) -> Result<(TicketComment, Ticket, Vec<TicketFile>), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let (comment, ticket) =
            insert_comment(&mut conn, tenant_id, ticket_id, new, mentions, actor).await?;
        for file_id in file_ids {
            let linked = sql_execute!(
                &mut conn,
                "UPDATE ticket_attachments SET comment_id = $4
                 WHERE tenant_id = $1 AND ticket_id = $2 AND id = $3 AND comment_id IS NULL AND mail_id IS NULL",
                tenant_id,
                ticket_id,
                *file_id,
                comment.id
            )?;
            if linked != 1 {
                return Err(kefu_core::ValidationErrors::single(
                    "attachment_ids",
                    "unknown_reference",
                    format!("{file_id} is not an unused upload of this ticket"),
                )
                .into());
            }
        }
        let files = sql_all!(
            TicketFile,
            &mut conn,
            "SELECT id, ticket_id, comment_id, mail_id, file_name, content_type, size_bytes, sha256, created_at
             FROM ticket_attachments WHERE tenant_id = $1 AND comment_id = $2 ORDER BY id",
            tenant_id,
            comment.id
        )?;
        if !files.is_empty() {
            record(
                &mut conn,
                Change {
                    tenant_id,
                    kind: "ticket.files_attached",
                    entity_type: "ticket",
                    entity_id: Some(ticket_id),
                    actor,
                    payload: serde_json::json!({"comment_id": comment.id, "files": files}),
                    audit: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok((comment, ticket, files))
    }

    /// The files a comment carries, with their bytes (a reply mailed with its attachments).
    pub async fn comment_files(
        &self,
        tenant_id: Uuid,
        comment_id: Uuid,
    ) -> Result<Vec<(TicketFile, Vec<u8>)>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let files = sql_all!(
            TicketFile,
            &mut conn,
            "SELECT id, ticket_id, comment_id, mail_id, file_name, content_type, size_bytes, sha256, created_at
             FROM ticket_attachments WHERE tenant_id = $1 AND comment_id = $2 ORDER BY id",
            tenant_id,
            comment_id
        )?;
        let mut out = Vec::with_capacity(files.len());
        for file in files {
            let content = sql_scalar_optional!(
                Vec<u8>,
                &mut conn,
                "SELECT content FROM ticket_attachments WHERE tenant_id = $1 AND id = $2",
                tenant_id,
                file.id
            )?
            .ok_or(StoreError::NotFound)?;
            out.push((file, content));
        }
        Ok(out)
    }

    /// One comment of a ticket (the reply an outbox row sends).
    pub async fn ticket_comment(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        id: Uuid,
    ) -> Result<TicketComment, StoreError> {
        let mut read = self.read().await?;
        sql_optional!(
            crate::tickets::CommentRow,
            read.conn(),
            "SELECT id, ticket_id, author_kind, author_id, public, body, created_at FROM ticket_comments
             WHERE tenant_id = $1 AND ticket_id = $2 AND id = $3",
            tenant_id,
            ticket_id,
            id
        )?
        .ok_or(StoreError::NotFound)?
        .try_into()
    }

    // ----- the outbox -------------------------------------------------------------------

    /// Tenants whose event log the outbox follows (those that ever had a mailbox).
    pub async fn mail_tenants(&self) -> Result<Vec<Uuid>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            (Uuid,),
            read.conn(),
            "SELECT tenant_id FROM mail_cursors ORDER BY tenant_id"
        )?
        .into_iter()
        .map(|(id,)| id)
        .collect())
    }

    /// How far the tenant's log has been turned into outbox rows; `None` before its first
    /// mailbox.
    pub async fn mail_cursor(&self, tenant_id: Uuid) -> Result<Option<i64>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_scalar_optional!(
            i64,
            read.conn(),
            "SELECT last_seq FROM mail_cursors WHERE tenant_id = $1",
            tenant_id
        )?)
    }

    /// Queues replies `(ticket_id, comment_id)` and moves the cursor to `up_to_seq` in one
    /// transaction: a crash in between can neither lose a reply nor queue one twice. Each
    /// newly queued reply is a `mail.queued` event on its ticket.
    pub async fn queue_outbound(
        &self,
        tenant_id: Uuid,
        up_to_seq: i64,
        replies: &[(Uuid, Uuid)],
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let now = Utc::now().trunc_subsecs(6);
        let mut queued = 0;
        for (ticket_id, comment_id) in replies {
            let id = Uuid::now_v7();
            let inserted = sql_execute!(
                &mut conn,
                "INSERT INTO mail_outbox (id, tenant_id, ticket_id, comment_id, attempts, next_attempt_at, failed, created_at)
                 VALUES ($1, $2, $3, $4, 0, $5, FALSE, $5)
                 ON CONFLICT (tenant_id, comment_id) DO NOTHING",
                id,
                tenant_id,
                *ticket_id,
                *comment_id,
                now
            )?;
            if inserted == 1 {
                record(
                    &mut conn,
                    Change {
                        tenant_id,
                        kind: "mail.queued",
                        entity_type: "ticket",
                        entity_id: Some(*ticket_id),
                        actor: &Actor::system(),
                        payload: serde_json::json!({"outbox_id": id, "comment_id": comment_id}),
                        audit: None,
                    },
                )
                .await?;
            }
            queued += inserted;
        }
        sql_execute!(
            &mut conn,
            "UPDATE mail_cursors SET last_seq = $2 WHERE tenant_id = $1 AND last_seq < $2",
            tenant_id,
            up_to_seq
        )?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Replies due for an attempt now, oldest due first.
    pub async fn due_outbound(
        &self,
        tenant_id: Uuid,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboundMail>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            OutboundMail,
            read.conn(),
            concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM mail_outbox WHERE tenant_id = $1 AND sent_at IS NULL AND NOT failed AND next_attempt_at <= $2
                 ORDER BY next_attempt_at, id LIMIT $3"
            ),
            tenant_id,
            now,
            clamp_limit(limit)
        )?)
    }

    /// The outbox rows of a ticket, oldest first.
    pub async fn ticket_outbox(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
    ) -> Result<Vec<OutboundMail>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            OutboundMail,
            read.conn(),
            concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM mail_outbox WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY id"
            ),
            tenant_id,
            ticket_id
        )?)
    }

    /// Marks a reply sent and remembers its Message-ID on the ticket, so the customer's
    /// answer threads back.
    pub async fn outbound_sent(
        &self,
        tenant_id: Uuid,
        outbox_id: Uuid,
        mail: NewMailRecord,
        actor: &Actor,
    ) -> Result<MailRecord, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let item = sql_optional!(
            OutboundMail,
            &mut conn,
            concat!(
                "SELECT ",
                outbox_columns!(),
                " FROM mail_outbox WHERE tenant_id = $1 AND id = $2"
            ),
            tenant_id,
            outbox_id
        )?
        .ok_or(StoreError::NotFound)?;
        let now = Utc::now().trunc_subsecs(6);
        sql_execute!(
            &mut conn,
            "UPDATE mail_outbox SET sent_at = $3, message_id = $4, attempts = attempts + 1, last_error = NULL
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            outbox_id,
            now,
            mail.message_id.as_deref()
        )?;
        let record_row = insert_mail(
            &mut conn,
            tenant_id,
            &mail,
            Some(item.ticket_id),
            Some(item.comment_id),
        )
        .await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "mail.sent",
                entity_type: "ticket",
                entity_id: Some(item.ticket_id),
                actor,
                payload: serde_json::json!({"mail": record_row}),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(record_row)
    }

    /// Records a failed attempt: retried at `retry_at`, or given up when `None`; either way an
    /// event on the ticket says so.
    pub async fn outbound_failed(
        &self,
        tenant_id: Uuid,
        outbox_id: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let item = sql_optional!(
            OutboundMail,
            &mut conn,
            concat!(
                "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $3,
                     next_attempt_at = COALESCE($4, next_attempt_at), failed = $5
                 WHERE tenant_id = $1 AND id = $2 AND sent_at IS NULL RETURNING ",
                outbox_columns!()
            ),
            tenant_id,
            outbox_id,
            error,
            retry_at.map(|t| t.trunc_subsecs(6)),
            retry_at.is_none()
        )?
        .ok_or(StoreError::NotFound)?;
        // On the ticket's log, so agents see that the customer has not got the reply yet.
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "mail.send_failed",
                entity_type: "ticket",
                entity_id: Some(item.ticket_id),
                actor: &Actor::system(),
                payload: serde_json::json!({"outbox": item}),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
