//! Canned responses: shortcuts unique per scope, the visible set (shared + own, own winning),
//! search, paging, events written with each change, and nothing reachable from another tenant.
use super::{Fixture, actor, fixture};
use kefu_core::{AgentProfile, Role};
use kefu_store::{
    CannedFilter, CannedResponse, CannedResponsePatch, CannedScope, NewCannedResponse, NewUser,
    StoreError, TenantSettings,
};
use uuid::Uuid;

async fn agent(f: &Fixture, tenant_id: Uuid, email: &str) -> Uuid {
    f.store
        .create_user(
            tenant_id,
            NewUser {
                email: email.into(),
                display_name: email.into(),
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

fn new(owner_id: Option<Uuid>, shortcut: &str, title: &str, body: &str) -> NewCannedResponse {
    NewCannedResponse {
        owner_id,
        shortcut: shortcut.into(),
        title: title.into(),
        body: body.into(),
        language: Some("zh-CN".into()),
    }
}

async fn create(f: &Fixture, canned: NewCannedResponse) -> Result<CannedResponse, StoreError> {
    f.store
        .create_canned_response(f.tenant.id, canned, &actor())
        .await
}

async fn list(f: &Fixture, viewer: Uuid, scope: CannedScope, query: Option<&str>) -> Vec<String> {
    let filter = CannedFilter {
        scope,
        query: query.map(str::to_owned),
    };
    f.store
        .list_canned_responses(f.tenant.id, viewer, &filter, None, 50)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| {
            let whose = if c.shared { "shared" } else { "own" };
            format!("{whose}:{}", c.shortcut)
        })
        .collect()
}

fn conflict_code(err: StoreError) -> &'static str {
    match err {
        StoreError::Conflict { code, .. } => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn shortcuts_are_unique_within_their_scope_only() {
    let f = fixture().await;
    let (a, b) = (
        agent(&f, f.tenant.id, "a@x.io").await,
        agent(&f, f.tenant.id, "b@x.io").await,
    );
    let shared = create(&f, new(None, "refund", "退款", "tenant"))
        .await
        .unwrap();
    assert!(shared.shared && shared.owner_id.is_none());
    assert_eq!(shared.created_by, None, "the system acted");
    let own = create(&f, new(Some(a), "refund", "退款", "mine"))
        .await
        .unwrap();
    assert_eq!((own.shared, own.owner_id), (false, Some(a)));
    create(&f, new(Some(b), "refund", "退款", "b's"))
        .await
        .unwrap();

    let again = create(&f, new(Some(a), "refund", "x", "y"))
        .await
        .unwrap_err();
    assert_eq!(conflict_code(again), "duplicate_shortcut");
    let again = create(&f, new(None, "refund", "x", "y")).await.unwrap_err();
    assert_eq!(conflict_code(again), "duplicate_shortcut");

    let stranger = create(&f, new(Some(Uuid::now_v7()), "x", "x", "x")).await;
    assert!(
        matches!(stranger, Err(StoreError::Invalid(_))),
        "{stranger:?}"
    );
}

#[tokio::test]
async fn an_agent_sees_the_shared_ones_and_their_own_which_win_a_clash() {
    let f = fixture().await;
    let (a, b) = (
        agent(&f, f.tenant.id, "a@x.io").await,
        agent(&f, f.tenant.id, "b@x.io").await,
    );
    create(&f, new(None, "hello", "问候", "您好"))
        .await
        .unwrap();
    create(&f, new(None, "refund", "退款", "shared refund"))
        .await
        .unwrap();
    create(&f, new(Some(a), "refund", "退款", "a's refund"))
        .await
        .unwrap();
    create(&f, new(Some(b), "bye", "再见", "b's bye"))
        .await
        .unwrap();

    assert_eq!(
        list(&f, a, CannedScope::Visible, None).await,
        ["shared:hello", "own:refund"]
    );
    assert_eq!(
        list(&f, b, CannedScope::Visible, None).await,
        ["shared:hello", "shared:refund", "own:bye"]
    );
    assert_eq!(
        list(&f, a, CannedScope::Shared, None).await,
        ["shared:hello", "shared:refund"],
        "managing the shared ones shows the shadowed one too"
    );
    assert_eq!(list(&f, a, CannedScope::Own, None).await, ["own:refund"]);
}

#[tokio::test]
async fn search_matches_a_shortcut_prefix_or_part_of_title_or_body() {
    let f = fixture().await;
    let a = agent(&f, f.tenant.id, "a@x.io").await;
    create(
        &f,
        new(None, "refund-policy", "Refund rules", "7 天无理由退货"),
    )
    .await
    .unwrap();
    create(
        &f,
        new(Some(a), "shipping", "发货时间", "48 小时内发货，100% 包邮"),
    )
    .await
    .unwrap();
    for (query, expected) in [
        ("ref", vec!["shared:refund-policy"]),
        ("/REF", vec!["shared:refund-policy"]),
        ("rules", vec!["shared:refund-policy"]),
        ("无理由", vec!["shared:refund-policy"]),
        ("发货", vec!["own:shipping"]),
        ("policy", vec![]),
        ("100%", vec!["own:shipping"]),
        ("%", vec!["own:shipping"]),
        ("_", vec![]),
        ("  ", vec!["shared:refund-policy", "own:shipping"]),
    ] {
        assert_eq!(
            list(&f, a, CannedScope::Visible, Some(query)).await,
            expected,
            "query {query:?}"
        );
    }
}

#[tokio::test]
async fn pages_resume_after_the_last_id() {
    let f = fixture().await;
    let a = agent(&f, f.tenant.id, "a@x.io").await;
    for shortcut in ["a", "b", "c"] {
        create(&f, new(Some(a), shortcut, "t", "b")).await.unwrap();
    }
    let filter = CannedFilter::default();
    let first = f
        .store
        .list_canned_responses(f.tenant.id, a, &filter, None, 2)
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    let second = f
        .store
        .list_canned_responses(f.tenant.id, a, &filter, first.next_after, 2)
        .await
        .unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.items[0].shortcut, "c");
    assert!(second.next_after.is_none());
}

#[tokio::test]
async fn every_change_is_an_event_and_a_refused_one_changes_nothing() {
    let f = fixture().await;
    let a = agent(&f, f.tenant.id, "a@x.io").await;
    let start = f.store.last_event_seq(f.tenant.id).await.unwrap();
    let taken = create(&f, new(Some(a), "taken", "t", "b")).await.unwrap();
    let canned = create(&f, new(Some(a), "greet", "问候", "您好 {{customer.name}}"))
        .await
        .unwrap();
    let by_user = kefu_store::Actor::user(a, None);
    let updated = f
        .store
        .update_canned_response(
            f.tenant.id,
            canned.id,
            CannedResponsePatch {
                shortcut: Some("greeting".into()),
                language: Some(None),
                ..Default::default()
            },
            &by_user,
        )
        .await
        .unwrap();
    assert_eq!(updated.shortcut, "greeting");
    assert_eq!(updated.language, None);
    assert_eq!(updated.body, canned.body, "unpatched fields are kept");
    assert_eq!(updated.updated_by, Some(a));
    assert!(updated.updated_at >= canned.updated_at);

    let before_refusal = f.store.last_event_seq(f.tenant.id).await.unwrap();
    let refused = f
        .store
        .update_canned_response(
            f.tenant.id,
            canned.id,
            CannedResponsePatch {
                shortcut: Some(taken.shortcut.clone()),
                title: Some("changed".into()),
                ..Default::default()
            },
            &by_user,
        )
        .await
        .unwrap_err();
    assert_eq!(conflict_code(refused), "duplicate_shortcut");
    assert_eq!(
        f.store.last_event_seq(f.tenant.id).await.unwrap(),
        before_refusal
    );
    assert_eq!(
        f.store
            .canned_response(f.tenant.id, canned.id)
            .await
            .unwrap()
            .title,
        "问候"
    );

    f.store
        .delete_canned_response(f.tenant.id, canned.id, &by_user)
        .await
        .unwrap();
    assert!(matches!(
        f.store.canned_response(f.tenant.id, canned.id).await,
        Err(StoreError::NotFound)
    ));
    let kinds: Vec<String> = f
        .store
        .events_since(f.tenant.id, start, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            assert_eq!(e.entity_type, "canned_response");
            e.kind
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "canned_response.created",
            "canned_response.created",
            "canned_response.updated",
            "canned_response.deleted"
        ]
    );
}

#[tokio::test]
async fn another_tenant_reaches_no_canned_response() {
    let f = fixture().await;
    let a = agent(&f, f.tenant.id, "a@x.io").await;
    let shared = create(&f, new(None, "hello", "问候", "您好"))
        .await
        .unwrap();
    let own = create(&f, new(Some(a), "mine", "t", "b")).await.unwrap();
    let other = f
        .store
        .create_tenant("other", "Other", &TenantSettings::default(), &actor())
        .await
        .unwrap();
    let stranger = agent(&f, other.id, "s@y.io").await;
    for id in [shared.id, own.id] {
        assert!(matches!(
            f.store.canned_response(other.id, id).await,
            Err(StoreError::NotFound)
        ));
        let patch = CannedResponsePatch {
            title: Some("pwned".into()),
            ..Default::default()
        };
        assert!(matches!(
            f.store
                .update_canned_response(other.id, id, patch, &actor())
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            f.store.delete_canned_response(other.id, id, &actor()).await,
            Err(StoreError::NotFound)
        ));
    }
    // A's agent as owner in the other tenant is not a user there.
    let foreign_owner = f
        .store
        .create_canned_response(other.id, new(Some(a), "x", "x", "x"), &actor())
        .await;
    assert!(matches!(foreign_owner, Err(StoreError::Invalid(_))));
    for scope in [CannedScope::Visible, CannedScope::Shared, CannedScope::Own] {
        let filter = CannedFilter { scope, query: None };
        for viewer in [stranger, a] {
            let page = f
                .store
                .list_canned_responses(other.id, viewer, &filter, None, 50)
                .await
                .unwrap();
            assert!(page.items.is_empty(), "{scope:?} as {viewer}");
        }
    }
    // A's responses are untouched.
    let still = f.store.canned_response(f.tenant.id, own.id).await.unwrap();
    assert_eq!(still, own);
}

#[tokio::test]
async fn concurrent_creates_of_one_shortcut_leave_one_and_name_the_conflict() {
    let f = fixture().await;
    let a = agent(&f, f.tenant.id, "a@x.io").await;
    // On PostgreSQL several may pass the check before any commits; the unique index decides
    // and its violation still reads as duplicate_shortcut.
    let attempts = (0..8).map(|i| {
        let store = f.store.clone();
        let tenant_id = f.tenant.id;
        tokio::spawn(async move {
            store
                .create_canned_response(
                    tenant_id,
                    new(Some(a), "same", "t", &format!("attempt {i}")),
                    &actor(),
                )
                .await
        })
    });
    let mut created = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        match attempt.await.unwrap() {
            Ok(_) => created += 1,
            Err(err) => assert_eq!(conflict_code(err), "duplicate_shortcut"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(list(&f, a, CannedScope::Own, None).await, ["own:same"]);
}
