//! A queue as the router holds it: its bullseye levels, the ordered set of
//! waiting interactions, its round-robin cursor, random stream and the recent
//! handle times behind the estimated wait.

use crate::agent::AgentSlot;
use crate::config::{QueueSpec, group_bits};
use crate::rng::Rng;
use crate::types::{Bits64, Channel, Millis, QueueId, SkillId, SkillReq};
use crate::waiting::{Iter, WaitingSet};

/// Requirements in force after the interaction has waited `after`.
#[derive(Debug, Clone)]
pub(crate) struct Level {
    pub after: Millis,
    pub skills: Vec<SkillReq>,
    /// Empty means any group.
    pub groups: Bits64,
    pub lowered_by: u8,
    pub dropped: Vec<SkillId>,
}

impl Level {
    pub fn admits(&self, agent: &AgentSlot) -> bool {
        (self.groups.is_empty() || agent.groups.intersects(self.groups))
            && self
                .skills
                .iter()
                .all(|req| agent.proficiency[usize::from(req.skill.0)] >= req.min_proficiency)
    }

    /// The interaction's own skill requirement as relaxed at this level.
    pub fn relaxed(&self, req: &SkillReq) -> Option<u8> {
        if self.dropped.contains(&req.skill) {
            return None;
        }
        Some(req.min_proficiency.saturating_sub(self.lowered_by).max(1))
    }
}

/// Sort key of a waiting interaction: highest score first, then the
/// tie-break (order time and arrival, reversed for LIFO); the slot rides
/// along and keeps keys unique. `neg_score` is aging × order time − points,
/// constant while it waits, so the order never needs re-sorting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct WaitKey {
    pub neg_score: i64,
    pub tiebreak: u64,
    pub slot: u32,
    /// No language, extra skills, declines or sticky hold: any member of a
    /// queue without relaxation may take it, so the router need not look
    /// at the interaction itself.
    pub plain: bool,
}

#[derive(Debug)]
pub(crate) struct QueueSlot {
    pub spec: QueueSpec,
    pub levels: Vec<Level>,
    waiting: WaitingSet,
    /// Agent slots that meet the widest level and serve the channel.
    pub members: Vec<u32>,
    pub round_robin_after: Option<u64>,
    pub rng: Rng,
    handle_time_ema_ms: Option<f64>,
}

/// Weight of the newest handle time in the moving average.
const HANDLE_TIME_WEIGHT: f64 = 0.1;

impl QueueSlot {
    pub fn new(spec: QueueSpec, seed: u64) -> QueueSlot {
        let levels = build_levels(&spec);
        let rng = Rng::seed(seed ^ spec.id.0.rotate_left(17));
        QueueSlot {
            spec,
            levels,
            waiting: WaitingSet::default(),
            members: Vec::new(),
            round_robin_after: None,
            rng,
            handle_time_ema_ms: None,
        }
    }

    pub fn replace_spec(&mut self, spec: QueueSpec) {
        self.levels = build_levels(&spec);
        self.spec = spec;
    }

    /// Adds a waiting interaction's key; `class` is its priority points
    /// (base priority + tier boost), needed again to remove it.
    pub fn insert(&mut self, key: WaitKey, class: i64) {
        self.waiting.insert(key, class);
    }

    pub fn remove(&mut self, key: &WaitKey, class: i64) {
        self.waiting.remove(key, class);
    }

    /// Empties the queue, returning the slots in service order.
    pub fn take_all(&mut self) -> Vec<u32> {
        self.waiting
            .take_all()
            .into_iter()
            .map(|key| key.slot)
            .collect()
    }

    pub fn head(&self) -> Option<WaitKey> {
        self.waiting.head()
    }

    /// Waiting keys in service order.
    pub fn waiting(&self) -> Iter<'_> {
        self.waiting.iter()
    }

    /// How many waiting interactions are served before `key`.
    pub fn count_before(&self, key: &WaitKey) -> usize {
        self.waiting.count_before(key)
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Whether requirements never change with waiting time.
    pub fn has_relaxation(&self) -> bool {
        self.levels.len() > 1
    }

    pub fn id(&self) -> QueueId {
        self.spec.id
    }

    pub fn channel(&self) -> Channel {
        self.spec.channel
    }

    pub fn widest(&self) -> &Level {
        // build_levels always yields at least the base level.
        &self.levels[self.levels.len() - 1]
    }

    /// A skill every eligible agent has at every level, if the queue has
    /// one: arrivals look only at ready agents holding it.
    pub fn anchor(&self) -> Option<SkillId> {
        self.widest().skills.first().map(|req| req.skill)
    }

    pub fn level_after(&self, waited: Millis) -> &Level {
        let index = self
            .levels
            .iter()
            .rposition(|level| level.after <= waited)
            .unwrap_or(0);
        &self.levels[index]
    }

    /// When the next relaxation step starts for something that entered at `entered`.
    pub fn next_step_at(&self, entered: Millis, now: Millis) -> Option<Millis> {
        self.levels
            .iter()
            .map(|level| entered.saturating_add(level.after))
            .find(|&at| at > now)
    }

    pub fn record_handle_time(&mut self, handle: Millis) {
        let sample = handle.0 as f64;
        self.handle_time_ema_ms = Some(match self.handle_time_ema_ms {
            None => sample,
            Some(ema) => ema + HANDLE_TIME_WEIGHT * (sample - ema),
        });
    }

    pub fn handle_time_estimate(&self, default: Millis) -> Millis {
        self.handle_time_ema_ms
            .map_or(default, |ema| Millis(ema.round() as u64))
    }
}

fn build_levels(spec: &QueueSpec) -> Vec<Level> {
    let mut level = Level {
        after: Millis::ZERO,
        skills: spec.required_skills.clone(),
        groups: group_bits(&spec.groups),
        lowered_by: 0,
        dropped: Vec::new(),
    };
    let mut levels = vec![level.clone()];
    for step in &spec.relaxation {
        level.after = step.after;
        level.lowered_by = level.lowered_by.saturating_add(step.lower_proficiency_by);
        level.dropped.extend(step.drop_skills.iter().copied());
        if !level.groups.is_empty() {
            level.groups = level.groups.union(group_bits(&step.add_groups));
        }
        let base = &spec.required_skills;
        level.skills = base
            .iter()
            .filter(|req| !level.dropped.contains(&req.skill))
            .map(|req| SkillReq {
                skill: req.skill,
                min_proficiency: req.min_proficiency.saturating_sub(level.lowered_by).max(1),
            })
            .collect();
        levels.push(level.clone());
    }
    levels
}
