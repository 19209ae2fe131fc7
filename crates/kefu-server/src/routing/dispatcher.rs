//! One tenant's router at work: a task that owns the routing engine, rebuilds it from the
//! database, follows the event log to keep it in step, and writes its decisions back.
//!
//! The database is the truth; the engine decides. Every change anyone makes (a new
//! conversation, a take, a resolve, a presence switch) reaches the engine through the log,
//! where the task re-reads the conversation or user and moves the engine to match. The
//! engine's own decisions (offers, assignments, lapsed offers) are written as guarded moves;
//! one refused because the conversation changed meanwhile is simply realigned.

use super::model::{Model, datetime, engine_tier, millis};
use super::{LiveAgent, LiveQueue, LiveView, QueueStanding, RoutingSettings, TransferTo};
use crate::error::{ApiError, ApiResult};
use axum::http::StatusCode;
use kefu_core::{ConversationStatus, MessageKind, PresenceState, SenderKind, TierSet};
use kefu_routing::{
    AgentId, Channel, Decision, InteractionId, InteractionStatus, Millis, Presence, QueueId,
    Router, RouterConfig, RoutingError, TransferTarget,
};
use kefu_store::{
    Actor, Conversation, ConversationMove, Event, NewMessage, Store, StoreError, UserFilter,
};
use std::sync::Arc;
use tokio::sync::{Notify, mpsc, oneshot, watch};
use uuid::Uuid;

/// How many log events one read takes.
const LOG_BATCH: u32 = 500;
/// Decisions feed back into the engine only through realignment, which settles quickly; this
/// bounds a pathological loop instead of spinning forever.
const MAX_SETTLE_ROUNDS: usize = 10_000;

pub(crate) enum Command {
    Accept {
        conversation: Uuid,
        agent: Uuid,
        reply: oneshot::Sender<ApiResult<Conversation>>,
    },
    Reject {
        conversation: Uuid,
        agent: Uuid,
        reply: oneshot::Sender<ApiResult<Conversation>>,
    },
    Transfer {
        conversation: Uuid,
        to: TransferTo,
        note: Option<String>,
        actor: Actor,
        reply: oneshot::Sender<ApiResult<Conversation>>,
    },
    Standing {
        conversation: Uuid,
        reply: oneshot::Sender<Option<QueueStanding>>,
    },
    Live {
        reply: oneshot::Sender<LiveView>,
    },
}

pub(crate) struct Dispatcher {
    tenant_id: Uuid,
    store: Store,
    router: Router,
    model: Model,
    tiers: TierSet,
    after_seq: i64,
    last_now: Millis,
    system: Actor,
}

impl Dispatcher {
    /// Builds the engine from the database: queues from inboxes, agents from users, then the
    /// conversations agents hold and those waiting, in the order they joined the queue. A
    /// lapsed or pending offer from before is voided: its conversation waits again.
    pub(crate) async fn start(
        tenant_id: Uuid,
        store: Store,
        settings: &RoutingSettings,
        boot: bool,
    ) -> Result<Dispatcher, StoreError> {
        let system = Actor::system();
        if boot {
            store.reset_presence(tenant_id, &system).await?;
        }
        let after_seq = store.last_event_seq(tenant_id).await?;
        let tiers = store.tenant(tenant_id).await?.settings.0.tiers;
        let config = RouterConfig {
            offer_timeout: Millis(u64::try_from(settings.offer_timeout.as_millis()).unwrap_or(0)),
            max_missed_offers: settings.max_missed_offers,
            ..RouterConfig::default()
        };
        let router = Router::new(config).map_err(|err| StoreError::Unavailable(err.to_string()))?;
        let mut dispatcher = Dispatcher {
            tenant_id,
            store,
            router,
            model: Model::new(),
            tiers,
            after_seq,
            last_now: Millis::ZERO,
            system,
        };
        dispatcher.load_queues().await?;
        dispatcher.load_agents().await?;
        let conversations = dispatcher.store.routable_conversations(tenant_id).await?;
        let (held, waiting): (Vec<_>, Vec<_>) = conversations
            .into_iter()
            .partition(|c| c.status == ConversationStatus::Assigned);
        for conversation in &held {
            dispatcher.sync(conversation).await;
        }
        for mut conversation in waiting {
            if conversation.status == ConversationStatus::Offered {
                let void = ConversationMove {
                    expected: Some(ConversationStatus::Offered),
                    reason: Some("server_restarted"),
                    ..ConversationMove::to(ConversationStatus::Queued)
                };
                match dispatcher
                    .store
                    .move_conversation(tenant_id, conversation.id, void, &dispatcher.system)
                    .await
                {
                    Ok(requeued) => conversation = requeued,
                    Err(err) => tracing::warn!(%err, "voiding an offer from before the restart"),
                }
            }
            dispatcher.sync(&conversation).await;
        }
        dispatcher.settle().await;
        Ok(dispatcher)
    }

    pub(crate) async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        poke: Arc<Notify>,
        mut closing: watch::Receiver<bool>,
    ) {
        // Anything committed while the engine was being built.
        self.follow_log().await;
        loop {
            let wait = self.router.next_deadline().map(|deadline| {
                std::time::Duration::from_millis(deadline.0.saturating_sub(self.clock().0))
            });
            tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                () = poke.notified() => self.follow_log().await,
                () = sleep_for(wait) => self.tick().await,
                changed = closing.changed() => if changed.is_err() || *closing.borrow() { break },
            }
        }
    }

    /// Now, never before the last time the engine saw (the wall clock may step back).
    fn clock(&mut self) -> Millis {
        self.last_now = millis(chrono::Utc::now()).max(self.last_now);
        self.last_now
    }

    async fn tick(&mut self) {
        let now = self.clock();
        if let Err(err) = self.router.tick(now) {
            tracing::warn!(%err, "routing tick");
        }
        self.settle().await;
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Accept {
                conversation,
                agent,
                reply,
            } => {
                let result = self.accept(conversation, agent).await;
                let _ = reply.send(result);
            }
            Command::Reject {
                conversation,
                agent,
                reply,
            } => {
                let result = self.reject(conversation, agent).await;
                let _ = reply.send(result);
            }
            Command::Transfer {
                conversation,
                to,
                note,
                actor,
                reply,
            } => {
                let result = self.transfer(conversation, to, note, &actor).await;
                let _ = reply.send(result);
            }
            Command::Standing {
                conversation,
                reply,
            } => {
                let _ = reply.send(self.standing(conversation));
            }
            Command::Live { reply } => {
                let _ = reply.send(self.live());
            }
        }
    }

    // ----- agents' answers to offers ------------------------------------

    fn offered_ids(&self, conversation: Uuid, agent: Uuid) -> ApiResult<(InteractionId, AgentId)> {
        let interaction = self
            .model
            .conversations
            .known(&conversation)
            .map(InteractionId);
        match (interaction, self.model.agent_id(agent)) {
            (Some(interaction), Some(agent)) => Ok((interaction, agent)),
            _ => Err(offer_gone()),
        }
    }

    async fn accept(&mut self, conversation: Uuid, agent: Uuid) -> ApiResult<Conversation> {
        let (interaction, agent_id) = self.offered_ids(conversation, agent)?;
        let now = self.clock();
        self.router
            .accept(interaction, agent_id, now)
            .map_err(|err| offer_error(&err))?;
        self.settle().await;
        let after = self
            .store
            .conversation(self.tenant_id, conversation)
            .await?;
        if after.status == ConversationStatus::Assigned && after.assignee_id == Some(agent) {
            Ok(after)
        } else {
            Err(offer_gone())
        }
    }

    async fn reject(&mut self, conversation: Uuid, agent: Uuid) -> ApiResult<Conversation> {
        let (interaction, agent_id) = self.offered_ids(conversation, agent)?;
        let now = self.clock();
        self.router
            .reject(interaction, agent_id, now)
            .map_err(|err| offer_error(&err))?;
        // The engine may already have offered it to the next agent: record the rejection first.
        let decisions: Vec<Decision> = self.router.drain_decisions().collect();
        let requeue = ConversationMove {
            expected: Some(ConversationStatus::Offered),
            reason: Some("offer_rejected"),
            ..ConversationMove::to(ConversationStatus::Queued)
        };
        let result = self
            .store
            .move_conversation(self.tenant_id, conversation, requeue, &self.system)
            .await;
        for decision in decisions {
            self.persist(decision).await;
        }
        self.settle().await;
        match result {
            Ok(_) => Ok(self
                .store
                .conversation(self.tenant_id, conversation)
                .await?),
            Err(err) => {
                self.realign(conversation).await;
                Err(err.into())
            }
        }
    }

    /// Hands a conversation to a named agent (held for them a while, then anyone) or to
    /// another queue of its inbox, with an optional note for the next agent.
    async fn transfer(
        &mut self,
        conversation: Uuid,
        to: TransferTo,
        note: Option<String>,
        actor: &Actor,
    ) -> ApiResult<Conversation> {
        let current = self
            .store
            .conversation(self.tenant_id, conversation)
            .await?;
        if !matches!(
            current.status,
            ConversationStatus::Queued | ConversationStatus::Offered | ConversationStatus::Assigned
        ) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "invalid_transition",
                format!(
                    "a {} conversation cannot be transferred",
                    current.status.as_str()
                ),
            ));
        }
        let (target, topic) = match &to {
            TransferTo::Agent(agent) => {
                let agent_id = self.model.agent_id(*agent).ok_or_else(|| {
                    kefu_core::ValidationErrors::single(
                        "agent_id",
                        "not_routable",
                        "this user takes no chats (inactive or without chat capacity)",
                    )
                })?;
                (TransferTarget::Agent(agent_id), None)
            }
            TransferTo::Topic(topic) => {
                let inbox = self.store.inbox(self.tenant_id, current.inbox_id).await?;
                if let Some(key) = topic
                    && !inbox.settings.topics.iter().any(|t| &t.key == key)
                {
                    return Err(kefu_core::ValidationErrors::single(
                        "topic",
                        "unknown_topic",
                        "not one of this inbox's topics",
                    )
                    .into());
                }
                let probe = Conversation {
                    topic: topic.clone(),
                    ..current.clone()
                };
                let queue = self.model.queue_of(&probe).ok_or_else(ApiError::internal)?;
                (TransferTarget::Queue(queue), Some(topic.clone()))
            }
        };
        if let Some(body) = note.filter(|n| !n.trim().is_empty()) {
            let inbox = self.store.inbox(self.tenant_id, current.inbox_id).await?;
            self.store
                .post_message(
                    self.tenant_id,
                    conversation,
                    NewMessage {
                        sender_kind: SenderKind::Agent,
                        sender_id: actor.id,
                        kind: MessageKind::Note,
                        body,
                        client_msg_id: None,
                        attachment_ids: Vec::new(),
                    },
                    inbox.settings.reopen_window_secs,
                    actor,
                )
                .await?;
        }
        let change = ConversationMove {
            expected: Some(current.status),
            reason: Some("transferred"),
            topic,
            ..ConversationMove::to(ConversationStatus::Queued)
        };
        let moved = self
            .store
            .move_conversation(self.tenant_id, conversation, change, actor)
            .await?;
        let now = self.clock();
        let interaction = self
            .model
            .conversations
            .known(&conversation)
            .map(InteractionId);
        let transferred = match interaction {
            Some(interaction) => self.router.transfer(interaction, target, now),
            None => Err(RoutingError::UnknownInteraction(InteractionId(0))),
        };
        if let Err(err) = transferred {
            tracing::warn!(%err, "transfer in the engine; realigning");
            self.sync(&moved).await;
        }
        self.settle().await;
        Ok(self
            .store
            .conversation(self.tenant_id, conversation)
            .await?)
    }

    fn standing(&self, conversation: Uuid) -> Option<QueueStanding> {
        let interaction = self.model.conversations.known(&conversation)?;
        let standing = self.router.standing(InteractionId(interaction)).ok()?;
        Some(QueueStanding {
            position: standing.position,
            waiting: standing.waiting_in_queue,
            estimated_wait_secs: standing.estimated_wait.map(|w| w.0.div_ceil(1000)),
        })
    }

    fn live(&mut self) -> LiveView {
        let now = self.clock();
        let mut queues = Vec::new();
        let mut number = 0;
        while let Some(key) = self.model.queues.key(number).cloned() {
            let waiting = self.router.waiting_in(QueueId(number)).unwrap_or_default();
            let longest = waiting
                .iter()
                .filter_map(|id| self.router.interaction(*id).ok())
                .map(|view| now.saturating_sub(view.first_enqueued_at))
                .max();
            let estimated = waiting
                .last()
                .and_then(|last| self.router.standing(*last).ok())
                .and_then(|standing| standing.estimated_wait);
            queues.push(LiveQueue {
                inbox_id: key.inbox_id,
                topic: key.topic,
                waiting: waiting.len() as u32,
                longest_wait_secs: longest.map(|w| w.0 / 1000),
                estimated_wait_secs: estimated.map(|w| w.0.div_ceil(1000)),
            });
            number += 1;
        }
        let mut agents = Vec::new();
        let mut number = 0;
        while let Some(user) = self.model.agent_uuid(AgentId(number)) {
            if let Ok(view) = self.router.agent(AgentId(number)) {
                let chat = Channel::Chat.index();
                let (presence, reason) = match &view.presence {
                    Presence::Offline => ("offline", None),
                    Presence::Available => ("available", None),
                    Presence::Away { reason } => ("away", Some(reason.clone())),
                };
                agents.push(LiveAgent {
                    agent_id: user,
                    presence: presence.to_owned(),
                    reason,
                    chats: view.load[chat],
                    chat_capacity: view.capacity[chat],
                    takes_offers: view.offerable.contains(&Channel::Chat),
                    // The store knows when; the route adds it.
                    presence_since: None,
                });
            }
            number += 1;
        }
        LiveView { queues, agents }
    }

    // ----- following the log ---------------------------------------------

    async fn follow_log(&mut self) {
        loop {
            let events = match self
                .store
                .events_since(self.tenant_id, self.after_seq, LOG_BATCH)
                .await
            {
                Ok(events) => events,
                Err(err) => {
                    tracing::warn!(%err, "routing could not read the event log");
                    return;
                }
            };
            if events.is_empty() {
                return;
            }
            for event in events {
                self.after_seq = event.seq;
                self.on_event(&event).await;
                self.settle().await;
            }
        }
    }

    async fn on_event(&mut self, event: &Event) {
        let Some(entity) = event.entity_id else {
            return;
        };
        match (event.entity_type.as_str(), event.kind.as_str()) {
            // Reads and ratings change nothing the router follows.
            ("conversation", "conversation.read" | "conversation.rated") => {}
            ("conversation", kind) if kind.starts_with("conversation.") => {
                self.realign(entity).await;
            }
            ("user", _) => self.reload_agent(entity).await,
            ("group", _) => {
                if let Err(err) = self.load_agents().await {
                    tracing::warn!(%err, "reloading agents after a group change");
                }
            }
            ("inbox", _) => match self.store.inbox(self.tenant_id, entity).await {
                Ok(inbox) => self.add_queues(&inbox),
                Err(err) => tracing::warn!(%err, "loading an inbox for routing"),
            },
            ("tenant", "tenant.updated") => match self.store.tenant(self.tenant_id).await {
                Ok(tenant) => self.tiers = tenant.settings.0.tiers,
                Err(err) => tracing::warn!(%err, "reloading tiers"),
            },
            _ => {}
        }
    }

    async fn load_queues(&mut self) -> Result<(), StoreError> {
        for inbox in self.store.list_inboxes(self.tenant_id).await? {
            self.add_queues(&inbox);
        }
        Ok(())
    }

    fn add_queues(&mut self, inbox: &kefu_store::Inbox) {
        let now = self.clock();
        for spec in self.model.queue_specs(inbox) {
            let known = self.router.waiting_in(spec.id).is_ok();
            let result = if known {
                self.router.update_queue(spec, now)
            } else {
                self.router.add_queue(spec, now)
            };
            if let Err(err) = result {
                tracing::warn!(%err, "routing queue of inbox {}", inbox.id);
            }
        }
    }

    async fn load_agents(&mut self) -> Result<(), StoreError> {
        let mut after = None;
        loop {
            let filter = UserFilter {
                include_inactive: true,
                ..UserFilter::default()
            };
            let page = self
                .store
                .list_users(self.tenant_id, &filter, after, 200)
                .await?;
            for user in &page.items {
                self.apply_agent(user);
            }
            match page.next_after {
                Some(next) => after = Some(next),
                None => return Ok(()),
            }
        }
    }

    async fn reload_agent(&mut self, user: Uuid) {
        match self.store.user(self.tenant_id, user).await {
            Ok(user) => self.apply_agent(&user),
            Err(err) => tracing::warn!(%err, "loading an agent for routing"),
        }
    }

    /// Adds, updates or (when they no longer take chats) removes an agent in the engine.
    fn apply_agent(&mut self, user: &kefu_store::User) {
        let now = self.clock();
        let known = self.model.agent_id(user.id);
        let result = match (self.model.agent_spec(user), known) {
            (Some(spec), Some(_)) if self.router.agent(spec.id).is_ok() => {
                self.router.update_agent(spec, now)
            }
            (Some(spec), _) => self.router.add_agent(spec, now),
            (None, Some(id)) if self.router.agent(id).is_ok() => {
                match self.router.remove_agent(id, now) {
                    // Still holding conversations: keep them counted, take no new ones.
                    Err(RoutingError::AgentBusy(_)) => {
                        self.router.set_presence(id, Presence::Offline, now)
                    }
                    other => other,
                }
            }
            (None, _) => Ok(()),
        };
        if let Err(err) = result {
            tracing::warn!(%err, user = %user.id, "routing agent");
        }
    }

    /// Re-reads a conversation and moves the engine to match it.
    async fn realign(&mut self, conversation: Uuid) {
        match self.store.conversation(self.tenant_id, conversation).await {
            Ok(current) => self.sync(&current).await,
            Err(StoreError::NotFound) => self.forget(conversation),
            Err(err) => tracing::warn!(%err, "reading a conversation for routing"),
        }
    }

    fn forget(&mut self, conversation: Uuid) {
        let Some(interaction) = self.model.conversations.known(&conversation) else {
            return;
        };
        let interaction = InteractionId(interaction);
        let now = self.clock();
        let ended = match self.router.interaction(interaction).map(|v| v.status) {
            Ok(InteractionStatus::Assigned { .. }) => self.router.complete(interaction, now),
            Ok(_) => self.router.abandon(interaction, now),
            Err(_) => Ok(()),
        };
        if let Err(err) = ended {
            tracing::warn!(%err, "ending an interaction");
        }
    }

    /// Makes the engine agree with the conversation as stored.
    async fn sync(&mut self, current: &Conversation) {
        let interaction = self
            .model
            .conversations
            .known(&current.id)
            .map(InteractionId);
        let status = interaction.and_then(|i| self.router.interaction(i).ok().map(|v| v.status));
        let now = self.clock();
        let result = match current.status {
            ConversationStatus::Queued | ConversationStatus::Offered => match (interaction, status)
            {
                (Some(interaction), Some(InteractionStatus::Assigned { .. })) => {
                    self.router.requeue(interaction, now)
                }
                (_, None) => self.enqueue(current).await,
                // Waiting or offered: the engine leads, the store follows its decisions.
                (_, Some(_)) => Ok(()),
            },
            ConversationStatus::Assigned => {
                let agent = current.assignee_id.and_then(|u| self.model.agent_id(u));
                match (agent, interaction.zip(status)) {
                    (None, _) => {
                        // Served by someone who takes no routed chats: nothing to count.
                        self.forget(current.id);
                        Ok(())
                    }
                    (Some(agent), Some((_, InteractionStatus::Assigned { agent: a, .. })))
                        if a == agent =>
                    {
                        Ok(())
                    }
                    (Some(agent), Some((interaction, _))) => {
                        self.router.assign_to(interaction, agent, now)
                    }
                    (Some(agent), None) => self.restore(current, agent).await,
                }
            }
            ConversationStatus::Bot | ConversationStatus::WrapUp | ConversationStatus::Resolved => {
                self.forget(current.id);
                Ok(())
            }
        };
        if let Err(err) = result {
            tracing::warn!(%err, conversation = %current.id, "routing could not follow a conversation");
        }
    }

    async fn interaction_spec(
        &mut self,
        conversation: &Conversation,
    ) -> Result<kefu_routing::InteractionSpec, RoutingError> {
        if self.model.queue_of(conversation).is_none()
            && let Err(err) = self.load_queues().await
        {
            tracing::warn!(%err, "reloading inboxes for routing");
        }
        let queue = self
            .model
            .queue_of(conversation)
            .ok_or(RoutingError::UnknownQueue(QueueId(u64::MAX)))?;
        let tier = match self
            .store
            .customer(self.tenant_id, conversation.customer_id)
            .await
        {
            Ok(customer) => engine_tier(&self.tiers, &customer.tier),
            Err(_) => kefu_routing::Tier::Normal,
        };
        Ok(self.model.interaction_spec(conversation, queue, tier))
    }

    async fn enqueue(&mut self, conversation: &Conversation) -> Result<(), RoutingError> {
        let spec = self.interaction_spec(conversation).await?;
        let now = self.clock();
        self.router.enqueue(spec, now)
    }

    async fn restore(
        &mut self,
        conversation: &Conversation,
        agent: AgentId,
    ) -> Result<(), RoutingError> {
        let spec = self.interaction_spec(conversation).await?;
        let now = self.clock();
        let since = millis(conversation.updated_at).min(now);
        self.router.restore_assignment(spec, agent, since, now)
    }

    // ----- writing decisions back ----------------------------------------

    async fn settle(&mut self) {
        for _ in 0..MAX_SETTLE_ROUNDS {
            let decisions: Vec<Decision> = self.router.drain_decisions().collect();
            if decisions.is_empty() {
                return;
            }
            for decision in decisions {
                self.persist(decision).await;
            }
        }
        tracing::error!(tenant = %self.tenant_id, "routing decisions did not settle");
    }

    async fn persist(&mut self, decision: Decision) {
        let tenant = self.tenant_id;
        match decision {
            Decision::Offered {
                interaction,
                agent,
                expires_at,
                ..
            } => {
                let (Some(conversation), Some(user)) = (
                    self.model.conversation_uuid(interaction),
                    self.model.agent_uuid(agent),
                ) else {
                    return;
                };
                let offer = ConversationMove {
                    assignee_id: Some(user),
                    expected: Some(ConversationStatus::Queued),
                    offer_expires_at: Some(datetime(expires_at)),
                    ..ConversationMove::to(ConversationStatus::Offered)
                };
                self.write(conversation, offer).await;
            }
            Decision::Assigned {
                interaction, agent, ..
            } => {
                let (Some(conversation), Some(user)) = (
                    self.model.conversation_uuid(interaction),
                    self.model.agent_uuid(agent),
                ) else {
                    return;
                };
                let current = match self.store.conversation(tenant, conversation).await {
                    Ok(current) => current,
                    Err(err) => {
                        tracing::warn!(%err, "reading a conversation to assign");
                        return;
                    }
                };
                if current.status == ConversationStatus::Assigned
                    && current.assignee_id == Some(user)
                {
                    return;
                }
                if !matches!(
                    current.status,
                    ConversationStatus::Queued | ConversationStatus::Offered
                ) {
                    self.sync(&current).await;
                    return;
                }
                let assign = ConversationMove {
                    assignee_id: Some(user),
                    expected: Some(current.status),
                    ..ConversationMove::to(ConversationStatus::Assigned)
                };
                self.write(conversation, assign).await;
            }
            Decision::OfferTimedOut { interaction, .. } => {
                let Some(conversation) = self.model.conversation_uuid(interaction) else {
                    return;
                };
                let requeue = ConversationMove {
                    expected: Some(ConversationStatus::Offered),
                    reason: Some("offer_timed_out"),
                    ..ConversationMove::to(ConversationStatus::Queued)
                };
                self.write(conversation, requeue).await;
            }
            Decision::AgentSetAway { agent, reason, .. } => {
                let Some(user) = self.model.agent_uuid(agent) else {
                    return;
                };
                let away = kefu_core::Presence {
                    state: PresenceState::Away,
                    reason: Some(reason),
                };
                if let Err(err) = self
                    .store
                    .set_presence(tenant, user, &away, &self.system)
                    .await
                {
                    tracing::warn!(%err, "setting an agent away after missed offers");
                }
            }
            Decision::Overflowed { interaction, .. } => {
                // Queues here have no length or wait limits yet, so nothing overflows.
                tracing::warn!(?interaction, "unexpected overflow");
            }
        }
    }

    async fn write(&mut self, conversation: Uuid, change: ConversationMove) {
        let result = self
            .store
            .move_conversation(self.tenant_id, conversation, change, &self.system)
            .await;
        if let Err(err) = result {
            // Someone changed it first (resolved it, took it): follow what is stored.
            tracing::debug!(%err, %conversation, "routing decision overtaken; realigning");
            self.realign(conversation).await;
        }
    }
}

async fn sleep_for(wait: Option<std::time::Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

fn offer_gone() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "offer_not_available",
        "this offer is no longer yours: it lapsed, was withdrawn or was taken",
    )
}

fn offer_error(err: &RoutingError) -> ApiError {
    tracing::debug!(%err, "offer answer refused");
    offer_gone()
}
