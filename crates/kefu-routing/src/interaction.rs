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

/// What most interactions do not have, boxed so they pay one pointer for it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rare {
    pub extra_skills: Box<[SkillReq]>,
    /// Agent slots that rejected or missed an offer, each kept away from
    /// this interaction until the given time.
    pub declined: Vec<(u32, Millis)>,
    /// Sticky agent slot and the end of its hold.
    pub preferred: Option<(u32, Millis)>,
}

impl Rare {
    fn is_empty(&self) -> bool {
        self.extra_skills.is_empty() && self.declined.is_empty() && self.preferred.is_none()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct InteractionSlot {
    pub id: InteractionId,
    pub queue: u32,
    pub status: Status,
    /// Extra skills, declines and sticky hold; `None` when it has none.
    rare: Option<Box<Rare>>,
    pub language: Option<LanguageId>,
    pub tier: Tier,
    pub overflow_hops: u8,
    /// The `plain` flag of its key in the waiting set, to rebuild the key.
    pub key_plain: bool,
    pub in_waiting_set: bool,
    pub base_priority: i32,
    /// First entry into any queue: the reporting wait starts here.
    pub first_enqueued_at: Millis,
    /// Entry into the current queue: max wait and relaxation count from here.
    pub queue_entered_at: Millis,
    /// Whether it is ordered and aged by its first enqueue time (kept across
    /// transfers and overflows) or by its entry into the current queue.
    pub ordered_by_first: bool,
    pub seq: u64,
    pub timer_token: u64,
}

impl InteractionSlot {
    pub fn from_spec(spec: &InteractionSpec, queue: u32, seq: u64, now: Millis) -> Self {
        let enqueued_at = spec.enqueued_at.unwrap_or(now);
        InteractionSlot {
            id: spec.id,
            queue,
            status: Status::Waiting,
            rare: (!spec.required_skills.is_empty()).then(|| {
                Box::new(Rare {
                    extra_skills: spec.required_skills.clone().into_boxed_slice(),
                    ..Rare::default()
                })
            }),
            language: spec.language,
            tier: spec.tier,
            overflow_hops: 0,
            key_plain: false,
            in_waiting_set: false,
            base_priority: spec.base_priority,
            first_enqueued_at: enqueued_at,
            queue_entered_at: enqueued_at,
            ordered_by_first: true,
            seq,
            timer_token: 0,
        }
    }

    /// The time that orders and ages it in the current queue.
    pub fn order_at(&self) -> Millis {
        if self.ordered_by_first {
            self.first_enqueued_at
        } else {
            self.queue_entered_at
        }
    }

    /// Nothing but its queue's requirements restricts who may take it.
    pub fn is_plain(&self) -> bool {
        self.language.is_none() && self.rare.is_none()
    }

    pub fn extra_skills(&self) -> &[SkillReq] {
        self.rare.as_ref().map_or(&[], |rare| &rare.extra_skills)
    }

    fn declined(&self) -> &[(u32, Millis)] {
        self.rare.as_ref().map_or(&[], |rare| &rare.declined)
    }

    /// Sticky agent slot and the end of its hold.
    pub fn preferred(&self) -> Option<(u32, Millis)> {
        self.rare.as_ref().and_then(|rare| rare.preferred)
    }

    pub fn set_preferred(&mut self, preferred: Option<(u32, Millis)>) {
        self.edit_rare(|rare| rare.preferred = preferred);
    }

    /// Forgets every decline (it moved to another queue).
    pub fn clear_declines(&mut self) {
        self.edit_rare(|rare| rare.declined = Vec::new());
    }

    /// Changes the rare part, dropping the box when it ends up empty.
    fn edit_rare(&mut self, edit: impl FnOnce(&mut Rare)) {
        let mut rare = self.rare.take().unwrap_or_default();
        edit(&mut rare);
        if !rare.is_empty() {
            self.rare = Some(rare);
        }
    }

    /// Order time (44 bits of ms, good until the year 2527) and the low 20
    /// bits of the arrival sequence in one word: equal times keep arrival
    /// order unless a million arrivals share one millisecond.
    pub fn tiebreak(&self) -> u64 {
        let order_ms = self.order_at().0.min((1 << 44) - 1);
        (order_ms << 20) | (self.seq & 0xF_FFFF)
    }

    /// Keeps `agent` away until `until`, dropping cool-downs already over.
    pub fn add_decline(&mut self, agent: u32, until: Millis, now: Millis) {
        self.edit_rare(|rare| {
            rare.declined.retain(|&(_, end)| end > now);
            rare.declined.push((agent, until));
        });
    }

    pub fn forget_agent(&mut self, agent: u32) {
        if self
            .declined()
            .iter()
            .any(|&(declined, _)| declined == agent)
        {
            self.edit_rare(|rare| rare.declined.retain(|&(declined, _)| declined != agent));
        }
    }

    /// The sticky agent if its hold is still running.
    pub fn held_for(&self, now: Millis) -> Option<u32> {
        self.preferred()
            .filter(|&(_, until)| until > now)
            .map(|(agent, _)| agent)
    }

    pub fn declined_by(&self, slot: u32, now: Millis) -> bool {
        self.declined()
            .iter()
            .any(|&(agent, until)| agent == slot && until > now)
    }

    /// The next end of a decline cool-down, when more agents become eligible.
    pub fn next_decline_end(&self, now: Millis) -> Option<Millis> {
        self.declined()
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
            && self.extra_skills().iter().all(|req| {
                level
                    .relaxed(req)
                    .is_none_or(|min| agent.proficiency[usize::from(req.skill.0)] >= min)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::InteractionSlot;
    use crate::queue::WaitKey;

    /// Memory per waiting interaction is a target (256 bytes with indexes);
    /// these two structs are most of it.
    #[test]
    fn waiting_interactions_stay_compact() {
        assert!(std::mem::size_of::<Option<InteractionSlot>>() <= 88);
        assert!(std::mem::size_of::<WaitKey>() <= 24);
    }
}
