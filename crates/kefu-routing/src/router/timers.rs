//! Time inside the router: one timer per agent and per interaction in a
//! heap with lazy invalidation, fired in order by every call.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum TimerTarget {
    Agent(u32),
    Interaction(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Timer {
    pub(super) at: Millis,
    pub(super) token: u64,
    pub(super) target: TimerTarget,
}

impl Router {
    /// Fires, in time order, every timer due by `now`; each acts at its own
    /// time. Returns whether any timer was due (and so may have acted).
    pub(super) fn advance(&mut self, now: Millis) -> bool {
        let mut fired = false;
        while let Some(Reverse(timer)) = self.timers.peek().copied() {
            if timer.at > now {
                break;
            }
            fired = true;
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
        fired
    }

    pub(super) fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }

    pub(super) fn on_agent_timer(&mut self, slot: u32, at: Millis) {
        self.refresh_ready(slot, at);
        self.serve_agent(slot, at);
        self.schedule_agent(slot, at);
    }

    pub(super) fn schedule_agent(&mut self, slot: u32, now: Millis) {
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

    pub(super) fn on_interaction_timer(&mut self, slot: u32, at: Millis) {
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
        if let Some((agent, until)) = interaction.preferred()
            && until <= at
        {
            self.release_hold(slot, agent);
        }
        self.try_route(slot, at);
        self.schedule_interaction(slot, at);
    }

    /// One timer per interaction, at its next deadline: offer expiry, max
    /// wait, the next relaxation step or the end of a sticky hold.
    pub(super) fn schedule_interaction(&mut self, slot: u32, now: Millis) {
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
                let hold = interaction.preferred().map(|(_, until)| until);
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
}
