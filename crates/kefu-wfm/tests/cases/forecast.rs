//! Invariants of the forecaster on generated histories.

use chrono::{NaiveDate, NaiveTime};
use kefu_wfm::{ForecastInput, History, forecast};
use proptest::prelude::*;

/// A history whose weeks repeat one random week exactly, possibly with closed weekdays,
/// optionally perturbed by seeded noise.
fn history(seed: u64, weeks: usize, per_day: usize, closed: [bool; 7], noise: bool) -> History {
    let mut state = seed | 1;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let week: Vec<f64> = (0..7 * per_day)
        .map(|i| {
            if closed[i / per_day] {
                0.0
            } else {
                (next() * 80.0).round()
            }
        })
        .collect();
    let calls = (0..weeks * 7 * per_day)
        .map(|i| {
            let base = week[i % week.len()];
            if noise {
                (base * (0.8 + 0.4 * next())).round()
            } else {
                base
            }
        })
        .collect();
    History {
        start: NaiveDate::from_ymd_opt(2026, 6, 1)
            .unwrap()
            .and_time(NaiveTime::MIN),
        interval_secs: (86_400 / per_day) as u32,
        calls,
        aht_secs: None,
    }
}

fn input(history: History) -> ForecastInput {
    ForecastInput {
        history,
        horizon_weeks: 2,
        holidays: vec![],
        holiday_factor: None,
    }
}

fn closed_days() -> impl Strategy<Value = [bool; 7]> {
    // At most two closed weekdays; at least one day must be open.
    (0usize..7, 0usize..7, any::<bool>()).prop_map(|(a, b, two)| {
        let mut closed = [false; 7];
        closed[a] = true;
        if two {
            closed[b] = true;
        }
        closed
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_repeating_week_is_forecast_exactly(
        seed in any::<u64>(), weeks in 2usize..6, per_day in prop_oneof![Just(24usize), Just(48)],
        closed in closed_days(),
    ) {
        let h = history(seed, weeks, per_day, closed, false);
        let last_week = h.calls[h.calls.len() - 7 * per_day..].to_vec();
        let f = forecast(&input(h)).unwrap();
        prop_assert_eq!(f.calls.len(), 14 * per_day);
        for (i, got) in f.calls.iter().enumerate() {
            let want = last_week[i % last_week.len()];
            prop_assert!((got - want).abs() <= 1e-6 * (1.0 + want), "interval {}: {} vs {}", i, got, want);
        }
    }

    #[test]
    fn forecasts_are_finite_non_negative_and_scale_with_volume(
        seed in any::<u64>(), weeks in 2usize..6, closed in closed_days(), shift in -2i32..4,
    ) {
        let h = history(seed, weeks, 24, closed, true);
        let scale = 2f64.powi(shift);
        let mut scaled = h.clone();
        scaled.calls.iter_mut().for_each(|c| *c *= scale);
        let f = forecast(&input(h)).unwrap();
        let g = forecast(&input(scaled)).unwrap();
        for (a, b) in f.calls.iter().zip(&g.calls) {
            prop_assert!(a.is_finite() && *a >= 0.0);
            // Powers of two scale exactly in floating point, so the model must too.
            prop_assert!((a * scale - b).abs() <= 1e-9 * (1.0 + b.abs()), "{} × {} vs {}", a, scale, b);
        }
    }
}
