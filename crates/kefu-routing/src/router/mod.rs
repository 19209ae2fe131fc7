//! The ACD engine: owns agents, queues, waiting interactions, timers and the
//! indexes between them, and turns every call into routing decisions.
//!
//! Every public call takes the caller's `now`. It first fires the timers due
//! by then (offer timeouts, wrap-up ends, relaxation steps, sticky expiry,
//! max wait), then does its own work. After every call the router is settled:
//! no waiting interaction is admissible to an agent who could take it, except
//! while a bounded sticky hold keeps it for one agent.

use crate::agent::AgentSlot;
use crate::config::{
    AgentSpec, InteractionSpec, MISSED_OFFERS_REASON, OverflowTarget, Presence, QueueSpec,
    RouterConfig, Strategy,
};
use crate::error::RoutingError;
use crate::interaction::{InteractionSlot, Status};
use crate::queue::{QueueSlot, WaitKey};
use crate::ready::ReadyIndex;
use crate::select::Candidates;
use crate::slab::{IdMap, Slab, id_map};
use crate::types::{AgentId, Channel, InteractionId, Millis, QueueId, SkillId};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

mod indexes;
mod queries;
mod routing;
mod timers;

pub use queries::{AgentView, InteractionStatus, InteractionView, Standing};
use timers::Timer;

/// Largest aging rate accepted, so scores stay inside `i64` for any epoch time.
const MAX_AGING_PER_SEC: u32 = 1_000_000;

/// What the router decided; the caller acts on these in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decision {
    /// A reservation: the agent should be alerted and accept or reject by `expires_at`.
    Offered {
        interaction: InteractionId,
        agent: AgentId,
        queue: QueueId,
        at: Millis,
        expires_at: Millis,
    },
    /// The agent has the interaction (auto-accept or an accepted offer).
    Assigned {
        interaction: InteractionId,
        agent: AgentId,
        queue: QueueId,
        at: Millis,
        /// Since the first enqueue, for reporting.
        waited: Millis,
    },
    OfferTimedOut {
        interaction: InteractionId,
        agent: AgentId,
        at: Millis,
    },
    AgentSetAway {
        agent: AgentId,
        reason: String,
        at: Millis,
    },
    Overflowed {
        interaction: InteractionId,
        from: QueueId,
        to: OverflowTarget,
        reason: OverflowReason,
        at: Millis,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OverflowReason {
    MaxLength,
    MaxWait,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferTarget {
    Queue(QueueId),
    Agent(AgentId),
}

#[derive(Debug, Clone, Copy)]
struct QueueHot {
    id: QueueId,
    head: Option<WaitKey>,
    aging_per_sec: u32,
    channel: Channel,
    channel_bit: u8,
    /// The skill every eligible agent holds (`QueueSlot::anchor`).
    anchor: Option<SkillId>,
    lifo: bool,
    /// Requirements change with waiting time (bullseye steps).
    relaxes: bool,
    /// Random strategy: every selection draws from the queue's stream.
    random: bool,
}

impl Default for QueueHot {
    fn default() -> Self {
        QueueHot {
            id: QueueId(0),
            head: None,
            aging_per_sec: 0,
            channel: Channel::Voice,
            channel_bit: 0,
            anchor: None,
            lifo: false,
            relaxes: false,
            random: false,
        }
    }
}

/// Best waiting interaction found for an agent so far: score, tie-break, slot.
type WorkCandidate = (i64, Reverse<u64>, u32);

#[derive(Debug)]
pub struct Router {
    config: RouterConfig,
    last_now: Millis,
    agents: Slab<AgentSlot>,
    agent_slots: IdMap<AgentId>,
    queues: Slab<QueueSlot>,
    queue_slots: IdMap<QueueId>,
    in_flight_per_queue: Vec<u32>,
    /// What a freed agent reads about each queue, by queue slot, packed so
    /// all queues fit in cache: the agent path rarely touches `queues`.
    queue_hot: Vec<QueueHot>,
    interactions: Slab<InteractionSlot>,
    interaction_slots: IdMap<InteractionId>,
    ready: ReadyIndex,
    timers: BinaryHeap<Reverse<Timer>>,
    next_token: u64,
    next_seq: u64,
    decisions: Vec<Decision>,
}

impl Router {
    pub fn new(config: RouterConfig) -> Result<Router, RoutingError> {
        config.validate()?;
        Ok(Router {
            config,
            last_now: Millis::ZERO,
            agents: Slab::default(),
            agent_slots: id_map(),
            queues: Slab::default(),
            queue_slots: id_map(),
            in_flight_per_queue: Vec::new(),
            queue_hot: Vec::new(),
            interactions: Slab::default(),
            interaction_slots: id_map(),
            ready: ReadyIndex::new(),
            timers: BinaryHeap::new(),
            next_token: 1,
            next_seq: 0,
            decisions: Vec::new(),
        })
    }

    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    /// Decisions made since the last drain, oldest first.
    pub fn drain_decisions(&mut self) -> std::vec::Drain<'_, Decision> {
        self.decisions.drain(..)
    }

    /// The earliest time at which `tick` has work to do (it may find none).
    pub fn next_deadline(&self) -> Option<Millis> {
        self.timers.peek().map(|Reverse(timer)| timer.at)
    }

    /// Fires the timers due by `now`.
    pub fn tick(&mut self, now: Millis) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        self.advance(now);
        Ok(())
    }

    // ----- queues -------------------------------------------------------

    pub fn add_queue(&mut self, spec: QueueSpec, now: Millis) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        self.validate_queue(&spec)?;
        if self.queue_slots.contains_key(&spec.id) {
            return Err(RoutingError::DuplicateQueue(spec.id));
        }
        self.advance(now);
        let id = spec.id;
        let slot = self.queues.insert(QueueSlot::new(spec, self.config.seed));
        self.queue_slots.insert(id, slot);
        let index = slot as usize;
        if self.in_flight_per_queue.len() <= index {
            self.in_flight_per_queue.resize(index + 1, 0);
            self.queue_hot.resize(index + 1, QueueHot::default());
        }
        self.in_flight_per_queue[index] = 0;
        self.sync_hot(slot);
        self.sync_channel_index();
        self.rebuild_membership(slot);
        self.serve_members(slot, now);
        self.advance(now);
        Ok(())
    }

    /// Replaces a queue's settings; its waiting interactions keep their place
    /// in time and are re-sorted and re-routed under the new rules.
    pub fn update_queue(&mut self, spec: QueueSpec, now: Millis) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        self.validate_queue(&spec)?;
        let slot = self.queue_slot(spec.id)?;
        self.advance(now);
        let waiting: Vec<u32> = self
            .queues
            .get_mut(slot)
            .map(|queue| {
                let slots = queue.take_all();
                queue.replace_spec(spec);
                slots
            })
            .unwrap_or_default();
        self.sync_hot(slot);
        self.sync_channel_index();
        for &interaction in &waiting {
            self.insert_waiting(interaction);
        }
        self.rebuild_membership(slot);
        for interaction in waiting {
            self.try_route(interaction, now);
            self.schedule_interaction(interaction, now);
        }
        self.serve_members(slot, now);
        self.advance(now);
        Ok(())
    }

    pub fn remove_queue(&mut self, id: QueueId, now: Millis) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        let slot = self.queue_slot(id)?;
        if self
            .in_flight_per_queue
            .get(slot as usize)
            .copied()
            .unwrap_or(0)
            > 0
        {
            return Err(RoutingError::QueueNotEmpty(id));
        }
        self.advance(now);
        if let Some(hot) = self.queue_hot.get_mut(slot as usize) {
            *hot = QueueHot::default();
        }
        self.sync_channel_index();
        if let Some(queue) = self.queues.remove(slot) {
            for member in queue.members {
                if let Some(agent) = self.agents.get_mut(member) {
                    agent.queues.retain(|&q| q != slot);
                }
                self.sync_ready_sets(member);
            }
        }
        self.queue_slots.remove(&id);
        Ok(())
    }

    // ----- agents -------------------------------------------------------

    pub fn add_agent(&mut self, spec: AgentSpec, now: Millis) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        spec.validate(self.config.skill_count)?;
        if self.agent_slots.contains_key(&spec.id) {
            return Err(RoutingError::DuplicateAgent(spec.id));
        }
        self.advance(now);
        let slot = self.agents.insert(AgentSlot::from_spec(&spec, now));
        self.agent_slots.insert(spec.id, slot);
        self.rebuild_agent_queues(slot);
        self.refresh_ready(slot, now);
        self.serve_agent(slot, now);
        self.advance(now);
        Ok(())
    }

    /// Replaces an agent's presence, skills, languages, groups, capacity and
    /// auto-accept; work in progress stays.
    pub fn update_agent(&mut self, spec: AgentSpec, now: Millis) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        spec.validate(self.config.skill_count)?;
        let slot = self.agent_slot(spec.id)?;
        self.advance(now);
        // Leave the ready index under the old skills before they change.
        let was_available = self
            .agents
            .get_mut(slot)
            .map(|agent| std::mem::replace(&mut agent.presence, Presence::Offline))
            == Some(Presence::Available);
        self.refresh_ready(slot, now);
        if let Some(agent) = self.agents.get_mut(slot) {
            if !was_available && spec.presence == Presence::Available {
                agent.idle_since = now;
                agent.missed_in_a_row = 0;
            }
            agent.apply_spec(&spec);
        }
        self.rebuild_agent_queues(slot);
        self.refresh_ready(slot, now);
        self.serve_agent(slot, now);
        self.advance(now);
        Ok(())
    }

    pub fn remove_agent(&mut self, id: AgentId, now: Millis) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        let slot = self.agent_slot(id)?;
        if self
            .agents
            .get(slot)
            .is_some_and(|agent| agent.total_load() > 0)
        {
            return Err(RoutingError::AgentBusy(id));
        }
        self.advance(now);
        if let Some(agent) = self.agents.get_mut(slot) {
            agent.presence = Presence::Offline;
        }
        self.refresh_ready(slot, now);
        let agent = self.agents.remove(slot);
        self.agent_slots.remove(&id);
        if let Some(agent) = agent {
            for queue in agent.queues {
                if let Some(queue) = self.queues.get_mut(queue) {
                    queue.members.retain(|&member| member != slot);
                }
            }
            for interaction in agent.sticky {
                if let Some(waiting) = self.interactions.get_mut(interaction) {
                    waiting.set_preferred(None);
                }
                self.try_route(interaction, now);
                self.schedule_interaction(interaction, now);
            }
        }
        // Slots are reused: forget this one in every declined list.
        for (_, interaction) in self.interactions.iter_mut() {
            interaction.forget_agent(slot);
        }
        self.advance(now);
        Ok(())
    }

    pub fn set_presence(
        &mut self,
        id: AgentId,
        presence: Presence,
        now: Millis,
    ) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        let slot = self.agent_slot(id)?;
        self.advance(now);
        if let Some(agent) = self.agents.get_mut(slot) {
            if agent.presence != Presence::Available && presence == Presence::Available {
                agent.idle_since = now;
                agent.missed_in_a_row = 0;
            }
            agent.presence = presence;
        }
        self.refresh_ready(slot, now);
        self.serve_agent(slot, now);
        self.advance(now);
        Ok(())
    }

    // ----- interactions -------------------------------------------------

    /// A new interaction enters a queue (or a waiting one is re-fed after a
    /// restart, with its original `enqueued_at`).
    pub fn enqueue(&mut self, spec: InteractionSpec, now: Millis) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        let (queue, preferred) = self.validate_interaction(&spec)?;
        self.advance(now);
        let slot = self.new_interaction(&spec, queue, now);
        if let Some(agent) = preferred {
            let cap = spec
                .enqueued_at
                .unwrap_or(now)
                .saturating_add(self.config.max_sticky_hold);
            let until = spec.preferred_agent.map_or(cap, |p| p.until.min(cap));
            self.hold_for(slot, agent, until);
        }
        self.place(slot, now);
        self.advance(now);
        Ok(())
    }

    /// Re-feeds an interaction an agent was already handling before a restart.
    pub fn restore_assignment(
        &mut self,
        spec: InteractionSpec,
        agent: AgentId,
        accepted_at: Millis,
        now: Millis,
    ) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        let (queue, _) = self.validate_interaction(&spec)?;
        let agent_slot = self.agent_slot(agent)?;
        let channel = self.queue_channel(queue);
        self.check_serves(agent_slot, channel)?;
        self.advance(now);
        let slot = self.new_interaction(&spec, queue, now);
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.status = Status::Assigned {
                agent: agent_slot,
                since: accepted_at,
            };
        }
        if let Some(agent) = self.agents.get_mut(agent_slot) {
            agent.load[channel.index()] += 1;
        }
        self.refresh_ready(agent_slot, now);
        self.advance(now);
        Ok(())
    }

    /// Gives an interaction (waiting, offered, or handled by someone else)
    /// straight to `agent`, whatever their free capacity: an agent taking a
    /// conversation from the list, or a supervisor assigning or taking over.
    /// A previous handler goes into wrap-up; a pending offer is withdrawn.
    pub fn assign_to(
        &mut self,
        id: InteractionId,
        agent: AgentId,
        now: Millis,
    ) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        let slot = self.interaction_slot(id)?;
        let agent_slot = self.agent_slot(agent)?;
        let channel = self
            .interactions
            .get(slot)
            .map_or(Channel::Voice, |i| self.queue_channel(i.queue));
        self.check_serves(agent_slot, channel)?;
        self.advance(now);
        // A timer may have ended it (max wait with "leave a message").
        let slot = self.interaction_slot(id)?;
        let freed = self.detach(slot, now);
        if let Some(agent) = self.agents.get_mut(agent_slot) {
            agent.load[channel.index()] += 1;
            agent.idle_since = now;
        }
        self.assign(slot, agent_slot, now);
        self.refresh_ready(agent_slot, now);
        self.serve_freed(freed.filter(|&freed| freed != agent_slot), now);
        self.advance(now);
        Ok(())
    }

    pub fn accept(
        &mut self,
        id: InteractionId,
        agent: AgentId,
        now: Millis,
    ) -> Result<(), RoutingError> {
        self.on_offer(id, agent, now, Self::assign)
    }

    pub fn reject(
        &mut self,
        id: InteractionId,
        agent: AgentId,
        now: Millis,
    ) -> Result<(), RoutingError> {
        self.on_offer(id, agent, now, Self::decline)
    }

    /// The agent finished; wrap-up on that channel starts now.
    pub fn complete(&mut self, id: InteractionId, now: Millis) -> Result<(), RoutingError> {
        let assigned = |s| matches!(s, Status::Assigned { .. });
        self.in_state(id, "assigned", assigned, now, |router, slot| {
            let freed = router.end_handling(slot, now);
            router.forget(slot);
            router.serve_freed(freed, now);
        })
    }

    /// The customer left before being answered (waiting or being offered).
    pub fn abandon(&mut self, id: InteractionId, now: Millis) -> Result<(), RoutingError> {
        let unanswered = |s| !matches!(s, Status::Assigned { .. });
        self.in_state(id, "waiting or offered", unanswered, now, |router, slot| {
            let freed = router.detach(slot, now);
            router.forget(slot);
            router.serve_freed(freed, now);
        })
    }

    /// Moves an interaction (waiting, offered or being handled) to another
    /// queue, or holds it for a named agent for `transfer_hold`.
    pub fn transfer(
        &mut self,
        id: InteractionId,
        target: TransferTarget,
        now: Millis,
    ) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        let slot = self.interaction_slot(id)?;
        let (queue, agent) = match target {
            TransferTarget::Queue(queue) => (Some(self.queue_slot(queue)?), None),
            TransferTarget::Agent(agent) => {
                let agent = self.agent_slot(agent)?;
                let channel = self
                    .interactions
                    .get(slot)
                    .map_or(Channel::Voice, |i| self.queue_channel(i.queue));
                self.check_serves(agent, channel)?;
                (None, Some(agent))
            }
        };
        self.advance(now);
        // A timer may have ended it (max wait with "leave a message").
        let slot = self.interaction_slot(id)?;
        let freed = self.detach(slot, now);
        let keep = self.config.transfer_keeps_enqueue_time;
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.clear_declines();
            if let Some(queue) = queue {
                let old = interaction.queue;
                interaction.queue = queue;
                interaction.queue_entered_at = now;
                interaction.ordered_by_first = keep;
                self.leave_queue_count(old);
                self.enter_queue_count(queue);
            }
        }
        if let Some(agent) = agent {
            self.hold_for(slot, agent, now.saturating_add(self.config.transfer_hold));
        }
        self.place(slot, now);
        self.serve_freed(freed, now);
        self.advance(now);
        Ok(())
    }

    /// Puts an offered or handled interaction back in its queue, in its old place.
    pub fn requeue(&mut self, id: InteractionId, now: Millis) -> Result<(), RoutingError> {
        let taken = |s| s != Status::Waiting;
        self.in_state(id, "offered or assigned", taken, now, |router, slot| {
            let freed = router.detach(slot, now);
            router.place(slot, now);
            router.serve_freed(freed, now);
        })
    }

    // ----- validation helpers ------------------------------------------

    /// Runs `act` on an interaction in an accepted state. The state is
    /// checked before time moves (a bad call changes nothing) and again
    /// if timers due by `now` fired (they may have moved it).
    fn in_state(
        &mut self,
        id: InteractionId,
        expected: &'static str,
        ok: impl Fn(Status) -> bool,
        now: Millis,
        act: impl FnOnce(&mut Self, u32),
    ) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        let mut slot = self.slot_in_state(id, expected, &ok)?;
        if self.advance(now) {
            slot = self.slot_in_state(id, expected, &ok)?;
        }
        act(self, slot);
        self.advance(now);
        Ok(())
    }

    /// Runs `act` on an offer of `id` to `agent`, checked like `in_state`.
    fn on_offer(
        &mut self,
        id: InteractionId,
        agent: AgentId,
        now: Millis,
        act: impl FnOnce(&mut Self, u32, u32, Millis),
    ) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        let mut slots = self.offered_to(id, agent)?;
        if self.advance(now) {
            slots = self.offered_to(id, agent)?;
        }
        let (slot, agent_slot) = slots;
        act(self, slot, agent_slot, now);
        self.advance(now);
        Ok(())
    }

    fn check_clock(&self, now: Millis) -> Result<(), RoutingError> {
        if now < self.last_now {
            return Err(RoutingError::ClockWentBackwards {
                last: self.last_now,
                now,
            });
        }
        Ok(())
    }

    fn validate_queue(&self, spec: &QueueSpec) -> Result<(), RoutingError> {
        spec.validate(self.config.skill_count)?;
        if spec.overflow == OverflowTarget::Queue(spec.id) {
            return Err(RoutingError::InvalidConfig(
                "a queue cannot overflow into itself",
            ));
        }
        if spec.aging_per_sec > MAX_AGING_PER_SEC {
            return Err(RoutingError::InvalidConfig("aging_per_sec above 1,000,000"));
        }
        Ok(())
    }

    fn validate_interaction(
        &self,
        spec: &InteractionSpec,
    ) -> Result<(u32, Option<u32>), RoutingError> {
        spec.validate(self.config.skill_count)?;
        if self.interaction_slots.contains_key(&spec.id) {
            return Err(RoutingError::DuplicateInteraction(spec.id));
        }
        let queue = self.queue_slot(spec.queue)?;
        let preferred = match spec.preferred_agent {
            Some(preferred) => Some(self.agent_slot(preferred.agent)?),
            None => None,
        };
        Ok((queue, preferred))
    }

    fn agent_slot(&self, id: AgentId) -> Result<u32, RoutingError> {
        self.agent_slots
            .get(&id)
            .copied()
            .ok_or(RoutingError::UnknownAgent(id))
    }

    fn queue_slot(&self, id: QueueId) -> Result<u32, RoutingError> {
        self.queue_slots
            .get(&id)
            .copied()
            .ok_or(RoutingError::UnknownQueue(id))
    }

    fn interaction_slot(&self, id: InteractionId) -> Result<u32, RoutingError> {
        self.interaction_slots
            .get(&id)
            .copied()
            .ok_or(RoutingError::UnknownInteraction(id))
    }

    fn queue_channel(&self, queue: u32) -> Channel {
        self.queue_hot
            .get(queue as usize)
            .map_or(Channel::Voice, |hot| hot.channel)
    }

    fn queue_id(&self, queue: u32) -> QueueId {
        self.queue_hot
            .get(queue as usize)
            .map_or(QueueId(0), |hot| hot.id)
    }

    fn check_serves(&self, agent: u32, channel: Channel) -> Result<(), RoutingError> {
        match self.agents.get(agent) {
            Some(slot) if slot.capacity[channel.index()] > 0 => Ok(()),
            Some(slot) => Err(RoutingError::ChannelNotServed {
                agent: slot.id,
                channel,
            }),
            None => Err(RoutingError::InvalidConfig("agent slot missing")),
        }
    }

    /// The interaction's slot if its status is one `ok` accepts.
    fn slot_in_state(
        &self,
        id: InteractionId,
        expected: &'static str,
        ok: impl Fn(Status) -> bool,
    ) -> Result<u32, RoutingError> {
        let slot = self.interaction_slot(id)?;
        let status = self
            .interactions
            .get(slot)
            .map(|interaction| interaction.status)
            .ok_or(RoutingError::UnknownInteraction(id))?;
        if ok(status) {
            Ok(slot)
        } else {
            Err(RoutingError::WrongInteractionState {
                interaction: id,
                expected,
                actual: status.name(),
            })
        }
    }

    fn offered_to(&self, id: InteractionId, agent: AgentId) -> Result<(u32, u32), RoutingError> {
        let slot = self.interaction_slot(id)?;
        let agent_slot = self.agent_slot(agent)?;
        let status = self
            .interactions
            .get(slot)
            .map(|interaction| interaction.status)
            .ok_or(RoutingError::UnknownInteraction(id))?;
        match status {
            Status::Offered { agent: offered, .. } if offered == agent_slot => {
                Ok((slot, agent_slot))
            }
            Status::Offered { .. } => Err(RoutingError::NotOfferedToAgent {
                interaction: id,
                agent,
            }),
            other => Err(RoutingError::WrongInteractionState {
                interaction: id,
                expected: "offered",
                actual: other.name(),
            }),
        }
    }
}
