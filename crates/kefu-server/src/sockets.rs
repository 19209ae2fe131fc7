//! Limits on live sockets: a ceiling for the whole server, so memory stays bounded whatever
//! arrives, and a ceiling per client (one user's tabs, one visitor's pages), so one client
//! cannot take the room everyone else needs. A permit is held for as long as its socket lives.

use crate::error::ApiError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

/// A client retries a refused socket after this long (its reconnect backoff may wait longer).
const RETRY_AFTER_SECS: u64 = 5;

#[derive(Clone)]
pub struct SocketLimits {
    total: Arc<Semaphore>,
    per_client: usize,
    clients: Arc<Mutex<HashMap<Uuid, usize>>>,
}

/// The right to keep one socket open; given back when dropped.
pub struct SocketPermit {
    _total: OwnedSemaphorePermit,
    client: Uuid,
    clients: Arc<Mutex<HashMap<Uuid, usize>>>,
}

fn lock(clients: &Mutex<HashMap<Uuid, usize>>) -> MutexGuard<'_, HashMap<Uuid, usize>> {
    crate::state::lock(clients)
}

impl SocketLimits {
    pub fn new(total: usize, per_client: usize) -> Self {
        SocketLimits {
            total: Arc::new(Semaphore::new(total)),
            per_client: per_client.max(1),
            clients: Arc::default(),
        }
    }

    /// A permit for one more socket of `client` (a user or a visitor's customer), or 503 when
    /// the server is full and 429 when this client already has its share.
    pub fn admit(&self, client: Uuid) -> Result<SocketPermit, ApiError> {
        let total = self.total.clone().try_acquire_owned().map_err(|_| {
            let mut err = ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "too_many_connections",
                "the server has as many live connections as it takes; try again shortly",
            );
            err.retry_after_secs = Some(RETRY_AFTER_SECS);
            err
        })?;
        let mut clients = lock(&self.clients);
        let open = clients.entry(client).or_default();
        if *open >= self.per_client {
            let mut err = ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "too_many_connections",
                format!(
                    "at most {} live connections per user or visitor; close another tab",
                    self.per_client
                ),
            );
            err.retry_after_secs = Some(RETRY_AFTER_SECS);
            return Err(err);
        }
        *open += 1;
        Ok(SocketPermit {
            _total: total,
            client,
            clients: self.clients.clone(),
        })
    }
}

impl Drop for SocketPermit {
    fn drop(&mut self) {
        let mut clients = lock(&self.clients);
        if let Some(open) = clients.get_mut(&self.client) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                clients.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_and_each_client_share_are_enforced_and_given_back() {
        let limits = SocketLimits::new(3, 2);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let first = limits.admit(a);
        let second = limits.admit(a);
        assert!(first.is_ok() && second.is_ok());
        let refused = limits.admit(a).err().map(|e| e.status);
        assert_eq!(refused, Some(axum::http::StatusCode::TOO_MANY_REQUESTS));
        let third = limits.admit(b);
        assert!(third.is_ok());
        let full = limits.admit(b).err().map(|e| e.status);
        assert_eq!(full, Some(axum::http::StatusCode::SERVICE_UNAVAILABLE));
        drop(first);
        assert!(limits.admit(a).is_ok(), "a closed socket frees its place");
        drop((second, third));
        assert!(
            lock(&limits.clients).is_empty(),
            "no counters left for gone clients"
        );
    }
}
