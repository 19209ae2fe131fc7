//! The time rule that solves tickets the customer never answered: waiting on them for the
//! tenant's `pending_solve_hours` of business time (kefu-sla's calendar) solves it with a notice.

use chrono::{DateTime, TimeDelta, Utc};
use kefu_store::{Actor, Store, TenantSettings};
use std::time::Duration;
use uuid::Uuid;

/// Tickets one round looks at per tenant; the next round takes the rest.
const ROUND: u32 = 200;

/// Looks every `check_every` until closing.
pub async fn run(
    store: Store,
    check_every: Duration,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        solve_due(&store, Utc::now()).await;
        tokio::select! {
            () = tokio::time::sleep(check_every) => {}
            () = crate::state::until_closing(&mut closing) => return,
        }
    }
}

async fn solve_due(store: &Store, now: DateTime<Utc>) {
    let tenants = match store.tenant_ids().await {
        Ok(tenants) => tenants,
        Err(err) => return tracing::warn!(%err, "pending rule: listing tenants"),
    };
    for tenant_id in tenants {
        if let Err(err) = solve_tenant(store, tenant_id, now).await {
            tracing::warn!(%err, %tenant_id, "pending rule: solving unanswered tickets");
        }
    }
}

async fn solve_tenant(
    store: &Store,
    tenant_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), kefu_store::StoreError> {
    let settings = store.tenant(tenant_id).await?.settings.0;
    let Some(wait) = wait_of(&settings) else {
        return Ok(());
    };
    let spec = crate::hours::tenant_spec(&settings)
        .unwrap_or_else(|| crate::hours::around_the_clock(&settings));
    let calendar = match kefu_sla::Calendar::new(spec) {
        Ok(calendar) => calendar,
        Err(err) => {
            tracing::warn!(%err, %tenant_id, "pending rule: the business hours do not parse");
            return Ok(());
        }
    };
    // Business time never runs faster than the clock: nothing newer than this can be due.
    for (ticket_id, since) in store
        .tickets_pending_before(tenant_id, now - wait, ROUND)
        .await?
    {
        let waited = calendar
            .business_duration(since, now)
            .unwrap_or_else(|_| TimeDelta::zero());
        if waited < wait {
            continue;
        }
        let number = store.ticket(tenant_id, ticket_id).await?.number;
        // Moved meanwhile (the customer answered, an agent reopened it): nothing is done.
        store
            .solve_unanswered(
                tenant_id,
                ticket_id,
                since,
                &notice(&settings.locale, number),
                &Actor::system(),
            )
            .await?;
    }
    Ok(())
}

/// The tenant's wait, or `None` when the rule is off.
fn wait_of(settings: &TenantSettings) -> Option<TimeDelta> {
    let hours = settings.pending_solve_hours;
    if !(hours > 0.0 && hours.is_finite()) {
        return None;
    }
    // Whole milliseconds: fractions of an hour are allowed, finer than that is noise.
    TimeDelta::try_milliseconds((hours * 3_600_000.0).round() as i64)
}

/// What the customer is told, in the tenant's language.
fn notice(locale: &str, number: i64) -> String {
    match locale {
        "zh-CN" => format!(
            "您好，我们一直没有收到您的回复，工单 #{number} 已标记为已解决。如仍需帮助，直接回复即可重新打开。"
        ),
        _ => format!(
            "We have not heard back from you, so ticket #{number} is now marked as solved. If you still need help, just reply and it will reopen."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_is_off_at_zero_and_takes_fractions() {
        let with = |hours| TenantSettings {
            pending_solve_hours: hours,
            ..TenantSettings::default()
        };
        assert_eq!(wait_of(&with(0.0)), None);
        assert_eq!(wait_of(&with(f64::NAN)), None);
        assert_eq!(wait_of(&with(72.0)), Some(TimeDelta::hours(72)));
        assert_eq!(wait_of(&with(0.5)), Some(TimeDelta::minutes(30)));
        assert!(notice("zh-CN", 1001).contains("#1001"));
        assert!(notice("en", 1002).contains("#1002"));
    }
}
