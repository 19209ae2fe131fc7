//! The customer side of conversations, for the web widget and mobile apps: a visitor session
//! per inbox (anonymous, or vouched for by the site with an HMAC), the visitor's conversations,
//! their messages (notes never shown) with idempotent sends, and the satisfaction rating.

use super::{ListResponse, check_limit, decode_cursor};
use crate::auth::{hash_token, new_token};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use crate::visitor::{VISITOR_TOKEN_PREFIX, VisitorPrincipal, user_hash_matches};
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::{ConversationStatus, IdentityKind, MessageKind, SenderKind, normalize_identity};
use kefu_store::{
    Actor, Conversation, ConversationFilter, Inbox, InboxTopic, Message, NewConversation,
    NewCustomer, NewIdentity, NewMessage, StoreError, VisitorCustomer,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSession {
    /// The token this browser or app got before; omit on the first visit.
    pub visitor_token: Option<String>,
    /// The site's own id for its signed-in user; needs `user_hash`.
    pub user_id: Option<String>,
    /// `hex(HMAC-SHA256(inbox secret, user_id))`, computed on the site's server.
    pub user_hash: Option<String>,
    /// A display name for a new customer.
    pub name: Option<String>,
}

/// What the widget needs to draw itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetInbox {
    pub id: Uuid,
    pub name: String,
    pub greeting: String,
    pub pre_chat_form: bool,
    pub topics: Vec<InboxTopic>,
    /// The service bot answers first; "人工"/"agent" reaches a person.
    pub bot_enabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetSession {
    /// Keep it (e.g. in localStorage) and send it as `Authorization: Bearer …`.
    pub visitor_token: String,
    pub customer_id: Uuid,
    pub inbox: WidgetInbox,
    /// The newest event sequence now: a new visitor's stream starts `after` it.
    pub last_seq: i64,
    pub service: ServiceNow,
}

/// Whether someone can answer now. When closed or nobody is available, the widget invites the
/// customer to leave a message: the conversation waits for the next agent all the same.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceNow {
    /// Inside the tenant's business hours (always, when none are set).
    pub open: bool,
    /// When the service opens next, while closed.
    pub next_open_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Agents available for chats right now.
    pub agents_available: u32,
}

pub(crate) async fn service_now(state: &AppState, tenant_id: Uuid) -> ApiResult<ServiceNow> {
    let tenant = state.store().tenant(tenant_id).await?;
    let hours = crate::hours::open_state(&tenant.settings.0, chrono::Utc::now());
    let live = state.routing().live(tenant_id).await?;
    let agents_available = live
        .agents
        .iter()
        .filter(|agent| agent.presence == "available" && agent.chat_capacity > 0)
        .count();
    Ok(ServiceNow {
        open: hours.open,
        next_open_at: hours.next_open_at,
        agents_available: u32::try_from(agents_available).unwrap_or(u32::MAX),
    })
}

impl From<&Inbox> for WidgetInbox {
    fn from(inbox: &Inbox) -> Self {
        WidgetInbox {
            id: inbox.id,
            name: inbox.name.clone(),
            greeting: inbox.settings.greeting.clone(),
            pre_chat_form: inbox.settings.pre_chat_form,
            topics: inbox.settings.topics.clone(),
            bot_enabled: inbox.settings.bot_enabled,
        }
    }
}

fn invalid_user_hash() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_user_hash",
        "user_hash does not match user_id for this inbox",
    )
}

/// The customer a site vouches for, found by its `app_user_id` identity or created with it.
async fn vouched_customer(
    state: &AppState,
    inbox: &Inbox,
    user_id: &str,
    name: Option<&str>,
) -> ApiResult<Uuid> {
    let value = normalize_identity(IdentityKind::AppUserId, user_id)?;
    match state
        .store()
        .customer_by_identity(inbox.tenant_id, IdentityKind::AppUserId, &value)
        .await
    {
        Ok(customer) => Ok(customer.id),
        Err(StoreError::NotFound) => {
            let tiers = super::tenant_tiers(state, inbox.tenant_id).await?;
            let new = NewCustomer {
                name: name.unwrap_or(&value).to_owned(),
                company: None,
                tier: tiers.lowest().to_owned(),
                tags: Vec::new(),
                attributes: Default::default(),
                identities: vec![NewIdentity {
                    kind: IdentityKind::AppUserId,
                    value,
                }],
            };
            Ok(state
                .store()
                .create_customer(inbox.tenant_id, new, &Actor::system())
                .await?
                .id)
        }
        Err(other) => Err(other.into()),
    }
}

#[utoipa::path(post, path = "/api/v1/widget/{inbox_id}/session", tag = "widget", security(()), request_body = StartSession,
    responses((status = 200, body = WidgetSession), (status = 401, description = "`invalid_visitor_token`, `invalid_user_hash`", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn start_session(
    State(state): State<AppState>,
    Path(inbox_id): Path<Uuid>,
    Json(req): Json<StartSession>,
) -> ApiResult<axum::Json<WidgetSession>> {
    let inbox = state
        .store()
        .inbox_by_public_id(inbox_id)
        .await
        .map_err(ApiError::from_store("inbox"))?;
    let name = req.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let vouched = match (&req.user_id, &req.user_hash) {
        (Some(user_id), Some(hash)) if user_hash_matches(&inbox.secret, user_id, hash) => {
            Some(vouched_customer(&state, &inbox, user_id, name).await?)
        }
        (None, None) => None,
        _ => return Err(invalid_user_hash()),
    };
    if let Some(token) = &req.visitor_token {
        let known = match state.store().visitor_by_token(&hash_token(token)).await {
            Ok(visitor) if visitor.inbox_id == inbox.id => visitor,
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_visitor_token",
                    "this visitor token is not valid for this inbox; start without it",
                ));
            }
            Err(other) => return Err(other.into()),
        };
        // The same browser, and (if vouched for) the same person: keep the token.
        if vouched.is_none_or(|customer| customer == known.customer_id) {
            return Ok(axum::Json(WidgetSession {
                visitor_token: token.clone(),
                customer_id: known.customer_id,
                inbox: (&inbox).into(),
                last_seq: state.store().last_event_seq(inbox.tenant_id).await?,
                service: service_now(&state, inbox.tenant_id).await?,
            }));
        }
    }
    let customer = match vouched {
        Some(customer_id) => VisitorCustomer::Existing(customer_id),
        None => {
            let tiers = super::tenant_tiers(&state, inbox.tenant_id).await?;
            VisitorCustomer::Anonymous {
                name: name.map_or_else(|| "Visitor".to_owned(), str::to_owned),
                tier: tiers.lowest().to_owned(),
            }
        }
    };
    let token = new_token(VISITOR_TOKEN_PREFIX);
    let visitor = state
        .store()
        .create_visitor(&inbox, &hash_token(&token), customer)
        .await?;
    Ok(axum::Json(WidgetSession {
        visitor_token: token,
        customer_id: visitor.customer_id,
        inbox: (&inbox).into(),
        last_seq: state.store().last_event_seq(inbox.tenant_id).await?,
        service: service_now(&state, inbox.tenant_id).await?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartConversation {
    /// One of the inbox's topic keys (from the pre-chat form).
    pub topic: Option<String>,
    /// The visitor's language, e.g. `zh-CN` or `en`; defaults to `zh-CN`.
    pub language: Option<String>,
    /// What the pre-chat form asked for.
    pub contact: Option<PreChatContact>,
}

/// Contact details a visitor typed in. They are unverified: a phone or email nobody has is
/// added to this customer (so later contacts on those channels find them); one that belongs
/// to another customer is kept as `unverified_phone`/`unverified_email` with `possible_match`
/// for an agent to check and merge, never attached, so typing someone's number reveals
/// nothing of theirs.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreChatContact {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

async fn apply_contact(
    state: &AppState,
    visitor: &VisitorPrincipal,
    contact: PreChatContact,
) -> ApiResult<()> {
    let mut errors = kefu_core::ValidationErrors::new();
    let name = contact
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if let Some(name) = &name {
        kefu_core::error::check_text(&mut errors, "contact.name", name, 100);
    }
    let mut claimed = Vec::new();
    for (field, kind, value) in [
        ("contact.phone", IdentityKind::Phone, &contact.phone),
        ("contact.email", IdentityKind::Email, &contact.email),
    ] {
        let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
            continue;
        };
        match normalize_identity(kind, value) {
            Ok(normalized) => claimed.push((kind, normalized)),
            Err(invalid) => {
                for error in invalid.errors {
                    errors.push(field, error.code, error.message);
                }
            }
        }
    }
    errors.into_result()?;
    let store = state.store();
    let tenant = visitor.tenant_id;
    let actor = visitor.actor();
    let customer = store.customer(tenant, visitor.customer_id).await?;
    let mut attributes = customer.attributes.clone();
    for (kind, value) in claimed {
        match store.customer_by_identity(tenant, kind, &value).await {
            Ok(owner) if owner.id == customer.id => {}
            Ok(owner) => {
                attributes.insert(format!("unverified_{}", kind.as_str()), value.into());
                attributes.insert("possible_match".into(), owner.id.to_string().into());
            }
            Err(StoreError::NotFound) => {
                store
                    .add_identity(tenant, customer.id, NewIdentity { kind, value }, &actor)
                    .await?;
            }
            Err(other) => return Err(other.into()),
        }
    }
    // A site that signs its users in knows their name better than a form does.
    let vouched = customer
        .identities
        .iter()
        .any(|identity| identity.kind == IdentityKind::AppUserId);
    let rename = name.filter(|_| !vouched);
    if rename.is_some() || attributes != customer.attributes {
        let patch = kefu_store::CustomerPatch {
            name: rename,
            attributes: Some(attributes).filter(|a| *a != customer.attributes),
            ..Default::default()
        };
        store
            .update_customer(tenant, customer.id, patch, &actor)
            .await?;
    }
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/widget/conversations", tag = "widget", security(("visitor" = [])), request_body = StartConversation,
    responses((status = 201, body = Conversation), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_conversation(
    State(state): State<AppState>,
    visitor: VisitorPrincipal,
    Json(req): Json<StartConversation>,
) -> ApiResult<(StatusCode, axum::Json<Conversation>)> {
    let inbox = state
        .store()
        .inbox(visitor.tenant_id, visitor.inbox_id)
        .await?;
    if let Some(topic) = &req.topic
        && !inbox.settings.topics.iter().any(|t| &t.key == topic)
    {
        return Err(kefu_core::ValidationErrors::single(
            "topic",
            "unknown_topic",
            "not one of this inbox's topics",
        )
        .into());
    }
    let language = kefu_core::agent::normalize_language(req.language.as_deref().unwrap_or("zh-CN"))
        .ok_or_else(|| {
            kefu_core::ValidationErrors::single(
                "language",
                "invalid_language",
                "a language tag such as zh-CN or en",
            )
        })?;
    if let Some(contact) = req.contact {
        apply_contact(&state, &visitor, contact).await?;
    }
    let conversation = state
        .store()
        .start_conversation(
            visitor.tenant_id,
            NewConversation {
                inbox_id: inbox.id,
                customer_id: visitor.customer_id,
                // With the bot the conversation is not offered to agents until it hands off.
                status: if inbox.settings.bot_enabled {
                    ConversationStatus::Bot
                } else {
                    ConversationStatus::Queued
                },
                language,
                topic: req.topic,
                priority: 0,
            },
            &visitor.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(conversation)))
}

#[utoipa::path(get, path = "/api/v1/widget/conversations", tag = "widget", security(("visitor" = [])),
    responses((status = 200, body = Vec<Conversation>), (status = 401, body = ErrorBody)))]
pub async fn list_conversations(
    State(state): State<AppState>,
    visitor: VisitorPrincipal,
) -> ApiResult<axum::Json<Vec<Conversation>>> {
    let filter = ConversationFilter {
        customer_id: Some(visitor.customer_id),
        inbox_id: Some(visitor.inbox_id),
        ..Default::default()
    };
    let page = state
        .store()
        .list_conversations(visitor.tenant_id, &filter, None, 50)
        .await?;
    Ok(axum::Json(page.items))
}

/// The visitor's own conversation, or 404: another customer's conversation does not exist here.
pub(crate) async fn own_conversation(
    state: &AppState,
    visitor: &VisitorPrincipal,
    id: Uuid,
) -> ApiResult<Conversation> {
    let conversation = state
        .store()
        .conversation(visitor.tenant_id, id)
        .await
        .map_err(ApiError::from_store("conversation"))?;
    if conversation.customer_id == visitor.customer_id && conversation.inbox_id == visitor.inbox_id
    {
        Ok(conversation)
    } else {
        Err(ApiError::not_found("conversation"))
    }
}

#[utoipa::path(get, path = "/api/v1/widget/conversations/{id}/messages", tag = "widget", security(("visitor" = [])), params(super::PageQuery),
    responses((status = 200, body = ListResponse<Message>), (status = 404, body = ErrorBody)))]
pub async fn list_messages(
    State(state): State<AppState>,
    visitor: VisitorPrincipal,
    Path(id): Path<Uuid>,
    Query(query): Query<super::PageQuery>,
) -> ApiResult<axum::Json<ListResponse<Message>>> {
    own_conversation(&state, &visitor, id).await?;
    let page = state
        .store()
        .list_messages(
            visitor.tenant_id,
            id,
            false,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await?;
    Ok(axum::Json(page.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// May be empty when the message carries files.
    #[serde(default)]
    pub body: String,
    /// The client's own id for this message: a retry with the same id is stored once.
    pub client_msg_id: Option<String>,
    /// Files uploaded to this conversation (POST …/attachments) and not sent yet; at most 10.
    #[serde(default)]
    pub attachment_ids: Vec<Uuid>,
    /// The bot's "did you mean" choice the customer picked (its `faq_id`): the bot answers
    /// that FAQ instead of matching the text.
    pub faq_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/api/v1/widget/conversations/{id}/messages", tag = "widget", security(("visitor" = [])), request_body = SendMessage,
    responses((status = 201, description = "stored", body = Message), (status = 200, description = "a retry of a stored message", body = Message),
        (status = 409, description = "`conversation_closed`: start a new conversation", body = ErrorBody),
        (status = 422, description = "`required` (no body and no files), `unknown_attachment`, `attachment_already_sent`, …", body = ErrorBody)))]
pub async fn send_message(
    State(state): State<AppState>,
    visitor: VisitorPrincipal,
    Path(id): Path<Uuid>,
    Json(req): Json<SendMessage>,
) -> ApiResult<(StatusCode, axum::Json<Message>)> {
    let conversation = own_conversation(&state, &visitor, id).await?;
    let new = NewMessage {
        sender_kind: SenderKind::Customer,
        sender_id: None,
        kind: MessageKind::Text,
        body: req.body,
        client_msg_id: req.client_msg_id,
        attachment_ids: req.attachment_ids,
    };
    let (status, message) = super::post_to_conversation(
        &state,
        visitor.tenant_id,
        &conversation,
        new,
        &visitor.actor(),
    )
    .await?;
    // The bot's reply is an event like any message: the widget gets it over its socket. A
    // retry whose first copy was answered is not answered again.
    crate::bot::take_turn(
        &state,
        visitor.tenant_id,
        &conversation,
        &message.0,
        req.faq_id,
    )
    .await;
    Ok((status, message))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotFeedback {
    /// Whether the bot's answer helped.
    pub helpful: bool,
}

/// "Was this helpful?" on one of the bot's answers in the visitor's conversation; once.
#[utoipa::path(post, path = "/api/v1/widget/conversations/{id}/messages/{message_id}/feedback", tag = "widget", security(("visitor" = [])), request_body = BotFeedback,
    responses((status = 200, description = "the answer with its feedback", body = Message), (status = 404, body = ErrorBody),
        (status = 409, description = "`feedback_given`, `not_a_bot_answer`", body = ErrorBody)))]
pub async fn bot_feedback(
    State(state): State<AppState>,
    visitor: VisitorPrincipal,
    Path((id, message_id)): Path<(Uuid, Uuid)>,
    Json(req): Json<BotFeedback>,
) -> ApiResult<axum::Json<Message>> {
    own_conversation(&state, &visitor, id).await?;
    Ok(axum::Json(
        state
            .store()
            .bot_feedback(
                visitor.tenant_id,
                id,
                message_id,
                req.helpful,
                &visitor.actor(),
            )
            .await
            .map_err(ApiError::from_store("message"))?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateConversation {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub rating: i64,
    pub comment: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/widget/conversations/{id}/rating", tag = "widget", security(("visitor" = [])), request_body = RateConversation,
    responses((status = 200, body = Conversation), (status = 409, description = "`conversation_not_resolved`, `already_rated`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate(
    State(state): State<AppState>,
    visitor: VisitorPrincipal,
    Path(id): Path<Uuid>,
    Json(req): Json<RateConversation>,
) -> ApiResult<axum::Json<Conversation>> {
    own_conversation(&state, &visitor, id).await?;
    let comment = req
        .comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    Ok(axum::Json(
        state
            .store()
            .rate_conversation(visitor.tenant_id, id, req.rating, comment, &visitor.actor())
            .await?,
    ))
}

/// Where the visitor's waiting conversation stands: position and estimated wait.
#[utoipa::path(get, path = "/api/v1/widget/conversations/{id}/standing", tag = "widget", security(("visitor" = [])),
    responses((status = 200, body = crate::routing::QueueStanding), (status = 404, body = ErrorBody),
        (status = 409, description = "`not_waiting`: an agent has it, or it ended", body = ErrorBody)))]
pub async fn standing(
    State(state): State<AppState>,
    visitor: VisitorPrincipal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<crate::routing::QueueStanding>> {
    own_conversation(&state, &visitor, id).await?;
    state
        .routing()
        .standing(visitor.tenant_id, id)
        .await?
        .map(axum::Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "not_waiting",
                "the conversation is not waiting in a queue",
            )
        })
}

/// Tells the agents watching the conversation that the customer is typing. Send it every few
/// seconds while typing; it is never logged (see `POST /conversations/{id}/typing`).
#[utoipa::path(post, path = "/api/v1/widget/conversations/{id}/typing", tag = "widget", security(("visitor" = [])),
    responses((status = 204, description = "told"), (status = 404, body = ErrorBody)))]
pub async fn typing(
    State(state): State<AppState>,
    visitor: VisitorPrincipal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let conversation = own_conversation(&state, &visitor, id).await?;
    state.signals().typing(
        visitor.tenant_id,
        conversation.id,
        conversation.customer_id,
        crate::signals::Typist::Customer,
    );
    Ok(StatusCode::NO_CONTENT)
}
