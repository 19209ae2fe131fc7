//! Workforce math over HTTP: Erlang C/A/B staffing and exact shift schedules, the same questions
//! and answers as `kefu wfm …`. Pure computation for supervisors; nothing is stored.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use axum::http::StatusCode;
use kefu_core::{Role, Scope};
use kefu_wfm::{
    ErlangAInput, ErlangAStaffing, ErlangBInput, ErlangBOutput, ErlangCInput, ErlangCStaffing,
    ScheduleInput, ScheduleOutput, WfmError,
};
use serde_json::json;

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
