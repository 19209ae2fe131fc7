//! Scenarios and integrations: CRUD with events (never the integration's secret) and
//! revisions in the same transaction, the matcher's change counter, published scenarios in the
//! matcher's snapshot, and nothing reachable from another tenant.
use super::{actor, fixture};
use kefu_store::{
    FaqStatus, IntegrationPatch, NewIntegration, NewScenario, ScenarioPatch, StoreError,
    TenantSettings,
};
use serde_json::json;

fn integration() -> NewIntegration {
    NewIntegration {
        name: "orders".into(),
        base_url: "https://orders.example.com/api".into(),
        method: "GET".into(),
        path_template: "/orders/{order_id}".into(),
        secret_header: Some("X-Api-Key".into()),
        secret_value: Some("s3cret-value".into()),
        timeout_ms: 5000,
    }
}

fn scenario(name: &str, status: FaqStatus) -> NewScenario {
    NewScenario {
        name: name.into(),
        triggers: vec!["查询订单".into(), "where is my order".into()],
        steps: json!([{"kind": "ask", "slot": "order_id", "prompt": "订单号？"}]),
        status,
    }
}

#[tokio::test]
async fn integrations_keep_their_secret_out_of_reads_and_the_log() {
    let f = fixture().await;
    let t = f.tenant.id;
    let created = f
        .store
        .create_integration(t, integration(), &actor())
        .await
        .unwrap();
    assert!(created.has_secret);
    let target = f.store.integration_target(t, created.id).await.unwrap();
    assert_eq!(target.secret_value.as_deref(), Some("s3cret-value"));
    assert!(!format!("{target:?}").contains("s3cret"));
    let dup = f.store.create_integration(t, integration(), &actor()).await;
    assert!(matches!(
        dup,
        Err(StoreError::Conflict {
            code: "duplicate_name",
            ..
        })
    ));

    let patched = f
        .store
        .update_integration(
            t,
            created.id,
            IntegrationPatch {
                timeout_ms: Some(1000),
                secret_value: Some(None),
                ..IntegrationPatch::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!((patched.timeout_ms, patched.has_secret), (1000, false));
    assert_eq!(patched.path_template, "/orders/{order_id}");
    assert_eq!(f.store.integrations(t).await.unwrap(), vec![patched]);

    f.store
        .delete_integration(t, created.id, &actor())
        .await
        .unwrap();
    assert!(f.store.integrations(t).await.unwrap().is_empty());
    let events = f.store.events_since(t, 0, 1000).await.unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e.kind.as_str())
        .filter(|k| k.starts_with("kb.integration"))
        .collect();
    assert_eq!(
        kinds,
        [
            "kb.integration_created",
            "kb.integration_updated",
            "kb.integration_deleted"
        ]
    );
    for event in &events {
        assert!(
            !event.payload.to_string().contains("s3cret"),
            "{}",
            event.kind
        );
    }
}

#[tokio::test]
async fn scenarios_are_versioned_and_published_ones_reach_the_matcher() {
    let f = fixture().await;
    let t = f.tenant.id;
    let v0 = f.store.knowledge_version(t).await.unwrap();
    let live = f
        .store
        .create_scenario(t, scenario("order status", FaqStatus::Published), &actor())
        .await
        .unwrap();
    let draft = f
        .store
        .create_scenario(t, scenario("returns", FaqStatus::Draft), &actor())
        .await
        .unwrap();
    let v1 = f.store.knowledge_version(t).await.unwrap();
    assert!(v1.content > v0.content);
    let snapshot = f.store.knowledge_snapshot(t).await.unwrap();
    assert_eq!(snapshot.scenarios, vec![live.clone()]);

    let renamed = f
        .store
        .update_scenario(
            t,
            draft.id,
            ScenarioPatch {
                name: Some("order status".into()),
                ..ScenarioPatch::default()
            },
            &actor(),
        )
        .await;
    assert!(matches!(
        renamed,
        Err(StoreError::Conflict {
            code: "duplicate_name",
            ..
        })
    ));
    let published = f
        .store
        .update_scenario(
            t,
            draft.id,
            ScenarioPatch {
                status: Some(FaqStatus::Published),
                steps: Some(json!([{"kind": "say", "text": "七天无理由"}])),
                ..ScenarioPatch::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(published.revision, 2);
    assert_eq!(
        f.store.knowledge_snapshot(t).await.unwrap().scenarios.len(),
        2
    );

    f.store
        .delete_scenario(t, draft.id, &actor())
        .await
        .unwrap();
    assert!(matches!(
        f.store.scenario(t, draft.id).await,
        Err(StoreError::NotFound)
    ));
    let history = f.store.scenario_revisions(t, draft.id).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["deleted", "updated", "created"]);
    let kinds: Vec<String> = f
        .store
        .events_since(t, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| k.starts_with("kb.scenario"))
        .collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    assert!(f.store.knowledge_version(t).await.unwrap().content > v1.content);
}

#[tokio::test]
async fn another_tenant_never_reaches_them() {
    let f = fixture().await;
    let other = f
        .store
        .create_tenant("other", "Other", &TenantSettings::default(), &actor())
        .await
        .unwrap();
    let i = f
        .store
        .create_integration(f.tenant.id, integration(), &actor())
        .await
        .unwrap();
    let s = f
        .store
        .create_scenario(f.tenant.id, scenario("a", FaqStatus::Published), &actor())
        .await
        .unwrap();
    let o = other.id;
    assert!(matches!(
        f.store.integration_target(o, i.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store
            .update_integration(o, i.id, IntegrationPatch::default(), &actor())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store.delete_integration(o, i.id, &actor()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store.scenario(o, s.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store.delete_scenario(o, s.id, &actor()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store.scenario_revisions(o, s.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(f.store.integrations(o).await.unwrap().is_empty());
    assert!(f.store.scenarios(o).await.unwrap().is_empty());
    assert!(
        f.store
            .knowledge_snapshot(o)
            .await
            .unwrap()
            .scenarios
            .is_empty()
    );
    // The same names are free in another tenant.
    f.store
        .create_integration(o, integration(), &actor())
        .await
        .unwrap();
    f.store
        .create_scenario(o, scenario("a", FaqStatus::Draft), &actor())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_faq_action_is_set_read_and_removed_with_events_and_reaches_the_snapshot() {
    let f = fixture().await;
    let t = f.tenant.id;
    let faq = f
        .store
        .create_faq(
            t,
            kefu_store::NewFaq {
                question: "我的包裹在哪".into(),
                similar_questions: vec![],
                answer: "看订单".into(),
                category_id: None,
                tags: vec![],
                language: None,
                status: FaqStatus::Published,
                variants: Default::default(),
            },
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(f.store.faq_action(t, faq.id).await.unwrap(), None);
    let v0 = f.store.knowledge_version(t).await.unwrap();
    let action =
        json!({"integration_id": uuid::Uuid::nil(), "slots": [], "reply": "{result.status}"});
    f.store
        .set_faq_action(t, faq.id, Some(action.clone()), &actor())
        .await
        .unwrap();
    assert_eq!(
        f.store.faq_action(t, faq.id).await.unwrap(),
        Some(action.clone())
    );
    assert!(f.store.knowledge_version(t).await.unwrap().content > v0.content);
    let snapshot = f.store.knowledge_snapshot(t).await.unwrap();
    assert_eq!(snapshot.faq_actions, vec![(faq.id, action.clone())]);
    f.store
        .set_faq_action(t, faq.id, None, &actor())
        .await
        .unwrap();
    assert_eq!(f.store.faq_action(t, faq.id).await.unwrap(), None);
    let other = f
        .store
        .create_tenant("other", "Other", &TenantSettings::default(), &actor())
        .await
        .unwrap();
    assert!(matches!(
        f.store.faq_action(other.id, faq.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store
            .set_faq_action(other.id, faq.id, Some(action), &actor())
            .await,
        Err(StoreError::NotFound)
    ));
    let kinds: Vec<String> = f
        .store
        .events_since(t, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| k.starts_with("kb.faq_action"))
        .collect();
    assert_eq!(kinds, ["kb.faq_action_set", "kb.faq_action_removed"]);
    // Deleting the FAQ deletes its action with it.
    f.store
        .set_faq_action(t, faq.id, Some(json!({"reply": "x"})), &actor())
        .await
        .unwrap();
    f.store.delete_faq(t, faq.id, &actor()).await.unwrap();
    assert!(
        f.store
            .knowledge_snapshot(t)
            .await
            .unwrap()
            .faq_actions
            .is_empty()
    );
}
