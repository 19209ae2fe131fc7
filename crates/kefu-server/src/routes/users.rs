//! Users and agents: CRUD for admins, reading for everyone in the tenant, presence for the
//! agent themself and their supervisors.

use super::{ListResponse, check_limit, decode_cursor};
use crate::auth::{Principal, check_password_policy, hash_password};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::{
    AgentProfile, Channel, IdentityKind, Presence, Role, Scope, SkillLevel, ValidationErrors,
    normalize_identity,
};
use kefu_store::{NewUser, User, UserFilter, UserPatch};
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(example = "li.na@example.com")]
    pub email: String,
    #[schema(example = "李娜")]
    pub display_name: String,
    pub role: Role,
    /// Omit to create a user who cannot sign in yet.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub skills: Vec<SkillLevel>,
    /// Concurrent interactions per channel; defaults to voice 1, chat 5, email 10.
    #[serde(default)]
    pub capacities: Option<BTreeMap<Channel, u16>>,
    /// Offers become assignments at once (no accept step).
    #[serde(default)]
    pub auto_accept: bool,
    #[serde(default)]
    pub group_ids: Vec<Uuid>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub password: Option<String>,
    pub active: Option<bool>,
    pub languages: Option<Vec<String>>,
    pub skills: Option<Vec<SkillLevel>>,
    pub capacities: Option<BTreeMap<Channel, u16>>,
    pub auto_accept: Option<bool>,
    pub group_ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListUsers {
    pub role: Option<Role>,
    pub group_id: Option<Uuid>,
    pub skill: Option<String>,
    /// Substring of name or email.
    pub q: Option<String>,
    #[serde(default)]
    pub include_inactive: bool,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

fn normalized_email(raw: &str) -> ApiResult<String> {
    normalize_identity(IdentityKind::Email, raw).map_err(|_| {
        ValidationErrors::single("email", "invalid_email", "not an email address").into()
    })
}

fn checked_name(raw: &str) -> ApiResult<String> {
    let mut errors = ValidationErrors::new();
    kefu_core::error::check_text(&mut errors, "display_name", raw, 100);
    errors.into_result()?;
    Ok(raw.trim().to_owned())
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListUsers),
    responses((status = 200, body = ListResponse<User>), (status = 401, body = crate::error::ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListUsers>,
) -> ApiResult<axum::Json<ListResponse<User>>> {
    principal.require(Role::Agent, Scope::UsersRead)?;
    let filter = UserFilter {
        role: query.role,
        group_id: query.group_id,
        skill: query.skill.map(|s| s.trim().to_lowercase()),
        query: query.q,
        include_inactive: query.include_inactive,
    };
    let page = state
        .store()
        .list_users(
            principal.tenant_id,
            &filter,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await?;
    Ok(axum::Json(page.into()))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = User), (status = 403, body = crate::error::ErrorBody), (status = 409, description = "`email_taken`", body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateUser>,
) -> ApiResult<(StatusCode, axum::Json<User>)> {
    principal.require(Role::Admin, Scope::UsersWrite)?;
    if let Some(role) = principal.role()
        && !role.can_assign(req.role)
    {
        return Err(ApiError::forbidden("only an owner can create an owner"));
    }
    let profile = AgentProfile {
        languages: req.languages,
        skills: req.skills,
        capacities: req
            .capacities
            .unwrap_or_else(AgentProfile::default_capacities),
        auto_accept: req.auto_accept,
    }
    .normalized()?;
    let email = normalized_email(&req.email)?;
    let display_name = checked_name(&req.display_name)?;
    let password_hash = match req.password {
        Some(password) => {
            check_password_policy(&password)?;
            Some(hash_password(password).await?)
        }
        None => None,
    };
    let new = NewUser {
        email,
        display_name,
        role: req.role,
        password_hash,
        profile,
        group_ids: req.group_ids,
    };
    let user = state
        .store()
        .create_user(principal.tenant_id, new, &principal.actor())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(user)))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 200, body = User), (status = 404, description = "`user_not_found`", body = crate::error::ErrorBody)))]
pub async fn get_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<User>> {
    principal.require(Role::Agent, Scope::UsersRead)?;
    Ok(axum::Json(
        state
            .store()
            .user(principal.tenant_id, id)
            .await
            .map_err(ApiError::from_store("user"))?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)), request_body = UpdateUser,
    responses((status = 200, body = User), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateUser>,
) -> ApiResult<axum::Json<User>> {
    principal.require(Role::Admin, Scope::UsersWrite)?;
    let current = state
        .store()
        .user(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("user"))?;
    if let Some(role) = principal.role() {
        if current.role == Role::Owner && role != Role::Owner {
            return Err(ApiError::forbidden("only an owner can change an owner"));
        }
        if let Some(new_role) = req.role
            && !role.can_assign(new_role)
        {
            return Err(ApiError::forbidden("only an owner can make an owner"));
        }
        if principal.user_id() == Some(id) && req.active == Some(false) {
            return Err(ValidationErrors::single(
                "active",
                "cannot_deactivate_self",
                "you cannot deactivate yourself",
            )
            .into());
        }
    }
    let profile = AgentProfile {
        languages: req.languages.clone().unwrap_or_default(),
        skills: req.skills.clone().unwrap_or_default(),
        capacities: req.capacities.clone().unwrap_or_default(),
        auto_accept: req.auto_accept.unwrap_or_default(),
    }
    .normalized()?;
    let password_hash = match req.password {
        Some(password) => {
            check_password_policy(&password)?;
            Some(hash_password(password).await?)
        }
        None => None,
    };
    let patch = UserPatch {
        email: req.email.as_deref().map(normalized_email).transpose()?,
        display_name: req.display_name.as_deref().map(checked_name).transpose()?,
        role: req.role,
        password_hash,
        active: req.active,
        languages: req.languages.map(|_| profile.languages.clone()),
        skills: req.skills.map(|_| profile.skills.clone()),
        capacities: req.capacities.map(|_| profile.capacities.clone()),
        auto_accept: req.auto_accept,
        group_ids: req.group_ids,
    };
    Ok(axum::Json(
        state
            .store()
            .update_user(principal.tenant_id, id, patch, &principal.actor())
            .await
            .map_err(ApiError::from_store("user"))?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deactivated: sessions revoked, history kept"), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn deactivate_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let _deactivated = update_user(
        State(state),
        principal,
        Path(id),
        Json(UpdateUser {
            active: Some(false),
            ..Default::default()
        }),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/users/{id}/presence", tag = "users", params(("id" = Uuid, Path)), request_body = Presence,
    responses((status = 200, body = User), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn set_presence(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<Presence>,
) -> ApiResult<axum::Json<User>> {
    // Agents set their own presence; supervisors may set anyone's (e.g. log out a gone agent).
    if principal.user_id() != Some(id) {
        principal.require(Role::Supervisor, Scope::UsersWrite)?;
    }
    let presence = req.validated()?;
    Ok(axum::Json(
        state
            .store()
            .set_presence(principal.tenant_id, id, &presence, &principal.actor())
            .await
            .map_err(ApiError::from_store("user"))?,
    ))
}
