//! Knowledge-base articles over HTTP: CRUD, publishing, filters, events and revisions, who may
//! write, tenants kept apart on every endpoint; the full-text search over articles and FAQs; and
//! the public help center, which only ever shows one tenant's published content.
use super::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, article) = app.post("/api/v1/kb/articles", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{article}");
    article
}

async fn delete(app: &TestApp, path: &str, token: &str) -> StatusCode {
    app.call(Method::DELETE, path, Some(token), None).await.0
}

fn fields(error: &Value) -> Vec<&str> {
    error["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect()
}

fn ids(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn articles_are_written_by_supervisors_read_by_agents_with_events_and_history() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let article = create(
        &app,
        &org.supervisor,
        json!({"title": " 如何申请退货 ", "body": "## 步骤\n\n1. 打开订单\n", "tags": ["售后", "售后", " "],
               "language": "zh-CN"}),
    )
    .await;
    assert_eq!(article["title"], "如何申请退货", "trimmed");
    assert_eq!(article["tags"], json!(["售后"]), "deduplicated");
    assert_eq!(
        (article["status"].as_str(), &article["published_at"]),
        (Some("draft"), &Value::Null),
        "a draft by default"
    );
    assert_eq!(article["created_by"], json!(org.supervisor_id));
    let id = article["id"].as_str().unwrap();
    let path = format!("/api/v1/kb/articles/{id}");

    let (status, denied) = app
        .post(
            "/api/v1/kb/articles",
            &org.agent,
            json!({"title": "t", "language": "en"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{denied}");
    let (status, denied) = app.patch(&path, &org.agent, json!({"title": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{denied}");
    let (status, _) = app
        .post(&format!("{path}/publish"), &org.agent, json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(delete(&app, &path, &org.agent).await, StatusCode::FORBIDDEN);
    let (status, seen) = app.get(&path, &org.agent).await;
    assert_eq!(
        (status, &seen["title"]),
        (StatusCode::OK, &json!("如何申请退货"))
    );

    let (status, updated) = app
        .patch(
            &path,
            &org.supervisor,
            json!({"body": "在订单页点 **退货**", "tags": ["退货"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        (
            updated["revision"].as_i64(),
            &updated["tags"],
            &updated["updated_by"]
        ),
        (Some(2), &json!(["退货"]), &json!(org.supervisor_id))
    );
    let (status, published) = app
        .post(&format!("{path}/publish"), &org.supervisor, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_string());
    let (_, again) = app
        .post(&format!("{path}/publish"), &org.supervisor, json!({}))
        .await;
    assert_eq!(
        again["revision"], published["revision"],
        "publishing twice changes nothing"
    );
    let (status, draft) = app
        .post(&format!("{path}/unpublish"), &org.supervisor, json!({}))
        .await;
    assert_eq!(
        (status, draft["status"].as_str(), &draft["published_at"]),
        (StatusCode::OK, Some("draft"), &Value::Null)
    );
    assert_eq!(
        delete(&app, &path, &org.supervisor).await,
        StatusCode::NO_CONTENT
    );
    let (status, gone) = app.get(&path, &org.agent).await;
    assert_eq!(
        (status, gone["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("article_not_found"))
    );

    let (_, history) = app.get(&format!("{path}/revisions"), &org.agent).await;
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["deleted", "unpublished", "published", "updated", "created"]
    );
    assert_eq!(history["items"][4]["actor_id"], json!(org.supervisor_id));
    assert_eq!(
        history["items"][3]["snapshot"]["body"],
        "在订单页点 **退货**"
    );

    let (_, events) = app
        .get("/api/v1/events?after=0&limit=1000", &org.owner)
        .await;
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .filter(|k| k.starts_with("kb."))
        .collect();
    assert_eq!(
        kinds,
        [
            "kb.article_created",
            "kb.article_updated",
            "kb.article_updated",
            "kb.article_updated",
            "kb.article_deleted"
        ]
    );
}

#[tokio::test]
async fn invalid_articles_are_422_naming_each_field_and_unknown_ids_404() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let seq_before = app.store.last_event_seq(org.tenant.id).await.unwrap();
    let (status, bad) = app
        .post(
            "/api/v1/kb/articles",
            &org.admin,
            json!({"title": "  ", "body": "", "language": "fr", "tags": ["x".repeat(51)],
                   "status": "published"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(fields(&bad), ["title", "body", "tags", "language"]);
    assert_eq!(bad["code"], "required");
    let (status, bad) = app
        .post(
            "/api/v1/kb/articles",
            &org.admin,
            json!({"title": "t".repeat(201), "language": "en",
                   "category_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(fields(&bad), ["title"]);
    let (status, bad) = app
        .post(
            "/api/v1/kb/articles",
            &org.admin,
            json!({"title": "t", "language": "en", "category_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_category"))
    );
    assert_eq!(fields(&bad), ["category_id"]);
    let (status, bad) = app
        .post(
            "/api/v1/kb/articles",
            &org.admin,
            json!({"title": "t", "language": "en", "colour": "red"}),
        )
        .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_field")),
        "unknown fields are refused"
    );

    let empty = create(
        &app,
        &org.admin,
        json!({"title": "empty", "language": "en"}),
    )
    .await;
    let (status, bad) = app
        .post(
            &format!(
                "/api/v1/kb/articles/{}/publish",
                empty["id"].as_str().unwrap()
            ),
            &org.admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(fields(&bad), ["body"]);
    assert_eq!(
        app.store.last_event_seq(org.tenant.id).await.unwrap(),
        seq_before + 1,
        "only the valid create wrote an event"
    );

    let unknown = format!("/api/v1/kb/articles/{}", uuid::Uuid::now_v7());
    for (method, path) in [
        (Method::GET, unknown.clone()),
        (Method::PATCH, unknown.clone()),
        (Method::DELETE, unknown.clone()),
        (Method::POST, format!("{unknown}/publish")),
        (Method::POST, format!("{unknown}/unpublish")),
        (Method::GET, format!("{unknown}/revisions")),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"title": "x"}));
        let (status, error) = app
            .call(method.clone(), &path, Some(&org.admin), body)
            .await;
        assert_eq!(
            (status, error["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("article_not_found")),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn the_list_filters_by_status_category_language_and_tag() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (_, parent) = app
        .post("/api/v1/kb/categories", &org.admin, json!({"name": "售后"}))
        .await;
    let (_, child) = app
        .post(
            "/api/v1/kb/categories",
            &org.admin,
            json!({"name": "退货", "parent_id": parent["id"]}),
        )
        .await;
    let returns = create(
        &app,
        &org.admin,
        json!({"title": "退货", "body": "b", "language": "zh-CN", "category_id": child["id"],
               "tags": ["退货", "售后"], "status": "published"}),
    )
    .await;
    let shipping = create(
        &app,
        &org.admin,
        json!({"title": "Shipping", "body": "b", "language": "en", "tags": ["logistics"]}),
    )
    .await;
    let all = [
        returns["id"].as_str().unwrap(),
        shipping["id"].as_str().unwrap(),
    ];
    for (query, expected) in [
        ("", &all[..]),
        ("?status=published", &all[..1]),
        ("?status=draft", &all[1..]),
        (
            &format!("?category_id={}", parent["id"].as_str().unwrap()),
            &all[..1],
        ),
        ("?language=en", &all[1..]),
        ("?tag=售后", &all[..1]),
        ("?tag=logistics&language=en", &all[1..]),
        ("?tag=nothing", &[]),
        ("?q=SHIPPING", &all[1..]),
    ] {
        let (status, list) = app
            .get(&format!("/api/v1/kb/articles{query}"), &org.agent)
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {list}");
        assert_eq!(ids(&list), expected, "{query}");
    }
    let (status, bad) = app.get("/api/v1/kb/articles?status=gone", &org.agent).await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query"))
    );
    let (_, page) = app.get("/api/v1/kb/articles?limit=1", &org.agent).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(
            &format!("/api/v1/kb/articles?limit=1&cursor={cursor}"),
            &org.agent,
        )
        .await;
    assert_eq!(ids(&rest), &all[1..]);

    let status = delete(
        &app,
        &format!("/api/v1/kb/categories/{}", child["id"].as_str().unwrap()),
        &org.admin,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a category holding an article stays"
    );
    let (status, moved) = app
        .patch(
            &format!("/api/v1/kb/articles/{}", all[0]),
            &org.admin,
            json!({"category_id": null}),
        )
        .await;
    assert_eq!(
        (status, &moved["category_id"]),
        (StatusCode::OK, &Value::Null)
    );
    let status = delete(
        &app,
        &format!("/api/v1/kb/categories/{}", child["id"].as_str().unwrap()),
        &org.admin,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn tenants_never_see_or_touch_each_others_articles() {
    let app = spawn_app().await;
    let acme = app.org("acme").await;
    let other = app.org("globex").await;
    let (_, category) = app
        .post(
            "/api/v1/kb/categories",
            &acme.admin,
            json!({"name": "售后"}),
        )
        .await;
    let article = create(
        &app,
        &acme.admin,
        json!({"title": "退货", "body": "b", "language": "zh-CN", "status": "published"}),
    )
    .await;
    let path = format!("/api/v1/kb/articles/{}", article["id"].as_str().unwrap());
    for (method, path, body) in [
        (Method::GET, path.clone(), None),
        (Method::PATCH, path.clone(), Some(json!({"title": "mine"}))),
        (Method::POST, format!("{path}/publish"), Some(json!({}))),
        (Method::POST, format!("{path}/unpublish"), Some(json!({}))),
        (Method::GET, format!("{path}/revisions"), None),
        (Method::DELETE, path.clone(), None),
    ] {
        let (status, error) = app
            .call(method.clone(), &path, Some(&other.owner), body)
            .await;
        assert_eq!(
            (status, error["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("article_not_found")),
            "{method} {path}"
        );
    }
    let (_, list) = app.get("/api/v1/kb/articles", &other.owner).await;
    assert_eq!(ids(&list), Vec::<&str>::new());
    let (status, error) = app
        .post(
            "/api/v1/kb/articles",
            &other.owner,
            json!({"title": "t", "language": "en", "category_id": category["id"]}),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_category")),
        "another tenant's category is unknown"
    );
    let (_, mine) = app.get(&path, &acme.agent).await;
    assert_eq!(
        (mine["title"].as_str(), mine["revision"].as_i64()),
        (Some("退货"), Some(1))
    );
}

/// Polls a search until `found` holds (the index follows the event log), at most two seconds.
async fn search_until(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    found: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let (status, body) = app.call(Method::GET, path, token, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        if found(&body) || Instant::now() > deadline {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn hit_ids(result: &Value) -> Vec<&str> {
    result["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect()
}

/// The characters a hit's highlight ranges cover.
fn marked(text: &Value) -> Vec<String> {
    let chars: Vec<char> = text["text"].as_str().unwrap().chars().collect();
    text["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let (a, b) = (
                r[0].as_u64().unwrap() as usize,
                r[1].as_u64().unwrap() as usize,
            );
            chars[a..b].iter().collect()
        })
        .collect()
}

#[tokio::test]
async fn search_finds_articles_and_faqs_keeps_in_step_and_shows_drafts_to_editors_only() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let other = app.org("globex").await;
    let faq = app
        .post(
            "/api/v1/kb/faqs",
            &org.admin,
            json!({"question": "快递多久能到", "similar_questions": ["几天能收到货"],
                   "answer": "一般 3 天内送达。"}),
        )
        .await
        .1;
    let (_, none) = app.get("/api/v1/kb/search?q=退货", &org.agent).await;
    assert_eq!(
        hit_ids(&none),
        Vec::<&str>::new(),
        "the index is built on first use"
    );

    let draft = create(
        &app,
        &org.admin,
        json!({"title": "如何申请退货", "body": "在 **我的订单** 里点击申请退货。", "language": "zh-CN"}),
    )
    .await;
    let draft_id = draft["id"].as_str().unwrap();
    let editors = search_until(
        &app,
        "/api/v1/kb/search?q=退货",
        Some(&org.supervisor),
        |r| !hit_ids(r).is_empty(),
    )
    .await;
    assert_eq!(
        hit_ids(&editors),
        [draft_id],
        "an edit is searchable within two seconds"
    );
    let hit = &editors["hits"][0];
    assert_eq!(
        (hit["kind"].as_str(), hit["status"].as_str()),
        (Some("article"), Some("draft"))
    );
    assert_eq!(marked(&hit["title"]), ["退货"]);
    // Plain text (no `**`); tantivy ends a fragment at its last matched word.
    assert_eq!(hit["snippet"]["text"], "在 我的订单 里点击申请退货");
    assert_eq!(marked(&hit["snippet"]), ["退货"]);
    let (_, agents) = app.get("/api/v1/kb/search?q=退货", &org.agent).await;
    assert_eq!(hit_ids(&agents), Vec::<&str>::new(), "agents see no drafts");

    app.post(
        &format!("/api/v1/kb/articles/{draft_id}/publish"),
        &org.admin,
        json!({}),
    )
    .await;
    let agents = search_until(
        &app,
        "/api/v1/kb/search?q=申请退货",
        Some(&org.agent),
        |r| !hit_ids(r).is_empty(),
    )
    .await;
    assert_eq!(hit_ids(&agents), [draft_id]);
    let faqs = app
        .get("/api/v1/kb/search?q=几天收到&kind=faq", &org.agent)
        .await
        .1;
    assert_eq!(
        hit_ids(&faqs),
        [faq["id"].as_str().unwrap()],
        "similar questions are searched"
    );
    let (_, elsewhere) = app.get("/api/v1/kb/search?q=退货", &other.owner).await;
    assert_eq!(
        hit_ids(&elsewhere),
        Vec::<&str>::new(),
        "another tenant's index"
    );

    // A synonym added to the vocabulary rebuilds the index: 物流 now finds 快递.
    app.post(
        "/api/v1/kb/vocabulary",
        &org.admin,
        json!({"term": "快递", "synonyms": ["物流"]}),
    )
    .await;
    let synonyms = search_until(&app, "/api/v1/kb/search?q=物流", Some(&org.agent), |r| {
        !hit_ids(r).is_empty()
    })
    .await;
    assert_eq!(hit_ids(&synonyms), [faq["id"].as_str().unwrap()]);

    assert_eq!(
        delete(&app, &format!("/api/v1/kb/articles/{draft_id}"), &org.admin).await,
        StatusCode::NO_CONTENT
    );
    let gone = search_until(
        &app,
        "/api/v1/kb/search?q=退货",
        Some(&org.supervisor),
        |r| hit_ids(r).is_empty(),
    )
    .await;
    assert_eq!(
        hit_ids(&gone),
        Vec::<&str>::new(),
        "deleted articles leave the index"
    );

    for (query, code) in [
        ("q=%20", "empty_query"),
        ("q=x&lang=fr", "invalid_query"),
        ("q=x&limit=0", "invalid_limit"),
        ("q=x&kind=page", "invalid_query"),
    ] {
        let (status, error) = app
            .get(&format!("/api/v1/kb/search?{query}"), &org.agent)
            .await;
        assert_eq!(
            (status, error["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{query}"
        );
    }
    let (status, _) = app
        .call(Method::GET, "/api/v1/kb/search?q=x", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn english_and_mixed_queries_are_stemmed_and_filtered_by_language() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let english = create(
        &app,
        &org.admin,
        json!({"title": "Refund policy", "body": "Refunds go back to the original payment method.",
               "language": "en", "status": "published"}),
    )
    .await;
    let chinese = create(
        &app,
        &org.admin,
        json!({"title": "退款规则", "body": "退款原路返回。", "language": "zh-CN", "status": "published"}),
    )
    .await;
    let both = search_until(
        &app,
        "/api/v1/kb/search?q=refunding%20退款",
        Some(&org.agent),
        |r| hit_ids(r).len() == 2,
    )
    .await;
    let mut found = hit_ids(&both);
    found.sort();
    let mut expected = [
        english["id"].as_str().unwrap(),
        chinese["id"].as_str().unwrap(),
    ];
    expected.sort();
    assert_eq!(found, expected, "a mixed query finds both languages");
    let (_, only_en) = app
        .get("/api/v1/kb/search?q=refunding%20退款&lang=en", &org.agent)
        .await;
    assert_eq!(hit_ids(&only_en), [english["id"].as_str().unwrap()]);
    assert_eq!(marked(&only_en["hits"][0]["title"]), ["Refund"]);
}

#[tokio::test]
async fn the_help_center_shows_only_published_content_of_its_tenant() {
    let app = spawn_app().await;
    let acme = app.org("acme").await;
    let other = app.org("globex").await;
    let (_, category) = app
        .post(
            "/api/v1/kb/categories",
            &acme.admin,
            json!({"name": "售后"}),
        )
        .await;
    let (_, unused) = app
        .post(
            "/api/v1/kb/categories",
            &acme.admin,
            json!({"name": "内部"}),
        )
        .await;
    let published = create(
        &app,
        &acme.admin,
        json!({"title": "如何申请退货", "body": "在订单页申请退货。", "language": "zh-CN",
               "category_id": category["id"], "status": "published"}),
    )
    .await;
    let draft = create(
        &app,
        &acme.admin,
        json!({"title": "退货新规（草稿）", "body": "未公开的退货规则。", "language": "zh-CN"}),
    )
    .await;
    let foreign = create(
        &app,
        &other.admin,
        json!({"title": "退货须知", "body": "别家的退货说明。", "language": "zh-CN", "status": "published"}),
    )
    .await;
    let (_, draft_faq) = app
        .post(
            "/api/v1/kb/faqs",
            &acme.admin,
            json!({"question": "退货运费谁出", "answer": "内部草稿", "status": "draft"}),
        )
        .await;
    let (_, faq) = app
        .post(
            "/api/v1/kb/faqs",
            &acme.admin,
            json!({"question": "退货要多久", "answer": "3 天内处理。", "category_id": category["id"]}),
        )
        .await;

    let (status, home) = app.call(Method::GET, "/api/v1/help/acme", None, None).await;
    assert_eq!(status, StatusCode::OK, "{home}");
    assert_eq!(home["name"], acme.tenant.name);
    let titles: Vec<&str> = home["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["如何申请退货"]);
    let names: Vec<&str> = home["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["售后"],
        "categories without published content stay private"
    );
    assert!(unused["id"].is_string());

    let id = published["id"].as_str().unwrap();
    let (status, article) = app
        .call(
            Method::GET,
            &format!("/api/v1/help/acme/articles/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(
        (status, article["body"].as_str()),
        (StatusCode::OK, Some("在订单页申请退货。"))
    );
    for (path, code) in [
        (
            format!(
                "/api/v1/help/acme/articles/{}",
                draft["id"].as_str().unwrap()
            ),
            "article_not_found",
        ),
        (
            format!(
                "/api/v1/help/acme/articles/{}",
                foreign["id"].as_str().unwrap()
            ),
            "article_not_found",
        ),
        (
            format!("/api/v1/help/globex/articles/{id}"),
            "article_not_found",
        ),
        (
            format!(
                "/api/v1/help/acme/faqs/{}",
                draft_faq["id"].as_str().unwrap()
            ),
            "faq_not_found",
        ),
        ("/api/v1/help/nobody".to_owned(), "help_center_not_found"),
        (
            "/api/v1/help/nobody/search?q=退货".to_owned(),
            "help_center_not_found",
        ),
        (
            format!("/api/v1/help/nobody/articles/{id}"),
            "help_center_not_found",
        ),
    ] {
        let (status, error) = app.call(Method::GET, &path, None, None).await;
        assert_eq!(
            (status, error["code"].as_str()),
            (StatusCode::NOT_FOUND, Some(code)),
            "{path}"
        );
    }
    let (status, shown) = app
        .call(
            Method::GET,
            &format!("/api/v1/help/acme/faqs/{}", faq["id"].as_str().unwrap()),
            None,
            None,
        )
        .await;
    assert_eq!(
        (status, shown["answer"].as_str()),
        (StatusCode::OK, Some("3 天内处理。"))
    );
    let (_, listed) = app
        .call(
            Method::GET,
            &format!(
                "/api/v1/help/acme/faqs?category_id={}",
                category["id"].as_str().unwrap()
            ),
            None,
            None,
        )
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    let found = search_until(&app, "/api/v1/help/acme/search?q=退货", None, |r| {
        hit_ids(r).len() >= 2
    })
    .await;
    let mut ids = hit_ids(&found);
    ids.sort();
    let mut expected = [id, faq["id"].as_str().unwrap()];
    expected.sort();
    assert_eq!(
        ids, expected,
        "published articles and FAQs only, of this tenant only"
    );
    assert!(
        found["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["status"] == "published"),
        "{found}"
    );
}

#[tokio::test]
async fn the_public_search_is_rate_limited_per_address() {
    let app = spawn_app().await;
    let _org = app.org("acme").await;
    let mut limited = None;
    for n in 0..130 {
        let (status, body) = app
            .call(Method::GET, "/api/v1/help/acme/search?q=x", None, None)
            .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((n, body["code"].clone()));
            break;
        }
    }
    assert_eq!(limited, Some((120, json!("rate_limited"))));
}
