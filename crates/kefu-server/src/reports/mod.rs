//! Reports computed from the event log: the log is read in batches and folded into the
//! metrics engine's records (`fold`), aggregated by kefu-metrics, and exported as CSV (`csv`).

pub mod csv;
pub mod fold;

use chrono::{DateTime, Utc};
use fold::Fold;
use kefu_metrics::{AggregationSpec, Aggregator, MetricsError, MetricsReport};
use kefu_store::{Event, Store, StoreError};
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
