use super::{actor, fixture};
use kefu_core::{AgentProfile, Role};
use kefu_store::{NewUser, StoreError, TenantSettings};

fn agent(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        display_name: email.into(),
        role: Role::Agent,
        password_hash: None,
        profile: AgentProfile {
            capacities: AgentProfile::default_capacities(),
            ..Default::default()
        },
        group_ids: vec![],
    }
}

#[tokio::test]
async fn migrations_are_idempotent_and_ping_answers() {
    let f = fixture().await;
    f.store.migrate().await.unwrap();
    f.store.ping().await.unwrap();
}

#[tokio::test]
async fn every_change_appends_one_event_in_sequence() {
    let f = fixture().await;
    let start = f.store.last_event_seq(f.tenant.id).await.unwrap();
    assert_eq!(start, 1, "tenant.created is the first event");
    let user = f
        .store
        .create_user(f.tenant.id, agent("a@x.io"), &actor())
        .await
        .unwrap();
    f.store
        .update_user(
            f.tenant.id,
            user.id,
            kefu_store::UserPatch {
                display_name: Some("A".into()),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    let events = f.store.events_since(f.tenant.id, 0, 100).await.unwrap();
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["tenant.created", "user.created", "user.updated"]);
    let seqs: Vec<_> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(events[1].entity_id, Some(user.id));
}

#[tokio::test]
async fn a_failed_change_writes_no_event() {
    let f = fixture().await;
    f.store
        .create_user(f.tenant.id, agent("a@x.io"), &actor())
        .await
        .unwrap();
    let before = f.store.last_event_seq(f.tenant.id).await.unwrap();
    let err = f
        .store
        .create_user(f.tenant.id, agent("a@x.io"), &actor())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                code: "email_taken",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(f.store.last_event_seq(f.tenant.id).await.unwrap(), before);
}

#[tokio::test]
async fn sequences_are_per_tenant() {
    let f = fixture().await;
    let other = f
        .store
        .create_tenant("other", "Other", &TenantSettings::default(), &actor())
        .await
        .unwrap();
    f.store
        .create_user(f.tenant.id, agent("a@x.io"), &actor())
        .await
        .unwrap();
    f.store
        .create_user(other.id, agent("a@x.io"), &actor())
        .await
        .unwrap();
    assert_eq!(f.store.last_event_seq(f.tenant.id).await.unwrap(), 2);
    assert_eq!(f.store.last_event_seq(other.id).await.unwrap(), 2);
    let other_events = f.store.events_since(other.id, 0, 10).await.unwrap();
    assert!(
        other_events
            .iter()
            .all(|e| e.entity_id != Some(f.tenant.id))
    );
}

#[tokio::test]
async fn concurrent_writers_get_gapless_increasing_sequences() {
    let f = fixture().await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = f.store.clone();
        let tenant = f.tenant.id;
        tasks.push(tokio::spawn(async move {
            store
                .create_user(tenant, agent(&format!("u{i}@x.io")), &actor())
                .await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let events = f.store.events_since(f.tenant.id, 0, 1000).await.unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=25).collect::<Vec<_>>());
    let resumed = f.store.events_since(f.tenant.id, 20, 1000).await.unwrap();
    assert_eq!(resumed.first().map(|e| e.seq), Some(21));
}
