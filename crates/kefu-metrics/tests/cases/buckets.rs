//! Bucket boundaries and time zones through the aggregator: the last millisecond before a
//! boundary, DST days of 23 and 25 hours, repeated local hours, ISO weeks, empty buckets.

use chrono::{Duration, Timelike};
use kefu_metrics::{AggregationSpec, DimensionKey, Granularity, aggregate};

use super::support::{answered, at, rows_of, secs, spec};

#[test]
fn last_millisecond_before_ten_stays_in_the_earlier_bucket() {
    let records = [
        answered("a", "q", at("2026-03-02T09:59:59.999Z"), secs(1), "ann"),
        answered("b", "q", at("2026-03-02T10:00:00Z"), secs(1), "ann"),
    ];
    for granularity in [
        Granularity::Minutes15,
        Granularity::Minutes30,
        Granularity::Minutes60,
    ] {
        let report = aggregate(
            spec(granularity, "2026-03-02T09:00:00Z", "2026-03-02T11:00:00Z"),
            &records,
            [],
        )
        .unwrap();
        let tenant = rows_of(&report, &DimensionKey::Tenant);
        let before = tenant
            .iter()
            .find(|r| r.bucket_end == at("2026-03-02T10:00:00Z"))
            .unwrap();
        let after = tenant
            .iter()
            .find(|r| r.bucket_start == at("2026-03-02T10:00:00Z"))
            .unwrap();
        assert_eq!(before.counts.offered, 1, "{granularity:?}");
        assert_eq!(after.counts.offered, 1, "{granularity:?}");
    }
}

#[test]
fn empty_buckets_have_zero_counts_and_no_rates() {
    let records = [answered(
        "a",
        "q",
        at("2026-03-02T10:10:00Z"),
        secs(3),
        "ann",
    )];
    let report = aggregate(
        spec(
            Granularity::Minutes60,
            "2026-03-02T09:00:00Z",
            "2026-03-02T12:00:00Z",
        ),
        &records,
        [],
    )
    .unwrap();
    let tenant = rows_of(&report, &DimensionKey::Tenant);
    let offered: Vec<u64> = tenant.iter().map(|r| r.counts.offered).collect();
    assert_eq!(offered, [0, 1, 0]);
    for empty in [tenant[0], tenant[2]] {
        let r = empty.rates;
        for rate in [
            r.answer_rate,
            r.abandonment_rate,
            r.service_level,
            r.occupancy,
            r.utilization,
            r.transfer_rate,
            r.fcr_rate,
            r.csat,
            r.nps,
            r.bot_answer_rate,
            r.bot_handoff_rate,
            r.sla_attainment,
        ] {
            assert_eq!(rate, None);
        }
        assert_eq!(empty.durations.asa_secs, None);
        assert_eq!(empty.durations.resolution_p90_secs, None);
    }
    // None serialises as null, so a chart shows a gap, not a zero.
    let json = serde_json::to_value(tenant[0]).unwrap();
    assert!(json["rates"]["service_level"].is_null());
    // Queue rows exist only where the queue had contacts.
    assert_eq!(rows_of(&report, &DimensionKey::Queue("q".into())).len(), 1);
}

fn new_york(granularity: Granularity, from: &str, to: &str) -> AggregationSpec {
    AggregationSpec::new(chrono_tz::America::New_York, granularity, at(from), at(to))
}

#[test]
fn dst_days_are_23_and_25_hours_long() {
    // 2026-03-08 springs forward, 2026-11-01 falls back in New York.
    for (day_start, hours, next) in [
        ("2026-03-08T05:00:00Z", 23, "2026-03-09T04:00:00Z"),
        ("2026-11-01T04:00:00Z", 25, "2026-11-02T05:00:00Z"),
    ] {
        let start = at(day_start);
        let records = [
            answered("first", "q", start, secs(1), "ann"),
            answered(
                "last",
                "q",
                at(next) - Duration::milliseconds(1),
                secs(1),
                "ann",
            ),
            answered("next-day", "q", at(next), secs(1), "ann"),
        ];
        let report = aggregate(
            new_york(Granularity::Day, day_start, "2026-12-01T00:00:00Z"),
            &records,
            [],
        )
        .unwrap();
        let tenant = rows_of(&report, &DimensionKey::Tenant);
        let day = tenant[0];
        assert_eq!(day.bucket_start, start);
        assert_eq!(day.bucket_start.hour(), 0, "local midnight");
        assert_eq!(day.bucket_end - day.bucket_start, Duration::hours(hours));
        assert_eq!(day.counts.offered, 2);
        assert_eq!(tenant[1].counts.offered, 1);
    }
}

#[test]
fn fall_back_hour_appears_twice_with_its_own_offset() {
    // 01:30 EDT (05:30Z) and 01:30 EST (06:30Z) are different instants and buckets.
    let records = [
        answered("edt", "q", at("2026-11-01T05:30:00Z"), secs(1), "ann"),
        answered("est", "q", at("2026-11-01T06:30:00Z"), secs(1), "ann"),
    ];
    let report = aggregate(
        new_york(
            Granularity::Minutes60,
            "2026-11-01T05:00:00Z",
            "2026-11-01T07:00:00Z",
        ),
        &records,
        [],
    )
    .unwrap();
    let tenant = rows_of(&report, &DimensionKey::Tenant);
    let labels: Vec<String> = tenant.iter().map(|r| r.bucket_start.to_rfc3339()).collect();
    assert_eq!(
        labels,
        ["2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00"]
    );
    assert!(tenant.iter().all(|r| r.counts.offered == 1));
}

#[test]
fn spring_forward_skips_the_missing_hour() {
    // 2026-03-08: 01:59:59 EST is followed by 03:00 EDT; there is no 02:00 bucket.
    let report = aggregate(
        new_york(
            Granularity::Minutes60,
            "2026-03-08T06:00:00Z",
            "2026-03-08T08:00:00Z",
        ),
        [],
        [],
    )
    .unwrap();
    let labels: Vec<String> = rows_of(&report, &DimensionKey::Tenant)
        .iter()
        .map(|r| r.bucket_start.to_rfc3339())
        .collect();
    assert_eq!(
        labels,
        ["2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"]
    );
}

#[test]
fn the_tenant_zone_decides_the_day() {
    // 17:00Z on Monday is already Tuesday 01:00 in Shanghai.
    let records = [answered(
        "a",
        "q",
        at("2026-03-02T17:00:00Z"),
        secs(1),
        "ann",
    )];
    let spec = AggregationSpec::new(
        chrono_tz::Asia::Shanghai,
        Granularity::Day,
        at("2026-03-01T16:00:00Z"),
        at("2026-03-03T16:00:00Z"),
    );
    let report = aggregate(spec, &records, []).unwrap();
    let tenant = rows_of(&report, &DimensionKey::Tenant);
    assert_eq!(tenant[0].counts.offered, 0);
    assert_eq!(tenant[1].counts.offered, 1);
    assert_eq!(
        tenant[1].bucket_start.to_rfc3339(),
        "2026-03-03T00:00:00+08:00"
    );
}

#[test]
fn iso_weeks_start_on_monday_and_months_on_the_first() {
    let records = [
        answered("sun", "q", at("2026-03-08T23:59:59Z"), secs(1), "ann"),
        answered("mon", "q", at("2026-03-09T00:00:00Z"), secs(1), "ann"),
    ];
    let week = aggregate(
        spec(
            Granularity::Week,
            "2026-03-02T00:00:00Z",
            "2026-03-16T00:00:00Z",
        ),
        &records,
        [],
    )
    .unwrap();
    let weeks = rows_of(&week, &DimensionKey::Tenant);
    assert_eq!(weeks.len(), 2);
    assert_eq!(weeks[0].bucket_start, at("2026-03-02T00:00:00Z"));
    assert_eq!((weeks[0].counts.offered, weeks[1].counts.offered), (1, 1));
    let month = aggregate(
        spec(
            Granularity::Month,
            "2026-02-01T00:00:00Z",
            "2026-04-01T00:00:00Z",
        ),
        &records,
        [],
    )
    .unwrap();
    let months = rows_of(&month, &DimensionKey::Tenant);
    assert_eq!(months.len(), 2);
    assert_eq!(months[1].bucket_start, at("2026-03-01T00:00:00Z"));
    assert_eq!(months[1].counts.offered, 2);
}

#[test]
fn contacts_outside_the_window_are_counted_aside() {
    let records = [
        answered("in", "q", at("2026-03-02T09:10:00Z"), secs(1), "ann"),
        answered("out", "q", at("2026-03-02T10:00:00Z"), secs(1), "ann"),
    ];
    let report = aggregate(
        spec(
            Granularity::Minutes60,
            "2026-03-02T09:00:00Z",
            "2026-03-02T10:00:00Z",
        ),
        &records,
        [],
    )
    .unwrap();
    assert_eq!(report.records_outside_window, 1);
    assert_eq!(rows_of(&report, &DimensionKey::Tenant).len(), 1);
}
