//! Support mailboxes over HTTP: the tenant's email addresses, managed by admins. Every change
//! refreshes the SMTP listener's address directory, so mail is taken or refused at once.

use super::{ListResponse, PageQuery, check_limit, decode_cursor};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::{IdentityKind, Role, ValidationErrors};
use kefu_store::{Mailbox, MailboxPatch, NewMailbox};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMailbox {
    /// Unique in the whole deployment; a `+` detail is not allowed (it carries reply tokens).
    #[schema(example = "support@acme.example")]
    pub address: String,
    #[schema(example = "Acme 客服")]
    pub display_name: String,
    /// The department new tickets from this address go to.
    pub group_id: Option<Uuid>,
    /// `true` when omitted.
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMailbox {
    pub address: Option<String>,
    pub display_name: Option<String>,
    /// `null` clears the group.
    #[serde(default, deserialize_with = "crate::extract::present_or_null")]
    #[schema(value_type = Option<Uuid>)]
    pub group_id: Option<Option<Uuid>>,
    pub enabled: Option<bool>,
}

/// A support address: a valid email address, lowercased, without a `+detail`.
fn checked_address(errors: &mut ValidationErrors, raw: &str) -> String {
    match kefu_core::normalize_identity(IdentityKind::Email, raw) {
        Ok(address) if address.split('@').next().is_some_and(|l| l.contains('+')) => {
            errors.push(
                "address",
                "invalid",
                "a support address has no `+` part: kefu adds it for reply tokens",
            );
            address
        }
        Ok(address) => address,
        Err(_) => {
            errors.push("address", "invalid", "not an email address");
            String::new()
        }
    }
}

fn check_name(errors: &mut ValidationErrors, name: &str) {
    kefu_core::error::check_text(errors, "display_name", name, 100);
    if name.chars().any(|c| c.is_control() || c == '"') {
        errors.push("display_name", "invalid", "no control characters or quotes");
    }
}

/// Refreshes the listener's directory after a change; the change itself is already stored.
async fn refresh(state: &AppState) {
    if let Err(err) = state.mail().reload(state.store()).await {
        tracing::warn!(%err, "reloading the mailbox directory");
    }
}

#[utoipa::path(get, path = "/api/v1/mailboxes", tag = "mailboxes", params(PageQuery),
    responses((status = 200, body = ListResponse<Mailbox>), (status = 403, body = ErrorBody)))]
pub async fn list_mailboxes(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<PageQuery>,
) -> ApiResult<axum::Json<ListResponse<Mailbox>>> {
    principal.require_user_role(Role::Admin)?;
    let page = state
        .store()
        .list_mailboxes(
            principal.tenant_id,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await?;
    Ok(axum::Json(page.into()))
}

#[utoipa::path(post, path = "/api/v1/mailboxes", tag = "mailboxes", request_body = CreateMailbox,
    responses((status = 201, body = Mailbox), (status = 403, body = ErrorBody),
        (status = 409, description = "`address_taken`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_mailbox(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateMailbox>,
) -> ApiResult<(StatusCode, axum::Json<Mailbox>)> {
    principal.require_user_role(Role::Admin)?;
    let mut errors = ValidationErrors::new();
    let address = checked_address(&mut errors, &req.address);
    check_name(&mut errors, &req.display_name);
    errors.into_result()?;
    let mailbox = state
        .store()
        .create_mailbox(
            principal.tenant_id,
            NewMailbox {
                address,
                display_name: req.display_name,
                group_id: req.group_id,
                enabled: req.enabled.unwrap_or(true),
            },
            &principal.actor(),
        )
        .await?;
    refresh(&state).await;
    Ok((StatusCode::CREATED, axum::Json(mailbox)))
}

#[utoipa::path(patch, path = "/api/v1/mailboxes/{id}", tag = "mailboxes", params(("id" = Uuid, Path)), request_body = UpdateMailbox,
    responses((status = 200, body = Mailbox), (status = 404, description = "`mailbox_not_found`", body = ErrorBody),
        (status = 409, description = "`address_taken`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_mailbox(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateMailbox>,
) -> ApiResult<axum::Json<Mailbox>> {
    principal.require_user_role(Role::Admin)?;
    let mut errors = ValidationErrors::new();
    let address = req
        .address
        .as_deref()
        .map(|a| checked_address(&mut errors, a));
    if let Some(name) = &req.display_name {
        check_name(&mut errors, name);
    }
    errors.into_result()?;
    let patch = MailboxPatch {
        address,
        display_name: req.display_name,
        group_id: req.group_id,
        enabled: req.enabled,
    };
    let mailbox = state
        .store()
        .update_mailbox(principal.tenant_id, id, patch, &principal.actor())
        .await
        .map_err(ApiError::from_store("mailbox"))?;
    refresh(&state).await;
    Ok(axum::Json(mailbox))
}

#[utoipa::path(delete, path = "/api/v1/mailboxes/{id}", tag = "mailboxes", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted; its mails stay with their tickets"), (status = 404, body = ErrorBody)))]
pub async fn delete_mailbox(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    principal.require_user_role(Role::Admin)?;
    state
        .store()
        .delete_mailbox(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("mailbox"))?;
    refresh(&state).await;
    Ok(StatusCode::NO_CONTENT)
}
