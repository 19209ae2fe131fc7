//! Login, logout, the current caller, and password changes.

use crate::auth::{
    Credential, Principal, SESSION_COOKIE, check_password_policy, client_ip, hash_password,
    hash_token, new_session_token, verify_password,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kefu_core::Role;
use kefu_store::{Actor, User, UserPatch};
use serde::{Deserialize, Serialize};
use std::time::Instant;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "admin@demo.kefu.dev")]
    pub email: String,
    pub password: String,
    /// The tenant's slug; needed only when the same email is a user of several tenants.
    #[serde(default)]
    pub tenant: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantSummary {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`; the same value is set as an HttpOnly cookie.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
    pub tenant: TenantSummary,
}

/// The client address, for rate limits: the peer or a trusted proxy's `X-Forwarded-For`.
pub struct ClientIp(pub Option<String>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(
            parts,
            state.config().trust_forwarded_for,
        )))
    }
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; also sets the session cookie", body = LoginResponse),
        (status = 401, description = "`invalid_credentials`", body = crate::error::ErrorBody),
        (status = 409, description = "`tenant_required`: the email is a user of several tenants", body = crate::error::ErrorBody),
        (status = 429, description = "`rate_limited`, with Retry-After", body = crate::error::ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    let now = Instant::now();
    let email = req.email.trim().to_lowercase();
    let ip_key = ip.clone().unwrap_or_else(|| "unknown".into());
    state
        .login_failures_by_ip()
        .check(&ip_key, now)
        .map_err(ApiError::too_many_requests)?;
    state
        .login_failures_by_account()
        .check(&email, now)
        .map_err(ApiError::too_many_requests)?;

    let mut candidates = state.store().login_candidates(&email).await?;
    if let Some(slug) = &req.tenant {
        candidates.retain(|c| &c.tenant_slug == slug);
    }
    let mut matched = Vec::new();
    if candidates.is_empty() {
        verify_password(req.password.clone(), None).await;
    }
    for candidate in candidates {
        if verify_password(req.password.clone(), candidate.password_hash.clone()).await {
            matched.push(candidate);
        }
    }
    let candidate = match matched.len() {
        0 => {
            state.login_failures_by_account().hit(&email, now);
            state.login_failures_by_ip().hit(&ip_key, now);
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong email or password",
            ));
        }
        1 => matched.remove(0),
        _ => {
            let tenants: Vec<_> = matched.iter().map(|c| c.tenant_slug.clone()).collect();
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "tenant_required",
                "this email signs in to several tenants; say which with \"tenant\"",
            )
            .with_details(serde_json::json!({ "tenants": tenants })));
        }
    };
    state.login_failures_by_account().reset(&email);

    let token = new_session_token();
    let ttl = chrono::Duration::from_std(state.config().session_ttl)
        .unwrap_or(chrono::Duration::hours(12));
    let expires_at = Utc::now() + ttl;
    state
        .store()
        .create_session(
            candidate.tenant_id,
            candidate.user_id,
            &hash_token(&token),
            expires_at,
            ip.as_deref(),
        )
        .await?;
    let user = state
        .store()
        .user(candidate.tenant_id, candidate.user_id)
        .await?;
    let tenant = state.store().tenant(candidate.tenant_id).await?;
    let cookie = session_cookie(&token, ttl.num_seconds(), state.config().secure_cookies);
    let body = LoginResponse {
        token,
        expires_at,
        user,
        tenant: TenantSummary {
            id: tenant.id,
            slug: tenant.slug,
            name: tenant.name,
        },
    };
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_secs}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("kefu_session=; Path=/"))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "The session is revoked and the cookie cleared"), (status = 401, body = crate::error::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, principal: Principal) -> ApiResult<Response> {
    let Credential::User { session_id, .. } = principal.credential else {
        return Err(ApiError::bad_request(
            "not_a_session",
            "API tokens are revoked under /api/v1/api-tokens",
        ));
    };
    state
        .store()
        .revoke_session(principal.tenant_id, session_id, &principal.actor())
        .await?;
    let mut headers = HeaderMap::new();
    headers.insert(
        SET_COOKIE,
        session_cookie("", 0, state.config().secure_cookies),
    );
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub tenant: TenantSummary,
    /// The signed-in user; absent for API tokens.
    pub user: Option<User>,
    /// The API token's scopes; absent for users.
    pub scopes: Option<Vec<kefu_core::Scope>>,
}

#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = MeResponse), (status = 401, body = crate::error::ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<MeResponse>> {
    let tenant = state.store().tenant(principal.tenant_id).await?;
    let (user, scopes) = match &principal.credential {
        Credential::User { user_id, .. } => (
            Some(state.store().user(principal.tenant_id, *user_id).await?),
            None,
        ),
        Credential::Token { scopes, .. } => (None, Some(scopes.clone())),
    };
    Ok(axum::Json(MeResponse {
        tenant: TenantSummary {
            id: tenant.id,
            slug: tenant.slug,
            name: tenant.name,
        },
        user,
        scopes,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

#[utoipa::path(put, path = "/api/v1/auth/password", tag = "auth", request_body = ChangePassword,
    responses((status = 204, description = "Changed"), (status = 403, description = "`wrong_password`", body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<ChangePassword>,
) -> ApiResult<StatusCode> {
    principal.require_user_role(Role::Agent)?;
    let user_id = principal.user_id().ok_or_else(ApiError::unauthorized)?;
    check_password_policy(&req.new_password)?;
    let stored = state
        .store()
        .password_hash(principal.tenant_id, user_id)
        .await?;
    if !verify_password(req.current_password, stored).await {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_password",
            "the current password is wrong",
        ));
    }
    let hash = hash_password(req.new_password).await?;
    let actor: Actor = principal.actor();
    state
        .store()
        .update_user(
            principal.tenant_id,
            user_id,
            UserPatch {
                password_hash: Some(hash),
                ..Default::default()
            },
            &actor,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
