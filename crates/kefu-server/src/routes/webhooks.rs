//! Outgoing webhooks (for CRM and order systems): admins register a receiver URL and the event
//! kinds it wants, get the signing secret once, read the delivery log and redeliver by hand.

use super::{ListResponse, check_limit, decode_cursor};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::{Role, Scope, ValidationErrors};
use kefu_store::{Delivery, NewWebhook, Webhook, WebhookPatch};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

const MAX_URL: usize = 2000;
const MAX_PATTERNS: usize = 50;
const MAX_PATTERN: usize = 100;
const MAX_DESCRIPTION: usize = 500;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where events are POSTed (http or https).
    #[schema(example = "https://crm.example.com/hooks/kefu")]
    pub url: String,
    /// Event kinds (`ticket.created`), prefixes (`ticket.*`) or `*` for every event.
    #[schema(example = json!(["ticket.*", "conversation.resolved"]))]
    pub events: Vec<String>,
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// An empty string clears it.
    pub description: Option<String>,
    /// Paused webhooks get no deliveries for events while paused.
    pub active: Option<bool>,
}

/// A new webhook with its secret: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// Verify `X-Kefu-Signature: t=<unix>,v1=<hex>` as HMAC-SHA256(secret, "<t>.<raw body>").
    pub secret: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListDeliveries {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

fn check_url(errors: &mut ValidationErrors, url: &str) -> String {
    let url = url.trim();
    let parsed = reqwest::Url::parse(url);
    let ok = url.chars().count() <= MAX_URL
        && parsed.as_ref().is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        });
    if !ok {
        errors.push(
            "url",
            "invalid_url",
            "an http or https URL with a host, at most 2000 characters",
        );
    }
    url.to_owned()
}

/// Kinds are lower-case words joined by dots; a trailing `*` takes every kind with that prefix.
fn check_events(errors: &mut ValidationErrors, events: &[String]) -> Vec<String> {
    if events.is_empty() || events.len() > MAX_PATTERNS {
        errors.push(
            "events",
            "invalid_length",
            "between 1 and 50 event patterns",
        );
    }
    let mut out = Vec::new();
    for (i, pattern) in events.iter().enumerate() {
        let pattern = pattern.trim();
        let body = pattern.strip_suffix('*').unwrap_or(pattern);
        let valid = pattern.len() <= MAX_PATTERN
            && !pattern.is_empty()
            && body
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        if valid {
            if !out.iter().any(|p| p == pattern) {
                out.push(pattern.to_owned());
            }
        } else {
            errors.push(
                format!("events[{i}]"),
                "invalid_pattern",
                "an event kind like ticket.created, a prefix like ticket.*, or *",
            );
        }
    }
    out
}

fn check_description(errors: &mut ValidationErrors, description: &str) -> Option<String> {
    if description.chars().count() > MAX_DESCRIPTION {
        errors.push(
            "description",
            "too_long",
            "description must be at most 500 characters",
        );
    }
    Some(description.trim().to_owned()).filter(|d| !d.is_empty())
}

fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

fn manage(principal: &Principal) -> ApiResult<()> {
    principal.require(Role::Admin, Scope::WebhooksWrite)
}

/// After a change, tell the runtime whether the tenant still has webhooks to feed.
async fn refresh(state: &AppState, tenant_id: Uuid) -> ApiResult<()> {
    let hooks = state.store().list_webhooks(tenant_id).await?;
    state
        .webhooks()
        .changed(tenant_id, hooks.iter().any(|h| h.active));
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<Webhook>), (status = 403, body = ErrorBody)))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<Vec<Webhook>>> {
    manage(&principal)?;
    Ok(axum::Json(
        state.store().list_webhooks(principal.tenant_id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhook,
    responses((status = 201, body = CreatedWebhook), (status = 403, body = ErrorBody),
        (status = 422, description = "`invalid_url`, `invalid_pattern`, …", body = ErrorBody)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateWebhook>,
) -> ApiResult<(StatusCode, axum::Json<CreatedWebhook>)> {
    manage(&principal)?;
    let mut errors = ValidationErrors::new();
    let url = check_url(&mut errors, &req.url);
    let events = check_events(&mut errors, &req.events);
    let description = req
        .description
        .as_deref()
        .and_then(|d| check_description(&mut errors, d));
    errors.into_result()?;
    let secret = new_secret();
    let webhook = state
        .store()
        .create_webhook(
            principal.tenant_id,
            NewWebhook {
                url,
                secret: secret.clone(),
                events,
                description,
            },
            &principal.actor(),
        )
        .await?;
    refresh(&state, principal.tenant_id).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedWebhook { webhook, secret }),
    ))
}

#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)), request_body = UpdateWebhook,
    responses((status = 200, body = Webhook), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_webhook(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateWebhook>,
) -> ApiResult<axum::Json<Webhook>> {
    manage(&principal)?;
    let mut errors = ValidationErrors::new();
    let patch = WebhookPatch {
        url: req.url.as_deref().map(|u| check_url(&mut errors, u)),
        events: req.events.as_deref().map(|e| check_events(&mut errors, e)),
        description: req
            .description
            .as_deref()
            .map(|d| check_description(&mut errors, d)),
        active: req.active,
    };
    errors.into_result()?;
    let webhook = state
        .store()
        .update_webhook(principal.tenant_id, id, patch, &principal.actor())
        .await
        .map_err(ApiError::from_store("webhook"))?;
    refresh(&state, principal.tenant_id).await?;
    Ok(axum::Json(webhook))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted with its delivery log"), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    manage(&principal)?;
    state
        .store()
        .delete_webhook(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("webhook"))?;
    refresh(&state, principal.tenant_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The delivery log: each event sent to this webhook, its attempts and the last outcome.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = Uuid, Path), ListDeliveries),
    responses((status = 200, description = "newest first", body = ListResponse<Delivery>), (status = 404, body = ErrorBody)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Query(query): Query<ListDeliveries>,
) -> ApiResult<axum::Json<ListResponse<Delivery>>> {
    manage(&principal)?;
    let page = state
        .store()
        .list_deliveries(
            principal.tenant_id,
            id,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await
        .map_err(ApiError::from_store("webhook"))?;
    Ok(axum::Json(page.into()))
}

/// Sends the delivery again now, with a fresh set of attempts (after fixing the receiver).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "webhooks",
    params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)),
    responses((status = 200, body = Delivery), (status = 404, body = ErrorBody)))]
pub async fn redeliver(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, delivery_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<Delivery>> {
    manage(&principal)?;
    let delivery = state
        .store()
        .redeliver(principal.tenant_id, id, delivery_id)
        .await
        .map_err(ApiError::from_store("delivery"))?;
    refresh(&state, principal.tenant_id).await?;
    Ok(axum::Json(delivery))
}
