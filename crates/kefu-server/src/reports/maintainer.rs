//! The rollup maintainer: one task per tenant that follows the event log from its saved cursor,
//! folds new events into rollup deltas and saves deltas and cursor in one transaction.
//!
//! Crash safety comes from the store: rows and cursor commit together, and a save whose
//! expected cursor has moved (another maintainer, another process) is refused, after which
//! this one reloads from the database. Reports ask [`Rollups::sync`] for a cursor at least as
//! new as the log they want, so an answer is current to the last commit.

use super::rollup::{ReportState, RollupFold, RowKey, SavedState, dimension_name};
use super::{BATCH, ReportError};
use kefu_metrics::PartialTally;
use kefu_metrics::Tz;
use kefu_store::{RollupCursor, RollupRow, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Notify, watch};
use uuid::Uuid;

/// Events folded between saves while catching up: large enough that the state save and the
/// rows touched again and again (days, agents) are a small part of the work, small enough to bound memory and the work lost to a crash.
pub const CHECKPOINT_EVENTS: usize = 200_000;
/// How long a failing maintainer waits before trying again.
const RETRY: Duration = Duration::from_secs(2);

/// One tenant's maintainer in memory: the fold and where the database stands.
pub struct Maintainer {
    tenant_id: Uuid,
    fold: RollupFold,
    /// The cursor saved in the database (the fold may be ahead of it).
    saved_seq: i64,
    /// The last event folded.
    seq: i64,
}

impl Maintainer {
    /// Loads the saved cursor and state, or starts from the beginning of the log.
    pub async fn load(store: &Store, tenant_id: Uuid) -> Result<Self, ReportError> {
        let (fold, seq) = match store.rollup_cursor(tenant_id).await? {
            Some(cursor) => {
                let state: SavedState = serde_json::from_slice(&cursor.state)
                    .map_err(|err| ReportError::Rollup(format!("saved state unreadable: {err}")))?;
                (RollupFold::resume(state, cursor.contacts), cursor.seq)
            }
            None => {
                // The day level follows the tenant's zone as it is now (see docs/metrics.md).
                let tenant = store.tenant(tenant_id).await?;
                let zone = tenant.settings.0.timezone.parse::<Tz>().unwrap_or(Tz::UTC);
                (RollupFold::new(zone), 0)
            }
        };
        Ok(Maintainer {
            tenant_id,
            fold,
            saved_seq: seq,
            seq,
        })
    }

    pub fn seq(&self) -> i64 {
        self.seq
    }

    /// Folds every event after the cursor, saving every [`CHECKPOINT_EVENTS`] events and at
    /// the end. Returns the saved cursor. On an error the in-memory fold may be ahead of the
    /// database: drop this maintainer and load again.
    pub async fn catch_up(&mut self, store: &Store) -> Result<i64, ReportError> {
        let mut since_save = 0usize;
        loop {
            let events = store.events_since(self.tenant_id, self.seq, BATCH).await?;
            let full = events.len() == BATCH as usize;
            for event in &events {
                self.fold.push(event);
                self.seq = event.seq;
            }
            since_save += events.len();
            if since_save >= CHECKPOINT_EVENTS || !full {
                self.save(store).await?;
                since_save = 0;
            }
            if !full {
                return Ok(self.saved_seq);
            }
        }
    }

    /// Writes the pending deltas and the cursor in one transaction.
    async fn save(&mut self, store: &Store) -> Result<(), ReportError> {
        if self.seq == self.saved_seq && self.fold.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.fold.pending);
        let keys: Vec<(i16, i64, &str, &str)> = pending
            .keys()
            .map(|(level, slot, key)| {
                let (dimension, name) = dimension_name(key);
                (*level, *slot, dimension, name)
            })
            .collect();
        let mut stored: HashMap<(i16, i64, String, String), PartialTally> = HashMap::new();
        for row in store.rollup_rows(self.tenant_id, &keys).await? {
            let sums = PartialTally::decode(&row.sums)?;
            stored.insert(
                (row.level, row.slot_ms, row.dimension, row.dimension_key),
                sums,
            );
        }
        let rows: Vec<RollupRow> = pending
            .iter()
            .map(|((level, slot, key), delta): (&RowKey, &PartialTally)| {
                let (dimension, name) = dimension_name(key);
                let mut sums = stored
                    .remove(&(*level, *slot, dimension.to_owned(), name.to_owned()))
                    .unwrap_or_default();
                sums.merge(delta, 1);
                RollupRow {
                    level: *level,
                    slot_ms: *slot,
                    dimension: dimension.to_owned(),
                    dimension_key: name.to_owned(),
                    // Empty sums delete the row: a report would not have shown it.
                    sums: if sums.is_zero() {
                        Vec::new()
                    } else {
                        sums.encode()
                    },
                }
            })
            .collect();
        let report_state = serde_json::to_vec(&self.fold.report_state())
            .map_err(|err| ReportError::Rollup(err.to_string()))?;
        let state = serde_json::to_vec(self.fold.saved_state())
            .map_err(|err| ReportError::Rollup(err.to_string()))?;
        let cursor = RollupCursor {
            seq: self.seq,
            contacts: self.fold.contacts,
            report_state,
            state,
        };
        store
            .save_rollups(self.tenant_id, self.saved_seq, &cursor, &rows)
            .await?;
        self.saved_seq = self.seq;
        Ok(())
    }
}

/// What reports need besides the rows, as saved with the cursor (empty before the first save).
pub fn decode_report_state(bytes: &[u8]) -> Result<ReportState, ReportError> {
    if bytes.is_empty() {
        return Ok(ReportState::default());
    }
    serde_json::from_slice(bytes).map_err(|err| ReportError::Rollup(err.to_string()))
}

/// A running maintainer as seen by reports.
#[derive(Clone)]
struct Handle {
    saved: watch::Receiver<i64>,
    wake: Arc<Notify>,
}

/// The per-tenant maintainers of one server, started on a tenant's first report.
#[derive(Clone)]
pub struct Rollups {
    store: Store,
    running: Arc<Mutex<HashMap<Uuid, Handle>>>,
}

impl Rollups {
    pub fn new(store: Store) -> Self {
        Rollups {
            store,
            running: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Uuid, Handle>> {
        // A panic while holding this map cannot leave it inconsistent; keep serving.
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn handle(&self, tenant_id: Uuid) -> Handle {
        let mut running = self.lock();
        if let Some(handle) = running.get(&tenant_id) {
            return handle.clone();
        }
        let (saved_tx, saved) = watch::channel(0);
        let wake = Arc::new(Notify::new());
        let handle = Handle {
            saved,
            wake: wake.clone(),
        };
        running.insert(tenant_id, handle.clone());
        tokio::spawn(run(self.store.clone(), tenant_id, saved_tx, wake));
        handle
    }

    /// Waits until the tenant's rollups include event `seq`, starting the maintainer if it is
    /// not running. `false` if that did not happen within `timeout`.
    pub async fn sync(&self, tenant_id: Uuid, seq: i64, timeout: Duration) -> bool {
        let mut handle = self.handle(tenant_id);
        handle.wake.notify_one();
        tokio::time::timeout(timeout, handle.saved.wait_for(|saved| *saved >= seq))
            .await
            .is_ok_and(|waited| waited.is_ok())
    }
}

/// The maintainer task: catch up, then wait for a commit of the tenant (or a report's nudge)
/// and catch up again. Errors are logged and retried from the database's cursor.
async fn run(store: Store, tenant_id: Uuid, saved: watch::Sender<i64>, wake: Arc<Notify>) {
    let mut commits = store.subscribe_commits();
    let mut maintainer: Option<Maintainer> = None;
    loop {
        let current = match maintainer.take() {
            Some(m) => Ok(m),
            None => Maintainer::load(&store, tenant_id).await,
        };
        match current {
            Ok(mut m) => match m.catch_up(&store).await {
                Ok(seq) => {
                    saved.send_replace(seq);
                    maintainer = Some(m);
                }
                Err(err) => {
                    // Another maintainer moved the cursor: reload at once; otherwise back off.
                    if !log_failure(&err) {
                        tokio::time::sleep(RETRY).await;
                    }
                    continue;
                }
            },
            Err(err) => {
                log_failure(&err);
                tokio::time::sleep(RETRY).await;
                continue;
            }
        }
        tokio::select! {
            () = wake.notified() => {}
            signal = wait_for_commit(&mut commits, tenant_id) => if !signal { return; }
        }
    }
}

/// `false` once the store is gone.
async fn wait_for_commit(
    commits: &mut tokio::sync::broadcast::Receiver<Uuid>,
    tenant: Uuid,
) -> bool {
    loop {
        match commits.recv().await {
            Ok(id) if id != tenant => continue,
            // A lag only means we missed signals; the log itself says what is new.
            Ok(_) | Err(RecvError::Lagged(_)) => return true,
            Err(RecvError::Closed) => return false,
        }
    }
}

/// Logs a failed round; `true` when it was a moved cursor (reload at once).
fn log_failure(err: &ReportError) -> bool {
    match err {
        ReportError::Store(StoreError::Conflict { .. }) => {
            tracing::info!("report rollups moved by another maintainer; reloading");
            true
        }
        other => {
            tracing::warn!(error = %other, "report rollup maintainer failed; retrying");
            false
        }
    }
}
