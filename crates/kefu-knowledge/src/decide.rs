//! The bot's decision for one customer message: answer, offer "did you mean" choices, ask to
//! rephrase, or hand off to a person — from ranked matches and the tenant's thresholds.

use crate::error::KnowledgeError;
use crate::matcher::{KnowledgeBase, Match, prepare_question};
use crate::text::normalize;
use serde::{Deserialize, Serialize};

/// Per-tenant thresholds. τ is `answer_threshold`, δ is `margin`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BotSettings {
    /// Answer when the best match is at least this confident (and clear of the runner-up).
    pub answer_threshold: f32,
    /// When the best two are closer than this, offer choices instead of guessing.
    pub margin: f32,
    /// Choices below this confidence are not worth offering.
    pub suggest_threshold: f32,
    /// How many times the bot asks to rephrase before handing off.
    pub rephrase_attempts: u32,
    /// At most this many "did you mean" choices (1 to 3 is readable in a chat).
    pub max_choices: usize,
    /// Invalid answers in a row to a scenario's question before handing off.
    pub slot_attempts: u32,
}

impl Default for BotSettings {
    fn default() -> Self {
        BotSettings {
            answer_threshold: 0.5,
            margin: 0.15,
            suggest_threshold: 0.15,
            rephrase_attempts: 2,
            max_choices: 3,
            slot_attempts: 2,
        }
    }
}

impl BotSettings {
    pub fn validate(&self) -> Result<(), KnowledgeError> {
        let unit = |v: f32| (0.0..=1.0).contains(&v);
        let problem = if !unit(self.answer_threshold) || !unit(self.margin) {
            Some("answer_threshold and margin must be in [0, 1]")
        } else if !unit(self.suggest_threshold) || self.suggest_threshold > self.answer_threshold {
            Some("suggest_threshold must be in [0, answer_threshold]")
        } else if !(2..=10).contains(&self.max_choices) {
            Some("max_choices must be between 2 and 10")
        } else if !(1..=10).contains(&self.slot_attempts) {
            Some("slot_attempts must be between 1 and 10")
        } else {
            None
        };
        match problem {
            Some(message) => Err(KnowledgeError::InvalidSettings(message.to_owned())),
            None => Ok(()),
        }
    }
}

/// Why a conversation goes to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    /// The customer asked for one ("转人工", "agent", …).
    Requested,
    /// The bot did not understand after the allowed rephrasings.
    NotUnderstood,
}

/// What the bot does with one message. `best` always carries the top matches so that an agent
/// taking over sees the bot's guesses.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Decision {
    Answer {
        answer: Match,
        best: Vec<Match>,
    },
    DidYouMean {
        choices: Vec<Match>,
        best: Vec<Match>,
    },
    Rephrase {
        attempt: u32,
        best: Vec<Match>,
    },
    Handoff {
        reason: HandoffReason,
        best: Vec<Match>,
    },
}

impl Decision {
    pub fn best(&self) -> &[Match] {
        match self {
            Decision::Answer { best, .. }
            | Decision::DidYouMean { best, .. }
            | Decision::Rephrase { best, .. }
            | Decision::Handoff { best, .. } => best,
        }
    }

    pub fn action(&self) -> &'static str {
        match self {
            Decision::Answer { .. } => "answer",
            Decision::DidYouMean { .. } => "did_you_mean",
            Decision::Rephrase { .. } => "rephrase",
            Decision::Handoff { .. } => "handoff",
        }
    }
}

// Han phrases are found anywhere in the message; English ones as whole words.
const HAN_HANDOFF: &[&str] = &[
    "人工",
    "真人",
    "找客服",
    "客服人员",
    "接线员",
    "转接客服",
    "活人",
];
const HAN_NOT_HANDOFF: &[&str] = &["人工智能"];
const ENGLISH_HANDOFF: &[&[&str]] = &[
    &["human"],
    &["agent"],
    &["operator"],
    &["representative"],
    &["real", "person"],
    &["live", "person"],
    &["a", "person"],
    &["talk", "to", "someone"],
    &["speak", "to", "someone"],
    &["customer", "service", "rep"],
];

/// Whether the customer asks for a person, in Chinese or English.
pub fn wants_human(question: &str) -> bool {
    let folded = normalize(question);
    let compact: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
    let mut han = compact.clone();
    for phrase in HAN_NOT_HANDOFF {
        han = han.replace(phrase, "");
    }
    if HAN_HANDOFF.iter().any(|p| han.contains(p)) {
        return true;
    }
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_end_matches('s'))
        .collect();
    ENGLISH_HANDOFF
        .iter()
        .any(|phrase| words.windows(phrase.len()).any(|window| window == *phrase))
}

/// The decision rule on ranked matches; `failed_attempts` counts the messages in a row that the
/// bot already asked to rephrase.
pub fn decide(settings: &BotSettings, matches: &[Match], failed_attempts: u32) -> Decision {
    let best: Vec<Match> = matches.iter().take(settings.max_choices).copied().collect();
    let top = matches.first().map_or(0.0, |m| m.confidence);
    let second = matches.get(1).map_or(0.0, |m| m.confidence);
    let clear = top - second >= settings.margin;
    if let Some(answer) = matches
        .first()
        .filter(|_| clear && top >= settings.answer_threshold)
    {
        return Decision::Answer {
            answer: *answer,
            best,
        };
    }
    if !clear {
        let choices: Vec<Match> = best
            .iter()
            .filter(|m| m.confidence >= settings.suggest_threshold)
            .copied()
            .collect();
        if choices.len() >= 2 {
            return Decision::DidYouMean { choices, best };
        }
    }
    if failed_attempts < settings.rephrase_attempts {
        Decision::Rephrase {
            attempt: failed_attempts + 1,
            best,
        }
    } else {
        Decision::Handoff {
            reason: HandoffReason::NotUnderstood,
            best,
        }
    }
}

/// One bot turn as production runs it: refuse an empty message, honour a request for a person,
/// otherwise match and decide.
pub fn reply(
    kb: &KnowledgeBase,
    settings: &BotSettings,
    question: &str,
    failed_attempts: u32,
) -> Result<Decision, KnowledgeError> {
    let question = prepare_question(question, kb.settings().max_question_chars)?;
    let matches = kb.search(&question, reply_matches(settings))?;
    Ok(decide_matches(
        settings,
        &question,
        matches,
        failed_attempts,
    ))
}

/// How many matches a bot turn looks at.
pub fn reply_matches(settings: &BotSettings) -> usize {
    settings.max_choices.max(3)
}

/// [`reply`] for a prepared question whose best [`reply_matches`] matches the caller already
/// searched (e.g. to list them too): honour a request for a person, otherwise decide.
pub fn decide_matches(
    settings: &BotSettings,
    question: &str,
    matches: Vec<Match>,
    failed_attempts: u32,
) -> Decision {
    if wants_human(question) {
        return Decision::Handoff {
            reason: HandoffReason::Requested,
            best: matches,
        };
    }
    decide(settings, &matches, failed_attempts)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn m(entry: usize, confidence: f32) -> Match {
        Match {
            entry,
            confidence,
            similarity: 0.5,
        }
    }

    #[test]
    fn a_clear_confident_match_is_answered() {
        let d = decide(&BotSettings::default(), &[m(3, 0.9), m(1, 0.05)], 0);
        assert!(matches!(d, Decision::Answer { answer, .. } if answer.entry == 3));
    }

    #[test]
    fn two_close_matches_offer_choices() {
        let d = decide(
            &BotSettings::default(),
            &[m(3, 0.45), m(1, 0.4), m(2, 0.1)],
            0,
        );
        match d {
            Decision::DidYouMean { choices, .. } => {
                assert_eq!(choices.iter().map(|c| c.entry).collect::<Vec<_>>(), [3, 1]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn low_confidence_asks_to_rephrase_then_hands_off() {
        let s = BotSettings::default();
        let low = [m(3, 0.3), m(1, 0.05)];
        assert_eq!(decide(&s, &low, 0).action(), "rephrase");
        assert_eq!(decide(&s, &low, 1).action(), "rephrase");
        assert!(matches!(
            decide(&s, &low, 2),
            Decision::Handoff {
                reason: HandoffReason::NotUnderstood,
                ..
            }
        ));
        assert_eq!(decide(&s, &[], 0).action(), "rephrase");
    }

    #[test]
    fn handoff_phrases_in_both_languages() {
        for q in [
            "人工",
            "转人工",
            "我要人工客服！",
            "转 人 工",
            "Human please",
            "I want an AGENT",
            "can I talk to a person",
            "let me speak to someone",
            "agents?",
        ] {
            assert!(wants_human(q), "{q}");
        }
        for q in [
            "我的快递到哪了",
            "人工智能客服好用吗",
            "where is my parcel",
            "personal data",
        ] {
            assert!(!wants_human(q), "{q}");
        }
    }

    #[test]
    fn settings_are_validated() {
        assert!(BotSettings::default().validate().is_ok());
        let bad = BotSettings {
            answer_threshold: 1.5,
            ..BotSettings::default()
        };
        assert_eq!(bad.validate().unwrap_err().code(), "invalid_settings");
        let parsed: Result<BotSettings, _> = serde_json::from_str(r#"{"tau": 0.3}"#);
        assert!(parsed.is_err(), "unknown keys are refused");
    }
}
