//! What the caller tells the router: router-wide settings and the specs of
//! agents, queues and interactions, with their validation.

use crate::error::RoutingError;
use crate::types::{
    AgentId, Bits64, Channel, GroupId, InteractionId, LanguageId, MAX_GROUPS, MAX_LANGUAGES,
    MAX_PROFICIENCY, MAX_SKILLS, MIN_PROFICIENCY, Millis, QueueId, SkillId, SkillReq, Tier,
};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Router-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouterConfig {
    /// Skills are `0..skill_count` (at most 256).
    pub skill_count: u16,
    /// Added to the priority score per customer tier (Normal, Silver, Gold, VIP).
    pub tier_boost: [i64; Tier::COUNT],
    /// How long an offer waits for accept before it goes to the next agent.
    pub offer_timeout: Millis,
    /// How long an agent who rejected or missed an offer is kept from it.
    pub decline_cooldown: Millis,
    /// Consecutive offer timeouts after which the agent is set away("missed"); 0 = never.
    pub max_missed_offers: u32,
    /// Wrap-up after an interaction ends, per channel, before the next offer on it.
    pub wrap_up: [Millis; Channel::COUNT],
    /// `blocks[c]` is the set of channels (bit = `Channel::bit`) on which a busy
    /// channel `c` forbids new offers. Default: voice and video block everything.
    pub blocks: [u8; Channel::COUNT],
    /// Upper bound of any sticky (preferred agent) hold, counted from enqueue.
    pub max_sticky_hold: Millis,
    /// How long a transfer to a named agent holds the interaction for that agent.
    pub transfer_hold: Millis,
    /// Whether a transfer to a queue keeps the original enqueue time for ordering.
    pub transfer_keeps_enqueue_time: bool,
    /// How many overflow hops one interaction may make before leaving a message.
    pub max_overflow_hops: u8,
    /// Seed for the random strategy; each queue derives its own stream.
    pub seed: u64,
    /// Handle time assumed for the estimated wait before any is observed.
    pub default_handle_time: Millis,
}

impl Default for RouterConfig {
    fn default() -> Self {
        let all = (1u8 << Channel::COUNT) - 1;
        let mut blocks = [0u8; Channel::COUNT];
        blocks[Channel::Voice.index()] = all;
        blocks[Channel::Video.index()] = all;
        RouterConfig {
            skill_count: MAX_SKILLS as u16,
            tier_boost: [0, 10, 20, 100],
            offer_timeout: Millis::from_secs(20),
            decline_cooldown: Millis::from_secs(30),
            max_missed_offers: 3,
            wrap_up: [Millis::ZERO; Channel::COUNT],
            blocks,
            max_sticky_hold: Millis::from_secs(60),
            transfer_hold: Millis::from_secs(30),
            transfer_keeps_enqueue_time: true,
            max_overflow_hops: 4,
            seed: 0x6b65_6675,
            default_handle_time: Millis::from_secs(180),
        }
    }
}

impl RouterConfig {
    pub(crate) fn validate(&self) -> Result<(), RoutingError> {
        if usize::from(self.skill_count) > MAX_SKILLS {
            return Err(RoutingError::InvalidConfig("skill_count above 256"));
        }
        Ok(())
    }
}

/// How a queue picks among several eligible, free agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    #[default]
    LongestIdle,
    LeastOccupied,
    BestProficiency,
    RoundRobin,
    Random,
}

impl Strategy {
    pub const ALL: [Strategy; 5] = [
        Strategy::LongestIdle,
        Strategy::LeastOccupied,
        Strategy::BestProficiency,
        Strategy::RoundRobin,
        Strategy::Random,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::LongestIdle => "longest-idle",
            Strategy::LeastOccupied => "least-occupied",
            Strategy::BestProficiency => "best-proficiency",
            Strategy::RoundRobin => "round-robin",
            Strategy::Random => "random",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown strategy {0:?}; expected longest-idle, least-occupied, best-proficiency, round-robin or random"
)]
pub struct UnknownStrategy(pub String);

impl FromStr for Strategy {
    type Err = UnknownStrategy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Strategy::ALL
            .into_iter()
            .find(|strategy| strategy.name() == s)
            .ok_or_else(|| UnknownStrategy(s.to_owned()))
    }
}

/// One bullseye ring: after the interaction has waited `after`, requirements
/// loosen. Steps are cumulative and sorted by `after`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RelaxStep {
    pub after: Millis,
    pub lower_proficiency_by: u8,
    pub drop_skills: Vec<SkillId>,
    pub add_groups: Vec<GroupId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverflowTarget {
    Queue(QueueId),
    LeaveMessage,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueSpec {
    pub id: QueueId,
    pub channel: Channel,
    pub required_skills: Vec<SkillReq>,
    /// Agents must belong to one of these groups; empty means any group.
    pub groups: Vec<GroupId>,
    pub strategy: Strategy,
    /// Service-level target: `sl_target_percent` % answered within `sl_threshold`.
    pub sl_target_percent: u8,
    pub sl_threshold: Millis,
    pub max_length: Option<u32>,
    pub max_wait: Option<Millis>,
    pub overflow: OverflowTarget,
    /// Priority points added per second of waiting.
    pub aging_per_sec: u32,
    /// Serve the newest of equal score first.
    pub lifo: bool,
    pub relaxation: Vec<RelaxStep>,
    /// Wrap-up override for this queue's interactions.
    pub wrap_up: Option<Millis>,
}

impl QueueSpec {
    pub fn new(id: u64, channel: Channel) -> QueueSpec {
        QueueSpec {
            id: QueueId(id),
            channel,
            required_skills: Vec::new(),
            groups: Vec::new(),
            strategy: Strategy::LongestIdle,
            sl_target_percent: 80,
            sl_threshold: Millis::from_secs(20),
            max_length: None,
            max_wait: None,
            overflow: OverflowTarget::LeaveMessage,
            aging_per_sec: 0,
            lifo: false,
            relaxation: Vec::new(),
            wrap_up: None,
        }
    }

    pub(crate) fn validate(&self, skill_count: u16) -> Result<(), RoutingError> {
        validate_skill_reqs(&self.required_skills, skill_count)?;
        validate_groups(&self.groups)?;
        let mut previous = Millis::ZERO;
        for step in &self.relaxation {
            if step.after < previous {
                return Err(RoutingError::InvalidConfig(
                    "relaxation steps must be sorted by `after`",
                ));
            }
            previous = step.after;
            for skill in &step.drop_skills {
                check_skill(*skill, skill_count)?;
            }
            validate_groups(&step.add_groups)?;
        }
        if self.sl_target_percent > 100 {
            return Err(RoutingError::InvalidConfig("sl_target_percent above 100"));
        }
        Ok(())
    }
}

/// Whether an agent takes offers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Offline,
    Available,
    Away { reason: String },
}

impl Presence {
    pub fn away(reason: &str) -> Presence {
        Presence::Away {
            reason: reason.to_owned(),
        }
    }
}

/// Reason code the router uses when it sets an agent away after missed offers.
pub const MISSED_OFFERS_REASON: &str = "missed";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSpec {
    pub id: AgentId,
    pub presence: Presence,
    /// Skill and proficiency (1–5).
    pub skills: Vec<(SkillId, u8)>,
    pub languages: Vec<LanguageId>,
    pub groups: Vec<GroupId>,
    /// Concurrent interactions per channel; channels not listed are not served.
    pub capacity: Vec<(Channel, u16)>,
    pub auto_accept: bool,
}

impl AgentSpec {
    pub fn new(id: u64) -> AgentSpec {
        AgentSpec {
            id: AgentId(id),
            presence: Presence::Available,
            skills: Vec::new(),
            languages: Vec::new(),
            groups: Vec::new(),
            capacity: vec![(Channel::Voice, 1)],
            auto_accept: false,
        }
    }

    pub(crate) fn validate(&self, skill_count: u16) -> Result<(), RoutingError> {
        for (skill, proficiency) in &self.skills {
            check_skill(*skill, skill_count)?;
            check_proficiency(skill.0, *proficiency)?;
        }
        for language in &self.languages {
            check_language(*language)?;
        }
        validate_groups(&self.groups)?;
        if self.capacity.is_empty() {
            return Err(RoutingError::NoCapacity);
        }
        for (channel, capacity) in &self.capacity {
            if *capacity == 0 {
                return Err(RoutingError::ZeroCapacity { channel: *channel });
            }
        }
        Ok(())
    }
}

/// A sticky preference for one agent, honoured until `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferredAgent {
    pub agent: AgentId,
    pub until: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionSpec {
    pub id: InteractionId,
    pub queue: QueueId,
    /// Skills on top of the queue's (e.g. the product the customer asks about).
    pub required_skills: Vec<SkillReq>,
    pub language: Option<LanguageId>,
    pub tier: Tier,
    pub base_priority: i32,
    /// When the interaction first entered a queue; `None` means now. The
    /// server sets it when re-feeding waiting interactions after a restart.
    pub enqueued_at: Option<Millis>,
    pub preferred_agent: Option<PreferredAgent>,
}

impl InteractionSpec {
    pub fn new(id: u64, queue: u64) -> InteractionSpec {
        InteractionSpec {
            id: InteractionId(id),
            queue: QueueId(queue),
            required_skills: Vec::new(),
            language: None,
            tier: Tier::Normal,
            base_priority: 0,
            enqueued_at: None,
            preferred_agent: None,
        }
    }

    pub(crate) fn validate(&self, skill_count: u16) -> Result<(), RoutingError> {
        validate_skill_reqs(&self.required_skills, skill_count)?;
        if let Some(language) = self.language {
            check_language(language)?;
        }
        Ok(())
    }
}

fn check_skill(skill: SkillId, skill_count: u16) -> Result<(), RoutingError> {
    if skill.0 >= skill_count {
        return Err(RoutingError::SkillOutOfRange {
            skill: skill.0,
            max: skill_count.saturating_sub(1),
        });
    }
    Ok(())
}

fn check_proficiency(skill: u16, proficiency: u8) -> Result<(), RoutingError> {
    if !(MIN_PROFICIENCY..=MAX_PROFICIENCY).contains(&proficiency) {
        return Err(RoutingError::ProficiencyOutOfRange { skill, proficiency });
    }
    Ok(())
}

fn check_language(language: LanguageId) -> Result<(), RoutingError> {
    if language.0 >= MAX_LANGUAGES {
        return Err(RoutingError::LanguageOutOfRange(language.0));
    }
    Ok(())
}

fn validate_skill_reqs(reqs: &[SkillReq], skill_count: u16) -> Result<(), RoutingError> {
    for req in reqs {
        check_skill(req.skill, skill_count)?;
        check_proficiency(req.skill.0, req.min_proficiency)?;
    }
    Ok(())
}

fn validate_groups(groups: &[GroupId]) -> Result<(), RoutingError> {
    for group in groups {
        if group.0 >= MAX_GROUPS {
            return Err(RoutingError::GroupOutOfRange(group.0));
        }
    }
    Ok(())
}

pub(crate) fn group_bits(groups: &[GroupId]) -> Bits64 {
    groups
        .iter()
        .fold(Bits64::EMPTY, |bits, group| bits.with(group.0))
}

pub(crate) fn language_bits(languages: &[LanguageId]) -> Bits64 {
    languages
        .iter()
        .fold(Bits64::EMPTY, |bits, language| bits.with(language.0))
}
