//! The service bot in live conversations: every customer message to a conversation that is
//! with the bot gets one turn (answer, choices, rephrase, or handoff to the queue), stored once.

use crate::knowledge::TenantKnowledge;
use crate::state::AppState;
use kefu_core::{ConversationStatus, SenderKind};
use kefu_knowledge::turn::{did_you_mean_text, handoff_text, rephrase_text};
use kefu_knowledge::{Decision, Handoff, Match, ReplyLanguage, failed_attempts_after};
use kefu_store::{
    Actor, BotGuess, BotReply, Conversation, Message, NewBotTurn, RecordedTurn, StoreError,
};
use uuid::Uuid;

/// Answers one customer message of a conversation with the bot. A message answered before
/// (a retried send) keeps its first answer; nothing is answered once a person has it. Errors
/// are logged, never shown: the customer's own message is stored whatever happens here, and a
/// retry of it tries the turn again.
pub async fn take_turn(
    state: &AppState,
    tenant_id: Uuid,
    conversation: &Conversation,
    question: &Message,
    choice: Option<Uuid>,
) -> Option<RecordedTurn> {
    if conversation.status != ConversationStatus::Bot
        || question.sender_kind != SenderKind::Customer
    {
        return None;
    }
    let store = state.store();
    if let Ok(Some(_)) = store.bot_turn_for_question(tenant_id, question.id).await {
        return None;
    }
    let failed = match store.bot_session(tenant_id, conversation.id).await {
        Ok(session) => session.map_or(0, |s| u32::try_from(s.failed_attempts).unwrap_or(0)),
        Err(err) => {
            tracing::warn!(%err, "reading the bot session");
            0
        }
    };
    let channel = match store.inbox(tenant_id, conversation.inbox_id).await {
        Ok(inbox) => inbox.channel.as_str(),
        Err(_) => "web",
    };
    let plan = match state.knowledge().current(store, tenant_id).await {
        Ok(knowledge) => plan(&knowledge, channel, &question.body, failed, choice),
        Err(err) => {
            tracing::warn!(code = %err.code, "the bot has no knowledge to answer with");
            failure(&question.body, failed, Vec::new())
        }
    };
    let new = NewBotTurn {
        question_message_id: question.id,
        question: question.body.clone(),
        body: plan.body,
        reply: plan.reply,
        confidence: plan.confidence,
        guesses: plan.guesses,
        handoff_reason: plan.handoff.map(|h| h.as_str().to_owned()),
        failed_attempts: i64::from(plan.failed_attempts),
    };
    match store
        .record_bot_turn(tenant_id, conversation.id, new, &Actor::system())
        .await
    {
        Ok(recorded) => Some(recorded),
        // A person took it meanwhile: they answer now.
        Err(StoreError::Conflict { .. }) => None,
        Err(err) => {
            tracing::error!(%err, conversation = %conversation.id, "storing the bot's turn");
            None
        }
    }
}

/// What one turn will say and do.
struct Plan {
    body: String,
    reply: BotReply,
    confidence: Option<f64>,
    guesses: Vec<BotGuess>,
    handoff: Option<Handoff>,
    failed_attempts: u32,
}

fn reply_of(action: &str) -> BotReply {
    BotReply {
        action: action.to_owned(),
        faq_id: None,
        choices: Vec::new(),
        helpful: None,
    }
}

/// The polite fallback: the bot could not answer, so a person will.
fn failure(question: &str, failed: u32, guesses: Vec<BotGuess>) -> Plan {
    let language = ReplyLanguage::of(question);
    Plan {
        body: handoff_text(language, Handoff::Failed).to_owned(),
        reply: reply_of("handoff"),
        confidence: guesses.first().map(|g| g.confidence),
        guesses,
        handoff: Some(Handoff::Failed),
        failed_attempts: failed,
    }
}

fn guesses(knowledge: &TenantKnowledge, matches: &[Match]) -> Vec<BotGuess> {
    matches
        .iter()
        .filter_map(|m| {
            Some(BotGuess {
                faq_id: knowledge.faq_id(m.entry)?,
                question: knowledge.base.entry(m.entry)?.question.clone(),
                confidence: f64::from(m.confidence),
            })
        })
        .collect()
}

/// The answer of one FAQ entry, as a plan.
fn answer(
    knowledge: &TenantKnowledge,
    channel: &str,
    entry: usize,
    confidence: Option<f64>,
    guesses: Vec<BotGuess>,
) -> Option<Plan> {
    let body = knowledge.answer_for(entry, channel)?.to_owned();
    Some(Plan {
        body,
        reply: BotReply {
            faq_id: Some(knowledge.faq_id(entry)?),
            ..reply_of("answer")
        },
        confidence,
        guesses,
        handoff: None,
        failed_attempts: 0,
    })
}

fn plan(
    knowledge: &TenantKnowledge,
    channel: &str,
    question: &str,
    failed: u32,
    choice: Option<Uuid>,
) -> Plan {
    // A "did you mean" choice names its FAQ: answer it, no matching on the text.
    if let Some(entry) = choice.and_then(|id| {
        (0..knowledge.base.entries().len()).find(|&entry| knowledge.faq_id(entry) == Some(id))
    }) && let Some(plan) = answer(knowledge, channel, entry, None, Vec::new())
    {
        return plan;
    }
    let decision =
        match kefu_knowledge::reply(&knowledge.base, &knowledge.settings, question, failed) {
            Ok(decision) => decision,
            Err(err) => {
                tracing::info!(code = %err.code(), "the bot cannot take this message");
                // A request for a person still counts when the text cannot be matched.
                let why = if kefu_knowledge::wants_human(question) {
                    Handoff::Requested
                } else {
                    Handoff::Failed
                };
                return Plan {
                    body: handoff_text(ReplyLanguage::of(question), why).to_owned(),
                    handoff: Some(why),
                    ..failure(question, failed, Vec::new())
                };
            }
        };
    let language = ReplyLanguage::of(question);
    let best = guesses(knowledge, decision.best());
    let confidence = decision.best().first().map(|m| f64::from(m.confidence));
    let failed_attempts = failed_attempts_after(&decision, failed);
    let base = |body: &str, reply: BotReply, handoff: Option<Handoff>, best: Vec<BotGuess>| Plan {
        body: body.to_owned(),
        reply,
        confidence,
        guesses: best,
        handoff,
        failed_attempts,
    };
    match &decision {
        Decision::Answer { answer: top, .. } => {
            answer(knowledge, channel, top.entry, confidence, best.clone())
                .unwrap_or_else(|| failure(question, failed, best))
        }
        Decision::DidYouMean { choices, .. } => base(
            did_you_mean_text(language),
            BotReply {
                choices: guesses(knowledge, choices),
                ..reply_of("did_you_mean")
            },
            None,
            best,
        ),
        Decision::Rephrase { attempt, .. } => base(
            rephrase_text(language, *attempt),
            reply_of("rephrase"),
            None,
            best,
        ),
        Decision::Handoff { reason, .. } => {
            let why = Handoff::from(*reason);
            base(
                handoff_text(language, why),
                reply_of("handoff"),
                Some(why),
                best,
            )
        }
    }
}
