//! The customer's status link (`/t/{token}`) over HTTP: a ticket's requester, holding only the
//! link, sees its number, subject, status and public replies, and answers it. No account.

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kefu_core::TicketStatus;
use kefu_store::{Actor, CommentAuthor, NewComment, StoreError, Ticket};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Public replies a status page shows: the latest ones when a ticket has more.
const MAX_SHOWN_REPLIES: usize = 500;

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicReply {
    /// `agent`, `customer` (the requester) or `system` (notices).
    pub author_kind: CommentAuthor,
    /// The agent's display name, for agents' replies.
    pub author_name: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketStatusPage {
    pub number: i64,
    pub subject: String,
    pub status: TicketStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A closed ticket takes no more answers (write to support again to open a new one).
    pub can_reply: bool,
    /// The tenant's language (`zh-CN`, `en`…), for the page's own words.
    pub locale: String,
    /// Oldest first; internal notes never appear.
    pub replies: Vec<PublicReply>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusReply {
    #[schema(example = "收到，谢谢！")]
    pub body: String,
}

/// Any token that opens nothing is the same 404, whatever the reason.
async fn ticket_for(state: &AppState, token: &str) -> ApiResult<(Uuid, Ticket)> {
    state
        .store()
        .ticket_by_status_token(token)
        .await
        .map_err(ApiError::from_store("ticket"))
}

async fn page_of(state: &AppState, tenant_id: Uuid, ticket: Ticket) -> ApiResult<TicketStatusPage> {
    let mut comments = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .store()
            .list_comments(tenant_id, ticket.id, false, after, 200)
            .await?;
        after = page.next_after;
        comments.extend(page.items);
        if after.is_none() {
            break;
        }
    }
    let skip = comments.len().saturating_sub(MAX_SHOWN_REPLIES);
    let mut names: HashMap<Uuid, Option<String>> = HashMap::new();
    let mut replies = Vec::with_capacity(comments.len() - skip);
    for comment in comments.into_iter().skip(skip) {
        let author_name = match (comment.author_kind, comment.author_id) {
            (CommentAuthor::Agent, Some(id)) => match names.get(&id) {
                Some(name) => name.clone(),
                None => {
                    let name = match state.store().user(tenant_id, id).await {
                        Ok(user) => Some(user.display_name),
                        Err(StoreError::NotFound) => None,
                        Err(other) => return Err(other.into()),
                    };
                    names.insert(id, name.clone());
                    name
                }
            },
            _ => None,
        };
        replies.push(PublicReply {
            author_kind: comment.author_kind,
            author_name,
            body: comment.body,
            created_at: comment.created_at,
        });
    }
    let locale = state.store().tenant(tenant_id).await?.settings.0.locale;
    Ok(TicketStatusPage {
        number: ticket.number,
        subject: ticket.subject,
        can_reply: ticket.status != TicketStatus::Closed,
        status: ticket.status,
        created_at: ticket.created_at,
        updated_at: ticket.updated_at,
        locale,
        replies,
    })
}

#[utoipa::path(get, path = "/api/v1/status/{token}", tag = "tickets", security(()),
    params(("token" = String, Path, description = "The secret from the ticket's status link")),
    responses((status = 200, body = TicketStatusPage), (status = 404, body = ErrorBody)))]
pub async fn status_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<axum::Json<TicketStatusPage>> {
    let (tenant_id, ticket) = ticket_for(&state, &token).await?;
    Ok(axum::Json(page_of(&state, tenant_id, ticket).await?))
}

#[utoipa::path(post, path = "/api/v1/status/{token}/replies", tag = "tickets", security(()),
    params(("token" = String, Path, description = "The secret from the ticket's status link")),
    request_body = StatusReply,
    responses((status = 201, body = TicketStatusPage), (status = 404, body = ErrorBody),
        (status = 409, description = "`ticket_closed`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn status_reply(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Json(req): Json<StatusReply>,
) -> ApiResult<(StatusCode, axum::Json<TicketStatusPage>)> {
    let (tenant_id, ticket) = ticket_for(&state, &token).await?;
    let new = NewComment {
        author_kind: CommentAuthor::Customer,
        author_id: Some(ticket.requester_id),
        public: true,
        body: req.body,
    };
    // Customer-side changes are the system's; the requester is the comment's author.
    let (_, ticket) = state
        .store()
        .add_comment(tenant_id, ticket.id, new, &Actor::system())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(page_of(&state, tenant_id, ticket).await?),
    ))
}
