//! Discrete-event contact-center simulator. It drives the real `Router` with
//! Poisson arrivals, sampled handle times, customer patience and agent shifts,
//! and reports the classic queue statistics (offered, answered, abandoned,
//! service level, ASA, abandonment rate, occupancy).

use crate::config::{
    AgentSpec, InteractionSpec, OverflowTarget, Presence, QueueSpec, RouterConfig, Strategy,
};
use crate::error::RoutingError;
use crate::rng::Rng;
use crate::router::{Decision, Router};
use crate::types::{AgentId, Channel, InteractionId, Millis, SkillId, SkillReq};
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// How the service level is computed in every report (GLOSSARY definition 3).
pub const SERVICE_LEVEL_DEFINITION: &str = "answered within T / (answered + abandoned)";

#[derive(Debug, Clone, PartialEq)]
pub enum HandleTime {
    Exponential {
        mean_secs: f64,
    },
    /// Lognormal with the given mean and coefficient of variation (sd / mean).
    LogNormal {
        mean_secs: f64,
        cv: f64,
    },
}

impl HandleTime {
    fn mean_secs(&self) -> f64 {
        match self {
            HandleTime::Exponential { mean_secs } | HandleTime::LogNormal { mean_secs, .. } => {
                *mean_secs
            }
        }
    }

    fn sample_secs(&self, rng: &mut Rng) -> f64 {
        match *self {
            HandleTime::Exponential { mean_secs } => rng.exponential(mean_secs),
            HandleTime::LogNormal { mean_secs, cv } => {
                let sigma2 = (1.0 + cv * cv).ln();
                let mu = mean_secs.ln() - sigma2 / 2.0;
                (mu + sigma2.sqrt() * rng.normal()).exp()
            }
        }
    }
}

/// Poisson arrivals: `per_hour`, or per interval when `interval_per_hour` is
/// given (cycled, each interval `interval_secs` long).
#[derive(Debug, Clone, PartialEq)]
pub struct Arrivals {
    pub per_hour: f64,
    pub interval_secs: f64,
    pub interval_per_hour: Vec<f64>,
}

impl Arrivals {
    pub fn constant(per_hour: f64) -> Arrivals {
        Arrivals {
            per_hour,
            interval_secs: 1800.0,
            interval_per_hour: Vec::new(),
        }
    }

    fn per_hour_at(&self, secs: f64) -> f64 {
        if self.interval_per_hour.is_empty() {
            return self.per_hour;
        }
        let index = (secs / self.interval_secs).floor() as usize % self.interval_per_hour.len();
        self.interval_per_hour[index]
    }

    /// Next arrival after `from` (seconds), exact for a piecewise-constant
    /// rate because the exponential is memoryless at interval boundaries.
    fn next_after(&self, from: f64, until: f64, rng: &mut Rng) -> Option<f64> {
        let mut t = from;
        while t < until {
            let rate = self.per_hour_at(t) / 3600.0;
            let boundary = if self.interval_per_hour.is_empty() {
                f64::INFINITY
            } else {
                ((t / self.interval_secs).floor() + 1.0) * self.interval_secs
            };
            if rate <= 0.0 {
                t = boundary;
                continue;
            }
            let next = t + rng.exponential(1.0 / rate);
            if next < boundary {
                return (next < until).then_some(next);
            }
            t = boundary;
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimQueue {
    pub channel: Channel,
    pub strategy: Strategy,
    pub required_skills: Vec<SkillReq>,
    pub arrivals: Arrivals,
    pub handle_time: HandleTime,
    /// Mean customer patience (exponential); `None` means nobody abandons.
    pub patience_secs: Option<f64>,
}

/// Shift from `start_hours` to `end_hours` after the start of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shift {
    pub start_hours: f64,
    pub end_hours: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimAgents {
    pub count: u32,
    pub skills: Vec<(SkillId, u8)>,
    pub capacity: Vec<(Channel, u16)>,
    /// Empty means logged in for the whole run.
    pub shifts: Vec<Shift>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    pub seed: u64,
    /// Arrivals are generated for this long; the run then drains.
    pub hours: f64,
    /// Arrivals before this are simulated but not reported.
    pub warmup_hours: f64,
    pub sl_threshold_secs: f64,
    pub wrap_up_secs: f64,
    pub queues: Vec<SimQueue>,
    pub agents: Vec<SimAgents>,
}

impl SimConfig {
    /// One voice queue, `agents` identical agents, exponential handle times:
    /// the parameters of `kefu sim`.
    #[allow(clippy::too_many_arguments)]
    pub fn single_queue(
        agents: u32,
        arrivals_per_hour: f64,
        aht_secs: f64,
        sl_threshold_secs: f64,
        hours: f64,
        seed: u64,
        patience_secs: Option<f64>,
        strategy: Strategy,
    ) -> SimConfig {
        SimConfig {
            seed,
            hours,
            warmup_hours: 0.0,
            sl_threshold_secs,
            wrap_up_secs: 0.0,
            queues: vec![SimQueue {
                channel: Channel::Voice,
                strategy,
                required_skills: Vec::new(),
                arrivals: Arrivals::constant(arrivals_per_hour),
                handle_time: HandleTime::Exponential {
                    mean_secs: aht_secs,
                },
                patience_secs,
            }],
            agents: vec![SimAgents {
                count: agents,
                skills: Vec::new(),
                capacity: vec![(Channel::Voice, 1)],
                shifts: Vec::new(),
            }],
        }
    }

    fn validate(&self) -> Result<(), SimError> {
        let positive = |value: f64| value.is_finite() && value > 0.0;
        let non_negative = |value: f64| value.is_finite() && value >= 0.0;
        if !positive(self.hours) || !non_negative(self.warmup_hours) {
            return Err(SimError::InvalidConfig("hours must be > 0, warm-up >= 0"));
        }
        if self.warmup_hours >= self.hours {
            return Err(SimError::InvalidConfig(
                "warm-up must be shorter than the run",
            ));
        }
        if !non_negative(self.sl_threshold_secs) || !non_negative(self.wrap_up_secs) {
            return Err(SimError::InvalidConfig("thresholds must be >= 0"));
        }
        if self.queues.is_empty() {
            return Err(SimError::InvalidConfig("at least one queue"));
        }
        for queue in &self.queues {
            let arrivals = &queue.arrivals;
            let rates_ok = non_negative(arrivals.per_hour)
                && arrivals
                    .interval_per_hour
                    .iter()
                    .all(|&rate| non_negative(rate))
                && positive(arrivals.interval_secs);
            if !rates_ok {
                return Err(SimError::InvalidConfig("arrival rates must be >= 0"));
            }
            if !positive(queue.handle_time.mean_secs()) {
                return Err(SimError::InvalidConfig("handle time must be > 0"));
            }
            if let HandleTime::LogNormal { cv, .. } = queue.handle_time
                && !positive(cv)
            {
                return Err(SimError::InvalidConfig("lognormal cv must be > 0"));
            }
            if queue.patience_secs.is_some_and(|p| !positive(p)) {
                return Err(SimError::InvalidConfig("patience must be > 0"));
            }
        }
        let shifts_ok = self
            .agents
            .iter()
            .flat_map(|group| &group.shifts)
            .all(|shift| {
                non_negative(shift.start_hours)
                    && shift.end_hours.is_finite()
                    && shift.end_hours > shift.start_hours
            });
        if !shifts_ok {
            return Err(SimError::InvalidConfig("shifts must end after they start"));
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid simulation: {0}")]
    InvalidConfig(&'static str),
    #[error(transparent)]
    Routing(#[from] RoutingError),
}

impl SimError {
    pub fn code(&self) -> &'static str {
        match self {
            SimError::InvalidConfig(_) => "invalid_simulation",
            SimError::Routing(error) => error.code(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QueueReport {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    /// Ended by max wait / max length with "leave a message".
    pub overflowed: u64,
    /// Still waiting or being handled when the run stopped.
    pub unfinished: u64,
    pub answered_within_threshold: u64,
    pub service_level: f64,
    pub asa_secs: f64,
    pub abandon_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimReport {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub overflowed: u64,
    pub unfinished: u64,
    pub answered_within_threshold: u64,
    pub service_level: f64,
    pub service_level_definition: &'static str,
    pub sl_threshold_secs: f64,
    pub asa_secs: f64,
    pub abandon_rate: f64,
    /// Handling time / logged-in time over the reported window.
    pub occupancy: f64,
    pub reported_hours: f64,
    /// Routing decisions the router made (offers and assignments).
    pub routing_decisions: u64,
    pub per_queue: Vec<QueueReport>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    offered: u64,
    answered: u64,
    abandoned: u64,
    overflowed: u64,
    within: u64,
    wait_ms: u128,
}

impl Tally {
    fn report(&self, unfinished: u64) -> QueueReport {
        let ratio = |num: u64, den: u64| {
            if den == 0 {
                0.0
            } else {
                num as f64 / den as f64
            }
        };
        QueueReport {
            offered: self.offered,
            answered: self.answered,
            abandoned: self.abandoned,
            overflowed: self.overflowed,
            unfinished,
            answered_within_threshold: self.within,
            service_level: ratio(self.within, self.answered + self.abandoned),
            asa_secs: if self.answered == 0 {
                0.0
            } else {
                self.wait_ms as f64 / 1000.0 / self.answered as f64
            },
            abandon_rate: ratio(self.abandoned, self.offered),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    ShiftStart { agent: u64 },
    ShiftEnd { agent: u64 },
    Complete { interaction: u64 },
    Abandon { interaction: u64 },
    Arrival { queue: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Waiting,
    Answered,
    Ended,
}

#[derive(Debug, Clone, Copy)]
struct Call {
    queue: usize,
    arrived: Millis,
    reported: bool,
    fate: Fate,
}

struct Simulation<'a> {
    config: &'a SimConfig,
    router: Router,
    rng: Rng,
    events: BinaryHeap<Reverse<(Millis, u64, Event)>>,
    event_seq: u64,
    calls: Vec<Call>,
    tallies: Vec<Tally>,
    window: (Millis, Millis),
    handling_ms: u128,
    decisions: u64,
}

fn to_millis(secs: f64) -> Millis {
    Millis((secs * 1000.0).round().max(0.0) as u64)
}

/// Runs the simulation; the same config and seed give the same report.
pub fn run(config: &SimConfig) -> Result<SimReport, SimError> {
    config.validate()?;
    let mut router_config = RouterConfig {
        seed: config.seed,
        ..RouterConfig::default()
    };
    router_config.wrap_up = [to_millis(config.wrap_up_secs); Channel::COUNT];
    let mut sim = Simulation {
        config,
        router: Router::new(router_config)?,
        rng: Rng::seed(config.seed),
        events: BinaryHeap::new(),
        event_seq: 0,
        calls: Vec::new(),
        tallies: vec![Tally::default(); config.queues.len()],
        window: (
            to_millis(config.warmup_hours * 3600.0),
            to_millis(config.hours * 3600.0),
        ),
        handling_ms: 0,
        decisions: 0,
    };
    sim.set_up()?;
    sim.run_events()?;
    Ok(sim.report())
}

impl Simulation<'_> {
    fn schedule(&mut self, at: Millis, event: Event) {
        self.event_seq += 1;
        self.events.push(Reverse((at, self.event_seq, event)));
    }

    fn set_up(&mut self) -> Result<(), SimError> {
        let config = self.config;
        for (index, queue) in config.queues.iter().enumerate() {
            let mut spec = QueueSpec::new(index as u64 + 1, queue.channel);
            spec.strategy = queue.strategy;
            spec.required_skills = queue.required_skills.clone();
            self.router.add_queue(spec, Millis::ZERO)?;
            self.schedule_arrival(index, 0.0);
        }
        let mut next_agent = 0u64;
        for group in &config.agents {
            for _ in 0..group.count {
                next_agent += 1;
                let spec = AgentSpec {
                    presence: if group.shifts.is_empty() {
                        Presence::Available
                    } else {
                        Presence::Offline
                    },
                    skills: group.skills.clone(),
                    capacity: group.capacity.clone(),
                    auto_accept: true,
                    ..AgentSpec::new(next_agent)
                };
                self.router.add_agent(spec, Millis::ZERO)?;
                for shift in &group.shifts {
                    let agent = next_agent;
                    self.schedule(
                        to_millis(shift.start_hours * 3600.0),
                        Event::ShiftStart { agent },
                    );
                    self.schedule(
                        to_millis(shift.end_hours * 3600.0),
                        Event::ShiftEnd { agent },
                    );
                }
            }
        }
        Ok(())
    }

    fn schedule_arrival(&mut self, queue: usize, from_secs: f64) {
        let until = self.config.hours * 3600.0;
        let arrivals = &self.config.queues[queue].arrivals;
        if let Some(at) = arrivals.next_after(from_secs, until, &mut self.rng) {
            self.schedule(to_millis(at), Event::Arrival { queue });
        }
    }

    fn run_events(&mut self) -> Result<(), SimError> {
        loop {
            let next_event = self.events.peek().map(|Reverse((at, ..))| *at);
            let deadline = self.router.next_deadline();
            match (next_event, deadline) {
                (None, None) => return Ok(()),
                (Some(event_at), Some(deadline)) if deadline <= event_at => {
                    self.router.tick(deadline)?;
                }
                (None, Some(deadline)) => self.router.tick(deadline)?,
                _ => {
                    if let Some(Reverse((at, _, event))) = self.events.pop() {
                        self.handle(at, event)?;
                    }
                }
            }
            self.apply_decisions();
        }
    }

    fn handle(&mut self, at: Millis, event: Event) -> Result<(), SimError> {
        match event {
            Event::Arrival { queue } => {
                let id = self.calls.len() as u64;
                let reported = at >= self.window.0;
                self.calls.push(Call {
                    queue,
                    arrived: at,
                    reported,
                    fate: Fate::Waiting,
                });
                if reported {
                    self.tallies[queue].offered += 1;
                }
                let patience = self.config.queues[queue].patience_secs;
                if let Some(mean) = patience {
                    let leave = at.saturating_add(to_millis(self.rng.exponential(mean)));
                    self.schedule(leave, Event::Abandon { interaction: id });
                }
                self.router
                    .enqueue(InteractionSpec::new(id, queue as u64 + 1), at)?;
                self.schedule_arrival(queue, at.as_secs_f64());
            }
            Event::Complete { interaction } => {
                self.router.complete(InteractionId(interaction), at)?;
            }
            Event::Abandon { interaction } => {
                let call = self.calls.get_mut(interaction as usize);
                if let Some(call) = call.filter(|call| call.fate == Fate::Waiting) {
                    call.fate = Fate::Ended;
                    let (queue, reported) = (call.queue, call.reported);
                    self.router.abandon(InteractionId(interaction), at)?;
                    if reported {
                        self.tallies[queue].abandoned += 1;
                    }
                }
            }
            Event::ShiftStart { agent } => {
                self.router
                    .set_presence(AgentId(agent), Presence::Available, at)?;
            }
            Event::ShiftEnd { agent } => {
                self.router
                    .set_presence(AgentId(agent), Presence::Offline, at)?;
            }
        }
        Ok(())
    }

    fn apply_decisions(&mut self) {
        let decisions: Vec<Decision> = self.router.drain_decisions().collect();
        for decision in decisions {
            match decision {
                Decision::Assigned {
                    interaction, at, ..
                } => {
                    self.decisions += 1;
                    self.answered(interaction.0, at);
                }
                Decision::Offered { .. } => self.decisions += 1,
                Decision::Overflowed {
                    interaction,
                    to: OverflowTarget::LeaveMessage,
                    ..
                } => {
                    if let Some(call) = self.calls.get_mut(interaction.0 as usize) {
                        call.fate = Fate::Ended;
                        if call.reported {
                            self.tallies[call.queue].overflowed += 1;
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn answered(&mut self, id: u64, at: Millis) {
        let Some(call) = self.calls.get_mut(id as usize) else {
            return;
        };
        call.fate = Fate::Answered;
        let queue = call.queue;
        let waited = at.saturating_sub(call.arrived);
        if call.reported {
            let tally = &mut self.tallies[queue];
            tally.answered += 1;
            tally.wait_ms += u128::from(waited.0);
            if waited <= to_millis(self.config.sl_threshold_secs) {
                tally.within += 1;
            }
        }
        let handle = self.config.queues[queue]
            .handle_time
            .sample_secs(&mut self.rng);
        let handle = to_millis(handle).max(Millis(1));
        let end = at.saturating_add(handle);
        let (from, to) = self.window;
        let overlap = end.min(to).0.saturating_sub(at.max(from).0);
        self.handling_ms += u128::from(overlap);
        self.schedule(end, Event::Complete { interaction: id });
    }

    fn staffed_ms(&self) -> u128 {
        let (from, to) = self.window;
        self.config
            .agents
            .iter()
            .map(|group| {
                let per_agent: u64 = if group.shifts.is_empty() {
                    to.0 - from.0
                } else {
                    group
                        .shifts
                        .iter()
                        .map(|shift| {
                            let start = to_millis(shift.start_hours * 3600.0).max(from);
                            let end = to_millis(shift.end_hours * 3600.0).min(to);
                            end.0.saturating_sub(start.0)
                        })
                        .sum()
                };
                u128::from(per_agent) * u128::from(group.count)
            })
            .sum()
    }

    fn report(&self) -> SimReport {
        let mut unfinished = vec![0u64; self.tallies.len()];
        for call in self
            .calls
            .iter()
            .filter(|c| c.reported && c.fate == Fate::Waiting)
        {
            unfinished[call.queue] += 1;
        }
        let total = self.tallies.iter().fold(Tally::default(), |sum, t| Tally {
            offered: sum.offered + t.offered,
            answered: sum.answered + t.answered,
            abandoned: sum.abandoned + t.abandoned,
            overflowed: sum.overflowed + t.overflowed,
            within: sum.within + t.within,
            wait_ms: sum.wait_ms + t.wait_ms,
        });
        let overall = total.report(unfinished.iter().sum());
        let staffed = self.staffed_ms();
        SimReport {
            offered: overall.offered,
            answered: overall.answered,
            abandoned: overall.abandoned,
            overflowed: overall.overflowed,
            unfinished: overall.unfinished,
            answered_within_threshold: overall.answered_within_threshold,
            service_level: overall.service_level,
            service_level_definition: SERVICE_LEVEL_DEFINITION,
            sl_threshold_secs: self.config.sl_threshold_secs,
            asa_secs: overall.asa_secs,
            abandon_rate: overall.abandon_rate,
            occupancy: if staffed == 0 {
                0.0
            } else {
                self.handling_ms as f64 / staffed as f64
            },
            reported_hours: self.config.hours - self.config.warmup_hours,
            routing_decisions: self.decisions,
            per_queue: self
                .tallies
                .iter()
                .zip(unfinished)
                .map(|(tally, unfinished)| tally.report(unfinished))
                .collect(),
        }
    }
}
