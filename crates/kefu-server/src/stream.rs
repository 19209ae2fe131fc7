//! The real-time gateway: a WebSocket that replays a tenant's event log after the sequence the
//! client last saw, then follows it live. Events are read from the log, never from memory, so a
//! reconnect resumes with no gap and no duplicate, and a slow client simply reads further back.
//! Visitors see only their own conversations and never an internal note.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::hub::{LOG_BATCH, customer_of};
use crate::signals::{Signal, SignalReceiver};
use crate::state::AppState;
use crate::visitor::VisitorPrincipal;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message as Frame, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use kefu_core::{Role, Scope};
use kefu_store::{Event, Store, StoreError};
use serde::Deserialize;
use std::collections::HashSet;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use utoipa::IntoParams;
use uuid::Uuid;

/// A ping this often keeps proxies from closing idle sockets and finds dead peers.
const HEARTBEAT: Duration = Duration::from_secs(20);
/// Close code telling clients the server is restarting: reconnect with the last seq.
const CLOSE_RECONNECT: u16 = 1012;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// The last sequence number the client has; events after it are sent (0 replays the whole
    /// log). Without it the socket starts at the newest event and only follows.
    pub after: Option<i64>,
    /// Browsers cannot set headers on a WebSocket: the token may come here instead.
    pub token: Option<String>,
}

/// Who is listening, and therefore which events they may see.
enum Audience {
    Staff,
    Visitor {
        customer_id: Uuid,
        inbox_id: Uuid,
        conversations: HashSet<Uuid>,
    },
}

impl Audience {
    /// The signals (typing) this audience hears; a visitor's are their customer's only.
    fn signals(&self, state: &AppState, tenant_id: Uuid) -> SignalReceiver {
        match self {
            Audience::Staff => state.signals().subscribe_staff(tenant_id),
            Audience::Visitor { customer_id, .. } => {
                state.signals().subscribe_customer(tenant_id, *customer_id)
            }
        }
    }

    /// Whether this audience may hear the signal: staff all of them, a visitor those meant for
    /// the customer in their own conversations.
    fn hears(&self, signal: &Signal) -> bool {
        match self {
            Audience::Staff => true,
            Audience::Visitor { conversations, .. } => {
                signal.for_customer && conversations.contains(&signal.conversation_id)
            }
        }
    }

    fn listener(&self) -> crate::hub::Listener {
        match self {
            Audience::Staff => crate::hub::Listener::Staff,
            Audience::Visitor { customer_id, .. } => crate::hub::Listener::Customer(*customer_id),
        }
    }

    /// Whether this audience may see the event. Cheap: it runs for every socket on every event.
    fn admits(&mut self, event: &Event) -> bool {
        let Audience::Visitor {
            customer_id,
            inbox_id,
            conversations,
        } = self
        else {
            return true;
        };
        let Some(id) = event
            .entity_id
            .filter(|_| event.entity_type == "conversation")
        else {
            return false;
        };
        let payload = &event.payload.0;
        // A conversation becomes the visitor's when it is created for them in their inbox.
        if event.kind == "conversation.created"
            && customer_of(event) == Some(*customer_id)
            && payload["conversation"]["inbox_id"].as_str() == Some(&inbox_id.to_string())
        {
            conversations.insert(id);
        }
        conversations.contains(&id) && payload["visible_to_customer"] != false
    }
}

/// Authenticates a socket request: browsers cannot set headers on a WebSocket, so a
/// `?token=` is moved into the Authorization header and the usual extractor decides.
async fn authenticate<P>(
    state: &AppState,
    request: axum::extract::Request,
    token: Option<&str>,
) -> ApiResult<P>
where
    P: axum::extract::FromRequestParts<AppState, Rejection = ApiError>,
{
    let (mut parts, _) = request.into_parts();
    if let Some(token) = token
        && let Ok(value) = axum::http::HeaderValue::from_str(&format!("Bearer {token}"))
    {
        parts
            .headers
            .insert(axum::http::header::AUTHORIZATION, value);
    }
    P::from_request_parts(&mut parts, state).await
}

#[utoipa::path(get, path = "/api/v1/stream", tag = "events", params(StreamQuery),
    responses((status = 101, description = "WebSocket: `{\"type\":\"event\",seq,kind,entity_type,entity_id,payload,created_at}` frames after `after`, then `{\"type\":\"live\",last_seq}` once caught up; close code 1012 means reconnect"), (status = 401, body = crate::error::ErrorBody)))]
pub async fn staff_stream(
    State(state): State<AppState>,
    Query(query): Query<StreamQuery>,
    upgrade: WebSocketUpgrade,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    let principal: Principal = authenticate(&state, request, query.token.as_deref()).await?;
    principal.require(Role::Agent, Scope::EventsRead)?;
    let client = match &principal.credential {
        crate::auth::Credential::User { user_id, .. } => *user_id,
        crate::auth::Credential::Token { token_id, .. } => *token_id,
    };
    let permit = state.sockets().admit(client)?;
    let tenant_id = principal.tenant_id;
    let workspace = principal
        .user_id()
        .map(|user| state.workspaces().open(tenant_id, user));
    Ok(sized(upgrade).on_upgrade(move |socket| async move {
        // Counted until the socket ends: the agent's workspace is open meanwhile.
        let _workspace = workspace;
        let _permit = permit;
        follow(state, socket, tenant_id, query.after, Audience::Staff).await;
    }))
}

#[utoipa::path(get, path = "/api/v1/widget/stream", tag = "widget", security(("visitor" = [])), params(StreamQuery),
    responses((status = 101, description = "WebSocket of the visitor's own conversations: their state changes and the messages the customer may see"), (status = 401, body = crate::error::ErrorBody)))]
pub async fn visitor_stream(
    State(state): State<AppState>,
    Query(query): Query<StreamQuery>,
    upgrade: WebSocketUpgrade,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    let visitor: VisitorPrincipal = authenticate(&state, request, query.token.as_deref()).await?;
    let permit = state.sockets().admit(visitor.customer_id)?;
    let audience = Audience::Visitor {
        customer_id: visitor.customer_id,
        inbox_id: visitor.inbox_id,
        conversations: own_conversations(state.store(), &visitor).await?,
    };
    Ok(sized(upgrade).on_upgrade(move |socket| async move {
        let _permit = permit;
        follow(state, socket, visitor.tenant_id, query.after, audience).await;
    }))
}

async fn own_conversations(store: &Store, visitor: &VisitorPrincipal) -> ApiResult<HashSet<Uuid>> {
    let filter = kefu_store::ConversationFilter {
        customer_id: Some(visitor.customer_id),
        inbox_id: Some(visitor.inbox_id),
        ..Default::default()
    };
    let mut ids = HashSet::new();
    let mut before = None;
    loop {
        let page = store
            .list_conversations(visitor.tenant_id, &filter, before, 200)
            .await
            .map_err(ApiError::from)?;
        ids.extend(page.items.iter().map(|c| c.id));
        match page.next_after {
            Some(next) => before = Some(next),
            None => return Ok(ids),
        }
    }
}

/// Buffers sized for thousands of mostly idle sockets: the default 128 KiB read buffer per
/// socket would dominate memory, and clients only ever send pings and a close.
fn sized(upgrade: WebSocketUpgrade) -> WebSocketUpgrade {
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(64 * 1024)
}

/// Sends what the log holds after `last_seq`; returns the new last sequence seen.
async fn catch_up(
    store: &Store,
    socket: &mut WebSocket,
    tenant_id: Uuid,
    mut last_seq: i64,
    audience: &mut Audience,
) -> Result<i64, StreamEnd> {
    loop {
        let events = store.events_since(tenant_id, last_seq, LOG_BATCH).await?;
        for event in &events {
            last_seq = event.seq;
            if audience.admits(event) {
                socket
                    .send(Frame::Text(crate::hub::render(event)))
                    .await
                    .map_err(|_| StreamEnd::PeerGone)?;
            }
        }
        if events.len() < LOG_BATCH as usize {
            return Ok(last_seq);
        }
    }
}

enum StreamEnd {
    PeerGone,
    Closing,
    Store(StoreError),
}

impl From<StoreError> for StreamEnd {
    fn from(err: StoreError) -> Self {
        StreamEnd::Store(err)
    }
}

async fn follow(
    state: AppState,
    mut socket: WebSocket,
    tenant_id: Uuid,
    after: Option<i64>,
    mut audience: Audience,
) {
    // Subscribe before reading the log, so an event committed in between is in one or the other.
    let listener = audience.listener();
    let mut live = state.hubs().subscribe(tenant_id, listener);
    let mut signals = audience.signals(&state, tenant_id);
    let mut closing = state.closing();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let store = state.store().clone();
    let start = match after {
        Some(after) => Ok(after.max(0)),
        None => store.last_event_seq(tenant_id).await,
    };
    let start = match start {
        Ok(seq) => seq,
        Err(err) => return finish(socket, StreamEnd::Store(err)).await,
    };
    let mut last_seq = match catch_up(&store, &mut socket, tenant_id, start, &mut audience).await {
        Ok(seq) => seq,
        Err(end) => return finish(socket, end).await,
    };
    let ready = serde_json::json!({"type": "live", "last_seq": last_seq}).to_string();
    if socket.send(Frame::Text(ready.into())).await.is_err() {
        return;
    }
    let end = loop {
        // The next event for this socket, or `None` when the log must be read again.
        let next = tokio::select! {
            received = live.recv() => match received {
                // The hub delivers every event of this listener in order; older ones were
                // already read from the log.
                Ok(live) if live.event.seq <= last_seq => continue,
                Ok(live) => Some(live),
                // This socket fell behind the hub: the log has everything.
                Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => {
                    live = state.hubs().subscribe(tenant_id, listener);
                    None
                }
            },
            signal = signals.recv() => {
                match signal {
                    Ok(signal) => {
                        if audience.hears(&signal)
                            && socket.send(Frame::Text(signal.frame.clone())).await.is_err()
                        {
                            break StreamEnd::PeerGone;
                        }
                    }
                    // Typing a few seconds old means nothing: missed signals are not resent.
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => signals = audience.signals(&state, tenant_id),
                }
                continue;
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Frame::Close(_))) | None | Some(Err(_)) => break StreamEnd::PeerGone,
                Some(Ok(_)) => continue,
            },
            _ = heartbeat.tick() => {
                if socket.send(Frame::Ping(Default::default())).await.is_err() {
                    break StreamEnd::PeerGone;
                }
                continue;
            }
            () = crate::state::until_closing(&mut closing) => break StreamEnd::Closing,
        };
        match next {
            Some(live) => {
                last_seq = live.event.seq;
                if audience.admits(&live.event)
                    && socket.send(Frame::Text(live.frame.clone())).await.is_err()
                {
                    break StreamEnd::PeerGone;
                }
            }
            None => match catch_up(&store, &mut socket, tenant_id, last_seq, &mut audience).await {
                Ok(seq) => last_seq = seq,
                Err(end) => break end,
            },
        }
    };
    finish(socket, end).await;
}

/// Says goodbye in the way the ending calls for.
async fn finish(mut socket: WebSocket, end: StreamEnd) {
    let (code, reason) = match end {
        StreamEnd::PeerGone => return,
        StreamEnd::Closing => (CLOSE_RECONNECT, "server restarting; reconnect"),
        StreamEnd::Store(err) => {
            tracing::warn!(%err, "event stream stopped: the log could not be read");
            (1011, "event log unavailable; reconnect")
        }
    };
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    let _ = socket.send(Frame::Close(Some(frame))).await;
}
