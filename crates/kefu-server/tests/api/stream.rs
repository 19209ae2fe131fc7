//! The real-time gateway with real WebSocket clients: replay after a sequence, live events,
//! resume after a disconnect with no gap and no duplicate, what visitors may see, and the
//! "reconnect" close on shutdown.

use super::{TestApp, spawn_app};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as Frame;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(app: &TestApp, path: &str, token: &str, after: i64) -> Socket {
    let url = format!(
        "{}{path}?after={after}&token={token}",
        app.url.replacen("http", "ws", 1)
    );
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// The next JSON frame (pings skipped); panics after 5 s of silence.
async fn next(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a frame within 5 s")
            .expect("socket open")
            .unwrap();
        match frame {
            Frame::Text(text) => return serde_json::from_str(&text).unwrap(),
            Frame::Ping(_) | Frame::Pong(_) => {}
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Frames until the `live` marker: the replayed backlog.
pub async fn backlog(socket: &mut Socket) -> (Vec<Value>, i64) {
    let mut events = Vec::new();
    loop {
        let frame = next(socket).await;
        if frame["type"] == "live" {
            return (events, frame["last_seq"].as_i64().unwrap());
        }
        events.push(frame);
    }
}

/// Nothing arrives for a moment.
async fn quiet(socket: &mut Socket) {
    let waited = tokio::time::timeout(Duration::from_millis(300), async {
        loop {
            match socket.next().await {
                Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => {}
                other => return other,
            }
        }
    })
    .await;
    assert!(waited.is_err(), "expected silence, got {waited:?}");
}

struct Chat {
    agent: String,
    visitor: String,
    messages: String,
}

async fn chat(app: &TestApp) -> (super::Org, Chat) {
    let org = app.org("acme").await;
    let inbox = app.inbox(&org.admin).await;
    let visitor = app.visitor(inbox["id"].as_str().unwrap()).await;
    let (_, conversation) = app
        .post("/api/v1/widget/conversations", &visitor, json!({}))
        .await;
    let id = conversation["id"].as_str().unwrap();
    let messages = format!("/api/v1/widget/conversations/{id}/messages");
    let agent = org.agent.clone();
    (
        org,
        Chat {
            agent,
            visitor,
            messages,
        },
    )
}

fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().map(|e| e["seq"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn agents_replay_then_follow_live_and_resume_without_gap_or_duplicate() {
    let app = spawn_app().await;
    let (_, c) = chat(&app).await;
    let mut socket = connect(&app, "/api/v1/stream", &c.agent, 0).await;
    let (replayed, last_seq) = backlog(&mut socket).await;
    assert!(replayed.iter().any(|e| e["kind"] == "conversation.created"));
    assert_eq!(seqs(&replayed).last(), Some(&last_seq));

    let (_, sent) = app
        .post(&c.messages, &c.visitor, json!({"body": "在吗"}))
        .await;
    let live = next(&mut socket).await;
    assert_eq!(
        (live["kind"].as_str(), live["seq"].as_i64()),
        (Some("message.created"), Some(last_seq + 1))
    );
    assert_eq!(live["payload"]["message"]["id"], sent["id"]);

    // Disconnect, miss two messages, resume from the last seq seen: exactly those two.
    socket.close(None).await.unwrap();
    for body in ["一", "二"] {
        app.post(&c.messages, &c.visitor, json!({"body": body}))
            .await;
    }
    let mut resumed = connect(&app, "/api/v1/stream", &c.agent, last_seq + 1).await;
    let (missed, _) = backlog(&mut resumed).await;
    let bodies: Vec<&str> = missed
        .iter()
        .map(|e| e["payload"]["message"]["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["一", "二"]);
    assert_eq!(seqs(&missed), [last_seq + 2, last_seq + 3]);
    quiet(&mut resumed).await;
}

#[tokio::test]
async fn visitors_see_their_own_conversation_but_no_notes_and_no_one_else() {
    let app = spawn_app().await;
    let (org, c) = chat(&app).await;
    let inbox = app.inbox(&org.admin).await;
    let stranger = app.visitor(inbox["id"].as_str().unwrap()).await;
    let mut mine = connect(&app, "/api/v1/widget/stream", &c.visitor, 0).await;
    let mut theirs = connect(&app, "/api/v1/widget/stream", &stranger, 0).await;
    let (replayed, _) = backlog(&mut mine).await;
    assert_eq!(replayed.len(), 1, "its conversation.created: {replayed:?}");
    let (nothing, _) = backlog(&mut theirs).await;
    assert!(nothing.is_empty(), "{nothing:?}");

    let id = c.messages.split('/').nth(5).unwrap();
    app.post(
        &format!("/api/v1/conversations/{id}/assign"),
        &c.agent,
        json!({}),
    )
    .await;
    app.post(
        &format!("/api/v1/conversations/{id}/messages"),
        &c.agent,
        json!({"body": "secret note", "kind": "note"}),
    )
    .await;
    app.post(
        &format!("/api/v1/conversations/{id}/messages"),
        &c.agent,
        json!({"body": "您好"}),
    )
    .await;
    let assigned = next(&mut mine).await;
    assert_eq!(assigned["kind"], "conversation.assigned");
    let reply = next(&mut mine).await;
    assert_eq!(
        reply["payload"]["message"]["body"], "您好",
        "the note is skipped"
    );
    quiet(&mut mine).await;
    quiet(&mut theirs).await;
}

#[tokio::test]
async fn typing_reaches_the_other_side_live_and_is_never_logged() {
    let app = spawn_app().await;
    let (org, c) = chat(&app).await;
    let inbox = app.inbox(&org.admin).await;
    let stranger = app.visitor(inbox["id"].as_str().unwrap()).await;
    let id = c.messages.split('/').nth(5).unwrap().to_owned();
    let mut staff = connect(&app, "/api/v1/stream", &c.agent, 0).await;
    let (_, last_seq) = backlog(&mut staff).await;
    let mut mine = connect(&app, "/api/v1/widget/stream", &c.visitor, 0).await;
    backlog(&mut mine).await;
    let mut theirs = connect(&app, "/api/v1/widget/stream", &stranger, 0).await;
    backlog(&mut theirs).await;
    let widget_typing = format!("/api/v1/widget/conversations/{id}/typing");
    let agent_typing = format!("/api/v1/conversations/{id}/typing");

    let (status, _) = app.post(&widget_typing, &c.visitor, json!({})).await;
    assert_eq!(status, 204);
    let heard = next(&mut staff).await;
    assert_eq!(
        (heard["type"].as_str(), heard["sender_kind"].as_str()),
        (Some("typing"), Some("customer"))
    );
    assert_eq!(heard["conversation_id"], id.as_str());
    assert!(heard.get("seq").is_none(), "signals carry no seq: {heard}");
    quiet(&mut mine).await;

    // Not their conversation yet: other agents hear it, the customer does not.
    let (status, _) = app.post(&agent_typing, &c.agent, json!({})).await;
    assert_eq!(status, 204);
    assert_eq!(next(&mut staff).await["sender_kind"], "agent");
    quiet(&mut mine).await;

    app.post(
        &format!("/api/v1/conversations/{id}/assign"),
        &c.agent,
        json!({}),
    )
    .await;
    assert_eq!(next(&mut mine).await["kind"], "conversation.assigned");
    assert_eq!(next(&mut staff).await["kind"], "conversation.assigned");
    app.post(&agent_typing, &c.agent, json!({"note": true}))
        .await;
    assert_eq!(next(&mut staff).await["type"], "typing");
    quiet(&mut mine).await;
    app.post(&agent_typing, &c.agent, json!({})).await;
    let heard = next(&mut mine).await;
    assert_eq!(
        (heard["type"].as_str(), heard["sender_kind"].as_str()),
        (Some("typing"), Some("agent"))
    );
    quiet(&mut theirs).await;

    // A stranger cannot type into someone else's conversation, and nothing was logged.
    let (status, _) = app.post(&widget_typing, &stranger, json!({})).await;
    assert_eq!(status, 404);
    let mut resumed = connect(&app, "/api/v1/stream", &c.agent, last_seq).await;
    let (replayed, _) = backlog(&mut resumed).await;
    let kinds: Vec<&str> = replayed
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["conversation.assigned"]);
}

#[tokio::test]
async fn bad_tokens_are_refused_and_shutdown_asks_clients_to_reconnect() {
    let mut app = spawn_app().await;
    let (_, c) = chat(&app).await;
    let base = app.url.replacen("http", "ws", 1);
    for (path, token) in [
        ("/api/v1/stream", "kfs_nope"),
        ("/api/v1/widget/stream", "kfv_nope"),
        ("/api/v1/widget/stream", c.agent.as_str()),
    ] {
        let err = tokio_tungstenite::connect_async(format!("{base}{path}?token={token}"))
            .await
            .unwrap_err();
        let tokio_tungstenite::tungstenite::Error::Http(response) = err else {
            panic!("{err:?}")
        };
        assert_eq!(response.status(), 401, "{path}");
    }
    let mut socket = connect(&app, "/api/v1/stream", &c.agent, 0).await;
    backlog(&mut socket).await;
    app.stop();
    let frame = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Frame::Close(frame))) => return frame,
                Some(Ok(_)) => {}
                other => panic!("{other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(frame.map(|f| u16::from(f.code)), Some(1012));
}

#[tokio::test]
async fn a_socket_that_falls_behind_resyncs_from_the_log_with_nothing_lost() {
    let app = spawn_app().await;
    let (_, c) = chat(&app).await;
    let mut idle = connect(&app, "/api/v1/stream", &c.agent, 0).await;
    let (_, last_seq) = backlog(&mut idle).await;
    let mut watching = connect(&app, "/api/v1/stream", &c.agent, last_seq).await;
    backlog(&mut watching).await;
    // More events than the fan-out buffer holds, while `idle` reads nothing.
    let burst = 1500;
    let (_, convs) = app.get("/api/v1/conversations", &c.agent).await;
    let conversation: uuid::Uuid = convs["items"][0]["id"].as_str().unwrap().parse().unwrap();
    let tenant = app.store.tenant_by_slug("acme").await.unwrap().unwrap().id;
    for i in 0..burst {
        let message = kefu_store::NewMessage {
            sender_kind: kefu_core::SenderKind::Customer,
            sender_id: None,
            kind: kefu_core::MessageKind::Text,
            body: format!("m{i}"),
            client_msg_id: None,
            attachment_ids: Vec::new(),
        };
        app.store
            .post_message(
                tenant,
                conversation,
                message,
                3600,
                &kefu_store::Actor::system(),
            )
            .await
            .unwrap();
    }
    for socket in [&mut watching, &mut idle] {
        let mut seen = Vec::new();
        while seen.len() < burst {
            seen.push(next(socket).await["seq"].as_i64().unwrap());
        }
        let expected: Vec<i64> = (last_seq + 1..=last_seq + burst as i64).collect();
        assert_eq!(seen, expected, "contiguous, no gap and no duplicate");
        quiet(socket).await;
    }
}

#[tokio::test]
async fn without_after_a_socket_starts_at_the_newest_event() {
    let app = spawn_app().await;
    let (_, c) = chat(&app).await;
    let url = format!(
        "{}/api/v1/stream?token={}",
        app.url.replacen("http", "ws", 1),
        c.agent
    );
    let mut socket = tokio_tungstenite::connect_async(url).await.unwrap().0;
    let (replayed, last_seq) = backlog(&mut socket).await;
    assert!(
        replayed.is_empty() && last_seq > 0,
        "{replayed:?} {last_seq}"
    );
    app.post(&c.messages, &c.visitor, json!({"body": "新消息"}))
        .await;
    assert_eq!(next(&mut socket).await["seq"].as_i64(), Some(last_seq + 1));
}

#[tokio::test]
async fn sockets_beyond_the_server_and_per_client_limits_are_refused_with_a_code() {
    let app = super::spawn_app_with(kefu_server::ServerConfig {
        max_sockets: 3,
        max_sockets_per_client: 2,
        ..kefu_server::ServerConfig::default()
    })
    .await;
    let (_, c) = chat(&app).await;
    let refusal = |err: tokio_tungstenite::tungstenite::Error| match err {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap_or(b"{}"))
                .unwrap_or(Value::Null);
            (response.status().as_u16(), body["code"].clone())
        }
        other => panic!("{other:?}"),
    };
    let url = |path: &str, token: &str| {
        format!("{}{path}?token={token}", app.url.replacen("http", "ws", 1))
    };
    let mut first = connect(&app, "/api/v1/widget/stream", &c.visitor, 0).await;
    backlog(&mut first).await;
    let mut second = connect(&app, "/api/v1/widget/stream", &c.visitor, 0).await;
    backlog(&mut second).await;
    let err = tokio_tungstenite::connect_async(url("/api/v1/widget/stream", &c.visitor))
        .await
        .unwrap_err();
    assert_eq!(refusal(err), (429, json!("too_many_connections")));

    let mut agent = connect(&app, "/api/v1/stream", &c.agent, 0).await;
    backlog(&mut agent).await;
    let err = tokio_tungstenite::connect_async(url("/api/v1/stream", &c.agent))
        .await
        .unwrap_err();
    assert_eq!(refusal(err), (503, json!("too_many_connections")));

    // A closed socket gives its place back.
    second.close(None).await.unwrap();
    drop(second);
    let mut again = None;
    for _ in 0..50 {
        if let Ok((socket, _)) =
            tokio_tungstenite::connect_async(url("/api/v1/widget/stream", &c.visitor)).await
        {
            again = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut again = again.expect("a place after a socket closed");
    backlog(&mut again).await;
}
