//! One reader of each tenant's event log for all of its sockets: the hub wakes on the store's
//! commit signal, reads the new events once, renders each frame once, and hands it to the
//! tenant's staff sockets and to the sockets of the one customer it concerns, so a visitor's
//! socket wakes only for its own customer. Sockets never depend on the hub for completeness:
//! they catch up from the log themselves, and again whenever they fall behind.

use axum::extract::ws::Utf8Bytes;
use kefu_store::{Event, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

/// Events a staff socket may fall behind on before it resyncs from the log.
const STAFF_FAN_OUT: usize = 1024;
/// The same for a customer's sockets, which see far fewer events.
const CUSTOMER_FAN_OUT: usize = 64;
/// Events read from the log per query, by the hub and by sockets catching up.
pub const LOG_BATCH: u32 = 500;

/// An event as read from the log, with its frame rendered once for every socket.
pub struct LiveEvent {
    pub event: Event,
    pub frame: Utf8Bytes,
}

type Sender = broadcast::Sender<Arc<LiveEvent>>;
pub type Receiver = broadcast::Receiver<Arc<LiveEvent>>;

/// Whose events a socket follows.
#[derive(Debug, Clone, Copy)]
pub enum Listener {
    /// Every event of the tenant.
    Staff,
    /// The events about one customer's conversations.
    Customer(Uuid),
}

/// The frame every socket sends for an event.
pub fn render(event: &Event) -> Utf8Bytes {
    serde_json::json!({
        "type": "event",
        "seq": event.seq,
        "kind": event.kind,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "payload": event.payload.0,
        "created_at": event.created_at,
    })
    .to_string()
    .into()
}

/// The customer a conversation event concerns (conversation moves carry the conversation,
/// messages carry its customer).
pub fn customer_of(event: &Event) -> Option<Uuid> {
    if event.entity_type != "conversation" {
        return None;
    }
    let payload = &event.payload.0;
    payload["conversation"]["customer_id"]
        .as_str()
        .or_else(|| payload["customer_id"].as_str())
        .and_then(|id| id.parse().ok())
}

struct TenantHub {
    staff: Sender,
    customers: HashMap<Uuid, Sender>,
}

impl TenantHub {
    fn idle(&self) -> bool {
        self.staff.receiver_count() == 0 && self.customers.values().all(|s| s.receiver_count() == 0)
    }
}

#[derive(Clone)]
pub struct Hubs {
    store: Store,
    tenants: Arc<Mutex<HashMap<Uuid, TenantHub>>>,
}

impl Hubs {
    pub fn new(store: Store) -> Self {
        Hubs {
            store,
            tenants: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Uuid, TenantHub>> {
        crate::state::lock(&self.tenants)
    }

    /// Live events from now on; starts the tenant's hub on first use.
    pub fn subscribe(&self, tenant_id: Uuid, listener: Listener) -> Receiver {
        let mut tenants = self.lock();
        let hub = tenants.entry(tenant_id).or_insert_with(|| {
            let hub = TenantHub {
                staff: broadcast::channel(STAFF_FAN_OUT).0,
                customers: HashMap::new(),
            };
            tokio::spawn(run_hub(self.clone(), tenant_id));
            hub
        });
        match listener {
            Listener::Staff => hub.staff.subscribe(),
            Listener::Customer(customer_id) => hub
                .customers
                .entry(customer_id)
                .or_insert_with(|| broadcast::channel(CUSTOMER_FAN_OUT).0)
                .subscribe(),
        }
    }

    /// Hands the events to their listeners; false when nobody listens and the hub should stop.
    fn deliver(&self, tenant_id: Uuid, events: Vec<Event>) -> bool {
        // Rendered before taking the lock that every tenant's hub and new socket share.
        let rendered: Vec<_> = events
            .into_iter()
            .map(|event| {
                let customer = customer_of(&event);
                let live = Arc::new(LiveEvent {
                    frame: render(&event),
                    event,
                });
                (customer, live)
            })
            .collect();
        let mut tenants = self.lock();
        let Some(hub) = tenants.get_mut(&tenant_id) else {
            return false;
        };
        for (customer, live) in rendered {
            if let Some(customer) = customer
                && let Some(sender) = hub.customers.get(&customer)
                && sender.send(live.clone()).is_err()
            {
                hub.customers.remove(&customer);
            }
            let _ = hub.staff.send(live);
        }
        if hub.idle() {
            tenants.remove(&tenant_id);
            return false;
        }
        true
    }

    fn retire(&self, tenant_id: Uuid) {
        self.lock().remove(&tenant_id);
    }
}

async fn run_hub(hubs: Hubs, tenant_id: Uuid) {
    let mut commits = hubs.store.subscribe_commits();
    // Sockets catch up from the log themselves; the hub only carries what comes after.
    let mut last_seq = match hubs.store.last_event_seq(tenant_id).await {
        Ok(seq) => seq,
        Err(err) => {
            tracing::warn!(%err, "event hub cannot start; sockets read the log directly");
            return hubs.retire(tenant_id);
        }
    };
    loop {
        match commits.recv().await {
            Ok(tenant) if tenant != tenant_id => continue,
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => return hubs.retire(tenant_id),
        }
        loop {
            let events = match hubs
                .store
                .events_since(tenant_id, last_seq, LOG_BATCH)
                .await
            {
                Ok(events) => events,
                Err(err) => {
                    // The next commit wakes us again and reads from the same place.
                    tracing::warn!(%err, "event hub could not read the log");
                    break;
                }
            };
            let full = events.len() == LOG_BATCH as usize;
            if let Some(last) = events.last() {
                last_seq = last.seq;
            }
            if !hubs.deliver(tenant_id, events) {
                return;
            }
            if !full {
                break;
            }
        }
    }
}
