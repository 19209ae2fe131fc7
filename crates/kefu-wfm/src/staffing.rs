//! Staffing solvers behind the CLI and HTTP API: the smallest number of agents meeting a
//! service level (and occupancy cap) under Erlang C or Erlang A, plus shrinkage, and Erlang B.

use serde::{Deserialize, Serialize};

use crate::erlang::{self, ErlangCMetrics};
use crate::erlang_a::{ErlangAMetrics, erlang_a};
use crate::error::WfmError;
use crate::validate;

/// No single queue is staffed beyond this; larger answers mean the input is wrong.
pub const MAX_AGENTS: u32 = 1_000_000;

/// Erlang C staffing question (`kefu wfm erlang-c`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ErlangCInput {
    /// Contacts offered in the interval (> 0).
    pub calls: f64,
    /// Interval length in seconds (> 0), e.g. 1800.
    pub interval_secs: f64,
    /// Average handle time in seconds (> 0).
    pub aht_secs: f64,
    /// Service-level threshold T in seconds (≥ 0).
    pub target_secs: f64,
    /// Service-level target in (0, 1), e.g. 0.8 for 80/20.
    pub service_level: f64,
    /// Optional occupancy cap in (0, 1].
    #[serde(default)]
    pub max_occupancy: Option<f64>,
    /// Optional shrinkage in [0, 1); defaults to 0.
    #[serde(default)]
    pub shrinkage: Option<f64>,
}

/// Erlang C staffing answer; the JSON field names are the CLI contract.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErlangCStaffing {
    /// Smallest number of agents on the phones meeting every target.
    pub agents: u32,
    /// Service level achieved with `agents`.
    pub service_level: f64,
    /// Average speed of answer with `agents`, in seconds.
    pub asa_secs: f64,
    /// Occupancy with `agents`.
    pub occupancy: f64,
    /// Probability of waiting with `agents`.
    pub waiting_probability: f64,
    /// Agents to schedule, ⌈agents / (1 − shrinkage)⌉.
    pub scheduled_agents: u32,
}

/// Erlang A staffing question (`kefu wfm erlang-a`): the Erlang C question plus patience.
/// The fields repeat `ErlangCInput`'s rather than flattening it because serde cannot combine
/// `flatten` with `deny_unknown_fields`, and a misspelt option must fail loudly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ErlangAInput {
    /// Contacts offered in the interval (> 0).
    pub calls: f64,
    /// Interval length in seconds (> 0).
    pub interval_secs: f64,
    /// Average handle time in seconds (> 0).
    pub aht_secs: f64,
    /// Service-level threshold T in seconds (≥ 0).
    pub target_secs: f64,
    /// Service-level target in (0, 1); Erlang A's SL counts contacts that leave the queue,
    /// answered or abandoned, within T (GLOSSARY definition 1).
    pub service_level: f64,
    /// Mean customer patience θ in seconds (> 0), exponentially distributed.
    pub patience_secs: f64,
    /// Optional occupancy cap in (0, 1].
    #[serde(default)]
    pub max_occupancy: Option<f64>,
    /// Optional shrinkage in [0, 1); defaults to 0.
    #[serde(default)]
    pub shrinkage: Option<f64>,
}

impl ErlangCInput {
    /// The same question under Erlang A, for customers with this mean patience.
    pub fn with_patience(&self, patience_secs: f64) -> ErlangAInput {
        ErlangAInput {
            calls: self.calls,
            interval_secs: self.interval_secs,
            aht_secs: self.aht_secs,
            target_secs: self.target_secs,
            service_level: self.service_level,
            patience_secs,
            max_occupancy: self.max_occupancy,
            shrinkage: self.shrinkage,
        }
    }
}

/// Erlang A staffing answer: the Erlang C fields plus `abandon_probability`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErlangAStaffing {
    pub agents: u32,
    pub service_level: f64,
    pub asa_secs: f64,
    pub occupancy: f64,
    pub waiting_probability: f64,
    /// Probability a contact abandons before answer with `agents`.
    pub abandon_probability: f64,
    pub scheduled_agents: u32,
}

/// Erlang B question (`kefu wfm erlang-b`): traffic in Erlangs offered to `lines` servers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ErlangBInput {
    /// Offered traffic in Erlangs (> 0).
    pub traffic: f64,
    /// Number of lines / trunks / agents.
    pub lines: u32,
}

/// Erlang B answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErlangBOutput {
    /// Probability an arriving contact finds every line busy.
    pub blocking_probability: f64,
}

/// Validated targets shared by the Erlang C and Erlang A searches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Targets {
    pub target_secs: f64,
    pub service_level: f64,
    pub max_occupancy: f64,
    pub shrinkage: f64,
}

impl Targets {
    pub(crate) fn new(
        target_secs: f64,
        service_level: f64,
        max_occupancy: Option<f64>,
        shrinkage: Option<f64>,
    ) -> Result<Self, WfmError> {
        Ok(Self {
            target_secs: validate::target_secs(target_secs)?,
            service_level: validate::service_level(service_level)?,
            max_occupancy: validate::max_occupancy(max_occupancy)?,
            shrinkage: validate::shrinkage(shrinkage)?,
        })
    }

    pub(crate) fn met(&self, service_level: f64, occupancy: f64) -> bool {
        service_level >= self.service_level && occupancy <= self.max_occupancy
    }

    pub(crate) fn scheduled(&self, agents: u32) -> u32 {
        scheduled_agents(agents, self.shrinkage)
    }
}

/// ⌈agents / (1 − shrinkage)⌉, tolerant of the float error in e.g. 14 / 0.7 so that an
/// exact quotient is not rounded up to the next agent.
pub fn scheduled_agents(agents: u32, shrinkage: f64) -> u32 {
    let exact = f64::from(agents) / (1.0 - shrinkage);
    let rounded = exact.round();
    let value = if (exact - rounded).abs() < 1e-9 {
        rounded
    } else {
        exact.ceil()
    };
    if value >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        value as u32
    }
}

/// Validated volume of one interval: arrival rate and handle time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    pub calls_per_sec: f64,
    pub aht_secs: f64,
}

impl Load {
    pub(crate) fn new(calls: f64, interval_secs: f64, aht_secs: f64) -> Result<Self, WfmError> {
        let calls = validate::volume("calls", calls)?;
        let interval_secs = validate::positive_secs("interval_secs", interval_secs)?;
        let aht_secs = validate::positive_secs("aht_secs", aht_secs)?;
        Ok(Self {
            calls_per_sec: calls / interval_secs,
            aht_secs,
        })
    }

    pub(crate) fn traffic(&self) -> f64 {
        self.calls_per_sec * self.aht_secs
    }
}

/// Smallest N meeting the service level and occupancy cap under Erlang C, with its figures.
pub fn staff_erlang_c(input: &ErlangCInput) -> Result<ErlangCStaffing, WfmError> {
    let load = Load::new(input.calls, input.interval_secs, input.aht_secs)?;
    let targets = Targets::new(
        input.target_secs,
        input.service_level,
        input.max_occupancy,
        input.shrinkage,
    )?;
    let (agents, m) = search_erlang_c(load, &targets)?;
    Ok(ErlangCStaffing {
        agents,
        service_level: m.service_level,
        asa_secs: m.asa_secs,
        occupancy: m.occupancy,
        waiting_probability: m.waiting_probability,
        scheduled_agents: targets.scheduled(agents),
    })
}

/// Smallest N meeting the service level and occupancy cap under Erlang A.
pub fn staff_erlang_a(input: &ErlangAInput) -> Result<ErlangAStaffing, WfmError> {
    let load = Load::new(input.calls, input.interval_secs, input.aht_secs)?;
    let patience_secs = validate::positive_secs("patience_secs", input.patience_secs)?;
    let targets = Targets::new(
        input.target_secs,
        input.service_level,
        input.max_occupancy,
        input.shrinkage,
    )?;
    let (agents, m) = search_erlang_a(load, patience_secs, &targets)?;
    Ok(ErlangAStaffing {
        agents,
        service_level: m.service_level,
        asa_secs: m.asa_secs,
        occupancy: m.occupancy,
        waiting_probability: m.waiting_probability,
        abandon_probability: m.abandon_probability,
        scheduled_agents: targets.scheduled(agents),
    })
}

/// Abandonment only shortens queues, so Erlang C's answer is an upper bound: start there
/// and walk down while one agent fewer still meets the targets. Walking down keeps every
/// evaluation near the stable region, where the Erlang A series are short.
pub(crate) fn search_erlang_a(
    load: Load,
    patience_secs: f64,
    targets: &Targets,
) -> Result<(u32, ErlangAMetrics), WfmError> {
    let eval = |n: u32| {
        erlang_a(
            load.traffic(),
            n,
            load.aht_secs,
            patience_secs,
            targets.target_secs,
        )
    };
    let met = |m: &ErlangAMetrics| targets.met(m.service_level, m.occupancy);
    let (mut n, _) = search_erlang_c(load, targets)?;
    let mut best = eval(n)?;
    while !met(&best) {
        // Only reachable through rounding at the edge of the target; walk up instead.
        if n >= MAX_AGENTS {
            return Err(WfmError::TooManyAgents { max: MAX_AGENTS });
        }
        n += 1;
        best = eval(n)?;
    }
    while n > 1 {
        let fewer = eval(n - 1)?;
        if !met(&fewer) {
            break;
        }
        n -= 1;
        best = fewer;
    }
    Ok((n, best))
}

/// Erlang B blocking for the CLI/API shape.
pub fn erlang_b_blocking(input: &ErlangBInput) -> Result<ErlangBOutput, WfmError> {
    Ok(ErlangBOutput {
        blocking_probability: erlang::erlang_b(input.traffic, input.lines)?,
    })
}

/// Walks N upward from the first stable value, carrying the Erlang B recursion so each
/// step costs O(1); SL(T) rises and occupancy falls with N, so the first hit is minimal.
pub(crate) fn search_erlang_c(
    load: Load,
    targets: &Targets,
) -> Result<(u32, ErlangCMetrics), WfmError> {
    let traffic = load.traffic();
    let first = traffic.floor() + 1.0;
    if first > f64::from(MAX_AGENTS) {
        return Err(WfmError::TooManyAgents { max: MAX_AGENTS });
    }
    let mut n = first as u32;
    let mut b = erlang::blocking(traffic, n);
    loop {
        let outcome = erlang::from_blocking(traffic, n, b, load.aht_secs, targets.target_secs);
        if let Some(m) = outcome.metrics()
            && targets.met(m.service_level, m.occupancy)
        {
            return Ok((n, m));
        }
        if n >= MAX_AGENTS {
            return Err(WfmError::TooManyAgents { max: MAX_AGENTS });
        }
        n += 1;
        b = erlang::next_blocking(traffic, n, b);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn example() -> ErlangCInput {
        ErlangCInput {
            calls: 100.0,
            interval_secs: 1800.0,
            aht_secs: 180.0,
            target_secs: 20.0,
            service_level: 0.8,
            max_occupancy: None,
            shrinkage: Some(0.3),
        }
    }

    #[test]
    fn worked_example_needs_14_and_20_scheduled() {
        let s = staff_erlang_c(&example()).unwrap();
        assert_eq!(s.agents, 14);
        assert_eq!(s.scheduled_agents, 20);
        assert!((s.service_level - 0.888_350).abs() < 5e-7);
        assert!((s.asa_secs - 7.836).abs() < 5e-4);
        assert!((s.waiting_probability - 0.174_132).abs() < 5e-7);
        assert!((s.occupancy - 0.714_3).abs() < 5e-5);
    }

    #[test]
    fn occupancy_cap_adds_agents() {
        let input = ErlangCInput {
            max_occupancy: Some(0.6),
            ..example()
        };
        // 10 Erlangs at ≤ 60 % occupancy needs ⌈10 / 0.6⌉ = 17 agents.
        assert_eq!(staff_erlang_c(&input).unwrap().agents, 17);
    }

    #[test]
    fn json_field_names_are_the_cli_contract() {
        let v = serde_json::to_value(staff_erlang_c(&example()).unwrap()).unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "agents",
                "asa_secs",
                "occupancy",
                "scheduled_agents",
                "service_level",
                "waiting_probability"
            ]
        );
        let b = erlang_b_blocking(&ErlangBInput {
            traffic: 10.0,
            lines: 10,
        })
        .unwrap();
        let v = serde_json::to_value(b).unwrap();
        assert!(v.get("blocking_probability").is_some());
    }

    #[test]
    fn input_is_json_with_optional_fields() {
        let json = r#"{"calls":100,"interval_secs":1800,"aht_secs":180,"target_secs":20,"service_level":0.8}"#;
        let input: ErlangCInput = serde_json::from_str(json).unwrap();
        let s = staff_erlang_c(&input).unwrap();
        assert_eq!((s.agents, s.scheduled_agents), (14, 14));
        let typo = r#"{"calls":100,"interval_secs":1800,"aht_secs":180,"target_secs":20,"service_level":0.8,"shrinkgae":0.3}"#;
        assert!(serde_json::from_str::<ErlangCInput>(typo).is_err());
    }

    #[test]
    fn bad_inputs_have_codes() {
        let cases: Vec<(ErlangCInput, &str)> = vec![
            (
                ErlangCInput {
                    calls: 0.0,
                    ..example()
                },
                "invalid_volume",
            ),
            (
                ErlangCInput {
                    calls: -5.0,
                    ..example()
                },
                "invalid_volume",
            ),
            (
                ErlangCInput {
                    calls: f64::NAN,
                    ..example()
                },
                "invalid_volume",
            ),
            (
                ErlangCInput {
                    interval_secs: 0.0,
                    ..example()
                },
                "invalid_duration",
            ),
            (
                ErlangCInput {
                    aht_secs: -1.0,
                    ..example()
                },
                "invalid_duration",
            ),
            (
                ErlangCInput {
                    target_secs: -1.0,
                    ..example()
                },
                "invalid_duration",
            ),
            (
                ErlangCInput {
                    service_level: 1.0,
                    ..example()
                },
                "invalid_service_level",
            ),
            (
                ErlangCInput {
                    service_level: 0.0,
                    ..example()
                },
                "invalid_service_level",
            ),
            (
                ErlangCInput {
                    max_occupancy: Some(0.0),
                    ..example()
                },
                "invalid_occupancy",
            ),
            (
                ErlangCInput {
                    max_occupancy: Some(1.2),
                    ..example()
                },
                "invalid_occupancy",
            ),
            (
                ErlangCInput {
                    shrinkage: Some(1.0),
                    ..example()
                },
                "invalid_shrinkage",
            ),
            (
                ErlangCInput {
                    shrinkage: Some(-0.1),
                    ..example()
                },
                "invalid_shrinkage",
            ),
            (
                ErlangCInput {
                    calls: 1e12,
                    ..example()
                },
                "too_many_agents",
            ),
        ];
        for (input, code) in cases {
            let err = staff_erlang_c(&input).unwrap_err();
            assert_eq!(err.code(), code, "{input:?}");
            assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn erlang_a_needs_fewer_agents_and_reports_abandonment() {
        let input = ErlangCInput {
            max_occupancy: None,
            ..example()
        }
        .with_patience(60.0);
        let a = staff_erlang_a(&input).unwrap();
        assert!(a.agents <= 14 && a.agents >= 10, "{a:?}");
        assert!(a.service_level >= 0.8 && a.abandon_probability > 0.0);
        let json = serde_json::to_value(a).unwrap();
        assert!(json.get("abandon_probability").is_some());
        assert_eq!(json.as_object().unwrap().len(), 7);
        let bad = ErlangAInput {
            patience_secs: 0.0,
            ..input
        };
        assert_eq!(staff_erlang_a(&bad).unwrap_err().code(), "invalid_duration");
        // A patient crowd behaves like Erlang C.
        let patient = ErlangAInput {
            patience_secs: 1e8,
            ..input
        };
        assert_eq!(staff_erlang_a(&patient).unwrap().agents, 14);
    }

    #[test]
    fn shrinkage_rounding() {
        assert_eq!(scheduled_agents(14, 0.3), 20);
        assert_eq!(scheduled_agents(15, 0.3), 22);
        assert_eq!(scheduled_agents(7, 0.0), 7);
    }
}
