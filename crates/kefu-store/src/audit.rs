//! The audit log of admin actions: who did what to which record, when, from where,
//! with the record before and after. Written by `events::record` in the change's transaction.

use crate::page::{Page, clamp_limit};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: Uuid,
    pub event_seq: i64,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub ip: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before_state: Option<Json<serde_json::Value>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after_state: Option<Json<serde_json::Value>>,
    pub created_at: DateTime<Utc>,
}

impl Store {
    pub async fn list_audit(
        &self,
        tenant_id: Uuid,
        entity_id: Option<Uuid>,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let mut read = self.read().await?;
        let rows = sql_all!(
            AuditEntry,
            read.conn(),
            "SELECT id, event_seq, actor_type, actor_id, ip, action, entity_type, entity_id, before_state, after_state, created_at
             FROM audit_log WHERE tenant_id = $1 AND ($2 IS NULL OR entity_id = $2) AND ($3 IS NULL OR id > $3) ORDER BY id LIMIT $4",
            tenant_id,
            entity_id,
            after,
            clamp_limit(limit)
        )?;
        Ok(Page::from_rows(
            rows,
            limit.clamp(1, crate::page::MAX_PAGE),
            |a| a.id,
        ))
    }
}
