//! The service bot's rows: a session per conversation that started with the bot (failed
//! attempts, handoff), one turn per customer message it answered, feedback and the figures.
//! A turn, its message and a handoff to the queue are written in one transaction.

use crate::conversations::{
    Conversation, ConversationMove, Message, MessageRow, NewMessage, apply_move, insert_message,
    load_conversation,
};
use crate::events::{Actor, Change, record};
use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use kefu_core::{ConversationStatus, MessageKind, SenderKind};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;

/// What a bot message offers the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = BotMessage))]
pub struct BotReply {
    /// `answer`, `did_you_mean`, `rephrase`, `scenario` (a step of a guided flow) or `handoff`.
    pub action: String,
    /// The FAQ an `answer` gives: the widget asks "was this helpful?" about it.
    pub faq_id: Option<Uuid>,
    /// The "did you mean" choices; the customer sends the chosen one's `faq_id`.
    #[serde(default)]
    pub choices: Vec<BotGuess>,
    /// The customer's "was this helpful?", once given.
    pub helpful: Option<bool>,
    /// A scenario's buttons: the customer sends the chosen label as a message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// One FAQ the bot considered, with its confidence in [0, 1].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BotGuess {
    pub faq_id: Uuid,
    pub question: String,
    pub confidence: f64,
}

/// One answered customer message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BotTurn {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub question_message_id: Uuid,
    pub reply_message_id: Uuid,
    pub action: String,
    /// Set on a handoff: `requested`, `not_understood` or `bot_failed`.
    pub handoff_reason: Option<String>,
    pub question: String,
    /// The FAQ answered.
    pub faq_id: Option<Uuid>,
    /// The best match's confidence (none for a chosen FAQ or a failure).
    pub confidence: Option<f64>,
    /// The bot's best guesses, best first.
    pub guesses: Vec<BotGuess>,
    pub helpful: Option<bool>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct TurnRow {
    id: Uuid,
    conversation_id: Uuid,
    question_message_id: Uuid,
    reply_message_id: Uuid,
    action: String,
    handoff_reason: Option<String>,
    question: String,
    faq_id: Option<Uuid>,
    confidence: Option<f64>,
    guesses: Json<Vec<BotGuess>>,
    helpful: Option<bool>,
    created_at: DateTime<Utc>,
}

impl From<TurnRow> for BotTurn {
    fn from(row: TurnRow) -> Self {
        BotTurn {
            id: row.id,
            conversation_id: row.conversation_id,
            question_message_id: row.question_message_id,
            reply_message_id: row.reply_message_id,
            action: row.action,
            handoff_reason: row.handoff_reason,
            question: row.question,
            faq_id: row.faq_id,
            confidence: row.confidence,
            guesses: row.guesses.0,
            helpful: row.helpful,
            created_at: row.created_at,
        }
    }
}

macro_rules! turn_columns {
    () => {
        "id, conversation_id, question_message_id, reply_message_id, action, handoff_reason, question, faq_id, confidence, guesses, helpful, created_at"
    };
}

/// The bot's side of one conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BotSession {
    pub conversation_id: Uuid,
    pub started_at: DateTime<Utc>,
    /// Messages in a row the bot asked to rephrase.
    pub failed_attempts: i64,
    pub handoff_reason: Option<String>,
    pub handed_off_at: Option<DateTime<Utc>>,
    /// Where the customer is in a scenario (scenario, step, collected slots), while in one.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub scenario_state: Option<serde_json::Value>,
    /// What a scenario's handoff leaves the agent: the collected slots and, when the tenant's
    /// system failed, its error code.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub handoff_context: Option<serde_json::Value>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    conversation_id: Uuid,
    started_at: DateTime<Utc>,
    failed_attempts: i64,
    handoff_reason: Option<String>,
    handed_off_at: Option<DateTime<Utc>>,
    scenario_state: Option<Json<serde_json::Value>>,
    handoff_context: Option<Json<serde_json::Value>>,
}

impl From<SessionRow> for BotSession {
    fn from(row: SessionRow) -> Self {
        BotSession {
            conversation_id: row.conversation_id,
            started_at: row.started_at,
            failed_attempts: row.failed_attempts,
            handoff_reason: row.handoff_reason,
            handed_off_at: row.handed_off_at,
            scenario_state: row.scenario_state.map(|j| j.0),
            handoff_context: row.handoff_context.map(|j| j.0),
        }
    }
}

/// A turn to store: the bot's message and what it decided.
#[derive(Debug, Clone)]
pub struct NewBotTurn {
    pub question_message_id: Uuid,
    pub question: String,
    /// The text the customer reads.
    pub body: String,
    pub reply: BotReply,
    pub confidence: Option<f64>,
    pub guesses: Vec<BotGuess>,
    /// Hands the conversation to the queue, for this reason, in the same transaction.
    pub handoff_reason: Option<String>,
    /// The session's failed-attempt count after this turn.
    pub failed_attempts: i64,
    /// The session's scenario state after this turn; `None` when not in a scenario.
    pub scenario_state: Option<serde_json::Value>,
    /// Shown to the agent with a handoff (slots, an integration's error code).
    pub handoff_context: Option<serde_json::Value>,
}

/// A stored turn; `created` is false when the question had been answered before (a retry).
#[derive(Debug, Clone)]
pub struct RecordedTurn {
    pub turn: BotTurn,
    pub message: Message,
    pub conversation: Conversation,
    pub created: bool,
}

/// The bot's figures over a period (conversations by when they started).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BotCounts {
    pub started: i64,
    /// Answered at least once and never handed off.
    pub answered_without_handoff: i64,
    pub handed_off: i64,
    /// Handoffs by reason (`requested`, `not_understood`, `bot_failed`).
    pub handoff_reasons: std::collections::BTreeMap<String, i64>,
    pub helpful_yes: i64,
    pub helpful_no: i64,
}

/// Opens the bot session of a new conversation, inside the caller's transaction.
pub(crate) async fn open_session(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    conversation_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sql_execute!(
        conn,
        "INSERT INTO bot_sessions (tenant_id, conversation_id, started_at) VALUES ($1, $2, $3)",
        tenant_id,
        conversation_id,
        now
    )?;
    Ok(())
}

async fn turn_for_question(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    question_message_id: Uuid,
) -> Result<Option<BotTurn>, StoreError> {
    Ok(sql_optional!(
        TurnRow,
        conn,
        concat!(
            "SELECT ",
            turn_columns!(),
            " FROM bot_turns WHERE tenant_id = $1 AND question_message_id = $2"
        ),
        tenant_id,
        question_message_id
    )?
    .map(BotTurn::from))
}

async fn load_message(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Message, StoreError> {
    sql_optional!(
        MessageRow,
        conn,
        concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE tenant_id = $1 AND id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?
    .try_into()
}

impl Store {
    /// The conversation's bot session, if it started with the bot.
    pub async fn bot_session(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Option<BotSession>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_optional!(
            SessionRow,
            read.conn(),
            "SELECT conversation_id, started_at, failed_attempts, handoff_reason, handed_off_at,
                    scenario_state, handoff_context
             FROM bot_sessions WHERE tenant_id = $1 AND conversation_id = $2",
            tenant_id,
            conversation_id
        )?
        .map(BotSession::from))
    }

    /// The turn that answered this customer message, if any.
    pub async fn bot_turn_for_question(
        &self,
        tenant_id: Uuid,
        question_message_id: Uuid,
    ) -> Result<Option<BotTurn>, StoreError> {
        let mut read = self.read().await?;
        turn_for_question(&mut read.conn(), tenant_id, question_message_id).await
    }

    /// The conversation's turns, oldest first.
    pub async fn bot_turns(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
    ) -> Result<Vec<BotTurn>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            TurnRow,
            read.conn(),
            concat!(
                "SELECT ",
                turn_columns!(),
                " FROM bot_turns WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at, id"
            ),
            tenant_id,
            conversation_id
        )?
        .into_iter()
        .map(BotTurn::from)
        .collect())
    }

    /// Stores the bot's answer to one customer message: the bot's message (an event like any
    /// message), the turn, the session's count, and on a handoff the move to the queue with a
    /// `bot.handoff` event (reason and guesses, for staff only). A question answered before
    /// gives back that answer; a conversation no longer with the bot is `not_with_bot`.
    pub async fn record_bot_turn(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        new: NewBotTurn,
        actor: &Actor,
    ) -> Result<RecordedTurn, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let conversation = load_conversation(&mut conn, tenant_id, conversation_id).await?;
        if let Some(turn) = turn_for_question(&mut conn, tenant_id, new.question_message_id).await?
        {
            let message = load_message(&mut conn, tenant_id, turn.reply_message_id).await?;
            return Ok(RecordedTurn {
                turn,
                message,
                conversation,
                created: false,
            });
        }
        if conversation.status != ConversationStatus::Bot {
            return Err(StoreError::conflict(
                "not_with_bot",
                "the conversation is not with the bot any more",
                serde_json::json!({"status": conversation.status}),
            ));
        }
        let now = Utc::now().trunc_subsecs(6);
        let message = insert_message(
            &mut conn,
            tenant_id,
            &conversation,
            NewMessage {
                sender_kind: SenderKind::Bot,
                sender_id: None,
                kind: MessageKind::Text,
                body: new.body,
                client_msg_id: None,
                attachment_ids: Vec::new(),
            },
            Vec::new(),
            Some(new.reply.clone()),
            now,
            actor,
        )
        .await?;
        let turn = BotTurn {
            id: Uuid::now_v7(),
            conversation_id,
            question_message_id: new.question_message_id,
            reply_message_id: message.id,
            action: new.reply.action.clone(),
            handoff_reason: new.handoff_reason.clone(),
            question: new.question,
            faq_id: new.reply.faq_id,
            confidence: new.confidence,
            guesses: new.guesses,
            helpful: None,
            created_at: now,
        };
        sql_execute!(
            &mut conn,
            "INSERT INTO bot_turns (id, tenant_id, conversation_id, question_message_id, reply_message_id, action,
                 handoff_reason, question, faq_id, confidence, guesses, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            turn.id,
            tenant_id,
            conversation_id,
            turn.question_message_id,
            turn.reply_message_id,
            &turn.action,
            turn.handoff_reason.as_deref(),
            &turn.question,
            turn.faq_id,
            turn.confidence,
            Json(&turn.guesses),
            now
        )?;
        sql_execute!(
            &mut conn,
            "UPDATE bot_sessions SET failed_attempts = $3,
                 handoff_reason = COALESCE($4, handoff_reason),
                 handed_off_at = CASE WHEN $4 IS NULL THEN handed_off_at ELSE $5 END,
                 scenario_state = $6, handoff_context = COALESCE($7, handoff_context)
             WHERE tenant_id = $1 AND conversation_id = $2",
            tenant_id,
            conversation_id,
            new.failed_attempts,
            turn.handoff_reason.as_deref(),
            now,
            new.scenario_state.as_ref().map(Json),
            new.handoff_context.as_ref().map(Json)
        )?;
        let conversation = match &turn.handoff_reason {
            Some(reason) => {
                let change = ConversationMove {
                    expected: Some(ConversationStatus::Bot),
                    reason: Some("bot_handoff"),
                    ..ConversationMove::to(ConversationStatus::Queued)
                };
                let after = apply_move(&mut conn, tenant_id, &conversation, &change, actor).await?;
                record(
                    &mut conn,
                    Change {
                        tenant_id,
                        kind: "bot.handoff",
                        entity_type: "conversation",
                        entity_id: Some(conversation_id),
                        actor,
                        payload: serde_json::json!({
                            "reason": reason,
                            "question": turn.question,
                            "guesses": turn.guesses,
                            "context": new.handoff_context,
                            "visible_to_customer": false,
                        }),
                        audit: None,
                    },
                )
                .await?;
                after
            }
            None => load_conversation(&mut conn, tenant_id, conversation_id).await?,
        };
        tx.commit().await?;
        Ok(RecordedTurn {
            turn,
            message,
            conversation,
            created: true,
        })
    }

    /// The customer's "was this helpful?" on a bot answer of the conversation; given once
    /// (`feedback_given`), only on answers (`not_a_bot_answer`). Returns the updated message.
    pub async fn bot_feedback(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        message_id: Uuid,
        helpful: bool,
        actor: &Actor,
    ) -> Result<Message, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let message = load_message(&mut conn, tenant_id, message_id).await?;
        if message.conversation_id != conversation_id {
            return Err(StoreError::NotFound);
        }
        let Some(mut reply) = message.bot.clone().filter(|reply| reply.action == "answer") else {
            return Err(StoreError::conflict(
                "not_a_bot_answer",
                "feedback is taken on the bot's answers only",
                serde_json::json!({"message_id": message_id}),
            ));
        };
        if reply.helpful.is_some() {
            return Err(StoreError::conflict(
                "feedback_given",
                "this answer was already rated",
                serde_json::json!({"helpful": reply.helpful}),
            ));
        }
        reply.helpful = Some(helpful);
        sql_execute!(
            &mut conn,
            "UPDATE messages SET bot = $3 WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            message_id,
            Json(&reply)
        )?;
        sql_execute!(
            &mut conn,
            "UPDATE bot_turns SET helpful = $3 WHERE tenant_id = $1 AND reply_message_id = $2",
            tenant_id,
            message_id,
            helpful
        )?;
        let message = Message {
            bot: Some(reply),
            ..message
        };
        let customer_id = load_conversation(&mut conn, tenant_id, conversation_id)
            .await?
            .customer_id;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "bot.feedback",
                entity_type: "conversation",
                entity_id: Some(conversation_id),
                actor,
                payload: serde_json::json!({
                    "message": message,
                    "helpful": helpful,
                    "customer_id": customer_id,
                }),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(message)
    }

    /// The bot's figures for conversations started in `[from, to)`.
    pub async fn bot_counts(
        &self,
        tenant_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<BotCounts, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Totals {
            started: i64,
            answered: i64,
            handed_off: i64,
        }
        #[derive(sqlx::FromRow)]
        struct Reason {
            reason: String,
            n: i64,
        }
        #[derive(sqlx::FromRow)]
        struct Helpful {
            yes: i64,
            no: i64,
        }
        let mut read = self.read().await?;
        let totals = sql_optional!(
            Totals,
            read.conn(),
            "SELECT COUNT(*) AS started,
                    COALESCE(SUM(CASE WHEN s.handoff_reason IS NULL AND EXISTS (
                        SELECT 1 FROM bot_turns t WHERE t.tenant_id = s.tenant_id
                            AND t.conversation_id = s.conversation_id AND t.action IN ('answer', 'scenario'))
                        THEN 1 ELSE 0 END), 0) AS answered,
                    COALESCE(SUM(CASE WHEN s.handoff_reason IS NULL THEN 0 ELSE 1 END), 0) AS handed_off
             FROM bot_sessions s WHERE s.tenant_id = $1 AND s.started_at >= $2 AND s.started_at < $3",
            tenant_id,
            from,
            to
        )?;
        let reasons = sql_all!(
            Reason,
            read.conn(),
            "SELECT handoff_reason AS reason, COUNT(*) AS n FROM bot_sessions
             WHERE tenant_id = $1 AND started_at >= $2 AND started_at < $3 AND handoff_reason IS NOT NULL
             GROUP BY handoff_reason",
            tenant_id,
            from,
            to
        )?;
        let helpful = sql_optional!(
            Helpful,
            read.conn(),
            "SELECT COALESCE(SUM(CASE WHEN t.helpful THEN 1 ELSE 0 END), 0) AS yes,
                    COALESCE(SUM(CASE WHEN NOT t.helpful THEN 1 ELSE 0 END), 0) AS no
             FROM bot_turns t JOIN bot_sessions s
               ON s.tenant_id = t.tenant_id AND s.conversation_id = t.conversation_id
             WHERE t.tenant_id = $1 AND s.started_at >= $2 AND s.started_at < $3 AND t.helpful IS NOT NULL",
            tenant_id,
            from,
            to
        )?;
        let totals = totals.unwrap_or(Totals {
            started: 0,
            answered: 0,
            handed_off: 0,
        });
        let helpful = helpful.unwrap_or(Helpful { yes: 0, no: 0 });
        Ok(BotCounts {
            started: totals.started,
            answered_without_handoff: totals.answered,
            handed_off: totals.handed_off,
            handoff_reasons: reasons.into_iter().map(|r| (r.reason, r.n)).collect(),
            helpful_yes: helpful.yes,
            helpful_no: helpful.no,
        })
    }

    /// Turns the bot did not answer outright (choices, rephrase, handoff) in `[from, to)`,
    /// newest first: what the knowledge base editors look at.
    pub async fn bot_unanswered(
        &self,
        tenant_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<BotTurn>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            TurnRow,
            read.conn(),
            concat!(
                "SELECT ",
                turn_columns!(),
                " FROM bot_turns WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3
                 AND action NOT IN ('answer', 'scenario') ORDER BY created_at DESC, id DESC LIMIT $4"
            ),
            tenant_id,
            from,
            to,
            i64::from(limit)
        )?
        .into_iter()
        .map(BotTurn::from)
        .collect())
    }
}
