//! Tickets and their comments. Numbers are per tenant from 1001, handed out in the creating
//! transaction; every change is checked against kefu-core's lifecycle and recorded as an event
//! whose payload names the fields that changed, so automation and SLA clocks can follow it.

use crate::events::{Actor, ActorKind, Change, record};
use crate::page::{Page, clamp_limit};
use crate::sql::Conn;
use crate::ticket_create::{Creation, KnownReferences, Named, insert_tickets};
use crate::ticket_followers::{FollowReason, follow_in, to_notify};
use crate::{Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use kefu_core::ticket::{check_comment, check_ticket_text};
use kefu_core::ticket_link::{LinkKind, LinkNotice, blocking_subtasks, solves_incidents};
use kefu_core::{TicketPriority, TicketStatus, TicketType, ValidationErrors, normalize_tags};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::types::Json;
use uuid::Uuid;

/// The first number a tenant's tickets get.
pub const FIRST_TICKET_NUMBER: i64 = 1001;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub id: Uuid,
    /// Shown to people as `#1001`.
    pub number: i64,
    pub subject: String,
    pub description: String,
    /// The customer who asked.
    pub requester_id: Uuid,
    /// Where it came from: `web`, `email`, `phone`, `chat`, `api`…
    pub channel: String,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    #[serde(rename = "type")]
    pub ticket_type: TicketType,
    pub tags: Vec<String>,
    pub assignee_id: Option<Uuid>,
    /// The department (service group) responsible.
    pub group_id: Option<Uuid>,
    /// The conversation it was made from, if any.
    pub conversation_id: Option<Uuid>,
    /// The tenant's custom fields that have a value: `{key: value}`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub custom_fields: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub solved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The ticket this one hangs under, as `link_kind`.
    pub parent_id: Option<Uuid>,
    pub link_kind: Option<LinkKind>,
    /// Set when this ticket was merged away (it is closed); its history is on that ticket.
    pub merged_into: Option<Uuid>,
    /// The ticket this one was split off from.
    pub split_from: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct TicketRow {
    id: Uuid,
    number: i64,
    subject: String,
    description: String,
    requester_id: Uuid,
    channel: String,
    status: String,
    priority: String,
    ticket_type: String,
    tags: Json<Vec<String>>,
    assignee_id: Option<Uuid>,
    group_id: Option<Uuid>,
    conversation_id: Option<Uuid>,
    custom_fields: Json<Map<String, Value>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    solved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    parent_id: Option<Uuid>,
    link_kind: Option<String>,
    merged_into: Option<Uuid>,
    split_from: Option<Uuid>,
}

impl TryFrom<TicketRow> for Ticket {
    type Error = StoreError;
    fn try_from(row: TicketRow) -> Result<Self, StoreError> {
        Ok(Ticket {
            id: row.id,
            number: row.number,
            subject: row.subject,
            description: row.description,
            requester_id: row.requester_id,
            channel: row.channel,
            status: TicketStatus::parse(&row.status)
                .ok_or_else(|| StoreError::corrupt("tickets.status", &row.status))?,
            priority: TicketPriority::parse(&row.priority)
                .ok_or_else(|| StoreError::corrupt("tickets.priority", &row.priority))?,
            ticket_type: TicketType::parse(&row.ticket_type)
                .ok_or_else(|| StoreError::corrupt("tickets.ticket_type", &row.ticket_type))?,
            tags: row.tags.0,
            assignee_id: row.assignee_id,
            group_id: row.group_id,
            conversation_id: row.conversation_id,
            custom_fields: row.custom_fields.0,
            created_at: row.created_at,
            updated_at: row.updated_at,
            solved_at: row.solved_at,
            closed_at: row.closed_at,
            parent_id: row.parent_id,
            link_kind: row
                .link_kind
                .map(|k| {
                    LinkKind::parse(&k).ok_or_else(|| StoreError::corrupt("tickets.link_kind", &k))
                })
                .transpose()?,
            merged_into: row.merged_into,
            split_from: row.split_from,
        })
    }
}

macro_rules! ticket_columns {
    () => {
        "id, number, subject, description, requester_id, channel, status, priority, ticket_type, tags, assignee_id, group_id, conversation_id, custom_fields, created_at, updated_at, solved_at, closed_at, parent_id, link_kind, merged_into, split_from"
    };
}

/// The columns of [`TicketRow`], qualified for queries that join other tables.
pub(crate) const TICKET_COLUMNS: &str = "tickets.id, tickets.number, tickets.subject, tickets.description, tickets.requester_id, tickets.channel, tickets.status, tickets.priority, tickets.ticket_type, tickets.tags, tickets.assignee_id, tickets.group_id, tickets.conversation_id, tickets.custom_fields, tickets.created_at, tickets.updated_at, tickets.solved_at, tickets.closed_at, tickets.parent_id, tickets.link_kind, tickets.merged_into, tickets.split_from";

#[derive(Debug, Clone)]
pub struct NewTicket {
    pub subject: String,
    pub description: String,
    pub requester_id: Uuid,
    pub channel: String,
    pub priority: TicketPriority,
    pub ticket_type: TicketType,
    pub tags: Vec<String>,
    pub assignee_id: Option<Uuid>,
    pub group_id: Option<Uuid>,
    pub conversation_id: Option<Uuid>,
    /// Values of the tenant's custom fields, checked against their definitions.
    pub custom_fields: Map<String, Value>,
}

/// Fields to change; `None` leaves a field, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct TicketPatch {
    pub subject: Option<String>,
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
    pub ticket_type: Option<TicketType>,
    pub tags: Option<Vec<String>>,
    pub assignee_id: Option<Option<Uuid>>,
    pub group_id: Option<Option<Uuid>>,
    /// Custom field values to set (`null` clears one); the others stay.
    pub custom_fields: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub statuses: Vec<TicketStatus>,
    pub assignee_id: Option<Uuid>,
    pub group_id: Option<Uuid>,
    pub requester_id: Option<Uuid>,
    /// Text in the subject, the description or any comment, internal notes included: every
    /// word (split on white space) a case-insensitive substring, found through the search
    /// index; words of 1–2 characters alone scan the newest tickets a window at a time (see
    /// [`crate::SHORT_QUERY_SCAN`]).
    pub query: Option<String>,
    /// Only tickets with an SLA target running and due by then, or breached and still running.
    pub breaching_by: Option<DateTime<Utc>>,
    /// Custom field values the tickets have (`field.KEY=value`), at most [`MAX_FIELD_FILTERS`].
    pub custom_fields: Vec<(String, String)>,
    pub priorities: Vec<TicketPriority>,
    pub types: Vec<TicketType>,
    /// Only tickets nobody is assigned to.
    pub unassigned: bool,
    /// Only tickets of the departments this user belongs to.
    pub groups_of_member: Option<Uuid>,
    /// Only tickets carrying this tag.
    pub tag: Option<String>,
}

/// `%"tag"%` over a ticket's tags as JSON text (the same text on both backends: a JSON array
/// of strings), LIKE's wildcards taken literally.
pub(crate) fn tag_pattern(tag: Option<&str>) -> Option<String> {
    let tag = tag.map(str::trim).filter(|t| !t.is_empty())?;
    let quoted = serde_json::to_string(tag).ok()?;
    Some(format!("%{}%", crate::customers::like_escape(&quoted)))
}

/// Custom field filters one list takes.
pub const MAX_FIELD_FILTERS: usize = 3;

/// People must fill in the fields a ticket type requires; the system (mail taken in, time rules,
/// SLA escalations, triggers) writes what it knows and is only held to the values' rules.
fn enforces_required(actor: &Actor) -> bool {
    matches!(actor.kind, ActorKind::User | ActorKind::ApiToken)
}

/// Checks the custom fields a write leaves on a ticket against the tenant's definitions.
async fn checked_custom_fields(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    ticket_type: TicketType,
    current: &Map<String, Value>,
    changes: Option<&Map<String, Value>>,
    actor: &Actor,
) -> Result<Map<String, Value>, StoreError> {
    let defs: Vec<_> = crate::ticket_fields::load_fields(&mut *conn, tenant_id)
        .await?
        .iter()
        .map(crate::ticket_fields::TicketField::def)
        .collect();
    Ok(kefu_core::ticket_field::apply_custom_fields(
        &defs,
        ticket_type,
        current,
        changes,
        enforces_required(actor),
    )?)
}

/// Rewrites the ticket's rows in the field filter index.
async fn index_custom_fields(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    ticket_id: Uuid,
    fields: &Map<String, Value>,
) -> Result<(), StoreError> {
    sql_execute!(
        &mut *conn,
        "DELETE FROM ticket_field_values WHERE tenant_id = $1 AND ticket_id = $2",
        tenant_id,
        ticket_id
    )?;
    for (key, value) in fields {
        for text in kefu_core::ticket_field::index_values(value) {
            sql_execute!(
                &mut *conn,
                "INSERT INTO ticket_field_values (tenant_id, ticket_id, field_key, value) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
                tenant_id,
                ticket_id,
                key,
                text
            )?;
        }
    }
    Ok(())
}

/// Who wrote a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CommentAuthor {
    Agent,
    Customer,
    System,
}

impl CommentAuthor {
    fn as_str(self) -> &'static str {
        match self {
            CommentAuthor::Agent => "agent",
            CommentAuthor::Customer => "customer",
            CommentAuthor::System => "system",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            CommentAuthor::Agent,
            CommentAuthor::Customer,
            CommentAuthor::System,
        ]
        .into_iter()
        .find(|a| a.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketComment {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub author_kind: CommentAuthor,
    pub author_id: Option<Uuid>,
    /// Public replies go to the customer; the rest are internal notes.
    pub public: bool,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct CommentRow {
    id: Uuid,
    ticket_id: Uuid,
    author_kind: String,
    author_id: Option<Uuid>,
    public: bool,
    body: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<CommentRow> for TicketComment {
    type Error = StoreError;
    fn try_from(row: CommentRow) -> Result<Self, StoreError> {
        Ok(TicketComment {
            id: row.id,
            ticket_id: row.ticket_id,
            author_kind: CommentAuthor::parse(&row.author_kind).ok_or_else(|| {
                StoreError::corrupt("ticket_comments.author_kind", &row.author_kind)
            })?,
            author_id: row.author_id,
            public: row.public,
            body: row.body,
            created_at: row.created_at,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewComment {
    pub author_kind: CommentAuthor,
    pub author_id: Option<Uuid>,
    pub public: bool,
    pub body: String,
}

pub(crate) async fn load_ticket(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Ticket, StoreError> {
    sql_optional!(
        TicketRow,
        conn,
        concat!(
            "SELECT ",
            ticket_columns!(),
            " FROM tickets WHERE tenant_id = $1 AND id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?
    .try_into()
}

/// Creates a ticket inside the caller's transaction (a mail being taken in, a split…).
pub(crate) async fn insert_ticket(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    new: NewTicket,
    actor: &Actor,
) -> Result<Ticket, StoreError> {
    let creation = Creation {
        new,
        actor: actor.clone(),
    };
    insert_tickets(conn, tenant_id, std::slice::from_ref(&creation))
        .await?
        .pop()
        .unwrap_or(Err(StoreError::NotFound))
}

impl Store {
    pub async fn create_ticket(
        &self,
        tenant_id: Uuid,
        new: NewTicket,
        actor: &Actor,
    ) -> Result<Ticket, StoreError> {
        let creation = Creation {
            new,
            actor: actor.clone(),
        };
        self.grouped_creation(tenant_id, creation).await
    }

    pub async fn ticket(&self, tenant_id: Uuid, id: Uuid) -> Result<Ticket, StoreError> {
        let mut read = self.read().await?;
        load_ticket(&mut read.conn(), tenant_id, id).await
    }

    pub async fn ticket_by_number(
        &self,
        tenant_id: Uuid,
        number: i64,
    ) -> Result<Ticket, StoreError> {
        let mut read = self.read().await?;
        sql_optional!(
            TicketRow,
            read.conn(),
            concat!(
                "SELECT ",
                ticket_columns!(),
                " FROM tickets WHERE tenant_id = $1 AND number = $2"
            ),
            tenant_id,
            number
        )?
        .ok_or(StoreError::NotFound)?
        .try_into()
    }

    /// Changes fields and status. A status move the lifecycle forbids is `invalid_transition`;
    /// assigning a new ticket opens it. The event lists the changed fields with old and new.
    pub async fn update_ticket(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: TicketPatch,
        actor: &Actor,
    ) -> Result<Ticket, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let after = update_ticket_in(&mut tx.conn(), tenant_id, id, patch, actor).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Tickets newest first, filtered and searched; see [`TicketFilter`].
    pub async fn list_tickets(
        &self,
        tenant_id: Uuid,
        filter: &TicketFilter,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<Ticket>, StoreError> {
        if filter.custom_fields.len() > MAX_FIELD_FILTERS {
            return Err(ValidationErrors::single(
                "custom_fields",
                "too_many",
                "at most 3 custom field filters",
            )
            .into());
        }
        let mut read = self.read().await?;
        crate::ticket_list::list(&mut read.conn(), tenant_id, filter, before, limit).await
    }

    /// Tickets of every tenant solved before `cutoff` and not closed since, oldest first: the
    /// ones a time rule closes.
    pub async fn tickets_solved_before(
        &self,
        cutoff: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            (Uuid, Uuid),
            read.conn(),
            "SELECT tenant_id, id FROM tickets WHERE status = 'solved' AND solved_at <= $1
             ORDER BY solved_at LIMIT $2",
            cutoff,
            i64::from(limit)
        )?)
    }

    /// The tenant's tickets waiting on the customer since `cutoff` or longer, longest first, with
    /// since when: the ones the pending-customer time rule looks at.
    pub async fn tickets_pending_before(
        &self,
        tenant_id: Uuid,
        cutoff: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(Uuid, DateTime<Utc>)>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            (Uuid, DateTime<Utc>),
            read.conn(),
            "SELECT id, pending_since FROM tickets WHERE tenant_id = $1 AND status = 'pending_customer'
               AND pending_since <= $2 ORDER BY pending_since LIMIT $3",
            tenant_id,
            cutoff,
            i64::from(limit)
        )?)
    }

    /// Solves a ticket still waiting on the customer since `since`, telling them with a public
    /// `notice`, in one transaction. `false` (and nothing done) when the ticket moved meanwhile.
    pub async fn solve_unanswered(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        since: DateTime<Utc>,
        notice: &str,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let still = sql_scalar_optional!(
            Uuid,
            &mut conn,
            "SELECT id FROM tickets WHERE tenant_id = $1 AND id = $2 AND status = 'pending_customer' AND pending_since = $3",
            tenant_id,
            id,
            since
        )?;
        if still.is_none() {
            return Ok(false);
        }
        let comment = NewComment {
            author_kind: CommentAuthor::System,
            author_id: None,
            public: true,
            body: notice.to_owned(),
        };
        insert_comment(&mut conn, tenant_id, id, comment, &[], actor).await?;
        let patch = TicketPatch {
            status: Some(TicketStatus::Solved),
            ..TicketPatch::default()
        };
        match update_ticket_in(&mut conn, tenant_id, id, patch, actor).await {
            // Its sub-tasks are still open: it waits for them, not for the customer; the
            // notice goes with the rolled-back transaction.
            Err(StoreError::Conflict {
                code: "ticket_blocked_by_subtasks",
                ..
            }) => return Ok(false),
            other => other?,
        };
        tx.commit().await?;
        Ok(true)
    }

    /// Adds a comment. A public reply by an agent to a new ticket opens it; a customer writing
    /// on a pending or solved ticket brings it back to open (a closed one stays closed: the
    /// caller opens a follow-up).
    pub async fn add_comment(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        new: NewComment,
        actor: &Actor,
    ) -> Result<(TicketComment, Ticket), StoreError> {
        self.add_comment_mentioning(tenant_id, ticket_id, new, &[], actor)
            .await
    }

    /// [`Store::add_comment`] naming the users it @mentions (resolved by the caller) in its
    /// event, so they are told in the same transaction that stores the comment.
    pub async fn add_comment_mentioning(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        new: NewComment,
        mentions: &[Uuid],
        actor: &Actor,
    ) -> Result<(TicketComment, Ticket), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let added =
            insert_comment(&mut tx.conn(), tenant_id, ticket_id, new, mentions, actor).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Comments oldest first; internal notes only when asked for.
    pub async fn list_comments(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        include_notes: bool,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<TicketComment>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        load_ticket(&mut conn, tenant_id, ticket_id).await?;
        let rows = sql_all!(
            CommentRow,
            &mut conn,
            "SELECT id, ticket_id, author_kind, author_id, public, body, created_at FROM ticket_comments
             WHERE tenant_id = $1 AND ticket_id = $2 AND ($3 OR public) AND ($4 IS NULL OR id > $4)
             ORDER BY id LIMIT $5",
            tenant_id,
            ticket_id,
            include_notes,
            after,
            clamp_limit(limit)
        )?;
        let comments = rows
            .into_iter()
            .map(TicketComment::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(comments, limit, |c| c.id))
    }
}

/// [`Store::update_ticket`] inside the caller's transaction (triggers apply several changes in one).
/// Solving a problem solves its open incidents too, each telling its customer.
pub(crate) async fn update_ticket_in(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
    patch: TicketPatch,
    actor: &Actor,
) -> Result<Ticket, StoreError> {
    let (from, after) = update_one(&mut *conn, tenant_id, id, patch, actor).await?;
    if solves_incidents(from, after.status) {
        solve_incidents(&mut *conn, tenant_id, &after).await?;
    }
    Ok(after)
}

/// The open incidents of a just-solved ticket, solved by the system with a public notice each.
/// One that cannot be solved (its own sub-tasks still open) stays as it is.
async fn solve_incidents(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    problem: &Ticket,
) -> Result<(), StoreError> {
    let incidents = sql_all!(
        (Uuid, i64),
        &mut *conn,
        "SELECT id, number FROM tickets WHERE tenant_id = $1 AND parent_id = $2 AND link_kind = 'incident'
           AND status <> 'solved' AND status <> 'closed' ORDER BY id",
        tenant_id,
        problem.id
    )?;
    if incidents.is_empty() {
        return Ok(());
    }
    let locale = crate::ticket_links::locale_in(&mut *conn, tenant_id).await?;
    let system = Actor::system();
    for (incident, number) in incidents {
        let patch = TicketPatch {
            status: Some(TicketStatus::Solved),
            ..TicketPatch::default()
        };
        // Refusals are decided before anything is written, so the transaction carries on.
        match update_one(&mut *conn, tenant_id, incident, patch, &system).await {
            Ok(_) => {}
            Err(StoreError::Conflict { .. } | StoreError::Invalid(_)) => continue,
            Err(err) => return Err(err),
        }
        let notice = LinkNotice::IncidentSolved {
            incident: number,
            problem: problem.number,
        };
        let comment = NewComment {
            author_kind: CommentAuthor::System,
            author_id: None,
            public: true,
            body: notice.text(&locale),
        };
        insert_comment(&mut *conn, tenant_id, incident, comment, &[], &system).await?;
    }
    Ok(())
}

/// `(number, kind, status)` of a ticket's children.
pub(crate) async fn child_states(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Vec<(i64, LinkKind, TicketStatus)>, StoreError> {
    sql_all!(
        (i64, String, String),
        &mut *conn,
        "SELECT number, link_kind, status FROM tickets WHERE tenant_id = $1 AND parent_id = $2 ORDER BY number",
        tenant_id,
        id
    )?
    .into_iter()
    .map(|(number, kind, status)| {
        Ok((
            number,
            LinkKind::parse(&kind).ok_or_else(|| StoreError::corrupt("tickets.link_kind", &kind))?,
            TicketStatus::parse(&status).ok_or_else(|| StoreError::corrupt("tickets.status", &status))?,
        ))
    })
    .collect()
}

/// One ticket's update, without what follows from it; also answers the status it had.
async fn update_one(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
    patch: TicketPatch,
    actor: &Actor,
) -> Result<(TicketStatus, Ticket), StoreError> {
    let mut errors = ValidationErrors::new();
    check_ticket_text(&mut errors, patch.subject.as_deref(), None);
    let tags = match patch.tags.map(normalize_tags).transpose() {
        Ok(tags) => tags,
        Err(invalid) => {
            errors.errors.extend(invalid.errors);
            None
        }
    };
    errors.into_result()?;
    let before = load_ticket(&mut *conn, tenant_id, id).await?;
    let named = Named {
        assignee: patch.assignee_id.flatten(),
        group: patch.group_id.flatten(),
        ..Named::default()
    };
    KnownReferences::load(&mut *conn, tenant_id, std::slice::from_ref(&named))
        .await?
        .check(&named)?;
    let assignee_id = patch.assignee_id.unwrap_or(before.assignee_id);
    let mut status = patch.status.unwrap_or(before.status);
    if patch.status.is_none() && before.status == TicketStatus::New && assignee_id.is_some() {
        status = TicketStatus::Open;
    }
    if status != before.status && !before.status.can_move_to(status) {
        return Err(StoreError::conflict(
            "invalid_transition",
            format!(
                "a {} ticket cannot become {}",
                before.status.as_str(),
                status.as_str()
            ),
            serde_json::json!({"from": before.status, "to": status}),
        ));
    }
    if status != before.status && !status.is_open() {
        let blocking = blocking_subtasks(status, &child_states(&mut *conn, tenant_id, id).await?);
        if !blocking.is_empty() {
            return Err(StoreError::conflict(
                "ticket_blocked_by_subtasks",
                "sub-tasks of this ticket are still open",
                serde_json::json!({"numbers": blocking}),
            ));
        }
    }
    let ticket_type = patch.ticket_type.unwrap_or(before.ticket_type);
    let custom_fields = checked_custom_fields(
        &mut *conn,
        tenant_id,
        ticket_type,
        &before.custom_fields,
        patch.custom_fields.as_ref(),
        actor,
    )
    .await?;
    if custom_fields != before.custom_fields {
        index_custom_fields(&mut *conn, tenant_id, id, &custom_fields).await?;
    }
    let now = Utc::now().trunc_subsecs(6);
    let solved_at = match status {
        TicketStatus::Solved if before.status != TicketStatus::Solved => Some(now),
        TicketStatus::Solved | TicketStatus::Closed => before.solved_at,
        _ => None,
    };
    let closed_at = (status == TicketStatus::Closed).then(|| before.closed_at.unwrap_or(now));
    sql_execute!(
        &mut *conn,
        "UPDATE tickets SET subject = $3, status = $4, priority = $5, ticket_type = $6, tags = $7, assignee_id = $8, group_id = $9,
             solved_at = $10, closed_at = $11, updated_at = $12, custom_fields = $13,
             pending_since = CASE WHEN $4 = 'pending_customer' THEN COALESCE(pending_since, $12) ELSE NULL END
         WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id,
        patch.subject.as_deref().map_or(before.subject.as_str(), str::trim),
        status.as_str(),
        patch.priority.unwrap_or(before.priority).as_str(),
        ticket_type.as_str(),
        Json(tags.as_ref().unwrap_or(&before.tags)),
        assignee_id,
        patch.group_id.unwrap_or(before.group_id),
        solved_at,
        closed_at,
        now,
        Json(&custom_fields)
    )?;
    let after = load_ticket(&mut *conn, tenant_id, id).await?;
    let changes = changed_fields(&before, &after);
    if !changes.is_empty() {
        let mut payload = serde_json::json!({"changes": changes, "ticket": after});
        // Followers hear of status changes, named the way @mentions are on comments.
        if after.status != before.status {
            with_notify(
                &mut payload,
                to_notify(&mut *conn, tenant_id, id, actor).await?,
            );
        }
        record(
            &mut *conn,
            Change {
                tenant_id,
                kind: "ticket.updated",
                entity_type: "ticket",
                entity_id: Some(id),
                actor,
                payload,
                audit: None,
            },
        )
        .await?;
    }
    // Whoever is given the ticket follows it from then on.
    if let Some(assignee) = after.assignee_id.filter(|a| before.assignee_id != Some(*a)) {
        follow_in(
            &mut *conn,
            tenant_id,
            id,
            &[assignee],
            FollowReason::Assigned,
            actor,
        )
        .await?;
    }
    Ok((before.status, after))
}

/// Adds a comment inside the caller's transaction; see [`Store::add_comment`] for the rules.
pub(crate) async fn insert_comment(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    ticket_id: Uuid,
    new: NewComment,
    mentions: &[Uuid],
    actor: &Actor,
) -> Result<(TicketComment, Ticket), StoreError> {
    check_comment(&new.body)?;
    if new.author_kind == CommentAuthor::Customer && !new.public {
        return Err(ValidationErrors::single(
            "public",
            "note_not_allowed",
            "customers write public comments only",
        )
        .into());
    }
    let before = load_ticket(&mut *conn, tenant_id, ticket_id).await?;
    if before.status == TicketStatus::Closed {
        return Err(StoreError::conflict(
            "ticket_closed",
            "this ticket is closed; open a follow-up ticket",
            serde_json::json!({"number": before.number}),
        ));
    }
    let id = Uuid::now_v7();
    let now = Utc::now().trunc_subsecs(6);
    sql_execute!(
        &mut *conn,
        "INSERT INTO ticket_comments (id, tenant_id, ticket_id, author_kind, author_id, public, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        tenant_id,
        ticket_id,
        new.author_kind.as_str(),
        new.author_id,
        new.public,
        new.body.trim(),
        now
    )?;
    let comment = TicketComment {
        id,
        ticket_id,
        author_kind: new.author_kind,
        author_id: new.author_id,
        public: new.public,
        body: new.body.trim().to_owned(),
        created_at: now,
    };
    let mut payload = if mentions.is_empty() {
        serde_json::json!({"comment": comment, "number": before.number})
    } else {
        serde_json::json!({"comment": comment, "number": before.number, "mentions": mentions})
    };
    // Followers hear of public replies and of what the customer writes, not of internal notes.
    if new.public {
        with_notify(
            &mut payload,
            to_notify(&mut *conn, tenant_id, ticket_id, actor).await?,
        );
    }
    record(
        &mut *conn,
        Change {
            tenant_id,
            kind: "ticket.comment_added",
            entity_type: "ticket",
            entity_id: Some(ticket_id),
            actor,
            payload,
            audit: None,
        },
    )
    .await?;
    // Writing on a ticket or being @mentioned on it makes an agent follow it; the writer is
    // the actor and the mentioned were told already, so neither is in this comment's `notify`.
    if let (CommentAuthor::Agent, Some(author)) = (new.author_kind, new.author_id) {
        follow_in(
            &mut *conn,
            tenant_id,
            ticket_id,
            &[author],
            FollowReason::Commented,
            actor,
        )
        .await?;
    }
    follow_in(
        &mut *conn,
        tenant_id,
        ticket_id,
        mentions,
        FollowReason::Mentioned,
        actor,
    )
    .await?;
    let reopen = match (new.author_kind, before.status) {
        (CommentAuthor::Customer, TicketStatus::PendingCustomer | TicketStatus::Solved) => {
            Some(TicketStatus::Open)
        }
        (CommentAuthor::Agent, TicketStatus::New) if new.public => Some(TicketStatus::Open),
        _ => None,
    };
    let mut after = before.clone();
    // The reopening below carries no `notify`: the comment event told the followers already.
    if let Some(status) = reopen {
        sql_execute!(
            &mut *conn,
            "UPDATE tickets SET status = $3, solved_at = NULL, pending_since = NULL, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            ticket_id,
            status.as_str(),
            now
        )?;
        after = load_ticket(&mut *conn, tenant_id, ticket_id).await?;
        record(
            &mut *conn,
            Change {
                tenant_id,
                kind: "ticket.updated",
                entity_type: "ticket",
                entity_id: Some(ticket_id),
                actor,
                payload: serde_json::json!({"changes": changed_fields(&before, &after), "ticket": after}),
                audit: None,
            },
        )
        .await?;
    }
    Ok((comment, after))
}

/// Adds the users to tell to an event's payload as `notify`, when there are any.
pub(crate) fn with_notify(payload: &mut Value, notify: Vec<Uuid>) {
    if let (Value::Object(map), false) = (payload, notify.is_empty()) {
        map.insert("notify".to_owned(), serde_json::json!(notify));
    }
}

/// `{field: {from, to}}` for every field that differs.
pub(crate) fn changed_fields(
    before: &Ticket,
    after: &Ticket,
) -> serde_json::Map<String, serde_json::Value> {
    let (Ok(serde_json::Value::Object(old)), Ok(serde_json::Value::Object(new))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return serde_json::Map::new();
    };
    new.into_iter()
        .filter(|(field, value)| field != "updated_at" && old.get(field) != Some(value))
        .map(|(field, value)| {
            let from = old.get(&field).cloned().unwrap_or_default();
            (field, serde_json::json!({"from": from, "to": value}))
        })
        .collect()
}

#[cfg(test)]
mod column_tests {
    /// The qualified list is written out for joins; it must name the same columns as the
    /// plain one, or a new column reads as missing in some queries only.
    #[test]
    fn qualified_columns_are_the_plain_ones() {
        let qualified: Vec<String> = ticket_columns!()
            .split(", ")
            .map(|c| format!("tickets.{c}"))
            .collect();
        assert_eq!(super::TICKET_COLUMNS, qualified.join(", "));
    }
}
