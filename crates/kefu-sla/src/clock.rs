//! The SLA clock of one ticket: a state machine fed with timestamped ticket facts that tracks
//! each target's business time, pauses, due time, and emits warnings and breaches once.
//!
//! Order of work on every fact: first fire whatever fell due before it (so a reply that comes
//! after the due time finds the target already breached), then apply the fact. A target is
//! breached at the first instant its elapsed business time reaches the goal, so a reply at
//! exactly the due time is late; this keeps "the timer fired at due_at" and "breached" equal.

use crate::business_time::in_range;
use crate::calendar::Calendar;
use crate::error::SlaError;
use crate::policy::{Policy, TargetKind, Targets, WarnBefore};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Serialize, Serializer};

/// Something that happened to the ticket, as the server records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketFact {
    /// The ticket exists; first-reply and resolution targets start.
    Created,
    /// Status changed to pending-customer: every running target pauses.
    EnteredPendingCustomer,
    /// Status changed from pending-customer back to open: paused targets resume.
    LeftPendingCustomer,
    /// A public reply by an agent (internal notes are not facts): meets first reply and the
    /// running next reply.
    AgentPublicReply,
    /// A message from the customer. On a pending ticket it also ends the pause (the customer
    /// answered). After an agent reply it starts a next-reply target unless one is running.
    /// On a solved ticket it does nothing: the server sends `Reopened` first if it reopens.
    CustomerMessage,
    /// The ticket is solved: every target stops (met unless already breached).
    Solved,
    /// A solved ticket is open again: resolution resumes with the time it had.
    Reopened,
}

/// A transition the server acts on. `at` is when it happened, which is earlier than the
/// evaluation when the clock is evaluated late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SlaEvent {
    Warning {
        target: TargetKind,
        at: DateTime<Utc>,
    },
    Breached {
        target: TargetKind,
        at: DateTime<Utc>,
    },
    /// The target stopped in time (a reply, or the ticket was solved).
    Met {
        target: TargetKind,
        at: DateTime<Utc>,
    },
}

impl SlaEvent {
    pub fn at(&self) -> DateTime<Utc> {
        match *self {
            Self::Warning { at, .. } | Self::Breached { at, .. } | Self::Met { at, .. } => at,
        }
    }

    pub fn target(&self) -> TargetKind {
        match *self {
            Self::Warning { target, .. }
            | Self::Breached { target, .. }
            | Self::Met { target, .. } => target,
        }
    }

    /// Events at one instant come out warning, then breach, then met.
    fn sort_key(&self) -> (DateTime<Utc>, u8, TargetKind) {
        let rank = match self {
            Self::Warning { .. } => 0,
            Self::Breached { .. } => 1,
            Self::Met { .. } => 2,
        };
        (self.at(), rank, self.target())
    }
}

/// Where a target stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetState {
    /// Counting business time, not yet due.
    Active,
    /// Not counting (pending-customer), not yet due.
    Paused,
    /// Stopped before its due time.
    Met,
    /// Its due time has passed, whether or not it has stopped since.
    Breached,
}

/// A target as of some instant, for the ticket view and reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetStatus {
    pub target: TargetKind,
    pub state: TargetState,
    pub started_at: DateTime<Utc>,
    #[serde(rename = "goal_secs", serialize_with = "as_seconds")]
    pub goal: TimeDelta,
    /// Business time counted so far (not counting pauses).
    #[serde(rename = "elapsed_secs", serialize_with = "as_seconds")]
    pub elapsed: TimeDelta,
    /// When the warning fires, while the target runs and has not warned yet.
    pub warn_at: Option<DateTime<Utc>>,
    /// When the target is due, while it runs and is not breached; `None` while paused (it
    /// depends on when the pause ends) or stopped, or if the calendar never opens again.
    pub due_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    /// When the target stopped (reply or solved).
    pub completed_at: Option<DateTime<Utc>>,
}

fn as_seconds<S: Serializer>(duration: &TimeDelta, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_i64(duration.num_seconds())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TicketStatus {
    NotCreated,
    Open,
    PendingCustomer,
    Solved,
}

/// One target's bookkeeping. Business time is counted in running segments; the warning and
/// due instants are computed when a segment starts, so firing them is a comparison.
#[derive(Debug, Clone)]
struct TargetClock {
    kind: TargetKind,
    goal: TimeDelta,
    warn_after: TimeDelta,
    started_at: DateTime<Utc>,
    /// Business time of finished running segments.
    accumulated: TimeDelta,
    running_since: Option<DateTime<Utc>>,
    warn_at: Option<DateTime<Utc>>,
    due_at: Option<DateTime<Utc>>,
    warned_at: Option<DateTime<Utc>>,
    breached_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
}

impl TargetClock {
    fn start(
        kind: TargetKind,
        goal: TimeDelta,
        warn_before: WarnBefore,
        at: DateTime<Utc>,
        calendar: &Calendar,
    ) -> Self {
        let mut clock = Self {
            kind,
            goal,
            warn_after: warn_before.warn_after(goal),
            started_at: at,
            accumulated: TimeDelta::zero(),
            running_since: None,
            warn_at: None,
            due_at: None,
            warned_at: None,
            breached_at: None,
            completed_at: None,
        };
        clock.run(at, calendar);
        clock
    }

    fn run(&mut self, at: DateTime<Utc>, calendar: &Calendar) {
        if self.running_since.is_some() || self.completed_at.is_some() {
            return;
        }
        self.running_since = Some(at);
        // A calendar that never opens again leaves these None: the target can never fall due.
        let until = |elapsed: TimeDelta| {
            let left = (elapsed - self.accumulated).max(TimeDelta::zero());
            calendar.add_business(at, left).ok()
        };
        self.warn_at = self
            .warned_at
            .is_none()
            .then(|| until(self.warn_after))
            .flatten();
        self.due_at = self
            .breached_at
            .is_none()
            .then(|| until(self.goal))
            .flatten();
    }

    fn halt(&mut self, at: DateTime<Utc>, calendar: &Calendar) {
        if let Some(since) = self.running_since.take() {
            // Instants were range-checked on the way in, so this cannot fail.
            self.accumulated += calendar.business_duration(since, at).unwrap_or_default();
            self.warn_at = None;
            self.due_at = None;
        }
    }

    /// Fires the warning and the breach that are due by `now`, each once, at their own time.
    fn fire_due(&mut self, now: DateTime<Utc>, events: &mut Vec<SlaEvent>) {
        if let Some(at) = self.warn_at.filter(|at| *at <= now)
            && self.warned_at.is_none()
        {
            self.warned_at = Some(at);
            self.warn_at = None;
            events.push(SlaEvent::Warning {
                target: self.kind,
                at,
            });
        }
        if let Some(at) = self.due_at.filter(|at| *at <= now)
            && self.breached_at.is_none()
        {
            self.breached_at = Some(at);
            self.due_at = None;
            events.push(SlaEvent::Breached {
                target: self.kind,
                at,
            });
        }
    }

    fn complete(&mut self, at: DateTime<Utc>, calendar: &Calendar, events: &mut Vec<SlaEvent>) {
        if self.completed_at.is_some() {
            return;
        }
        self.halt(at, calendar);
        self.completed_at = Some(at);
        self.warn_at = None;
        if self.breached_at.is_none() {
            events.push(SlaEvent::Met {
                target: self.kind,
                at,
            });
        }
    }

    fn reopen(&mut self, at: DateTime<Utc>, calendar: &Calendar) {
        self.completed_at = None;
        self.run(at, calendar);
    }

    fn next_fire(&self) -> Option<DateTime<Utc>> {
        let warn = self.warn_at.filter(|_| self.warned_at.is_none());
        let due = self.due_at.filter(|_| self.breached_at.is_none());
        warn.into_iter().chain(due).min()
    }

    fn status(&self, now: DateTime<Utc>, calendar: &Calendar) -> TargetStatus {
        let running = self
            .running_since
            .map(|since| calendar.business_duration(since, now).unwrap_or_default())
            .unwrap_or_default();
        let overdue = self.due_at.is_some_and(|due| due <= now);
        let state = if self.breached_at.is_some() || overdue {
            TargetState::Breached
        } else if self.completed_at.is_some() {
            TargetState::Met
        } else if self.running_since.is_some() {
            TargetState::Active
        } else {
            TargetState::Paused
        };
        TargetStatus {
            target: self.kind,
            state,
            started_at: self.started_at,
            goal: self.goal,
            elapsed: self.accumulated + running,
            warn_at: self.warn_at,
            due_at: self.due_at,
            breached_at: self.breached_at.or(self.due_at.filter(|_| overdue)),
            completed_at: self.completed_at,
        }
    }
}

/// The SLA clock of one ticket under one policy. Feed it facts in time order with
/// [`SlaClock::apply`]; call [`SlaClock::evaluate`] when the timer from
/// [`SlaClock::next_wakeup`] fires. Both return the events to act on, each exactly once.
#[derive(Debug, Clone)]
pub struct SlaClock {
    calendar: Calendar,
    goals: Targets,
    warn_before: WarnBefore,
    status: TicketStatus,
    agent_has_replied: bool,
    first_reply: Option<TargetClock>,
    /// The latest next-reply target; a new one replaces it once it has stopped.
    next_reply: Option<TargetClock>,
    resolution: Option<TargetClock>,
    /// The latest instant applied or evaluated; older facts would rewrite history.
    seen_until: Option<DateTime<Utc>>,
}

impl SlaClock {
    /// A clock for a ticket under `policy`, before the ticket's `Created` fact.
    pub fn new(policy: &Policy) -> Self {
        Self {
            calendar: policy.calendar.clone(),
            goals: policy.targets.clone(),
            warn_before: policy.warn_before,
            status: TicketStatus::NotCreated,
            agent_has_replied: false,
            first_reply: None,
            next_reply: None,
            resolution: None,
            seen_until: None,
        }
    }

    /// Applies one fact at `at`, after firing what fell due before it. Facts must come in
    /// time order (equal times are fine) and start with `Created`.
    pub fn apply(
        &mut self,
        at: DateTime<Utc>,
        fact: TicketFact,
    ) -> Result<Vec<SlaEvent>, SlaError> {
        in_range(at)?;
        if let Some(seen) = self.seen_until
            && at < seen
        {
            return Err(SlaError::FactOutOfOrder { at, seen });
        }
        match (self.status, fact) {
            (TicketStatus::NotCreated, TicketFact::Created) => {}
            (TicketStatus::NotCreated, _) => {
                return Err(SlaError::InvalidFactSequence(
                    "the first fact of a ticket must be created",
                ));
            }
            (_, TicketFact::Created) => {
                return Err(SlaError::InvalidFactSequence(
                    "the ticket was already created",
                ));
            }
            _ => {}
        }
        let mut events = self.evaluate(at);
        let calendar = &self.calendar;
        match fact {
            TicketFact::Created => {
                self.status = TicketStatus::Open;
                let start = |kind| {
                    let goal = self.goals.goal(kind)?;
                    Some(TargetClock::start(
                        kind,
                        goal,
                        self.warn_before,
                        at,
                        calendar,
                    ))
                };
                self.first_reply = start(TargetKind::FirstReply);
                self.resolution = start(TargetKind::Resolution);
            }
            TicketFact::EnteredPendingCustomer => {
                if self.status == TicketStatus::Open {
                    self.status = TicketStatus::PendingCustomer;
                    for clock in [
                        &mut self.first_reply,
                        &mut self.next_reply,
                        &mut self.resolution,
                    ]
                    .into_iter()
                    .flatten()
                    {
                        clock.halt(at, calendar);
                    }
                }
            }
            TicketFact::LeftPendingCustomer => self.resume(at),
            TicketFact::AgentPublicReply => {
                if self.status != TicketStatus::Solved {
                    self.agent_has_replied = true;
                    for clock in [&mut self.first_reply, &mut self.next_reply]
                        .into_iter()
                        .flatten()
                    {
                        clock.complete(at, calendar, &mut events);
                    }
                }
            }
            TicketFact::CustomerMessage => {
                self.resume(at);
                self.start_next_reply(at);
            }
            TicketFact::Solved => {
                if self.status != TicketStatus::Solved {
                    self.status = TicketStatus::Solved;
                    for clock in [
                        &mut self.first_reply,
                        &mut self.next_reply,
                        &mut self.resolution,
                    ]
                    .into_iter()
                    .flatten()
                    {
                        clock.complete(at, calendar, &mut events);
                    }
                }
            }
            TicketFact::Reopened => {
                if self.status == TicketStatus::Solved {
                    self.status = TicketStatus::Open;
                    if let Some(resolution) = &mut self.resolution {
                        resolution.reopen(at, calendar);
                    }
                }
            }
        }
        events.sort_by_key(SlaEvent::sort_key);
        Ok(events)
    }

    /// Fires every warning and breach due at or before `now` that has not fired yet, in time
    /// order, each with the instant it fell due. Calling it again fires nothing twice.
    pub fn evaluate(&mut self, now: DateTime<Utc>) -> Vec<SlaEvent> {
        let mut events = Vec::new();
        for clock in [
            &mut self.first_reply,
            &mut self.next_reply,
            &mut self.resolution,
        ]
        .into_iter()
        .flatten()
        {
            clock.fire_due(now, &mut events);
        }
        self.seen_until = self.seen_until.max(Some(now));
        events.sort_by_key(SlaEvent::sort_key);
        events
    }

    /// The next instant a warning or breach fires, for the server's timer; `now` when one is
    /// already due, `None` when nothing is running toward a warning or breach.
    pub fn next_wakeup(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.clocks()
            .filter_map(TargetClock::next_fire)
            .min()
            .map(|at| at.max(now))
    }

    /// Each tracked target as of `now` (first reply, the latest next reply, resolution).
    pub fn targets(&self, now: DateTime<Utc>) -> Vec<TargetStatus> {
        self.clocks()
            .map(|clock| clock.status(now, &self.calendar))
            .collect()
    }

    /// One target as of `now`, if the policy sets it and it has started.
    pub fn target(&self, kind: TargetKind, now: DateTime<Utc>) -> Option<TargetStatus> {
        self.clocks()
            .find(|clock| clock.kind == kind)
            .map(|clock| clock.status(now, &self.calendar))
    }

    fn resume(&mut self, at: DateTime<Utc>) {
        if self.status == TicketStatus::PendingCustomer {
            self.status = TicketStatus::Open;
            let calendar = &self.calendar;
            for clock in [
                &mut self.first_reply,
                &mut self.next_reply,
                &mut self.resolution,
            ]
            .into_iter()
            .flatten()
            {
                clock.run(at, calendar);
            }
        }
    }

    /// A customer message after an agent reply owes the customer a next reply, unless one is
    /// already owed (then the earliest unanswered message keeps counting).
    fn start_next_reply(&mut self, at: DateTime<Utc>) {
        let owed = self
            .next_reply
            .as_ref()
            .is_some_and(|clock| clock.completed_at.is_none());
        if self.status != TicketStatus::Open || !self.agent_has_replied || owed {
            return;
        }
        if let Some(goal) = self.goals.goal(TargetKind::NextReply) {
            self.next_reply = Some(TargetClock::start(
                TargetKind::NextReply,
                goal,
                self.warn_before,
                at,
                &self.calendar,
            ));
        }
    }

    fn clocks(&self) -> impl Iterator<Item = &TargetClock> {
        [&self.first_reply, &self.next_reply, &self.resolution]
            .into_iter()
            .flatten()
    }
}
