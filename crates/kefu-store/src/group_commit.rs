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

impl Queued {
    /// The group could not start: the write never ran.
    fn refuse(self, error: &StoreError) {
        match self {
            Queued::Write { write, .. } => write.refuse(error),
            // The caller may have gone (a dropped request); nobody is left to tell.
            Queued::Ticket { reply, .. } => {
                let _ = reply.send(Err(group_failed(error)));
            }
        }
    }
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
    let mut tx = match store.write().await {
        Ok(tx) => tx,
        Err(error) => {
            for queued in group {
                queued.refuse(&error);
            }
            return;
        }
    };
    // A lone write needs no savepoint: if it fails, the whole transaction is dropped.
    let alone = group.len() == 1;
    let mut ran: Vec<(Uuid, Box<dyn Settle>)> = Vec::with_capacity(group.len());
    let mut broken: Option<StoreError> = None;
    let mut writes = Vec::new();
    let mut creations: Vec<(Uuid, Vec<(Creation, Reply)>)> = Vec::new();
    for queued in group {
        match queued {
            Queued::Write { tenant_id, write } => writes.push((tenant_id, write)),
            Queued::Ticket {
                tenant_id,
                creation,
                reply,
            } => match creations
                .iter_mut()
                .find(|(tenant, _)| *tenant == tenant_id)
            {
                Some((_, batch)) => batch.push((*creation, reply)),
                None => creations.push((tenant_id, vec![(*creation, reply)])),
            },
        }
    }
    for (tenant_id, batch) in creations {
        if let Some(error) = &broken {
            for (_, reply) in batch {
                let _ = reply.send(Err(group_failed(error)));
            }
            continue;
        }
        match create_tickets(&mut tx, tenant_id, batch, !alone).await {
            Ok(settled) => ran.extend(settled.into_iter().map(|settle| (tenant_id, settle))),
            Err(error) => broken = Some(error),
        }
    }
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

/// Creates one tenant's tickets of a group as one batch, in a savepoint unless the group is
/// this one creation. Should the batch fail as a whole (the database refusing a row, not a
/// ticket refused by its checks), each creation is tried again alone, so one bad row spoils
/// no other. `Err` means the transaction itself broke; every creation has then been told.
async fn create_tickets(
    tx: &mut WriteTx,
    tenant_id: Uuid,
    batch: Vec<(Creation, Reply)>,
    savepoints: bool,
) -> Result<Vec<Box<dyn Settle>>, StoreError> {
    let (creations, replies): (Vec<Creation>, Vec<Reply>) = batch.into_iter().unzip();
    let answers = if savepoints {
        match answered_in_savepoints(tx, tenant_id, &creations).await {
            Ok(answers) => answers,
            Err(error) => {
                for reply in replies {
                    let _ = reply.send(Err(group_failed(&error)));
                }
                return Err(error);
            }
        }
    } else {
        // The whole group: a failure drops the transaction, and with it the ticket's rows.
        insert_tickets(&mut tx.conn(), tenant_id, &creations)
            .await
            .unwrap_or_else(|error| vec![Err(error)])
    };
    Ok(replies
        .into_iter()
        .zip(answers)
        .map(|(reply, result)| Box::new(Ran { result, reply }) as Box<dyn Settle>)
        .collect())
}

/// The answers to `creations`, written as one batch or, if that fails, one by one.
async fn answered_in_savepoints(
    tx: &mut WriteTx,
    tenant_id: Uuid,
    creations: &[Creation],
) -> Result<Vec<Result<Ticket, StoreError>>, StoreError> {
    match in_savepoint(tx, tenant_id, creations).await? {
        Ok(answers) => Ok(answers),
        Err(error) if creations.len() == 1 => Ok(vec![Err(error)]),
        Err(_) => {
            let mut answers = Vec::with_capacity(creations.len());
            for creation in creations {
                match in_savepoint(tx, tenant_id, std::slice::from_ref(creation)).await? {
                    Ok(one) => answers.extend(one),
                    Err(error) => answers.push(Err(error)),
                }
            }
            Ok(answers)
        }
    }
}

/// Runs a batch in a savepoint, undoing it if it fails. The outer error is the savepoint's
/// own (the transaction broke); the inner one the batch's, already rolled back.
async fn in_savepoint(
    tx: &mut WriteTx,
    tenant_id: Uuid,
    creations: &[Creation],
) -> Result<Result<Vec<Result<Ticket, StoreError>>, StoreError>, StoreError> {
    sql_execute!(tx.conn(), SAVEPOINT)?;
    let outcome = insert_tickets(&mut tx.conn(), tenant_id, creations).await;
    if outcome.is_err() {
        sql_execute!(tx.conn(), ROLLBACK_TO)?;
    }
    sql_execute!(tx.conn(), RELEASE)?;
    Ok(outcome)
}
