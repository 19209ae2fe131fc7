//! Scheduled reports: a tenant's schedules and each period's delivery row, the outbox of the
//! report mailer. What a schedule may say and when a period is due are the server's rules;
//! this module keeps the rows, one delivery per (schedule, period), and their events.

use crate::events::{Actor, Change, record};
use crate::page::clamp_limit;
use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Most schedules one tenant keeps.
pub const MAX_REPORT_SCHEDULES: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSchedule {
    pub id: Uuid,
    pub name: String,
    /// `daily` or `weekly`.
    pub frequency: String,
    /// ISO weekday of a weekly schedule, 1 (Monday) to 7 (Sunday).
    pub weekday: Option<i64>,
    /// Local send time `HH:MM` in the tenant's time zone.
    pub send_time: String,
    pub recipients: Vec<String>,
    /// `metrics` or `scorecards`.
    pub report_kind: String,
    /// The report's query parameters (strings), as its endpoint takes them.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub filters: serde_json::Map<String, serde_json::Value>,
    /// `csv` or `xlsx`: the attachment.
    pub format: String,
    pub enabled: bool,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ScheduleRow {
    id: Uuid,
    name: String,
    frequency: String,
    weekday: Option<i64>,
    send_time: String,
    recipients: String,
    report_kind: String,
    filters: String,
    format: String,
    enabled: bool,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ScheduleRow> for ReportSchedule {
    type Error = StoreError;
    fn try_from(row: ScheduleRow) -> Result<Self, StoreError> {
        Ok(ReportSchedule {
            recipients: serde_json::from_str(&row.recipients)
                .map_err(|_| StoreError::corrupt("report_schedules.recipients", &row.recipients))?,
            filters: serde_json::from_str(&row.filters)
                .map_err(|_| StoreError::corrupt("report_schedules.filters", &row.filters))?,
            id: row.id,
            name: row.name,
            frequency: row.frequency,
            weekday: row.weekday,
            send_time: row.send_time,
            report_kind: row.report_kind,
            format: row.format,
            enabled: row.enabled,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

macro_rules! schedule_columns {
    () => {
        "id, name, frequency, weekday, send_time, recipients, report_kind, filters, format, enabled, created_by, created_at, updated_at"
    };
}

/// A schedule as the server checked it (the store does not judge its content).
#[derive(Debug, Clone)]
pub struct NewReportSchedule {
    pub name: String,
    pub frequency: String,
    pub weekday: Option<i64>,
    pub send_time: String,
    pub recipients: Vec<String>,
    pub report_kind: String,
    pub filters: serde_json::Map<String, serde_json::Value>,
    pub format: String,
    pub enabled: bool,
}

/// One period of a schedule: queued, attempted, sent or given up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportDelivery {
    pub id: Uuid,
    pub schedule_id: Uuid,
    /// The local date the period was due (`YYYY-MM-DD`), or `manual-…` for a send-now.
    pub period: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// Given up: a permanent refusal, or too many attempts.
    pub failed: bool,
    pub sent_at: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

macro_rules! delivery_columns {
    () => {
        "id, schedule_id, period, window_start, window_end, due_at, attempts, next_attempt_at, last_error, failed, sent_at, message_id, created_at"
    };
}

/// A period to queue: its key and report window.
#[derive(Debug, Clone)]
pub struct NewReportDelivery {
    pub period: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

async fn load_schedule(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<ReportSchedule, StoreError> {
    sql_optional!(
        ScheduleRow,
        conn,
        concat!(
            "SELECT ",
            schedule_columns!(),
            " FROM report_schedules WHERE tenant_id = $1 AND id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?
    .try_into()
}

async fn load_delivery(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<ReportDelivery, StoreError> {
    sql_optional!(
        ReportDelivery,
        conn,
        concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM report_deliveries WHERE tenant_id = $1 AND id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)
}

fn change<'a>(
    tenant_id: Uuid,
    kind: &'static str,
    actor: &'a Actor,
    before: Option<&ReportSchedule>,
    after: Option<&ReportSchedule>,
    id: Uuid,
) -> Change<'a> {
    crate::events::record_change(
        tenant_id,
        kind,
        ("report_schedule", "schedule"),
        actor,
        before,
        after,
        id,
    )
}

fn json_text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

impl Store {
    /// The tenant's schedules by name.
    pub async fn report_schedules(
        &self,
        tenant_id: Uuid,
    ) -> Result<Vec<ReportSchedule>, StoreError> {
        let mut read = self.read().await?;
        sql_all!(
            ScheduleRow,
            read.conn(),
            concat!(
                "SELECT ",
                schedule_columns!(),
                " FROM report_schedules WHERE tenant_id = $1 ORDER BY name, id"
            ),
            tenant_id
        )?
        .into_iter()
        .map(ReportSchedule::try_from)
        .collect()
    }

    pub async fn report_schedule(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> Result<ReportSchedule, StoreError> {
        let mut read = self.read().await?;
        load_schedule(&mut read.conn(), tenant_id, id).await
    }

    pub async fn create_report_schedule(
        &self,
        tenant_id: Uuid,
        new: NewReportSchedule,
        actor: &Actor,
    ) -> Result<ReportSchedule, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let count = sql_scalar!(
            i64,
            &mut conn,
            "SELECT COUNT(*) FROM report_schedules WHERE tenant_id = $1",
            tenant_id
        )?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_REPORT_SCHEDULES {
            return Err(kefu_core::ValidationErrors::single(
                "name",
                "too_many",
                format!("at most {MAX_REPORT_SCHEDULES} report schedules"),
            )
            .into());
        }
        let id = Uuid::now_v7();
        let now = Utc::now().trunc_subsecs(6);
        sql_execute!(
            &mut conn,
            "INSERT INTO report_schedules (id, tenant_id, name, frequency, weekday, send_time, recipients, report_kind, filters, format, enabled, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
            id,
            tenant_id,
            new.name.trim(),
            new.frequency.as_str(),
            new.weekday,
            new.send_time.as_str(),
            json_text(&new.recipients),
            new.report_kind.as_str(),
            json_text(&new.filters),
            new.format.as_str(),
            new.enabled,
            (actor.kind == crate::events::ActorKind::User).then_some(actor.id).flatten(),
            now
        )?;
        let created = load_schedule(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            change(
                tenant_id,
                "report_schedule.created",
                actor,
                None,
                Some(&created),
                id,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Replaces a schedule's settings.
    pub async fn update_report_schedule(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        new: NewReportSchedule,
        actor: &Actor,
    ) -> Result<ReportSchedule, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_schedule(&mut conn, tenant_id, id).await?;
        sql_execute!(
            &mut conn,
            "UPDATE report_schedules SET name = $3, frequency = $4, weekday = $5, send_time = $6, recipients = $7,
                 report_kind = $8, filters = $9, format = $10, enabled = $11, updated_at = $12
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            new.name.trim(),
            new.frequency.as_str(),
            new.weekday,
            new.send_time.as_str(),
            json_text(&new.recipients),
            new.report_kind.as_str(),
            json_text(&new.filters),
            new.format.as_str(),
            new.enabled,
            Utc::now().trunc_subsecs(6)
        )?;
        let after = load_schedule(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            change(
                tenant_id,
                "report_schedule.updated",
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

    /// Deletes a schedule and its deliveries (a queued one is not sent).
    pub async fn delete_report_schedule(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_schedule(&mut conn, tenant_id, id).await?;
        sql_execute!(
            &mut conn,
            "DELETE FROM report_deliveries WHERE tenant_id = $1 AND schedule_id = $2",
            tenant_id,
            id
        )?;
        sql_execute!(
            &mut conn,
            "DELETE FROM report_schedules WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        record(
            &mut conn,
            change(
                tenant_id,
                "report_schedule.deleted",
                actor,
                Some(&before),
                None,
                id,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Tenants with at least one schedule: the report mailer looks only at these.
    pub async fn report_schedule_tenants(&self) -> Result<Vec<Uuid>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            (Uuid,),
            read.conn(),
            "SELECT DISTINCT tenant_id FROM report_schedules ORDER BY tenant_id"
        )?
        .into_iter()
        .map(|(id,)| id)
        .collect())
    }

    /// Queues a period of a schedule once: `None` when that period already has its row (sent,
    /// queued or given up), so a restart or a second node cannot queue it twice. A new row is
    /// a `report.queued` event in the same transaction.
    pub async fn queue_report_delivery(
        &self,
        tenant_id: Uuid,
        schedule_id: Uuid,
        period: NewReportDelivery,
        actor: &Actor,
    ) -> Result<Option<ReportDelivery>, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        // The schedule must exist in this tenant (and be locked against a concurrent delete).
        load_schedule(&mut conn, tenant_id, schedule_id).await?;
        let id = Uuid::now_v7();
        let now = Utc::now().trunc_subsecs(6);
        let inserted = sql_execute!(
            &mut conn,
            "INSERT INTO report_deliveries (id, tenant_id, schedule_id, period, window_start, window_end, due_at, attempts, next_attempt_at, failed, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7, FALSE, $8)
             ON CONFLICT (tenant_id, schedule_id, period) DO NOTHING",
            id,
            tenant_id,
            schedule_id,
            period.period.as_str(),
            period.window_start.trunc_subsecs(6),
            period.window_end.trunc_subsecs(6),
            period.due_at.trunc_subsecs(6),
            now
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        let delivery = load_delivery(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "report.queued",
                entity_type: "report_schedule",
                entity_id: Some(schedule_id),
                actor,
                payload: serde_json::json!({"delivery": delivery}),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(delivery))
    }

    /// Deliveries due for an attempt at `now`, oldest due first.
    pub async fn due_report_deliveries(
        &self,
        tenant_id: Uuid,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ReportDelivery>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            ReportDelivery,
            read.conn(),
            concat!(
                "SELECT ",
                delivery_columns!(),
                " FROM report_deliveries WHERE tenant_id = $1 AND sent_at IS NULL AND NOT failed AND next_attempt_at <= $2
                 ORDER BY next_attempt_at, id LIMIT $3"
            ),
            tenant_id,
            now,
            clamp_limit(limit)
        )?)
    }

    /// Takes a delivery for one attempt: moves its next attempt to `lease_until` if it is still
    /// unsent and due at `now`. False when another worker took it first.
    pub async fn claim_report_delivery(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let claimed = sql_execute!(
            &mut conn,
            "UPDATE report_deliveries SET next_attempt_at = $4
             WHERE tenant_id = $1 AND id = $2 AND next_attempt_at <= $3 AND sent_at IS NULL AND NOT failed",
            tenant_id,
            id,
            now,
            lease_until.trunc_subsecs(6)
        )?;
        tx.commit().await?;
        Ok(claimed == 1)
    }

    /// Marks a delivery sent; its `report.sent` event names the schedule, period, window and
    /// recipients.
    pub async fn report_delivery_sent(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        message_id: &str,
        recipients: &[String],
    ) -> Result<ReportDelivery, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let now = Utc::now().trunc_subsecs(6);
        let updated = sql_execute!(
            &mut conn,
            "UPDATE report_deliveries SET sent_at = $3, message_id = $4, attempts = attempts + 1, last_error = NULL
             WHERE tenant_id = $1 AND id = $2 AND sent_at IS NULL",
            tenant_id,
            id,
            now,
            message_id
        )?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        let delivery = load_delivery(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "report.sent",
                entity_type: "report_schedule",
                entity_id: Some(delivery.schedule_id),
                actor: &Actor::system(),
                payload: serde_json::json!({
                    "delivery_id": delivery.id,
                    "schedule_id": delivery.schedule_id,
                    "period": delivery.period,
                    "window_start": delivery.window_start,
                    "window_end": delivery.window_end,
                    "recipients": recipients,
                    "message_id": message_id,
                }),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(delivery)
    }

    /// Records a failed attempt: retried at `retry_at`, or given up when `None`.
    pub async fn report_delivery_failed(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let updated = sql_execute!(
            &mut conn,
            "UPDATE report_deliveries SET attempts = attempts + 1, last_error = $3,
                 next_attempt_at = COALESCE($4, next_attempt_at), failed = $5
             WHERE tenant_id = $1 AND id = $2 AND sent_at IS NULL",
            tenant_id,
            id,
            error,
            retry_at.map(|t| t.trunc_subsecs(6)),
            retry_at.is_none()
        )?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        let delivery = load_delivery(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "report.send_failed",
                entity_type: "report_schedule",
                entity_id: Some(delivery.schedule_id),
                actor: &Actor::system(),
                payload: serde_json::json!({"delivery": delivery}),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A schedule's deliveries, newest first.
    pub async fn report_deliveries(
        &self,
        tenant_id: Uuid,
        schedule_id: Uuid,
        limit: u32,
    ) -> Result<Vec<ReportDelivery>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            ReportDelivery,
            read.conn(),
            concat!(
                "SELECT ",
                delivery_columns!(),
                " FROM report_deliveries WHERE tenant_id = $1 AND schedule_id = $2
                 ORDER BY created_at DESC, id DESC LIMIT $3"
            ),
            tenant_id,
            schedule_id,
            clamp_limit(limit)
        )?)
    }

    /// Tickets solved in `[from, to)` by their assignee: tickets now solved or closed (not
    /// merged away) whose latest solve falls in the window. A reopened ticket is not solved.
    pub async fn tickets_solved_by_assignee(
        &self,
        tenant_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(Uuid, i64)>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            (Uuid, i64),
            read.conn(),
            "SELECT assignee_id, COUNT(*) FROM tickets
             WHERE tenant_id = $1 AND assignee_id IS NOT NULL AND merged_into IS NULL
               AND status IN ('solved', 'closed') AND solved_at >= $2 AND solved_at < $3
             GROUP BY assignee_id",
            tenant_id,
            from,
            to
        )?)
    }
}
