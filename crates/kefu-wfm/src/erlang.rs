//! Erlang B (blocking) and Erlang C (queueing, infinite patience) for a given traffic and
//! number of agents. Staffing searches over agents live in `staffing`; Erlang A in `erlang_a`.

use serde::Serialize;

use crate::error::WfmError;
use crate::validate;

/// Erlang B blocking probability of `traffic` Erlangs offered to `lines` servers.
///
/// Uses the recursion B₀ = 1, Bₖ = A·Bₖ₋₁ / (k + A·Bₖ₋₁), which stays in [0, 1] and never
/// forms the overflowing Aᴺ/N! terms. `lines = 0` blocks everything (1.0).
pub fn erlang_b(traffic: f64, lines: u32) -> Result<f64, WfmError> {
    let traffic = validate::traffic(traffic)?;
    Ok(blocking(traffic, lines))
}

pub(crate) fn blocking(traffic: f64, lines: u32) -> f64 {
    (1..=lines).fold(1.0, |b, k| next_blocking(traffic, k, b))
}

/// One step of the Erlang B recursion, so searches over N reuse the previous value.
pub(crate) fn next_blocking(traffic: f64, k: u32, previous: f64) -> f64 {
    let ab = traffic * previous;
    ab / (f64::from(k) + ab)
}

/// Erlang C figures for a queue whose wait is finite (agents > traffic).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ErlangCMetrics {
    /// Probability an arriving contact has to wait (Pw).
    pub waiting_probability: f64,
    /// Share answered within the target time, SL(T) = 1 − Pw·e^(−(N−A)·T/AHT).
    pub service_level: f64,
    /// Average speed of answer in seconds, Pw·AHT/(N − A).
    pub asa_secs: f64,
    /// Agent occupancy A/N.
    pub occupancy: f64,
}

/// Erlang C outcome: with no abandonment a queue with N ≤ A agents grows without bound, so
/// that case is a variant of its own rather than a NaN or infinite ASA.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "wait", rename_all = "snake_case")]
pub enum ErlangC {
    /// Agents exceed traffic: the queue is stable.
    Bounded(ErlangCMetrics),
    /// Agents ≤ traffic: every contact waits and the wait grows without bound.
    Unbounded,
}

impl ErlangC {
    /// The metrics when the wait is bounded, `None` when it is unbounded.
    pub fn metrics(&self) -> Option<ErlangCMetrics> {
        match self {
            Self::Bounded(m) => Some(*m),
            Self::Unbounded => None,
        }
    }
}

/// Erlang C for `traffic` Erlangs (arrival rate × AHT) served by `agents`, with handle time
/// `aht_secs` and service-level target `target_secs`.
pub fn erlang_c(
    traffic: f64,
    agents: u32,
    aht_secs: f64,
    target_secs: f64,
) -> Result<ErlangC, WfmError> {
    let traffic = validate::traffic(traffic)?;
    let aht_secs = validate::positive_secs("aht_secs", aht_secs)?;
    let target_secs = validate::target_secs(target_secs)?;
    let b = blocking(traffic, agents);
    Ok(from_blocking(traffic, agents, b, aht_secs, target_secs))
}

/// Erlang C from an already computed Erlang B value for the same traffic and agents.
pub(crate) fn from_blocking(
    traffic: f64,
    agents: u32,
    blocking: f64,
    aht_secs: f64,
    target_secs: f64,
) -> ErlangC {
    let n = f64::from(agents);
    if n <= traffic {
        return ErlangC::Unbounded;
    }
    let spare = n - traffic;
    let waiting_probability = n * blocking / (n - traffic * (1.0 - blocking));
    ErlangC::Bounded(ErlangCMetrics {
        waiting_probability,
        service_level: 1.0 - waiting_probability * (-spare * target_secs / aht_secs).exp(),
        asa_secs: waiting_probability * aht_secs / spare,
        occupancy: traffic / n,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// Erlang B from its textbook definition (Aᴺ/N!) / Σ Aᵏ/k!, fine for small N.
    fn erlang_b_direct(a: f64, n: u32) -> f64 {
        let mut term = 1.0;
        let mut sum = 1.0;
        for k in 1..=n {
            term *= a / f64::from(k);
            sum += term;
        }
        term / sum
    }

    #[test]
    fn recursion_matches_definition() {
        for &(a, n) in &[(1.0, 1), (10.0, 10), (10.0, 14), (2.5, 7), (30.0, 25)] {
            let r = erlang_b(a, n).unwrap();
            assert!((r - erlang_b_direct(a, n)).abs() < 1e-12, "A={a} N={n}");
        }
    }

    #[test]
    fn erlang_b_known_value() {
        // B(N = 10, A = 10) from published Erlang B tables.
        assert!((erlang_b(10.0, 10).unwrap() - 0.214_582).abs() < 1e-6);
        assert_eq!(erlang_b(3.0, 0).unwrap(), 1.0);
    }

    #[test]
    fn worked_example() {
        // 100 calls in 30 min at 180 s AHT is 10 Erlangs.
        let a = 100.0 * 180.0 / 1800.0;
        let m13 = erlang_c(a, 13, 180.0, 20.0).unwrap().metrics().unwrap();
        assert!((m13.service_level - 0.795_595).abs() < 5e-7);
        let m14 = erlang_c(a, 14, 180.0, 20.0).unwrap().metrics().unwrap();
        assert!((m14.service_level - 0.888_350).abs() < 5e-7);
        assert!((m14.waiting_probability - 0.174_132).abs() < 5e-7);
        assert!((m14.asa_secs - 7.836).abs() < 5e-4);
        assert!((m14.occupancy - 0.714_3).abs() < 5e-5);
    }

    #[test]
    fn no_spare_capacity_is_unbounded() {
        assert_eq!(erlang_c(10.0, 10, 180.0, 20.0).unwrap(), ErlangC::Unbounded);
        assert_eq!(erlang_c(10.0, 3, 180.0, 20.0).unwrap(), ErlangC::Unbounded);
        let json = serde_json::to_string(&ErlangC::Unbounded).unwrap();
        assert_eq!(json, r#"{"wait":"unbounded"}"#);
    }

    #[test]
    fn rejects_bad_traffic() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(erlang_b(bad, 3).unwrap_err().code(), "invalid_traffic");
        }
        assert_eq!(
            erlang_c(1.0, 3, 0.0, 20.0).unwrap_err().code(),
            "invalid_duration"
        );
    }
}
