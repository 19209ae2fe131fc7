//! Bot scenarios and business actions over HTTP: the tenant's integrations (admins; the
//! secret is write-only), guided scenarios with their revisions, a test call of an integration
//! and "try the bot", which walks scenarios with the state kept by the caller.

use super::ListResponse;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::integrations::{DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::{Role, Scope, ValidationErrors};
use kefu_knowledge::scenario::{BusinessAction, ScenarioState, Step, check_steps, valid_slot_name};
use kefu_store::{
    FaqStatus, Integration, IntegrationPatch, NewIntegration, NewScenario, Scenario, ScenarioPatch,
    ScenarioRevision,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

const MAX_NAME_CHARS: usize = 100;
const MAX_URL_CHARS: usize = 2000;
const MAX_PATH_CHARS: usize = 500;
const MAX_SECRET_CHARS: usize = 1000;
const MAX_TRIGGERS: usize = 100;
const MAX_TRIGGER_CHARS: usize = 500;

fn read_integrations(principal: &Principal) -> ApiResult<()> {
    principal.require(Role::Supervisor, Scope::KbRead)
}

fn write_integrations(principal: &Principal) -> ApiResult<()> {
    principal.require(Role::Admin, Scope::KbWrite)
}

fn read_scenarios(principal: &Principal) -> ApiResult<()> {
    principal.require(Role::Agent, Scope::KbRead)
}

fn write_scenarios(principal: &Principal) -> ApiResult<()> {
    principal.require(Role::Supervisor, Scope::KbWrite)
}

fn check_name(errors: &mut ValidationErrors, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        errors.push("name", "invalid_name", "1 to 100 characters");
    }
    name.to_owned()
}

// ---- integrations ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIntegration {
    #[schema(example = "orders")]
    pub name: String,
    /// An http or https URL.
    #[schema(example = "https://orders.example.com/api")]
    pub base_url: String,
    /// `GET` (default) or `POST`.
    pub method: Option<String>,
    /// Appended to the base URL; `{slot}` takes the slot's value, percent-encoded.
    #[schema(example = "/orders/{order_id}")]
    pub path_template: String,
    #[schema(example = "X-Api-Key")]
    pub secret_header: Option<String>,
    /// Write-only: never returned.
    pub secret_value: Option<String>,
    /// 1–15,000; 5,000 by default.
    pub timeout_ms: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIntegration {
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub method: Option<String>,
    pub path_template: Option<String>,
    /// `null` removes the header (and its secret).
    #[serde(default, deserialize_with = "crate::extract::present_or_null")]
    #[schema(value_type = Option<String>)]
    pub secret_header: Option<Option<String>>,
    /// A new secret; `null` removes it; absent keeps it.
    #[serde(default, deserialize_with = "crate::extract::present_or_null")]
    #[schema(value_type = Option<String>)]
    pub secret_value: Option<Option<String>>,
    pub timeout_ms: Option<i64>,
}

fn check_base_url(errors: &mut ValidationErrors, url: &str) -> String {
    let url = url.trim();
    let ok = url.chars().count() <= MAX_URL_CHARS
        && reqwest::Url::parse(url).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some_and(|h| !h.is_empty())
                && u.query().is_none()
                && u.fragment().is_none()
        });
    if !ok {
        errors.push(
            "base_url",
            "invalid_url",
            "an http or https URL with a host and no query, at most 2,000 characters",
        );
    }
    url.to_owned()
}

fn check_method(errors: &mut ValidationErrors, method: &str) -> String {
    let method = method.trim().to_ascii_uppercase();
    if method != "GET" && method != "POST" {
        errors.push("method", "invalid_method", "GET or POST");
    }
    method
}

/// A path starts with `/`; every `{…}` in it names a slot.
fn check_path(errors: &mut ValidationErrors, path: &str) -> String {
    let path = path.trim();
    let names_ok = path.split('{').skip(1).all(|part| {
        part.split_once('}')
            .is_some_and(|(name, _)| valid_slot_name(name))
    });
    if !(path.is_empty() || path.starts_with('/'))
        || path.chars().count() > MAX_PATH_CHARS
        || !names_ok
        || path.contains(char::is_whitespace)
    {
        errors.push(
            "path_template",
            "invalid_path",
            "starts with /, at most 500 characters, placeholders such as {order_id}",
        );
    }
    path.to_owned()
}

fn check_secret_header(errors: &mut ValidationErrors, header: Option<String>) -> Option<String> {
    let header = header
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())?;
    if header.len() > 100 || reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
        errors.push(
            "secret_header",
            "invalid_header",
            "a valid HTTP header name",
        );
    }
    Some(header)
}

fn check_secret_value(errors: &mut ValidationErrors, value: Option<String>) -> Option<String> {
    let value = value.filter(|v| !v.is_empty())?;
    if value.chars().count() > MAX_SECRET_CHARS
        || reqwest::header::HeaderValue::from_str(&value).is_err()
    {
        errors.push(
            "secret_value",
            "invalid_secret",
            "visible ASCII, at most 1,000 characters",
        );
    }
    Some(value)
}

fn check_timeout(errors: &mut ValidationErrors, timeout_ms: i64) -> i64 {
    if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
        errors.push("timeout_ms", "out_of_range", "between 1 and 15,000");
    }
    timeout_ms
}

#[utoipa::path(get, path = "/api/v1/kb/integrations", tag = "knowledge",
    responses((status = 200, description = "oldest first; secrets never shown", body = ListResponse<Integration>), (status = 403, body = ErrorBody)))]
pub async fn list_integrations(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<ListResponse<Integration>>> {
    read_integrations(&principal)?;
    let items = state.store().integrations(principal.tenant_id).await?;
    Ok(axum::Json(ListResponse {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(post, path = "/api/v1/kb/integrations", tag = "knowledge", request_body = CreateIntegration,
    responses((status = 201, body = Integration), (status = 403, body = ErrorBody),
        (status = 409, description = "`duplicate_name`", body = ErrorBody),
        (status = 422, description = "`invalid_name`, `invalid_url`, `invalid_method`, `invalid_path`, `invalid_header`, `invalid_secret`, `out_of_range`", body = ErrorBody)))]
pub async fn create_integration(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateIntegration>,
) -> ApiResult<(StatusCode, axum::Json<Integration>)> {
    write_integrations(&principal)?;
    let mut errors = ValidationErrors::new();
    let new = NewIntegration {
        name: check_name(&mut errors, &req.name),
        base_url: check_base_url(&mut errors, &req.base_url),
        method: check_method(&mut errors, req.method.as_deref().unwrap_or("GET")),
        path_template: check_path(&mut errors, &req.path_template),
        secret_header: check_secret_header(&mut errors, req.secret_header),
        secret_value: check_secret_value(&mut errors, req.secret_value),
        timeout_ms: check_timeout(&mut errors, req.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS)),
    };
    if new.secret_value.is_some() && new.secret_header.is_none() {
        errors.push(
            "secret_header",
            "required",
            "a secret needs the header that carries it",
        );
    }
    errors.into_result()?;
    let created = state
        .store()
        .create_integration(principal.tenant_id, new, &principal.actor())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

#[utoipa::path(patch, path = "/api/v1/kb/integrations/{id}", tag = "knowledge", params(("id" = Uuid, Path)), request_body = UpdateIntegration,
    responses((status = 200, body = Integration), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`duplicate_name`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_integration(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateIntegration>,
) -> ApiResult<axum::Json<Integration>> {
    write_integrations(&principal)?;
    let mut errors = ValidationErrors::new();
    let patch = IntegrationPatch {
        name: req.name.map(|n| check_name(&mut errors, &n)),
        base_url: req.base_url.map(|u| check_base_url(&mut errors, &u)),
        method: req.method.map(|m| check_method(&mut errors, &m)),
        path_template: req.path_template.map(|p| check_path(&mut errors, &p)),
        secret_header: req
            .secret_header
            .map(|h| check_secret_header(&mut errors, h)),
        secret_value: req.secret_value.map(|v| check_secret_value(&mut errors, v)),
        timeout_ms: req.timeout_ms.map(|t| check_timeout(&mut errors, t)),
    };
    errors.into_result()?;
    let updated = state
        .store()
        .update_integration(principal.tenant_id, id, patch, &principal.actor())
        .await
        .map_err(ApiError::from_store("integration"))?;
    Ok(axum::Json(updated))
}

#[utoipa::path(delete, path = "/api/v1/kb/integrations/{id}", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted; a scenario still calling it hands off"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_integration(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    write_integrations(&principal)?;
    state
        .store()
        .delete_integration(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("integration"))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestIntegration {
    /// Sample slot values, e.g. `{"order_id": "123456"}`.
    #[serde(default)]
    pub slots: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationTestResult {
    pub ok: bool,
    /// The JSON answer, when the call succeeded.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// Why it failed: `timeout`, `connect_failed`, `http_500`, `bad_json`, `missing_slot:…`,
    /// `target_not_allowed`, …
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// Calls the integration once with sample slots, as a scenario would.
#[utoipa::path(post, path = "/api/v1/kb/integrations/{id}/test", tag = "knowledge", params(("id" = Uuid, Path)), request_body = TestIntegration,
    responses((status = 200, description = "how the call went (a failing call is still 200)", body = IntegrationTestResult),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn test_integration(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<TestIntegration>,
) -> ApiResult<axum::Json<IntegrationTestResult>> {
    write_integrations(&principal)?;
    let target = state
        .store()
        .integration_target(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("integration"))?;
    let started = std::time::Instant::now();
    let allow_private = state.config().webhooks.allow_private_targets;
    let outcome = crate::integrations::call(
        state.integrations_http(),
        &target,
        &req.slots,
        allow_private,
    )
    .await;
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(axum::Json(match outcome {
        Ok(result) => IntegrationTestResult {
            ok: true,
            result: Some(result),
            error: None,
            duration_ms,
        },
        Err(code) => IntegrationTestResult {
            ok: false,
            result: None,
            error: Some(code),
            duration_ms,
        },
    }))
}

// ---- scenarios ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateScenario {
    #[schema(example = "查询订单")]
    pub name: String,
    /// Questions that start it (1–100, each at most 500 characters).
    pub triggers: Vec<String>,
    /// Ordered steps, each with a `kind`: `ask` (`slot`, `prompt`, `prompt_en`, `pattern`,
    /// `max_length`, `retry_prompt`, `retry_prompt_en`), `choice` (`prompt`, `prompt_en`,
    /// `options`: `label`, `label_en`, `goto`, `end`), `call` (`integration_id`), `say`
    /// (`text`, `text_en` with `{slot}` and `{result.path}`), `handoff` (`text`, `text_en`).
    #[schema(value_type = Vec<Object>)]
    pub steps: serde_json::Value,
    /// `published` (default) reaches the bot; `draft` does not.
    pub status: Option<FaqStatus>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateScenario {
    pub name: Option<String>,
    pub triggers: Option<Vec<String>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub steps: Option<serde_json::Value>,
    pub status: Option<FaqStatus>,
}

fn check_triggers(errors: &mut ValidationErrors, triggers: Vec<String>) -> Vec<String> {
    let triggers: Vec<String> = triggers
        .into_iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if triggers.is_empty() || triggers.len() > MAX_TRIGGERS {
        errors.push("triggers", "invalid_length", "between 1 and 100 questions");
    }
    if triggers
        .iter()
        .any(|t| t.chars().count() > MAX_TRIGGER_CHARS)
    {
        errors.push("triggers", "too_long", "each at most 500 characters");
    }
    triggers
}

/// Parses and checks the steps; every integration they call must be the tenant's.
async fn check_steps_of(
    state: &AppState,
    tenant_id: Uuid,
    errors: &mut ValidationErrors,
    steps: &serde_json::Value,
) -> ApiResult<()> {
    let parsed: Vec<Step> = match serde_json::from_value(steps.clone()) {
        Ok(parsed) => parsed,
        Err(err) => {
            errors.push("steps", "invalid_steps", err.to_string());
            return Ok(());
        }
    };
    for problem in check_steps(&parsed) {
        errors.push(problem.field, problem.code, problem.message);
    }
    let known: Vec<Uuid> = state
        .store()
        .integrations(tenant_id)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    for (i, step) in parsed.iter().enumerate() {
        if let Step::Call { integration_id } = step
            && !known.contains(integration_id)
        {
            errors.push(
                format!("steps[{i}].integration_id"),
                "unknown_integration",
                "no such integration in this tenant",
            );
        }
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/kb/scenarios", tag = "knowledge",
    responses((status = 200, description = "oldest first", body = ListResponse<Scenario>), (status = 403, body = ErrorBody)))]
pub async fn list_scenarios(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<ListResponse<Scenario>>> {
    read_scenarios(&principal)?;
    let items = state.store().scenarios(principal.tenant_id).await?;
    Ok(axum::Json(ListResponse {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(post, path = "/api/v1/kb/scenarios", tag = "knowledge", request_body = CreateScenario,
    responses((status = 201, body = Scenario), (status = 403, body = ErrorBody),
        (status = 409, description = "`duplicate_name`", body = ErrorBody),
        (status = 422, description = "`invalid_name`, `invalid_length`, `invalid_steps`, `invalid_slot`, `invalid_pattern`, `unknown_step`, `unknown_integration`, …", body = ErrorBody)))]
pub async fn create_scenario(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateScenario>,
) -> ApiResult<(StatusCode, axum::Json<Scenario>)> {
    write_scenarios(&principal)?;
    let mut errors = ValidationErrors::new();
    let name = check_name(&mut errors, &req.name);
    let triggers = check_triggers(&mut errors, req.triggers);
    check_steps_of(&state, principal.tenant_id, &mut errors, &req.steps).await?;
    errors.into_result()?;
    let new = NewScenario {
        name,
        triggers,
        steps: req.steps,
        status: req.status.unwrap_or(FaqStatus::Published),
    };
    let created = state
        .store()
        .create_scenario(principal.tenant_id, new, &principal.actor())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

#[utoipa::path(get, path = "/api/v1/kb/scenarios/{id}", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 200, body = Scenario), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_scenario(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Scenario>> {
    read_scenarios(&principal)?;
    Ok(axum::Json(
        state
            .store()
            .scenario(principal.tenant_id, id)
            .await
            .map_err(ApiError::from_store("scenario"))?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/kb/scenarios/{id}", tag = "knowledge", params(("id" = Uuid, Path)), request_body = UpdateScenario,
    responses((status = 200, body = Scenario), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`duplicate_name`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_scenario(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateScenario>,
) -> ApiResult<axum::Json<Scenario>> {
    write_scenarios(&principal)?;
    state
        .store()
        .scenario(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("scenario"))?;
    let mut errors = ValidationErrors::new();
    let name = req.name.map(|n| check_name(&mut errors, &n));
    let triggers = req.triggers.map(|t| check_triggers(&mut errors, t));
    if let Some(steps) = &req.steps {
        check_steps_of(&state, principal.tenant_id, &mut errors, steps).await?;
    }
    errors.into_result()?;
    let patch = ScenarioPatch {
        name,
        triggers,
        steps: req.steps,
        status: req.status,
    };
    let updated = state
        .store()
        .update_scenario(principal.tenant_id, id, patch, &principal.actor())
        .await
        .map_err(ApiError::from_store("scenario"))?;
    Ok(axum::Json(updated))
}

#[utoipa::path(delete, path = "/api/v1/kb/scenarios/{id}", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted; its revision history stays"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_scenario(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    write_scenarios(&principal)?;
    state
        .store()
        .delete_scenario(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("scenario"))?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/kb/scenarios/{id}/revisions", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 200, description = "newest first", body = ListResponse<ScenarioRevision>), (status = 404, body = ErrorBody)))]
pub async fn scenario_revisions(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<ListResponse<ScenarioRevision>>> {
    read_scenarios(&principal)?;
    let items = state
        .store()
        .scenario_revisions(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("scenario"))?;
    Ok(axum::Json(ListResponse {
        items,
        next_cursor: None,
    }))
}

// ---- try the bot ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TryBot {
    /// What the customer would write.
    pub message: String,
    /// The `state` of the previous answer, while in a scenario.
    #[schema(value_type = Option<Object>)]
    pub state: Option<serde_json::Value>,
    /// Messages in a row the bot already asked to rephrase.
    pub failed_attempts: Option<u32>,
    /// The channel kind whose answer variant to use (`web` by default).
    pub channel: Option<String>,
    /// A "did you mean" choice of the previous answer (its `faq_id`): answered or started
    /// without matching the text.
    pub choice: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TryBotAnswer {
    /// What the customer would read.
    pub body: String,
    /// `answer`, `did_you_mean`, `rephrase`, `scenario` or `handoff`.
    pub action: String,
    pub faq_id: Option<Uuid>,
    /// "Did you mean" choices.
    pub choices: Vec<kefu_store::BotGuess>,
    /// A scenario's buttons.
    pub options: Vec<String>,
    /// Send it back with the next message to go on with the scenario; absent once it ended.
    #[schema(value_type = Option<Object>)]
    pub state: Option<serde_json::Value>,
    /// On a handoff: `requested`, `not_understood`, `bot_failed`, `integration_failed`, `scenario`.
    pub handoff_reason: Option<String>,
    /// What the agent would see after the handoff (slots, an integration's error).
    #[schema(value_type = Option<Object>)]
    pub handoff_context: Option<serde_json::Value>,
    pub failed_attempts: u32,
}

/// The bot's answer to one message as a customer would get it, walking scenarios (and calling
/// their integrations) without a conversation: the caller keeps the returned `state`.
#[utoipa::path(post, path = "/api/v1/kb/try", tag = "knowledge", request_body = TryBot,
    responses((status = 200, body = TryBotAnswer), (status = 403, body = ErrorBody),
        (status = 422, description = "`required` (blank message), `invalid_state`", body = ErrorBody)))]
pub async fn try_bot(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<TryBot>,
) -> ApiResult<axum::Json<TryBotAnswer>> {
    // It may call the tenant's systems: the same people who edit what the bot says.
    principal.require(Role::Supervisor, Scope::KbRead)?;
    if req.message.trim().is_empty() {
        return Err(ValidationErrors::single("message", "required", "the message is empty").into());
    }
    let in_scenario = match req.state {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => Some(serde_json::from_value::<ScenarioState>(value).map_err(|_| {
            ApiError::from(ValidationErrors::single(
                "state",
                "invalid_state",
                "send back the state of the previous answer",
            ))
        })?),
    };
    let knowledge = state
        .knowledge()
        .current(state.store(), principal.tenant_id)
        .await?;
    let channel = req.channel.as_deref().unwrap_or("web");
    let plan = crate::bot::respond(
        &state,
        principal.tenant_id,
        &knowledge,
        channel,
        &req.message,
        req.failed_attempts.unwrap_or(0),
        req.choice,
        in_scenario,
    )
    .await;
    Ok(axum::Json(TryBotAnswer {
        body: plan.body,
        action: plan.reply.action,
        faq_id: plan.reply.faq_id,
        choices: plan.reply.choices,
        options: plan.reply.options,
        state: plan.scenario_state,
        handoff_reason: plan.handoff.map(|h| h.as_str().to_owned()),
        handoff_context: plan.handoff_context,
        failed_attempts: plan.failed_attempts,
    }))
}

// ---- FAQ business actions ----

#[derive(Debug, Serialize, ToSchema)]
pub struct FaqAction {
    pub faq_id: Uuid,
    /// `integration_id`, `slots` (each `slot`, `prompt`, `prompt_en`, `pattern`, `max_length`,
    /// `retry_prompt`, `retry_prompt_en`), `reply`, `reply_en`; `null` when the FAQ has none.
    #[schema(value_type = Option<Object>)]
    pub action: Option<serde_json::Value>,
}

/// The FAQ's business action: answering it asks for the slots, calls the integration and
/// says the reply (as a scenario would); without one the FAQ gives its answer.
#[utoipa::path(get, path = "/api/v1/kb/faqs/{id}/action", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 200, body = FaqAction), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_faq_action(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<FaqAction>> {
    read_scenarios(&principal)?;
    let action = state
        .store()
        .faq_action(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("faq"))?;
    Ok(axum::Json(FaqAction { faq_id: id, action }))
}

#[utoipa::path(put, path = "/api/v1/kb/faqs/{id}/action", tag = "knowledge", params(("id" = Uuid, Path)),
    request_body(content = Object, description = "`integration_id`, `slots`, `reply`, `reply_en`"),
    responses((status = 200, body = FaqAction), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`invalid_action`, `invalid_slot`, `invalid_pattern`, `required`, `unknown_integration`, …", body = ErrorBody)))]
pub async fn put_faq_action(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<serde_json::Value>,
) -> ApiResult<axum::Json<FaqAction>> {
    write_scenarios(&principal)?;
    // The FAQ first: another tenant's id is 404 whatever the body says.
    state
        .store()
        .faq_action(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("faq"))?;
    let action: BusinessAction = serde_json::from_value(body.clone()).map_err(|err| {
        ApiError::from(ValidationErrors::single(
            "action",
            "invalid_action",
            err.to_string(),
        ))
    })?;
    let mut errors = ValidationErrors::new();
    for problem in action.check() {
        errors.push(problem.field, problem.code, problem.message);
    }
    let known = state.store().integrations(principal.tenant_id).await?;
    if !known.iter().any(|i| i.id == action.integration_id) {
        errors.push(
            "integration_id",
            "unknown_integration",
            "no such integration in this tenant",
        );
    }
    errors.into_result()?;
    let stored = serde_json::to_value(&action).map_err(|_| ApiError::internal())?;
    state
        .store()
        .set_faq_action(
            principal.tenant_id,
            id,
            Some(stored.clone()),
            &principal.actor(),
        )
        .await
        .map_err(ApiError::from_store("faq"))?;
    Ok(axum::Json(FaqAction {
        faq_id: id,
        action: Some(stored),
    }))
}

#[utoipa::path(delete, path = "/api/v1/kb/faqs/{id}/action", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 204, description = "The FAQ gives its answer again"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_faq_action(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    write_scenarios(&principal)?;
    state
        .store()
        .set_faq_action(principal.tenant_id, id, None, &principal.actor())
        .await
        .map_err(ApiError::from_store("faq"))?;
    Ok(StatusCode::NO_CONTENT)
}
