//! The SQL of bot scenarios and the integrations they call: a tenant's HTTP endpoints (with a
//! write-only secret), its guided flows with their trigger questions, steps and revisions.
//! Steps are stored as the server checked them; what they mean is the knowledge core's.

use crate::events::{Actor, Change, record};
use crate::knowledge::{FaqStatus, bump_content};
use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

/// A tenant's HTTP endpoint, as clients see it: the secret's value is never shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Integration {
    pub id: Uuid,
    pub name: String,
    /// `https://orders.example.com/api`.
    pub base_url: String,
    /// `GET` or `POST` (the slots as a JSON object in the body).
    pub method: String,
    /// Appended to the base URL; `{slot}` placeholders take percent-encoded slot values.
    pub path_template: String,
    /// The header that carries the secret (`X-Api-Key`).
    pub secret_header: Option<String>,
    /// Whether a secret value is stored (the value itself is write-only).
    pub has_secret: bool,
    pub timeout_ms: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An integration with its secret, for the caller that makes the request.
#[derive(Clone)]
pub struct IntegrationTarget {
    pub integration: Integration,
    pub secret_value: Option<String>,
}

impl std::fmt::Debug for IntegrationTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationTarget")
            .field("integration", &self.integration)
            .field("secret_value", &self.secret_value.as_ref().map(|_| "***"))
            .finish()
    }
}

#[derive(sqlx::FromRow)]
struct IntegrationRow {
    id: Uuid,
    name: String,
    base_url: String,
    method: String,
    path_template: String,
    secret_header: Option<String>,
    secret_value: Option<String>,
    timeout_ms: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<IntegrationRow> for IntegrationTarget {
    fn from(row: IntegrationRow) -> Self {
        IntegrationTarget {
            integration: Integration {
                id: row.id,
                name: row.name,
                base_url: row.base_url,
                method: row.method,
                path_template: row.path_template,
                secret_header: row.secret_header,
                has_secret: row.secret_value.is_some(),
                timeout_ms: row.timeout_ms,
                created_at: row.created_at,
                updated_at: row.updated_at,
            },
            secret_value: row.secret_value,
        }
    }
}

macro_rules! integration_columns {
    () => {
        "id, name, base_url, method, path_template, secret_header, secret_value, timeout_ms, created_at, updated_at"
    };
}

/// A new integration, already checked by the caller.
#[derive(Clone)]
pub struct NewIntegration {
    pub name: String,
    pub base_url: String,
    pub method: String,
    pub path_template: String,
    pub secret_header: Option<String>,
    pub secret_value: Option<String>,
    pub timeout_ms: i64,
}

/// Changed fields; `Some(None)` clears an optional one.
#[derive(Clone, Default)]
pub struct IntegrationPatch {
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub method: Option<String>,
    pub path_template: Option<String>,
    pub secret_header: Option<Option<String>>,
    pub secret_value: Option<Option<String>>,
    pub timeout_ms: Option<i64>,
}

/// A guided flow the bot walks a customer through.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scenario {
    pub id: Uuid,
    pub name: String,
    /// Questions that start it, matched like an FAQ's similar questions.
    pub triggers: Vec<String>,
    /// The ordered steps (`ask`, `choice`, `call`, `say`, `handoff`).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub steps: serde_json::Value,
    pub status: FaqStatus,
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ScenarioRow {
    id: Uuid,
    name: String,
    triggers: Json<Vec<String>>,
    steps: Json<serde_json::Value>,
    status: String,
    revision: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ScenarioRow> for Scenario {
    fn from(row: ScenarioRow) -> Self {
        Scenario {
            id: row.id,
            name: row.name,
            triggers: row.triggers.0,
            steps: row.steps.0,
            // Only this module writes the column, from a FaqStatus.
            status: FaqStatus::parse(&row.status).unwrap_or(FaqStatus::Draft),
            revision: row.revision,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

macro_rules! scenario_columns {
    () => {
        "id, name, triggers, steps, status, revision, created_at, updated_at"
    };
}

#[derive(Debug, Clone)]
pub struct NewScenario {
    pub name: String,
    pub triggers: Vec<String>,
    pub steps: serde_json::Value,
    pub status: FaqStatus,
}

#[derive(Debug, Clone, Default)]
pub struct ScenarioPatch {
    pub name: Option<String>,
    pub triggers: Option<Vec<String>>,
    pub steps: Option<serde_json::Value>,
    pub status: Option<FaqStatus>,
}

/// One change in a scenario's history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScenarioRevision {
    pub id: Uuid,
    pub scenario_id: Uuid,
    pub revision: i64,
    /// `created`, `updated` or `deleted`.
    pub action: String,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    /// The scenario after the change (before it, for a deletion).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub snapshot: Json<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

fn duplicate_name(what: &'static str, name: &str) -> StoreError {
    StoreError::conflict(
        "duplicate_name",
        format!("a {what} named {name:?} already exists"),
        serde_json::json!({"field": "name"}),
    )
}

fn named(conflict: StoreError) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |err| match StoreError::from(err) {
        StoreError::Conflict {
            code: "conflict", ..
        } => conflict,
        other => other,
    }
}

async fn load_integration(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<IntegrationTarget, StoreError> {
    let sql = concat!(
        "SELECT ",
        integration_columns!(),
        " FROM kb_integrations WHERE tenant_id = $1 AND id = $2"
    );
    Ok(sql_optional!(IntegrationRow, conn, sql, tenant_id, id)?
        .ok_or(StoreError::NotFound)?
        .into())
}

async fn faq_exists(conn: &mut Conn<'_>, tenant_id: Uuid, faq_id: Uuid) -> Result<(), StoreError> {
    sql_scalar_optional!(
        Uuid,
        conn,
        "SELECT id FROM kb_faqs WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        faq_id
    )?
    .map(|_| ())
    .ok_or(StoreError::NotFound)
}

async fn load_scenario(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Scenario, StoreError> {
    let sql = concat!(
        "SELECT ",
        scenario_columns!(),
        " FROM kb_scenarios WHERE tenant_id = $1 AND id = $2"
    );
    Ok(sql_optional!(ScenarioRow, conn, sql, tenant_id, id)?
        .ok_or(StoreError::NotFound)?
        .into())
}

async fn scenario_revision(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    scenario: &Scenario,
    action: &str,
    actor: &Actor,
) -> Result<(), StoreError> {
    let snapshot = serde_json::to_value(scenario).unwrap_or(serde_json::Value::Null);
    sql_execute!(
        conn,
        "INSERT INTO kb_scenario_revisions (id, tenant_id, scenario_id, revision, action, actor_type, actor_id, snapshot, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        Uuid::now_v7(),
        tenant_id,
        scenario.id,
        scenario.revision,
        action,
        actor.kind.as_str(),
        actor.id,
        Json(&snapshot),
        Utc::now()
    )?;
    Ok(())
}

async fn scenario_event(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    kind: &'static str,
    id: Uuid,
    actor: &Actor,
    payload: serde_json::Value,
) -> Result<(), StoreError> {
    record(
        conn,
        Change {
            tenant_id,
            kind,
            entity_type: "kb_scenario",
            entity_id: Some(id),
            actor,
            payload,
            audit: None,
        },
    )
    .await?;
    Ok(())
}

async fn integration_event(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    kind: &'static str,
    before: Option<&Integration>,
    after: Option<&Integration>,
    actor: &Actor,
) -> Result<(), StoreError> {
    let Some(id) = after.or(before).map(|i| i.id) else {
        return Ok(());
    };
    let json = |i: Option<&Integration>| i.and_then(|i| serde_json::to_value(i).ok());
    record(
        conn,
        Change {
            tenant_id,
            kind,
            entity_type: "kb_integration",
            entity_id: Some(id),
            actor,
            // The Integration never carries the secret's value, so neither does the log.
            payload: serde_json::json!({ "integration": json(after.or(before)) }),
            audit: Some((json(before), json(after))),
        },
    )
    .await?;
    Ok(())
}

impl Store {
    // ---- integrations ----

    pub async fn create_integration(
        &self,
        tenant_id: Uuid,
        new: NewIntegration,
        actor: &Actor,
    ) -> Result<Integration, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let id = Uuid::now_v7();
        sql_execute!(
            &mut conn,
            "INSERT INTO kb_integrations (id, tenant_id, name, base_url, method, path_template, secret_header, secret_value, timeout_ms, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            id,
            tenant_id,
            &new.name,
            &new.base_url,
            &new.method,
            &new.path_template,
            new.secret_header.as_deref(),
            new.secret_value.as_deref(),
            new.timeout_ms,
            Utc::now()
        )
        .map_err(named(duplicate_name("integration", &new.name)))?;
        let created = load_integration(&mut conn, tenant_id, id)
            .await?
            .integration;
        integration_event(
            &mut conn,
            tenant_id,
            "kb.integration_created",
            None,
            Some(&created),
            actor,
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Every integration of the tenant, oldest first (a tenant has a handful).
    pub async fn integrations(&self, tenant_id: Uuid) -> Result<Vec<Integration>, StoreError> {
        let mut read = self.read().await?;
        let sql = concat!(
            "SELECT ",
            integration_columns!(),
            " FROM kb_integrations WHERE tenant_id = $1 ORDER BY id"
        );
        Ok(sql_all!(IntegrationRow, read.conn(), sql, tenant_id)?
            .into_iter()
            .map(|row| IntegrationTarget::from(row).integration)
            .collect())
    }

    /// An integration with its secret, to call it.
    pub async fn integration_target(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> Result<IntegrationTarget, StoreError> {
        let mut read = self.read().await?;
        load_integration(&mut read.conn(), tenant_id, id).await
    }

    pub async fn update_integration(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: IntegrationPatch,
        actor: &Actor,
    ) -> Result<Integration, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_integration(&mut conn, tenant_id, id).await?;
        let old = before.integration.clone();
        let name = patch.name.unwrap_or(old.name.clone());
        sql_execute!(
            &mut conn,
            "UPDATE kb_integrations SET name = $3, base_url = $4, method = $5, path_template = $6,
                 secret_header = $7, secret_value = $8, timeout_ms = $9, updated_at = $10
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            &name,
            patch.base_url.unwrap_or(old.base_url.clone()),
            patch.method.unwrap_or(old.method.clone()),
            patch.path_template.unwrap_or(old.path_template.clone()),
            patch.secret_header.unwrap_or(old.secret_header.clone()),
            patch.secret_value.unwrap_or(before.secret_value),
            patch.timeout_ms.unwrap_or(old.timeout_ms),
            Utc::now()
        )
        .map_err(named(duplicate_name("integration", &name)))?;
        let after = load_integration(&mut conn, tenant_id, id)
            .await?
            .integration;
        integration_event(
            &mut conn,
            tenant_id,
            "kb.integration_updated",
            Some(&old),
            Some(&after),
            actor,
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes an integration; a scenario still calling it hands off with `integration_failed`.
    pub async fn delete_integration(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_integration(&mut conn, tenant_id, id)
            .await?
            .integration;
        sql_execute!(
            &mut conn,
            "DELETE FROM kb_integrations WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        integration_event(
            &mut conn,
            tenant_id,
            "kb.integration_deleted",
            Some(&before),
            None,
            actor,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- FAQ business actions ----

    /// An FAQ's business action; `None` when it has none. Not found when the FAQ is not.
    pub async fn faq_action(
        &self,
        tenant_id: Uuid,
        faq_id: Uuid,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        faq_exists(&mut conn, tenant_id, faq_id).await?;
        Ok(sql_scalar_optional!(
            Json<serde_json::Value>,
            &mut conn,
            "SELECT action FROM kb_faq_actions WHERE tenant_id = $1 AND faq_id = $2",
            tenant_id,
            faq_id
        )?
        .map(|j| j.0))
    }

    /// Sets (or with `None` removes) an FAQ's business action, checked by the caller.
    pub async fn set_faq_action(
        &self,
        tenant_id: Uuid,
        faq_id: Uuid,
        action: Option<serde_json::Value>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        faq_exists(&mut conn, tenant_id, faq_id).await?;
        match &action {
            Some(action) => sql_execute!(
                &mut conn,
                "INSERT INTO kb_faq_actions (tenant_id, faq_id, action, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tenant_id, faq_id) DO UPDATE SET action = excluded.action, updated_at = excluded.updated_at",
                tenant_id,
                faq_id,
                Json(action),
                Utc::now()
            )?,
            None => sql_execute!(
                &mut conn,
                "DELETE FROM kb_faq_actions WHERE tenant_id = $1 AND faq_id = $2",
                tenant_id,
                faq_id
            )?,
        };
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: if action.is_some() {
                    "kb.faq_action_set"
                } else {
                    "kb.faq_action_removed"
                },
                entity_type: "kb_faq",
                entity_id: Some(faq_id),
                actor,
                payload: serde_json::json!({ "faq_id": faq_id, "action": action }),
                audit: None,
            },
        )
        .await?;
        bump_content(&mut conn, tenant_id).await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- scenarios ----

    pub async fn create_scenario(
        &self,
        tenant_id: Uuid,
        new: NewScenario,
        actor: &Actor,
    ) -> Result<Scenario, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let id = Uuid::now_v7();
        let now = Utc::now();
        sql_execute!(
            &mut conn,
            "INSERT INTO kb_scenarios (id, tenant_id, name, triggers, steps, status, revision, created_at, created_by, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $7, $8)",
            id,
            tenant_id,
            &new.name,
            Json(&new.triggers),
            Json(&new.steps),
            new.status.as_str(),
            now,
            actor.id
        )
        .map_err(named(duplicate_name("scenario", &new.name)))?;
        let created = load_scenario(&mut conn, tenant_id, id).await?;
        scenario_revision(&mut conn, tenant_id, &created, "created", actor).await?;
        let payload = serde_json::json!({ "scenario": created });
        scenario_event(
            &mut conn,
            tenant_id,
            "kb.scenario_created",
            id,
            actor,
            payload,
        )
        .await?;
        bump_content(&mut conn, tenant_id).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Every scenario of the tenant, oldest first.
    pub async fn scenarios(&self, tenant_id: Uuid) -> Result<Vec<Scenario>, StoreError> {
        let mut read = self.read().await?;
        let sql = concat!(
            "SELECT ",
            scenario_columns!(),
            " FROM kb_scenarios WHERE tenant_id = $1 ORDER BY id"
        );
        Ok(sql_all!(ScenarioRow, read.conn(), sql, tenant_id)?
            .into_iter()
            .map(Scenario::from)
            .collect())
    }

    pub async fn scenario(&self, tenant_id: Uuid, id: Uuid) -> Result<Scenario, StoreError> {
        let mut read = self.read().await?;
        load_scenario(&mut read.conn(), tenant_id, id).await
    }

    pub async fn update_scenario(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: ScenarioPatch,
        actor: &Actor,
    ) -> Result<Scenario, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_scenario(&mut conn, tenant_id, id).await?;
        let name = patch.name.unwrap_or(before.name.clone());
        sql_execute!(
            &mut conn,
            "UPDATE kb_scenarios SET name = $3, triggers = $4, steps = $5, status = $6,
                 revision = revision + 1, updated_at = $7, updated_by = $8
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            &name,
            Json(patch.triggers.unwrap_or(before.triggers.clone())),
            Json(patch.steps.unwrap_or(before.steps.clone())),
            patch.status.unwrap_or(before.status).as_str(),
            Utc::now(),
            actor.id
        )
        .map_err(named(duplicate_name("scenario", &name)))?;
        let after = load_scenario(&mut conn, tenant_id, id).await?;
        scenario_revision(&mut conn, tenant_id, &after, "updated", actor).await?;
        let payload = serde_json::json!({ "scenario": after });
        scenario_event(
            &mut conn,
            tenant_id,
            "kb.scenario_updated",
            id,
            actor,
            payload,
        )
        .await?;
        bump_content(&mut conn, tenant_id).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a scenario; its history stays. A customer in the middle of it is handed off at
    /// their next message (the bot no longer knows the steps).
    pub async fn delete_scenario(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let mut before = load_scenario(&mut conn, tenant_id, id).await?;
        sql_execute!(
            &mut conn,
            "DELETE FROM kb_scenarios WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        before.revision += 1;
        scenario_revision(&mut conn, tenant_id, &before, "deleted", actor).await?;
        let payload = serde_json::json!({ "id": id, "name": before.name });
        scenario_event(
            &mut conn,
            tenant_id,
            "kb.scenario_deleted",
            id,
            actor,
            payload,
        )
        .await?;
        bump_content(&mut conn, tenant_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A scenario's history, newest first; also for a deleted one.
    pub async fn scenario_revisions(
        &self,
        tenant_id: Uuid,
        scenario_id: Uuid,
    ) -> Result<Vec<ScenarioRevision>, StoreError> {
        let mut read = self.read().await?;
        let rows = sql_all!(
            ScenarioRevision,
            read.conn(),
            "SELECT id, scenario_id, revision, action, actor_type, actor_id, snapshot, created_at
             FROM kb_scenario_revisions WHERE tenant_id = $1 AND scenario_id = $2 ORDER BY id DESC LIMIT 200",
            tenant_id,
            scenario_id
        )?;
        if rows.is_empty() {
            return Err(StoreError::NotFound);
        }
        Ok(rows)
    }
}

/// The business actions of the tenant's published FAQs, for the bot: (FAQ id, action).
pub(crate) async fn published_faq_actions(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
) -> Result<Vec<(Uuid, serde_json::Value)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        faq_id: Uuid,
        action: Json<serde_json::Value>,
    }
    Ok(sql_all!(
        Row,
        conn,
        "SELECT a.faq_id, a.action FROM kb_faq_actions a JOIN kb_faqs f ON f.tenant_id = a.tenant_id AND f.id = a.faq_id
         WHERE a.tenant_id = $1 AND f.status = 'published' ORDER BY a.faq_id",
        tenant_id
    )?
    .into_iter()
    .map(|r| (r.faq_id, r.action.0))
    .collect())
}

/// The published scenarios, for the bot's matcher.
pub(crate) async fn published_scenarios(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
) -> Result<Vec<Scenario>, StoreError> {
    let sql = concat!(
        "SELECT ",
        scenario_columns!(),
        " FROM kb_scenarios WHERE tenant_id = $1 AND status = 'published' ORDER BY id"
    );
    Ok(sql_all!(ScenarioRow, conn, sql, tenant_id)?
        .into_iter()
        .map(Scenario::from)
        .collect())
}
