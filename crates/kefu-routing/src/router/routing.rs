//! The routing rules themselves: placing and overflowing interactions,
//! choosing agents and work, offers, declines, timeouts and releases.

use super::*;

impl Router {
    /// Puts a detached interaction into its queue's waiting set and routes
    /// it; overflows it if the queue is then over its maximum length.
    pub(super) fn place(&mut self, slot: u32, now: Millis) {
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
    pub(super) fn overflow(&mut self, slot: u32, reason: OverflowReason, now: Millis) {
        let Some(interaction) = self.interactions.get(slot) else {
            return;
        };
        let (id, from_slot, hops, preferred) = (
            interaction.id,
            interaction.queue,
            interaction.overflow_hops,
            interaction.preferred(),
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
                    interaction.clear_declines();
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
    pub(super) fn try_route(&mut self, slot: u32, now: Millis) {
        while let Some(agent) = self.select_agent(slot, now) {
            let best = self.find_work(agent, now).unwrap_or(slot);
            self.offer(best, agent, now);
            if best == slot {
                return;
            }
        }
    }

    pub(super) fn select_agent(&mut self, slot: u32, now: Millis) -> Option<u32> {
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
        let hot = self.queue_hot.get(queue_slot as usize)?;
        if !hot.random && self.ready.candidates(hot.channel, hot.anchor).is_empty() {
            // Nobody ready: the common case for an arrival while all are busy.
            return None;
        }
        let queue = self.queues.get_mut(queue_slot)?;
        let random_draw = if queue.spec.strategy == Strategy::Random {
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

    pub(super) fn serve_freed(&mut self, agent: Option<u32>, now: Millis) {
        if let Some(agent) = agent {
            self.serve_agent(agent, now);
        }
    }

    /// Gives a ready agent work until it has no capacity or nothing fits.
    pub(super) fn serve_agent(&mut self, agent_slot: u32, now: Millis) {
        while let Some(slot) = self.find_work(agent_slot, now) {
            self.hand_over(slot, agent_slot, now);
        }
        self.refresh_ready(agent_slot, now);
    }

    /// Gives every member of a queue the chance to pick up work from it.
    pub(super) fn serve_members(&mut self, queue_slot: u32, now: Millis) {
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
    pub(super) fn find_work(&self, agent_slot: u32, now: Millis) -> Option<u32> {
        self.best_work(agent_slot, now).map(|(.., slot)| slot)
    }

    /// A waiting interaction as a candidate for an agent's next work.
    pub(super) fn candidate(&self, slot: u32, now: Millis) -> Option<WorkCandidate> {
        let interaction = self.interactions.get(slot)?;
        let queue = self.queues.get(interaction.queue)?;
        let score = self.score_at(queue, interaction, now);
        Some((score, Reverse(interaction.tiebreak()), slot))
    }

    pub(super) fn best_work(&self, agent_slot: u32, now: Millis) -> Option<WorkCandidate> {
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

    pub(super) fn offer(&mut self, slot: u32, agent_slot: u32, now: Millis) {
        self.hand_over(slot, agent_slot, now);
        self.refresh_ready(agent_slot, now);
    }

    /// Offers (or, with auto-accept, assigns) without bringing the agent's
    /// place in the ready index up to date: for a caller that gives the
    /// agent more work first and refreshes once at the end.
    fn hand_over(&mut self, slot: u32, agent_slot: u32, now: Millis) {
        self.remove_waiting(slot);
        let Some(interaction) = self.interactions.get(slot) else {
            return;
        };
        let (queue_slot, preferred) = (interaction.queue, interaction.preferred());
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
        if auto_accept {
            self.assign(slot, agent_slot, now);
            return;
        }
        let expires = now.saturating_add(self.config.offer_timeout);
        let queue_id = self.queue_id(queue_slot);
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

    pub(super) fn assign(&mut self, slot: u32, agent_slot: u32, now: Millis) {
        let queue_id = self
            .interactions
            .get(slot)
            .map_or(QueueId(0), |i| self.queue_id(i.queue));
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

    pub(super) fn decline(&mut self, slot: u32, agent_slot: u32, now: Millis) {
        self.release_agent(slot, agent_slot, None, now);
        let until = now.saturating_add(self.config.decline_cooldown);
        if let Some(interaction) = self.interactions.get_mut(slot) {
            interaction.add_decline(agent_slot, until, now);
        }
        self.place(slot, now);
        self.serve_agent(agent_slot, now);
    }

    pub(super) fn offer_timed_out(&mut self, slot: u32, agent_slot: u32, now: Millis) {
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
    pub(super) fn release_agent(
        &mut self,
        slot: u32,
        agent_slot: u32,
        wrap_up: Option<Millis>,
        now: Millis,
    ) {
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
    pub(super) fn end_handling(&mut self, slot: u32, now: Millis) -> Option<u32> {
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
    pub(super) fn detach(&mut self, slot: u32, now: Millis) -> Option<u32> {
        let interaction = self.interactions.get(slot)?;
        match interaction.status {
            Status::Waiting => {
                if let Some((agent, _)) = interaction.preferred() {
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
