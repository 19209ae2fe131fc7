//! The input model: one `InteractionRecord` per conversation or call, folded by the server
//! from the event log, and one `AgentStateSpan` per stretch of agent presence; plus their checks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::MetricsError;

/// One customer contact, folded from its events. Fields the events have not reached yet
/// stay `None`, so a record can be built incrementally and aggregated at any moment.
///
/// Event → field: *conversation created / first customer message* → `started_at`;
/// *queued* → `offer` (queue, `enqueued_at`, outcome `Waiting`); *assigned/answered* →
/// `OfferOutcome::Answered`; *abandoned* → `OfferOutcome::Abandoned`; *agent first reply* →
/// `first_response_at`; *talk/hold/wrap-up* → `handle`; *transferred* → `transfers += 1`;
/// *resolved* → `resolved_at`; *rated* → `rating`; *bot resolved / bot handed off* → `bot`.
/// Offers to individual agents that time out or are rejected do not change the record:
/// the contact stays `Waiting` in its queue until someone answers or the customer leaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionRecord {
    /// The conversation or call id (only used in error messages).
    pub id: String,
    /// Who contacted us; repeat contacts for FCR are matched on this.
    pub customer_id: String,
    /// `web_chat`, `wechat`, `email`, `voice`… (any stable label).
    pub channel: String,
    /// The service group (客服分组) the contact belongs to, when known.
    #[serde(default)]
    pub service_group: Option<String>,
    /// The customer's first message or the call's arrival: FRT and resolution time start here.
    pub started_at: DateTime<Utc>,
    /// The first time the contact entered a human queue; `None` when it never did (bot only).
    #[serde(default)]
    pub offer: Option<Offer>,
    /// The first human reply (for voice, usually the answer time).
    #[serde(default)]
    pub first_response_at: Option<DateTime<Utc>>,
    /// Handle time, once the agent's work (including wrap-up) is over.
    #[serde(default)]
    pub handle: Option<HandleTime>,
    /// When the contact was marked solved.
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// The ticket's resolution deadline, when an SLA policy applies.
    #[serde(default)]
    pub resolution_due_at: Option<DateTime<Utc>>,
    /// How many times an agent handed the contact to another agent or queue.
    #[serde(default)]
    pub transfers: u32,
    /// The customer's survey answer, if any.
    #[serde(default)]
    pub rating: Option<Rating>,
    /// What the bot did, when a bot took the contact first.
    #[serde(default)]
    pub bot: Option<BotOutcome>,
}

/// The contact's first visit to a human queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    /// The queue it was offered to; a later transfer does not move the contact's statistics.
    pub queue: String,
    /// When it entered that queue: the contact's statistics live in this instant's bucket.
    pub enqueued_at: DateTime<Utc>,
    /// How the wait ended, if it has.
    pub outcome: OfferOutcome,
}

/// How a queue wait ended. Exactly one outcome per offer, so answered + abandoned ≤ offered
/// holds by construction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OfferOutcome {
    /// Still queued when the data was taken (or closed by the system without an answer).
    Waiting,
    /// An agent accepted it. Agent metrics credit this agent, even after a transfer.
    Answered {
        agent: String,
        answered_at: DateTime<Utc>,
    },
    /// The customer left before anyone answered.
    Abandoned { abandoned_at: DateTime<Utc> },
}

/// Handle time of an answered contact, in milliseconds, summed over all its segments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandleTime {
    pub talk_ms: u64,
    pub hold_ms: u64,
    pub after_contact_work_ms: u64,
}

impl HandleTime {
    /// Talk + hold + after-contact work, saturating rather than wrapping on absurd input.
    pub fn total_ms(&self) -> u64 {
        self.talk_ms
            .saturating_add(self.hold_ms)
            .saturating_add(self.after_contact_work_ms)
    }
}

/// A survey answer on one of the two scales kefu asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scale", content = "score", rename_all = "snake_case")]
pub enum Rating {
    /// Satisfaction, 1 (very dissatisfied) to 5 (very satisfied).
    Csat(u8),
    /// Likelihood to recommend, 0 to 10.
    Nps(u8),
}

/// What a bot did with a contact it took first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BotOutcome {
    /// The bot answered and the customer needed no human.
    Resolved,
    /// The bot handed the contact to a human queue.
    HandedOff,
    /// The customer left the bot without resolution or handoff.
    Abandoned,
}

/// A stretch of one agent's presence in one state, `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentStateSpan {
    pub agent: String,
    /// The agent's service group, so group rows can show occupancy.
    #[serde(default)]
    pub service_group: Option<String>,
    pub state: AgentState,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// Agent presence states as the presence events name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Logged in and waiting for work.
    Available,
    /// Logged in but not taking work (break, meeting, training).
    Away,
    /// Handling a contact.
    Busy,
    /// After-contact work.
    WrapUp,
    /// Logged out; never counted.
    Offline,
}

impl InteractionRecord {
    /// The instant that decides the record's bucket: when it was offered to a queue, or for a
    /// contact that never reached one (bot only), when it started.
    pub fn bucket_time(&self) -> DateTime<Utc> {
        self.offer
            .as_ref()
            .map_or(self.started_at, |o| o.enqueued_at)
    }

    /// Rejects records whose times run backwards or whose fields contradict each other,
    /// because every duration metric would silently go negative or meaningless otherwise.
    pub fn validate(&self) -> Result<(), MetricsError> {
        let order = |earlier: &'static str,
                     earlier_at: DateTime<Utc>,
                     later: &'static str,
                     later_at: DateTime<Utc>| {
            if later_at < earlier_at {
                Err(MetricsError::TimeOrder {
                    id: self.id.clone(),
                    earlier,
                    earlier_at: earlier_at.to_rfc3339(),
                    later,
                    later_at: later_at.to_rfc3339(),
                })
            } else {
                Ok(())
            }
        };
        if let Some(offer) = &self.offer {
            order(
                "started_at",
                self.started_at,
                "enqueued_at",
                offer.enqueued_at,
            )?;
            match &offer.outcome {
                OfferOutcome::Answered { answered_at, .. } => {
                    order(
                        "enqueued_at",
                        offer.enqueued_at,
                        "answered_at",
                        *answered_at,
                    )?;
                }
                OfferOutcome::Abandoned { abandoned_at } => {
                    order(
                        "enqueued_at",
                        offer.enqueued_at,
                        "abandoned_at",
                        *abandoned_at,
                    )?;
                }
                OfferOutcome::Waiting => {}
            }
        }
        if let Some(at) = self.first_response_at {
            order("started_at", self.started_at, "first_response_at", at)?;
        }
        if let Some(at) = self.resolved_at {
            order("started_at", self.started_at, "resolved_at", at)?;
        }
        if self.handle.is_some() && self.answering_agent().is_none() {
            return Err(MetricsError::InconsistentRecord {
                id: self.id.clone(),
                reason: "handle time is set but no agent answered",
            });
        }
        match self.rating {
            Some(Rating::Csat(score)) if !(1..=5).contains(&score) => {
                Err(self.bad_rating("CSAT", "1 to 5", score))
            }
            Some(Rating::Nps(score)) if score > 10 => Err(self.bad_rating("NPS", "0 to 10", score)),
            _ => Ok(()),
        }
    }

    /// The agent who answered, if one did.
    pub fn answering_agent(&self) -> Option<&str> {
        match self.offer.as_ref().map(|o| &o.outcome) {
            Some(OfferOutcome::Answered { agent, .. }) => Some(agent),
            _ => None,
        }
    }

    fn bad_rating(&self, scale: &'static str, expected: &'static str, value: u8) -> MetricsError {
        MetricsError::InvalidRating {
            id: self.id.clone(),
            scale,
            expected,
            value,
        }
    }
}

impl AgentStateSpan {
    /// Rejects spans that end before they start; an empty span is allowed and counts nothing.
    pub fn validate(&self) -> Result<(), MetricsError> {
        if self.to < self.from {
            return Err(MetricsError::InvalidSpan {
                agent: self.agent.clone(),
                from: self.from.to_rfc3339(),
                to: self.to.to_rfc3339(),
            });
        }
        Ok(())
    }
}
