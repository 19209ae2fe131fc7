//! Ticket triggers at run time: a follower of the event log of every tenant with active
//! triggers, which plans (kefu-core) and applies (the store, atomically with its cursor) them.
//!
//! Loop rule: events a trigger caused (actor `trigger`) are never evaluated, so a trigger's
//! change cannot fire triggers again; on one originating event each trigger fires at most once,
//! in the tenant's order, later ones seeing what earlier ones changed.

use kefu_core::trigger::{Occasion, TicketState, Trigger, TriggerOn, plan};
use kefu_core::{TicketPriority, TicketStatus, TicketType};
use kefu_store::{Event, Store};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

#[derive(Clone)]
pub struct Triggers {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    webhooks: crate::webhooks::Webhooks,
    /// Tenants with at least one active trigger: only their commits are followed.
    tenants: Mutex<HashSet<Uuid>>,
    changed: Notify,
    closing: tokio::sync::watch::Receiver<bool>,
}

impl Triggers {
    pub fn new(
        store: Store,
        webhooks: crate::webhooks::Webhooks,
        closing: tokio::sync::watch::Receiver<bool>,
    ) -> Self {
        Triggers {
            inner: Arc::new(Inner {
                store,
                webhooks,
                tenants: Mutex::new(HashSet::new()),
                changed: Notify::new(),
                closing,
            }),
        }
    }

    fn tenants(&self) -> MutexGuard<'_, HashSet<Uuid>> {
        // One insert or remove at a time: consistent even after a panic.
        self.inner
            .tenants
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts the follower (once, when the server starts).
    pub async fn start(&self) {
        match self.inner.store.tenants_with_triggers().await {
            Ok(tenants) => self.tenants().extend(tenants),
            Err(err) => tracing::warn!(%err, "triggers: cannot list tenants with triggers"),
        }
        tokio::spawn(self.clone().follow());
    }

    /// Called after the tenant's triggers changed.
    pub fn changed(&self, tenant_id: Uuid) {
        self.tenants().insert(tenant_id);
        self.inner.changed.notify_one();
    }

    async fn follow(self) {
        let mut commits = self.inner.store.subscribe_commits();
        let mut closing = self.inner.closing.clone();
        self.catch_up_all().await;
        loop {
            tokio::select! {
                commit = commits.recv() => match commit {
                    Ok(tenant) => {
                        if self.tenants().contains(&tenant) {
                            self.catch_up(tenant).await;
                        }
                    }
                    Err(RecvError::Lagged(_)) => self.catch_up_all().await,
                    Err(RecvError::Closed) => return,
                },
                () = self.inner.changed.notified() => self.catch_up_all().await,
                () = crate::state::until_closing(&mut closing) => return,
            }
        }
    }

    async fn catch_up_all(&self) {
        let tenants: Vec<Uuid> = self.tenants().iter().copied().collect();
        for tenant in tenants {
            self.catch_up(tenant).await;
        }
    }

    /// Runs the tenant's triggers over its events after the cursor, batch by batch.
    async fn catch_up(&self, tenant_id: Uuid) {
        if let Err(err) = self.try_catch_up(tenant_id).await {
            // The next commit (or restart) tries again from the stored cursor.
            tracing::warn!(%err, %tenant_id, "triggers: following the log");
        }
    }

    async fn try_catch_up(&self, tenant_id: Uuid) -> Result<(), kefu_store::StoreError> {
        let store = &self.inner.store;
        loop {
            let Some(cursor) = store.trigger_cursor(tenant_id).await? else {
                return Ok(());
            };
            let events = store
                .events_since(tenant_id, cursor, crate::hub::LOG_BATCH)
                .await?;
            let Some(last) = events.last().map(|e| e.seq) else {
                return Ok(());
            };
            let triggers: Vec<Trigger> = store
                .triggers(tenant_id)
                .await?
                .into_iter()
                .filter(|t| t.active)
                .map(|t| Trigger {
                    id: t.id,
                    name: t.name,
                    rules: t.rules,
                })
                .collect();
            if triggers.is_empty() {
                self.tenants().remove(&tenant_id);
            }
            for event in &events {
                self.run(tenant_id, &triggers, event).await?;
            }
            store.set_trigger_cursor(tenant_id, last).await?;
            if events.len() < crate::hub::LOG_BATCH as usize {
                return Ok(());
            }
        }
    }

    /// Plans and applies the triggers for one event.
    async fn run(
        &self,
        tenant_id: Uuid,
        triggers: &[Trigger],
        event: &Event,
    ) -> Result<(), kefu_store::StoreError> {
        let Some(on) = occasion_of(event) else {
            return Ok(());
        };
        let Some(ticket_id) = event.entity_id else {
            return Ok(());
        };
        if triggers.is_empty() {
            return Ok(());
        }
        let store = &self.inner.store;
        let payload = &event.payload.0;
        // The ticket as the event left it; a comment's event carries none, so as it is now.
        let ticket_json = match on {
            TriggerOn::CommentAdded => match store.ticket(tenant_id, ticket_id).await {
                Ok(ticket) => serde_json::to_value(ticket).unwrap_or_default(),
                Err(kefu_store::StoreError::NotFound) => return Ok(()),
                Err(err) => return Err(err),
            },
            _ => payload["ticket"].clone(),
        };
        let Some(state) = state_of(&ticket_json) else {
            tracing::warn!(
                seq = event.seq,
                "triggers: an event without a readable ticket"
            );
            return Ok(());
        };
        let requester = match ticket_json["requester_id"]
            .as_str()
            .and_then(|id| id.parse::<Uuid>().ok())
        {
            Some(id) => store.customer(tenant_id, id).await.ok(),
            None => None,
        };
        let occasion = Occasion {
            on: Some(on),
            changes: payload["changes"].as_object().cloned().unwrap_or_default(),
            comment: (on == TriggerOn::CommentAdded).then(|| {
                let comment = &payload["comment"];
                (
                    comment["body"].as_str().unwrap_or_default().to_owned(),
                    comment["public"].as_bool().unwrap_or(false),
                )
            }),
            requester_tier: requester.as_ref().map(|c| c.tier.clone()),
            requester_name: requester.map(|c| c.name).unwrap_or_default(),
        };
        let firings = plan(triggers, &state, &occasion);
        if firings.is_empty() {
            return Ok(());
        }
        match store
            .apply_trigger_firings(tenant_id, event.seq, ticket_id, &firings)
            .await
        {
            Ok(_) => {
                if firings.iter().any(|f| !f.webhooks.is_empty()) {
                    self.inner.webhooks.wake_sender();
                }
                Ok(())
            }
            Err(
                err @ (kefu_store::StoreError::Invalid(_)
                | kefu_store::StoreError::Conflict { .. }
                | kefu_store::StoreError::NotFound),
            ) => {
                // The ticket moved on (closed, a group deleted…): logged, and the log goes on.
                tracing::info!(%err, seq = event.seq, "triggers: not applied");
                let names: Vec<(Uuid, String)> = firings
                    .iter()
                    .map(|f| (f.trigger_id, f.name.clone()))
                    .collect();
                store
                    .trigger_failed(tenant_id, event.seq, ticket_id, &names, &err.to_string())
                    .await
            }
            Err(err) => Err(err),
        }
    }
}

/// The trigger event an entry of the log is, unless a trigger caused it.
fn occasion_of(event: &Event) -> Option<TriggerOn> {
    if event.entity_type != "ticket" || event.actor_type == "trigger" {
        return None;
    }
    match event.kind.as_str() {
        "ticket.created" => Some(TriggerOn::TicketCreated),
        "ticket.updated" => Some(TriggerOn::TicketUpdated),
        "ticket.comment_added" => Some(TriggerOn::CommentAdded),
        _ => None,
    }
}

/// A ticket's JSON (as the API and the log show it) as triggers see it.
fn state_of(ticket: &Value) -> Option<TicketState> {
    let id = |v: &Value| v.as_str().and_then(|s| s.parse::<Uuid>().ok());
    Some(TicketState {
        number: ticket["number"].as_i64()?,
        subject: ticket["subject"].as_str()?.to_owned(),
        status: TicketStatus::parse(ticket["status"].as_str()?)?,
        priority: TicketPriority::parse(ticket["priority"].as_str()?)?,
        ticket_type: TicketType::parse(ticket["type"].as_str()?)?,
        group_id: id(&ticket["group_id"]),
        assignee_id: id(&ticket["assignee_id"]),
        tags: ticket["tags"]
            .as_array()?
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        channel: ticket["channel"].as_str()?.to_owned(),
        custom_fields: ticket["custom_fields"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
    })
}
