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
use serde::{Deserialize, Serialize, Serializer};

/// Something that happened to the ticket, as the server records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::calendar::{CalendarSpec, WeeklyHours};
    use crate::policy::{Conditions, Targets};
    use TicketFact::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    fn minutes(m: i64) -> TimeDelta {
        TimeDelta::minutes(m)
    }

    /// Weekdays 09:00–12:00 and 13:30–18:00 in `zone`, with the National Day break stated in
    /// `business_time` tests: holidays 2026-10-01..07, make-up days Sun 09-27 and Sat 10-10.
    fn office(zone: &str) -> Calendar {
        let date = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        Calendar::new(CalendarSpec {
            time_zone: zone.into(),
            weekly_hours: WeeklyHours::weekdays(&["09:00-12:00", "13:30-18:00"]),
            holidays: (1..=7).map(|d| date(10, d)).collect(),
            workdays: vec![date(9, 27), date(10, 10)],
            workday_hours: None,
        })
        .unwrap()
    }

    fn policy(targets: Targets, calendar: Calendar) -> Policy {
        Policy {
            name: "test".into(),
            conditions: Conditions::default(),
            targets,
            warn_before: WarnBefore::default(),
            escalations: Vec::new(),
            calendar,
        }
    }

    fn targets(first: Option<u32>, next: Option<u32>, resolution: Option<u32>) -> Targets {
        Targets {
            first_reply_minutes: first,
            next_reply_minutes: next,
            resolution_minutes: resolution,
        }
    }

    fn warning(target: TargetKind, when: &str) -> SlaEvent {
        SlaEvent::Warning {
            target,
            at: at(when),
        }
    }
    fn breached(target: TargetKind, when: &str) -> SlaEvent {
        SlaEvent::Breached {
            target,
            at: at(when),
        }
    }
    fn met(target: TargetKind, when: &str) -> SlaEvent {
        SlaEvent::Met {
            target,
            at: at(when),
        }
    }

    const FIRST: TargetKind = TargetKind::FirstReply;
    const NEXT: TargetKind = TargetKind::NextReply;
    const RESOLUTION: TargetKind = TargetKind::Resolution;

    #[test]
    fn first_reply_over_night_warns_once_then_is_met() {
        let p = policy(targets(Some(60), None, None), office("Asia/Shanghai"));
        let mut clock = SlaClock::new(&p);
        // Mon 17:30: 30 min today, the rest Tuesday morning. Warning at 80 % = 48 min.
        let created = at("2026-06-01T17:30:00+08:00");
        assert!(clock.apply(created, Created).unwrap().is_empty());
        let first = clock
            .target(FIRST, at("2026-06-01T20:00:00+08:00"))
            .unwrap();
        assert_eq!(first.state, TargetState::Active);
        assert_eq!(first.elapsed, minutes(30));
        assert_eq!(first.due_at, Some(at("2026-06-02T09:30:00+08:00")));
        assert_eq!(
            clock.next_wakeup(created),
            Some(at("2026-06-02T09:18:00+08:00"))
        );

        let now = at("2026-06-02T09:20:00+08:00");
        assert_eq!(
            clock.evaluate(now),
            vec![warning(FIRST, "2026-06-02T09:18:00+08:00")]
        );
        assert!(clock.evaluate(now).is_empty());
        assert_eq!(
            clock.next_wakeup(now),
            Some(at("2026-06-02T09:30:00+08:00"))
        );

        let reply = at("2026-06-02T09:25:00+08:00");
        assert_eq!(
            clock.apply(reply, AgentPublicReply).unwrap(),
            vec![met(FIRST, "2026-06-02T09:25:00+08:00")]
        );
        let first = clock.target(FIRST, at("2026-06-03T00:00:00Z")).unwrap();
        assert_eq!(first.state, TargetState::Met);
        assert_eq!(first.elapsed, minutes(55));
        assert_eq!(clock.next_wakeup(reply), None);
    }

    #[test]
    fn late_evaluation_emits_warning_and_breach_once_with_their_own_times() {
        let p = policy(targets(Some(60), None, None), office("Asia/Shanghai"));
        let mut clock = SlaClock::new(&p);
        clock
            .apply(at("2026-06-01T17:30:00+08:00"), Created)
            .unwrap();
        // The server was down until Wednesday.
        let late = at("2026-06-03T12:00:00+08:00");
        assert_eq!(clock.next_wakeup(late), Some(late));
        assert_eq!(
            clock.evaluate(late),
            vec![
                warning(FIRST, "2026-06-02T09:18:00+08:00"),
                breached(FIRST, "2026-06-02T09:30:00+08:00"),
            ]
        );
        assert!(clock.evaluate(late).is_empty());
        // A reply now stops the clock but is not "met".
        assert!(clock.apply(late, AgentPublicReply).unwrap().is_empty());
        let first = clock.target(FIRST, late).unwrap();
        assert_eq!(first.state, TargetState::Breached);
        assert_eq!(first.breached_at, Some(at("2026-06-02T09:30:00+08:00")));
        assert_eq!(first.completed_at, Some(late));
        // Mon 17:30–18:00, all of Tuesday (7.5 h), Wednesday 09:00–12:00.
        assert_eq!(first.elapsed, minutes(30 + 450 + 180));
    }

    #[test]
    fn a_fact_after_the_due_time_finds_the_target_breached() {
        let p = policy(targets(Some(60), None, None), office("Asia/Shanghai"));
        let mut clock = SlaClock::new(&p);
        clock
            .apply(at("2026-06-01T09:00:00+08:00"), Created)
            .unwrap();
        // Reply exactly at the due time is late: the breach fires first.
        assert_eq!(
            clock
                .apply(at("2026-06-01T10:00:00+08:00"), AgentPublicReply)
                .unwrap(),
            vec![
                warning(FIRST, "2026-06-01T09:48:00+08:00"),
                breached(FIRST, "2026-06-01T10:00:00+08:00"),
            ]
        );
    }

    #[test]
    fn pending_customer_pauses_every_target() {
        let p = policy(targets(None, None, Some(240)), office("Asia/Shanghai"));
        let mut clock = SlaClock::new(&p);
        clock
            .apply(at("2026-06-01T09:00:00+08:00"), Created)
            .unwrap();
        clock
            .apply(at("2026-06-01T10:00:00+08:00"), EnteredPendingCustomer)
            .unwrap();
        let paused_at = at("2026-06-02T15:00:00+08:00");
        let resolution = clock.target(RESOLUTION, paused_at).unwrap();
        assert_eq!(resolution.state, TargetState::Paused);
        assert_eq!(resolution.elapsed, minutes(60));
        assert_eq!(resolution.due_at, None);
        assert_eq!(clock.next_wakeup(paused_at), None);
        assert!(clock.evaluate(paused_at).is_empty());
        // The customer answers on Wednesday 10:00: 3 h left, 10–12 and 13:30–14:30.
        clock
            .apply(at("2026-06-03T10:00:00+08:00"), CustomerMessage)
            .unwrap();
        let resolution = clock
            .target(RESOLUTION, at("2026-06-03T10:00:00+08:00"))
            .unwrap();
        assert_eq!(resolution.state, TargetState::Active);
        assert_eq!(resolution.due_at, Some(at("2026-06-03T14:30:00+08:00")));
        // 80 % of 4 h = 3 h 12 min elapsed: 2 h 12 min after resuming, across lunch.
        assert_eq!(resolution.warn_at, Some(at("2026-06-03T13:42:00+08:00")));
        // Solving while pending stops a paused target as met.
        clock
            .apply(at("2026-06-03T11:00:00+08:00"), EnteredPendingCustomer)
            .unwrap();
        assert_eq!(
            clock
                .apply(at("2026-06-04T11:00:00+08:00"), Solved)
                .unwrap(),
            vec![met(RESOLUTION, "2026-06-04T11:00:00+08:00")]
        );
        assert_eq!(
            clock
                .target(RESOLUTION, at("2026-06-05T00:00:00Z"))
                .unwrap()
                .elapsed,
            minutes(120)
        );
    }

    #[test]
    fn each_customer_message_after_an_agent_reply_starts_a_next_reply() {
        let p = policy(targets(Some(60), Some(30), None), office("Asia/Shanghai"));
        let mut clock = SlaClock::new(&p);
        clock
            .apply(at("2026-06-01T09:00:00+08:00"), Created)
            .unwrap();
        // Customer messages before the first agent reply owe no next reply.
        clock
            .apply(at("2026-06-01T09:05:00+08:00"), CustomerMessage)
            .unwrap();
        assert!(
            clock
                .target(NEXT, at("2026-06-01T09:05:00+08:00"))
                .is_none()
        );
        clock
            .apply(at("2026-06-01T09:10:00+08:00"), AgentPublicReply)
            .unwrap();
        clock
            .apply(at("2026-06-01T09:20:00+08:00"), CustomerMessage)
            .unwrap();
        // A second message while a reply is owed does not restart the clock.
        clock
            .apply(at("2026-06-01T09:30:00+08:00"), CustomerMessage)
            .unwrap();
        let next = clock.target(NEXT, at("2026-06-01T09:30:00+08:00")).unwrap();
        assert_eq!(next.started_at, at("2026-06-01T09:20:00+08:00"));
        assert_eq!(next.due_at, Some(at("2026-06-01T09:50:00+08:00")));
        assert_eq!(
            clock
                .apply(at("2026-06-01T09:40:00+08:00"), AgentPublicReply)
                .unwrap(),
            vec![met(NEXT, "2026-06-01T09:40:00+08:00")]
        );
        // A new message starts a new target: 10 min before lunch, 20 after.
        clock
            .apply(at("2026-06-01T11:50:00+08:00"), CustomerMessage)
            .unwrap();
        let next = clock.target(NEXT, at("2026-06-01T11:50:00+08:00")).unwrap();
        assert_eq!(next.state, TargetState::Active);
        assert_eq!(next.due_at, Some(at("2026-06-01T13:50:00+08:00")));
        assert_eq!(
            clock.evaluate(at("2026-06-01T14:00:00+08:00")),
            vec![
                warning(NEXT, "2026-06-01T13:44:00+08:00"),
                breached(NEXT, "2026-06-01T13:50:00+08:00"),
            ]
        );
        assert_eq!(clock.targets(at("2026-06-01T14:00:00+08:00")).len(), 2);
    }

    #[test]
    fn holidays_and_make_up_days_move_due_times() {
        let p = policy(targets(Some(120), None, None), office("Asia/Shanghai"));
        // Wed 09-30 17:00: 1 h before the holidays, the second hour on Thu 10-08.
        let mut clock = SlaClock::new(&p);
        clock
            .apply(at("2026-09-30T17:00:00+08:00"), Created)
            .unwrap();
        let due = clock
            .target(FIRST, at("2026-09-30T17:00:00+08:00"))
            .unwrap()
            .due_at;
        assert_eq!(due, Some(at("2026-10-08T10:00:00+08:00")));
        // Fri 09-25 17:30: 30 min Friday, then the make-up Sunday 09-27 from 09:00.
        let mut clock = SlaClock::new(&p);
        clock
            .apply(at("2026-09-25T17:30:00+08:00"), Created)
            .unwrap();
        let due = clock
            .target(FIRST, at("2026-09-25T17:30:00+08:00"))
            .unwrap()
            .due_at;
        assert_eq!(due, Some(at("2026-09-27T10:30:00+08:00")));
    }

    #[test]
    fn the_same_policy_in_shanghai_and_london_is_due_at_different_times() {
        let created = at("2026-06-05T08:00:00Z");
        let due = |zone: &str| {
            let p = policy(targets(Some(8 * 60), None, None), office(zone));
            let mut clock = SlaClock::new(&p);
            clock.apply(created, Created).unwrap();
            clock.target(FIRST, created).unwrap().due_at.unwrap()
        };
        // Shanghai: Fri 16:00 local, 2 h left that day, 6 h on Monday → Mon 16:30 local.
        assert_eq!(due("Asia/Shanghai"), at("2026-06-08T16:30:00+08:00"));
        // London: Fri 09:00 BST, 7.5 h that day, 30 min on Monday → Mon 09:30 BST.
        assert_eq!(due("Europe/London"), at("2026-06-08T09:30:00+01:00"));
    }

    #[test]
    fn solve_and_reopen_keep_resolution_time() {
        let p = policy(targets(None, None, Some(8 * 60)), office("Asia/Shanghai"));
        let mut clock = SlaClock::new(&p);
        clock
            .apply(at("2026-06-01T09:00:00+08:00"), Created)
            .unwrap();
        assert_eq!(
            clock
                .apply(at("2026-06-01T13:00:00+08:00"), Solved)
                .unwrap(),
            vec![met(RESOLUTION, "2026-06-01T13:00:00+08:00")]
        );
        // Customer writes on a solved ticket: nothing until the server reopens it.
        clock
            .apply(at("2026-06-02T08:00:00+08:00"), CustomerMessage)
            .unwrap();
        assert_eq!(
            clock
                .target(RESOLUTION, at("2026-06-02T08:00:00+08:00"))
                .unwrap()
                .state,
            TargetState::Met
        );
        clock
            .apply(at("2026-06-02T09:00:00+08:00"), Reopened)
            .unwrap();
        let resolution = clock
            .target(RESOLUTION, at("2026-06-02T09:00:00+08:00"))
            .unwrap();
        assert_eq!(resolution.state, TargetState::Active);
        assert_eq!(resolution.elapsed, minutes(180));
        // 5 h left: 09–12 and 13:30–15:30.
        assert_eq!(resolution.due_at, Some(at("2026-06-02T15:30:00+08:00")));
    }

    #[test]
    fn facts_must_start_with_created_and_come_in_order() {
        let p = policy(targets(Some(60), None, None), office("Asia/Shanghai"));
        let mut clock = SlaClock::new(&p);
        let t = at("2026-06-01T09:00:00+08:00");
        assert_eq!(
            clock.apply(t, AgentPublicReply).unwrap_err().code(),
            "invalid_fact_sequence"
        );
        clock.apply(t, Created).unwrap();
        assert_eq!(
            clock.apply(t, Created).unwrap_err().code(),
            "invalid_fact_sequence"
        );
        clock.evaluate(t + minutes(10));
        let err = clock.apply(t + minutes(5), AgentPublicReply).unwrap_err();
        assert_eq!(err.code(), "fact_out_of_order");
        // Equal times are in order.
        clock.apply(t + minutes(10), AgentPublicReply).unwrap();
    }

    #[test]
    fn a_never_open_calendar_never_falls_due() {
        let closed = Calendar::new(CalendarSpec {
            time_zone: "UTC".into(),
            weekly_hours: WeeklyHours::default(),
            holidays: Vec::new(),
            workdays: Vec::new(),
            workday_hours: None,
        })
        .unwrap();
        let mut clock = SlaClock::new(&policy(targets(Some(60), None, None), closed));
        let t = at("2026-06-01T09:00:00Z");
        clock.apply(t, Created).unwrap();
        assert_eq!(clock.next_wakeup(t), None);
        assert_eq!(
            clock.target(FIRST, t + TimeDelta::days(400)).unwrap().state,
            TargetState::Active
        );
    }

    #[test]
    fn events_and_statuses_serialize_for_the_api() {
        let event = breached(FIRST, "2026-06-02T09:30:00+08:00");
        let json = serde_json::to_value(event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "breached", "target": "first_reply", "at": "2026-06-02T01:30:00Z"})
        );
        assert_eq!(serde_json::from_value::<SlaEvent>(json).unwrap(), event);
        let p = policy(targets(Some(60), None, None), office("Asia/Shanghai"));
        let mut clock = SlaClock::new(&p);
        clock
            .apply(at("2026-06-01T09:00:00+08:00"), Created)
            .unwrap();
        let status = serde_json::to_value(clock.targets(at("2026-06-01T09:30:00+08:00"))).unwrap();
        assert_eq!(status[0]["state"], "active");
        assert_eq!(status[0]["goal_secs"], 3600);
        assert_eq!(status[0]["elapsed_secs"], 1800);
        assert_eq!(status[0]["due_at"], "2026-06-01T02:00:00Z");
    }

    #[derive(Debug, Clone, Copy)]
    struct Step {
        after_minutes: i64,
        fact: TicketFact,
    }

    fn any_steps() -> impl Strategy<Value = Vec<Step>> {
        let fact = prop::sample::select(vec![
            EnteredPendingCustomer,
            LeftPendingCustomer,
            AgentPublicReply,
            CustomerMessage,
            CustomerMessage,
            Solved,
            Reopened,
        ]);
        prop::collection::vec(
            (0i64..3000, fact).prop_map(|(after_minutes, fact)| Step {
                after_minutes,
                fact,
            }),
            0..25,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(150))]

        /// Whether the server wakes at every `next_wakeup` or only sees the facts, the same
        /// warnings and breaches come out, each once, with the same times; and every wakeup
        /// fires something stamped with exactly that instant.
        #[test]
        fn events_do_not_depend_on_when_the_clock_is_evaluated(
            start in 1_780_000_000i64..1_790_000_000,
            zone in prop::sample::select(vec!["Asia/Shanghai", "Europe/London", "America/New_York"]),
            goals in (1u32..600, 1u32..300, 1u32..3000),
            percent in 1u8..=100,
            steps in any_steps(),
        ) {
            let mut p = policy(targets(Some(goals.0), Some(goals.1), Some(goals.2)), office(zone));
            p.warn_before = WarnBefore::ElapsedPercent(percent);
            let created = DateTime::from_timestamp(start, 0).unwrap();
            let mut punctual = SlaClock::new(&p);
            let mut lazy = SlaClock::new(&p);
            let mut punctual_events = punctual.apply(created, Created).unwrap();
            let mut lazy_events = lazy.apply(created, Created).unwrap();
            let mut now = created;
            for step in steps {
                let fact_at = now + minutes(step.after_minutes);
                while let Some(wake) = punctual.next_wakeup(now).filter(|w| *w < fact_at) {
                    let fired = punctual.evaluate(wake);
                    prop_assert!(!fired.is_empty());
                    prop_assert!(fired.iter().all(|e| e.at() == wake));
                    punctual_events.extend(fired);
                    now = wake;
                }
                punctual_events.extend(punctual.apply(fact_at, step.fact).unwrap());
                lazy_events.extend(lazy.apply(fact_at, step.fact).unwrap());
                now = fact_at;
                for status in punctual.targets(now) {
                    prop_assert!(status.elapsed <= now - status.started_at);
                    prop_assert!(status.elapsed >= TimeDelta::zero());
                    if status.state == TargetState::Active {
                        prop_assert!(status.elapsed < status.goal);
                    }
                }
            }
            let end = now + TimeDelta::days(120);
            punctual_events.extend(punctual.evaluate(end));
            lazy_events.extend(lazy.evaluate(end));
            prop_assert_eq!(&punctual_events, &lazy_events);
            prop_assert_eq!(punctual.targets(end), lazy.targets(end));
            // A warning or breach is never emitted twice for one target start.
            let mut fired: Vec<_> = punctual_events.iter().filter(|e| !matches!(e, SlaEvent::Met { .. })).collect();
            let count = fired.len();
            fired.sort_by_key(|e| e.sort_key());
            fired.dedup();
            prop_assert_eq!(fired.len(), count);
        }
    }
}
