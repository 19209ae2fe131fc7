//! Pre-aggregated sums of many contacts (a rollup of one time slot × dimension value), signed
//! so a contact's earlier contribution can be taken back, and their compact byte form.
//!
//! A partial keeps exactly what every report parameter needs, so a report built from partials
//! equals the one built from records: waits as a histogram of whole seconds rounded up (a wait
//! of `w` ms is within `T` s exactly when `⌈w / 1000⌉ ≤ T`, so every threshold is exact),
//! resolution times as their exact values (nearest-rank percentiles need them), and for FCR
//! the gap to the next contact in whole days rounded up, or the resolution time while no next
//! contact exists (decided against `observed_until` when the report is made).

use std::collections::BTreeMap;

use crate::error::MetricsError;
use crate::record::{AgentState, BotOutcome, InteractionRecord, OfferOutcome, Rating};

const DAY_MS: i64 = 86_400_000;

/// A multiset of values: value → how many times (negative while a removal is pending).
pub type Histogram = BTreeMap<i64, i64>;

/// Signed, additive sums; adding a contact's facts and then subtracting them gives zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartialTally {
    pub contacts: i64,
    pub offered: i64,
    pub answered: i64,
    pub abandoned: i64,
    pub waiting: i64,
    pub handled: i64,
    pub transferred: i64,
    pub transfers: i64,
    pub first_responses: i64,
    pub resolved: i64,
    pub csat_responses: i64,
    pub csat_satisfied: i64,
    pub nps_responses: i64,
    pub nps_promoters: i64,
    pub nps_detractors: i64,
    pub bot_conversations: i64,
    pub bot_resolved: i64,
    pub bot_handed_off: i64,
    pub sla_met: i64,
    /// Resolved after the deadline; unresolved deadlines are in `sla_due_open_ms`.
    pub sla_breached_resolved: i64,
    pub answered_wait_ms: i64,
    pub talk_ms: i64,
    pub hold_ms: i64,
    pub after_contact_work_ms: i64,
    pub first_response_ms: i64,
    pub resolution_ms: i64,
    pub available_ms: i64,
    pub away_ms: i64,
    pub busy_ms: i64,
    pub wrap_up_ms: i64,
    /// Answered waits, in whole seconds rounded up.
    pub answered_wait_secs: Histogram,
    /// Abandoned waits, in whole seconds rounded up.
    pub abandoned_wait_secs: Histogram,
    /// Resolution times in milliseconds, exact.
    pub resolution_values_ms: Histogram,
    /// Resolved contacts with a next contact: the gap from resolution to the next contact's
    /// start in whole days rounded up (0 when the next contact came before resolution).
    pub fcr_gap_days: Histogram,
    /// Resolved contacts with no next contact yet: their resolution time (Unix ms).
    pub fcr_open_resolved_ms: Histogram,
    /// Unresolved contacts with a resolution deadline: the deadline (Unix ms).
    pub sla_due_open_ms: Histogram,
}

/// What the FCR rule needs to know about the customer's next contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextContact {
    /// No later contact of the same customer is known.
    None,
    /// The next contact started at this instant (Unix ms).
    At(i64),
}

fn ceil_div(value: i64, unit: i64) -> i64 {
    let quotient = value.div_euclid(unit);
    if value.rem_euclid(unit) == 0 {
        quotient
    } else {
        quotient + 1
    }
}

fn bump(histogram: &mut Histogram, value: i64, by: i64) {
    if by == 0 {
        return;
    }
    let entry = histogram.entry(value).or_insert(0);
    *entry += by;
    if *entry == 0 {
        histogram.remove(&value);
    }
}

fn millis(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

impl PartialTally {
    /// One contact's contribution, as the aggregator would count it (`next` decides FCR).
    pub fn of_contact(record: &InteractionRecord, next: NextContact) -> Self {
        let mut p = Self {
            contacts: 1,
            ..Self::default()
        };
        let started = record.started_at.timestamp_millis();
        if let Some(offer) = &record.offer {
            let enqueued = offer.enqueued_at.timestamp_millis();
            p.offered = 1;
            match &offer.outcome {
                OfferOutcome::Answered { answered_at, .. } => {
                    let wait = (answered_at.timestamp_millis() - enqueued).max(0);
                    p.answered = 1;
                    p.answered_wait_ms = wait;
                    bump(&mut p.answered_wait_secs, ceil_div(wait, 1000), 1);
                    p.transferred = i64::from(record.transfers > 0);
                    p.transfers = i64::from(record.transfers);
                    if let Some(handle) = record.handle {
                        p.handled = 1;
                        p.talk_ms = millis(handle.talk_ms);
                        p.hold_ms = millis(handle.hold_ms);
                        p.after_contact_work_ms = millis(handle.after_contact_work_ms);
                    }
                }
                OfferOutcome::Abandoned { abandoned_at } => {
                    let wait = (abandoned_at.timestamp_millis() - enqueued).max(0);
                    p.abandoned = 1;
                    bump(&mut p.abandoned_wait_secs, ceil_div(wait, 1000), 1);
                }
                OfferOutcome::Waiting => p.waiting = 1,
            }
        }
        if let Some(at) = record.first_response_at {
            p.first_responses = 1;
            p.first_response_ms = (at.timestamp_millis() - started).max(0);
        }
        if let Some(at) = record.resolved_at {
            let resolved = at.timestamp_millis();
            let ms = (resolved - started).max(0);
            p.resolved = 1;
            p.resolution_ms = ms;
            bump(&mut p.resolution_values_ms, ms, 1);
            match next {
                NextContact::At(next) => bump(
                    &mut p.fcr_gap_days,
                    ceil_div(next - resolved, DAY_MS).max(0),
                    1,
                ),
                NextContact::None => bump(&mut p.fcr_open_resolved_ms, resolved, 1),
            }
        }
        match record.rating {
            Some(Rating::Csat(score)) => {
                p.csat_responses = 1;
                p.csat_satisfied = i64::from(score >= 4);
            }
            Some(Rating::Nps(score)) => {
                p.nps_responses = 1;
                p.nps_promoters = i64::from(score >= 9);
                p.nps_detractors = i64::from(score <= 6);
            }
            None => {}
        }
        if let Some(bot) = record.bot {
            p.bot_conversations = 1;
            p.bot_resolved = i64::from(bot == BotOutcome::Resolved);
            p.bot_handed_off = i64::from(bot == BotOutcome::HandedOff);
        }
        if let Some(due) = record.resolution_due_at {
            match record.resolved_at {
                Some(resolved) if resolved <= due => p.sla_met = 1,
                Some(_) => p.sla_breached_resolved = 1,
                None => bump(&mut p.sla_due_open_ms, due.timestamp_millis(), 1),
            }
        }
        p
    }

    /// Agent time in one state (offline time is not counted).
    pub fn of_state_time(state: AgentState, ms: i64) -> Self {
        let mut p = Self::default();
        match state {
            AgentState::Available => p.available_ms = ms,
            AgentState::Away => p.away_ms = ms,
            AgentState::Busy => p.busy_ms = ms,
            AgentState::WrapUp => p.wrap_up_ms = ms,
            AgentState::Offline => {}
        }
        p
    }

    /// Adds `other` times `sign` (1 to add, −1 to take back).
    pub fn merge(&mut self, other: &Self, sign: i64) {
        for (mine, theirs) in self.scalars_mut().into_iter().zip(other.scalars()) {
            *mine += sign * theirs;
        }
        for (mine, theirs) in self.histograms_mut().into_iter().zip(other.histograms()) {
            for (value, count) in theirs {
                bump(mine, *value, sign * count);
            }
        }
    }

    /// True when nothing is counted: such a row is never shown (the aggregator would not
    /// have created it) and is deleted from storage.
    pub fn is_zero(&self) -> bool {
        self.scalars().iter().all(|v| *v == 0) && self.histograms().iter().all(|h| h.is_empty())
    }

    fn scalars(&self) -> [i64; 30] {
        [
            self.contacts,
            self.offered,
            self.answered,
            self.abandoned,
            self.waiting,
            self.handled,
            self.transferred,
            self.transfers,
            self.first_responses,
            self.resolved,
            self.csat_responses,
            self.csat_satisfied,
            self.nps_responses,
            self.nps_promoters,
            self.nps_detractors,
            self.bot_conversations,
            self.bot_resolved,
            self.bot_handed_off,
            self.sla_met,
            self.sla_breached_resolved,
            self.answered_wait_ms,
            self.talk_ms,
            self.hold_ms,
            self.after_contact_work_ms,
            self.first_response_ms,
            self.resolution_ms,
            self.available_ms,
            self.away_ms,
            self.busy_ms,
            self.wrap_up_ms,
        ]
    }

    fn scalars_mut(&mut self) -> [&mut i64; 30] {
        [
            &mut self.contacts,
            &mut self.offered,
            &mut self.answered,
            &mut self.abandoned,
            &mut self.waiting,
            &mut self.handled,
            &mut self.transferred,
            &mut self.transfers,
            &mut self.first_responses,
            &mut self.resolved,
            &mut self.csat_responses,
            &mut self.csat_satisfied,
            &mut self.nps_responses,
            &mut self.nps_promoters,
            &mut self.nps_detractors,
            &mut self.bot_conversations,
            &mut self.bot_resolved,
            &mut self.bot_handed_off,
            &mut self.sla_met,
            &mut self.sla_breached_resolved,
            &mut self.answered_wait_ms,
            &mut self.talk_ms,
            &mut self.hold_ms,
            &mut self.after_contact_work_ms,
            &mut self.first_response_ms,
            &mut self.resolution_ms,
            &mut self.available_ms,
            &mut self.away_ms,
            &mut self.busy_ms,
            &mut self.wrap_up_ms,
        ]
    }

    fn histograms(&self) -> [&Histogram; 6] {
        [
            &self.answered_wait_secs,
            &self.abandoned_wait_secs,
            &self.resolution_values_ms,
            &self.fcr_gap_days,
            &self.fcr_open_resolved_ms,
            &self.sla_due_open_ms,
        ]
    }

    fn histograms_mut(&mut self) -> [&mut Histogram; 6] {
        [
            &mut self.answered_wait_secs,
            &mut self.abandoned_wait_secs,
            &mut self.resolution_values_ms,
            &mut self.fcr_gap_days,
            &mut self.fcr_open_resolved_ms,
            &mut self.sla_due_open_ms,
        ]
    }

    /// The byte form: a version byte, then zigzag varints (every scalar, then each
    /// histogram as its length and delta-coded values with their counts). Small because
    /// most fields of a row are 0 and histogram values are close together.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![FORMAT_VERSION];
        for value in self.scalars() {
            put(&mut out, value);
        }
        for histogram in self.histograms() {
            put(&mut out, i64::try_from(histogram.len()).unwrap_or(i64::MAX));
            let mut previous = 0;
            for (value, count) in histogram {
                put(&mut out, value.wrapping_sub(previous));
                put(&mut out, *count);
                previous = *value;
            }
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, MetricsError> {
        let corrupt = || MetricsError::CorruptPartial;
        let (version, mut rest) = bytes.split_first().ok_or_else(corrupt)?;
        if *version != FORMAT_VERSION {
            return Err(corrupt());
        }
        let mut p = Self::default();
        for slot in p.scalars_mut() {
            *slot = take(&mut rest).ok_or_else(corrupt)?;
        }
        for histogram in p.histograms_mut() {
            let len = take(&mut rest).ok_or_else(corrupt)?;
            let mut value = 0;
            for _ in 0..len {
                value = take(&mut rest).ok_or_else(corrupt)?.wrapping_add(value);
                let count = take(&mut rest).ok_or_else(corrupt)?;
                histogram.insert(value, count);
            }
        }
        if rest.is_empty() {
            Ok(p)
        } else {
            Err(corrupt())
        }
    }
}

const FORMAT_VERSION: u8 = 1;

fn put(out: &mut Vec<u8>, value: i64) {
    let mut zigzag = ((value << 1) ^ (value >> 63)) as u64;
    loop {
        let byte = (zigzag & 0x7f) as u8;
        zigzag >>= 7;
        if zigzag == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn take(bytes: &mut &[u8]) -> Option<i64> {
    let mut zigzag = 0u64;
    let mut shift = 0;
    loop {
        let (byte, rest) = bytes.split_first()?;
        *bytes = rest;
        if shift >= 64 {
            return None;
        }
        zigzag |= u64::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return Some(((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ceil_div_rounds_up_and_handles_negatives() {
        assert_eq!(ceil_div(0, 1000), 0);
        assert_eq!(ceil_div(1, 1000), 1);
        assert_eq!(ceil_div(1000, 1000), 1);
        assert_eq!(ceil_div(1001, 1000), 2);
        assert_eq!(ceil_div(-1, 1000), 0);
        assert_eq!(ceil_div(-1001, 1000), -1);
    }

    proptest! {
        #[test]
        fn encoding_round_trips(scalars in proptest::collection::vec(any::<i64>(), 30),
                                hist in proptest::collection::btree_map(any::<i32>(), -5i64..5, 0..20)) {
            let mut p = PartialTally::default();
            for (slot, value) in p.scalars_mut().into_iter().zip(scalars) {
                *slot = value;
            }
            p.resolution_values_ms = hist.iter().map(|(k, v)| (i64::from(*k), *v)).collect();
            p.fcr_open_resolved_ms = p.resolution_values_ms.clone();
            prop_assert_eq!(PartialTally::decode(&p.encode()).unwrap(), p);
        }

        #[test]
        fn taking_back_gives_zero(a in proptest::collection::btree_map(0i64..100, 1i64..3, 0..10)) {
            let mut p = PartialTally { contacts: 3, resolution_values_ms: a, ..PartialTally::default() };
            let copy = p.clone();
            p.merge(&copy, -1);
            prop_assert!(p.is_zero());
        }
    }
}
