//! Report schedules and their deliveries: one delivery per schedule and period whatever the
//! number of tries, a lease that only one worker gets, sent and failed attempts as events, and
//! nothing of one tenant reachable from another.

use super::{actor, fixture};
use chrono::{Duration, TimeZone, Utc};
use kefu_store::{NewReportDelivery, NewReportSchedule, StoreError, TenantSettings};

fn schedule() -> NewReportSchedule {
    NewReportSchedule {
        name: "Daily scorecards".into(),
        frequency: "daily".into(),
        weekday: None,
        send_time: "08:00".into(),
        recipients: vec!["boss@acme.example".into()],
        report_kind: "scorecards".into(),
        filters: serde_json::Map::from_iter([("fcr_window_days".to_owned(), "3".into())]),
        format: "xlsx".into(),
        enabled: true,
    }
}

fn period(key: &str) -> NewReportDelivery {
    let due = Utc.with_ymd_and_hms(2030, 1, 2, 8, 0, 0).unwrap();
    NewReportDelivery {
        period: key.into(),
        window_start: due - Duration::hours(32),
        window_end: due - Duration::hours(8),
        due_at: due,
    }
}

#[tokio::test]
async fn a_period_is_queued_once_leased_once_and_sent_once() {
    let f = fixture().await;
    let tenant = f.tenant.id;
    let created = f
        .store
        .create_report_schedule(tenant, schedule(), &actor())
        .await
        .unwrap();
    assert_eq!(created.filters["fcr_window_days"], "3");
    assert_eq!(
        f.store.report_schedules(tenant).await.unwrap(),
        std::slice::from_ref(&created)
    );
    assert_eq!(f.store.report_schedule_tenants().await.unwrap(), [tenant]);

    let queued = f
        .store
        .queue_report_delivery(tenant, created.id, period("2030-01-02"), &actor())
        .await
        .unwrap()
        .unwrap();
    let again = f
        .store
        .queue_report_delivery(tenant, created.id, period("2030-01-02"), &actor())
        .await
        .unwrap();
    assert_eq!(again, None, "a period has one delivery");
    let due_at = queued.due_at;
    assert!(
        f.store
            .due_report_deliveries(tenant, due_at - Duration::seconds(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        f.store
            .due_report_deliveries(tenant, due_at, 10)
            .await
            .unwrap(),
        std::slice::from_ref(&queued)
    );
    let lease = due_at + Duration::minutes(10);
    assert!(
        f.store
            .claim_report_delivery(tenant, queued.id, due_at, lease)
            .await
            .unwrap()
    );
    assert!(
        !f.store
            .claim_report_delivery(tenant, queued.id, due_at, lease)
            .await
            .unwrap(),
        "leased once"
    );
    f.store
        .report_delivery_failed(
            tenant,
            queued.id,
            "relay down",
            Some(due_at + Duration::minutes(1)),
        )
        .await
        .unwrap();
    let sent = f
        .store
        .report_delivery_sent(tenant, queued.id, "m1@acme.example", &created.recipients)
        .await
        .unwrap();
    assert_eq!(
        (sent.attempts, sent.message_id.as_deref()),
        (2, Some("m1@acme.example"))
    );
    assert!(sent.sent_at.is_some());
    assert!(matches!(
        f.store
            .report_delivery_sent(tenant, queued.id, "m2", &created.recipients)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(
        f.store
            .due_report_deliveries(tenant, lease + Duration::days(1), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let events = f.store.events_since(tenant, 0, 100).await.unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e.kind.as_str())
        .filter(|k| k.starts_with("report"))
        .collect();
    assert_eq!(
        kinds,
        [
            "report_schedule.created",
            "report.queued",
            "report.send_failed",
            "report.sent"
        ]
    );
    let sent_event = events.iter().find(|e| e.kind == "report.sent").unwrap();
    assert_eq!(sent_event.payload.0["period"], "2030-01-02");

    // Another tenant reaches none of it.
    let other = f
        .store
        .create_tenant("globex", "Globex", &TenantSettings::default(), &actor())
        .await
        .unwrap();
    assert!(matches!(
        f.store.report_schedule(other.id, created.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store
            .queue_report_delivery(other.id, created.id, period("2030-01-03"), &actor())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(
        f.store
            .report_deliveries(other.id, created.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !f.store
            .claim_report_delivery(other.id, queued.id, lease, lease)
            .await
            .unwrap()
    );

    // Deleting a schedule takes its deliveries with it.
    f.store
        .delete_report_schedule(tenant, created.id, &actor())
        .await
        .unwrap();
    assert!(
        f.store
            .report_deliveries(tenant, created.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(f.store.report_schedule_tenants().await.unwrap().is_empty());
}
