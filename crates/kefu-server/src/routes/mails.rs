//! The mails behind email tickets, for agents: a ticket's mails and files (those that came by
//! mail and those agents upload for their comments), the mails kept without a ticket
//! (bounces, auto-replies, unreadable mail) and any mail's raw bytes. Files and raw mail are
//! always downloads, never rendered: their content is the sender's.

use super::attachments::{FileBody, UploadQuery, content_disposition, read_checked};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Path, Query};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kefu_core::{Role, Scope};
use kefu_store::{MailRecord, NewTicketFile, TicketComment, TicketFile};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A ticket's mails (in and out, oldest first) and the files that came with them.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketMails {
    pub mails: Vec<MailRecord>,
    pub files: Vec<TicketFile>,
}

/// A comment with the files it carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentWithFiles {
    #[serde(flatten)]
    pub comment: TicketComment,
    /// Files attached by the agent, or that came with the customer's mail.
    pub attachments: Vec<TicketFile>,
}

/// Largest file an agent may attach to a ticket comment (the default inbox limit: it has
/// to get through the customer's mail server too).
const TICKET_FILE_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Upload a file for a comment on this ticket: send its `id` in the comment's
/// `attachment_ids`. Public replies on email tickets are mailed with their files.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/files", tag = "tickets",
    params(("id" = Uuid, Path), UploadQuery),
    request_body(description = "The file's bytes, `Content-Type` the file's type (as for conversation uploads).",
        content((FileBody = "application/pdf"), (FileBody = "image/png"), (FileBody = "application/octet-stream"))),
    responses((status = 201, body = TicketFile),
        (status = 403, body = ErrorBody),
        (status = 404, description = "`ticket_not_found`", body = ErrorBody),
        (status = 413, description = "`attachment_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_type`", body = ErrorBody),
        (status = 422, description = "`empty_file`", body = ErrorBody)))]
pub async fn upload_ticket_file(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, axum::Json<TicketFile>)> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    let tenant = principal.tenant_id;
    state
        .store()
        .ticket(tenant, id)
        .await
        .map_err(ApiError::from_store("ticket"))?;
    let limit = kefu_core::attachment::effective_limit(TICKET_FILE_MAX_BYTES);
    let checked = read_checked(&headers, body, limit).await?;
    let file = state
        .store()
        .upload_ticket_file(
            tenant,
            id,
            NewTicketFile {
                name: kefu_core::attachment::sanitize_file_name(
                    query.name.as_deref().unwrap_or_default(),
                ),
                content_type: checked.content_type.to_owned(),
                sha256: checked.sha256,
                content: checked.content,
            },
            principal.user_id(),
            &principal.actor(),
        )
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok((StatusCode::CREATED, axum::Json(file)))
}

/// Comments with their files (from one read of the ticket's files).
pub(crate) async fn with_files(
    state: &AppState,
    tenant: Uuid,
    ticket: Uuid,
    comments: Vec<TicketComment>,
) -> ApiResult<Vec<CommentWithFiles>> {
    let files = state.store().ticket_files(tenant, ticket).await?;
    Ok(comments
        .into_iter()
        .map(|comment| CommentWithFiles {
            attachments: files
                .iter()
                .filter(|f| f.comment_id == Some(comment.id))
                .cloned()
                .collect(),
            comment,
        })
        .collect())
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
    let mut response = download(content, &file.name)?;
    // Photos show as thumbnails on the ticket page: served as the picture they are (still
    // sandboxed, nosniff); every other type stays an opaque download.
    if INLINE_IMAGES.contains(&file.content_type.as_str()) {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(
                INLINE_IMAGES
                    .iter()
                    .find(|t| **t == file.content_type)
                    .copied()
                    .unwrap_or("application/octet-stream"),
            ),
        );
        let disposition = HeaderValue::from_str(&content_disposition(&file.name, true))
            .map_err(|_| ApiError::internal())?;
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}

/// Raster image types a browser may show inline (never SVG, which can carry script).
const INLINE_IMAGES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

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
