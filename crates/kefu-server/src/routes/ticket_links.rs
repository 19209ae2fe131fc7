//! Ticket links over HTTP: a ticket's parent and children, sub-tasks for other departments,
//! merging a ticket into another and splitting comments off into a new one.

use super::{ListResponse, PageQuery, check_limit, decode_cursor};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::{LinkKind, Role, Scope, TicketPriority};
use kefu_store::{NewSubtask, StoreError, Ticket, TicketRef};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A ticket with where it sits among its links.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: Ticket,
    /// The parent (`parent_id`), in a few words.
    pub parent: Option<TicketRef>,
    /// Where this ticket was merged (`merged_into`): it is closed, its history is there.
    pub merged_into_ticket: Option<TicketRef>,
    /// Where this ticket was split off from (`split_from`).
    pub split_from_ticket: Option<TicketRef>,
}

/// A linked ticket that is gone (it cannot be: tickets are never deleted) shows as no link.
async fn reference(
    state: &AppState,
    tenant_id: Uuid,
    id: Option<Uuid>,
) -> ApiResult<Option<TicketRef>> {
    let Some(id) = id else { return Ok(None) };
    match state.store().ticket_ref(tenant_id, id).await {
        Ok(found) => Ok(Some(found)),
        Err(StoreError::NotFound) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

pub(crate) async fn detail(
    state: &AppState,
    tenant_id: Uuid,
    ticket: Ticket,
) -> ApiResult<TicketDetail> {
    Ok(TicketDetail {
        parent: reference(state, tenant_id, ticket.parent_id).await?,
        merged_into_ticket: reference(state, tenant_id, ticket.merged_into).await?,
        split_from_ticket: reference(state, tenant_id, ticket.split_from).await?,
        ticket,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetParent {
    /// A ticket of this tenant (find one by number with `GET /api/v1/tickets?q=%231001`).
    pub parent_id: Uuid,
    /// `incident`: the parent must be a problem, and solving it solves this ticket.
    /// `subtask`: the parent cannot be solved or closed while this ticket is open.
    pub kind: LinkKind,
}

/// Puts a ticket under a parent, replacing the parent it had.
#[utoipa::path(put, path = "/api/v1/tickets/{id}/parent", tag = "tickets", request_body = SetParent,
    responses((status = 200, body = TicketDetail), (status = 404, description = "`ticket_not_found` (either ticket)", body = ErrorBody),
        (status = 409, description = "`ticket_link_cycle`, `parent_closed`", body = ErrorBody),
        (status = 422, description = "`parent_not_a_problem` (an incident under a non-problem)", body = ErrorBody)))]
pub async fn set_parent(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<SetParent>,
) -> ApiResult<axum::Json<TicketDetail>> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    let child = state
        .store()
        .link_ticket(
            principal.tenant_id,
            id,
            req.parent_id,
            req.kind,
            &principal.actor(),
        )
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(axum::Json(
        detail(&state, principal.tenant_id, child).await?,
    ))
}

/// Takes a ticket from under its parent (nothing happens when it has none).
#[utoipa::path(delete, path = "/api/v1/tickets/{id}/parent", tag = "tickets",
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody)))]
pub async fn remove_parent(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<TicketDetail>> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    let child = state
        .store()
        .unlink_ticket(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(axum::Json(
        detail(&state, principal.tenant_id, child).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/children", tag = "tickets", params(PageQuery),
    responses((status = 200, description = "incidents and sub-tasks, oldest first, with their status", body = ListResponse<TicketRef>),
        (status = 404, body = ErrorBody)))]
pub async fn list_children(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Query(query): Query<PageQuery>,
) -> ApiResult<axum::Json<ListResponse<TicketRef>>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let page = state
        .store()
        .ticket_children(
            principal.tenant_id,
            id,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(axum::Json(page.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubtask {
    #[schema(example = "请财务核实退款")]
    pub subject: String,
    #[serde(default)]
    pub description: String,
    /// The department that does the work.
    pub group_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    /// The parent's when omitted.
    pub priority: Option<TicketPriority>,
}

/// Opens a task ticket for the same requester, linked under this one as a sub-task, in one
/// transaction. Its channel is `internal`.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/subtasks", tag = "tickets", request_body = CreateSubtask,
    responses((status = 201, body = Ticket), (status = 404, body = ErrorBody),
        (status = 409, description = "`parent_closed`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_subtask(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<CreateSubtask>,
) -> ApiResult<(StatusCode, axum::Json<Ticket>)> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    let new = NewSubtask {
        subject: req.subject,
        description: req.description,
        priority: req.priority,
        group_id: req.group_id,
        assignee_id: req.assignee_id,
    };
    let child = state
        .store()
        .create_subtask(principal.tenant_id, id, new, &principal.actor())
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok((StatusCode::CREATED, axum::Json(child)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeTicket {
    /// The ticket that takes this one's history.
    pub into: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeResult {
    /// Closed, with `merged_into` set.
    pub source: Ticket,
    pub target: Ticket,
}

/// Merges this ticket into another: its comments, files, mails, conversation link, tags and
/// children move to the target, a note on both says so, and this one closes.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/merge", tag = "tickets", request_body = MergeTicket,
    responses((status = 200, body = MergeResult), (status = 404, description = "`ticket_not_found` (either ticket)", body = ErrorBody),
        (status = 409, description = "`merge_into_self`, `merge_source_closed`, `merge_target_closed`, `ticket_link_cycle` (into its own descendant)", body = ErrorBody)))]
pub async fn merge_ticket(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<MergeTicket>,
) -> ApiResult<axum::Json<MergeResult>> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    let (source, target) = state
        .store()
        .merge_ticket(principal.tenant_id, id, req.into, &principal.actor())
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(axum::Json(MergeResult { source, target }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitTicket {
    /// Comments of this ticket to move (1 to 200).
    pub comment_ids: Vec<Uuid>,
    pub subject: String,
}

/// Moves comments (and their files and mails) to a new ticket for the same requester, channel
/// and group; the new ticket names this one in `split_from`.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/split", tag = "tickets", request_body = SplitTicket,
    responses((status = 201, body = Ticket), (status = 404, body = ErrorBody),
        (status = 409, description = "`ticket_closed`", body = ErrorBody),
        (status = 422, description = "no comments, or ids that are not comments of this ticket (`unknown_comment`, by `comment_ids[i]`)", body = ErrorBody)))]
pub async fn split_ticket(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<SplitTicket>,
) -> ApiResult<(StatusCode, axum::Json<Ticket>)> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    let created = state
        .store()
        .split_ticket(
            principal.tenant_id,
            id,
            &req.comment_ids,
            req.subject,
            &principal.actor(),
        )
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}
