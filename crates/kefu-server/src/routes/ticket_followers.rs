//! Who hears about a ticket, and what it carries on, over HTTP: its followers (agents), its CC
//! (customer-side addresses copied on public replies by mail) and its linked conversations.
//! Agents and tokens with `tickets:*` scopes; the rules live in the store.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::{Role, Scope};
use kefu_store::{TicketConversation, TicketFollower};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct Followers {
    /// Longest-standing first.
    pub items: Vec<TicketFollower>,
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/followers", tag = "tickets",
    responses((status = 200, body = Followers), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_followers(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Followers>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let items = state
        .store()
        .ticket_followers(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(axum::Json(Followers { items }))
}

/// Makes an agent of this tenant follow the ticket (themselves or a colleague); following
/// twice is the same as once. Agents also follow the tickets they comment on, are @mentioned
/// on or are assigned.
#[utoipa::path(put, path = "/api/v1/tickets/{id}/followers/{user_id}", tag = "tickets",
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 200, body = Followers), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`unknown_reference` on `user_id`: no such active user in this tenant", body = ErrorBody)))]
pub async fn add_follower(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, user_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<Followers>> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    let items = state
        .store()
        .add_ticket_follower(principal.tenant_id, id, user_id, &principal.actor())
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(axum::Json(Followers { items }))
}

/// Stops an agent following the ticket; nothing happens when they did not.
#[utoipa::path(delete, path = "/api/v1/tickets/{id}/followers/{user_id}", tag = "tickets",
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_follower(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, user_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    state
        .store()
        .remove_ticket_follower(principal.tenant_id, id, user_id, &principal.actor())
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketCc {
    /// Email addresses copied on the ticket's public replies by mail, at most 20; stored
    /// lowercased without duplicates.
    #[schema(example = json!(["finance@example.com"]))]
    pub emails: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/cc", tag = "tickets",
    responses((status = 200, body = TicketCc), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_cc(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<TicketCc>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let emails = state
        .store()
        .ticket_cc(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(axum::Json(TicketCc { emails }))
}

/// Replaces the CC list. Mail that opens or answers the ticket adds its own `Cc:` addresses.
#[utoipa::path(put, path = "/api/v1/tickets/{id}/cc", tag = "tickets", request_body = TicketCc,
    responses((status = 200, body = TicketCc), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`invalid_email` naming the entry (`emails[2]`), or `too_many`", body = ErrorBody)))]
pub async fn set_cc(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<TicketCc>,
) -> ApiResult<axum::Json<TicketCc>> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    let emails = state
        .store()
        .set_ticket_cc(principal.tenant_id, id, &req.emails, &principal.actor())
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(axum::Json(TicketCc { emails }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedConversations {
    /// First linked first; the first is the ticket's `conversation_id`.
    pub items: Vec<TicketConversation>,
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/conversations", tag = "tickets",
    responses((status = 200, body = LinkedConversations), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_conversations(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<LinkedConversations>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let items = state
        .store()
        .ticket_conversations(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(axum::Json(LinkedConversations { items }))
}

/// Links one of the tenant's conversations to the ticket; linking twice is the same as once.
#[utoipa::path(put, path = "/api/v1/tickets/{id}/conversations/{conversation_id}", tag = "tickets",
    params(("id" = Uuid, Path), ("conversation_id" = Uuid, Path)),
    responses((status = 200, body = LinkedConversations), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`unknown_reference` on `conversation_id`: no such conversation in this tenant", body = ErrorBody)))]
pub async fn link_conversation(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, conversation_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<LinkedConversations>> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    let items = state
        .store()
        .link_ticket_conversation(principal.tenant_id, id, conversation_id, &principal.actor())
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(axum::Json(LinkedConversations { items }))
}

/// Unlinks a conversation; unlinking the first makes the next one the ticket's
/// `conversation_id`. Nothing happens when it was not linked.
#[utoipa::path(delete, path = "/api/v1/tickets/{id}/conversations/{conversation_id}", tag = "tickets",
    params(("id" = Uuid, Path), ("conversation_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unlink_conversation(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, conversation_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    state
        .store()
        .unlink_ticket_conversation(principal.tenant_id, id, conversation_id, &principal.actor())
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(StatusCode::NO_CONTENT)
}
