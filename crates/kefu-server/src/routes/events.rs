//! The tenant's event log, read from a sequence number on: how integrations and reconnecting
//! clients catch up on every change without losing one.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::state::AppState;
use axum::extract::State;
use kefu_core::{Role, Scope};
use kefu_store::Event;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListEvents {
    /// Return events with a sequence number above this (0 for the beginning).
    #[serde(default)]
    pub after: i64,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventsResponse {
    pub events: Vec<Event>,
    /// The newest sequence number of the tenant when this answer was made.
    pub last_seq: i64,
}

#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(ListEvents), responses((status = 200, body = EventsResponse), (status = 403, body = crate::error::ErrorBody)))]
pub async fn list_events(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListEvents>,
) -> ApiResult<axum::Json<EventsResponse>> {
    principal.require(Role::Supervisor, Scope::EventsRead)?;
    let limit = query.limit.unwrap_or(100);
    if query.after < 0 || !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "after is ≥ 0 and limit between 1 and 1000",
        ));
    }
    let last_seq = state.store().last_event_seq(principal.tenant_id).await?;
    let events = state
        .store()
        .events_since(principal.tenant_id, query.after, limit)
        .await?;
    Ok(axum::Json(EventsResponse { events, last_seq }))
}
