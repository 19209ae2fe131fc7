//! The simulator against queueing theory: one queue, identical agents,
//! exponential handle times, no abandonment must reproduce Erlang C.

use kefu_routing::Strategy;
use kefu_routing::sim::{self, SimConfig};

/// Erlang C service level, from the formulas in GLOSSARY.md.
fn erlang_c(arrivals_per_hour: f64, aht_secs: f64, agents: u32, threshold_secs: f64) -> (f64, f64) {
    let traffic = arrivals_per_hour * aht_secs / 3600.0;
    let n = f64::from(agents);
    let erlang_b = (1..=agents).fold(1.0, |b, k| traffic * b / (f64::from(k) + traffic * b));
    let waiting = n * erlang_b / (n - traffic * (1.0 - erlang_b));
    let service_level = 1.0 - waiting * (-(n - traffic) * threshold_secs / aht_secs).exp();
    let asa = waiting * aht_secs / (n - traffic);
    (service_level, asa)
}

#[test]
fn erlang_c_reproduces_the_glossary_example() {
    let (sl13, _) = erlang_c(200.0, 180.0, 13, 20.0);
    let (sl14, asa14) = erlang_c(200.0, 180.0, 14, 20.0);
    assert!((sl13 - 0.795595).abs() < 1e-5, "{sl13}");
    assert!((sl14 - 0.888350).abs() < 1e-5, "{sl14}");
    assert!((asa14 - 7.836).abs() < 1e-3, "{asa14}");
}

#[test]
fn simulated_service_level_matches_erlang_c() {
    for (agents, seed) in [(13, 20_261_123), (14, 42)] {
        let config = SimConfig {
            warmup_hours: 5.0,
            ..SimConfig::single_queue(
                agents,
                200.0,
                180.0,
                20.0,
                1005.0,
                seed,
                None,
                Strategy::LongestIdle,
            )
        };
        let report = sim::run(&config).unwrap();
        let (expected, expected_asa) = erlang_c(200.0, 180.0, agents, 20.0);
        assert!(report.offered > 190_000, "{report:?}");
        assert_eq!(report.offered, report.answered, "nobody abandons");
        assert_eq!(report.abandoned + report.overflowed + report.unfinished, 0);
        assert!(
            (report.service_level - expected).abs() <= 0.015,
            "{agents} agents: simulated SL {} vs Erlang C {expected}",
            report.service_level
        );
        assert!(
            (report.asa_secs - expected_asa).abs() <= 0.15 * expected_asa,
            "{agents} agents: ASA {} vs {expected_asa}",
            report.asa_secs
        );
        let occupancy = 10.0 / f64::from(agents);
        assert!((report.occupancy - occupancy).abs() < 0.01, "{report:?}");
    }
}

#[test]
fn patience_makes_customers_abandon_and_the_report_adds_up() {
    let config = SimConfig::single_queue(
        9,
        200.0,
        180.0,
        20.0,
        50.0,
        3,
        Some(60.0),
        Strategy::LongestIdle,
    );
    let report = sim::run(&config).unwrap();
    assert!(
        report.abandoned > 0 && report.abandon_rate > 0.02,
        "{report:?}"
    );
    assert_eq!(
        report.offered,
        report.answered + report.abandoned + report.overflowed + report.unfinished
    );
    let json = serde_json::to_value(&report).unwrap();
    for field in [
        "offered",
        "answered",
        "abandoned",
        "service_level",
        "asa_secs",
        "abandon_rate",
        "occupancy",
    ] {
        assert!(json.get(field).is_some(), "{field} missing");
    }
    assert_eq!(report, sim::run(&config).unwrap(), "same seed, same report");
}

#[test]
fn strategies_parse_from_their_cli_names() {
    for strategy in Strategy::ALL {
        assert_eq!(strategy.name().parse::<Strategy>(), Ok(strategy));
    }
    assert!("fastest".parse::<Strategy>().is_err());
    let config = SimConfig::single_queue(0, 10.0, 180.0, 20.0, 1.0, 1, None, Strategy::Random);
    let report = sim::run(&config).unwrap();
    assert_eq!(report.answered, 0, "no agents, nobody answered");
    assert_eq!(report.unfinished, report.offered);
    let bad = SimConfig::single_queue(3, 10.0, -1.0, 20.0, 1.0, 1, None, Strategy::Random);
    assert_eq!(sim::run(&bad).unwrap_err().code(), "invalid_simulation");
}
