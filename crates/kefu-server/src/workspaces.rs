//! Which agents have their workspace open, counted by their staff sockets. An agent whose last
//! socket closes and who is not back within the grace period is set offline (`disconnected`),
//! so the router stops offering chats to someone who closed the browser or lost the network.

use kefu_core::{Presence, PresenceState};
use kefu_store::{Actor, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

type Key = (Uuid, Uuid);

#[derive(Clone)]
pub struct Workspaces {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    grace: Duration,
    open: Mutex<HashMap<Key, u32>>,
    closing: watch::Receiver<bool>,
}

/// Held while one staff socket is open; dropping it may start the grace period.
pub struct OpenWorkspace {
    workspaces: Workspaces,
    key: Key,
}

impl Workspaces {
    pub(crate) fn new(store: Store, grace: Duration, closing: watch::Receiver<bool>) -> Self {
        Workspaces {
            inner: Arc::new(Inner {
                store,
                grace,
                open: Mutex::new(HashMap::new()),
                closing,
            }),
        }
    }

    fn with_counts<T>(&self, f: impl FnOnce(&mut HashMap<Key, u32>) -> T) -> T {
        match self.inner.open.lock() {
            Ok(mut counts) => f(&mut counts),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    pub fn open(&self, tenant_id: Uuid, user_id: Uuid) -> OpenWorkspace {
        let key = (tenant_id, user_id);
        self.with_counts(|counts| *counts.entry(key).or_default() += 1);
        OpenWorkspace {
            workspaces: self.clone(),
            key,
        }
    }

    fn is_open(&self, key: Key) -> bool {
        self.with_counts(|counts| counts.contains_key(&key))
    }

    /// After the grace period, an agent still without a socket goes offline.
    async fn expire(self, (tenant_id, user_id): Key) {
        tokio::time::sleep(self.inner.grace).await;
        if self.is_open((tenant_id, user_id)) || *self.inner.closing.borrow() {
            return;
        }
        let store = &self.inner.store;
        match store.user(tenant_id, user_id).await {
            Ok(user) if user.presence != PresenceState::Offline => {
                let offline = Presence {
                    state: PresenceState::Offline,
                    reason: Some("disconnected".to_owned()),
                };
                if let Err(err) = store
                    .set_presence(tenant_id, user_id, &offline, &Actor::system())
                    .await
                {
                    tracing::warn!(%err, "setting a disconnected agent offline");
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(%err, "reading a disconnected agent"),
        }
    }
}

impl Drop for OpenWorkspace {
    fn drop(&mut self) {
        let key = self.key;
        let last = self
            .workspaces
            .with_counts(|counts| match counts.get_mut(&key) {
                Some(count) if *count > 1 => {
                    *count -= 1;
                    false
                }
                _ => {
                    counts.remove(&key);
                    true
                }
            });
        // A server shutting down closes every socket: that is not the agents leaving.
        if last
            && !*self.workspaces.inner.closing.borrow()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(self.workspaces.clone().expire(key));
        }
    }
}
