//! The one error type of kefu-wfm: every rejected input or solver failure, each with a
//! stable machine code (`code()`) for the CLI and HTTP API and a message a planner can act on.

use thiserror::Error;

/// Everything kefu-wfm can reject. Codes are stable; messages may be reworded.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum WfmError {
    /// A call volume that is zero, negative or not finite.
    #[error("{field} must be a positive, finite number of contacts (got {value})")]
    InvalidVolume { field: &'static str, value: f64 },
    /// A duration (interval, handle time, target, patience) that is out of range.
    #[error("{field} must be a {expected} number of seconds (got {value})")]
    InvalidDuration {
        field: &'static str,
        expected: &'static str,
        value: f64,
    },
    /// Offered traffic in Erlangs that is zero, negative or not finite.
    #[error("traffic must be a positive, finite number of Erlangs (got {value})")]
    InvalidTraffic { value: f64 },
    /// A service-level target outside (0, 1).
    #[error("service_level must be strictly between 0 and 1 (got {value})")]
    InvalidServiceLevel { value: f64 },
    /// A maximum occupancy outside (0, 1].
    #[error("max_occupancy must be in (0, 1] (got {value})")]
    InvalidOccupancy { value: f64 },
    /// A shrinkage outside [0, 1).
    #[error("shrinkage must be in [0, 1) (got {value})")]
    InvalidShrinkage { value: f64 },
    /// Staffing would need more agents than any single queue plausibly has.
    #[error("the target needs more than {max} agents; check the volume and handle time")]
    TooManyAgents { max: u32 },
    /// A number of agents that is zero where at least one is needed.
    #[error("agents must be at least 1")]
    InvalidAgents,
    /// A numeric series did not converge within its term budget (absurd patience × volume).
    #[error("the Erlang A series did not converge; patience_secs × arrival rate is too large")]
    NotConverged,
    /// Schedule input whose dimensions disagree (days, periods_per_day, required, coverage).
    #[error("schedule shape: {0}")]
    InvalidShape(String),
    /// A per-period requirement that is negative, above 1,000,000 or not finite.
    #[error("required[{day}][{period}] must be a number from 0 to 1000000 (got {value})")]
    InvalidRequirement {
        day: usize,
        period: usize,
        value: f64,
    },
    /// A shift template that is unusable (empty name, coverage not 0/1, bad cost).
    #[error("shift {shift:?}: {reason}")]
    InvalidShift { shift: String, reason: String },
    /// A schedule with no shift templates at all.
    #[error("shifts must name at least one shift template")]
    NoShifts,
    /// The ILP solver failed for a reason other than infeasibility.
    #[error("schedule solver failed: {0}")]
    Solver(String),
    /// Forecasting was asked to learn from nothing.
    #[error("history is empty: at least {needed_days} days of intervals are needed")]
    EmptyHistory { needed_days: usize },
    /// History too short for the requested model or hold-out.
    #[error("history covers {got_days} days; at least {needed_days} are needed")]
    InsufficientHistory { needed_days: usize, got_days: usize },
    /// A forecast horizon or hold-out outside 1..=max weeks.
    #[error("{field} must be 1..={max} weeks (got {value})")]
    InvalidHorizon {
        field: &'static str,
        max: u32,
        value: u32,
    },
    /// A holiday factor that is negative or not finite.
    #[error("holiday_factor must be a finite number ≥ 0 (got {value})")]
    InvalidHolidayFactor { value: f64 },
    /// History values or timing that cannot be used (negative counts, interval not dividing a day…).
    #[error("history: {0}")]
    InvalidHistory(String),
}

impl WfmError {
    /// Stable machine code, e.g. `invalid_volume`; safe to match on in clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidVolume { .. } => "invalid_volume",
            Self::InvalidDuration { .. } => "invalid_duration",
            Self::InvalidTraffic { .. } => "invalid_traffic",
            Self::InvalidServiceLevel { .. } => "invalid_service_level",
            Self::InvalidOccupancy { .. } => "invalid_occupancy",
            Self::InvalidShrinkage { .. } => "invalid_shrinkage",
            Self::TooManyAgents { .. } => "too_many_agents",
            Self::InvalidAgents => "invalid_agents",
            Self::NotConverged => "not_converged",
            Self::InvalidShape(_) => "invalid_schedule_shape",
            Self::InvalidRequirement { .. } => "invalid_requirement",
            Self::InvalidShift { .. } => "invalid_shift",
            Self::NoShifts => "no_shifts",
            Self::Solver(_) => "solver_error",
            Self::EmptyHistory { .. } => "empty_history",
            Self::InsufficientHistory { .. } => "insufficient_history",
            Self::InvalidHorizon { .. } => "invalid_horizon",
            Self::InvalidHolidayFactor { .. } => "invalid_holiday_factor",
            Self::InvalidHistory(_) => "invalid_history",
        }
    }

    /// The input field at fault, when one is: forms show the message beside it.
    pub fn field(&self) -> Option<String> {
        match self {
            Self::InvalidVolume { field, .. }
            | Self::InvalidDuration { field, .. }
            | Self::InvalidHorizon { field, .. } => Some((*field).to_owned()),
            Self::InvalidTraffic { .. } => Some("traffic".into()),
            Self::InvalidServiceLevel { .. } => Some("service_level".into()),
            Self::InvalidOccupancy { .. } => Some("max_occupancy".into()),
            Self::InvalidShrinkage { .. } => Some("shrinkage".into()),
            Self::InvalidAgents => Some("lines".into()),
            Self::InvalidRequirement { day, period, .. } => {
                Some(format!("required[{day}][{period}]"))
            }
            Self::InvalidShift { shift, .. } => Some(format!("shifts.{shift}")),
            Self::NoShifts => Some("shifts".into()),
            Self::InvalidHolidayFactor { .. } => Some("holiday_factor".into()),
            Self::TooManyAgents { .. }
            | Self::NotConverged
            | Self::InvalidShape(_)
            | Self::Solver(_)
            | Self::EmptyHistory { .. }
            | Self::InsufficientHistory { .. }
            | Self::InvalidHistory(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_snake_case() {
        let all = [
            WfmError::InvalidVolume {
                field: "calls",
                value: 0.0,
            },
            WfmError::InvalidDuration {
                field: "aht_secs",
                expected: "positive",
                value: 0.0,
            },
            WfmError::InvalidTraffic { value: 0.0 },
            WfmError::InvalidServiceLevel { value: 1.0 },
            WfmError::InvalidOccupancy { value: 0.0 },
            WfmError::InvalidShrinkage { value: 1.0 },
            WfmError::TooManyAgents { max: 1 },
            WfmError::InvalidAgents,
            WfmError::NotConverged,
            WfmError::InvalidShape("x".into()),
            WfmError::InvalidRequirement {
                day: 0,
                period: 0,
                value: -1.0,
            },
            WfmError::InvalidShift {
                shift: "a".into(),
                reason: "b".into(),
            },
            WfmError::NoShifts,
            WfmError::Solver("x".into()),
            WfmError::EmptyHistory { needed_days: 14 },
            WfmError::InsufficientHistory {
                needed_days: 14,
                got_days: 1,
            },
            WfmError::InvalidHorizon {
                field: "horizon_weeks",
                max: 52,
                value: 0,
            },
            WfmError::InvalidHolidayFactor { value: -1.0 },
            WfmError::InvalidHistory("x".into()),
        ];
        let mut codes: Vec<&str> = all.iter().map(WfmError::code).collect();
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
