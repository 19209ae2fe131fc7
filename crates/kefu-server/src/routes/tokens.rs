//! Per-tenant API tokens for integrations: created by admins with scopes, shown once, stored
//! hashed, revocable.

use super::{ListResponse, check_limit, decode_cursor};
use crate::auth::{API_TOKEN_PREFIX, Principal, hash_token, new_token};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::{Role, Scope, ValidationErrors};
use kefu_store::{ApiToken, NewApiToken};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiToken {
    #[schema(example = "CRM sync")]
    pub name: String,
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiToken {
    /// The secret, shown this once: send it as `Authorization: Bearer <token>`.
    pub token: String,
    #[serde(flatten)]
    pub api_token: ApiToken,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListTokens {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/api-tokens", tag = "api-tokens", params(ListTokens), responses((status = 200, body = ListResponse<ApiToken>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListTokens>,
) -> ApiResult<axum::Json<ListResponse<ApiToken>>> {
    principal.require_user_role(Role::Admin)?;
    let page = state
        .store()
        .list_api_tokens(
            principal.tenant_id,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await?;
    Ok(axum::Json(page.into()))
}

#[utoipa::path(post, path = "/api/v1/api-tokens", tag = "api-tokens", request_body = CreateApiToken,
    responses((status = 201, body = CreatedApiToken), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateApiToken>,
) -> ApiResult<(StatusCode, axum::Json<CreatedApiToken>)> {
    principal.require_user_role(Role::Admin)?;
    let mut errors = ValidationErrors::new();
    kefu_core::error::check_text(&mut errors, "name", &req.name, 100);
    if req.scopes.is_empty() {
        errors.push("scopes", "required", "give the token at least one scope");
    }
    errors.into_result()?;
    let mut scopes = req.scopes;
    scopes.sort_by_key(|s| s.as_str());
    scopes.dedup();
    let token = new_token(API_TOKEN_PREFIX);
    let new = NewApiToken {
        name: req.name.trim().to_owned(),
        scopes,
        token_hash: hash_token(&token),
        token_prefix: token.chars().take(10).collect(),
    };
    let api_token = state
        .store()
        .create_api_token(principal.tenant_id, new, &principal.actor())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedApiToken { token, api_token }),
    ))
}

#[utoipa::path(delete, path = "/api/v1/api-tokens/{id}", tag = "api-tokens", params(("id" = Uuid, Path)),
    responses((status = 200, description = "Revoked", body = ApiToken), (status = 404, body = crate::error::ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<ApiToken>> {
    principal.require_user_role(Role::Admin)?;
    Ok(axum::Json(
        state
            .store()
            .revoke_api_token(principal.tenant_id, id, &principal.actor())
            .await
            .map_err(ApiError::from_store("api_token"))?,
    ))
}
