//! Benchmark of the target: 1,000,000 contacts (30 days, 20 queues, 4 channels,
//! 300 agents, 100,000 customers) aggregated into 30-minute and daily rows in seconds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use kefu_metrics::{
    AggregationSpec, BotOutcome, Granularity, HandleTime, InteractionRecord, Offer, OfferOutcome,
    Rating, aggregate,
};

const RECORDS: usize = 1_000_000;
const DAYS: i64 = 30;

/// SplitMix64: a fixed seed gives the same records on every run, with no extra dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T00:00:00+08:00")
        .unwrap()
        .to_utc()
}

fn records() -> Vec<InteractionRecord> {
    let mut rng = SplitMix(0x6b65_6675);
    let span_ms = DAYS * 86_400_000;
    let channels = ["voice", "web_chat", "wechat", "email"];
    let mut records: Vec<InteractionRecord> = (0..RECORDS)
        .map(|n| {
            let started_at =
                start() + Duration::milliseconds(i64::try_from(rng.below(span_ms as u64)).unwrap());
            let queue = rng.below(20);
            let wait = Duration::seconds(i64::try_from(rng.below(180)).unwrap());
            let enqueued_at = started_at + Duration::seconds(5);
            let roll = rng.below(100);
            let outcome = match roll {
                0..=7 => OfferOutcome::Abandoned {
                    abandoned_at: enqueued_at + wait,
                },
                8..=9 => OfferOutcome::Waiting,
                _ => OfferOutcome::Answered {
                    agent: format!("agent-{}", queue * 15 + rng.below(15)),
                    answered_at: enqueued_at + wait,
                },
            };
            let answered = roll >= 10;
            InteractionRecord {
                id: format!("c{n}"),
                customer_id: format!("cust-{}", rng.below(100_000)),
                channel: channels[usize::try_from(rng.below(4)).unwrap()].to_owned(),
                service_group: Some(format!("group-{}", queue % 6)),
                started_at,
                offer: Some(Offer {
                    queue: format!("queue-{queue}"),
                    enqueued_at,
                    outcome,
                }),
                first_response_at: answered.then(|| enqueued_at + wait + Duration::seconds(20)),
                handle: answered.then(|| HandleTime {
                    talk_ms: 60_000 + rng.below(600_000),
                    hold_ms: rng.below(60_000),
                    after_contact_work_ms: rng.below(120_000),
                }),
                resolved_at: answered
                    .then(|| started_at + Duration::seconds(600 + rng.below(86_400) as i64)),
                resolution_due_at: Some(started_at + Duration::hours(24)),
                transfers: u32::from(rng.below(10) == 0),
                rating: match rng.below(10) {
                    0..=2 => Some(Rating::Csat(1 + rng.below(5) as u8)),
                    3 => Some(Rating::Nps(rng.below(11) as u8)),
                    _ => None,
                },
                bot: (rng.below(3) == 0).then_some(BotOutcome::HandedOff),
            }
        })
        .collect();
    // The server reads the log in order; the aggregator does not need it, but its bucket
    // cache benefits, so measure the realistic case.
    records.sort_by_key(InteractionRecord::bucket_time);
    records
}

fn bench(c: &mut Criterion) {
    let records = records();
    let mut group = c.benchmark_group("aggregate_1m");
    group
        .sample_size(10)
        .warm_up_time(StdDuration::from_secs(1))
        .measurement_time(StdDuration::from_secs(20));
    for (name, granularity) in [
        ("30m_all_dimensions", Granularity::Minutes30),
        ("day_all_dimensions", Granularity::Day),
    ] {
        let spec = AggregationSpec::new(
            chrono_tz::Asia::Shanghai,
            granularity,
            start(),
            start() + Duration::days(DAYS),
        );
        group.bench_function(name, |b| {
            b.iter(|| black_box(aggregate(spec.clone(), black_box(&records), []).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
