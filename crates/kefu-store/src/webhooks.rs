//! Outgoing webhooks: their configuration, the per-tenant cursor that turns matching events of
//! the log into delivery rows, and the delivery log with its retry state. Sending is the server's.

use crate::events::{Actor, Change, Event, record};
use crate::page::{Page, clamp_limit};
use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    /// Event kinds (`ticket.created`), prefixes (`ticket.*`) or `*` for every event.
    pub events: Vec<String>,
    pub description: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A webhook with its signing secret, as the sender needs it (never sent to clients again).
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    pub webhook: Webhook,
    pub secret: String,
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: Uuid,
    url: String,
    secret: String,
    events: String,
    description: Option<String>,
    active: bool,
    from_seq: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl WebhookRow {
    fn into_target(self) -> WebhookTarget {
        WebhookTarget {
            // Only this module writes the column, from a Vec<String>.
            webhook: Webhook {
                id: self.id,
                url: self.url,
                events: serde_json::from_str(&self.events).unwrap_or_default(),
                description: self.description,
                active: self.active,
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
            secret: self.secret,
        }
    }
}

macro_rules! webhook_columns {
    () => {
        "id, url, secret, events, description, active, from_seq, created_at, updated_at"
    };
}

impl Webhook {
    /// Whether the webhook asked for events of this kind.
    pub fn wants(&self, kind: &str) -> bool {
        self.events
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => kind.starts_with(prefix),
                None => pattern == kind,
            })
    }
}

/// A new webhook; URL and event patterns already checked by the caller.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// `Some(None)` clears it.
    pub description: Option<Option<String>>,
    pub active: Option<bool>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its (next) attempt at `next_attempt_at`.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; it is kept in the log and may be retried by hand.
    Failed,
}

impl DeliveryState {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            _ => DeliveryState::Pending,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event_seq: i64,
    pub event_kind: String,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's HTTP status on the last attempt, if it answered.
    pub last_status: Option<i32>,
    /// Why the last attempt failed (no answer, a refused address, a non-2xx status).
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    webhook_id: Uuid,
    event_seq: i64,
    event_kind: String,
    state: String,
    attempts: i32,
    next_attempt_at: Option<DateTime<Utc>>,
    last_status: Option<i32>,
    last_error: Option<String>,
    last_duration_ms: Option<i32>,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRow> for Delivery {
    fn from(row: DeliveryRow) -> Self {
        Delivery {
            id: row.id,
            webhook_id: row.webhook_id,
            event_seq: row.event_seq,
            event_kind: row.event_kind,
            state: DeliveryState::parse(&row.state),
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_status: row.last_status,
            last_error: row.last_error,
            last_duration_ms: row.last_duration_ms,
            created_at: row.created_at,
            delivered_at: row.delivered_at,
        }
    }
}

macro_rules! delivery_columns {
    () => {
        "id, webhook_id, event_seq, event_kind, state, attempts, next_attempt_at, last_status, last_error, last_duration_ms, created_at, delivered_at"
    };
}

/// A delivery due now, with what the sender needs to make the request.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub tenant_id: Uuid,
    pub delivery: Delivery,
    pub target: WebhookTarget,
    pub event: Event,
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
    /// `None` when it succeeded or no attempts are left; else when to try again.
    pub retry_at: Option<DateTime<Utc>>,
    pub delivered: bool,
}

async fn load_webhook(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<WebhookTarget, StoreError> {
    Ok(sql_optional!(
        WebhookRow,
        conn,
        concat!(
            "SELECT ",
            webhook_columns!(),
            " FROM webhooks WHERE tenant_id = $1 AND id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?
    .into_target())
}

fn events_json(events: &[String]) -> String {
    serde_json::to_string(events).unwrap_or_else(|_| "[]".into())
}

/// Configuration changes are audited; the secret never reaches the audit log or the event.
fn change<'a>(
    tenant_id: Uuid,
    kind: &'static str,
    actor: &'a Actor,
    before: Option<&Webhook>,
    after: Option<&Webhook>,
    id: Uuid,
) -> Change<'a> {
    crate::events::record_change(
        tenant_id,
        kind,
        ("webhook", "webhook"),
        actor,
        before,
        after,
        id,
    )
}

impl Store {
    pub async fn create_webhook(
        &self,
        tenant_id: Uuid,
        new: NewWebhook,
        actor: &Actor,
    ) -> Result<Webhook, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let id = Uuid::now_v7();
        let now = Utc::now();
        sql_execute!(
            &mut conn,
            "INSERT INTO webhooks (id, tenant_id, url, secret, events, description, active, from_seq, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            id,
            tenant_id,
            &new.url,
            &new.secret,
            events_json(&new.events),
            new.description.as_deref(),
            true,
            0_i64,
            now
        )?;
        let created = load_webhook(&mut conn, tenant_id, id).await?.webhook;
        record(
            &mut conn,
            change(
                tenant_id,
                "webhook.created",
                actor,
                None,
                Some(&created),
                id,
            ),
        )
        .await?;
        // Only what happens from now on: deliveries start after this webhook's own event.
        sql_execute!(
            &mut conn,
            "UPDATE webhooks SET from_seq = (SELECT last_seq FROM event_sequences WHERE tenant_id = $1)
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        // The tenant's first active webhook starts the fan-out here, not at the log's beginning
        // (or wherever it stopped when the last webhook went).
        let others = sql_scalar!(
            i64,
            &mut conn,
            "SELECT COUNT(*) FROM webhooks WHERE tenant_id = $1 AND active = $2 AND id <> $3",
            tenant_id,
            true,
            id
        )?;
        if others == 0 {
            sql_execute!(
                &mut conn,
                "INSERT INTO webhook_cursors (tenant_id, last_seq)
                 SELECT tenant_id, from_seq FROM webhooks WHERE tenant_id = $1 AND id = $2
                 ON CONFLICT (tenant_id) DO UPDATE SET last_seq = excluded.last_seq",
                tenant_id,
                id
            )?;
        }
        tx.commit().await?;
        Ok(created)
    }

    pub async fn webhook(&self, tenant_id: Uuid, id: Uuid) -> Result<Webhook, StoreError> {
        let mut read = self.read().await?;
        Ok(load_webhook(&mut read.conn(), tenant_id, id).await?.webhook)
    }

    /// The tenant's webhooks, oldest first (a tenant has few).
    pub async fn list_webhooks(&self, tenant_id: Uuid) -> Result<Vec<Webhook>, StoreError> {
        let mut read = self.read().await?;
        let rows = sql_all!(
            WebhookRow,
            read.conn(),
            concat!(
                "SELECT ",
                webhook_columns!(),
                " FROM webhooks WHERE tenant_id = $1 ORDER BY id"
            ),
            tenant_id
        )?;
        Ok(rows.into_iter().map(|r| r.into_target().webhook).collect())
    }

    pub async fn update_webhook(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: WebhookPatch,
        actor: &Actor,
    ) -> Result<Webhook, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_webhook(&mut conn, tenant_id, id).await?.webhook;
        let description = patch
            .description
            .unwrap_or_else(|| before.description.clone());
        sql_execute!(
            &mut conn,
            "UPDATE webhooks SET url = $3, events = $4, description = $5, active = $6, updated_at = $7
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            patch.url.as_deref().unwrap_or(&before.url),
            events_json(patch.events.as_deref().unwrap_or(&before.events)),
            description.as_deref(),
            patch.active.unwrap_or(before.active),
            Utc::now()
        )?;
        let after = load_webhook(&mut conn, tenant_id, id).await?.webhook;
        record(
            &mut conn,
            change(
                tenant_id,
                "webhook.updated",
                actor,
                Some(&before),
                Some(&after),
                id,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes the webhook and its delivery log.
    pub async fn delete_webhook(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_webhook(&mut conn, tenant_id, id).await?.webhook;
        sql_execute!(
            &mut conn,
            "DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2",
            tenant_id,
            id
        )?;
        sql_execute!(
            &mut conn,
            "DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        record(
            &mut conn,
            change(tenant_id, "webhook.deleted", actor, Some(&before), None, id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The tenant's webhook cursor: the last event already turned into deliveries, or `None`
    /// before the first fan-out.
    pub async fn webhook_cursor(&self, tenant_id: Uuid) -> Result<Option<i64>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_scalar_optional!(
            i64,
            read.conn(),
            "SELECT last_seq FROM webhook_cursors WHERE tenant_id = $1",
            tenant_id
        )?)
    }

    /// Turns `events` (the log after the cursor, in order) into one pending delivery per
    /// active webhook that wants each, and moves the cursor past them, in one transaction: a
    /// crash either does all of it or none, so no event is delivered twice or skipped.
    /// Returns how many deliveries were queued.
    pub async fn fan_out_webhooks(
        &self,
        tenant_id: Uuid,
        events: &[Event],
    ) -> Result<usize, StoreError> {
        let Some(last) = events.last() else {
            return Ok(0);
        };
        // Not `write_for`: bookkeeping, not a change listeners follow.
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let cursor = sql_scalar_optional!(
            i64,
            &mut conn,
            "SELECT last_seq FROM webhook_cursors WHERE tenant_id = $1",
            tenant_id
        )?;
        // Each active webhook with the sequence its deliveries start after.
        let targets: Vec<(i64, Webhook)> = sql_all!(
            WebhookRow,
            &mut conn,
            concat!(
                "SELECT ",
                webhook_columns!(),
                " FROM webhooks WHERE tenant_id = $1 AND active = $2 ORDER BY id"
            ),
            tenant_id,
            true
        )?
        .into_iter()
        .map(|row| (row.from_seq, row.into_target().webhook))
        .collect();
        let now = Utc::now();
        let mut queued = 0;
        for event in events {
            // Another fan-out got here first (two tasks after a restart race): skip what it did.
            if cursor.is_some_and(|c| event.seq <= c) {
                continue;
            }
            for (from_seq, webhook) in &targets {
                // A webhook never hears about itself being made, nor anything before it.
                if event.seq <= *from_seq || !webhook.wants(&event.kind) {
                    continue;
                }
                sql_execute!(
                    &mut conn,
                    "INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_seq, event_kind, state, attempts, next_attempt_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)
                     ON CONFLICT (webhook_id, event_seq) DO NOTHING",
                    Uuid::now_v7(),
                    tenant_id,
                    webhook.id,
                    event.seq,
                    &event.kind,
                    now
                )?;
                queued += 1;
            }
        }
        sql_execute!(
            &mut conn,
            "INSERT INTO webhook_cursors (tenant_id, last_seq) VALUES ($1, $2)
             ON CONFLICT (tenant_id) DO UPDATE SET last_seq = excluded.last_seq
             WHERE webhook_cursors.last_seq < excluded.last_seq",
            tenant_id,
            last.seq
        )?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Tenants that have at least one active webhook (whose events need fanning out).
    pub async fn tenants_with_webhooks(&self) -> Result<Vec<Uuid>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            (Uuid,),
            read.conn(),
            "SELECT DISTINCT tenant_id FROM webhooks WHERE active = $1",
            true
        )?
        .into_iter()
        .map(|(id,)| id)
        .collect())
    }

    /// Takes up to `limit` deliveries due by `now` (across tenants, oldest due first) for one
    /// attempt each: they are leased until `now + lease`, so another sender (or this one's next
    /// round) leaves them alone while the attempt runs; an attempt that never reports back is
    /// simply due again when the lease ends.
    pub async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Due {
            tenant_id: Uuid,
            id: Uuid,
        }
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let due = sql_all!(
            Due,
            &mut conn,
            "SELECT tenant_id, id FROM webhook_deliveries
             WHERE state = 'pending' AND next_attempt_at <= $1
             ORDER BY next_attempt_at, id LIMIT $2",
            now,
            i64::from(limit)
        )?;
        let mut out = Vec::with_capacity(due.len());
        for Due { tenant_id, id } in due {
            sql_execute!(
                &mut conn,
                "UPDATE webhook_deliveries SET next_attempt_at = $3 WHERE tenant_id = $1 AND id = $2",
                tenant_id,
                id,
                now + lease
            )?;
            let delivery = load_delivery(&mut conn, tenant_id, id).await?;
            let target = load_webhook(&mut conn, tenant_id, delivery.webhook_id).await?;
            let event = sql_optional!(
                Event,
                &mut conn,
                "SELECT seq, kind, entity_type, entity_id, actor_type, actor_id, payload, created_at
                 FROM events WHERE tenant_id = $1 AND seq = $2",
                tenant_id,
                delivery.event_seq
            )?
            .ok_or(StoreError::NotFound)?;
            out.push(DueDelivery {
                tenant_id,
                delivery,
                target,
                event,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Records one attempt: delivered, pending again at `retry_at`, or failed for good.
    pub async fn record_attempt(
        &self,
        tenant_id: Uuid,
        delivery_id: Uuid,
        outcome: &AttemptOutcome,
    ) -> Result<Delivery, StoreError> {
        let state = if outcome.delivered {
            DeliveryState::Delivered
        } else if outcome.retry_at.is_some() {
            DeliveryState::Pending
        } else {
            DeliveryState::Failed
        };
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let now = Utc::now();
        sql_execute!(
            &mut conn,
            "UPDATE webhook_deliveries SET state = $3, attempts = attempts + 1, next_attempt_at = $4,
                    last_status = $5, last_error = $6, last_duration_ms = $7, delivered_at = $8
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            delivery_id,
            state.as_str(),
            outcome.retry_at,
            outcome.status,
            outcome.error.as_deref(),
            outcome.duration_ms,
            outcome.delivered.then_some(now)
        )?;
        let delivery = load_delivery(&mut conn, tenant_id, delivery_id).await?;
        tx.commit().await?;
        Ok(delivery)
    }

    /// Sends a failed (or pending) delivery again now, with a fresh set of attempts.
    pub async fn redeliver(
        &self,
        tenant_id: Uuid,
        webhook_id: Uuid,
        delivery_id: Uuid,
    ) -> Result<Delivery, StoreError> {
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let current = load_delivery(&mut conn, tenant_id, delivery_id).await?;
        if current.webhook_id != webhook_id {
            return Err(StoreError::NotFound);
        }
        sql_execute!(
            &mut conn,
            "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = $3
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            delivery_id,
            Utc::now()
        )?;
        let delivery = load_delivery(&mut conn, tenant_id, delivery_id).await?;
        tx.commit().await?;
        Ok(delivery)
    }

    /// The webhook's delivery log, newest first.
    pub async fn list_deliveries(
        &self,
        tenant_id: Uuid,
        webhook_id: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<Delivery>, StoreError> {
        let mut read = self.read().await?;
        load_webhook(&mut read.conn(), tenant_id, webhook_id).await?;
        let rows = sql_all!(
            DeliveryRow,
            read.conn(),
            concat!(
                "SELECT ",
                delivery_columns!(),
                " FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2
                  AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
            ),
            tenant_id,
            webhook_id,
            before,
            clamp_limit(limit)
        )?;
        Ok(Page::from_rows(
            rows.into_iter().map(Delivery::from).collect(),
            limit.clamp(1, crate::page::MAX_PAGE),
            |d| d.id,
        ))
    }
}

async fn load_delivery(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Delivery, StoreError> {
    Ok(sql_optional!(
        DeliveryRow,
        conn,
        concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(events: &[&str]) -> Webhook {
        Webhook {
            id: Uuid::nil(),
            url: "https://example.com/hook".into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            description: None,
            active: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn patterns_match_kinds_prefixes_and_everything() {
        assert!(hook(&["ticket.created"]).wants("ticket.created"));
        assert!(!hook(&["ticket.created"]).wants("ticket.updated"));
        assert!(hook(&["ticket.*"]).wants("ticket.comment_added"));
        assert!(!hook(&["ticket.*"]).wants("conversation.created"));
        assert!(hook(&["*"]).wants("conversation.created"));
        assert!(!hook(&[]).wants("ticket.created"));
    }
}
