//! The schedule solver against exhaustive search on small random instances.

use std::collections::BTreeMap;

use kefu_wfm::{Objective, ScheduleInput, ScheduleStatus, ShiftTemplate, solve_schedule};
use proptest::prelude::*;

const MAX_PER_SHIFT: u32 = 4;

/// Best (objective, cost) over every assignment with at most `MAX_PER_SHIFT` agents per
/// shift, lexicographically, or `None` when nothing is feasible. Requirements stay ≤ 3, so
/// larger values never help.
fn brute_force(input: &ScheduleInput) -> Option<(f64, f64)> {
    let shifts: Vec<&ShiftTemplate> = input.shifts.values().collect();
    let mut total = (0.0, 0.0);
    for required in &input.required {
        let mut best: Option<(f64, f64)> = None;
        let combos = (MAX_PER_SHIFT + 1).pow(shifts.len() as u32);
        for mut code in 0..combos {
            let mut x = Vec::new();
            for _ in &shifts {
                x.push(code % (MAX_PER_SHIFT + 1));
                code /= MAX_PER_SHIFT + 1;
            }
            if input
                .max_shift_concurrency
                .is_some_and(|cap| x.iter().any(|&n| n > cap))
            {
                continue;
            }
            let on_duty: Vec<f64> = (0..input.periods_per_day)
                .map(|p| {
                    shifts
                        .iter()
                        .zip(&x)
                        .map(|(s, &n)| f64::from(u32::from(s.coverage[p]) * n))
                        .sum()
                })
                .collect();
            if let Some(cap) = input.max_period_concurrency
                && on_duty.iter().any(|&c| c > f64::from(cap))
            {
                continue;
            }
            let cost: f64 = shifts
                .iter()
                .zip(&x)
                .map(|(s, &n)| s.cost * f64::from(n))
                .sum();
            let value = match input.objective {
                Objective::MinCost => {
                    if on_duty.iter().zip(required).any(|(c, r)| c < r) {
                        continue;
                    }
                    cost
                }
                _ => on_duty
                    .iter()
                    .zip(required)
                    .map(|(c, r)| (c - r).abs())
                    .sum(),
            };
            let better = best.is_none_or(|(v, c)| value < v || (value == v && cost < c));
            if better {
                best = Some((value, cost));
            }
        }
        let (v, c) = best?;
        total = (total.0 + v, total.1 + c);
    }
    Some(total)
}

fn instance() -> impl Strategy<Value = ScheduleInput> {
    (1usize..3, 2usize..6, 1usize..4).prop_flat_map(|(days, periods, n_shifts)| {
        (
            proptest::collection::vec(proptest::collection::vec(0u8..4, periods), days),
            proptest::collection::vec(
                (proptest::collection::vec(0u8..2, periods), 1u8..5),
                n_shifts,
            ),
            prop_oneof![Just(Objective::MinCost), Just(Objective::MinAbsDifference)],
            proptest::option::of(1u32..5),
            proptest::option::of(1u32..4),
        )
            .prop_map(
                move |(required, shifts, objective, period_cap, shift_cap)| {
                    let shifts: BTreeMap<String, ShiftTemplate> = shifts
                        .into_iter()
                        .enumerate()
                        .map(|(i, (coverage, cost))| {
                            (
                                format!("s{i}"),
                                ShiftTemplate {
                                    coverage,
                                    cost: f64::from(cost),
                                },
                            )
                        })
                        .collect();
                    ScheduleInput {
                        days,
                        periods_per_day: periods,
                        required: required
                            .into_iter()
                            .map(|d| d.into_iter().map(f64::from).collect())
                            .collect(),
                        shifts,
                        objective,
                        max_period_concurrency: period_cap,
                        max_shift_concurrency: shift_cap,
                    }
                },
            )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn matches_exhaustive_search(input in instance()) {
        let out = solve_schedule(&input).unwrap();
        let expected = brute_force(&input);
        match expected {
            None => prop_assert_eq!(out.status, ScheduleStatus::Infeasible),
            Some((best, best_cost)) => {
                prop_assert_eq!(out.status, ScheduleStatus::Optimal);
                let got = match input.objective {
                    Objective::MinCost => out.cost.unwrap(),
                    _ => out.abs_difference.unwrap(),
                };
                prop_assert!((got - best).abs() < 1e-6, "solver {} vs brute force {}", got, best);
                let cost = out.cost.unwrap();
                prop_assert!((cost - best_cost).abs() < 1e-6, "cost {} vs {}", cost, best_cost);
                if let Some(cap) = input.max_period_concurrency {
                    prop_assert!(out.coverage.iter().flatten().all(|&c| c <= cap));
                }
                if let Some(cap) = input.max_shift_concurrency {
                    prop_assert!(out.schedule.iter().all(|a| a.agents <= cap));
                }
            }
        }
    }
}
