//! Users of a tenant (owners, admins, supervisors, agents) with their agent profile:
//! skills, languages, channel capacities, service groups and presence.

use crate::events::{Actor, Change, record};
use crate::groups::{Members, replace_members};
use crate::page::{Page, clamp_limit};
use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use kefu_core::{AgentProfile, Channel, Presence, PresenceState, Role, SkillLevel};
use serde::Serialize;
use sqlx::types::Json;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub languages: Vec<String>,
    pub skills: Vec<SkillLevel>,
    pub capacities: BTreeMap<Channel, u16>,
    /// The router assigns without an offer to accept.
    pub auto_accept: bool,
    pub group_ids: Vec<Uuid>,
    pub presence: PresenceState,
    pub away_reason: Option<String>,
    pub presence_changed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    display_name: String,
    role: String,
    active: bool,
    languages: Json<Vec<String>>,
    capacities: Json<BTreeMap<Channel, u16>>,
    auto_accept: bool,
    presence: String,
    away_reason: Option<String>,
    presence_changed_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

macro_rules! user_columns {
    () => {
        "id, email, display_name, role, active, languages, capacities, auto_accept, presence, away_reason, presence_changed_at, created_at, updated_at"
    };
}

impl UserRow {
    fn into_user(self, skills: Vec<SkillLevel>, group_ids: Vec<Uuid>) -> User {
        User {
            id: self.id,
            email: self.email,
            display_name: self.display_name,
            // Only this crate writes these columns, from the same enums.
            role: self.role.parse().unwrap_or(Role::Agent),
            active: self.active,
            languages: self.languages.0,
            skills,
            capacities: self.capacities.0,
            auto_accept: self.auto_accept,
            group_ids,
            presence: PresenceState::parse(&self.presence).unwrap_or(PresenceState::Offline),
            away_reason: self.away_reason,
            presence_changed_at: self.presence_changed_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: Option<String>,
    pub profile: AgentProfile,
    pub group_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub password_hash: Option<String>,
    pub active: Option<bool>,
    pub languages: Option<Vec<String>>,
    pub skills: Option<Vec<SkillLevel>>,
    pub capacities: Option<BTreeMap<Channel, u16>>,
    pub auto_accept: Option<bool>,
    pub group_ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub group_id: Option<Uuid>,
    pub skill: Option<String>,
    pub query: Option<String>,
    pub include_inactive: bool,
}

/// A user matched by email at login, with the hash to verify and the tenant it belongs to.
#[derive(Debug, Clone)]
pub struct LoginCandidate {
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub user_id: Uuid,
    pub password_hash: Option<String>,
}

async fn load_user(conn: &mut Conn<'_>, tenant_id: Uuid, id: Uuid) -> Result<User, StoreError> {
    let row = sql_optional!(
        UserRow,
        conn,
        concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE tenant_id = $1 AND id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?;
    let mut users = attach_profiles(conn, tenant_id, vec![row]).await?;
    users.pop().ok_or(StoreError::NotFound)
}

/// Adds skills and group ids to rows, with one query each for the id range of the rows.
async fn attach_profiles(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    rows: Vec<UserRow>,
) -> Result<Vec<User>, StoreError> {
    let (Some(first), Some(last)) = (
        rows.iter().map(|r| r.id).min(),
        rows.iter().map(|r| r.id).max(),
    ) else {
        return Ok(Vec::new());
    };
    let skills: Vec<(Uuid, String, i32)> = sql_all!(
        (Uuid, String, i32),
        conn,
        "SELECT user_id, skill, proficiency FROM agent_skills WHERE tenant_id = $1 AND user_id BETWEEN $2 AND $3 ORDER BY skill",
        tenant_id,
        first,
        last
    )?;
    let groups: Vec<(Uuid, Uuid)> = sql_all!(
        (Uuid, Uuid),
        conn,
        "SELECT user_id, group_id FROM group_members WHERE tenant_id = $1 AND user_id BETWEEN $2 AND $3 ORDER BY group_id",
        tenant_id,
        first,
        last
    )?;
    let mut skills_by_user: BTreeMap<Uuid, Vec<SkillLevel>> = BTreeMap::new();
    for (user_id, skill, proficiency) in skills {
        skills_by_user.entry(user_id).or_default().push(SkillLevel {
            skill,
            proficiency: u8::try_from(proficiency).unwrap_or(1),
        });
    }
    let mut groups_by_user: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for (user_id, group_id) in groups {
        groups_by_user.entry(user_id).or_default().push(group_id);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let id = row.id;
            row.into_user(
                skills_by_user.remove(&id).unwrap_or_default(),
                groups_by_user.remove(&id).unwrap_or_default(),
            )
        })
        .collect())
}

async fn replace_skills(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    user_id: Uuid,
    skills: &[SkillLevel],
) -> Result<(), StoreError> {
    sql_execute!(
        conn,
        "DELETE FROM agent_skills WHERE tenant_id = $1 AND user_id = $2",
        tenant_id,
        user_id
    )?;
    for level in skills {
        sql_execute!(
            conn,
            "INSERT INTO agent_skills (tenant_id, user_id, skill, proficiency) VALUES ($1, $2, $3, $4)",
            tenant_id,
            user_id,
            &level.skill,
            i32::from(level.proficiency)
        )?;
    }
    Ok(())
}

async fn ensure_email_free(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    email: &str,
    except: Option<Uuid>,
) -> Result<(), StoreError> {
    let holder = sql_scalar_optional!(
        Uuid,
        conn,
        "SELECT id FROM users WHERE tenant_id = $1 AND email = $2",
        tenant_id,
        email
    )?;
    match holder {
        Some(id) if Some(id) != except => Err(StoreError::conflict(
            "email_taken",
            format!("a user with email {email} exists"),
            serde_json::json!({"field": "email", "user_id": id}),
        )),
        _ => Ok(()),
    }
}

/// What the audit log keeps of a user: everything but secrets.
fn audit_view(user: &User) -> Option<serde_json::Value> {
    serde_json::to_value(user).ok()
}

impl Store {
    pub async fn create_user(
        &self,
        tenant_id: Uuid,
        new: NewUser,
        actor: &Actor,
    ) -> Result<User, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        ensure_email_free(&mut conn, tenant_id, &new.email, None).await?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        sql_execute!(
            &mut conn,
            "INSERT INTO users (id, tenant_id, email, display_name, role, password_hash, languages, capacities, auto_accept, presence, away_reason, presence_changed_at, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $11, 'offline', NULL, $9, $10, $9, $9)",
            id,
            tenant_id,
            &new.email,
            &new.display_name,
            new.role.as_str(),
            new.password_hash.as_deref(),
            Json(&new.profile.languages),
            Json(&new.profile.capacities),
            now,
            true,
            new.profile.auto_accept
        )?;
        replace_skills(&mut conn, tenant_id, id, &new.profile.skills).await?;
        replace_members(
            &mut conn,
            tenant_id,
            Members::OfUser {
                user_id: id,
                group_ids: &new.group_ids,
            },
        )
        .await?;
        let user = load_user(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "user.created",
                entity_type: "user",
                entity_id: Some(id),
                actor,
                payload: serde_json::to_value(&user).unwrap_or_default(),
                audit: Some((None, audit_view(&user))),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn user(&self, tenant_id: Uuid, id: Uuid) -> Result<User, StoreError> {
        let mut read = self.read().await?;
        load_user(&mut read.conn(), tenant_id, id).await
    }

    pub async fn list_users(
        &self,
        tenant_id: Uuid,
        filter: &UserFilter,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<User>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let pattern = filter
            .query
            .as_ref()
            .map(|q| format!("%{}%", q.to_lowercase()));
        let rows = sql_all!(
            UserRow,
            &mut conn,
            concat!("SELECT ", user_columns!(), " FROM users u WHERE tenant_id = $1
                   AND ($2 IS NULL OR id > $2)
                   AND ($3 IS NULL OR role = $3)
                   AND ($4 IS NULL OR EXISTS (SELECT 1 FROM group_members g WHERE g.tenant_id = u.tenant_id AND g.user_id = u.id AND g.group_id = $4))
                   AND ($5 IS NULL OR EXISTS (SELECT 1 FROM agent_skills s WHERE s.tenant_id = u.tenant_id AND s.user_id = u.id AND s.skill = $5))
                   AND ($6 IS NULL OR lower(display_name) LIKE $6 OR lower(email) LIKE $6)
                   AND ($7 OR active)
                 ORDER BY id LIMIT $8"),
            tenant_id,
            after,
            filter.role.map(Role::as_str),
            filter.group_id,
            filter.skill.as_deref(),
            pattern.as_deref(),
            filter.include_inactive,
            clamp_limit(limit)
        )?;
        let users = attach_profiles(&mut conn, tenant_id, rows).await?;
        Ok(Page::from_rows(
            users,
            limit.clamp(1, crate::page::MAX_PAGE),
            |u| u.id,
        ))
    }

    pub async fn update_user(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: UserPatch,
        actor: &Actor,
    ) -> Result<User, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_user(&mut conn, tenant_id, id).await?;
        if let Some(email) = &patch.email {
            ensure_email_free(&mut conn, tenant_id, email, Some(id)).await?;
        }
        let now = Utc::now();
        sql_execute!(
            &mut conn,
            "UPDATE users SET email = $3, display_name = $4, role = $5, active = $6, languages = $7, capacities = $8, updated_at = $9,
                    password_hash = COALESCE($10, password_hash), auto_accept = $11
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            patch.email.as_deref().unwrap_or(&before.email),
            patch.display_name.as_deref().unwrap_or(&before.display_name),
            patch.role.unwrap_or(before.role).as_str(),
            patch.active.unwrap_or(before.active),
            Json(patch.languages.as_ref().unwrap_or(&before.languages)),
            Json(patch.capacities.as_ref().unwrap_or(&before.capacities)),
            now,
            patch.password_hash.as_deref(),
            patch.auto_accept.unwrap_or(before.auto_accept)
        )?;
        if let Some(skills) = &patch.skills {
            replace_skills(&mut conn, tenant_id, id, skills).await?;
        }
        if let Some(group_ids) = &patch.group_ids {
            replace_members(
                &mut conn,
                tenant_id,
                Members::OfUser {
                    user_id: id,
                    group_ids,
                },
            )
            .await?;
        }
        if patch.active == Some(false) {
            sql_execute!(
                &mut conn,
                "UPDATE sessions SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL",
                tenant_id,
                id,
                now
            )?;
            sql_execute!(
                &mut conn,
                "UPDATE users SET presence = 'offline', away_reason = NULL, presence_changed_at = $3 WHERE tenant_id = $1 AND id = $2",
                tenant_id,
                id,
                now
            )?;
        }
        let after = load_user(&mut conn, tenant_id, id).await?;
        let mut payload = serde_json::to_value(&after).unwrap_or_default();
        if patch.password_hash.is_some() {
            payload["password_changed"] = serde_json::Value::Bool(true);
        }
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: if patch.active == Some(false) {
                    "user.deactivated"
                } else {
                    "user.updated"
                },
                entity_type: "user",
                entity_id: Some(id),
                actor,
                payload,
                audit: Some((audit_view(&before), audit_view(&after))),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Sets presence; no audit entry (agents change it all day), but an event for the router.
    pub async fn set_presence(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        presence: &Presence,
        actor: &Actor,
    ) -> Result<User, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let now = Utc::now();
        let changed = sql_execute!(
            &mut conn,
            "UPDATE users SET presence = $3, away_reason = $4, presence_changed_at = $5 WHERE tenant_id = $1 AND id = $2 AND active",
            tenant_id,
            id,
            presence.state.as_str(),
            presence.reason.as_deref(),
            now
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "agent.presence_changed",
                entity_type: "user",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({"state": presence.state, "reason": presence.reason}),
                audit: None,
            },
        )
        .await?;
        let user = load_user(&mut conn, tenant_id, id).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Sets every agent of the tenant who is not offline to offline (reason `server_restarted`),
    /// with an event each: after a restart nobody takes offers until their workspace is back.
    pub async fn reset_presence(
        &self,
        tenant_id: Uuid,
        actor: &Actor,
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let ids = sql_all!(
            PresenceIdRow,
            &mut conn,
            "SELECT id FROM users WHERE tenant_id = $1 AND presence <> 'offline' ORDER BY id",
            tenant_id
        )?;
        let now = Utc::now();
        for row in &ids {
            sql_execute!(
                &mut conn,
                "UPDATE users SET presence = 'offline', away_reason = NULL, presence_changed_at = $3 WHERE tenant_id = $1 AND id = $2",
                tenant_id,
                row.id,
                now
            )?;
            record(
                &mut conn,
                Change {
                    tenant_id,
                    kind: "agent.presence_changed",
                    entity_type: "user",
                    entity_id: Some(row.id),
                    actor,
                    payload: serde_json::json!({"state": PresenceState::Offline, "reason": "server_restarted"}),
                    audit: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ids.into_iter().map(|row| row.id).collect())
    }

    /// Every active user with this email, in any tenant (login picks among them).
    /// When each active user's presence last changed: the wallboard's "time in state".
    pub async fn presence_changes(
        &self,
        tenant_id: Uuid,
    ) -> Result<std::collections::HashMap<Uuid, DateTime<Utc>>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            (Uuid, DateTime<Utc>),
            read.conn(),
            "SELECT id, presence_changed_at FROM users WHERE tenant_id = $1 AND active",
            tenant_id
        )?
        .into_iter()
        .collect())
    }

    pub async fn login_candidates(&self, email: &str) -> Result<Vec<LoginCandidate>, StoreError> {
        let mut read = self.read().await?;
        let rows: Vec<(Uuid, String, Uuid, Option<String>)> = sql_all!(
            (Uuid, String, Uuid, Option<String>),
            read.conn(),
            "SELECT t.id, t.slug, u.id, u.password_hash FROM users u JOIN tenants t ON t.id = u.tenant_id
             WHERE u.email = $1 AND u.active ORDER BY t.slug",
            email
        )?;
        Ok(rows
            .into_iter()
            .map(
                |(tenant_id, tenant_slug, user_id, password_hash)| LoginCandidate {
                    tenant_id,
                    tenant_slug,
                    user_id,
                    password_hash,
                },
            )
            .collect())
    }

    /// The stored password hash of a user (for password changes that check the old one).
    pub async fn password_hash(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> Result<Option<String>, StoreError> {
        let mut read = self.read().await?;
        sql_scalar_optional!(
            Option<String>,
            read.conn(),
            "SELECT password_hash FROM users WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?
        .ok_or(StoreError::NotFound)
    }
}

#[derive(sqlx::FromRow)]
struct PresenceIdRow {
    id: Uuid,
}
