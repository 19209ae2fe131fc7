//! The knowledge base over HTTP: FAQ CRUD with events and revisions, who may write, the
//! matcher seeing an edit at once, bot settings validation, blank and over-long questions,
//! imports that are all or nothing with line errors, lossless export → import, and the demo.
use super::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, faq) = app.post("/api/v1/kb/faqs", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{faq}");
    faq
}

async fn ask(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    app.post("/api/v1/kb/match", token, body).await
}

/// Sends a raw file to the import endpoint.
pub async fn import(app: &TestApp, token: &str, format: &str, file: &str) -> (StatusCode, Value) {
    let response = app
        .http
        .post(format!("{}/api/v1/kb/import?format={format}", app.url))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body(file.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn export(app: &TestApp, token: &str, format: &str) -> String {
    let response = app
        .http
        .get(format!("{}/api/v1/kb/export?format={format}", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

#[tokio::test]
async fn faqs_are_written_by_supervisors_read_by_agents_with_events_and_history() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let faq = create(
        &app,
        &org.supervisor,
        json!({"question": " 怎么申请退货 ", "similar_questions": ["退货流程", "退货流程", ""],
               "answer": "在订单里点 **退货**", "tags": ["售后"], "language": "zh-CN",
               "variants": {"wechat": "微信里点退货"}}),
    )
    .await;
    assert_eq!(faq["question"], "怎么申请退货", "trimmed");
    assert_eq!(
        faq["similar_questions"],
        json!(["退货流程"]),
        "deduplicated"
    );
    assert_eq!(faq["status"], "published");
    let id = faq["id"].as_str().unwrap();

    let (status, denied) = app
        .post(
            "/api/v1/kb/faqs",
            &org.agent,
            json!({"question": "q", "answer": "a"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{denied}");
    let (status, seen) = app.get(&format!("/api/v1/kb/faqs/{id}"), &org.agent).await;
    assert_eq!(
        (status, &seen["answer"]),
        (StatusCode::OK, &json!("在订单里点 **退货**"))
    );
    let (_, list) = app.get("/api/v1/kb/faqs?q=退货流程", &org.agent).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    let (status, twin) = app
        .post(
            "/api/v1/kb/faqs",
            &org.admin,
            json!({"question": "怎么申请退货", "answer": "x"}),
        )
        .await;
    assert_eq!(
        (status, twin["code"].as_str()),
        (StatusCode::CONFLICT, Some("duplicate_question"))
    );
    let (status, bad) = app
        .post(
            "/api/v1/kb/faqs",
            &org.admin,
            json!({"question": "q", "answer": "  ", "variants": {"Web Chat": "x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let fields: Vec<&str> = bad["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["answer", "variants.Web Chat"]);

    let (status, updated) = app
        .patch(
            &format!("/api/v1/kb/faqs/{id}"),
            &org.admin,
            json!({"status": "draft", "language": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        (updated["status"].as_str(), &updated["language"]),
        (Some("draft"), &Value::Null)
    );
    assert_eq!(
        updated["similar_questions"],
        json!(["退货流程"]),
        "untouched"
    );
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/kb/faqs/{id}"),
            Some(&org.supervisor),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&format!("/api/v1/kb/faqs/{id}"), &org.agent).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, history) = app
        .get(&format!("/api/v1/kb/faqs/{id}/revisions"), &org.agent)
        .await;
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["deleted", "updated", "created"]);
    assert_eq!(history["items"][2]["actor_id"], json!(org.supervisor_id));

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
        ["kb.faq_created", "kb.faq_updated", "kb.faq_deleted"]
    );
}

#[tokio::test]
async fn the_matcher_sees_an_edit_within_a_second() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (status, empty) = ask(&app, &org.agent, json!({"question": "where is my parcel"})).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a tenant without FAQs gets no match: {empty}"
    );
    assert_eq!(empty["matches"], json!([]));
    assert_eq!(empty["reply"]["action"], "rephrase");

    create(
        &app,
        &org.supervisor,
        json!({"question": "Where is my parcel?", "similar_questions": ["track my package", "where is my delivery", "order tracking"],
               "answer": "See My orders.", "variants": {"wechat": "Open the mini program."}}),
    )
    .await;
    let password = create(
        &app,
        &org.supervisor,
        json!({"question": "How do I reset my password?", "similar_questions": ["forgot my password", "can't log in", "password reset link"],
               "answer": "Use Forgot password."}),
    )
    .await;
    let (_, found) = ask(
        &app,
        &org.agent,
        json!({"question": "I forgot my password", "limit": 2}),
    )
    .await;
    assert_eq!(found["matches"][0]["faq_id"], password["id"], "{found}");
    assert_eq!(found["matches"].as_array().unwrap().len(), 2);

    // A new FAQ is found by the next question, well within a second.
    let started = Instant::now();
    let refund = create(
        &app,
        &org.supervisor,
        json!({"question": "When will I get my refund?", "similar_questions": ["refund status", "how long does a refund take", "money back"],
               "answer": "In 3–7 days."}),
    )
    .await;
    let (_, found) = ask(
        &app,
        &org.agent,
        json!({"question": "what is my refund status"}),
    )
    .await;
    assert_eq!(found["matches"][0]["faq_id"], refund["id"], "{found}");
    assert!(started.elapsed() < Duration::from_secs(1));

    // A draft leaves the bot; the channel's variant is the answer given there.
    let (status, _) = app
        .patch(
            &format!("/api/v1/kb/faqs/{}", refund["id"].as_str().unwrap()),
            &org.supervisor,
            json!({"status": "draft"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, found) = ask(
        &app,
        &org.agent,
        json!({"question": "what is my refund status", "limit": 5}),
    )
    .await;
    assert!(
        found["matches"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["faq_id"] != refund["id"]),
        "{found}"
    );
    let (_, wechat) = ask(
        &app,
        &org.agent,
        json!({"question": "track my package", "channel": "wechat"}),
    )
    .await;
    assert_eq!(wechat["matches"][0]["answer"], "Open the mini program.");
    let (_, web) = ask(&app, &org.agent, json!({"question": "track my package"})).await;
    assert_eq!(web["matches"][0]["answer"], "See My orders.");

    // Blank is refused with a code; over-long is cut, not refused.
    for blank in ["", "   \n\t"] {
        let (status, err) = ask(&app, &org.agent, json!({"question": blank})).await;
        assert_eq!(
            (status, err["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("empty_question"))
        );
    }
    let long = format!("track my package {}", "x".repeat(600));
    let (status, cut) = ask(&app, &org.agent, json!({"question": long})).await;
    assert_eq!(status, StatusCode::OK, "{cut}");
    assert_eq!(cut["truncated"], true);
    assert_eq!(cut["question"].as_str().unwrap().chars().count(), 500);
    let (_, handoff) = ask(&app, &org.agent, json!({"question": "转人工"})).await;
    assert_eq!(
        (
            handoff["reply"]["action"].as_str(),
            handoff["reply"]["reason"].as_str()
        ),
        (Some("handoff"), Some("requested"))
    );
}

#[tokio::test]
async fn bot_settings_are_validated_field_by_field() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let (_, defaults) = app.get("/api/v1/kb/settings", &org.agent).await;
    assert_eq!(
        defaults,
        json!({"answer_threshold": 0.5, "margin": 0.15, "suggest_threshold": 0.15, "rephrase_attempts": 2, "max_choices": 3, "slot_attempts": 2})
    );
    for (body, field) in [
        (json!({"answer_threshold": 1.5}), "answer_threshold"),
        (json!({"margin": -0.1}), "margin"),
        (json!({"suggest_threshold": 0.9}), "suggest_threshold"),
        (json!({"max_choices": 1}), "max_choices"),
        (json!({"rephrase_attempts": 99}), "rephrase_attempts"),
        (json!({"slot_attempts": 0}), "slot_attempts"),
    ] {
        let (status, err) = app
            .call(
                Method::PUT,
                "/api/v1/kb/settings",
                Some(&org.admin),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_eq!(err["details"]["errors"][0]["field"], field, "{err}");
    }
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/kb/settings",
            Some(&org.agent),
            Some(json!({"margin": 0.2})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, saved) = app
        .call(
            Method::PUT,
            "/api/v1/kb/settings",
            Some(&org.supervisor),
            Some(json!({"answer_threshold": 0.75, "rephrase_attempts": 0})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (_, now) = app.get("/api/v1/kb/settings", &org.agent).await;
    assert_eq!(
        (
            now["answer_threshold"].as_f64(),
            now["rephrase_attempts"].as_u64()
        ),
        (Some(0.75), Some(0))
    );
    // The bot uses them at once: no rephrasing allowed, so a miss hands off.
    let (_, reply) = ask(&app, &org.agent, json!({"question": "something unknown"})).await;
    assert_eq!(reply["reply"]["action"], "handoff", "{reply}");
}

const GOOD_CSV: &str = "question,answer,category,tags,similar_questions\n\
怎么开发票,在订单里申请,财务/发票,invoice|finance,开票,发票怎么开\n\
\"How do I pay?\",\"We take cards, Alipay and WeChat Pay\",财务,,payment methods\n";

#[tokio::test]
async fn imports_are_all_or_nothing_with_line_errors() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let bad = "question,answer,status\n好的问题,好的回答,\n,没有问题,\n问题三,回答,maybe\n";
    let (status, err) = import(&app, &org.supervisor, "csv", bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["code"], "invalid_import");
    let lines: Vec<(u64, &str)> = err["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(lines, [(3, "question"), (4, "status")]);
    let (_, list) = app.get("/api/v1/kb/faqs", &org.agent).await;
    assert_eq!(
        list["items"],
        json!([]),
        "nothing of a bad file is imported"
    );

    let bad_jsonl = "{\"question\":\"q1\",\"answer\":\"a\"}\n{\"question\":\"q2\"}\n";
    let (status, err) = import(&app, &org.supervisor, "jsonl", bad_jsonl).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["details"]["errors"][0]["line"], 2);
    assert_eq!(err["details"]["errors"][0]["field"], "answer");

    let (status, _) = import(&app, &org.agent, "csv", GOOD_CSV).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, done) = import(&app, &org.supervisor, "csv", GOOD_CSV).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        done,
        json!({"created": 2, "updated": 0, "categories_created": 2})
    );
    let (_, list) = app.get("/api/v1/kb/faqs", &org.agent).await;
    assert_eq!(
        list["items"][0]["similar_questions"],
        json!(["开票", "发票怎么开"])
    );
    assert_eq!(list["items"][0]["tags"], json!(["invoice", "finance"]));
    let again = GOOD_CSV.replace("在订单里申请", "在订单详情里申请");
    let (_, done) = import(&app, &org.supervisor, "csv", &again).await;
    assert_eq!(
        done,
        json!({"created": 0, "updated": 2, "categories_created": 0})
    );
    let (_, found) = ask(&app, &org.agent, json!({"question": "发票怎么开"})).await;
    assert_eq!(found["matches"][0]["answer"], "在订单详情里申请", "{found}");
    let (status, err) = import(&app, &org.supervisor, "xml", GOOD_CSV).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_format"))
    );
}

#[tokio::test]
async fn export_then_import_is_lossless_in_both_formats() {
    let app = spawn_app().await;
    let a = app.org("acme").await;
    let (status, _) = import(&app, &a.supervisor, "csv", GOOD_CSV).await;
    assert_eq!(status, StatusCode::OK);
    create(
        &app,
        &a.supervisor,
        json!({"question": "Draft, with \"quotes\"", "answer": "line one\nline two, | pipes",
               "similar_questions": ["a, b", "c|d"], "status": "draft", "language": "en",
               "variants": {"wechat": "微信", "email": "Dear customer"}}),
    )
    .await;
    for format in ["csv", "jsonl"] {
        let exported = export(&app, &a.supervisor, format).await;
        let b = app.org(&format!("globex-{format}")).await;
        let (status, done) = import(&app, &b.supervisor, format, &exported).await;
        assert_eq!(status, StatusCode::OK, "{done}: {exported}");
        assert_eq!(done["created"], 3);
        assert_eq!(export(&app, &b.supervisor, format).await, exported);
        let strip = |list: Value| -> Vec<Value> {
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    json!([
                        f["question"],
                        f["answer"],
                        f["similar_questions"],
                        f["tags"],
                        f["language"],
                        f["status"],
                        f["variants"]
                    ])
                })
                .collect()
        };
        let (_, from_a) = app.get("/api/v1/kb/faqs", &a.agent).await;
        let (_, from_b) = app.get("/api/v1/kb/faqs", &b.agent).await;
        assert_eq!(strip(from_a), strip(from_b));
        let (_, categories) = app.get("/api/v1/kb/categories", &b.agent).await;
        assert_eq!(categories.as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn the_demo_bot_answers_chinese_and_english() {
    let app = spawn_app().await;
    kefu_server::demo::seed(&app.store).await.unwrap();
    let admin = app
        .login("admin@demo.kefu.dev", kefu_server::demo::DEMO_PASSWORD)
        .await;
    let (_, list) = app.get("/api/v1/kb/faqs?limit=200", &admin).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 57);
    for (question, expected) in [
        ("我的快递到哪了", "我的快递到哪了"),
        ("怎么开发票", "怎么开发票"),
        ("How do I return an item?", "How do I return an item?"),
        ("I forgot my password", "How do I reset my password?"),
    ] {
        let (_, reply) = ask(&app, &admin, json!({"question": question})).await;
        assert_eq!(reply["reply"]["action"], "answer", "{question}: {reply}");
        assert_eq!(reply["reply"]["answer"]["question"], expected, "{reply}");
    }
    // Seeding again adds nothing.
    kefu_server::demo::seed(&app.store).await.unwrap();
    let (_, list) = app.get("/api/v1/kb/faqs?limit=200", &admin).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 57);
}
