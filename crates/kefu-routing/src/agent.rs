//! An agent as the router holds it: flat proficiency array, bitsets, per-channel
//! capacity, load and wrap-up, and the rule that says on which channels the
//! agent can take an offer right now.

use crate::config::{AgentSpec, Presence, RouterConfig, group_bits, language_bits};
use crate::types::{AgentId, Bits64, Channel, MAX_SKILLS, Millis};

#[derive(Debug, Clone)]
pub(crate) struct AgentSlot {
    pub id: AgentId,
    pub presence: Presence,
    /// Proficiency by skill id; 0 means the agent lacks the skill.
    pub proficiency: Box<[u8; MAX_SKILLS]>,
    /// The per-skill ready sets it belongs in (`ReadyIndex::set_index`):
    /// the anchor skill of each queue it is a member of, on that channel.
    pub ready_sets: Vec<u16>,
    pub languages: Bits64,
    pub groups: Bits64,
    pub capacity: [u16; Channel::COUNT],
    /// Offers and assignments in progress; an offer reserves capacity.
    pub load: [u16; Channel::COUNT],
    pub wrap_until: [Millis; Channel::COUNT],
    pub idle_since: Millis,
    pub auto_accept: bool,
    pub missed_in_a_row: u32,
    /// Queue slots whose most relaxed requirements this agent meets.
    pub queues: Vec<u32>,
    /// Waiting interaction slots held for this agent (sticky routing).
    pub sticky: Vec<u32>,
    /// Channels on which the agent is in the ready index, and under which key.
    pub ready_mask: u8,
    pub ready_key: Millis,
    pub timer_token: u64,
}

impl AgentSlot {
    pub fn from_spec(spec: &AgentSpec, now: Millis) -> AgentSlot {
        let mut slot = AgentSlot {
            id: spec.id,
            presence: spec.presence.clone(),
            proficiency: Box::new([0; MAX_SKILLS]),
            ready_sets: Vec::new(),
            languages: Bits64::EMPTY,
            groups: Bits64::EMPTY,
            capacity: [0; Channel::COUNT],
            load: [0; Channel::COUNT],
            wrap_until: [Millis::ZERO; Channel::COUNT],
            idle_since: now,
            auto_accept: spec.auto_accept,
            missed_in_a_row: 0,
            queues: Vec::new(),
            sticky: Vec::new(),
            ready_mask: 0,
            ready_key: now,
            timer_token: 0,
        };
        slot.apply_spec(spec);
        slot
    }

    /// Replaces what the spec describes; load, wrap-up and indexes are kept.
    pub fn apply_spec(&mut self, spec: &AgentSpec) {
        self.presence = spec.presence.clone();
        self.proficiency.fill(0);
        for (skill, proficiency) in &spec.skills {
            if let Some(entry) = self.proficiency.get_mut(usize::from(skill.0)) {
                *entry = *proficiency;
            }
        }
        self.languages = language_bits(&spec.languages);
        self.groups = group_bits(&spec.groups);
        self.capacity = [0; Channel::COUNT];
        for (channel, capacity) in &spec.capacity {
            self.capacity[channel.index()] = *capacity;
        }
        self.auto_accept = spec.auto_accept;
    }

    pub fn total_load(&self) -> u32 {
        self.load.iter().map(|&load| u32::from(load)).sum()
    }

    /// Channels on which a new offer may go to this agent at `now`.
    pub fn offerable_channels(&self, config: &RouterConfig, now: Millis) -> u8 {
        if self.presence != Presence::Available {
            return 0;
        }
        let (mut blocked, mut open) = (0u8, 0u8);
        for c in 0..Channel::COUNT {
            let load = self.load[c];
            if load > 0 {
                blocked |= config.blocks[c];
            }
            if load < self.capacity[c] && self.wrap_until[c] <= now {
                open |= 1 << c;
            }
        }
        open & !blocked
    }

    /// Load share on one channel, for the least-occupied strategy, as a
    /// fraction with a common denominator so it compares exactly.
    pub fn occupancy_on(&self, channel: Channel) -> (u32, u32) {
        let c = channel.index();
        (u32::from(self.load[c]), u32::from(self.capacity[c].max(1)))
    }

    /// The earliest wrap-up end still in the future.
    pub fn next_wrap_end(&self, now: Millis) -> Option<Millis> {
        self.wrap_until
            .iter()
            .copied()
            .filter(|&end| end > now)
            .min()
    }
}
