//! The REST API under `/api/v1`, one module per resource. Handlers parse, check the caller's
//! rights, call the domain rules and the store, and shape the answer; they own no rules.

pub mod articles;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod bot;
pub mod canned;
pub mod conversations;
pub mod customers;
pub mod events;
pub mod groups;
pub mod help;
pub mod kb_search;
pub mod knowledge;
pub mod mailboxes;
pub mod mails;
pub mod report_schedules;
pub mod reports;
pub mod scenarios;
pub mod sla;
pub mod tenant;
pub mod ticket_fields;
pub mod ticket_followers;
pub mod ticket_links;
pub mod ticket_status;
pub mod ticket_views;
pub mod tickets;
pub mod tokens;
pub mod triggers;
pub mod users;
pub mod webhooks;
pub mod wfm;
pub mod widget;

use crate::error::{ApiError, ApiResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kefu_store::Page;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// One page of a list. Pass `next_cursor` as `cursor` to get the next; it is absent on the last page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> From<Page<T>> for ListResponse<T> {
    fn from(page: Page<T>) -> Self {
        ListResponse {
            items: page.items,
            next_cursor: page
                .next_after
                .map(|id| URL_SAFE_NO_PAD.encode(id.as_bytes())),
        }
    }
}

/// The paging parameters of a list with no filters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Default number of items per page; at most 200 may be asked for.
pub const DEFAULT_LIMIT: u32 = 50;

/// Decodes an opaque cursor back to the id a page resumes after.
pub fn decode_cursor(cursor: Option<&str>) -> ApiResult<Option<Uuid>> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request("invalid_cursor", "the cursor is not one this API gave out")
        })
}

pub fn check_limit(limit: Option<u32>) -> ApiResult<u32> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        limit @ 1..=200 => Ok(limit),
        _ => Err(ApiError::bad_request(
            "invalid_limit",
            "limit is between 1 and 200",
        )),
    }
}

/// The tenant's configured customer tiers (normal < silver < gold < VIP by default).
pub async fn tenant_tiers(
    state: &crate::state::AppState,
    tenant_id: Uuid,
) -> ApiResult<kefu_core::TierSet> {
    Ok(state.store().tenant(tenant_id).await?.settings.0.tiers)
}

/// Posts a message with its inbox's reopen window: 201 when stored, 200 when it was a retry.
pub async fn post_to_conversation(
    state: &crate::state::AppState,
    tenant_id: Uuid,
    conversation: &kefu_store::Conversation,
    new: kefu_store::NewMessage,
    actor: &kefu_store::Actor,
) -> ApiResult<(axum::http::StatusCode, axum::Json<kefu_store::Message>)> {
    let inbox = state
        .store()
        .inbox(tenant_id, conversation.inbox_id)
        .await?;
    let posted = state
        .store()
        .post_message(
            tenant_id,
            conversation.id,
            new,
            inbox.settings.reopen_window_secs,
            actor,
        )
        .await?;
    let status = if posted.created {
        axum::http::StatusCode::CREATED
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, axum::Json(posted.message)))
}

/// A comma-separated list in a query (`status=open,pending`): each name parsed by `parse`, or
/// 400 naming the bad one. Empty names (`status=`, a trailing comma) ask for nothing.
pub fn parse_list<T>(
    text: Option<&str>,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> ApiResult<Vec<T>> {
    text.iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| {
            parse(name).ok_or_else(|| {
                ApiError::bad_request("invalid_query", format!("unknown {what} {name:?}"))
            })
        })
        .collect()
}

/// `assignee=me` (the signed-in user) or a user id.
pub fn parse_assignee(
    principal: &crate::auth::Principal,
    assignee: Option<&str>,
) -> ApiResult<Option<Uuid>> {
    match assignee {
        None => Ok(None),
        Some("me") => principal.user_id().map(Some).ok_or_else(|| {
            ApiError::bad_request("invalid_query", "assignee=me needs a signed-in user")
        }),
        Some(id) => id
            .parse::<Uuid>()
            .map(Some)
            .map_err(|_| ApiError::bad_request("invalid_query", "assignee is `me` or a user id")),
    }
}

#[cfg(test)]
mod list_tests {
    #![allow(clippy::unwrap_used)]
    use super::parse_list;
    use kefu_core::ConversationStatus;

    #[test]
    fn a_list_skips_empty_names_and_names_the_unknown_one() {
        let parse = |text| parse_list(text, "conversation status", ConversationStatus::parse);
        assert!(parse(None).unwrap().is_empty());
        assert!(parse(Some("")).unwrap().is_empty());
        assert_eq!(
            parse(Some(" queued, ,assigned,")).unwrap(),
            [ConversationStatus::Queued, ConversationStatus::Assigned]
        );
        let err = parse(Some("queued,waiting")).unwrap_err();
        assert_eq!(err.code, "invalid_query");
        assert!(err.message.contains("\"waiting\""), "{}", err.message);
    }
}
