//! Support mailboxes over HTTP: the tenant's email addresses, managed by admins, with optional
//! IMAP settings (write-only password). Every change refreshes the SMTP listener's address
//! directory and the IMAP pollers, so mail is taken or refused at once.

use super::{ListResponse, PageQuery, check_limit, decode_cursor};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::{IdentityKind, Role, ValidationErrors};
use kefu_store::{Mailbox, MailboxPatch, NewImap, NewMailbox};
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
    /// Fetch this address's mail from an IMAP server (a mailbox hosted elsewhere).
    pub imap: Option<ImapSettings>,
}

/// Where kefu polls a mailbox hosted elsewhere. The password is write-only: it is never
/// shown again (`password_set` says whether one is stored).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImapSettings {
    #[schema(example = "imap.example.com")]
    pub host: String,
    /// 993 for `tls`, 143 otherwise, when omitted.
    pub port: Option<u16>,
    /// `none`, `starttls` or `tls` (the default).
    #[schema(example = "tls")]
    pub security: Option<String>,
    pub username: String,
    /// Needed when IMAP is first set; omitted on an update, the stored one is kept.
    #[schema(write_only)]
    pub password: Option<String>,
    /// `INBOX` when omitted.
    pub folder: Option<String>,
    /// Seconds between polls, 1 to 3600; 60 when omitted.
    pub poll_seconds: Option<u32>,
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
    /// IMAP settings to set; `null` stops polling and forgets them.
    #[serde(default, deserialize_with = "crate::extract::present_or_null")]
    #[schema(value_type = Option<ImapSettings>)]
    pub imap: Option<Option<ImapSettings>>,
}

/// Checks IMAP settings and fills in the defaults.
fn checked_imap(errors: &mut ValidationErrors, imap: ImapSettings) -> NewImap {
    let host = imap.host.trim().to_owned();
    if host.is_empty()
        || host.len() > 253
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    {
        errors.push("imap.host", "invalid", "a host name or IP address");
    }
    let security = imap.security.unwrap_or_else(|| "tls".to_owned());
    if kefu_mail::ImapSecurity::parse(&security).is_none() {
        errors.push("imap.security", "invalid", "one of none, starttls, tls");
    }
    let port = imap
        .port
        .unwrap_or(if security == "tls" { 993 } else { 143 });
    if port == 0 {
        errors.push("imap.port", "invalid", "a port from 1 to 65535");
    }
    kefu_core::error::check_text(errors, "imap.username", &imap.username, 200);
    if imap.username.trim().is_empty() {
        errors.push("imap.username", "required", "the IMAP login name");
    }
    if let Some(password) = &imap.password
        && (password.is_empty() || password.len() > 500 || password.contains(['\r', '\n']))
    {
        errors.push(
            "imap.password",
            "invalid",
            "1 to 500 characters on one line",
        );
    }
    let folder = imap.folder.unwrap_or_else(|| "INBOX".to_owned());
    if folder.trim().is_empty()
        || folder.len() > 200
        || folder
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\\')
    {
        errors.push(
            "imap.folder",
            "invalid",
            "a folder name without quotes or control characters",
        );
    }
    let poll_seconds = imap.poll_seconds.unwrap_or(60);
    if !(1..=3600).contains(&poll_seconds) {
        errors.push(
            "imap.poll_seconds",
            "out_of_range",
            "from 1 to 3600 seconds",
        );
    }
    NewImap {
        host,
        port: i64::from(port),
        security,
        username: imap.username.trim().to_owned(),
        password: imap.password,
        folder: folder.trim().to_owned(),
        poll_seconds: i64::from(poll_seconds),
    }
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
    let imap = req.imap.map(|imap| checked_imap(&mut errors, imap));
    if imap.as_ref().is_some_and(|i| i.password.is_none()) {
        errors.push("imap.password", "required", "an IMAP password is needed");
    }
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
                imap,
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
    let imap = req
        .imap
        .map(|imap| imap.map(|imap| checked_imap(&mut errors, imap)));
    errors.into_result()?;
    let patch = MailboxPatch {
        address,
        display_name: req.display_name,
        group_id: req.group_id,
        enabled: req.enabled,
        imap,
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
