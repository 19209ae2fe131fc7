//! Canned responses (快捷回复): shared ones (no owner) for the whole tenant and agents' own, each
//! with a shortcut unique in its scope. Who may change which, and the template rules, live above.

use crate::customers::like_escape;
use crate::events::{Actor, Change, record};
use crate::page::{Page, clamp_limit};
use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CannedResponse {
    pub id: Uuid,
    /// True for one shared by the whole tenant (no owner).
    pub shared: bool,
    /// The agent whose own response this is; absent for a shared one.
    pub owner_id: Option<Uuid>,
    /// What the agent types after `/`, e.g. `refund-policy`.
    pub shortcut: String,
    pub title: String,
    /// The template, with variables such as `{{customer.name}}`.
    pub body: String,
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct CannedRow {
    id: Uuid,
    owner_id: Option<Uuid>,
    shortcut: String,
    title: String,
    body: String,
    language: Option<String>,
    created_at: DateTime<Utc>,
    created_by: Option<Uuid>,
    updated_at: DateTime<Utc>,
    updated_by: Option<Uuid>,
}

impl From<CannedRow> for CannedResponse {
    fn from(row: CannedRow) -> Self {
        CannedResponse {
            id: row.id,
            shared: row.owner_id.is_none(),
            owner_id: row.owner_id,
            shortcut: row.shortcut,
            title: row.title,
            body: row.body,
            language: row.language,
            created_at: row.created_at,
            created_by: row.created_by,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
        }
    }
}

macro_rules! canned_columns {
    () => {
        "c.id, c.owner_id, c.shortcut, c.title, c.body, c.language, c.created_at, c.created_by, c.updated_at, c.updated_by"
    };
}

/// A new canned response; fields already checked and normalised by the caller.
#[derive(Debug, Clone)]
pub struct NewCannedResponse {
    /// `None` makes it shared by the tenant.
    pub owner_id: Option<Uuid>,
    pub shortcut: String,
    pub title: String,
    pub body: String,
    pub language: Option<String>,
}

/// Changed fields; the scope (shared or whose) never changes.
#[derive(Debug, Clone, Default)]
pub struct CannedResponsePatch {
    pub shortcut: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    /// `Some(None)` clears the language.
    pub language: Option<Option<String>>,
}

/// Which canned responses a list holds, as seen by one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CannedScope {
    /// What the agent may use: the shared ones and their own, their own winning when both have
    /// the same shortcut (the shared one is left out).
    #[default]
    Visible,
    /// Only the tenant's shared ones, shadowed or not (for managing them).
    Shared,
    /// Only the agent's own.
    Own,
}

impl CannedScope {
    fn as_str(self) -> &'static str {
        match self {
            CannedScope::Visible => "visible",
            CannedScope::Shared => "shared",
            CannedScope::Own => "own",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct CannedFilter {
    pub scope: CannedScope,
    /// A prefix of the shortcut (a leading `/` is ignored) or a part of the title or body,
    /// case-insensitive.
    pub query: Option<String>,
}

async fn load_canned(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<CannedResponse, StoreError> {
    Ok(sql_optional!(
        CannedRow,
        conn,
        concat!(
            "SELECT ",
            canned_columns!(),
            " FROM canned_responses c WHERE c.tenant_id = $1 AND c.id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?
    .into())
}

fn shortcut_taken(shortcut: &str, holder: Option<Uuid>) -> StoreError {
    StoreError::conflict(
        "duplicate_shortcut",
        format!("a canned response with the shortcut /{shortcut} already exists here"),
        serde_json::json!({"field": "shortcut", "canned_response_id": holder}),
    )
}

/// The unique indexes decide in the end; checking first names the holder in the answer.
async fn ensure_shortcut_free(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    owner_id: Option<Uuid>,
    shortcut: &str,
    except: Option<Uuid>,
) -> Result<(), StoreError> {
    let holder = sql_scalar_optional!(
        Uuid,
        conn,
        "SELECT id FROM canned_responses
         WHERE tenant_id = $1 AND shortcut = $2 AND (owner_id = $3 OR (owner_id IS NULL AND $3 IS NULL))",
        tenant_id,
        shortcut,
        owner_id
    )?;
    match holder {
        Some(id) if Some(id) != except => Err(shortcut_taken(shortcut, Some(id))),
        _ => Ok(()),
    }
}

/// A unique-index violation on write is a shortcut taken by a concurrent writer.
fn race_to_conflict(shortcut: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |err| match StoreError::from(err) {
        StoreError::Conflict {
            code: "conflict", ..
        } => shortcut_taken(shortcut, None),
        other => other,
    }
}

/// Shared responses are tenant configuration, so their changes go to the audit log too; an
/// agent's own are their notebook and leave only the event.
fn audit_of(
    shared: bool,
    before: Option<&CannedResponse>,
    after: Option<&CannedResponse>,
) -> Option<(Option<serde_json::Value>, Option<serde_json::Value>)> {
    shared.then(|| {
        (
            before.and_then(|b| serde_json::to_value(b).ok()),
            after.and_then(|a| serde_json::to_value(a).ok()),
        )
    })
}

impl Store {
    pub async fn create_canned_response(
        &self,
        tenant_id: Uuid,
        new: NewCannedResponse,
        actor: &Actor,
    ) -> Result<CannedResponse, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        if let Some(owner_id) = new.owner_id {
            let known = sql_scalar_optional!(
                Uuid,
                &mut conn,
                "SELECT id FROM users WHERE tenant_id = $1 AND id = $2",
                tenant_id,
                owner_id
            )?;
            if known.is_none() {
                return Err(kefu_core::ValidationErrors::single(
                    "owner_id",
                    "unknown_user",
                    "no such user in this tenant",
                )
                .into());
            }
        }
        ensure_shortcut_free(&mut conn, tenant_id, new.owner_id, &new.shortcut, None).await?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        sql_execute!(
            &mut conn,
            "INSERT INTO canned_responses (id, tenant_id, owner_id, shortcut, title, body, language, created_at, created_by, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8, $9)",
            id,
            tenant_id,
            new.owner_id,
            &new.shortcut,
            &new.title,
            &new.body,
            new.language.as_deref(),
            now,
            actor.id
        )
        .map_err(race_to_conflict(&new.shortcut))?;
        let created = load_canned(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "canned_response.created",
                entity_type: "canned_response",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({ "canned_response": created }),
                audit: audit_of(created.shared, None, Some(&created)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// One canned response of the tenant, whoever owns it (the caller decides who may see it).
    pub async fn canned_response(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> Result<CannedResponse, StoreError> {
        let mut read = self.read().await?;
        load_canned(&mut read.conn(), tenant_id, id).await
    }

    /// The canned responses `viewer` sees in `filter.scope`, oldest first.
    pub async fn list_canned_responses(
        &self,
        tenant_id: Uuid,
        viewer: Uuid,
        filter: &CannedFilter,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<CannedResponse>, StoreError> {
        let mut read = self.read().await?;
        let query = filter
            .query
            .as_deref()
            .map(|q| q.trim().trim_start_matches('/').to_lowercase())
            .filter(|q| !q.is_empty());
        let prefix = query.as_deref().map(|q| format!("{}%", like_escape(q)));
        let part = query.as_deref().map(|q| format!("%{}%", like_escape(q)));
        let rows = sql_all!(
            CannedRow,
            read.conn(),
            concat!(
                "SELECT ",
                canned_columns!(),
                " FROM canned_responses c WHERE c.tenant_id = $1
                 AND (($2 = 'shared' AND c.owner_id IS NULL)
                   OR ($2 = 'own' AND c.owner_id = $3)
                   OR ($2 = 'visible' AND (c.owner_id = $3 OR (c.owner_id IS NULL AND NOT EXISTS (
                        SELECT 1 FROM canned_responses o
                        WHERE o.tenant_id = c.tenant_id AND o.owner_id = $3 AND o.shortcut = c.shortcut)))))
                 AND ($4 IS NULL OR c.shortcut LIKE $4 ESCAPE '\\'
                      OR lower(c.title) LIKE $5 ESCAPE '\\' OR lower(c.body) LIKE $5 ESCAPE '\\')
                 AND ($6 IS NULL OR c.id > $6)
                 ORDER BY c.id LIMIT $7"
            ),
            tenant_id,
            filter.scope.as_str(),
            viewer,
            prefix.as_deref(),
            part.as_deref(),
            after,
            clamp_limit(limit)
        )?;
        let items = rows.into_iter().map(CannedResponse::from).collect();
        Ok(Page::from_rows(
            items,
            limit.clamp(1, crate::page::MAX_PAGE),
            |c| c.id,
        ))
    }

    pub async fn update_canned_response(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: CannedResponsePatch,
        actor: &Actor,
    ) -> Result<CannedResponse, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_canned(&mut conn, tenant_id, id).await?;
        let shortcut = patch.shortcut.as_deref().unwrap_or(&before.shortcut);
        if shortcut != before.shortcut {
            ensure_shortcut_free(&mut conn, tenant_id, before.owner_id, shortcut, Some(id)).await?;
        }
        let language = match &patch.language {
            Some(language) => language.as_deref(),
            None => before.language.as_deref(),
        };
        sql_execute!(
            &mut conn,
            "UPDATE canned_responses SET shortcut = $3, title = $4, body = $5, language = $6, updated_at = $7, updated_by = $8
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            shortcut,
            patch.title.as_deref().unwrap_or(&before.title),
            patch.body.as_deref().unwrap_or(&before.body),
            language,
            Utc::now(),
            actor.id
        )
        .map_err(race_to_conflict(shortcut))?;
        let after = load_canned(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "canned_response.updated",
                entity_type: "canned_response",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({ "canned_response": after }),
                audit: audit_of(after.shared, Some(&before), Some(&after)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_canned_response(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_canned(&mut conn, tenant_id, id).await?;
        sql_execute!(
            &mut conn,
            "DELETE FROM canned_responses WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "canned_response.deleted",
                entity_type: "canned_response",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({
                    "id": id,
                    "owner_id": before.owner_id,
                    "shortcut": before.shortcut,
                }),
                audit: audit_of(before.shared, Some(&before), None),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
