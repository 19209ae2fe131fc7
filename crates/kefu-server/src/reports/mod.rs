//! Reports: read from the rollups the maintainer keeps (`rollup`, `maintainer`), or computed
//! from the whole event log folded into records (`fold`, the reference); CSV and XLSX export
//! of a report table (`table`, `csv`, `xlsx`); agent scorecards (`scorecard`); scheduled,
//! mailed reports (`schedule`, `mailer`).

pub mod csv;
pub mod fold;
pub mod mailer;
pub mod maintainer;
pub mod rollup;
pub mod schedule;
pub mod scorecard;
pub mod table;
pub mod xlsx;

use chrono::{DateTime, Utc};
use fold::Fold;
use kefu_metrics::{
    AgentState, AgentStateSpan, AggregationSpec, Aggregator, DimensionKey, Granularity,
    MetricsError, MetricsReport, PartialTally, Tz,
};
use kefu_store::{Event, Store, StoreError};
use maintainer::Rollups;
use rollup::SLOT_MS;
use std::time::Duration;
use thiserror::Error;
use uuid::Uuid;

/// Events read per query: the most `events_since` hands out at once.
pub const BATCH: u32 = 1000;
/// Batches read ahead of the fold. Two keep the database and the CPU busy at the same time
/// while bounding memory to a few thousand events.
const READ_AHEAD: usize = 2;

#[derive(Debug, Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error("the report worker stopped: {0}")]
    Worker(String),
    #[error("report rollups: {0}")]
    Rollup(String),
}

/// How long a report waits for the rollups to reach the log's end before it folds the log
/// itself (a tenant's first report after a large import, or a maintainer that fails).
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

/// The report the API serves: from the rollups, brought up to the last committed event, when
/// every bucket of the window is a union of rollup slots; otherwise folded from the log.
/// Both give the same report (tests/api/reports.rs checks it on generated logs).
pub async fn compute_report(
    store: &Store,
    rollups: &Rollups,
    tenant_id: Uuid,
    spec: AggregationSpec,
    now: DateTime<Utc>,
) -> Result<Computed, ReportError> {
    if slots_fit(&spec)? {
        let last_seq = store.last_event_seq(tenant_id).await?;
        if rollups.sync(tenant_id, last_seq, SYNC_TIMEOUT).await {
            return from_rollups(store, tenant_id, spec, now).await;
        }
        tracing::warn!(%tenant_id, "report rollups are behind the log; folding the log");
    }
    compute(store, tenant_id, spec, now).await
}

/// True when the window's edges and every bucket boundary inside it fall on slot boundaries,
/// so each slot lies in exactly one bucket. False for windows not on a quarter hour, and for
/// zones whose offset is not whole quarter hours (historic local mean times); those reports
/// are folded from the log.
pub fn slots_fit(spec: &AggregationSpec) -> Result<bool, ReportError> {
    let (start, end) = (
        spec.window_start.timestamp_millis(),
        spec.window_end.timestamp_millis(),
    );
    if start % SLOT_MS != 0 || end % SLOT_MS != 0 {
        return Ok(false);
    }
    let buckets = Aggregator::new(spec.clone())?.window_buckets()?;
    Ok(buckets
        .iter()
        .flat_map(|(from, to)| [*from, *to])
        .filter(|at| (start..=end).contains(at))
        .all(|at| at % SLOT_MS == 0))
}

/// True when a day, week or month report's window starts and ends at local midnights and
/// every day inside it starts on a slot boundary: then each stored day (of the same zone)
/// lies in exactly one bucket.
pub fn days_fit(spec: &AggregationSpec) -> Result<bool, ReportError> {
    if !matches!(
        spec.granularity,
        Granularity::Day | Granularity::Week | Granularity::Month | Granularity::Whole
    ) {
        return Ok(false);
    }
    let mut days = spec.clone();
    days.granularity = Granularity::Day;
    let buckets = Aggregator::new(days)?.window_buckets()?;
    let (start, end) = (
        spec.window_start.timestamp_millis(),
        spec.window_end.timestamp_millis(),
    );
    Ok(buckets.first().is_some_and(|b| b.0 == start)
        && buckets.last().is_some_and(|b| b.1 == end)
        && buckets.iter().all(|(from, _)| from % SLOT_MS == 0))
}

/// The rollup level a report reads, given the zone of the stored day level.
pub fn level_for(spec: &AggregationSpec, day_zone: Tz) -> Result<i16, ReportError> {
    Ok(if spec.time_zone == day_zone && days_fit(spec)? {
        rollup::DAYS
    } else {
        rollup::SLOTS
    })
}

/// A report from the stored rollups of the window (days when [`level_for`] allows, else
/// slots) and the agents' running presence, all read from one database snapshot. The caller
/// checked [`slots_fit`].
pub async fn from_rollups(
    store: &Store,
    tenant_id: Uuid,
    mut spec: AggregationSpec,
    now: DateTime<Utc>,
) -> Result<Computed, ReportError> {
    spec.observed_until = Some(now);
    let spans_end = spec.window_end.min(now);
    let (from, to) = (
        spec.window_start.timestamp_millis(),
        spec.window_end.timestamp_millis(),
    );
    // The day level's zone is saved with the cursor: read days, and slots if it is another.
    let guess = if days_fit(&spec)? {
        rollup::DAYS
    } else {
        rollup::SLOTS
    };
    let mut snapshot = store.read_rollups(tenant_id, guess, from, to).await?;
    let mut report_state = maintainer::decode_report_state(&snapshot.report_state)?;
    if guess == rollup::DAYS && level_for(&spec, report_state.zone)? != rollup::DAYS {
        snapshot = store
            .read_rollups(tenant_id, rollup::SLOTS, from, to)
            .await?;
        report_state = maintainer::decode_report_state(&snapshot.report_state)?;
    }
    let aggregator = Aggregator::new(spec)?;
    let worker = tokio::task::spawn_blocking(move || -> Result<Computed, ReportError> {
        let mut rows = Vec::with_capacity(snapshot.rows.len());
        for row in &snapshot.rows {
            // A dimension this version does not know is skipped, not an error.
            if let Some(key) = rollup::dimension_key(&row.dimension, &row.dimension_key) {
                rows.push((row.slot_ms, key, rollup::decode(&row.sums)?));
            }
        }
        let report = from_partials(
            aggregator,
            spans_end,
            rows,
            snapshot.contacts,
            &report_state.presence,
        )?;
        Ok(Computed {
            report,
            events: 0,
            late_ratings: 0,
        })
    });
    worker
        .await
        .map_err(|err| ReportError::Worker(err.to_string()))?
}

/// A finished report and what the fold had to leave out.
#[derive(Debug)]
pub struct Computed {
    pub report: MetricsReport,
    /// Events read from the log.
    pub events: u64,
    /// Ratings given after their contact had been handed to the engine (see `fold::RATING_GRACE`).
    pub late_ratings: u64,
}

/// Computes a report over the tenant's whole event log up to `now`. The log is read from its
/// start (contacts must be seen from their first event) in batches of [`BATCH`] by this task,
/// while a blocking worker folds and aggregates them: neither the log nor the records are
/// ever held in memory at once. Events appended after the report started are left out, so a
/// busy log cannot keep a report running.
pub async fn compute(
    store: &Store,
    tenant_id: Uuid,
    mut spec: AggregationSpec,
    now: DateTime<Utc>,
) -> Result<Computed, ReportError> {
    // The log is complete up to now: FCR windows that end before it are settled.
    spec.observed_until = Some(now);
    // Presence still running is counted up to the window's end, or up to now if sooner.
    let spans_end = spec.window_end.min(now);
    let mut aggregator = Aggregator::new(spec)?;
    let last_seq = store.last_event_seq(tenant_id).await?;
    let (batches, mut incoming) = tokio::sync::mpsc::channel::<Vec<Event>>(READ_AHEAD);
    let worker = tokio::task::spawn_blocking(move || -> Result<Computed, MetricsError> {
        let mut fold = Fold::new();
        let mut events = 0u64;
        while let Some(batch) = incoming.blocking_recv() {
            events += batch.len() as u64;
            for event in &batch {
                fold.push(event);
            }
            feed(&mut fold, &mut aggregator)?;
        }
        fold.finish(spans_end);
        feed(&mut fold, &mut aggregator)?;
        Ok(Computed {
            report: aggregator.finish()?,
            events,
            late_ratings: fold.late_ratings,
        })
    });
    let mut after = 0;
    while after < last_seq {
        let mut batch = store.events_since(tenant_id, after, BATCH).await?;
        let Some(last) = batch.last() else {
            break;
        };
        after = last.seq;
        batch.retain(|event| event.seq <= last_seq);
        if batches.send(batch).await.is_err() {
            // The worker stopped on a rejected record; its result says which.
            break;
        }
    }
    drop(batches);
    let computed = worker
        .await
        .map_err(|err| ReportError::Worker(err.to_string()))??;
    Ok(computed)
}

/// Moves what the fold handed out into the aggregator.
fn feed(fold: &mut Fold, aggregator: &mut Aggregator) -> Result<(), MetricsError> {
    for record in fold.output.interactions.drain(..) {
        aggregator.add_interaction(&record)?;
    }
    for span in fold.output.spans.drain(..) {
        aggregator.add_agent_span(&span)?;
    }
    Ok(())
}

/// The report from rollup rows of the window's slots, the tenant's contact count over all
/// slots (the rest are `records_outside_window`) and the agents' running presence, which is
/// counted up to `spans_end` as `Fold::finish` does.
pub fn from_partials(
    mut aggregator: Aggregator,
    spans_end: DateTime<Utc>,
    rows: impl IntoIterator<Item = (i64, DimensionKey, PartialTally)>,
    contacts: i64,
    presence: &[rollup::Presence],
) -> Result<MetricsReport, MetricsError> {
    let mut inside = 0i64;
    for (slot_ms, key, sums) in rows {
        if key == DimensionKey::Tenant && aggregator.in_window(slot_ms) {
            inside += sums.contacts;
        }
        aggregator.add_partial(slot_ms, &key, &sums)?;
    }
    aggregator.add_records_outside_window(u64::try_from(contacts - inside).unwrap_or(0));
    for running in presence {
        if running.state == AgentState::Offline || running.since >= spans_end {
            continue;
        }
        aggregator.add_agent_span(&AgentStateSpan {
            agent: running.agent.to_string(),
            service_group: None,
            state: running.state,
            from: running.since,
            to: spans_end,
        })?;
    }
    aggregator.finish()
}
