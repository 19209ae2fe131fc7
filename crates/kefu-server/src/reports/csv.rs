//! The CSV export of a metrics report: one row per bucket and dimension value, UTF-8 with a
//! byte-order mark so Excel opens Chinese names correctly, and the SL definition in the header.

use super::table::{self, Cell, Table};
use kefu_metrics::MetricsReport;
use std::collections::HashMap;
use std::fmt::Write;

/// Excel reads a CSV as the local ANSI code page unless it starts with this.
pub const BOM: &str = "\u{feff}";

/// The whole file. `names` maps queue keys and agent ids to what people call them.
pub fn to_csv(report: &MetricsReport, names: &HashMap<String, String>) -> String {
    write(&table::metrics(report, names))
}

/// Any report table as CSV: counts as integers, seconds with three decimals, rates as
/// fractions with six, an unmeasured value as an empty field.
pub fn write(table: &Table) -> String {
    let mut out = String::with_capacity(64 + table.rows.len() * 256);
    out.push_str(BOM);
    push_line(&mut out, table.headers.iter().map(|h| field(h)));
    for row in &table.rows {
        let cells = row.iter().map(|cell| match cell {
            Cell::Text(text) => field(text),
            Cell::Count(n) => n.to_string(),
            Cell::Secs(v) => v.map(|s| format!("{s:.3}")).unwrap_or_default(),
            Cell::Rate(v) => v.map(|r| format!("{r:.6}")).unwrap_or_default(),
        });
        push_line(&mut out, cells);
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
