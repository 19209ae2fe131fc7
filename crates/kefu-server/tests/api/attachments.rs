//! Files in conversations over HTTP: a visitor sends a photo an agent downloads byte for byte, an
//! agent sends a PDF, and the limits (size, type, content sniffing), ownership and single use
//! are enforced with their documented codes.

use super::{Org, TestApp, spawn_app};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A PNG signature followed by filler: larger than the 64 KiB JSON limit of the test server.
fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(len, 7);
    bytes
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n";

async fn upload(
    app: &TestApp,
    path: &str,
    token: &str,
    content_type: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let response = app
        .http
        .post(format!("{}{path}", app.url))
        .query(&[("name", name)])
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn download(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// A tenant with a web inbox allowing 200 kB files, a visitor and their conversation.
struct Scene {
    org: Org,
    visitor: String,
    conversation: String,
    inbox_id: String,
}

async fn scene(app: &TestApp, slug: &str) -> Scene {
    let org = app.org(slug).await;
    let (status, inbox) = app
        .post(
            "/api/v1/inboxes",
            &org.admin,
            json!({"name": "官网", "channel": "web", "settings": {"max_attachment_bytes": 200_000}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inbox}");
    let inbox_id = inbox["id"].as_str().unwrap().to_owned();
    let visitor = app.visitor(&inbox_id).await;
    let (status, conversation) = app
        .post("/api/v1/widget/conversations", &visitor, json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    Scene {
        conversation: conversation["id"].as_str().unwrap().to_owned(),
        org,
        visitor,
        inbox_id,
    }
}

impl Scene {
    fn widget(&self, rest: &str) -> String {
        format!("/api/v1/widget/conversations/{}/{rest}", self.conversation)
    }

    fn staff(&self, rest: &str) -> String {
        format!("/api/v1/conversations/{}/{rest}", self.conversation)
    }
}

#[tokio::test]
async fn a_visitor_sends_a_photo_and_an_agent_sends_a_pdf() {
    let app = spawn_app().await;
    let s = scene(&app, "acme").await;
    let photo = png(100_000);
    let (status, meta) = upload(
        &app,
        &s.widget("attachments"),
        &s.visitor,
        "image/png",
        "../../截图\u{7}.png",
        photo.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{meta}");
    assert_eq!(
        (&meta["name"], &meta["content_type"], &meta["size"]),
        (&json!("截图.png"), &json!("image/png"), &json!(100_000))
    );
    let photo_id = meta["id"].as_str().unwrap().to_owned();

    // Files alone make a message.
    let (status, sent) = app
        .post(
            &s.widget("messages"),
            &s.visitor,
            json!({"attachment_ids": [photo_id]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["attachments"], json!([meta]));

    // The agent sees it and downloads the same bytes, with headers that keep browsers safe.
    let (_, messages) = app.get(&s.staff("messages"), &s.org.agent).await;
    assert_eq!(messages["items"][0]["attachments"][0], meta);
    let staff_path = format!("/api/v1/attachments/{photo_id}");
    let response = download(&app, &staff_path, &s.org.agent).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let etag = format!("\"{}\"", hex::encode(Sha256::digest(&photo)));
    assert_eq!(headers[header::ETAG], etag.as_str());
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.starts_with("inline;"), "{disposition}");
    assert!(
        disposition.contains("UTF-8''%E6%88%AA%E5%9B%BE.png"),
        "{disposition}"
    );
    assert_eq!(response.bytes().await.unwrap().to_vec(), photo);
    let again = app
        .http
        .get(format!("{}{staff_path}", app.url))
        .bearer_auth(&s.org.agent)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let own = download(
        &app,
        &format!("/api/v1/widget/attachments/{photo_id}"),
        &s.visitor,
    )
    .await;
    assert_eq!(own.status(), StatusCode::OK);
    assert_eq!(own.bytes().await.unwrap().to_vec(), photo);

    // An agent's PDF: hidden from the visitor until a reply carries it, then a download.
    let (status, _) = app.post(&s.staff("assign"), &s.org.agent, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, pdf) = upload(
        &app,
        &s.staff("attachments"),
        &s.org.agent,
        "application/pdf",
        "报价单.pdf",
        PDF.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{pdf}");
    let pdf_id = pdf["id"].as_str().unwrap();
    let widget_pdf = format!("/api/v1/widget/attachments/{pdf_id}");
    assert_eq!(
        download(&app, &widget_pdf, &s.visitor).await.status(),
        StatusCode::NOT_FOUND,
        "not sent yet"
    );
    let (status, reply) = app
        .post(
            &s.staff("messages"),
            &s.org.agent,
            json!({"body": "请查收报价", "attachment_ids": [pdf_id]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    let (_, seen) = app.get(&s.widget("messages"), &s.visitor).await;
    assert_eq!(seen["items"][1]["attachments"][0], pdf);
    let response = download(&app, &widget_pdf, &s.visitor).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/pdf");
    assert!(
        response.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(response.bytes().await.unwrap().to_vec(), PDF);

    // A file on an internal note never reaches the visitor.
    let (_, internal) = upload(
        &app,
        &s.staff("attachments"),
        &s.org.supervisor,
        "text/plain",
        "备注.txt",
        "内部记录".as_bytes().to_vec(),
    )
    .await;
    let (status, _) = app
        .post(
            &s.staff("messages"),
            &s.org.supervisor,
            json!({"kind": "note", "attachment_ids": [internal["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let hidden = format!(
        "/api/v1/widget/attachments/{}",
        internal["id"].as_str().unwrap()
    );
    assert_eq!(
        download(&app, &hidden, &s.visitor).await.status(),
        StatusCode::NOT_FOUND
    );
    let (_, seen) = app.get(&s.widget("messages"), &s.visitor).await;
    assert_eq!(
        seen["items"].as_array().unwrap().len(),
        2,
        "notes stay hidden"
    );
}

#[tokio::test]
async fn size_and_type_limits_have_their_codes() {
    let app = spawn_app().await;
    let s = scene(&app, "acme").await;
    let seq_before = app.store.last_event_seq(s.org.tenant.id).await.unwrap();
    let path = s.widget("attachments");
    let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "image/png",
            png(200_001),
            StatusCode::PAYLOAD_TOO_LARGE,
            "attachment_too_large",
        ),
        (
            "image/png",
            b"just text, not a picture".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
        ),
        (
            "application/zip",
            exe.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
        ),
        (
            "application/x-msdownload",
            exe,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
        ),
        (
            "text/html",
            b"<script>alert(1)</script>".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_type",
        ),
        (
            "text/plain",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_file",
        ),
    ];
    for (content_type, bytes, status, code) in cases {
        let (got, body) = upload(&app, &path, &s.visitor, content_type, "f", bytes).await;
        assert_eq!(
            (got, body["code"].as_str()),
            (status, Some(code)),
            "{content_type}: {body}"
        );
    }
    let (_, body) = upload(&app, &path, &s.visitor, "image/png", "f", png(200_001)).await;
    assert_eq!(body["details"]["max_bytes"], 200_000);
    // Exactly the limit is fine; the agent side has the same limit.
    let (status, _) = upload(&app, &path, &s.visitor, "image/png", "f.png", png(200_000)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = upload(
        &app,
        &s.staff("attachments"),
        &s.org.agent,
        "image/png",
        "f.png",
        png(200_001),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(
        app.store.last_event_seq(s.org.tenant.id).await.unwrap(),
        seq_before + 1,
        "only the accepted upload was recorded"
    );
}

#[tokio::test]
async fn files_belong_to_their_conversation_and_are_sent_once() {
    let app = spawn_app().await;
    let s = scene(&app, "acme").await;
    let (_, photo) = upload(
        &app,
        &s.widget("attachments"),
        &s.visitor,
        "image/png",
        "a.png",
        png(100),
    )
    .await;
    let photo_id = photo["id"].as_str().unwrap();
    let (status, _) = app
        .post(
            &s.widget("messages"),
            &s.visitor,
            json!({"body": "图", "attachment_ids": [photo_id]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, again) = app
        .post(
            &s.widget("messages"),
            &s.visitor,
            json!({"body": "再发", "attachment_ids": [photo_id]}),
        )
        .await;
    assert_eq!(
        (status, again["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("attachment_already_sent")
        )
    );
    assert_eq!(again["details"]["errors"][0]["field"], "attachment_ids");
    let (status, empty) = app
        .post(&s.widget("messages"), &s.visitor, json!({"body": " "}))
        .await;
    assert_eq!(
        (status, empty["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("required"))
    );

    // Another visitor of the same inbox: the conversation and its files do not exist for them.
    let stranger = app.visitor(&s.inbox_id).await;
    let widget_photo = format!("/api/v1/widget/attachments/{photo_id}");
    assert_eq!(
        download(&app, &widget_photo, &stranger).await.status(),
        StatusCode::NOT_FOUND
    );
    let (status, _) = upload(
        &app,
        &s.widget("attachments"),
        &stranger,
        "image/png",
        "x.png",
        png(100),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, theirs) = app
        .post("/api/v1/widget/conversations", &stranger, json!({}))
        .await;
    let (status, body) = app
        .post(
            &format!(
                "/api/v1/widget/conversations/{}/messages",
                theirs["id"].as_str().unwrap()
            ),
            &stranger,
            json!({"attachment_ids": [photo_id]}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_attachment"))
    );

    // Another tenant's staff and visitors get 404 on everything.
    let other = scene(&app, "globex").await;
    let response = download(
        &app,
        &format!("/api/v1/attachments/{photo_id}"),
        &other.org.owner,
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "attachment_not_found");
    assert_eq!(
        download(&app, &widget_photo, &other.visitor).await.status(),
        StatusCode::NOT_FOUND
    );
    let (status, _) = upload(
        &app,
        &s.staff("attachments"),
        &other.org.agent,
        "image/png",
        "x.png",
        png(100),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
