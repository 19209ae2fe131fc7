//! Which tenant and mailbox an SMTP recipient belongs to: an in-memory copy of the enabled
//! mailboxes, because the listener asks at every `RCPT TO` and must not wait on the database.

use kefu_store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use uuid::Uuid;

/// Where mail for an address goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Route {
    pub tenant_id: Uuid,
    pub mailbox_id: Uuid,
}

#[derive(Clone, Default)]
pub(crate) struct Directory {
    routes: Arc<RwLock<HashMap<String, Route>>>,
}

impl Directory {
    pub(crate) async fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let fresh: HashMap<String, Route> = store
            .mail_routes()
            .await?
            .into_iter()
            .map(|r| {
                (
                    r.address.to_lowercase(),
                    Route {
                        tenant_id: r.tenant_id,
                        mailbox_id: r.mailbox_id,
                    },
                )
            })
            .collect();
        // Replaced whole, never edited in place, so a poisoned lock still holds a full map.
        *self.routes.write().unwrap_or_else(PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// The route of a recipient: a support address itself, or its reply address
    /// `local+t-<token>@domain` (the token is checked later, against the tenant's key).
    pub(crate) fn route(&self, recipient: &str) -> Option<Route> {
        let address = recipient.trim().trim_matches(['<', '>']).to_lowercase();
        let (local, domain) = address.rsplit_once('@')?;
        let base = match local.split_once('+') {
            None => address.clone(),
            Some((base, detail)) if detail.starts_with(kefu_mail::thread::TOKEN_PREFIX) => {
                format!("{base}@{domain}")
            }
            Some(_) => return None,
        };
        self.routes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&base)
            .copied()
    }

    /// The listener's recipient check.
    pub(crate) fn policy(&self) -> impl Fn(&str) -> bool + Send + Sync + 'static {
        let directory = self.clone();
        move |recipient: &str| directory.route(recipient).is_some()
    }
}
