//! The one error type of kefu-sla: rejected calendars and policies, impossible calendar
//! questions and misordered ticket facts, each with a stable machine code (`code()`).

use chrono::{DateTime, NaiveDate, Utc};
use thiserror::Error;

/// Everything kefu-sla can reject. Codes are stable; messages may be reworded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SlaError {
    /// A time zone that is not an IANA name known to the bundled tz database.
    #[error("time_zone {value:?} is not an IANA time zone such as \"Asia/Shanghai\"")]
    InvalidTimeZone { value: String },
    /// An interval that is not `HH:MM-HH:MM` with times from 00:00 to 24:00.
    #[error("{field}: {value:?} is not an interval like \"09:00-18:00\" (times 00:00 to 24:00)")]
    InvalidInterval { field: String, value: String },
    /// An interval whose end is not after its start (intervals may not cross midnight).
    #[error(
        "{field}: {value:?} ends before it starts; split a night shift into two days' intervals"
    )]
    InvertedInterval { field: String, value: String },
    /// Two intervals of one day that share some time.
    #[error("{field}: {value:?} overlaps {other:?} on the same day")]
    OverlappingIntervals {
        field: String,
        value: String,
        other: String,
    },
    /// A date listed both as a holiday and as a make-up working day.
    #[error("{field}: {date} is listed both as a holiday and as a make-up working day")]
    HolidayAndWorkday { field: String, date: NaiveDate },
    /// A policy field that is out of range or missing (empty name, zero target, 0 % warning…).
    #[error("{field}: {reason}")]
    InvalidPolicy { field: String, reason: String },
    /// A negative business duration was asked for.
    #[error("duration must not be negative")]
    NegativeDuration,
    /// The calendar has no business time at or after this instant (within the search horizon).
    #[error("the calendar has no business time after {from}")]
    NoBusinessTime { from: DateTime<Utc> },
    /// An instant outside the years this crate computes with (1000 to 9999).
    #[error("{at} is outside the supported years 1000 to 9999")]
    OutOfRange { at: DateTime<Utc> },
    /// A ticket fact older than a fact or evaluation the clock has already seen.
    #[error("fact at {at} is older than {seen}, which the clock has already processed")]
    FactOutOfOrder {
        at: DateTime<Utc>,
        seen: DateTime<Utc>,
    },
    /// A ticket fact before the ticket was created, or a second creation.
    #[error("{0}")]
    InvalidFactSequence(&'static str),
}

impl SlaError {
    /// Stable machine code, e.g. `overlapping_intervals`; safe to match on in clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidTimeZone { .. } => "invalid_time_zone",
            Self::InvalidInterval { .. } => "invalid_interval",
            Self::InvertedInterval { .. } => "inverted_interval",
            Self::OverlappingIntervals { .. } => "overlapping_intervals",
            Self::HolidayAndWorkday { .. } => "holiday_and_workday",
            Self::InvalidPolicy { .. } => "invalid_policy",
            Self::NegativeDuration => "negative_duration",
            Self::NoBusinessTime { .. } => "no_business_time",
            Self::OutOfRange { .. } => "out_of_range",
            Self::FactOutOfOrder { .. } => "fact_out_of_order",
            Self::InvalidFactSequence(_) => "invalid_fact_sequence",
        }
    }

    /// The input field at fault, when one is (e.g. `weekly_hours.mon[1]`): forms show the
    /// message beside it.
    pub fn field(&self) -> Option<String> {
        match self {
            Self::InvalidTimeZone { .. } => Some("time_zone".into()),
            Self::InvalidInterval { field, .. }
            | Self::InvertedInterval { field, .. }
            | Self::OverlappingIntervals { field, .. }
            | Self::HolidayAndWorkday { field, .. }
            | Self::InvalidPolicy { field, .. } => Some(field.clone()),
            Self::NegativeDuration
            | Self::NoBusinessTime { .. }
            | Self::OutOfRange { .. }
            | Self::FactOutOfOrder { .. }
            | Self::InvalidFactSequence(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_snake_case() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let date = NaiveDate::MIN;
        let all = [
            SlaError::InvalidTimeZone { value: "x".into() },
            SlaError::InvalidInterval {
                field: "f".into(),
                value: "x".into(),
            },
            SlaError::InvertedInterval {
                field: "f".into(),
                value: "x".into(),
            },
            SlaError::OverlappingIntervals {
                field: "f".into(),
                value: "x".into(),
                other: "y".into(),
            },
            SlaError::HolidayAndWorkday {
                field: "f".into(),
                date,
            },
            SlaError::InvalidPolicy {
                field: "f".into(),
                reason: "r".into(),
            },
            SlaError::NegativeDuration,
            SlaError::NoBusinessTime { from: at },
            SlaError::OutOfRange { at },
            SlaError::FactOutOfOrder { at, seen: at },
            SlaError::InvalidFactSequence("x"),
        ];
        let mut codes: Vec<&str> = all.iter().map(SlaError::code).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        );
        assert!(all.iter().all(|e| !e.to_string().is_empty()));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
