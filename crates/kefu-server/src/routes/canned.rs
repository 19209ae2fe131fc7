//! Canned responses (快捷回复) over HTTP: agents keep their own, supervisors and up keep the shared
//! ones, and a response is rendered for one conversation with its customer's and agent's values.

use super::{ListResponse, check_limit, decode_cursor};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::canned::{Variables, check_body, check_shortcut, check_title, render};
use kefu_core::{Role, ValidationErrors};
use kefu_store::{
    CannedFilter, CannedResponse, CannedResponsePatch, CannedScope, NewCannedResponse,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Which canned responses to list.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListScope {
    /// The shared ones and your own; your own wins when both have the same shortcut.
    #[default]
    Visible,
    /// Only the shared ones, including those your own shadow.
    Shared,
    /// Only your own.
    Own,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListCanned {
    /// A prefix of the shortcut (a leading `/` is ignored) or a part of the title or body.
    pub q: Option<String>,
    pub scope: Option<ListScope>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCanned {
    /// `[a-z0-9][a-z0-9_-]{0,31}`, typed after `/` in the reply box.
    #[schema(example = "refund-policy")]
    pub shortcut: String,
    #[schema(example = "退款政策")]
    pub title: String,
    /// Up to 5,000 characters; may use `{{customer.name}}`, `{{agent.name}}`,
    /// `{{conversation.id}}` and `{{customer.attributes.KEY}}`.
    #[schema(example = "{{customer.name}}您好，收到商品 7 天内可无理由退货。")]
    pub body: String,
    /// A language tag such as `zh-CN` or `en`.
    pub language: Option<String>,
    /// Shared by the whole tenant (supervisors and up); otherwise your own.
    #[serde(default)]
    pub shared: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCanned {
    pub shortcut: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    /// `null` clears the language.
    #[serde(default, deserialize_with = "crate::extract::present_or_null")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RenderedCanned {
    /// The body with its variables filled; unknown or unfilled ones stay as written.
    pub body: String,
}

/// Checks the fields that are present; all of them on create.
fn checked_fields(
    shortcut: Option<&str>,
    title: Option<&str>,
    body: Option<&str>,
    language: Option<&str>,
) -> ApiResult<Option<String>> {
    let mut errors = ValidationErrors::new();
    if let Some(shortcut) = shortcut {
        check_shortcut(&mut errors, "shortcut", shortcut);
    }
    if let Some(title) = title {
        check_title(&mut errors, "title", title);
    }
    if let Some(body) = body {
        check_body(&mut errors, "body", body);
    }
    let language = match language {
        Some(raw) => {
            let normalized = kefu_core::agent::normalize_language(raw);
            if normalized.is_none() {
                errors.push(
                    "language",
                    "invalid_language",
                    "not a language tag such as zh-CN or en",
                );
            }
            normalized
        }
        None => None,
    };
    errors.into_result()?;
    Ok(language)
}

fn not_found() -> ApiError {
    ApiError::not_found("canned_response")
}

/// A canned response the caller may use: a shared one, or their own. Anyone else's own is
/// reported missing, not forbidden, so its existence is not given away.
async fn visible(state: &AppState, principal: &Principal, id: Uuid) -> ApiResult<CannedResponse> {
    let canned = state
        .store()
        .canned_response(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("canned_response"))?;
    if canned.shared || canned.owner_id == principal.user_id() {
        Ok(canned)
    } else {
        Err(not_found())
    }
}

/// Owners change their own; supervisors and up change the shared ones.
async fn editable(state: &AppState, principal: &Principal, id: Uuid) -> ApiResult<CannedResponse> {
    let role = principal.require_user_role(Role::Agent)?;
    let canned = visible(state, principal, id).await?;
    if canned.shared && !role.can_supervise() {
        return Err(ApiError::forbidden(
            "only supervisors and up change shared canned responses",
        ));
    }
    Ok(canned)
}

/// The caller's user id: canned responses belong to people, so API tokens are refused.
fn me(principal: &Principal) -> ApiResult<Uuid> {
    principal.require_user_role(Role::Agent)?;
    principal
        .user_id()
        .ok_or_else(|| ApiError::forbidden("API tokens cannot do this; sign in as a user"))
}

#[utoipa::path(get, path = "/api/v1/canned-responses", tag = "canned-responses", params(ListCanned),
    responses((status = 200, description = "oldest first", body = ListResponse<CannedResponse>), (status = 400, body = ErrorBody), (status = 403, description = "API tokens", body = ErrorBody)))]
pub async fn list_canned(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListCanned>,
) -> ApiResult<axum::Json<ListResponse<CannedResponse>>> {
    let viewer = me(&principal)?;
    let filter = CannedFilter {
        scope: match query.scope.unwrap_or_default() {
            ListScope::Visible => CannedScope::Visible,
            ListScope::Shared => CannedScope::Shared,
            ListScope::Own => CannedScope::Own,
        },
        query: query.q,
    };
    let page = state
        .store()
        .list_canned_responses(
            principal.tenant_id,
            viewer,
            &filter,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await?;
    Ok(axum::Json(page.into()))
}

/// Agents create their own; `"shared": true` needs a supervisor or up.
#[utoipa::path(post, path = "/api/v1/canned-responses", tag = "canned-responses", request_body = CreateCanned,
    responses((status = 201, body = CannedResponse), (status = 403, body = ErrorBody),
        (status = 409, description = "`duplicate_shortcut`", body = ErrorBody),
        (status = 422, description = "`invalid_shortcut`, `required`, `too_long`, `unclosed_variable`, `empty_variable`, `invalid_variable`, `invalid_language`", body = ErrorBody)))]
pub async fn create_canned(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateCanned>,
) -> ApiResult<(StatusCode, axum::Json<CannedResponse>)> {
    let owner = me(&principal)?;
    if req.shared && !principal.role().is_some_and(Role::can_supervise) {
        return Err(ApiError::forbidden(
            "only supervisors and up create shared canned responses",
        ));
    }
    let language = checked_fields(
        Some(&req.shortcut),
        Some(&req.title),
        Some(&req.body),
        req.language.as_deref(),
    )?;
    let canned = state
        .store()
        .create_canned_response(
            principal.tenant_id,
            NewCannedResponse {
                owner_id: (!req.shared).then_some(owner),
                shortcut: req.shortcut,
                title: req.title.trim().to_owned(),
                body: req.body,
                language,
            },
            &principal.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(canned)))
}

#[utoipa::path(get, path = "/api/v1/canned-responses/{id}", tag = "canned-responses", params(("id" = Uuid, Path)),
    responses((status = 200, body = CannedResponse), (status = 404, description = "`canned_response_not_found`, also for another agent's own", body = ErrorBody)))]
pub async fn get_canned(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<CannedResponse>> {
    me(&principal)?;
    Ok(axum::Json(visible(&state, &principal, id).await?))
}

/// The owner changes their own, a supervisor or up a shared one; the scope never changes.
#[utoipa::path(patch, path = "/api/v1/canned-responses/{id}", tag = "canned-responses", params(("id" = Uuid, Path)), request_body = UpdateCanned,
    responses((status = 200, body = CannedResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`duplicate_shortcut`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_canned(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateCanned>,
) -> ApiResult<axum::Json<CannedResponse>> {
    editable(&state, &principal, id).await?;
    let language = checked_fields(
        req.shortcut.as_deref(),
        req.title.as_deref(),
        req.body.as_deref(),
        req.language.as_ref().and_then(|l| l.as_deref()),
    )?;
    let patch = CannedResponsePatch {
        shortcut: req.shortcut,
        title: req.title.map(|t| t.trim().to_owned()),
        body: req.body,
        language: req.language.map(|given| given.and(language)),
    };
    Ok(axum::Json(
        state
            .store()
            .update_canned_response(principal.tenant_id, id, patch, &principal.actor())
            .await
            .map_err(ApiError::from_store("canned_response"))?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/canned-responses/{id}", tag = "canned-responses", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_canned(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    editable(&state, &principal, id).await?;
    state
        .store()
        .delete_canned_response(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("canned_response"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Fills the response's variables for this conversation: `customer.name` and
/// `customer.attributes.KEY` from its customer, `agent.name` from you, `conversation.id`.
/// Nothing is sent; the agent edits the text and sends it as a reply.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/canned-responses/{canned_id}/render", tag = "canned-responses",
    params(("id" = Uuid, Path, description = "the conversation"), ("canned_id" = Uuid, Path)),
    responses((status = 200, body = RenderedCanned), (status = 404, description = "`conversation_not_found`, `canned_response_not_found`", body = ErrorBody)))]
pub async fn render_canned(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, canned_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<RenderedCanned>> {
    let agent_id = me(&principal)?;
    let conversation = state
        .store()
        .conversation(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("conversation"))?;
    let canned = visible(&state, &principal, canned_id).await?;
    let customer = state
        .store()
        .customer(principal.tenant_id, conversation.customer_id)
        .await
        .map_err(ApiError::from_store("customer"))?;
    let agent = state
        .store()
        .user(principal.tenant_id, agent_id)
        .await
        .map_err(ApiError::from_store("user"))?;
    let conversation_id = conversation.id.to_string();
    let vars = Variables {
        customer_name: Some(&customer.name),
        customer_attributes: Some(&customer.attributes),
        agent_name: Some(&agent.display_name),
        conversation_id: Some(&conversation_id),
    };
    Ok(axum::Json(RenderedCanned {
        body: render(&canned.body, &vars),
    }))
}
