//! IMAP polling's records: the mailboxes to poll (with their password, for the poller only),
//! the position reached in each folder, and the outcome of the last poll.
//! The position moves inside the transaction that stores a mail (see `Store::ingest_mail_at`).

use crate::events::{Actor, Change, record};
use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{SubsecRound, Utc};
use uuid::Uuid;

/// A mailbox to poll, password included: never serialised, never logged.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ImapMailbox {
    pub tenant_id: Uuid,
    pub mailbox_id: Uuid,
    pub address: String,
    pub host: String,
    pub port: i64,
    pub security: String,
    pub username: String,
    pub password: String,
    pub folder: String,
    pub poll_seconds: i64,
}

impl std::fmt::Debug for ImapMailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapMailbox")
            .field("tenant_id", &self.tenant_id)
            .field("mailbox_id", &self.mailbox_id)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

/// A message's place in a polled folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImapPosition {
    pub mailbox_id: Uuid,
    pub uid_validity: i64,
    pub uid: i64,
}

/// Moves the mailbox's last UID up to `position` when the folder is still the same
/// (UIDVALIDITY unchanged); never moves it back. A UID already passed in the same folder means
/// another poller (another node, or one still finishing before a restart) took the mail in:
/// that is the `mail_already_taken` conflict, and the caller stores nothing.
pub(crate) async fn advance(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    position: &ImapPosition,
) -> Result<(), StoreError> {
    let moved = sql_execute!(
        &mut *conn,
        "UPDATE mailboxes SET imap_last_uid = $4
         WHERE tenant_id = $1 AND id = $2 AND imap_uid_validity = $3 AND imap_last_uid < $4",
        tenant_id,
        position.mailbox_id,
        position.uid_validity,
        position.uid
    )?;
    if moved == 0 {
        let place = sql_optional!(
            (Option<i64>, i64),
            &mut *conn,
            "SELECT imap_uid_validity, imap_last_uid FROM mailboxes WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            position.mailbox_id
        )?;
        if place.is_some_and(|(validity, last)| {
            validity == Some(position.uid_validity) && last >= position.uid
        }) {
            return Err(StoreError::conflict(
                "mail_already_taken",
                "this IMAP message was already taken in",
                serde_json::json!({"uid": position.uid}),
            ));
        }
    }
    Ok(())
}

impl Store {
    /// Every enabled mailbox with IMAP settings, across tenants (the pollers are started for
    /// the deployment, as the SMTP listener is).
    pub async fn imap_mailboxes(&self) -> Result<Vec<ImapMailbox>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            ImapMailbox,
            read.conn(),
            "SELECT tenant_id, id AS mailbox_id, address, imap_host AS host, imap_port AS port,
                 imap_security AS security, imap_username AS username, imap_password AS password,
                 imap_folder AS folder, imap_poll_seconds AS poll_seconds
             FROM mailboxes
             WHERE enabled AND imap_host IS NOT NULL AND imap_password IS NOT NULL
             ORDER BY id"
        )?)
    }

    /// The folder's UIDVALIDITY kefu last saw (`None` before the first poll) and the last
    /// UID taken in.
    pub async fn imap_position(
        &self,
        tenant_id: Uuid,
        mailbox_id: Uuid,
    ) -> Result<(Option<i64>, i64), StoreError> {
        let mut read = self.read().await?;
        sql_optional!(
            (Option<i64>, i64),
            read.conn(),
            "SELECT imap_uid_validity, imap_last_uid FROM mailboxes WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            mailbox_id
        )?
        .ok_or(StoreError::NotFound)
    }

    /// Starts over in a folder whose UIDVALIDITY is new (first poll, or the server renumbered
    /// it): earlier UIDs mean nothing any more.
    pub async fn imap_restart(
        &self,
        tenant_id: Uuid,
        mailbox_id: Uuid,
        uid_validity: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let changed = sql_execute!(
            &mut conn,
            "UPDATE mailboxes SET imap_uid_validity = $3, imap_last_uid = 0
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            mailbox_id,
            uid_validity
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "mailbox.imap_restarted",
                entity_type: "mailbox",
                entity_id: Some(mailbox_id),
                actor: &Actor::system(),
                payload: serde_json::json!({"uid_validity": uid_validity}),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves the position past a message that was not stored (gone from the folder).
    pub async fn imap_skip(
        &self,
        tenant_id: Uuid,
        position: &ImapPosition,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        match advance(&mut tx.conn(), tenant_id, position).await {
            // Already past it: nothing to move.
            Err(StoreError::Conflict {
                code: "mail_already_taken",
                ..
            }) => return Ok(()),
            other => other?,
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a poll's outcome for the admins. A failure, or the recovery after one, is an
    /// event (`mailbox.imap_failed` / `mailbox.imap_recovered`); a good poll after a good poll
    /// only moves `polled_at`, so a quiet mailbox does not fill the log.
    pub async fn imap_polled(
        &self,
        tenant_id: Uuid,
        mailbox_id: Uuid,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let Some(before) = sql_scalar_optional!(
            Option<String>,
            &mut conn,
            "SELECT imap_error FROM mailboxes WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            mailbox_id
        )?
        else {
            return Err(StoreError::NotFound);
        };
        let now = Utc::now().trunc_subsecs(6);
        match error {
            None => sql_execute!(
                &mut conn,
                "UPDATE mailboxes SET imap_polled_at = $3, imap_error = NULL, imap_error_at = NULL
                 WHERE tenant_id = $1 AND id = $2",
                tenant_id,
                mailbox_id,
                now
            )?,
            Some(error) => sql_execute!(
                &mut conn,
                "UPDATE mailboxes SET imap_error = $3, imap_error_at = $4 WHERE tenant_id = $1 AND id = $2",
                tenant_id,
                mailbox_id,
                error,
                now
            )?,
        };
        let kind = match (before.as_deref(), error) {
            (None, Some(_)) => Some("mailbox.imap_failed"),
            (Some(old), Some(new)) if old != new => Some("mailbox.imap_failed"),
            (Some(_), None) => Some("mailbox.imap_recovered"),
            _ => None,
        };
        if let Some(kind) = kind {
            record(
                &mut conn,
                Change {
                    tenant_id,
                    kind,
                    entity_type: "mailbox",
                    entity_id: Some(mailbox_id),
                    actor: &Actor::system(),
                    payload: serde_json::json!({"error": error}),
                    audit: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
