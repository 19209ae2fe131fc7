//! Conversations: their lifecycle states and the moves allowed between them, who may write what
//! in one, and the limits on a message. The store refuses any move this table does not allow.

use crate::attachment::MAX_ATTACHMENTS_PER_MESSAGE;
use crate::error::ValidationErrors;
use serde::{Deserialize, Serialize};

/// Where a conversation is in its life. "Reopened" is not a state: a customer writing again
/// within the reopen window moves a resolved conversation back to `Queued`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// The bot is answering.
    Bot,
    /// Waiting for an agent.
    Queued,
    /// Offered to one agent, who has not accepted yet.
    Offered,
    /// An agent is serving it.
    Assigned,
    /// The agent finished talking and is doing after-contact work.
    WrapUp,
    Resolved,
}

impl ConversationStatus {
    pub const ALL: [ConversationStatus; 6] = [
        ConversationStatus::Bot,
        ConversationStatus::Queued,
        ConversationStatus::Offered,
        ConversationStatus::Assigned,
        ConversationStatus::WrapUp,
        ConversationStatus::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Bot => "bot",
            ConversationStatus::Queued => "queued",
            ConversationStatus::Offered => "offered",
            ConversationStatus::Assigned => "assigned",
            ConversationStatus::WrapUp => "wrap_up",
            ConversationStatus::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Open conversations still need someone: they are rebuilt into the router after a restart.
    pub fn is_open(self) -> bool {
        self != ConversationStatus::Resolved
    }

    /// Whether the lifecycle allows going from `self` to `to`. Staying put is allowed where it
    /// means something: a queued conversation moved to another queue, an assigned one handed
    /// straight to another agent.
    pub fn can_move_to(self, to: ConversationStatus) -> bool {
        use ConversationStatus::*;
        matches!(
            (self, to),
            (Bot, Queued | Resolved)
                | (Queued, Queued | Offered | Assigned | Resolved)
                | (Offered, Queued | Assigned | Resolved)
                | (Assigned, Queued | Offered | Assigned | WrapUp | Resolved)
                | (WrapUp, Assigned | Resolved)
                | (Resolved, Queued)
        )
    }

    /// The event kind recorded for a move: `conversation.<to>`, or `conversation.reopened`.
    pub fn event_kind(from: ConversationStatus, to: ConversationStatus) -> &'static str {
        match (from, to) {
            (ConversationStatus::Resolved, ConversationStatus::Queued) => "conversation.reopened",
            (_, ConversationStatus::Bot) => "conversation.bot",
            (_, ConversationStatus::Queued) => "conversation.queued",
            (_, ConversationStatus::Offered) => "conversation.offered",
            (_, ConversationStatus::Assigned) => "conversation.assigned",
            (_, ConversationStatus::WrapUp) => "conversation.wrap_up",
            (_, ConversationStatus::Resolved) => "conversation.resolved",
        }
    }

    /// Whether the conversation must name an agent in this state (and must not outside them).
    pub fn has_assignee(self) -> bool {
        matches!(
            self,
            ConversationStatus::Offered | ConversationStatus::Assigned | ConversationStatus::WrapUp
        )
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SenderKind {
    Customer,
    Agent,
    Bot,
    /// kefu itself: "transferred to 售后", "the customer left", …
    System,
}

impl SenderKind {
    pub const ALL: [SenderKind; 4] = [
        SenderKind::Customer,
        SenderKind::Agent,
        SenderKind::Bot,
        SenderKind::System,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SenderKind::Customer => "customer",
            SenderKind::Agent => "agent",
            SenderKind::Bot => "bot",
            SenderKind::System => "system",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// What a message is. Notes are internal: agents see them, the customer never does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Text,
    Note,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Note => "note",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [MessageKind::Text, MessageKind::Note]
            .into_iter()
            .find(|k| k.as_str() == text)
    }

    pub fn visible_to_customer(self) -> bool {
        self == MessageKind::Text
    }
}

/// The longest message body accepted, in characters.
pub const MAX_MESSAGE_CHARS: usize = 10_000;
/// The longest client message id: clients use a UUID or a counter.
pub const MAX_CLIENT_MSG_ID: usize = 64;

/// Checks a message before it is stored: a body within limits (empty only when files carry the
/// message), at most a few files, only agents write notes, and a client message id made of
/// `[A-Za-z0-9_-]` (it is echoed in URLs and logs).
pub fn check_message(
    sender: SenderKind,
    kind: MessageKind,
    body: &str,
    client_msg_id: Option<&str>,
    attachments: usize,
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if body.trim().is_empty() {
        if attachments == 0 {
            errors.push("body", "required", "body must not be empty");
        }
    } else if body.chars().count() > MAX_MESSAGE_CHARS {
        errors.push(
            "body",
            "message_too_long",
            format!("body must be at most {MAX_MESSAGE_CHARS} characters"),
        );
    }
    if attachments > MAX_ATTACHMENTS_PER_MESSAGE {
        errors.push(
            "attachment_ids",
            "too_many_attachments",
            format!("a message carries at most {MAX_ATTACHMENTS_PER_MESSAGE} files"),
        );
    }
    if kind == MessageKind::Note && sender != SenderKind::Agent {
        errors.push(
            "kind",
            "note_not_allowed",
            "only agents write internal notes",
        );
    }
    if let Some(id) = client_msg_id {
        let well_formed = !id.is_empty()
            && id.len() <= MAX_CLIENT_MSG_ID
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            errors.push(
                "client_msg_id",
                "invalid_client_msg_id",
                format!("client_msg_id must be 1–{MAX_CLIENT_MSG_ID} of A–Z, a–z, 0–9, '-', '_'"),
            );
        }
    }
    errors.into_result()
}

/// What a new customer message does to the conversation it is addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerMessageEffect {
    /// Appended; the state does not change.
    Append,
    /// During wrap-up the customer writes again: back to the same agent.
    BackToAgent,
    /// Resolved within the reopen window: reopened and queued again.
    Reopen,
    /// Resolved longer ago than the window: a new conversation starts.
    NewConversation,
}

/// Decides a customer message's effect from the state and, for resolved conversations, how many
/// seconds have passed since they were resolved.
pub fn customer_message_effect(
    status: ConversationStatus,
    secs_since_resolved: Option<i64>,
    reopen_window_secs: i64,
) -> CustomerMessageEffect {
    match status {
        ConversationStatus::WrapUp => CustomerMessageEffect::BackToAgent,
        ConversationStatus::Resolved => match secs_since_resolved {
            Some(secs) if secs <= reopen_window_secs => CustomerMessageEffect::Reopen,
            _ => CustomerMessageEffect::NewConversation,
        },
        _ => CustomerMessageEffect::Append,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::ConversationStatus::*;
    use super::*;

    #[test]
    fn lifecycle_moves() {
        assert!(Bot.can_move_to(Queued));
        assert!(Queued.can_move_to(Offered) && Offered.can_move_to(Assigned));
        assert!(
            Offered.can_move_to(Queued),
            "a lapsed or rejected offer requeues"
        );
        assert!(Assigned.can_move_to(WrapUp) && WrapUp.can_move_to(Resolved));
        assert!(Resolved.can_move_to(Queued), "reopen");
        assert!(
            !Resolved.can_move_to(Assigned),
            "a reopened conversation is routed again"
        );
        assert!(!Queued.can_move_to(WrapUp));
        assert!(
            !Bot.can_move_to(Assigned),
            "the bot hands off through the queue"
        );
        assert!(!Resolved.can_move_to(Resolved));
        for status in ConversationStatus::ALL {
            assert_eq!(ConversationStatus::parse(status.as_str()), Some(status));
            assert!(!status.can_move_to(Bot), "nothing goes back to the bot");
        }
        assert_eq!(
            ConversationStatus::event_kind(Resolved, Queued),
            "conversation.reopened"
        );
        assert_eq!(
            ConversationStatus::event_kind(Offered, Queued),
            "conversation.queued"
        );
    }

    #[test]
    fn message_rules() {
        let ok = check_message(
            SenderKind::Customer,
            MessageKind::Text,
            "你好",
            Some("m-1"),
            0,
        );
        assert!(ok.is_ok());
        let err = check_message(SenderKind::Customer, MessageKind::Note, " ", Some("a b"), 0)
            .unwrap_err();
        let codes: Vec<_> = err.errors.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            ["required", "note_not_allowed", "invalid_client_msg_id"]
        );
        let long = "字".repeat(MAX_MESSAGE_CHARS + 1);
        let err = check_message(SenderKind::Agent, MessageKind::Note, &long, None, 0).unwrap_err();
        assert_eq!(err.primary_code(), "message_too_long");
        let exact = "字".repeat(MAX_MESSAGE_CHARS);
        assert!(check_message(SenderKind::Agent, MessageKind::Note, &exact, None, 0).is_ok());
        // Files may carry a message alone, but not too many of them.
        assert!(check_message(SenderKind::Customer, MessageKind::Text, " ", None, 1).is_ok());
        let err = check_message(SenderKind::Customer, MessageKind::Text, "", None, 11).unwrap_err();
        assert_eq!(err.primary_code(), "too_many_attachments");
        assert!(!MessageKind::Note.visible_to_customer());
    }

    #[test]
    fn customer_messages_reopen_within_the_window_only() {
        use CustomerMessageEffect as E;
        assert_eq!(customer_message_effect(Assigned, None, 60), E::Append);
        assert_eq!(customer_message_effect(WrapUp, None, 60), E::BackToAgent);
        assert_eq!(customer_message_effect(Resolved, Some(60), 60), E::Reopen);
        assert_eq!(
            customer_message_effect(Resolved, Some(61), 60),
            E::NewConversation
        );
        assert_eq!(
            customer_message_effect(Resolved, None, 60),
            E::NewConversation
        );
    }
}
