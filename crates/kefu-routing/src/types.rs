//! Value types shared by the router and the simulator: ids, time, channels,
//! skills, languages, groups, tiers and the small bitsets that index them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point in time or a duration, in milliseconds. The router never reads a
/// clock: every call carries the caller's `now`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Millis(pub u64);

impl Millis {
    pub const ZERO: Millis = Millis(0);

    pub const fn from_secs(secs: u64) -> Millis {
        Millis(secs.saturating_mul(1000))
    }

    pub fn saturating_add(self, other: Millis) -> Millis {
        Millis(self.0.saturating_add(other.0))
    }

    pub fn saturating_sub(self, other: Millis) -> Millis {
        Millis(self.0.saturating_sub(other.0))
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

macro_rules! external_id {
    ($name:ident, $prefix:literal) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "#{}"), self.0)
            }
        }
    };
}

external_id!(AgentId, "agent");
external_id!(QueueId, "queue");
external_id!(InteractionId, "interaction");

/// Skills are interned by the caller into small integers `0..MAX_SKILLS`, so
/// an agent's proficiencies fit a flat array and requirements compare in a
/// few instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SkillId(pub u16);

pub const MAX_SKILLS: usize = 256;
pub const MIN_PROFICIENCY: u8 = 1;
pub const MAX_PROFICIENCY: u8 = 5;

/// A language interned into `0..64` (one bit of a `u64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LanguageId(pub u8);

/// A service group (客服分组) interned into `0..64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GroupId(pub u8);

pub const MAX_LANGUAGES: u8 = 64;
pub const MAX_GROUPS: u8 = 64;

/// A set of languages or groups as one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Bits64(pub u64);

impl Bits64 {
    pub const EMPTY: Bits64 = Bits64(0);

    pub fn with(self, bit: u8) -> Bits64 {
        Bits64(self.0 | 1u64.checked_shl(u32::from(bit)).unwrap_or(0))
    }

    pub fn contains(self, bit: u8) -> bool {
        bit < 64 && self.0 & (1u64 << bit) != 0
    }

    pub fn intersects(self, other: Bits64) -> bool {
        self.0 & other.0 != 0
    }

    pub fn union(self, other: Bits64) -> Bits64 {
        Bits64(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Voice,
    Video,
    Chat,
    Email,
    Ticket,
    Social,
}

impl Channel {
    pub const COUNT: usize = 6;
    pub const ALL: [Channel; Channel::COUNT] = [
        Channel::Voice,
        Channel::Video,
        Channel::Chat,
        Channel::Email,
        Channel::Ticket,
        Channel::Social,
    ];

    pub const fn index(self) -> usize {
        self as usize
    }

    pub const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Customer value tier (客户分层); each tier adds a configurable boost to the
/// priority score.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    #[default]
    Normal,
    Silver,
    Gold,
    Vip,
}

impl Tier {
    pub const COUNT: usize = 4;

    pub const fn index(self) -> usize {
        self as usize
    }
}

/// A skill an agent must have, at least at `min_proficiency` (1–5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SkillReq {
    pub skill: SkillId,
    pub min_proficiency: u8,
}

impl SkillReq {
    pub fn new(skill: u16, min_proficiency: u8) -> SkillReq {
        SkillReq {
            skill: SkillId(skill),
            min_proficiency,
        }
    }
}
