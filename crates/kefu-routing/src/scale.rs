//! Load generation for the benchmarks: a synthetic contact center at any
//! scale (default 10,000 agents, 200 skills, 1,000 queues, 100,000 waiting
//! interactions), a driver that keeps it in a steady state, and a
//! straightforward scan-every-agent / scan-every-queue router to compare with.

use crate::config::{AgentSpec, InteractionSpec, QueueSpec, RouterConfig};
use crate::error::RoutingError;
use crate::rng::Rng;
use crate::router::{Decision, Router};
use crate::types::{
    AgentId, Channel, InteractionId, MAX_SKILLS, Millis, QueueId, SkillId, SkillReq, Tier,
};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleParams {
    pub agents: u32,
    pub skills: u16,
    pub queues: u32,
    pub waiting: u32,
    pub seed: u64,
}

impl Default for ScaleParams {
    fn default() -> Self {
        ScaleParams {
            agents: 10_000,
            skills: 200,
            queues: 1_000,
            waiting: 100_000,
            seed: 42,
        }
    }
}

/// Voice, chat and email agents and queues in these shares (of 10).
fn channel_for(draw: u64) -> (Channel, u16) {
    match draw % 10 {
        0..=4 => (Channel::Voice, 1),
        5..=7 => (Channel::Chat, 3),
        _ => (Channel::Email, 5),
    }
}

/// The generated center: queue and agent specs, and an arrival stream.
#[derive(Debug, Clone)]
pub struct Workload {
    pub params: ScaleParams,
    pub queues: Vec<QueueSpec>,
    pub agents: Vec<AgentSpec>,
    rng: Rng,
    next_interaction: u64,
}

impl Workload {
    pub fn new(params: ScaleParams) -> Workload {
        let mut rng = Rng::seed(params.seed);
        let skills = u64::from(params.skills.clamp(1, MAX_SKILLS as u16));
        let queues: Vec<QueueSpec> = (0..u64::from(params.queues))
            .map(|index| {
                let (channel, _) = channel_for(rng.next_u64());
                let mut spec = QueueSpec::new(index + 1, channel);
                let min = 1 + (rng.below(3) as u8);
                spec.required_skills = vec![SkillReq::new((index % skills) as u16, min)];
                spec
            })
            .collect();
        let agents = (0..u64::from(params.agents))
            .map(|index| {
                let (channel, capacity) = channel_for(rng.next_u64());
                let mut spec = AgentSpec::new(index + 1);
                spec.capacity = vec![(channel, capacity)];
                spec.auto_accept = true;
                let mut proficiency = [0u8; MAX_SKILLS];
                // A home queue on the agent's channel, so nobody idles for lack of skills.
                let home = queues
                    .iter()
                    .cycle()
                    .skip(rng.below(queues.len().max(1) as u64) as usize)
                    .take(queues.len())
                    .find(|queue| queue.channel == channel);
                if let Some(req) = home.and_then(|queue| queue.required_skills.first()) {
                    proficiency[usize::from(req.skill.0)] = 5;
                }
                for _ in 0..3 {
                    let skill = rng.below(skills) as usize;
                    proficiency[skill] = proficiency[skill].max(1 + rng.below(5) as u8);
                }
                spec.skills = proficiency
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| **p > 0)
                    .map(|(skill, p)| (SkillId(skill as u16), *p))
                    .collect();
                spec
            })
            .collect();
        Workload {
            params,
            queues,
            agents,
            rng,
            next_interaction: 0,
        }
    }

    /// A new interaction for a random queue; one in ten is a VIP.
    pub fn next_interaction(&mut self) -> InteractionSpec {
        self.next_interaction += 1;
        let queue = 1 + self.rng.below(self.queues.len().max(1) as u64);
        let mut spec = InteractionSpec::new(self.next_interaction, queue);
        if self.rng.below(10) == 0 {
            spec.tier = Tier::Vip;
        }
        spec
    }
}

/// What the driver needs from a router: feed it and hear what it assigned.
pub trait Engine {
    fn add_queue(&mut self, spec: QueueSpec, now: Millis) -> Result<(), RoutingError>;
    fn add_agent(&mut self, spec: AgentSpec, now: Millis) -> Result<(), RoutingError>;
    /// Enqueues; pushes what got assigned during the call onto `assigned`.
    fn enqueue(
        &mut self,
        spec: InteractionSpec,
        now: Millis,
        assigned: &mut Vec<InteractionId>,
    ) -> Result<(), RoutingError>;
    fn complete(
        &mut self,
        id: InteractionId,
        now: Millis,
        assigned: &mut Vec<InteractionId>,
    ) -> Result<(), RoutingError>;
    fn waiting(&self) -> usize;
}

impl Engine for Router {
    fn add_queue(&mut self, spec: QueueSpec, now: Millis) -> Result<(), RoutingError> {
        Router::add_queue(self, spec, now)
    }

    fn add_agent(&mut self, spec: AgentSpec, now: Millis) -> Result<(), RoutingError> {
        Router::add_agent(self, spec, now)
    }

    fn enqueue(
        &mut self,
        spec: InteractionSpec,
        now: Millis,
        assigned: &mut Vec<InteractionId>,
    ) -> Result<(), RoutingError> {
        Router::enqueue(self, spec, now)?;
        collect_assigned(self, assigned);
        Ok(())
    }

    fn complete(
        &mut self,
        id: InteractionId,
        now: Millis,
        assigned: &mut Vec<InteractionId>,
    ) -> Result<(), RoutingError> {
        Router::complete(self, id, now)?;
        collect_assigned(self, assigned);
        Ok(())
    }

    fn waiting(&self) -> usize {
        self.waiting_count()
    }
}

fn collect_assigned(router: &mut Router, assigned: &mut Vec<InteractionId>) {
    for decision in router.drain_decisions() {
        if let Decision::Assigned { interaction, .. } = decision {
            assigned.push(interaction);
        }
    }
}

/// Keeps a center in steady state: each step completes one random
/// interaction in progress (its agent takes the next one) and feeds one new
/// arrival, so the waiting count stays where it started.
#[derive(Debug)]
pub struct Driver<E> {
    pub engine: E,
    pub workload: Workload,
    in_progress: Vec<InteractionId>,
    fresh: Vec<InteractionId>,
    rng: Rng,
    pub now: Millis,
}

impl<E: Engine> Driver<E> {
    pub fn build(mut engine: E, params: ScaleParams) -> Result<Driver<E>, RoutingError> {
        let mut workload = Workload::new(params);
        let now = Millis::ZERO;
        for queue in &workload.queues {
            engine.add_queue(queue.clone(), now)?;
        }
        for agent in &workload.agents {
            engine.add_agent(agent.clone(), now)?;
        }
        let mut in_progress = Vec::new();
        let mut step = 0u64;
        while engine.waiting() < params.waiting as usize {
            step += 1;
            let spec = workload.next_interaction();
            engine.enqueue(spec, Millis(step), &mut in_progress)?;
        }
        Ok(Driver {
            engine,
            workload,
            in_progress,
            fresh: Vec::new(),
            rng: Rng::seed(params.seed ^ 0x5eed),
            now: Millis(step + 1),
        })
    }

    pub fn in_progress(&self) -> usize {
        self.in_progress.len()
    }

    /// Completes a random interaction in progress; returns how many
    /// assignments (routing decisions) that produced.
    pub fn complete_one(&mut self) -> Result<usize, RoutingError> {
        if self.in_progress.is_empty() {
            return Ok(0);
        }
        self.now = self.now.saturating_add(Millis(1));
        let index = self.rng.below(self.in_progress.len() as u64) as usize;
        let id = self.in_progress.swap_remove(index);
        self.fresh.clear();
        self.engine.complete(id, self.now, &mut self.fresh)?;
        self.in_progress.extend_from_slice(&self.fresh);
        Ok(self.fresh.len())
    }

    /// Feeds one new arrival; returns how many assignments that produced.
    pub fn arrive_one(&mut self) -> Result<usize, RoutingError> {
        let spec = self.workload.next_interaction();
        self.fresh.clear();
        self.engine.enqueue(spec, self.now, &mut self.fresh)?;
        self.in_progress.extend_from_slice(&self.fresh);
        Ok(self.fresh.len())
    }
}

/// The router everyone writes first: no indexes, every arrival scans every
/// agent and every freed agent scans every queue and every waiting entry.
#[derive(Debug, Default)]
pub struct NaiveRouter {
    tier_boost: [i64; Tier::COUNT],
    agents: Vec<NaiveAgent>,
    agent_index: HashMap<AgentId, usize>,
    queues: Vec<NaiveQueue>,
    queue_index: HashMap<QueueId, usize>,
    handling: HashMap<InteractionId, (usize, Channel)>,
    seq: u64,
}

#[derive(Debug)]
struct NaiveAgent {
    proficiency: Vec<u8>,
    capacity: [u16; Channel::COUNT],
    load: [u16; Channel::COUNT],
    idle_since: Millis,
}

#[derive(Debug)]
struct NaiveQueue {
    channel: Channel,
    skills: Vec<SkillReq>,
    /// (score, seq, id) in arrival order.
    waiting: Vec<(i64, u64, InteractionId)>,
}

impl NaiveRouter {
    pub fn new() -> NaiveRouter {
        NaiveRouter {
            tier_boost: RouterConfig::default().tier_boost,
            ..NaiveRouter::default()
        }
    }

    fn qualifies(agent: &NaiveAgent, queue: &NaiveQueue) -> bool {
        let c = queue.channel.index();
        agent.load[c] < agent.capacity[c]
            && queue
                .skills
                .iter()
                .all(|req| agent.proficiency[usize::from(req.skill.0)] >= req.min_proficiency)
    }

    fn assign(&mut self, agent: usize, channel: Channel, id: InteractionId, now: Millis) {
        if let Some(slot) = self.agents.get_mut(agent) {
            slot.load[channel.index()] += 1;
            slot.idle_since = now;
        }
        self.handling.insert(id, (agent, channel));
    }
}

impl Engine for NaiveRouter {
    fn add_queue(&mut self, spec: QueueSpec, _now: Millis) -> Result<(), RoutingError> {
        self.queue_index.insert(spec.id, self.queues.len());
        self.queues.push(NaiveQueue {
            channel: spec.channel,
            skills: spec.required_skills,
            waiting: Vec::new(),
        });
        Ok(())
    }

    fn add_agent(&mut self, spec: AgentSpec, now: Millis) -> Result<(), RoutingError> {
        let mut proficiency = vec![0u8; MAX_SKILLS];
        for (skill, level) in &spec.skills {
            proficiency[usize::from(skill.0)] = *level;
        }
        let mut capacity = [0; Channel::COUNT];
        for (channel, count) in &spec.capacity {
            capacity[channel.index()] = *count;
        }
        self.agent_index.insert(spec.id, self.agents.len());
        self.agents.push(NaiveAgent {
            proficiency,
            capacity,
            load: [0; Channel::COUNT],
            idle_since: now,
        });
        Ok(())
    }

    fn enqueue(
        &mut self,
        spec: InteractionSpec,
        now: Millis,
        assigned: &mut Vec<InteractionId>,
    ) -> Result<(), RoutingError> {
        let queue_index = *self
            .queue_index
            .get(&spec.queue)
            .ok_or(RoutingError::UnknownQueue(spec.queue))?;
        let queue = &self.queues[queue_index];
        let best = self
            .agents
            .iter()
            .enumerate()
            .filter(|(_, agent)| Self::qualifies(agent, queue))
            .min_by_key(|(_, agent)| agent.idle_since)
            .map(|(index, _)| index);
        let channel = queue.channel;
        match best {
            Some(agent) => {
                self.assign(agent, channel, spec.id, now);
                assigned.push(spec.id);
            }
            None => {
                self.seq += 1;
                let score = i64::from(spec.base_priority) + self.tier_boost[spec.tier.index()];
                self.queues[queue_index]
                    .waiting
                    .push((score, self.seq, spec.id));
            }
        }
        Ok(())
    }

    fn complete(
        &mut self,
        id: InteractionId,
        now: Millis,
        assigned: &mut Vec<InteractionId>,
    ) -> Result<(), RoutingError> {
        let (agent, channel) = self
            .handling
            .remove(&id)
            .ok_or(RoutingError::UnknownInteraction(id))?;
        if let Some(slot) = self.agents.get_mut(agent) {
            slot.load[channel.index()] = slot.load[channel.index()].saturating_sub(1);
            slot.idle_since = now;
        }
        loop {
            let Some(free) = self.agents.get(agent) else {
                return Ok(());
            };
            // Best (score, earliest) entry over every queue this agent fits.
            let mut best: Option<(i64, std::cmp::Reverse<u64>, usize, usize)> = None;
            for (queue_index, queue) in self.queues.iter().enumerate() {
                if !Self::qualifies(free, queue) {
                    continue;
                }
                for (position, &(score, seq, _)) in queue.waiting.iter().enumerate() {
                    let candidate = (score, std::cmp::Reverse(seq), queue_index, position);
                    if best.is_none_or(|top| (candidate.0, candidate.1) > (top.0, top.1)) {
                        best = Some(candidate);
                    }
                }
            }
            let Some((_, _, queue_index, position)) = best else {
                return Ok(());
            };
            let queue = &mut self.queues[queue_index];
            let channel = queue.channel;
            let (_, _, taken) = queue.waiting.remove(position);
            self.assign(agent, channel, taken, now);
            assigned.push(taken);
        }
    }

    fn waiting(&self) -> usize {
        self.queues.iter().map(|queue| queue.waiting.len()).sum()
    }
}
