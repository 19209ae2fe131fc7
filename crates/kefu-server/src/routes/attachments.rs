//! Files in conversations over HTTP: uploads by the visitor and by agents (the raw request body is
//! the file, checked by kefu-core), and downloads for the tenant's staff and the owning visitor.
//! Uploads bypass the server's small JSON body limit and are held to their inbox's own limit.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Path, Query};
use crate::state::AppState;
use crate::visitor::VisitorPrincipal;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kefu_core::attachment::{self as rules, AttachmentError};
use kefu_core::{Role, Scope, SenderKind};
use kefu_store::{Actor, Attachment, AttachmentMeta, Conversation, NewAttachment};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The file itself, as the raw request or response body.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBody(pub Vec<u8>);

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name, e.g. `发票.pdf`; paths and control characters are removed, and it is cut
    /// to 200 characters. `attachment` when omitted.
    pub name: Option<String>,
}

/// Who is uploading, for the store and the event log.
struct Uploader {
    kind: SenderKind,
    id: Option<Uuid>,
    actor: Actor,
}

/// Upload as the visitor: the file for a later message of their own conversation.
#[utoipa::path(post, path = "/api/v1/widget/conversations/{id}/attachments", tag = "widget", security(("visitor" = [])),
    params(UploadQuery),
    request_body(description = "The file's bytes. `Content-Type` is the file's type: image/png, image/jpeg, image/gif, image/webp, application/pdf, text/plain, text/csv, .docx/.xlsx/.pptx (OpenXML types) or application/zip. Send its `id` in `attachment_ids` of a message.",
        content((FileBody = "image/png"), (FileBody = "image/jpeg"), (FileBody = "application/pdf"), (FileBody = "application/octet-stream"))),
    responses((status = 201, body = AttachmentMeta),
        (status = 404, body = ErrorBody),
        (status = 413, description = "`attachment_too_large`: larger than the inbox allows (`details.max_bytes`)", body = ErrorBody),
        (status = 415, description = "`unsupported_type`: a type not accepted, or content that is not the declared type", body = ErrorBody),
        (status = 422, description = "`empty_file`", body = ErrorBody)))]
pub async fn upload_for_visitor(
    State(state): State<AppState>,
    visitor: VisitorPrincipal,
    Path(id): Path<Uuid>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, axum::Json<AttachmentMeta>)> {
    let conversation = super::widget::own_conversation(&state, &visitor, id).await?;
    let uploader = Uploader {
        kind: SenderKind::Customer,
        id: Some(visitor.customer_id),
        actor: visitor.actor(),
    };
    upload(
        &state,
        visitor.tenant_id,
        &conversation,
        uploader,
        query,
        &headers,
        body,
    )
    .await
}

/// Upload as an agent: anyone on the team may attach a file (as anyone may add a note); sending
/// it to the customer follows the reply rules of the message that carries it.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/attachments", tag = "conversations",
    params(UploadQuery),
    request_body(description = "The file's bytes, `Content-Type` the file's type (see the widget upload for the accepted types).",
        content((FileBody = "image/png"), (FileBody = "image/jpeg"), (FileBody = "application/pdf"), (FileBody = "application/octet-stream"))),
    responses((status = 201, body = AttachmentMeta),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, description = "`attachment_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_type`", body = ErrorBody),
        (status = 422, description = "`empty_file`", body = ErrorBody)))]
pub async fn upload_for_agent(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, axum::Json<AttachmentMeta>)> {
    principal.require_user_role(Role::Agent)?;
    let conversation = state
        .store()
        .conversation(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("conversation"))?;
    let uploader = Uploader {
        kind: SenderKind::Agent,
        id: principal.user_id(),
        actor: principal.actor(),
    };
    upload(
        &state,
        principal.tenant_id,
        &conversation,
        uploader,
        query,
        &headers,
        body,
    )
    .await
}

/// Reads, checks and stores one upload. The type is refused before the body is read, and the
/// body is read no further than the inbox's limit.
async fn upload(
    state: &AppState,
    tenant_id: Uuid,
    conversation: &Conversation,
    uploader: Uploader,
    query: UploadQuery,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, axum::Json<AttachmentMeta>)> {
    let inbox = state
        .store()
        .inbox(tenant_id, conversation.inbox_id)
        .await?;
    let limit = rules::effective_limit(inbox.settings.max_attachment_bytes);
    let checked = read_checked(headers, body, limit).await?;
    let name = rules::sanitize_file_name(query.name.as_deref().unwrap_or_default());
    let (content_type, content, sha256) = (checked.content_type, checked.content, checked.sha256);
    let meta = state
        .store()
        .create_attachment(
            tenant_id,
            NewAttachment {
                conversation_id: conversation.id,
                uploaded_by: uploader.kind,
                uploader_id: uploader.id,
                name,
                content_type: content_type.to_owned(),
                sha256,
                content,
            },
            &uploader.actor,
        )
        .await
        .map_err(ApiError::from_store("conversation"))?;
    Ok((StatusCode::CREATED, axum::Json(meta)))
}

/// An upload that passed the checks.
pub(crate) struct CheckedUpload {
    pub content_type: &'static str,
    pub content: Vec<u8>,
    pub sha256: String,
}

/// Reads an upload's body no further than `limit` and checks it (kefu-core's rules): the
/// type is refused before the body is read.
pub(crate) async fn read_checked(
    headers: &HeaderMap,
    body: Body,
    limit: u64,
) -> ApiResult<CheckedUpload> {
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if rules::canonical_type(declared).is_none() {
        return Err(refused(AttachmentError::UnsupportedType {
            declared: declared.to_owned(),
        }));
    }
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit) {
        return Err(refused(AttachmentError::TooLarge { max_bytes: limit }));
    }
    let bytes = axum::body::to_bytes(body, usize::try_from(limit).unwrap_or(usize::MAX))
        .await
        .map_err(|err| {
            let too_large = std::error::Error::source(&err)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            if too_large {
                refused(AttachmentError::TooLarge { max_bytes: limit })
            } else {
                ApiError::bad_request("malformed_body", "the body could not be read")
            }
        })?;
    let content_type = rules::check_upload(declared, &bytes, limit).map_err(refused)?;
    // Hashing megabytes is CPU work: off the async runtime.
    let (content, sha256) = tokio::task::spawn_blocking(move || {
        let digest = hex::encode(Sha256::digest(&bytes));
        (Vec::from(bytes), digest)
    })
    .await
    .map_err(|_| ApiError::internal())?;
    Ok(CheckedUpload {
        content_type,
        content,
        sha256,
    })
}

/// The API's answer to a refused upload.
fn refused(err: AttachmentError) -> ApiError {
    let message = err.to_string();
    match err {
        AttachmentError::Empty => {
            kefu_core::ValidationErrors::single("body", "empty_file", message).into()
        }
        AttachmentError::TooLarge { max_bytes } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "attachment_too_large",
            message,
        )
        .with_details(serde_json::json!({ "max_bytes": max_bytes })),
        AttachmentError::UnsupportedType { .. } | AttachmentError::ContentMismatch { .. } => {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                message,
            )
            .with_details(serde_json::json!({ "allowed": rules::ALLOWED_TYPES }))
        }
    }
}

/// Download as staff of the tenant (agents, or a token with `customers:read`), notes' files included.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "conversations",
    responses((status = 200, description = "The file, with its stored `Content-Type`; `Content-Disposition: attachment` (inline for images), `X-Content-Type-Options: nosniff`, `ETag` = its SHA-256",
            content((FileBody = "application/octet-stream")), headers(("ETag" = String), ("Content-Disposition" = String))),
        (status = 304, description = "`If-None-Match` matched the ETag"),
        (status = 403, body = ErrorBody),
        (status = 404, description = "`attachment_not_found`", body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    principal.require(Role::Agent, Scope::CustomersRead)?;
    let attachment = state
        .store()
        .attachment(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("attachment"))?;
    serve_file(&state, principal.tenant_id, &attachment, &headers).await
}

/// Download as the visitor: files of their own conversations that they uploaded or that were
/// sent to them; an agent's unsent file or one on an internal note does not exist here.
#[utoipa::path(get, path = "/api/v1/widget/attachments/{id}", tag = "widget", security(("visitor" = [])),
    responses((status = 200, description = "The file (headers as for staff downloads)", content((FileBody = "application/octet-stream")), headers(("ETag" = String), ("Content-Disposition" = String))),
        (status = 304, description = "`If-None-Match` matched the ETag"),
        (status = 404, description = "`attachment_not_found`", body = ErrorBody)))]
pub async fn download_for_visitor(
    State(state): State<AppState>,
    visitor: VisitorPrincipal,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let not_found = || ApiError::not_found("attachment");
    let attachment = state
        .store()
        .attachment(visitor.tenant_id, id)
        .await
        .map_err(ApiError::from_store("attachment"))?;
    super::widget::own_conversation(&state, &visitor, attachment.conversation_id)
        .await
        .map_err(|_| not_found())?;
    if !rules::customer_may_see(attachment.uploaded_by, attachment.sent_with) {
        return Err(not_found());
    }
    serve_file(&state, visitor.tenant_id, &attachment, &headers).await
}

/// The file with headers that keep a browser from running it: its checked type, `nosniff`, a
/// download disposition for everything but images, and a sandbox if it is opened anyway.
async fn serve_file(
    state: &AppState,
    tenant_id: Uuid,
    attachment: &Attachment,
    request: &HeaderMap,
) -> ApiResult<Response> {
    let etag = format!("\"{}\"", attachment.sha256);
    let matched = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matched {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let content = state
            .store()
            .attachment_content(tenant_id, attachment.meta.id)
            .await
            .map_err(ApiError::from_store("attachment"))?;
        let mut response = content.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            header_value(&attachment.meta.content_type)?,
        );
        response.headers_mut().insert(
            header::CONTENT_DISPOSITION,
            header_value(&content_disposition(
                &attachment.meta.name,
                rules::shown_inline(&attachment.meta.content_type),
            ))?,
        );
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, header_value(&etag)?);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The bytes behind an id never change, but they are the tenant's: no shared caches.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}

fn header_value(text: &str) -> ApiResult<HeaderValue> {
    HeaderValue::from_str(text).map_err(|_| ApiError::internal())
}

/// `attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded` (RFC 6266), so
/// Chinese names survive and no name can break out of the header.
pub(crate) fn content_disposition(name: &str, inline: bool) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    let disposition = if inline { "inline" } else { "attachment" };
    format!("{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn dispositions_keep_names_inside_the_header() {
        assert_eq!(
            content_disposition("发票 \"1\".pdf", false),
            "attachment; filename=\"__ _1_.pdf\"; filename*=UTF-8''%E5%8F%91%E7%A5%A8%20%221%22.pdf"
        );
        assert!(content_disposition("a.png", true).starts_with("inline; "));
    }
}
