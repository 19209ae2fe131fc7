//! SLA policies (admins set them; the first that matches a ticket applies) and a ticket's SLA
//! targets as the server last computed them.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use kefu_core::{Role, Scope, ValidationErrors};
use kefu_store::TicketSlaTarget;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

const MAX_POLICIES: usize = 100;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicies {
    /// kefu-sla policies in matching order: `{name, conditions: {priority, tier, channel,
    /// ticket_type}, targets: {first_reply_minutes, next_reply_minutes, resolution_minutes},
    /// warn_before: {elapsed_percent|minutes}, escalations: [{on: warning|breach, targets,
    /// action: {type: notify|raise_priority|reassign, …}}], calendar}`. Without a calendar a
    /// policy counts the tenant's business hours (or every hour when none are set).
    #[schema(value_type = Vec<Object>)]
    pub policies: Vec<serde_json::Value>,
}

#[utoipa::path(get, path = "/api/v1/sla-policies", tag = "tickets",
    responses((status = 200, body = SlaPolicies), (status = 403, body = ErrorBody)))]
pub async fn get_policies(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<SlaPolicies>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let stored = state.store().sla_policies(principal.tenant_id).await?;
    Ok(axum::Json(SlaPolicies {
        policies: stored.as_array().cloned().unwrap_or_default(),
    }))
}

#[utoipa::path(put, path = "/api/v1/sla-policies", tag = "tickets", request_body = SlaPolicies,
    responses((status = 200, body = SlaPolicies), (status = 403, body = ErrorBody),
        (status = 422, description = "`invalid_policy` with the field, e.g. `policies[0].targets`", body = ErrorBody)))]
pub async fn put_policies(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<SlaPolicies>,
) -> ApiResult<axum::Json<SlaPolicies>> {
    principal.require(Role::Admin, Scope::UsersWrite)?;
    let tenant = state.store().tenant(principal.tenant_id).await?;
    let default_calendar = crate::hours::tenant_spec(&tenant.settings)
        .unwrap_or_else(|| crate::hours::around_the_clock(&tenant.settings));
    let mut errors = ValidationErrors::new();
    if req.policies.len() > MAX_POLICIES {
        errors.push("policies", "too_many", "at most 100 policies");
    }
    let mut checked = Vec::with_capacity(req.policies.len());
    for (i, mut raw) in req.policies.into_iter().enumerate() {
        if let Some(object) = raw.as_object_mut()
            && !object.contains_key("calendar")
        {
            object.insert(
                "calendar".into(),
                serde_json::to_value(&default_calendar).unwrap_or_default(),
            );
        }
        let policy = match serde_json::from_value::<kefu_sla::Policy>(raw) {
            Ok(policy) => policy,
            Err(err) => {
                errors.push(format!("policies[{i}]"), "invalid_policy", err.to_string());
                continue;
            }
        };
        match policy.validate() {
            Ok(()) => checked.push(policy),
            Err(kefu_sla::SlaError::InvalidPolicy { field, reason }) => {
                errors.push(format!("policies[{i}].{field}"), "invalid_policy", reason);
            }
            Err(err) => errors.push(format!("policies[{i}]"), "invalid_policy", err.to_string()),
        }
    }
    errors.into_result()?;
    let stored = serde_json::to_value(&checked).map_err(|err| {
        tracing::error!(%err, "sla policies do not serialize");
        ApiError::internal()
    })?;
    state
        .store()
        .set_sla_policies(principal.tenant_id, &stored, &principal.actor())
        .await?;
    Ok(axum::Json(SlaPolicies {
        policies: stored.as_array().cloned().unwrap_or_default(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketSla {
    /// One entry per target the applying policy sets; empty when no policy applies.
    pub targets: Vec<TicketSlaTarget>,
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/sla", tag = "tickets", params(("id" = Uuid, Path)),
    responses((status = 200, body = TicketSla), (status = 404, body = ErrorBody)))]
pub async fn ticket_sla(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<TicketSla>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    state
        .store()
        .ticket(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(axum::Json(TicketSla {
        targets: state.store().ticket_sla(principal.tenant_id, id).await?,
    }))
}
