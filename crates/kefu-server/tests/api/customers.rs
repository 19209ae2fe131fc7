use super::spawn_app;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn one_customer_across_channels_with_lookup_merge_and_history() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (status, web) = app
        .post("/api/v1/customers", &org.agent, json!({"name": "访客 42", "identities": [{"kind": "web_visitor_id", "value": "v-42"}], "tags": ["web", "web", " "]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{web}");
    assert_eq!(web["tier"], "normal", "the lowest tier by default");
    assert_eq!(web["tags"], json!(["web"]));
    let (status, phone) = app
        .post(
            "/api/v1/customers",
            &org.agent,
            json!({"name": "陈先生", "tier": "Gold", "attributes": {"city": "广州", "orders": 3},
                   "identities": [{"kind": "phone", "value": "+86 137-0000-0000"}, {"kind": "email", "value": "Chen@Example.CN"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(phone["tier"], "gold");
    assert_eq!(phone["identities"][0]["value"], "+8613700000000");
    assert_eq!(phone["identities"][1]["value"], "chen@example.cn");

    // Recognised on another channel whatever way the number is written.
    let (status, found) = app
        .get(
            "/api/v1/customers/lookup?kind=phone&value=%2B86%20137%200000%200000",
            &org.agent,
        )
        .await;
    assert_eq!(
        (status, found["id"].clone()),
        (StatusCode::OK, phone["id"].clone())
    );
    let (status, err) = app
        .get("/api/v1/customers/lookup?kind=phone&value=abc", &org.agent)
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_identity"))
    );

    // A taken identity is refused with the holder named, and nothing is written.
    let (status, err) = app
        .post(
            "/api/v1/customers",
            &org.agent,
            json!({"name": "dup", "identities": [{"kind": "email", "value": "chen@example.cn"}]}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("identity_taken"))
    );
    assert_eq!(err["details"]["customer_id"], phone["id"]);
    let (_, all) = app.get("/api/v1/customers?q=dup", &org.agent).await;
    assert!(all["items"].as_array().unwrap().is_empty());

    let phone_id = phone["id"].as_str().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/v1/customers/{phone_id}/merge"),
            &org.agent,
            json!({"source_id": web["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "merging is for supervisors");
    let (status, merged) = app
        .post(
            &format!("/api/v1/customers/{phone_id}/merge"),
            &org.supervisor,
            json!({"source_id": web["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let kinds: Vec<_> = merged["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 3);
    assert!(kinds.contains(&"web_visitor_id"));
    assert_eq!(merged["tags"], json!(["web"]));
    let (_, by_visitor) = app
        .get(
            "/api/v1/customers/lookup?kind=web_visitor_id&value=v-42",
            &org.agent,
        )
        .await;
    assert_eq!(by_visitor["id"], phone["id"]);
    let (_, old) = app
        .get(
            &format!("/api/v1/customers/{}", web["id"].as_str().unwrap()),
            &org.agent,
        )
        .await;
    assert_eq!(old["merged_into"], phone["id"]);
    let (status, history) = app
        .get(&format!("/api/v1/customers/{phone_id}/history"), &org.agent)
        .await;
    assert_eq!(status, StatusCode::OK);
    let kinds: Vec<_> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                e["entity_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(kinds[0].0, "customer.merged");
    assert!(
        kinds.contains(&("customer.created", web["id"].as_str().unwrap())),
        "the merged record's history stays: {kinds:?}"
    );
}

#[tokio::test]
async fn customers_update_identities_and_delete() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (_, customer) = app
        .post(
            "/api/v1/customers",
            &org.agent,
            json!({"name": "Mike", "company": "Initech"}),
        )
        .await;
    let id = customer["id"].as_str().unwrap();
    let (status, updated) = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            &org.agent,
            json!({"company": null, "tags": ["vip-candidate"], "attributes": {"plan": "pro"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["company"], serde_json::Value::Null);
    assert_eq!(updated["attributes"], json!({"plan": "pro"}));
    assert_eq!(updated["name"], "Mike");
    let (status, with) = app
        .post(
            &format!("/api/v1/customers/{id}/identities"),
            &org.agent,
            json!({"kind": "wechat_openid", "value": "oAbc123"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let identity_id = with["identities"][0]["id"].as_str().unwrap();
    let (status, without) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/customers/{id}/identities/{identity_id}"),
            Some(&org.agent),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(without["identities"].as_array().unwrap().is_empty());
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/customers/{id}"),
            Some(&org.agent),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/customers/{id}"),
            Some(&org.supervisor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, err) = app
        .get(&format!("/api/v1/customers/{id}"), &org.agent)
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("customer_not_found"))
    );
}

#[tokio::test]
async fn lists_paginate_with_cursors_and_filter() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    for i in 0..7 {
        let tier = if i % 2 == 0 { "vip" } else { "normal" };
        app.post(
            "/api/v1/customers",
            &org.agent,
            json!({"name": format!("Customer {i}"), "tier": tier, "tags": [format!("t{i}")]}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = app
            .get(
                &format!("/api/v1/customers?limit=3&cursor={cursor}"),
                &org.agent,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        seen,
        (0..7).map(|i| format!("Customer {i}")).collect::<Vec<_>>()
    );
    let (_, vip) = app.get("/api/v1/customers?tier=vip", &org.agent).await;
    assert_eq!(vip["items"].as_array().unwrap().len(), 4);
    let (_, tagged) = app.get("/api/v1/customers?tag=t3", &org.agent).await;
    assert_eq!(tagged["items"][0]["name"], "Customer 3");
    for path in [
        "/api/v1/users?limit=2",
        "/api/v1/groups?limit=2",
        "/api/v1/audit?limit=2",
        "/api/v1/api-tokens?limit=2",
    ] {
        let (status, page) = app.get(path, &org.owner).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(page["items"].as_array().unwrap().len() <= 2, "{path}");
    }
    let (_, users) = app.get("/api/v1/users?limit=2", &org.owner).await;
    let (_, rest) = app
        .get(
            &format!(
                "/api/v1/users?limit=2&cursor={}",
                users["next_cursor"].as_str().unwrap()
            ),
            &org.owner,
        )
        .await;
    assert_eq!(
        rest["items"].as_array().unwrap().len(),
        2,
        "4 users in two pages"
    );
}
