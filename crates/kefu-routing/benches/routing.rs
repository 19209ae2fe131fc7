//! Criterion benchmarks of the router: the steady state of a large center
//! (a freed agent takes the next interaction, a new one arrives), arrivals
//! to idle agents per strategy, the scan-everything baseline on the same
//! workload, and one simulator run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{Criterion, criterion_group, criterion_main};
use kefu_routing::scale::{Driver, Engine, NaiveRouter, ScaleParams};
use kefu_routing::sim::{self, SimConfig};
use kefu_routing::{Router, RouterConfig, Strategy};
use std::hint::black_box;

fn steady_step<E: Engine>(driver: &mut Driver<E>) -> usize {
    driver.complete_one().unwrap() + driver.arrive_one().unwrap()
}

fn full_scale(c: &mut Criterion) {
    let params = ScaleParams::default();
    let mut group = c.benchmark_group("steady_state_10k_agents_100k_waiting");
    group.sample_size(20);
    let router = Router::new(RouterConfig::default()).unwrap();
    let mut indexed = Driver::build(router, params).unwrap();
    group.bench_function("indexed_complete_and_arrive", |b| {
        b.iter(|| black_box(steady_step(&mut indexed)))
    });
    drop(indexed);
    let mut naive = Driver::build(NaiveRouter::new(), params).unwrap();
    group.bench_function("baseline_complete_and_arrive", |b| {
        b.iter(|| black_box(steady_step(&mut naive)))
    });
    group.finish();
}

fn arrivals_to_idle_agents(c: &mut Criterion) {
    let mut group = c.benchmark_group("arrival_to_idle_agents_10k");
    group.sample_size(20);
    let params = ScaleParams {
        waiting: 0,
        ..ScaleParams::default()
    };
    for strategy in [Strategy::LongestIdle, Strategy::LeastOccupied] {
        let mut driver =
            Driver::build(Router::new(RouterConfig::default()).unwrap(), params).unwrap();
        for queue in driver.workload.queues.clone() {
            let mut spec = queue;
            spec.strategy = strategy;
            driver.engine.update_queue(spec, driver.now).unwrap();
        }
        group.bench_function(strategy.name(), |b| {
            b.iter(|| {
                let routed = driver.arrive_one().unwrap();
                black_box(routed + driver.complete_one().unwrap())
            })
        });
    }
    group.finish();
}

fn simulator(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulator");
    group.sample_size(10);
    let config = SimConfig::single_queue(
        14,
        200.0,
        180.0,
        20.0,
        100.0,
        1,
        None,
        Strategy::LongestIdle,
    );
    group.bench_function("single_queue_14_agents_100_hours", |b| {
        b.iter(|| black_box(sim::run(&config).unwrap().answered))
    });
    group.finish();
}

criterion_group!(benches, full_scale, arrivals_to_idle_agents, simulator);
criterion_main!(benches);
