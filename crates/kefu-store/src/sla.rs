//! SLA storage: the tenant's policies (as the JSON kefu-sla reads), each ticket's targets as
//! last computed, the warnings and breaches already acted on, and the log cursor of the
//! server's SLA follower. The clocks and the rules are kefu-sla's; this is only SQL.

use crate::events::{Actor, Change, record};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// One SLA target of a ticket, as last computed by the server.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketSlaTarget {
    /// `first_reply`, `next_reply` or `resolution`.
    pub target: String,
    /// The name of the policy that applies.
    pub policy: String,
    /// `active`, `paused`, `met` or `breached`.
    pub state: String,
    pub started_at: DateTime<Utc>,
    pub goal_secs: i64,
    /// Business time counted so far.
    pub elapsed_secs: i64,
    pub warn_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub breached_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A ticket the SLA follower must look at again at `at` (a warning or due time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaWakeup {
    pub tenant_id: Uuid,
    pub ticket_id: Uuid,
    pub at: DateTime<Utc>,
}

impl Store {
    /// The tenant's policies as stored (a JSON array), `[]` when none were set.
    pub async fn sla_policies(&self, tenant_id: Uuid) -> Result<serde_json::Value, StoreError> {
        let mut read = self.read().await?;
        let text = sql_scalar_optional!(
            String,
            read.conn(),
            "SELECT policies FROM sla_policies WHERE tenant_id = $1",
            tenant_id
        )?;
        Ok(text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_else(|| serde_json::json!([])))
    }

    /// Replaces the tenant's policies (already validated by the caller), audited.
    pub async fn set_sla_policies(
        &self,
        tenant_id: Uuid,
        policies: &serde_json::Value,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = sql_scalar_optional!(
            String,
            &mut conn,
            "SELECT policies FROM sla_policies WHERE tenant_id = $1",
            tenant_id
        )?
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
        sql_execute!(
            &mut conn,
            "INSERT INTO sla_policies (tenant_id, policies, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (tenant_id) DO UPDATE SET policies = excluded.policies, updated_at = excluded.updated_at",
            tenant_id,
            policies.to_string(),
            Utc::now()
        )?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "sla.policies_updated",
                entity_type: "tenant",
                entity_id: Some(tenant_id),
                actor,
                payload: serde_json::json!({ "policies": policies }),
                audit: Some((before, Some(policies.clone()))),
            },
        )
        .await?;
        tx.commit().await
    }

    /// The ticket's SLA targets as last computed (none when no policy applies).
    pub async fn ticket_sla(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
    ) -> Result<Vec<TicketSlaTarget>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            TicketSlaTarget,
            read.conn(),
            "SELECT target, policy, state, started_at, goal_secs, elapsed_secs, warn_at, due_at, breached_at, completed_at
             FROM ticket_slas WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY started_at, target",
            tenant_id,
            ticket_id
        )?)
    }

    /// Replaces the ticket's targets with a fresh computation. Bookkeeping, not a change of
    /// the ticket: warnings and breaches are logged by [`Store::mark_sla`].
    pub async fn save_ticket_sla(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        targets: &[TicketSlaTarget],
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        sql_execute!(
            &mut conn,
            "DELETE FROM ticket_slas WHERE tenant_id = $1 AND ticket_id = $2",
            tenant_id,
            ticket_id
        )?;
        for t in targets {
            sql_execute!(
                &mut conn,
                "INSERT INTO ticket_slas (tenant_id, ticket_id, target, policy, state, started_at, goal_secs, elapsed_secs, warn_at, due_at, breached_at, completed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                tenant_id,
                ticket_id,
                &t.target,
                &t.policy,
                &t.state,
                t.started_at,
                t.goal_secs,
                t.elapsed_secs,
                t.warn_at,
                t.due_at,
                t.breached_at,
                t.completed_at
            )?;
        }
        tx.commit().await
    }

    /// Whether the warning or breach (`mark`) of the ticket's `target` falling due `at` was
    /// already acted on.
    pub async fn sla_marked(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        target: &str,
        mark: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_scalar!(
            i64,
            read.conn(),
            "SELECT COUNT(*) FROM ticket_sla_marks
             WHERE tenant_id = $1 AND ticket_id = $2 AND target = $3 AND mark = $4 AND at = $5",
            tenant_id,
            ticket_id,
            target,
            mark,
            at
        )? > 0)
    }

    /// Records that a warning or breach (`mark`) of the ticket's `target` falling due `at` was
    /// acted on, with its event, once: false (and nothing written) if it already was.
    #[allow(clippy::too_many_arguments)]
    pub async fn mark_sla(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        target: &str,
        mark: &'static str,
        at: DateTime<Utc>,
        payload: serde_json::Value,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let inserted = sql_execute!(
            &mut conn,
            "INSERT INTO ticket_sla_marks (tenant_id, ticket_id, target, mark, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
            tenant_id,
            ticket_id,
            target,
            mark,
            at
        )?;
        if inserted == 0 {
            return Ok(false);
        }
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: if mark == "warning" {
                    "ticket.sla_warning"
                } else {
                    "ticket.sla_breached"
                },
                entity_type: "ticket",
                entity_id: Some(ticket_id),
                actor,
                payload,
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn sla_cursor(&self, tenant_id: Uuid) -> Result<Option<i64>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_scalar_optional!(
            i64,
            read.conn(),
            "SELECT last_seq FROM sla_cursors WHERE tenant_id = $1",
            tenant_id
        )?)
    }

    pub async fn set_sla_cursor(&self, tenant_id: Uuid, last_seq: i64) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        sql_execute!(
            &mut conn,
            "INSERT INTO sla_cursors (tenant_id, last_seq) VALUES ($1, $2)
             ON CONFLICT (tenant_id) DO UPDATE SET last_seq = excluded.last_seq",
            tenant_id,
            last_seq
        )?;
        tx.commit().await
    }

    /// Every running target's next instant to look at (its warning, else its due time), for
    /// the follower's timers after a start.
    pub async fn sla_wakeups(&self) -> Result<Vec<SlaWakeup>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            tenant_id: Uuid,
            ticket_id: Uuid,
            warn_at: Option<DateTime<Utc>>,
            due_at: Option<DateTime<Utc>>,
        }
        let mut read = self.read().await?;
        let rows = sql_all!(
            Row,
            read.conn(),
            "SELECT tenant_id, ticket_id, warn_at, due_at FROM ticket_slas
             WHERE state = 'active' AND (warn_at IS NOT NULL OR due_at IS NOT NULL)",
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(SlaWakeup {
                    tenant_id: r.tenant_id,
                    ticket_id: r.ticket_id,
                    at: r.warn_at.or(r.due_at)?,
                })
            })
            .collect())
    }
}
