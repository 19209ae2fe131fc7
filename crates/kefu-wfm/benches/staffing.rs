//! Benchmark of the target: Erlang staffing for 96 intervals × 50 queues ≤ 50 ms.
//! Queues range from a few contacts to several hundred per 15-minute interval, with a
//! two-peak day and handle times from 2 to 10 minutes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kefu_wfm::{CurveTargets, IntervalDemand, requirement_curve};

fn queues() -> Vec<Vec<IntervalDemand>> {
    (0..50)
        .map(|q| {
            let peak = 4.0 + 400.0 * (q as f64 / 49.0).powi(2);
            let aht_secs = 120.0 + 480.0 * ((q * 7) % 50) as f64 / 49.0;
            (0..96)
                .map(|i| {
                    let hour = i as f64 / 4.0;
                    let bump = |c: f64, w: f64| (-((hour - c) / w).powi(2)).exp();
                    let shape = 0.03 + 0.97 * bump(10.5, 2.2).max(0.8 * bump(15.0, 2.5));
                    IntervalDemand {
                        calls: (peak * shape).round(),
                        aht_secs,
                    }
                })
                .collect()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let queues = queues();
    let erlang_c = CurveTargets {
        interval_secs: 900.0,
        target_secs: 20.0,
        service_level: 0.8,
        patience_secs: None,
        max_occupancy: Some(0.9),
        shrinkage: Some(0.3),
    };
    let erlang_a = CurveTargets {
        patience_secs: Some(120.0),
        ..erlang_c
    };
    let mut group = c.benchmark_group("staffing_96x50");
    for (name, targets) in [("erlang_c", erlang_c), ("erlang_a", erlang_a)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                for q in &queues {
                    black_box(requirement_curve(black_box(q), &targets).unwrap());
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
