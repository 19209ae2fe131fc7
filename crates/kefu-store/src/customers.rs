//! Customers (contacts) with their channel identities. An identity (phone, email, WeChat
//! openid, app user id, web visitor id) is unique within a tenant, so every channel finds
//! the same customer; merging moves identities and keeps the merged record for history.

use crate::events::{Actor, Change, Event, record};
use crate::page::{Page, clamp_limit};
use crate::sql::Conn;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use kefu_core::IdentityKind;
use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

pub type Attributes = serde_json::Map<String, serde_json::Value>;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Identity {
    pub id: Uuid,
    pub kind: IdentityKind,
    pub value: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    pub company: Option<String>,
    pub tier: String,
    pub tags: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub attributes: Attributes,
    pub identities: Vec<Identity>,
    /// Set when this record was merged into another; the other one is the live customer.
    pub merged_into: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: Uuid,
    name: String,
    company: Option<String>,
    tier: String,
    tags: Json<Vec<String>>,
    attributes: Json<Attributes>,
    merged_into: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct IdentityRow {
    id: Uuid,
    customer_id: Uuid,
    kind: String,
    value: String,
    created_at: DateTime<Utc>,
}

macro_rules! customer_columns {
    () => {
        "id, name, company, tier, tags, attributes, merged_into, created_at, updated_at"
    };
}

#[derive(Debug, Clone)]
pub struct NewIdentity {
    pub kind: IdentityKind,
    /// Already normalised (kefu_core::normalize_identity).
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub name: String,
    pub company: Option<String>,
    pub tier: String,
    pub tags: Vec<String>,
    pub attributes: Attributes,
    pub identities: Vec<NewIdentity>,
}

#[derive(Debug, Clone, Default)]
pub struct CustomerPatch {
    pub name: Option<String>,
    pub company: Option<Option<String>>,
    pub tier: Option<String>,
    pub tags: Option<Vec<String>>,
    pub attributes: Option<Attributes>,
}

#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Matches name, company or any identity value (case-insensitive substring).
    pub query: Option<String>,
    pub tier: Option<String>,
    pub tag: Option<String>,
}

async fn load_identities(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    first: Uuid,
    last: Uuid,
) -> Result<Vec<IdentityRow>, StoreError> {
    Ok(sql_all!(
        IdentityRow,
        conn,
        "SELECT id, customer_id, kind, value, created_at FROM customer_identities
         WHERE tenant_id = $1 AND customer_id BETWEEN $2 AND $3 ORDER BY id",
        tenant_id,
        first,
        last
    )?)
}

async fn attach_identities(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    rows: Vec<CustomerRow>,
) -> Result<Vec<Customer>, StoreError> {
    let (Some(first), Some(last)) = (
        rows.iter().map(|r| r.id).min(),
        rows.iter().map(|r| r.id).max(),
    ) else {
        return Ok(Vec::new());
    };
    let mut identities = load_identities(conn, tenant_id, first, last).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut identities)
                .into_iter()
                .partition(|i| i.customer_id == row.id);
            identities = rest;
            Customer {
                id: row.id,
                name: row.name,
                company: row.company,
                tier: row.tier,
                tags: row.tags.0,
                attributes: row.attributes.0,
                identities: mine
                    .into_iter()
                    .filter_map(|i| {
                        Some(Identity {
                            id: i.id,
                            kind: IdentityKind::parse(&i.kind)?,
                            value: i.value,
                            created_at: i.created_at,
                        })
                    })
                    .collect(),
                merged_into: row.merged_into,
                created_at: row.created_at,
                updated_at: row.updated_at,
            }
        })
        .collect())
}

async fn load_customer(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Customer, StoreError> {
    let row = sql_optional!(
        CustomerRow,
        conn,
        concat!(
            "SELECT ",
            customer_columns!(),
            " FROM customers WHERE tenant_id = $1 AND id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?;
    attach_identities(conn, tenant_id, vec![row])
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// Inserts identities after checking none is taken, so the conflict names the identity and holder.
async fn insert_identities(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    customer_id: Uuid,
    identities: &[NewIdentity],
) -> Result<(), StoreError> {
    let now = Utc::now();
    for (i, identity) in identities.iter().enumerate() {
        let holder = sql_scalar_optional!(
            Uuid,
            conn,
            "SELECT customer_id FROM customer_identities WHERE tenant_id = $1 AND kind = $2 AND value = $3",
            tenant_id,
            identity.kind.as_str(),
            &identity.value
        )?;
        if let Some(holder) = holder {
            return Err(StoreError::conflict(
                "identity_taken",
                format!(
                    "{} {} already belongs to a customer",
                    identity.kind.as_str(),
                    identity.value
                ),
                serde_json::json!({"field": format!("identities[{i}]"), "kind": identity.kind, "value": identity.value, "customer_id": holder}),
            ));
        }
        sql_execute!(
            conn,
            "INSERT INTO customer_identities (id, tenant_id, customer_id, kind, value, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            Uuid::now_v7(),
            tenant_id,
            customer_id,
            identity.kind.as_str(),
            &identity.value,
            now
        )?;
    }
    Ok(())
}

/// Inserts a customer and its identities; the event is the caller's.
pub(crate) async fn insert_customer_row(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
    new: &NewCustomer,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sql_execute!(
        &mut *conn,
        "INSERT INTO customers (id, tenant_id, name, company, tier, tags, attributes, merged_into, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $8)",
        id,
        tenant_id,
        &new.name,
        new.company.as_deref(),
        &new.tier,
        Json(&new.tags),
        Json(&new.attributes),
        now
    )?;
    insert_identities(conn, tenant_id, id, &new.identities).await
}

/// `%`, `_` and `\` match literally in a LIKE pattern built from user text.
pub(crate) fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Store {
    pub async fn create_customer(
        &self,
        tenant_id: Uuid,
        new: NewCustomer,
        actor: &Actor,
    ) -> Result<Customer, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let id = Uuid::now_v7();
        let now = Utc::now();
        insert_customer_row(&mut conn, tenant_id, id, &new, now).await?;
        let customer = load_customer(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "customer.created",
                entity_type: "customer",
                entity_id: Some(id),
                actor,
                payload: serde_json::to_value(&customer).unwrap_or_default(),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(customer)
    }

    pub async fn customer(&self, tenant_id: Uuid, id: Uuid) -> Result<Customer, StoreError> {
        let mut read = self.read().await?;
        load_customer(&mut read.conn(), tenant_id, id).await
    }

    /// The live customer an identity belongs to: how every channel recognises a person.
    pub async fn customer_by_identity(
        &self,
        tenant_id: Uuid,
        kind: IdentityKind,
        value: &str,
    ) -> Result<Customer, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let id = sql_scalar_optional!(
            Uuid,
            &mut conn,
            "SELECT customer_id FROM customer_identities WHERE tenant_id = $1 AND kind = $2 AND value = $3",
            tenant_id,
            kind.as_str(),
            value
        )?
        .ok_or(StoreError::NotFound)?;
        load_customer(&mut conn, tenant_id, id).await
    }

    pub async fn list_customers(
        &self,
        tenant_id: Uuid,
        filter: &CustomerFilter,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<Customer>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let query = filter
            .query
            .as_ref()
            .map(|q| format!("%{}%", like_escape(&q.trim().to_lowercase())));
        let tag = filter.tag.as_ref().map(|t| {
            format!(
                "%{}%",
                like_escape(&serde_json::Value::String(t.clone()).to_string())
            )
        });
        let rows = sql_all!(
            CustomerRow,
            &mut conn,
            concat!("SELECT ", customer_columns!(), " FROM customers c WHERE tenant_id = $1 AND merged_into IS NULL
                   AND ($2 IS NULL OR id > $2)
                   AND ($3 IS NULL OR tier = $3)
                   AND ($4 IS NULL OR CAST(tags AS TEXT) LIKE $4 ESCAPE '\\')
                   AND ($5 IS NULL OR lower(name) LIKE $5 ESCAPE '\\' OR lower(COALESCE(company, '')) LIKE $5 ESCAPE '\\'
                        OR EXISTS (SELECT 1 FROM customer_identities i WHERE i.tenant_id = c.tenant_id AND i.customer_id = c.id AND lower(i.value) LIKE $5 ESCAPE '\\'))
                 ORDER BY id LIMIT $6"),
            tenant_id,
            after,
            filter.tier.as_deref(),
            tag.as_deref(),
            query.as_deref(),
            clamp_limit(limit)
        )?;
        let customers = attach_identities(&mut conn, tenant_id, rows).await?;
        Ok(Page::from_rows(
            customers,
            limit.clamp(1, crate::page::MAX_PAGE),
            |c| c.id,
        ))
    }

    pub async fn update_customer(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: CustomerPatch,
        actor: &Actor,
    ) -> Result<Customer, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_customer(&mut conn, tenant_id, id).await?;
        sql_execute!(
            &mut conn,
            "UPDATE customers SET name = $3, company = $4, tier = $5, tags = $6, attributes = $7, updated_at = $8 WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            patch.name.as_deref().unwrap_or(&before.name),
            patch
                .company
                .clone()
                .unwrap_or_else(|| before.company.clone()),
            patch.tier.as_deref().unwrap_or(&before.tier),
            Json(patch.tags.as_ref().unwrap_or(&before.tags)),
            Json(patch.attributes.as_ref().unwrap_or(&before.attributes)),
            Utc::now()
        )?;
        let after = load_customer(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "customer.updated",
                entity_type: "customer",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({"before": before, "after": after}),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a customer and its identities; the events about it stay in the log.
    pub async fn delete_customer(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_customer(&mut conn, tenant_id, id).await?;
        sql_execute!(
            &mut conn,
            "DELETE FROM customers WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "customer.deleted",
                entity_type: "customer",
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

    pub async fn add_identity(
        &self,
        tenant_id: Uuid,
        customer_id: Uuid,
        identity: NewIdentity,
        actor: &Actor,
    ) -> Result<Customer, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_customer(&mut conn, tenant_id, customer_id).await?;
        if before.merged_into.is_some() {
            return Err(StoreError::conflict(
                "customer_merged",
                "this customer was merged into another",
                serde_json::json!({"merged_into": before.merged_into}),
            ));
        }
        insert_identities(
            &mut conn,
            tenant_id,
            customer_id,
            std::slice::from_ref(&identity),
        )
        .await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "customer.identity_added",
                entity_type: "customer",
                entity_id: Some(customer_id),
                actor,
                payload: serde_json::json!({"kind": identity.kind, "value": identity.value}),
                audit: None,
            },
        )
        .await?;
        let after = load_customer(&mut conn, tenant_id, customer_id).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn remove_identity(
        &self,
        tenant_id: Uuid,
        customer_id: Uuid,
        identity_id: Uuid,
        actor: &Actor,
    ) -> Result<Customer, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let removed = sql_optional!(
            IdentityRow,
            &mut conn,
            "SELECT id, customer_id, kind, value, created_at FROM customer_identities WHERE tenant_id = $1 AND customer_id = $2 AND id = $3",
            tenant_id,
            customer_id,
            identity_id
        )?
        .ok_or(StoreError::NotFound)?;
        sql_execute!(
            &mut conn,
            "DELETE FROM customer_identities WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            identity_id
        )?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "customer.identity_removed",
                entity_type: "customer",
                entity_id: Some(customer_id),
                actor,
                payload: serde_json::json!({"kind": removed.kind, "value": removed.value}),
                audit: None,
            },
        )
        .await?;
        let after = load_customer(&mut conn, tenant_id, customer_id).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Merges `source` into `target`: identities move, tags are united, attributes the target
    /// lacks are copied, and the tier becomes `merged_tier` (the caller picks the higher one).
    /// The source stays with `merged_into` set, so its history remains reachable.
    pub async fn merge_customers(
        &self,
        tenant_id: Uuid,
        target_id: Uuid,
        source_id: Uuid,
        merged_tier: &str,
        actor: &Actor,
    ) -> Result<Customer, StoreError> {
        if target_id == source_id {
            return Err(kefu_core::ValidationErrors::single(
                "source_id",
                "same_customer",
                "a customer cannot be merged into itself",
            )
            .into());
        }
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let target = load_customer(&mut conn, tenant_id, target_id).await?;
        let source = load_customer(&mut conn, tenant_id, source_id).await?;
        for (field, customer) in [("target", &target), ("source_id", &source)] {
            if customer.merged_into.is_some() {
                return Err(StoreError::conflict(
                    "customer_merged",
                    format!("the {field} customer was already merged into another"),
                    serde_json::json!({"field": field, "merged_into": customer.merged_into}),
                ));
            }
        }
        let mut tags = target.tags.clone();
        tags.extend(
            source
                .tags
                .iter()
                .filter(|t| !target.tags.contains(t))
                .cloned(),
        );
        let mut attributes = source.attributes.clone();
        attributes.extend(target.attributes.clone());
        let now = Utc::now();
        sql_execute!(
            &mut conn,
            "UPDATE customer_identities SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2",
            tenant_id,
            source_id,
            target_id
        )?;
        sql_execute!(
            &mut conn,
            "UPDATE customers SET tags = $3, attributes = $4, tier = $5, company = COALESCE(company, $6), updated_at = $7 WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            target_id,
            Json(&tags),
            Json(&attributes),
            merged_tier,
            source.company.as_deref(),
            now
        )?;
        // The source's conversations, tickets and browsers now belong to the surviving customer.
        for sql in [
            "UPDATE conversations SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2",
            "UPDATE tickets SET requester_id = $3 WHERE tenant_id = $1 AND requester_id = $2",
            "UPDATE visitors SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2",
        ] {
            sql_execute!(&mut conn, sql, tenant_id, source_id, target_id)?;
        }
        // Records merged into the source earlier now point at the surviving customer too.
        sql_execute!(
            &mut conn,
            "UPDATE customers SET merged_into = $3, updated_at = $4 WHERE tenant_id = $1 AND (id = $2 OR merged_into = $2)",
            tenant_id,
            source_id,
            target_id,
            now
        )?;
        let after = load_customer(&mut conn, tenant_id, target_id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "customer.merged",
                entity_type: "customer",
                entity_id: Some(target_id),
                actor,
                payload: serde_json::json!({"source_id": source_id, "moved_identities": source.identities}),
                audit: Some((serde_json::to_value([&target, &source]).ok(), serde_json::to_value(&after).ok())),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The history of a customer: events about it and about every record merged into it.
    pub async fn customer_history(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        let mut ids = vec![id];
        {
            let mut read = self.read().await?;
            let mut conn = read.conn();
            sql_scalar_optional!(
                Uuid,
                &mut conn,
                "SELECT id FROM customers WHERE tenant_id = $1 AND id = $2",
                tenant_id,
                id
            )?
            .ok_or(StoreError::NotFound)?;
            let merged = sql_all!(
                (Uuid,),
                &mut conn,
                "SELECT id FROM customers WHERE tenant_id = $1 AND merged_into = $2",
                tenant_id,
                id
            )?;
            ids.extend(merged.into_iter().map(|(id,)| id));
        }
        self.events_for_entities(tenant_id, &ids, limit).await
    }
}
