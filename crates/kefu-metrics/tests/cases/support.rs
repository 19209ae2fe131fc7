//! Builders for test records: a contact is described by its queue wait and outcome in a line.

use chrono::{DateTime, TimeDelta, Utc};
use kefu_metrics::{
    AggregationSpec, DimensionKey, Granularity, InteractionRecord, MetricRow, MetricsReport, Offer,
    OfferOutcome,
};

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

pub fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

/// A contact that started and was queued at `enqueued_at`, still waiting.
pub fn waiting(id: &str, queue: &str, enqueued_at: DateTime<Utc>) -> InteractionRecord {
    InteractionRecord {
        id: id.to_owned(),
        customer_id: format!("cust-{id}"),
        channel: "web_chat".into(),
        service_group: None,
        started_at: enqueued_at,
        offer: Some(Offer {
            queue: queue.to_owned(),
            enqueued_at,
            outcome: OfferOutcome::Waiting,
        }),
        first_response_at: None,
        handle: None,
        resolved_at: None,
        resolution_due_at: None,
        transfers: 0,
        rating: None,
        bot: None,
    }
}

/// Answered by `agent` after `wait` in queue.
pub fn answered(
    id: &str,
    queue: &str,
    enqueued_at: DateTime<Utc>,
    wait: TimeDelta,
    agent: &str,
) -> InteractionRecord {
    let mut record = waiting(id, queue, enqueued_at);
    if let Some(offer) = record.offer.as_mut() {
        offer.outcome = OfferOutcome::Answered {
            agent: agent.to_owned(),
            answered_at: enqueued_at + wait,
        };
    }
    record
}

/// Abandoned after `wait` in queue.
pub fn abandoned(
    id: &str,
    queue: &str,
    enqueued_at: DateTime<Utc>,
    wait: TimeDelta,
) -> InteractionRecord {
    let mut record = waiting(id, queue, enqueued_at);
    if let Some(offer) = record.offer.as_mut() {
        offer.outcome = OfferOutcome::Abandoned {
            abandoned_at: enqueued_at + wait,
        };
    }
    record
}

/// A UTC spec over `[from, to)`.
pub fn spec(granularity: Granularity, from: &str, to: &str) -> AggregationSpec {
    AggregationSpec::new(chrono_tz::UTC, granularity, at(from), at(to))
}

/// The rows of one dimension value, in bucket order.
pub fn rows_of<'a>(report: &'a MetricsReport, key: &DimensionKey) -> Vec<&'a MetricRow> {
    report.rows.iter().filter(|r| &r.dimension == key).collect()
}

/// The single tenant row; fails the test if there is not exactly one.
pub fn tenant(report: &MetricsReport) -> &MetricRow {
    let rows = rows_of(report, &DimensionKey::Tenant);
    assert_eq!(rows.len(), 1, "expected one tenant bucket");
    rows[0]
}
