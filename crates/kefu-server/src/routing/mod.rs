//! The routing runtime: one dispatcher task per tenant runs the ACD engine (kefu-routing)
//! against the database. This module owns the registry of those tasks and the calls the HTTP
//! layer makes into them (accept, reject, transfer, queue standing, the live view).

mod dispatcher;
mod model;

use crate::error::{ApiError, ApiResult};
use axum::http::StatusCode;
use dispatcher::{Command, Dispatcher};
use kefu_store::{Actor, Conversation, Store};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, oneshot, watch};
use utoipa::ToSchema;
use uuid::Uuid;

/// Commands waiting for one tenant's dispatcher; senders wait when it is full.
const COMMAND_BUFFER: usize = 256;
/// How long a dispatcher that failed to build (database down) waits before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(2);

/// The router settings the server is started with.
#[derive(Debug, Clone)]
pub struct RoutingSettings {
    /// How long an offer waits for accept before it goes to the next agent.
    pub offer_timeout: Duration,
    /// Offers missed in a row after which the agent is set away ("missed"); 0 = never.
    pub max_missed_offers: u32,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        RoutingSettings {
            offer_timeout: Duration::from_secs(20),
            max_missed_offers: 3,
        }
    }
}

/// Where a transfer sends a conversation.
#[derive(Debug, Clone)]
pub enum TransferTo {
    Agent(Uuid),
    /// A topic of the conversation's inbox; `None` is the inbox's own queue.
    Topic(Option<String>),
}

/// Where a waiting conversation stands in its queue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueStanding {
    /// 1 = next to be served.
    pub position: u32,
    /// Conversations waiting in the same queue.
    pub waiting: u32,
    /// From recent handle times and the agents signed in; absent while nobody serves the queue.
    pub estimated_wait_secs: Option<u64>,
}

/// The supervisor's live picture of queues and agents.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveView {
    pub queues: Vec<LiveQueue>,
    pub agents: Vec<LiveAgent>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveQueue {
    pub inbox_id: Uuid,
    /// The topic's queue, or the inbox's own when absent.
    pub topic: Option<String>,
    pub waiting: u32,
    pub longest_wait_secs: Option<u64>,
    /// What a customer joining now would wait.
    pub estimated_wait_secs: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveAgent {
    pub agent_id: Uuid,
    /// `available`, `away` or `offline`, as the router sees it.
    pub presence: String,
    pub reason: Option<String>,
    pub chats: u16,
    pub chat_capacity: u16,
    /// Would take a chat offer right now (available, below capacity, not in wrap-up).
    pub takes_offers: bool,
    /// When the agent's presence last changed (time in state = now − this).
    pub presence_since: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Clone)]
struct TenantHandle {
    commands: mpsc::Sender<Command>,
    poke: Arc<Notify>,
}

/// The per-tenant dispatchers, created at start for every tenant and later for new ones.
#[derive(Clone)]
pub struct Routing {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    settings: RoutingSettings,
    tenants: Mutex<HashMap<Uuid, TenantHandle>>,
    closing: watch::Receiver<bool>,
}

impl Routing {
    pub(crate) fn new(
        store: Store,
        settings: RoutingSettings,
        closing: watch::Receiver<bool>,
    ) -> Self {
        Routing {
            inner: Arc::new(Inner {
                store,
                settings,
                tenants: Mutex::new(HashMap::new()),
                closing,
            }),
        }
    }

    /// Starts a dispatcher for every tenant (agents start offline: the server just started)
    /// and follows commits to wake them, creating dispatchers for tenants made later.
    pub(crate) async fn start(&self) {
        let mut commits = self.inner.store.subscribe_commits();
        match self.inner.store.tenant_ids().await {
            Ok(tenants) => {
                for tenant in tenants {
                    self.handle(tenant, true);
                }
            }
            Err(err) => tracing::error!(%err, "routing could not list tenants"),
        }
        let routing = self.clone();
        let mut closing = self.inner.closing.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    commit = commits.recv() => match commit {
                        Ok(tenant) => routing.handle(tenant, false).poke.notify_one(),
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            for handle in routing.handles() {
                                handle.poke.notify_one();
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    },
                    changed = closing.changed() => if changed.is_err() || *closing.borrow() { return },
                }
            }
        });
    }

    fn handles(&self) -> Vec<TenantHandle> {
        match self.inner.tenants.lock() {
            Ok(tenants) => tenants.values().cloned().collect(),
            Err(poisoned) => poisoned.into_inner().values().cloned().collect(),
        }
    }

    /// The tenant's dispatcher, started now if it has none.
    fn handle(&self, tenant_id: Uuid, boot: bool) -> TenantHandle {
        let mut tenants = match self.inner.tenants.lock() {
            Ok(tenants) => tenants,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(handle) = tenants.get(&tenant_id) {
            return handle.clone();
        }
        let (commands, receiver) = mpsc::channel(COMMAND_BUFFER);
        let handle = TenantHandle {
            commands,
            poke: Arc::new(Notify::new()),
        };
        tenants.insert(tenant_id, handle.clone());
        let store = self.inner.store.clone();
        let settings = self.inner.settings.clone();
        let closing = self.inner.closing.clone();
        let poke = handle.poke.clone();
        tokio::spawn(async move {
            let dispatcher = loop {
                match Dispatcher::start(tenant_id, store.clone(), &settings, boot).await {
                    Ok(dispatcher) => break dispatcher,
                    Err(err) => {
                        tracing::error!(%err, tenant = %tenant_id, "routing could not start; retrying");
                        if *closing.borrow() {
                            return;
                        }
                        tokio::time::sleep(RETRY_AFTER).await;
                    }
                }
            };
            dispatcher.run(receiver, poke, closing).await;
        });
        handle
    }

    async fn ask<T>(
        &self,
        tenant_id: Uuid,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> ApiResult<T> {
        let (reply, answer) = oneshot::channel();
        let handle = self.handle(tenant_id, false);
        handle
            .commands
            .send(command(reply))
            .await
            .map_err(|_| unavailable())?;
        answer.await.map_err(|_| unavailable())
    }

    /// The agent takes the conversation offered to them.
    pub async fn accept(
        &self,
        tenant_id: Uuid,
        conversation: Uuid,
        agent: Uuid,
    ) -> ApiResult<Conversation> {
        self.ask(tenant_id, |reply| Command::Accept {
            conversation,
            agent,
            reply,
        })
        .await?
    }

    /// The agent declines the offer; it goes to the next agent.
    pub async fn reject(
        &self,
        tenant_id: Uuid,
        conversation: Uuid,
        agent: Uuid,
    ) -> ApiResult<Conversation> {
        self.ask(tenant_id, |reply| Command::Reject {
            conversation,
            agent,
            reply,
        })
        .await?
    }

    pub async fn transfer(
        &self,
        tenant_id: Uuid,
        conversation: Uuid,
        to: TransferTo,
        note: Option<String>,
        actor: Actor,
    ) -> ApiResult<Conversation> {
        self.ask(tenant_id, |reply| Command::Transfer {
            conversation,
            to,
            note,
            actor,
            reply,
        })
        .await?
    }

    /// Position and estimated wait of a waiting conversation; `None` when it is not waiting.
    pub async fn standing(
        &self,
        tenant_id: Uuid,
        conversation: Uuid,
    ) -> ApiResult<Option<QueueStanding>> {
        self.ask(tenant_id, |reply| Command::Standing {
            conversation,
            reply,
        })
        .await
    }

    pub async fn live(&self, tenant_id: Uuid) -> ApiResult<LiveView> {
        self.ask(tenant_id, |reply| Command::Live { reply }).await
    }
}

fn unavailable() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "routing_unavailable",
        "routing is restarting; try again shortly",
    )
}
