//! Keeping the indexes true: ready agents, queue membership, waiting-set
//! keys and the packed queue summaries, holds and per-queue counts.

use super::*;

impl Router {
    pub(super) fn refresh_ready(&mut self, slot: u32, now: Millis) {
        let Some(agent) = self.agents.get_mut(slot) else {
            return;
        };
        let mask = agent.offerable_channels(&self.config, now);
        // Out of the index before and after: nothing to move, whatever the key.
        if mask == agent.ready_mask && (mask == 0 || agent.ready_key == agent.idle_since) {
            agent.ready_key = agent.idle_since;
            return;
        }
        self.ready.update(
            slot,
            &agent.ready_sets,
            (agent.ready_mask, agent.ready_key),
            (mask, agent.idle_since),
        );
        agent.ready_mask = mask;
        agent.ready_key = agent.idle_since;
    }

    pub(super) fn agent_meets(queue: &QueueSlot, agent: &AgentSlot) -> bool {
        agent.capacity[queue.channel().index()] > 0 && queue.widest().admits(agent)
    }

    pub(super) fn rebuild_membership(&mut self, queue_slot: u32) {
        let Some(queue) = self.queues.get_mut(queue_slot) else {
            return;
        };
        let mut members = Vec::new();
        let mut touched = Vec::new();
        for (slot, agent) in self.agents.iter_mut() {
            let before = agent.queues.len();
            agent.queues.retain(|&q| q != queue_slot);
            if agent.queues.len() != before {
                touched.push(slot);
            }
            if Self::agent_meets(queue, agent) {
                agent.queues.push(queue_slot);
                members.push(slot);
                touched.push(slot);
            }
        }
        queue.members = members;
        touched.dedup();
        for agent in touched {
            self.sync_ready_sets(agent);
        }
    }

    pub(super) fn rebuild_agent_queues(&mut self, agent_slot: u32) {
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
        self.sync_ready_sets(agent_slot);
    }

    /// Recomputes the per-skill ready sets an agent belongs in from its
    /// queues, and moves its entries if they changed.
    pub(super) fn sync_ready_sets(&mut self, agent_slot: u32) {
        let Some(agent) = self.agents.get_mut(agent_slot) else {
            return;
        };
        let mut sets: Vec<u16> = agent
            .queues
            .iter()
            .filter_map(|&queue| {
                let hot = self.queue_hot.get(queue as usize)?;
                Some(ReadyIndex::set_index(hot.channel, hot.anchor?))
            })
            .collect();
        sets.sort_unstable();
        sets.dedup();
        if sets == agent.ready_sets {
            return;
        }
        let state = (agent.ready_mask, agent.ready_key);
        let out = (0, agent.ready_key);
        self.ready.update(agent_slot, &agent.ready_sets, state, out);
        self.ready.update(agent_slot, &sets, out, state);
        agent.ready_sets = sets;
    }

    pub(super) fn wait_key(
        &self,
        hot: &QueueHot,
        interaction: &InteractionSlot,
        slot: u32,
    ) -> WaitKey {
        let points = self.points(interaction);
        let aging = i64::from(hot.aging_per_sec)
            .saturating_mul(i64::try_from(interaction.order_at().0).unwrap_or(i64::MAX));
        let tiebreak = interaction.tiebreak();
        WaitKey {
            neg_score: aging.saturating_sub(points),
            tiebreak: if hot.lifo { !tiebreak } else { tiebreak },
            slot,
            plain: interaction.key_plain,
        }
    }

    /// Base priority plus tier boost, in thousandths of a point.
    pub(super) fn points(&self, interaction: &InteractionSlot) -> i64 {
        let boost = self.config.tier_boost[interaction.tier.index()];
        i64::from(interaction.base_priority)
            .saturating_add(boost)
            .saturating_mul(1000)
    }

    /// Priority score at `now`, in thousandths of a point.
    pub(super) fn score_at(
        &self,
        queue: &QueueSlot,
        interaction: &InteractionSlot,
        now: Millis,
    ) -> i64 {
        let waited = now.saturating_sub(interaction.order_at()).0;
        let aging = i64::from(queue.spec.aging_per_sec)
            .saturating_mul(i64::try_from(waited).unwrap_or(i64::MAX));
        self.points(interaction).saturating_add(aging)
    }

    /// The queue slot, sort key and priority class of an interaction, from
    /// its current fields.
    pub(super) fn waiting_key(&self, slot: u32) -> Option<(u32, WaitKey, i64)> {
        let interaction = self.interactions.get(slot)?;
        let hot = self.queue_hot.get(interaction.queue as usize)?;
        let key = self.wait_key(hot, interaction, slot);
        Some((interaction.queue, key, self.points(interaction)))
    }

    pub(super) fn insert_waiting(&mut self, slot: u32) {
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.key_plain = interaction.is_plain();
            interaction.in_waiting_set = true;
        }
        if let Some((queue_slot, key, class)) = self.waiting_key(slot)
            && let Some(queue) = self.queues.get_mut(queue_slot)
        {
            queue.insert(key, class);
            self.sync_head(queue_slot);
        }
    }

    pub(super) fn remove_waiting(&mut self, slot: u32) {
        match self.interactions.get_mut(slot) {
            Some(interaction) if interaction.in_waiting_set => {
                interaction.in_waiting_set = false;
            }
            _ => return,
        }
        if let Some((queue_slot, key, class)) = self.waiting_key(slot)
            && let Some(queue) = self.queues.get_mut(queue_slot)
        {
            queue.remove(&key, class);
            self.sync_head(queue_slot);
        }
    }

    /// Rebuilds a queue's summary after its settings changed.
    pub(super) fn sync_hot(&mut self, queue_slot: u32) {
        let (Some(queue), Some(hot)) = (
            self.queues.get(queue_slot),
            self.queue_hot.get_mut(queue_slot as usize),
        ) else {
            return;
        };
        *hot = QueueHot {
            id: queue.id(),
            head: queue.head(),
            aging_per_sec: queue.spec.aging_per_sec,
            channel: queue.channel(),
            channel_bit: queue.channel().bit(),
            anchor: queue.anchor(),
            lifo: queue.spec.lifo,
            relaxes: queue.has_relaxation(),
            random: queue.spec.strategy == Strategy::Random,
        };
    }

    /// Keeps a per-channel ready set for each channel that has a queue
    /// without an anchor skill (no required skill), and only for those.
    pub(super) fn sync_channel_index(&mut self) {
        let wanted = self
            .queue_hot
            .iter()
            .filter(|hot| hot.anchor.is_none())
            .fold(0u8, |wanted, hot| wanted | hot.channel_bit);
        if wanted != self.ready.wanted() {
            let agents = self
                .agents
                .iter()
                .map(|(slot, agent)| (slot, agent.ready_mask, agent.ready_key));
            self.ready.want_channels(wanted, agents);
        }
    }

    /// Copies a queue's first waiting key into its summary.
    pub(super) fn sync_head(&mut self, queue_slot: u32) {
        if let (Some(queue), Some(hot)) = (
            self.queues.get(queue_slot),
            self.queue_hot.get_mut(queue_slot as usize),
        ) {
            hot.head = queue.head();
        }
    }

    pub(super) fn enter_queue_count(&mut self, queue: u32) {
        if let Some(count) = self.in_flight_per_queue.get_mut(queue as usize) {
            *count += 1;
        }
    }

    pub(super) fn leave_queue_count(&mut self, queue: u32) {
        if let Some(count) = self.in_flight_per_queue.get_mut(queue as usize) {
            *count = count.saturating_sub(1);
        }
    }

    pub(super) fn new_interaction(
        &mut self,
        spec: &InteractionSpec,
        queue: u32,
        now: Millis,
    ) -> u32 {
        self.next_seq += 1;
        let slot =
            self.interactions
                .insert(InteractionSlot::from_spec(spec, queue, self.next_seq, now));
        self.interaction_slots.insert(spec.id, slot);
        self.enter_queue_count(queue);
        slot
    }

    /// Drops an interaction that has ended.
    pub(super) fn forget(&mut self, slot: u32) {
        if let Some(interaction) = self.interactions.remove(slot) {
            self.interaction_slots.remove(&interaction.id);
            self.leave_queue_count(interaction.queue);
        }
    }

    pub(super) fn hold_for(&mut self, slot: u32, agent: u32, until: Millis) {
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.set_preferred(Some((agent, until)));
        }
        if let Some(agent) = self.agents.get_mut(agent) {
            agent.sticky.push(slot);
        }
    }

    pub(super) fn release_hold(&mut self, slot: u32, agent: u32) {
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.set_preferred(None);
        }
        if let Some(agent) = self.agents.get_mut(agent) {
            agent.sticky.retain(|&held| held != slot);
        }
    }
}
