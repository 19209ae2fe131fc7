//! Range checks shared by the Erlang functions and the staffing solvers, so every entry
//! point rejects the same bad numbers with the same error codes.

use crate::error::WfmError;

pub(crate) fn volume(field: &'static str, value: f64) -> Result<f64, WfmError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(WfmError::InvalidVolume { field, value })
    }
}

pub(crate) fn positive_secs(field: &'static str, value: f64) -> Result<f64, WfmError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(WfmError::InvalidDuration {
            field,
            expected: "positive, finite",
            value,
        })
    }
}

/// A target of 0 s is a real service level (share answered without waiting), so only
/// negative or non-finite targets are rejected.
pub(crate) fn target_secs(value: f64) -> Result<f64, WfmError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(WfmError::InvalidDuration {
            field: "target_secs",
            expected: "finite, non-negative",
            value,
        })
    }
}

pub(crate) fn traffic(value: f64) -> Result<f64, WfmError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(WfmError::InvalidTraffic { value })
    }
}

pub(crate) fn service_level(value: f64) -> Result<f64, WfmError> {
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(WfmError::InvalidServiceLevel { value })
    }
}

pub(crate) fn max_occupancy(value: Option<f64>) -> Result<f64, WfmError> {
    match value {
        None => Ok(1.0),
        Some(v) if v > 0.0 && v <= 1.0 => Ok(v),
        Some(v) => Err(WfmError::InvalidOccupancy { value: v }),
    }
}

pub(crate) fn shrinkage(value: Option<f64>) -> Result<f64, WfmError> {
    match value {
        None => Ok(0.0),
        Some(v) if (0.0..1.0).contains(&v) => Ok(v),
        Some(v) => Err(WfmError::InvalidShrinkage { value: v }),
    }
}
