//! kefu-sla: business-hours calendars and SLA clocks for tickets, with no I/O, no async and
//! no clock reads. Every instant comes in as a `DateTime<Utc>` argument.
//!
//! # The model
//! - A [`Calendar`] is a tenant's business hours: an IANA time zone, open local intervals
//!   per weekday (several per day allowed, `00:00-24:00` every day is 24/7), holidays
//!   (closed dates) and make-up working days (调休: dates open with Monday's hours, or
//!   `workday_hours`, whatever their weekday). An instant is open when its local wall-clock
//!   reading falls in an open interval of its local date; so DST gaps shrink intervals and a
//!   repeated fall-back hour counts twice.
//! - Business time: [`Calendar::business_duration`], [`Calendar::add_business`] (its inverse),
//!   [`Calendar::is_open`], [`Calendar::next_open`]. Plain weeks are skipped whole; a calendar
//!   with no open time answers [`SlaError::NoBusinessTime`] / `None`, never loops.
//! - A [`Policy`] matches tickets by priority, customer tier, channel and ticket type
//!   ([`match_policy`]: first match in the tenant's order) and sets first-reply, next-reply
//!   and resolution targets in business minutes, a warning point and escalation actions.
//! - An [`SlaClock`] follows one ticket: fed [`TicketFact`]s in time order (created,
//!   pending-customer and back, agent public reply, customer message, solved, reopened), it
//!   counts business time per target, pauses while pending-customer, reports each target's
//!   [`TargetStatus`] (active, paused, met, breached; elapsed; due time) and emits
//!   [`SlaEvent`]s: `Warning` and `Breached` exactly once each, stamped with the instant they
//!   fell due even when evaluated late. [`SlaClock::next_wakeup`] tells the server when to
//!   evaluate next; [`Policy::actions_for`] says which escalations an event triggers.
//!
//! # Lifecycle in the server
//! ```text
//! policy = match_policy(&tenant_policies, &facts)?;   clock = SlaClock::new(policy)
//! on each ticket fact:  events = clock.apply(at, fact)?      -> act, persist the fact
//! on timer:             events = clock.evaluate(now)         -> act
//! after either:         schedule clock.next_wakeup(now)
//! ```
//! The clock is rebuilt after a restart by replaying the ticket's facts; events already acted
//! on come out again during the replay, so the server keeps them idempotent by (target, at).

pub mod business_time;
pub mod calendar;
pub mod clock;
pub mod error;
pub mod policy;

pub use business_time::OpenPeriod;
pub use calendar::{Calendar, CalendarSpec, WeeklyHours};
pub use clock::{SlaClock, SlaEvent, TargetState, TargetStatus, TicketFact};
pub use error::SlaError;
pub use policy::{
    Conditions, Escalation, EscalationAction, Policy, Priority, Recipient, TargetKind, Targets,
    TicketFacts, Trigger, WarnBefore, match_policy,
};
