//! The five service-level definitions of GLOSSARY.md as one enum, and the formula each uses
//! over the counts of a bucket; reports name the definition they were computed with.

use serde::{Deserialize, Serialize};

/// Which service-level formula a report uses. The numbers are GLOSSARY.md's; "within T"
/// means a queue wait ≤ T, "short" an abandon within the short-abandon threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlDefinition {
    /// 1: (answered ≤ T + abandoned ≤ T) / (answered + abandoned).
    AnsweredOrAbandonedWithin,
    /// 2: answered ≤ T / answered.
    AnsweredOnly,
    /// 3: answered ≤ T / (answered + abandoned). kefu's default: every customer who waited
    /// counts, and one who gave up was not served within T.
    #[default]
    AllAbandonsCount,
    /// 4: answered ≤ T / (answered + abandoned after T).
    AbandonsAfterThreshold,
    /// 5: (answered ≤ T + short abandons) / (answered + abandoned).
    ShortAbandonsMet,
}

/// The counts every definition draws from (one bucket, one dimension value).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlCounts {
    pub answered: u64,
    pub abandoned: u64,
    /// Answered with a wait ≤ T.
    pub answered_within: u64,
    /// Abandoned with a wait ≤ T (short abandons included when the short threshold ≤ T).
    pub abandoned_within: u64,
    /// Abandoned within the short-abandon threshold.
    pub short_abandoned: u64,
}

impl SlDefinition {
    /// All five, in GLOSSARY order.
    pub const ALL: [SlDefinition; 5] = [
        Self::AnsweredOrAbandonedWithin,
        Self::AnsweredOnly,
        Self::AllAbandonsCount,
        Self::AbandonsAfterThreshold,
        Self::ShortAbandonsMet,
    ];

    /// The definition's number in GLOSSARY.md (1–5), for labels and the docs.
    pub fn number(self) -> u8 {
        match self {
            Self::AnsweredOrAbandonedWithin => 1,
            Self::AnsweredOnly => 2,
            Self::AllAbandonsCount => 3,
            Self::AbandonsAfterThreshold => 4,
            Self::ShortAbandonsMet => 5,
        }
    }

    /// The formula as a report shows it.
    pub fn formula(self) -> &'static str {
        match self {
            Self::AnsweredOrAbandonedWithin => {
                "(answered <= T + abandoned <= T) / (answered + abandoned)"
            }
            Self::AnsweredOnly => "answered <= T / answered",
            Self::AllAbandonsCount => "answered <= T / (answered + abandoned)",
            Self::AbandonsAfterThreshold => "answered <= T / (answered + abandoned after T)",
            Self::ShortAbandonsMet => "(answered <= T + short abandons) / (answered + abandoned)",
        }
    }

    /// The service level in [0, 1], or `None` when the denominator is zero.
    pub fn compute(self, c: &SlCounts) -> Option<f64> {
        let answered_and_abandoned = c.answered + c.abandoned;
        let (met, total) = match self {
            Self::AnsweredOrAbandonedWithin => (
                c.answered_within + c.abandoned_within,
                answered_and_abandoned,
            ),
            Self::AnsweredOnly => (c.answered_within, c.answered),
            Self::AllAbandonsCount => (c.answered_within, answered_and_abandoned),
            Self::AbandonsAfterThreshold => (
                c.answered_within,
                c.answered + c.abandoned.saturating_sub(c.abandoned_within),
            ),
            Self::ShortAbandonsMet => (
                c.answered_within + c.short_abandoned,
                answered_and_abandoned,
            ),
        };
        crate::report::ratio(met, total)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn glossary_worked_example_from_counts() {
        let counts = SlCounts {
            answered: 1000,
            abandoned: 60,
            answered_within: 860,
            abandoned_within: 20,
            short_abandoned: 10,
        };
        let percent: Vec<f64> = SlDefinition::ALL
            .iter()
            .map(|d| (d.compute(&counts).unwrap() * 1000.0).round() / 10.0)
            .collect();
        assert_eq!(percent, [83.0, 86.0, 81.1, 82.7, 82.1]);
    }

    #[test]
    fn no_traffic_is_none_not_nan() {
        for definition in SlDefinition::ALL {
            assert_eq!(definition.compute(&SlCounts::default()), None);
        }
    }
}
