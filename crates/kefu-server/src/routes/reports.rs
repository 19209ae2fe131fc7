//! Contact-center reports over HTTP: parses and checks the report's parameters, computes the
//! report (`crate::reports`) and answers JSON or a CSV or XLSX download; the metrics report
//! and the agent scorecards. The report mailer renders its attachments through here too.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use crate::reports::scorecard::{self, Person, ScorecardReport};
use crate::reports::table::{self, Table};
use crate::reports::xlsx::{self, SheetKind};
use crate::reports::{self, ReportError, csv};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use kefu_core::{Role, Scope, ValidationErrors};
use kefu_metrics::{
    AggregationSpec, Dimension, Granularity, MetricsError, MetricsReport, SlDefinition, Tz,
};
use kefu_store::UserFilter;
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::IntoParams;
use uuid::Uuid;

/// Every parameter is taken as text and checked here, so each bad one is reported as a
/// 422 field error (like the wfm routes) rather than a bare 400 from the query parser.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    /// Start of the window: RFC 3339 (`2026-03-01T00:00:00+08:00`) or a local date
    /// (`2026-03-01`, its midnight in `time_zone`).
    pub from: Option<String>,
    /// End of the window, exclusive: RFC 3339, or a local date, which is included whole
    /// (the window runs to the next midnight).
    pub to: Option<String>,
    /// `15m`, `30m`, `60m`, `day` (default), `week`, `month`, or `whole` (the window as one
    /// bucket).
    pub granularity: Option<String>,
    /// IANA zone deciding where days, weeks and months start; the tenant's zone by default.
    pub time_zone: Option<String>,
    /// Comma-separated: `tenant`, `queue`, `agent`, `channel`, `service_group`. Default
    /// `tenant,queue,agent,channel`.
    pub dimensions: Option<String>,
    /// GLOSSARY's service-level definition, 1–5 (default 3).
    pub service_level: Option<String>,
    /// T of "answered within T seconds", 0–86400 (default 20).
    pub sl_threshold_secs: Option<String>,
    /// Abandons within this many seconds are short abandons, 0–86400 (default 5).
    pub short_abandon_secs: Option<String>,
    /// N of "no repeat contact within N days" for FCR, 1–366 (default 7).
    pub fcr_window_days: Option<String>,
    /// `json` (default, the engine's `MetricsReport`), `csv` or `xlsx`.
    pub format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Csv,
    Xlsx,
}

const DEFAULT_DIMENSIONS: [Dimension; 4] = [
    Dimension::Tenant,
    Dimension::Queue,
    Dimension::Agent,
    Dimension::Channel,
];

/// A window edge: an instant, or a local date whose midnight (or next midnight for `to`) in
/// `zone` is meant. A midnight lost to DST is the day's first existing instant.
pub(crate) fn parse_edge(text: &str, zone: Tz, whole_day_after: bool) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let date = if whole_day_after {
        date.checked_add_days(Days::new(1))?
    } else {
        date
    };
    // Try each quarter-hour of the day: zones that switch at 00:00 have no midnight.
    (0..96).find_map(|quarter| {
        let local = date.and_hms_opt(quarter / 4, (quarter % 4) * 15, 0)?;
        zone.from_local_datetime(&local)
            .earliest()
            .map(|at| at.with_timezone(&Utc))
    })
}

fn parse_number(
    errors: &mut ValidationErrors,
    field: &'static str,
    text: Option<&str>,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> u32 {
    let Some(text) = text else {
        return default;
    };
    match text.trim().parse::<u32>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            errors.push(
                field,
                "out_of_range",
                format!(
                    "{field} must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            );
            default
        }
    }
}

/// Checks every parameter, collecting all errors so a form can show them at once.
pub(crate) fn parse_query(
    query: &MetricsQuery,
    tenant_zone: &str,
) -> Result<(AggregationSpec, Format), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let zone = match &query.time_zone {
        Some(name) => name.parse::<Tz>().unwrap_or_else(|_| {
            errors.push(
                "time_zone",
                "invalid_time_zone",
                "an IANA time zone such as Asia/Shanghai",
            );
            Tz::UTC
        }),
        // A tenant zone that no longer parses should not make every report fail.
        None => tenant_zone.parse::<Tz>().unwrap_or(Tz::UTC),
    };
    let granularity = match query.granularity.as_deref().unwrap_or("day") {
        "15m" => Granularity::Minutes15,
        "30m" => Granularity::Minutes30,
        "60m" => Granularity::Minutes60,
        "day" => Granularity::Day,
        "week" => Granularity::Week,
        "month" => Granularity::Month,
        "whole" => Granularity::Whole,
        _ => {
            errors.push(
                "granularity",
                "invalid_granularity",
                "one of 15m, 30m, 60m, day, week, month, whole",
            );
            Granularity::Day
        }
    };
    let mut edge = |field: &'static str, text: Option<&str>, whole_day_after| {
        let Some(text) = text else {
            errors.push(field, "required", format!("{field} is required"));
            return None;
        };
        let parsed = parse_edge(text.trim(), zone, whole_day_after);
        if parsed.is_none() {
            errors.push(
                field,
                "invalid_time",
                format!("{field} is an RFC 3339 time or a date YYYY-MM-DD"),
            );
        }
        parsed
    };
    let from = edge("from", query.from.as_deref(), false);
    let to = edge("to", query.to.as_deref(), true);
    if let (Some(from), Some(to)) = (from, to)
        && to <= from
    {
        errors.push("to", "empty_window", "to must be after from");
    }
    let dimensions = match &query.dimensions {
        None => DEFAULT_DIMENSIONS.to_vec(),
        Some(list) => {
            let mut dimensions = Vec::new();
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                match serde_json::from_value::<Dimension>(serde_json::Value::from(name)) {
                    Ok(d) if !dimensions.contains(&d) => dimensions.push(d),
                    Ok(_) => {}
                    Err(_) => errors.push(
                        "dimensions",
                        "invalid_dimension",
                        format!(
                            "{name} is not a dimension (tenant, queue, agent, channel, service_group)"
                        ),
                    ),
                }
            }
            if dimensions.is_empty() && errors.is_empty() {
                errors.push("dimensions", "required", "name at least one dimension");
            }
            dimensions
        }
    };
    let sl_number = parse_number(
        &mut errors,
        "service_level",
        query.service_level.as_deref(),
        SlDefinition::default().number().into(),
        1..=5,
    );
    let sl_secs = parse_number(
        &mut errors,
        "sl_threshold_secs",
        query.sl_threshold_secs.as_deref(),
        20,
        0..=86_400,
    );
    let short_secs = parse_number(
        &mut errors,
        "short_abandon_secs",
        query.short_abandon_secs.as_deref(),
        5,
        0..=86_400,
    );
    let fcr_days = parse_number(
        &mut errors,
        "fcr_window_days",
        query.fcr_window_days.as_deref(),
        7,
        1..=366,
    );
    let format = match query.format.as_deref().unwrap_or("json") {
        "json" => Format::Json,
        "csv" => Format::Csv,
        "xlsx" => Format::Xlsx,
        _ => {
            errors.push("format", "invalid_format", "json, csv or xlsx");
            Format::Json
        }
    };
    errors.clone().into_result()?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(errors);
    };
    let mut spec = AggregationSpec::new(zone, granularity, from, to);
    spec.dimensions = dimensions;
    spec.service_level = SlDefinition::ALL
        .into_iter()
        .find(|d| u32::from(d.number()) == sl_number)
        .unwrap_or_default();
    spec.service_level_secs = sl_secs;
    spec.short_abandon_secs = short_secs;
    spec.fcr_window_days = fcr_days;
    Ok((spec, format))
}

/// A rejected spec (too many buckets…) is the caller's to fix; a rejected record is ours.
pub(crate) fn report_error(err: ReportError) -> ApiError {
    match err {
        ReportError::Store(err) => err.into(),
        ReportError::Metrics(MetricsError::TooManyBuckets { max }) => ValidationErrors::single(
            "granularity",
            "too_many_buckets",
            format!("the window spans more than {max} buckets; use a coarser granularity"),
        )
        .into(),
        ReportError::Metrics(
            err @ (MetricsError::EmptyWindow { .. } | MetricsError::InvalidParameter { .. }),
        ) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            err.code(),
            err.to_string(),
        ),
        other => {
            tracing::error!(error = %other, "report failed");
            ApiError::internal()
        }
    }
}

/// The largest page the store hands out.
const USERS_PER_PAGE: u32 = 200;

/// What people call the queues (inbox name, and topic label) and agents (display name).
async fn names(state: &AppState, tenant_id: Uuid) -> ApiResult<HashMap<String, String>> {
    let mut names = HashMap::new();
    for inbox in state.store().list_inboxes(tenant_id).await? {
        let id = inbox.id.to_string();
        for topic in &inbox.settings.topics {
            names.insert(
                reports::fold::queue_key(&id, Some(&topic.key)),
                format!("{} / {}", inbox.name, topic.label),
            );
        }
        names.insert(id, inbox.name);
    }
    let filter = UserFilter {
        include_inactive: true,
        ..UserFilter::default()
    };
    let mut after = None;
    loop {
        let page = state
            .store()
            .list_users(tenant_id, &filter, after, USERS_PER_PAGE)
            .await?;
        for user in page.items {
            names.insert(user.id.to_string(), user.display_name);
        }
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(names)
}

/// Metrics of the tenant's contacts, folded from the event log and bucketed in its time zone.
/// Each contact counts in the bucket it was offered in. The CSV has one row per bucket and
/// dimension value, starts with a UTF-8 BOM, and names the service-level definition in the
/// service-level column's header (and in `X-Kefu-Service-Level`). The XLSX has the CSV's
/// columns and values (rates as percentages) and a second sheet with the parameters.
#[utoipa::path(get, path = "/api/v1/reports/metrics", tag = "reports", params(MetricsQuery),
    responses(
        (status = 200, description = "The engine's `MetricsReport` (docs/metrics.md), or CSV with `format=csv`, XLSX with `format=xlsx`", content(
            (serde_json::Value = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = ErrorBody),
        (status = 422, description = "A bad parameter: `details.errors[].field` names it", body = ErrorBody)))]
pub async fn metrics(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<MetricsQuery>,
) -> ApiResult<Response> {
    principal.require(Role::Supervisor, Scope::ReportsRead)?;
    let (report, format) = compute_metrics(&state, principal.tenant_id, &query).await?;
    if format == Format::Json {
        return Ok(axum::Json::<MetricsReport>(report).into_response());
    }
    let file = metrics_file(&state, principal.tenant_id, &report, format).await?;
    let mut response = file.into_response();
    let sl = &report.service_level;
    if let Ok(value) = HeaderValue::from_str(&format!(
        "SL{}; T={}s; {}",
        sl.number, sl.threshold_secs, sl.formula
    )) {
        response.headers_mut().insert("x-kefu-service-level", value);
    }
    Ok(response)
}

/// The metrics report a query asks for, and the format it wants.
pub(crate) async fn compute_metrics(
    state: &AppState,
    tenant_id: Uuid,
    query: &MetricsQuery,
) -> ApiResult<(MetricsReport, Format)> {
    let tenant = state.store().tenant(tenant_id).await?;
    let (spec, format) = parse_query(query, &tenant.settings.0.timezone)?;
    // Fail before reading the log if the window is too fine-grained.
    let buckets_ok = kefu_metrics::Aggregator::new(spec.clone())
        .map(drop)
        .map_err(|err| report_error(err.into()));
    buckets_ok?;
    let computed =
        reports::compute_report(state.store(), state.rollups(), tenant_id, spec, Utc::now())
            .await
            .map_err(report_error)?;
    if computed.late_ratings > 0 {
        tracing::info!(
            late_ratings = computed.late_ratings,
            "ratings given after the grace were not counted"
        );
    }
    Ok((computed.report, format))
}

/// A report as a file to download or attach.
pub(crate) struct ReportFile {
    pub filename: String,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

pub(crate) const XLSX_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl IntoResponse for ReportFile {
    fn into_response(self) -> Response {
        let mut response = self.body.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        if let Ok(value) =
            HeaderValue::from_str(&format!("attachment; filename=\"{}\"", self.filename))
        {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        response
    }
}

/// A table as CSV or XLSX (JSON is not a file).
fn table_file(
    table: &Table,
    stem: String,
    format: Format,
    sheets: xlsx::Labels,
    about: &[(String, String)],
) -> ApiResult<ReportFile> {
    match format {
        Format::Xlsx => {
            let body = xlsx::write(table, sheets, about).map_err(|err| {
                tracing::error!(error = %err, "writing the XLSX report");
                ApiError::internal()
            })?;
            Ok(ReportFile {
                filename: format!("{stem}.xlsx"),
                content_type: XLSX_TYPE,
                body,
            })
        }
        Format::Csv | Format::Json => Ok(ReportFile {
            filename: format!("{stem}.csv"),
            content_type: "text/csv; charset=utf-8",
            body: csv::write(table).into_bytes(),
        }),
    }
}

fn window_stem(kind: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    format!(
        "kefu-{kind}-{}-{}",
        start.format("%Y%m%d"),
        end.format("%Y%m%d")
    )
}

/// The metrics report as a CSV or XLSX file, with the queues' and agents' names.
pub(crate) async fn metrics_file(
    state: &AppState,
    tenant_id: Uuid,
    report: &MetricsReport,
    format: Format,
) -> ApiResult<ReportFile> {
    let names = names(state, tenant_id).await?;
    let locale = state.store().tenant(tenant_id).await?.settings.0.locale;
    let sl = &report.service_level;
    let granularity = serde_json::to_value(report.granularity)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let about = [
        ("window_start", report.window_start.to_rfc3339()),
        ("window_end", report.window_end.to_rfc3339()),
        ("time_zone", report.time_zone.clone()),
        ("granularity", granularity),
        (
            "service_level",
            format!(
                "SL{}: {}; T = {} s",
                sl.number, sl.formula, sl.threshold_secs
            ),
        ),
        ("short_abandon_secs", report.short_abandon_secs.to_string()),
        ("fcr_window_days", report.fcr_window_days.to_string()),
        ("observed_until", report.observed_until.to_rfc3339()),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    table_file(
        &table::metrics(report, &names),
        window_stem("metrics", report.window_start, report.window_end),
        format,
        xlsx::labels(SheetKind::Metrics, &locale),
        &about,
    )
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ScorecardQuery {
    /// Start of the window, as for the metrics report.
    pub from: Option<String>,
    /// End of the window (a date is included whole), as for the metrics report.
    pub to: Option<String>,
    /// IANA zone of date edges; the tenant's by default.
    pub time_zone: Option<String>,
    /// Only the members of this service group.
    pub group: Option<String>,
    /// Only this agent (agents may only ask for themselves, and get their own by default).
    pub agent: Option<String>,
    /// N of FCR's "no repeat contact within N days", 1–366 (default 7).
    pub fcr_window_days: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

fn parse_uuid(
    errors: &mut ValidationErrors,
    field: &'static str,
    text: Option<&str>,
) -> Option<Uuid> {
    let text = text?.trim();
    match text.parse::<Uuid>() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.push(field, "invalid_id", format!("{field} is an id"));
            None
        }
    }
}

/// Agent scorecards over a window: per agent, conversations answered and handled, tickets
/// solved, AHT, first response time, CSAT and its count, FCR, transfer rate, occupancy, and
/// adherence (`null`: kefu keeps no published schedules yet). Every figure is the engine's
/// metric of the same name (docs/metrics.md, *Agent scorecards*). Supervisors, admins and
/// tokens with `reports:read` see every agent; an agent sees only their own.
#[utoipa::path(get, path = "/api/v1/reports/scorecards", tag = "reports", params(ScorecardQuery),
    responses(
        (status = 200, description = "Scorecards as JSON, CSV with `format=csv`, XLSX with `format=xlsx`", content(
            (ScorecardReport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = ErrorBody),
        (status = 422, description = "A bad parameter: `details.errors[].field` names it", body = ErrorBody)))]
pub async fn scorecards(
    State(state): State<AppState>,
    principal: Principal,
    Query(mut query): Query<ScorecardQuery>,
) -> ApiResult<Response> {
    let everyone = principal.require(Role::Supervisor, Scope::ReportsRead);
    if let Err(refused) = everyone {
        // An agent's own scorecard only; a token without the scope gets the refusal.
        let Some(me) = principal.user_id() else {
            return Err(refused);
        };
        let mine = me.to_string();
        match query.agent.as_deref().map(str::trim) {
            None => query.agent = Some(mine),
            Some(asked) if asked == mine => {}
            Some(_) => {
                return Err(ApiError::forbidden(
                    "agents may read only their own scorecard",
                ));
            }
        }
    }
    let (report, format) = compute_scorecards(&state, principal.tenant_id, &query).await?;
    if format == Format::Json {
        return Ok(axum::Json(report).into_response());
    }
    Ok(
        scorecards_file(&state, principal.tenant_id, &report, format)
            .await?
            .into_response(),
    )
}

/// The scorecards a query asks for, and the format it wants.
pub(crate) async fn compute_scorecards(
    state: &AppState,
    tenant_id: Uuid,
    query: &ScorecardQuery,
) -> ApiResult<(ScorecardReport, Format)> {
    let tenant = state.store().tenant(tenant_id).await?;
    let as_metrics = MetricsQuery {
        from: query.from.clone(),
        to: query.to.clone(),
        time_zone: query.time_zone.clone(),
        granularity: Some("whole".into()),
        dimensions: Some("agent".into()),
        fcr_window_days: query.fcr_window_days.clone(),
        format: query.format.clone(),
        ..MetricsQuery::default()
    };
    let mut errors = ValidationErrors::new();
    let group = parse_uuid(&mut errors, "group", query.group.as_deref());
    let agent = parse_uuid(&mut errors, "agent", query.agent.as_deref());
    let parsed = parse_query(&as_metrics, &tenant.settings.0.timezone);
    if let Err(more) = &parsed {
        errors.errors.extend(more.errors.iter().cloned());
    }
    errors.into_result()?;
    let (spec, format) = parsed?;
    let (from, to) = (spec.window_start, spec.window_end);
    let computed =
        reports::compute_report(state.store(), state.rollups(), tenant_id, spec, Utc::now())
            .await
            .map_err(report_error)?;
    let solved = state
        .store()
        .tickets_solved_by_assignee(tenant_id, from, to)
        .await?
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
        .collect();
    let filter = UserFilter {
        include_inactive: true,
        group_id: group,
        ..UserFilter::default()
    };
    let mut people = Vec::new();
    let mut after = None;
    loop {
        let page = state
            .store()
            .list_users(tenant_id, &filter, after, USERS_PER_PAGE)
            .await?;
        people.extend(
            page.items
                .into_iter()
                .filter(|user| agent.is_none_or(|id| id == user.id))
                .map(|user| Person {
                    id: user.id,
                    name: user.display_name,
                    role: user.role,
                    active: user.active,
                }),
        );
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok((
        scorecard::scorecards(&computed.report, &solved, &people),
        format,
    ))
}

/// Scorecards as a CSV or XLSX file.
pub(crate) async fn scorecards_file(
    state: &AppState,
    tenant_id: Uuid,
    report: &ScorecardReport,
    format: Format,
) -> ApiResult<ReportFile> {
    let locale = state.store().tenant(tenant_id).await?.settings.0.locale;
    let about = [
        ("window_start", report.window_start.to_rfc3339()),
        ("window_end", report.window_end.to_rfc3339()),
        ("time_zone", report.time_zone.clone()),
        ("fcr_window_days", report.fcr_window_days.to_string()),
        (
            "adherence",
            "null: kefu keeps no published agent schedules yet".to_owned(),
        ),
    ]
    .map(|(k, v)| (k.to_owned(), v));
    table_file(
        &scorecard::table(report),
        window_stem("scorecards", report.window_start, report.window_end),
        format,
        xlsx::labels(SheetKind::Scorecards, &locale),
        &about,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn query(pairs: &[(&str, &str)]) -> MetricsQuery {
        let text = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        serde_urlencoded_like(&text)
    }

    /// Builds the query through serde the way axum does (via a JSON object of strings).
    fn serde_urlencoded_like(text: &str) -> MetricsQuery {
        let map: serde_json::Map<String, serde_json::Value> = text
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_owned(), serde_json::Value::from(v))
            })
            .collect();
        serde_json::from_value(serde_json::Value::Object(map)).unwrap()
    }

    #[test]
    fn dates_are_local_days_and_to_is_inclusive() {
        let (spec, format) = parse_query(
            &query(&[("from", "2026-03-01"), ("to", "2026-03-01")]),
            "Asia/Shanghai",
        )
        .unwrap();
        assert_eq!(format, Format::Json);
        assert_eq!(spec.window_start.to_rfc3339(), "2026-02-28T16:00:00+00:00");
        assert_eq!(spec.window_end.to_rfc3339(), "2026-03-01T16:00:00+00:00");
        assert_eq!(spec.time_zone, Tz::Asia__Shanghai);
        assert_eq!(spec.dimensions, DEFAULT_DIMENSIONS);
        assert_eq!(spec.service_level, SlDefinition::AllAbandonsCount);
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let err = parse_query(
            &query(&[
                ("from", "yesterday"),
                ("granularity", "hour"),
                ("time_zone", "Mars/Base"),
                ("dimensions", "tenant,planet"),
                ("service_level", "6"),
                ("sl_threshold_secs", "-1"),
                ("format", "xml"),
            ]),
            "UTC",
        )
        .unwrap_err();
        let mut fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "dimensions",
                "format",
                "from",
                "granularity",
                "service_level",
                "sl_threshold_secs",
                "time_zone",
                "to"
            ]
        );
    }
}
