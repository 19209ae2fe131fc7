//! Operations endpoints: liveness, readiness (the database answers), Prometheus metrics,
//! and the middleware that counts and times every request by route.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Serialize;
use std::sync::OnceLock;
use std::time::Instant;
use utoipa::ToSchema;

static METRICS: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide metrics recorder once (several servers may share a test process).
pub fn install_metrics() {
    METRICS.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed");
        }
        handle
    });
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[utoipa::path(get, path = "/healthz", tag = "ops", security(), responses((status = 200, description = "The process is up", body = Health)))]
pub async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

#[utoipa::path(get, path = "/readyz", tag = "ops", security(),
    responses((status = 200, description = "The database answers", body = Health), (status = 503, description = "`database_unavailable`, with Retry-After", body = crate::error::ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<axum::Json<Health>> {
    match tokio::time::timeout(std::time::Duration::from_secs(3), state.store().ping()).await {
        Ok(Ok(())) => Ok(axum::Json(Health { status: "ready" })),
        Ok(Err(err)) => Err(err.into()),
        Err(_) => Err(kefu_store::StoreError::Unavailable("ping timed out".into()).into()),
    }
}

pub async fn metrics() -> Response {
    match METRICS.get() {
        Some(handle) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4",
            )],
            handle.render(),
        )
            .into_response(),
        None => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics_unavailable",
            "metrics are not installed",
        )
        .into_response(),
    }
}

pub async fn track_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    // The route template, not the raw path, so ids do not explode the label set.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let labels = [
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("kefu_http_requests_total", &labels).increment(1);
    metrics::histogram!("kefu_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}
