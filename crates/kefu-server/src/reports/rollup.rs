//! The rollup fold: runs the report fold over new events and turns every change of a contact
//! or agent into signed deltas of per-slot, per-dimension sums (no I/O; `maintainer` stores).
//!
//! A contact counts, whole, in the 15-minute UTC slot of its bucket instant (offer time, or
//! start for bot-only contacts), exactly as the aggregator counts it. While a contact is open
//! (or may still be rated) its contribution is recomputed on each of its events: the old one
//! is subtracted and the new one added, so the sums always equal what `Fold::finish` would
//! hand the engine now. Every delta also goes to a second level, the day (in the tenant's zone
//! when the maintainer first started) that holds the slot, so day, week and month reports
//! read a few rows per day instead of 96. FCR also depends on the customer's next contact: each customer's
//! latest contact is remembered, and when a later one starts, the earlier one's contribution
//! is redone with that start.

use super::fold::Fold;
use chrono::{DateTime, Utc};
use kefu_metrics::{AgentState, AgentStateSpan, DimensionKey, InteractionRecord, NextContact};
use kefu_metrics::{Calendar, Granularity, MetricsError, PartialTally, Tz};
use kefu_store::Event;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// The rollup slot: 15 minutes, aligned to UTC. Every bucket of every zone whose UTC offset
/// is a whole number of quarter hours (all zones in use today) is a union of slots.
pub const SLOT_MS: i64 = 15 * 60 * 1000;

/// The slot holding an instant (Unix ms).
pub fn slot_of(at_ms: i64) -> i64 {
    at_ms.div_euclid(SLOT_MS) * SLOT_MS
}

/// Rollup level of 15-minute slots.
pub const SLOTS: i16 = 0;
/// Rollup level of local days (of [`ReportState::zone`]).
pub const DAYS: i16 = 1;

/// A rollup row: level, slot (or day) start and dimension value.
pub type RowKey = (i16, i64, DimensionKey);

/// Storage names of the dimensions.
pub fn dimension_name(key: &DimensionKey) -> (&'static str, &str) {
    match key {
        DimensionKey::Tenant => ("tenant", ""),
        DimensionKey::Queue(name) => ("queue", name),
        DimensionKey::Channel(name) => ("channel", name),
        DimensionKey::Agent(name) => ("agent", name),
        DimensionKey::ServiceGroup(name) => ("service_group", name),
    }
}

/// The inverse of [`dimension_name`]; `None` for a name this version does not know.
pub fn dimension_key(dimension: &str, key: &str) -> Option<DimensionKey> {
    Some(match dimension {
        "tenant" => DimensionKey::Tenant,
        "queue" => DimensionKey::Queue(key.to_owned()),
        "channel" => DimensionKey::Channel(key.to_owned()),
        "agent" => DimensionKey::Agent(key.to_owned()),
        "service_group" => DimensionKey::ServiceGroup(key.to_owned()),
        _ => return None,
    })
}

/// What one contact adds to the sums right now, and where.
#[derive(Debug, Clone)]
struct Contribution {
    record: InteractionRecord,
    next: NextContact,
    /// Slot and dimension value of each row the contact counts in.
    rows: Vec<(i64, DimensionKey)>,
    sums: PartialTally,
}

impl Contribution {
    fn of(record: InteractionRecord, next: NextContact) -> Self {
        // The engine would reject a record whose times run backwards; the fold clamps times so
        // this does not happen, and if it did the contact is left out rather than failing
        // every later report.
        if let Err(err) = record.validate() {
            tracing::warn!(error = %err, "contact left out of the report rollups");
            return Contribution {
                record,
                next,
                rows: Vec::new(),
                sums: PartialTally::default(),
            };
        }
        let slot = slot_of(record.bucket_time().timestamp_millis());
        let mut rows = vec![(slot, DimensionKey::Tenant)];
        if let Some(offer) = &record.offer {
            rows.push((slot, DimensionKey::Queue(offer.queue.clone())));
        }
        rows.push((slot, DimensionKey::Channel(record.channel.clone())));
        if let Some(agent) = record.answering_agent() {
            rows.push((slot, DimensionKey::Agent(agent.to_owned())));
        }
        if let Some(group) = &record.service_group {
            rows.push((slot, DimensionKey::ServiceGroup(group.clone())));
        }
        let sums = PartialTally::of_contact(&record, next);
        Contribution {
            record,
            next,
            rows,
            sums,
        }
    }
}

/// A customer's latest contact: the one whose FCR verdict waits for a next contact.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Latest {
    id: String,
    started_ms: i64,
    /// Set once the fold has handed the contact out (it is no longer open).
    released: Option<InteractionRecord>,
}

/// What the maintainer saves besides the sums, to resume where it stopped.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SavedState {
    /// The zone of the day level, fixed when the rollups were started.
    zone: Tz,
    fold: Fold,
    latest: HashMap<String, Latest>,
    /// Open contacts whose customer already has a later contact: that contact's start.
    next_of: HashMap<String, i64>,
}

/// An agent's running presence, as saved for reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Presence {
    pub agent: Uuid,
    pub state: AgentState,
    pub since: DateTime<Utc>,
}

/// What a report needs besides the rows, saved with the cursor.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReportState {
    /// The zone whose local days the day level holds.
    pub zone: Tz,
    pub presence: Vec<Presence>,
}

/// The fold plus the contributions of the contacts that can still change.
#[derive(Debug)]
pub struct RollupFold {
    state: SavedState,
    days: Calendar,
    open: HashMap<String, Contribution>,
    /// Deltas not yet written: row → signed sums.
    pub pending: HashMap<RowKey, PartialTally>,
    /// Contacts counted over all slots.
    pub contacts: i64,
}

impl RollupFold {
    /// A fold from the start of the log whose day level uses `zone`.
    pub fn new(zone: Tz) -> Self {
        RollupFold {
            state: SavedState {
                zone,
                ..SavedState::default()
            },
            days: Calendar::new(zone, Granularity::Day),
            open: HashMap::new(),
            pending: HashMap::new(),
            contacts: 0,
        }
    }

    /// Resumes from saved state; the open contacts' contributions are already in the stored
    /// sums, so they are rebuilt without adding deltas.
    pub fn resume(state: SavedState, contacts: i64) -> Self {
        let mut fold = RollupFold::new(state.zone);
        fold.state = state;
        fold.contacts = contacts;
        for record in fold.state.fold.open_records() {
            let next = fold.next_of(&record.id);
            fold.open
                .insert(record.id.clone(), Contribution::of(record, next));
        }
        fold
    }

    pub fn saved_state(&self) -> &SavedState {
        &self.state
    }

    /// What reports need besides the rows.
    pub fn report_state(&self) -> ReportState {
        ReportState {
            zone: self.state.zone,
            presence: self.presence(),
        }
    }

    /// Agents' running presence, for reports to count up to their own end.
    pub fn presence(&self) -> Vec<Presence> {
        let mut presence: Vec<Presence> = self
            .state
            .fold
            .running_presence()
            .map(|(agent, state, since)| Presence {
                agent,
                state,
                since,
            })
            .collect();
        presence.sort_by_key(|p| p.agent);
        presence
    }

    /// Folds one event (in sequence order) and records the deltas it causes.
    pub fn push(&mut self, event: &Event) {
        self.state.fold.push(event);
        let released = std::mem::take(&mut self.state.fold.output.interactions);
        for record in released {
            self.release(record);
        }
        let spans = std::mem::take(&mut self.state.fold.output.spans);
        for span in &spans {
            self.add_span(span);
        }
        if let Some(conversation) = event.entity_id
            && let Some(record) = self.state.fold.open_record(conversation)
        {
            if !self.open.contains_key(&record.id) {
                self.started(&record);
            }
            let next = self.next_of(&record.id);
            self.set(record, next);
        }
    }

    fn next_of(&self, id: &str) -> NextContact {
        match self.state.next_of.get(id) {
            Some(at) => NextContact::At(*at),
            None => NextContact::None,
        }
    }

    /// A new contact: it becomes its customer's latest, and the previous latest learns its
    /// next contact.
    fn started(&mut self, record: &InteractionRecord) {
        let started_ms = record.started_at.timestamp_millis();
        let latest = Latest {
            id: record.id.clone(),
            started_ms,
            released: None,
        };
        let Some(previous) = self.state.latest.get(&record.customer_id).cloned() else {
            self.state.latest.insert(record.customer_id.clone(), latest);
            return;
        };
        if started_ms <= previous.started_ms {
            // Out of log order (or the same millisecond, which is not "later"): the earlier
            // contact stays the latest; this one's next is the latest if it started later.
            if started_ms < previous.started_ms {
                self.state
                    .next_of
                    .insert(record.id.clone(), previous.started_ms);
            }
            return;
        }
        self.state.latest.insert(record.customer_id.clone(), latest);
        let next = NextContact::At(started_ms);
        match previous.released {
            // Handed out already: its contribution is final now that its next is known.
            Some(done) => {
                let old = Contribution::of(done.clone(), NextContact::None);
                self.apply(&old, -1);
                self.apply(&Contribution::of(done, next), 1);
            }
            None => {
                self.state.next_of.insert(previous.id.clone(), started_ms);
                if let Some(open) = self.open.get(&previous.id) {
                    let record = open.record.clone();
                    self.set(record, next);
                }
            }
        }
    }

    /// A contact the fold handed out: its final record.
    fn release(&mut self, record: InteractionRecord) {
        let next = self.next_of(&record.id);
        self.set(record.clone(), next);
        self.open.remove(&record.id);
        self.state.next_of.remove(&record.id);
        if let Some(latest) = self.state.latest.get_mut(&record.customer_id)
            && latest.id == record.id
        {
            latest.released = Some(record);
        }
    }

    /// Replaces an open contact's contribution.
    fn set(&mut self, record: InteractionRecord, next: NextContact) {
        if let Some(old) = self.open.get(&record.id)
            && old.record == record
            && old.next == next
        {
            return;
        }
        let new = Contribution::of(record, next);
        if let Some(old) = self.open.remove(&new.record.id) {
            self.apply(&old, -1);
        }
        self.apply(&new, 1);
        self.open.insert(new.record.id.clone(), new);
    }

    fn apply(&mut self, contribution: &Contribution, sign: i64) {
        if contribution.rows.is_empty() {
            return;
        }
        self.contacts += sign * contribution.sums.contacts;
        for (slot, key) in &contribution.rows {
            self.add(*slot, key, &contribution.sums, sign);
        }
    }

    /// Adds sums to a slot's row and to its day's row.
    fn add(&mut self, slot: i64, key: &DimensionKey, sums: &PartialTally, sign: i64) {
        self.pending
            .entry((SLOTS, slot, key.clone()))
            .or_default()
            .merge(sums, sign);
        match self.days.bucket_of(slot) {
            Ok((day, _)) => self
                .pending
                .entry((DAYS, day, key.clone()))
                .or_default()
                .merge(sums, sign),
            // Only instants beyond the calendar's range fail; reports cannot ask for them.
            Err(err) => tracing::warn!(error = %err, "no day for a rollup slot"),
        }
    }

    /// A closed stretch of presence, split at slot boundaries (offline is not counted).
    fn add_span(&mut self, span: &AgentStateSpan) {
        if span.state == AgentState::Offline {
            return;
        }
        let end = span.to.timestamp_millis();
        let mut cursor = span.from.timestamp_millis();
        while cursor < end {
            let slot = slot_of(cursor);
            let piece_end = (slot + SLOT_MS).min(end);
            let sums = PartialTally::of_state_time(span.state, piece_end - cursor);
            for key in [
                DimensionKey::Tenant,
                DimensionKey::Agent(span.agent.clone()),
            ] {
                self.add(slot, &key, &sums, 1);
            }
            cursor = piece_end;
        }
    }
}

/// Decodes stored sums (kefu-metrics' byte form).
pub fn decode(bytes: &[u8]) -> Result<PartialTally, MetricsError> {
    PartialTally::decode(bytes)
}

#[cfg(test)]
#[path = "rollup_tests.rs"]
mod tests;
