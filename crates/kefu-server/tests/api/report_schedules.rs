//! Agent scorecards, XLSX export and scheduled reports against a real server: scorecards of a
//! seeded history equal hand-computed figures; XLSX files read back (calamine) hold the JSON
//! report's values; agents see only their own scorecard; schedules are validated and kept by
//! supervisors; the mailer delivers each period once to a real SMTP server (aiosmtpd), with
//! the attachment parsed, and a restart sends no period twice.

use super::email::{Sink, config as mail_config, free_port};
use super::{Org, TestApp, spawn_app, spawn_app_with};
use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, Duration as Delta, TimeZone, Utc};
use kefu_server::reports::mailer::ReportMailer;
use kefu_store::testing::{RawEvent, append_events};
use mail_parser::MimeHeaders;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + Delta::seconds(secs)
}

fn conv_event(kind: &str, at: DateTime<Utc>, conv: Uuid, payload: Value) -> RawEvent {
    RawEvent {
        kind: kind.into(),
        entity_type: "conversation".into(),
        entity_id: Some(conv),
        payload,
        created_at: at,
    }
}

fn snapshot(
    conv: Uuid,
    customer: Uuid,
    inbox: Uuid,
    status: &str,
    assignee: Option<Uuid>,
) -> Value {
    json!({"conversation": {"id": conv, "inbox_id": inbox, "customer_id": customer,
        "status": status, "assignee_id": assignee, "topic": null}, "reason": null})
}

/// A chat: created and queued at `start`, the customer writes at once, `answer` after it is
/// assigned to `agent`, the agent replies after `reply` seconds (if any), a transfer to
/// `then` at the given second, resolved at `end`, and a rating.
#[allow(clippy::too_many_arguments)]
fn chat(
    start: i64,
    customer: Uuid,
    inbox: Uuid,
    agent: Uuid,
    answer: i64,
    reply: Option<i64>,
    transfer: Option<(i64, i64, Uuid)>,
    end: i64,
    rating: Option<u8>,
) -> Vec<RawEvent> {
    let conv = Uuid::now_v7();
    let snap = |status: &str, who: Option<Uuid>| snapshot(conv, customer, inbox, status, who);
    let mut events = vec![
        conv_event("conversation.created", t(start), conv, snap("queued", None)),
        conv_event(
            "message.created",
            t(start),
            conv,
            json!({"message": {"sender_kind": "customer", "kind": "text"}, "customer_id": customer}),
        ),
        conv_event(
            "conversation.assigned",
            t(start + answer),
            conv,
            snap("assigned", Some(agent)),
        ),
    ];
    if let Some(reply) = reply {
        events.push(conv_event(
            "message.created",
            t(start + reply),
            conv,
            json!({"message": {"sender_kind": "agent", "kind": "text"}, "customer_id": customer}),
        ));
    }
    let mut last = agent;
    if let Some((queued, assigned, to)) = transfer {
        let mut moved = snap("queued", None);
        moved["reason"] = json!("transferred");
        events.push(conv_event(
            "conversation.queued",
            t(start + queued),
            conv,
            moved,
        ));
        events.push(conv_event(
            "conversation.assigned",
            t(start + assigned),
            conv,
            snap("assigned", Some(to)),
        ));
        last = to;
    }
    events.push(conv_event(
        "conversation.resolved",
        t(start + end),
        conv,
        snap("resolved", Some(last)),
    ));
    if let Some(rating) = rating {
        events.push(conv_event(
            "conversation.rated",
            t(start + end + 60),
            conv,
            json!({"rating": rating, "conversation": {}}),
        ));
    }
    events
}

/// The history of `org` on 2 and 3 March 2026 (UTC):
/// - chat 1 (customer A): the agent answers at 10 s, replies at 40 s, resolves at 300 s; rated 5.
/// - chat 2 (customer B), an hour later: the agent answers at 20 s, replies at 80 s, transfers
///   at 200 s, the supervisor takes it at 260 s and resolves at 500 s; rated 2.
/// - chat 3 (customer A again, next day): the supervisor answers at 5 s, resolves at 65 s.
///
/// Hand-computed, for the agent: 2 answered and handled; AHT = (290 + (180 + 240)) / 2 = 355 s
/// (a transferred chat's handle time goes to the agent who answered it); FRT = (40 + 80) / 2 =
/// 60 s; CSAT 1 of 2 satisfied = 0.5 with 2 responses; FCR: chat 1 repeated (chat 3 within 7
/// days), chat 2 not = 0.5; transfer rate 1 of 2 = 0.5. For the supervisor: 1 answered, AHT
/// 60 s, no FRT, no CSAT, FCR 1, transfer rate 0.
async fn seed(app: &TestApp, org: &Org) {
    let (inbox, a, b) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mut events = chat(0, a, inbox, org.agent_id, 10, Some(40), None, 300, Some(5));
    events.extend(chat(
        3600,
        b,
        inbox,
        org.agent_id,
        20,
        Some(80),
        Some((200, 260, org.supervisor_id)),
        500,
        Some(2),
    ));
    events.extend(chat(
        86_400,
        a,
        inbox,
        org.supervisor_id,
        5,
        None,
        None,
        65,
        None,
    ));
    append_events(&app.store, org.tenant.id, &events)
        .await
        .unwrap();
}

/// A ticket assigned to the agent and solved now.
async fn solved_ticket(app: &TestApp, org: &Org) {
    let (_, customer) = app
        .post(
            "/api/v1/customers",
            &org.agent,
            json!({"name": "Solved customer"}),
        )
        .await;
    let (status, ticket) = app
        .post(
            "/api/v1/tickets",
            &org.agent,
            json!({"subject": "发票", "requester_id": customer["id"], "assignee_id": org.agent_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let (status, solved) = app
        .patch(
            &format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap()),
            &org.agent,
            json!({"status": "solved"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{solved}");
}

fn window() -> String {
    let tomorrow = (Utc::now() + Delta::days(1)).format("%Y-%m-%d");
    format!("from=2026-03-01&to={tomorrow}")
}

fn card(report: &Value, id: Uuid) -> &Value {
    report["scorecards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["agent_id"] == id.to_string())
        .unwrap_or_else(|| panic!("no scorecard of {id}: {report}"))
}

fn close(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

#[tokio::test]
async fn scorecards_of_a_seeded_history_are_the_hand_computed_figures() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    seed(&app, &org).await;
    solved_ticket(&app, &org).await;
    let path = format!("/api/v1/reports/scorecards?{}", window());
    let (status, report) = app.get(&path, &org.supervisor).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let agent = card(&report, org.agent_id);
    assert_eq!(agent["conversations_answered"], 2, "{agent}");
    assert_eq!(agent["conversations_handled"], 2);
    assert_eq!(agent["tickets_solved"], 1);
    assert!(close(&agent["aht_secs"], 355.0), "{agent}");
    assert!(close(&agent["frt_secs"], 60.0), "{agent}");
    assert!(close(&agent["csat"], 0.5), "{agent}");
    assert_eq!(agent["csat_responses"], 2);
    assert!(close(&agent["fcr_rate"], 0.5), "{agent}");
    assert!(close(&agent["transfer_rate"], 0.5), "{agent}");
    assert_eq!(agent["adherence"], Value::Null);
    let supervisor = card(&report, org.supervisor_id);
    assert_eq!(supervisor["conversations_answered"], 1);
    assert!(close(&supervisor["aht_secs"], 60.0), "{supervisor}");
    assert_eq!(supervisor["frt_secs"], Value::Null);
    assert_eq!(supervisor["csat"], Value::Null);
    assert!(close(&supervisor["fcr_rate"], 1.0), "{supervisor}");
    assert!(close(&supervisor["transfer_rate"], 0.0), "{supervisor}");
    assert_eq!(supervisor["tickets_solved"], 0);
    // The same figures as the metrics report's agent rows: one definition.
    let (_, metrics) = app
        .get(
            &format!(
                "/api/v1/reports/metrics?{}&granularity=whole&dimensions=agent",
                window()
            ),
            &org.supervisor,
        )
        .await;
    let row = metrics["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dimension"]["value"] == org.agent_id.to_string())
        .unwrap();
    assert_eq!(row["durations"]["aht_secs"], agent["aht_secs"]);
    assert_eq!(row["rates"]["fcr_rate"], agent["fcr_rate"]);
    // A window before the history: nothing handled, the active agent still listed.
    let (_, empty) = app
        .get(
            "/api/v1/reports/scorecards?from=2026-01-01&to=2026-01-31",
            &org.supervisor,
        )
        .await;
    let none = card(&empty, org.agent_id);
    assert_eq!(
        (
            none["conversations_answered"].as_u64(),
            none["aht_secs"].is_null()
        ),
        (Some(0), true)
    );
    // Bad input is a 422 naming the field.
    let (status, error) = app
        .get(
            "/api/v1/reports/scorecards?from=2026-03-01&to=2026-03-02&group=x&format=pdf",
            &org.supervisor,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let mut fields: Vec<&str> = error["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["format", "group"]);
}

#[tokio::test]
async fn agents_read_only_their_own_scorecard_and_supervisors_keep_schedules() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    seed(&app, &org).await;
    let path = format!("/api/v1/reports/scorecards?{}", window());
    let (status, own) = app.get(&path, &org.agent).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    let cards = own["scorecards"].as_array().unwrap();
    assert_eq!(cards.len(), 1, "{own}");
    assert_eq!(cards[0]["agent_id"], org.agent_id.to_string());
    let mine = format!("{path}&agent={}", org.agent_id);
    assert_eq!(app.get(&mine, &org.agent).await.0, StatusCode::OK);
    let theirs = format!("{path}&agent={}", org.supervisor_id);
    assert_eq!(app.get(&theirs, &org.agent).await.0, StatusCode::FORBIDDEN);
    for token in [&org.supervisor, &org.admin] {
        let (status, all) = app.get(&path, token).await;
        assert_eq!(status, StatusCode::OK);
        assert!(all["scorecards"].as_array().unwrap().len() >= 2, "{all}");
    }
    // A token without reports:read gets nothing.
    let (_, token) = app
        .post(
            "/api/v1/api-tokens",
            &org.admin,
            json!({"name": "t", "scopes": ["customers:read"]}),
        )
        .await;
    let (status, _) = app.get(&path, token["token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let schedule = json!({"name": "Daily", "frequency": "daily", "send_time": "08:00",
        "recipients": ["boss@acme.example"], "report_kind": "scorecards", "format": "xlsx"});
    let (status, _) = app
        .post("/api/v1/report-schedules", &org.agent, schedule.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/api/v1/report-schedules", &org.agent).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, created) = app
        .post(
            "/api/v1/report-schedules",
            &org.supervisor,
            schedule.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        app.post(
            &format!("/api/v1/report-schedules/{id}/send-now"),
            &org.agent,
            json!({})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (status, list) = app.get("/api/v1/report-schedules", &org.admin).await;
    assert_eq!(
        (status, list["items"].as_array().unwrap().len()),
        (StatusCode::OK, 1)
    );
    let mut weekly = schedule.clone();
    weekly["frequency"] = json!("weekly");
    weekly["weekday"] = json!(1);
    weekly["filters"] = json!({"fcr_window_days": "3"});
    let (status, updated) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/report-schedules/{id}"),
            Some(&org.admin),
            Some(weekly),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        (updated["frequency"].as_str(), updated["weekday"].as_i64()),
        (Some("weekly"), Some(1))
    );
    // Every bad field named at once: 21 recipients, one not an address, a bad time and filter.
    let mut bad = schedule.clone();
    bad["recipients"] = json!(
        (0..21)
            .map(|i| format!("r{i}@acme.example"))
            .chain(["nope".to_owned()])
            .collect::<Vec<_>>()
    );
    bad["send_time"] = json!("25:00");
    bad["filters"] = json!({"granularity": "hour"});
    bad["report_kind"] = json!("metrics");
    let (status, error) = app
        .post("/api/v1/report-schedules", &org.supervisor, bad)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let mut fields: Vec<&str> = error["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["recipients", "recipients[21]", "send_time"],
        "{error}"
    );
    let mut bad_filter = schedule.clone();
    bad_filter["report_kind"] = json!("metrics");
    bad_filter["filters"] = json!({"granularity": "hour"});
    let (status, error) = app
        .post("/api/v1/report-schedules", &org.supervisor, bad_filter)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(
        error["details"]["errors"][0]["field"],
        "filters.granularity"
    );
    // Every change is an event.
    let (status, _) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/report-schedules/{id}"),
            Some(&org.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let events = app
        .store
        .events_since(org.tenant.id, 0, 1000)
        .await
        .unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e.kind.as_str())
        .filter(|k| k.starts_with("report_schedule."))
        .collect();
    assert_eq!(
        kinds,
        [
            "report_schedule.created",
            "report_schedule.updated",
            "report_schedule.deleted"
        ]
    );
}

/// The first sheet of an XLSX file: its name and cells.
fn sheet(bytes: &[u8]) -> (Vec<String>, Vec<Vec<Data>>) {
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names = workbook.sheet_names();
    let range = workbook.worksheet_range(&names[0]).unwrap();
    (names, range.rows().map(<[Data]>::to_vec).collect())
}

fn number(cell: &Data) -> Option<f64> {
    match cell {
        Data::Float(v) => Some(*v),
        Data::Int(v) => Some(*v as f64),
        Data::Empty => None,
        other => panic!("not a number: {other:?}"),
    }
}

async fn download(app: &TestApp, path: &str, token: &str) -> Vec<u8> {
    let response = app
        .http
        .get(format!("{}{path}", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn xlsx_exports_hold_the_json_reports_values() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (status, _) = app
        .patch(
            "/api/v1/tenant",
            &org.admin,
            json!({"settings": {"locale": "zh-CN"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    seed(&app, &org).await;
    let query = "from=2026-03-01&to=2026-03-05&granularity=day";
    let (_, report) = app
        .get(&format!("/api/v1/reports/metrics?{query}"), &org.supervisor)
        .await;
    let bytes = download(
        &app,
        &format!("/api/v1/reports/metrics?{query}&format=xlsx"),
        &org.supervisor,
    )
    .await;
    let (names, rows) = sheet(&bytes);
    assert_eq!(names, ["指标", "说明"]);
    let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    let json_rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), json_rows.len() + 1);
    // The service-level header names its definition: `service_level (SL3: …)`.
    let col = |name: &str| {
        header
            .iter()
            .position(|h| {
                h == name || (name == "service_level" && h.starts_with("service_level ("))
            })
            .unwrap_or_else(|| panic!("{name}"))
    };
    for (cells, row) in rows[1..].iter().zip(json_rows) {
        assert_eq!(
            cells[col("bucket_start")].to_string(),
            chrono::DateTime::parse_from_rfc3339(row["bucket_start"].as_str().unwrap())
                .unwrap()
                .to_rfc3339()
        );
        assert_eq!(
            cells[col("dimension")].to_string(),
            row["dimension"]["kind"].as_str().unwrap()
        );
        for count in [
            "offered",
            "answered",
            "handled",
            "transferred",
            "csat_responses",
            "fcr_repeated",
        ] {
            assert_eq!(
                number(&cells[col(count)]),
                row["counts"][count].as_f64(),
                "{count}"
            );
        }
        for secs in ["aht_secs", "frt_secs", "asa_secs"] {
            assert_eq!(
                number(&cells[col(secs)]),
                row["durations"][secs].as_f64(),
                "{secs}"
            );
        }
        for rate in [
            "answer_rate",
            "service_level",
            "transfer_rate",
            "fcr_rate",
            "csat",
        ] {
            assert_eq!(
                number(&cells[col(rate)]),
                row["rates"][rate].as_f64(),
                "{rate}"
            );
        }
    }
    assert!(
        json_rows
            .iter()
            .any(|r| r["durations"]["aht_secs"].is_number()),
        "the report has data"
    );

    let path = format!("/api/v1/reports/scorecards?{}", window());
    let (_, cards) = app.get(&path, &org.supervisor).await;
    let bytes = download(&app, &format!("{path}&format=xlsx"), &org.supervisor).await;
    let (names, rows) = sheet(&bytes);
    assert_eq!(names, ["坐席绩效", "说明"]);
    let cards = cards["scorecards"].as_array().unwrap();
    assert_eq!(rows.len(), cards.len() + 1);
    for (cells, card) in rows[1..].iter().zip(cards) {
        assert_eq!(cells[0].to_string(), card["agent_id"].as_str().unwrap());
        assert_eq!(cells[1].to_string(), card["name"].as_str().unwrap());
        assert_eq!(number(&cells[2]), card["conversations_answered"].as_f64());
        assert_eq!(number(&cells[5]), card["aht_secs"].as_f64());
        assert_eq!(number(&cells[7]), card["csat"].as_f64());
        assert_eq!(number(&cells[9]), card["fcr_rate"].as_f64());
        assert_eq!(number(&cells[12]), None, "adherence is empty");
    }
}

/// The attachment of a raw mail: its file name and bytes.
fn attachment(raw: &[u8]) -> (String, Vec<u8>) {
    let message = mail_parser::MessageParser::default().parse(raw).unwrap();
    let part = message.attachments().next().expect("an attachment");
    (
        part.attachment_name().unwrap_or_default().to_owned(),
        part.contents().to_vec(),
    )
}

#[tokio::test]
async fn a_schedule_is_mailed_once_per_period_across_a_restart() {
    let relay_port = free_port();
    let sink = Sink::start(relay_port).await;
    let mut app = spawn_app_with(mail_config(Some(relay_port))).await;
    let org = app.org("acme").await;
    let (status, mailbox) = app
        .post(
            "/api/v1/mailboxes",
            &org.admin,
            json!({"address": "support@acme.example", "display_name": "Acme 客服"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mailbox}");
    seed(&app, &org).await;
    let (status, schedule) = app
        .post(
            "/api/v1/report-schedules",
            &org.supervisor,
            json!({"name": "Daily scorecards", "frequency": "daily", "send_time": "08:00",
                "recipients": ["boss@acme.example", "lead@acme.example"], "report_kind": "scorecards", "format": "xlsx"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{schedule}");
    let schedule_id = schedule["id"].as_str().unwrap().to_owned();

    // The clock of the test: tomorrow, a minute before and after 08:00 UTC (the tenant's zone).
    let tomorrow = (Utc::now() + Delta::days(1)).date_naive();
    let eight = Utc.from_utc_datetime(&tomorrow.and_hms_opt(8, 0, 0).unwrap());
    let mailer = ReportMailer::new(app.state());
    mailer.tick(eight - Delta::minutes(1)).await;
    mailer.tick(eight + Delta::minutes(1)).await;
    mailer.tick(eight + Delta::minutes(2)).await;
    let mails = sink.wait_for(1).await;
    let raw = String::from_utf8_lossy(&mails[0]).to_string();
    assert!(
        raw.contains("boss@acme.example") && raw.contains("lead@acme.example"),
        "{raw}"
    );
    let (name, bytes) = attachment(&mails[0]);
    assert!(name.ends_with(".xlsx"), "{name}");
    // The attachment is the scorecards of the day before the period (today, in UTC).
    let today = Utc::now().date_naive();
    let (_, cards) = app
        .get(
            &format!("/api/v1/reports/scorecards?from={today}&to={today}"),
            &org.supervisor,
        )
        .await;
    let (names, rows) = sheet(&bytes);
    assert_eq!(names[0], "Scorecards");
    let ids: Vec<String> = rows[1..].iter().map(|r| r[0].to_string()).collect();
    let expected: Vec<&str> = cards["scorecards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["agent_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected);

    // A restart: a new server and a new mailer at the same instant send nothing again.
    drop(mailer);
    app.restart().await;
    let mailer = ReportMailer::new(app.state());
    mailer.tick(eight + Delta::minutes(3)).await;
    mailer.tick(eight + Delta::hours(5)).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sink.wait_for(1).await.len(), 1, "a period is sent once");
    // The next day's period goes out.
    mailer
        .tick(eight + Delta::days(1) + Delta::minutes(1))
        .await;
    assert_eq!(sink.wait_for(2).await.len(), 2);

    // Send-now goes through the server's own mailer (real clock), woken at once.
    let (status, queued) = app
        .post(
            &format!("/api/v1/report-schedules/{schedule_id}/send-now"),
            &org.supervisor,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    assert!(queued["period"].as_str().unwrap().starts_with("manual-"));
    assert_eq!(sink.wait_for(3).await.len(), 3);

    let events = app
        .store
        .events_since(org.tenant.id, 0, 1000)
        .await
        .unwrap();
    let mut periods: Vec<String> = events
        .iter()
        .filter(|e| e.kind == "report.sent")
        .map(|e| e.payload.0["period"].as_str().unwrap().to_owned())
        .collect();
    periods.sort();
    assert_eq!(periods.len(), 3, "{periods:?}");
    assert_eq!(periods[0], tomorrow.to_string());
    assert_eq!(periods[1], (tomorrow + Delta::days(1)).to_string());
    assert!(periods[2].starts_with("manual-"));
    let (_, deliveries) = app
        .get(
            &format!("/api/v1/report-schedules/{schedule_id}/deliveries"),
            &org.supervisor,
        )
        .await;
    let items = deliveries["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(
        items.iter().all(|d| d["sent_at"].is_string()),
        "{deliveries}"
    );
}

#[tokio::test]
async fn a_report_the_relay_refused_is_retried_and_sent_once() {
    let relay_port = free_port();
    let app = spawn_app_with(mail_config(Some(relay_port))).await;
    let org = app.org("acme").await;
    let (status, _) = app
        .post(
            "/api/v1/mailboxes",
            &org.admin,
            json!({"address": "support@acme.example", "display_name": "Acme"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    seed(&app, &org).await;
    // Weekly on Mondays: the metrics of the seven days before, as CSV.
    let (status, schedule) = app
        .post(
            "/api/v1/report-schedules",
            &org.supervisor,
            json!({"name": "Weekly metrics", "frequency": "weekly", "weekday": 1, "send_time": "09:00",
                "recipients": ["boss@acme.example"], "report_kind": "metrics",
                "filters": {"dimensions": "tenant,agent", "granularity": "day"}, "format": "csv"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{schedule}");
    let mut monday = (Utc::now() + Delta::days(1)).date_naive();
    while chrono::Datelike::weekday(&monday) != chrono::Weekday::Mon {
        monday = monday.succ_opt().unwrap();
    }
    let nine = Utc.from_utc_datetime(&monday.and_hms_opt(9, 0, 0).unwrap());
    let mailer = ReportMailer::new(app.state());
    // Nobody listens on the relay's port: the attempt fails and is kept for a retry.
    mailer.tick(nine + Delta::minutes(1)).await;
    let events = app
        .store
        .events_since(org.tenant.id, 0, 1000)
        .await
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == "report.send_failed")
            .count(),
        1
    );
    let sink = Sink::start(relay_port).await;
    mailer.tick(nine + Delta::minutes(2)).await;
    mailer.tick(nine + Delta::minutes(3)).await;
    let mails = sink.wait_for(1).await;
    let (name, bytes) = attachment(&mails[0]);
    assert!(name.ends_with(".csv"), "{name}");
    let csv = String::from_utf8(bytes).unwrap();
    assert!(csv.starts_with('\u{feff}'), "a BOM");
    // The same file the API gives for the seven days before the period.
    let (first, last) = (monday - Delta::days(7), monday - Delta::days(1));
    let response = app
        .http
        .get(format!(
            "{}/api/v1/reports/metrics?from={first}&to={last}&dimensions=tenant,agent&granularity=day&format=csv",
            app.url
        ))
        .bearer_auth(&org.supervisor)
        .send()
        .await
        .unwrap();
    let expected = response.text().await.unwrap();
    assert_eq!(csv, expected);
    assert_eq!(csv.lines().count(), 8, "a header and seven days: {csv}");
    let sent: Vec<_> = app
        .store
        .events_since(org.tenant.id, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "report.sent")
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].payload.0["period"], monday.to_string());
    let window_end = Utc.from_utc_datetime(&monday.and_hms_opt(0, 0, 0).unwrap());
    assert_eq!(
        sent[0].payload.0["window_end"]
            .as_str()
            .map(|s| DateTime::parse_from_rfc3339(s).unwrap()),
        Some(window_end.fixed_offset())
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1);
}
