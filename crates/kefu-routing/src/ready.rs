//! The ready index: agents who can take an offer right now, ordered by idle
//! time, per (channel, skill) and, for channels with a queue that requires
//! no skill, per channel. An arrival only looks at the agents who hold its
//! queue's anchor skill, not at every idle agent.

use crate::types::{Channel, MAX_SKILLS, Millis, SkillId};
use std::collections::BTreeSet;

pub(crate) type ReadySet = BTreeSet<(Millis, u32)>;

#[derive(Debug)]
pub(crate) struct ReadyIndex {
    /// Kept only for the channels in `wanted`.
    by_channel: [ReadySet; Channel::COUNT],
    /// Channels (bit = `Channel::bit`) with a queue that has no anchor skill.
    wanted: u8,
    /// Indexed by `channel * MAX_SKILLS + skill`.
    by_skill: Vec<ReadySet>,
}

impl ReadyIndex {
    pub fn new() -> ReadyIndex {
        ReadyIndex {
            by_channel: Default::default(),
            wanted: 0,
            by_skill: (0..Channel::COUNT * MAX_SKILLS)
                .map(|_| ReadySet::new())
                .collect(),
        }
    }

    /// Moves an agent with `skills` from (`old_mask`, `old_key`) to
    /// (`new_mask`, `new_key`); a mask bit per channel it is ready on.
    pub fn update(
        &mut self,
        slot: u32,
        skills: &[SkillId],
        (old_mask, old_key): (u8, Millis),
        (new_mask, new_key): (u8, Millis),
    ) {
        for channel in Channel::ALL {
            let (was, is) = (old_mask & channel.bit() != 0, new_mask & channel.bit() != 0);
            if !was && !is || (was && is && old_key == new_key) {
                continue;
            }
            let c = channel.index();
            let skill_sets = skills
                .iter()
                .map(|skill| c * MAX_SKILLS + usize::from(skill.0));
            let move_in = |set: &mut ReadySet| {
                if was {
                    set.remove(&(old_key, slot));
                }
                if is {
                    set.insert((new_key, slot));
                }
            };
            if self.wanted & channel.bit() != 0 {
                move_in(&mut self.by_channel[c]);
            }
            for index in skill_sets {
                if let Some(set) = self.by_skill.get_mut(index) {
                    move_in(set);
                }
            }
        }
    }

    /// Channels whose per-channel set is kept.
    pub fn wanted(&self) -> u8 {
        self.wanted
    }

    /// Keeps per-channel sets for exactly the channels in `wanted`, filling
    /// new ones from `agents`: (slot, ready mask, ready key) of every agent.
    pub fn want_channels(&mut self, wanted: u8, agents: impl Iterator<Item = (u32, u8, Millis)>) {
        let added = wanted & !self.wanted;
        for channel in Channel::ALL {
            if wanted & channel.bit() == 0 {
                self.by_channel[channel.index()] = ReadySet::new();
            }
        }
        if added != 0 {
            for (slot, mask, key) in agents {
                for channel in Channel::ALL {
                    if added & mask & channel.bit() != 0 {
                        self.by_channel[channel.index()].insert((key, slot));
                    }
                }
            }
        }
        self.wanted = wanted;
    }

    /// Ready agents on `channel`: those with `anchor` when one is given,
    /// else all (the caller has asked for the channel to be kept).
    pub fn candidates(&self, channel: Channel, anchor: Option<SkillId>) -> &ReadySet {
        let c = channel.index();
        anchor
            .and_then(|skill| self.by_skill.get(c * MAX_SKILLS + usize::from(skill.0)))
            .unwrap_or(&self.by_channel[c])
    }
}
