//! The service bot in conversations against a real server: answers in Chinese and English from
//! the tenant's knowledge base, "did you mean" choices answered by FAQ id, rephrase counting
//! (kept over a restart) then handoff, "转人工" to the queue and an agent with the guesses,
//! retries answered once, "was this helpful?" once, and the bot's figures.

use super::routing::{agent, config, offered_to, set_presence, until};
use super::{Org, TestApp, spawn_app, spawn_app_with};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// A web inbox of the org with the bot on.
pub(super) async fn bot_inbox(app: &TestApp, org: &Org) -> String {
    let (status, inbox) = app
        .post(
            "/api/v1/inboxes",
            &org.admin,
            json!({"name": "智能客服", "channel": "web", "settings": {"bot_enabled": true}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inbox}");
    assert_eq!(inbox["settings"]["bot_enabled"], true);
    inbox["id"].as_str().unwrap().to_owned()
}

/// A visitor of the inbox with a new conversation: (conversation id, visitor token).
pub(super) async fn chat(app: &TestApp, inbox_id: &str) -> (String, String) {
    let visitor = app.visitor(inbox_id).await;
    let (status, conversation) = app
        .post("/api/v1/widget/conversations", &visitor, json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{conversation}");
    assert_eq!(conversation["status"], "bot", "{conversation}");
    (conversation["id"].as_str().unwrap().to_owned(), visitor)
}

/// The customer says `body` (with an optional client id and choice); the bot's reply after it.
pub(super) async fn say(app: &TestApp, visitor: &str, id: &str, body: Value) -> Value {
    let (status, sent) = app
        .post(
            &format!("/api/v1/widget/conversations/{id}/messages"),
            visitor,
            body,
        )
        .await;
    assert!(status.is_success(), "{sent}");
    let messages = messages(app, visitor, id).await;
    let at = messages
        .iter()
        .position(|m| m["id"] == sent["id"])
        .expect("the customer's message is stored");
    messages
        .get(at + 1)
        .cloned()
        .unwrap_or_else(|| panic!("no reply after {sent}: {messages:?}"))
}

pub(super) async fn messages(app: &TestApp, visitor: &str, id: &str) -> Vec<Value> {
    let (status, page) = app
        .get(
            &format!("/api/v1/widget/conversations/{id}/messages?limit=200"),
            visitor,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// The org's FAQ entries (knowledge base of branch kb): (question, similar, answer).
const FAQS: &[(&str, &[&str], &str)] = &[
    (
        "怎么申请退货",
        &["我想退货", "退货流程是什么", "如何办理退货退款"],
        "收到商品 7 天内可在“我的订单”中申请退货。",
    ),
    (
        "发票怎么开",
        &["如何开发票", "我要开增值税发票", "开票流程"],
        "请在订单详情页点击“申请开票”，电子发票会发送到您的邮箱。",
    ),
    (
        "快递多久能到",
        &["物流要几天", "什么时候发货", "几天能送到"],
        "现货商品 48 小时内发货，一般 2-4 天送达。",
    ),
    (
        "How do I reset my password",
        &[
            "forgot my password",
            "change my login password",
            "I cannot log in",
        ],
        "Tap \"Forgot password\" on the sign-in page and follow the email we send you.",
    ),
    (
        "Do you ship to Hong Kong",
        &[
            "international shipping",
            "can you deliver abroad",
            "shipping to Hong Kong",
        ],
        "Yes, we ship to Hong Kong, Macau and Taiwan; delivery takes 3-7 days.",
    ),
];

pub(super) async fn seed_faqs(app: &TestApp, org: &Org) {
    for (question, similar, answer) in FAQS {
        app.store
            .create_faq(
                org.tenant.id,
                kefu_store::NewFaq {
                    question: (*question).to_owned(),
                    similar_questions: similar.iter().map(|s| (*s).to_owned()).collect(),
                    answer: (*answer).to_owned(),
                    category_id: None,
                    tags: Vec::new(),
                    language: None,
                    status: kefu_store::FaqStatus::Published,
                    variants: Default::default(),
                },
                &kefu_store::Actor::system(),
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn the_bot_answers_known_questions_in_chinese_and_english() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    seed_faqs(&app, &org).await;
    let inbox = bot_inbox(&app, &org).await;
    let (id, visitor) = chat(&app, &inbox).await;

    let reply = say(&app, &visitor, &id, json!({"body": "我想退货，怎么弄？"})).await;
    assert_eq!(reply["sender_kind"], "bot", "{reply}");
    assert_eq!(reply["body"], FAQS[0].2);
    assert_eq!(reply["bot"]["action"], "answer");
    assert!(reply["bot"]["faq_id"].is_string());

    let reply = say(
        &app,
        &visitor,
        &id,
        json!({"body": "I forgot my password, what do I do?"}),
    )
    .await;
    assert_eq!(reply["body"], FAQS[3].2, "{reply}");
    assert_eq!(reply["bot"]["action"], "answer");

    // Still with the bot: nobody was offered it.
    let (_, conversation) = app
        .get(&format!("/api/v1/conversations/{id}"), &org.agent)
        .await;
    assert_eq!(conversation["status"], "bot");
    // A channel without the bot still queues at once.
    let plain = app.inbox(&org.admin).await;
    let plain_visitor = app.visitor(plain["id"].as_str().unwrap()).await;
    let (_, queued) = app
        .post("/api/v1/widget/conversations", &plain_visitor, json!({}))
        .await;
    assert_eq!(queued["status"], "queued");
}

#[tokio::test]
async fn a_did_you_mean_choice_is_answered_by_its_faq_id() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    seed_faqs(&app, &org).await;
    let inbox = bot_inbox(&app, &org).await;
    let (id, visitor) = chat(&app, &inbox).await;
    // The FAQ of the invoice question, by its id, whatever the text says.
    let invoice = say(&app, &visitor, &id, json!({"body": "发票怎么开"})).await;
    let invoice_faq = invoice["bot"]["faq_id"].as_str().unwrap().to_owned();
    let reply = say(
        &app,
        &visitor,
        &id,
        json!({"body": "快递多久能到", "faq_id": invoice_faq}),
    )
    .await;
    assert_eq!(reply["body"], FAQS[1].2, "{reply}");
    assert_eq!(reply["bot"]["faq_id"], invoice_faq.as_str());
    // An unknown id is ignored: the text is matched as usual.
    let reply = say(
        &app,
        &visitor,
        &id,
        json!({"body": "快递多久能到", "faq_id": uuid::Uuid::now_v7()}),
    )
    .await;
    assert_eq!(reply["body"], FAQS[2].2, "{reply}");
}

#[tokio::test]
async fn unclear_questions_are_asked_again_then_handed_off_even_across_a_restart() {
    let mut app = spawn_app_with(config(Duration::from_secs(30), 3)).await;
    let org = app.org("acme").await;
    seed_faqs(&app, &org).await;
    let inbox = bot_inbox(&app, &org).await;
    let (id, visitor) = chat(&app, &inbox).await;

    let first = say(&app, &visitor, &id, json!({"body": "zxqv blorf wibble"})).await;
    assert_eq!(first["bot"]["action"], "rephrase", "{first}");
    assert!(
        first["body"].as_str().unwrap().starts_with("Sorry"),
        "English for an English question: {first}"
    );
    app.restart().await;
    let second = say(&app, &visitor, &id, json!({"body": "嗯嗯啊啊哦哦"})).await;
    assert_eq!(second["bot"]["action"], "rephrase", "{second}");
    assert!(
        second["body"].as_str().unwrap().contains("抱歉"),
        "{second}"
    );
    let third = say(&app, &visitor, &id, json!({"body": "zxqv blorf wibble"})).await;
    assert_eq!(third["bot"]["action"], "handoff", "{third}");

    let (_, bot) = app
        .get(&format!("/api/v1/conversations/{id}/bot"), &org.agent)
        .await;
    assert_eq!(bot["session"]["handoff_reason"], "not_understood", "{bot}");
    assert_eq!(bot["turns"].as_array().unwrap().len(), 3);
    let (_, conversation) = app
        .get(&format!("/api/v1/conversations/{id}"), &org.agent)
        .await;
    assert_eq!(conversation["status"], "queued");
}

#[tokio::test]
async fn asking_for_a_person_queues_offers_and_shows_the_bots_guesses() {
    let app = spawn_app_with(config(Duration::from_secs(30), 3)).await;
    let org = app.org("acme").await;
    seed_faqs(&app, &org).await;
    let inbox = bot_inbox(&app, &org).await;
    let lina = agent(&app, &org, "lina", 2, &[]).await;
    set_presence(&app, &lina, "available").await;
    let (id, visitor) = chat(&app, &inbox).await;

    // With the bot, nobody is offered the conversation.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, waiting) = app
        .get(&format!("/api/v1/conversations/{id}"), &lina.token)
        .await;
    assert_eq!(waiting["status"], "bot", "{waiting}");

    say(&app, &visitor, &id, json!({"body": "发票怎么开"})).await;
    let handoff = say(
        &app,
        &visitor,
        &id,
        json!({"body": "转人工，发票还是不会开"}),
    )
    .await;
    assert_eq!(handoff["bot"]["action"], "handoff", "{handoff}");
    assert!(handoff["body"].as_str().unwrap().contains("人工"));

    let offered = until(&app, &lina.token, &id, offered_to(&lina)).await;
    assert_eq!(offered["status"], "offered");

    // The agent sees the whole transcript, the bot's messages marked as the bot's.
    let (_, transcript) = app
        .get(&format!("/api/v1/conversations/{id}/messages"), &lina.token)
        .await;
    let senders: Vec<&str> = transcript["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sender_kind"].as_str().unwrap())
        .collect();
    assert_eq!(senders, ["customer", "bot", "customer", "bot"]);

    let (_, bot) = app
        .get(&format!("/api/v1/conversations/{id}/bot"), &lina.token)
        .await;
    assert_eq!(bot["session"]["handoff_reason"], "requested", "{bot}");
    let guesses = bot["handoff_guesses"].as_array().unwrap();
    assert!(!guesses.is_empty(), "{bot}");
    assert_eq!(guesses[0]["question"], FAQS[1].0, "{bot}");
    assert!(guesses[0]["confidence"].as_f64().unwrap() > 0.0);

    // The log has the handoff with its reason and guesses, for staff only.
    let (_, events) = app.get("/api/v1/events?limit=1000", &org.admin).await;
    let handoffs: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "bot.handoff" && e["entity_id"] == id.as_str())
        .collect();
    assert_eq!(handoffs.len(), 1, "{events}");
    assert_eq!(handoffs[0]["payload"]["reason"], "requested");
    assert_eq!(handoffs[0]["payload"]["guesses"][0]["question"], FAQS[1].0);
    let mut socket = super::stream::connect(&app, "/api/v1/widget/stream", &visitor, 0).await;
    let (seen, _) = super::stream::backlog(&mut socket).await;
    assert!(
        seen.iter().all(|e| e["kind"] != "bot.handoff"),
        "the customer never sees the guesses"
    );
    // After the handoff the bot stays quiet.
    let (status, _) = app
        .post(
            &format!("/api/v1/widget/conversations/{id}/messages"),
            &visitor,
            json!({"body": "还在吗"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let all = messages(&app, &visitor, &id).await;
    assert_eq!(all.last().unwrap()["sender_kind"], "customer");
}

#[tokio::test]
async fn a_retried_message_gets_one_bot_reply() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    seed_faqs(&app, &org).await;
    let inbox = bot_inbox(&app, &org).await;
    let (id, visitor) = chat(&app, &inbox).await;
    let send = json!({"body": "快递多久能到", "client_msg_id": "w-retry-1"});
    let first = say(&app, &visitor, &id, send.clone()).await;
    let second = say(&app, &visitor, &id, send).await;
    assert_eq!(first["id"], second["id"], "the same reply");
    let all = messages(&app, &visitor, &id).await;
    assert_eq!(all.len(), 2, "{all:?}");
}

#[tokio::test]
async fn feedback_is_taken_once_on_answers_and_counted() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    seed_faqs(&app, &org).await;
    let inbox = bot_inbox(&app, &org).await;
    let (id, visitor) = chat(&app, &inbox).await;
    let answer = say(&app, &visitor, &id, json!({"body": "发票怎么开"})).await;
    let path = format!(
        "/api/v1/widget/conversations/{id}/messages/{}/feedback",
        answer["id"].as_str().unwrap()
    );
    // Another visitor of the same inbox cannot rate it.
    let (stranger_conversation, stranger) = chat(&app, &inbox).await;
    let (status, _) = app.post(&path, &stranger, json!({"helpful": false})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post(
            &format!(
                "/api/v1/widget/conversations/{stranger_conversation}/messages/{}/feedback",
                answer["id"].as_str().unwrap()
            ),
            &stranger,
            json!({"helpful": false}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not a message of theirs");

    let (status, rated) = app.post(&path, &visitor, json!({"helpful": true})).await;
    assert_eq!(status, StatusCode::OK, "{rated}");
    assert_eq!(rated["bot"]["helpful"], true);
    let (status, again) = app.post(&path, &visitor, json!({"helpful": false})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(again["code"], "feedback_given");

    // Only answers are rated.
    let rephrase = say(&app, &visitor, &id, json!({"body": "zxqv blorf wibble"})).await;
    let (status, refused) = app
        .post(
            &format!(
                "/api/v1/widget/conversations/{id}/messages/{}/feedback",
                rephrase["id"].as_str().unwrap()
            ),
            &visitor,
            json!({"helpful": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "not_a_bot_answer");
}

#[tokio::test]
async fn the_bots_figures_come_from_the_stored_conversations() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    seed_faqs(&app, &org).await;
    let inbox = bot_inbox(&app, &org).await;
    // Answered and rated helpful; answered then handed off on request; handed off not understood;
    // started and never written in.
    let (a, va) = chat(&app, &inbox).await;
    let answer = say(&app, &va, &a, json!({"body": "发票怎么开"})).await;
    let (status, _) = app
        .post(
            &format!(
                "/api/v1/widget/conversations/{a}/messages/{}/feedback",
                answer["id"].as_str().unwrap()
            ),
            &va,
            json!({"helpful": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (b, vb) = chat(&app, &inbox).await;
    let answer = say(&app, &vb, &b, json!({"body": "快递多久能到"})).await;
    let (status, _) = app
        .post(
            &format!(
                "/api/v1/widget/conversations/{b}/messages/{}/feedback",
                answer["id"].as_str().unwrap()
            ),
            &vb,
            json!({"helpful": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    say(&app, &vb, &b, json!({"body": "human please"})).await;
    let (c, vc) = chat(&app, &inbox).await;
    for text in ["zxqv blorf", "wibble wobble", "plugh xyzzy"] {
        say(&app, &vc, &c, json!({"body": text})).await;
    }
    chat(&app, &inbox).await;

    let (status, figures) = app.get("/api/v1/bot/metrics", &org.supervisor).await;
    assert_eq!(status, StatusCode::OK, "{figures}");
    assert_eq!(figures["started"], 4, "{figures}");
    assert_eq!(figures["answered_without_handoff"], 1);
    assert_eq!(figures["handed_off"], 2);
    assert_eq!(figures["handoff_reasons"]["requested"], 1);
    assert_eq!(figures["handoff_reasons"]["not_understood"], 1);
    assert_eq!(figures["helpful_yes"], 1);
    assert_eq!(figures["helpful_no"], 1);
    assert_eq!(figures["answer_rate"], 0.25);
    assert_eq!(figures["handoff_rate"], 0.5);

    // A period before any of it counts nothing; a bad date is a 422 naming the field.
    let (_, empty) = app
        .get(
            "/api/v1/bot/metrics?from=2020-01-01&to=2020-02-01",
            &org.supervisor,
        )
        .await;
    assert_eq!(empty["started"], 0, "{empty}");
    let (status, bad) = app
        .get("/api/v1/bot/metrics?from=yesterday", &org.supervisor)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["details"]["errors"][0]["field"], "from");
    let (status, _) = app.get("/api/v1/bot/metrics", &org.agent).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // What the bot missed, grouped by text, most frequent first.
    let (status, missed) = app.get("/api/v1/bot/unanswered", &org.supervisor).await;
    assert_eq!(status, StatusCode::OK, "{missed}");
    let texts: Vec<&str> = missed
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["example"].as_str().unwrap())
        .collect();
    assert!(texts.contains(&"zxqv blorf"), "{missed}");
    assert!(texts.contains(&"human please"), "{missed}");
    assert!(
        !texts.contains(&"发票怎么开"),
        "answered ones are not listed"
    );
}

#[tokio::test]
async fn admins_switch_the_bot_on_an_inbox() {
    let app = spawn_app().await;
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let id = inbox["id"].as_str().unwrap();
    let mut settings = inbox["settings"].clone();
    settings["bot_enabled"] = json!(true);
    let (status, _) = app
        .patch(
            &format!("/api/v1/inboxes/{id}"),
            &org.agent,
            json!({"settings": settings}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, updated) = app
        .patch(
            &format!("/api/v1/inboxes/{id}"),
            &org.admin,
            json!({"settings": settings}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["settings"]["bot_enabled"], true);
    assert_eq!(updated["secret"], inbox["secret"]);
    let (status, bad) = app
        .patch(
            &format!("/api/v1/inboxes/{id}"),
            &org.admin,
            json!({"name": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    // The widget learns it; a new conversation starts with the bot.
    let (_, session) = app
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/widget/{id}/session"),
            None,
            Some(json!({})),
        )
        .await;
    assert_eq!(session["inbox"]["bot_enabled"], true);
    chat(&app, id).await;
}
