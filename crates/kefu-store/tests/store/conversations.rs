use super::{Fixture, actor, fixture};
use kefu_core::{AgentProfile, ConversationStatus as S, MessageKind, Role, SenderKind};
use kefu_store::{
    ConversationFilter, ConversationMove, Inbox, InboxChannel, InboxSettings, NewConversation,
    NewInbox, NewMessage, NewUser, StoreError, VisitorCustomer,
};
use uuid::Uuid;

pub(super) struct Chat {
    pub(super) f: Fixture,
    pub(super) inbox: Inbox,
    pub(super) customer_id: Uuid,
    pub(super) agent_id: Uuid,
}

pub(super) async fn chat() -> Chat {
    let f = fixture().await;
    let inbox = f
        .store
        .create_inbox(
            f.tenant.id,
            NewInbox {
                name: "官网".into(),
                channel: InboxChannel::Web,
                secret: "s3cret".into(),
                settings: InboxSettings::default(),
            },
            &actor(),
        )
        .await
        .unwrap();
    let visitor = f
        .store
        .create_visitor(
            &inbox,
            "hash-1",
            VisitorCustomer::Anonymous {
                name: "访客 1".into(),
                tier: "normal".into(),
            },
        )
        .await
        .unwrap();
    let agent = f
        .store
        .create_user(
            f.tenant.id,
            NewUser {
                email: "lina@acme.test".into(),
                display_name: "Lina".into(),
                role: Role::Agent,
                password_hash: None,
                profile: AgentProfile::default(),
                group_ids: vec![],
            },
            &actor(),
        )
        .await
        .unwrap();
    Chat {
        customer_id: visitor.customer_id,
        f,
        inbox,
        agent_id: agent.id,
    }
}

/// The code of a conflict, for asserting which rule refused a change.
fn conflict(err: &StoreError) -> Option<&'static str> {
    match err {
        StoreError::Conflict { code, .. } => Some(code),
        _ => None,
    }
}

impl Chat {
    pub(super) async fn start(&self) -> kefu_store::Conversation {
        self.f
            .store
            .start_conversation(
                self.f.tenant.id,
                NewConversation {
                    inbox_id: self.inbox.id,
                    customer_id: self.customer_id,
                    status: S::Queued,
                    language: "zh-CN".into(),
                    topic: Some("售后".into()),
                    priority: 0,
                },
                &actor(),
            )
            .await
            .unwrap()
    }

    async fn say(
        &self,
        conversation: Uuid,
        sender: SenderKind,
        body: &str,
        client_msg_id: Option<&str>,
    ) -> Result<kefu_store::Posted, StoreError> {
        self.f
            .store
            .post_message(
                self.f.tenant.id,
                conversation,
                NewMessage {
                    sender_kind: sender,
                    sender_id: (sender == SenderKind::Agent).then_some(self.agent_id),
                    kind: MessageKind::Text,
                    body: body.into(),
                    client_msg_id: client_msg_id.map(Into::into),
                    attachment_ids: Vec::new(),
                },
                3600,
                &actor(),
            )
            .await
    }

    async fn go(
        &self,
        id: Uuid,
        change: ConversationMove,
    ) -> Result<kefu_store::Conversation, StoreError> {
        self.f
            .store
            .move_conversation(self.f.tenant.id, id, change, &actor())
            .await
    }
}

#[tokio::test]
async fn a_visitor_is_a_customer_found_by_token_and_identity() {
    let c = chat().await;
    let visitor = c.f.store.visitor_by_token("hash-1").await.unwrap();
    assert_eq!(visitor.customer_id, c.customer_id);
    let customer =
        c.f.store
            .customer_by_identity(
                c.f.tenant.id,
                kefu_core::IdentityKind::WebVisitorId,
                &visitor.id.to_string(),
            )
            .await
            .unwrap();
    assert_eq!(customer.id, c.customer_id);
    assert!(matches!(
        c.f.store.visitor_by_token("nope").await,
        Err(StoreError::NotFound)
    ));
    assert!(c.f.store.inbox_by_public_id(c.inbox.id).await.is_ok());
    assert!(matches!(
        c.f.store.inbox(Uuid::now_v7(), c.inbox.id).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn a_retried_message_is_stored_once_with_one_event() {
    let c = chat().await;
    let conversation = c.start().await;
    let before =
        c.f.store
            .events_since(c.f.tenant.id, 0, 1000)
            .await
            .unwrap()
            .len();
    let first = c
        .say(
            conversation.id,
            SenderKind::Customer,
            "我的订单还没到",
            Some("m-1"),
        )
        .await
        .unwrap();
    let retry = c
        .say(
            conversation.id,
            SenderKind::Customer,
            "我的订单还没到",
            Some("m-1"),
        )
        .await
        .unwrap();
    assert!(first.created && !retry.created);
    assert_eq!(first.message, retry.message);
    let events =
        c.f.store
            .events_since(c.f.tenant.id, 0, 1000)
            .await
            .unwrap();
    assert_eq!(events.len(), before + 1);
    let last = events.last().unwrap();
    assert_eq!(last.kind, "message.created");
    assert_eq!(last.payload.0["message"]["body"], "我的订单还没到");
    // The same client id from the other side is a different message.
    let agent = c
        .say(conversation.id, SenderKind::Agent, "您好", Some("m-1"))
        .await
        .unwrap();
    assert!(agent.created);
    assert!(agent.conversation.first_response_at.is_some());
    let page =
        c.f.store
            .list_messages(c.f.tenant.id, conversation.id, false, None, 50)
            .await
            .unwrap();
    assert_eq!(page.items.len(), 2);
}

#[tokio::test]
async fn the_lifecycle_offer_accept_wrap_up_resolve_and_reopen() {
    let c = chat().await;
    let conv = c.start().await;
    assert_eq!((conv.status, conv.enqueued_at.is_some()), (S::Queued, true));
    let enqueued = conv.enqueued_at;

    let offered = c
        .go(
            conv.id,
            ConversationMove {
                assignee_id: Some(c.agent_id),
                ..ConversationMove::to(S::Offered)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (offered.status, offered.assignee_id),
        (S::Offered, Some(c.agent_id))
    );
    // The offer lapses: back to the queue, still waiting since the first enqueue.
    let lapsed = c
        .go(conv.id, ConversationMove::to(S::Queued))
        .await
        .unwrap();
    assert_eq!((lapsed.assignee_id, lapsed.enqueued_at), (None, enqueued));
    c.go(
        conv.id,
        ConversationMove {
            assignee_id: Some(c.agent_id),
            ..ConversationMove::to(S::Offered)
        },
    )
    .await
    .unwrap();
    let accept = ConversationMove {
        expected: Some(S::Offered),
        ..ConversationMove::to(S::Assigned)
    };
    let assigned = c.go(conv.id, accept.clone()).await.unwrap();
    assert_eq!(
        assigned.assignee_id,
        Some(c.agent_id),
        "accepting keeps the offered agent"
    );
    // A second accept of the same offer loses the race.
    let err = c.go(conv.id, accept).await.unwrap_err();
    assert_eq!(
        conflict(&err),
        Some("conversation_state_changed"),
        "{err:?}"
    );

    c.go(conv.id, ConversationMove::to(S::WrapUp))
        .await
        .unwrap();
    // The customer writes during wrap-up: back to the same agent.
    let back = c
        .say(conv.id, SenderKind::Customer, "还有一个问题", None)
        .await
        .unwrap();
    assert_eq!(
        (back.conversation.status, back.conversation.assignee_id),
        (S::Assigned, Some(c.agent_id))
    );
    let resolved = c
        .go(
            conv.id,
            ConversationMove {
                disposition: Some("refund".into()),
                ..ConversationMove::to(S::Resolved)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (resolved.status, resolved.disposition.as_deref()),
        (S::Resolved, Some("refund"))
    );
    assert!(resolved.resolved_at.is_some());

    // Agents cannot reply to a resolved conversation; the customer reopens it within the window.
    let err = c
        .say(conv.id, SenderKind::Agent, "hello?", None)
        .await
        .unwrap_err();
    assert_eq!(conflict(&err), Some("conversation_closed"));
    let reopened = c
        .say(conv.id, SenderKind::Customer, "又坏了", None)
        .await
        .unwrap();
    assert_eq!(reopened.conversation.status, S::Queued);
    assert!(
        reopened.conversation.resolved_at.is_none() && reopened.conversation.assignee_id.is_none()
    );
    assert!(
        reopened.conversation.enqueued_at > enqueued,
        "a reopened conversation waits anew"
    );
    let kinds: Vec<String> =
        c.f.store
            .events_for_entities(c.f.tenant.id, &[conv.id], 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
    assert!(
        kinds.contains(&"conversation.reopened".to_string()),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn invalid_moves_and_messages_change_nothing() {
    let c = chat().await;
    let conv = c.start().await;
    let err = c
        .go(conv.id, ConversationMove::to(S::WrapUp))
        .await
        .unwrap_err();
    assert_eq!(conflict(&err), Some("invalid_transition"));
    let err = c
        .go(conv.id, ConversationMove::to(S::Assigned))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(_)),
        "assigning needs an agent: {err:?}"
    );
    let stranger = ConversationMove {
        assignee_id: Some(Uuid::now_v7()),
        ..ConversationMove::to(S::Assigned)
    };
    assert!(matches!(
        c.go(conv.id, stranger).await,
        Err(StoreError::Invalid(_))
    ));
    let err = c
        .say(conv.id, SenderKind::Customer, "   ", Some("bad id!"))
        .await
        .unwrap_err();
    let StoreError::Invalid(errors) = err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.errors.len(), 2);
    let note =
        c.f.store
            .post_message(
                c.f.tenant.id,
                conv.id,
                NewMessage {
                    sender_kind: SenderKind::Customer,
                    sender_id: None,
                    kind: MessageKind::Note,
                    body: "x".into(),
                    client_msg_id: None,
                    attachment_ids: Vec::new(),
                },
                3600,
                &actor(),
            )
            .await;
    assert!(matches!(note, Err(StoreError::Invalid(_))));
    let after =
        c.f.store
            .conversation(c.f.tenant.id, conv.id)
            .await
            .unwrap();
    assert_eq!(after, conv);
    assert!(matches!(
        c.say(Uuid::now_v7(), SenderKind::Customer, "hi", None)
            .await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn notes_are_hidden_from_the_customer_view_and_ratings_come_once() {
    let c = chat().await;
    let conv = c.start().await;
    c.say(
        conv.id,
        SenderKind::Customer,
        "<script>alert(1)</script>",
        None,
    )
    .await
    .unwrap();
    c.f.store
        .post_message(
            c.f.tenant.id,
            conv.id,
            NewMessage {
                sender_kind: SenderKind::Agent,
                sender_id: Some(c.agent_id),
                kind: MessageKind::Note,
                body: "VIP, be quick".into(),
                client_msg_id: None,
                attachment_ids: Vec::new(),
            },
            3600,
            &actor(),
        )
        .await
        .unwrap();
    let customer_view =
        c.f.store
            .list_messages(c.f.tenant.id, conv.id, false, None, 50)
            .await
            .unwrap();
    assert_eq!(customer_view.items.len(), 1);
    assert_eq!(
        customer_view.items[0].body, "<script>alert(1)</script>",
        "stored verbatim"
    );
    let agent_view =
        c.f.store
            .list_messages(c.f.tenant.id, conv.id, true, None, 50)
            .await
            .unwrap();
    assert_eq!(agent_view.items.len(), 2);

    let err =
        c.f.store
            .rate_conversation(c.f.tenant.id, conv.id, 5, None, &actor())
            .await
            .unwrap_err();
    assert_eq!(conflict(&err), Some("conversation_not_resolved"));
    c.go(conv.id, ConversationMove::to(S::Resolved))
        .await
        .unwrap();
    let err =
        c.f.store
            .rate_conversation(c.f.tenant.id, conv.id, 6, None, &actor())
            .await
            .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    let rated =
        c.f.store
            .rate_conversation(c.f.tenant.id, conv.id, 4, Some("快".into()), &actor())
            .await
            .unwrap();
    assert_eq!(
        (rated.rating, rated.rating_comment.as_deref()),
        (Some(4), Some("快"))
    );
    let again =
        c.f.store
            .rate_conversation(c.f.tenant.id, conv.id, 1, None, &actor())
            .await;
    assert!(matches!(
        again,
        Err(StoreError::Conflict {
            code: "already_rated",
            ..
        })
    ));
}

#[tokio::test]
async fn lists_filter_and_the_router_rebuild_order_is_the_queue_order() {
    let c = chat().await;
    let first = c.start().await;
    let second = c.start().await;
    let third = c.start().await;
    c.go(third.id, ConversationMove::to(S::Resolved))
        .await
        .unwrap();
    c.go(
        first.id,
        ConversationMove {
            assignee_id: Some(c.agent_id),
            ..ConversationMove::to(S::Assigned)
        },
    )
    .await
    .unwrap();
    let queued =
        c.f.store
            .list_conversations(
                c.f.tenant.id,
                &ConversationFilter {
                    statuses: vec![S::Queued],
                    ..Default::default()
                },
                None,
                10,
            )
            .await
            .unwrap();
    assert_eq!(
        queued.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        [second.id]
    );
    let mine = ConversationFilter {
        assignee_id: Some(c.agent_id),
        ..Default::default()
    };
    assert_eq!(
        c.f.store
            .list_conversations(c.f.tenant.id, &mine, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let all =
        c.f.store
            .list_conversations(c.f.tenant.id, &ConversationFilter::default(), None, 2)
            .await
            .unwrap();
    assert_eq!(all.items[0].id, third.id, "newest first");
    let rest =
        c.f.store
            .list_conversations(
                c.f.tenant.id,
                &ConversationFilter::default(),
                all.next_after,
                2,
            )
            .await
            .unwrap();
    assert_eq!(
        rest.items.iter().map(|c| c.id).collect::<Vec<_>>(),
        [first.id]
    );

    let routable =
        c.f.store
            .routable_conversations(c.f.tenant.id)
            .await
            .unwrap();
    let ids: Vec<_> = routable.iter().map(|c| c.id).collect();
    assert_eq!(ids, [first.id, second.id]);
}

#[tokio::test]
async fn merging_customers_moves_their_conversations_and_visitors() {
    let c = chat().await;
    let conv = c.start().await;
    let target =
        c.f.store
            .create_customer(
                c.f.tenant.id,
                kefu_store::NewCustomer {
                    name: "张伟".into(),
                    company: None,
                    tier: "vip".into(),
                    tags: vec![],
                    attributes: Default::default(),
                    identities: vec![],
                },
                &actor(),
            )
            .await
            .unwrap();
    c.f.store
        .merge_customers(c.f.tenant.id, target.id, c.customer_id, "vip", &actor())
        .await
        .unwrap();
    let moved =
        c.f.store
            .conversation(c.f.tenant.id, conv.id)
            .await
            .unwrap();
    assert_eq!(moved.customer_id, target.id);
    assert_eq!(
        c.f.store
            .visitor_by_token("hash-1")
            .await
            .unwrap()
            .customer_id,
        target.id
    );
}

#[tokio::test]
async fn an_offer_records_its_expiry_and_the_reason_for_each_move() {
    let c = chat().await;
    let conv = c.start().await;
    let expires = chrono::Utc::now() + chrono::Duration::seconds(20);
    let offered =
        c.f.store
            .move_conversation(
                c.f.tenant.id,
                conv.id,
                ConversationMove {
                    assignee_id: Some(c.agent_id),
                    offer_expires_at: Some(expires),
                    expected: Some(S::Queued),
                    ..ConversationMove::to(S::Offered)
                },
                &actor(),
            )
            .await
            .unwrap();
    let stored_expiry = offered.offer_expires_at.unwrap();
    assert!((stored_expiry - expires).num_milliseconds().abs() < 1);

    let requeued =
        c.f.store
            .move_conversation(
                c.f.tenant.id,
                conv.id,
                ConversationMove {
                    reason: Some("offer_timed_out"),
                    topic: Some(None),
                    ..ConversationMove::to(S::Queued)
                },
                &actor(),
            )
            .await
            .unwrap();
    assert_eq!(
        requeued.offer_expires_at, None,
        "only an open offer has one"
    );
    assert_eq!(requeued.topic, None, "moved to the inbox's own queue");
    assert_eq!(
        requeued.enqueued_at, conv.enqueued_at,
        "the wait clock keeps running"
    );

    let events = c.f.store.events_since(c.f.tenant.id, 0, 100).await.unwrap();
    let queued = events
        .iter()
        .rfind(|e| e.kind == "conversation.queued")
        .unwrap();
    assert_eq!(queued.payload.0["reason"], "offer_timed_out");
    assert_eq!(queued.payload.0["from"], "offered");
}

#[tokio::test]
async fn reset_presence_takes_every_agent_offline_with_an_event() {
    let c = chat().await;
    let available = kefu_core::Presence {
        state: kefu_core::PresenceState::Available,
        reason: None,
    };
    c.f.store
        .set_presence(c.f.tenant.id, c.agent_id, &available, &actor())
        .await
        .unwrap();
    let reset =
        c.f.store
            .reset_presence(c.f.tenant.id, &actor())
            .await
            .unwrap();
    assert_eq!(reset, [c.agent_id]);
    let agent = c.f.store.user(c.f.tenant.id, c.agent_id).await.unwrap();
    assert_eq!(agent.presence, kefu_core::PresenceState::Offline);
    assert!(
        c.f.store
            .reset_presence(c.f.tenant.id, &actor())
            .await
            .unwrap()
            .is_empty(),
        "nothing left to reset"
    );
    assert!(
        c.f.store
            .tenant_ids()
            .await
            .unwrap()
            .contains(&c.f.tenant.id)
    );
}
