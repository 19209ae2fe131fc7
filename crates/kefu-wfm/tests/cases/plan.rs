//! The planning chain end to end: history → forecast → requirement curve → shift schedule.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use kefu_wfm::{
    CurveTargets, ForecastInput, History, Objective, ScheduleInput, ScheduleStatus, ShiftTemplate,
    forecast, requirement_curve, solve_schedule,
};

const PER_DAY: usize = 48;

fn history(weeks: usize) -> History {
    let weekday = [1.1, 1.05, 1.0, 1.0, 0.95, 0.55, 0.35];
    let mut calls = Vec::new();
    for d in 0..weeks * 7 {
        for i in 0..PER_DAY {
            let h = i as f64 / 2.0;
            // Open 07:00–22:00 with a late-morning peak; a deterministic wobble as noise.
            let open = (7.0..22.0).contains(&h);
            let shape = (-((h - 11.0) / 3.5).powi(2)).exp() + 0.3;
            let wobble = 1.0 + 0.1 * (((d * 48 + i) * 37 % 17) as f64 / 8.0 - 1.0);
            calls.push(if open {
                (60.0 * weekday[d % 7] * shape * wobble).round()
            } else {
                0.0
            });
        }
    }
    History {
        start: NaiveDate::from_ymd_opt(2026, 3, 2)
            .unwrap()
            .and_time(NaiveTime::MIN),
        interval_secs: 1800,
        aht_secs: Some(vec![240.0; calls.len()]),
        calls,
    }
}

fn shifts() -> BTreeMap<String, ShiftTemplate> {
    // 8-hour and 9-hour shifts starting every hour from 07:00 to 14:00.
    let mut shifts = BTreeMap::new();
    for start in 7..=14 {
        for hours in [8, 9] {
            let coverage = (0..PER_DAY)
                .map(|p| u8::from(p >= start * 2 && p < (start + hours) * 2))
                .collect();
            let cost = f64::from(hours as u8);
            shifts.insert(
                format!("{hours}h@{start:02}"),
                ShiftTemplate { coverage, cost },
            );
        }
    }
    shifts
}

#[test]
fn forecast_to_published_schedule() {
    let f = forecast(&ForecastInput {
        history: history(6),
        horizon_weeks: 1,
        holidays: vec![],
        holiday_factor: None,
    })
    .unwrap();
    let curve = requirement_curve(
        &f.demand(240.0),
        &CurveTargets {
            interval_secs: 1800.0,
            target_secs: 20.0,
            service_level: 0.8,
            patience_secs: None,
            max_occupancy: Some(0.9),
            shrinkage: Some(0.25),
        },
    )
    .unwrap();
    let required = curve.scheduled_by_day(PER_DAY);
    assert_eq!(required.len(), 7);
    // Closed overnight: nothing required, so no shift is needed there.
    assert!(
        required
            .iter()
            .all(|day| day[..14].iter().all(|&r| r == 0.0))
    );

    let input = ScheduleInput {
        days: 7,
        periods_per_day: PER_DAY,
        required: required.clone(),
        shifts: shifts(),
        objective: Objective::MinCost,
        max_period_concurrency: None,
        max_shift_concurrency: None,
    };
    let out = solve_schedule(&input).unwrap();
    assert_eq!(out.status, ScheduleStatus::Optimal);
    for (have, need) in out.coverage.iter().flatten().zip(required.iter().flatten()) {
        assert!(f64::from(*have) >= *need);
    }
    // Weekends are quieter, so they need fewer agents.
    let day_agents = |d: usize| -> u32 {
        out.schedule
            .iter()
            .filter(|a| a.day == d)
            .map(|a| a.agents)
            .sum()
    };
    assert!(day_agents(6) < day_agents(0));
}
