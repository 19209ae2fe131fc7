//! The service bot in live conversations: every customer message to a conversation that is
//! with the bot gets one turn (answer, choices, rephrase, a scenario's step, or handoff to the
//! queue), stored once; a scenario's calls to the tenant's systems are made here.

use crate::knowledge::TenantKnowledge;
use crate::state::AppState;
use kefu_core::{ConversationStatus, SenderKind};
use kefu_knowledge::scenario::{Input, Next, ScenarioState, advance};
use kefu_knowledge::turn::{did_you_mean_text, handoff_text, rephrase_text};
use kefu_knowledge::{Decision, Handoff, Match, ReplyLanguage, failed_attempts_after};
use kefu_store::{
    Actor, BotGuess, BotReply, Conversation, Message, NewBotTurn, RecordedTurn, StoreError,
};
use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;
use uuid::Uuid;

/// Most integration calls one customer message may cause.
const MAX_CALLS_PER_TURN: usize = 5;

/// The customer messages whose turn is being taken in this process.
#[derive(Default)]
pub struct TurnsInFlight {
    ids: Mutex<HashSet<Uuid>>,
}

/// Holds one message's turn; dropping it lets a later retry look again (and find the turn).
pub struct TurnClaim<'a> {
    turns: &'a TurnsInFlight,
    id: Uuid,
}

impl TurnsInFlight {
    /// `None` while another request takes this message's turn.
    pub fn claim(&self, id: Uuid) -> Option<TurnClaim<'_>> {
        // The guard is released before a claim exists: a refused claim is never built, since
        // dropping one takes the lock again (and would free the other request's id).
        let inserted = self.ids.lock().ok()?.insert(id);
        inserted.then(|| TurnClaim { turns: self, id })
    }
}

impl Drop for TurnClaim<'_> {
    fn drop(&mut self) {
        if let Ok(mut ids) = self.turns.ids.lock() {
            ids.remove(&self.id);
        }
    }
}

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
    // A retry racing its first copy: the first takes the turn, so no step runs twice.
    let _claim = state.bot_turns().claim(question.id)?;
    if let Ok(Some(_)) = store.bot_turn_for_question(tenant_id, question.id).await {
        return None;
    }
    let session = match store.bot_session(tenant_id, conversation.id).await {
        Ok(session) => session,
        Err(err) => {
            tracing::warn!(%err, "reading the bot session");
            None
        }
    };
    let failed = session
        .as_ref()
        .map_or(0, |s| u32::try_from(s.failed_attempts).unwrap_or(0));
    let in_scenario: Option<ScenarioState> = session
        .and_then(|s| s.scenario_state)
        .and_then(|v| serde_json::from_value(v).ok());
    let channel = match store.inbox(tenant_id, conversation.inbox_id).await {
        Ok(inbox) => inbox.channel.as_str(),
        Err(_) => "web",
    };
    let plan = match state.knowledge().current(store, tenant_id).await {
        Ok(knowledge) => {
            let text = &question.body;
            respond(
                state,
                tenant_id,
                &knowledge,
                channel,
                text,
                failed,
                choice,
                in_scenario,
            )
            .await
        }
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
        scenario_state: plan.scenario_state,
        handoff_context: plan.handoff_context,
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
#[derive(Debug, Clone)]
pub struct Plan {
    pub body: String,
    pub reply: BotReply,
    pub confidence: Option<f64>,
    pub guesses: Vec<BotGuess>,
    pub handoff: Option<Handoff>,
    pub failed_attempts: u32,
    /// The matched question starts this scenario instead of an answer.
    pub start_scenario: Option<Uuid>,
    /// Where the customer is in a scenario after the turn.
    pub scenario_state: Option<serde_json::Value>,
    pub handoff_context: Option<serde_json::Value>,
}

/// The bot's plan for one message, storing nothing: what a live turn stores and what "try
/// the bot" shows. In a scenario the message answers its waiting step; otherwise it is matched,
/// and a scenario's trigger starts that scenario.
#[allow(clippy::too_many_arguments)]
pub async fn respond(
    state: &AppState,
    tenant_id: Uuid,
    knowledge: &TenantKnowledge,
    channel: &str,
    text: &str,
    failed: u32,
    choice: Option<Uuid>,
    in_scenario: Option<ScenarioState>,
) -> Plan {
    if let Some(scenario) = in_scenario {
        let turn = walk(state, tenant_id, knowledge, scenario, Input::Answer(text)).await;
        return scenario_plan(turn, failed, None, Vec::new());
    }
    let plan = plan(knowledge, channel, text, failed, choice);
    let Some(id) = plan.start_scenario else {
        return plan;
    };
    let scenario = ScenarioState::start(id, ReplyLanguage::of(text));
    let turn = walk(state, tenant_id, knowledge, scenario, Input::Start).await;
    scenario_plan(turn, failed, plan.confidence, plan.guesses)
}

impl Plan {
    fn new(body: &str, reply: BotReply, handoff: Option<Handoff>, failed_attempts: u32) -> Self {
        Plan {
            body: body.to_owned(),
            reply,
            confidence: None,
            guesses: Vec::new(),
            handoff,
            failed_attempts,
            start_scenario: None,
            scenario_state: None,
            handoff_context: None,
        }
    }
}

fn reply_of(action: &str) -> BotReply {
    BotReply {
        action: action.to_owned(),
        faq_id: None,
        choices: Vec::new(),
        helpful: None,
        options: Vec::new(),
    }
}

/// What one scenario turn says and leaves behind.
#[derive(Debug, Clone)]
pub struct ScenarioTurn {
    pub body: String,
    /// Buttons of a waiting choice.
    pub options: Vec<String>,
    /// Where the customer is now; `None` once the scenario ended or handed off.
    pub state: Option<ScenarioState>,
    pub handoff: Option<Handoff>,
    /// For the agent after a handoff: the scenario, the collected slots, an integration's error.
    pub context: Option<serde_json::Value>,
}

/// Walks a scenario for one input, making the calls its steps ask for. A scenario deleted or
/// unpublished meanwhile has no steps: the walk hands off politely.
pub async fn walk(
    state: &AppState,
    tenant_id: Uuid,
    knowledge: &TenantKnowledge,
    scenario: ScenarioState,
    input: Input<'_>,
) -> ScenarioTurn {
    let scenario_id = scenario.scenario_id;
    let language = scenario.language();
    let steps = knowledge.scenario_steps(scenario_id).unwrap_or_default();
    let attempts = knowledge.settings.slot_attempts;
    let mut says: Vec<String> = Vec::new();
    let mut walk = advance(&steps, scenario, input, attempts);
    for _ in 0..=MAX_CALLS_PER_TURN {
        says.append(&mut walk.says);
        let (next_state, integration_id, slots) = match walk.next {
            Next::Call {
                state: next_state,
                integration_id,
                slots,
            } => (next_state, integration_id, slots),
            Next::Wait { state: at, options } => {
                return ScenarioTurn {
                    body: says.join("\n"),
                    options,
                    state: Some(at),
                    handoff: None,
                    context: None,
                };
            }
            Next::Handoff { why, slots, error } => {
                return ScenarioTurn {
                    body: says.join("\n"),
                    options: Vec::new(),
                    state: None,
                    handoff: Some(why),
                    context: Some(serde_json::json!({
                        "scenario_id": scenario_id,
                        "slots": slots,
                        "error": error,
                    })),
                };
            }
            Next::Done => {
                return ScenarioTurn {
                    body: says.join("\n"),
                    options: Vec::new(),
                    state: None,
                    handoff: None,
                    context: None,
                };
            }
        };
        let result = call_integration(state, tenant_id, integration_id, &slots).await;
        walk = advance(&steps, next_state, Input::CallResult(result), attempts);
    }
    tracing::warn!(scenario = %scenario_id, "a scenario calls too often in one turn");
    says.push(handoff_text(language, Handoff::Failed).to_owned());
    ScenarioTurn {
        body: says.join("\n"),
        options: Vec::new(),
        state: None,
        handoff: Some(Handoff::Failed),
        context: Some(serde_json::json!({"scenario_id": scenario_id, "error": "too_many_calls"})),
    }
}

/// One integration call; the error is logged with its code (never the secret) and returned as
/// the code alone, for the agent's eyes.
async fn call_integration(
    state: &AppState,
    tenant_id: Uuid,
    integration_id: Uuid,
    slots: &BTreeMap<String, String>,
) -> Result<serde_json::Value, String> {
    let target = match state
        .store()
        .integration_target(tenant_id, integration_id)
        .await
    {
        Ok(target) => target,
        Err(StoreError::NotFound) => Err("integration_not_found".to_owned())?,
        Err(err) => {
            tracing::error!(%err, "reading an integration");
            Err("integration_unavailable".to_owned())?
        }
    };
    let allow_private = state.config().webhooks.allow_private_targets;
    let result =
        crate::integrations::call(state.integrations_http(), &target, slots, allow_private).await;
    if let Err(code) = &result {
        tracing::warn!(%tenant_id, integration = %integration_id, code = %code, "a scenario's integration call failed");
    }
    result
}

fn scenario_plan(
    turn: ScenarioTurn,
    failed: u32,
    confidence: Option<f64>,
    guesses: Vec<BotGuess>,
) -> Plan {
    let action = if turn.handoff.is_some() {
        "handoff"
    } else {
        "scenario"
    };
    Plan {
        confidence,
        guesses,
        scenario_state: turn.state.and_then(|s| serde_json::to_value(s).ok()),
        handoff_context: turn.context,
        ..Plan::new(
            &turn.body,
            BotReply {
                options: turn.options,
                ..reply_of(action)
            },
            turn.handoff,
            failed,
        )
    }
}

/// The polite fallback: the bot could not answer, so a person will.
fn failure(question: &str, failed: u32, guesses: Vec<BotGuess>) -> Plan {
    let language = ReplyLanguage::of(question);
    Plan {
        confidence: guesses.first().map(|g| g.confidence),
        guesses,
        ..Plan::new(
            handoff_text(language, Handoff::Failed),
            reply_of("handoff"),
            Some(Handoff::Failed),
            failed,
        )
    }
}

fn guesses(knowledge: &TenantKnowledge, matches: &[Match]) -> Vec<BotGuess> {
    matches
        .iter()
        .filter_map(|m| {
            Some(BotGuess {
                faq_id: knowledge.entry_id(m.entry)?,
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
    if let Some(scenario) = knowledge
        .scenario_of(entry)
        .or_else(|| knowledge.action_of(entry))
    {
        return Some(Plan {
            start_scenario: Some(scenario),
            confidence,
            guesses,
            ..Plan::new("", reply_of("scenario"), None, 0)
        });
    }
    let body = knowledge.answer_for(entry, channel)?;
    Some(Plan {
        confidence,
        guesses,
        ..Plan::new(
            body,
            BotReply {
                faq_id: Some(knowledge.faq_id(entry)?),
                ..reply_of("answer")
            },
            None,
            0,
        )
    })
}

fn plan(
    knowledge: &TenantKnowledge,
    channel: &str,
    question: &str,
    failed: u32,
    choice: Option<Uuid>,
) -> Plan {
    // A "did you mean" choice names its FAQ (or scenario): answer (or start) it, no matching
    // on the text.
    if let Some(entry) = choice.and_then(|id| {
        (0..knowledge.base.entries().len()).find(|&entry| knowledge.entry_id(entry) == Some(id))
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
        confidence,
        guesses: best,
        ..Plan::new(body, reply, handoff, failed_attempts)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::TurnsInFlight;
    use std::sync::Arc;
    use std::time::Duration;
    use uuid::Uuid;

    #[test]
    fn a_second_claim_of_a_message_is_refused_without_blocking_and_the_first_keeps_it() {
        let turns = Arc::new(TurnsInFlight::default());
        let id = Uuid::now_v7();
        let first = turns.claim(id).unwrap();
        let (sent, answer) = std::sync::mpsc::channel();
        let racing = Arc::clone(&turns);
        std::thread::spawn(move || {
            let refused = racing.claim(id).is_none();
            // The refused claim must not have freed the first one's id.
            let still_held = racing.claim(id).is_none();
            let _ = sent.send((refused, still_held));
        });
        let (refused, still_held) = answer
            .recv_timeout(Duration::from_secs(5))
            .expect("a racing claim returns at once");
        assert!(refused && still_held);
        drop(first);
        assert!(
            turns.claim(id).is_some(),
            "free again once the first is done"
        );
    }
}
