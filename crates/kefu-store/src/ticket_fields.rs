//! Ticket custom field definitions: a tenant's fields (key, label, type, options, the ticket
//! types that require them, order, active). The value rules are kefu-core's; this is SQL.

use crate::events::{Actor, Change, record};
use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use kefu_core::TicketType;
use kefu_core::ticket_field::{FieldDef, FieldType};
use serde::Serialize;
use uuid::Uuid;

/// Most fields a tenant defines.
pub const MAX_FIELDS: i64 = 200;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketField {
    pub id: Uuid,
    /// How the value is named in `custom_fields` and in `?field.KEY=` filters; never changes.
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// The choices of a select or multi-select.
    pub options: Vec<String>,
    /// Ticket types that cannot be saved (by people) without a value.
    pub required_for: Vec<TicketType>,
    pub position: i32,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TicketField {
    pub fn def(&self) -> FieldDef {
        FieldDef {
            key: self.key.clone(),
            field_type: self.field_type,
            options: self.options.clone(),
            required_for: self.required_for.clone(),
            active: self.active,
        }
    }
}

#[derive(sqlx::FromRow)]
struct FieldRow {
    id: Uuid,
    key: String,
    label: String,
    field_type: String,
    options: String,
    required_for: String,
    position: i32,
    active: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<FieldRow> for TicketField {
    type Error = StoreError;
    fn try_from(row: FieldRow) -> Result<Self, StoreError> {
        Ok(TicketField {
            id: row.id,
            field_type: FieldType::parse(&row.field_type)
                .ok_or_else(|| StoreError::corrupt("ticket_fields.field_type", &row.field_type))?,
            options: serde_json::from_str(&row.options)
                .map_err(|_| StoreError::corrupt("ticket_fields.options", &row.options))?,
            required_for: serde_json::from_str(&row.required_for).map_err(|_| {
                StoreError::corrupt("ticket_fields.required_for", &row.required_for)
            })?,
            key: row.key,
            label: row.label,
            position: row.position,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

macro_rules! field_columns {
    () => {
        "id, key, label, field_type, options, required_for, position, active, created_at, updated_at"
    };
}

/// A new field, already checked by the caller with kefu-core's `check_definition`.
#[derive(Debug, Clone)]
pub struct NewTicketField {
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub required_for: Vec<TicketType>,
    /// Last when `None`.
    pub position: Option<i32>,
}

#[derive(Debug, Clone, Default)]
pub struct TicketFieldPatch {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub required_for: Option<Vec<TicketType>>,
    pub position: Option<i32>,
    pub active: Option<bool>,
}

fn json_text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

pub(crate) async fn load_fields(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
) -> Result<Vec<TicketField>, StoreError> {
    sql_all!(
        FieldRow,
        conn,
        concat!(
            "SELECT ",
            field_columns!(),
            " FROM ticket_fields WHERE tenant_id = $1 ORDER BY position, key"
        ),
        tenant_id
    )?
    .into_iter()
    .map(TicketField::try_from)
    .collect()
}

async fn load_field(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<TicketField, StoreError> {
    sql_optional!(
        FieldRow,
        conn,
        concat!(
            "SELECT ",
            field_columns!(),
            " FROM ticket_fields WHERE tenant_id = $1 AND id = $2"
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
    before: Option<&TicketField>,
    after: Option<&TicketField>,
    id: Uuid,
) -> Change<'a> {
    crate::events::record_change(
        tenant_id,
        kind,
        ("ticket_field", "field"),
        actor,
        before,
        after,
        id,
    )
}

impl Store {
    /// The tenant's fields in their order (inactive ones too).
    pub async fn ticket_fields(&self, tenant_id: Uuid) -> Result<Vec<TicketField>, StoreError> {
        let mut read = self.read().await?;
        load_fields(&mut read.conn(), tenant_id).await
    }

    pub async fn ticket_field(&self, tenant_id: Uuid, id: Uuid) -> Result<TicketField, StoreError> {
        let mut read = self.read().await?;
        load_field(&mut read.conn(), tenant_id, id).await
    }

    /// Adds a field; a key the tenant already has is `field_key_taken` (409).
    pub async fn create_ticket_field(
        &self,
        tenant_id: Uuid,
        new: NewTicketField,
        actor: &Actor,
    ) -> Result<TicketField, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let taken = sql_scalar_optional!(
            Uuid,
            &mut conn,
            "SELECT id FROM ticket_fields WHERE tenant_id = $1 AND key = $2",
            tenant_id,
            &new.key
        )?;
        if taken.is_some() {
            return Err(StoreError::conflict(
                "field_key_taken",
                "this tenant already has a field with that key",
                serde_json::json!({"field": "key"}),
            ));
        }
        let positions = sql_all!(
            (i32,),
            &mut conn,
            "SELECT position FROM ticket_fields WHERE tenant_id = $1",
            tenant_id
        )?;
        let count = i64::try_from(positions.len()).unwrap_or(i64::MAX);
        let last = positions.iter().map(|(p,)| *p).max();
        if count >= MAX_FIELDS {
            return Err(kefu_core::ValidationErrors::single(
                "key",
                "too_many",
                "a tenant has at most 200 custom fields",
            )
            .into());
        }
        let id = Uuid::now_v7();
        let now = Utc::now().trunc_subsecs(6);
        sql_execute!(
            &mut conn,
            "INSERT INTO ticket_fields (id, tenant_id, key, label, field_type, options, required_for, position, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            id,
            tenant_id,
            &new.key,
            new.label.trim(),
            new.field_type.as_str(),
            json_text(&new.options.iter().map(|o| o.trim()).collect::<Vec<_>>()),
            json_text(&new.required_for),
            new.position.unwrap_or(last.map_or(0, |p| p.saturating_add(1))),
            true,
            now
        )?;
        let created = load_field(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            change(
                tenant_id,
                "ticket_field.created",
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

    /// Changes a field. Its key and type stay: stored values were checked against them.
    pub async fn update_ticket_field(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: TicketFieldPatch,
        actor: &Actor,
    ) -> Result<TicketField, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_field(&mut conn, tenant_id, id).await?;
        let options: Vec<String> = patch
            .options
            .map(|o| o.iter().map(|s| s.trim().to_owned()).collect())
            .unwrap_or_else(|| before.options.clone());
        sql_execute!(
            &mut conn,
            "UPDATE ticket_fields SET label = $3, options = $4, required_for = $5, position = $6, active = $7, updated_at = $8
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            patch.label.as_deref().map_or(before.label.as_str(), str::trim),
            json_text(&options),
            json_text(patch.required_for.as_ref().unwrap_or(&before.required_for)),
            patch.position.unwrap_or(before.position),
            patch.active.unwrap_or(before.active),
            Utc::now().trunc_subsecs(6)
        )?;
        let after = load_field(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            change(
                tenant_id,
                "ticket_field.updated",
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
}
