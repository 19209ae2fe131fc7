//! The conversations a ticket carries on: any number of them, linked and unlinked by agents
//! and moved along on a merge. `tickets.conversation_id` stays the first one still linked, so
//! readers that know only one link keep working.

use crate::events::{Actor, Change, record};
use crate::sql::Conn;
use crate::tickets::{changed_fields, load_ticket};
use crate::{Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use kefu_core::ValidationErrors;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketConversation {
    pub conversation_id: Uuid,
    pub linked_at: DateTime<Utc>,
}

pub(crate) async fn links_in(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    ticket_id: Uuid,
) -> Result<Vec<TicketConversation>, StoreError> {
    Ok(sql_all!(
        TicketConversation,
        &mut *conn,
        "SELECT conversation_id, linked_at FROM ticket_conversations WHERE tenant_id = $1 AND ticket_id = $2
         ORDER BY linked_at, conversation_id",
        tenant_id,
        ticket_id
    )?)
}

/// Links a conversation (already checked to be the tenant's); `false` when it was linked.
pub(crate) async fn link_in(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    ticket_id: Uuid,
    conversation_id: Uuid,
    linked_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let inserted = sql_execute!(
        &mut *conn,
        "INSERT INTO ticket_conversations (tenant_id, ticket_id, conversation_id, linked_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
        tenant_id,
        ticket_id,
        conversation_id,
        linked_at
    )?;
    Ok(inserted > 0)
}

/// Points `tickets.conversation_id` at the first link left, recording the change if any.
async fn sync_origin(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    ticket_id: Uuid,
    actor: &Actor,
) -> Result<(), StoreError> {
    let before = load_ticket(&mut *conn, tenant_id, ticket_id).await?;
    let first = links_in(&mut *conn, tenant_id, ticket_id)
        .await?
        .first()
        .map(|l| l.conversation_id);
    if first == before.conversation_id {
        return Ok(());
    }
    sql_execute!(
        &mut *conn,
        "UPDATE tickets SET conversation_id = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        ticket_id,
        first,
        Utc::now().trunc_subsecs(6)
    )?;
    let after = load_ticket(&mut *conn, tenant_id, ticket_id).await?;
    record(
        &mut *conn,
        Change {
            tenant_id,
            kind: "ticket.updated",
            entity_type: "ticket",
            entity_id: Some(ticket_id),
            actor,
            payload: serde_json::json!({"changes": changed_fields(&before, &after), "ticket": after}),
            audit: None,
        },
    )
    .await?;
    Ok(())
}

/// Moves every link of a merged ticket to the one it went into, and answers the
/// conversations moved; the caller sets both tickets' `conversation_id` in its own update.
pub(crate) async fn merge_into(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    source_id: Uuid,
    target_id: Uuid,
) -> Result<Vec<Uuid>, StoreError> {
    let links = links_in(&mut *conn, tenant_id, source_id).await?;
    let mut moved = Vec::new();
    for link in &links {
        if link_in(
            &mut *conn,
            tenant_id,
            target_id,
            link.conversation_id,
            link.linked_at,
        )
        .await?
        {
            moved.push(link.conversation_id);
        }
    }
    sql_execute!(
        &mut *conn,
        "DELETE FROM ticket_conversations WHERE tenant_id = $1 AND ticket_id = $2",
        tenant_id,
        source_id
    )?;
    Ok(moved)
}

impl Store {
    /// The conversations a ticket carries on, first linked first.
    pub async fn ticket_conversations(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
    ) -> Result<Vec<TicketConversation>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        load_ticket(&mut conn, tenant_id, ticket_id).await?;
        links_in(&mut conn, tenant_id, ticket_id).await
    }

    /// Links one of the tenant's conversations to the ticket (once); another tenant's or an
    /// unknown one is an `unknown_reference` on `conversation_id`. Answers the links after.
    pub async fn link_ticket_conversation(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        conversation_id: Uuid,
        actor: &Actor,
    ) -> Result<Vec<TicketConversation>, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let ticket = load_ticket(&mut conn, tenant_id, ticket_id).await?;
        let known = sql_scalar_optional!(
            Uuid,
            &mut conn,
            "SELECT id FROM conversations WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            conversation_id
        )?;
        if known.is_none() {
            return Err(ValidationErrors::single(
                "conversation_id",
                "unknown_reference",
                "no such conversation in this tenant",
            )
            .into());
        }
        let now = Utc::now().trunc_subsecs(6);
        if link_in(&mut conn, tenant_id, ticket_id, conversation_id, now).await? {
            record(
                &mut conn,
                Change {
                    tenant_id,
                    kind: "ticket.conversation_linked",
                    entity_type: "ticket",
                    entity_id: Some(ticket_id),
                    actor,
                    payload: serde_json::json!({"conversation_id": conversation_id, "number": ticket.number}),
                    audit: None,
                },
            )
            .await?;
            sync_origin(&mut conn, tenant_id, ticket_id, actor).await?;
        }
        let links = links_in(&mut conn, tenant_id, ticket_id).await?;
        tx.commit().await?;
        Ok(links)
    }

    /// Unlinks a conversation; nothing happens when it was not linked. Unlinking the first
    /// one makes the next the ticket's `conversation_id`.
    pub async fn unlink_ticket_conversation(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        conversation_id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let ticket = load_ticket(&mut conn, tenant_id, ticket_id).await?;
        let removed = sql_execute!(
            &mut conn,
            "DELETE FROM ticket_conversations WHERE tenant_id = $1 AND ticket_id = $2 AND conversation_id = $3",
            tenant_id,
            ticket_id,
            conversation_id
        )?;
        if removed > 0 {
            record(
                &mut conn,
                Change {
                    tenant_id,
                    kind: "ticket.conversation_unlinked",
                    entity_type: "ticket",
                    entity_id: Some(ticket_id),
                    actor,
                    payload: serde_json::json!({"conversation_id": conversation_id, "number": ticket.number}),
                    audit: None,
                },
            )
            .await?;
            sync_origin(&mut conn, tenant_id, ticket_id, actor).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
