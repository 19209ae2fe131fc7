//! Ticket custom field definitions over HTTP: admins define and change them, agents read them
//! (to show and edit a ticket's fields). Values are checked on every ticket write by the store.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::ticket_field::{FieldType, check_definition};
use kefu_core::{Role, Scope, TicketType, ValidationErrors};
use kefu_store::{NewTicketField, TicketField, TicketFieldPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicketField {
    /// Lower-case letters, digits and `_`; fixed once made.
    #[schema(example = "order_no")]
    pub key: String,
    #[schema(example = "订单号 Order number")]
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// The choices of a select or multi-select.
    #[serde(default)]
    pub options: Vec<String>,
    /// Ticket types that need a value.
    #[serde(default)]
    pub required_for: Vec<TicketType>,
    /// Last when left out.
    pub position: Option<i32>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicketField {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub required_for: Option<Vec<TicketType>>,
    pub position: Option<i32>,
    /// An inactive field keeps the values tickets have and takes no new ones.
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketFieldList {
    /// In their order; inactive ones too.
    pub items: Vec<TicketField>,
}

fn check_required_for(errors: &mut ValidationErrors, types: &[TicketType]) -> Vec<TicketType> {
    let mut out: Vec<TicketType> = Vec::new();
    for t in types {
        if !out.contains(t) {
            out.push(*t);
        }
    }
    if out.len() != types.len() {
        errors.push("required_for", "duplicate", "each ticket type once");
    }
    out
}

#[utoipa::path(get, path = "/api/v1/ticket-fields", tag = "tickets",
    responses((status = 200, body = TicketFieldList), (status = 403, body = ErrorBody)))]
pub async fn list_fields(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<TicketFieldList>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    Ok(axum::Json(TicketFieldList {
        items: state.store().ticket_fields(principal.tenant_id).await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/ticket-fields", tag = "tickets", request_body = CreateTicketField,
    responses((status = 201, body = TicketField), (status = 403, body = ErrorBody),
        (status = 409, description = "`field_key_taken`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_field(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateTicketField>,
) -> ApiResult<(StatusCode, axum::Json<TicketField>)> {
    principal.require_user_role(Role::Admin)?;
    let mut errors = ValidationErrors::new();
    let key = req.key.trim().to_owned();
    check_definition(
        &mut errors,
        Some(&key),
        Some(&req.label),
        req.field_type,
        &req.options,
    );
    let required_for = check_required_for(&mut errors, &req.required_for);
    errors.into_result()?;
    let field = state
        .store()
        .create_ticket_field(
            principal.tenant_id,
            NewTicketField {
                key,
                label: req.label,
                field_type: req.field_type,
                options: req.options,
                required_for,
                position: req.position,
            },
            &principal.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(field)))
}

#[utoipa::path(get, path = "/api/v1/ticket-fields/{id}", tag = "tickets", params(("id" = Uuid, Path)),
    responses((status = 200, body = TicketField), (status = 404, body = ErrorBody)))]
pub async fn get_field(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<TicketField>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    Ok(axum::Json(
        state
            .store()
            .ticket_field(principal.tenant_id, id)
            .await
            .map_err(ApiError::from_store("ticket_field"))?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/ticket-fields/{id}", tag = "tickets", params(("id" = Uuid, Path)),
    request_body = UpdateTicketField,
    responses((status = 200, body = TicketField), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_field(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateTicketField>,
) -> ApiResult<axum::Json<TicketField>> {
    principal.require_user_role(Role::Admin)?;
    let current = state
        .store()
        .ticket_field(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("ticket_field"))?;
    let mut errors = ValidationErrors::new();
    let options = req.options.as_deref().unwrap_or(&current.options);
    check_definition(
        &mut errors,
        None,
        req.label.as_deref(),
        current.field_type,
        options,
    );
    let required_for = req
        .required_for
        .as_deref()
        .map(|types| check_required_for(&mut errors, types));
    errors.into_result()?;
    Ok(axum::Json(
        state
            .store()
            .update_ticket_field(
                principal.tenant_id,
                id,
                TicketFieldPatch {
                    label: req.label,
                    options: req.options,
                    required_for,
                    position: req.position,
                    active: req.active,
                },
                &principal.actor(),
            )
            .await
            .map_err(ApiError::from_store("ticket_field"))?,
    ))
}
