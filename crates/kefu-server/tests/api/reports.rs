//! Reports from the event log against a real server: conversations driven through the API
//! (answered, transferred, abandoned, rated) come out as exact counts in JSON and CSV; bad
//! parameters are 422 with the field named; only supervisors and `reports:read` tokens may ask.

use super::routing::{
    Agent, agent, answer, config, customer_starts, offered_to, set_presence, status_is, until,
};
use super::{TestApp, spawn_app_with};
use chrono::{SecondsFormat, TimeDelta, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

fn window() -> String {
    let at = |d: TimeDelta| (Utc::now() + d).to_rfc3339_opts(SecondsFormat::Secs, true);
    format!(
        "from={}&to={}",
        at(TimeDelta::days(-1)),
        at(TimeDelta::days(1))
    )
}

async fn say(app: &TestApp, path: &str, token: &str, body: &str) {
    let (status, sent) = app
        .call(Method::POST, path, Some(token), Some(json!({"body": body})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
}

async fn customer_says(app: &TestApp, id: &str, visitor: &str, body: &str) {
    say(
        app,
        &format!("/api/v1/widget/conversations/{id}/messages"),
        visitor,
        body,
    )
    .await;
}

async fn resolve(app: &TestApp, token: &str, id: &str) {
    let (status, body) = app
        .post(
            &format!("/api/v1/conversations/{id}/resolve"),
            token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn rate(app: &TestApp, visitor: &str, id: &str, rating: u8) {
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/v1/widget/conversations/{id}/rating"),
            Some(visitor),
            Some(json!({"rating": rating})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The totals of one dimension value over every bucket of the report.
fn total(report: &Value, kind: &str, value: Option<&str>, field: &str) -> u64 {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["dimension"]["kind"] == kind)
        .filter(|r| value.is_none_or(|v| r["dimension"]["value"] == v))
        .map(|r| r["counts"][field].as_u64().unwrap())
        .sum()
}

/// The one row of a dimension value that has contacts.
fn busy_row<'a>(report: &'a Value, kind: &str) -> &'a Value {
    let rows: Vec<&Value> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["dimension"]["kind"] == kind && r["counts"]["offered"].as_u64() > Some(0))
        .collect();
    assert_eq!(rows.len(), 1, "{report}");
    rows[0]
}

struct Scene {
    app: TestApp,
    supervisor: String,
    admin: String,
    inbox_id: String,
    lina: Agent,
}

/// Three chats: one answered by Lina and rated 5, one answered by Lina, transferred to Wang
/// and rated 2, one closed by a supervisor while nobody was available (abandoned).
async fn scene() -> Scene {
    let app = spawn_app_with(config(Duration::from_secs(30), 3)).await;
    let org = app.org("acme").await;
    let (status, tenant) = app
        .patch(
            "/api/v1/tenant",
            &org.admin,
            json!({"settings": {"timezone": "Asia/Shanghai", "locale": "zh-CN"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tenant}");
    let inbox = app.inbox(&org.admin).await;
    let inbox_id = inbox["id"].as_str().unwrap().to_owned();
    let lina = agent(&app, &org, "lina", 2, &[]).await;
    let wang = agent(&app, &org, "wang", 2, &[]).await;
    set_presence(&app, &lina, "available").await;

    let (first, first_visitor) = customer_starts(&app, &inbox_id, json!({})).await;
    customer_says(&app, &first, &first_visitor, "你好，我的订单还没到").await;
    until(&app, &lina.token, &first, offered_to(&lina)).await;
    assert_eq!(
        answer(&app, &lina, &first, "accept").await.0,
        StatusCode::OK
    );
    let reply = format!("/api/v1/conversations/{first}/messages");
    say(&app, &reply, &lina.token, "我帮您查一下").await;
    resolve(&app, &lina.token, &first).await;
    rate(&app, &first_visitor, &first, 5).await;

    let (second, second_visitor) = customer_starts(&app, &inbox_id, json!({})).await;
    customer_says(&app, &second, &second_visitor, "我要开发票").await;
    until(&app, &lina.token, &second, offered_to(&lina)).await;
    assert_eq!(
        answer(&app, &lina, &second, "accept").await.0,
        StatusCode::OK
    );
    set_presence(&app, &wang, "available").await;
    let (status, moved) = app
        .post(
            &format!("/api/v1/conversations/{second}/transfer"),
            &lina.token,
            json!({"agent_id": wang.id, "note": "发票问题"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    until(&app, &wang.token, &second, offered_to(&wang)).await;
    assert_eq!(
        answer(&app, &wang, &second, "accept").await.0,
        StatusCode::OK
    );
    resolve(&app, &wang.token, &second).await;
    rate(&app, &second_visitor, &second, 2).await;

    set_presence(&app, &lina, "away").await;
    set_presence(&app, &wang, "offline").await;
    let (third, _) = customer_starts(&app, &inbox_id, json!({})).await;
    until(&app, &org.supervisor, &third, status_is("queued")).await;
    resolve(&app, &org.supervisor, &third).await;

    Scene {
        app,
        supervisor: org.supervisor,
        admin: org.admin,
        inbox_id,
        lina,
    }
}

#[tokio::test]
async fn conversations_through_the_api_come_out_as_exact_metrics() {
    let s = scene().await;
    let (status, report) = s
        .app
        .get(
            &format!("/api/v1/reports/metrics?{}&granularity=60m", window()),
            &s.supervisor,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["time_zone"], "Asia/Shanghai", "the tenant's zone");
    assert_eq!(report["service_level"]["number"], 3);
    assert_eq!(report["service_level"]["threshold_secs"], 20);
    // 48 hourly tenant rows at least (the window is not aligned, so one more may appear).
    let tenant_rows = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["dimension"]["kind"] == "tenant")
        .count();
    assert!((48..=49).contains(&tenant_rows), "{tenant_rows}");

    let count = |field| total(&report, "tenant", None, field);
    assert_eq!(count("offered"), 3);
    assert_eq!(count("answered"), 2);
    assert_eq!(count("abandoned"), 1);
    assert_eq!(count("short_abandoned"), 1, "closed within 5 s of arriving");
    assert_eq!(count("waiting"), 0);
    assert_eq!(count("handled"), 2);
    assert_eq!(count("transferred"), 1);
    assert_eq!(count("transfers"), 1);
    assert_eq!(count("first_responses"), 1, "only Lina wrote a reply text");
    assert_eq!(count("resolved"), 3);
    assert_eq!(count("csat_responses"), 2);
    assert_eq!(count("csat_satisfied"), 1);

    // Each queue, channel and agent in one row, since all of it happened within seconds
    // (unless the test straddles an hour boundary; then the totals still agree).
    let queue = total(&report, "queue", Some(&s.inbox_id), "offered");
    assert_eq!(queue, 3);
    assert_eq!(total(&report, "channel", Some("chat"), "offered"), 3);
    assert_eq!(total(&report, "agent", Some(&s.lina.id), "answered"), 2);
    let agent_rows = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["dimension"]["kind"] == "agent" && r["dimension"]["value"] == s.lina.id.as_str()
        })
        .map(|r| r["durations"]["available_secs"].as_f64().unwrap())
        .sum::<f64>();
    assert!(agent_rows > 0.0, "Lina's available time is counted");
    let rows_with_contacts = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["dimension"]["kind"] == "tenant" && r["counts"]["offered"].as_u64() > Some(0))
        .count();
    if rows_with_contacts == 1 {
        let row = busy_row(&report, "tenant");
        let asa = row["durations"]["asa_secs"].as_f64().unwrap();
        assert!((0.0..15.0).contains(&asa), "ASA {asa}");
        let frt = row["durations"]["frt_secs"].as_f64().unwrap();
        assert!((0.0..15.0).contains(&frt), "FRT {frt}");
        assert_eq!(row["rates"]["csat"], 0.5);
        assert_eq!(row["rates"]["answer_rate"].as_f64(), Some(2.0 / 3.0));
        assert_eq!(
            row["rates"]["abandonment_rate"], 0.0,
            "short abandons are left out"
        );
        assert_eq!(row["rates"]["service_level"].as_f64(), Some(2.0 / 3.0));
        assert_eq!(row["rates"]["transfer_rate"], 0.5);
        assert!(row["durations"]["aht_secs"].as_f64().unwrap() >= 0.0);
    }

    // Definition 2 ignores the abandon; a threshold of 0 s with definition 1 counts the short
    // abandon as met only if it happened within 0 s, which it did not.
    let (status, sl2) = s
        .app
        .get(
            &format!(
                "/api/v1/reports/metrics?{}&service_level=2&dimensions=tenant",
                window()
            ),
            &s.supervisor,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sl2}");
    let row = busy_row(&sl2, "tenant");
    assert_eq!(row["rates"]["service_level"], 1.0);
    assert!(
        sl2["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["dimension"]["kind"] == "tenant")
    );
}

#[tokio::test]
async fn the_csv_has_a_bom_a_header_naming_the_sl_and_one_row_per_bucket_and_value() {
    let s = scene().await;
    let path = format!(
        "/api/v1/reports/metrics?{}&granularity=day&service_level=4&sl_threshold_secs=30",
        window()
    );
    let (_, json_report) = s.app.get(&path, &s.supervisor).await;
    let response = s
        .app
        .http
        .get(format!("{}{path}&format=csv", s.app.url))
        .bearer_auth(&s.supervisor)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"kefu-metrics-")
    );
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 BOM");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(
        lines[0].starts_with(
            "bucket_start,bucket_end,dimension,key,name,offered,answered,abandoned,short_abandoned,waiting,"
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains(
            ",service_level (SL4: answered <= T / (answered + abandoned after T); T = 30 s),"
        ),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines.len() - 1,
        json_report["rows"].as_array().unwrap().len(),
        "one line per JSON row"
    );
    // Two or three local days; the contacts sit in today's rows.
    let tenant: Vec<&&str> = lines.iter().filter(|l| l.contains(",tenant,,,")).collect();
    assert!((2..=3).contains(&tenant.len()), "{tenant:?}");
    assert!(
        tenant.iter().any(|l| l.contains(",tenant,,,3,2,1,1,0,")),
        "offered 3, answered 2, abandoned 1, short 1, waiting 0: {tenant:?}"
    );
    let queue = lines
        .iter()
        .find(|l| l.contains(&format!(",queue,{},官网,3,2,1,", s.inbox_id)));
    assert!(queue.is_some(), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!(",agent,{},lina,2,2,0,", s.lina.id))),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains(",channel,chat,,3,2,1,")));
}

#[tokio::test]
async fn bad_parameters_are_422_naming_the_field_and_only_supervisors_may_ask() {
    let app = spawn_app_with(config(Duration::from_secs(30), 3)).await;
    let org = app.org("acme").await;
    let base = format!("/api/v1/reports/metrics?{}", window());
    for (query, field) in [
        ("granularity=hour".to_owned(), "granularity"),
        ("time_zone=Mars/Olympus".to_owned(), "time_zone"),
        ("service_level=6".to_owned(), "service_level"),
        ("sl_threshold_secs=-1".to_owned(), "sl_threshold_secs"),
        ("sl_threshold_secs=abc".to_owned(), "sl_threshold_secs"),
        ("short_abandon_secs=86401".to_owned(), "short_abandon_secs"),
        ("dimensions=tenant,planet".to_owned(), "dimensions"),
        ("format=pdf".to_owned(), "format"),
        ("from=2026-03-02&to=2026-03-01".to_owned(), "to"),
        ("from=yesterday&to=2026-03-01".to_owned(), "from"),
        (
            "from=2016-01-01&to=2026-01-01&granularity=15m".to_owned(),
            "granularity",
        ),
    ] {
        let path = if query.starts_with("from=") {
            format!("/api/v1/reports/metrics?{query}")
        } else {
            format!("{base}&{query}")
        };
        let (status, body) = app.get(&path, &org.supervisor).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        let fields: Vec<&str> = body["details"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{query}: {body}");
    }
    let (status, body) = app.get("/api/v1/reports/metrics", &org.supervisor).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = app
        .get(&format!("{base}&colour=blue"), &org.supervisor)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unknown parameters");

    assert_eq!(app.get(&base, &org.agent).await.0, StatusCode::FORBIDDEN);
    for token in [&org.supervisor, &org.admin, &org.owner] {
        assert_eq!(app.get(&base, token).await.0, StatusCode::OK);
    }
    for (scopes, expected) in [
        (json!(["reports:read"]), StatusCode::OK),
        (
            json!(["events:read", "customers:read"]),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let (status, token) = app
            .post(
                "/api/v1/api-tokens",
                &org.admin,
                json!({"name": "bi", "scopes": scopes}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{token}");
        let (status, body) = app.get(&base, token["token"].as_str().unwrap()).await;
        assert_eq!(status, expected, "{scopes}: {body}");
    }
}

#[tokio::test]
async fn another_tenant_sees_only_its_own_numbers() {
    let s = scene().await;
    let other = s.app.org("globex").await;
    let path = format!("/api/v1/reports/metrics?{}", window());
    let (status, theirs) = s.app.get(&path, &other.supervisor).await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert_eq!(total(&theirs, "tenant", None, "offered"), 0);
    let text = theirs.to_string();
    assert!(
        !text.contains(&s.inbox_id) && !text.contains(&s.lina.id),
        "{text}"
    );
    let (_, ours) = s.app.get(&path, &s.admin).await;
    assert_eq!(total(&ours, "tenant", None, "offered"), 3);
}

/// A window of whole local days is served from the rollups the maintainer keeps: the same
/// exact counts, and a conversation started after one report is in the next one (the report
/// waits for the rollups to reach the last commit).
#[tokio::test]
async fn whole_day_reports_come_from_rollups_current_to_the_last_commit() {
    let s = scene().await;
    let local = |d: TimeDelta| {
        (Utc::now() + d)
            .with_timezone(&chrono_tz_shanghai())
            .format("%Y-%m-%d")
            .to_string()
    };
    let path = format!(
        "/api/v1/reports/metrics?from={}&to={}&granularity=30m",
        local(TimeDelta::days(-1)),
        local(TimeDelta::days(1))
    );
    let (status, report) = s.app.get(&path, &s.supervisor).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let tenant_rows = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["dimension"]["kind"] == "tenant")
        .count();
    assert_eq!(tenant_rows, 3 * 48, "three whole days of half hours");
    assert_eq!(total(&report, "tenant", None, "offered"), 3);
    assert_eq!(total(&report, "tenant", None, "answered"), 2);
    assert_eq!(total(&report, "tenant", None, "short_abandoned"), 1);
    assert_eq!(total(&report, "tenant", None, "transferred"), 1);
    assert_eq!(total(&report, "tenant", None, "csat_satisfied"), 1);
    assert_eq!(total(&report, "agent", Some(&s.lina.id), "answered"), 2);
    assert_eq!(report["records_outside_window"], 0);

    customer_starts(&s.app, &s.inbox_id, json!({})).await;
    let (status, later) = s.app.get(&path, &s.supervisor).await;
    assert_eq!(status, StatusCode::OK, "{later}");
    assert_eq!(total(&later, "tenant", None, "offered"), 4);
    assert_eq!(
        total(&later, "tenant", None, "waiting") + total(&later, "tenant", None, "answered"),
        3,
        "the new chat waits or was answered by Lina"
    );
}

fn chrono_tz_shanghai() -> chrono::FixedOffset {
    // Shanghai has kept +08:00 without DST since 1991.
    chrono::FixedOffset::east_opt(8 * 3600).unwrap()
}
