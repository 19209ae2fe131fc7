//! The output: a `MetricsReport` naming its parameters (SL definition, thresholds, zone) and
//! one `MetricRow` per bucket and dimension value; plus the ratio and percentile rules.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::bucket::Granularity;
use crate::service_level::SlDefinition;
use crate::spec::Dimension;

/// A whole report: the rows and everything needed to read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsReport {
    pub time_zone: String,
    pub granularity: Granularity,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub observed_until: DateTime<Utc>,
    /// The service-level definition every row's `service_level` uses.
    pub service_level: ServiceLevelUsed,
    pub short_abandon_secs: u32,
    pub fcr_window_days: u32,
    /// Records whose bucket instant fell outside the window: not counted in any row (they
    /// still serve as possible repeat contacts for FCR).
    pub records_outside_window: u64,
    /// Sorted by bucket, then dimension (tenant, queue, channel, agent, service group), then key.
    pub rows: Vec<MetricRow>,
}

/// The service-level definition in use, spelled out so a report stands on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLevelUsed {
    pub definition: SlDefinition,
    /// GLOSSARY.md number, 1–5.
    pub number: u8,
    pub formula: String,
    pub threshold_secs: u32,
}

/// One bucket of one dimension value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricRow {
    /// Local start of the bucket, with the zone's UTC offset at that instant.
    pub bucket_start: DateTime<FixedOffset>,
    /// Local end (exclusive).
    pub bucket_end: DateTime<FixedOffset>,
    pub dimension: DimensionKey,
    pub counts: MetricCounts,
    pub durations: MetricDurations,
    pub rates: MetricRates,
}

/// Which dimension value a row is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum DimensionKey {
    Tenant,
    Queue(String),
    Channel(String),
    Agent(String),
    ServiceGroup(String),
}

impl DimensionKey {
    pub fn dimension(&self) -> Dimension {
        match self {
            Self::Tenant => Dimension::Tenant,
            Self::Queue(_) => Dimension::Queue,
            Self::Channel(_) => Dimension::Channel,
            Self::Agent(_) => Dimension::Agent,
            Self::ServiceGroup(_) => Dimension::ServiceGroup,
        }
    }
}

/// Raw counts, so any rate can be recomputed or re-aggregated by the reader.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricCounts {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub short_abandoned: u64,
    /// Offered and neither answered nor abandoned (yet).
    pub waiting: u64,
    pub answered_within_threshold: u64,
    pub abandoned_within_threshold: u64,
    /// Answered contacts with a completed handle time.
    pub handled: u64,
    /// Answered contacts transferred at least once.
    pub transferred: u64,
    /// Transfer events on answered contacts.
    pub transfers: u64,
    pub first_responses: u64,
    pub resolved: u64,
    /// Resolved contacts with no repeat contact within N days (window fully observed).
    pub fcr_resolved_first_contact: u64,
    /// Resolved contacts followed by a repeat contact within N days.
    pub fcr_repeated: u64,
    /// Resolved contacts whose N-day window runs past `observed_until` with no repeat yet.
    pub fcr_undetermined: u64,
    pub csat_responses: u64,
    pub csat_satisfied: u64,
    pub nps_responses: u64,
    pub nps_promoters: u64,
    pub nps_detractors: u64,
    pub bot_conversations: u64,
    pub bot_resolved: u64,
    pub bot_handed_off: u64,
    /// Contacts with a resolution deadline.
    pub sla_tickets: u64,
    pub sla_met: u64,
    pub sla_breached: u64,
    /// Unresolved with the deadline still ahead of `observed_until`.
    pub sla_open: u64,
}

/// Averages, percentiles and totals in seconds; `None` when nothing was measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricDurations {
    /// Average speed of answer: mean queue wait of answered contacts.
    pub asa_secs: Option<f64>,
    /// Mean talk + hold + after-contact work over handled contacts.
    pub aht_secs: Option<f64>,
    pub avg_talk_secs: Option<f64>,
    pub avg_hold_secs: Option<f64>,
    pub avg_after_contact_work_secs: Option<f64>,
    /// Mean first response time.
    pub frt_secs: Option<f64>,
    pub resolution_avg_secs: Option<f64>,
    /// Nearest-rank median of resolution times.
    pub resolution_p50_secs: Option<f64>,
    /// Nearest-rank 90th percentile of resolution times.
    pub resolution_p90_secs: Option<f64>,
    /// Agent time in each logged-in state within the bucket (0 on rows without spans).
    pub available_secs: f64,
    pub away_secs: f64,
    pub busy_secs: f64,
    pub wrap_up_secs: f64,
}

/// Rates in [0, 1] (NPS on −100..100); `None` when the denominator is zero, never NaN.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricRates {
    pub answer_rate: Option<f64>,
    /// Abandoned excluding short abandons, over offered.
    pub abandonment_rate: Option<f64>,
    /// By the report's SL definition and threshold.
    pub service_level: Option<f64>,
    pub occupancy: Option<f64>,
    pub utilization: Option<f64>,
    pub transfer_rate: Option<f64>,
    pub fcr_rate: Option<f64>,
    pub csat: Option<f64>,
    /// % promoters − % detractors, from −100 to 100.
    pub nps: Option<f64>,
    pub bot_answer_rate: Option<f64>,
    pub bot_handoff_rate: Option<f64>,
    pub sla_attainment: Option<f64>,
}

/// `numerator / denominator`, or `None` for an empty denominator so no NaN ever escapes.
pub(crate) fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// A mean of milliseconds, in seconds.
pub(crate) fn mean_secs(total_ms: u64, count: u64) -> Option<f64> {
    ratio(total_ms, count).map(|ms| ms / 1000.0)
}

/// Nearest-rank percentile: the value of rank ⌈p/100 · n⌉ (1-based) in ascending order, so it
/// is always an observed value. Reorders `values` in place (selection, not a full sort).
pub(crate) fn nearest_rank_ms(values: &mut [u64], percent: u64) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as u64;
    let rank = (percent * n).div_ceil(100).clamp(1, n);
    let index = usize::try_from(rank - 1).ok()?;
    let (_, value, _) = values.select_nth_unstable(index);
    Some(*value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn nearest_rank_examples() {
        let mut v = vec![40, 10, 30, 20];
        assert_eq!(nearest_rank_ms(&mut v, 50), Some(20));
        assert_eq!(nearest_rank_ms(&mut v, 90), Some(40));
        let mut ten: Vec<u64> = (1..=10).rev().collect();
        assert_eq!(nearest_rank_ms(&mut ten, 90), Some(9));
        assert_eq!(nearest_rank_ms(&mut ten, 50), Some(5));
        assert_eq!(nearest_rank_ms(&mut [7], 90), Some(7));
        assert_eq!(nearest_rank_ms(&mut [], 50), None);
    }

    #[test]
    fn ratio_of_nothing_is_none() {
        assert_eq!(ratio(0, 0), None);
        assert_eq!(ratio(1, 4), Some(0.25));
    }
}
