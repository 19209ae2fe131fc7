//! Group commit: writes that arrive together share one transaction, so a burst of ticket
//! creations or chat messages pays for one commit (one WAL flush, one fsync on PostgreSQL) and
//! one wait on the per-tenant counters instead of one each. Each write runs in its own
//! savepoint, so a refused write leaves the others in its group untouched, and every caller
//! hears back only after the group has committed: nothing is acknowledged before it is durable.
//!
//! One runner task drains a queue: it takes whatever is waiting (up to `MAX_GROUP`), commits
//! it, then looks again. A lone write therefore waits for nothing; under load, groups grow by
//! themselves while the previous one commits.
//!
//! Ticket creations are queued as data rather than as closures: a group's creations of one
//! tenant are written together by `ticket_create`, a few statements for the lot.

use crate::sql::{Conn, WriteTx};
use crate::ticket_create::{Creation, insert_tickets};
use crate::{Store, StoreError, Ticket};
use std::future::Future;
use std::pin::Pin;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Writes one transaction takes at most; the rest wait for the next group.
const MAX_GROUP: usize = 128;
/// Writes queued before callers wait to enqueue (back-pressure, not refusal).
const QUEUE_DEPTH: usize = 4096;
const SAVEPOINT: &str = "SAVEPOINT grouped_write";
const RELEASE: &str = "RELEASE SAVEPOINT grouped_write";
const ROLLBACK_TO: &str = "ROLLBACK TO SAVEPOINT grouped_write";

pub(crate) type WriteFuture<'c, T> =
    Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'c>>;

/// The queue's end held by the store; replaced when its runner has gone (its runtime ended).
pub(crate) type GroupQueue = std::sync::Arc<std::sync::Mutex<Option<mpsc::Sender<Queued>>>>;

pub(crate) enum Queued {
    Write {
        tenant_id: Uuid,
        write: Box<dyn GroupedWrite>,
    },
    Ticket {
        tenant_id: Uuid,
        creation: Box<Creation>,
        reply: oneshot::Sender<Result<Ticket, StoreError>>,
    },
}

/// A write waiting for its group; type-erased so writes of every kind share one queue.
pub(crate) trait GroupedWrite: Send {
    fn run<'c>(
        self: Box<Self>,
        conn: Conn<'c>,
    ) -> Pin<Box<dyn Future<Output = Box<dyn Settle>> + Send + 'c>>;
    /// The group could not start (no transaction): the write never ran.
    fn refuse(self: Box<Self>, error: &StoreError);
}

/// A write that has run and waits to hear whether its group committed.
pub(crate) trait Settle: Send {
    fn succeeded(&self) -> bool;
    fn settle(self: Box<Self>, commit: Result<(), &StoreError>);
}

struct Pending<T, F> {
    op: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

struct Ran<T> {
    result: Result<T, StoreError>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> GroupedWrite for Pending<T, F>
where
    T: Send + 'static,
    F: for<'c> FnOnce(Conn<'c>) -> WriteFuture<'c, T> + Send + 'static,
{
    fn run<'c>(
        self: Box<Self>,
        conn: Conn<'c>,
    ) -> Pin<Box<dyn Future<Output = Box<dyn Settle>> + Send + 'c>> {
        let Pending { op, reply } = *self;
        Box::pin(async move {
            let result = op(conn).await;
            Box::new(Ran { result, reply }) as Box<dyn Settle>
        })
    }

    fn refuse(self: Box<Self>, error: &StoreError) {
        // The caller may have gone (a dropped request); nobody is left to tell.
        let _ = self.reply.send(Err(group_failed(error)));
    }
}

impl<T: Send> Settle for Ran<T> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn settle(self: Box<Self>, commit: Result<(), &StoreError>) {
        let answer = match (commit, self.result) {
            (Ok(()), result) => result,
            // A write that failed was rolled back either way; its own error says more.
            (Err(_), Err(own)) => Err(own),
            (Err(error), Ok(_)) => Err(group_failed(error)),
        };
        let _ = self.reply.send(answer);
    }
}

/// What a caller whose write was lost with its group hears: the database's trouble, as
/// `Unavailable` (the write did not happen and may be tried again).
fn group_failed(error: &StoreError) -> StoreError {
    match error {
        StoreError::Unavailable(message) => StoreError::Unavailable(message.clone()),
        other => StoreError::Unavailable(format!("the write's transaction failed: {other}")),
    }
}

impl Store {
    /// Runs `op` in the next group's transaction and answers once that has committed. `op`
    /// must only write through the connection it is given: its effects are undone with its
    /// savepoint if it fails, and with the whole group if the commit fails.
    pub(crate) async fn grouped<T, F>(&self, tenant_id: Uuid, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(Conn<'c>) -> WriteFuture<'c, T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let queued = Queued::Write {
            tenant_id,
            write: Box::new(Pending { op, reply }),
        };
        self.queue_and_wait(queued, answer).await
    }

    /// Creates a ticket in the next group, batched with the tenant's other creations there.
    pub(crate) async fn grouped_creation(
        &self,
        tenant_id: Uuid,
        creation: Creation,
    ) -> Result<Ticket, StoreError> {
        let (reply, answer) = oneshot::channel();
        let queued = Queued::Ticket {
            tenant_id,
            creation: Box::new(creation),
            reply,
        };
        self.queue_and_wait(queued, answer).await
    }

    async fn queue_and_wait<T>(
        &self,
        queued: Queued,
        answer: oneshot::Receiver<Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let stopped = || StoreError::Unavailable("the group commit runner stopped".into());
        self.group_queue()
            .send(queued)
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// The queue, starting its runner on first use (and again if the runtime that ran the
    /// previous one has ended, as between tests that share nothing else).
    fn group_queue(&self) -> mpsc::Sender<Queued> {
        // Never held across an await; a poisoned lock still holds a usable queue end.
        let mut slot = self
            .group_queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(queue) = slot.as_ref().filter(|queue| !queue.is_closed()) {
            return queue.clone();
        }
        let (queue, waiting) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(run_groups(self.without_group_queue(), waiting));
        *slot = Some(queue.clone());
        queue
    }
}

async fn run_groups(store: Store, mut waiting: mpsc::Receiver<Queued>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while waiting.recv_many(&mut group, MAX_GROUP).await > 0 {
        commit_group(&store, std::mem::take(&mut group)).await;
    }
}

async fn commit_group(store: &Store, group: Vec<Queued>) {
    // A lone write needs no savepoint: if it fails, the whole transaction is dropped.
    let alone = group.len() == 1;
    let mut ran: Vec<(Uuid, Box<dyn Settle>)> = Vec::with_capacity(group.len());
    let mut broken: Option<StoreError> = None;
    let mut writes = Vec::new();
    let mut batches: Vec<Batch> = Vec::new();
    for queued in group {
        match queued {
            Queued::Write { tenant_id, write } => writes.push((tenant_id, write)),
            Queued::Ticket {
                tenant_id,
                creation,
                reply,
            } => {
                let batch = match batches.iter_mut().position(|b| b.tenant_id == tenant_id) {
                    Some(at) => &mut batches[at],
                    None => {
                        batches.push(Batch {
                            tenant_id,
                            creations: Vec::new(),
                            replies: Vec::new(),
                        });
                        let last = batches.len() - 1;
                        &mut batches[last]
                    }
                };
                batch.creations.push(*creation);
                batch.replies.push(reply);
            }
        }
    }
    let tx = match store.write().await {
        Ok(tx) => create_tickets(store, tx, batches, &mut ran).await,
        Err(error) => {
            for batch in batches {
                batch.refuse(&error);
            }
            Err(error)
        }
    };
    let mut tx = match tx {
        Ok(tx) => tx,
        Err(error) => {
            for (_, write) in writes {
                write.refuse(&error);
            }
            for (_, settle) in ran {
                settle.settle(Err(&error));
            }
            return;
        }
    };
    for (tenant_id, write) in writes {
        if let Some(error) = &broken {
            write.refuse(error);
            continue;
        }
        if !alone && let Err(error) = sql_execute!(tx.conn(), SAVEPOINT) {
            let error = StoreError::from(error);
            write.refuse(&error);
            broken = Some(error);
            continue;
        }
        let settle = write.run(tx.conn()).await;
        if !alone {
            let undo = if settle.succeeded() {
                RELEASE
            } else {
                ROLLBACK_TO
            };
            let mut closed = sql_execute!(tx.conn(), undo).map(|_| ());
            if closed.is_ok() && !settle.succeeded() {
                closed = sql_execute!(tx.conn(), RELEASE).map(|_| ());
            }
            if let Err(error) = closed {
                broken = Some(error.into());
            }
        }
        ran.push((tenant_id, settle));
    }
    let outcome = match broken {
        Some(error) => Err(error),
        None if alone && !ran.iter().all(|(_, settle)| settle.succeeded()) => {
            // Dropping the transaction rolls the lone failed write back; its own error stands.
            drop(tx);
            for (_, settle) in ran {
                settle.settle(Ok(()));
            }
            return;
        }
        None => tx.commit().await,
    };
    match outcome {
        Ok(()) => {
            let mut told: Vec<Uuid> = Vec::new();
            for (tenant_id, settle) in ran {
                if settle.succeeded() && !told.contains(&tenant_id) {
                    told.push(tenant_id);
                    // No receiver (no one connected) is not an error.
                    let _ = store.commits.send(tenant_id);
                }
                settle.settle(Ok(()));
            }
        }
        Err(error) => {
            for (_, settle) in ran {
                settle.settle(Err(&error));
            }
        }
    }
}

type Reply = oneshot::Sender<Result<Ticket, StoreError>>;

/// One tenant's ticket creations in a group, written together.
struct Batch {
    tenant_id: Uuid,
    creations: Vec<Creation>,
    replies: Vec<Reply>,
}

impl Batch {
    fn refuse(self, error: &StoreError) {
        for reply in self.replies {
            // The caller may have gone (a dropped request); nobody is left to tell.
            let _ = reply.send(Err(group_failed(error)));
        }
    }
}

/// Writes the group's ticket creations, one batch per tenant, first in the transaction and
/// without savepoints: FTS5 flushes its pending index at every savepoint, which made them the
/// largest cost of a burst, and a ticket refused by its checks writes nothing to undo. Should
/// the database refuse a batch, the transaction (holding only creations so far) is rolled
/// back and each creation tried again alone in a savepoint, so one bad row spoils no other.
/// Answers the transaction to go on with; `Err` means it broke, every creation told so.
async fn create_tickets(
    store: &Store,
    mut tx: WriteTx,
    batches: Vec<Batch>,
    ran: &mut Vec<(Uuid, Box<dyn Settle>)>,
) -> Result<WriteTx, StoreError> {
    let mut answers = Vec::with_capacity(batches.len());
    for batch in &batches {
        match insert_tickets(&mut tx.conn(), batch.tenant_id, &batch.creations).await {
            Ok(answered) => answers.push(answered),
            Err(_) => break,
        }
    }
    if answers.len() < batches.len() {
        drop(tx);
        answers.clear();
        let retried = match store.write().await {
            Ok(fresh) => one_by_one(fresh, &batches, &mut answers).await,
            Err(error) => Err(error),
        };
        match retried {
            Ok(fresh) => tx = fresh,
            Err(error) => {
                for batch in batches {
                    batch.refuse(&error);
                }
                return Err(error);
            }
        }
    }
    for (batch, answered) in batches.into_iter().zip(answers) {
        let tenant_id = batch.tenant_id;
        ran.extend(
            batch
                .replies
                .into_iter()
                .zip(answered)
                .map(|(reply, result)| {
                    (
                        tenant_id,
                        Box::new(Ran { result, reply }) as Box<dyn Settle>,
                    )
                }),
        );
    }
    Ok(tx)
}

/// Every creation of `batches` alone, each in a savepoint.
async fn one_by_one(
    mut tx: WriteTx,
    batches: &[Batch],
    answers: &mut Vec<Vec<Result<Ticket, StoreError>>>,
) -> Result<WriteTx, StoreError> {
    for batch in batches {
        let mut answered = Vec::with_capacity(batch.creations.len());
        for creation in &batch.creations {
            sql_execute!(tx.conn(), SAVEPOINT)?;
            match insert_tickets(
                &mut tx.conn(),
                batch.tenant_id,
                std::slice::from_ref(creation),
            )
            .await
            {
                Ok(one) => answered.extend(one),
                Err(error) => {
                    sql_execute!(tx.conn(), ROLLBACK_TO)?;
                    answered.push(Err(error));
                }
            }
            sql_execute!(tx.conn(), RELEASE)?;
        }
        answers.push(answered);
    }
    Ok(tx)
}
