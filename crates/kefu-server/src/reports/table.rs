//! A report as one table of typed cells: the column list that the CSV and XLSX exports share,
//! so both files always hold the same columns in the same order with the same values.

use kefu_metrics::{DimensionKey, MetricRow, MetricsReport};
use std::collections::HashMap;

/// One cell. The kind decides how each export writes it (a rate is a fraction in CSV and a
/// percentage-formatted number in XLSX), never its value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    /// Seconds; empty when nothing was measured.
    Secs(Option<f64>),
    /// A fraction in [0, 1]; empty when its denominator was zero.
    Rate(Option<f64>),
}

/// Headers and rows; every row has one cell per header.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The fixed columns before the metrics.
const KEY_COLUMNS: [&str; 5] = ["bucket_start", "bucket_end", "dimension", "key", "name"];

/// Metric columns: name and how to read it from a row. Chat has no hold, NPS, bot or ticket
/// SLA yet, so those stay in the JSON only.
type Column = (&'static str, fn(&MetricRow) -> Cell);

const METRICS: [Column; 37] = [
    ("offered", |r| Cell::Count(r.counts.offered)),
    ("answered", |r| Cell::Count(r.counts.answered)),
    ("abandoned", |r| Cell::Count(r.counts.abandoned)),
    ("short_abandoned", |r| Cell::Count(r.counts.short_abandoned)),
    ("waiting", |r| Cell::Count(r.counts.waiting)),
    ("answered_within_threshold", |r| {
        Cell::Count(r.counts.answered_within_threshold)
    }),
    ("abandoned_within_threshold", |r| {
        Cell::Count(r.counts.abandoned_within_threshold)
    }),
    ("handled", |r| Cell::Count(r.counts.handled)),
    ("transferred", |r| Cell::Count(r.counts.transferred)),
    ("transfers", |r| Cell::Count(r.counts.transfers)),
    ("first_responses", |r| Cell::Count(r.counts.first_responses)),
    ("resolved", |r| Cell::Count(r.counts.resolved)),
    ("fcr_resolved_first_contact", |r| {
        Cell::Count(r.counts.fcr_resolved_first_contact)
    }),
    ("fcr_repeated", |r| Cell::Count(r.counts.fcr_repeated)),
    ("fcr_undetermined", |r| {
        Cell::Count(r.counts.fcr_undetermined)
    }),
    ("csat_responses", |r| Cell::Count(r.counts.csat_responses)),
    ("csat_satisfied", |r| Cell::Count(r.counts.csat_satisfied)),
    ("asa_secs", |r| Cell::Secs(r.durations.asa_secs)),
    ("aht_secs", |r| Cell::Secs(r.durations.aht_secs)),
    ("avg_talk_secs", |r| Cell::Secs(r.durations.avg_talk_secs)),
    ("avg_after_contact_work_secs", |r| {
        Cell::Secs(r.durations.avg_after_contact_work_secs)
    }),
    ("frt_secs", |r| Cell::Secs(r.durations.frt_secs)),
    ("resolution_avg_secs", |r| {
        Cell::Secs(r.durations.resolution_avg_secs)
    }),
    ("resolution_p50_secs", |r| {
        Cell::Secs(r.durations.resolution_p50_secs)
    }),
    ("resolution_p90_secs", |r| {
        Cell::Secs(r.durations.resolution_p90_secs)
    }),
    ("available_secs", |r| {
        Cell::Secs(Some(r.durations.available_secs))
    }),
    ("away_secs", |r| Cell::Secs(Some(r.durations.away_secs))),
    ("busy_secs", |r| Cell::Secs(Some(r.durations.busy_secs))),
    ("wrap_up_secs", |r| {
        Cell::Secs(Some(r.durations.wrap_up_secs))
    }),
    ("answer_rate", |r| Cell::Rate(r.rates.answer_rate)),
    ("abandonment_rate", |r| Cell::Rate(r.rates.abandonment_rate)),
    // Renamed in the header to name the definition in use (see `service_level_header`).
    ("service_level", |r| Cell::Rate(r.rates.service_level)),
    ("occupancy", |r| Cell::Rate(r.rates.occupancy)),
    ("utilization", |r| Cell::Rate(r.rates.utilization)),
    ("transfer_rate", |r| Cell::Rate(r.rates.transfer_rate)),
    ("fcr_rate", |r| Cell::Rate(r.rates.fcr_rate)),
    ("csat", |r| Cell::Rate(r.rates.csat)),
];

/// The service-level column's header, e.g. `service_level (SL3: answered <= T / (answered +
/// abandoned); T = 20 s)`: a spreadsheet cut from the report still says how SL was computed.
pub fn service_level_header(report: &MetricsReport) -> String {
    let sl = &report.service_level;
    format!(
        "service_level (SL{}: {}; T = {} s)",
        sl.number, sl.formula, sl.threshold_secs
    )
}

/// The metrics report as a table: one row per bucket and dimension value. `names` maps queue
/// keys and agent ids to what people call them.
pub fn metrics(report: &MetricsReport, names: &HashMap<String, String>) -> Table {
    let sl_header = service_level_header(report);
    let headers = KEY_COLUMNS
        .iter()
        .copied()
        .chain(METRICS.iter().map(|(name, _)| match *name {
            "service_level" => sl_header.as_str(),
            other => other,
        }))
        .map(str::to_owned)
        .collect();
    let rows = report
        .rows
        .iter()
        .map(|row| {
            let (dimension, key) = match &row.dimension {
                DimensionKey::Tenant => ("tenant", ""),
                DimensionKey::Queue(k) => ("queue", k.as_str()),
                DimensionKey::Channel(k) => ("channel", k.as_str()),
                DimensionKey::Agent(k) => ("agent", k.as_str()),
                DimensionKey::ServiceGroup(k) => ("service_group", k.as_str()),
            };
            let name = names.get(key).cloned().unwrap_or_default();
            [
                row.bucket_start.to_rfc3339(),
                row.bucket_end.to_rfc3339(),
                dimension.to_owned(),
                key.to_owned(),
                name,
            ]
            .into_iter()
            .map(Cell::Text)
            .chain(METRICS.iter().map(|(_, read)| read(row)))
            .collect()
        })
        .collect();
    Table { headers, rows }
}
