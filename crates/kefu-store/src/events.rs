//! The append-only event log. Every state change appends one event in the same transaction,
//! numbered by a per-tenant sequence with no gaps: the counter row is locked until commit, so
//! events become visible in sequence order and a reader resuming after `seq` never skips one.

use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

/// Who caused a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    ApiToken,
    System,
    /// A ticket trigger (its id is the actor id); its changes are not run through triggers again.
    Trigger,
}

impl ActorKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::ApiToken => "api_token",
            ActorKind::System => "system",
            ActorKind::Trigger => "trigger",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<Uuid>,
    /// The client address, kept in the audit log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Actor {
            kind: ActorKind::System,
            id: None,
            ip: None,
        }
    }

    pub fn user(id: Uuid, ip: Option<String>) -> Self {
        Actor {
            kind: ActorKind::User,
            id: Some(id),
            ip,
        }
    }

    pub fn trigger(id: Uuid) -> Self {
        Actor {
            kind: ActorKind::Trigger,
            id: Some(id),
            ip: None,
        }
    }

    pub fn api_token(id: Uuid, ip: Option<String>) -> Self {
        Actor {
            kind: ActorKind::ApiToken,
            id: Some(id),
            ip,
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub seq: i64,
    pub kind: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub payload: Json<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

/// One change to record: the event, and for admin actions the audit entry with before/after.
pub(crate) struct Change<'a> {
    pub tenant_id: Uuid,
    pub kind: &'static str,
    pub entity_type: &'static str,
    pub entity_id: Option<Uuid>,
    pub actor: &'a Actor,
    pub payload: serde_json::Value,
    /// `Some((before, after))` writes an audit entry too.
    pub audit: Option<(Option<serde_json::Value>, Option<serde_json::Value>)>,
}

/// The change of one tenant record (a trigger, a webhook, a field, a view…) made, changed or
/// deleted: the event carries the record under `key` (as it is after, or was before a
/// deletion), the audit entry both sides.
pub(crate) fn record_change<'a, T: Serialize>(
    tenant_id: Uuid,
    kind: &'static str,
    (entity_type, key): (&'static str, &'static str),
    actor: &'a Actor,
    before: Option<&T>,
    after: Option<&T>,
    id: Uuid,
) -> Change<'a> {
    let value = |record: Option<&T>| record.and_then(|r| serde_json::to_value(r).ok());
    let mut payload = serde_json::Map::new();
    payload.insert(
        key.to_owned(),
        value(after.or(before)).unwrap_or(serde_json::Value::Null),
    );
    Change {
        tenant_id,
        kind,
        entity_type,
        entity_id: Some(id),
        actor,
        payload: serde_json::Value::Object(payload),
        audit: Some((value(before), value(after))),
    }
}

/// Appends the change's event (and audit entry) inside the caller's transaction; returns its seq.
pub(crate) async fn record(conn: &mut Conn<'_>, change: Change<'_>) -> Result<i64, StoreError> {
    let now = Utc::now();
    let seq = sql_scalar!(
        i64,
        &mut *conn,
        "UPDATE event_sequences SET last_seq = last_seq + 1 WHERE tenant_id = $1 RETURNING last_seq",
        change.tenant_id
    )?;
    sql_execute!(
        &mut *conn,
        "INSERT INTO events (tenant_id, seq, kind, entity_type, entity_id, actor_type, actor_id, payload, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        change.tenant_id,
        seq,
        change.kind,
        change.entity_type,
        change.entity_id,
        change.actor.kind.as_str(),
        change.actor.id,
        Json(&change.payload),
        now
    )?;
    record_audit(conn, &change, seq, now).await?;
    Ok(seq)
}

/// Appends changes in order. Those of one tenant (a batch of writes under group commit) take
/// one step of the sequence and one statement; mixed tenants are recorded one by one.
pub(crate) async fn record_all(
    conn: &mut Conn<'_>,
    changes: Vec<Change<'_>>,
) -> Result<(), StoreError> {
    let Some(tenant_id) = changes.first().map(|change| change.tenant_id) else {
        return Ok(());
    };
    let count = i64::try_from(changes.len()).unwrap_or(i64::MAX);
    if count == 1 || changes.iter().any(|change| change.tenant_id != tenant_id) {
        for change in changes {
            record(&mut *conn, change).await?;
        }
        return Ok(());
    }
    let last = sql_scalar!(
        i64,
        &mut *conn,
        "UPDATE event_sequences SET last_seq = last_seq + $2 WHERE tenant_id = $1 RETURNING last_seq",
        tenant_id,
        count
    )?;
    let first = last - count + 1;
    let now = Utc::now();
    sql_built_execute!(&mut *conn, |query| {
        query.push(
            "INSERT INTO events (tenant_id, seq, kind, entity_type, entity_id, actor_type, actor_id, payload, created_at) ",
        );
        query.push_values(changes.iter().zip(first..), |mut row, (change, seq)| {
            row.push_bind(tenant_id)
                .push_bind(seq)
                .push_bind(change.kind)
                .push_bind(change.entity_type)
                .push_bind(change.entity_id)
                .push_bind(change.actor.kind.as_str())
                .push_bind(change.actor.id)
                .push_bind(Json(&change.payload))
                .push_bind(now);
        });
    })?;
    for (change, seq) in changes.iter().zip(first..) {
        record_audit(&mut *conn, change, seq, now).await?;
    }
    Ok(())
}

/// The audit entry of an admin's change, if it has one.
async fn record_audit(
    conn: &mut Conn<'_>,
    change: &Change<'_>,
    seq: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some((before, after)) = &change.audit else {
        return Ok(());
    };
    sql_execute!(
        conn,
        "INSERT INTO audit_log (id, tenant_id, event_seq, actor_type, actor_id, ip, action, entity_type, entity_id, before_state, after_state, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        Uuid::now_v7(),
        change.tenant_id,
        seq,
        change.actor.kind.as_str(),
        change.actor.id,
        change.actor.ip.as_deref(),
        change.kind,
        change.entity_type,
        change.entity_id,
        before.as_ref().map(Json),
        after.as_ref().map(Json),
        now
    )?;
    Ok(())
}

impl Store {
    /// Events after `after_seq`, oldest first, at most `limit`.
    pub async fn events_since(
        &self,
        tenant_id: Uuid,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            Event,
            read.conn(),
            "SELECT seq, kind, entity_type, entity_id, actor_type, actor_id, payload, created_at
             FROM events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            tenant_id,
            after_seq,
            i64::from(limit.clamp(1, 1000))
        )?)
    }

    /// The newest sequence number of a tenant (0 before any event).
    pub async fn last_event_seq(&self, tenant_id: Uuid) -> Result<i64, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_scalar_optional!(
            i64,
            read.conn(),
            "SELECT last_seq FROM event_sequences WHERE tenant_id = $1",
            tenant_id
        )?
        .unwrap_or(0))
    }

    /// Events about some entities (e.g. a customer and those merged into it), newest first.
    pub async fn events_for_entities(
        &self,
        tenant_id: Uuid,
        entity_ids: &[Uuid],
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        let mut events = Vec::new();
        let mut read = self.read().await?;
        // A handful of ids at most (merges), so one indexed query each keeps the SQL portable.
        for id in entity_ids {
            events.extend(sql_all!(
                Event,
                read.conn(),
                "SELECT seq, kind, entity_type, entity_id, actor_type, actor_id, payload, created_at
                 FROM events WHERE tenant_id = $1 AND entity_id = $2 ORDER BY seq DESC LIMIT $3",
                tenant_id,
                *id,
                i64::from(limit.clamp(1, 1000))
            )?);
        }
        events.sort_by_key(|e| std::cmp::Reverse(e.seq));
        events.truncate(limit as usize);
        Ok(events)
    }
}
