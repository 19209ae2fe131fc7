//! The mails behind email tickets, for agents: a ticket's mails and files, the mails kept
//! without a ticket (bounces, auto-replies, unreadable mail) and any mail's raw bytes.
//! Files and raw mail are always downloads, never rendered: their content is the sender's.

use super::attachments::{FileBody, content_disposition};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use kefu_core::{Role, Scope};
use kefu_store::{MailRecord, TicketFile};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A ticket's mails (in and out, oldest first) and the files that came with them.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketMails {
    pub mails: Vec<MailRecord>,
    pub files: Vec<TicketFile>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MailList {
    pub items: Vec<MailRecord>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListMails {
    /// At most 200; 50 when omitted.
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/mails", tag = "tickets", params(("id" = Uuid, Path)),
    responses((status = 200, body = TicketMails), (status = 404, description = "`ticket_not_found`", body = ErrorBody)))]
pub async fn ticket_mails(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<TicketMails>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let tenant = principal.tenant_id;
    state
        .store()
        .ticket(tenant, id)
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(axum::Json(TicketMails {
        mails: state.store().ticket_mails(tenant, id).await?,
        files: state.store().ticket_files(tenant, id).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/files/{file_id}", tag = "tickets",
    params(("id" = Uuid, Path), ("file_id" = Uuid, Path)),
    responses((status = 200, description = "The file, as a download", content((FileBody = "application/octet-stream")), headers(("Content-Disposition" = String))),
        (status = 404, description = "`file_not_found`", body = ErrorBody)))]
pub async fn ticket_file(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, file_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let tenant = principal.tenant_id;
    let files = state.store().ticket_files(tenant, id).await?;
    let file = files
        .iter()
        .find(|f| f.id == file_id)
        .ok_or_else(|| ApiError::not_found("file"))?;
    let content = state
        .store()
        .ticket_file_content(tenant, file.id)
        .await
        .map_err(ApiError::from_store("file"))?;
    download(content, &file.name)
}

#[utoipa::path(get, path = "/api/v1/mails", tag = "tickets", params(ListMails),
    responses((status = 200, description = "Mails kept without a ticket (bounces, auto-replies, unreadable mail), newest first", body = MailList)))]
pub async fn unthreaded_mails(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListMails>,
) -> ApiResult<axum::Json<MailList>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let limit = super::check_limit(query.limit)?;
    Ok(axum::Json(MailList {
        items: state
            .store()
            .unthreaded_mails(principal.tenant_id, limit)
            .await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/mails/{id}/raw", tag = "tickets", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The mail as received (RFC 5322), as a download", content((FileBody = "application/octet-stream"))),
        (status = 404, description = "`mail_not_found`", body = ErrorBody)))]
pub async fn raw_mail(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<Response> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let raw = state
        .store()
        .mail_raw(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("mail"))?;
    download(raw, &format!("{id}.eml"))
}

/// Bytes a browser saves and never runs: an opaque type, `nosniff`, a sandbox.
fn download(content: Vec<u8>, name: &str) -> ApiResult<Response> {
    let disposition = HeaderValue::from_str(&content_disposition(name, false))
        .map_err(|_| ApiError::internal())?;
    let mut response = content.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}
