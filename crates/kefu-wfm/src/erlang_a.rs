//! Erlang A (M/M/N+M, Palm's model): Poisson arrivals, exponential handle times and
//! exponential patience with mean θ. Exact stationary figures for a given number of agents.
//!
//! # Formulas
//! With λ arrivals/s, μ = 1/AHT, γ = 1/θ, a = Nμ/γ and y = λ/γ, the states n ≥ N have
//! π_{N+j} = π_N·q_j with q_j = yʲ / ∏ₖ₌₁..ⱼ (a + k), and Q = Σ q_j is Garnett–Mandelbaum–
//! Reiman's A(a, y) = a·eʸ·y⁻ᵃ·γ(a, y) (lower incomplete gamma). Below N the chain is Erlang
//! B's, so π_N = 1 / (1/B_N − 1 + Q). An arrival finding j ahead of it reaches service with
//! probability a / (a + j + 1), and its offered wait V satisfies e^(−γV) ~ Beta(a, j + 1);
//! summing over j gives P(V > t) = π_N·e^(−Nμt)·e^(y(1−e^(−γt)))·A(a, y·e^(−γt)).
//!
//! * waiting probability: π_N·Q.
//! * service level: P(W ≤ T) with W = min(V, patience) the time actually spent queueing, so
//!   P(W > T) = P(V > T)·e^(−γT). This is GLOSSARY definition 1 (answered or abandoned
//!   within T count as within T); it tends to Erlang C's SL(T) as θ → ∞.
//! * abandon probability: γ·E(queue length)/λ = π_N·Σ j·q_j / y.
//! * ASA (answered contacts only): E[W; served] / P(served), where an arrival with j ahead
//!   that is served waits Σₖ₌₁..ⱼ₊₁ 1/(Nμ + kγ) on average.
//!
//! Every sum has positive terms (nothing cancels) and carries a log offset, so nothing
//! overflows for large traffic or patience.

use serde::Serialize;

use crate::error::WfmError;
use crate::validate;

/// Erlang A figures for a given number of agents; always finite, even with N ≤ A.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ErlangAMetrics {
    /// Probability an arrival finds every agent busy.
    pub waiting_probability: f64,
    /// P(time in queue ≤ T), abandoned or answered.
    pub service_level: f64,
    /// Average wait of answered contacts, in seconds.
    pub asa_secs: f64,
    /// Probability an arrival abandons before being answered.
    pub abandon_probability: f64,
    /// Average time in queue over all arrivals (answered and abandoned), in seconds.
    pub mean_wait_secs: f64,
    /// Carried load per agent, A·(1 − P(abandon)) / N.
    pub occupancy: f64,
}

/// No realistic input needs more terms; beyond this the input is absurd (θ·λ ≳ 10⁷).
const MAX_TERMS: usize = 50_000_000;

/// Erlang A for `traffic` Erlangs with handle time `aht_secs`, mean patience
/// `patience_secs`, `agents` agents (≥ 1) and service-level threshold `target_secs`.
pub fn erlang_a(
    traffic: f64,
    agents: u32,
    aht_secs: f64,
    patience_secs: f64,
    target_secs: f64,
) -> Result<ErlangAMetrics, WfmError> {
    let traffic = validate::traffic(traffic)?;
    let aht_secs = validate::positive_secs("aht_secs", aht_secs)?;
    let patience_secs = validate::positive_secs("patience_secs", patience_secs)?;
    let target_secs = validate::target_secs(target_secs)?;
    if agents == 0 {
        return Err(WfmError::InvalidAgents);
    }
    let n = f64::from(agents);
    let gamma = 1.0 / patience_secs;
    let a = n * patience_secs / aht_secs;
    let y = traffic * patience_secs / aht_secs;

    let sums = Sums::over(a, y)?;
    let ln_below = ln_inverse_blocking_minus_one(traffic, agents);
    let ln_norm = ln_add_exp(ln_below, sums.ln_q);

    let waiting_probability = (sums.ln_q - ln_norm).exp();
    let shrunk = y * (-gamma * target_secs).exp();
    let ln_tail_q = Sums::over(a, shrunk)?.ln_q;
    let ln_late = -n * target_secs / aht_secs - y * (-gamma * target_secs).exp_m1() + ln_tail_q
        - ln_norm
        - gamma * target_secs;
    let abandon_probability = (sums.ln_jq - y.ln() - ln_norm).exp().min(1.0);
    let served_wait = (sums.ln_served_wait - ln_norm).exp() * patience_secs;
    let served = 1.0 - abandon_probability;
    Ok(ErlangAMetrics {
        waiting_probability,
        service_level: (1.0 - ln_late.exp()).clamp(0.0, 1.0),
        asa_secs: if served > 0.0 {
            served_wait / served
        } else {
            0.0
        },
        abandon_probability,
        mean_wait_secs: abandon_probability * patience_secs,
        occupancy: (traffic * served / n).min(1.0),
    })
}

/// ln(1/B_N − 1), via the recursion 1/Bₖ = 1 + (k/A)·(1/Bₖ₋₁), carried as a mantissa and a
/// log offset so it never overflows, without a logarithm per step.
fn ln_inverse_blocking_minus_one(traffic: f64, agents: u32) -> f64 {
    let mut r = 1.0_f64;
    let mut offset = 0.0_f64;
    let mut one = 1.0_f64;
    for k in 1..=agents {
        r = one + f64::from(k) / traffic * r;
        if r > RESCALE {
            r /= RESCALE;
            offset += RESCALE.ln();
            one = (-offset).exp();
        }
    }
    let ln_r = r.ln() + offset;
    ln_r + ln_one_minus_exp(-ln_r)
}

/// Threshold at which running sums are scaled down and the factor moved into a log offset.
const RESCALE: f64 = 1e200;

/// The three positive series of the module docs, as logarithms.
struct Sums {
    /// ln Σ q_j.
    ln_q: f64,
    /// ln Σ j·q_j.
    ln_jq: f64,
    /// ln Σ q_j · a/(a+j+1) · Σₖ₌₁..ⱼ₊₁ 1/(a+k); times θ it is E[W; served] / π_N.
    ln_served_wait: f64,
}

impl Sums {
    /// Sums term by term in plain floating point, rescaling everything (terms and sums
    /// alike) when they grow large, so overloaded queues with huge terms cannot overflow.
    fn over(a: f64, y: f64) -> Result<Self, WfmError> {
        let mut offset = 0.0_f64;
        let (mut q, mut jq, mut sw) = (0.0_f64, 0.0_f64, 0.0_f64);
        let mut term = 1.0_f64;
        let mut harmonic = 0.0_f64;
        for j in 0..MAX_TERMS {
            let jf = j as f64;
            let next = a + jf + 1.0;
            harmonic += 1.0 / next;
            let sw_term = term * a / next * harmonic;
            q += term;
            jq += jf * term;
            sw += sw_term;
            // Later terms shrink at least by `ratio` each (the weights grow by ≤ (j+2)/(j+1)),
            // so once it is below 1 the tail is bounded by a geometric series.
            let ratio = y / next * (jf + 2.0) / (jf + 1.0);
            if ratio < 1.0 {
                let tail = 1.0 / (1.0 - ratio);
                let small = |last: f64, sum: f64| last * tail <= sum * 1e-17;
                if small(term, q) && small(sw_term, sw) && small(jf * term, jq) {
                    return Ok(Self {
                        ln_q: q.ln() + offset,
                        ln_jq: jq.ln() + offset,
                        ln_served_wait: sw.ln() + offset,
                    });
                }
            }
            term *= y / next;
            if q > RESCALE {
                term /= RESCALE;
                q /= RESCALE;
                jq /= RESCALE;
                sw /= RESCALE;
                offset += RESCALE.ln();
            }
        }
        Err(WfmError::NotConverged)
    }
}

fn ln_add_exp(x: f64, y: f64) -> f64 {
    let hi = x.max(y);
    if hi == f64::NEG_INFINITY {
        return hi;
    }
    hi + (x.min(y) - hi).exp().ln_1p()
}

/// ln(1 − eˣ) for x ≤ 0, accurate both near 0 and for very negative x.
fn ln_one_minus_exp(x: f64) -> f64 {
    if x > -std::f64::consts::LN_2 {
        (-x.exp_m1()).ln()
    } else {
        (-x.exp()).ln_1p()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::erlang::erlang_c;

    /// Independent reference: the birth–death chain truncated far into the queue, solved by
    /// products, and each arrival's fate integrated as an ODE over its position in queue
    /// (RK4). Shares no formula with the closed forms above.
    struct Chain {
        pw: f64,
        sl: f64,
        abandon: f64,
        asa: f64,
    }

    fn chain(lambda: f64, aht: f64, theta: f64, n: u32, t: f64) -> Chain {
        let (mu, gamma, nf) = (1.0 / aht, 1.0 / theta, f64::from(n));
        // Queue positions kept: far beyond the mean queue (λ − Nμ)⁺·θ.
        let excess = (lambda - nf * mu).max(0.0) * theta;
        let k_max = 60 + (theta / 4.0 + 4.0 * excess) as usize;
        // RK4 steps small against the fastest rate in the chain; the T grid divides T exactly.
        let h = 0.1 / (nf * mu + k_max as f64 * gamma);
        let steps = (t / h).ceil();
        let h_t = if steps > 0.0 { t / steps } else { 0.0 };
        let mut pi = vec![1.0_f64];
        for s in 1..=(n as usize + k_max) {
            let death = if s <= n as usize {
                s as f64 * mu
            } else {
                nf * mu + (s - n as usize) as f64 * gamma
            };
            let prev = pi[s - 1];
            pi.push(prev * lambda / death);
        }
        let total: f64 = pi.iter().sum();
        pi.iter_mut().for_each(|p| *p /= total);
        let queue = &pi[n as usize..];
        let pw: f64 = queue.iter().sum();
        let abandon = gamma
            * queue
                .iter()
                .enumerate()
                .map(|(j, p)| j as f64 * p)
                .sum::<f64>()
            / lambda;

        // g_k(t) for an arrival with k ahead: d g_k/dt = −(Nμ+(k+1)γ) g_k + (Nμ+kγ) g_{k−1}.
        let deriv = |g: &[f64]| -> Vec<f64> {
            (0..g.len())
                .map(|k| {
                    let kf = k as f64;
                    let inflow = if k > 0 {
                        (nf * mu + kf * gamma) * g[k - 1]
                    } else {
                        0.0
                    };
                    inflow - (nf * mu + (kf + 1.0) * gamma) * g[k]
                })
                .collect()
        };
        let step = |g: &[f64], h: f64| -> Vec<f64> {
            let k1 = deriv(g);
            let g2: Vec<f64> = g.iter().zip(&k1).map(|(x, d)| x + 0.5 * h * d).collect();
            let k2 = deriv(&g2);
            let g3: Vec<f64> = g.iter().zip(&k2).map(|(x, d)| x + 0.5 * h * d).collect();
            let k3 = deriv(&g3);
            let g4: Vec<f64> = g.iter().zip(&k3).map(|(x, d)| x + h * d).collect();
            let k4 = deriv(&g4);
            (0..g.len())
                .map(|i| g[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
                .collect()
        };
        // Still waiting at T.
        let mut f = vec![1.0; k_max];
        for _ in 0..steps as usize {
            f = step(&f, h_t);
        }
        let late: f64 = queue.iter().zip(&f).map(|(p, x)| p * x).sum();
        // Waiting at t and served later, integrated over t (Simpson on the RK4 grid).
        let mut v: Vec<f64> = (0..k_max)
            .map(|k| nf * mu / (nf * mu + (k as f64 + 1.0) * gamma))
            .collect();
        let weigh = |v: &[f64]| queue.iter().zip(v).map(|(p, x)| p * x).sum::<f64>();
        let mut integral = 0.0;
        let mut prev = weigh(&v);
        let mut i = 0;
        while prev > 1e-14 || i < 10 {
            let mid = step(&v, h / 2.0);
            v = step(&mid, h / 2.0);
            let now = weigh(&v);
            integral += h / 6.0 * (prev + 4.0 * weigh(&mid) + now);
            prev = now;
            i += 1;
        }
        Chain {
            pw,
            sl: 1.0 - late,
            abandon,
            asa: integral / (1.0 - abandon),
        }
    }

    #[test]
    fn matches_truncated_birth_death_chain() {
        let (calls, interval, aht, t) = (100.0, 1800.0, 180.0, 20.0);
        let lambda = calls / interval;
        for theta in [30.0, 120.0, 600.0] {
            for n in [6, 9, 10, 12, 14] {
                let m = erlang_a(lambda * aht, n, aht, theta, t).unwrap();
                let c = chain(lambda, aht, theta, n, t);
                let ctx = format!("θ={theta} N={n}: {m:?}");
                assert!((m.waiting_probability - c.pw).abs() < 1e-7, "Pw {ctx}");
                assert!(
                    (m.abandon_probability - c.abandon).abs() < 1e-7,
                    "Pab {ctx}"
                );
                assert!(
                    (m.service_level - c.sl).abs() < 1e-6,
                    "SL {} vs {} {ctx}",
                    m.service_level,
                    c.sl
                );
                assert!(
                    (m.asa_secs - c.asa).abs() < 1e-4,
                    "ASA {} vs {} {ctx}",
                    m.asa_secs,
                    c.asa
                );
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]
        #[test]
        fn matches_the_chain_anywhere(
            calls in 20.0f64..200.0, aht in 60.0f64..400.0, theta in 20.0f64..300.0,
            offset in -3i32..6, t in 0.0f64..60.0,
        ) {
            let lambda = calls / 1800.0;
            let n = ((lambda * aht).floor() as i32 + offset).max(1) as u32;
            let m = erlang_a(lambda * aht, n, aht, theta, t).unwrap();
            let c = chain(lambda, aht, theta, n, t);
            proptest::prop_assert!((m.waiting_probability - c.pw).abs() < 1e-7, "{:?}", m);
            proptest::prop_assert!((m.abandon_probability - c.abandon).abs() < 1e-7, "{:?}", m);
            proptest::prop_assert!((m.service_level - c.sl).abs() < 1e-6, "{:?} {}", m, c.sl);
            proptest::prop_assert!((m.asa_secs - c.asa).abs() < 1e-4, "{:?} {}", m, c.asa);
        }
    }

    #[test]
    fn huge_patience_is_erlang_c() {
        let m = erlang_a(10.0, 14, 180.0, 1e9, 20.0).unwrap();
        let c = erlang_c(10.0, 14, 180.0, 20.0).unwrap().metrics().unwrap();
        assert!((m.service_level - c.service_level).abs() < 1e-5);
        assert!((m.waiting_probability - c.waiting_probability).abs() < 1e-5);
        assert!((m.asa_secs - c.asa_secs).abs() < 1e-3);
        assert!(m.abandon_probability < 1e-5);
    }

    #[test]
    fn overload_stays_finite() {
        // 2000 Erlangs on 500 agents: most callers abandon, nothing is NaN or infinite.
        let m = erlang_a(2000.0, 500, 300.0, 120.0, 20.0).unwrap();
        assert!(
            m.abandon_probability > 0.7 && m.abandon_probability < 0.8,
            "{m:?}"
        );
        assert!(m.waiting_probability > 0.99);
        for v in [m.service_level, m.asa_secs, m.mean_wait_secs, m.occupancy] {
            assert!(v.is_finite() && v >= 0.0, "{m:?}");
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            erlang_a(10.0, 0, 180.0, 60.0, 20.0).unwrap_err().code(),
            "invalid_agents"
        );
        assert_eq!(
            erlang_a(10.0, 5, 180.0, 0.0, 20.0).unwrap_err().code(),
            "invalid_duration"
        );
        assert_eq!(
            erlang_a(-1.0, 5, 180.0, 60.0, 20.0).unwrap_err().code(),
            "invalid_traffic"
        );
    }
}
