//! SLAs at run time: a follower of every tenant's event log that recomputes a ticket's SLA
//! targets whenever the ticket changes (replaying its events through a kefu-sla clock under the
//! tenant's first matching policy), timers that look again at warning and due times, and the
//! escalations a warning or breach triggers, each acted on once (marked in the store).

use chrono::{DateTime, Utc};
use kefu_sla::{
    EscalationAction, Policy, Recipient, SlaClock, SlaEvent, TargetKind, TicketFact, TicketFacts,
    match_policy,
};
use kefu_store::{Actor, Event, Store, Ticket, TicketPatch, TicketSlaTarget};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;
use uuid::Uuid;

/// A tenant whose events are not about tickets still has its cursor stored this often, so a
/// restart does not reread a long chat-only log from the beginning.
const CURSOR_SAVE_EVERY: i64 = 10_000;

/// Events of one ticket replayed at most (a ticket with more is recomputed from its last ones).
const TICKET_EVENTS: u32 = 1000;

#[derive(Clone)]
pub struct SlaKeeper {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    /// (when, tenant, ticket): tickets to look at again; stale entries only cost a recompute.
    timers: Mutex<BTreeSet<(DateTime<Utc>, Uuid, Uuid)>>,
    timer_changed: Notify,
    /// How far each tenant's log was read, and how far the stored cursor says. Stored when
    /// tickets were recomputed or every CURSOR_SAVE_EVERY events: after a restart the follower
    /// rereads from the stored one, which costs a read, never a double act.
    cursors: Mutex<HashMap<Uuid, (i64, i64)>>,
    closing: tokio::sync::watch::Receiver<bool>,
}

fn system() -> Actor {
    Actor::system()
}

impl SlaKeeper {
    pub fn new(store: Store, closing: tokio::sync::watch::Receiver<bool>) -> Self {
        SlaKeeper {
            inner: Arc::new(Inner {
                store,
                timers: Mutex::new(BTreeSet::new()),
                timer_changed: Notify::new(),
                cursors: Mutex::new(HashMap::new()),
                closing,
            }),
        }
    }

    fn timers(&self) -> MutexGuard<'_, BTreeSet<(DateTime<Utc>, Uuid, Uuid)>> {
        crate::state::lock(&self.inner.timers)
    }

    /// Starts the follower and the timers (once, when the server starts).
    pub async fn start(&self) {
        match self.inner.store.sla_wakeups().await {
            Ok(wakeups) => self.timers().extend(
                wakeups
                    .into_iter()
                    .map(|w| (w.at, w.tenant_id, w.ticket_id)),
            ),
            Err(err) => tracing::warn!(%err, "sla: cannot load pending timers"),
        }
        tokio::spawn(self.clone().follow());
        tokio::spawn(self.clone().run_timers());
    }

    async fn follow(self) {
        let mut commits = self.inner.store.subscribe_commits();
        let mut closing = self.inner.closing.clone();
        self.catch_up_all().await;
        while let Some(woken) = crate::state::next_commits(&mut commits, &mut closing).await {
            match woken {
                crate::state::Woken::Everything => self.catch_up_all().await,
                crate::state::Woken::Tenants(tenants) => {
                    for tenant in tenants {
                        self.catch_up(tenant).await;
                    }
                }
            }
        }
    }

    async fn catch_up_all(&self) {
        match self.inner.store.tenant_ids().await {
            Ok(tenants) => {
                for tenant in tenants {
                    self.catch_up(tenant).await;
                }
            }
            Err(err) => tracing::warn!(%err, "sla: listing tenants"),
        }
    }

    /// Recomputes every ticket the tenant's new events touched, then moves the cursor.
    async fn catch_up(&self, tenant_id: Uuid) {
        let store = &self.inner.store;
        loop {
            let known = self.cursor(tenant_id);
            let (cursor, saved) = match known {
                Some(known) => known,
                None => match store.sla_cursor(tenant_id).await {
                    Ok(cursor) => (cursor.unwrap_or(0), cursor.unwrap_or(0)),
                    Err(err) => return tracing::warn!(%err, "sla: reading the cursor"),
                },
            };
            let events = match store
                .events_since(tenant_id, cursor, crate::hub::LOG_BATCH)
                .await
            {
                Ok(events) => events,
                Err(err) => return tracing::warn!(%err, "sla: reading the log"),
            };
            let Some(last) = events.last().map(|e| e.seq) else {
                return;
            };
            let mut tickets = Vec::new();
            let mut seen = HashSet::new();
            for event in &events {
                if is_ticket_fact(event)
                    && let Some(id) = event.entity_id
                    && seen.insert(id)
                {
                    tickets.push(id);
                }
            }
            let worked = !tickets.is_empty();
            for ticket in tickets {
                self.recompute(tenant_id, ticket, Utc::now()).await;
            }
            // After the work: a crash in between recomputes again, which marks make harmless.
            let mut saved = saved;
            if worked || last - saved >= CURSOR_SAVE_EVERY {
                if let Err(err) = store.set_sla_cursor(tenant_id, last).await {
                    return tracing::warn!(%err, "sla: moving the cursor");
                }
                saved = last;
            }
            self.set_cursor(tenant_id, (last, saved));
            if events.len() < crate::hub::LOG_BATCH as usize {
                return;
            }
        }
    }

    /// (read up to, stored) for the tenant, once known.
    fn cursor(&self, tenant_id: Uuid) -> Option<(i64, i64)> {
        self.lock_cursors().get(&tenant_id).copied()
    }

    fn set_cursor(&self, tenant_id: Uuid, cursor: (i64, i64)) {
        self.lock_cursors().insert(tenant_id, cursor);
    }

    fn lock_cursors(&self) -> MutexGuard<'_, HashMap<Uuid, (i64, i64)>> {
        crate::state::lock(&self.inner.cursors)
    }

    async fn run_timers(self) {
        let mut closing = self.inner.closing.clone();
        loop {
            let next = self.timers().first().copied();
            let sleep = match next {
                Some((at, ..)) => (at - Utc::now()).to_std().unwrap_or_default(),
                None => std::time::Duration::from_secs(3600),
            };
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                () = self.inner.timer_changed.notified() => continue,
                () = crate::state::until_closing(&mut closing) => return,
            }
            let now = Utc::now();
            let due: Vec<_> = {
                let mut timers = self.timers();
                let due: Vec<_> = timers
                    .iter()
                    .take_while(|(at, ..)| *at <= now)
                    .copied()
                    .collect();
                for entry in &due {
                    timers.remove(entry);
                }
                due
            };
            let mut done = HashSet::new();
            for (_, tenant, ticket) in due {
                if done.insert((tenant, ticket)) {
                    self.recompute(tenant, ticket, now).await;
                }
            }
        }
    }

    fn schedule(&self, at: DateTime<Utc>, tenant_id: Uuid, ticket_id: Uuid) {
        let earliest = self.timers().first().map(|(t, ..)| *t);
        self.timers().insert((at, tenant_id, ticket_id));
        if earliest.is_none_or(|e| at < e) {
            self.inner.timer_changed.notify_one();
        }
    }

    /// Rebuilds the ticket's clock from its events, acts on what fell due, stores the targets.
    pub async fn recompute(&self, tenant_id: Uuid, ticket_id: Uuid, now: DateTime<Utc>) {
        if let Err(err) = self.try_recompute(tenant_id, ticket_id, now).await {
            tracing::warn!(%err, %ticket_id, "sla: recomputing a ticket");
        }
    }

    async fn try_recompute(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), kefu_store::StoreError> {
        let store = &self.inner.store;
        let policies = policies_of(store, tenant_id).await?;
        let ticket = match store.ticket(tenant_id, ticket_id).await {
            Ok(ticket) => ticket,
            Err(kefu_store::StoreError::NotFound) => return Ok(()),
            Err(err) => return Err(err),
        };
        let tier = store
            .customer(tenant_id, ticket.requester_id)
            .await
            .ok()
            .map(|c| c.tier);
        let Some(policy) = facts_of(&ticket, tier).and_then(|f| match_policy(&policies, &f)) else {
            return store.save_ticket_sla(tenant_id, ticket_id, &[]).await;
        };
        let mut history = store
            .events_for_entities(tenant_id, &[ticket_id], TICKET_EVENTS)
            .await?;
        history.reverse();
        let mut clock = SlaClock::new(policy);
        let mut fired = Vec::new();
        for (at, fact) in replay(&history) {
            match clock.apply(at, fact) {
                Ok(events) => fired.extend(events),
                Err(err) => tracing::debug!(%err, %ticket_id, "sla: a fact the clock refused"),
            }
        }
        fired.extend(clock.evaluate(now));
        for event in fired {
            self.act(tenant_id, &ticket, policy, &event).await?;
        }
        let targets: Vec<TicketSlaTarget> = clock
            .targets(now)
            .into_iter()
            .map(|t| TicketSlaTarget {
                target: target_name(t.target).to_owned(),
                policy: policy.name.clone(),
                state: serde_json::to_value(t.state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                started_at: t.started_at,
                goal_secs: t.goal.num_seconds(),
                elapsed_secs: t.elapsed.num_seconds(),
                warn_at: t.warn_at,
                due_at: t.due_at,
                breached_at: t.breached_at,
                completed_at: t.completed_at,
            })
            .collect();
        store
            .save_ticket_sla(tenant_id, ticket_id, &targets)
            .await?;
        if let Some(at) = clock.next_wakeup(now) {
            self.schedule(at, tenant_id, ticket_id);
        }
        Ok(())
    }

    /// A warning or breach: logged once with who is to be told, then its escalations.
    async fn act(
        &self,
        tenant_id: Uuid,
        ticket: &Ticket,
        policy: &Policy,
        event: &SlaEvent,
    ) -> Result<(), kefu_store::StoreError> {
        let (mark, target, at) = match *event {
            SlaEvent::Warning { target, at } => ("warning", target, at),
            SlaEvent::Breached { target, at } => ("breach", target, at),
            SlaEvent::Met { .. } => return Ok(()),
        };
        let store = &self.inner.store;
        let name = target_name(target);
        if store
            .sla_marked(tenant_id, ticket.id, name, mark, at)
            .await?
        {
            return Ok(());
        }
        // Escalate first, so who is told follows the ticket where it now is; a crash before the
        // mark below escalates again on restart, which finds the work done and changes nothing.
        let actions = policy.actions_for(event);
        for action in &actions {
            let patch = match action {
                EscalationAction::Notify { .. } => continue,
                EscalationAction::RaisePriority { to } => {
                    let wanted = priority_name(*to);
                    let current = store.ticket(tenant_id, ticket.id).await?.priority;
                    if priority_rank(current.as_str()) >= priority_rank(wanted) {
                        continue;
                    }
                    TicketPatch {
                        priority: kefu_core::TicketPriority::parse(wanted),
                        ..TicketPatch::default()
                    }
                }
                EscalationAction::Reassign { group } => {
                    let groups = store.list_groups(tenant_id, None, 200).await?;
                    let Some(found) = groups.items.iter().find(|g| g.name == *group) else {
                        tracing::warn!(%group, "sla: escalation to a group that does not exist");
                        continue;
                    };
                    if store.ticket(tenant_id, ticket.id).await?.group_id == Some(found.id) {
                        continue;
                    }
                    TicketPatch {
                        group_id: Some(Some(found.id)),
                        ..TicketPatch::default()
                    }
                }
            };
            store
                .update_ticket(tenant_id, ticket.id, patch, &system())
                .await?;
        }
        let now_ticket = store.ticket(tenant_id, ticket.id).await?;
        let mut notify = Vec::new();
        for action in &actions {
            if let EscalationAction::Notify { to } = action {
                for recipient in to {
                    notify.extend(self.recipients(tenant_id, &now_ticket, recipient).await?);
                }
            }
        }
        notify.sort();
        notify.dedup();
        let payload = serde_json::json!({
            "ticket_id": ticket.id,
            "number": ticket.number,
            "target": name,
            "at": at,
            "policy": policy.name,
            "notify": notify,
        });
        store
            .mark_sla(tenant_id, ticket.id, name, mark, at, payload, &system())
            .await?;
        Ok(())
    }

    async fn recipients(
        &self,
        tenant_id: Uuid,
        ticket: &Ticket,
        recipient: &Recipient,
    ) -> Result<Vec<String>, kefu_store::StoreError> {
        Ok(match recipient {
            Recipient::Assignee => ticket
                .assignee_id
                .map(|id| id.to_string())
                .into_iter()
                .collect(),
            Recipient::GroupSupervisors => {
                let Some(group) = ticket.group_id else {
                    return Ok(Vec::new());
                };
                let filter = kefu_store::UserFilter {
                    group_id: Some(group),
                    ..Default::default()
                };
                self.inner
                    .store
                    .list_users(tenant_id, &filter, None, 200)
                    .await?
                    .items
                    .into_iter()
                    .filter(|u| u.role >= kefu_core::Role::Supervisor)
                    .map(|u| u.id.to_string())
                    .collect()
            }
            // A user named by email, told by id like the others (left as written if unknown).
            Recipient::User(who) => {
                let filter = kefu_store::UserFilter {
                    query: Some(who.clone()),
                    ..Default::default()
                };
                let found = self
                    .inner
                    .store
                    .list_users(tenant_id, &filter, None, 200)
                    .await?
                    .items
                    .into_iter()
                    .find(|u| u.email.eq_ignore_ascii_case(who));
                vec![found.map_or_else(|| who.clone(), |u| u.id.to_string())]
            }
        })
    }
}

/// The tenant's policies; ones that no longer parse (a newer format) are skipped, loudly.
pub async fn policies_of(
    store: &Store,
    tenant_id: Uuid,
) -> Result<Vec<Policy>, kefu_store::StoreError> {
    let raw = store.sla_policies(tenant_id).await?;
    let list = raw.as_array().cloned().unwrap_or_default();
    Ok(list
        .into_iter()
        .filter_map(|p| {
            serde_json::from_value::<Policy>(p)
                .map_err(|err| tracing::warn!(%err, "sla: a stored policy does not parse"))
                .ok()
        })
        .collect())
}

fn is_ticket_fact(event: &Event) -> bool {
    event.entity_type == "ticket"
        && matches!(
            event.kind.as_str(),
            "ticket.created" | "ticket.updated" | "ticket.comment_added"
        )
}

/// What policies match on: the ticket's priority, type and channel and the customer's tier.
fn facts_of(ticket: &Ticket, tier: Option<String>) -> Option<TicketFacts> {
    Some(TicketFacts {
        priority: serde_json::from_value(serde_json::json!(ticket.priority.as_str())).ok()?,
        tier,
        channel: channel_of(&ticket.channel),
        ticket_type: Some(ticket.ticket_type.as_str().to_owned()),
    })
}

fn channel_of(channel: &str) -> kefu_core::Channel {
    use kefu_core::Channel;
    match channel {
        "email" => Channel::Email,
        "phone" | "voice" => Channel::Voice,
        "web" | "chat" | "widget" | "app" => Channel::Chat,
        "wechat" | "weibo" | "social" => Channel::Social,
        _ => Channel::Ticket,
    }
}

fn target_name(target: TargetKind) -> &'static str {
    match target {
        TargetKind::FirstReply => "first_reply",
        TargetKind::NextReply => "next_reply",
        TargetKind::Resolution => "resolution",
    }
}

fn priority_name(priority: kefu_sla::Priority) -> &'static str {
    match priority {
        kefu_sla::Priority::Low => "low",
        kefu_sla::Priority::Normal => "normal",
        kefu_sla::Priority::High => "high",
        kefu_sla::Priority::Urgent => "urgent",
    }
}

fn priority_rank(name: &str) -> u8 {
    match name {
        "low" => 0,
        "normal" => 1,
        "high" => 2,
        _ => 3,
    }
}

fn is_done(status: &str) -> bool {
    matches!(status, "solved" | "closed")
}

/// The ticket's events as clock facts, in order. A customer's message that reopens a solved
/// ticket is logged before the reopening; the clock needs the reopening first, or the message
/// would find the ticket solved and start no next-reply target.
fn replay(history: &[Event]) -> Vec<(DateTime<Utc>, TicketFact)> {
    let mut facts = Vec::new();
    let mut status: Option<String> = None;
    let mut paused = false;
    let mut reopen_done = false;
    let mut last = None::<DateTime<Utc>>;
    for (i, event) in history.iter().enumerate() {
        // The clock refuses facts out of order; equal or later times only.
        let at = last.map_or(event.created_at, |l| l.max(event.created_at));
        last = Some(at);
        let payload = &event.payload.0;
        match event.kind.as_str() {
            "ticket.created" => {
                facts.push((at, TicketFact::Created));
                status = payload["ticket"]["status"].as_str().map(str::to_owned);
                if status.as_deref() == Some("pending_customer") {
                    facts.push((at, TicketFact::EnteredPendingCustomer));
                    paused = true;
                }
            }
            "ticket.comment_added" => {
                let comment = &payload["comment"];
                match comment["author_kind"].as_str() {
                    Some("agent") if comment["public"] == true => {
                        facts.push((at, TicketFact::AgentPublicReply));
                    }
                    Some("customer") => {
                        let reopens = history.get(i + 1).is_some_and(|next| {
                            next.kind == "ticket.updated"
                                && next.payload.0["changes"]["status"]["from"]
                                    .as_str()
                                    .is_some_and(is_done)
                                && next.payload.0["changes"]["status"]["to"]
                                    .as_str()
                                    .is_some_and(|to| !is_done(to))
                        });
                        if reopens && status.as_deref().is_some_and(is_done) {
                            facts.push((at, TicketFact::Reopened));
                            reopen_done = true;
                        }
                        facts.push((at, TicketFact::CustomerMessage));
                        // A customer's answer ends the wait on them.
                        paused = false;
                    }
                    _ => {}
                }
            }
            "ticket.updated" => {
                let change = &payload["changes"]["status"];
                if let (Some(from), Some(to)) = (change["from"].as_str(), change["to"].as_str()) {
                    if to == "pending_customer" && !paused {
                        facts.push((at, TicketFact::EnteredPendingCustomer));
                        paused = true;
                    } else if from == "pending_customer" && paused && !is_done(to) {
                        facts.push((at, TicketFact::LeftPendingCustomer));
                        paused = false;
                    }
                    if is_done(to) && !is_done(from) {
                        facts.push((at, TicketFact::Solved));
                        paused = false;
                    } else if is_done(from) && !is_done(to) && !std::mem::take(&mut reopen_done) {
                        facts.push((at, TicketFact::Reopened));
                    }
                    status = Some(to.to_owned());
                }
            }
            _ => {}
        }
    }
    facts
}
