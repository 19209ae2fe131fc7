//! Outgoing webhooks against a real HTTP receiver on loopback: a ticket event arrives signed
//! (the signature checked with the secret shown once), a failing receiver is retried with
//! backoff until it answers, attempts run out into `failed` and a redelivery by hand starts
//! over, private addresses are refused by default, and bad input is a 422 with the field named.

use super::{TestApp, spawn_app, spawn_app_with};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use hmac::{KeyInit, Mac};
use kefu_server::ServerConfig;
use kefu_server::webhooks::WebhookSettings;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the receiver was sent, and the statuses it answers with (204 once they run out).
#[derive(Clone, Default)]
pub(super) struct Receiver {
    received: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    pub(super) url: String,
}

pub(super) async fn receiver(answers: &[u16]) -> Receiver {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let r = Receiver {
        url: format!("http://{}/hooks/kefu", listener.local_addr().unwrap()),
        ..Receiver::default()
    };
    r.answers.lock().unwrap().extend(answers);
    let state = r.clone();
    let app = axum::Router::new().route(
        "/hooks/kefu",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let state = state.clone();
            async move {
                state.received.lock().unwrap().push((headers, body));
                let status = state.answers.lock().unwrap().pop_front().unwrap_or(204);
                (AxumStatus::from_u16(status).unwrap(), "receiver says hello")
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    r
}

impl Receiver {
    pub(super) fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    pub(super) async fn until(&self, n: usize) -> Vec<(HeaderMap, String)> {
        for _ in 0..250 {
            if self.count() >= n {
                return self.received.lock().unwrap().clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the receiver got {} requests, not {n}", self.count());
    }
}

pub(super) fn config(retries: usize, allow_private_targets: bool) -> ServerConfig {
    ServerConfig {
        webhooks: WebhookSettings {
            retry_delays: vec![Duration::from_millis(150); retries],
            timeout: Duration::from_secs(2),
            allow_private_targets,
        },
        ..ServerConfig::default()
    }
}

async fn create(app: &TestApp, admin: &str, url: &str, events: Value) -> Value {
    let (status, webhook) = app
        .post(
            "/api/v1/webhooks",
            admin,
            json!({"url": url, "events": events}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{webhook}");
    webhook
}

async fn deliveries(app: &TestApp, admin: &str, webhook: &Value) -> Vec<Value> {
    let (status, page) = app
        .get(
            &format!(
                "/api/v1/webhooks/{}/deliveries",
                webhook["id"].as_str().unwrap()
            ),
            admin,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// Polls the delivery log until its newest entry has `state`.
async fn until_state(app: &TestApp, admin: &str, webhook: &Value, state: &str) -> Value {
    let mut last = Value::Null;
    for _ in 0..250 {
        if let Some(d) = deliveries(app, admin, webhook).await.first()
            && d["state"] == state
        {
            return d.clone();
        }
        last = Value::Array(deliveries(app, admin, webhook).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no delivery reached {state}: {last}");
}

async fn open_ticket(app: &TestApp, agent: &str, subject: &str) -> Value {
    let (_, customer) = app
        .post("/api/v1/customers", agent, json!({"name": "王芳"}))
        .await;
    let (status, ticket) = app
        .post(
            "/api/v1/tickets",
            agent,
            json!({"subject": subject, "requester_id": customer["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    ticket
}

#[tokio::test]
async fn ticket_events_arrive_signed_with_the_secret_shown_once() {
    let app = spawn_app_with(config(2, true)).await;
    let org = app.org("acme").await;
    let hook = receiver(&[]).await;
    let webhook = create(&app, &org.admin, &hook.url, json!(["ticket.created"])).await;
    let secret = webhook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let (_, listed) = app.get("/api/v1/webhooks", &org.admin).await;
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown once: {listed}"
    );

    let ticket = open_ticket(&app, &org.agent, "退款没到账").await;
    let received = hook.until(1).await;
    let (headers, body) = &received[0];
    assert_eq!(headers["x-kefu-event"], "ticket.created");
    let signature = headers["x-kefu-signature"].to_str().unwrap();
    let (t, v1) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    assert_eq!(
        hex::encode(mac.finalize().into_bytes()),
        v1,
        "the signature verifies"
    );
    let age = chrono::Utc::now().timestamp() - t.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "a fresh timestamp");
    let sent: Value = serde_json::from_str(body).unwrap();
    assert_eq!(sent["event"]["kind"], "ticket.created");
    assert_eq!(sent["event"]["payload"]["ticket"]["id"], ticket["id"]);
    assert_eq!(
        headers["x-kefu-delivery"].to_str().unwrap(),
        sent["delivery_id"]
    );

    let delivered = until_state(&app, &org.admin, &webhook, "delivered").await;
    assert_eq!(
        (
            delivered["attempts"].as_i64(),
            delivered["last_status"].as_i64()
        ),
        (Some(1), Some(204))
    );
    // Only the kinds asked for: a comment is not a ticket.created.
    let ticket_id = ticket["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/tickets/{ticket_id}/comments"),
        &org.agent,
        json!({"body": "已联系财务", "public": false}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(hook.count(), 1, "ticket.comment_added was not asked for");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_until_it_answers_or_attempts_run_out() {
    let app = spawn_app_with(config(2, true)).await;
    let org = app.org("acme").await;
    // Fails twice, then answers: delivered on the third attempt, the last one allowed.
    let flaky = receiver(&[503, 500]).await;
    let webhook = create(&app, &org.admin, &flaky.url, json!(["ticket.*"])).await;
    open_ticket(&app, &org.agent, "first").await;
    let delivered = until_state(&app, &org.admin, &webhook, "delivered").await;
    assert_eq!(delivered["attempts"], 3, "{delivered}");
    let bodies: Vec<Value> = flaky
        .until(3)
        .await
        .iter()
        .map(|(_, b)| serde_json::from_str(b).unwrap())
        .collect();
    let attempts: Vec<i64> = bodies
        .iter()
        .map(|b| b["attempt"].as_i64().unwrap())
        .collect();
    assert_eq!(attempts, [1, 2, 3]);
    assert!(
        bodies.iter().all(|b| b["delivery_id"] == delivered["id"]),
        "one delivery, retried"
    );

    // Always failing: three attempts, then failed with the receiver's answer kept.
    let down = receiver(&[500, 500, 500, 500]).await;
    let (_, _) = app
        .patch(
            &format!("/api/v1/webhooks/{}", webhook["id"].as_str().unwrap()),
            &org.admin,
            json!({"url": down.url}),
        )
        .await;
    open_ticket(&app, &org.agent, "second").await;
    let failed = until_state(&app, &org.admin, &webhook, "failed").await;
    assert_eq!(failed["attempts"], 3);
    assert_eq!(failed["last_status"], 500);
    assert!(
        failed["last_error"]
            .as_str()
            .unwrap()
            .contains("receiver says hello")
    );
    assert_eq!(down.count(), 3);

    // Fixed on their side; redelivered by hand, it arrives.
    let path = format!(
        "/api/v1/webhooks/{}/deliveries/{}/retry",
        webhook["id"].as_str().unwrap(),
        failed["id"].as_str().unwrap()
    );
    let (status, retried) = app.post(&path, &org.admin, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert_eq!(retried["state"], "pending");
    let done = until_state(&app, &org.admin, &webhook, "delivered").await;
    assert_eq!(done["id"], failed["id"]);
    assert_eq!(
        down.count(),
        5,
        "the fourth answer was a 500 too; the fifth attempt got 204"
    );
}

#[tokio::test]
async fn private_receivers_are_refused_by_default_and_bad_input_is_named() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let local = receiver(&[]).await;
    let webhook = create(&app, &org.admin, &local.url, json!(["*"])).await;
    open_ticket(&app, &org.agent, "never sent").await;
    let failed = until_state(&app, &org.admin, &webhook, "failed").await;
    assert_eq!(failed["last_error"], "target_not_allowed");
    assert_eq!(failed["attempts"], 1, "no retries for a refused address");
    assert_eq!(local.count(), 0, "nothing reached the private address");

    for (body, field) in [
        (
            json!({"url": "ftp://example.com/x", "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://example.com/x", "events": []}),
            "events",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["Ticket Created"]}),
            "events[0]",
        ),
    ] {
        let (status, err) = app.post("/api/v1/webhooks", &org.admin, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["details"]["errors"][0]["field"], field, "{err}");
    }
    let (status, _) = app
        .post(
            "/api/v1/webhooks",
            &org.agent,
            json!({"url": "https://example.com/x", "events": ["*"]}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "agents do not manage webhooks"
    );
    let (status, _) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/webhooks/{}", webhook["id"].as_str().unwrap()),
            Some(&org.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
