//! Scheduled reports over HTTP: supervisors and admins keep a tenant's schedules (daily or
//! weekly, a local send time, recipients, the report and its filters, CSV or XLSX), see each
//! one's deliveries, and send one now. The report mailer (`crate::reports::mailer`) sends them.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path};
use crate::reports::schedule::{self, ScheduleInput, Timing};
use crate::routes::reports::{MetricsQuery, parse_query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use kefu_core::{Role, Scope, ValidationErrors};
use kefu_metrics::Tz;
use kefu_store::{NewReportDelivery, NewReportSchedule, ReportDelivery, ReportSchedule};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportScheduleList {
    /// By name.
    pub items: Vec<ReportSchedule>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDeliveryList {
    /// Newest first, at most 100.
    pub items: Vec<ReportDelivery>,
}

/// Reading schedules: supervisors and admins, or a token with `reports:read`.
fn may_read(principal: &Principal) -> ApiResult<()> {
    principal.require(Role::Supervisor, Scope::ReportsRead)
}

/// Changing them (who gets mailed what) is for signed-in supervisors and admins.
fn may_write(principal: &Principal) -> ApiResult<()> {
    principal.require_user_role(Role::Supervisor).map(drop)
}

/// Checks a schedule, its filters as the report would take them included.
async fn checked(
    state: &AppState,
    tenant_id: Uuid,
    input: ScheduleInput,
) -> ApiResult<NewReportSchedule> {
    let new = schedule::check(input)?;
    let tenant = state.store().tenant(tenant_id).await?;
    let text = |key: &str| {
        new.filters
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    // Any window will do: only the filters are being checked.
    let probe = MetricsQuery {
        from: Some("2026-01-01".into()),
        to: Some("2026-01-01".into()),
        granularity: text("granularity"),
        time_zone: text("time_zone"),
        dimensions: text("dimensions"),
        service_level: text("service_level"),
        sl_threshold_secs: text("sl_threshold_secs"),
        short_abandon_secs: text("short_abandon_secs"),
        fcr_window_days: text("fcr_window_days"),
        format: None,
    };
    let mut errors = ValidationErrors::new();
    if let Err(found) = parse_query(&probe, &tenant.settings.0.timezone) {
        for error in found.errors {
            errors.push(
                format!("filters.{}", error.field),
                error.code,
                error.message,
            );
        }
    }
    for key in ["group", "agent"] {
        if let Some(value) = text(key)
            && value.trim().parse::<Uuid>().is_err()
        {
            errors.push(
                format!("filters.{key}"),
                "invalid_id",
                format!("{key} is an id"),
            );
        }
    }
    errors.into_result()?;
    Ok(new)
}

#[utoipa::path(get, path = "/api/v1/report-schedules", tag = "reports",
    responses((status = 200, body = ReportScheduleList), (status = 403, body = ErrorBody)))]
pub async fn list_schedules(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<ReportScheduleList>> {
    may_read(&principal)?;
    Ok(axum::Json(ReportScheduleList {
        items: state.store().report_schedules(principal.tenant_id).await?,
    }))
}

/// A new schedule. Its first report goes out at the first send time after now (a period
/// whose time has passed today is not sent).
#[utoipa::path(post, path = "/api/v1/report-schedules", tag = "reports", request_body = ScheduleInput,
    responses((status = 201, body = ReportSchedule), (status = 403, body = ErrorBody),
        (status = 422, description = "A bad field: `details.errors[].field` names it", body = ErrorBody)))]
pub async fn create_schedule(
    State(state): State<AppState>,
    principal: Principal,
    Json(input): Json<ScheduleInput>,
) -> ApiResult<(StatusCode, axum::Json<ReportSchedule>)> {
    may_write(&principal)?;
    let new = checked(&state, principal.tenant_id, input).await?;
    let created = state
        .store()
        .create_report_schedule(principal.tenant_id, new, &principal.actor())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

#[utoipa::path(get, path = "/api/v1/report-schedules/{id}", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 200, body = ReportSchedule), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_schedule(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<ReportSchedule>> {
    may_read(&principal)?;
    Ok(axum::Json(
        state
            .store()
            .report_schedule(principal.tenant_id, id)
            .await
            .map_err(ApiError::from_store("report_schedule"))?,
    ))
}

/// Replaces a schedule's settings (the whole schedule is sent).
#[utoipa::path(put, path = "/api/v1/report-schedules/{id}", tag = "reports", params(("id" = Uuid, Path)),
    request_body = ScheduleInput,
    responses((status = 200, body = ReportSchedule), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_schedule(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(input): Json<ScheduleInput>,
) -> ApiResult<axum::Json<ReportSchedule>> {
    may_write(&principal)?;
    let new = checked(&state, principal.tenant_id, input).await?;
    Ok(axum::Json(
        state
            .store()
            .update_report_schedule(principal.tenant_id, id, new, &principal.actor())
            .await
            .map_err(ApiError::from_store("report_schedule"))?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/report-schedules/{id}", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_schedule(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    may_write(&principal)?;
    state
        .store()
        .delete_report_schedule(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("report_schedule"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends the schedule's report now, over the window its latest period would cover (the day
/// before today, or the seven days before), through the same outbox as scheduled periods.
#[utoipa::path(post, path = "/api/v1/report-schedules/{id}/send-now", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 202, description = "Queued for the mailer", body = ReportDelivery),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn send_now(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<(StatusCode, axum::Json<ReportDelivery>)> {
    may_write(&principal)?;
    let store = state.store();
    let found = store
        .report_schedule(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("report_schedule"))?;
    let tenant = store.tenant(principal.tenant_id).await?;
    let zone = tenant.settings.0.timezone.parse::<Tz>().unwrap_or(Tz::UTC);
    let now = Utc::now();
    let period = Timing::of(found.weekday, &found.send_time)
        .and_then(|timing| schedule::period_on(timing, zone, now.with_timezone(&zone).date_naive()))
        .ok_or_else(ApiError::internal)?;
    let delivery = store
        .queue_report_delivery(
            principal.tenant_id,
            id,
            NewReportDelivery {
                period: format!("manual-{}", Uuid::now_v7()),
                window_start: period.window_start,
                window_end: period.window_end,
                due_at: now,
            },
            &principal.actor(),
        )
        .await
        .map_err(ApiError::from_store("report_schedule"))?
        .ok_or_else(ApiError::internal)?;
    state.report_mailer().notify_one();
    Ok((StatusCode::ACCEPTED, axum::Json(delivery)))
}

#[utoipa::path(get, path = "/api/v1/report-schedules/{id}/deliveries", tag = "reports", params(("id" = Uuid, Path)),
    responses((status = 200, body = ReportDeliveryList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<ReportDeliveryList>> {
    may_read(&principal)?;
    state
        .store()
        .report_schedule(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("report_schedule"))?;
    Ok(axum::Json(ReportDeliveryList {
        items: state
            .store()
            .report_deliveries(principal.tenant_id, id, 100)
            .await?,
    }))
}
