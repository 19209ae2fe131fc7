//! First contact resolution at the edges of its N-day window and of the observed data.

use chrono::{DateTime, Duration, Utc};
use kefu_metrics::{Granularity, InteractionRecord, MetricCounts, aggregate};

use super::support::{answered, at, secs, spec, tenant};

const RESOLVED: &str = "2026-03-02T09:30:00Z";

/// The resolved contact under test: customer "alice", offered 09:00, resolved 09:30.
fn first() -> InteractionRecord {
    let mut record = answered("first", "q", at("2026-03-02T09:00:00Z"), secs(10), "ann");
    record.customer_id = "alice".into();
    record.resolved_at = Some(at(RESOLVED));
    record
}

/// A later contact by `customer` starting at `started_at` (outside the report window).
fn contact(customer: &str, started_at: DateTime<Utc>) -> InteractionRecord {
    let mut record = answered("later", "q", started_at, secs(1), "ann");
    record.customer_id = customer.into();
    record
}

/// FCR counts of the first contact, with the log observed until `observed_until`.
fn fcr_counts(
    others: &[InteractionRecord],
    window_days: u32,
    observed_until: &str,
) -> MetricCounts {
    let mut spec = spec(
        Granularity::Day,
        "2026-03-02T00:00:00Z",
        "2026-03-03T00:00:00Z",
    );
    spec.fcr_window_days = window_days;
    spec.observed_until = Some(at(observed_until));
    let records: Vec<InteractionRecord> = std::iter::once(first())
        .chain(others.iter().cloned())
        .collect();
    tenant(&aggregate(spec, &records, []).unwrap()).counts
}

fn verdict(c: &MetricCounts) -> (u64, u64, u64) {
    (
        c.fcr_resolved_first_contact,
        c.fcr_repeated,
        c.fcr_undetermined,
    )
}

#[test]
fn repeat_exactly_n_days_after_resolution_counts_as_repeat() {
    let edge = at(RESOLVED) + Duration::days(7);
    let c = fcr_counts(&[contact("alice", edge)], 7, "2026-04-01T00:00:00Z");
    assert_eq!(verdict(&c), (0, 1, 0));
    assert_eq!(c.resolved, 1);
}

#[test]
fn repeat_one_millisecond_after_the_window_does_not() {
    let late = at(RESOLVED) + Duration::days(7) + Duration::milliseconds(1);
    let c = fcr_counts(&[contact("alice", late)], 7, "2026-04-01T00:00:00Z");
    assert_eq!(verdict(&c), (1, 0, 0));
}

#[test]
fn a_contact_while_still_open_is_a_repeat() {
    let c = fcr_counts(
        &[contact("alice", at("2026-03-02T09:20:00Z"))],
        7,
        "2026-04-01T00:00:00Z",
    );
    assert_eq!(verdict(&c), (0, 1, 0));
}

#[test]
fn other_customers_and_simultaneous_contacts_are_not_repeats() {
    let c = fcr_counts(
        &[
            contact("bob", at("2026-03-03T09:00:00Z")),
            // Same start instant as the first contact: not "after" it.
            contact("alice", at("2026-03-02T09:00:00Z")),
        ],
        7,
        "2026-04-01T00:00:00Z",
    );
    assert_eq!(verdict(&c), (1, 0, 0));
}

#[test]
fn window_running_past_the_data_is_undetermined_unless_already_repeated() {
    let window_end = at(RESOLVED) + Duration::days(7);
    let just_short = (window_end - Duration::milliseconds(1)).to_rfc3339();
    assert_eq!(verdict(&fcr_counts(&[], 7, &just_short)), (0, 0, 1));
    // Observed exactly to the end of the window: no repeat can still come.
    assert_eq!(
        verdict(&fcr_counts(&[], 7, &window_end.to_rfc3339())),
        (1, 0, 0)
    );
    // A repeat already seen settles it, however little was observed.
    let repeat = contact("alice", at("2026-03-03T09:00:00Z"));
    assert_eq!(
        verdict(&fcr_counts(&[repeat], 7, "2026-03-03T10:00:00Z")),
        (0, 1, 0)
    );
}

#[test]
fn n_is_a_parameter() {
    let two_days_later = at(RESOLVED) + Duration::days(2);
    let others = [contact("alice", two_days_later)];
    assert_eq!(
        verdict(&fcr_counts(&others, 1, "2026-04-01T00:00:00Z")),
        (1, 0, 0)
    );
    assert_eq!(
        verdict(&fcr_counts(&others, 2, "2026-04-01T00:00:00Z")),
        (0, 1, 0)
    );
}

#[test]
fn fcr_rate_leaves_undetermined_contacts_out() {
    let mut spec = spec(
        Granularity::Day,
        "2026-03-02T00:00:00Z",
        "2026-03-03T00:00:00Z",
    );
    spec.observed_until = Some(at("2026-03-20T00:00:00Z"));
    let mut late = answered("late", "q", at("2026-03-02T20:00:00Z"), secs(1), "ann");
    late.resolved_at = Some(at("2026-03-19T00:00:00Z"));
    let mut repeated = first();
    repeated.customer_id = "carol".into();
    let records = [
        first(),
        late,
        repeated,
        contact("carol", at("2026-03-04T00:00:00Z")),
    ];
    let row = aggregate(spec, &records, []).unwrap().rows[0].clone();
    assert_eq!(verdict(&row.counts), (1, 1, 1));
    assert_eq!(row.rates.fcr_rate, Some(0.5));
}
