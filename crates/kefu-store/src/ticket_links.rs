//! Ticket links in SQL: a ticket's parent and children, sub-tasks made from a ticket, merging
//! and splitting. The rules are kefu-core's `ticket_link`; each change is one transaction.

use crate::events::{Actor, Change, record};
use crate::page::{Page, clamp_limit};
use crate::sql::Conn;
use crate::ticket_followers::to_notify;
use crate::tickets::{
    CommentAuthor, NewComment, NewTicket, Ticket, changed_fields, insert_comment, insert_ticket,
    load_ticket, update_ticket_in, with_notify,
};
use crate::{Store, StoreError};
use chrono::{SubsecRound, Utc};
use kefu_core::ticket_link::{
    LinkKind, LinkNotice, LinkRefusal, MAX_LINK_DEPTH, Parent, check_link, check_merge,
};
use kefu_core::{TicketPriority, TicketStatus, TicketType, ValidationErrors, normalize_tags};
use serde::Serialize;
use sqlx::types::Json;
use uuid::Uuid;

/// A linked ticket in a few words: enough to show and follow the link.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketRef {
    pub id: Uuid,
    pub number: i64,
    pub subject: String,
    pub status: TicketStatus,
    /// How this ticket hangs under its own parent, if it has one.
    pub kind: Option<LinkKind>,
}

#[derive(sqlx::FromRow)]
struct RefRow {
    id: Uuid,
    number: i64,
    subject: String,
    status: String,
    link_kind: Option<String>,
}

impl TryFrom<RefRow> for TicketRef {
    type Error = StoreError;
    fn try_from(row: RefRow) -> Result<Self, StoreError> {
        Ok(TicketRef {
            id: row.id,
            number: row.number,
            subject: row.subject,
            status: TicketStatus::parse(&row.status)
                .ok_or_else(|| StoreError::corrupt("tickets.status", &row.status))?,
            kind: row
                .link_kind
                .map(|k| {
                    LinkKind::parse(&k).ok_or_else(|| StoreError::corrupt("tickets.link_kind", &k))
                })
                .transpose()?,
        })
    }
}

fn ref_of(ticket: &Ticket) -> TicketRef {
    TicketRef {
        id: ticket.id,
        number: ticket.number,
        subject: ticket.subject.clone(),
        status: ticket.status,
        kind: ticket.link_kind,
    }
}

/// A sub-task to open under a ticket.
#[derive(Debug, Clone)]
pub struct NewSubtask {
    pub subject: String,
    pub description: String,
    pub priority: Option<TicketPriority>,
    pub group_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
}

/// Comments one split moves at most.
pub const MAX_SPLIT_COMMENTS: usize = 200;

/// The tenant's language, for system notices.
pub(crate) async fn locale_in(conn: &mut Conn<'_>, tenant_id: Uuid) -> Result<String, StoreError> {
    let settings = sql_scalar!(
        Json<crate::TenantSettings>,
        &mut *conn,
        "SELECT settings FROM tenants WHERE id = $1",
        tenant_id
    )?;
    Ok(settings.0.locale)
}

/// The parents above a ticket, nearest first, and whether the chain ended within
/// [`MAX_LINK_DEPTH`] (a longer or looping chain is reported as incomplete).
async fn ancestors(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<(Vec<Uuid>, bool), StoreError> {
    let mut chain = Vec::new();
    let mut current = id;
    loop {
        let parent = sql_scalar_optional!(
            Option<Uuid>,
            &mut *conn,
            "SELECT parent_id FROM tickets WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            current
        )?
        .flatten();
        match parent {
            None => return Ok((chain, true)),
            Some(p) if chain.len() >= MAX_LINK_DEPTH || chain.contains(&p) || p == id => {
                return Ok((chain, false));
            }
            Some(p) => {
                chain.push(p);
                current = p;
            }
        }
    }
}

/// A refusal as the store's error: a wrong kind is bad input (422), the rest conflicts (409).
fn refused(refusal: LinkRefusal, details: serde_json::Value) -> StoreError {
    match refusal {
        LinkRefusal::NotAProblem => {
            ValidationErrors::single("kind", refusal.code(), refusal.message()).into()
        }
        other => StoreError::conflict(other.code(), other.message(), details),
    }
}

async fn note(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    ticket_id: Uuid,
    body: String,
    actor: &Actor,
) -> Result<(), StoreError> {
    let comment = NewComment {
        author_kind: CommentAuthor::System,
        author_id: None,
        public: false,
        body,
    };
    insert_comment(conn, tenant_id, ticket_id, comment, &[], actor).await?;
    Ok(())
}

/// Puts `child` under `parent` as `kind` (replacing any parent it had). A new sub-task under a
/// solved parent reopens it: the parent is not done while the sub-task is open.
async fn link_in(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    child_id: Uuid,
    parent_id: Uuid,
    kind: LinkKind,
    actor: &Actor,
) -> Result<Ticket, StoreError> {
    let child = load_ticket(&mut *conn, tenant_id, child_id).await?;
    let parent = load_ticket(&mut *conn, tenant_id, parent_id).await?;
    let (chain, complete) = ancestors(&mut *conn, tenant_id, parent.id).await?;
    let end = Parent {
        id: parent.id,
        ticket_type: parent.ticket_type,
        status: parent.status,
        ancestors: &chain,
        complete,
    };
    check_link(child.id, &end, kind).map_err(|refusal| {
        refused(
            refusal,
            serde_json::json!({"child": child.number, "parent": parent.number}),
        )
    })?;
    if child.parent_id == Some(parent.id) && child.link_kind == Some(kind) {
        return Ok(child);
    }
    let now = Utc::now().trunc_subsecs(6);
    sql_execute!(
        &mut *conn,
        "UPDATE tickets SET parent_id = $3, link_kind = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        child.id,
        parent.id,
        kind.as_str(),
        now
    )?;
    record(
        &mut *conn,
        Change {
            tenant_id,
            kind: "ticket.linked",
            entity_type: "ticket",
            entity_id: Some(child.id),
            actor,
            payload: serde_json::json!({
                "number": child.number,
                "parent": ref_of(&parent),
                "kind": kind,
                "previous_parent_id": child.parent_id,
            }),
            audit: None,
        },
    )
    .await?;
    if kind == LinkKind::Subtask && parent.status == TicketStatus::Solved && child.status.is_open()
    {
        let reopen = crate::tickets::TicketPatch {
            status: Some(TicketStatus::Open),
            ..Default::default()
        };
        update_ticket_in(&mut *conn, tenant_id, parent.id, reopen, actor).await?;
    }
    load_ticket(&mut *conn, tenant_id, child.id).await
}

/// Takes a ticket from under its parent; a ticket without one is left as it is.
async fn unlink_in(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    child_id: Uuid,
    actor: &Actor,
) -> Result<Ticket, StoreError> {
    let child = load_ticket(&mut *conn, tenant_id, child_id).await?;
    let Some(parent_id) = child.parent_id else {
        return Ok(child);
    };
    sql_execute!(
        &mut *conn,
        "UPDATE tickets SET parent_id = NULL, link_kind = NULL, updated_at = $3 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        child.id,
        Utc::now().trunc_subsecs(6)
    )?;
    record(
        &mut *conn,
        Change {
            tenant_id,
            kind: "ticket.unlinked",
            entity_type: "ticket",
            entity_id: Some(child.id),
            actor,
            payload: serde_json::json!({"number": child.number, "parent_id": parent_id, "kind": child.link_kind}),
            audit: None,
        },
    )
    .await?;
    load_ticket(&mut *conn, tenant_id, child.id).await
}

/// Rows besides the comments that go with a ticket's history when it is merged.
const MOVED_WITH_TICKET: [&str; 3] = [
    "UPDATE ticket_attachments SET ticket_id = $3 WHERE tenant_id = $1 AND ticket_id = $2",
    // Mails carry the Message-IDs a customer's reply threads by.
    "UPDATE ticket_mails SET ticket_id = $3 WHERE tenant_id = $1 AND ticket_id = $2",
    // Replies still waiting for the relay are sent from the ticket that now holds them.
    "UPDATE mail_outbox SET ticket_id = $3 WHERE tenant_id = $1 AND ticket_id = $2",
];

/// A comment and the rows tied to it, which go with it when it is split off.
const MOVED_WITH_COMMENT: [&str; 4] = [
    "UPDATE ticket_comments SET ticket_id = $3 WHERE tenant_id = $1 AND id = $2",
    "UPDATE ticket_attachments SET ticket_id = $3 WHERE tenant_id = $1 AND comment_id = $2",
    "UPDATE ticket_mails SET ticket_id = $3 WHERE tenant_id = $1 AND comment_id = $2",
    "UPDATE mail_outbox SET ticket_id = $3 WHERE tenant_id = $1 AND comment_id = $2",
];

impl Store {
    /// Puts a ticket under a parent; see kefu-core's `check_link` for what is refused.
    pub async fn link_ticket(
        &self,
        tenant_id: Uuid,
        child_id: Uuid,
        parent_id: Uuid,
        kind: LinkKind,
        actor: &Actor,
    ) -> Result<Ticket, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let child = link_in(&mut tx.conn(), tenant_id, child_id, parent_id, kind, actor).await?;
        tx.commit().await?;
        Ok(child)
    }

    pub async fn unlink_ticket(
        &self,
        tenant_id: Uuid,
        child_id: Uuid,
        actor: &Actor,
    ) -> Result<Ticket, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let child = unlink_in(&mut tx.conn(), tenant_id, child_id, actor).await?;
        tx.commit().await?;
        Ok(child)
    }

    /// A ticket of this tenant in a few words.
    pub async fn ticket_ref(&self, tenant_id: Uuid, id: Uuid) -> Result<TicketRef, StoreError> {
        let mut read = self.read().await?;
        sql_optional!(
            RefRow,
            read.conn(),
            "SELECT id, number, subject, status, link_kind FROM tickets WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?
        .ok_or(StoreError::NotFound)?
        .try_into()
    }

    /// A ticket's children, oldest first.
    pub async fn ticket_children(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<TicketRef>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        load_ticket(&mut conn, tenant_id, id).await?;
        let rows = sql_all!(
            RefRow,
            &mut conn,
            "SELECT id, number, subject, status, link_kind FROM tickets
             WHERE tenant_id = $1 AND parent_id = $2 AND ($3 IS NULL OR id > $3) ORDER BY id LIMIT $4",
            tenant_id,
            id,
            after,
            clamp_limit(limit)
        )?;
        let children = rows
            .into_iter()
            .map(TicketRef::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(children, limit, |c| c.id))
    }

    /// Opens a task for another department under a ticket, for the same requester, in one
    /// transaction: the parent cannot be solved until it is done.
    pub async fn create_subtask(
        &self,
        tenant_id: Uuid,
        parent_id: Uuid,
        new: NewSubtask,
        actor: &Actor,
    ) -> Result<Ticket, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let parent = load_ticket(&mut conn, tenant_id, parent_id).await?;
        if parent.status == TicketStatus::Closed {
            return Err(refused(
                LinkRefusal::ParentClosed,
                serde_json::json!({"parent": parent.number}),
            ));
        }
        let ticket = NewTicket {
            subject: new.subject,
            description: new.description,
            requester_id: parent.requester_id,
            // Work between departments, not a conversation with the customer.
            channel: "internal".to_owned(),
            priority: new.priority.unwrap_or(parent.priority),
            ticket_type: TicketType::Task,
            tags: Vec::new(),
            assignee_id: new.assignee_id,
            group_id: new.group_id,
            conversation_id: None,
            custom_fields: serde_json::Map::new(),
        };
        let child = insert_ticket(&mut conn, tenant_id, ticket, actor).await?;
        let child = link_in(
            &mut conn,
            tenant_id,
            child.id,
            parent.id,
            LinkKind::Subtask,
            actor,
        )
        .await?;
        tx.commit().await?;
        Ok(child)
    }

    /// Merges `source_id` into `target_id` in one transaction: the source's comments, files,
    /// mails (so replies to its email thread land on the target), conversation links,
    /// followers, CC, tags and children go to the target, a note on both says so, and the source closes naming where
    /// it went. Answers `(source, target)` as they are afterwards.
    pub async fn merge_ticket(
        &self,
        tenant_id: Uuid,
        source_id: Uuid,
        target_id: Uuid,
        actor: &Actor,
    ) -> Result<(Ticket, Ticket), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let source = load_ticket(&mut conn, tenant_id, source_id).await?;
        let target = load_ticket(&mut conn, tenant_id, target_id).await?;
        let (chain, complete) = ancestors(&mut conn, tenant_id, target.id).await?;
        check_merge(
            (source.id, source.status),
            (target.id, target.status),
            &chain,
            complete,
        )
        .map_err(|refusal| {
            refused(
                refusal,
                serde_json::json!({"source": source.number, "target": target.number}),
            )
        })?;
        let moved_comments = sql_execute!(
            &mut conn,
            "UPDATE ticket_comments SET ticket_id = $3 WHERE tenant_id = $1 AND ticket_id = $2",
            tenant_id,
            source.id,
            target.id
        )?;
        for sql in MOVED_WITH_TICKET {
            sql_execute!(&mut conn, sql, tenant_id, source.id, target.id)?;
        }
        // Tags and the conversation: the target keeps its own and gains the source's.
        let mut tags = target.tags.clone();
        for tag in &source.tags {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        // Both lists were valid; only their union can be too long, and the target's come first.
        tags.truncate(kefu_core::customer::MAX_TAGS);
        let tags = normalize_tags(tags)?;
        // Every conversation the source carried goes to the target (not just one), and the
        // target's first link stays its `conversation_id`.
        let conversations_moved =
            crate::ticket_conversations::merge_into(&mut conn, tenant_id, source.id, target.id)
                .await?;
        let conversation = crate::ticket_conversations::links_in(&mut conn, tenant_id, target.id)
            .await?
            .first()
            .map(|l| l.conversation_id);
        crate::ticket_followers::merge_into(&mut conn, tenant_id, source.id, target.id, actor)
            .await?;
        let now = Utc::now().trunc_subsecs(6);
        sql_execute!(
            &mut conn,
            "UPDATE tickets SET tags = $3, conversation_id = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            target.id,
            Json(&tags),
            conversation,
            now
        )?;
        let target_after = load_ticket(&mut conn, tenant_id, target.id).await?;
        let changes = changed_fields(&target, &target_after);
        if !changes.is_empty() {
            record(
                &mut conn,
                Change {
                    tenant_id,
                    kind: "ticket.updated",
                    entity_type: "ticket",
                    entity_id: Some(target.id),
                    actor,
                    payload: serde_json::json!({"changes": changes, "ticket": target_after}),
                    audit: None,
                },
            )
            .await?;
        }
        // Children follow, each with its own link event.
        let children = sql_all!(
            (Uuid, String),
            &mut conn,
            "SELECT id, link_kind FROM tickets WHERE tenant_id = $1 AND parent_id = $2 ORDER BY id",
            tenant_id,
            source.id
        )?;
        for (child, kind) in children {
            let kind = LinkKind::parse(&kind)
                .ok_or_else(|| StoreError::corrupt("tickets.link_kind", &kind))?;
            sql_execute!(
                &mut conn,
                "UPDATE tickets SET parent_id = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
                tenant_id,
                child,
                target.id,
                now
            )?;
            record(
                &mut conn,
                Change {
                    tenant_id,
                    kind: "ticket.linked",
                    entity_type: "ticket",
                    entity_id: Some(child),
                    actor,
                    payload: serde_json::json!({
                        "parent": ref_of(&target_after),
                        "kind": kind,
                        "previous_parent_id": source.id,
                    }),
                    audit: None,
                },
            )
            .await?;
        }
        // The source's own place under a parent passes to the target, when it has none and the
        // link is allowed there; the closed source then leaves it.
        if let (Some(parent), Some(kind), None) =
            (source.parent_id, source.link_kind, target.parent_id)
        {
            match link_in(&mut conn, tenant_id, target.id, parent, kind, actor).await {
                Ok(_) => {
                    unlink_in(&mut conn, tenant_id, source.id, actor).await?;
                }
                // Decided before anything was written: the target simply stays unlinked.
                Err(StoreError::Conflict { .. } | StoreError::Invalid(_)) => {}
                Err(err) => return Err(err),
            }
        }
        let locale = locale_in(&mut conn, tenant_id).await?;
        let text = LinkNotice::Merged {
            source: source.number,
            target: target.number,
        }
        .text(&locale);
        note(&mut conn, tenant_id, target.id, text.clone(), actor).await?;
        note(&mut conn, tenant_id, source.id, text, actor).await?;
        let source_before = load_ticket(&mut conn, tenant_id, source.id).await?;
        sql_execute!(
            &mut conn,
            "UPDATE tickets SET status = 'closed', merged_into = $3, closed_at = $4, solved_at = COALESCE(solved_at, $4),
                 pending_since = NULL, updated_at = $4, conversation_id = CASE WHEN $5 THEN NULL ELSE conversation_id END
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            source.id,
            target.id,
            now,
            source.conversation_id.is_some()
        )?;
        let source_after = load_ticket(&mut conn, tenant_id, source.id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "ticket.updated",
                entity_type: "ticket",
                entity_id: Some(source.id),
                actor,
                payload: serde_json::json!({
                    "changes": changed_fields(&source_before, &source_after),
                    "ticket": source_after,
                }),
                audit: None,
            },
        )
        .await?;
        let target_after = load_ticket(&mut conn, tenant_id, target.id).await?;
        // The followers of both tickets now follow the target: they hear of the merge there.
        let mut into_target = serde_json::json!({"from": ref_of(&source_after), "comments_moved": moved_comments, "conversations_moved": conversations_moved});
        with_notify(
            &mut into_target,
            to_notify(&mut conn, tenant_id, target.id, actor).await?,
        );
        for (id, payload) in [
            (
                source.id,
                serde_json::json!({"into": ref_of(&target_after), "comments_moved": moved_comments}),
            ),
            (target.id, into_target),
        ] {
            record(
                &mut conn,
                Change {
                    tenant_id,
                    kind: "ticket.merged",
                    entity_type: "ticket",
                    entity_id: Some(id),
                    actor,
                    payload,
                    audit: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok((source_after, target_after))
    }

    /// Splits comments off a ticket into a new one (same requester, channel, group, type and
    /// field values) in one transaction; their files and mails go with them. Every id must be
    /// a comment of this ticket: the others are named in a 422.
    pub async fn split_ticket(
        &self,
        tenant_id: Uuid,
        source_id: Uuid,
        comment_ids: &[Uuid],
        subject: String,
        actor: &Actor,
    ) -> Result<Ticket, StoreError> {
        let mut ids = comment_ids.to_vec();
        ids.sort();
        ids.dedup();
        if ids.is_empty() || ids.len() > MAX_SPLIT_COMMENTS {
            return Err(ValidationErrors::single(
                "comment_ids",
                "invalid_length",
                format!("between 1 and {MAX_SPLIT_COMMENTS} comments"),
            )
            .into());
        }
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let source = load_ticket(&mut conn, tenant_id, source_id).await?;
        if source.status == TicketStatus::Closed {
            return Err(StoreError::conflict(
                "ticket_closed",
                "this ticket is closed",
                serde_json::json!({"number": source.number}),
            ));
        }
        let mut errors = ValidationErrors::new();
        for (i, id) in comment_ids.iter().enumerate() {
            let found = sql_scalar_optional!(
                Uuid,
                &mut conn,
                "SELECT id FROM ticket_comments WHERE tenant_id = $1 AND ticket_id = $2 AND id = $3",
                tenant_id,
                source.id,
                *id
            )?;
            if found.is_none() {
                errors.push(
                    format!("comment_ids[{i}]"),
                    "unknown_comment",
                    format!("{id} is not a comment of #{}", source.number),
                );
            }
        }
        errors.into_result()?;
        let locale = locale_in(&mut conn, tenant_id).await?;
        let new = NewTicket {
            subject,
            description: String::new(),
            requester_id: source.requester_id,
            channel: source.channel.clone(),
            priority: source.priority,
            ticket_type: source.ticket_type,
            tags: Vec::new(),
            assignee_id: None,
            group_id: source.group_id,
            conversation_id: None,
            custom_fields: source.custom_fields.clone(),
        };
        let created = insert_ticket(&mut conn, tenant_id, new, actor).await?;
        sql_execute!(
            &mut conn,
            "UPDATE tickets SET split_from = $3 WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            created.id,
            source.id
        )?;
        for id in &ids {
            for sql in MOVED_WITH_COMMENT {
                sql_execute!(&mut conn, sql, tenant_id, *id, created.id)?;
            }
        }
        let text = LinkNotice::Split {
            source: source.number,
            new: created.number,
            moved: ids.len(),
        }
        .text(&locale);
        note(&mut conn, tenant_id, source.id, text.clone(), actor).await?;
        note(&mut conn, tenant_id, created.id, text, actor).await?;
        let created = load_ticket(&mut conn, tenant_id, created.id).await?;
        for (id, payload) in [
            (
                source.id,
                serde_json::json!({"into": ref_of(&created), "comment_ids": ids}),
            ),
            (
                created.id,
                serde_json::json!({"from": ref_of(&source), "comment_ids": ids}),
            ),
        ] {
            record(
                &mut conn,
                Change {
                    tenant_id,
                    kind: "ticket.split",
                    entity_type: "ticket",
                    entity_id: Some(id),
                    actor,
                    payload,
                    audit: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(created)
    }
}
