//! Ticket triggers: a tenant's ordered rules, the cursor of the server's trigger follower, and
//! applying one event's firings (field changes, replies, alerts, webhook calls) atomically.

use crate::events::{Actor, Change, record};
use crate::sql::Conn;
use crate::tickets::{
    CommentAuthor, NewComment, TicketPatch, insert_comment, load_ticket, update_ticket_in,
};
use crate::{Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use kefu_core::trigger::{Firing, TriggerRules};
use serde::Serialize;
use uuid::Uuid;

/// Most triggers a tenant has.
pub const MAX_TRIGGERS: usize = 200;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketTrigger {
    pub id: Uuid,
    pub name: String,
    /// Triggers run in ascending position.
    pub position: i32,
    pub active: bool,
    pub rules: TriggerRules,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct TriggerRow {
    id: Uuid,
    name: String,
    position: i32,
    active: bool,
    rules: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<TriggerRow> for TicketTrigger {
    type Error = StoreError;
    fn try_from(row: TriggerRow) -> Result<Self, StoreError> {
        Ok(TicketTrigger {
            rules: serde_json::from_str(&row.rules)
                .map_err(|_| StoreError::corrupt("triggers.rules", &row.rules))?,
            id: row.id,
            name: row.name,
            position: row.position,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

macro_rules! trigger_columns {
    () => {
        "id, name, position, active, rules, created_at, updated_at"
    };
}

/// A new trigger, checked by the caller with kefu-core's `check_rules`.
#[derive(Debug, Clone)]
pub struct NewTrigger {
    pub name: String,
    pub rules: TriggerRules,
    /// Last when `None`.
    pub position: Option<i32>,
    pub active: bool,
}

#[derive(Debug, Clone, Default)]
pub struct TriggerPatch {
    pub name: Option<String>,
    pub rules: Option<TriggerRules>,
    pub position: Option<i32>,
    pub active: Option<bool>,
}

fn rules_text(rules: &TriggerRules) -> String {
    serde_json::to_string(rules).unwrap_or_else(|_| "{}".into())
}

async fn load_trigger(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<TicketTrigger, StoreError> {
    sql_optional!(
        TriggerRow,
        conn,
        concat!(
            "SELECT ",
            trigger_columns!(),
            " FROM triggers WHERE tenant_id = $1 AND id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?
    .try_into()
}

fn change<'a>(
    tenant_id: Uuid,
    kind: &'static str,
    actor: &'a Actor,
    before: Option<&TicketTrigger>,
    after: Option<&TicketTrigger>,
    id: Uuid,
) -> Change<'a> {
    crate::events::record_change(
        tenant_id,
        kind,
        ("trigger", "trigger"),
        actor,
        before,
        after,
        id,
    )
}

/// When the tenant's first active trigger appears, the follower starts at the log's end (after
/// this change's own event): triggers act on what happens from now on, not on history.
async fn start_cursor_if_first(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<(), StoreError> {
    let others = sql_scalar!(
        i64,
        &mut *conn,
        "SELECT COUNT(*) FROM triggers WHERE tenant_id = $1 AND active = $2 AND id <> $3",
        tenant_id,
        true,
        id
    )?;
    if others == 0 {
        sql_execute!(
            &mut *conn,
            "INSERT INTO trigger_cursors (tenant_id, last_seq)
             SELECT tenant_id, last_seq FROM event_sequences WHERE tenant_id = $1
             ON CONFLICT (tenant_id) DO UPDATE SET last_seq = excluded.last_seq",
            tenant_id
        )?;
    }
    Ok(())
}

impl Store {
    /// The tenant's triggers in running order.
    pub async fn triggers(&self, tenant_id: Uuid) -> Result<Vec<TicketTrigger>, StoreError> {
        let mut read = self.read().await?;
        sql_all!(
            TriggerRow,
            read.conn(),
            concat!(
                "SELECT ",
                trigger_columns!(),
                " FROM triggers WHERE tenant_id = $1 ORDER BY position, id"
            ),
            tenant_id
        )?
        .into_iter()
        .map(TicketTrigger::try_from)
        .collect()
    }

    pub async fn trigger(&self, tenant_id: Uuid, id: Uuid) -> Result<TicketTrigger, StoreError> {
        let mut read = self.read().await?;
        load_trigger(&mut read.conn(), tenant_id, id).await
    }

    pub async fn create_trigger(
        &self,
        tenant_id: Uuid,
        new: NewTrigger,
        actor: &Actor,
    ) -> Result<TicketTrigger, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let positions = sql_all!(
            (i32,),
            &mut conn,
            "SELECT position FROM triggers WHERE tenant_id = $1",
            tenant_id
        )?;
        if positions.len() >= MAX_TRIGGERS {
            return Err(kefu_core::ValidationErrors::single(
                "name",
                "too_many",
                "a tenant has at most 200 triggers",
            )
            .into());
        }
        let last = positions.iter().map(|(p,)| *p).max();
        let id = Uuid::now_v7();
        let now = Utc::now().trunc_subsecs(6);
        sql_execute!(
            &mut conn,
            "INSERT INTO triggers (id, tenant_id, name, position, active, rules, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            id,
            tenant_id,
            new.name.trim(),
            new.position
                .unwrap_or(last.map_or(0, |p| p.saturating_add(1))),
            new.active,
            rules_text(&new.rules),
            now
        )?;
        let created = load_trigger(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            change(
                tenant_id,
                "trigger.created",
                actor,
                None,
                Some(&created),
                id,
            ),
        )
        .await?;
        if created.active {
            start_cursor_if_first(&mut conn, tenant_id, id).await?;
        }
        tx.commit().await?;
        Ok(created)
    }

    pub async fn update_trigger(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: TriggerPatch,
        actor: &Actor,
    ) -> Result<TicketTrigger, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_trigger(&mut conn, tenant_id, id).await?;
        sql_execute!(
            &mut conn,
            "UPDATE triggers SET name = $3, rules = $4, position = $5, active = $6, updated_at = $7
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            patch
                .name
                .as_deref()
                .map_or(before.name.as_str(), str::trim),
            rules_text(patch.rules.as_ref().unwrap_or(&before.rules)),
            patch.position.unwrap_or(before.position),
            patch.active.unwrap_or(before.active),
            Utc::now().trunc_subsecs(6)
        )?;
        let after = load_trigger(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            change(
                tenant_id,
                "trigger.updated",
                actor,
                Some(&before),
                Some(&after),
                id,
            ),
        )
        .await?;
        if after.active && !before.active {
            start_cursor_if_first(&mut conn, tenant_id, id).await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_trigger(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_trigger(&mut conn, tenant_id, id).await?;
        sql_execute!(
            &mut conn,
            "DELETE FROM triggers WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        record(
            &mut conn,
            change(tenant_id, "trigger.deleted", actor, Some(&before), None, id),
        )
        .await?;
        tx.commit().await
    }

    /// Tenants with at least one active trigger (whose logs the follower reads).
    pub async fn tenants_with_triggers(&self) -> Result<Vec<Uuid>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            (Uuid,),
            read.conn(),
            "SELECT DISTINCT tenant_id FROM triggers WHERE active = $1",
            true
        )?
        .into_iter()
        .map(|(id,)| id)
        .collect())
    }

    /// The last event the trigger follower has dealt with; `None` before the first trigger.
    pub async fn trigger_cursor(&self, tenant_id: Uuid) -> Result<Option<i64>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_scalar_optional!(
            i64,
            read.conn(),
            "SELECT last_seq FROM trigger_cursors WHERE tenant_id = $1",
            tenant_id
        )?)
    }

    /// Moves the cursor forward (never back) past events that fired nothing.
    pub async fn set_trigger_cursor(&self, tenant_id: Uuid, seq: i64) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        advance_cursor(&mut tx.conn(), tenant_id, seq).await?;
        tx.commit().await
    }

    /// Applies what the triggers planned for the event `source_seq` on a ticket, and moves the
    /// cursor past it, in one transaction: after a crash either all of it happened (and the
    /// cursor says so) or none. Each firing acts as its trigger and logs `trigger.fired`
    /// (with whom to alert and the webhooks it calls, each of which gets a delivery of that
    /// event). `false` when the cursor was already past the event (done by an earlier run).
    pub async fn apply_trigger_firings(
        &self,
        tenant_id: Uuid,
        source_seq: i64,
        ticket_id: Uuid,
        firings: &[Firing],
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        if !advance_cursor(&mut conn, tenant_id, source_seq).await? {
            return Ok(false);
        }
        for firing in firings {
            let actor = Actor::trigger(firing.trigger_id);
            let c = &firing.changes;
            if !c.is_empty() {
                let patch = TicketPatch {
                    subject: None,
                    status: c.status,
                    priority: c.priority,
                    ticket_type: c.ticket_type,
                    tags: c.tags.clone(),
                    assignee_id: c.assignee_id,
                    group_id: c.group_id,
                    custom_fields: (!c.custom_fields.is_empty()).then(|| c.custom_fields.clone()),
                };
                update_ticket_in(&mut conn, tenant_id, ticket_id, patch, &actor).await?;
            }
            for body in &firing.replies {
                let reply = NewComment {
                    author_kind: CommentAuthor::System,
                    author_id: None,
                    public: true,
                    body: body.clone(),
                };
                insert_comment(&mut conn, tenant_id, ticket_id, reply, &[], &actor).await?;
            }
            let mut notify = firing.notify_users.clone();
            for group in &firing.notify_groups {
                notify.extend(
                    sql_all!(
                        (Uuid,),
                        &mut conn,
                        "SELECT m.user_id FROM group_members m JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id
                         WHERE m.tenant_id = $1 AND m.group_id = $2 AND u.active",
                        tenant_id,
                        *group
                    )?
                    .into_iter()
                    .map(|(id,)| id),
                );
            }
            notify.sort();
            notify.dedup();
            let ticket = load_ticket(&mut conn, tenant_id, ticket_id).await?;
            let mut webhooks = Vec::new();
            for webhook in &firing.webhooks {
                let active = sql_scalar_optional!(
                    bool,
                    &mut conn,
                    "SELECT active FROM webhooks WHERE tenant_id = $1 AND id = $2",
                    tenant_id,
                    *webhook
                )?;
                // A webhook deleted or paused since the trigger was saved is skipped.
                if active == Some(true) {
                    webhooks.push(*webhook);
                }
            }
            let seq = record(
                &mut conn,
                Change {
                    tenant_id,
                    kind: "trigger.fired",
                    entity_type: "ticket",
                    entity_id: Some(ticket_id),
                    actor: &actor,
                    payload: serde_json::json!({
                        "trigger": {"id": firing.trigger_id, "name": firing.name},
                        "ticket_id": ticket_id,
                        "number": ticket.number,
                        "source_seq": source_seq,
                        "changes": firing.changes,
                        "replies": firing.replies.len(),
                        "notify": notify,
                        "webhooks": webhooks,
                        "ticket": ticket,
                    }),
                    audit: None,
                },
            )
            .await?;
            for webhook in webhooks {
                // The fan-out may queue the same event for a webhook that wants `trigger.*`:
                // one delivery per webhook and event either way.
                sql_execute!(
                    &mut conn,
                    "INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_seq, event_kind, state, attempts, next_attempt_at, created_at)
                     VALUES ($1, $2, $3, $4, 'trigger.fired', 'pending', 0, $5, $5)
                     ON CONFLICT (webhook_id, event_seq) DO NOTHING",
                    Uuid::now_v7(),
                    tenant_id,
                    webhook,
                    seq,
                    Utc::now()
                )?;
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Records that the triggers planned for an event could not be applied (the ticket moved on,
    /// a group was deleted…) and moves the cursor past it, so one bad event never stalls the rest.
    pub async fn trigger_failed(
        &self,
        tenant_id: Uuid,
        source_seq: i64,
        ticket_id: Uuid,
        triggers: &[(Uuid, String)],
        error: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        if advance_cursor(&mut conn, tenant_id, source_seq).await? {
            let names: Vec<_> = triggers
                .iter()
                .map(|(id, name)| serde_json::json!({"id": id, "name": name}))
                .collect();
            record(
                &mut conn,
                Change {
                    tenant_id,
                    kind: "trigger.failed",
                    entity_type: "ticket",
                    entity_id: Some(ticket_id),
                    actor: &Actor::system(),
                    payload: serde_json::json!({"triggers": names, "source_seq": source_seq, "error": error}),
                    audit: None,
                },
            )
            .await?;
        }
        tx.commit().await
    }
}

/// Moves the tenant's cursor to `seq` if it is behind; whether it was.
async fn advance_cursor(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    seq: i64,
) -> Result<bool, StoreError> {
    let moved = sql_execute!(
        &mut *conn,
        "UPDATE trigger_cursors SET last_seq = $2 WHERE tenant_id = $1 AND last_seq < $2",
        tenant_id,
        seq
    )?;
    Ok(moved > 0)
}
