//! Benchmark of the target: a two-week, 96-period schedule with 20 shift templates
//! solved in ≤ 10 s. The requirement curve has morning and afternoon peaks, a quieter
//! weekend and day-to-day noise, so no two days share a solve.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kefu_wfm::{Objective, ScheduleInput, ScheduleStatus, ShiftTemplate, solve_schedule};

const PERIODS: usize = 96;

/// Agents needed per 15-minute period: overnight floor, peaks at 10:30 and 15:00.
fn requirement(day: usize, period: usize) -> f64 {
    let hour = period as f64 / 4.0;
    let bump = |centre: f64, width: f64| (-((hour - centre) / width).powi(2)).exp();
    let weekday = if day % 7 >= 5 { 0.55 } else { 1.0 };
    // Deterministic day-to-day wobble, different for every day and period.
    let wobble = (((day * 131 + period * 17) % 23) as f64 - 11.0) / 11.0;
    let level = 3.0 + weekday * (38.0 * bump(10.5, 2.2) + 30.0 * bump(15.0, 2.5)) + 2.0 * wobble;
    level.max(2.0).round()
}

fn shift(start_period: usize, len: usize, cost: f64) -> ShiftTemplate {
    let coverage = (0..PERIODS)
        .map(|p| u8::from(p >= start_period && p < start_period + len))
        .collect();
    ShiftTemplate { coverage, cost }
}

fn instance(objective: Objective) -> ScheduleInput {
    let mut shifts = BTreeMap::new();
    // Twelve 8-hour shifts starting on the hour (00:00 and 06:00–16:00)…
    for start_hour in [0, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16] {
        let cost = if start_hour == 0 { 10.0 } else { 8.0 };
        shifts.insert(
            format!("8h@{start_hour:02}:00"),
            shift(start_hour * 4, 32, cost),
        );
    }
    // …and eight 9-hour shifts starting on the half hour (06:30–13:30).
    for start_hour in 6..14 {
        shifts.insert(
            format!("9h@{start_hour:02}:30"),
            shift(start_hour * 4 + 2, 36, 9.0),
        );
    }
    ScheduleInput {
        days: 14,
        periods_per_day: PERIODS,
        required: (0..14)
            .map(|d| (0..PERIODS).map(|p| requirement(d, p)).collect())
            .collect(),
        shifts,
        objective,
        max_period_concurrency: None,
        max_shift_concurrency: None,
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("schedule_14d_96p_20shifts");
    group.sample_size(10);
    // Capped variants: at most 9 agents per shift spreads the starts, and for the
    // abs-difference objective at most 38 on duty cuts the ~44-agent peaks, so
    // branch-and-bound has real work to do.
    let capped = |objective, period_cap| ScheduleInput {
        max_shift_concurrency: Some(9),
        max_period_concurrency: Some(period_cap),
        ..instance(objective)
    };
    for (name, input) in [
        ("min_cost", instance(Objective::MinCost)),
        ("min_abs_difference", instance(Objective::MinAbsDifference)),
        ("min_cost_capped", capped(Objective::MinCost, 60)),
        (
            "min_abs_difference_capped",
            capped(Objective::MinAbsDifference, 38),
        ),
    ] {
        assert_eq!(input.shifts.len(), 20);
        let out = solve_schedule(&input).unwrap();
        assert_eq!(out.status, ScheduleStatus::Optimal);
        let peak = input
            .required
            .iter()
            .flatten()
            .fold(0.0_f64, |a, &b| a.max(b));
        let busiest = out.schedule.iter().map(|a| a.agents).max().unwrap_or(0);
        // The shift cap must bind, or the capped variants would measure nothing new.
        match input.max_shift_concurrency {
            Some(cap) => assert_eq!(busiest, cap),
            None => assert!(busiest > 9),
        }
        eprintln!(
            "{name}: peak requirement {peak}, cost {:?}, abs difference {:?}, most on one shift {busiest}",
            out.cost, out.abs_difference
        );
        group.bench_function(name, |b| {
            b.iter(|| solve_schedule(black_box(&input)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
