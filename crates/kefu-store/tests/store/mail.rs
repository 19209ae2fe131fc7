use super::{Fixture, actor, fixture};
use chrono::{Duration, Utc};
use kefu_core::{IdentityKind, TicketPriority, TicketStatus, TicketType};
use kefu_store::{
    CommentAuthor, IngestMail, MailAction, MailDirection, MailboxPatch, NewComment, NewCustomer,
    NewIdentity, NewMailRecord, NewMailbox, NewTicket, NewTicketFile, StoreError, TenantSettings,
    TicketPatch,
};
use uuid::Uuid;

fn mailbox(address: &str) -> NewMailbox {
    NewMailbox {
        address: address.into(),
        display_name: "Acme 客服".into(),
        group_id: None,
        enabled: true,
        imap: None,
    }
}

async fn customer(f: &Fixture, tenant_id: Uuid, email: &str) -> Uuid {
    f.store
        .create_customer(
            tenant_id,
            NewCustomer {
                name: "张三".into(),
                company: None,
                tier: "normal".into(),
                tags: vec![],
                attributes: Default::default(),
                identities: vec![NewIdentity {
                    kind: IdentityKind::Email,
                    value: email.into(),
                }],
            },
            &actor(),
        )
        .await
        .unwrap()
        .id
}

fn inbound(mailbox_id: Uuid, message_id: &str) -> NewMailRecord {
    NewMailRecord {
        mailbox_id: Some(mailbox_id),
        direction: MailDirection::Inbound,
        message_id: Some(message_id.into()),
        kind: "normal".into(),
        from_address: "zhang@example.com".into(),
        subject: "退货".into(),
        raw: Some(b"Subject: x\r\n\r\nbody".to_vec()),
        parse_error: None,
    }
}

fn new_ticket(requester_id: Uuid) -> NewTicket {
    NewTicket {
        subject: "退货".into(),
        description: "我要退货".into(),
        requester_id,
        channel: "email".into(),
        priority: TicketPriority::Normal,
        ticket_type: TicketType::Question,
        tags: vec![],
        assignee_id: None,
        group_id: None,
        conversation_id: None,
        custom_fields: Default::default(),
    }
}

#[tokio::test]
async fn mailboxes_are_unique_across_tenants_and_scoped_by_tenant() {
    let f = fixture().await;
    let other = f
        .store
        .create_tenant("globex", "Globex", &TenantSettings::default(), &actor())
        .await
        .unwrap();
    let a = f
        .store
        .create_mailbox(f.tenant.id, mailbox("support@acme.example"), &actor())
        .await
        .unwrap();
    assert!(a.enabled);
    let taken = f
        .store
        .create_mailbox(other.id, mailbox("support@acme.example"), &actor())
        .await
        .unwrap_err();
    assert!(
        matches!(
            taken,
            StoreError::Conflict {
                code: "address_taken",
                ..
            }
        ),
        "{taken:?}"
    );
    assert!(matches!(
        f.store.mailbox(other.id, a.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store
            .update_mailbox(other.id, a.id, MailboxPatch::default(), &actor())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store.delete_mailbox(other.id, a.id, &actor()).await,
        Err(StoreError::NotFound)
    ));
    let b = f
        .store
        .create_mailbox(other.id, mailbox("help@globex.example"), &actor())
        .await
        .unwrap();
    let listed = f.store.list_mailboxes(f.tenant.id, None, 50).await.unwrap();
    assert_eq!(listed.items, vec![a.clone()]);

    let routes = f.store.mail_routes().await.unwrap();
    assert_eq!(routes.len(), 2);
    let disabled = f
        .store
        .update_mailbox(
            f.tenant.id,
            a.id,
            MailboxPatch {
                enabled: Some(false),
                display_name: Some(" Acme 售后 ".into()),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(
        (disabled.enabled, disabled.display_name.as_str()),
        (false, "Acme 售后")
    );
    let routes = f.store.mail_routes().await.unwrap();
    assert_eq!(routes.len(), 1);
    assert_eq!(
        (routes[0].tenant_id, routes[0].mailbox_id),
        (other.id, b.id)
    );
    let mut tenants = f.store.mail_tenants().await.unwrap();
    tenants.sort();
    let mut expected = vec![f.tenant.id, other.id];
    expected.sort();
    assert_eq!(tenants, expected);
    f.store
        .delete_mailbox(f.tenant.id, a.id, &actor())
        .await
        .unwrap();
    assert!(
        f.store
            .list_mailboxes(f.tenant.id, None, 50)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn ingest_opens_a_ticket_threads_a_reply_and_ignores_a_retry() {
    let f = fixture().await;
    let mb = f
        .store
        .create_mailbox(f.tenant.id, mailbox("support@acme.example"), &actor())
        .await
        .unwrap();
    let requester = customer(&f, f.tenant.id, "zhang@example.com").await;
    let file = NewTicketFile {
        name: "发票.pdf".into(),
        content_type: "application/pdf".into(),
        sha256: "00".repeat(32),
        content: b"%PDF-1.4".to_vec(),
    };
    let first = f
        .store
        .ingest_mail(
            f.tenant.id,
            IngestMail {
                mail: inbound(mb.id, "m1@example.com"),
                action: MailAction::NewTicket(new_ticket(requester)),
                files: vec![file.clone()],
                cc: vec![],
            },
            &actor(),
        )
        .await
        .unwrap();
    assert!(!first.duplicate);
    let ticket = first.ticket.unwrap();
    assert_eq!((ticket.number, ticket.channel.as_str()), (1001, "email"));
    let files = f.store.ticket_files(f.tenant.id, ticket.id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!((files[0].name.as_str(), files[0].size), ("发票.pdf", 8));
    assert_eq!(files[0].mail_id, Some(first.mail.id));
    assert_eq!(
        f.store
            .ticket_file_content(f.tenant.id, files[0].id)
            .await
            .unwrap(),
        b"%PDF-1.4"
    );
    assert_eq!(
        f.store.mail_raw(f.tenant.id, first.mail.id).await.unwrap(),
        b"Subject: x\r\n\r\nbody"
    );

    // The sender's server retries after a lost "250": nothing new.
    let retry = f
        .store
        .ingest_mail(
            f.tenant.id,
            IngestMail {
                mail: inbound(mb.id, "m1@example.com"),
                action: MailAction::NewTicket(new_ticket(requester)),
                files: vec![file],
                cc: vec![],
            },
            &actor(),
        )
        .await
        .unwrap();
    assert!(retry.duplicate);
    assert_eq!(retry.mail.id, first.mail.id);
    assert_eq!(
        f.store
            .list_tickets(f.tenant.id, &Default::default(), None, 50)
            .await
            .unwrap()
            .items
            .len(),
        1
    );

    assert_eq!(
        f.store
            .ticket_of_message(f.tenant.id, "m1@example.com")
            .await
            .unwrap(),
        Some(ticket.id)
    );
    f.store
        .update_ticket(
            f.tenant.id,
            ticket.id,
            TicketPatch {
                status: Some(TicketStatus::Solved),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    let reply = f
        .store
        .ingest_mail(
            f.tenant.id,
            IngestMail {
                mail: inbound(mb.id, "m2@example.com"),
                action: MailAction::Comment {
                    ticket_id: ticket.id,
                    comment: NewComment {
                        author_kind: CommentAuthor::Customer,
                        author_id: Some(requester),
                        public: true,
                        body: "还没收到退款".into(),
                    },
                },
                files: vec![],
                cc: vec![],
            },
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(reply.ticket.unwrap().status, TicketStatus::Open, "reopened");
    let mails = f.store.ticket_mails(f.tenant.id, ticket.id).await.unwrap();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].comment_id, reply.comment.map(|c| c.id));

    // Another tenant never sees these Message-IDs.
    let other = f
        .store
        .create_tenant("globex", "Globex", &TenantSettings::default(), &actor())
        .await
        .unwrap();
    assert_eq!(
        f.store
            .ticket_of_message(other.id, "m1@example.com")
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        f.store.mail_raw(other.id, first.mail.id).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn a_bounce_is_recorded_without_a_ticket_and_a_failed_action_stores_nothing() {
    let f = fixture().await;
    let mb = f
        .store
        .create_mailbox(f.tenant.id, mailbox("support@acme.example"), &actor())
        .await
        .unwrap();
    let bounce = NewMailRecord {
        kind: "bounce".into(),
        from_address: "MAILER-DAEMON@mx.example.com".into(),
        ..inbound(mb.id, "b1@mx.example.com")
    };
    let kept = f
        .store
        .ingest_mail(
            f.tenant.id,
            IngestMail {
                mail: bounce,
                action: MailAction::Record { ticket_id: None },
                files: vec![],
                cc: vec![],
            },
            &actor(),
        )
        .await
        .unwrap();
    assert!(kept.ticket.is_none());
    let unthreaded = f.store.unthreaded_mails(f.tenant.id, 10).await.unwrap();
    assert_eq!(unthreaded.len(), 1);
    assert_eq!(unthreaded[0].kind, "bounce");
    assert!(
        f.store
            .list_tickets(f.tenant.id, &Default::default(), None, 50)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // A comment on a missing ticket fails, and the mail is not half-stored.
    let failed = f
        .store
        .ingest_mail(
            f.tenant.id,
            IngestMail {
                mail: inbound(mb.id, "x@example.com"),
                action: MailAction::Comment {
                    ticket_id: Uuid::now_v7(),
                    comment: NewComment {
                        author_kind: CommentAuthor::Customer,
                        author_id: None,
                        public: true,
                        body: "hi".into(),
                    },
                },
                files: vec![],
                cc: vec![],
            },
            &actor(),
        )
        .await;
    assert!(matches!(failed, Err(StoreError::NotFound)), "{failed:?}");
    assert_eq!(
        f.store
            .ticket_of_message(f.tenant.id, "x@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        f.store
            .unthreaded_mails(f.tenant.id, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_outbox_queues_once_retries_and_remembers_the_sent_message_id() {
    let f = fixture().await;
    assert_eq!(f.store.mail_cursor(f.tenant.id).await.unwrap(), None);
    let mb = f
        .store
        .create_mailbox(f.tenant.id, mailbox("support@acme.example"), &actor())
        .await
        .unwrap();
    let start = f.store.mail_cursor(f.tenant.id).await.unwrap().unwrap();
    assert!(start > 0, "the cursor starts at the log's end");
    let requester = customer(&f, f.tenant.id, "zhang@example.com").await;
    let ticket = f
        .store
        .create_ticket(f.tenant.id, new_ticket(requester), &actor())
        .await
        .unwrap();
    let (comment, _) = f
        .store
        .add_comment(
            f.tenant.id,
            ticket.id,
            NewComment {
                author_kind: CommentAuthor::Agent,
                author_id: None,
                public: true,
                body: "已为您办理".into(),
            },
            &actor(),
        )
        .await
        .unwrap();
    let seq = f.store.last_event_seq(f.tenant.id).await.unwrap();
    let pair = [(ticket.id, comment.id)];
    assert_eq!(
        f.store
            .queue_outbound(f.tenant.id, seq, &pair)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        f.store
            .queue_outbound(f.tenant.id, seq, &pair)
            .await
            .unwrap(),
        0,
        "queued once"
    );
    assert_eq!(f.store.mail_cursor(f.tenant.id).await.unwrap(), Some(seq));
    // The cursor never moves back.
    f.store
        .queue_outbound(f.tenant.id, start, &[])
        .await
        .unwrap();
    assert_eq!(f.store.mail_cursor(f.tenant.id).await.unwrap(), Some(seq));

    let now = Utc::now();
    let due = f.store.due_outbound(f.tenant.id, now, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    let item = &due[0];
    assert_eq!(
        f.store
            .ticket_comment(f.tenant.id, ticket.id, item.comment_id)
            .await
            .unwrap()
            .body,
        "已为您办理"
    );
    f.store
        .outbound_failed(
            f.tenant.id,
            item.id,
            "connection refused",
            Some(now + Duration::seconds(60)),
        )
        .await
        .unwrap();
    assert!(
        f.store
            .due_outbound(f.tenant.id, now, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let later = f
        .store
        .due_outbound(f.tenant.id, now + Duration::seconds(61), 10)
        .await
        .unwrap();
    assert_eq!(
        (later[0].attempts, later[0].last_error.as_deref()),
        (1, Some("connection refused"))
    );
    let kinds: Vec<String> = f
        .store
        .events_since(f.tenant.id, seq, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        ["mail.queued", "mail.send_failed"],
        "both on the log"
    );
    let sent = f
        .store
        .outbound_sent(
            f.tenant.id,
            item.id,
            NewMailRecord {
                mailbox_id: Some(mb.id),
                direction: MailDirection::Outbound,
                message_id: Some("out1@acme.example".into()),
                kind: "normal".into(),
                from_address: "support@acme.example".into(),
                subject: "[#1001] 退货".into(),
                raw: None,
                parse_error: None,
            },
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(sent.comment_id, Some(comment.id));
    assert_eq!(
        f.store
            .ticket_of_message(f.tenant.id, "out1@acme.example")
            .await
            .unwrap(),
        Some(ticket.id)
    );
    let outbox = f.store.ticket_outbox(f.tenant.id, ticket.id).await.unwrap();
    assert_eq!(outbox[0].attempts, 2);
    assert!(outbox[0].sent_at.is_some() && outbox[0].last_error.is_none());
    assert!(
        f.store
            .due_outbound(f.tenant.id, now + Duration::days(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A sent mail cannot be marked failed afterwards.
    assert!(matches!(
        f.store
            .outbound_failed(f.tenant.id, item.id, "late", None)
            .await,
        Err(StoreError::NotFound)
    ));

    // Giving up: the row stays, failed, and is never due again.
    let (second, _) = f
        .store
        .add_comment(
            f.tenant.id,
            ticket.id,
            NewComment {
                author_kind: CommentAuthor::Agent,
                author_id: None,
                public: true,
                body: "再补充一句".into(),
            },
            &actor(),
        )
        .await
        .unwrap();
    let seq = f.store.last_event_seq(f.tenant.id).await.unwrap();
    f.store
        .queue_outbound(f.tenant.id, seq, &[(ticket.id, second.id)])
        .await
        .unwrap();
    let due = f
        .store
        .due_outbound(f.tenant.id, Utc::now(), 10)
        .await
        .unwrap();
    f.store
        .outbound_failed(f.tenant.id, due[0].id, "550 no such user", None)
        .await
        .unwrap();
    let outbox = f.store.ticket_outbox(f.tenant.id, ticket.id).await.unwrap();
    assert!(outbox[1].failed && outbox[1].sent_at.is_none());
    assert!(
        f.store
            .due_outbound(f.tenant.id, Utc::now() + Duration::days(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
}
