//! Tickets (工单) over HTTP: create, list and search, read, update fields and status, comments
//! (public replies and internal notes), and turning a conversation into a ticket with its
//! transcript. Agents and tokens with `tickets:*` scopes; rules live in the store and core.

use super::mails::CommentWithFiles;
use super::{ListResponse, check_limit, decode_cursor, parse_list};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::ticket_view::{AssigneeCondition, GroupCondition, ViewFilters};
use kefu_core::{
    MessageKind, Role, Scope, SenderKind, TicketPriority, TicketStatus, TicketType,
    ValidationErrors,
};
use kefu_store::{
    Actor, CommentAuthor, NewComment, NewTicket, Ticket, TicketComment, TicketFilter, TicketPatch,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    #[schema(example = "发票抬头错误")]
    pub subject: String,
    #[serde(default)]
    pub description: String,
    /// The customer who asks.
    pub requester_id: Uuid,
    /// Where it came from; `api` when omitted.
    pub channel: Option<String>,
    pub priority: Option<TicketPriority>,
    #[serde(rename = "type")]
    pub ticket_type: Option<TicketType>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub assignee_id: Option<Uuid>,
    pub group_id: Option<Uuid>,
    /// Values of the tenant's custom fields (`GET /api/v1/ticket-fields`), `{key: value}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = CreateTicket,
    responses((status = 201, body = Ticket), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_ticket(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateTicket>,
) -> ApiResult<(StatusCode, axum::Json<Ticket>)> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    let new = NewTicket {
        subject: req.subject,
        description: req.description,
        requester_id: req.requester_id,
        channel: req.channel.unwrap_or_else(|| "api".to_owned()),
        priority: req.priority.unwrap_or(TicketPriority::Normal),
        ticket_type: req.ticket_type.unwrap_or(TicketType::Question),
        tags: req.tags,
        assignee_id: req.assignee_id,
        group_id: req.group_id,
        conversation_id: None,
        custom_fields: req.custom_fields,
    };
    let ticket = state
        .store()
        .create_ticket(principal.tenant_id, new, &principal.actor())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(ticket)))
}

/// Unknown parameters are refused (400) by [`list_tickets`] itself, which also reads
/// `field.KEY=value` pairs: tickets whose custom field KEY has that value (up to 3).
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListTickets {
    /// A saved view (`GET /api/v1/ticket-views`): its filter is used, and only `q`, `limit` and
    /// `cursor` may come with it.
    pub view: Option<Uuid>,
    /// Comma-separated statuses, e.g. `new,open`.
    pub status: Option<String>,
    /// Comma-separated priorities, e.g. `high,urgent`.
    pub priority: Option<String>,
    /// Comma-separated types, e.g. `incident,problem`.
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
    /// `me`, `none` (unassigned), or an agent's id.
    pub assignee: Option<String>,
    /// A department's id, or `mine` (the departments the signed-in agent belongs to).
    pub group_id: Option<String>,
    pub requester_id: Option<Uuid>,
    /// Tickets carrying this tag.
    pub tag: Option<String>,
    /// Search subjects, descriptions and comments (internal notes too): every word, split on
    /// white space, must appear (case-insensitive substring; Chinese needs no spaces). Taken as
    /// text, never as query syntax. `#1001` finds that ticket. A query made only of 1–2
    /// character words looks through the newest 5,000 tickets per page: its page may then be
    /// short and still carry `next_cursor` to look further back.
    pub q: Option<String>,
    /// `breaching`: only tickets whose SLA target is due within the hour or already breached
    /// (and still running).
    pub sla: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The parameters of [`ListTickets`], besides `field.KEY`.
const LIST_PARAMETERS: [&str; 12] = [
    "view",
    "status",
    "priority",
    "type",
    "assignee",
    "group_id",
    "requester_id",
    "tag",
    "q",
    "sla",
    "limit",
    "cursor",
];

/// What may come with `view=`.
const WITH_A_VIEW: [&str; 4] = ["view", "q", "limit", "cursor"];

/// How far ahead "breaching soon" looks.
const BREACHING_WITHIN: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// The view's filter for whoever looks: "me" and "mine" are the signed-in agent.
pub(crate) fn ticket_filter(
    principal: &Principal,
    filters: &ViewFilters,
) -> ApiResult<TicketFilter> {
    let me = principal.user_id();
    let assignee = filters
        .assignee_for(me)
        .map_err(|message| ApiError::bad_request("invalid_query", message))?;
    let group = filters
        .group_for(me)
        .map_err(|message| ApiError::bad_request("invalid_query", message))?;
    Ok(TicketFilter {
        statuses: filters.statuses.clone(),
        priorities: filters.priorities.clone(),
        types: filters.types.clone(),
        assignee_id: match assignee {
            Some(AssigneeCondition::User(id)) => Some(id),
            _ => None,
        },
        unassigned: assignee == Some(AssigneeCondition::Nobody),
        group_id: match group {
            Some(GroupCondition::Group(id)) => Some(id),
            _ => None,
        },
        groups_of_member: match group {
            Some(GroupCondition::MembersOf(user)) => Some(user),
            _ => None,
        },
        tag: filters.tag.clone(),
        breaching_by: filters
            .sla_breaching
            .then(|| chrono::Utc::now() + BREACHING_WITHIN),
        custom_fields: filters
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        ..TicketFilter::default()
    })
}

#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(ListTickets),
    responses((status = 200, description = "newest first", body = ListResponse<Ticket>), (status = 400, body = ErrorBody)))]
pub async fn list_tickets(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListTickets>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<axum::Json<ListResponse<Ticket>>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let mut fields = std::collections::BTreeMap::new();
    for (name, value) in &pairs {
        match name.strip_prefix("field.") {
            Some(key) => {
                fields.insert(key.to_owned(), value.clone());
            }
            None if LIST_PARAMETERS.contains(&name.as_str()) => {}
            None => {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    format!("unknown query parameter {name:?}"),
                ));
            }
        }
    }
    if fields.len() > kefu_store::MAX_FIELD_FILTERS {
        return Err(ApiError::bad_request(
            "invalid_query",
            "at most 3 field.KEY filters",
        ));
    }
    if let Some(number) = query
        .q
        .as_deref()
        .filter(|q| q.trim_start().starts_with(['#', '＃']))
        .and_then(kefu_core::ticket::parse_ticket_number)
    {
        let found = match state
            .store()
            .ticket_by_number(principal.tenant_id, number)
            .await
        {
            Ok(ticket) => vec![ticket],
            Err(kefu_store::StoreError::NotFound) => Vec::new(),
            Err(other) => return Err(other.into()),
        };
        return Ok(axum::Json(ListResponse {
            items: found,
            next_cursor: None,
        }));
    }
    let mut filter = match query.view {
        Some(view_id) => {
            if let Some((name, _)) = pairs
                .iter()
                .find(|(name, _)| !WITH_A_VIEW.contains(&name.as_str()))
            {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    format!("{name:?} cannot be combined with view: the view's filter applies"),
                ));
            }
            let view = super::ticket_views::visible_view(&state, &principal, view_id).await?;
            ticket_filter(&principal, &view.filters)?
        }
        None => {
            let filters = ViewFilters {
                statuses: parse_list(
                    query.status.as_deref(),
                    "ticket status",
                    TicketStatus::parse,
                )?,
                priorities: parse_list(
                    query.priority.as_deref(),
                    "priority",
                    TicketPriority::parse,
                )?,
                types: parse_list(
                    query.ticket_type.as_deref(),
                    "ticket type",
                    TicketType::parse,
                )?,
                assignee: query.assignee.clone(),
                group: query.group_id.clone(),
                tag: query.tag.clone(),
                sla_breaching: match query.sla.as_deref() {
                    None => false,
                    Some("breaching") => true,
                    Some(_) => {
                        return Err(ApiError::bad_request(
                            "invalid_parameter",
                            "sla must be `breaching`",
                        ));
                    }
                },
                fields,
            };
            let mut filter = ticket_filter(&principal, &filters)?;
            filter.requester_id = query.requester_id;
            filter
        }
    };
    filter.query = query.q.filter(|q| q.chars().count() <= 100);
    let page = state
        .store()
        .list_tickets(
            principal.tenant_id,
            &filter,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await?;
    Ok(axum::Json(page.into()))
}

async fn ticket_of(state: &AppState, principal: &Principal, id: Uuid) -> ApiResult<Ticket> {
    state
        .store()
        .ticket(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("ticket"))
}

/// The ticket with its parent and, for a merged or split-off one, where it went or came from.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets",
    responses((status = 200, body = super::ticket_links::TicketDetail), (status = 404, body = ErrorBody)))]
pub async fn get_ticket(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<super::ticket_links::TicketDetail>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let ticket = ticket_of(&state, &principal, id).await?;
    Ok(axum::Json(
        super::ticket_links::detail(&state, principal.tenant_id, ticket).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicket {
    pub subject: Option<String>,
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
    #[serde(rename = "type")]
    pub ticket_type: Option<TicketType>,
    pub tags: Option<Vec<String>>,
    /// `null` unassigns.
    #[serde(default, deserialize_with = "crate::extract::present_or_null")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    /// `null` clears the department.
    #[serde(default, deserialize_with = "crate::extract::present_or_null")]
    #[schema(value_type = Option<Uuid>)]
    pub group_id: Option<Option<Uuid>>,
    /// Custom field values to set; `null` clears one, keys left out stay.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<serde_json::Map<String, serde_json::Value>>,
}

#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", request_body = UpdateTicket,
    responses((status = 200, body = Ticket), (status = 404, body = ErrorBody),
        (status = 409, description = "`invalid_transition`; `ticket_blocked_by_subtasks` (solving or closing with open sub-tasks; their `numbers` in details)", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_ticket(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateTicket>,
) -> ApiResult<axum::Json<Ticket>> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    ticket_of(&state, &principal, id).await?;
    let patch = TicketPatch {
        subject: req.subject,
        status: req.status,
        priority: req.priority,
        ticket_type: req.ticket_type,
        tags: req.tags,
        assignee_id: req.assignee_id,
        group_id: req.group_id,
        custom_fields: req.custom_fields,
    };
    Ok(axum::Json(
        state
            .store()
            .update_ticket(principal.tenant_id, id, patch, &principal.actor())
            .await?,
    ))
}

/// Most tickets one bulk update takes.
const MAX_BULK: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUpdate {
    /// 1 to 100 tickets.
    pub ids: Vec<Uuid>,
    /// The same change for each; a subject cannot be changed in bulk.
    pub patch: UpdateTicket,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct BulkFailure {
    pub id: Uuid,
    /// The code a single update would have answered, e.g. `invalid_transition`.
    pub code: String,
    pub message: String,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct BulkResult {
    pub updated: Vec<Ticket>,
    pub failed: Vec<BulkFailure>,
}

/// Applies one change to many tickets, each on its own: a ticket that cannot take it (a move
/// its status forbids, another tenant's id) is listed with its code and the rest still change.
#[utoipa::path(post, path = "/api/v1/tickets/bulk-update", tag = "tickets", request_body = BulkUpdate,
    responses((status = 200, body = BulkResult), (status = 422, description = "no ids, too many, or a subject", body = ErrorBody)))]
pub async fn bulk_update(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<BulkUpdate>,
) -> ApiResult<axum::Json<BulkResult>> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    let mut errors = ValidationErrors::new();
    if req.ids.is_empty() || req.ids.len() > MAX_BULK {
        errors.push("ids", "invalid_length", "between 1 and 100 tickets");
    }
    if req.patch.subject.is_some() {
        errors.push(
            "patch.subject",
            "not_allowed",
            "subjects are changed one ticket at a time",
        );
    }
    errors.into_result()?;
    // Bad values are refused for the whole request; a type that needs a field missing on some
    // of the tickets shows up per ticket, in `failed`.
    if let Some(changes) = &req.patch.custom_fields {
        let defs: Vec<_> = state
            .store()
            .ticket_fields(principal.tenant_id)
            .await?
            .iter()
            .map(kefu_store::TicketField::def)
            .collect();
        kefu_core::ticket_field::apply_custom_fields(
            &defs,
            TicketType::Question,
            &serde_json::Map::new(),
            Some(changes),
            false,
        )?;
    }
    let patch = TicketPatch {
        subject: None,
        status: req.patch.status,
        priority: req.patch.priority,
        ticket_type: req.patch.ticket_type,
        tags: req.patch.tags,
        assignee_id: req.patch.assignee_id,
        group_id: req.patch.group_id,
        custom_fields: req.patch.custom_fields,
    };
    let mut ids = req.ids;
    ids.dedup();
    let mut result = BulkResult {
        updated: Vec::new(),
        failed: Vec::new(),
    };
    for id in ids {
        match state
            .store()
            .update_ticket(principal.tenant_id, id, patch.clone(), &principal.actor())
            .await
            .map_err(ApiError::from_store("ticket"))
        {
            Ok(ticket) => result.updated.push(ticket),
            Err(err) => result.failed.push(BulkFailure {
                id,
                code: err.code,
                message: err.message,
            }),
        }
    }
    Ok(axum::Json(result))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateComment {
    pub body: String,
    /// `true` sends it to the customer; `false` (the default) is an internal note.
    #[serde(default)]
    pub public: bool,
    /// Files uploaded with `POST /api/v1/tickets/{id}/files` (at most 10); a public reply on
    /// an email ticket is mailed with them.
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/comments", tag = "tickets", request_body = CreateComment,
    responses((status = 201, body = CommentWithFiles), (status = 404, body = ErrorBody),
        (status = 409, description = "`ticket_closed`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_comment(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<CreateComment>,
) -> ApiResult<(StatusCode, axum::Json<CommentWithFiles>)> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    ticket_of(&state, &principal, id).await?;
    let mut attachment_ids = req.attachment_ids;
    attachment_ids.sort();
    attachment_ids.dedup();
    if attachment_ids.len() > kefu_core::attachment::MAX_ATTACHMENTS_PER_MESSAGE {
        return Err(ValidationErrors::single(
            "attachment_ids",
            "too_many",
            "at most 10 files per comment",
        )
        .into());
    }
    let new = NewComment {
        author_kind: if principal.user_id().is_some() {
            CommentAuthor::Agent
        } else {
            CommentAuthor::System
        },
        author_id: principal.user_id(),
        public: req.public,
        body: req.body,
    };
    // Internal notes tell the colleagues and departments they @mention.
    let mentions = if new.public {
        Vec::new()
    } else {
        mentioned(&state, principal.tenant_id, &new.body, principal.user_id()).await?
    };
    let (comment, _, attachments) = state
        .store()
        .add_comment_with_files(
            principal.tenant_id,
            id,
            new,
            &mentions,
            &attachment_ids,
            &principal.actor(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CommentWithFiles {
            comment,
            attachments,
        }),
    ))
}

/// The users a note @mentions: `@` followed by a user's display name, or by a service group's
/// name (all its members). Longer names win, so "@Li Na" is not also "@Li". The writer is left
/// out: nobody needs telling what they wrote.
async fn mentioned(
    state: &AppState,
    tenant_id: Uuid,
    body: &str,
    writer: Option<Uuid>,
) -> ApiResult<Vec<Uuid>> {
    if !body.contains(['@', '＠']) {
        return Ok(Vec::new());
    }
    let body = body.replace('＠', "@");
    let users = state
        .store()
        .list_users(tenant_id, &kefu_store::UserFilter::default(), None, 200)
        .await?
        .items;
    let groups = state.store().list_groups(tenant_id, None, 200).await?.items;
    let mut names: Vec<(String, Vec<Uuid>)> = users
        .iter()
        .map(|u| (u.display_name.clone(), vec![u.id]))
        .chain(
            groups
                .iter()
                .map(|g| (g.name.clone(), g.member_ids.clone())),
        )
        .filter(|(name, _)| !name.trim().is_empty())
        .collect();
    names.sort_by_key(|(name, _)| std::cmp::Reverse(name.chars().count()));
    let mut rest = body;
    let mut found = Vec::new();
    for (name, ids) in names {
        let handle = format!("@{name}");
        if rest.contains(&handle) {
            // Taken out so a shorter name inside it is not matched again.
            rest = rest.replace(&handle, " ");
            found.extend(ids);
        }
    }
    found.retain(|id| Some(*id) != writer);
    found.sort();
    found.dedup();
    Ok(found)
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/comments", tag = "tickets", params(super::PageQuery),
    responses((status = 200, description = "oldest first, internal notes included, each with its files", body = ListResponse<CommentWithFiles>), (status = 404, body = ErrorBody)))]
pub async fn list_comments(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Query(query): Query<super::PageQuery>,
) -> ApiResult<axum::Json<ListResponse<CommentWithFiles>>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let page = state
        .store()
        .list_comments(
            principal.tenant_id,
            id,
            true,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await
        .map_err(ApiError::from_store("ticket"))?;
    let page: ListResponse<TicketComment> = page.into();
    Ok(axum::Json(ListResponse {
        items: super::mails::with_files(&state, principal.tenant_id, id, page.items).await?,
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketFromConversation {
    /// Defaults to the customer's first message (shortened).
    pub subject: Option<String>,
    pub priority: Option<TicketPriority>,
    #[serde(rename = "type")]
    pub ticket_type: Option<TicketType>,
    /// The department to carry it on.
    pub group_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
}

/// Messages read for a transcript; a longer conversation keeps its first part.
pub(crate) const TRANSCRIPT_MESSAGES: u32 = 200;

/// Carries a conversation on as a ticket: the transcript (without internal notes) becomes
/// the description, and the ticket links back to the conversation.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/ticket", tag = "tickets", request_body = TicketFromConversation,
    responses((status = 201, body = Ticket), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ticket_from_conversation(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<TicketFromConversation>,
) -> ApiResult<(StatusCode, axum::Json<Ticket>)> {
    principal.require(Role::Agent, Scope::TicketsWrite)?;
    let store = state.store();
    let conversation = store
        .conversation(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("conversation"))?;
    let messages = store
        .list_messages(principal.tenant_id, id, false, None, TRANSCRIPT_MESSAGES)
        .await?
        .items;
    let transcript = transcript(&messages);
    let subject = req
        .subject
        .unwrap_or_else(|| transcript_subject(&conversation, &messages));
    let new = NewTicket {
        subject,
        description: transcript,
        requester_id: conversation.customer_id,
        channel: "chat".to_owned(),
        priority: req.priority.unwrap_or(TicketPriority::Normal),
        ticket_type: req.ticket_type.unwrap_or(TicketType::Question),
        tags: Vec::new(),
        assignee_id: req.assignee_id,
        group_id: req.group_id,
        conversation_id: Some(conversation.id),
        custom_fields: serde_json::Map::new(),
    };
    let actor: Actor = principal.actor();
    let ticket = store
        .create_ticket(principal.tenant_id, new, &actor)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(ticket)))
}

/// The customer's first line (shortened), else the conversation's id.
pub(crate) fn transcript_subject(
    conversation: &kefu_store::Conversation,
    messages: &[kefu_store::Message],
) -> String {
    messages
        .iter()
        .find(|m| m.sender_kind == SenderKind::Customer)
        .map(|m| m.body.lines().next().unwrap_or_default().trim().to_owned())
        .filter(|line| !line.is_empty())
        .map(|line| shorten(&line, 80))
        .unwrap_or_else(|| format!("Conversation {}", conversation.id))
}

/// `[time] who: text` per message, oldest first, within the description's limit.
pub(crate) fn transcript(messages: &[kefu_store::Message]) -> String {
    let mut text = String::new();
    for message in messages.iter().filter(|m| m.kind == MessageKind::Text) {
        let who = match message.sender_kind {
            SenderKind::Customer => "客户 Customer",
            SenderKind::Agent => "客服 Agent",
            SenderKind::Bot => "机器人 Bot",
            SenderKind::System => "系统 System",
        };
        let line = format!(
            "[{}] {who}: {}\n",
            message.created_at.format("%Y-%m-%d %H:%M"),
            message.body
        );
        if text.chars().count() + line.chars().count() > kefu_core::ticket::MAX_DESCRIPTION_CHARS {
            text.push_str("…\n");
            break;
        }
        text.push_str(&line);
    }
    text
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max_chars - 1).collect();
        short.push('…');
        short
    }
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct StatusLink {
    /// The secret that opens the ticket's status page; anyone holding it can read the public
    /// replies and answer, so it goes to the requester only.
    pub token: String,
    /// `/t/{token}` on this server.
    pub path: String,
    /// The whole link, when the server knows its public address (`public_url`).
    pub url: Option<String>,
}

/// The link that lets the requester follow a ticket without an account: `base` + `/t/{token}`.
pub(crate) fn status_link(base: Option<&str>, token: String) -> StatusLink {
    let path = format!("/t/{token}");
    StatusLink {
        url: base.map(|b| format!("{}{path}", b.trim_end_matches('/'))),
        path,
        token,
    }
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/status-link", tag = "tickets",
    responses((status = 200, body = StatusLink), (status = 404, body = ErrorBody)))]
pub async fn status_link_of(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<StatusLink>> {
    principal.require(Role::Agent, Scope::TicketsRead)?;
    let token = state
        .store()
        .ticket_status_token(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("ticket"))?;
    Ok(axum::Json(status_link(
        state.config().public_url.as_deref(),
        token,
    )))
}
