//! An interaction as the router holds it, compact enough for 100,000 waiting
//! ones, and the rule that says whether a given agent may take it.

use crate::agent::AgentSlot;
use crate::config::InteractionSpec;
use crate::queue::Level;
use crate::types::{InteractionId, LanguageId, Millis, SkillReq, Tier};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Waiting,
    Offered { agent: u32, expires: Millis },
    Assigned { agent: u32, since: Millis },
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Offered { .. } => "offered",
            Status::Assigned { .. } => "assigned",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct InteractionSlot {
    pub id: InteractionId,
    pub queue: u32,
    pub status: Status,
    pub extra_skills: Box<[SkillReq]>,
    /// Agent slots that rejected or missed an offer, each kept away from
    /// this interaction until the given time.
    pub declined: Vec<(u32, Millis)>,
    pub language: Option<LanguageId>,
    pub tier: Tier,
    pub overflow_hops: u8,
    pub base_priority: i32,
    /// First entry into any queue: the reporting wait starts here.
    pub first_enqueued_at: Millis,
    /// Entry into the current queue: max wait and relaxation count from here.
    pub queue_entered_at: Millis,
    /// The time that orders and ages it in the current queue.
    pub order_at: Millis,
    pub seq: u64,
    /// Sticky agent slot and the end of its hold.
    pub preferred: Option<(u32, Millis)>,
    pub timer_token: u64,
}

impl InteractionSlot {
    pub fn from_spec(spec: &InteractionSpec, queue: u32, seq: u64, now: Millis) -> Self {
        let enqueued_at = spec.enqueued_at.unwrap_or(now);
        InteractionSlot {
            id: spec.id,
            queue,
            status: Status::Waiting,
            extra_skills: spec.required_skills.clone().into_boxed_slice(),
            declined: Vec::new(),
            language: spec.language,
            tier: spec.tier,
            overflow_hops: 0,
            base_priority: spec.base_priority,
            first_enqueued_at: enqueued_at,
            queue_entered_at: enqueued_at,
            order_at: enqueued_at,
            seq,
            preferred: None,
            timer_token: 0,
        }
    }

    /// The sticky agent if its hold is still running.
    pub fn held_for(&self, now: Millis) -> Option<u32> {
        self.preferred
            .filter(|&(_, until)| until > now)
            .map(|(agent, _)| agent)
    }

    pub fn declined_by(&self, slot: u32, now: Millis) -> bool {
        self.declined
            .iter()
            .any(|&(agent, until)| agent == slot && until > now)
    }

    /// The next end of a decline cool-down, when more agents become eligible.
    pub fn next_decline_end(&self, now: Millis) -> Option<Millis> {
        self.declined
            .iter()
            .map(|&(_, until)| until)
            .filter(|&until| until > now)
            .min()
    }

    /// Whether `agent` (in slot `slot`) may be offered this interaction at
    /// `now`, requirements relaxed to `level`. Readiness (presence, capacity,
    /// wrap-up) is the ready index's business, not this function's.
    pub fn admits(&self, slot: u32, agent: &AgentSlot, level: &Level, now: Millis) -> bool {
        if self.declined_by(slot, now) {
            return false;
        }
        if let Some(held) = self.held_for(now) {
            return held == slot;
        }
        level.admits(agent)
            && self
                .language
                .is_none_or(|language| agent.languages.contains(language.0))
            && self.extra_skills.iter().all(|req| {
                level
                    .relaxed(req)
                    .is_none_or(|min| agent.proficiency[usize::from(req.skill.0)] >= min)
            })
    }
}
