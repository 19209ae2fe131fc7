//! The caller's own tenant: its name and settings (tiers, time zone, business hours).

use crate::auth::Principal;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;
use axum::extract::State;
use kefu_core::{Role, Scope, ValidationErrors};
use kefu_store::{Tenant, TenantSettings};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    pub name: Option<String>,
    pub settings: Option<TenantSettings>,
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Business hours are `HH:MM` ranges that start before they end, on named weekdays.
fn check_settings(settings: &TenantSettings) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let is_time = |s: &str| s.len() == 5 && chrono::NaiveTime::parse_from_str(s, "%H:%M").is_ok();
    for (day, ranges) in &settings.business_hours {
        if !WEEKDAYS.contains(&day.as_str()) {
            errors.push(
                format!("settings.business_hours.{day}"),
                "invalid_weekday",
                "weekdays are mon, tue, wed, thu, fri, sat, sun",
            );
        }
        for (i, [open, close]) in ranges.iter().enumerate() {
            if !is_time(open) || !is_time(close) || open >= close {
                errors.push(
                    format!("settings.business_hours.{day}[{i}]"),
                    "invalid_hours",
                    "a range is [\"HH:MM\", \"HH:MM\"] with the start before the end",
                );
            }
        }
    }
    if settings.timezone.trim().is_empty() || settings.timezone.len() > 64 {
        errors.push(
            "settings.timezone",
            "invalid_timezone",
            "an IANA time zone such as Asia/Shanghai",
        );
    }
    if !(0.0..=10_000.0).contains(&settings.pending_solve_hours) {
        errors.push(
            "settings.pending_solve_hours",
            "out_of_range",
            "0 (never) to 10000 business hours",
        );
    }
    if !["en", "zh-CN"].contains(&settings.locale.as_str()) {
        errors.push("settings.locale", "invalid_locale", "en or zh-CN");
    }
    if let Err(tier_errors) = kefu_core::TierSet::new(settings.tiers.as_slice().to_vec()) {
        errors.errors.extend(tier_errors.errors);
    }
    let goal = settings.service_level_goal;
    if !(1..=100).contains(&goal.target_percent) {
        errors.push(
            "settings.service_level_goal.target_percent",
            "out_of_range",
            "a percentage from 1 to 100",
        );
    }
    if !(1..=3600).contains(&goal.threshold_secs) {
        errors.push(
            "settings.service_level_goal.threshold_secs",
            "out_of_range",
            "from 1 to 3600 seconds",
        );
    }
    errors.into_result()
}

#[utoipa::path(get, path = "/api/v1/tenant", tag = "tenant", responses((status = 200, body = Tenant)))]
pub async fn get_tenant(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<Tenant>> {
    principal.require(Role::Agent, Scope::UsersRead)?;
    Ok(axum::Json(state.store().tenant(principal.tenant_id).await?))
}

#[utoipa::path(patch, path = "/api/v1/tenant", tag = "tenant", request_body = UpdateTenant,
    responses((status = 200, body = Tenant), (status = 403, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_tenant(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<UpdateTenant>,
) -> ApiResult<axum::Json<Tenant>> {
    principal.require_user_role(Role::Admin)?;
    let mut errors = ValidationErrors::new();
    if let Some(name) = &req.name {
        kefu_core::error::check_text(&mut errors, "name", name, 200);
    }
    if let Some(settings) = &req.settings
        && let Err(e) = check_settings(settings)
    {
        errors.errors.extend(e.errors);
    }
    errors.into_result()?;
    let name = req.name.as_deref().map(str::trim);
    Ok(axum::Json(
        state
            .store()
            .update_tenant(
                principal.tenant_id,
                name,
                req.settings.as_ref(),
                &principal.actor(),
            )
            .await?,
    ))
}
