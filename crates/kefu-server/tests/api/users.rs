use super::spawn_app;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn admins_manage_agents_with_skills_groups_and_capacities() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (status, group) = app
        .post(
            "/api/v1/groups",
            &org.admin,
            json!({"name": "售后", "description": "after-sales"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let body = json!({
        "email": " Li.Na@Acme.test ", "display_name": "李娜", "role": "agent", "password": "agent-password",
        "languages": ["zh_cn", "en"], "skills": [{"skill": "Returns", "proficiency": 4}],
        "capacities": {"voice": 1, "chat": 6}, "group_ids": [group["id"]]
    });
    let (status, user) = app.post("/api/v1/users", &org.admin, body).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["email"], "li.na@acme.test");
    assert_eq!(user["languages"], json!(["zh-CN", "en"]));
    assert_eq!(
        user["skills"],
        json!([{"skill": "returns", "proficiency": 4}])
    );
    assert_eq!(user["capacities"], json!({"voice": 1, "chat": 6}));
    assert_eq!(user["presence"], "offline");
    app.login("li.na@acme.test", "agent-password").await;

    let id = user["id"].as_str().unwrap();
    let (status, updated) = app
        .patch(
            &format!("/api/v1/users/{id}"),
            &org.admin,
            json!({"skills": [{"skill": "billing", "proficiency": 5}], "role": "supervisor"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["role"], "supervisor");
    assert_eq!(
        updated["skills"],
        json!([{"skill": "billing", "proficiency": 5}])
    );
    assert_eq!(
        updated["capacities"],
        json!({"voice": 1, "chat": 6}),
        "untouched fields stay"
    );

    let (status, listed) = app
        .get(
            &format!(
                "/api/v1/users?skill=billing&group_id={}",
                group["id"].as_str().unwrap()
            ),
            &org.agent,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    let (status, audit) = app
        .get(&format!("/api/v1/audit?entity_id={id}"), &org.admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<_> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user.created", "user.updated"]);
    assert_eq!(audit["items"][1]["before_state"]["role"], "agent");
    assert!(audit["items"][1]["actor_id"].is_string());

    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{id}"),
            Some(&org.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "li.na@acme.test", "password": "agent-password"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a deactivated user cannot sign in"
    );
}

#[tokio::test]
async fn invalid_agent_profiles_list_every_bad_field() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let body = json!({"email": "x@acme.test", "display_name": "X", "role": "agent",
        "skills": [{"skill": "a", "proficiency": 9}], "capacities": {"chat": 0}, "languages": ["??"]});
    let (status, err) = app.post("/api/v1/users", &org.admin, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<_> = err["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["skills[0].proficiency", "languages[0]", "capacities.chat"]
    );
    let (status, err) = app
        .post(
            "/api/v1/users",
            &org.admin,
            json!({"email": "agent@acme.test", "display_name": "dup", "role": "agent"}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("email_taken"))
    );
    let (status, err) = app.post("/api/v1/users", &org.admin, json!({"email": "x@acme.test", "display_name": "X", "role": "agent", "group_ids": [uuid::Uuid::nil()]})).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_group"))
    );
}

#[tokio::test]
async fn role_checks_on_user_administration() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let new_agent = json!({"email": "n@acme.test", "display_name": "N", "role": "agent"});
    let (status, _) = app
        .post("/api/v1/users", &org.agent, new_agent.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post("/api/v1/users", &org.supervisor, new_agent).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            "/api/v1/users",
            &org.admin,
            json!({"email": "o@acme.test", "display_name": "O", "role": "owner"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins cannot make owners");
    let (status, _) = app
        .post(
            "/api/v1/users",
            &org.owner,
            json!({"email": "o@acme.test", "display_name": "O", "role": "owner"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, me) = app.get("/api/v1/auth/me", &org.admin).await;
    let admin_id = me["user"]["id"].as_str().unwrap();
    let (status, err) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{admin_id}"),
            Some(&org.admin),
            None,
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("cannot_deactivate_self")
        )
    );
}

#[tokio::test]
async fn agents_set_their_own_presence_supervisors_anyones() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let path = format!("/api/v1/users/{}/presence", org.agent_id);
    let (status, user) = app
        .call(
            Method::PUT,
            &path,
            Some(&org.agent),
            Some(json!({"state": "away", "reason": "lunch"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (user["presence"].as_str(), user["away_reason"].as_str()),
        (Some("away"), Some("lunch"))
    );
    let (status, err) = app
        .call(
            Method::PUT,
            &path,
            Some(&org.agent),
            Some(json!({"state": "away"})),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("required"))
    );
    let (status, _) = app
        .call(
            Method::PUT,
            &path,
            Some(&org.agent),
            Some(json!({"state": "napping"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, me) = app.get("/api/v1/auth/me", &org.supervisor).await;
    let supervisor_path = format!(
        "/api/v1/users/{}/presence",
        me["user"]["id"].as_str().unwrap()
    );
    let (status, _) = app
        .call(
            Method::PUT,
            &supervisor_path,
            Some(&org.agent),
            Some(json!({"state": "offline"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            Method::PUT,
            &path,
            Some(&org.supervisor),
            Some(json!({"state": "offline"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn api_tokens_are_shown_once_scoped_and_revocable() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (status, created) = app
        .post(
            "/api/v1/api-tokens",
            &org.admin,
            json!({"name": "CRM", "scopes": ["customers:read"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("kfp_"));
    let (_, listed) = app.get("/api/v1/api-tokens", &org.admin).await;
    assert!(
        !listed.to_string().contains(&token),
        "the secret is never shown again"
    );
    assert_eq!(
        listed["items"][0]["token_prefix"].as_str().unwrap(),
        &token[..10]
    );

    let (status, _) = app.get("/api/v1/customers", &token).await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = app
        .post("/api/v1/customers", &token, json!({"name": "x"}))
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, _) = app.get("/api/v1/api-tokens", &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "tokens cannot manage tokens");
    let (status, _) = app.get("/api/v1/users", &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no users:read scope");

    let (status, err) = app
        .post(
            "/api/v1/api-tokens",
            &org.admin,
            json!({"name": "x", "scopes": ["everything"]}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field"))
    );
    let (status, _) = app
        .post(
            "/api/v1/api-tokens",
            &org.supervisor,
            json!({"name": "x", "scopes": ["customers:read"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, revoked) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/api-tokens/{}", created["id"].as_str().unwrap()),
            Some(&org.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(revoked["revoked_at"].is_string());
    let (status, _) = app.get("/api/v1/customers", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tenant_settings_are_validated() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let good = json!({"settings": {"tiers": ["normal", "gold", "vip"], "timezone": "Asia/Shanghai", "locale": "zh-CN", "business_hours": {"mon": [["09:00", "18:00"]]}}});
    let (status, tenant) = app.patch("/api/v1/tenant", &org.admin, good).await;
    assert_eq!(status, StatusCode::OK, "{tenant}");
    assert_eq!(
        tenant["settings"]["tiers"],
        json!(["normal", "gold", "vip"])
    );
    assert_eq!(
        tenant["settings"]["service_level_goal"],
        json!({"target_percent": 80, "threshold_secs": 20}),
        "the 80/20 goal unless set"
    );
    let goal = json!({"settings": {"tiers": ["normal"], "timezone": "UTC", "locale": "en",
        "service_level_goal": {"target_percent": 90, "threshold_secs": 30}}});
    let (status, tenant) = app.patch("/api/v1/tenant", &org.admin, goal).await;
    assert_eq!(status, StatusCode::OK, "{tenant}");
    assert_eq!(
        tenant["settings"]["service_level_goal"]["target_percent"],
        90
    );
    let (status, err) = app
        .patch(
            "/api/v1/tenant",
            &org.admin,
            json!({"settings": {"service_level_goal": {"target_percent": 0, "threshold_secs": 0}}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let fields: Vec<&str> = err["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "settings.service_level_goal.target_percent",
            "settings.service_level_goal.threshold_secs"
        ]
    );
    let bad = json!({"settings": {"tiers": ["normal"], "timezone": "UTC", "locale": "en", "business_hours": {"funday": [["18:00", "09:00"]]}}});
    let (status, err) = app.patch("/api/v1/tenant", &org.admin, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["details"]["errors"].as_array().unwrap().len(), 2);
    let (status, _) = app
        .patch("/api/v1/tenant", &org.supervisor, json!({"name": "x"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A tier the tenant no longer has is refused on customers.
    let (status, err) = app
        .post(
            "/api/v1/customers",
            &org.agent,
            json!({"name": "x", "tier": "silver"}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_tier"))
    );
}
