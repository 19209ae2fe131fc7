//! Property tests over random contacts and spans: outcomes never exceed offers, dimension
//! rows add up to the tenant row, every rate is a finite share (NPS within ±100).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use kefu_metrics::{
    AgentState, AgentStateSpan, AggregationSpec, BotOutcome, Dimension, DimensionKey, Granularity,
    HandleTime, InteractionRecord, MetricCounts, MetricsReport, Offer, OfferOutcome, Rating,
    SlDefinition, aggregate,
};
use proptest::prelude::*;

fn window_start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-07T00:00:00Z")
        .unwrap()
        .to_utc()
}

/// Offsets in seconds from the window start (two days, over a New York DST change).
fn arb_record() -> impl Strategy<Value = InteractionRecord> {
    (
        (0u32..20, 0usize..3, 0usize..3, 0usize..3, 0usize..4),
        (0i64..172_800, 0i64..600, 0u8..4, 0i64..3600),
        (
            0u8..3,
            0u8..12,
            0u8..4,
            0u32..3,
            proptest::option::of(0i64..86_400),
        ),
    )
        .prop_map(
            |(
                (customer, queue, channel, group, agent),
                (offset, wait, outcome, frt),
                (rating_kind, score, bot, transfers, resolve_after),
            )| {
                let started_at = window_start() + Duration::seconds(offset);
                let enqueued_at = started_at + Duration::seconds(frt % 60);
                let offer_outcome = match outcome {
                    0 => OfferOutcome::Waiting,
                    1 => OfferOutcome::Abandoned {
                        abandoned_at: enqueued_at + Duration::seconds(wait),
                    },
                    _ => OfferOutcome::Answered {
                        agent: format!("agent-{agent}"),
                        answered_at: enqueued_at + Duration::seconds(wait),
                    },
                };
                let answered = matches!(offer_outcome, OfferOutcome::Answered { .. });
                let bot_only = outcome == 3 && bot == 0;
                InteractionRecord {
                    id: format!("{customer}-{offset}"),
                    customer_id: format!("cust-{customer}"),
                    channel: ["voice", "web_chat", "wechat"][channel].into(),
                    service_group: (group > 0).then(|| format!("group-{group}")),
                    started_at,
                    offer: (!bot_only).then(|| Offer {
                        queue: ["billing", "support", "sales"][queue].into(),
                        enqueued_at,
                        outcome: offer_outcome,
                    }),
                    first_response_at: answered.then(|| started_at + Duration::seconds(frt)),
                    handle: (answered && !bot_only).then_some(HandleTime {
                        talk_ms: (frt as u64) * 1000,
                        hold_ms: (wait as u64) * 100,
                        after_contact_work_ms: 30_000,
                    }),
                    resolved_at: resolve_after.map(|s| started_at + Duration::seconds(s)),
                    resolution_due_at: resolve_after
                        .map(|_| started_at + Duration::seconds(frt * 20)),
                    transfers: if answered && !bot_only { transfers } else { 0 },
                    rating: match rating_kind {
                        0 => None,
                        1 => Some(Rating::Csat(1 + score % 5)),
                        _ => Some(Rating::Nps(score % 11)),
                    },
                    bot: match bot {
                        0 if bot_only => Some(BotOutcome::Resolved),
                        1 => Some(BotOutcome::HandedOff),
                        2 => Some(BotOutcome::Abandoned),
                        _ => None,
                    },
                }
            },
        )
}

fn arb_span() -> impl Strategy<Value = AgentStateSpan> {
    (0usize..4, 0u8..5, 0i64..172_800, 0i64..7200).prop_map(|(agent, state, from, len)| {
        let from = window_start() + Duration::seconds(from);
        AgentStateSpan {
            agent: format!("agent-{agent}"),
            service_group: Some(format!("group-{}", agent % 2)),
            state: [
                AgentState::Available,
                AgentState::Away,
                AgentState::Busy,
                AgentState::WrapUp,
                AgentState::Offline,
            ][usize::from(state)],
            from,
            to: from + Duration::seconds(len),
        }
    })
}

fn arb_granularity() -> impl Strategy<Value = Granularity> {
    prop_oneof![
        Just(Granularity::Minutes15),
        Just(Granularity::Minutes60),
        Just(Granularity::Day),
        Just(Granularity::Week),
    ]
}

/// Counts that every contact has exactly one of per dimension, so they add up across values.
fn additive(c: &MetricCounts) -> [u64; 26] {
    [
        c.offered,
        c.answered,
        c.abandoned,
        c.short_abandoned,
        c.waiting,
        c.answered_within_threshold,
        c.abandoned_within_threshold,
        c.handled,
        c.transferred,
        c.transfers,
        c.first_responses,
        c.resolved,
        c.fcr_resolved_first_contact,
        c.fcr_repeated,
        c.fcr_undetermined,
        c.csat_responses,
        c.csat_satisfied,
        c.nps_responses,
        c.nps_promoters,
        c.nps_detractors,
        c.bot_conversations,
        c.bot_resolved,
        c.bot_handed_off,
        c.sla_tickets,
        c.sla_met,
        c.sla_breached,
    ]
}

/// Sums of each dimension's rows per bucket, keyed by bucket start.
fn sums_by_bucket(report: &MetricsReport, dimension: Dimension) -> BTreeMap<String, [u64; 26]> {
    let mut sums = BTreeMap::new();
    for row in report
        .rows
        .iter()
        .filter(|r| r.dimension.dimension() == dimension)
    {
        let entry = sums
            .entry(row.bucket_start.to_rfc3339())
            .or_insert([0u64; 26]);
        for (sum, value) in entry.iter_mut().zip(additive(&row.counts)) {
            *sum += value;
        }
    }
    sums
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn reports_are_internally_consistent(
        records in proptest::collection::vec(arb_record(), 0..300),
        spans in proptest::collection::vec(arb_span(), 0..40),
        granularity in arb_granularity(),
        definition in proptest::sample::select(SlDefinition::ALL.to_vec()),
        short_abandon_secs in 0u32..30,
    ) {
        let mut spec = AggregationSpec::new(
            chrono_tz::America::New_York,
            granularity,
            window_start(),
            window_start() + Duration::days(2),
        );
        spec.service_level = definition;
        spec.short_abandon_secs = short_abandon_secs;
        let report = aggregate(spec, &records, &spans).unwrap();

        for row in &report.rows {
            let c = &row.counts;
            prop_assert!(c.answered + c.abandoned <= c.offered);
            prop_assert_eq!(c.answered + c.abandoned + c.waiting, c.offered);
            prop_assert!(c.short_abandoned <= c.abandoned);
            let r = &row.rates;
            for rate in [
                r.answer_rate, r.abandonment_rate, r.service_level, r.occupancy,
                r.utilization, r.transfer_rate, r.fcr_rate, r.csat,
                r.bot_answer_rate, r.bot_handoff_rate, r.sla_attainment,
            ]
            .into_iter()
            .flatten()
            {
                prop_assert!((0.0..=1.0).contains(&rate), "{rate} in {row:?}");
            }
            if let Some(nps) = r.nps {
                prop_assert!((-100.0..=100.0).contains(&nps));
            }
            prop_assert!(row.bucket_start < row.bucket_end);
        }

        // Every contact lands in one channel, so channel rows add up to the tenant row in
        // every count; queue rows do for the queue counts (bot-only contacts have no queue).
        let tenant = sums_by_bucket(&report, Dimension::Tenant);
        let channels = sums_by_bucket(&report, Dimension::Channel);
        let queues = sums_by_bucket(&report, Dimension::Queue);
        for (bucket, totals) in &tenant {
            let zero = [0u64; 26];
            prop_assert_eq!(channels.get(bucket).unwrap_or(&zero), totals);
            let queue_sums = queues.get(bucket).unwrap_or(&zero);
            prop_assert_eq!(&queue_sums[..8], &totals[..8]);
        }
        // Every offered contact inside the window is in exactly one tenant bucket.
        let window_end = window_start() + Duration::days(2);
        let offered_in_window = records
            .iter()
            .filter(|r| r.offer.as_ref().is_some_and(|o| o.enqueued_at < window_end))
            .count() as u64;
        prop_assert_eq!(tenant.values().map(|t| t[0]).sum::<u64>(), offered_in_window);
        let outside = records.iter().filter(|r| r.bucket_time() >= window_end).count() as u64;
        prop_assert_eq!(report.records_outside_window, outside);
        // Agent state time is split across buckets without loss or double counting.
        let in_window: f64 = spans
            .iter()
            .filter(|s| s.state != AgentState::Offline)
            .map(|s| {
                let end = s.to.min(window_start() + Duration::days(2));
                (end - s.from).num_milliseconds().max(0) as f64 / 1000.0
            })
            .sum();
        let counted: f64 = report
            .rows
            .iter()
            .filter(|r| r.dimension == DimensionKey::Tenant)
            .map(|r| {
                let d = r.durations;
                d.available_secs + d.away_secs + d.busy_secs + d.wrap_up_secs
            })
            .sum();
        prop_assert!((in_window - counted).abs() < 1e-6, "{in_window} vs {counted}");
    }
}
