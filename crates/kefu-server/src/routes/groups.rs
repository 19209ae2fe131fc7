//! Service groups (客服分组): read by everyone in the tenant, managed by admins.

use super::{ListResponse, check_limit, decode_cursor};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::{Role, Scope, ValidationErrors};
use kefu_store::{GroupPatch, NewGroup, ServiceGroup};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroup {
    #[schema(example = "售后 After-sales")]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub member_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroup {
    pub name: Option<String>,
    pub description: Option<String>,
    pub member_ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListGroups {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

fn checked(name: &str, description: &str) -> ApiResult<(String, String)> {
    let mut errors = ValidationErrors::new();
    kefu_core::error::check_text(&mut errors, "name", name, 100);
    if description.chars().count() > 1000 {
        errors.push(
            "description",
            "too_long",
            "description must be at most 1000 characters",
        );
    }
    errors.into_result()?;
    Ok((name.trim().to_owned(), description.trim().to_owned()))
}

#[utoipa::path(get, path = "/api/v1/groups", tag = "groups", params(ListGroups), responses((status = 200, body = ListResponse<ServiceGroup>)))]
pub async fn list_groups(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListGroups>,
) -> ApiResult<axum::Json<ListResponse<ServiceGroup>>> {
    principal.require(Role::Agent, Scope::GroupsRead)?;
    let page = state
        .store()
        .list_groups(
            principal.tenant_id,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await?;
    Ok(axum::Json(page.into()))
}

#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = CreateGroup,
    responses((status = 201, body = ServiceGroup), (status = 409, description = "`name_taken`", body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_group(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateGroup>,
) -> ApiResult<(StatusCode, axum::Json<ServiceGroup>)> {
    principal.require(Role::Admin, Scope::GroupsWrite)?;
    let (name, description) = checked(&req.name, &req.description)?;
    let group = state
        .store()
        .create_group(
            principal.tenant_id,
            NewGroup {
                name,
                description,
                member_ids: req.member_ids,
            },
            &principal.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(group)))
}

#[utoipa::path(get, path = "/api/v1/groups/{id}", tag = "groups", params(("id" = Uuid, Path)),
    responses((status = 200, body = ServiceGroup), (status = 404, description = "`group_not_found`", body = crate::error::ErrorBody)))]
pub async fn get_group(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<ServiceGroup>> {
    principal.require(Role::Agent, Scope::GroupsRead)?;
    Ok(axum::Json(
        state
            .store()
            .group(principal.tenant_id, id)
            .await
            .map_err(ApiError::from_store("group"))?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/groups/{id}", tag = "groups", params(("id" = Uuid, Path)), request_body = UpdateGroup,
    responses((status = 200, body = ServiceGroup), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_group(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateGroup>,
) -> ApiResult<axum::Json<ServiceGroup>> {
    principal.require(Role::Admin, Scope::GroupsWrite)?;
    let (name, description) = checked(
        req.name.as_deref().unwrap_or("unchanged"),
        req.description.as_deref().unwrap_or(""),
    )?;
    let patch = GroupPatch {
        name: req.name.map(|_| name),
        description: req.description.map(|_| description),
        member_ids: req.member_ids,
    };
    Ok(axum::Json(
        state
            .store()
            .update_group(principal.tenant_id, id, patch, &principal.actor())
            .await
            .map_err(ApiError::from_store("group"))?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/groups/{id}", tag = "groups", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_group(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    principal.require(Role::Admin, Scope::GroupsWrite)?;
    state
        .store()
        .delete_group(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("group"))?;
    Ok(StatusCode::NO_CONTENT)
}
