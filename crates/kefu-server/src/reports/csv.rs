//! The CSV export of a metrics report: one row per bucket and dimension value, UTF-8 with a
//! byte-order mark so Excel opens Chinese names correctly, and the SL definition in the header.

use kefu_metrics::{DimensionKey, MetricRow, MetricsReport};
use std::collections::HashMap;
use std::fmt::Write;

/// Excel reads a CSV as the local ANSI code page unless it starts with this.
pub const BOM: &str = "\u{feff}";

/// The fixed columns before the metrics.
const KEY_COLUMNS: [&str; 5] = ["bucket_start", "bucket_end", "dimension", "key", "name"];

/// Metric columns: name and how to read it from a row. Chat has no hold, NPS, bot or ticket
/// SLA yet, so those stay in the JSON only.
type Column = (&'static str, fn(&MetricRow) -> Cell);

enum Cell {
    Count(u64),
    Secs(Option<f64>),
    Rate(Option<f64>),
}

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
    // Renamed in the header to name the definition in use (see `header`).
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

/// The whole file. `names` maps queue keys and agent ids to what people call them.
pub fn to_csv(report: &MetricsReport, names: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(64 + report.rows.len() * 256);
    out.push_str(BOM);
    let sl_header = service_level_header(report);
    let header: Vec<&str> = KEY_COLUMNS
        .iter()
        .copied()
        .chain(METRICS.iter().map(|(name, _)| match *name {
            "service_level" => sl_header.as_str(),
            other => other,
        }))
        .collect();
    push_line(&mut out, header.iter().map(|h| field(h)));
    for row in &report.rows {
        let (dimension, key) = match &row.dimension {
            DimensionKey::Tenant => ("tenant", ""),
            DimensionKey::Queue(k) => ("queue", k.as_str()),
            DimensionKey::Channel(k) => ("channel", k.as_str()),
            DimensionKey::Agent(k) => ("agent", k.as_str()),
            DimensionKey::ServiceGroup(k) => ("service_group", k.as_str()),
        };
        let name = names.get(key).map_or("", String::as_str);
        let keys = [
            row.bucket_start.to_rfc3339(),
            row.bucket_end.to_rfc3339(),
            dimension.to_owned(),
            key.to_owned(),
            name.to_owned(),
        ];
        let metrics = METRICS.iter().map(|(_, read)| match read(row) {
            Cell::Count(n) => n.to_string(),
            Cell::Secs(v) => v.map(|s| format!("{s:.3}")).unwrap_or_default(),
            Cell::Rate(v) => v.map(|r| format!("{r:.6}")).unwrap_or_default(),
        });
        push_line(
            &mut out,
            keys.iter()
                .map(|k| field(k))
                .chain(metrics.map(|m| field(&m))),
        );
    }
    out
}

/// RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote or line break. A
/// leading `=`, `+`, `-` or `@` is prefixed with `'` so a customer-chosen name cannot become a
/// spreadsheet formula (numbers never reach here negative).
fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn push_line(out: &mut String, fields: impl Iterator<Item = String>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{f}");
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use chrono::DateTime;
    use kefu_metrics::{
        AggregationSpec, Granularity, InteractionRecord, Offer, OfferOutcome, Tz, aggregate,
    };

    #[test]
    fn a_report_becomes_a_bom_csv_naming_its_service_level() {
        let at = |s: i64| DateTime::from_timestamp(1_772_500_000 + s, 0).unwrap();
        let spec = AggregationSpec::new(Tz::Asia__Shanghai, Granularity::Day, at(0), at(3600));
        let record = InteractionRecord {
            id: "c1".into(),
            customer_id: "u1".into(),
            channel: "chat".into(),
            service_group: None,
            started_at: at(10),
            offer: Some(Offer {
                queue: "q1".into(),
                enqueued_at: at(10),
                outcome: OfferOutcome::Answered {
                    agent: "a1".into(),
                    answered_at: at(15),
                },
            }),
            first_response_at: None,
            handle: None,
            resolved_at: None,
            resolution_due_at: None,
            transfers: 0,
            rating: None,
            bot: None,
        };
        let report = aggregate(spec, [&record], []).unwrap();
        let names = HashMap::from([("q1".to_owned(), "官网, \"售后\"".to_owned())]);
        let csv = to_csv(&report, &names);
        assert!(csv.starts_with(BOM));
        let lines: Vec<&str> = csv.trim_start_matches(BOM).split("\r\n").collect();
        assert!(lines[0].starts_with("bucket_start,bucket_end,dimension,key,name,offered,"));
        assert!(
            lines[0].contains(
                ",service_level (SL3: answered <= T / (answered + abandoned); T = 20 s),"
            )
        );
        assert_eq!(
            lines.len(),
            report.rows.len() + 2,
            "header, rows, final CRLF"
        );
        let queue = lines.iter().find(|l| l.contains(",queue,")).unwrap();
        assert!(
            queue.contains(",q1,\"官网, \"\"售后\"\"\",1,1,0,"),
            "{queue}"
        );
        assert!(queue.contains(",5.000,"), "ASA 5 s: {queue}");
    }

    #[test]
    fn formulas_are_defused_and_quotes_escaped() {
        assert_eq!(field("=cmd()"), "'=cmd()");
        assert_eq!(field("a\"b"), "\"a\"\"b\"");
        assert_eq!(field("plain"), "plain");
    }
}
