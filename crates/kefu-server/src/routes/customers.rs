//! Customers (contacts): profile, tier, tags, attributes, identities on every channel,
//! lookup by identity, merge and history.

use super::{ListResponse, check_limit, decode_cursor};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::{IdentityKind, Role, Scope, ValidationErrors, normalize_identity, normalize_tags};
use kefu_store::{Customer, CustomerFilter, CustomerPatch, Event, NewCustomer, NewIdentity};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityInput {
    pub kind: IdentityKind,
    #[schema(example = "+86 138 0013 8000")]
    pub value: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    #[schema(example = "王芳")]
    pub name: String,
    #[serde(default)]
    pub company: Option<String>,
    /// One of the tenant's tiers; the lowest when omitted.
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub identities: Vec<IdentityInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    pub name: Option<String>,
    /// `null` clears the company.
    #[serde(default, deserialize_with = "crate::extract::present_or_null")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    pub tier: Option<String>,
    pub tags: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeCustomers {
    /// The customer merged into the one in the path; it keeps existing with `merged_into` set.
    pub source_id: Uuid,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListCustomers {
    /// Substring of name, company or any identity.
    pub q: Option<String>,
    pub tier: Option<String>,
    pub tag: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LookupCustomer {
    pub kind: IdentityKind,
    pub value: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    pub limit: Option<u32>,
}

fn checked_name(name: &str) -> Result<String, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    kefu_core::error::check_text(&mut errors, "name", name, 200);
    errors.into_result().map(|()| name.trim().to_owned())
}

fn checked_attributes(
    attributes: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), ValidationErrors> {
    if serde_json::to_vec(attributes)
        .map(|v| v.len())
        .unwrap_or(usize::MAX)
        > 16 * 1024
    {
        return Err(ValidationErrors::single(
            "attributes",
            "too_large",
            "custom attributes are at most 16 KiB of JSON",
        ));
    }
    Ok(())
}

fn identity(input: IdentityInput, field: &str) -> Result<NewIdentity, ValidationErrors> {
    let value = normalize_identity(input.kind, &input.value).map_err(|mut e| {
        e.errors
            .iter_mut()
            .for_each(|fe| fe.field = format!("{field}.value"));
        e
    })?;
    Ok(NewIdentity {
        kind: input.kind,
        value,
    })
}

#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(ListCustomers), responses((status = 200, body = ListResponse<Customer>)))]
pub async fn list_customers(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListCustomers>,
) -> ApiResult<axum::Json<ListResponse<Customer>>> {
    principal.require(Role::Agent, Scope::CustomersRead)?;
    let filter = CustomerFilter {
        query: query.q.filter(|q| !q.trim().is_empty()),
        tier: query.tier.map(|t| t.trim().to_lowercase()),
        tag: query.tag,
    };
    let page = state
        .store()
        .list_customers(
            principal.tenant_id,
            &filter,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await?;
    Ok(axum::Json(page.into()))
}

#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = CreateCustomer,
    responses((status = 201, body = Customer), (status = 409, description = "`identity_taken`", body = crate::error::ErrorBody), (status = 422, description = "`invalid_tier`, `invalid_identity`, …", body = crate::error::ErrorBody)))]
pub async fn create_customer(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateCustomer>,
) -> ApiResult<(StatusCode, axum::Json<Customer>)> {
    principal.require(Role::Agent, Scope::CustomersWrite)?;
    let tiers = super::tenant_tiers(&state, principal.tenant_id).await?;
    let name = checked_name(&req.name)?;
    let tier = match req.tier {
        Some(tier) => tiers.check(&tier)?,
        None => tiers.lowest().to_owned(),
    };
    let tags = normalize_tags(req.tags)?;
    checked_attributes(&req.attributes)?;
    let identities = req
        .identities
        .into_iter()
        .enumerate()
        .map(|(i, input)| identity(input, &format!("identities[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let new = NewCustomer {
        name,
        company: req
            .company
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty()),
        tier,
        tags,
        attributes: req.attributes,
        identities,
    };
    let customer = state
        .store()
        .create_customer(principal.tenant_id, new, &principal.actor())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(customer)))
}

#[utoipa::path(get, path = "/api/v1/customers/lookup", tag = "customers", params(LookupCustomer),
    responses((status = 200, description = "The customer this identity belongs to", body = Customer), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn lookup_customer(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<LookupCustomer>,
) -> ApiResult<axum::Json<Customer>> {
    principal.require(Role::Agent, Scope::CustomersRead)?;
    let value = normalize_identity(query.kind, &query.value)?;
    Ok(axum::Json(
        state
            .store()
            .customer_by_identity(principal.tenant_id, query.kind, &value)
            .await
            .map_err(ApiError::from_store("customer"))?,
    ))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = Uuid, Path)),
    responses((status = 200, body = Customer), (status = 404, description = "`customer_not_found`", body = crate::error::ErrorBody)))]
pub async fn get_customer(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Customer>> {
    principal.require(Role::Agent, Scope::CustomersRead)?;
    Ok(axum::Json(
        state
            .store()
            .customer(principal.tenant_id, id)
            .await
            .map_err(ApiError::from_store("customer"))?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = Uuid, Path)), request_body = UpdateCustomer,
    responses((status = 200, body = Customer), (status = 404, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn update_customer(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateCustomer>,
) -> ApiResult<axum::Json<Customer>> {
    principal.require(Role::Agent, Scope::CustomersWrite)?;
    let tier = match req.tier {
        Some(tier) => Some(
            super::tenant_tiers(&state, principal.tenant_id)
                .await?
                .check(&tier)?,
        ),
        None => None,
    };
    if let Some(attributes) = &req.attributes {
        checked_attributes(attributes)?;
    }
    let patch = CustomerPatch {
        name: req.name.as_deref().map(checked_name).transpose()?,
        company: req
            .company
            .map(|c| c.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty())),
        tier,
        tags: req.tags.map(normalize_tags).transpose()?,
        attributes: req.attributes,
    };
    Ok(axum::Json(
        state
            .store()
            .update_customer(principal.tenant_id, id, patch, &principal.actor())
            .await
            .map_err(ApiError::from_store("customer"))?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted with its identities"), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn delete_customer(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    principal.require(Role::Supervisor, Scope::CustomersWrite)?;
    state
        .store()
        .delete_customer(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("customer"))?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/identities", tag = "customers", params(("id" = Uuid, Path)), request_body = IdentityInput,
    responses((status = 201, body = Customer), (status = 404, body = crate::error::ErrorBody), (status = 409, description = "`identity_taken`", body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn add_identity(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<IdentityInput>,
) -> ApiResult<(StatusCode, axum::Json<Customer>)> {
    principal.require(Role::Agent, Scope::CustomersWrite)?;
    let new = identity(req, "identity")?;
    let customer = state
        .store()
        .add_identity(principal.tenant_id, id, new, &principal.actor())
        .await
        .map_err(ApiError::from_store("customer"))?;
    Ok((StatusCode::CREATED, axum::Json(customer)))
}

#[utoipa::path(delete, path = "/api/v1/customers/{id}/identities/{identity_id}", tag = "customers", params(("id" = Uuid, Path), ("identity_id" = Uuid, Path)),
    responses((status = 200, body = Customer), (status = 404, body = crate::error::ErrorBody)))]
pub async fn remove_identity(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, identity_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<Customer>> {
    principal.require(Role::Agent, Scope::CustomersWrite)?;
    Ok(axum::Json(
        state
            .store()
            .remove_identity(principal.tenant_id, id, identity_id, &principal.actor())
            .await
            .map_err(ApiError::from_store("identity"))?,
    ))
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "customers", params(("id" = Uuid, Path, description = "The customer that survives")), request_body = MergeCustomers,
    responses((status = 200, description = "The surviving customer with every identity", body = Customer), (status = 404, body = crate::error::ErrorBody), (status = 409, description = "`customer_merged`", body = crate::error::ErrorBody)))]
pub async fn merge_customers(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<MergeCustomers>,
) -> ApiResult<axum::Json<Customer>> {
    principal.require(Role::Supervisor, Scope::CustomersWrite)?;
    let tiers = super::tenant_tiers(&state, principal.tenant_id).await?;
    let target = state
        .store()
        .customer(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("customer"))?;
    let source = state
        .store()
        .customer(principal.tenant_id, req.source_id)
        .await
        .map_err(ApiError::from_store("customer"))?;
    // The merged customer keeps the more valuable tier of the two.
    let tier = [&target.tier, &source.tier]
        .into_iter()
        .max_by_key(|t| tiers.rank(t))
        .unwrap_or(&target.tier)
        .clone();
    Ok(axum::Json(
        state
            .store()
            .merge_customers(
                principal.tenant_id,
                id,
                req.source_id,
                &tier,
                &principal.actor(),
            )
            .await
            .map_err(ApiError::from_store("customer"))?,
    ))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/history", tag = "customers", params(("id" = Uuid, Path), HistoryParams),
    responses((status = 200, description = "Events about this customer and those merged into it, newest first", body = Vec<Event>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn customer_history(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Query(query): Query<HistoryParams>,
) -> ApiResult<axum::Json<Vec<Event>>> {
    principal.require(Role::Agent, Scope::CustomersRead)?;
    Ok(axum::Json(
        state
            .store()
            .customer_history(principal.tenant_id, id, check_limit(query.limit)?)
            .await
            .map_err(ApiError::from_store("customer"))?,
    ))
}
