//! kefu-metrics: the contact-center metrics engine, with no I/O, no async and no clock.
//! The server folds its event log into [`InteractionRecord`]s and [`AgentStateSpan`]s; this
//! crate buckets them by interval, day, week or month in the tenant's time zone and by
//! dimension (tenant, queue, channel, agent, service group) and computes every metric of
//! GLOSSARY.md. `docs/metrics.md` at the repository root defines each one exactly as computed.
//!
//! ```text
//! let mut aggregator = Aggregator::new(AggregationSpec::new(zone, Granularity::Minutes30, from, to))?;
//! for record in &records { aggregator.add_interaction(record)?; }
//! for span in &spans { aggregator.add_agent_span(span)?; }
//! let report: MetricsReport = aggregator.finish()?;   // or aggregate(spec, &records, &spans)
//! ```
//!
//! Every report names its service-level definition ([`SlDefinition`], one of the five in
//! GLOSSARY.md; definition 3 by default) and threshold. Rates are `Option<f64>`: `None` when
//! the denominator is zero, never NaN. Every failure is a [`MetricsError`] with a stable
//! [`MetricsError::code`].

pub mod aggregate;
pub mod bucket;
pub mod error;
pub mod partial;
pub mod record;
pub mod report;
pub mod service_level;
pub mod spec;
mod tally;

pub use aggregate::{Aggregator, MAX_BUCKETS, aggregate};
pub use bucket::{Calendar, Granularity};
/// The IANA time-zone type of [`AggregationSpec::time_zone`], re-exported so callers need no
/// direct chrono-tz dependency.
pub use chrono_tz::Tz;
pub use error::MetricsError;
pub use partial::{Histogram, NextContact, PartialTally};
pub use record::{
    AgentState, AgentStateSpan, BotOutcome, HandleTime, InteractionRecord, Offer, OfferOutcome,
    Rating,
};
pub use report::{
    DimensionKey, MetricCounts, MetricDurations, MetricRates, MetricRow, MetricsReport,
    ServiceLevelUsed,
};
pub use service_level::{SlCounts, SlDefinition};
pub use spec::{AggregationSpec, Dimension};
