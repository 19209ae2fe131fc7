//! Workforce math over HTTP: the worked Erlang example, schedules, roles and scopes, bad input.

use super::spawn_app;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A valid question for each WFM endpoint (the worked example where it applies).
pub fn question(path: &str) -> Value {
    let staffing = json!({
        "calls": 100, "interval_secs": 1800, "aht_secs": 180, "target_secs": 20,
        "service_level": 0.8, "shrinkage": 0.3
    });
    match path {
        "/api/v1/wfm/erlang-a" => {
            let mut a = staffing;
            a["patience_secs"] = json!(120);
            a
        }
        "/api/v1/wfm/erlang-b" => json!({"traffic": 10, "lines": 15}),
        "/api/v1/wfm/schedule" => json!({
            "days": 2, "periods_per_day": 4,
            "required": [[2, 3, 3, 1], [1, 1, 2, 2]],
            "shifts": {
                "early": {"coverage": [1, 1, 0, 0], "cost": 4},
                "middle": {"coverage": [0, 1, 1, 0], "cost": 4},
                "late": {"coverage": [0, 0, 1, 1], "cost": 5}
            },
            "objective": "min-cost"
        }),
        "/api/v1/wfm/forecast" => json!({"history": weekly_history(3), "horizon_weeks": 1}),
        _ => staffing,
    }
}

/// `weeks` of hourly contacts from a Monday: busier 09:00–18:00 and on weekdays, the same
/// every week, so a forecast should give the pattern back.
fn weekly_history(weeks: usize) -> Value {
    let calls: Vec<f64> = (0..weeks * 7 * 24)
        .map(|i| expected_calls(i / 24 % 7, i % 24))
        .collect();
    json!({"start": "2026-10-05T00:00:00", "interval_secs": 3600, "calls": calls})
}

fn expected_calls(weekday: usize, hour: usize) -> f64 {
    let busy = if (9..18).contains(&hour) { 20.0 } else { 2.0 };
    if weekday < 5 { busy * 1.5 } else { busy }
}

#[tokio::test]
async fn a_forecast_gives_a_weekly_pattern_back_and_scores_itself_against_the_naive_one() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (status, out) = app
        .post(
            "/api/v1/wfm/forecast",
            &org.supervisor,
            json!({"history": weekly_history(4), "horizon_weeks": 1, "holdout_weeks": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["history_source"], "given");
    assert_eq!(out["history_days"], 28);
    let calls = out["forecast"]["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 7 * 24);
    assert_eq!(out["forecast"]["start"], "2026-11-02T00:00:00");
    for (i, value) in calls.iter().enumerate() {
        let expected = expected_calls(i / 24 % 7, i % 24);
        let got = value.as_f64().unwrap();
        assert!(
            (got - expected).abs() <= expected * 0.05,
            "interval {i}: {got} against {expected}"
        );
    }
    let backtest = &out["backtest"];
    assert_eq!(backtest["holdout_weeks"], 1);
    assert!(
        backtest["model"]["wmape"].as_f64().unwrap() < 0.05,
        "{backtest}"
    );
    assert!(backtest["naive"]["wmape"].as_f64().is_some(), "{backtest}");

    // Too little history to hold a week back: a coded error naming the field.
    let (status, err) = app
        .post(
            "/api/v1/wfm/forecast",
            &org.supervisor,
            json!({"history": weekly_history(2), "holdout_weeks": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["code"], "insufficient_history", "{err}");

    // From the tenant's own log: its last whole weeks (an empty log forecasts nothing).
    let (status, out) = app
        .post(
            "/api/v1/wfm/forecast",
            &org.supervisor,
            json!({"history_weeks": 2, "interval_secs": 1800}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["history_source"], "log");
    assert_eq!(out["history_days"], 14);
    assert_eq!(out["history_calls"], 0.0);
    let (status, err) = app
        .post(
            "/api/v1/wfm/forecast",
            &org.supervisor,
            json!({"history_weeks": 1, "interval_secs": 600}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let fields: Vec<&str> = err["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["history_weeks"], "{err}");
}

#[tokio::test]
async fn supervisors_get_the_worked_erlang_c_example() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (status, out) = app
        .post(
            "/api/v1/wfm/erlang-c",
            &org.supervisor,
            question("/api/v1/wfm/erlang-c"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(
        (out["agents"].as_u64(), out["scheduled_agents"].as_u64()),
        (Some(14), Some(20))
    );
    let sl = out["service_level"].as_f64().unwrap();
    assert!((sl - 0.888350).abs() < 5e-7, "{out}");

    let (status, a) = app
        .post(
            "/api/v1/wfm/erlang-a",
            &org.supervisor,
            question("/api/v1/wfm/erlang-a"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert!(a["abandon_probability"].as_f64().unwrap() > 0.0);
    let (status, b) = app
        .post(
            "/api/v1/wfm/erlang-b",
            &org.supervisor,
            question("/api/v1/wfm/erlang-b"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!((b["blocking_probability"].as_f64().unwrap() - 0.036497).abs() < 1e-6);
}

#[tokio::test]
async fn schedules_are_exact_and_infeasible_ones_say_so() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (status, out) = app
        .post(
            "/api/v1/wfm/schedule",
            &org.admin,
            question("/api/v1/wfm/schedule"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["status"], "optimal");
    // By hand: day 0 (2,3,3,1) is cheapest as 2 early + 2 middle + 1 late = 21; day 1
    // (1,1,2,2) as 1 early + 2 late = 14.
    assert_eq!(out["cost"].as_f64(), Some(35.0), "{out}");
    let required = question("/api/v1/wfm/schedule")["required"].clone();
    for (day, periods) in out["coverage"].as_array().unwrap().iter().enumerate() {
        for (period, on_duty) in periods.as_array().unwrap().iter().enumerate() {
            assert!(on_duty.as_f64() >= required[day][period].as_f64(), "{out}");
        }
    }
    let mut capped = question("/api/v1/wfm/schedule");
    capped["max_period_concurrency"] = json!(2);
    let (status, out) = app.post("/api/v1/wfm/schedule", &org.admin, capped).await;
    assert_eq!(
        (status, out["status"].as_str()),
        (StatusCode::OK, Some("infeasible")),
        "{out}"
    );
    assert_eq!(out["schedule"], json!([]));
}

#[tokio::test]
async fn bad_questions_get_coded_errors() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let mut negative = question("/api/v1/wfm/erlang-c");
    negative["calls"] = json!(-5);
    let (status, out) = app
        .post("/api/v1/wfm/erlang-c", &org.supervisor, negative)
        .await;
    assert_eq!(
        (status, out["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_volume"))
    );
    assert_eq!(out["details"]["errors"][0]["field"], "calls", "{out}");
    let mut instant = question("/api/v1/wfm/erlang-c");
    instant["aht_secs"] = json!(0);
    let (_, out) = app
        .post("/api/v1/wfm/erlang-c", &org.supervisor, instant)
        .await;
    assert_eq!(out["code"], "invalid_duration");
    assert_eq!(out["details"]["errors"][0]["field"], "aht_secs", "{out}");
    let mut occupancy = question("/api/v1/wfm/erlang-c");
    occupancy["max_occupancy"] = json!(1.5);
    let (status, out) = app
        .post("/api/v1/wfm/erlang-c", &org.supervisor, occupancy)
        .await;
    assert_eq!(
        (status, out["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_occupancy"))
    );
    let mut typo = question("/api/v1/wfm/erlang-c");
    typo["shrinkge"] = json!(0.3);
    let (status, out) = app
        .post("/api/v1/wfm/erlang-c", &org.supervisor, typo)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    let mut ragged = question("/api/v1/wfm/schedule");
    ragged["required"] = json!([[1, 2]]);
    let (status, out) = app
        .post("/api/v1/wfm/schedule", &org.supervisor, ragged)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert!(
        out["code"].as_str().unwrap().starts_with("invalid_"),
        "{out}"
    );
}

#[tokio::test]
async fn agents_and_unscoped_tokens_are_refused() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let body = question("/api/v1/wfm/erlang-c");
    let (status, _) = app
        .post("/api/v1/wfm/erlang-c", &org.agent, body.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (scopes, expected) in [
        (json!(["customers:read"]), StatusCode::FORBIDDEN),
        (json!(["wfm:compute"]), StatusCode::OK),
    ] {
        let (status, token) = app
            .post(
                "/api/v1/api-tokens",
                &org.owner,
                json!({"name": "planner", "scopes": scopes}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{token}");
        let secret = token["token"].as_str().unwrap();
        let (status, out) = app.post("/api/v1/wfm/erlang-c", secret, body.clone()).await;
        assert_eq!(status, expected, "{scopes}: {out}");
    }
}
