//! One queue's waiting interactions in service order: a FIFO bucket per
//! priority class (base priority + tier boost), merged by their heads.
//!
//! Order is exactly the order of the `WaitKey`s, as a sorted set of them
//! would give: each bucket is kept sorted by key, and the queue's order is
//! the merge of its buckets. Within one class the key grows with the order
//! time (aging is the same for the whole queue), so an arrival lands at the
//! back of its bucket (or the front, for LIFO without aging) in O(1); only
//! an interaction re-fed with an earlier order time is inserted in the
//! middle. Removals away from a bucket's front leave a tombstone, dropped
//! when it reaches the front or when tombstones outnumber live entries.
//! Queues with more than `MAX_BUCKETS` classes waiting at once fall back to
//! a B-tree until they empty.

use crate::queue::WaitKey;
use std::cmp::Ordering;
use std::collections::{BTreeSet, VecDeque};

/// Most priority classes kept as buckets; the head is a scan over them.
const MAX_BUCKETS: usize = 16;

/// A bucket is compacted once it holds more tombstones than this and more
/// tombstones than live entries.
const MIN_COMPACT: usize = 8;

/// A key as stored in a bucket: the key, and whether it was removed.
#[derive(Debug, Clone, Copy)]
struct Entry {
    key: WaitKey,
    dead: bool,
}

/// The order of keys, without the `plain` flag (a slot has one live key).
fn order(a: &WaitKey, b: &WaitKey) -> Ordering {
    (a.neg_score, a.tiebreak, a.slot).cmp(&(b.neg_score, b.tiebreak, b.slot))
}

#[derive(Debug)]
struct Bucket {
    class: i64,
    /// Copy of the first entry's key (always live), so the head is a scan
    /// over the bucket headers only.
    front: WaitKey,
    entries: VecDeque<Entry>,
    dead: usize,
}

impl Bucket {
    fn new(class: i64, key: WaitKey) -> Bucket {
        let mut entries = VecDeque::with_capacity(4);
        entries.push_back(Entry { key, dead: false });
        Bucket {
            class,
            front: key,
            entries,
            dead: 0,
        }
    }

    fn live(&self) -> usize {
        self.entries.len() - self.dead
    }

    fn insert(&mut self, key: WaitKey) {
        let entry = Entry { key, dead: false };
        let after_back = self
            .entries
            .back()
            .is_none_or(|back| order(&back.key, &key) == Ordering::Less);
        if after_back {
            self.entries.push_back(entry);
        } else if order(&key, &self.front) == Ordering::Less {
            self.entries.push_front(entry);
        } else {
            match self
                .entries
                .binary_search_by(|probe| order(&probe.key, &key))
            {
                // Only a tombstone can share a live key's place: revive it.
                Ok(index) => {
                    if let Some(found) = self.entries.get_mut(index)
                        && found.dead
                    {
                        *found = entry;
                        self.dead -= 1;
                    }
                }
                Err(index) => self.entries.insert(index, entry),
            }
        }
        self.settle_front();
    }

    /// Removes `key` if it is live here; returns whether it was.
    fn remove(&mut self, key: &WaitKey) -> bool {
        if order(key, &self.front) == Ordering::Equal {
            self.entries.pop_front();
            self.settle_front();
            return true;
        }
        let Ok(index) = self
            .entries
            .binary_search_by(|probe| order(&probe.key, key))
        else {
            return false;
        };
        match self.entries.get_mut(index) {
            Some(entry) if !entry.dead => entry.dead = true,
            _ => return false,
        }
        self.dead += 1;
        if index + 1 == self.entries.len() {
            while self.entries.back().is_some_and(|entry| entry.dead) {
                self.entries.pop_back();
                self.dead -= 1;
            }
        }
        if self.dead > MIN_COMPACT && self.dead > self.live() {
            self.entries.retain(|entry| !entry.dead);
            self.dead = 0;
            self.shrink();
        }
        true
    }

    /// Drops tombstones at the front and refreshes the cached front key.
    fn settle_front(&mut self) {
        while let Some(first) = self.entries.front() {
            if !first.dead {
                self.front = first.key;
                return;
            }
            self.entries.pop_front();
            self.dead -= 1;
        }
        self.shrink();
    }

    /// Gives back memory once a bucket holds a quarter of what it could.
    fn shrink(&mut self) {
        let len = self.entries.len();
        if self.entries.capacity() > 64 && len * 4 < self.entries.capacity() {
            self.entries.shrink_to(len * 2);
        }
    }

    fn count_before(&self, key: &WaitKey) -> usize {
        let end = self
            .entries
            .partition_point(|entry| order(&entry.key, key) == Ordering::Less);
        self.entries
            .range(..end)
            .filter(|entry| !entry.dead)
            .count()
    }
}

#[derive(Debug)]
enum Store {
    Buckets(Vec<Bucket>),
    Tree(BTreeSet<WaitKey>),
}

#[derive(Debug)]
pub(crate) struct WaitingSet {
    store: Store,
    head: Option<WaitKey>,
    len: usize,
}

impl Default for WaitingSet {
    fn default() -> Self {
        WaitingSet {
            store: Store::Buckets(Vec::new()),
            head: None,
            len: 0,
        }
    }
}

impl WaitingSet {
    /// Adds `key` of priority class `class` (the same class must be given
    /// to remove it).
    pub fn insert(&mut self, key: WaitKey, class: i64) {
        if let Store::Buckets(buckets) = &self.store
            && buckets.len() >= MAX_BUCKETS
            && !buckets.iter().any(|bucket| bucket.class == class)
        {
            self.store = Store::Tree(self.iter().collect());
        }
        let added = match &mut self.store {
            Store::Buckets(buckets) => match buckets.iter_mut().find(|b| b.class == class) {
                Some(bucket) => {
                    let live = bucket.live();
                    bucket.insert(key);
                    bucket.live() > live
                }
                None => {
                    buckets.push(Bucket::new(class, key));
                    true
                }
            },
            Store::Tree(tree) => tree.insert(key),
        };
        if !added {
            return;
        }
        self.len += 1;
        if self
            .head
            .is_none_or(|head| order(&key, &head) == Ordering::Less)
        {
            self.head = Some(key);
        }
    }

    pub fn remove(&mut self, key: &WaitKey, class: i64) {
        let removed = match &mut self.store {
            Store::Buckets(buckets) => {
                let Some(index) = buckets.iter().position(|b| b.class == class) else {
                    return;
                };
                let removed = buckets.get_mut(index).is_some_and(|b| b.remove(key));
                if buckets.get(index).is_some_and(|b| b.live() == 0) {
                    buckets.swap_remove(index);
                }
                removed
            }
            Store::Tree(tree) => {
                let removed = tree.remove(key);
                if tree.is_empty() {
                    self.store = Store::Buckets(Vec::new());
                }
                removed
            }
        };
        if !removed {
            return;
        }
        self.len -= 1;
        if self
            .head
            .is_some_and(|head| order(&head, key) == Ordering::Equal)
        {
            self.head = self.first();
        }
    }

    /// The first key in service order.
    pub fn head(&self) -> Option<WaitKey> {
        self.head
    }

    fn first(&self) -> Option<WaitKey> {
        match &self.store {
            Store::Buckets(buckets) => buckets.iter().map(|bucket| bucket.front).min_by(order),
            Store::Tree(tree) => tree.first().copied(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Empties the set, returning the keys in service order.
    pub fn take_all(&mut self) -> Vec<WaitKey> {
        let keys = self.iter().collect();
        *self = WaitingSet::default();
        keys
    }

    /// How many keys come before `key` in service order.
    pub fn count_before(&self, key: &WaitKey) -> usize {
        match &self.store {
            Store::Buckets(buckets) => buckets.iter().map(|b| b.count_before(key)).sum(),
            Store::Tree(tree) => tree.range(..key).count(),
        }
    }

    /// The keys in service order.
    pub fn iter(&self) -> Iter<'_> {
        match &self.store {
            Store::Buckets(buckets) => Iter(Walk::Merge {
                buckets,
                cursors: [0; MAX_BUCKETS],
            }),
            Store::Tree(tree) => Iter(Walk::Tree(tree.iter())),
        }
    }
}

/// Keys in service order: a merge of the buckets' live entries, or the tree.
pub(crate) struct Iter<'a>(Walk<'a>);

enum Walk<'a> {
    Merge {
        buckets: &'a [Bucket],
        cursors: [usize; MAX_BUCKETS],
    },
    Tree(std::collections::btree_set::Iter<'a, WaitKey>),
}

impl Iterator for Iter<'_> {
    type Item = WaitKey;

    fn next(&mut self) -> Option<WaitKey> {
        match &mut self.0 {
            Walk::Tree(iter) => iter.next().copied(),
            Walk::Merge { buckets, cursors } => {
                let mut best: Option<(usize, WaitKey)> = None;
                for (index, (bucket, cursor)) in buckets.iter().zip(cursors.iter_mut()).enumerate()
                {
                    while bucket.entries.get(*cursor).is_some_and(|entry| entry.dead) {
                        *cursor += 1;
                    }
                    let Some(entry) = bucket.entries.get(*cursor) else {
                        continue;
                    };
                    if best.is_none_or(|(_, top)| order(&entry.key, &top) == Ordering::Less) {
                        best = Some((index, entry.key));
                    }
                }
                let (index, key) = best?;
                if let Some(cursor) = cursors.get_mut(index) {
                    *cursor += 1;
                }
                Some(key)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{MAX_BUCKETS, WaitingSet};
    use crate::queue::WaitKey;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    enum Op {
        Insert { class: i64, order_at: u64 },
        Remove(usize),
    }

    fn op(classes: i64) -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..classes, 0..50u64).prop_map(|(class, order_at)| Op::Insert { class, order_at }),
            2 => any::<usize>().prop_map(Op::Remove),
        ]
    }

    /// The key the router would build for an interaction of `class` ordered
    /// at `order_at` with arrival `seq`.
    fn key(class: i64, order_at: u64, seq: u64, aging: i64, lifo: bool, slot: u32) -> WaitKey {
        let tiebreak = (order_at << 20) | seq;
        WaitKey {
            neg_score: aging.saturating_mul(order_at as i64) - class * 1000,
            tiebreak: if lifo { !tiebreak } else { tiebreak },
            slot,
            plain: !slot.is_multiple_of(3),
        }
    }

    fn check(
        ops: &[Op],
        aging: i64,
        lifo: bool,
        mostly_in_order: bool,
    ) -> Result<(), TestCaseError> {
        let mut set = WaitingSet::default();
        // The reference: a sorted map of the same keys, with their class.
        let mut model: BTreeMap<WaitKey, i64> = BTreeMap::new();
        let mut seq = 0u64;
        let mut clock = 0u64;
        for op in ops {
            match *op {
                Op::Insert { class, order_at } => {
                    seq += 1;
                    clock += 1;
                    // Arrivals carry the current time; a few are re-fed
                    // with an earlier one (restart, transfer, requeue).
                    let at = if mostly_in_order && !order_at.is_multiple_of(7) {
                        clock
                    } else {
                        order_at
                    };
                    let k = key(class, at, seq, aging, lifo, seq as u32);
                    set.insert(k, class);
                    model.insert(k, class);
                }
                Op::Remove(pick) => {
                    if model.is_empty() {
                        continue;
                    }
                    let (&k, &class) = model.iter().nth(pick % model.len()).unwrap();
                    set.remove(&k, class);
                    model.remove(&k);
                }
            }
            let expected: Vec<WaitKey> = model.keys().copied().collect();
            let actual: Vec<WaitKey> = set.iter().collect();
            prop_assert_eq!(&actual, &expected);
            prop_assert_eq!(set.len(), expected.len());
            prop_assert_eq!(set.head(), expected.first().copied());
            if let Some(&probe) = expected.get(expected.len() / 2) {
                prop_assert_eq!(set.count_before(&probe), expected.len() / 2);
            }
        }
        let all = set.take_all();
        prop_assert_eq!(all, model.keys().copied().collect::<Vec<_>>());
        prop_assert_eq!(set.len(), 0);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// The buckets give exactly the order of a sorted set of keys, with
        /// and without aging, FIFO and LIFO, few classes and more than
        /// `MAX_BUCKETS` (the B-tree fallback and back).
        #[test]
        fn buckets_order_like_a_sorted_set(
            ops in prop::collection::vec(op(4), 0..200),
            many in prop::collection::vec(op(MAX_BUCKETS as i64 + 4), 0..200),
            aging in prop_oneof![Just(0i64), 1..3i64, Just(1_000_000i64)],
            lifo in any::<bool>(),
            mostly_in_order in any::<bool>(),
        ) {
            check(&ops, aging, lifo, mostly_in_order)?;
            check(&many, aging, lifo, mostly_in_order)?;
        }
    }

    #[test]
    fn removing_from_the_middle_leaves_order_and_compacts() {
        let mut set = WaitingSet::default();
        let keys: Vec<WaitKey> = (0..100).map(|n| key(0, n, n, 1, false, n as u32)).collect();
        for &k in &keys {
            set.insert(k, 0);
        }
        for &k in keys.iter().skip(1).step_by(2) {
            set.remove(&k, 0);
        }
        let left: Vec<WaitKey> = set.iter().collect();
        let expected: Vec<WaitKey> = keys.iter().copied().step_by(2).collect();
        assert_eq!(left, expected);
        assert_eq!(set.len(), 50);
        assert_eq!(set.count_before(&keys[10]), 5);
    }
}
