//! The agent side of conversations: inboxes (channels) for admins, conversation lists and
//! history with internal notes, replies, taking or assigning a conversation, and resolving it.
//! Offers, accept/reject and transfers arrive with the routing runtime.

use super::{ListResponse, check_limit, decode_cursor};
use crate::auth::{Principal, new_token};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::{ConversationStatus, MessageKind, Role, Scope, SenderKind, ValidationErrors};
use kefu_store::{
    Conversation, ConversationFilter, ConversationMove, Inbox, InboxChannel, InboxSettings,
    Message, NewInbox, NewMessage,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInbox {
    #[schema(example = "官网在线客服")]
    pub name: String,
    pub channel: InboxChannel,
    #[serde(default)]
    pub settings: Option<InboxSettings>,
}

/// Agents see the inboxes (names, topics) for their work; only admins see the signing secret.
#[utoipa::path(get, path = "/api/v1/inboxes", tag = "conversations", responses((status = 200, body = Vec<Inbox>), (status = 403, body = ErrorBody)))]
pub async fn list_inboxes(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<Vec<Inbox>>> {
    let role = principal.require_user_role(Role::Agent)?;
    let mut inboxes = state.store().list_inboxes(principal.tenant_id).await?;
    if role < Role::Admin {
        for inbox in &mut inboxes {
            inbox.secret.clear();
        }
    }
    Ok(axum::Json(inboxes))
}

/// The inbox's `secret` signs `user_hash` for identified visitors; it is made here, never chosen.
#[utoipa::path(post, path = "/api/v1/inboxes", tag = "conversations", request_body = CreateInbox, responses((status = 201, body = Inbox), (status = 422, body = ErrorBody)))]
pub async fn create_inbox(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateInbox>,
) -> ApiResult<(StatusCode, axum::Json<Inbox>)> {
    principal.require_user_role(Role::Admin)?;
    let mut errors = ValidationErrors::new();
    kefu_core::error::check_text(&mut errors, "name", &req.name, 100);
    let settings = req.settings.unwrap_or_default();
    check_inbox_settings(&mut errors, &settings);
    errors.into_result()?;
    let inbox = state
        .store()
        .create_inbox(
            principal.tenant_id,
            NewInbox {
                name: req.name.trim().to_owned(),
                channel: req.channel,
                secret: new_token("kfi_"),
                settings,
            },
            &principal.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(inbox)))
}

fn check_inbox_settings(errors: &mut ValidationErrors, settings: &InboxSettings) {
    if settings.reopen_window_secs < 0 {
        errors.push(
            "settings.reopen_window_secs",
            "invalid_duration",
            "must be ≥ 0",
        );
    }
    for (i, topic) in settings.topics.iter().enumerate() {
        kefu_core::error::check_text(errors, &format!("settings.topics[{i}].key"), &topic.key, 50);
        kefu_core::error::check_text(
            errors,
            &format!("settings.topics[{i}].label"),
            &topic.label,
            100,
        );
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInbox {
    pub name: Option<String>,
    /// Replaces all settings (send the ones read from GET, changed).
    pub settings: Option<InboxSettings>,
}

/// Renames an inbox or changes its settings (the bot, greeting, topics…); admins only.
#[utoipa::path(patch, path = "/api/v1/inboxes/{id}", tag = "conversations", request_body = UpdateInbox,
    responses((status = 200, body = Inbox), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_inbox(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateInbox>,
) -> ApiResult<axum::Json<Inbox>> {
    principal.require_user_role(Role::Admin)?;
    let mut errors = ValidationErrors::new();
    if let Some(name) = &req.name {
        kefu_core::error::check_text(&mut errors, "name", name, 100);
    }
    if let Some(settings) = &req.settings {
        check_inbox_settings(&mut errors, settings);
    }
    errors.into_result()?;
    Ok(axum::Json(
        state
            .store()
            .update_inbox(
                principal.tenant_id,
                id,
                req.name.map(|n| n.trim().to_owned()),
                req.settings,
                &principal.actor(),
            )
            .await
            .map_err(ApiError::from_store("inbox"))?,
    ))
}

#[utoipa::path(get, path = "/api/v1/inboxes/{id}", tag = "conversations", responses((status = 200, body = Inbox), (status = 404, body = ErrorBody)))]
pub async fn get_inbox(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Inbox>> {
    principal.require_user_role(Role::Admin)?;
    Ok(axum::Json(
        state
            .store()
            .inbox(principal.tenant_id, id)
            .await
            .map_err(ApiError::from_store("inbox"))?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListConversations {
    /// Comma-separated states, e.g. `queued,offered`.
    pub status: Option<String>,
    /// `me`, or an agent's id.
    pub assignee: Option<String>,
    pub customer_id: Option<Uuid>,
    pub inbox_id: Option<Uuid>,
    /// Search the customer's name and the messages.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ListConversations),
    responses((status = 200, description = "newest first", body = ListResponse<Conversation>), (status = 400, body = ErrorBody)))]
pub async fn list_conversations(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListConversations>,
) -> ApiResult<axum::Json<ListResponse<Conversation>>> {
    principal.require(Role::Agent, Scope::CustomersRead)?;
    let statuses = super::parse_list(
        query.status.as_deref(),
        "conversation status",
        ConversationStatus::parse,
    )?;
    let assignee_id = super::parse_assignee(&principal, query.assignee.as_deref())?;
    let filter = ConversationFilter {
        statuses,
        assignee_id,
        customer_id: query.customer_id,
        inbox_id: query.inbox_id,
        query: query.q.filter(|q| q.chars().count() <= 100),
    };
    let page = state
        .store()
        .list_conversations(
            principal.tenant_id,
            &filter,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await?;
    Ok(axum::Json(page.into()))
}

async fn conversation_of(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> ApiResult<Conversation> {
    state
        .store()
        .conversation(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("conversation"))
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations", responses((status = 200, body = Conversation), (status = 404, body = ErrorBody)))]
pub async fn get_conversation(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Conversation>> {
    principal.require(Role::Agent, Scope::CustomersRead)?;
    Ok(axum::Json(conversation_of(&state, &principal, id).await?))
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations", params(super::PageQuery),
    responses((status = 200, description = "oldest first, internal notes included", body = ListResponse<Message>), (status = 404, body = ErrorBody)))]
pub async fn list_messages(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Query(query): Query<super::PageQuery>,
) -> ApiResult<axum::Json<ListResponse<Message>>> {
    principal.require(Role::Agent, Scope::CustomersRead)?;
    let page = state
        .store()
        .list_messages(
            principal.tenant_id,
            id,
            true,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await
        .map_err(ApiError::from_store("conversation"))?;
    Ok(axum::Json(page.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentMessage {
    /// May be empty when the message carries files.
    #[serde(default)]
    pub body: String,
    /// `text` (sent to the customer, the default) or `note` (agents only).
    #[serde(default = "text_kind")]
    pub kind: MessageKind,
    pub client_msg_id: Option<String>,
    /// Files uploaded to this conversation by agents (POST …/attachments) and not sent yet; a
    /// note's files stay internal.
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

fn text_kind() -> MessageKind {
    MessageKind::Text
}

/// Replies go to the conversation's agent (or a supervisor); anyone on the team may add a note.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "conversations", request_body = AgentMessage,
    responses((status = 201, body = Message), (status = 200, description = "a retry of a stored message", body = Message),
        (status = 403, body = ErrorBody), (status = 409, description = "`conversation_closed`", body = ErrorBody),
        (status = 422, description = "`required` (no body and no files), `unknown_attachment`, `attachment_already_sent`, …", body = ErrorBody)))]
pub async fn post_message(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<AgentMessage>,
) -> ApiResult<(StatusCode, axum::Json<Message>)> {
    let role = principal.require_user_role(Role::Agent)?;
    let conversation = conversation_of(&state, &principal, id).await?;
    let me = principal.user_id();
    if req.kind == MessageKind::Text && role < Role::Supervisor && conversation.assignee_id != me {
        return Err(ApiError::forbidden(
            "only the conversation's agent replies; add a note instead",
        ));
    }
    let new = NewMessage {
        sender_kind: SenderKind::Agent,
        sender_id: me,
        kind: req.kind,
        body: req.body,
        client_msg_id: req.client_msg_id,
        attachment_ids: req.attachment_ids,
    };
    super::post_to_conversation(
        &state,
        principal.tenant_id,
        &conversation,
        new,
        &principal.actor(),
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignConversation {
    /// The agent to serve it; yourself when omitted.
    pub agent_id: Option<Uuid>,
}

/// An agent takes a waiting conversation; a supervisor hands any open one to any agent
/// (taking over from the current agent).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/assign", tag = "conversations", request_body = AssignConversation,
    responses((status = 200, body = Conversation), (status = 403, body = ErrorBody), (status = 409, description = "`invalid_transition`, `conversation_state_changed`", body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<AssignConversation>,
) -> ApiResult<axum::Json<Conversation>> {
    let role = principal.require_user_role(Role::Agent)?;
    let conversation = conversation_of(&state, &principal, id).await?;
    let me = principal.user_id();
    let agent_id = req.agent_id.or(me);
    let waiting = matches!(
        conversation.status,
        ConversationStatus::Queued | ConversationStatus::Offered
    );
    if role < Role::Supervisor && (agent_id != me || !waiting) {
        return Err(ApiError::forbidden(
            "agents take waiting conversations for themselves; supervisors assign the rest",
        ));
    }
    let change = ConversationMove {
        assignee_id: agent_id,
        expected: Some(conversation.status),
        ..ConversationMove::to(ConversationStatus::Assigned)
    };
    Ok(axum::Json(
        state
            .store()
            .move_conversation(principal.tenant_id, id, change, &principal.actor())
            .await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveConversation {
    /// The closing code, e.g. `refund` or `answered`.
    pub disposition: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/resolve", tag = "conversations", request_body = ResolveConversation,
    responses((status = 200, body = Conversation), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<ResolveConversation>,
) -> ApiResult<axum::Json<Conversation>> {
    let role = principal.require_user_role(Role::Agent)?;
    let conversation = conversation_of(&state, &principal, id).await?;
    if role < Role::Supervisor && conversation.assignee_id != principal.user_id() {
        return Err(ApiError::forbidden(
            "only the conversation's agent or a supervisor resolves it",
        ));
    }
    let disposition = req
        .disposition
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if disposition.as_ref().is_some_and(|d| d.chars().count() > 50) {
        return Err(
            ValidationErrors::single("disposition", "too_long", "at most 50 characters").into(),
        );
    }
    let change = ConversationMove {
        disposition,
        expected: Some(conversation.status),
        ..ConversationMove::to(ConversationStatus::Resolved)
    };
    Ok(axum::Json(
        state
            .store()
            .move_conversation(principal.tenant_id, id, change, &principal.actor())
            .await?,
    ))
}

/// The agent takes the conversation the router offered them.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/accept", tag = "conversations",
    responses((status = 200, body = Conversation), (status = 409, description = "`offer_not_available`: it lapsed, was withdrawn or was never yours", body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Conversation>> {
    answer_offer(&state, &principal, id, true).await
}

/// The agent declines the offer: it goes to the next agent, and this one is not offered it
/// again for a while.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/reject", tag = "conversations",
    responses((status = 200, body = Conversation), (status = 409, description = "`offer_not_available`", body = ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Conversation>> {
    answer_offer(&state, &principal, id, false).await
}

async fn answer_offer(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    accept: bool,
) -> ApiResult<axum::Json<Conversation>> {
    principal.require_user_role(Role::Agent)?;
    let me = principal
        .user_id()
        .ok_or_else(|| ApiError::forbidden("offers go to signed-in agents"))?;
    conversation_of(state, principal, id).await?;
    let routing = state.routing();
    let answered = if accept {
        routing.accept(principal.tenant_id, id, me).await?
    } else {
        routing.reject(principal.tenant_id, id, me).await?
    };
    Ok(axum::Json(answered))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferConversation {
    /// Offer it to this agent first (held for them a short while, then to anyone).
    pub agent_id: Option<Uuid>,
    /// Or move it to this topic's queue of the same inbox; `""` is the inbox's own queue.
    pub topic: Option<String>,
    /// An internal note for whoever takes it next.
    pub note: Option<String>,
}

/// The conversation's agent (or a supervisor) hands it on; it waits again, keeping its place
/// by original arrival time.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/transfer", tag = "conversations", request_body = TransferConversation,
    responses((status = 200, body = Conversation), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transfer(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<TransferConversation>,
) -> ApiResult<axum::Json<Conversation>> {
    let role = principal.require_user_role(Role::Agent)?;
    let conversation = conversation_of(&state, &principal, id).await?;
    if role < Role::Supervisor && conversation.assignee_id != principal.user_id() {
        return Err(ApiError::forbidden(
            "only the conversation's agent or a supervisor transfers it",
        ));
    }
    let to = match (req.agent_id, req.topic) {
        (Some(agent), None) => crate::routing::TransferTo::Agent(agent),
        (None, Some(topic)) => crate::routing::TransferTo::Topic(
            Some(topic.trim().to_owned()).filter(|t| !t.is_empty()),
        ),
        _ => {
            return Err(ValidationErrors::single(
                "agent_id",
                "one_target",
                "give either agent_id or topic",
            )
            .into());
        }
    };
    if req
        .note
        .as_ref()
        .is_some_and(|n| n.chars().count() > kefu_core::conversation::MAX_MESSAGE_CHARS)
    {
        return Err(
            ValidationErrors::single("note", "message_too_long", "note is too long").into(),
        );
    }
    Ok(axum::Json(
        state
            .routing()
            .transfer(principal.tenant_id, id, to, req.note, principal.actor())
            .await?,
    ))
}

/// Live queues (waiting, longest wait, estimated wait) and agents (presence and since when,
/// chats, capacity) as the router sees them now.
#[utoipa::path(get, path = "/api/v1/routing/live", tag = "conversations",
    responses((status = 200, body = crate::routing::LiveView), (status = 403, body = ErrorBody)))]
pub async fn routing_live(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<crate::routing::LiveView>> {
    principal.require(Role::Supervisor, Scope::CustomersRead)?;
    let mut view = state.routing().live(principal.tenant_id).await?;
    let since = state.store().presence_changes(principal.tenant_id).await?;
    for agent in &mut view.agents {
        agent.presence_since = since.get(&agent.agent_id).copied();
    }
    Ok(axum::Json(view))
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ReadMark {
    pub read_at: chrono::DateTime<chrono::Utc>,
}

/// Marks the conversation read up to now by the signed-in agent.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "conversations",
    responses((status = 200, body = ReadMark), (status = 404, body = ErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<ReadMark>> {
    principal.require_user_role(Role::Agent)?;
    let me = principal
        .user_id()
        .ok_or_else(|| ApiError::forbidden("read marks belong to signed-in users"))?;
    let read_at = state
        .store()
        .mark_read(principal.tenant_id, id, me, &principal.actor())
        .await
        .map_err(ApiError::from_store("conversation"))?;
    Ok(axum::Json(ReadMark { read_at }))
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct UnreadCount {
    pub conversation_id: Uuid,
    /// Customer messages since the agent last read the conversation.
    pub unread: i64,
}

/// Unread customer messages in the conversations the signed-in agent holds or is offered.
#[utoipa::path(get, path = "/api/v1/conversations/unread", tag = "conversations",
    responses((status = 200, body = Vec<UnreadCount>), (status = 403, body = ErrorBody)))]
pub async fn unread(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<Vec<UnreadCount>>> {
    principal.require_user_role(Role::Agent)?;
    let me = principal
        .user_id()
        .ok_or_else(|| ApiError::forbidden("unread counts belong to signed-in users"))?;
    let counts = state.store().unread_counts(principal.tenant_id, me).await?;
    Ok(axum::Json(
        counts
            .into_iter()
            .map(|(conversation_id, unread)| UnreadCount {
                conversation_id,
                unread,
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypingRequest {
    /// Writing an internal note: only other staff are told.
    #[serde(default)]
    pub note: bool,
}

/// Tells the conversation's watchers that the signed-in agent is typing. Clients send it every
/// few seconds while typing and show "typing" for a few seconds after the last one. It is not
/// logged: the stream carries it as `{"type":"typing",conversation_id,sender_kind,sender_id}`
/// with no seq, and a reconnect does not replay it. The customer hears it only when the agent
/// may reply (the assignee, or a supervisor) and is not writing a note.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/typing", tag = "conversations", request_body = TypingRequest,
    responses((status = 204, description = "told"), (status = 404, body = ErrorBody)))]
pub async fn typing(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<TypingRequest>,
) -> ApiResult<StatusCode> {
    let role = principal.require_user_role(Role::Agent)?;
    let me = principal
        .user_id()
        .ok_or_else(|| ApiError::forbidden("typing belongs to signed-in users"))?;
    let conversation = conversation_of(&state, &principal, id).await?;
    let may_reply = role >= Role::Supervisor || conversation.assignee_id == Some(me);
    state.signals().typing(
        principal.tenant_id,
        conversation.id,
        conversation.customer_id,
        crate::signals::Typist::Agent {
            user_id: me,
            replying: may_reply && !req.note,
        },
    );
    Ok(StatusCode::NO_CONTENT)
}
