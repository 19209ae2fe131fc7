//! Property tests: random worlds and random operation sequences, checked
//! after every step against a model the test keeps itself (presence, wrap-up,
//! declines, queue moves) and an independent eligibility oracle.

use kefu_routing::{
    AgentId, AgentSpec, Channel, Decision, InteractionId, InteractionSpec, InteractionStatus,
    LanguageId, Millis, OverflowTarget, Presence, QueueId, QueueSpec, Router, RouterConfig,
    SkillId, SkillReq, Tier, TransferTarget,
};
use proptest::prelude::*;
use std::collections::BTreeMap;

const SKILLS: u16 = 4;
const VOICE_WRAP: Millis = Millis(5_000);

#[derive(Debug, Clone)]
struct AgentPlan {
    skills: Vec<(u16, u8)>,
    voice: bool,
    chat: u16,
    auto_accept: bool,
    languages: Vec<u8>,
}

#[derive(Debug, Clone)]
struct QueuePlan {
    chat: bool,
    skills: Vec<(u16, u8)>,
    max_length: Option<u32>,
    max_wait_secs: Option<u64>,
    overflow_to_next: bool,
    lifo: bool,
}

#[derive(Debug, Clone)]
enum Op {
    Enqueue {
        queue: usize,
        tier: u8,
        priority: i32,
        skill: Option<(u16, u8)>,
        language: Option<u8>,
    },
    Advance(u64),
    Accept(usize),
    Reject(usize),
    Complete(usize),
    Abandon(usize),
    Transfer(usize, usize),
    Requeue(usize),
    Presence(usize, u8),
}

fn agent_plan() -> impl Strategy<Value = AgentPlan> {
    (
        prop::collection::vec((0..SKILLS, 1..=5u8), 0..4),
        any::<bool>(),
        0..3u16,
        any::<bool>(),
        prop::collection::vec(0..2u8, 0..3),
    )
        .prop_map(|(skills, voice, chat, auto_accept, languages)| AgentPlan {
            skills,
            voice: voice || chat == 0,
            chat,
            auto_accept,
            languages,
        })
}

fn queue_plan() -> impl Strategy<Value = QueuePlan> {
    (
        any::<bool>(),
        prop::collection::vec((0..SKILLS, 1..=5u8), 0..2),
        prop::option::of(0..4u32),
        prop::option::of(10..90u64),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(chat, skills, max_length, max_wait_secs, overflow_to_next, lifo)| QueuePlan {
                chat,
                skills,
                max_length,
                max_wait_secs,
                overflow_to_next,
                lifo,
            },
        )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..4usize, 0..4u8, 0..3i32, prop::option::of((0..SKILLS, 1..=5u8)), prop::option::of(0..2u8))
            .prop_map(|(queue, tier, priority, skill, language)| Op::Enqueue { queue, tier, priority, skill, language }),
        3 => (0..40u64).prop_map(Op::Advance),
        2 => (0..8usize).prop_map(Op::Accept),
        1 => (0..8usize).prop_map(Op::Reject),
        2 => (0..8usize).prop_map(Op::Complete),
        1 => (0..8usize).prop_map(Op::Abandon),
        1 => (0..8usize, 0..4usize).prop_map(|(n, q)| Op::Transfer(n, q)),
        1 => (0..8usize).prop_map(Op::Requeue),
        1 => (0..6usize, 0..3u8).prop_map(|(a, p)| Op::Presence(a, p)),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    Waiting,
    Offered(u64),
    Assigned(u64),
}

#[derive(Debug, Clone)]
struct Tracked {
    spec: InteractionSpec,
    queue: usize,
    held: Held,
    declined: Vec<(u64, Millis)>,
    enqueued_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Answered,
    Abandoned,
    Overflowed,
}

struct World {
    router: Router,
    config: RouterConfig,
    now: Millis,
    agents: Vec<AgentSpec>,
    wrap_until: Vec<[Millis; Channel::COUNT]>,
    queues: Vec<QueueSpec>,
    live: BTreeMap<u64, Tracked>,
    ended: BTreeMap<u64, Fate>,
    next_id: u64,
}

fn queue_index(id: QueueId) -> usize {
    id.0 as usize - 1
}

impl World {
    fn new(agents: &[AgentPlan], queues: &[QueuePlan]) -> World {
        let mut config = RouterConfig {
            skill_count: SKILLS,
            ..RouterConfig::default()
        };
        config.wrap_up[Channel::Voice.index()] = VOICE_WRAP;
        let mut router = Router::new(config.clone()).unwrap();
        let count = queues.len() as u64;
        let queue_specs: Vec<QueueSpec> = queues
            .iter()
            .enumerate()
            .map(|(index, plan)| {
                let id = index as u64 + 1;
                let channel = if plan.chat {
                    Channel::Chat
                } else {
                    Channel::Voice
                };
                let mut spec = QueueSpec::new(id, channel);
                spec.required_skills = plan
                    .skills
                    .iter()
                    .map(|&(s, p)| SkillReq::new(s, p))
                    .collect();
                spec.max_length = plan.max_length;
                spec.max_wait = plan.max_wait_secs.map(Millis::from_secs);
                spec.lifo = plan.lifo;
                if plan.overflow_to_next && count > 1 {
                    spec.overflow = OverflowTarget::Queue(QueueId(id % count + 1));
                }
                router.add_queue(spec.clone(), Millis::ZERO).unwrap();
                spec
            })
            .collect();
        let agent_specs: Vec<AgentSpec> = agents
            .iter()
            .enumerate()
            .map(|(index, plan)| {
                let mut spec = AgentSpec::new(index as u64 + 1);
                let mut skills: BTreeMap<u16, u8> = BTreeMap::new();
                skills.extend(plan.skills.iter().copied());
                spec.skills = skills.into_iter().map(|(s, p)| (SkillId(s), p)).collect();
                spec.capacity.clear();
                if plan.voice {
                    spec.capacity.push((Channel::Voice, 1));
                }
                if plan.chat > 0 {
                    spec.capacity.push((Channel::Chat, plan.chat));
                }
                spec.auto_accept = plan.auto_accept;
                spec.languages = plan.languages.iter().map(|&l| LanguageId(l)).collect();
                router.add_agent(spec.clone(), Millis::ZERO).unwrap();
                spec
            })
            .collect();
        World {
            router,
            config,
            now: Millis::ZERO,
            wrap_until: vec![[Millis::ZERO; Channel::COUNT]; agent_specs.len()],
            agents: agent_specs,
            queues: queue_specs,
            live: BTreeMap::new(),
            ended: BTreeMap::new(),
            next_id: 1,
        }
    }

    fn agent_index(id: u64) -> usize {
        id as usize - 1
    }

    fn channel_of(&self, queue: usize) -> Channel {
        self.queues[queue].channel
    }

    fn nth(&self, n: usize, filter: impl Fn(Held) -> bool) -> Option<u64> {
        let matching: Vec<u64> = self
            .live
            .iter()
            .filter(|(_, t)| filter(t.held))
            .map(|(&id, _)| id)
            .collect();
        (!matching.is_empty()).then(|| matching[n % matching.len()])
    }

    fn end_handling(&mut self, id: u64) {
        if let Some(tracked) = self.live.get(&id)
            && let Held::Assigned(agent) = tracked.held
        {
            let channel = self.channel_of(tracked.queue);
            let wrap = self.config.wrap_up[channel.index()];
            let until = &mut self.wrap_until[Self::agent_index(agent)][channel.index()];
            *until = (*until).max(self.now.saturating_add(wrap));
        }
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let now = self.now;
        match *op {
            Op::Enqueue {
                queue,
                tier,
                priority,
                skill,
                language,
            } => {
                let queue = queue % self.queues.len();
                let id = self.next_id;
                self.next_id += 1;
                let mut spec = InteractionSpec::new(id, queue as u64 + 1);
                spec.tier = [Tier::Normal, Tier::Silver, Tier::Gold, Tier::Vip][usize::from(tier)];
                spec.base_priority = priority;
                spec.required_skills = skill
                    .map(|(s, p)| SkillReq::new(s, p))
                    .into_iter()
                    .collect();
                spec.language = language.map(LanguageId);
                self.live.insert(
                    id,
                    Tracked {
                        spec: spec.clone(),
                        queue,
                        held: Held::Waiting,
                        declined: Vec::new(),
                        enqueued_at: now,
                    },
                );
                self.router.enqueue(spec, now).unwrap();
            }
            Op::Advance(secs) => {
                self.now = now.saturating_add(Millis::from_secs(secs));
                self.router.tick(self.now).unwrap();
            }
            Op::Accept(n) => {
                if let Some(id) = self.nth(n, |h| matches!(h, Held::Offered(_)))
                    && let Some(Held::Offered(agent)) = self.live.get(&id).map(|t| t.held)
                {
                    self.router
                        .accept(InteractionId(id), AgentId(agent), now)
                        .unwrap();
                }
            }
            Op::Reject(n) => {
                if let Some(id) = self.nth(n, |h| matches!(h, Held::Offered(_)))
                    && let Some(tracked) = self.live.get_mut(&id)
                    && let Held::Offered(agent) = tracked.held
                {
                    tracked.held = Held::Waiting;
                    tracked
                        .declined
                        .push((agent, now.saturating_add(self.config.decline_cooldown)));
                    self.router
                        .reject(InteractionId(id), AgentId(agent), now)
                        .unwrap();
                }
            }
            Op::Complete(n) => {
                if let Some(id) = self.nth(n, |h| matches!(h, Held::Assigned(_))) {
                    self.end_handling(id);
                    self.live.remove(&id);
                    prop_assert!(self.ended.insert(id, Fate::Answered).is_none());
                    self.router.complete(InteractionId(id), now).unwrap();
                }
            }
            Op::Abandon(n) => {
                if let Some(id) = self.nth(n, |h| !matches!(h, Held::Assigned(_))) {
                    self.live.remove(&id);
                    prop_assert!(self.ended.insert(id, Fate::Abandoned).is_none());
                    self.router.abandon(InteractionId(id), now).unwrap();
                }
            }
            Op::Transfer(n, queue) => {
                let queue = queue % self.queues.len();
                if let Some(id) = self.nth(n, |_| true) {
                    self.end_handling(id);
                    if let Some(tracked) = self.live.get_mut(&id) {
                        tracked.held = Held::Waiting;
                        tracked.queue = queue;
                        tracked.declined.clear();
                    }
                    let target = TransferTarget::Queue(QueueId(queue as u64 + 1));
                    self.router
                        .transfer(InteractionId(id), target, now)
                        .unwrap();
                }
            }
            Op::Requeue(n) => {
                if let Some(id) = self.nth(n, |h| h != Held::Waiting) {
                    self.end_handling(id);
                    if let Some(tracked) = self.live.get_mut(&id) {
                        tracked.held = Held::Waiting;
                    }
                    self.router.requeue(InteractionId(id), now).unwrap();
                }
            }
            Op::Presence(agent, presence) => {
                let agent = agent % self.agents.len();
                let presence = match presence {
                    0 => Presence::Available,
                    1 => Presence::away("break"),
                    _ => Presence::Offline,
                };
                self.agents[agent].presence = presence.clone();
                self.router
                    .set_presence(AgentId(agent as u64 + 1), presence, now)
                    .unwrap();
            }
        }
        self.absorb_decisions()
    }

    /// Applies the router's decisions to the model, checking each offer.
    fn absorb_decisions(&mut self) -> Result<(), TestCaseError> {
        let decisions: Vec<Decision> = self.router.drain_decisions().collect();
        for decision in decisions {
            match decision {
                Decision::Offered {
                    interaction,
                    agent,
                    at,
                    ..
                } => {
                    let tracked = self.live.get(&interaction.0).cloned();
                    let tracked = tracked
                        .ok_or_else(|| TestCaseError::fail("offer of an ended interaction"))?;
                    prop_assert_eq!(tracked.held, Held::Waiting, "offered while already held");
                    self.check_offerable(agent.0, interaction.0, &tracked, at)?;
                    self.set_held(interaction.0, Held::Offered(agent.0));
                }
                Decision::Assigned {
                    interaction,
                    agent,
                    at,
                    ..
                } => {
                    let tracked = self.live.get(&interaction.0).cloned();
                    let tracked = tracked
                        .ok_or_else(|| TestCaseError::fail("assignment of an ended interaction"))?;
                    match tracked.held {
                        Held::Waiting => {
                            self.check_offerable(agent.0, interaction.0, &tracked, at)?
                        }
                        Held::Offered(offered) => prop_assert_eq!(offered, agent.0),
                        Held::Assigned(_) => prop_assert!(false, "assigned twice"),
                    }
                    self.set_held(interaction.0, Held::Assigned(agent.0));
                }
                Decision::OfferTimedOut {
                    interaction,
                    agent,
                    at,
                } => {
                    let cooldown = self.config.decline_cooldown;
                    if let Some(tracked) = self.live.get_mut(&interaction.0) {
                        prop_assert_eq!(tracked.held, Held::Offered(agent.0));
                        tracked.held = Held::Waiting;
                        tracked
                            .declined
                            .push((agent.0, at.saturating_add(cooldown)));
                    }
                }
                Decision::AgentSetAway { agent, reason, .. } => {
                    self.agents[Self::agent_index(agent.0)].presence = Presence::Away { reason };
                }
                Decision::Overflowed {
                    interaction, to, ..
                } => match to {
                    OverflowTarget::Queue(queue) => {
                        if let Some(tracked) = self.live.get_mut(&interaction.0) {
                            tracked.queue = queue_index(queue);
                            tracked.declined.clear();
                        }
                    }
                    OverflowTarget::LeaveMessage => {
                        prop_assert!(self.live.remove(&interaction.0).is_some());
                        prop_assert!(self.ended.insert(interaction.0, Fate::Overflowed).is_none());
                    }
                },
            }
        }
        Ok(())
    }

    fn set_held(&mut self, id: u64, held: Held) {
        if let Some(tracked) = self.live.get_mut(&id) {
            tracked.held = held;
        }
    }

    /// Checks an offer of `tracked` (id `id`) to `agent` made at `at`: the
    /// agent could take it, and nothing that outranks it was open to them.
    fn check_offerable(
        &self,
        agent: u64,
        id: u64,
        tracked: &Tracked,
        at: Millis,
    ) -> Result<(), TestCaseError> {
        let index = Self::agent_index(agent);
        let channel = self.channel_of(tracked.queue);
        prop_assert_eq!(
            &self.agents[index].presence,
            &Presence::Available,
            "offer to an unavailable agent"
        );
        prop_assert!(
            self.wrap_until[index][channel.index()] <= at,
            "offer during wrap-up"
        );
        prop_assert!(
            self.ready(index, channel, at),
            "offer beyond capacity or blocked"
        );
        prop_assert!(
            self.eligible(index, tracked, at),
            "offer to an ineligible agent"
        );
        let points = |t: &Tracked| {
            i64::from(t.spec.base_priority) + self.config.tier_boost[t.spec.tier.index()]
        };
        for (&other_id, other) in &self.live {
            let open = other_id != id
                && other.held == Held::Waiting
                && self.ready(index, self.channel_of(other.queue), at)
                && self.eligible(index, other, at);
            if !open {
                continue;
            }
            let fifo = !self.queues[other.queue].lifo && other.queue == tracked.queue;
            let earlier = (other.enqueued_at, other_id) < (tracked.enqueued_at, id);
            let outranks = points(other) > points(tracked)
                || (fifo && points(other) == points(tracked) && earlier);
            prop_assert!(
                !outranks,
                "agent {} got {} while {} outranked it",
                agent,
                id,
                other_id
            );
        }
        Ok(())
    }

    /// Load per channel as the model sees it (offers and assignments).
    fn load(&self, agent: usize) -> [u16; Channel::COUNT] {
        let id = agent as u64 + 1;
        let mut load = [0u16; Channel::COUNT];
        for tracked in self.live.values() {
            if matches!(tracked.held, Held::Offered(a) | Held::Assigned(a) if a == id) {
                load[self.channel_of(tracked.queue).index()] += 1;
            }
        }
        load
    }

    fn ready(&self, agent: usize, channel: Channel, at: Millis) -> bool {
        let spec = &self.agents[agent];
        let load = self.load(agent);
        let c = channel.index();
        let capacity = spec
            .capacity
            .iter()
            .find(|(ch, _)| *ch == channel)
            .map_or(0, |&(_, n)| n);
        let blocked = load[Channel::Voice.index()] > 0 || load[Channel::Video.index()] > 0;
        spec.presence == Presence::Available
            && load[c] < capacity
            && self.wrap_until[agent][c] <= at
            && !blocked
    }

    /// The oracle: may this agent take this waiting interaction right now?
    fn could_take(&self, agent: usize, tracked: &Tracked) -> bool {
        self.ready(agent, self.channel_of(tracked.queue), self.now)
            && self.eligible(agent, tracked, self.now)
    }

    /// Skills, language and declines, readiness aside.
    fn eligible(&self, agent: usize, tracked: &Tracked, at: Millis) -> bool {
        let spec = &self.agents[agent];
        let proficiency = |skill: SkillId| {
            spec.skills
                .iter()
                .find(|(s, _)| *s == skill)
                .map_or(0, |&(_, p)| p)
        };
        let queue = &self.queues[tracked.queue];
        let skilled = queue
            .required_skills
            .iter()
            .chain(&tracked.spec.required_skills)
            .all(|req| proficiency(req.skill) >= req.min_proficiency);
        let speaks = tracked
            .spec
            .language
            .is_none_or(|l| spec.languages.contains(&l));
        let declined = tracked
            .declined
            .iter()
            .any(|&(a, until)| a == spec.id.0 && until > at);
        skilled && speaks && !declined
    }

    fn check_invariants(&self) -> Result<(), TestCaseError> {
        let mut held = 0u64;
        for spec in &self.agents {
            let view = self.router.agent(spec.id).unwrap();
            for c in 0..Channel::COUNT {
                prop_assert!(
                    view.load[c] <= view.capacity[c],
                    "agent {} above capacity",
                    spec.id
                );
            }
            held += view.load.iter().map(|&l| u64::from(l)).sum::<u64>();
        }
        let busy = self
            .live
            .values()
            .filter(|t| t.held != Held::Waiting)
            .count() as u64;
        prop_assert_eq!(
            held,
            busy,
            "agent loads must equal offered + assigned interactions"
        );
        for (&id, tracked) in &self.live {
            let status = match self.router.interaction(InteractionId(id)).unwrap().status {
                InteractionStatus::Waiting => Held::Waiting,
                InteractionStatus::Offered { agent, .. } => Held::Offered(agent.0),
                InteractionStatus::Assigned { agent, .. } => Held::Assigned(agent.0),
            };
            prop_assert_eq!(status, tracked.held);
            if tracked.held == Held::Waiting {
                for agent in 0..self.agents.len() {
                    prop_assert!(
                        !self.could_take(agent, tracked),
                        "interaction {} waits while agent {} could take it",
                        id,
                        agent + 1
                    );
                }
            }
        }
        self.check_queue_order()
    }

    fn check_queue_order(&self) -> Result<(), TestCaseError> {
        for (index, queue) in self.queues.iter().enumerate() {
            let order = self.router.waiting_in(queue.id).unwrap();
            let keys: Vec<(i64, Millis, u64)> = order
                .iter()
                .map(|id| {
                    let tracked = &self.live[&id.0];
                    prop_assert_eq!(tracked.queue, index);
                    let points = i64::from(tracked.spec.base_priority)
                        + self.config.tier_boost[tracked.spec.tier.index()];
                    Ok((points, tracked.enqueued_at, id.0))
                })
                .collect::<Result<_, TestCaseError>>()?;
            for pair in keys.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                prop_assert!(a.0 >= b.0, "higher score first in queue {}", queue.id);
                if a.0 == b.0 {
                    let in_order = if queue.lifo {
                        (a.1, a.2) > (b.1, b.2)
                    } else {
                        (a.1, a.2) < (b.1, b.2)
                    };
                    prop_assert!(
                        in_order,
                        "FIFO/LIFO among equal scores in queue {}",
                        queue.id
                    );
                }
            }
        }
        Ok(())
    }

    /// Lets everything finish: a capable agent joins, time runs, offers are
    /// accepted and work completed, until nothing is left.
    fn drain(&mut self) -> Result<(), TestCaseError> {
        let mut closer = AgentSpec::new(1000);
        closer.skills = (0..SKILLS).map(|s| (SkillId(s), 5)).collect();
        closer.languages = vec![LanguageId(0), LanguageId(1)];
        closer.capacity = vec![(Channel::Voice, 1), (Channel::Chat, 50)];
        closer.auto_accept = true;
        self.router.add_agent(closer, self.now).unwrap();
        for _ in 0..500 {
            if self.live.is_empty() {
                break;
            }
            self.now = self.now.saturating_add(Millis::from_secs(60));
            self.router.tick(self.now).unwrap();
            self.absorb_drain_decisions()?;
            let ids: Vec<(u64, Held)> = self.live.iter().map(|(&id, t)| (id, t.held)).collect();
            for (id, held) in ids {
                match held {
                    Held::Offered(agent) => {
                        self.router
                            .accept(InteractionId(id), AgentId(agent), self.now)
                            .unwrap();
                    }
                    Held::Assigned(_) => {
                        self.live.remove(&id);
                        prop_assert!(self.ended.insert(id, Fate::Answered).is_none());
                        self.router.complete(InteractionId(id), self.now).unwrap();
                    }
                    Held::Waiting => {}
                }
                self.absorb_drain_decisions()?;
            }
        }
        Ok(())
    }

    /// During the drain the closer agent has no model entry; track only fates.
    fn absorb_drain_decisions(&mut self) -> Result<(), TestCaseError> {
        let decisions: Vec<Decision> = self.router.drain_decisions().collect();
        for decision in decisions {
            match decision {
                Decision::Offered {
                    interaction, agent, ..
                } => self.set_held(interaction.0, Held::Offered(agent.0)),
                Decision::Assigned {
                    interaction, agent, ..
                } => self.set_held(interaction.0, Held::Assigned(agent.0)),
                Decision::OfferTimedOut { interaction, .. } => {
                    self.set_held(interaction.0, Held::Waiting)
                }
                Decision::Overflowed {
                    interaction,
                    to: OverflowTarget::LeaveMessage,
                    ..
                } => {
                    prop_assert!(self.live.remove(&interaction.0).is_some());
                    prop_assert!(self.ended.insert(interaction.0, Fate::Overflowed).is_none());
                }
                _ => {}
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn routing_invariants_hold_under_random_operations(
        agents in prop::collection::vec(agent_plan(), 1..6),
        queues in prop::collection::vec(queue_plan(), 1..4),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut world = World::new(&agents, &queues);
        world.absorb_decisions()?;
        world.check_invariants()?;
        for op in &ops {
            world.apply(op)?;
            world.check_invariants()?;
        }
        world.drain()?;
        prop_assert!(world.live.is_empty(), "left over: {:?}", world.live.keys().collect::<Vec<_>>());
        prop_assert_eq!(world.router.interaction_count(), 0);
        let arrivals = world.next_id - 1;
        prop_assert_eq!(world.ended.len() as u64, arrivals, "every arrival ends exactly once");
    }
}
