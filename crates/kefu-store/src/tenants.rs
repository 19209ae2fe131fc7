//! Tenants: the organisations that own every other row, and their settings
//! (customer tiers, business hours, locale).

use crate::events::{Actor, Change, record};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use kefu_core::TierSet;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;

/// Per-tenant settings, stored as one JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct TenantSettings {
    /// Customer value tiers, lowest first.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub tiers: TierSet,
    /// IANA time zone of the business hours, e.g. `Asia/Shanghai`.
    pub timezone: String,
    /// Default UI language of the tenant.
    pub locale: String,
    /// Opening hours per weekday (`mon`…`sun`): list of `["09:00","18:00"]` ranges.
    pub business_hours: std::collections::BTreeMap<String, Vec<[String; 2]>>,
    /// The service level the wallboard holds each queue to.
    pub service_level_goal: ServiceLevelGoal,
    /// A ticket waiting this many business hours on the customer is solved with a notice to
    /// them; 0 never. Fractions allowed.
    pub pending_solve_hours: f64,
}

/// `target_percent` of contacts answered within `threshold_secs` (80/20 unless set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct ServiceLevelGoal {
    pub target_percent: u8,
    pub threshold_secs: u32,
}

impl Default for ServiceLevelGoal {
    fn default() -> Self {
        ServiceLevelGoal {
            target_percent: 80,
            threshold_secs: 20,
        }
    }
}

impl Default for TenantSettings {
    fn default() -> Self {
        TenantSettings {
            tiers: TierSet::default(),
            timezone: "UTC".into(),
            locale: "en".into(),
            business_hours: Default::default(),
            service_level_goal: ServiceLevelGoal::default(),
            pending_solve_hours: 72.0,
        }
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = TenantSettings))]
    pub settings: Json<TenantSettings>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

macro_rules! tenant_columns {
    () => {
        "id, slug, name, settings, created_at, updated_at"
    };
}

impl Store {
    pub async fn create_tenant(
        &self,
        slug: &str,
        name: &str,
        settings: &TenantSettings,
        actor: &Actor,
    ) -> Result<Tenant, StoreError> {
        let mut tx = self.write().await?;
        let mut conn = tx.conn();
        let taken = sql_scalar_optional!(
            Uuid,
            &mut conn,
            "SELECT id FROM tenants WHERE slug = $1",
            slug
        )?;
        if taken.is_some() {
            return Err(StoreError::conflict(
                "slug_taken",
                format!("a tenant named {slug} exists"),
                serde_json::json!({"field": "slug"}),
            ));
        }
        let now = Utc::now();
        let id = Uuid::now_v7();
        sql_execute!(
            &mut conn,
            "INSERT INTO tenants (id, slug, name, settings, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
            id,
            slug,
            name,
            Json(settings),
            now
        )?;
        sql_execute!(
            &mut conn,
            "INSERT INTO event_sequences (tenant_id, last_seq) VALUES ($1, 0)",
            id
        )?;
        let tenant = Tenant {
            id,
            slug: slug.into(),
            name: name.into(),
            settings: Json(settings.clone()),
            created_at: now,
            updated_at: now,
        };
        record(
            &mut conn,
            Change {
                tenant_id: id,
                kind: "tenant.created",
                entity_type: "tenant",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({"slug": slug, "name": name}),
                audit: Some((None, serde_json::to_value(&tenant).ok())),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(tenant)
    }

    pub async fn tenant(&self, id: Uuid) -> Result<Tenant, StoreError> {
        let mut read = self.read().await?;
        sql_optional!(
            Tenant,
            read.conn(),
            concat!("SELECT ", tenant_columns!(), " FROM tenants WHERE id = $1"),
            id
        )?
        .ok_or(StoreError::NotFound)
    }

    /// Every tenant's id: the server starts one router per tenant.
    pub async fn tenant_ids(&self) -> Result<Vec<Uuid>, StoreError> {
        let mut read = self.read().await?;
        Ok(
            sql_all!(IdRow, read.conn(), "SELECT id FROM tenants ORDER BY id")?
                .into_iter()
                .map(|row| row.id)
                .collect(),
        )
    }

    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_optional!(
            Tenant,
            read.conn(),
            concat!(
                "SELECT ",
                tenant_columns!(),
                " FROM tenants WHERE slug = $1"
            ),
            slug
        )?)
    }

    pub async fn update_tenant(
        &self,
        id: Uuid,
        name: Option<&str>,
        settings: Option<&TenantSettings>,
        actor: &Actor,
    ) -> Result<Tenant, StoreError> {
        let mut tx = self.write_for(id).await?;
        let mut conn = tx.conn();
        let before = sql_optional!(
            Tenant,
            &mut conn,
            concat!("SELECT ", tenant_columns!(), " FROM tenants WHERE id = $1"),
            id
        )?
        .ok_or(StoreError::NotFound)?;
        let mut after = before.clone();
        if let Some(name) = name {
            after.name = name.to_owned();
        }
        if let Some(settings) = settings {
            after.settings = Json(settings.clone());
        }
        after.updated_at = Utc::now();
        sql_execute!(
            &mut conn,
            "UPDATE tenants SET name = $2, settings = $3, updated_at = $4 WHERE id = $1",
            id,
            &after.name,
            &after.settings,
            after.updated_at
        )?;
        record(
            &mut conn,
            Change {
                tenant_id: id,
                kind: "tenant.updated",
                entity_type: "tenant",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({"name": after.name, "settings": after.settings}),
                audit: Some((
                    serde_json::to_value(&before).ok(),
                    serde_json::to_value(&after).ok(),
                )),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: Uuid,
}
