//! Saved ticket views over HTTP: every agent keeps their own, supervisors and admins (or a token
//! with `tickets:write`) keep the tenant's shared ones. `GET /api/v1/tickets?view=` applies one.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::ticket_view::ViewFilters;
use kefu_core::{Role, Scope, ValidationErrors};
use kefu_store::{NewTicketView, StoreError, TicketView, TicketViewPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicketView {
    #[schema(example = "我组未分配 Unassigned in my groups")]
    pub name: String,
    #[serde(default)]
    pub filters: ViewFilters,
    /// Share with the whole tenant (supervisors, admins, tokens with `tickets:write`); otherwise
    /// the view is the signed-in agent's own.
    #[serde(default)]
    pub shared: bool,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicketView {
    pub name: Option<String>,
    pub filters: Option<ViewFilters>,
    pub position: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketViewList {
    /// The shared views, then the caller's own, each in order.
    pub items: Vec<TicketView>,
}

/// A view the caller may use: shared, or their own. Someone else's own view does not exist for
/// them (404), so its name is not given away.
pub(crate) async fn visible_view(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> ApiResult<TicketView> {
    let view = state
        .store()
        .ticket_view(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("ticket_view"))?;
    match view.owner_id {
        Some(owner) if Some(owner) != principal.user_id() => {
            Err(ApiError::not_found("ticket_view"))
        }
        _ => Ok(view),
    }
}

/// The agent and department a filter names must be the tenant's: a view of someone unknown
/// would only ever be empty, and is almost always a slip.
async fn check_references(
    state: &AppState,
    tenant_id: Uuid,
    filters: &ViewFilters,
) -> ApiResult<()> {
    let mut errors = ValidationErrors::new();
    if let Some(Ok(id)) = filters.group.as_deref().map(str::parse::<Uuid>) {
        match state.store().group(tenant_id, id).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                errors.push("filters.group", "not_found", "no such department")
            }
            Err(other) => return Err(other.into()),
        }
    }
    if let Some(Ok(id)) = filters.assignee.as_deref().map(str::parse::<Uuid>) {
        match state.store().user(tenant_id, id).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                errors.push("filters.assignee", "not_found", "no such agent")
            }
            Err(other) => return Err(other.into()),
        }
    }
    Ok(errors.into_result()?)
}

/// Shared views are the tenant's: supervisors and admins, or a token allowed to write tickets.
fn may_keep_shared(principal: &Principal) -> ApiResult<()> {
    principal.require(Role::Supervisor, Scope::TicketsWrite)
}

/// The view the caller may change.
async fn changeable_view(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> ApiResult<TicketView> {
    let view = visible_view(state, principal, id).await?;
    if view.shared {
        may_keep_shared(principal)?;
    }
    Ok(view)
}

#[utoipa::path(get, path = "/api/v1/ticket-views", tag = "tickets",
    responses((status = 200, body = TicketViewList), (status = 403, body = ErrorBody)))]
pub async fn list_views(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<TicketViewList>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    Ok(axum::Json(TicketViewList {
        items: state
            .store()
            .ticket_views(principal.tenant_id, principal.user_id())
            .await?,
    }))
}

#[utoipa::path(post, path = "/api/v1/ticket-views", tag = "tickets", request_body = CreateTicketView,
    responses((status = 201, body = TicketView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_view(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateTicketView>,
) -> ApiResult<(StatusCode, axum::Json<TicketView>)> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let owner_id = if req.shared {
        may_keep_shared(&principal)?;
        None
    } else {
        Some(principal.user_id().ok_or_else(|| {
            ApiError::bad_request(
                "personal_view_needs_user",
                "a token keeps shared views only: send \"shared\": true",
            )
        })?)
    };
    check_references(&state, principal.tenant_id, &req.filters).await?;
    let view = state
        .store()
        .create_ticket_view(
            principal.tenant_id,
            NewTicketView {
                name: req.name,
                filters: req.filters,
                owner_id,
            },
            &principal.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(view)))
}

#[utoipa::path(get, path = "/api/v1/ticket-views/{id}", tag = "tickets", params(("id" = Uuid, Path)),
    responses((status = 200, body = TicketView), (status = 404, body = ErrorBody)))]
pub async fn get_view(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<TicketView>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    Ok(axum::Json(visible_view(&state, &principal, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/ticket-views/{id}", tag = "tickets", params(("id" = Uuid, Path)),
    request_body = UpdateTicketView,
    responses((status = 200, body = TicketView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_view(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateTicketView>,
) -> ApiResult<axum::Json<TicketView>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    changeable_view(&state, &principal, id).await?;
    if let Some(filters) = &req.filters {
        check_references(&state, principal.tenant_id, filters).await?;
    }
    let patch = TicketViewPatch {
        name: req.name,
        filters: req.filters,
        position: req.position,
    };
    Ok(axum::Json(
        state
            .store()
            .update_ticket_view(principal.tenant_id, id, patch, &principal.actor())
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/ticket-views/{id}", tag = "tickets", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_view(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    changeable_view(&state, &principal, id).await?;
    state
        .store()
        .delete_ticket_view(principal.tenant_id, id, &principal.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
