//! Login sessions and integration API tokens. Only hashes of tokens are stored; the server
//! makes and hashes the secrets, this module finds who a hash belongs to.

use crate::events::{Actor, Change, record};
use crate::page::{Page, clamp_limit};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use kefu_core::{Role, Scope};
use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

/// The user behind a valid, unexpired, unrevoked session.
#[derive(Debug, Clone)]
pub struct SessionPrincipal {
    pub session_id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
}

/// The integration behind a valid API token.
#[derive(Debug, Clone)]
pub struct TokenPrincipal {
    pub token_id: Uuid,
    pub tenant_id: Uuid,
    pub scopes: Vec<Scope>,
    pub last_used_at: Option<DateTime<Utc>>,
}

type TokenRow = (Uuid, Uuid, Json<Vec<Scope>>, Option<DateTime<Utc>>);

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the token, to recognise it in a list.
    pub token_prefix: String,
    pub scopes: Vec<Scope>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct ApiTokenRow {
    id: Uuid,
    name: String,
    token_prefix: String,
    scopes: Json<Vec<Scope>>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiTokenRow> for ApiToken {
    fn from(row: ApiTokenRow) -> Self {
        ApiToken {
            id: row.id,
            name: row.name,
            token_prefix: row.token_prefix,
            scopes: row.scopes.0,
            created_by: row.created_by,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        }
    }
}

macro_rules! token_columns {
    () => {
        "id, name, token_prefix, scopes, created_by, created_at, last_used_at, revoked_at"
    };
}

#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub token_hash: String,
    pub token_prefix: String,
}

impl Store {
    pub async fn create_session(
        &self,
        tenant_id: Uuid,
        user_id: Uuid,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        ip: Option<&str>,
    ) -> Result<Uuid, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let id = Uuid::now_v7();
        sql_execute!(
            &mut conn,
            "INSERT INTO sessions (id, tenant_id, user_id, token_hash, created_at, expires_at, revoked_at, ip) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)",
            id,
            tenant_id,
            user_id,
            token_hash,
            Utc::now(),
            expires_at,
            ip
        )?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "session.created",
                entity_type: "user",
                entity_id: Some(user_id),
                actor: &Actor::user(user_id, ip.map(str::to_owned)),
                payload: serde_json::json!({"session_id": id}),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn session_principal(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionPrincipal>, StoreError> {
        let mut read = self.read().await?;
        let row: Option<(Uuid, Uuid, Uuid, String, DateTime<Utc>)> = sql_optional!(
            (Uuid, Uuid, Uuid, String, DateTime<Utc>),
            read.conn(),
            "SELECT s.id, s.tenant_id, s.user_id, u.role, s.expires_at FROM sessions s
             JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.active",
            token_hash,
            now
        )?;
        Ok(
            row.and_then(|(session_id, tenant_id, user_id, role, expires_at)| {
                Some(SessionPrincipal {
                    session_id,
                    tenant_id,
                    user_id,
                    role: role.parse().ok()?,
                    expires_at,
                })
            }),
        )
    }

    pub async fn revoke_session(
        &self,
        tenant_id: Uuid,
        session_id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let changed = sql_execute!(
            &mut conn,
            "UPDATE sessions SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
            tenant_id,
            session_id,
            Utc::now()
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "session.revoked",
                entity_type: "user",
                entity_id: actor.id,
                actor,
                payload: serde_json::json!({"session_id": session_id}),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn create_api_token(
        &self,
        tenant_id: Uuid,
        new: NewApiToken,
        actor: &Actor,
    ) -> Result<ApiToken, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let id = Uuid::now_v7();
        sql_execute!(
            &mut conn,
            "INSERT INTO api_tokens (id, tenant_id, name, token_hash, token_prefix, scopes, created_by, created_at, last_used_at, revoked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)",
            id,
            tenant_id,
            &new.name,
            &new.token_hash,
            &new.token_prefix,
            Json(&new.scopes),
            actor.id,
            Utc::now()
        )?;
        let token: ApiToken = sql_optional!(
            ApiTokenRow,
            &mut conn,
            concat!(
                "SELECT ",
                token_columns!(),
                " FROM api_tokens WHERE id = $1"
            ),
            id
        )?
        .ok_or(StoreError::NotFound)?
        .into();
        let view = serde_json::to_value(&token).ok();
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "api_token.created",
                entity_type: "api_token",
                entity_id: Some(id),
                actor,
                payload: view.clone().unwrap_or_default(),
                audit: Some((None, view)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    pub async fn list_api_tokens(
        &self,
        tenant_id: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<ApiToken>, StoreError> {
        let mut read = self.read().await?;
        let rows = sql_all!(
            ApiTokenRow,
            read.conn(),
            concat!(
                "SELECT ",
                token_columns!(),
                " FROM api_tokens WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
            ),
            tenant_id,
            after,
            clamp_limit(limit)
        )?;
        Ok(Page::from_rows(
            rows.into_iter().map(ApiToken::from).collect(),
            limit.clamp(1, crate::page::MAX_PAGE),
            |t| t.id,
        ))
    }

    pub async fn revoke_api_token(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<ApiToken, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before: ApiToken = sql_optional!(
            ApiTokenRow,
            &mut conn,
            concat!(
                "SELECT ",
                token_columns!(),
                " FROM api_tokens WHERE tenant_id = $1 AND id = $2"
            ),
            tenant_id,
            id
        )?
        .ok_or(StoreError::NotFound)?
        .into();
        let now = Utc::now();
        sql_execute!(
            &mut conn,
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            now
        )?;
        let mut after = before.clone();
        after.revoked_at = before.revoked_at.or(Some(now));
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "api_token.revoked",
                entity_type: "api_token",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({"id": id}),
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

    pub async fn token_principal(
        &self,
        token_hash: &str,
    ) -> Result<Option<TokenPrincipal>, StoreError> {
        let mut read = self.read().await?;
        let row: Option<TokenRow> = sql_optional!(
            TokenRow,
            read.conn(),
            "SELECT id, tenant_id, scopes, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
            token_hash
        )?;
        Ok(row.map(
            |(token_id, tenant_id, scopes, last_used_at)| TokenPrincipal {
                token_id,
                tenant_id,
                scopes: scopes.0,
                last_used_at,
            },
        ))
    }

    /// Marks a token used; the server calls it at most once a minute per token.
    pub async fn touch_api_token(
        &self,
        token_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sql_execute!(
            tx.conn(),
            "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1",
            token_id,
            now
        )?;
        tx.commit().await
    }
}
