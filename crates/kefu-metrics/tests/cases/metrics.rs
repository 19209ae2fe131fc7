//! Each metric's arithmetic on small hand-checked inputs: AHT split, FRT, resolution
//! percentiles, CSAT, NPS, bot rates, transfers, ticket SLA, occupancy, dimensions, errors.

use kefu_metrics::{
    AgentState, AgentStateSpan, Aggregator, BotOutcome, DimensionKey, Granularity, HandleTime,
    InteractionRecord, OfferOutcome, Rating, aggregate,
};

use super::support::{abandoned, answered, at, rows_of, secs, spec, tenant};

fn day() -> kefu_metrics::AggregationSpec {
    spec(
        Granularity::Day,
        "2026-03-02T00:00:00Z",
        "2026-03-03T00:00:00Z",
    )
}

fn handled(id: &str, talk: u64, hold: u64, acw: u64) -> InteractionRecord {
    let mut record = answered(id, "q", at("2026-03-02T09:00:00Z"), secs(10), "ann");
    record.handle = Some(HandleTime {
        talk_ms: talk * 1000,
        hold_ms: hold * 1000,
        after_contact_work_ms: acw * 1000,
    });
    record
}

#[test]
fn aht_is_split_into_talk_hold_and_after_contact_work() {
    // An answered contact without a finished handle is not "handled" and stays out of AHT.
    let records = [
        handled("a", 100, 20, 30),
        handled("b", 200, 0, 50),
        answered("c", "q", at("2026-03-02T09:00:00Z"), secs(10), "ann"),
    ];
    let d = tenant(&aggregate(day(), &records, []).unwrap()).durations;
    assert_eq!(d.aht_secs, Some(200.0));
    assert_eq!(d.avg_talk_secs, Some(150.0));
    assert_eq!(d.avg_hold_secs, Some(10.0));
    assert_eq!(d.avg_after_contact_work_secs, Some(40.0));
}

#[test]
fn frt_and_resolution_time_run_from_the_first_customer_message() {
    let mut records = Vec::new();
    // Resolution times 10, 20, …, 100 minutes; the bot part before the queue counts too.
    for minutes in 1..=10_i64 {
        let mut r = answered(
            &format!("r{minutes}"),
            "q",
            at("2026-03-02T09:05:00Z"),
            secs(30),
            "ann",
        );
        r.started_at = at("2026-03-02T09:00:00Z");
        r.first_response_at = Some(r.started_at + secs(60 * minutes));
        r.resolved_at = Some(r.started_at + secs(600 * minutes));
        records.push(r);
    }
    let d = tenant(&aggregate(day(), &records, []).unwrap()).durations;
    assert_eq!(d.frt_secs, Some(330.0)); // mean of 1..=10 minutes
    assert_eq!(d.resolution_avg_secs, Some(3300.0));
    // Nearest rank: p50 is the 5th of 10 values, p90 the 9th.
    assert_eq!(d.resolution_p50_secs, Some(3000.0));
    assert_eq!(d.resolution_p90_secs, Some(5400.0));
}

#[test]
fn csat_nps_bot_and_transfer_rates() {
    let base = || answered("x", "q", at("2026-03-02T09:00:00Z"), secs(1), "ann");
    let mut records = Vec::new();
    for score in [1, 3, 4, 5, 5] {
        let mut r = base();
        r.rating = Some(Rating::Csat(score));
        records.push(r);
    }
    for score in [0, 6, 7, 8, 9, 10, 10, 10] {
        let mut r = base();
        r.rating = Some(Rating::Nps(score));
        records.push(r);
    }
    for (bot, transfers) in [
        (BotOutcome::HandedOff, 2),
        (BotOutcome::HandedOff, 0),
        (BotOutcome::Resolved, 0),
    ] {
        let mut r = base();
        r.bot = Some(bot);
        r.transfers = transfers;
        records.push(r);
    }
    // A bot-only contact never reaches a queue: it is not offered, but is a bot conversation.
    let mut bot_only = base();
    bot_only.offer = None;
    bot_only.bot = Some(BotOutcome::Resolved);
    records.push(bot_only);
    let row = tenant(&aggregate(day(), &records, []).unwrap()).clone();
    assert_eq!(row.counts.offered, 16);
    assert_eq!(row.rates.csat, Some(0.6));
    // 4 promoters, 2 detractors of 8: 50% − 25%.
    assert_eq!(row.rates.nps, Some(25.0));
    assert_eq!(row.rates.bot_answer_rate, Some(0.5));
    assert_eq!(row.rates.bot_handoff_rate, Some(0.5));
    assert_eq!((row.counts.transferred, row.counts.transfers), (1, 2));
    assert_eq!(row.rates.transfer_rate, Some(1.0 / 16.0));
    // The bot-only contact has no queue row.
    assert_eq!(
        rows_of(
            &aggregate(day(), &records, []).unwrap(),
            &DimensionKey::Queue("q".into())
        )[0]
        .counts
        .bot_conversations,
        3
    );
}

#[test]
fn ticket_sla_attainment_counts_met_breached_and_open() {
    let due = at("2026-03-02T12:00:00Z");
    let ticket = |id: &str, resolved: Option<&str>, due_at| {
        let mut r = answered(id, "q", at("2026-03-02T09:00:00Z"), secs(1), "ann");
        r.resolution_due_at = Some(due_at);
        r.resolved_at = resolved.map(at);
        r
    };
    let records = [
        ticket("on-time", Some("2026-03-02T12:00:00Z"), due),
        ticket("late", Some("2026-03-02T12:00:01Z"), due),
        ticket("overdue", None, due),
        ticket("open", None, at("2026-03-09T12:00:00Z")),
    ];
    let mut spec = day();
    spec.observed_until = Some(at("2026-03-03T00:00:00Z"));
    let row = tenant(&aggregate(spec, &records, []).unwrap()).clone();
    let c = row.counts;
    assert_eq!(
        (c.sla_tickets, c.sla_met, c.sla_breached, c.sla_open),
        (4, 1, 2, 1)
    );
    assert_eq!(row.rates.sla_attainment, Some(1.0 / 3.0));
}

#[test]
fn occupancy_and_utilization_from_spans_split_at_buckets() {
    let span = |state, from: &str, to: &str| AgentStateSpan {
        agent: "ann".into(),
        service_group: Some("after-sales".into()),
        state,
        from: at(from),
        to: at(to),
    };
    let spans = [
        // 09:40–10:20 busy: 20 min in each hour.
        span(
            AgentState::Busy,
            "2026-03-02T09:40:00Z",
            "2026-03-02T10:20:00Z",
        ),
        span(
            AgentState::Available,
            "2026-03-02T09:00:00Z",
            "2026-03-02T09:30:00Z",
        ),
        span(
            AgentState::WrapUp,
            "2026-03-02T09:30:00Z",
            "2026-03-02T09:40:00Z",
        ),
        span(
            AgentState::Away,
            "2026-03-02T10:20:00Z",
            "2026-03-02T11:00:00Z",
        ),
        span(
            AgentState::Offline,
            "2026-03-02T11:00:00Z",
            "2026-03-02T12:00:00Z",
        ),
    ];
    let report = aggregate(
        spec(
            Granularity::Minutes60,
            "2026-03-02T09:00:00Z",
            "2026-03-02T11:00:00Z",
        ),
        [],
        &spans,
    )
    .unwrap();
    for key in [
        DimensionKey::Tenant,
        DimensionKey::Agent("ann".into()),
        DimensionKey::ServiceGroup("after-sales".into()),
    ] {
        let rows = rows_of(&report, &key);
        assert_eq!(rows.len(), 2, "{key:?}");
        // 09:00: 30 available, 10 wrap-up, 20 busy → 30/60 occupied, all logged in.
        assert_eq!(rows[0].rates.occupancy, Some(0.5));
        assert_eq!(rows[0].rates.utilization, Some(0.5));
        // 10:00: 20 busy, 40 away → away is not idle, so occupancy 1 but utilization 1/3.
        assert_eq!(rows[1].rates.occupancy, Some(1.0));
        assert_eq!(rows[1].rates.utilization, Some(1.0 / 3.0));
        assert_eq!(rows[1].durations.away_secs, 2400.0);
    }
    // Queue and channel rows have no agent time: no occupancy.
    assert!(
        report
            .rows
            .iter()
            .all(|r| r.dimension.dimension() != kefu_metrics::Dimension::Queue)
    );
}

#[test]
fn agent_rows_hold_what_the_agent_answered() {
    let mut with_group = answered("a", "billing", at("2026-03-02T09:00:00Z"), secs(5), "ann");
    with_group.service_group = Some("pre-sales".into());
    let records = [
        with_group,
        answered("b", "billing", at("2026-03-02T09:00:00Z"), secs(50), "bob"),
        abandoned("c", "support", at("2026-03-02T09:00:00Z"), secs(50)),
    ];
    let report = aggregate(day(), &records, []).unwrap();
    let ann = rows_of(&report, &DimensionKey::Agent("ann".into()));
    assert_eq!((ann[0].counts.answered, ann[0].counts.offered), (1, 1));
    let billing = rows_of(&report, &DimensionKey::Queue("billing".into()));
    assert_eq!(billing[0].rates.service_level, Some(0.5));
    let support = rows_of(&report, &DimensionKey::Queue("support".into()));
    assert_eq!(support[0].rates.abandonment_rate, Some(1.0));
    let group = rows_of(&report, &DimensionKey::ServiceGroup("pre-sales".into()));
    assert_eq!(group[0].counts.offered, 1);
    let web = rows_of(&report, &DimensionKey::Channel("web_chat".into()));
    assert_eq!(web[0].counts.offered, 3);
}

#[test]
fn bad_records_are_rejected_with_stable_codes() {
    let mut aggregator = Aggregator::new(day()).unwrap();
    let mut early = answered("early", "q", at("2026-03-02T09:00:00Z"), secs(5), "ann");
    if let Some(offer) = early.offer.as_mut() {
        offer.outcome = OfferOutcome::Answered {
            agent: "ann".into(),
            answered_at: at("2026-03-02T08:59:59Z"),
        };
    }
    let err = aggregator.add_interaction(&early).unwrap_err();
    assert_eq!(err.code(), "time_order");
    assert!(err.to_string().contains("early"));
    let mut rated = answered("rated", "q", at("2026-03-02T09:00:00Z"), secs(5), "ann");
    rated.rating = Some(Rating::Csat(0));
    assert_eq!(
        aggregator.add_interaction(&rated).unwrap_err().code(),
        "invalid_rating"
    );
    let mut orphan = abandoned("orphan", "q", at("2026-03-02T09:00:00Z"), secs(5));
    orphan.handle = Some(HandleTime::default());
    assert_eq!(
        aggregator.add_interaction(&orphan).unwrap_err().code(),
        "inconsistent_record"
    );
    let backwards = AgentStateSpan {
        agent: "ann".into(),
        service_group: None,
        state: AgentState::Busy,
        from: at("2026-03-02T10:00:00Z"),
        to: at("2026-03-02T09:00:00Z"),
    };
    assert_eq!(
        aggregator.add_agent_span(&backwards).unwrap_err().code(),
        "invalid_span"
    );

    let mut bad = day();
    bad.fcr_window_days = 0;
    assert_eq!(
        Aggregator::new(bad).unwrap_err().code(),
        "invalid_parameter"
    );
    let mut empty = day();
    empty.window_end = empty.window_start;
    assert_eq!(Aggregator::new(empty).unwrap_err().code(), "empty_window");
    let mut huge = day();
    huge.granularity = Granularity::Minutes15;
    huge.window_end = at("2036-03-02T00:00:00Z");
    assert_eq!(
        Aggregator::new(huge).unwrap_err().code(),
        "too_many_buckets"
    );
}

#[test]
fn spec_and_report_round_trip_as_json() {
    let spec: kefu_metrics::AggregationSpec = serde_json::from_value(serde_json::json!({
        "time_zone": "Asia/Shanghai",
        "granularity": "30m",
        "window_start": "2026-03-02T00:00:00Z",
        "window_end": "2026-03-03T00:00:00Z",
        "service_level": "answered_only",
    }))
    .unwrap();
    assert_eq!(spec.service_level_secs, 20);
    assert_eq!(spec.fcr_window_days, 7);
    let typo = serde_json::from_value::<kefu_metrics::AggregationSpec>(serde_json::json!({
        "time_zone": "UTC", "granularity": "day",
        "window_start": "2026-03-02T00:00:00Z", "window_end": "2026-03-03T00:00:00Z",
        "fcr_days": 3,
    }));
    assert!(typo.is_err(), "unknown fields are rejected");
    let records = [answered(
        "a",
        "q",
        at("2026-03-02T09:00:00Z"),
        secs(5),
        "ann",
    )];
    let report = aggregate(spec, &records, []).unwrap();
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains(r#""number":2"#));
    assert!(json.contains(r#""dimension":{"kind":"queue","value":"q"}"#));
    let back: kefu_metrics::MetricsReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn whole_window_granularity_is_one_bucket_with_the_days_summed() {
    // Three days, a window that does not start at midnight: one bucket, exactly the window.
    let from = "2026-03-02T06:00:00Z";
    let to = "2026-03-05T06:00:00Z";
    let records = [
        answered("a", "q", at("2026-03-02T09:00:00Z"), secs(10), "ann"),
        answered("b", "q", at("2026-03-03T09:00:00Z"), secs(30), "ann"),
        answered("c", "q", at("2026-03-04T23:00:00Z"), secs(50), "bob"),
        // Outside the window: not counted.
        answered("d", "q", at("2026-03-05T07:00:00Z"), secs(5), "ann"),
    ];
    let spans = [AgentStateSpan {
        agent: "ann".into(),
        service_group: None,
        state: AgentState::Busy,
        from: at("2026-03-01T00:00:00Z"),
        to: at("2026-03-06T00:00:00Z"),
    }];
    let report = aggregate(spec(Granularity::Whole, from, to), &records, &spans).unwrap();
    let ann = rows_of(&report, &DimensionKey::Agent("ann".into()));
    assert_eq!(ann.len(), 1);
    assert_eq!(ann[0].bucket_start, at(from));
    assert_eq!(ann[0].bucket_end, at(to));
    assert_eq!(ann[0].counts.answered, 2);
    assert_eq!(ann[0].durations.asa_secs, Some(20.0));
    // Spans are clipped to the window: three days busy.
    assert_eq!(ann[0].durations.busy_secs, 3.0 * 86_400.0);
    let whole = tenant(&report);
    assert_eq!(whole.counts.answered, 3);
    assert_eq!(report.records_outside_window, 1);
    // The same records by day add up to the one bucket.
    let by_day = aggregate(spec(Granularity::Day, from, to), &records, &spans).unwrap();
    let answered_by_day: u64 = rows_of(&by_day, &DimensionKey::Tenant)
        .iter()
        .map(|r| r.counts.answered)
        .sum();
    assert_eq!(answered_by_day, whole.counts.answered);
}
