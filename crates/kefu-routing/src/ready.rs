//! The ready index: agents who can take an offer right now, ordered by idle
//! time, per (channel, anchor skill) and, for channels with a queue that
//! requires no skill, per channel. An agent is in the set of a (channel,
//! skill) only if it is a member of a queue on that channel anchored on that
//! skill, so an arrival only looks at agents who could be eligible.

use crate::types::{Channel, MAX_SKILLS, Millis, SkillId};
use std::collections::BTreeSet;

/// A ready agent's place: idle since, then slot.
type ReadyKey = (Millis, u32);

/// The ready agents of one set, in idle order: a sorted vector while small
/// (most sets hold a few dozen agents: a few cache lines, no allocation per
/// change), a B-tree once it outgrows `SORTED_MAX`, back below a quarter.
#[derive(Debug)]
pub(crate) enum ReadySet {
    Sorted(Vec<ReadyKey>),
    Tree(BTreeSet<ReadyKey>),
}

const SORTED_MAX: usize = 128;

impl ReadySet {
    pub fn new() -> ReadySet {
        ReadySet::Sorted(Vec::new())
    }

    pub fn insert(&mut self, key: ReadyKey) {
        match self {
            ReadySet::Sorted(keys) => {
                let Err(index) = keys.binary_search(&key) else {
                    return;
                };
                if keys.len() < SORTED_MAX {
                    keys.insert(index, key);
                } else {
                    let mut tree: BTreeSet<ReadyKey> = keys.drain(..).collect();
                    tree.insert(key);
                    *self = ReadySet::Tree(tree);
                }
            }
            ReadySet::Tree(tree) => {
                tree.insert(key);
            }
        }
    }

    pub fn remove(&mut self, key: &ReadyKey) {
        match self {
            ReadySet::Sorted(keys) => {
                if let Ok(index) = keys.binary_search(key) {
                    keys.remove(index);
                }
                // Give back what a burst of idle agents left behind.
                if keys.capacity() > 16 && keys.len() * 4 < keys.capacity() {
                    keys.shrink_to(keys.len() * 2);
                }
            }
            ReadySet::Tree(tree) => {
                tree.remove(key);
                if tree.len() < SORTED_MAX / 4 {
                    *self = ReadySet::Sorted(tree.iter().copied().collect());
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            ReadySet::Sorted(keys) => keys.is_empty(),
            ReadySet::Tree(tree) => tree.is_empty(),
        }
    }

    /// Ready agents, longest idle first.
    pub fn iter(&self) -> impl Iterator<Item = &ReadyKey> {
        let (sorted, tree) = match self {
            ReadySet::Sorted(keys) => (Some(keys.iter()), None),
            ReadySet::Tree(tree) => (None, Some(tree.iter())),
        };
        sorted
            .into_iter()
            .flatten()
            .chain(tree.into_iter().flatten())
    }
}

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
            by_channel: std::array::from_fn(|_| ReadySet::new()),
            wanted: 0,
            by_skill: (0..Channel::COUNT * MAX_SKILLS)
                .map(|_| ReadySet::new())
                .collect(),
        }
    }

    /// Moves an agent from (`old_mask`, `old_key`) to (`new_mask`, `new_key`);
    /// a mask bit per channel it is ready on. `sets` are the per-skill sets
    /// it belongs in, as `channel * MAX_SKILLS + skill`.
    pub fn update(
        &mut self,
        slot: u32,
        sets: &[u16],
        (old_mask, old_key): (u8, Millis),
        (new_mask, new_key): (u8, Millis),
    ) {
        let moves = |bit: u8| {
            let (was, is) = (old_mask & bit != 0, new_mask & bit != 0);
            (was || is) && !(was && is && old_key == new_key)
        };
        let move_in = |set: &mut ReadySet, bit: u8| {
            if old_mask & bit != 0 {
                set.remove(&(old_key, slot));
            }
            if new_mask & bit != 0 {
                set.insert((new_key, slot));
            }
        };
        for channel in Channel::ALL {
            let bit = channel.bit();
            if self.wanted & bit != 0 && moves(bit) {
                move_in(&mut self.by_channel[channel.index()], bit);
            }
        }
        for &index in sets {
            let bit = 1u8 << (usize::from(index) / MAX_SKILLS);
            if moves(bit)
                && let Some(set) = self.by_skill.get_mut(usize::from(index))
            {
                move_in(set, bit);
            }
        }
    }

    /// The per-skill set of `skill` on `channel`, as `update` takes it.
    pub fn set_index(channel: Channel, skill: SkillId) -> u16 {
        (channel.index() * MAX_SKILLS) as u16 + skill.0
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
        anchor
            .and_then(|skill| {
                let index = ReadyIndex::set_index(channel, skill);
                self.by_skill.get(usize::from(index))
            })
            .unwrap_or(&self.by_channel[channel.index()])
    }
}

#[cfg(test)]
mod tests {
    use super::{ReadyKey, ReadySet, SORTED_MAX};
    use crate::types::Millis;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn grows_into_a_tree_and_back() {
        let mut set = ReadySet::new();
        let keys: Vec<ReadyKey> = (0..200u32).map(|n| (Millis(u64::from(n % 7)), n)).collect();
        for &key in &keys {
            set.insert(key);
        }
        assert!(matches!(set, ReadySet::Tree(_)));
        for key in keys.iter().take(190) {
            set.remove(key);
        }
        assert!(matches!(set, ReadySet::Sorted(_)));
        let mut left: Vec<ReadyKey> = keys[190..].to_vec();
        left.sort();
        assert_eq!(set.iter().copied().collect::<Vec<_>>(), left);
    }

    proptest! {
        /// Same contents and order as a B-tree, across the switch to a
        /// tree and back.
        #[test]
        fn ready_set_orders_like_a_btree(ops in prop::collection::vec((any::<bool>(), 0..40u64, 0..(SORTED_MAX as u32 * 2)), 0..1500)) {
            let mut set = ReadySet::new();
            let mut model: BTreeSet<ReadyKey> = BTreeSet::new();
            for (insert, at, slot) in ops {
                let key = (Millis(at), slot);
                if insert {
                    set.insert(key);
                    model.insert(key);
                } else {
                    set.remove(&key);
                    model.remove(&key);
                }
                prop_assert_eq!(set.is_empty(), model.is_empty());
            }
            let got: Vec<ReadyKey> = set.iter().copied().collect();
            prop_assert_eq!(got, model.into_iter().collect::<Vec<_>>());
        }
    }
}
