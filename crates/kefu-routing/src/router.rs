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
    RouterConfig,
};
use crate::error::RoutingError;
use crate::interaction::{InteractionSlot, Status};
use crate::queue::{QueueSlot, WaitKey};
use crate::ready::ReadyIndex;
use crate::select::Candidates;
use crate::slab::{IdMap, Slab, id_map};
use crate::types::{AgentId, Channel, InteractionId, Millis, QueueId};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentView {
    pub id: AgentId,
    pub presence: Presence,
    pub capacity: [u16; Channel::COUNT],
    pub load: [u16; Channel::COUNT],
    pub wrap_up_until: [Millis; Channel::COUNT],
    pub idle_since: Millis,
    pub missed_in_a_row: u32,
    /// Channels on which the agent would take an offer right now.
    pub offerable: Vec<Channel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum InteractionStatus {
    Waiting,
    Offered { agent: AgentId, expires_at: Millis },
    Assigned { agent: AgentId, since: Millis },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InteractionView {
    pub id: InteractionId,
    pub queue: QueueId,
    pub channel: Channel,
    pub status: InteractionStatus,
    pub first_enqueued_at: Millis,
    pub queue_entered_at: Millis,
    pub preferred_agent: Option<AgentId>,
}

/// Where a waiting interaction stands: 1-based position in its queue's order
/// and the estimated wait from recent handle times and agents staffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Standing {
    pub position: u32,
    pub waiting_in_queue: u32,
    /// `None` while nobody who serves the queue is logged in.
    pub estimated_wait: Option<Millis>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TimerTarget {
    Agent(u32),
    Interaction(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Timer {
    at: Millis,
    token: u64,
    target: TimerTarget,
}

#[derive(Debug, Clone, Copy, Default)]
struct QueueHot {
    head: Option<WaitKey>,
    aging_per_sec: u32,
    channel_bit: u8,
    lifo: bool,
    /// Requirements change with waiting time (bullseye steps).
    relaxes: bool,
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
        if let Some(queue) = self.queues.remove(slot) {
            for member in queue.members {
                if let Some(agent) = self.agents.get_mut(member) {
                    agent.queues.retain(|&q| q != slot);
                }
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
                    waiting.preferred = None;
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

    pub fn accept(
        &mut self,
        id: InteractionId,
        agent: AgentId,
        now: Millis,
    ) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        self.offered_to(id, agent)?;
        self.advance(now);
        // The offer may have timed out while the timers caught up.
        let (slot, agent_slot) = self.offered_to(id, agent)?;
        self.assign(slot, agent_slot, now);
        self.advance(now);
        Ok(())
    }

    pub fn reject(
        &mut self,
        id: InteractionId,
        agent: AgentId,
        now: Millis,
    ) -> Result<(), RoutingError> {
        self.check_clock(now)?;
        self.offered_to(id, agent)?;
        self.advance(now);
        let (slot, agent_slot) = self.offered_to(id, agent)?;
        self.decline(slot, agent_slot, now);
        self.advance(now);
        Ok(())
    }

    /// The agent finished; wrap-up on that channel starts now.
    pub fn complete(&mut self, id: InteractionId, now: Millis) -> Result<(), RoutingError> {
        let assigned = |s| matches!(s, Status::Assigned { .. });
        self.check_clock(now)?;
        self.slot_in_state(id, "assigned", assigned)?;
        self.advance(now);
        let slot = self.slot_in_state(id, "assigned", assigned)?;
        let freed = self.end_handling(slot, now);
        self.forget(slot);
        self.serve_freed(freed, now);
        self.advance(now);
        Ok(())
    }

    /// The customer left before being answered (waiting or being offered).
    pub fn abandon(&mut self, id: InteractionId, now: Millis) -> Result<(), RoutingError> {
        let unanswered = |s| !matches!(s, Status::Assigned { .. });
        self.check_clock(now)?;
        self.slot_in_state(id, "waiting or offered", unanswered)?;
        self.advance(now);
        let slot = self.slot_in_state(id, "waiting or offered", unanswered)?;
        let freed = self.detach(slot, now);
        self.forget(slot);
        self.serve_freed(freed, now);
        self.advance(now);
        Ok(())
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
            interaction.declined = Box::default();
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
        self.check_clock(now)?;
        self.slot_in_state(id, "offered or assigned", taken)?;
        self.advance(now);
        let slot = self.slot_in_state(id, "offered or assigned", taken)?;
        let freed = self.detach(slot, now);
        self.place(slot, now);
        self.serve_freed(freed, now);
        self.advance(now);
        Ok(())
    }

    // ----- queries ------------------------------------------------------

    pub fn standing(&self, id: InteractionId) -> Result<Standing, RoutingError> {
        let slot = self.interaction_slot(id)?;
        let interaction = self
            .interactions
            .get(slot)
            .ok_or(RoutingError::UnknownInteraction(id))?;
        if interaction.status != Status::Waiting {
            return Err(RoutingError::WrongInteractionState {
                interaction: id,
                expected: "waiting",
                actual: interaction.status.name(),
            });
        }
        let queue = self
            .queues
            .get(interaction.queue)
            .ok_or(RoutingError::UnknownInteraction(id))?;
        let key = self.wait_key(queue, interaction, slot);
        let ahead = queue.waiting().range(..key).count() as u64;
        let channel = queue.channel().index();
        let staffed: u64 = queue
            .members
            .iter()
            .filter_map(|&member| self.agents.get(member))
            .filter(|agent| agent.presence != Presence::Offline)
            .map(|agent| u64::from(agent.capacity[channel]))
            .sum();
        let handle = queue.handle_time_estimate(self.config.default_handle_time);
        let estimated_wait = (staffed > 0).then(|| Millis((ahead + 1) * handle.0 / staffed));
        Ok(Standing {
            position: (ahead + 1) as u32,
            waiting_in_queue: queue.len() as u32,
            estimated_wait,
        })
    }

    pub fn agent(&self, id: AgentId) -> Result<AgentView, RoutingError> {
        let agent = self
            .agents
            .get(self.agent_slot(id)?)
            .ok_or(RoutingError::UnknownAgent(id))?;
        let offerable = agent.offerable_channels(&self.config, self.last_now);
        Ok(AgentView {
            id,
            presence: agent.presence.clone(),
            capacity: agent.capacity,
            load: agent.load,
            wrap_up_until: agent.wrap_until,
            idle_since: agent.idle_since,
            missed_in_a_row: agent.missed_in_a_row,
            offerable: Channel::ALL
                .into_iter()
                .filter(|channel| offerable & channel.bit() != 0)
                .collect(),
        })
    }

    pub fn interaction(&self, id: InteractionId) -> Result<InteractionView, RoutingError> {
        let interaction = self
            .interactions
            .get(self.interaction_slot(id)?)
            .ok_or(RoutingError::UnknownInteraction(id))?;
        let queue = self.queues.get(interaction.queue);
        let agent_id = |slot: u32| self.agents.get(slot).map_or(AgentId(u64::MAX), |a| a.id);
        let status = match interaction.status {
            Status::Waiting => InteractionStatus::Waiting,
            Status::Offered { agent, expires } => InteractionStatus::Offered {
                agent: agent_id(agent),
                expires_at: expires,
            },
            Status::Assigned { agent, since } => InteractionStatus::Assigned {
                agent: agent_id(agent),
                since,
            },
        };
        Ok(InteractionView {
            id,
            queue: queue.map_or(QueueId(u64::MAX), |q| q.id()),
            channel: queue.map_or(Channel::Voice, |q| q.channel()),
            status,
            first_enqueued_at: interaction.first_enqueued_at,
            queue_entered_at: interaction.queue_entered_at,
            preferred_agent: interaction
                .held_for(self.last_now)
                .and_then(|slot| self.agents.get(slot))
                .map(|agent| agent.id),
        })
    }

    /// Waiting interactions of a queue in service order.
    pub fn waiting_in(&self, id: QueueId) -> Result<Vec<InteractionId>, RoutingError> {
        let queue = self
            .queues
            .get(self.queue_slot(id)?)
            .ok_or(RoutingError::UnknownQueue(id))?;
        Ok(queue
            .waiting()
            .iter()
            .filter_map(|key| self.interactions.get(key.slot).map(|i| i.id))
            .collect())
    }

    /// Interactions waiting in all queues (not counting offered ones).
    pub fn waiting_count(&self) -> usize {
        self.queues.iter().map(|(_, queue)| queue.len()).sum()
    }

    /// Interactions the router tracks: waiting, offered or being handled.
    pub fn interaction_count(&self) -> usize {
        self.interactions.len()
    }

    // ----- validation helpers ------------------------------------------

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
        self.queues
            .get(queue)
            .map_or(Channel::Voice, |q| q.channel())
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

    // ----- timers -------------------------------------------------------

    /// Fires, in time order, every timer due by `now`; each acts at its own time.
    fn advance(&mut self, now: Millis) {
        while let Some(Reverse(timer)) = self.timers.peek().copied() {
            if timer.at > now {
                break;
            }
            self.timers.pop();
            let at = timer.at.max(self.last_now);
            self.last_now = at;
            match timer.target {
                TimerTarget::Agent(slot) => {
                    if self
                        .agents
                        .get(slot)
                        .is_some_and(|a| a.timer_token == timer.token)
                    {
                        self.on_agent_timer(slot, at);
                    }
                }
                TimerTarget::Interaction(slot) => {
                    if self
                        .interactions
                        .get(slot)
                        .is_some_and(|i| i.timer_token == timer.token)
                    {
                        self.on_interaction_timer(slot, at);
                    }
                }
            }
        }
        self.last_now = now;
    }

    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }

    fn on_agent_timer(&mut self, slot: u32, at: Millis) {
        self.refresh_ready(slot, at);
        self.serve_agent(slot, at);
        self.schedule_agent(slot, at);
    }

    fn schedule_agent(&mut self, slot: u32, now: Millis) {
        let token = self.token();
        let Some(agent) = self.agents.get_mut(slot) else {
            return;
        };
        agent.timer_token = token;
        if let Some(at) = agent.next_wrap_end(now) {
            self.timers.push(Reverse(Timer {
                at,
                token,
                target: TimerTarget::Agent(slot),
            }));
        }
    }

    fn on_interaction_timer(&mut self, slot: u32, at: Millis) {
        let Some(interaction) = self.interactions.get(slot) else {
            return;
        };
        match interaction.status {
            Status::Offered { agent, expires } if expires <= at => {
                self.offer_timed_out(slot, agent, at);
                return;
            }
            Status::Waiting => {}
            _ => {
                self.schedule_interaction(slot, at);
                return;
            }
        }
        let max_wait = self
            .queues
            .get(interaction.queue)
            .and_then(|queue| queue.spec.max_wait);
        let entered = interaction.queue_entered_at;
        if max_wait.is_some_and(|limit| entered.saturating_add(limit) <= at) {
            self.remove_waiting(slot);
            self.overflow(slot, OverflowReason::MaxWait, at);
            return;
        }
        if let Some((agent, until)) = interaction.preferred
            && until <= at
        {
            self.release_hold(slot, agent);
        }
        self.try_route(slot, at);
        self.schedule_interaction(slot, at);
    }

    /// One timer per interaction, at its next deadline: offer expiry, max
    /// wait, the next relaxation step or the end of a sticky hold.
    fn schedule_interaction(&mut self, slot: u32, now: Millis) {
        let token = self.token();
        let Some(interaction) = self.interactions.get(slot) else {
            return;
        };
        let deadline = match interaction.status {
            Status::Offered { expires, .. } => Some(expires),
            Status::Assigned { .. } => None,
            Status::Waiting => self.queues.get(interaction.queue).and_then(|queue| {
                let entered = interaction.queue_entered_at;
                let max_wait = queue
                    .spec
                    .max_wait
                    .map(|limit| entered.saturating_add(limit));
                let step = queue.next_step_at(entered, now);
                let hold = interaction.preferred.map(|(_, until)| until);
                let decline = interaction.next_decline_end(now);
                [max_wait, step, hold, decline].into_iter().flatten().min()
            }),
        };
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.timer_token = token;
        }
        if let Some(at) = deadline {
            self.timers.push(Reverse(Timer {
                at: at.max(now),
                token,
                target: TimerTarget::Interaction(slot),
            }));
        }
    }

    // ----- indexes ------------------------------------------------------

    fn refresh_ready(&mut self, slot: u32, now: Millis) {
        let Some(agent) = self.agents.get_mut(slot) else {
            return;
        };
        let mask = agent.offerable_channels(&self.config, now);
        if mask == agent.ready_mask && agent.ready_key == agent.idle_since {
            return;
        }
        self.ready.update(
            slot,
            &agent.skill_list,
            (agent.ready_mask, agent.ready_key),
            (mask, agent.idle_since),
        );
        agent.ready_mask = mask;
        agent.ready_key = agent.idle_since;
    }

    fn agent_meets(queue: &QueueSlot, agent: &AgentSlot) -> bool {
        agent.capacity[queue.channel().index()] > 0 && queue.widest().admits(agent)
    }

    fn rebuild_membership(&mut self, queue_slot: u32) {
        let Some(queue) = self.queues.get_mut(queue_slot) else {
            return;
        };
        let mut members = Vec::new();
        for (slot, agent) in self.agents.iter_mut() {
            agent.queues.retain(|&q| q != queue_slot);
            if Self::agent_meets(queue, agent) {
                agent.queues.push(queue_slot);
                members.push(slot);
            }
        }
        queue.members = members;
    }

    fn rebuild_agent_queues(&mut self, agent_slot: u32) {
        let Some(agent) = self.agents.get_mut(agent_slot) else {
            return;
        };
        let mut queues = Vec::new();
        for (slot, queue) in self.queues.iter_mut() {
            queue.members.retain(|&member| member != agent_slot);
            if Self::agent_meets(queue, agent) {
                queue.members.push(agent_slot);
                queues.push(slot);
            }
        }
        agent.queues = queues;
    }

    fn wait_key(&self, queue: &QueueSlot, interaction: &InteractionSlot, slot: u32) -> WaitKey {
        let points = self.points(interaction);
        let aging = i64::from(queue.spec.aging_per_sec)
            .saturating_mul(i64::try_from(interaction.order_at().0).unwrap_or(i64::MAX));
        let tiebreak = interaction.tiebreak();
        WaitKey {
            neg_score: aging.saturating_sub(points),
            tiebreak: if queue.spec.lifo { !tiebreak } else { tiebreak },
            slot,
            plain: interaction.key_plain,
        }
    }

    /// Base priority plus tier boost, in thousandths of a point.
    fn points(&self, interaction: &InteractionSlot) -> i64 {
        let boost = self.config.tier_boost[interaction.tier.index()];
        i64::from(interaction.base_priority)
            .saturating_add(boost)
            .saturating_mul(1000)
    }

    /// Priority score at `now`, in thousandths of a point.
    fn score_at(&self, queue: &QueueSlot, interaction: &InteractionSlot, now: Millis) -> i64 {
        let waited = now.saturating_sub(interaction.order_at()).0;
        let aging = i64::from(queue.spec.aging_per_sec)
            .saturating_mul(i64::try_from(waited).unwrap_or(i64::MAX));
        self.points(interaction).saturating_add(aging)
    }

    /// The queue slot and sort key of an interaction, from its current fields.
    fn waiting_key(&self, slot: u32) -> Option<(u32, WaitKey)> {
        let interaction = self.interactions.get(slot)?;
        let queue = self.queues.get(interaction.queue)?;
        Some((interaction.queue, self.wait_key(queue, interaction, slot)))
    }

    fn insert_waiting(&mut self, slot: u32) {
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.key_plain = interaction.is_plain();
            interaction.in_waiting_set = true;
        }
        if let Some((queue_slot, key)) = self.waiting_key(slot)
            && let Some(queue) = self.queues.get_mut(queue_slot)
        {
            queue.insert(key);
            self.sync_hot(queue_slot);
        }
    }

    fn remove_waiting(&mut self, slot: u32) {
        match self.interactions.get_mut(slot) {
            Some(interaction) if interaction.in_waiting_set => {
                interaction.in_waiting_set = false;
            }
            _ => return,
        }
        if let Some((queue_slot, key)) = self.waiting_key(slot)
            && let Some(queue) = self.queues.get_mut(queue_slot)
        {
            queue.remove(&key);
            self.sync_hot(queue_slot);
        }
    }

    fn sync_hot(&mut self, queue_slot: u32) {
        let (Some(queue), Some(hot)) = (
            self.queues.get(queue_slot),
            self.queue_hot.get_mut(queue_slot as usize),
        ) else {
            return;
        };
        *hot = QueueHot {
            head: queue.head(),
            aging_per_sec: queue.spec.aging_per_sec,
            channel_bit: queue.channel().bit(),
            lifo: queue.spec.lifo,
            relaxes: queue.has_relaxation(),
        };
    }

    fn enter_queue_count(&mut self, queue: u32) {
        if let Some(count) = self.in_flight_per_queue.get_mut(queue as usize) {
            *count += 1;
        }
    }

    fn leave_queue_count(&mut self, queue: u32) {
        if let Some(count) = self.in_flight_per_queue.get_mut(queue as usize) {
            *count = count.saturating_sub(1);
        }
    }

    fn new_interaction(&mut self, spec: &InteractionSpec, queue: u32, now: Millis) -> u32 {
        self.next_seq += 1;
        let slot =
            self.interactions
                .insert(InteractionSlot::from_spec(spec, queue, self.next_seq, now));
        self.interaction_slots.insert(spec.id, slot);
        self.enter_queue_count(queue);
        slot
    }

    /// Drops an interaction that has ended.
    fn forget(&mut self, slot: u32) {
        if let Some(interaction) = self.interactions.remove(slot) {
            self.interaction_slots.remove(&interaction.id);
            self.leave_queue_count(interaction.queue);
        }
    }

    fn hold_for(&mut self, slot: u32, agent: u32, until: Millis) {
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.preferred = Some((agent, until));
        }
        if let Some(agent) = self.agents.get_mut(agent) {
            agent.sticky.push(slot);
        }
    }

    fn release_hold(&mut self, slot: u32, agent: u32) {
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.preferred = None;
        }
        if let Some(agent) = self.agents.get_mut(agent) {
            agent.sticky.retain(|&held| held != slot);
        }
    }

    // ----- routing ------------------------------------------------------

    /// Puts a detached interaction into its queue's waiting set and routes
    /// it; overflows it if the queue is then over its maximum length.
    fn place(&mut self, slot: u32, now: Millis) {
        let Some(interaction) = self.interactions.get_mut(slot) else {
            return;
        };
        interaction.status = Status::Waiting;
        let queue_slot = interaction.queue;
        // Route before inserting: what finds an agent at once never touches
        // the waiting set. The chosen agent still takes whatever outranks it.
        while let Some(agent) = self.select_agent(slot, now) {
            let own = self.candidate(slot, now);
            match self.best_work(agent, now) {
                Some(other) if own.is_none_or(|own| other > own) => {
                    self.offer(other.2, agent, now);
                }
                _ => {
                    self.offer(slot, agent, now);
                    return;
                }
            }
        }
        self.insert_waiting(slot);
        let still_waiting = self
            .interactions
            .get(slot)
            .is_some_and(|i| i.status == Status::Waiting);
        let over_length = self.queues.get(queue_slot).is_some_and(|queue| {
            queue
                .spec
                .max_length
                .is_some_and(|max| queue.len() > max as usize)
        });
        if still_waiting && over_length {
            self.remove_waiting(slot);
            self.overflow(slot, OverflowReason::MaxLength, now);
        } else {
            self.schedule_interaction(slot, now);
        }
    }

    /// Moves a waiting interaction (already out of the waiting set) to the
    /// queue's overflow target, or ends it with "leave a message".
    fn overflow(&mut self, slot: u32, reason: OverflowReason, now: Millis) {
        let Some(interaction) = self.interactions.get(slot) else {
            return;
        };
        let (id, from_slot, hops, preferred) = (
            interaction.id,
            interaction.queue,
            interaction.overflow_hops,
            interaction.preferred,
        );
        let Some(from) = self.queues.get(from_slot) else {
            return;
        };
        let from_id = from.id();
        let target = match from.spec.overflow {
            OverflowTarget::Queue(to) if hops < self.config.max_overflow_hops => {
                self.queue_slots.get(&to).copied().map(|slot| (to, slot))
            }
            _ => None,
        };
        if let Some((agent, _)) = preferred {
            self.release_hold(slot, agent);
        }
        match target {
            Some((to_id, to_slot)) => {
                self.decisions.push(Decision::Overflowed {
                    interaction: id,
                    from: from_id,
                    to: OverflowTarget::Queue(to_id),
                    reason,
                    at: now,
                });
                let keep = self.config.transfer_keeps_enqueue_time;
                if let Some(interaction) = self.interactions.get_mut(slot) {
                    interaction.overflow_hops += 1;
                    interaction.queue = to_slot;
                    interaction.queue_entered_at = now;
                    interaction.declined = Box::default();
                    interaction.ordered_by_first = keep;
                }
                self.leave_queue_count(from_slot);
                self.enter_queue_count(to_slot);
                self.place(slot, now);
            }
            None => {
                self.forget(slot);
                self.decisions.push(Decision::Overflowed {
                    interaction: id,
                    from: from_id,
                    to: OverflowTarget::LeaveMessage,
                    reason,
                    at: now,
                });
            }
        }
    }

    /// Routes a waiting interaction: its queue's strategy picks a ready,
    /// eligible agent, who then takes the best work open to them (this
    /// interaction or one that outranks it); repeats until it is placed or
    /// nobody is left.
    fn try_route(&mut self, slot: u32, now: Millis) {
        while let Some(agent) = self.select_agent(slot, now) {
            let best = self.find_work(agent, now).unwrap_or(slot);
            self.offer(best, agent, now);
            if best == slot {
                return;
            }
        }
    }

    fn select_agent(&mut self, slot: u32, now: Millis) -> Option<u32> {
        let interaction = self.interactions.get(slot)?;
        if interaction.status != Status::Waiting {
            return None;
        }
        if let Some(held) = interaction.held_for(now) {
            // Sticky: only that agent, whatever their skills.
            let channel = self.queue_channel(interaction.queue);
            let ready = self
                .agents
                .get(held)
                .is_some_and(|agent| agent.ready_mask & channel.bit() != 0);
            return (ready && !interaction.declined_by(held, now)).then_some(held);
        }
        let queue_slot = interaction.queue;
        let queue = self.queues.get_mut(queue_slot)?;
        let random_draw = if queue.spec.strategy == crate::config::Strategy::Random {
            queue.rng.next_u64()
        } else {
            0
        };
        let queue = self.queues.get(queue_slot)?;
        let interaction = self.interactions.get(slot)?;
        let channel = queue.channel();
        let level = queue.level_after(now.saturating_sub(interaction.queue_entered_at));
        Candidates {
            ready: self.ready.candidates(channel, queue.anchor()),
            agents: &self.agents,
        }
        .select(queue, level, interaction, now, random_draw)
    }

    fn serve_freed(&mut self, agent: Option<u32>, now: Millis) {
        if let Some(agent) = agent {
            self.serve_agent(agent, now);
        }
    }

    /// Gives a ready agent work until it has no capacity or nothing fits.
    fn serve_agent(&mut self, agent_slot: u32, now: Millis) {
        while let Some(slot) = self.find_work(agent_slot, now) {
            self.offer(slot, agent_slot, now);
        }
        self.refresh_ready(agent_slot, now);
    }

    /// Gives every member of a queue the chance to pick up work from it.
    fn serve_members(&mut self, queue_slot: u32, now: Millis) {
        let members = self
            .queues
            .get(queue_slot)
            .map(|queue| queue.members.clone())
            .unwrap_or_default();
        for member in members {
            self.serve_agent(member, now);
        }
    }

    /// The best waiting interaction this agent may take now: its sticky ones
    /// first, then the highest score across the queues it serves.
    fn find_work(&self, agent_slot: u32, now: Millis) -> Option<u32> {
        self.best_work(agent_slot, now).map(|(.., slot)| slot)
    }

    /// A waiting interaction as a candidate for an agent's next work.
    fn candidate(&self, slot: u32, now: Millis) -> Option<WorkCandidate> {
        let interaction = self.interactions.get(slot)?;
        let queue = self.queues.get(interaction.queue)?;
        let score = self.score_at(queue, interaction, now);
        Some((score, Reverse(interaction.tiebreak()), slot))
    }

    fn best_work(&self, agent_slot: u32, now: Millis) -> Option<WorkCandidate> {
        let agent = self.agents.get(agent_slot)?;
        let mask = agent.offerable_channels(&self.config, now);
        if mask == 0 {
            return None;
        }
        let mut best: Option<WorkCandidate> = None;
        let consider = |best: &mut Option<WorkCandidate>, score: i64, tiebreak: u64, slot: u32| {
            let candidate = (score, Reverse(tiebreak), slot);
            if best.is_none_or(|top| candidate > top) {
                *best = Some(candidate);
            }
        };
        for &slot in &agent.sticky {
            let Some(interaction) = self.interactions.get(slot) else {
                continue;
            };
            let Some(queue) = self.queues.get(interaction.queue) else {
                continue;
            };
            let open = interaction.status == Status::Waiting
                && mask & queue.channel().bit() != 0
                && interaction.held_for(now) == Some(agent_slot)
                && !interaction.declined_by(agent_slot, now);
            if open {
                let score = self.score_at(queue, interaction, now);
                consider(&mut best, score, interaction.tiebreak(), slot);
            }
        }
        if best.is_some() {
            return best;
        }
        for &queue_slot in &agent.queues {
            let Some(hot) = self.queue_hot.get(queue_slot as usize) else {
                continue;
            };
            if mask & hot.channel_bit == 0 {
                continue;
            }
            let Some(head) = hot.head else {
                continue;
            };
            if head.plain && !hot.relaxes {
                // Membership already proves the agent meets the requirements.
                let aging = i64::from(hot.aging_per_sec)
                    .saturating_mul(i64::try_from(now.0).unwrap_or(i64::MAX));
                let score = aging.saturating_sub(head.neg_score);
                let tiebreak = if hot.lifo {
                    !head.tiebreak
                } else {
                    head.tiebreak
                };
                consider(&mut best, score, tiebreak, head.slot);
                continue;
            }
            let Some(queue) = self.queues.get(queue_slot) else {
                continue;
            };
            for key in queue.waiting() {
                let Some(interaction) = self.interactions.get(key.slot) else {
                    continue;
                };
                let score = self.score_at(queue, interaction, now);
                // Scores only fall along a queue's order.
                if best.is_some_and(|(top, ..)| score < top) {
                    break;
                }
                let level = queue.level_after(now.saturating_sub(interaction.queue_entered_at));
                if interaction.admits(agent_slot, agent, level, now) {
                    consider(&mut best, score, interaction.tiebreak(), key.slot);
                    break;
                }
            }
        }
        best
    }

    fn offer(&mut self, slot: u32, agent_slot: u32, now: Millis) {
        self.remove_waiting(slot);
        let Some(interaction) = self.interactions.get(slot) else {
            return;
        };
        let (queue_slot, preferred) = (interaction.queue, interaction.preferred);
        if let Some((held, _)) = preferred {
            self.release_hold(slot, held);
        }
        let channel = self.queue_channel(queue_slot);
        let Some(agent) = self.agents.get_mut(agent_slot) else {
            return;
        };
        agent.load[channel.index()] += 1;
        agent.idle_since = now;
        let auto_accept = agent.auto_accept;
        let agent_id = agent.id;
        if let Some(queue) = self.queues.get_mut(queue_slot) {
            queue.round_robin_after = Some(agent_id.0);
        }
        self.refresh_ready(agent_slot, now);
        if auto_accept {
            self.assign(slot, agent_slot, now);
            return;
        }
        let expires = now.saturating_add(self.config.offer_timeout);
        let queue_id = self.queues.get(queue_slot).map_or(QueueId(0), |q| q.id());
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.status = Status::Offered {
                agent: agent_slot,
                expires,
            };
            self.decisions.push(Decision::Offered {
                interaction: interaction.id,
                agent: agent_id,
                queue: queue_id,
                at: now,
                expires_at: expires,
            });
        }
        self.schedule_interaction(slot, now);
    }

    fn assign(&mut self, slot: u32, agent_slot: u32, now: Millis) {
        let queue_id = self
            .interactions
            .get(slot)
            .and_then(|i| self.queues.get(i.queue))
            .map_or(QueueId(0), |q| q.id());
        let Some(agent) = self.agents.get_mut(agent_slot) else {
            return;
        };
        agent.missed_in_a_row = 0;
        let agent_id = agent.id;
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.status = Status::Assigned {
                agent: agent_slot,
                since: now,
            };
            interaction.timer_token = 0;
            self.decisions.push(Decision::Assigned {
                interaction: interaction.id,
                agent: agent_id,
                queue: queue_id,
                at: now,
                waited: now.saturating_sub(interaction.first_enqueued_at),
            });
        }
    }

    fn decline(&mut self, slot: u32, agent_slot: u32, now: Millis) {
        self.release_agent(slot, agent_slot, None, now);
        let until = now.saturating_add(self.config.decline_cooldown);
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.add_decline(agent_slot, until, now);
        }
        self.place(slot, now);
        self.serve_agent(agent_slot, now);
    }

    fn offer_timed_out(&mut self, slot: u32, agent_slot: u32, now: Millis) {
        let interaction_id = self.interactions.get(slot).map(|i| i.id);
        let max_missed = self.config.max_missed_offers;
        if let Some(agent) = self.agents.get_mut(agent_slot) {
            agent.missed_in_a_row += 1;
            if let Some(interaction) = interaction_id {
                self.decisions.push(Decision::OfferTimedOut {
                    interaction,
                    agent: agent.id,
                    at: now,
                });
            }
            if max_missed > 0 && agent.missed_in_a_row >= max_missed {
                agent.presence = Presence::away(MISSED_OFFERS_REASON);
                self.decisions.push(Decision::AgentSetAway {
                    agent: agent.id,
                    reason: MISSED_OFFERS_REASON.to_owned(),
                    at: now,
                });
            }
        }
        // Out of the ready index before anything is routed again.
        self.refresh_ready(agent_slot, now);
        self.decline(slot, agent_slot, now);
    }

    /// Frees the agent's capacity taken by this interaction; `wrap_up` starts
    /// wrap-up on the channel (after handling, not after a declined offer).
    fn release_agent(&mut self, slot: u32, agent_slot: u32, wrap_up: Option<Millis>, now: Millis) {
        let Some(interaction) = self.interactions.get(slot) else {
            return;
        };
        let channel = self.queue_channel(interaction.queue);
        if let Some(agent) = self.agents.get_mut(agent_slot) {
            let c = channel.index();
            agent.load[c] = agent.load[c].saturating_sub(1);
            if let Some(wrap) = wrap_up {
                let end = now.saturating_add(wrap);
                agent.wrap_until[c] = agent.wrap_until[c].max(end);
                if agent.total_load() == 0 {
                    agent.idle_since = end;
                }
            }
        }
        // The ready index catches up in `serve_agent`, which every caller
        // runs next: an agent who takes new work at once never churns it.
        self.schedule_agent(agent_slot, now);
    }

    /// Ends handling by the agent: records the handle time and starts wrap-up.
    /// Returns the agent, whom the caller serves once the interaction is
    /// re-placed or dropped, so the agent sees it at its true priority.
    fn end_handling(&mut self, slot: u32, now: Millis) -> Option<u32> {
        let interaction = self.interactions.get(slot)?;
        let Status::Assigned { agent, since } = interaction.status else {
            return None;
        };
        let queue_slot = interaction.queue;
        let wrap = self.queues.get_mut(queue_slot).map(|queue| {
            queue.record_handle_time(now.saturating_sub(since));
            queue
                .spec
                .wrap_up
                .unwrap_or(self.config.wrap_up[queue.channel().index()])
        });
        self.release_agent(slot, agent, wrap, now);
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.status = Status::Waiting;
        }
        Some(agent)
    }

    /// Takes an interaction out of wherever it is (waiting set, offer or
    /// handling) so it can be re-placed or dropped; returns the agent it
    /// freed, for the caller to serve afterwards.
    fn detach(&mut self, slot: u32, now: Millis) -> Option<u32> {
        let interaction = self.interactions.get(slot)?;
        match interaction.status {
            Status::Waiting => {
                if let Some((agent, _)) = interaction.preferred {
                    self.release_hold(slot, agent);
                }
                self.remove_waiting(slot);
                if let Some(interaction) = self.interactions.get_mut(slot) {
                    interaction.timer_token = 0;
                }
                None
            }
            Status::Offered { agent, .. } => {
                self.release_agent(slot, agent, None, now);
                if let Some(interaction) = self.interactions.get_mut(slot) {
                    interaction.status = Status::Waiting;
                    interaction.timer_token = 0;
                }
                Some(agent)
            }
            Status::Assigned { .. } => self.end_handling(slot, now),
        }
    }
}
