//! Dense storage with stable small indexes, and the id → index map in front of
//! it. Internally everything refers to `u32` slots so indexes stay compact.

use crate::types::{AgentId, InteractionId, QueueId};
use std::marker::PhantomData;

#[derive(Debug)]
pub(crate) struct Slab<T> {
    entries: Vec<Option<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    pub fn insert(&mut self, value: T) -> u32 {
        self.len += 1;
        if let Some(slot) = self.free.pop()
            && let Some(entry) = self.entries.get_mut(slot as usize)
        {
            *entry = Some(value);
            return slot;
        }
        self.entries.push(Some(value));
        (self.entries.len() - 1) as u32
    }

    pub fn remove(&mut self, slot: u32) -> Option<T> {
        let value = self.entries.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        self.len -= 1;
        Some(value)
    }

    pub fn get(&self, slot: u32) -> Option<&T> {
        self.entries.get(slot as usize)?.as_ref()
    }

    pub fn get_mut(&mut self, slot: u32) -> Option<&mut T> {
        self.entries.get_mut(slot as usize)?.as_mut()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(slot, entry)| entry.as_ref().map(|value| (slot as u32, value)))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut T)> {
        self.entries
            .iter_mut()
            .enumerate()
            .filter_map(|(slot, entry)| entry.as_mut().map(|value| (slot as u32, value)))
    }
}

/// The ids callers give us: plain integers (`AgentId`, `QueueId`,
/// `InteractionId`).
pub(crate) trait RawId: Copy {
    fn raw(self) -> u64;
}

macro_rules! raw_id {
    ($($name:ty),*) => {
        $(impl RawId for $name {
            fn raw(self) -> u64 {
                self.0
            }
        })*
    };
}

raw_id!(AgentId, QueueId, InteractionId);

#[derive(Debug, Clone, Copy)]
struct Bucket {
    id: u64,
    /// `EMPTY` when the bucket is free; slab slots never reach it (a slab
    /// that large would need hundreds of gigabytes).
    slot: u32,
}

const EMPTY: u32 = u32::MAX;
const FREE: Bucket = Bucket { id: 0, slot: EMPTY };

/// Id → slot map: open addressing with linear probing, the id and its slot
/// side by side, so a lookup usually reads one cache line (a general hash
/// map reads its control bytes, then the entry). Ids are chosen by the
/// caller, not an attacker, so a multiplicative hash is enough.
#[derive(Debug)]
pub(crate) struct IdMap<K> {
    buckets: Vec<Bucket>,
    len: usize,
    _ids: PhantomData<K>,
}

pub(crate) fn id_map<K: RawId>() -> IdMap<K> {
    IdMap {
        buckets: Vec::new(),
        len: 0,
        _ids: PhantomData,
    }
}

impl<K: RawId> IdMap<K> {
    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    fn home(&self, id: u64) -> usize {
        // Fibonacci hashing: the high bits of the product, spread over the table.
        let bits = self.buckets.len().trailing_zeros();
        let hash = (id ^ (id >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (hash >> (64 - bits).min(63)) as usize & self.mask()
    }

    /// The bucket holding `id`, if any.
    fn find(&self, id: u64) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mask = self.mask();
        let mut index = self.home(id);
        loop {
            let bucket = self.buckets.get(index)?;
            if bucket.slot == EMPTY {
                return None;
            }
            if bucket.id == id {
                return Some(index);
            }
            index = (index + 1) & mask;
        }
    }

    pub fn get(&self, id: &K) -> Option<&u32> {
        let index = self.find(id.raw())?;
        self.buckets.get(index).map(|bucket| &bucket.slot)
    }

    pub fn contains_key(&self, id: &K) -> bool {
        self.find(id.raw()).is_some()
    }

    /// Maps `id` to `slot`, replacing what it mapped to.
    pub fn insert(&mut self, id: K, slot: u32) {
        let id = id.raw();
        if let Some(index) = self.find(id) {
            if let Some(bucket) = self.buckets.get_mut(index) {
                bucket.slot = slot;
            }
            return;
        }
        // At most two thirds full, so probe runs stay short.
        if (self.len + 1) * 3 > self.buckets.len() * 2 {
            self.grow();
        }
        self.place(Bucket { id, slot });
        self.len += 1;
    }

    fn place(&mut self, entry: Bucket) {
        let mask = self.mask();
        let mut index = self.home(entry.id);
        while let Some(bucket) = self.buckets.get_mut(index) {
            if bucket.slot == EMPTY {
                *bucket = entry;
                return;
            }
            index = (index + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let size = (self.buckets.len() * 2).max(16);
        let old = std::mem::replace(&mut self.buckets, vec![FREE; size]);
        for entry in old.into_iter().filter(|bucket| bucket.slot != EMPTY) {
            self.place(entry);
        }
    }

    /// Unmaps `id`, shifting later entries of its probe run back so no
    /// lookup stops early at the hole.
    pub fn remove(&mut self, id: &K) -> Option<u32> {
        let mut hole = self.find(id.raw())?;
        let slot = self.buckets.get(hole)?.slot;
        let mask = self.mask();
        let mut next = hole;
        loop {
            next = (next + 1) & mask;
            let Some(&entry) = self.buckets.get(next) else {
                break;
            };
            if entry.slot == EMPTY {
                break;
            }
            // It may fill the hole if the hole lies between its home and it.
            let home = self.home(entry.id);
            if (next.wrapping_sub(home) & mask) >= (next.wrapping_sub(hole) & mask) {
                if let Some(bucket) = self.buckets.get_mut(hole) {
                    *bucket = entry;
                }
                hole = next;
            }
        }
        if let Some(bucket) = self.buckets.get_mut(hole) {
            *bucket = FREE;
        }
        self.len -= 1;
        Some(slot)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{IdMap, id_map};
    use crate::types::InteractionId;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        /// The map agrees with a `HashMap` under inserts, removals and
        /// lookups, with ids that collide a lot (few distinct high bits).
        #[test]
        fn agrees_with_a_hash_map(ops in prop::collection::vec((0..3u8, 0..300u64, any::<u32>()), 0..2000)) {
            let mut map: IdMap<InteractionId> = id_map();
            let mut model: HashMap<u64, u32> = HashMap::new();
            for (op, id, slot) in ops {
                let (id, slot) = (InteractionId(id << 7), slot % 1_000_000);
                match op {
                    0 => {
                        map.insert(id, slot);
                        model.insert(id.0, slot);
                    }
                    1 => prop_assert_eq!(map.remove(&id), model.remove(&id.0)),
                    _ => {}
                }
                prop_assert_eq!(map.get(&id).copied(), model.get(&id.0).copied());
                prop_assert_eq!(map.contains_key(&id), model.contains_key(&id.0));
            }
            for (&id, &slot) in &model {
                prop_assert_eq!(map.get(&InteractionId(id)).copied(), Some(slot));
            }
            prop_assert_eq!(map.len, model.len());
        }
    }
}
