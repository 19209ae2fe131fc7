//! One reader of each tenant's event log for all of its sockets: the hub wakes on the store's
//! commit signal, reads the new events once, and fans them out. Sockets never depend on the hub
//! for completeness: they catch up from the log themselves and after any lag.

use axum::extract::ws::Utf8Bytes;
use kefu_store::{Event, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

/// Events a socket may fall behind on before it resyncs from the log.
const FAN_OUT: usize = 1024;
/// Events read per query.
const BATCH: u32 = 500;

/// An event as read from the log, with its frame rendered once for every socket.
pub struct LiveEvent {
    pub event: Event,
    pub frame: Utf8Bytes,
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

#[derive(Clone)]
pub struct Hubs {
    store: Store,
    tenants: Arc<Mutex<HashMap<Uuid, broadcast::Sender<Arc<LiveEvent>>>>>,
}

impl Hubs {
    pub fn new(store: Store) -> Self {
        Hubs {
            store,
            tenants: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Live events of a tenant from now on; starts the tenant's hub on first use.
    pub fn subscribe(&self, tenant_id: Uuid) -> broadcast::Receiver<Arc<LiveEvent>> {
        let mut tenants = match self.tenants.lock() {
            Ok(guard) => guard,
            // A panic elsewhere while holding the map leaves it consistent (plain inserts).
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(sender) = tenants.get(&tenant_id) {
            return sender.subscribe();
        }
        let (sender, receiver) = broadcast::channel(FAN_OUT);
        tenants.insert(tenant_id, sender.clone());
        tokio::spawn(run_hub(self.clone(), tenant_id, sender));
        receiver
    }

    /// Drops the hub's entry when no socket listens any more; true when the hub should stop.
    fn retire_if_idle(&self, tenant_id: Uuid, sender: &broadcast::Sender<Arc<LiveEvent>>) -> bool {
        let mut tenants = match self.tenants.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if sender.receiver_count() == 0 {
            tenants.remove(&tenant_id);
            true
        } else {
            false
        }
    }
}

async fn run_hub(hubs: Hubs, tenant_id: Uuid, sender: broadcast::Sender<Arc<LiveEvent>>) {
    let mut commits = hubs.store.subscribe_commits();
    // Subscribers catch up from the log themselves; the hub only carries what comes after.
    let mut last_seq = match hubs.store.last_event_seq(tenant_id).await {
        Ok(seq) => seq,
        Err(err) => {
            tracing::warn!(%err, "event hub cannot start; sockets read the log directly");
            hubs.tenants.lock().map(|mut t| t.remove(&tenant_id)).ok();
            return;
        }
    };
    loop {
        match commits.recv().await {
            Ok(tenant) if tenant != tenant_id => continue,
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => break,
        }
        if hubs.retire_if_idle(tenant_id, &sender) {
            return;
        }
        loop {
            let events = match hubs.store.events_since(tenant_id, last_seq, BATCH).await {
                Ok(events) => events,
                Err(err) => {
                    // The next commit wakes us again; sockets resync from the log on gaps.
                    tracing::warn!(%err, "event hub could not read the log");
                    break;
                }
            };
            let full = events.len() == BATCH as usize;
            for event in events {
                last_seq = event.seq;
                let frame = render(&event);
                let _ = sender.send(Arc::new(LiveEvent { event, frame }));
            }
            if !full {
                break;
            }
        }
    }
    hubs.tenants.lock().map(|mut t| t.remove(&tenant_id)).ok();
}
