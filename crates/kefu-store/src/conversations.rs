//! Conversations and their messages. Every state move is checked against the lifecycle in
//! kefu-core and recorded as an event; every message is an event too, so a client resuming from
//! the log sees each one exactly once. A retried send (same `client_msg_id`) finds its first copy.

use crate::attachments::{AttachmentMeta, attach, claimable};
use crate::events::{Actor, Change, record};
use crate::page::{Page, clamp_limit};
use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use kefu_core::{
    ConversationStatus, CustomerMessageEffect, MessageKind, SenderKind, check_message,
    customer_message_effect,
};
use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversation {
    pub id: Uuid,
    pub inbox_id: Uuid,
    pub customer_id: Uuid,
    pub status: ConversationStatus,
    pub language: String,
    pub topic: Option<String>,
    pub priority: i64,
    /// The agent offered it, serving it, or who served it last.
    pub assignee_id: Option<Uuid>,
    /// When it last joined the queue: the router orders by it, reports measure waits from it.
    pub enqueued_at: Option<DateTime<Utc>>,
    /// While offered: when the offer lapses unless the agent accepts.
    pub offer_expires_at: Option<DateTime<Utc>>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub disposition: Option<String>,
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
    pub last_message_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ConversationRow {
    id: Uuid,
    inbox_id: Uuid,
    customer_id: Uuid,
    status: String,
    language: String,
    topic: Option<String>,
    priority: i64,
    assignee_id: Option<Uuid>,
    enqueued_at: Option<DateTime<Utc>>,
    offer_expires_at: Option<DateTime<Utc>>,
    first_response_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    disposition: Option<String>,
    rating: Option<i64>,
    rating_comment: Option<String>,
    last_message_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ConversationRow> for Conversation {
    type Error = StoreError;
    fn try_from(row: ConversationRow) -> Result<Self, StoreError> {
        Ok(Conversation {
            id: row.id,
            inbox_id: row.inbox_id,
            customer_id: row.customer_id,
            status: ConversationStatus::parse(&row.status)
                .ok_or_else(|| StoreError::corrupt("conversations.status", &row.status))?,
            language: row.language,
            topic: row.topic,
            priority: row.priority,
            assignee_id: row.assignee_id,
            enqueued_at: row.enqueued_at,
            offer_expires_at: row.offer_expires_at,
            first_response_at: row.first_response_at,
            resolved_at: row.resolved_at,
            disposition: row.disposition,
            rating: row.rating,
            rating_comment: row.rating_comment,
            last_message_at: row.last_message_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

macro_rules! conversation_columns {
    () => {
        "id, inbox_id, customer_id, status, language, topic, priority, assignee_id, enqueued_at, offer_expires_at, first_response_at, resolved_at, disposition, rating, rating_comment, last_message_at, created_at, updated_at"
    };
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub sender_kind: SenderKind,
    pub sender_id: Option<Uuid>,
    pub kind: MessageKind,
    /// Empty when the message has files.
    pub body: String,
    pub client_msg_id: Option<String>,
    /// The files it carries (download each from `/api/v1/attachments/{id}`).
    pub attachments: Vec<AttachmentMeta>,
    /// On a bot message: what it offers the customer (choices, "was this helpful?").
    pub bot: Option<crate::bot::BotReply>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: Uuid,
    conversation_id: Uuid,
    sender_kind: String,
    sender_id: Option<Uuid>,
    kind: String,
    body: String,
    client_msg_id: Option<String>,
    attachments: Option<Json<Vec<AttachmentMeta>>>,
    bot: Option<Json<crate::bot::BotReply>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;
    fn try_from(row: MessageRow) -> Result<Self, StoreError> {
        Ok(Message {
            id: row.id,
            conversation_id: row.conversation_id,
            sender_kind: SenderKind::parse(&row.sender_kind)
                .ok_or_else(|| StoreError::corrupt("messages.sender_kind", &row.sender_kind))?,
            sender_id: row.sender_id,
            kind: MessageKind::parse(&row.kind)
                .ok_or_else(|| StoreError::corrupt("messages.kind", &row.kind))?,
            body: row.body,
            client_msg_id: row.client_msg_id,
            attachments: row.attachments.map(|json| json.0).unwrap_or_default(),
            bot: row.bot.map(|json| json.0),
            created_at: row.created_at,
        })
    }
}

macro_rules! message_columns {
    () => {
        "id, conversation_id, sender_kind, sender_id, kind, body, client_msg_id, attachments, bot, created_at"
    };
}

#[derive(Debug, Clone)]
pub struct NewConversation {
    pub inbox_id: Uuid,
    pub customer_id: Uuid,
    /// `Queued`, or `Bot` when the inbox has a bot.
    pub status: ConversationStatus,
    pub language: String,
    pub topic: Option<String>,
    pub priority: i64,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub sender_kind: SenderKind,
    /// The agent for agent messages; none for the customer, the bot and the system.
    pub sender_id: Option<Uuid>,
    pub kind: MessageKind,
    pub body: String,
    pub client_msg_id: Option<String>,
    /// Uploads of this conversation, by the same side, not sent yet; repeats are ignored.
    pub attachment_ids: Vec<Uuid>,
}

/// The outcome of posting a message.
#[derive(Debug, Clone, Serialize)]
pub struct Posted {
    pub message: Message,
    /// The conversation after the message (reopened or back with its agent when that applied).
    pub conversation: Conversation,
    /// False when the message was a retry of one already stored: nothing new was written.
    pub created: bool,
}

/// A requested state move.
#[derive(Debug, Clone)]
pub struct ConversationMove {
    pub to: ConversationStatus,
    /// Required when moving to `Offered` or `Assigned`.
    pub assignee_id: Option<Uuid>,
    /// The state the caller saw; a different current state is a `conversation_state_changed`
    /// conflict (two agents accepting the same offer, say).
    pub expected: Option<ConversationStatus>,
    /// Set on `Resolved`: the agent's closing code.
    pub disposition: Option<String>,
    /// Moving back to the queue restarts the wait clock only when asked: a transfer keeps the
    /// original enqueue time so reports see the customer's whole wait.
    pub restart_wait: bool,
    /// Set on `Offered`: when the offer lapses.
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// Moves to another queue of the inbox (a transfer): the new topic, `Some(None)` for the
    /// inbox's own queue.
    pub topic: Option<Option<String>>,
    /// Why the move happened, for the event (e.g. `offer_timed_out`, `offer_rejected`,
    /// `transferred`, `server_restarted`).
    pub reason: Option<&'static str>,
}

impl ConversationMove {
    pub fn to(to: ConversationStatus) -> Self {
        ConversationMove {
            to,
            assignee_id: None,
            expected: None,
            disposition: None,
            restart_wait: false,
            offer_expires_at: None,
            topic: None,
            reason: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub statuses: Vec<ConversationStatus>,
    pub assignee_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub inbox_id: Option<Uuid>,
    /// Words in the customer's name or in any message (case-insensitive substring).
    pub query: Option<String>,
}

pub(crate) async fn load_conversation(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Conversation, StoreError> {
    sql_optional!(
        ConversationRow,
        conn,
        concat!(
            "SELECT ",
            conversation_columns!(),
            " FROM conversations WHERE tenant_id = $1 AND id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?
    .try_into()
}

/// Applies a checked move inside the caller's transaction and records its event.
pub(crate) async fn apply_move(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    current: &Conversation,
    change: &ConversationMove,
    actor: &Actor,
) -> Result<Conversation, StoreError> {
    let from = current.status;
    if change.expected.is_some_and(|expected| expected != from) {
        return Err(StoreError::conflict(
            "conversation_state_changed",
            format!("the conversation is {} now", from.as_str()),
            serde_json::json!({"status": from}),
        ));
    }
    if !from.can_move_to(change.to) {
        return Err(StoreError::conflict(
            "invalid_transition",
            format!(
                "a {} conversation cannot become {}",
                from.as_str(),
                change.to.as_str()
            ),
            serde_json::json!({"from": from, "to": change.to}),
        ));
    }
    let now = Utc::now();
    let assignee_id = match change.to {
        ConversationStatus::Offered | ConversationStatus::Assigned => {
            let Some(agent) = change.assignee_id.or(current.assignee_id) else {
                return Err(kefu_core::ValidationErrors::single(
                    "assignee_id",
                    "required",
                    "an offered or assigned conversation needs an agent",
                )
                .into());
            };
            let known = sql_scalar_optional!(
                Uuid,
                &mut *conn,
                "SELECT id FROM users WHERE tenant_id = $1 AND id = $2 AND active",
                tenant_id,
                agent
            )?;
            if known.is_none() {
                return Err(kefu_core::ValidationErrors::single(
                    "assignee_id",
                    "unknown_user",
                    "no such active user in this tenant",
                )
                .into());
            }
            Some(agent)
        }
        ConversationStatus::Bot | ConversationStatus::Queued => None,
        ConversationStatus::WrapUp | ConversationStatus::Resolved => current.assignee_id,
    };
    let enqueued_at = match (from, change.to) {
        (ConversationStatus::Bot | ConversationStatus::Resolved, ConversationStatus::Queued) => {
            Some(now)
        }
        (_, ConversationStatus::Queued) if change.restart_wait => Some(now),
        _ => current
            .enqueued_at
            .or(Some(now).filter(|_| change.to == ConversationStatus::Queued)),
    };
    let resolved_at = (change.to == ConversationStatus::Resolved).then_some(now);
    let disposition = if change.to == ConversationStatus::Resolved {
        change.disposition.clone()
    } else {
        None
    };
    let offer_expires_at = change
        .offer_expires_at
        .filter(|_| change.to == ConversationStatus::Offered);
    let topic = change
        .topic
        .clone()
        .unwrap_or_else(|| current.topic.clone());
    sql_execute!(
        &mut *conn,
        "UPDATE conversations SET status = $3, assignee_id = $4, enqueued_at = $5, resolved_at = $6, disposition = $7, updated_at = $8,
             offer_expires_at = $9, topic = $10
         WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        current.id,
        change.to.as_str(),
        assignee_id,
        enqueued_at,
        resolved_at,
        disposition.as_deref(),
        now,
        offer_expires_at,
        topic.as_deref()
    )?;
    let after = load_conversation(conn, tenant_id, current.id).await?;
    record(
        conn,
        Change {
            tenant_id,
            kind: ConversationStatus::event_kind(from, change.to),
            entity_type: "conversation",
            entity_id: Some(current.id),
            actor,
            payload: serde_json::json!({"from": from, "reason": change.reason, "conversation": after}),
            audit: None,
        },
    )
    .await?;
    Ok(after)
}

/// Inserts one message with its event inside the caller's transaction; `bot` only on a bot's.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_message(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    conversation: &Conversation,
    new: NewMessage,
    attachments: Vec<AttachmentMeta>,
    bot: Option<crate::bot::BotReply>,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Message, StoreError> {
    let conversation_id = conversation.id;
    let message = Message {
        id: Uuid::now_v7(),
        conversation_id,
        sender_kind: new.sender_kind,
        sender_id: new.sender_id,
        kind: new.kind,
        body: new.body,
        client_msg_id: new.client_msg_id,
        attachments,
        bot,
        // Microseconds: what PostgreSQL keeps, so this copy equals the stored row.
        created_at: now,
    };
    sql_execute!(
        &mut *conn,
        "INSERT INTO messages (id, tenant_id, conversation_id, sender_kind, sender_id, kind, body, client_msg_id, created_at, attachments, bot)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        message.id,
        tenant_id,
        conversation_id,
        message.sender_kind.as_str(),
        message.sender_id,
        message.kind.as_str(),
        &message.body,
        message.client_msg_id.as_deref(),
        now,
        (!message.attachments.is_empty()).then_some(Json(&message.attachments)),
        message.bot.as_ref().map(Json)
    )?;
    attach(conn, tenant_id, message.id, &message.attachments).await?;
    let first_agent_reply =
        message.sender_kind == SenderKind::Agent && message.kind == MessageKind::Text;
    sql_execute!(
        &mut *conn,
        "UPDATE conversations SET last_message_at = $3, updated_at = $3,
             first_response_at = CASE WHEN $4 AND first_response_at IS NULL THEN $3 ELSE first_response_at END
         WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        conversation_id,
        now,
        first_agent_reply
    )?;
    record(
        conn,
        Change {
            tenant_id,
            kind: "message.created",
            entity_type: "conversation",
            entity_id: Some(conversation_id),
            actor,
            payload: serde_json::json!({
                "message": message,
                "visible_to_customer": message.kind.visible_to_customer(),
                "customer_id": conversation.customer_id,
            }),
            audit: None,
        },
    )
    .await?;
    Ok(message)
}

impl Store {
    pub async fn start_conversation(
        &self,
        tenant_id: Uuid,
        new: NewConversation,
        actor: &Actor,
    ) -> Result<Conversation, StoreError> {
        if !matches!(
            new.status,
            ConversationStatus::Bot | ConversationStatus::Queued
        ) {
            return Err(kefu_core::ValidationErrors::single(
                "status",
                "invalid_transition",
                "a conversation starts with the bot or in the queue",
            )
            .into());
        }
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let live_customer = sql_scalar_optional!(
            Uuid,
            &mut conn,
            "SELECT c.id FROM customers c JOIN inboxes i ON i.tenant_id = c.tenant_id AND i.id = $3
             WHERE c.tenant_id = $1 AND c.id = $2 AND c.merged_into IS NULL",
            tenant_id,
            new.customer_id,
            new.inbox_id
        )?;
        if live_customer.is_none() {
            return Err(StoreError::NotFound);
        }
        let id = Uuid::now_v7();
        let now = Utc::now();
        let enqueued_at = (new.status == ConversationStatus::Queued).then_some(now);
        sql_execute!(
            &mut conn,
            "INSERT INTO conversations (id, tenant_id, inbox_id, customer_id, status, language, topic, priority, enqueued_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            id,
            tenant_id,
            new.inbox_id,
            new.customer_id,
            new.status.as_str(),
            &new.language,
            new.topic.as_deref(),
            new.priority,
            enqueued_at,
            now
        )?;
        if new.status == ConversationStatus::Bot {
            crate::bot::open_session(&mut conn, tenant_id, id, now).await?;
        }
        let conversation = load_conversation(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "conversation.created",
                entity_type: "conversation",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({"conversation": conversation}),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(conversation)
    }

    pub async fn conversation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> Result<Conversation, StoreError> {
        let mut read = self.read().await?;
        load_conversation(&mut read.conn(), tenant_id, id).await
    }

    /// Moves a conversation through its lifecycle (offer, accept, transfer, wrap up, resolve…).
    pub async fn move_conversation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        change: ConversationMove,
        actor: &Actor,
    ) -> Result<Conversation, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let current = load_conversation(&mut conn, tenant_id, id).await?;
        let after = apply_move(&mut conn, tenant_id, &current, &change, actor).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Stores a message and its event. A customer writing to a conversation in wrap-up brings
    /// it back to the agent; within the reopen window a resolved one is reopened and queued;
    /// later than that the message is refused with `conversation_closed` (start a new one).
    pub async fn post_message(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        new: NewMessage,
        reopen_window_secs: i64,
        actor: &Actor,
    ) -> Result<Posted, StoreError> {
        let mut attachment_ids = new.attachment_ids.clone();
        let mut seen = std::collections::HashSet::new();
        attachment_ids.retain(|id| seen.insert(*id));
        check_message(
            new.sender_kind,
            new.kind,
            &new.body,
            new.client_msg_id.as_deref(),
            attachment_ids.len(),
        )?;
        let actor = actor.clone();
        // Messages that arrive together share one transaction (see `group_commit`).
        self.grouped(tenant_id, move |mut conn| {
            Box::pin(async move {
                post_message_in(
                    &mut conn,
                    tenant_id,
                    conversation_id,
                    new,
                    attachment_ids,
                    reopen_window_secs,
                    &actor,
                )
                .await
            })
        })
        .await
    }

    /// A conversation's messages, oldest first; notes only when `include_notes` (agents).
    pub async fn list_messages(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        include_notes: bool,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<Message>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        load_conversation(&mut conn, tenant_id, conversation_id).await?;
        let rows = sql_all!(
            MessageRow,
            &mut conn,
            concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages WHERE tenant_id = $1 AND conversation_id = $2
                 AND ($3 OR kind <> 'note') AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5"
            ),
            tenant_id,
            conversation_id,
            include_notes,
            after,
            clamp_limit(limit)
        )?;
        let messages = rows
            .into_iter()
            .map(Message::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(messages, limit, |m| m.id))
    }

    /// Conversations newest first, filtered by state, agent, customer or inbox.
    pub async fn list_conversations(
        &self,
        tenant_id: Uuid,
        filter: &ConversationFilter,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<Conversation>, StoreError> {
        let mut read = self.read().await?;
        let statuses = crate::sql::status_set(filter.statuses.iter().map(|s| s.as_str()));
        let pattern = crate::sql::contains_pattern(filter.query.as_deref());
        let rows = sql_all!(
            ConversationRow,
            read.conn(),
            concat!(
                "SELECT ",
                conversation_columns!(),
                " FROM conversations WHERE tenant_id = $1
                 AND ($2 IS NULL OR $2 LIKE '%,' || status || ',%')
                 AND ($3 IS NULL OR assignee_id = $3)
                 AND ($4 IS NULL OR customer_id = $4)
                 AND ($5 IS NULL OR inbox_id = $5)
                 AND ($6 IS NULL OR id < $6)
                 AND ($8 IS NULL
                      OR EXISTS (SELECT 1 FROM customers cu WHERE cu.tenant_id = conversations.tenant_id
                                 AND cu.id = conversations.customer_id AND lower(cu.name) LIKE $8 ESCAPE '\\')
                      OR EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id = conversations.tenant_id
                                 AND m.conversation_id = conversations.id AND lower(m.body) LIKE $8 ESCAPE '\\'))
                 ORDER BY id DESC LIMIT $7"
            ),
            tenant_id,
            statuses,
            filter.assignee_id,
            filter.customer_id,
            filter.inbox_id,
            before,
            clamp_limit(limit),
            pattern.as_deref()
        )?;
        let conversations = rows
            .into_iter()
            .map(Conversation::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(conversations, limit, |c| c.id))
    }

    /// Marks the conversation read by the user up to now (events carry it to their other tabs).
    pub async fn mark_read(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        user_id: Uuid,
        actor: &Actor,
    ) -> Result<DateTime<Utc>, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        load_conversation(&mut conn, tenant_id, conversation_id).await?;
        let now = Utc::now().trunc_subsecs(6);
        sql_execute!(
            &mut conn,
            "INSERT INTO conversation_reads (tenant_id, conversation_id, user_id, read_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id, conversation_id, user_id) DO UPDATE SET read_at = excluded.read_at",
            tenant_id,
            conversation_id,
            user_id,
            now
        )?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "conversation.read",
                entity_type: "conversation",
                entity_id: Some(conversation_id),
                actor,
                payload: serde_json::json!({"user_id": user_id, "read_at": now}),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(now)
    }

    /// Customer messages the user has not read, per open conversation they hold or are offered.
    pub async fn unread_counts(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
    ) -> Result<Vec<(Uuid, i64)>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Unread {
            conversation_id: Uuid,
            unread: i64,
        }
        let mut read = self.read().await?;
        let rows = sql_all!(
            Unread,
            read.conn(),
            "SELECT c.id AS conversation_id, COUNT(m.id) AS unread
             FROM conversations c
             LEFT JOIN conversation_reads r
                    ON r.tenant_id = c.tenant_id AND r.conversation_id = c.id AND r.user_id = $2
             JOIN messages m
                    ON m.tenant_id = c.tenant_id AND m.conversation_id = c.id AND m.sender_kind = 'customer'
                   AND (r.read_at IS NULL OR m.created_at > r.read_at)
             WHERE c.tenant_id = $1 AND c.assignee_id = $2 AND c.status IN ('offered', 'assigned', 'wrap_up')
             GROUP BY c.id
             ORDER BY c.id",
            tenant_id,
            user_id
        )?;
        Ok(rows
            .into_iter()
            .map(|row| (row.conversation_id, row.unread))
            .collect())
    }

    /// Every conversation waiting for or held by an agent, in the order they joined the queue:
    /// what the router is rebuilt from after a restart.
    pub async fn routable_conversations(
        &self,
        tenant_id: Uuid,
    ) -> Result<Vec<Conversation>, StoreError> {
        let mut read = self.read().await?;
        sql_all!(
            ConversationRow,
            read.conn(),
            concat!(
                "SELECT ",
                conversation_columns!(),
                " FROM conversations WHERE tenant_id = $1 AND status IN ('queued', 'offered', 'assigned', 'wrap_up')
                 ORDER BY enqueued_at, id"
            ),
            tenant_id
        )?
        .into_iter()
        .map(Conversation::try_from)
        .collect()
    }

    /// The customer's satisfaction rating (1–5) of a resolved conversation; given once.
    pub async fn rate_conversation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        rating: i64,
        comment: Option<String>,
        actor: &Actor,
    ) -> Result<Conversation, StoreError> {
        let mut errors = kefu_core::ValidationErrors::new();
        if !(1..=5).contains(&rating) {
            errors.push("rating", "invalid_rating", "rating must be 1 to 5");
        }
        if comment.as_ref().is_some_and(|c| c.chars().count() > 2000) {
            errors.push(
                "comment",
                "too_long",
                "comment must be at most 2000 characters",
            );
        }
        errors.into_result()?;
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let current = load_conversation(&mut conn, tenant_id, id).await?;
        if current.status != ConversationStatus::Resolved {
            return Err(StoreError::conflict(
                "conversation_not_resolved",
                "only a resolved conversation can be rated",
                serde_json::json!({"status": current.status}),
            ));
        }
        if current.rating.is_some() {
            return Err(StoreError::conflict(
                "already_rated",
                "this conversation was already rated",
                serde_json::json!({"rating": current.rating}),
            ));
        }
        sql_execute!(
            &mut conn,
            "UPDATE conversations SET rating = $3, rating_comment = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            rating,
            comment.as_deref(),
            Utc::now()
        )?;
        let after = load_conversation(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "conversation.rated",
                entity_type: "conversation",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({"rating": rating, "comment": comment, "conversation": after}),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// The body of [`Store::post_message`], inside its group's transaction.
async fn post_message_in(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    conversation_id: Uuid,
    new: NewMessage,
    attachment_ids: Vec<Uuid>,
    reopen_window_secs: i64,
    actor: &Actor,
) -> Result<Posted, StoreError> {
    let conversation = load_conversation(&mut *conn, tenant_id, conversation_id).await?;
    if let Some(client_msg_id) = &new.client_msg_id {
        let earlier = sql_optional!(
            MessageRow,
            &mut *conn,
            concat!(
                "SELECT ",
                message_columns!(),
                " FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND sender_kind = $3 AND client_msg_id = $4"
            ),
            tenant_id,
            conversation_id,
            new.sender_kind.as_str(),
            client_msg_id
        )?;
        if let Some(earlier) = earlier {
            return Ok(Posted {
                message: earlier.try_into()?,
                conversation,
                created: false,
            });
        }
    }
    let now = Utc::now().trunc_subsecs(6);
    let closed = |conversation: &Conversation| {
        StoreError::conflict(
            "conversation_closed",
            "the conversation is resolved; start a new one",
            serde_json::json!({"conversation_id": conversation.id}),
        )
    };
    match new.sender_kind {
        SenderKind::Customer => {
            let since = conversation
                .resolved_at
                .map(|resolved| (now - resolved).num_seconds());
            let reopen =
                match customer_message_effect(conversation.status, since, reopen_window_secs) {
                    CustomerMessageEffect::Append => None,
                    CustomerMessageEffect::BackToAgent => {
                        Some(ConversationMove::to(ConversationStatus::Assigned))
                    }
                    CustomerMessageEffect::Reopen => {
                        Some(ConversationMove::to(ConversationStatus::Queued))
                    }
                    CustomerMessageEffect::NewConversation => {
                        return Err(closed(&conversation));
                    }
                };
            if let Some(change) = reopen {
                apply_move(&mut *conn, tenant_id, &conversation, &change, actor).await?;
            }
        }
        // Notes may be added to a closed conversation; replies may not.
        _ if conversation.status == ConversationStatus::Resolved
            && new.kind == MessageKind::Text =>
        {
            return Err(closed(&conversation));
        }
        _ => {}
    }
    let attachments = claimable(
        &mut *conn,
        tenant_id,
        conversation_id,
        new.sender_kind,
        &attachment_ids,
    )
    .await?;
    let message = insert_message(
        &mut *conn,
        tenant_id,
        &conversation,
        new,
        attachments,
        None,
        now,
        actor,
    )
    .await?;
    let conversation = load_conversation(&mut *conn, tenant_id, conversation_id).await?;
    Ok(Posted {
        message,
        conversation,
        created: true,
    })
}
