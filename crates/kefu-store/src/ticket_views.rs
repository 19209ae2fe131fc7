//! Saved ticket views: a tenant's shared views and each agent's own, in their order. What a
//! filter may say is kefu-core's (`ticket_view`); who may change which view is the server's.

use crate::events::{Actor, Change, record};
use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use kefu_core::ticket_view::{ViewFilters, check_view};
use serde::Serialize;
use uuid::Uuid;

/// Most views one agent keeps, and most shared views a tenant keeps.
pub const MAX_VIEWS: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketView {
    pub id: Uuid,
    pub name: String,
    pub filters: ViewFilters,
    /// Everyone in the tenant sees it (supervisors and admins keep these).
    pub shared: bool,
    /// The agent whose own view it is; none for a shared one.
    pub owner_id: Option<Uuid>,
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ViewRow {
    id: Uuid,
    owner_id: Option<Uuid>,
    name: String,
    filters: String,
    position: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ViewRow> for TicketView {
    type Error = StoreError;
    fn try_from(row: ViewRow) -> Result<Self, StoreError> {
        Ok(TicketView {
            id: row.id,
            filters: serde_json::from_str(&row.filters)
                .map_err(|_| StoreError::corrupt("ticket_views.filters", &row.filters))?,
            name: row.name,
            shared: row.owner_id.is_none(),
            owner_id: row.owner_id,
            position: row.position,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

macro_rules! view_columns {
    () => {
        "id, owner_id, name, filters, position, created_at, updated_at"
    };
}

#[derive(Debug, Clone)]
pub struct NewTicketView {
    pub name: String,
    pub filters: ViewFilters,
    /// `None` shares the view with the tenant.
    pub owner_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default)]
pub struct TicketViewPatch {
    pub name: Option<String>,
    pub filters: Option<ViewFilters>,
    pub position: Option<i32>,
}

fn filters_text(filters: &ViewFilters) -> String {
    serde_json::to_string(filters).unwrap_or_else(|_| "{}".into())
}

async fn load_view(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<TicketView, StoreError> {
    sql_optional!(
        ViewRow,
        conn,
        concat!(
            "SELECT ",
            view_columns!(),
            " FROM ticket_views WHERE tenant_id = $1 AND id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?
    .try_into()
}

fn change<'a>(
    tenant_id: Uuid,
    kind: &'static str,
    actor: &'a Actor,
    before: Option<&TicketView>,
    after: Option<&TicketView>,
    id: Uuid,
) -> Change<'a> {
    crate::events::record_change(
        tenant_id,
        kind,
        ("ticket_view", "view"),
        actor,
        before,
        after,
        id,
    )
}

impl Store {
    /// The views `viewer` sees: the shared ones, then their own, each in order.
    pub async fn ticket_views(
        &self,
        tenant_id: Uuid,
        viewer: Option<Uuid>,
    ) -> Result<Vec<TicketView>, StoreError> {
        let mut read = self.read().await?;
        sql_all!(
            ViewRow,
            read.conn(),
            concat!(
                "SELECT ",
                view_columns!(),
                " FROM ticket_views WHERE tenant_id = $1 AND (owner_id IS NULL OR owner_id = $2)
                 ORDER BY owner_id IS NOT NULL, position, id"
            ),
            tenant_id,
            viewer
        )?
        .into_iter()
        .map(TicketView::try_from)
        .collect()
    }

    pub async fn ticket_view(&self, tenant_id: Uuid, id: Uuid) -> Result<TicketView, StoreError> {
        let mut read = self.read().await?;
        load_view(&mut read.conn(), tenant_id, id).await
    }

    /// Adds a view last among the owner's (or the shared ones).
    pub async fn create_ticket_view(
        &self,
        tenant_id: Uuid,
        new: NewTicketView,
        actor: &Actor,
    ) -> Result<TicketView, StoreError> {
        check_view(&new.name, &new.filters)?;
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let positions = sql_all!(
            (i32,),
            &mut conn,
            "SELECT position FROM ticket_views WHERE tenant_id = $1
             AND ((owner_id IS NULL AND $2 IS NULL) OR owner_id = $2)",
            tenant_id,
            new.owner_id
        )?;
        if positions.len() >= MAX_VIEWS {
            return Err(kefu_core::ValidationErrors::single(
                "name",
                "too_many",
                format!("at most {MAX_VIEWS} views"),
            )
            .into());
        }
        let position = positions
            .iter()
            .map(|(p,)| *p)
            .max()
            .map_or(0, |p| p.saturating_add(1));
        let id = Uuid::now_v7();
        let now = Utc::now().trunc_subsecs(6);
        sql_execute!(
            &mut conn,
            "INSERT INTO ticket_views (id, tenant_id, owner_id, name, filters, position, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            id,
            tenant_id,
            new.owner_id,
            new.name.trim(),
            filters_text(&new.filters),
            position,
            now
        )?;
        let created = load_view(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            change(
                tenant_id,
                "ticket_view.created",
                actor,
                None,
                Some(&created),
                id,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn update_ticket_view(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: TicketViewPatch,
        actor: &Actor,
    ) -> Result<TicketView, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_view(&mut conn, tenant_id, id).await?;
        let name = patch
            .name
            .as_deref()
            .map_or(before.name.as_str(), str::trim);
        let filters = patch.filters.as_ref().unwrap_or(&before.filters);
        check_view(name, filters)?;
        sql_execute!(
            &mut conn,
            "UPDATE ticket_views SET name = $3, filters = $4, position = $5, updated_at = $6
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            name,
            filters_text(filters),
            patch.position.unwrap_or(before.position),
            Utc::now().trunc_subsecs(6)
        )?;
        let after = load_view(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            change(
                tenant_id,
                "ticket_view.updated",
                actor,
                Some(&before),
                Some(&after),
                id,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_ticket_view(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_view(&mut conn, tenant_id, id).await?;
        sql_execute!(
            &mut conn,
            "DELETE FROM ticket_views WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        record(
            &mut conn,
            change(
                tenant_id,
                "ticket_view.deleted",
                actor,
                Some(&before),
                None,
                id,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
