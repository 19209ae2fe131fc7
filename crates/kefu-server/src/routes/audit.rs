//! The audit log of admin actions, for admins.

use super::{ListResponse, check_limit, decode_cursor};
use crate::auth::Principal;
use crate::error::ApiResult;
use crate::extract::Query;
use crate::state::AppState;
use axum::extract::State;
use kefu_core::Role;
use kefu_store::AuditEntry;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListAudit {
    /// Only entries about this record.
    pub entity_id: Option<Uuid>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(ListAudit), responses((status = 200, body = ListResponse<AuditEntry>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListAudit>,
) -> ApiResult<axum::Json<ListResponse<AuditEntry>>> {
    principal.require_user_role(Role::Admin)?;
    let page = state
        .store()
        .list_audit(
            principal.tenant_id,
            query.entity_id,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await?;
    Ok(axum::Json(page.into()))
}
