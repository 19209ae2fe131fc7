//! Webhooks: configuration with audited events, the fan-out that turns matching events into
//! exactly one delivery per webhook (never the ones before it was made, never twice), attempts
//! and redelivery, and nothing reachable from another tenant.
use super::{actor, fixture};
use chrono::{Duration, Utc};
use kefu_store::{AttemptOutcome, DeliveryState, NewGroup, NewWebhook, StoreError, WebhookPatch};

fn hook(events: &[&str]) -> NewWebhook {
    NewWebhook {
        url: "https://crm.example.com/kefu".into(),
        secret: "whsec_test".into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        description: Some("CRM".into()),
    }
}

async fn group(f: &super::Fixture, name: &str) {
    f.store
        .create_group(
            f.tenant.id,
            NewGroup {
                name: name.into(),
                description: String::new(),
                member_ids: vec![],
            },
            &actor(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn matching_events_become_one_delivery_each_and_the_cursor_never_repeats_them() {
    let f = fixture().await;
    group(&f, "before").await;
    let groups = f
        .store
        .create_webhook(f.tenant.id, hook(&["group.*"]), &actor())
        .await
        .unwrap();
    let users = f
        .store
        .create_webhook(f.tenant.id, hook(&["user.created"]), &actor())
        .await
        .unwrap();
    group(&f, "after").await;

    let log = f.store.events_since(f.tenant.id, 0, 500).await.unwrap();
    let queued = f.store.fan_out_webhooks(f.tenant.id, &log).await.unwrap();
    assert_eq!(
        queued, 1,
        "only the group made after the webhook, to the webhook that wants it"
    );
    // The same events again (a second follower after a restart): nothing new.
    assert_eq!(
        f.store.fan_out_webhooks(f.tenant.id, &log).await.unwrap(),
        0
    );
    assert_eq!(
        f.store.webhook_cursor(f.tenant.id).await.unwrap(),
        Some(log.last().unwrap().seq)
    );
    let page = f
        .store
        .list_deliveries(f.tenant.id, groups.id, None, 50)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].event_kind, "group.created");
    assert_eq!(page.items[0].state, DeliveryState::Pending);
    let none = f
        .store
        .list_deliveries(f.tenant.id, users.id, None, 50)
        .await
        .unwrap();
    assert!(none.items.is_empty());

    // Due now, with the event and the secret for signing.
    let due = f
        .store
        .claim_due_deliveries(Utc::now(), Duration::seconds(30), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].target.secret, "whsec_test");
    assert_eq!(due[0].event.kind, "group.created");
    assert_eq!(due[0].event.payload.0["name"], "after");
    let again = f
        .store
        .claim_due_deliveries(Utc::now(), Duration::seconds(30), 10)
        .await
        .unwrap();
    assert!(
        again.is_empty(),
        "a claimed delivery is leased to its sender"
    );
    let after_lease = Utc::now() + Duration::seconds(31);
    let expired = f
        .store
        .claim_due_deliveries(after_lease, Duration::seconds(30), 10)
        .await
        .unwrap();
    assert_eq!(
        expired.len(),
        1,
        "an attempt that never reported back is due again"
    );
    assert_eq!(
        f.store.tenants_with_webhooks().await.unwrap(),
        [f.tenant.id]
    );
}

#[tokio::test]
async fn attempts_retry_then_fail_and_a_redelivery_starts_over() {
    let f = fixture().await;
    let webhook = f
        .store
        .create_webhook(f.tenant.id, hook(&["*"]), &actor())
        .await
        .unwrap();
    group(&f, "sales").await;
    let log = f.store.events_since(f.tenant.id, 0, 500).await.unwrap();
    f.store.fan_out_webhooks(f.tenant.id, &log).await.unwrap();
    let id = f
        .store
        .claim_due_deliveries(Utc::now(), Duration::seconds(30), 10)
        .await
        .unwrap()[0]
        .delivery
        .id;

    let later = Utc::now() + Duration::seconds(60);
    let retry = AttemptOutcome {
        status: Some(500),
        error: Some("HTTP 500".into()),
        duration_ms: 12,
        retry_at: Some(later),
        delivered: false,
    };
    let d = f
        .store
        .record_attempt(f.tenant.id, id, &retry)
        .await
        .unwrap();
    assert_eq!(
        (d.state, d.attempts, d.last_status),
        (DeliveryState::Pending, 1, Some(500))
    );
    let due = f
        .store
        .claim_due_deliveries(Utc::now(), Duration::seconds(30), 10)
        .await
        .unwrap();
    assert!(due.is_empty(), "not due yet: {due:?}");
    assert_eq!(
        f.store
            .claim_due_deliveries(later, Duration::seconds(30), 10)
            .await
            .unwrap()
            .len(),
        1
    );

    let give_up = AttemptOutcome {
        retry_at: None,
        ..retry
    };
    let d = f
        .store
        .record_attempt(f.tenant.id, id, &give_up)
        .await
        .unwrap();
    assert_eq!((d.state, d.attempts), (DeliveryState::Failed, 2));
    assert!(
        f.store
            .claim_due_deliveries(later, Duration::seconds(30), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let d = f
        .store
        .redeliver(f.tenant.id, webhook.id, id)
        .await
        .unwrap();
    assert_eq!((d.state, d.attempts), (DeliveryState::Pending, 0));
    let ok = AttemptOutcome {
        status: Some(204),
        error: None,
        duration_ms: 3,
        retry_at: None,
        delivered: true,
    };
    let d = f.store.record_attempt(f.tenant.id, id, &ok).await.unwrap();
    assert_eq!(d.state, DeliveryState::Delivered);
    assert!(d.delivered_at.is_some());
}

#[tokio::test]
async fn configuration_changes_are_logged_inactive_webhooks_get_nothing_and_tenants_are_apart() {
    let f = fixture().await;
    let webhook = f
        .store
        .create_webhook(f.tenant.id, hook(&["group.*"]), &actor())
        .await
        .unwrap();
    let paused = f
        .store
        .update_webhook(
            f.tenant.id,
            webhook.id,
            WebhookPatch {
                active: Some(false),
                description: Some(None),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    assert!(!paused.active && paused.description.is_none());
    group(&f, "quiet").await;
    let log = f.store.events_since(f.tenant.id, 0, 500).await.unwrap();
    assert_eq!(
        f.store.fan_out_webhooks(f.tenant.id, &log).await.unwrap(),
        0
    );
    let kinds: Vec<&str> = log.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"webhook.created") && kinds.contains(&"webhook.updated"));
    assert!(
        log.iter()
            .all(|e| !e.payload.0.to_string().contains("whsec_test")),
        "the secret never reaches the log"
    );

    let other = f
        .store
        .create_tenant("other", "Other", &Default::default(), &actor())
        .await
        .unwrap();
    let err = f.store.webhook(other.id, webhook.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound));
    assert!(f.store.list_webhooks(other.id).await.unwrap().is_empty());
    assert!(matches!(
        f.store
            .list_deliveries(other.id, webhook.id, None, 10)
            .await,
        Err(StoreError::NotFound)
    ));
    f.store
        .delete_webhook(f.tenant.id, webhook.id, &actor())
        .await
        .unwrap();
    assert!(f.store.list_webhooks(f.tenant.id).await.unwrap().is_empty());
}
