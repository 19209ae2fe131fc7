//! Inboxes (one web-chat or app channel each) and the anonymous visitors of web inboxes.
//! A visitor is a browser holding a random token (stored here only as a hash) that stands for
//! one customer; identified visitors are linked to the customer their site vouches for.

use crate::customers::insert_customer_row;
use crate::events::{Actor, Change, record};
use crate::sql::Conn;
use crate::{NewCustomer, NewIdentity};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use kefu_core::IdentityKind;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use uuid::Uuid;

/// The kind of channel an inbox is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InboxChannel {
    /// The web chat widget (`<script>` snippet).
    Web,
    /// A mobile app using the conversation API directly.
    App,
}

impl InboxChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            InboxChannel::Web => "web",
            InboxChannel::App => "app",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [InboxChannel::Web, InboxChannel::App]
            .into_iter()
            .find(|c| c.as_str() == text)
    }
}

/// How an inbox greets and routes. Stored as JSON; absent keys take their defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct InboxSettings {
    /// Shown above the chat: a greeting in the inbox's languages.
    pub greeting: String,
    /// Ask for name and phone/email before the chat starts.
    pub pre_chat_form: bool,
    /// The service group that serves this inbox when no topic picks another.
    pub group_id: Option<Uuid>,
    /// Skills an agent needs to serve this inbox (lowercase names, as on agent profiles).
    pub skills: Vec<String>,
    /// Topics offered in the pre-chat form; each may route to its own group.
    pub topics: Vec<InboxTopic>,
    /// A customer writing again within this many seconds of resolution reopens the conversation.
    pub reopen_window_secs: i64,
    /// Largest attachment accepted, in bytes.
    pub max_attachment_bytes: u64,
    /// New conversations start with the service bot, which answers from the knowledge base
    /// and hands off to an agent when asked or stuck.
    pub bot_enabled: bool,
}

impl Default for InboxSettings {
    fn default() -> Self {
        InboxSettings {
            greeting: String::new(),
            pre_chat_form: false,
            group_id: None,
            skills: Vec::new(),
            topics: Vec::new(),
            reopen_window_secs: 24 * 3600,
            max_attachment_bytes: 10 * 1024 * 1024,
            bot_enabled: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InboxTopic {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub group_id: Option<Uuid>,
    /// Skills needed on top of the inbox's, e.g. `billing`.
    #[serde(default)]
    pub skills: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inbox {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub channel: InboxChannel,
    /// Key of `user_hash = hex(HMAC-SHA256(secret, user_id))`; only admins may see it.
    pub secret: String,
    pub settings: InboxSettings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct InboxRow {
    id: Uuid,
    tenant_id: Uuid,
    name: String,
    channel: String,
    secret: String,
    settings: Json<InboxSettings>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<InboxRow> for Inbox {
    type Error = StoreError;
    fn try_from(row: InboxRow) -> Result<Self, StoreError> {
        Ok(Inbox {
            id: row.id,
            tenant_id: row.tenant_id,
            name: row.name,
            channel: InboxChannel::parse(&row.channel)
                .ok_or_else(|| StoreError::corrupt("inboxes.channel", &row.channel))?,
            secret: row.secret,
            settings: row.settings.0,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

macro_rules! inbox_columns {
    () => {
        "id, tenant_id, name, channel, secret, settings, created_at, updated_at"
    };
}

#[derive(Debug, Clone)]
pub struct NewInbox {
    pub name: String,
    pub channel: InboxChannel,
    pub secret: String,
    pub settings: InboxSettings,
}

#[derive(Debug, Clone, Serialize)]
pub struct Visitor {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub inbox_id: Uuid,
    pub customer_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct VisitorRow {
    id: Uuid,
    tenant_id: Uuid,
    inbox_id: Uuid,
    customer_id: Uuid,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

/// Whom a new visitor stands for.
#[derive(Debug, Clone)]
pub enum VisitorCustomer {
    /// A customer the site identified (found by `app_user_id`, say).
    Existing(Uuid),
    /// A new anonymous customer with this name and tier, known by the visitor id.
    Anonymous { name: String, tier: String },
}

async fn load_inbox(conn: &mut Conn<'_>, id: Uuid) -> Result<Inbox, StoreError> {
    sql_optional!(
        InboxRow,
        conn,
        concat!("SELECT ", inbox_columns!(), " FROM inboxes WHERE id = $1"),
        id
    )?
    .ok_or(StoreError::NotFound)?
    .try_into()
}

impl Store {
    pub async fn create_inbox(
        &self,
        tenant_id: Uuid,
        new: NewInbox,
        actor: &Actor,
    ) -> Result<Inbox, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let id = Uuid::now_v7();
        let now = Utc::now();
        sql_execute!(
            &mut conn,
            "INSERT INTO inboxes (id, tenant_id, name, channel, secret, settings, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            id,
            tenant_id,
            &new.name,
            new.channel.as_str(),
            &new.secret,
            Json(&new.settings),
            now
        )?;
        let inbox = load_inbox(&mut conn, id).await?;
        let mut shown = serde_json::to_value(&inbox).unwrap_or_default();
        shown["secret"] = serde_json::Value::Null;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "inbox.created",
                entity_type: "inbox",
                entity_id: Some(id),
                actor,
                payload: shown.clone(),
                audit: Some((None, Some(shown))),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(inbox)
    }

    /// Renames an inbox or replaces its settings (the secret never changes here).
    pub async fn update_inbox(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        name: Option<String>,
        settings: Option<InboxSettings>,
        actor: &Actor,
    ) -> Result<Inbox, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_inbox(&mut conn, id).await?;
        if before.tenant_id != tenant_id {
            return Err(StoreError::NotFound);
        }
        let name = name.unwrap_or_else(|| before.name.clone());
        let settings = settings.unwrap_or_else(|| before.settings.clone());
        sql_execute!(
            &mut conn,
            "UPDATE inboxes SET name = $3, settings = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            &name,
            Json(&settings),
            Utc::now()
        )?;
        let inbox = load_inbox(&mut conn, id).await?;
        let shown = |inbox: &Inbox| {
            let mut value = serde_json::to_value(inbox).unwrap_or_default();
            value["secret"] = serde_json::Value::Null;
            value
        };
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "inbox.updated",
                entity_type: "inbox",
                entity_id: Some(id),
                actor,
                payload: shown(&inbox),
                audit: Some((Some(shown(&before)), Some(shown(&inbox)))),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(inbox)
    }

    /// An inbox of this tenant.
    pub async fn inbox(&self, tenant_id: Uuid, id: Uuid) -> Result<Inbox, StoreError> {
        let inbox = self.inbox_by_public_id(id).await?;
        if inbox.tenant_id == tenant_id {
            Ok(inbox)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// An inbox found by its id alone: the widget snippet names only the inbox.
    pub async fn inbox_by_public_id(&self, id: Uuid) -> Result<Inbox, StoreError> {
        let mut read = self.read().await?;
        load_inbox(&mut read.conn(), id).await
    }

    pub async fn list_inboxes(&self, tenant_id: Uuid) -> Result<Vec<Inbox>, StoreError> {
        let mut read = self.read().await?;
        sql_all!(
            InboxRow,
            read.conn(),
            concat!(
                "SELECT ",
                inbox_columns!(),
                " FROM inboxes WHERE tenant_id = $1 ORDER BY id"
            ),
            tenant_id
        )?
        .into_iter()
        .map(Inbox::try_from)
        .collect()
    }

    /// Registers a visitor token for an inbox; an anonymous visitor gets a new customer with a
    /// `web_visitor_id` identity, all in one transaction.
    pub async fn create_visitor(
        &self,
        inbox: &Inbox,
        token_hash: &str,
        customer: VisitorCustomer,
    ) -> Result<Visitor, StoreError> {
        let mut tx = self.write_for(inbox.tenant_id).await?;
        let mut conn = tx.conn();
        let id = Uuid::now_v7();
        let now = Utc::now();
        let tenant_id = inbox.tenant_id;
        let customer_id = match customer {
            VisitorCustomer::Existing(customer_id) => {
                let live = sql_scalar_optional!(
                    Uuid,
                    &mut conn,
                    "SELECT id FROM customers WHERE tenant_id = $1 AND id = $2 AND merged_into IS NULL",
                    tenant_id,
                    customer_id
                )?;
                live.ok_or(StoreError::NotFound)?
            }
            VisitorCustomer::Anonymous { name, tier } => {
                let customer_id = Uuid::now_v7();
                let new = NewCustomer {
                    name: name.clone(),
                    company: None,
                    tier: tier.clone(),
                    tags: Vec::new(),
                    attributes: serde_json::Map::new(),
                    identities: vec![NewIdentity {
                        kind: IdentityKind::WebVisitorId,
                        value: id.to_string(),
                    }],
                };
                insert_customer_row(&mut conn, tenant_id, customer_id, &new, now).await?;
                record(
                    &mut conn,
                    Change {
                        tenant_id,
                        kind: "customer.created",
                        entity_type: "customer",
                        entity_id: Some(customer_id),
                        actor: &Actor::system(),
                        payload: serde_json::json!({"id": customer_id, "name": name, "tier": tier, "visitor_id": id}),
                        audit: None,
                    },
                )
                .await?;
                customer_id
            }
        };
        sql_execute!(
            &mut conn,
            "INSERT INTO visitors (id, tenant_id, inbox_id, customer_id, token_hash, created_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
            id,
            tenant_id,
            inbox.id,
            customer_id,
            token_hash,
            now
        )?;
        tx.commit().await?;
        Ok(Visitor {
            id,
            tenant_id,
            inbox_id: inbox.id,
            customer_id,
            created_at: now,
            last_seen_at: now,
        })
    }

    /// The visitor a token stands for. Its customer follows merges: after a merge the visitor
    /// speaks for the surviving customer.
    pub async fn visitor_by_token(&self, token_hash: &str) -> Result<Visitor, StoreError> {
        let mut read = self.read().await?;
        let row = sql_optional!(
            VisitorRow,
            read.conn(),
            "SELECT v.id, v.tenant_id, v.inbox_id, COALESCE(c.merged_into, v.customer_id) AS customer_id, v.created_at, v.last_seen_at
             FROM visitors v JOIN customers c ON c.tenant_id = v.tenant_id AND c.id = v.customer_id
             WHERE v.token_hash = $1",
            token_hash
        )?
        .ok_or(StoreError::NotFound)?;
        Ok(Visitor {
            id: row.id,
            tenant_id: row.tenant_id,
            inbox_id: row.inbox_id,
            customer_id: row.customer_id,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
        })
    }
}
