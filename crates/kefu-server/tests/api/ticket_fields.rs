//! Ticket custom fields over HTTP: admins define them, agents read them; every ticket write
//! (create, update, bulk) is checked against them with the failing field named; values are
//! stored, read back and filtered on (`?field.KEY=value`).

use super::{Org, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub(super) async fn define(app: &TestApp, admin: &str, body: Value) -> Value {
    let (status, field) = app.post("/api/v1/ticket-fields", admin, body).await;
    assert_eq!(status, StatusCode::CREATED, "{field}");
    field
}

/// A text field required for complaints, a number, a date, a select and a multi-select.
pub(super) async fn define_all(app: &TestApp, org: &Org) {
    define(app, &org.admin, json!({"key": "order_no", "label": "订单号", "type": "text", "required_for": ["complaint"]})).await;
    define(
        app,
        &org.admin,
        json!({"key": "amount", "label": "金额", "type": "number"}),
    )
    .await;
    define(
        app,
        &org.admin,
        json!({"key": "due", "label": "Due", "type": "date"}),
    )
    .await;
    define(
        app,
        &org.admin,
        json!({"key": "region", "label": "区域", "type": "select", "options": ["华东", "华北"]}),
    )
    .await;
    define(app, &org.admin, json!({"key": "products", "label": "产品", "type": "multi_select", "options": ["a", "b", "c"]})).await;
}

fn error_fields(body: &Value) -> Vec<String> {
    let mut fields: Vec<String> = body["details"]["errors"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    fields
}

#[tokio::test]
async fn admins_define_fields_agents_read_them_and_bad_definitions_are_named() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (status, _) = app
        .post(
            "/api/v1/ticket-fields",
            &org.agent,
            json!({"key": "x", "label": "x", "type": "text"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, bad) = app
        .post(
            "/api/v1/ticket-fields",
            &org.admin,
            json!({"key": "Bad Key", "label": " ", "type": "select", "options": []}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(error_fields(&bad), ["key", "label", "options"]);
    define_all(&app, &org).await;
    let (status, taken) = app
        .post(
            "/api/v1/ticket-fields",
            &org.admin,
            json!({"key": "amount", "label": "x", "type": "text"}),
        )
        .await;
    assert_eq!(
        (status, taken["code"].as_str()),
        (StatusCode::CONFLICT, Some("field_key_taken"))
    );
    let (status, list) = app.get("/api/v1/ticket-fields", &org.agent).await;
    assert_eq!(status, StatusCode::OK);
    let keys: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["order_no", "amount", "due", "region", "products"]);
    let region = &list["items"][3];
    let (status, changed) = app
        .patch(
            &format!("/api/v1/ticket-fields/{}", region["id"].as_str().unwrap()),
            &org.admin,
            json!({"options": ["华东", "华北", "华南"], "label": "Region 区域"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["options"], json!(["华东", "华北", "华南"]));
    assert_eq!(changed["type"], "select", "the type stays");
}

#[tokio::test]
async fn every_ticket_write_is_checked_and_values_are_stored_and_filtered() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    define_all(&app, &org).await;
    let (_, customer) = app
        .post("/api/v1/customers", &org.agent, json!({"name": "王芳"}))
        .await;

    // Create: unknown key, wrong type, option not in the list, required for this type missing.
    let (status, refused) = app
        .post(
            "/api/v1/tickets",
            &org.agent,
            json!({"subject": "投诉", "requester_id": customer["id"], "type": "complaint",
                   "custom_fields": {"nope": 1, "amount": "12", "region": "华南", "products": ["z"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(
        error_fields(&refused),
        [
            "custom_fields.amount",
            "custom_fields.nope",
            "custom_fields.order_no",
            "custom_fields.products",
            "custom_fields.region"
        ]
    );
    let (status, ticket) = app
        .post(
            "/api/v1/tickets",
            &org.agent,
            json!({"subject": "投诉", "requester_id": customer["id"], "type": "complaint",
                   "custom_fields": {"order_no": " SO-42 ", "amount": 99.5, "due": "2026-12-01",
                                     "region": "华东", "products": ["a", "b", "a"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let expected = json!({"order_no": "SO-42", "amount": 99.5, "due": "2026-12-01", "region": "华东", "products": ["a", "b"]});
    assert_eq!(ticket["custom_fields"], expected);
    let id = ticket["id"].as_str().unwrap();
    let (_, read) = app.get(&format!("/api/v1/tickets/{id}"), &org.agent).await;
    assert_eq!(read["custom_fields"], expected);
    let (_, other) = app
        .post(
            "/api/v1/tickets",
            &org.agent,
            json!({"subject": "问题", "requester_id": customer["id"], "custom_fields": {"region": "华北", "products": ["c"]}}),
        )
        .await;

    // Update: clearing a required field is refused, so is a bad date; a good change is stored.
    let path = format!("/api/v1/tickets/{id}");
    let (status, refused) = app
        .patch(
            &path,
            &org.agent,
            json!({"custom_fields": {"order_no": null, "due": "2026-02-30"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(
        error_fields(&refused),
        ["custom_fields.due", "custom_fields.order_no"]
    );
    // Becoming a complaint needs the field too.
    let other_id = other["id"].as_str().unwrap();
    let (status, refused) = app
        .patch(
            &format!("/api/v1/tickets/{other_id}"),
            &org.agent,
            json!({"type": "complaint"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(error_fields(&refused), ["custom_fields.order_no"]);
    let (status, updated) = app
        .patch(
            &path,
            &org.agent,
            json!({"custom_fields": {"amount": 100, "region": null}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["custom_fields"]["amount"], 100);
    assert!(updated["custom_fields"].get("region").is_none());
    assert_eq!(
        updated["custom_fields"]["order_no"], "SO-42",
        "keys left out stay"
    );

    // Bulk: a bad value refuses the whole request; a good one changes every ticket.
    let (status, refused) = app
        .post(
            "/api/v1/tickets/bulk-update",
            &org.agent,
            json!({"ids": [id, other_id], "patch": {"custom_fields": {"region": "火星"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(error_fields(&refused), ["custom_fields.region"]);
    let (status, bulk) = app
        .post(
            "/api/v1/tickets/bulk-update",
            &org.agent,
            json!({"ids": [id, other_id], "patch": {"custom_fields": {"region": "华北"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{bulk}");
    assert_eq!(bulk["updated"].as_array().unwrap().len(), 2, "{bulk}");
    // A bulk type change that one ticket cannot take without its required field.
    let (_, bulk) = app
        .post(
            "/api/v1/tickets/bulk-update",
            &org.agent,
            json!({"ids": [id, other_id], "patch": {"type": "complaint"}}),
        )
        .await;
    assert_eq!(bulk["updated"].as_array().unwrap().len(), 1, "{bulk}");
    assert_eq!(bulk["failed"][0]["id"], other_id);
    assert_eq!(bulk["failed"][0]["code"], "required");

    // Filters: a select, a multi-select option, a number; unknown parameters are refused.
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, page) = app
        .get(
            "/api/v1/tickets?field.region=%E5%8D%8E%E5%8C%97",
            &org.agent,
        )
        .await;
    assert_eq!(ids(&page).len(), 2, "{page}");
    let (_, page) = app
        .get("/api/v1/tickets?field.products=c", &org.agent)
        .await;
    assert_eq!(ids(&page), [other_id]);
    let (_, page) = app
        .get(
            "/api/v1/tickets?field.amount=100&field.products=a",
            &org.agent,
        )
        .await;
    assert_eq!(ids(&page), [id]);
    let (_, page) = app
        .get("/api/v1/tickets?field.products=a&status=solved", &org.agent)
        .await;
    assert!(ids(&page).is_empty());
    let (status, _) = app.get("/api/v1/tickets?bogus=1", &org.agent).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // An inactive field takes no new values, and is no longer required.
    let (_, list) = app.get("/api/v1/ticket-fields", &org.agent).await;
    let order_no = list["items"][0]["id"].as_str().unwrap().to_owned();
    app.patch(
        &format!("/api/v1/ticket-fields/{order_no}"),
        &org.admin,
        json!({"active": false}),
    )
    .await;
    let (status, refused) = app
        .patch(
            &path,
            &org.agent,
            json!({"custom_fields": {"order_no": "SO-43"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["details"]["errors"][0]["code"], "unknown_field");
    let (status, _) = app
        .patch(
            &format!("/api/v1/tickets/{other_id}"),
            &org.agent,
            json!({"type": "complaint"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}
