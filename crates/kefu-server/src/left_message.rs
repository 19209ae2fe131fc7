//! The rule that turns a message left while nobody could answer (out of hours, or no agent
//! available) into a ticket once the customer has gone quiet, and tells the customer its number.

use crate::routes::tickets::{TRANSCRIPT_MESSAGES, transcript, transcript_subject};
use crate::state::AppState;
use chrono::Utc;
use kefu_core::{SenderKind, TicketPriority, TicketType};
use kefu_store::{Actor, Carried, LeftMessage, Message, NewTicket, Store, StoreError, Ticket};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// Conversations one round looks at; the next round takes the rest.
const ROUND: u32 = 200;

/// The tag every carried ticket gets, so a view or a trigger can pick them out.
pub const LEFT_MESSAGE_TAG: &str = "left-message";

/// Carries, every `check_every`, the conversations that have waited `quiet_for` since their last
/// message while nobody could answer, until closing.
pub async fn run(state: AppState, quiet_for: Duration, check_every: Duration) {
    let Ok(quiet_for) = chrono::Duration::from_std(quiet_for) else {
        return;
    };
    crate::state::every(check_every, state.closing(), || {
        carry_due(&state, quiet_for)
    })
    .await;
}

async fn carry_due(state: &AppState, quiet_for: chrono::Duration) {
    let quiet_since = Utc::now() - quiet_for;
    let due = match state
        .store()
        .quiet_queued_conversations(quiet_since, ROUND)
        .await
    {
        Ok(due) => due,
        Err(err) => return tracing::warn!(%err, "left messages: listing quiet conversations"),
    };
    // Whether anyone could answer is the tenant's, and the same for the whole round.
    let mut unanswerable: HashMap<Uuid, bool> = HashMap::new();
    for (tenant_id, conversation_id) in due {
        let nobody = match unanswerable.get(&tenant_id) {
            Some(nobody) => *nobody,
            None => match nobody_can_answer(state, tenant_id).await {
                Ok(nobody) => *unanswerable.entry(tenant_id).or_insert(nobody),
                Err(err) => {
                    tracing::warn!(?err, %tenant_id, "left messages: service state");
                    continue;
                }
            },
        };
        if !nobody {
            continue;
        }
        match carry(state.store(), tenant_id, conversation_id, quiet_since).await {
            Ok(Carried::Opened(ticket)) => {
                tracing::info!(%tenant_id, %conversation_id, number = ticket.number, "left message carried on as a ticket");
            }
            Ok(Carried::Added(ticket)) => {
                tracing::info!(%tenant_id, %conversation_id, number = ticket.number, "left message added to its ticket");
            }
            Ok(Carried::NotQuiet) => {}
            Err(err) => {
                tracing::warn!(%err, %tenant_id, %conversation_id, "left messages: not carried");
            }
        }
    }
}

/// What the widget tells the customer before they write: closed, or nobody available.
async fn nobody_can_answer(
    state: &AppState,
    tenant_id: Uuid,
) -> Result<bool, crate::error::ApiError> {
    let service = crate::routes::widget::service_now(state, tenant_id).await?;
    Ok(!service.open || service.agents_available == 0)
}

async fn carry(
    store: &Store,
    tenant_id: Uuid,
    conversation_id: Uuid,
    quiet_since: chrono::DateTime<Utc>,
) -> Result<Carried, StoreError> {
    let conversation = store.conversation(tenant_id, conversation_id).await?;
    let inbox = store.inbox(tenant_id, conversation.inbox_id).await?;
    let messages = store
        .list_messages(tenant_id, conversation_id, false, None, TRANSCRIPT_MESSAGES)
        .await?
        .items;
    let left = LeftMessage {
        ticket: NewTicket {
            subject: transcript_subject(&conversation, &messages),
            description: transcript(&messages),
            requester_id: conversation.customer_id,
            channel: inbox.channel.as_str().to_owned(),
            priority: TicketPriority::Normal,
            ticket_type: TicketType::Question,
            tags: vec![LEFT_MESSAGE_TAG.to_owned()],
            assignee_id: None,
            group_id: None,
            conversation_id: Some(conversation_id),
            custom_fields: Default::default(),
        },
        follow_up: transcript(since_last_notice(&messages)),
        quiet_since,
    };
    let chinese = conversation.language.starts_with("zh");
    store
        .carry_left_message(
            tenant_id,
            conversation_id,
            left,
            |ticket| notice(ticket, chinese),
            &Actor::system(),
        )
        .await
}

/// The messages after kefu's last word in the conversation: what a reopened conversation adds.
fn since_last_notice(messages: &[Message]) -> &[Message] {
    let start = messages
        .iter()
        .rposition(|m| m.sender_kind == SenderKind::System)
        .map_or(0, |i| i + 1);
    &messages[start..]
}

fn notice(ticket: &Ticket, chinese: bool) -> String {
    let number = ticket.number;
    if chinese {
        format!(
            "您的留言已记录为工单 #{number}。客服上线后会尽快回复您；如您留下了邮箱，回复也会发送到邮箱。"
        )
    } else {
        format!(
            "Your message is now ticket #{number}. An agent will reply as soon as one is available; if you gave us your email address, the reply goes there too."
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use kefu_core::MessageKind;

    fn message(sender_kind: SenderKind, body: &str) -> Message {
        Message {
            id: Uuid::now_v7(),
            conversation_id: Uuid::nil(),
            sender_kind,
            sender_id: None,
            kind: MessageKind::Text,
            body: body.to_owned(),
            client_msg_id: None,
            attachments: Vec::new(),
            bot: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn a_reopened_conversation_adds_only_what_came_after_the_last_notice() {
        let messages = vec![
            message(SenderKind::Customer, "first"),
            message(SenderKind::System, "ticket #1001"),
            message(SenderKind::Customer, "second"),
            message(SenderKind::Customer, "third"),
        ];
        let bodies: Vec<_> = since_last_notice(&messages)
            .iter()
            .map(|m| m.body.as_str())
            .collect();
        assert_eq!(bodies, ["second", "third"]);
        let fresh = vec![message(SenderKind::Customer, "only")];
        assert_eq!(since_last_notice(&fresh).len(), 1);
    }
}
