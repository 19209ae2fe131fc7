//! Workforce math over HTTP: Erlang C/A/B staffing, exact shift schedules and forecasts (from
//! a given history or the tenant's own log), the same math as `kefu wfm …`; nothing is stored.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use kefu_core::{Role, Scope, ValidationErrors};
use kefu_metrics::{AggregationSpec, Dimension, DimensionKey, Granularity};
use kefu_wfm::{
    Backtest, ErlangAInput, ErlangAStaffing, ErlangBInput, ErlangBOutput, ErlangCInput,
    ErlangCStaffing, Forecast, ForecastInput, History, Observation, ScheduleInput, ScheduleOutput,
    WfmError,
};
use serde_json::json;
use utoipa::ToSchema;

/// A rejected question is a 422 carrying the library's own stable code (e.g. `invalid_volume`)
/// and, when one field is at fault, the same `details.errors` list as every other endpoint.
fn rejected(err: WfmError) -> ApiError {
    let message = err.to_string();
    let errors = match err.field() {
        Some(field) => json!([{"field": field, "code": err.code(), "message": message}]),
        None => json!([]),
    };
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, err.code(), message)
        .with_details(json!({ "errors": errors }))
}

#[utoipa::path(post, path = "/api/v1/wfm/erlang-c", tag = "wfm", request_body = ErlangCInput, responses((status = 200, body = ErlangCStaffing), (status = 422, body = ErrorBody)))]
pub async fn erlang_c(
    principal: Principal,
    Json(input): Json<ErlangCInput>,
) -> ApiResult<axum::Json<ErlangCStaffing>> {
    principal.require(Role::Supervisor, Scope::WfmCompute)?;
    Ok(axum::Json(
        kefu_wfm::staff_erlang_c(&input).map_err(rejected)?,
    ))
}

#[utoipa::path(post, path = "/api/v1/wfm/erlang-a", tag = "wfm", request_body = ErlangAInput, responses((status = 200, body = ErlangAStaffing), (status = 422, body = ErrorBody)))]
pub async fn erlang_a(
    principal: Principal,
    Json(input): Json<ErlangAInput>,
) -> ApiResult<axum::Json<ErlangAStaffing>> {
    principal.require(Role::Supervisor, Scope::WfmCompute)?;
    Ok(axum::Json(
        kefu_wfm::staff_erlang_a(&input).map_err(rejected)?,
    ))
}

#[utoipa::path(post, path = "/api/v1/wfm/erlang-b", tag = "wfm", request_body = ErlangBInput, responses((status = 200, body = ErlangBOutput), (status = 422, body = ErrorBody)))]
pub async fn erlang_b(
    principal: Principal,
    Json(input): Json<ErlangBInput>,
) -> ApiResult<axum::Json<ErlangBOutput>> {
    principal.require(Role::Supervisor, Scope::WfmCompute)?;
    Ok(axum::Json(
        kefu_wfm::erlang_b_blocking(&input).map_err(rejected)?,
    ))
}

/// Solved off the async runtime: a large schedule takes up to a few hundred milliseconds.
/// `status` is `infeasible` (with an empty schedule) when no schedule meets the constraints.
#[utoipa::path(post, path = "/api/v1/wfm/schedule", tag = "wfm", request_body = ScheduleInput, responses((status = 200, body = ScheduleOutput), (status = 422, body = ErrorBody)))]
pub async fn schedule(
    principal: Principal,
    Json(input): Json<ScheduleInput>,
) -> ApiResult<axum::Json<ScheduleOutput>> {
    principal.require(Role::Supervisor, Scope::WfmCompute)?;
    let solved = tokio::task::spawn_blocking(move || kefu_wfm::solve_schedule(&input))
        .await
        .map_err(|err| {
            tracing::error!(%err, "schedule solver task failed");
            ApiError::internal()
        })?;
    Ok(axum::Json(solved.map_err(rejected)?))
}

/// Weeks of the event log a forecast reads back when no history is given.
const DEFAULT_HISTORY_WEEKS: u32 = 8;
const MAX_HISTORY_WEEKS: u32 = 26;

#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastRequest {
    /// A per-interval history (e.g. imported from another system); when absent, the tenant's
    /// offered contacts and their AHT are read from the event log.
    pub history: Option<History>,
    /// With the log: whole weeks up to today's local midnight (2–26, default 8).
    pub history_weeks: Option<u32>,
    /// With the log: 900, 1800 (default) or 3600.
    pub interval_secs: Option<u32>,
    /// Weeks to forecast (1–52, default 1).
    pub horizon_weeks: Option<u32>,
    /// Also hold back this many final weeks and score the model against the seasonal-naive
    /// baseline on them (MAPE, wMAPE).
    pub holdout_weeks: Option<u32>,
    #[serde(default)]
    pub holidays: Vec<chrono::NaiveDate>,
    pub holiday_factor: Option<f64>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ForecastAnswer {
    /// `log` or `given`.
    pub history_source: &'static str,
    pub history_start: chrono::NaiveDateTime,
    pub history_days: usize,
    /// Contacts in the history, for a sanity check against the reports.
    pub history_calls: f64,
    pub forecast: Forecast,
    pub backtest: Option<Backtest>,
}

/// Forecasts volume and AHT per interval (daily and weekly seasonality, holidays, damped
/// trend) from a given history or the tenant's own log, optionally with a hold-out backtest
/// against the seasonal-naive baseline. Local times are the tenant's zone.
#[utoipa::path(post, path = "/api/v1/wfm/forecast", tag = "wfm", request_body = ForecastRequest,
    responses((status = 200, body = ForecastAnswer), (status = 422, description = "`insufficient_history`, `invalid_history`, … with the field", body = ErrorBody)))]
pub async fn forecast(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<ForecastRequest>,
) -> ApiResult<axum::Json<ForecastAnswer>> {
    principal.require(Role::Supervisor, Scope::WfmCompute)?;
    let (history, history_source) = match req.history {
        Some(history) => (history, "given"),
        None => (
            history_from_log(
                &state,
                principal.tenant_id,
                req.history_weeks,
                req.interval_secs,
            )
            .await?,
            "log",
        ),
    };
    let input = ForecastInput {
        history,
        horizon_weeks: req.horizon_weeks.unwrap_or(1),
        holidays: req.holidays,
        holiday_factor: req.holiday_factor,
    };
    let holdout = req.holdout_weeks;
    let answer = tokio::task::spawn_blocking(move || -> Result<ForecastAnswer, WfmError> {
        let forecast = kefu_wfm::forecast(&input)?;
        let backtest = holdout
            .map(|weeks| kefu_wfm::backtest(&input, weeks))
            .transpose()?;
        let per_day = (86_400 / input.history.interval_secs.max(1)) as usize;
        Ok(ForecastAnswer {
            history_source,
            history_start: input.history.start,
            history_days: input.history.calls.len() / per_day.max(1),
            history_calls: input.history.calls.iter().sum(),
            forecast,
            backtest,
        })
    })
    .await
    .map_err(|err| {
        tracing::error!(%err, "forecast task failed");
        ApiError::internal()
    })?;
    Ok(axum::Json(answer.map_err(rejected)?))
}

/// Offered contacts and AHT per interval of the last whole weeks, from the report rollups
/// (the same numbers as the reports), in the tenant's zone.
async fn history_from_log(
    state: &AppState,
    tenant_id: uuid::Uuid,
    weeks: Option<u32>,
    interval_secs: Option<u32>,
) -> ApiResult<History> {
    let weeks = weeks.unwrap_or(DEFAULT_HISTORY_WEEKS);
    if !(2..=MAX_HISTORY_WEEKS).contains(&weeks) {
        return Err(ValidationErrors::single(
            "history_weeks",
            "out_of_range",
            format!("from 2 to {MAX_HISTORY_WEEKS} weeks"),
        )
        .into());
    }
    let interval_secs = interval_secs.unwrap_or(1800);
    let granularity = match interval_secs {
        900 => Granularity::Minutes15,
        1800 => Granularity::Minutes30,
        3600 => Granularity::Minutes60,
        _ => {
            return Err(ValidationErrors::single(
                "interval_secs",
                "invalid_interval",
                "900, 1800 or 3600",
            )
            .into());
        }
    };
    let tenant = state.store().tenant(tenant_id).await?;
    let zone: kefu_metrics::Tz = tenant
        .settings
        .0
        .timezone
        .parse()
        .unwrap_or(kefu_metrics::Tz::UTC);
    let now = Utc::now();
    let today = now.with_timezone(&zone).date_naive();
    let first = today - chrono::Duration::weeks(i64::from(weeks));
    let midnight = |day: chrono::NaiveDate| {
        zone.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|at| at.with_timezone(&Utc))
    };
    let (Some(from), Some(to)) = (midnight(first), midnight(today)) else {
        return Err(ApiError::internal());
    };
    let mut spec = AggregationSpec::new(zone, granularity, from, to);
    spec.dimensions = vec![Dimension::Tenant];
    let computed =
        crate::reports::compute_report(state.store(), state.rollups(), tenant_id, spec, now)
            .await
            .map_err(|err| {
                tracing::error!(%err, "reading the history for a forecast");
                ApiError::internal()
            })?;
    let observations: Vec<Observation> = computed
        .report
        .rows
        .iter()
        .filter(|row| row.dimension == DimensionKey::Tenant && row.counts.offered > 0)
        .map(|row| Observation {
            at: row.bucket_start.naive_local(),
            calls: row.counts.offered as f64,
            aht_secs: row.durations.aht_secs,
        })
        .collect();
    // Whole days from the first to the last: empty days count as 0, not as missing.
    let mut observations = observations;
    for edge in [first, today - chrono::Duration::days(1)] {
        observations.push(Observation {
            at: edge.and_time(chrono::NaiveTime::MIN),
            calls: 0.0,
            aht_secs: None,
        });
    }
    History::from_observations(interval_secs, &observations).map_err(rejected)
}
