//! Requirement curves: per-interval demand (calls and AHT, e.g. from a forecast) turned into
//! agents per interval by Erlang C, or Erlang A when a patience is given.

use serde::{Deserialize, Serialize};

use crate::error::WfmError;
use crate::staffing::{Load, Targets, search_erlang_a, search_erlang_c};
use crate::validate;

/// Demand of one interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntervalDemand {
    /// Contacts expected (≥ 0; 0 needs no agents).
    pub calls: f64,
    /// Average handle time in seconds (> 0 whenever `calls` > 0).
    pub aht_secs: f64,
}

/// Service targets applied to every interval of a curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurveTargets {
    /// Interval length in seconds (> 0).
    pub interval_secs: f64,
    /// Service-level threshold T in seconds (≥ 0).
    pub target_secs: f64,
    /// Service-level target in (0, 1).
    pub service_level: f64,
    /// Mean patience in seconds: when given, Erlang A is used instead of Erlang C.
    #[serde(default)]
    pub patience_secs: Option<f64>,
    /// Optional occupancy cap in (0, 1].
    #[serde(default)]
    pub max_occupancy: Option<f64>,
    /// Optional shrinkage in [0, 1).
    #[serde(default)]
    pub shrinkage: Option<f64>,
}

/// Agents per interval, ready to be a day row of `ScheduleInput::required`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequirementCurve {
    /// Agents on the phones per interval.
    pub agents: Vec<u32>,
    /// Agents to schedule per interval after shrinkage.
    pub scheduled_agents: Vec<u32>,
    /// Service level achieved per interval (1 where no contacts are expected).
    pub service_level: Vec<f64>,
}

impl RequirementCurve {
    /// `scheduled_agents` cut into days of `periods_per_day`, the shape of
    /// `ScheduleInput::required`; a trailing partial day is dropped.
    pub fn scheduled_by_day(&self, periods_per_day: usize) -> Vec<Vec<f64>> {
        if periods_per_day == 0 {
            return Vec::new();
        }
        self.scheduled_agents
            .chunks_exact(periods_per_day)
            .map(|day| day.iter().map(|&n| f64::from(n)).collect())
            .collect()
    }
}

/// Staffs every interval independently with the same targets.
pub fn requirement_curve(
    demand: &[IntervalDemand],
    targets: &CurveTargets,
) -> Result<RequirementCurve, WfmError> {
    let interval_secs = validate::positive_secs("interval_secs", targets.interval_secs)?;
    let patience = targets
        .patience_secs
        .map(|p| validate::positive_secs("patience_secs", p))
        .transpose()?;
    let checked = Targets::new(
        targets.target_secs,
        targets.service_level,
        targets.max_occupancy,
        targets.shrinkage,
    )?;
    let mut curve = RequirementCurve {
        agents: Vec::with_capacity(demand.len()),
        scheduled_agents: Vec::with_capacity(demand.len()),
        service_level: Vec::with_capacity(demand.len()),
    };
    for d in demand {
        // A quiet interval is normal in a curve, unlike a single staffing question.
        let (agents, sl) = if d.calls == 0.0 {
            (0, 1.0)
        } else {
            let load = Load::new(d.calls, interval_secs, d.aht_secs)?;
            match patience {
                None => search_erlang_c(load, &checked).map(|(n, m)| (n, m.service_level))?,
                Some(p) => search_erlang_a(load, p, &checked).map(|(n, m)| (n, m.service_level))?,
            }
        };
        curve.agents.push(agents);
        curve.scheduled_agents.push(checked.scheduled(agents));
        curve.service_level.push(sl);
    }
    Ok(curve)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn targets() -> CurveTargets {
        CurveTargets {
            interval_secs: 1800.0,
            target_secs: 20.0,
            service_level: 0.8,
            patience_secs: None,
            max_occupancy: None,
            shrinkage: Some(0.3),
        }
    }

    #[test]
    fn curve_follows_demand() {
        let demand = [0.0, 50.0, 100.0, 200.0].map(|calls| IntervalDemand {
            calls,
            aht_secs: 180.0,
        });
        let c = requirement_curve(&demand, &targets()).unwrap();
        assert_eq!(c.agents[0], 0);
        assert_eq!(c.agents[2], 14);
        assert_eq!(c.scheduled_agents[2], 20);
        assert!(c.agents.windows(2).all(|w| w[0] <= w[1]));
        let a = requirement_curve(
            &demand,
            &CurveTargets {
                patience_secs: Some(60.0),
                ..targets()
            },
        )
        .unwrap();
        assert!(a.agents.iter().zip(&c.agents).all(|(a, c)| a <= c));
    }

    #[test]
    fn bad_interval_is_reported() {
        let demand = [IntervalDemand {
            calls: -1.0,
            aht_secs: 180.0,
        }];
        let err = requirement_curve(&demand, &targets()).unwrap_err();
        assert_eq!(err.code(), "invalid_volume");
    }
}
