//! Agent profiles: skills with proficiency, languages, per-channel capacities, and presence.
//! Validation here is what the router later relies on (capacities ≥ 1, proficiency 1–5).

use crate::error::{ValidationErrors, check_text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Interaction channels an agent can have capacity for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Voice,
    Chat,
    Email,
    Ticket,
    Social,
}

/// One skill and how well the agent masters it, 1 (novice) to 5 (expert).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SkillLevel {
    pub skill: String,
    pub proficiency: u8,
}

/// The routing-relevant profile of an agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AgentProfile {
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub skills: Vec<SkillLevel>,
    #[serde(default)]
    pub capacities: BTreeMap<Channel, u16>,
    /// Offers become assignments at once, with no accept step (busy desks that never decline).
    #[serde(default)]
    pub auto_accept: bool,
}

pub const MAX_SKILL_NAME: usize = 64;
pub const MAX_CAPACITY: u16 = 100;

impl AgentProfile {
    /// The capacities a new agent gets when none are given: one call, five chats, ten emails.
    pub fn default_capacities() -> BTreeMap<Channel, u16> {
        BTreeMap::from([
            (Channel::Voice, 1),
            (Channel::Chat, 5),
            (Channel::Email, 10),
        ])
    }

    /// Normalises names (skills lowercase, languages as BCP 47 case) and reports every invalid field.
    pub fn normalized(mut self) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let mut seen_skills = std::collections::BTreeSet::new();
        for (i, level) in self.skills.iter_mut().enumerate() {
            level.skill = level.skill.trim().to_lowercase();
            let field = format!("skills[{i}]");
            check_text(
                &mut errors,
                &format!("{field}.skill"),
                &level.skill,
                MAX_SKILL_NAME,
            );
            if !(1..=5).contains(&level.proficiency) {
                errors.push(
                    format!("{field}.proficiency"),
                    "out_of_range",
                    "proficiency must be between 1 and 5",
                );
            }
            if !seen_skills.insert(level.skill.clone()) {
                errors.push(
                    format!("{field}.skill"),
                    "duplicate",
                    format!("skill {} is listed twice", level.skill),
                );
            }
        }
        let mut languages = Vec::with_capacity(self.languages.len());
        for (i, raw) in self.languages.iter().enumerate() {
            match normalize_language(raw) {
                Some(tag) if !languages.contains(&tag) => languages.push(tag),
                Some(_) => {}
                None => errors.push(
                    format!("languages[{i}]"),
                    "invalid_language",
                    format!("{raw:?} is not a language tag such as zh-CN or en"),
                ),
            }
        }
        self.languages = languages;
        for (channel, capacity) in &self.capacities {
            if *capacity == 0 || *capacity > MAX_CAPACITY {
                errors.push(
                    format!("capacities.{}", serde_json::to_value(channel).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()),
                    "out_of_range",
                    format!("capacity must be between 1 and {MAX_CAPACITY}; remove the channel to give no capacity"),
                );
            }
        }
        errors.into_result().map(|()| self)
    }
}

/// `zh-cn` → `zh-CN`, `EN` → `en`; rejects anything that is not letters/digits in 1–8 char subtags.
pub fn normalize_language(raw: &str) -> Option<String> {
    let parts: Vec<&str> = raw.trim().split(['-', '_']).collect();
    let valid = parts
        .iter()
        .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !valid
        || parts[0].len() < 2
        || parts[0].len() > 3
        || !parts[0].chars().all(|c| c.is_ascii_alphabetic())
    {
        return None;
    }
    let normalized: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| match (i, p.len()) {
            (0, _) => p.to_ascii_lowercase(),
            (_, 2) => p.to_ascii_uppercase(),
            (_, 4) => {
                let mut s = p.to_ascii_lowercase();
                if let Some(first) = s.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                s
            }
            _ => p.to_ascii_lowercase(),
        })
        .collect();
    Some(normalized.join("-"))
}

/// Presence states. `Busy` and `WrapUp` are usually set by the router, the others by the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PresenceState {
    Offline,
    Available,
    Away,
    Busy,
    WrapUp,
}

impl PresenceState {
    pub const ALL: [PresenceState; 5] = [
        PresenceState::Offline,
        PresenceState::Available,
        PresenceState::Away,
        PresenceState::Busy,
        PresenceState::WrapUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PresenceState::Offline => "offline",
            PresenceState::Available => "available",
            PresenceState::Away => "away",
            PresenceState::Busy => "busy",
            PresenceState::WrapUp => "wrap_up",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A presence with its away reason code (only `Away` carries one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Presence {
    pub state: PresenceState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Presence {
    pub fn validated(self) -> Result<Self, ValidationErrors> {
        match (self.state, self.reason.as_deref().map(str::trim)) {
            (PresenceState::Away, Some(reason)) if !reason.is_empty() && reason.len() <= 64 => {
                Ok(Presence {
                    state: self.state,
                    reason: Some(reason.to_owned()),
                })
            }
            (PresenceState::Away, _) => Err(ValidationErrors::single(
                "reason",
                "required",
                "away needs a reason code of 1–64 characters, e.g. lunch or meeting",
            )),
            (_, Some(r)) if !r.is_empty() => Err(ValidationErrors::single(
                "reason",
                "not_allowed",
                "only away carries a reason",
            )),
            (state, _) => Ok(Presence {
                state,
                reason: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn profile_normalises_and_rejects() {
        let ok = AgentProfile {
            languages: vec!["zh_cn".into(), "EN".into(), "zh-CN".into()],
            skills: vec![SkillLevel {
                skill: " Billing ".into(),
                proficiency: 5,
            }],
            capacities: AgentProfile::default_capacities(),
            auto_accept: false,
        }
        .normalized()
        .unwrap();
        assert_eq!(ok.languages, vec!["zh-CN", "en"]);
        assert_eq!(ok.skills[0].skill, "billing");

        let bad = AgentProfile {
            languages: vec!["chinese!".into()],
            skills: vec![
                SkillLevel {
                    skill: "a".into(),
                    proficiency: 0,
                },
                SkillLevel {
                    skill: "A".into(),
                    proficiency: 6,
                },
            ],
            capacities: [(Channel::Chat, 0)].into(),
            auto_accept: true,
        }
        .normalized()
        .unwrap_err();
        let codes: Vec<_> = bad
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert!(codes.contains(&("skills[0].proficiency", "out_of_range")));
        assert!(codes.contains(&("skills[1].skill", "duplicate")));
        assert!(codes.contains(&("languages[0]", "invalid_language")));
        assert!(codes.contains(&("capacities.chat", "out_of_range")));
    }

    #[test]
    fn language_tags() {
        assert_eq!(
            normalize_language("zh-hans-cn").as_deref(),
            Some("zh-Hans-CN")
        );
        assert_eq!(normalize_language("x"), None);
        assert_eq!(normalize_language(""), None);
    }

    #[test]
    fn away_needs_a_reason() {
        assert!(
            Presence {
                state: PresenceState::Away,
                reason: None
            }
            .validated()
            .is_err()
        );
        assert!(
            Presence {
                state: PresenceState::Available,
                reason: Some("lunch".into())
            }
            .validated()
            .is_err()
        );
        let away = Presence {
            state: PresenceState::Away,
            reason: Some(" lunch ".into()),
        }
        .validated()
        .unwrap();
        assert_eq!(away.reason.as_deref(), Some("lunch"));
    }
}
