//! Creating tickets, one or a burst of one tenant's at once. A batch is checked and written
//! with one statement per table whatever its size (numbers, tickets, field values, links,
//! followers, events), so group commit turns many concurrent creations into a short
//! transaction instead of a dozen round trips each. Each ticket is still judged on its own: a
//! bad field or an unknown reference refuses that ticket and writes nothing of it.

use crate::events::{Actor, ActorKind, Change, record_all};
use crate::sql::Conn;
use crate::ticket_followers::FollowReason;
use crate::tickets::{FIRST_TICKET_NUMBER, NewTicket, Ticket};
use crate::{StoreError, ticket_fields};
use chrono::{DateTime, SubsecRound, Utc};
use kefu_core::ticket::check_ticket_text;
use kefu_core::ticket_field::{FieldDef, apply_custom_fields, index_values};
use kefu_core::{TicketStatus, ValidationErrors, normalize_tags};
use serde_json::{Map, Value};
use sqlx::types::Json;
use std::collections::HashSet;
use uuid::Uuid;

/// One ticket to create and who asks for it.
#[derive(Debug, Clone)]
pub(crate) struct Creation {
    pub(crate) new: NewTicket,
    pub(crate) actor: Actor,
}

/// A creation that passed the checks that need no database, its values normalised.
struct Accepted<'a> {
    creation: &'a Creation,
    tags: Vec<String>,
    custom_fields: Map<String, Value>,
}

/// A ticket about to be written, with what its rows need besides the ticket itself.
struct Made<'a> {
    ticket: Ticket,
    actor: &'a Actor,
    status_token: String,
}

/// Creates `batch` in the caller's transaction and answers each creation, in order. The
/// outer error is the database's: the batch is then partly written and must be rolled back.
pub(crate) async fn insert_tickets(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    batch: &[Creation],
) -> Result<Vec<Result<Ticket, StoreError>>, StoreError> {
    let defs: Vec<FieldDef> = ticket_fields::load_fields(&mut *conn, tenant_id)
        .await?
        .iter()
        .map(ticket_fields::TicketField::def)
        .collect();
    let mut verdicts: Vec<Result<Accepted<'_>, StoreError>> = batch
        .iter()
        .map(|creation| accept(creation, &defs))
        .collect();
    let named: Vec<Named> = verdicts
        .iter()
        .filter_map(|verdict| Some(Named::of(&verdict.as_ref().ok()?.creation.new)))
        .collect();
    let known = KnownReferences::load(&mut *conn, tenant_id, &named).await?;
    for verdict in &mut verdicts {
        if let Ok(accepted) = verdict
            && let Err(refused) = known.check(&Named::of(&accepted.creation.new))
        {
            *verdict = Err(refused);
        }
    }
    let count = verdicts.iter().filter(|verdict| verdict.is_ok()).count();
    let mut number = if count == 0 {
        0
    } else {
        allocate_numbers(&mut *conn, tenant_id, count).await?
    };
    let now = Utc::now().trunc_subsecs(6);
    let made: Vec<Result<Made<'_>, StoreError>> = verdicts
        .into_iter()
        .map(|verdict| {
            verdict.map(|accepted| {
                number += 1;
                make(accepted, number - 1, now)
            })
        })
        .collect();
    let written: Vec<&Made<'_>> = made.iter().filter_map(|m| m.as_ref().ok()).collect();
    if !written.is_empty() {
        write_rows(&mut *conn, tenant_id, &written, now).await?;
    }
    Ok(made
        .into_iter()
        .map(|made| made.map(|made| made.ticket))
        .collect())
}

/// The checks of one creation that need nothing but the tenant's field definitions, in the
/// order a lone creation has always reported them: text and tags, then custom fields.
fn accept<'a>(creation: &'a Creation, defs: &[FieldDef]) -> Result<Accepted<'a>, StoreError> {
    let new = &creation.new;
    let mut errors = ValidationErrors::new();
    check_ticket_text(&mut errors, Some(&new.subject), Some(&new.description));
    kefu_core::error::check_text(&mut errors, "channel", &new.channel, 32);
    let tags = match normalize_tags(new.tags.clone()) {
        Ok(tags) => tags,
        Err(invalid) => {
            errors.errors.extend(invalid.errors);
            Vec::new()
        }
    };
    errors.into_result()?;
    let enforce_required = matches!(creation.actor.kind, ActorKind::User | ActorKind::ApiToken);
    let custom_fields = apply_custom_fields(
        defs,
        new.ticket_type,
        &Map::new(),
        Some(&new.custom_fields),
        enforce_required,
    )?;
    Ok(Accepted {
        creation,
        tags,
        custom_fields,
    })
}

/// Hands out `count` consecutive numbers and returns the first.
async fn allocate_numbers(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    count: usize,
) -> Result<i64, StoreError> {
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let last = sql_scalar!(
        i64,
        &mut *conn,
        "INSERT INTO ticket_numbers (tenant_id, last_number) VALUES ($1, $2)
             ON CONFLICT (tenant_id) DO UPDATE SET last_number = ticket_numbers.last_number + $3
             RETURNING last_number",
        tenant_id,
        FIRST_TICKET_NUMBER + count - 1,
        count
    )?;
    Ok(last - count + 1)
}

/// The ticket as it will be written: built from the request rather than read back.
fn make<'a>(accepted: Accepted<'a>, number: i64, now: DateTime<Utc>) -> Made<'a> {
    let Accepted {
        creation,
        tags,
        custom_fields,
    } = accepted;
    let new = &creation.new;
    let status = if new.assignee_id.is_some() {
        TicketStatus::Open
    } else {
        TicketStatus::New
    };
    Made {
        ticket: Ticket {
            id: Uuid::now_v7(),
            number,
            subject: new.subject.trim().to_owned(),
            description: new.description.trim().to_owned(),
            requester_id: new.requester_id,
            channel: new.channel.trim().to_owned(),
            status,
            priority: new.priority,
            ticket_type: new.ticket_type,
            tags,
            assignee_id: new.assignee_id,
            group_id: new.group_id,
            conversation_id: new.conversation_id,
            custom_fields,
            created_at: now,
            updated_at: now,
            solved_at: None,
            closed_at: None,
            parent_id: None,
            link_kind: None,
            merged_into: None,
            split_from: None,
        },
        actor: &creation.actor,
        status_token: crate::status_links::new_status_token(),
    }
}

/// Writes the tickets and everything that comes with them: the custom field index, the
/// conversation links, the assignee as a follower (so they hear of the ticket after handing it
/// on), and per ticket a `ticket.created` event followed by its `ticket.follower_added`.
async fn write_rows(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    made: &[&Made<'_>],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sql_built_execute!(&mut *conn, |query| {
        query.push(
            "INSERT INTO tickets (id, tenant_id, number, subject, description, requester_id, channel, status, priority, ticket_type, tags, assignee_id, group_id, conversation_id, created_at, updated_at, custom_fields, status_token) ",
        );
        query.push_values(made, |mut row, made| {
            let t = &made.ticket;
            row.push_bind(t.id)
                .push_bind(tenant_id)
                .push_bind(t.number)
                .push_bind(t.subject.as_str())
                .push_bind(t.description.as_str())
                .push_bind(t.requester_id)
                .push_bind(t.channel.as_str())
                .push_bind(t.status.as_str())
                .push_bind(t.priority.as_str())
                .push_bind(t.ticket_type.as_str())
                .push_bind(Json(&t.tags))
                .push_bind(t.assignee_id)
                .push_bind(t.group_id)
                .push_bind(t.conversation_id)
                .push_bind(t.created_at)
                .push_bind(t.updated_at)
                .push_bind(Json(&t.custom_fields))
                .push_bind(made.status_token.as_str());
        });
    })?;

    let field_values: Vec<(Uuid, &str, String)> = made
        .iter()
        .flat_map(|made| {
            made.ticket.custom_fields.iter().flat_map(|(key, value)| {
                index_values(value)
                    .into_iter()
                    .map(|text| (made.ticket.id, key.as_str(), text))
            })
        })
        .collect();
    if !field_values.is_empty() {
        sql_built_execute!(&mut *conn, |query| {
            query.push("INSERT INTO ticket_field_values (tenant_id, ticket_id, field_key, value) ");
            query.push_values(&field_values, |mut row, (ticket_id, key, text)| {
                row.push_bind(tenant_id)
                    .push_bind(*ticket_id)
                    .push_bind(*key)
                    .push_bind(text.as_str());
            });
            query.push(" ON CONFLICT DO NOTHING");
        })?;
    }

    let links: Vec<(Uuid, Uuid)> = made
        .iter()
        .filter_map(|made| Some((made.ticket.id, made.ticket.conversation_id?)))
        .collect();
    if !links.is_empty() {
        sql_built_execute!(&mut *conn, |query| {
            query.push(
                "INSERT INTO ticket_conversations (tenant_id, ticket_id, conversation_id, linked_at) ",
            );
            query.push_values(&links, |mut row, (ticket_id, conversation_id)| {
                row.push_bind(tenant_id)
                    .push_bind(*ticket_id)
                    .push_bind(*conversation_id)
                    .push_bind(now);
            });
            query.push(" ON CONFLICT DO NOTHING");
        })?;
    }

    let followers: Vec<(Uuid, Uuid)> = made
        .iter()
        .filter_map(|made| Some((made.ticket.id, made.ticket.assignee_id?)))
        .collect();
    if !followers.is_empty() {
        sql_built_execute!(&mut *conn, |query| {
            query.push("INSERT INTO ticket_followers (tenant_id, ticket_id, user_id, added_at) ");
            query.push_values(&followers, |mut row, (ticket_id, user_id)| {
                row.push_bind(tenant_id)
                    .push_bind(*ticket_id)
                    .push_bind(*user_id)
                    .push_bind(now);
            });
        })?;
    }

    let mut changes = Vec::with_capacity(made.len() + followers.len());
    for made in made {
        let ticket = &made.ticket;
        changes.push(Change {
            tenant_id,
            kind: "ticket.created",
            entity_type: "ticket",
            entity_id: Some(ticket.id),
            actor: made.actor,
            payload: serde_json::json!({ "ticket": ticket }),
            audit: None,
        });
        if let Some(assignee) = ticket.assignee_id {
            changes.push(Change {
                tenant_id,
                kind: "ticket.follower_added",
                entity_type: "ticket",
                entity_id: Some(ticket.id),
                actor: made.actor,
                payload: serde_json::json!({"user_id": assignee, "reason": FollowReason::Assigned}),
                audit: None,
            });
        }
    }
    record_all(&mut *conn, changes).await
}

/// The records one ticket write names.
#[derive(Default)]
pub(crate) struct Named {
    pub(crate) requester: Option<Uuid>,
    pub(crate) assignee: Option<Uuid>,
    pub(crate) group: Option<Uuid>,
    pub(crate) conversation: Option<Uuid>,
}

impl Named {
    fn of(new: &NewTicket) -> Self {
        Named {
            requester: Some(new.requester_id),
            assignee: new.assignee_id,
            group: new.group_id,
            conversation: new.conversation_id,
        }
    }
}

/// Which of the records a batch names exist in the tenant: one query per kind of reference.
#[derive(Default)]
pub(crate) struct KnownReferences {
    customers: HashSet<Uuid>,
    users: HashSet<Uuid>,
    groups: HashSet<Uuid>,
    conversations: HashSet<Uuid>,
}

impl KnownReferences {
    pub(crate) async fn load(
        conn: &mut Conn<'_>,
        tenant_id: Uuid,
        named: &[Named],
    ) -> Result<Self, StoreError> {
        let ids = |pick: fn(&Named) -> Option<Uuid>| -> HashSet<Uuid> {
            named.iter().filter_map(pick).collect()
        };
        Ok(KnownReferences {
            customers: found(
                &mut *conn,
                "SELECT id FROM customers WHERE merged_into IS NULL AND tenant_id = ",
                tenant_id,
                ids(|n| n.requester),
            )
            .await?,
            users: found(
                &mut *conn,
                "SELECT id FROM users WHERE active AND tenant_id = ",
                tenant_id,
                ids(|n| n.assignee),
            )
            .await?,
            groups: found(
                &mut *conn,
                "SELECT id FROM service_groups WHERE tenant_id = ",
                tenant_id,
                ids(|n| n.group),
            )
            .await?,
            conversations: found(
                &mut *conn,
                "SELECT id FROM conversations WHERE tenant_id = ",
                tenant_id,
                ids(|n| n.conversation),
            )
            .await?,
        })
    }

    /// Unknown references are field errors, each named.
    pub(crate) fn check(&self, named: &Named) -> Result<(), StoreError> {
        let mut errors = ValidationErrors::new();
        let checks = [
            ("requester_id", named.requester, &self.customers),
            ("assignee_id", named.assignee, &self.users),
            ("group_id", named.group, &self.groups),
            ("conversation_id", named.conversation, &self.conversations),
        ];
        for (field, id, known) in checks {
            if let Some(id) = id
                && !known.contains(&id)
            {
                let what = field.trim_end_matches("_id");
                errors.push(
                    field,
                    "unknown_reference",
                    format!("no such {what} in this tenant"),
                );
            }
        }
        Ok(errors.into_result()?)
    }
}

/// Those of `ids` that `select` (ending in `tenant_id = `) finds in the tenant.
async fn found(
    conn: &mut Conn<'_>,
    select: &'static str,
    tenant_id: Uuid,
    ids: HashSet<Uuid>,
) -> Result<HashSet<Uuid>, StoreError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<Uuid> = sql_built_scalars!(Uuid, conn, |query| {
        query.push(select);
        query.push_bind(tenant_id);
        query.push(" AND id IN (");
        let mut list = query.separated(", ");
        for id in &ids {
            list.push_bind(*id);
        }
        query.push(")");
    })?;
    Ok(found.into_iter().collect())
}
