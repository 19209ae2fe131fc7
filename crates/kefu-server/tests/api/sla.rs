//! Ticket SLAs against a real server: policies are validated and stored, the first matching
//! one applies, a warning fires once and escalates (priority raised, department changed, who
//! to tell named in the event), a public reply meets first reply, pending-customer pauses the
//! resolution clock, and a restart acts on nothing twice.

use super::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn targets(app: &TestApp, token: &str, ticket: &str) -> Vec<Value> {
    let (status, sla) = app
        .get(&format!("/api/v1/tickets/{ticket}/sla"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{sla}");
    sla["targets"].as_array().unwrap().clone()
}

/// Polls the ticket's targets until `done` holds for them.
async fn until(
    app: &TestApp,
    token: &str,
    ticket: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let mut last = Vec::new();
    for _ in 0..250 {
        last = targets(app, token, ticket).await;
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("SLA targets never got there: {last:?}");
}

fn state_of<'a>(targets: &'a [Value], target: &str) -> Option<&'a str> {
    targets.iter().find(|t| t["target"] == target)?["state"].as_str()
}

async fn sla_events(app: &TestApp, admin: &str, ticket: &str, kind: &str) -> Vec<Value> {
    let (_, events) = app.get("/api/v1/events?limit=1000", admin).await;
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity_id"] == ticket && e["kind"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_matching_policy_warns_once_escalates_and_its_clocks_follow_the_ticket() {
    let mut app = spawn_app().await;
    let org = app.org("acme").await;
    let (_, tier2) = app
        .post(
            "/api/v1/groups",
            &org.admin,
            json!({"name": "Tier 2", "member_ids": [org.supervisor_id]}),
        )
        .await;
    // Low priority tickets get nothing; everything else: a first reply within a minute, with
    // the warning at once (a minute before due), which raises the priority and escalates.
    let policies = json!({"policies": [
        {"name": "Low", "conditions": {"priority": ["low"]}, "targets": {"resolution_minutes": 6000}},
        {"name": "Standard", "targets": {"first_reply_minutes": 1, "resolution_minutes": 600},
         "warn_before": {"minutes": 1},
         "escalations": [
            {"on": "warning", "targets": ["first_reply"], "action": {"type": "raise_priority", "to": "high"}},
            {"on": "warning", "targets": ["first_reply"], "action": {"type": "reassign", "group": "Tier 2"}},
            {"on": "warning", "targets": ["first_reply"], "action": {"type": "notify", "to": ["group_supervisors"]}}
         ]}
    ]});
    let (status, saved) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/sla-policies",
            Some(&org.admin),
            Some(policies),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert!(
        saved["policies"][1]["calendar"]["time_zone"].is_string(),
        "the tenant's calendar filled in: {saved}"
    );

    let (_, customer) = app
        .post("/api/v1/customers", &org.agent, json!({"name": "王芳"}))
        .await;
    let (_, ticket) = app
        .post(
            "/api/v1/tickets",
            &org.agent,
            json!({"subject": "退款没到账", "requester_id": customer["id"]}),
        )
        .await;
    let id = ticket["id"].as_str().unwrap().to_owned();
    let t = until(&app, &org.agent, &id, |t| {
        state_of(t, "first_reply").is_some()
    })
    .await;
    assert_eq!(t[0]["policy"], "Standard");
    assert_eq!(state_of(&t, "resolution"), Some("active"));

    // The warning escalated: priority high, the Tier 2 department, its supervisor named.
    let mut escalated = Value::Null;
    for _ in 0..250 {
        escalated = app
            .get(&format!("/api/v1/tickets/{id}"), &org.agent)
            .await
            .1;
        if escalated["priority"] == "high" && escalated["group_id"] == tier2["id"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        (&escalated["priority"], &escalated["group_id"]),
        (&json!("high"), &tier2["id"]),
        "{escalated}"
    );
    let warnings = sla_events(&app, &org.admin, &id, "ticket.sla_warning").await;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["payload"]["target"], "first_reply");
    assert_eq!(
        warnings[0]["payload"]["notify"],
        json!([org.supervisor_id.to_string()])
    );

    // Due within the hour: the "breaching soon" view lists it.
    let (_, soon) = app.get("/api/v1/tickets?sla=breaching", &org.agent).await;
    assert_eq!(soon["items"].as_array().unwrap().len(), 1, "{soon}");
    assert_eq!(soon["items"][0]["id"], id.as_str());
    let (status, _) = app.get("/api/v1/tickets?sla=soon", &org.agent).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A public reply meets first reply; pending-customer pauses resolution, open resumes it.
    app.post(
        &format!("/api/v1/tickets/{id}/comments"),
        &org.agent,
        json!({"body": "已在处理", "public": true}),
    )
    .await;
    until(&app, &org.agent, &id, |t| {
        state_of(t, "first_reply") == Some("met")
    })
    .await;
    let (_, soon) = app.get("/api/v1/tickets?sla=breaching", &org.agent).await;
    assert_eq!(
        soon["items"],
        json!([]),
        "resolution is due in ten hours: nothing breaching"
    );
    app.patch(
        &format!("/api/v1/tickets/{id}"),
        &org.agent,
        json!({"status": "pending_customer"}),
    )
    .await;
    until(&app, &org.agent, &id, |t| {
        state_of(t, "resolution") == Some("paused")
    })
    .await;
    app.patch(
        &format!("/api/v1/tickets/{id}"),
        &org.agent,
        json!({"status": "open"}),
    )
    .await;
    until(&app, &org.agent, &id, |t| {
        state_of(t, "resolution") == Some("active")
    })
    .await;

    // A low-priority ticket gets the first policy that matches, with no first-reply target.
    let (_, low) = app
        .post(
            "/api/v1/tickets",
            &org.agent,
            json!({"subject": "建议", "requester_id": customer["id"], "priority": "low"}),
        )
        .await;
    let low_id = low["id"].as_str().unwrap();
    let t = until(&app, &org.agent, low_id, |t| !t.is_empty()).await;
    assert_eq!((t.len(), t[0]["policy"].as_str()), (1, Some("Low")));

    // After a restart and another change, the warning is still the only one.
    app.restart().await;
    let admin = app.login("admin@acme.test", super::PASSWORD).await;
    let agent = app.login("agent@acme.test", super::PASSWORD).await;
    app.post(
        &format!("/api/v1/tickets/{id}/comments"),
        &agent,
        json!({"body": "内部备注", "public": false}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        sla_events(&app, &admin, &id, "ticket.sla_warning")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn bad_policies_are_refused_with_the_field_named() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let put = |body: Value, token: String| {
        let app = &app;
        async move {
            app.call(
                reqwest::Method::PUT,
                "/api/v1/sla-policies",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let (status, err) = put(
        json!({"policies": [{"name": "x", "targets": {}}]}),
        org.admin.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["details"]["errors"][0]["field"], "policies[0].targets");
    let (status, err) = put(
        json!({"policies": [{"name": "x", "targets": {"first_reply_minutes": 5}, "oops": 1}]}),
        org.admin.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["details"]["errors"][0]["field"], "policies[0]");
    let (status, _) = put(json!({"policies": []}), org.agent.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, listed) = app.get("/api/v1/sla-policies", &org.agent).await;
    assert_eq!((status, listed), (StatusCode::OK, json!({"policies": []})));
}
