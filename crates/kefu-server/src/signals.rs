//! Ephemeral signals between the people in a conversation (today: "is typing"), fanned out to
//! the tenant's live sockets like the hub's events but never written to the event log: they mean
//! nothing seconds later, so a reconnect must not replay them and a lagging socket may drop them.

use axum::extract::ws::Utf8Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;
use uuid::Uuid;

/// Signals a staff socket may fall behind on; older ones are dropped, which is harmless.
const STAFF_FAN_OUT: usize = 256;
const CUSTOMER_FAN_OUT: usize = 16;

/// One signal with its frame rendered once for every socket.
pub struct Signal {
    pub conversation_id: Uuid,
    /// Whether the customer's sockets may see it (an agent writing a reply, not a note).
    pub for_customer: bool,
    pub frame: Utf8Bytes,
}

pub type SignalReceiver = broadcast::Receiver<Arc<Signal>>;
type Sender = broadcast::Sender<Arc<Signal>>;

/// Who is typing, as the other side is told.
pub enum Typist {
    Customer,
    Agent {
        user_id: Uuid,
        /// A reply the customer will see (false while writing an internal note).
        replying: bool,
    },
}

#[derive(Default)]
struct TenantSignals {
    staff: Option<Sender>,
    customers: HashMap<Uuid, Sender>,
    /// The customer map's size after its last sweep: it is swept again when it has doubled,
    /// so senders of sockets long gone cost amortised O(1) to forget.
    swept_at: usize,
}

#[derive(Clone, Default)]
pub struct Signals {
    tenants: Arc<Mutex<HashMap<Uuid, TenantSignals>>>,
}

impl Signals {
    fn lock(&self) -> MutexGuard<'_, HashMap<Uuid, TenantSignals>> {
        crate::state::lock(&self.tenants)
    }

    /// Signals for the tenant's staff: every conversation's.
    pub fn subscribe_staff(&self, tenant_id: Uuid) -> SignalReceiver {
        let mut tenants = self.lock();
        let tenant = tenants.entry(tenant_id).or_default();
        tenant
            .staff
            .get_or_insert_with(|| broadcast::channel(STAFF_FAN_OUT).0)
            .subscribe()
    }

    /// Signals about one customer's conversations.
    pub fn subscribe_customer(&self, tenant_id: Uuid, customer_id: Uuid) -> SignalReceiver {
        let mut tenants = self.lock();
        let tenant = tenants.entry(tenant_id).or_default();
        if tenant.customers.len() >= 2 * tenant.swept_at.max(32) {
            tenant.customers.retain(|_, s| s.receiver_count() > 0);
            tenant.swept_at = tenant.customers.len();
        }
        tenant
            .customers
            .entry(customer_id)
            .or_insert_with(|| broadcast::channel(CUSTOMER_FAN_OUT).0)
            .subscribe()
    }

    /// Tells whoever is watching the conversation that `typist` is typing in it.
    pub fn typing(
        &self,
        tenant_id: Uuid,
        conversation_id: Uuid,
        customer_id: Uuid,
        typist: Typist,
    ) {
        let (sender_kind, sender_id, for_customer) = match typist {
            Typist::Customer => ("customer", None, false),
            Typist::Agent { user_id, replying } => ("agent", Some(user_id), replying),
        };
        let frame = serde_json::json!({
            "type": "typing",
            "conversation_id": conversation_id,
            "sender_kind": sender_kind,
            "sender_id": sender_id,
        })
        .to_string();
        let signal = Arc::new(Signal {
            conversation_id,
            for_customer,
            frame: frame.into(),
        });
        let mut tenants = self.lock();
        let Some(tenant) = tenants.get_mut(&tenant_id) else {
            return;
        };
        if for_customer
            && let Some(sender) = tenant.customers.get(&customer_id)
            && sender.send(signal.clone()).is_err()
        {
            tenant.customers.remove(&customer_id);
        }
        if let Some(staff) = &tenant.staff
            && staff.send(signal).is_err()
        {
            tenant.staff = None;
        }
        if tenant.staff.is_none() && tenant.customers.is_empty() {
            tenants.remove(&tenant_id);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn typing_of(received: &Signal) -> serde_json::Value {
        serde_json::from_str(received.frame.as_str()).unwrap_or_default()
    }

    #[tokio::test]
    async fn a_reply_reaches_staff_and_its_customer_only() {
        let signals = Signals::default();
        let (tenant, customer, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mut staff = signals.subscribe_staff(tenant);
        let mut mine = signals.subscribe_customer(tenant, customer);
        let mut theirs = signals.subscribe_customer(tenant, other);
        let conversation = Uuid::new_v4();
        let agent = Uuid::new_v4();
        signals.typing(
            tenant,
            conversation,
            customer,
            Typist::Agent {
                user_id: agent,
                replying: true,
            },
        );
        let seen = staff.try_recv().unwrap();
        assert_eq!(typing_of(&seen)["sender_id"], agent.to_string());
        let seen = mine.try_recv().unwrap();
        assert_eq!(seen.conversation_id, conversation);
        assert_eq!(typing_of(&seen)["sender_kind"], "agent");
        assert!(theirs.try_recv().is_err());
    }

    #[tokio::test]
    async fn notes_and_the_customer_own_typing_stay_with_staff() {
        let signals = Signals::default();
        let (tenant, customer) = (Uuid::new_v4(), Uuid::new_v4());
        let mut staff = signals.subscribe_staff(tenant);
        let mut mine = signals.subscribe_customer(tenant, customer);
        let conversation = Uuid::new_v4();
        let note = Typist::Agent {
            user_id: Uuid::new_v4(),
            replying: false,
        };
        signals.typing(tenant, conversation, customer, note);
        signals.typing(tenant, conversation, customer, Typist::Customer);
        assert!(!staff.try_recv().unwrap().for_customer);
        assert_eq!(
            typing_of(&staff.try_recv().unwrap())["sender_kind"],
            "customer"
        );
        assert!(mine.try_recv().is_err());
    }

    #[tokio::test]
    async fn senders_of_gone_sockets_are_forgotten() {
        let signals = Signals::default();
        let tenant = Uuid::new_v4();
        for _ in 0..1000 {
            drop(signals.subscribe_customer(tenant, Uuid::new_v4()));
        }
        let kept = signals.lock()[&tenant].customers.len();
        assert!(kept <= 64, "{kept} senders kept for sockets that are gone");
    }
}
