//! Ticket triggers over HTTP (admins): ordered rules with conditions and actions, checked
//! against the tenant's groups, users, webhooks and custom fields when saved.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::trigger::{Known, TriggerRules, check_rules};
use kefu_core::{Role, ValidationErrors};
use kefu_store::{NewTrigger, TicketTrigger, TriggerPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrigger {
    #[schema(example = "加急工单 Urgent tickets to VIP desk")]
    pub name: String,
    pub rules: TriggerRules,
    /// Last when left out.
    pub position: Option<i32>,
    /// `true` when left out.
    pub active: Option<bool>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTrigger {
    pub name: Option<String>,
    pub rules: Option<TriggerRules>,
    pub position: Option<i32>,
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TriggerList {
    /// In running order.
    pub items: Vec<TicketTrigger>,
}

/// Checks the rules against what the tenant has now; errors are named under `rules.`.
async fn check(
    state: &AppState,
    tenant_id: Uuid,
    name: Option<&str>,
    rules: Option<&TriggerRules>,
) -> ApiResult<()> {
    let mut errors = ValidationErrors::new();
    if let Some(name) = name {
        kefu_core::error::check_text(
            &mut errors,
            "name",
            name,
            kefu_core::trigger::MAX_NAME_CHARS,
        );
    }
    if let Some(rules) = rules {
        let store = state.store();
        let fields: Vec<_> = store
            .ticket_fields(tenant_id)
            .await?
            .iter()
            .map(kefu_store::TicketField::def)
            .collect();
        let group_ids: Vec<Uuid> = store
            .list_groups(tenant_id, None, 200)
            .await?
            .items
            .iter()
            .map(|g| g.id)
            .collect();
        let user_ids: Vec<Uuid> = store
            .list_users(tenant_id, &kefu_store::UserFilter::default(), None, 200)
            .await?
            .items
            .iter()
            .filter(|u| u.active)
            .map(|u| u.id)
            .collect();
        let webhook_ids: Vec<Uuid> = store
            .list_webhooks(tenant_id)
            .await?
            .iter()
            .map(|w| w.id)
            .collect();
        let known = Known {
            fields: &fields,
            group_ids: &group_ids,
            user_ids: &user_ids,
            webhook_ids: &webhook_ids,
        };
        if let Err(invalid) = check_rules(rules, &known) {
            for e in invalid.errors {
                errors.push(format!("rules.{}", e.field), e.code, e.message);
            }
        }
    }
    Ok(errors.into_result()?)
}

#[utoipa::path(get, path = "/api/v1/triggers", tag = "tickets",
    responses((status = 200, body = TriggerList), (status = 403, body = ErrorBody)))]
pub async fn list_triggers(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<TriggerList>> {
    principal.require_user_role(Role::Admin)?;
    Ok(axum::Json(TriggerList {
        items: state.store().triggers(principal.tenant_id).await?,
    }))
}

/// A trigger acts on events logged after it is made: created, updated and commented tickets.
/// Changes a trigger makes are not run through triggers again (no loops).
#[utoipa::path(post, path = "/api/v1/triggers", tag = "tickets", request_body = CreateTrigger,
    responses((status = 201, body = TicketTrigger), (status = 403, body = ErrorBody),
        (status = 422, description = "the field named, e.g. `rules.all[0].operator`, `rules.actions[1].group_id`", body = ErrorBody)))]
pub async fn create_trigger(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateTrigger>,
) -> ApiResult<(StatusCode, axum::Json<TicketTrigger>)> {
    principal.require_user_role(Role::Admin)?;
    check(
        &state,
        principal.tenant_id,
        Some(&req.name),
        Some(&req.rules),
    )
    .await?;
    let trigger = state
        .store()
        .create_trigger(
            principal.tenant_id,
            NewTrigger {
                name: req.name,
                rules: req.rules,
                position: req.position,
                active: req.active.unwrap_or(true),
            },
            &principal.actor(),
        )
        .await?;
    state.triggers().changed(principal.tenant_id);
    Ok((StatusCode::CREATED, axum::Json(trigger)))
}

#[utoipa::path(get, path = "/api/v1/triggers/{id}", tag = "tickets", params(("id" = Uuid, Path)),
    responses((status = 200, body = TicketTrigger), (status = 404, body = ErrorBody)))]
pub async fn get_trigger(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<TicketTrigger>> {
    principal.require_user_role(Role::Admin)?;
    Ok(axum::Json(
        state
            .store()
            .trigger(principal.tenant_id, id)
            .await
            .map_err(ApiError::from_store("trigger"))?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/triggers/{id}", tag = "tickets", params(("id" = Uuid, Path)),
    request_body = UpdateTrigger,
    responses((status = 200, body = TicketTrigger), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_trigger(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateTrigger>,
) -> ApiResult<axum::Json<TicketTrigger>> {
    principal.require_user_role(Role::Admin)?;
    state
        .store()
        .trigger(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("trigger"))?;
    check(
        &state,
        principal.tenant_id,
        req.name.as_deref(),
        req.rules.as_ref(),
    )
    .await?;
    let trigger = state
        .store()
        .update_trigger(
            principal.tenant_id,
            id,
            TriggerPatch {
                name: req.name,
                rules: req.rules,
                position: req.position,
                active: req.active,
            },
            &principal.actor(),
        )
        .await
        .map_err(ApiError::from_store("trigger"))?;
    state.triggers().changed(principal.tenant_id);
    Ok(axum::Json(trigger))
}

#[utoipa::path(delete, path = "/api/v1/triggers/{id}", tag = "tickets", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_trigger(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    principal.require_user_role(Role::Admin)?;
    state
        .store()
        .delete_trigger(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("trigger"))?;
    Ok(StatusCode::NO_CONTENT)
}
