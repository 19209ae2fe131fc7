//! Files in conversations. The bytes are stored in the database itself (BLOB / BYTEA): one binary
//! to deploy, one backup, and every node of a multi-node PostgreSQL setup sees every file.
//! This module keeps what the server has checked; the type, size and visibility rules are kefu-core's.

use crate::conversations::load_conversation;
use crate::events::{Actor, Change, record};
use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use kefu_core::{MessageKind, SenderKind, ValidationErrors};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a message says about a file it carries: never the bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentMeta {
    pub id: Uuid,
    /// The file name, cleaned of paths and control characters.
    #[cfg_attr(feature = "openapi", schema(example = "发票.pdf"))]
    pub name: String,
    /// The checked media type, e.g. `image/png`.
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
}

/// A stored file without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub meta: AttachmentMeta,
    pub conversation_id: Uuid,
    /// `Customer` or `Agent`.
    pub uploaded_by: SenderKind,
    /// The customer or the user who uploaded it.
    pub uploader_id: Option<Uuid>,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The message carrying it; none while it waits to be sent.
    pub message_id: Option<Uuid>,
    /// The kind of that message (a note's files stay internal).
    pub sent_with: Option<MessageKind>,
    pub created_at: DateTime<Utc>,
}

/// A file to store, already checked and named by the caller.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub conversation_id: Uuid,
    pub uploaded_by: SenderKind,
    pub uploader_id: Option<Uuid>,
    pub name: String,
    pub content_type: String,
    pub sha256: String,
    pub content: Vec<u8>,
}

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    id: Uuid,
    conversation_id: Uuid,
    uploader_kind: String,
    uploader_id: Option<Uuid>,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    sha256: String,
    message_id: Option<Uuid>,
    sent_kind: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<AttachmentRow> for Attachment {
    type Error = StoreError;
    fn try_from(row: AttachmentRow) -> Result<Self, StoreError> {
        let sent_with = match &row.sent_kind {
            Some(kind) => Some(
                MessageKind::parse(kind)
                    .ok_or_else(|| StoreError::corrupt("messages.kind", kind))?,
            ),
            None => None,
        };
        Ok(Attachment {
            meta: AttachmentMeta {
                id: row.id,
                name: row.file_name,
                content_type: row.content_type,
                size: row.size_bytes,
            },
            conversation_id: row.conversation_id,
            uploaded_by: SenderKind::parse(&row.uploader_kind).ok_or_else(|| {
                StoreError::corrupt("attachments.uploader_kind", &row.uploader_kind)
            })?,
            uploader_id: row.uploader_id,
            sha256: row.sha256,
            message_id: row.message_id,
            sent_with,
            created_at: row.created_at,
        })
    }
}

async fn load_attachment(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Attachment, StoreError> {
    sql_optional!(
        AttachmentRow,
        conn,
        "SELECT a.id, a.conversation_id, a.uploader_kind, a.uploader_id, a.file_name, a.content_type, a.size_bytes,
                a.sha256, a.message_id, m.kind AS sent_kind, a.created_at
         FROM attachments a LEFT JOIN messages m ON m.tenant_id = a.tenant_id AND m.id = a.message_id
         WHERE a.tenant_id = $1 AND a.id = $2",
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?
    .try_into()
}

fn unusable(code: &'static str, message: &str) -> StoreError {
    ValidationErrors::single("attachment_ids", code, message).into()
}

/// The files a new message will carry, in the order given: each must be an unsent upload of
/// this conversation by the same side (a customer cannot send an agent's file, nor the reverse).
pub(crate) async fn claimable(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    conversation_id: Uuid,
    sender: SenderKind,
    ids: &[Uuid],
) -> Result<Vec<AttachmentMeta>, StoreError> {
    let mut metas = Vec::with_capacity(ids.len());
    for id in ids {
        let attachment = match load_attachment(conn, tenant_id, *id).await {
            Ok(found)
                if found.conversation_id == conversation_id && found.uploaded_by == sender =>
            {
                found
            }
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(unusable(
                    "unknown_attachment",
                    "no such upload in this conversation",
                ));
            }
            Err(other) => return Err(other),
        };
        if attachment.message_id.is_some() {
            return Err(unusable(
                "attachment_already_sent",
                "this file was already sent with another message; upload it again",
            ));
        }
        metas.push(attachment.meta);
    }
    Ok(metas)
}

/// Ties the files to their message, inside the message's transaction. The `IS NULL` guard makes
/// a concurrent send of the same file fail here rather than share it.
pub(crate) async fn attach(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    message_id: Uuid,
    metas: &[AttachmentMeta],
) -> Result<(), StoreError> {
    for meta in metas {
        let updated = sql_execute!(
            &mut *conn,
            "UPDATE attachments SET message_id = $3 WHERE tenant_id = $1 AND id = $2 AND message_id IS NULL",
            tenant_id,
            meta.id,
            message_id
        )?;
        if updated != 1 {
            return Err(unusable(
                "attachment_already_sent",
                "this file was already sent with another message; upload it again",
            ));
        }
    }
    Ok(())
}

impl Store {
    /// Stores an upload of a conversation; a message sends it later. The event carries the
    /// metadata only, and reaches the customer only when they uploaded it.
    pub async fn create_attachment(
        &self,
        tenant_id: Uuid,
        new: NewAttachment,
        actor: &Actor,
    ) -> Result<AttachmentMeta, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let conversation = load_conversation(&mut conn, tenant_id, new.conversation_id).await?;
        let meta = AttachmentMeta {
            id: Uuid::now_v7(),
            name: new.name,
            content_type: new.content_type,
            size: i64::try_from(new.content.len()).unwrap_or(i64::MAX),
        };
        sql_execute!(
            &mut conn,
            "INSERT INTO attachments (id, tenant_id, conversation_id, uploader_kind, uploader_id, file_name, content_type,
                 size_bytes, sha256, content, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            meta.id,
            tenant_id,
            conversation.id,
            new.uploaded_by.as_str(),
            new.uploader_id,
            &meta.name,
            &meta.content_type,
            meta.size,
            &new.sha256,
            &new.content,
            Utc::now().trunc_subsecs(6)
        )?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "attachment.uploaded",
                entity_type: "conversation",
                entity_id: Some(conversation.id),
                actor,
                payload: serde_json::json!({
                    "attachment": meta,
                    "uploaded_by": new.uploaded_by,
                    "customer_id": conversation.customer_id,
                    "visible_to_customer": new.uploaded_by == SenderKind::Customer,
                }),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(meta)
    }

    /// A file of this tenant, without its bytes (enough to decide who may read it, and to
    /// answer a conditional request).
    pub async fn attachment(&self, tenant_id: Uuid, id: Uuid) -> Result<Attachment, StoreError> {
        let mut read = self.read().await?;
        load_attachment(&mut read.conn(), tenant_id, id).await
    }

    /// The bytes of a file of this tenant.
    pub async fn attachment_content(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> Result<Vec<u8>, StoreError> {
        let mut read = self.read().await?;
        sql_scalar_optional!(
            Vec<u8>,
            read.conn(),
            "SELECT content FROM attachments WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?
        .ok_or(StoreError::NotFound)
    }
}
