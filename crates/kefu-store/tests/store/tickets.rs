use super::{Fixture, actor, fixture};
use kefu_core::{AgentProfile, Role, TicketPriority, TicketStatus as S, TicketType};
use kefu_store::{
    CommentAuthor, NewComment, NewCustomer, NewTicket, NewUser, StoreError, TicketFilter,
    TicketPatch,
};
use uuid::Uuid;

async fn customer(f: &Fixture, name: &str) -> Uuid {
    f.store
        .create_customer(
            f.tenant.id,
            NewCustomer {
                name: name.into(),
                company: None,
                tier: "normal".into(),
                tags: vec![],
                attributes: Default::default(),
                identities: vec![],
            },
            &actor(),
        )
        .await
        .unwrap()
        .id
}

async fn agent(f: &Fixture) -> Uuid {
    f.store
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
        .unwrap()
        .id
}

fn new_ticket(requester_id: Uuid, subject: &str) -> NewTicket {
    NewTicket {
        subject: subject.into(),
        description: "订单 SO-2026-0042 的发票抬头写错了".into(),
        requester_id,
        channel: "web".into(),
        priority: TicketPriority::Normal,
        ticket_type: TicketType::Question,
        tags: vec!["发票".into(), " 发票 ".into()],
        assignee_id: None,
        group_id: None,
        conversation_id: None,
        custom_fields: Default::default(),
    }
}

#[tokio::test]
async fn numbers_count_from_1001_per_tenant_and_tickets_round_trip() {
    let f = fixture().await;
    let requester = customer(&f, "王芳").await;
    let first = f
        .store
        .create_ticket(f.tenant.id, new_ticket(requester, "发票抬头错误"), &actor())
        .await
        .unwrap();
    let second = f
        .store
        .create_ticket(f.tenant.id, new_ticket(requester, "退款进度"), &actor())
        .await
        .unwrap();
    assert_eq!((first.number, second.number), (1001, 1002));
    assert_eq!(first.status, S::New);
    assert_eq!(first.tags, ["发票"], "tags are normalised");
    assert_eq!(
        f.store.ticket_by_number(f.tenant.id, 1002).await.unwrap(),
        second
    );
    assert_eq!(f.store.ticket(f.tenant.id, first.id).await.unwrap(), first);

    let other = f
        .store
        .create_tenant("globex", "Globex", &Default::default(), &actor())
        .await
        .unwrap();
    let theirs = customer(
        &Fixture {
            store: f.store.clone(),
            tenant: other.clone(),
            ..fixture().await
        },
        "Hans",
    )
    .await;
    let own = f
        .store
        .create_ticket(other.id, new_ticket(theirs, "Hallo"), &actor())
        .await
        .unwrap();
    assert_eq!(own.number, 1001, "each tenant counts on its own");
    assert!(matches!(
        f.store.ticket(other.id, first.id).await,
        Err(StoreError::NotFound)
    ));
    // Another tenant's customer cannot be a requester here.
    let err = f
        .store
        .create_ticket(f.tenant.id, new_ticket(theirs, "x"), &actor())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Invalid(ref e) if e.errors[0].field == "requester_id"),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_lifecycle_is_enforced_and_each_change_is_an_event_with_its_fields() {
    let f = fixture().await;
    let requester = customer(&f, "王芳").await;
    let lina = agent(&f).await;
    let ticket = f
        .store
        .create_ticket(f.tenant.id, new_ticket(requester, "发票抬头错误"), &actor())
        .await
        .unwrap();
    let assigned = f
        .store
        .update_ticket(
            f.tenant.id,
            ticket.id,
            TicketPatch {
                assignee_id: Some(Some(lina)),
                priority: Some(TicketPriority::High),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(assigned.status, S::Open, "assigning a new ticket opens it");
    let refused = f
        .store
        .update_ticket(
            f.tenant.id,
            ticket.id,
            TicketPatch {
                status: Some(S::Closed),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::Conflict { code, .. } if code == "invalid_transition"));
    let solved = f
        .store
        .update_ticket(
            f.tenant.id,
            ticket.id,
            TicketPatch {
                status: Some(S::Solved),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    assert!(solved.solved_at.is_some());
    let events = f.store.events_since(f.tenant.id, 0, 100).await.unwrap();
    let updates: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "ticket.updated")
        .map(|e| {
            let mut fields: Vec<String> = e.payload.0["changes"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            fields.sort();
            fields
        })
        .collect();
    assert_eq!(
        updates,
        [
            vec!["assignee_id", "priority", "status"],
            vec!["solved_at", "status"]
        ]
    );

    // The customer writes again: the solved ticket reopens; closing is then final.
    let (_, reopened) = f
        .store
        .add_comment(
            f.tenant.id,
            ticket.id,
            NewComment {
                author_kind: CommentAuthor::Customer,
                author_id: None,
                public: true,
                body: "还是不对".into(),
            },
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(reopened.status, S::Open);
    assert_eq!(reopened.solved_at, None);
    for status in [S::Solved, S::Closed] {
        f.store
            .update_ticket(
                f.tenant.id,
                ticket.id,
                TicketPatch {
                    status: Some(status),
                    ..Default::default()
                },
                &actor(),
            )
            .await
            .unwrap();
    }
    let closed = f
        .store
        .add_comment(
            f.tenant.id,
            ticket.id,
            NewComment {
                author_kind: CommentAuthor::Customer,
                author_id: None,
                public: true,
                body: "?".into(),
            },
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(closed, StoreError::Conflict { code, .. } if code == "ticket_closed"));
}

#[tokio::test]
async fn comments_keep_notes_internal_and_search_finds_tickets_by_any_text() {
    let f = fixture().await;
    let requester = customer(&f, "王芳").await;
    let lina = agent(&f).await;
    let invoice = f
        .store
        .create_ticket(f.tenant.id, new_ticket(requester, "发票抬头错误"), &actor())
        .await
        .unwrap();
    let refund = f
        .store
        .create_ticket(f.tenant.id, new_ticket(requester, "退款进度"), &actor())
        .await
        .unwrap();
    for (public, body) in [
        (false, "财务说 100% 会在周五前重开"),
        (true, "您好，我们正在处理"),
    ] {
        f.store
            .add_comment(
                f.tenant.id,
                refund.id,
                NewComment {
                    author_kind: CommentAuthor::Agent,
                    author_id: Some(lina),
                    public,
                    body: body.into(),
                },
                &actor(),
            )
            .await
            .unwrap();
    }
    let public = f
        .store
        .list_comments(f.tenant.id, refund.id, false, None, 50)
        .await
        .unwrap();
    assert_eq!(public.items.len(), 1);
    assert!(public.items[0].public);
    let all = f
        .store
        .list_comments(f.tenant.id, refund.id, true, None, 50)
        .await
        .unwrap();
    assert_eq!(all.items.len(), 2);
    assert_eq!(
        f.store.ticket(f.tenant.id, refund.id).await.unwrap().status,
        S::Open,
        "a public agent reply opens a new ticket"
    );

    let search = |query: &str| {
        let filter = TicketFilter {
            query: Some(query.into()),
            ..Default::default()
        };
        let store = f.store.clone();
        let tenant = f.tenant.id;
        async move {
            store
                .list_tickets(tenant, &filter, None, 50)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|t| t.number)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        search("周五").await,
        [refund.number],
        "internal notes are searched"
    );
    assert_eq!(search("抬头错误").await, [invoice.number], "by subject");
    assert_eq!(
        search("so-2026").await,
        [refund.number, invoice.number],
        "newest first"
    );
    assert!(search("100%前").await.is_empty(), "% is literal");
    let open = TicketFilter {
        statuses: vec![S::Open],
        ..Default::default()
    };
    let listed = f
        .store
        .list_tickets(f.tenant.id, &open, None, 50)
        .await
        .unwrap();
    assert_eq!(
        listed.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        [refund.id]
    );
}

#[tokio::test]
async fn trigger_firings_apply_once_with_their_cursor() {
    use kefu_core::trigger::{Firing, TicketChanges, TriggerRules};
    let f = fixture().await;
    let requester = customer(&f, "王芳").await;
    let rules: TriggerRules = serde_json::from_value(serde_json::json!({
        "on": "ticket_created", "actions": [{"type": "add_tags", "tags": ["vip"]}]}))
    .unwrap();
    let trigger = f
        .store
        .create_trigger(
            f.tenant.id,
            kefu_store::NewTrigger {
                name: "vip".into(),
                rules,
                position: None,
                active: true,
            },
            &actor(),
        )
        .await
        .unwrap();
    // The cursor starts at the end of the log as it was when the first trigger was made.
    let start = f.store.trigger_cursor(f.tenant.id).await.unwrap().unwrap();
    assert_eq!(start, f.store.last_event_seq(f.tenant.id).await.unwrap());
    let ticket = f
        .store
        .create_ticket(f.tenant.id, new_ticket(requester, "加急"), &actor())
        .await
        .unwrap();
    let seq = f.store.last_event_seq(f.tenant.id).await.unwrap();
    let firing = Firing {
        trigger_id: trigger.id,
        name: trigger.name.clone(),
        changes: TicketChanges {
            tags: Some(vec!["发票".into(), "vip".into()]),
            ..TicketChanges::default()
        },
        notify_users: vec![],
        notify_groups: vec![],
        replies: vec!["已收到".into()],
        webhooks: vec![],
    };
    let applied = f
        .store
        .apply_trigger_firings(f.tenant.id, seq, ticket.id, std::slice::from_ref(&firing))
        .await
        .unwrap();
    assert!(applied);
    // The same event again (a second follower, a restart): nothing more happens.
    let again = f
        .store
        .apply_trigger_firings(f.tenant.id, seq, ticket.id, &[firing])
        .await
        .unwrap();
    assert!(!again);
    assert_eq!(
        f.store.trigger_cursor(f.tenant.id).await.unwrap(),
        Some(seq)
    );
    let now = f.store.ticket(f.tenant.id, ticket.id).await.unwrap();
    assert_eq!(now.tags, ["发票", "vip"]);
    let comments = f
        .store
        .list_comments(f.tenant.id, ticket.id, true, None, 50)
        .await
        .unwrap();
    assert_eq!(comments.items.len(), 1);
    let events = f.store.events_since(f.tenant.id, seq, 100).await.unwrap();
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.actor_type.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("ticket.updated", "trigger"),
            ("ticket.comment_added", "trigger"),
            ("trigger.fired", "trigger")
        ]
    );
    // The cursor never goes back.
    f.store
        .set_trigger_cursor(f.tenant.id, start)
        .await
        .unwrap();
    assert_eq!(
        f.store.trigger_cursor(f.tenant.id).await.unwrap(),
        Some(seq)
    );
}

/// The numbers of the tickets a search finds, newest first.
async fn found(store: &kefu_store::Store, tenant: Uuid, query: &str) -> Vec<i64> {
    let filter = TicketFilter {
        query: Some(query.into()),
        ..Default::default()
    };
    store
        .list_tickets(tenant, &filter, None, 50)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|t| t.number)
        .collect()
}

async fn comment(f: &Fixture, ticket: Uuid, public: bool, body: &str) {
    f.store
        .add_comment(
            f.tenant.id,
            ticket,
            NewComment {
                author_kind: CommentAuthor::System,
                author_id: None,
                public,
                body: body.into(),
            },
            &actor(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn search_finds_chinese_and_english_text_in_any_field_and_takes_queries_as_text() {
    let f = fixture().await;
    let requester = customer(&f, "王芳").await;
    let create = |subject: &'static str, description: &'static str| {
        let store = f.store.clone();
        let tenant = f.tenant.id;
        async move {
            let mut new = new_ticket(requester, subject);
            new.description = description.into();
            store.create_ticket(tenant, new, &actor()).await.unwrap()
        }
    };
    let refund = create("申请退款失败", "Refund failed twice, card ending 4242").await;
    let invoice = create("发票抬头错误", "Invoice title is wrong").await;
    let quoted = create("Special \"quoted\" 100% x_y AND *", "literal syntax").await;
    comment(
        &f,
        invoice.id,
        false,
        "内部备注：客户要求加急 escalate-7788",
    )
    .await;
    let search = |q: &'static str| found(&f.store, f.tenant.id, q);

    assert_eq!(
        search("退款").await,
        [refund.number],
        "2 characters, inside a word"
    );
    assert_eq!(
        search("退款失败").await,
        [refund.number],
        "Chinese substring"
    );
    assert_eq!(search("refund").await, [refund.number], "English word");
    assert_eq!(
        search("REFUND FAILED").await,
        [refund.number],
        "any case, every word"
    );
    assert_eq!(
        search("refund invoice").await,
        Vec::<i64>::new(),
        "every word must be there"
    );
    assert_eq!(
        search("escalate-7788").await,
        [invoice.number],
        "only in an internal note"
    );
    assert_eq!(
        search("加急").await,
        [invoice.number],
        "2 characters, only in a note"
    );
    assert_eq!(
        search("抬头 wrong").await,
        [invoice.number],
        "short and long words together"
    );
    assert_eq!(
        search("\"quoted\"").await,
        [quoted.number],
        "quotes are text"
    );
    assert_eq!(search("100%").await, [quoted.number], "% is text");
    assert_eq!(search("x_y").await, [quoted.number], "_ is text");
    assert!(search("x%y").await.is_empty(), "% matches only itself");
    assert_eq!(search("AND *").await, [quoted.number], "FTS syntax is text");
    for q in [
        "\"",
        "*",
        "AND",
        "NEAR(a b)",
        "a OR b",
        "(",
        "'",
        "\\",
        "col:x",
        "^abc",
        "-x",
    ] {
        let filter = TicketFilter {
            query: Some(q.into()),
            ..Default::default()
        };
        f.store
            .list_tickets(f.tenant.id, &filter, None, 50)
            .await
            .unwrap_or_else(|e| panic!("{q:?} failed: {e}"));
    }
    assert_eq!(
        search("4242").await,
        [refund.number],
        "digits in the description"
    );

    // A later change of the subject is found; the old subject is not.
    f.store
        .update_ticket(
            f.tenant.id,
            invoice.id,
            TicketPatch {
                subject: Some("开票信息更正".into()),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(search("开票信息").await, [invoice.number]);
    assert!(search("发票抬头").await.is_empty());
    assert_eq!(
        search("escalate").await,
        [invoice.number],
        "comments survive the rebuild"
    );

    // Another tenant's tickets are never found.
    let other = f
        .store
        .create_tenant("globex", "Globex", &Default::default(), &actor())
        .await
        .unwrap();
    assert!(found(&f.store, other.id, "退款").await.is_empty());
    assert!(found(&f.store, other.id, "refund").await.is_empty());
}

#[tokio::test]
async fn search_pages_newest_first_and_keeps_the_other_filters() {
    let f = fixture().await;
    let requester = customer(&f, "王芳").await;
    let mut numbers = Vec::new();
    for i in 0..5 {
        let mut new = new_ticket(requester, &format!("物流延迟 case {i}"));
        new.description = "快递".into();
        numbers.push(
            f.store
                .create_ticket(f.tenant.id, new, &actor())
                .await
                .unwrap(),
        );
    }
    for (query, expected) in [("物流延迟", 5), ("快递", 5)] {
        let filter = TicketFilter {
            query: Some(query.into()),
            ..Default::default()
        };
        let first = f
            .store
            .list_tickets(f.tenant.id, &filter, None, 2)
            .await
            .unwrap();
        let mut seen: Vec<i64> = first.items.iter().map(|t| t.number).collect();
        let mut next = first.next_after;
        while let Some(after) = next {
            let page = f
                .store
                .list_tickets(f.tenant.id, &filter, Some(after), 2)
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|t| t.number));
            next = page.next_after;
        }
        let mut newest_first: Vec<i64> = numbers.iter().map(|t| t.number).collect();
        newest_first.reverse();
        assert_eq!(seen, newest_first, "{query}");
        assert_eq!(seen.len(), expected);
    }
    f.store
        .update_ticket(
            f.tenant.id,
            numbers[1].id,
            TicketPatch {
                status: Some(S::Open),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    for query in ["物流延迟", "快递"] {
        let filter = TicketFilter {
            query: Some(query.into()),
            statuses: vec![S::Open],
            ..Default::default()
        };
        let open = f
            .store
            .list_tickets(f.tenant.id, &filter, None, 50)
            .await
            .unwrap();
        assert_eq!(
            open.items.iter().map(|t| t.id).collect::<Vec<_>>(),
            [numbers[1].id],
            "{query}"
        );
    }
}

/// A phrase with more matches than the forward probe takes is walked newest first; a rarer one
/// is read from the probe's keys. Both page alike.
#[tokio::test]
async fn search_pages_alike_whether_the_matches_are_many_or_few() {
    let f = fixture().await;
    let requester = customer(&f, "王芳").await;
    let mut created = Vec::new();
    for i in 0..230 {
        let mut new = new_ticket(requester, &format!("物流延迟 {i}"));
        if i % 50 == 7 {
            new.description = format!("订单 SO-77{i:03} 未发货");
        }
        created.push(
            f.store
                .create_ticket(f.tenant.id, new, &actor())
                .await
                .unwrap(),
        );
    }
    let pages = |query: &'static str, limit: u32| {
        let store = f.store.clone();
        let tenant = f.tenant.id;
        async move {
            let filter = TicketFilter {
                query: Some(query.into()),
                ..Default::default()
            };
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let page = store
                    .list_tickets(tenant, &filter, after, limit)
                    .await
                    .unwrap();
                seen.extend(page.items.iter().map(|t| t.number));
                match page.next_after {
                    Some(next) => after = Some(next),
                    None => return seen,
                }
            }
        }
    };
    let newest_first = |keep: &dyn Fn(usize) -> bool| -> Vec<i64> {
        let mut numbers: Vec<i64> = created
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, t)| t.number)
            .collect();
        numbers.reverse();
        numbers
    };
    assert_eq!(pages("物流延迟", 50).await, newest_first(&|_| true));
    assert_eq!(pages("SO-77", 2).await, newest_first(&|i| i % 50 == 7));
    assert_eq!(pages("SO-77107", 50).await, newest_first(&|i| i == 107));
    assert_eq!(
        pages("物流延迟 SO-77", 3).await,
        newest_first(&|i| i % 50 == 7)
    );
}

/// A comment moved to another ticket by SQL of its own (as a merge does) is found on its new
/// ticket only: the index follows whichever code writes.
#[tokio::test]
async fn search_follows_a_comment_moved_to_another_ticket() {
    use sqlx::Connection;
    let f = fixture().await;
    let (store, tenant) = (f.store.clone(), f.tenant.clone());
    let requester = customer(&f, "王芳").await;
    let from = store
        .create_ticket(tenant.id, new_ticket(requester, "原工单"), &actor())
        .await
        .unwrap();
    let to = store
        .create_ticket(tenant.id, new_ticket(requester, "目标工单"), &actor())
        .await
        .unwrap();
    comment(&f, from.id, true, "挪动的评论 moved-comment").await;
    assert_eq!(
        found(&store, tenant.id, "moved-comment").await,
        [from.number]
    );
    let sql = "UPDATE ticket_comments SET ticket_id = $1 WHERE tenant_id = $2 AND ticket_id = $3";
    if f.url().starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(f.url()).await.unwrap();
        sqlx::query(sql)
            .bind(to.id)
            .bind(tenant.id)
            .bind(from.id)
            .execute(&mut conn)
            .await
            .unwrap();
    } else {
        let mut conn = sqlx::SqliteConnection::connect(f.url()).await.unwrap();
        sqlx::query(sql)
            .bind(to.id)
            .bind(tenant.id)
            .bind(from.id)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    assert_eq!(found(&store, tenant.id, "moved-comment").await, [to.number]);
    assert_eq!(found(&store, tenant.id, "挪动").await, [to.number]);
    assert_eq!(found(&store, tenant.id, "原工单").await, [from.number]);
}

#[tokio::test]
async fn creates_that_arrive_together_share_a_commit_and_a_refused_one_spoils_none_of_the_others() {
    let f = fixture().await;
    let requester = customer(&f, "王芳").await;
    let other = f
        .store
        .create_tenant("globex", "Globex", &Default::default(), &actor())
        .await
        .unwrap();
    let foreign = customer(
        &Fixture {
            store: f.store.clone(),
            tenant: other.clone(),
            ..fixture().await
        },
        "Hans",
    )
    .await;
    // Spawned together, they wait in the queue while the first group commits.
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let store = f.store.clone();
            let tenant = f.tenant.id;
            let requester = if i % 7 == 3 { foreign } else { requester };
            tokio::spawn(async move {
                store
                    .create_ticket(tenant, new_ticket(requester, &format!("第{i}单")), &actor())
                    .await
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(ticket) => {
                assert_ne!(i % 7, 3, "ticket {i} with a foreign requester was taken");
                assert_eq!(ticket.subject, format!("第{i}单"));
                assert_eq!(
                    f.store.ticket(f.tenant.id, ticket.id).await.unwrap(),
                    ticket
                );
                numbers.push(ticket.number);
            }
            Err(StoreError::Invalid(e)) => {
                assert_eq!(i % 7, 3, "ticket {i} refused: {e:?}");
                assert_eq!(e.errors[0].field, "requester_id");
            }
            Err(other) => panic!("ticket {i}: {other:?}"),
        }
    }
    numbers.sort_unstable();
    let expected: Vec<i64> = (1001..1001 + numbers.len() as i64).collect();
    assert_eq!(numbers, expected, "numbers have no gaps and no repeats");
    let created = f
        .store
        .events_since(f.tenant.id, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "ticket.created")
        .count();
    assert_eq!(
        created,
        numbers.len(),
        "one event per ticket taken, none for the refused"
    );
}

/// Installs a rule only the database knows (a trigger refusing one subject), to see what a
/// batch of creations does when the database refuses one row of it.
async fn refuse_subject_in_database(f: &Fixture, subject: &str) {
    use sqlx::{Connection, Executor};
    if f.url().starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(f.url()).await.unwrap();
        conn.execute(sqlx::AssertSqlSafe(format!(
            "CREATE FUNCTION refuse_subject() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.subject = '{subject}' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$"
        )))
        .await
        .unwrap();
        conn.execute(
            "CREATE TRIGGER refuse_subject BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION refuse_subject()",
        )
        .await
        .unwrap();
    } else {
        let mut conn = sqlx::SqliteConnection::connect(f.url()).await.unwrap();
        conn.execute(sqlx::AssertSqlSafe(format!(
            "CREATE TRIGGER refuse_subject BEFORE INSERT ON tickets WHEN new.subject = '{subject}'
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )))
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_creation_the_database_refuses_fails_alone_and_the_rest_of_its_batch_is_written() {
    let f = fixture().await;
    let requester = customer(&f, "王芳").await;
    let lina = agent(&f).await;
    // Spawned together, they reach the queue before its runner first looks: one batch.
    let wave = |from: usize, to: usize| -> Vec<_> {
        (from..to)
            .map(|i| {
                let store = f.store.clone();
                let tenant = f.tenant.id;
                let mut new = new_ticket(
                    requester,
                    &if i == 17 {
                        "坏单".to_owned()
                    } else {
                        format!("第{i}单")
                    },
                );
                new.assignee_id = (i % 3 == 0).then_some(lina);
                tokio::spawn(async move { store.create_ticket(tenant, new, &actor()).await })
            })
            .collect()
    };
    let mut first = Vec::new();
    for task in wave(0, 10) {
        first.push(task.await.unwrap().unwrap());
    }
    let mut stamps: Vec<_> = first.iter().map(|t| t.created_at).collect();
    stamps.dedup();
    assert_eq!(stamps.len(), 1, "written together as one batch");
    refuse_subject_in_database(&f, "坏单").await;
    let tasks: Vec<_> = first
        .into_iter()
        .map(|ticket| tokio::spawn(async move { Ok(ticket) }))
        .chain(wave(10, 30))
        .collect();
    let mut created = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(ticket) => {
                assert_ne!(i, 17, "the refused subject was written");
                assert_eq!(
                    f.store.ticket(f.tenant.id, ticket.id).await.unwrap(),
                    ticket
                );
                let followers = f
                    .store
                    .ticket_followers(f.tenant.id, ticket.id)
                    .await
                    .unwrap();
                let expected: Vec<Uuid> = ticket.assignee_id.into_iter().collect();
                assert_eq!(
                    followers.iter().map(|f| f.user_id).collect::<Vec<_>>(),
                    expected,
                    "the assignee follows ticket {i}"
                );
                created.push(ticket);
            }
            Err(StoreError::Database(_)) => assert_eq!(i, 17),
            Err(other) => panic!("ticket {i}: {other:?}"),
        }
    }
    assert_eq!(created.len(), 29);
    let mut numbers: Vec<i64> = created.iter().map(|t| t.number).collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1001..1030).collect::<Vec<_>>(),
        "no gaps, no repeats"
    );
    let events = f.store.events_since(f.tenant.id, 0, 1000).await.unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "events are numbered without gaps"
    );
    let count = |kind: &str| events.iter().filter(|e| e.kind == kind).count();
    assert_eq!(count("ticket.created"), 29);
    assert_eq!(
        count("ticket.follower_added"),
        created.iter().filter(|t| t.assignee_id.is_some()).count()
    );
    // Each ticket's own events come in order: created, then its assignee following it.
    for ticket in created.iter().filter(|t| t.assignee_id.is_some()) {
        let kinds: Vec<&str> = events
            .iter()
            .filter(|e| e.entity_id == Some(ticket.id))
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(kinds, ["ticket.created", "ticket.follower_added"]);
    }
}

#[tokio::test]
async fn breaching_soon_lists_running_targets_due_by_then_or_breached_newest_first() {
    use chrono::{TimeDelta, Utc};
    use kefu_store::TicketSlaTarget;
    let f = fixture().await;
    let requester = customer(&f, "王芳").await;
    let now = Utc::now();
    let target = |state: &str, due: Option<TimeDelta>, completed: bool| TicketSlaTarget {
        target: "resolution".into(),
        policy: "standard".into(),
        state: state.into(),
        started_at: now - TimeDelta::hours(5),
        goal_secs: 4 * 3600,
        elapsed_secs: 3600,
        warn_at: None,
        due_at: due.map(|d| now + d),
        breached_at: (state == "breached").then_some(now - TimeDelta::hours(1)),
        completed_at: completed.then_some(now),
    };
    // Oldest first: breached with its due time cleared, due in 30 min, due tomorrow,
    // breached but completed, none at all, and breached but put on hold.
    let cases = [
        Some(target("breached", None, false)),
        Some(target("active", Some(TimeDelta::minutes(30)), false)),
        Some(target("active", Some(TimeDelta::hours(20)), false)),
        Some(target("breached", None, true)),
        None,
        Some(target("breached", None, false)),
    ];
    let mut ids = Vec::new();
    for (i, sla) in cases.into_iter().enumerate() {
        let ticket = f
            .store
            .create_ticket(
                f.tenant.id,
                new_ticket(requester, &format!("第{i}单")),
                &actor(),
            )
            .await
            .unwrap();
        if let Some(sla) = sla {
            f.store
                .save_ticket_sla(f.tenant.id, ticket.id, &[sla])
                .await
                .unwrap();
        }
        ids.push(ticket.id);
    }
    f.store
        .update_ticket(
            f.tenant.id,
            ids[5],
            TicketPatch {
                status: Some(S::OnHold),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    let filter = |statuses: Vec<S>| TicketFilter {
        statuses,
        breaching_by: Some(now + TimeDelta::hours(1)),
        ..Default::default()
    };
    let listed = |page: kefu_store::Page<kefu_store::Ticket>| {
        page.items.iter().map(|t| t.id).collect::<Vec<_>>()
    };
    let all = f
        .store
        .list_tickets(f.tenant.id, &filter(vec![]), None, 50)
        .await
        .unwrap();
    assert_eq!(listed(all), [ids[5], ids[1], ids[0]]);
    let first = f
        .store
        .list_tickets(f.tenant.id, &filter(vec![]), None, 2)
        .await
        .unwrap();
    assert_eq!(first.next_after, Some(ids[1]));
    let rest = f
        .store
        .list_tickets(f.tenant.id, &filter(vec![]), first.next_after, 2)
        .await
        .unwrap();
    assert_eq!(
        (listed(rest.clone()), rest.next_after),
        (vec![ids[0]], None)
    );
    let working = f
        .store
        .list_tickets(f.tenant.id, &filter(vec![S::New, S::Open]), None, 50)
        .await
        .unwrap();
    assert_eq!(
        listed(working),
        [ids[1], ids[0]],
        "the status filter still applies"
    );
}
