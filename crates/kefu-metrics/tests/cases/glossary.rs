//! GLOSSARY.md's worked example as 1,070 real records, through the whole aggregator, once
//! per service-level definition: 83.0%, 86.0%, 81.1%, 82.7%, 82.1%.

use kefu_metrics::{Granularity, InteractionRecord, SlDefinition, aggregate};

use super::support::{abandoned, answered, at, secs, spec, tenant, waiting};

/// 1,000 answered (860 within 20 s), 60 abandoned (20 within 20 s, of which 10 within the
/// 5 s short threshold; 40 after 20 s), and 10 still waiting, which no definition counts.
fn worked_example() -> Vec<InteractionRecord> {
    let start = at("2026-03-02T09:00:00Z");
    let mut records = Vec::with_capacity(1070);
    let mut add = |make: &dyn Fn(&str, chrono::DateTime<chrono::Utc>) -> InteractionRecord,
                   count: usize| {
        for _ in 0..count {
            let n = records.len();
            // Spread over the hour so the test also exercises many distinct instants.
            let enqueued = start + secs(i64::try_from(n).unwrap() * 3);
            records.push(make(&format!("c{n}"), enqueued));
        }
    };
    add(&|id, t| answered(id, "billing", t, secs(20), "ann"), 860); // exactly T: within
    add(&|id, t| answered(id, "billing", t, secs(21), "bob"), 140);
    add(&|id, t| abandoned(id, "billing", t, secs(5)), 10); // exactly 5 s: short
    add(&|id, t| abandoned(id, "billing", t, secs(20)), 10);
    add(&|id, t| abandoned(id, "billing", t, secs(90)), 40);
    add(&|id, t| waiting(id, "billing", t), 10);
    records
}

#[test]
fn every_definition_reproduces_the_glossary_figures() {
    let records = worked_example();
    assert_eq!(records.len(), 1070);
    let expected = [83.0, 86.0, 81.1, 82.7, 82.1];
    for (definition, expected) in SlDefinition::ALL.into_iter().zip(expected) {
        let mut spec = spec(
            Granularity::Minutes60,
            "2026-03-02T09:00:00Z",
            "2026-03-02T10:00:00Z",
        );
        spec.service_level = definition;
        let report = aggregate(spec, &records, []).unwrap();
        assert_eq!(report.service_level.definition, definition);
        assert_eq!(report.service_level.threshold_secs, 20);
        let row = tenant(&report);
        let percent = (row.rates.service_level.unwrap() * 1000.0).round() / 10.0;
        assert_eq!(percent, expected, "definition {}", definition.number());
    }
}

#[test]
fn worked_example_counts_and_rates() {
    let spec = spec(
        Granularity::Day,
        "2026-03-02T00:00:00Z",
        "2026-03-03T00:00:00Z",
    );
    let report = aggregate(spec, &worked_example(), []).unwrap();
    assert_eq!(
        report.service_level.number, 3,
        "definition 3 is the default"
    );
    let c = tenant(&report).counts;
    assert_eq!(
        (c.offered, c.answered, c.abandoned, c.waiting),
        (1070, 1000, 60, 10)
    );
    assert_eq!(c.answered_within_threshold, 860);
    assert_eq!(c.abandoned_within_threshold, 20);
    assert_eq!(c.short_abandoned, 10);
    let rates = tenant(&report).rates;
    assert_eq!(rates.answer_rate, Some(1000.0 / 1070.0));
    // Short abandons are left out of the abandonment rate, not out of offered.
    assert_eq!(rates.abandonment_rate, Some(50.0 / 1070.0));
    // ASA: 860 × 20 s + 140 × 21 s over 1,000.
    assert_eq!(tenant(&report).durations.asa_secs, Some(20.14));
}
