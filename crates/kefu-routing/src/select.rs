//! Agent selection strategies: which of the ready, eligible agents gets an
//! interaction. Candidates come from the per-channel ready index, which is
//! ordered by idle time, so "longest idle" is the first eligible entry.

use crate::agent::AgentSlot;
use crate::config::Strategy;
use crate::interaction::InteractionSlot;
use crate::queue::{Level, QueueSlot};
use crate::ready::ReadySet;
use crate::slab::Slab;
use crate::types::Millis;

pub(crate) struct Candidates<'a> {
    pub ready: &'a ReadySet,
    pub agents: &'a Slab<AgentSlot>,
}

impl Candidates<'_> {
    fn eligible<'s>(
        &'s self,
        level: &'s Level,
        interaction: &'s InteractionSlot,
        now: Millis,
    ) -> impl Iterator<Item = (u32, &'s AgentSlot)> + 's {
        self.ready.iter().filter_map(move |&(_, slot)| {
            let agent = self.agents.get(slot)?;
            interaction
                .admits(slot, agent, level, now)
                .then_some((slot, agent))
        })
    }

    /// Picks an agent for `interaction` by the queue's strategy. `random_draw`
    /// is a fresh random word, used only by the random strategy.
    pub fn select(
        &self,
        queue: &QueueSlot,
        level: &Level,
        interaction: &InteractionSlot,
        now: Millis,
        random_draw: u64,
    ) -> Option<u32> {
        let channel = queue.channel();
        let mut eligible = self.eligible(level, interaction, now);
        match queue.spec.strategy {
            Strategy::LongestIdle => eligible.next().map(|(slot, _)| slot),
            Strategy::LeastOccupied => {
                // Ties keep the earlier (longer idle) agent.
                let mut best: Option<(u32, (u32, u32))> = None;
                for (slot, agent) in eligible {
                    let share = agent.occupancy_on(channel);
                    let better = best.is_none_or(|(_, (load, capacity))| {
                        u64::from(share.0) * u64::from(capacity)
                            < u64::from(load) * u64::from(share.1)
                    });
                    if better {
                        best = Some((slot, share));
                    }
                }
                best.map(|(slot, _)| slot)
            }
            Strategy::BestProficiency => {
                let mut best: Option<(u32, u32)> = None;
                for (slot, agent) in eligible {
                    let score = proficiency_score(agent, level, interaction);
                    if best.is_none_or(|(_, top)| score > top) {
                        best = Some((slot, score));
                    }
                }
                best.map(|(slot, _)| slot)
            }
            Strategy::RoundRobin => {
                // The next agent id after the last one served, wrapping round.
                let after = queue.round_robin_after;
                let mut next: Option<(u64, u32)> = None;
                let mut lowest: Option<(u64, u32)> = None;
                for (slot, agent) in eligible {
                    let id = agent.id.0;
                    if lowest.is_none_or(|(low, _)| id < low) {
                        lowest = Some((id, slot));
                    }
                    let is_after = after.is_none_or(|last| id > last);
                    if is_after && next.is_none_or(|(best, _)| id < best) {
                        next = Some((id, slot));
                    }
                }
                next.or(lowest).map(|(_, slot)| slot)
            }
            Strategy::Random => {
                let count = self.eligible(level, interaction, now).count() as u64;
                if count == 0 {
                    return None;
                }
                let pick = ((u128::from(random_draw) * u128::from(count)) >> 64) as usize;
                eligible.nth(pick).map(|(slot, _)| slot)
            }
        }
    }
}

fn proficiency_score(agent: &AgentSlot, level: &Level, interaction: &InteractionSlot) -> u32 {
    let queue_skills = level.skills.iter().map(|req| req.skill);
    let own_skills = interaction.extra_skills().iter().map(|req| req.skill);
    queue_skills
        .chain(own_skills)
        .map(|skill| u32::from(agent.proficiency[usize::from(skill.0)]))
        .sum()
}
