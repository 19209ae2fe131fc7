//! The streaming aggregator: takes records and agent spans in any order, keeps one tally per
//! bucket × dimension value, settles FCR from every customer's contact times at the end.

use rustc_hash::FxHashMap;

use crate::bucket::Calendar;
use crate::error::MetricsError;
use crate::partial::PartialTally;
use crate::record::{AgentState, AgentStateSpan, InteractionRecord};
use crate::report::{DimensionKey, MetricRow, MetricsReport, ServiceLevelUsed};
use crate::spec::{AggregationSpec, Dimension};
use crate::tally::{ContactFacts, FcrOutcome, Tally, Thresholds};

/// A report cannot hold more buckets than this (a year of 15-minute buckets is 35,040).
pub const MAX_BUCKETS: usize = 200_000;

const DAY_MS: i64 = 86_400_000;

/// Aggregates in one pass: feed [`Aggregator::add_interaction`] and
/// [`Aggregator::add_agent_span`], then [`Aggregator::finish`]. Memory grows with the number
/// of rows, customers and resolved contacts (their times are needed for FCR and percentiles).
#[derive(Debug)]
pub struct Aggregator {
    spec: AggregationSpec,
    calendar: Calendar,
    thresholds: Thresholds,
    window_ms: (i64, i64),
    wanted: DimensionSet,
    names: [Interner; 4],
    customers: Interner,
    /// Start times of every contact, by interned customer: the repeat contacts for FCR.
    contact_starts: Vec<Vec<i64>>,
    /// Fx hashing: keys are small integers and names kefu assigns (ids, queue names), so
    /// SipHash's flooding resistance buys nothing and costs time on every record.
    rows: FxHashMap<RowKey, usize>,
    tallies: Vec<Tally>,
    fcr_candidates: Vec<FcrCandidate>,
    records_outside_window: u64,
}

/// One row: bucket start (Unix ms) and dimension value (interned name, 0 for the tenant).
type RowKey = (i64, Dimension, u32);

/// A resolved contact awaiting its FCR verdict, with the rows it counts in.
#[derive(Debug)]
struct FcrCandidate {
    customer: u32,
    started_ms: i64,
    resolved_ms: i64,
    rows: RowList,
}

/// The rows one contact lands in: at most one per dimension.
#[derive(Debug, Clone, Copy, Default)]
struct RowList {
    len: usize,
    indices: [usize; 5],
}

impl RowList {
    fn push(&mut self, index: usize) {
        if let Some(slot) = self.indices.get_mut(self.len) {
            *slot = index;
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[usize] {
        self.indices.get(..self.len).unwrap_or(&[])
    }
}

#[derive(Debug, Clone, Copy)]
struct DimensionSet([bool; 5]);

impl DimensionSet {
    fn of(dimensions: &[Dimension]) -> Self {
        let mut set = [false; 5];
        for d in dimensions {
            set[Self::slot(*d)] = true;
        }
        Self(set)
    }

    fn slot(dimension: Dimension) -> usize {
        match dimension {
            Dimension::Tenant => 0,
            Dimension::Queue => 1,
            Dimension::Channel => 2,
            Dimension::Agent => 3,
            Dimension::ServiceGroup => 4,
        }
    }

    fn has(&self, dimension: Dimension) -> bool {
        self.0[Self::slot(dimension)]
    }
}

/// Gives each distinct name a small id, so row keys are cheap to hash and a name is
/// allocated once rather than once per record.
#[derive(Debug, Default)]
struct Interner {
    ids: FxHashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        // More than 4 billion distinct names cannot occur in memory; saturating keeps it total.
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.ids.insert(name.to_owned(), id);
        self.names.push(name.to_owned());
        id
    }

    fn name(&self, id: u32) -> String {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.names.get(i))
            .cloned()
            .unwrap_or_default()
    }
}

/// Interner slots for the named dimensions.
const QUEUE: usize = 0;
const CHANNEL: usize = 1;
const AGENT: usize = 2;
const GROUP: usize = 3;

impl Aggregator {
    pub fn new(spec: AggregationSpec) -> Result<Self, MetricsError> {
        spec.validate()?;
        let thresholds = Thresholds {
            service_level_ms: u64::from(spec.service_level_secs) * 1000,
            short_abandon_ms: u64::from(spec.short_abandon_secs) * 1000,
            observed_until_ms: spec.observed_until().timestamp_millis(),
        };
        let window_ms = (
            spec.window_start.timestamp_millis(),
            spec.window_end.timestamp_millis(),
        );
        let mut calendar =
            Calendar::for_window(spec.time_zone, spec.granularity, window_ms.0, window_ms.1);
        // Fail now, not at finish, if the window is too fine-grained to report.
        calendar.buckets_covering(window_ms.0, window_ms.1, MAX_BUCKETS)?;
        Ok(Self {
            wanted: DimensionSet::of(&spec.dimensions),
            spec,
            calendar,
            thresholds,
            window_ms,
            names: Default::default(),
            customers: Interner::default(),
            contact_starts: Vec::new(),
            rows: FxHashMap::default(),
            tallies: Vec::new(),
            fcr_candidates: Vec::new(),
            records_outside_window: 0,
        })
    }

    /// Adds one contact to the rows of the bucket it was offered in (or started in, if it
    /// never reached a queue). Contacts outside the window only serve as FCR repeat contacts.
    pub fn add_interaction(&mut self, record: &InteractionRecord) -> Result<(), MetricsError> {
        record.validate()?;
        let customer = self.customers.id(&record.customer_id);
        let started_ms = record.started_at.timestamp_millis();
        match self.contact_starts.get_mut(customer as usize) {
            Some(starts) => starts.push(started_ms),
            None => self.contact_starts.push(vec![started_ms]),
        }
        let at_ms = record.bucket_time().timestamp_millis();
        if at_ms < self.window_ms.0 || at_ms >= self.window_ms.1 {
            self.records_outside_window += 1;
            return Ok(());
        }
        let (bucket_start, bucket_end) = self.calendar.bucket_of(at_ms)?;
        let facts = ContactFacts::of(record, self.thresholds.observed_until_ms);
        let mut rows = RowList::default();
        let mut land = |this: &mut Self, dimension: Dimension, name: Option<(usize, &str)>| {
            if !this.wanted.has(dimension) {
                return;
            }
            let id = match name {
                Some((slot, name)) => this.names[slot].id(name),
                None => 0,
            };
            let index = this.row(bucket_start, bucket_end, dimension, id);
            this.tallies[index].add_contact(&facts, &this.thresholds);
            rows.push(index);
        };
        land(self, Dimension::Tenant, None);
        if let Some(offer) = &record.offer {
            land(self, Dimension::Queue, Some((QUEUE, &offer.queue)));
        }
        land(self, Dimension::Channel, Some((CHANNEL, &record.channel)));
        if let Some(agent) = record.answering_agent() {
            land(self, Dimension::Agent, Some((AGENT, agent)));
        }
        if let Some(group) = &record.service_group {
            land(self, Dimension::ServiceGroup, Some((GROUP, group)));
        }
        if let Some(resolved_at) = record.resolved_at {
            self.fcr_candidates.push(FcrCandidate {
                customer,
                started_ms,
                resolved_ms: resolved_at.timestamp_millis(),
                rows,
            });
        }
        Ok(())
    }

    /// Adds pre-aggregated sums whose contacts and agent time all fall at instants of the
    /// same bucket as `at_ms` (a rollup slot that no bucket boundary cuts). Sums outside the
    /// window or of a dimension the report does not want are skipped; empty sums create no
    /// row, as no contact would have. The caller counts contacts outside the window with
    /// [`Aggregator::add_records_outside_window`].
    pub fn add_partial(
        &mut self,
        at_ms: i64,
        key: &DimensionKey,
        partial: &PartialTally,
    ) -> Result<(), MetricsError> {
        if partial.is_zero() {
            return Ok(());
        }
        if !self.in_window(at_ms) {
            return Ok(());
        }
        let dimension = key.dimension();
        if !self.wanted.has(dimension) {
            return Ok(());
        }
        let id = match key {
            DimensionKey::Tenant => 0,
            DimensionKey::Queue(name) => self.names[QUEUE].id(name),
            DimensionKey::Channel(name) => self.names[CHANNEL].id(name),
            DimensionKey::Agent(name) => self.names[AGENT].id(name),
            DimensionKey::ServiceGroup(name) => self.names[GROUP].id(name),
        };
        let (bucket_start, bucket_end) = self.calendar.bucket_of(at_ms)?;
        let index = self.row(bucket_start, bucket_end, dimension, id);
        let fcr_window_ms = i64::from(self.spec.fcr_window_days) * DAY_MS;
        self.tallies[index].add_partial(partial, &self.thresholds, fcr_window_ms);
        Ok(())
    }

    /// Whether an instant is inside the report window.
    pub fn in_window(&self, at_ms: i64) -> bool {
        (self.window_ms.0..self.window_ms.1).contains(&at_ms)
    }

    /// Contacts outside the window, known only by number (their sums are not needed).
    pub fn add_records_outside_window(&mut self, contacts: u64) {
        self.records_outside_window = self.records_outside_window.saturating_add(contacts);
    }

    /// Every bucket `[start, end)` (Unix ms) of the window, so a caller can check that its
    /// pre-aggregated slots nest in them.
    pub fn window_buckets(&mut self) -> Result<Vec<(i64, i64)>, MetricsError> {
        self.calendar
            .buckets_covering(self.window_ms.0, self.window_ms.1, MAX_BUCKETS)
    }

    /// Adds an agent's state time to the tenant, agent and service-group rows, split at bucket
    /// boundaries and clipped to the window. Offline time is ignored.
    pub fn add_agent_span(&mut self, span: &AgentStateSpan) -> Result<(), MetricsError> {
        span.validate()?;
        if span.state == AgentState::Offline {
            return Ok(());
        }
        let mut cursor = span.from.timestamp_millis().max(self.window_ms.0);
        let end = span.to.timestamp_millis().min(self.window_ms.1);
        let agent = self
            .wanted
            .has(Dimension::Agent)
            .then(|| self.names[AGENT].id(&span.agent));
        let group = match (
            &span.service_group,
            self.wanted.has(Dimension::ServiceGroup),
        ) {
            (Some(group), true) => Some(self.names[GROUP].id(group)),
            _ => None,
        };
        while cursor < end {
            let (bucket_start, bucket_end) = self.calendar.bucket_of(cursor)?;
            let piece_end = bucket_end.min(end);
            if piece_end <= cursor {
                // A bucket must end after the instant it holds; never loop on a bad zone.
                return Err(MetricsError::UnrepresentableTime {
                    at: span.from.to_rfc3339(),
                });
            }
            let ms = u64::try_from(piece_end - cursor).unwrap_or(0);
            let targets = [
                self.wanted
                    .has(Dimension::Tenant)
                    .then_some((Dimension::Tenant, 0)),
                agent.map(|id| (Dimension::Agent, id)),
                group.map(|id| (Dimension::ServiceGroup, id)),
            ];
            for (dimension, id) in targets.into_iter().flatten() {
                let index = self.row(bucket_start, bucket_end, dimension, id);
                self.tallies[index].add_state_time(span.state, ms);
            }
            cursor = piece_end;
        }
        Ok(())
    }

    /// Settles FCR, adds the empty tenant buckets of the window and returns the sorted report.
    pub fn finish(mut self) -> Result<MetricsReport, MetricsError> {
        if self.wanted.has(Dimension::Tenant) {
            let (start, end) = self.window_ms;
            for (bucket_start, bucket_end) in
                self.calendar.buckets_covering(start, end, MAX_BUCKETS)?
            {
                self.row(bucket_start, bucket_end, Dimension::Tenant, 0);
            }
        }
        self.settle_fcr();
        let definition = self.spec.service_level;
        let mut keyed = Vec::with_capacity(self.rows.len());
        let mut tallies: Vec<Option<Tally>> = self.tallies.drain(..).map(Some).collect();
        for ((bucket_start, dimension, id), index) in std::mem::take(&mut self.rows) {
            let Some(tally) = tallies.get_mut(index).and_then(Option::take) else {
                continue;
            };
            let dimension = self.key(dimension, id);
            keyed.push((bucket_start, tally.bucket_end_ms, dimension, tally));
        }
        keyed.sort_by(|a, b| (a.0, &a.2).cmp(&(b.0, &b.2)));
        let mut rows = Vec::with_capacity(keyed.len());
        // Rows come sorted by bucket: convert each bucket's bounds to local time once.
        let mut local_bounds = None;
        for (bucket_start, bucket_end, dimension, tally) in keyed {
            let (start, end) = match local_bounds {
                Some((at, bounds)) if at == bucket_start => bounds,
                _ => {
                    let bounds = (
                        self.calendar.local(bucket_start)?,
                        self.calendar.local(bucket_end)?,
                    );
                    local_bounds = Some((bucket_start, bounds));
                    bounds
                }
            };
            let (counts, durations, rates) = tally.finish(definition);
            rows.push(MetricRow {
                bucket_start: start,
                bucket_end: end,
                dimension,
                counts,
                durations,
                rates,
            });
        }
        let spec = &self.spec;
        Ok(MetricsReport {
            time_zone: spec.time_zone.name().to_owned(),
            granularity: spec.granularity,
            window_start: spec.window_start,
            window_end: spec.window_end,
            observed_until: spec.observed_until(),
            service_level: ServiceLevelUsed {
                definition: spec.service_level,
                number: spec.service_level.number(),
                formula: spec.service_level.formula().to_owned(),
                threshold_secs: spec.service_level_secs,
            },
            short_abandon_secs: spec.short_abandon_secs,
            fcr_window_days: spec.fcr_window_days,
            records_outside_window: self.records_outside_window,
            rows,
        })
    }

    /// A resolved contact is repeated when the same customer's next contact starts after it
    /// and no later than N × 24 h after its resolution; resolved first time when no such
    /// contact exists and those N days are all observed; otherwise undetermined.
    fn settle_fcr(&mut self) {
        for starts in &mut self.contact_starts {
            starts.sort_unstable();
        }
        let window_ms = i64::from(self.spec.fcr_window_days) * DAY_MS;
        let observed_until = self.thresholds.observed_until_ms;
        for candidate in &self.fcr_candidates {
            let deadline = candidate.resolved_ms.saturating_add(window_ms);
            let next_contact = self
                .contact_starts
                .get(candidate.customer as usize)
                .and_then(|starts| {
                    let after = starts.partition_point(|s| *s <= candidate.started_ms);
                    starts.get(after).copied()
                });
            let outcome = match next_contact {
                Some(next) if next <= deadline => FcrOutcome::Repeated,
                _ if deadline <= observed_until => FcrOutcome::ResolvedFirstContact,
                _ => FcrOutcome::Undetermined,
            };
            for index in candidate.rows.as_slice() {
                if let Some(tally) = self.tallies.get_mut(*index) {
                    tally.add_fcr(outcome);
                }
            }
        }
    }

    /// The tally index of a row, creating the row on first use.
    fn row(&mut self, bucket_start: i64, bucket_end: i64, dimension: Dimension, id: u32) -> usize {
        let next = self.tallies.len();
        let index = *self
            .rows
            .entry((bucket_start, dimension, id))
            .or_insert(next);
        if index == next {
            self.tallies.push(Tally::new(bucket_end));
        }
        index
    }

    fn key(&self, dimension: Dimension, id: u32) -> DimensionKey {
        match dimension {
            Dimension::Tenant => DimensionKey::Tenant,
            Dimension::Queue => DimensionKey::Queue(self.names[QUEUE].name(id)),
            Dimension::Channel => DimensionKey::Channel(self.names[CHANNEL].name(id)),
            Dimension::Agent => DimensionKey::Agent(self.names[AGENT].name(id)),
            Dimension::ServiceGroup => DimensionKey::ServiceGroup(self.names[GROUP].name(id)),
        }
    }
}

/// Aggregates a whole batch: the convenience form of [`Aggregator`].
pub fn aggregate<'a>(
    spec: AggregationSpec,
    interactions: impl IntoIterator<Item = &'a InteractionRecord>,
    agent_spans: impl IntoIterator<Item = &'a AgentStateSpan>,
) -> Result<MetricsReport, MetricsError> {
    let mut aggregator = Aggregator::new(spec)?;
    for record in interactions {
        aggregator.add_interaction(record)?;
    }
    for span in agent_spans {
        aggregator.add_agent_span(span)?;
    }
    aggregator.finish()
}
