//! Messages customers leave while nobody can answer: finding conversations that have gone quiet
//! in a queue, and carrying one on as a ticket, with a notice to the customer, in one transaction.

use crate::conversations::{
    Conversation, NewMessage, apply_move, insert_message, load_conversation,
};
use crate::events::Actor;
use crate::sql::Conn;
use crate::tickets::{
    CommentAuthor, NewComment, NewTicket, Ticket, insert_comment, insert_ticket, load_ticket,
};
use crate::{ConversationMove, Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use kefu_core::{ConversationStatus, MessageKind, SenderKind};
use uuid::Uuid;

/// The disposition a carried conversation is resolved with (the agents' "carried on as a
/// ticket" code).
pub const CARRIED_DISPOSITION: &str = "transferred_to_ticket";

/// What to do with one quiet conversation, prepared by the caller from its transcript.
pub struct LeftMessage {
    /// Opened when the conversation has no open ticket yet.
    pub ticket: NewTicket,
    /// Added, as the customer's comment, to the conversation's open ticket when it has one
    /// (the customer wrote again after an earlier carry).
    pub follow_up: String,
    /// Nothing is carried when the customer wrote after this: they may still be typing.
    pub quiet_since: DateTime<Utc>,
}

/// What became of the message.
#[derive(Debug, Clone, PartialEq)]
pub enum Carried {
    /// A new ticket holds it.
    Opened(Ticket),
    /// It was added to the ticket an earlier message of the conversation opened.
    Added(Ticket),
    /// The conversation is no longer waiting quietly (taken, resolved or written to): untouched.
    NotQuiet,
}

impl Carried {
    pub fn ticket(&self) -> Option<&Ticket> {
        match self {
            Carried::Opened(ticket) | Carried::Added(ticket) => Some(ticket),
            Carried::NotQuiet => None,
        }
    }
}

/// The conversation's newest ticket that still takes comments.
async fn open_ticket_of(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    conversation_id: Uuid,
) -> Result<Option<Ticket>, StoreError> {
    let id = sql_scalar_optional!(
        Uuid,
        &mut *conn,
        "SELECT tickets.id FROM ticket_conversations
           JOIN tickets ON tickets.tenant_id = ticket_conversations.tenant_id AND tickets.id = ticket_conversations.ticket_id
         WHERE ticket_conversations.tenant_id = $1 AND ticket_conversations.conversation_id = $2 AND tickets.status <> 'closed'
         ORDER BY tickets.number DESC LIMIT 1",
        tenant_id,
        conversation_id
    )?;
    match id {
        Some(id) => Ok(Some(load_ticket(&mut *conn, tenant_id, id).await?)),
        None => Ok(None),
    }
}

fn is_quiet(conversation: &Conversation, quiet_since: DateTime<Utc>) -> bool {
    conversation.status == ConversationStatus::Queued
        && conversation
            .last_message_at
            .is_some_and(|last| last <= quiet_since)
}

impl Store {
    /// Conversations of every tenant waiting in a queue whose last message is older than
    /// `quiet_since`, longest quiet first.
    pub async fn quiet_queued_conversations(
        &self,
        quiet_since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            (Uuid, Uuid),
            read.conn(),
            "SELECT tenant_id, id FROM conversations
             WHERE status = 'queued' AND last_message_at <= $1
             ORDER BY last_message_at LIMIT $2",
            quiet_since,
            i64::from(limit)
        )?)
    }

    /// Carries a quiet conversation on as a ticket: opens one (or adds to the one an earlier
    /// carry opened), tells the customer with `notice(ticket)` in the conversation, and
    /// resolves it with [`CARRIED_DISPOSITION`] — all or nothing, so a crash neither loses the
    /// message nor carries it twice.
    pub async fn carry_left_message(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        left: LeftMessage,
        notice: impl FnOnce(&Ticket) -> String + Send,
        actor: &Actor,
    ) -> Result<Carried, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let conversation = load_conversation(&mut conn, tenant_id, conversation_id).await?;
        if !is_quiet(&conversation, left.quiet_since) {
            return Ok(Carried::NotQuiet);
        }
        let carried = match open_ticket_of(&mut conn, tenant_id, conversation_id).await? {
            Some(ticket) => {
                let comment = NewComment {
                    author_kind: CommentAuthor::Customer,
                    author_id: Some(conversation.customer_id),
                    public: true,
                    body: left.follow_up,
                };
                let (_, ticket) =
                    insert_comment(&mut conn, tenant_id, ticket.id, comment, &[], actor).await?;
                Carried::Added(ticket)
            }
            None => Carried::Opened(insert_ticket(&mut conn, tenant_id, left.ticket, actor).await?),
        };
        let Some(ticket) = carried.ticket() else {
            return Ok(Carried::NotQuiet);
        };
        let notice = NewMessage {
            sender_kind: SenderKind::System,
            sender_id: None,
            kind: MessageKind::Text,
            body: notice(ticket),
            client_msg_id: None,
            attachment_ids: Vec::new(),
        };
        let now = Utc::now().trunc_subsecs(6);
        insert_message(
            &mut conn,
            tenant_id,
            &conversation,
            notice,
            Vec::new(),
            None,
            now,
            actor,
        )
        .await?;
        let resolve = ConversationMove {
            expected: Some(ConversationStatus::Queued),
            disposition: Some(CARRIED_DISPOSITION.to_owned()),
            reason: Some("left_message"),
            ..ConversationMove::to(ConversationStatus::Resolved)
        };
        apply_move(&mut conn, tenant_id, &conversation, &resolve, actor).await?;
        tx.commit().await?;
        Ok(carried)
    }
}
