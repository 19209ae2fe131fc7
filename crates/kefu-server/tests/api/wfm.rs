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
        _ => staffing,
    }
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
