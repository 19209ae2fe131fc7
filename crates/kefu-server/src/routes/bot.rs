//! The service bot for staff: what the bot did in a conversation (the guesses an agent sees
//! after a handoff), its figures (answer and handoff rates, feedback) and what it missed.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Path, Query};
use crate::state::AppState;
use axum::extract::State;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use kefu_core::{Role, Scope, ValidationErrors};
use kefu_store::{BotCounts, BotGuess, BotSession, BotTurn};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The bot's side of one conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct BotOverview {
    /// Absent when the conversation did not start with the bot.
    pub session: Option<BotSession>,
    /// Each customer message the bot answered, oldest first.
    pub turns: Vec<BotTurn>,
    /// The bot's best guesses when it handed off (the last turn's), best first.
    pub handoff_guesses: Vec<BotGuess>,
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}/bot", tag = "bot",
    responses((status = 200, body = BotOverview), (status = 404, body = ErrorBody)))]
pub async fn conversation_bot(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<BotOverview>> {
    principal.require(Role::Agent, Scope::CustomersRead)?;
    let store = state.store();
    store
        .conversation(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("conversation"))?;
    let session = store.bot_session(principal.tenant_id, id).await?;
    let turns = store.bot_turns(principal.tenant_id, id).await?;
    let handoff_guesses = turns
        .iter()
        .rev()
        .find(|turn| turn.handoff_reason.is_some())
        .map(|turn| turn.guesses.clone())
        .unwrap_or_default();
    Ok(axum::Json(BotOverview {
        session,
        turns,
        handoff_guesses,
    }))
}

/// A period: `from` and `to` as dates (`2026-11-01`, UTC midnight) or RFC 3339 times; the
/// last 30 days by default.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    /// For lists: at most this many groups (1–200, 50 by default).
    pub limit: Option<u32>,
}

fn parse_time(errors: &mut ValidationErrors, field: &str, text: &str) -> Option<DateTime<Utc>> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return date.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    match DateTime::parse_from_rfc3339(text) {
        Ok(time) => Some(time.with_timezone(&Utc)),
        Err(_) => {
            errors.push(
                field,
                "invalid_time",
                "a date (2026-11-01) or an RFC 3339 time",
            );
            None
        }
    }
}

fn period(query: &PeriodQuery) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    let mut errors = ValidationErrors::new();
    let now = Utc::now();
    let to = match &query.to {
        Some(text) => parse_time(&mut errors, "to", text),
        None => Some(now),
    };
    let from = match &query.from {
        Some(text) => parse_time(&mut errors, "from", text),
        None => to.map(|to| to - Duration::days(30)),
    };
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        errors.push("to", "invalid_period", "to must be after from");
    }
    errors.into_result()?;
    match (from, to) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(ApiError::bad_request("invalid_period", "from and to")),
    }
}

/// The bot's figures over a period, for conversations that started with the bot in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BotMetrics {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[serde(flatten)]
    pub counts: BotCounts,
    /// answered_without_handoff / started (0 when none started).
    pub answer_rate: f64,
    /// handed_off / started.
    pub handoff_rate: f64,
}

fn rate(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

#[utoipa::path(get, path = "/api/v1/bot/metrics", tag = "bot", params(PeriodQuery),
    responses((status = 200, body = BotMetrics), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn metrics(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<PeriodQuery>,
) -> ApiResult<axum::Json<BotMetrics>> {
    principal.require(Role::Supervisor, Scope::ReportsRead)?;
    let (from, to) = period(&query)?;
    let counts = state
        .store()
        .bot_counts(principal.tenant_id, from, to)
        .await?;
    Ok(axum::Json(BotMetrics {
        from,
        to,
        answer_rate: rate(counts.answered_without_handoff, counts.started),
        handoff_rate: rate(counts.handed_off, counts.started),
        counts,
    }))
}

/// Questions the bot did not answer outright, grouped by their normalized text.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnansweredGroup {
    /// The normalized text the group shares.
    pub text: String,
    /// One of the questions as typed.
    pub example: String,
    pub count: u32,
    /// How the turns ended: `did_you_mean`, `rephrase`, `handoff`.
    pub outcomes: BTreeMap<String, u32>,
    /// The bot's best guess the last time, if any.
    pub best_guess: Option<BotGuess>,
    pub last_seen: DateTime<Utc>,
}

#[utoipa::path(get, path = "/api/v1/bot/unanswered", tag = "bot", params(PeriodQuery),
    responses((status = 200, description = "most frequent first", body = Vec<UnansweredGroup>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn unanswered(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<PeriodQuery>,
) -> ApiResult<axum::Json<Vec<UnansweredGroup>>> {
    principal.require(Role::Supervisor, Scope::ReportsRead)?;
    let (from, to) = period(&query)?;
    let limit = super::check_limit(query.limit)? as usize;
    let turns = state
        .store()
        .bot_unanswered(principal.tenant_id, from, to, 5000)
        .await?;
    // Newest first, so the first turn of a group is its latest.
    let mut groups: Vec<UnansweredGroup> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for turn in turns {
        let text = kefu_knowledge::normalize(&turn.question).trim().to_owned();
        if text.is_empty() {
            continue;
        }
        let at = *index.entry(text.clone()).or_insert_with(|| {
            groups.push(UnansweredGroup {
                text,
                example: turn.question.clone(),
                count: 0,
                outcomes: BTreeMap::new(),
                best_guess: turn.guesses.first().cloned(),
                last_seen: turn.created_at,
            });
            groups.len() - 1
        });
        if let Some(group) = groups.get_mut(at) {
            group.count += 1;
            *group.outcomes.entry(turn.action.clone()).or_default() += 1;
        }
    }
    groups.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| b.last_seen.cmp(&a.last_seen))
    });
    groups.truncate(limit);
    Ok(axum::Json(groups))
}
