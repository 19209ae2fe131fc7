//! Files in conversations: stored with their bytes, sent once with a message in the message's
//! transaction, described (never carried) by events, and confined to their tenant and conversation.

use super::actor;
use super::conversations::{Chat, chat};
use kefu_core::{MessageKind, SenderKind};
use kefu_store::{AttachmentMeta, NewAttachment, NewMessage, Posted, StoreError};
use uuid::Uuid;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";

impl Chat {
    async fn upload(&self, conversation: Uuid, by: SenderKind, name: &str) -> AttachmentMeta {
        self.f
            .store
            .create_attachment(
                self.f.tenant.id,
                NewAttachment {
                    conversation_id: conversation,
                    uploaded_by: by,
                    uploader_id: Some(if by == SenderKind::Agent {
                        self.agent_id
                    } else {
                        self.customer_id
                    }),
                    name: name.into(),
                    content_type: "image/png".into(),
                    sha256: "ab".repeat(32),
                    content: PNG.to_vec(),
                },
                &actor(),
            )
            .await
            .unwrap()
    }

    async fn send(
        &self,
        conversation: Uuid,
        sender: SenderKind,
        kind: MessageKind,
        body: &str,
        attachment_ids: Vec<Uuid>,
    ) -> Result<Posted, StoreError> {
        self.f
            .store
            .post_message(
                self.f.tenant.id,
                conversation,
                NewMessage {
                    sender_kind: sender,
                    sender_id: (sender == SenderKind::Agent).then_some(self.agent_id),
                    kind,
                    body: body.into(),
                    client_msg_id: None,
                    attachment_ids,
                },
                3600,
                &actor(),
            )
            .await
    }
}

fn invalid_code(result: Result<Posted, StoreError>) -> (String, &'static str) {
    match result {
        Err(StoreError::Invalid(errors)) => (errors.errors[0].field.clone(), errors.primary_code()),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_message_carries_its_files_and_events_carry_only_metadata() {
    let c = chat().await;
    let conv = c.start().await;
    let photo = c.upload(conv.id, SenderKind::Customer, "照片.png").await;
    assert_eq!(photo.size, PNG.len() as i64);
    let stored = c.f.store.attachment(c.f.tenant.id, photo.id).await.unwrap();
    assert_eq!(
        (stored.uploaded_by, stored.message_id, stored.sent_with),
        (SenderKind::Customer, None, None)
    );
    let bytes =
        c.f.store
            .attachment_content(c.f.tenant.id, photo.id)
            .await
            .unwrap();
    assert_eq!(bytes, PNG, "the bytes come back unchanged");

    // A message of files alone, the same file named twice counts once.
    let posted = c
        .send(
            conv.id,
            SenderKind::Customer,
            MessageKind::Text,
            "",
            vec![photo.id, photo.id],
        )
        .await
        .unwrap();
    assert_eq!(posted.message.attachments, vec![photo.clone()]);
    let page =
        c.f.store
            .list_messages(c.f.tenant.id, conv.id, false, None, 50)
            .await
            .unwrap();
    assert_eq!(
        page.items,
        vec![posted.message.clone()],
        "read back as written"
    );
    let sent = c.f.store.attachment(c.f.tenant.id, photo.id).await.unwrap();
    assert_eq!(
        (sent.message_id, sent.sent_with),
        (Some(posted.message.id), Some(MessageKind::Text))
    );

    let events =
        c.f.store
            .events_since(c.f.tenant.id, 0, 1000)
            .await
            .unwrap();
    let uploaded = events
        .iter()
        .find(|e| e.kind == "attachment.uploaded")
        .unwrap();
    assert_eq!(uploaded.entity_id, Some(conv.id));
    assert_eq!(uploaded.payload.0["attachment"]["name"], "照片.png");
    assert_eq!(uploaded.payload.0["visible_to_customer"], true);
    let message_event = events
        .iter()
        .rfind(|e| e.kind == "message.created")
        .unwrap();
    assert_eq!(
        message_event.payload.0["message"]["attachments"][0]["id"],
        photo.id.to_string()
    );
    for event in &events {
        let text = event.payload.0.to_string();
        assert!(
            !text.contains("IHDR") && !text.contains("content\""),
            "no bytes in {text}"
        );
    }

    // Messages without files still list an empty set.
    let plain = c
        .send(
            conv.id,
            SenderKind::Customer,
            MessageKind::Text,
            "还在吗",
            vec![],
        )
        .await
        .unwrap();
    assert!(plain.message.attachments.is_empty());
    let json = serde_json::to_value(&plain.message).unwrap();
    assert_eq!(json["attachments"], serde_json::json!([]));
}

#[tokio::test]
async fn a_file_is_sent_once_by_its_own_side_within_its_conversation() {
    let c = chat().await;
    let conv = c.start().await;
    let other = c.start().await;
    let photo = c.upload(conv.id, SenderKind::Customer, "a.png").await;
    let agents = c.upload(conv.id, SenderKind::Agent, "b.png").await;
    let elsewhere = c.upload(other.id, SenderKind::Customer, "c.png").await;
    c.send(
        conv.id,
        SenderKind::Customer,
        MessageKind::Text,
        "看图",
        vec![photo.id],
    )
    .await
    .unwrap();
    let seq_before = c.f.store.last_event_seq(c.f.tenant.id).await.unwrap();

    let cases = [
        (
            vec![photo.id],
            SenderKind::Customer,
            "attachment_already_sent",
        ),
        (
            vec![elsewhere.id],
            SenderKind::Customer,
            "unknown_attachment",
        ),
        (vec![agents.id], SenderKind::Customer, "unknown_attachment"),
        (
            vec![Uuid::now_v7()],
            SenderKind::Customer,
            "unknown_attachment",
        ),
        (vec![photo.id], SenderKind::Agent, "unknown_attachment"),
    ];
    for (ids, sender, code) in cases {
        let result = c
            .send(conv.id, sender, MessageKind::Text, "again", ids)
            .await;
        assert_eq!(invalid_code(result), ("attachment_ids".to_owned(), code));
    }
    // Nothing was written by a refused send: no message, no event, the agent's file still unsent.
    assert_eq!(
        c.f.store.last_event_seq(c.f.tenant.id).await.unwrap(),
        seq_before
    );
    let page =
        c.f.store
            .list_messages(c.f.tenant.id, conv.id, true, None, 50)
            .await
            .unwrap();
    assert_eq!(page.items.len(), 1);

    // An agent's file on a note stays internal; on a reply it is sent.
    c.send(
        conv.id,
        SenderKind::Agent,
        MessageKind::Note,
        "",
        vec![agents.id],
    )
    .await
    .unwrap();
    let on_note =
        c.f.store
            .attachment(c.f.tenant.id, agents.id)
            .await
            .unwrap();
    assert_eq!(on_note.sent_with, Some(MessageKind::Note));
    assert!(!kefu_core::attachment::customer_may_see(
        on_note.uploaded_by,
        on_note.sent_with
    ));

    // Without a body, a message needs a file.
    let empty = c
        .send(
            conv.id,
            SenderKind::Customer,
            MessageKind::Text,
            " ",
            vec![],
        )
        .await;
    assert_eq!(invalid_code(empty), ("body".to_owned(), "required"));
}

#[tokio::test]
async fn files_stay_in_their_tenant() {
    let c = chat().await;
    let conv = c.start().await;
    let photo = c.upload(conv.id, SenderKind::Customer, "a.png").await;
    let other =
        c.f.store
            .create_tenant("globex", "Globex", &Default::default(), &actor())
            .await
            .unwrap();
    assert!(matches!(
        c.f.store.attachment(other.id, photo.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        c.f.store.attachment_content(other.id, photo.id).await,
        Err(StoreError::NotFound)
    ));
    let upload_elsewhere =
        c.f.store
            .create_attachment(
                other.id,
                NewAttachment {
                    conversation_id: conv.id,
                    uploaded_by: SenderKind::Agent,
                    uploader_id: None,
                    name: "x.png".into(),
                    content_type: "image/png".into(),
                    sha256: "00".repeat(32),
                    content: PNG.to_vec(),
                },
                &actor(),
            )
            .await;
    assert!(matches!(upload_elsewhere, Err(StoreError::NotFound)));
}
