use super::{close, kefu};
use serde_json::json;

const WORKED_EXAMPLE: [&str; 10] = [
    "--calls",
    "100",
    "--interval-secs",
    "1800",
    "--aht-secs",
    "180",
    "--target-secs",
    "20",
    "--service-level",
    "0.8",
];

fn args<'a>(command: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["wfm", command];
    all.extend(WORKED_EXAMPLE);
    all.extend(extra);
    all
}

#[test]
fn erlang_c_reproduces_the_worked_example() {
    let (status, out, _) = kefu(&args("erlang-c", &["--shrinkage", "0.3"]));
    assert_eq!(status, 0);
    assert_eq!(out["agents"], 14);
    assert!(close(&out["service_level"], 0.888350, 5e-7), "{out}");
    assert!(close(&out["asa_secs"], 7.836, 5e-4), "{out}");
    assert!(close(&out["waiting_probability"], 0.174132, 5e-7), "{out}");
    assert!(close(&out["occupancy"], 10.0 / 14.0, 1e-9), "{out}");
    assert_eq!(out["scheduled_agents"], 20);
}

#[test]
fn erlang_a_needs_fewer_agents_when_customers_abandon() {
    let (status, out, _) = kefu(&args("erlang-a", &["--patience-secs", "120"]));
    assert_eq!(status, 0);
    let agents = out["agents"].as_u64().unwrap();
    assert!((11..=14).contains(&agents), "{out}");
    assert!(out["service_level"].as_f64().unwrap() >= 0.8);
    let abandon = out["abandon_probability"].as_f64().unwrap();
    assert!(abandon > 0.0 && abandon < 0.2, "{out}");
}

#[test]
fn erlang_b_blocking_matches_the_table() {
    // Erlang B table: 10 Erlangs on 15 lines block 3.65 % of calls.
    let (status, out, _) = kefu(&["wfm", "erlang-b", "--traffic", "10", "--lines", "15"]);
    assert_eq!(status, 0);
    assert!(close(&out["blocking_probability"], 0.036497, 1e-6), "{out}");
}

#[test]
fn bad_staffing_input_is_a_coded_error_on_stderr() {
    let mut bad = args("erlang-c", &[]);
    bad[3] = "-1";
    let (status, out, err) = kefu(&bad);
    assert_eq!((status, out), (2, serde_json::Value::Null));
    assert_eq!(err["code"], "invalid_volume");
    let (status, _, err) = kefu(&args("erlang-c", &["--max-occupancy", "1.5"]));
    assert_eq!(
        (status, err["code"].as_str()),
        (2, Some("invalid_occupancy"))
    );
}

#[test]
fn schedule_solves_the_demo_week_and_reports_infeasible_ones() {
    let week = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../kefu-wfm/testdata/schedule-week.json"
    );
    let (status, out, _) = kefu(&["wfm", "schedule", "--input", week]);
    assert_eq!(status, 0, "{out}");
    assert_eq!(out["status"], "optimal");
    let coverage = out["coverage"].as_array().unwrap();
    assert_eq!(coverage.len(), 7);
    assert!(!out["schedule"].as_array().unwrap().is_empty());

    let dir = std::env::temp_dir().join(format!("kefu-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let infeasible = dir.join("infeasible.json");
    let question = json!({
        "days": 1, "periods_per_day": 2, "required": [[3, 3]],
        "shifts": {"both": {"coverage": [1, 1]}},
        "objective": "min-cost", "max_period_concurrency": 2
    });
    std::fs::write(&infeasible, question.to_string()).unwrap();
    let (status, out, _) = kefu(&["wfm", "schedule", "--input", infeasible.to_str().unwrap()]);
    assert_eq!(
        (status, out["status"].as_str()),
        (0, Some("infeasible")),
        "{out}"
    );
    assert_eq!(out["schedule"], json!([]));

    std::fs::write(&infeasible, "{\"days\": 1").unwrap();
    let (status, _, err) = kefu(&["wfm", "schedule", "--input", infeasible.to_str().unwrap()]);
    assert_eq!((status, err["code"].as_str()), (2, Some("invalid_input")));
    let (status, _, err) = kefu(&["wfm", "schedule", "--input", "/nonexistent/kefu.json"]);
    assert_eq!(
        (status, err["code"].as_str()),
        (2, Some("input_unreadable"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
