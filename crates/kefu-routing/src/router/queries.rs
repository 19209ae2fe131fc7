//! Read-only views for the server: an agent, an interaction, a queue in
//! service order, and where a waiting interaction stands (position, EWT).

use super::*;

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

impl Router {
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
        let hot = self
            .queue_hot
            .get(interaction.queue as usize)
            .ok_or(RoutingError::UnknownInteraction(id))?;
        let key = self.wait_key(hot, interaction, slot);
        let ahead = queue.count_before(&key) as u64;
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
}
