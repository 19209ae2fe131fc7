//! The one error type of kefu-metrics: every rejected parameter or record, each with a
//! stable machine code (`code()`) for the CLI and HTTP API and a message naming the culprit.

use thiserror::Error;

/// Everything kefu-metrics can reject. Codes are stable; messages may be reworded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// A report window whose end is not after its start.
    #[error("the report window must end after it starts ({start} .. {end})")]
    EmptyWindow { start: String, end: String },
    /// The window would produce more buckets than a report can sensibly hold.
    #[error("the report window spans more than {max} buckets; use a coarser granularity")]
    TooManyBuckets { max: usize },
    /// A parameter outside its documented range.
    #[error("{field} must be {expected} (got {value})")]
    InvalidParameter {
        field: &'static str,
        expected: &'static str,
        value: i64,
    },
    /// An interaction whose timestamps run backwards (e.g. answered before it was queued).
    #[error("interaction {id}: {later} ({later_at}) is before {earlier} ({earlier_at})")]
    TimeOrder {
        id: String,
        earlier: &'static str,
        earlier_at: String,
        later: &'static str,
        later_at: String,
    },
    /// A rating outside its scale (CSAT 1–5, NPS 0–10).
    #[error("interaction {id}: {scale} rating must be {expected} (got {value})")]
    InvalidRating {
        id: String,
        scale: &'static str,
        expected: &'static str,
        value: u8,
    },
    /// An interaction whose fields contradict each other (handle time without an answer…).
    #[error("interaction {id}: {reason}")]
    InconsistentRecord { id: String, reason: &'static str },
    /// An agent state span that ends before it starts.
    #[error("agent {agent}: state span ends ({to}) before it starts ({from})")]
    InvalidSpan {
        agent: String,
        from: String,
        to: String,
    },
    /// A time the tenant's calendar cannot place (beyond chrono's range, or a local day
    /// with no representable start).
    #[error("time {at} cannot be placed in a bucket of the tenant's calendar")]
    UnrepresentableTime { at: String },
    /// Stored pre-aggregated sums (`PartialTally::decode`) that are not in the known format.
    #[error("stored pre-aggregated sums are corrupt or of an unknown format")]
    CorruptPartial,
}

impl MetricsError {
    /// Stable machine code, e.g. `time_order`; safe to match on in clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyWindow { .. } => "empty_window",
            Self::TooManyBuckets { .. } => "too_many_buckets",
            Self::InvalidParameter { .. } => "invalid_parameter",
            Self::TimeOrder { .. } => "time_order",
            Self::InvalidRating { .. } => "invalid_rating",
            Self::InconsistentRecord { .. } => "inconsistent_record",
            Self::InvalidSpan { .. } => "invalid_span",
            Self::UnrepresentableTime { .. } => "unrepresentable_time",
            Self::CorruptPartial => "corrupt_partial",
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn codes_are_distinct_snake_case() {
        let all = [
            MetricsError::EmptyWindow {
                start: String::new(),
                end: String::new(),
            },
            MetricsError::TooManyBuckets { max: 1 },
            MetricsError::InvalidParameter {
                field: "fcr_window_days",
                expected: "1 to 365",
                value: 0,
            },
            MetricsError::TimeOrder {
                id: "c1".into(),
                earlier: "enqueued_at",
                earlier_at: String::new(),
                later: "answered_at",
                later_at: String::new(),
            },
            MetricsError::InvalidRating {
                id: "c1".into(),
                scale: "CSAT",
                expected: "1 to 5",
                value: 9,
            },
            MetricsError::InconsistentRecord {
                id: "c1".into(),
                reason: "x",
            },
            MetricsError::InvalidSpan {
                agent: "a".into(),
                from: String::new(),
                to: String::new(),
            },
            MetricsError::UnrepresentableTime { at: String::new() },
            MetricsError::CorruptPartial,
        ];
        let mut codes: Vec<&str> = all.iter().map(MetricsError::code).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        );
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
