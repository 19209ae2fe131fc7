//! Service groups (客服分组): departments of agents such as 售前, 售后 and 技术支持.

use crate::events::{Actor, Change, record};
use crate::page::{Page, clamp_limit};
use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceGroup {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub member_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: Uuid,
    name: String,
    description: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewGroup {
    pub name: String,
    pub description: String,
    pub member_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Default)]
pub struct GroupPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub member_ids: Option<Vec<Uuid>>,
}

async fn load_group(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<ServiceGroup, StoreError> {
    let row = sql_optional!(
        GroupRow,
        conn,
        "SELECT id, name, description, created_at, updated_at FROM service_groups WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?;
    let member_ids = sql_all!(
        (Uuid,),
        conn,
        "SELECT user_id FROM group_members WHERE tenant_id = $1 AND group_id = $2 ORDER BY user_id",
        tenant_id,
        id
    )?
    .into_iter()
    .map(|(id,)| id)
    .collect();
    Ok(ServiceGroup {
        id: row.id,
        name: row.name,
        description: row.description,
        member_ids,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

async fn ensure_name_free(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    name: &str,
    except: Option<Uuid>,
) -> Result<(), StoreError> {
    let holder = sql_scalar_optional!(
        Uuid,
        conn,
        "SELECT id FROM service_groups WHERE tenant_id = $1 AND name = $2",
        tenant_id,
        name
    )?;
    match holder {
        Some(id) if Some(id) != except => Err(StoreError::conflict(
            "name_taken",
            format!("a service group named {name} exists"),
            serde_json::json!({"field": "name", "group_id": id}),
        )),
        _ => Ok(()),
    }
}

/// Which side of a membership stays fixed while the other side's list is replaced.
pub(crate) enum Members<'a> {
    /// Set a group's users.
    OfGroup {
        group_id: Uuid,
        user_ids: &'a [Uuid],
    },
    /// Set a user's groups.
    OfUser {
        user_id: Uuid,
        group_ids: &'a [Uuid],
    },
}

/// Replaces memberships after checking each listed id is a row of this tenant.
pub(crate) async fn replace_members(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    members: Members<'_>,
) -> Result<(), StoreError> {
    let (listed, field, code, exists_sql, delete_sql) = match &members {
        Members::OfGroup { user_ids, .. } => (
            *user_ids,
            "member_ids",
            "unknown_user",
            "SELECT id FROM users WHERE tenant_id = $1 AND id = $2",
            "DELETE FROM group_members WHERE tenant_id = $1 AND group_id = $2",
        ),
        Members::OfUser { group_ids, .. } => (
            *group_ids,
            "group_ids",
            "unknown_group",
            "SELECT id FROM service_groups WHERE tenant_id = $1 AND id = $2",
            "DELETE FROM group_members WHERE tenant_id = $1 AND user_id = $2",
        ),
    };
    for (i, id) in listed.iter().enumerate() {
        if sql_scalar_optional!(Uuid, conn, exists_sql, tenant_id, *id)?.is_none() {
            return Err(kefu_core::ValidationErrors::single(
                format!("{field}[{i}]"),
                code,
                "no such record in this tenant",
            )
            .into());
        }
    }
    let fixed = match members {
        Members::OfGroup { group_id, .. } => group_id,
        Members::OfUser { user_id, .. } => user_id,
    };
    sql_execute!(conn, delete_sql, tenant_id, fixed)?;
    let mut unique = listed.to_vec();
    unique.sort();
    unique.dedup();
    for other in unique {
        let (group_id, user_id) = match members {
            Members::OfGroup { group_id, .. } => (group_id, other),
            Members::OfUser { user_id, .. } => (other, user_id),
        };
        sql_execute!(
            conn,
            "INSERT INTO group_members (tenant_id, group_id, user_id) VALUES ($1, $2, $3)",
            tenant_id,
            group_id,
            user_id
        )?;
    }
    Ok(())
}

impl Store {
    pub async fn create_group(
        &self,
        tenant_id: Uuid,
        new: NewGroup,
        actor: &Actor,
    ) -> Result<ServiceGroup, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        ensure_name_free(&mut conn, tenant_id, &new.name, None).await?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        sql_execute!(
            &mut conn,
            "INSERT INTO service_groups (id, tenant_id, name, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
            id,
            tenant_id,
            &new.name,
            &new.description,
            now
        )?;
        replace_members(
            &mut conn,
            tenant_id,
            Members::OfGroup {
                group_id: id,
                user_ids: &new.member_ids,
            },
        )
        .await?;
        let group = load_group(&mut conn, tenant_id, id).await?;
        let view = serde_json::to_value(&group).ok();
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "group.created",
                entity_type: "group",
                entity_id: Some(id),
                actor,
                payload: view.clone().unwrap_or_default(),
                audit: Some((None, view)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(group)
    }

    pub async fn group(&self, tenant_id: Uuid, id: Uuid) -> Result<ServiceGroup, StoreError> {
        let mut read = self.read().await?;
        load_group(&mut read.conn(), tenant_id, id).await
    }

    pub async fn list_groups(
        &self,
        tenant_id: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<ServiceGroup>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let ids = sql_all!(
            (Uuid,),
            &mut conn,
            "SELECT id FROM service_groups WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3",
            tenant_id,
            after,
            clamp_limit(limit)
        )?;
        let mut groups = Vec::with_capacity(ids.len());
        for (id,) in ids {
            groups.push(load_group(&mut conn, tenant_id, id).await?);
        }
        Ok(Page::from_rows(
            groups,
            limit.clamp(1, crate::page::MAX_PAGE),
            |g| g.id,
        ))
    }

    pub async fn update_group(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: GroupPatch,
        actor: &Actor,
    ) -> Result<ServiceGroup, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_group(&mut conn, tenant_id, id).await?;
        if let Some(name) = &patch.name {
            ensure_name_free(&mut conn, tenant_id, name, Some(id)).await?;
        }
        sql_execute!(
            &mut conn,
            "UPDATE service_groups SET name = $3, description = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            patch.name.as_deref().unwrap_or(&before.name),
            patch.description.as_deref().unwrap_or(&before.description),
            Utc::now()
        )?;
        if let Some(member_ids) = &patch.member_ids {
            replace_members(
                &mut conn,
                tenant_id,
                Members::OfGroup {
                    group_id: id,
                    user_ids: member_ids,
                },
            )
            .await?;
        }
        let after = load_group(&mut conn, tenant_id, id).await?;
        let view = serde_json::to_value(&after).ok();
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "group.updated",
                entity_type: "group",
                entity_id: Some(id),
                actor,
                payload: view.clone().unwrap_or_default(),
                audit: Some((serde_json::to_value(&before).ok(), view)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_group(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_group(&mut conn, tenant_id, id).await?;
        // Tickets of a deleted department wait for someone to pick a new one.
        sql_execute!(
            &mut conn,
            "UPDATE tickets SET group_id = NULL WHERE tenant_id = $1 AND group_id = $2",
            tenant_id,
            id
        )?;
        sql_execute!(
            &mut conn,
            "DELETE FROM service_groups WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "group.deleted",
                entity_type: "group",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({"id": id, "name": before.name}),
                audit: Some((serde_json::to_value(&before).ok(), None)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
