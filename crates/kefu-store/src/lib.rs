//! kefu-store: all SQL of kefu, for SQLite and PostgreSQL, behind one repository API.
//! It owns connections, migrations, transactions and the event log; rules about content
//! live in kefu-core and the server, not here.

#[macro_use]
mod sql;
mod articles;
mod attachments;
mod audit;
mod auth;
mod canned;
#[macro_use]
mod conversations;
mod bot;
mod customers;
mod error;
mod events;
mod group_commit;
mod groups;
mod imap;
mod inboxes;
mod knowledge;
mod left_messages;
mod mail;
mod nodelay;
mod page;
mod report_schedules;
mod rollups;
mod scenarios;
mod sla;
mod status_links;
mod tenants;
mod ticket_conversations;
mod ticket_create;
mod ticket_fields;
mod ticket_followers;
mod ticket_links;
mod ticket_list;
mod ticket_views;
mod tickets;
mod triggers;
mod users;
mod webhooks;

#[cfg(feature = "testing")]
pub mod testing;

pub use articles::{
    Article, ArticleFilter, ArticlePatch, ArticleRevision, ArticleStatus, NewArticle,
};
pub use attachments::{Attachment, AttachmentMeta, NewAttachment};
pub use audit::AuditEntry;
pub use auth::{ApiToken, NewApiToken, SessionPrincipal, TokenPrincipal};
pub use bot::{BotCounts, BotGuess, BotReply, BotSession, BotTurn, NewBotTurn, RecordedTurn};
pub use canned::{
    CannedFilter, CannedResponse, CannedResponsePatch, CannedScope, NewCannedResponse,
};
pub use conversations::{
    Conversation, ConversationFilter, ConversationMove, Message, NewConversation, NewMessage,
    Posted,
};
pub use customers::{Customer, CustomerFilter, CustomerPatch, Identity, NewCustomer, NewIdentity};
pub use error::StoreError;
pub use events::{Actor, ActorKind, Event};
pub use groups::{GroupPatch, NewGroup, ServiceGroup};
pub use imap::{ImapMailbox, ImapPosition};
pub use inboxes::{
    Inbox, InboxChannel, InboxSettings, InboxTopic, NewInbox, Visitor, VisitorCustomer,
};
pub use knowledge::{
    Faq, FaqFilter, FaqPatch, FaqRevision, FaqStatus, ImportFaq, ImportOutcome, KbCategory,
    KbCategoryPatch, KnowledgeSnapshot, KnowledgeVersion, NewFaq, NewKbCategory, NewVocabularyTerm,
    VocabularyTerm,
};
pub use left_messages::{CARRIED_DISPOSITION, Carried, LeftMessage};
pub use mail::{
    IngestMail, Ingested, MailAction, MailDirection, MailRecord, MailRoute, Mailbox, MailboxPatch,
    NewMailRecord, NewMailbox, NewTicketFile, OutboundMail, TicketFile,
};
pub use mail::{MailboxImap, NewImap};
pub use page::Page;
pub use report_schedules::{
    MAX_REPORT_SCHEDULES, NewReportDelivery, NewReportSchedule, ReportDelivery, ReportSchedule,
};
pub use rollups::{RollupCursor, RollupRow, RollupSnapshot};
pub use scenarios::{
    Integration, IntegrationPatch, IntegrationTarget, NewIntegration, NewScenario, Scenario,
    ScenarioPatch, ScenarioRevision,
};
pub use sla::{SlaWakeup, TicketSlaTarget};
pub use status_links::STATUS_TOKEN_CHARS;
pub use tenants::{ServiceLevelGoal, Tenant, TenantSettings};
pub use ticket_conversations::TicketConversation;
pub use ticket_fields::{NewTicketField, TicketField, TicketFieldPatch};
pub use ticket_followers::{MAX_TICKET_CC, TicketFollower, normalize_cc};
pub use ticket_links::{MAX_SPLIT_COMMENTS, NewSubtask, TicketRef};
pub use ticket_list::{MAX_SEARCH_TERMS, SHORT_QUERY_SCAN};
pub use ticket_views::{MAX_VIEWS, NewTicketView, TicketView, TicketViewPatch};
pub use tickets::{
    CommentAuthor, FIRST_TICKET_NUMBER, MAX_FIELD_FILTERS, NewComment, NewTicket, Ticket,
    TicketComment, TicketFilter, TicketPatch,
};
pub use triggers::{NewTrigger, TicketTrigger, TriggerPatch};
pub use users::{LoginCandidate, NewUser, User, UserFilter, UserPatch};
pub use webhooks::{
    AttemptOutcome, Delivery, DeliveryState, DueDelivery, NewWebhook, Webhook, WebhookPatch,
    WebhookTarget,
};

use sql::WriteTx;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// Tenant ids whose event log just grew (sent after each committed write).
    commits: tokio::sync::broadcast::Sender<Uuid>,
    /// Writes waiting to share a transaction (see `group_commit`).
    group_queue: group_commit::GroupQueue,
}

/// How many commit signals a slow listener may fall behind before it is told it lagged.
const COMMIT_SIGNALS: usize = 4096;

/// How long a request waits for a connection before the database counts as unreachable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

impl Store {
    /// Connects to `sqlite://path` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .after_connect(|_, _| {
                    Box::pin(async {
                        nodelay::set_on_process_sockets();
                        Ok(())
                    })
                })
                .connect_with(options)
                .await?;
            Ok(Store::with_pool(Pool::Postgres(pool)))
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await?;
            Ok(Store::with_pool(Pool::Sqlite(pool)))
        } else {
            Err(StoreError::BadUrl)
        }
    }

    fn with_pool(pool: Pool) -> Self {
        Store {
            pool,
            commits: tokio::sync::broadcast::channel(COMMIT_SIGNALS).0,
            group_queue: Default::default(),
        }
    }

    /// The same database and commit signals, with a queue of its own: what the group commit
    /// runner holds, so that it does not keep its own queue open and outlive every store.
    fn without_group_queue(&self) -> Self {
        Store {
            pool: self.pool.clone(),
            commits: self.commits.clone(),
            group_queue: Default::default(),
        }
    }

    /// Wakes after every committed write with the tenant whose event log may have grown. The
    /// signal only says "look": the log itself is read with `events_since`, so a missed or
    /// lagged signal loses nothing as long as the reader looks again.
    pub fn subscribe_commits(&self) -> tokio::sync::broadcast::Receiver<Uuid> {
        self.commits.subscribe()
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies every pending migration of this backend; safe to run on every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Pool::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Answers whether the database takes queries now (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.read().await?;
        sql_scalar!(i64, conn.conn(), "SELECT CAST(1 AS BIGINT)")?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }

    /// A pooled connection for reads outside a transaction.
    async fn read(&self) -> Result<sql::ReadConn, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => sql::ReadConn::Sqlite(pool.acquire().await?),
            Pool::Postgres(pool) => sql::ReadConn::Postgres(pool.acquire().await?),
        })
    }

    /// A write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
    /// so two writers queue on the busy timeout instead of failing on lock upgrade.
    async fn write(&self) -> Result<WriteTx, StoreError> {
        let inner = match &self.pool {
            Pool::Sqlite(pool) => {
                sql::WriteTxInner::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?)
            }
            Pool::Postgres(pool) => sql::WriteTxInner::Postgres(pool.begin().await?),
        };
        Ok(WriteTx {
            inner,
            on_commit: None,
        })
    }

    /// A write transaction whose commit signals the tenant's listeners.
    async fn write_for(&self, tenant_id: Uuid) -> Result<WriteTx, StoreError> {
        let mut tx = self.write().await?;
        tx.on_commit = Some((self.commits.clone(), tenant_id));
        Ok(tx)
    }
}
