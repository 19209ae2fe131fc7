use super::{close, kefu};

fn simulate(agents: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "sim",
        "--agents",
        agents,
        "--arrivals-per-hour",
        "200",
        "--aht-secs",
        "180",
        "--sl-threshold-secs",
        "20",
        "--hours",
        "1500",
        "--seed",
        "11",
    ];
    args.extend(extra);
    let (status, out, err) = kefu(&args);
    assert_eq!(status, 0, "{err}");
    out
}

#[test]
fn simulated_service_level_matches_erlang_c() {
    // Erlang C for 200 calls/hour, AHT 180 s, T = 20 s: 0.7956 with 13 agents, 0.8884 with 14.
    let thirteen = simulate("13", &[]);
    assert!(
        close(&thirteen["service_level"], 0.7956, 0.015),
        "{thirteen}"
    );
    let fourteen = simulate("14", &[]);
    assert!(
        close(&fourteen["service_level"], 0.8884, 0.015),
        "{fourteen}"
    );
    assert!(
        close(&fourteen["occupancy"], 10.0 / 14.0, 0.01),
        "{fourteen}"
    );
    assert_eq!(fourteen["abandoned"], 0);
    for key in ["offered", "answered", "asa_secs", "abandon_rate"] {
        assert!(!fourteen[key].is_null(), "missing {key}");
    }
}

#[test]
fn patience_makes_customers_abandon_and_the_seed_repeats_the_run() {
    let impatient = simulate(
        "11",
        &["--patience-secs", "60", "--strategy", "round-robin"],
    );
    let abandoned = impatient["abandoned"].as_u64().unwrap();
    assert!(abandoned > 0, "{impatient}");
    assert!(impatient["abandon_rate"].as_f64().unwrap() > 0.0);
    let again = simulate(
        "11",
        &["--patience-secs", "60", "--strategy", "round-robin"],
    );
    assert_eq!(impatient, again);
}

#[test]
fn unknown_strategy_and_bad_rates_are_coded_errors() {
    let base = [
        "sim",
        "--agents",
        "3",
        "--aht-secs",
        "180",
        "--sl-threshold-secs",
        "20",
    ];
    let mut args = base.to_vec();
    args.extend([
        "--hours",
        "1",
        "--arrivals-per-hour",
        "10",
        "--strategy",
        "fastest",
    ]);
    let (status, _, err) = kefu(&args);
    assert_eq!(
        (status, err["code"].as_str()),
        (2, Some("unknown_strategy"))
    );
    let mut args = base.to_vec();
    args.extend(["--hours", "1", "--arrivals-per-hour", "-5"]);
    let (status, _, err) = kefu(&args);
    assert_eq!(
        (status, err["code"].as_str()),
        (2, Some("invalid_simulation"))
    );
}
