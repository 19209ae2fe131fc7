//! Who hears about a ticket: its followers (agents told of public replies, customer replies
//! and status changes) and its CC (customer-side addresses copied on public replies by mail).

use crate::events::{Actor, ActorKind, Change, record};
use crate::sql::Conn;
use crate::tickets::load_ticket;
use crate::{Store, StoreError};
use chrono::{DateTime, SubsecRound, Utc};
use kefu_core::ValidationErrors;
use kefu_core::customer::{IdentityKind, normalize_identity};
use serde::Serialize;
use uuid::Uuid;

/// Most CC addresses a ticket keeps; mail from a long list is cut there.
pub const MAX_TICKET_CC: usize = 20;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketFollower {
    pub user_id: Uuid,
    pub added_at: DateTime<Utc>,
}

/// Why someone follows a ticket; named in the `ticket.follower_added` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FollowReason {
    /// Added through the API, by themselves or a colleague.
    Added,
    Assigned,
    Commented,
    Mentioned,
}

/// Makes these users followers, each one once; answers the ones who were not yet. Every new
/// follower is an event, so the list can be rebuilt from the log like any other state.
pub(crate) async fn follow_in(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    ticket_id: Uuid,
    user_ids: &[Uuid],
    reason: FollowReason,
    actor: &Actor,
) -> Result<Vec<Uuid>, StoreError> {
    let now = Utc::now().trunc_subsecs(6);
    let mut added = Vec::new();
    for &user_id in user_ids {
        if added.contains(&user_id) {
            continue;
        }
        let inserted = sql_execute!(
            &mut *conn,
            "INSERT INTO ticket_followers (tenant_id, ticket_id, user_id, added_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            tenant_id,
            ticket_id,
            user_id,
            now
        )?;
        if inserted == 0 {
            continue;
        }
        record(
            &mut *conn,
            Change {
                tenant_id,
                kind: "ticket.follower_added",
                entity_type: "ticket",
                entity_id: Some(ticket_id),
                actor,
                payload: serde_json::json!({"user_id": user_id, "reason": reason}),
                audit: None,
            },
        )
        .await?;
        added.push(user_id);
    }
    Ok(added)
}

pub(crate) async fn followers_in(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    ticket_id: Uuid,
) -> Result<Vec<TicketFollower>, StoreError> {
    Ok(sql_all!(
        TicketFollower,
        &mut *conn,
        "SELECT user_id, added_at FROM ticket_followers WHERE tenant_id = $1 AND ticket_id = $2
         ORDER BY added_at, user_id",
        tenant_id,
        ticket_id
    )?)
}

/// The followers to tell of a change: all but the agent who made it.
pub(crate) async fn to_notify(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    ticket_id: Uuid,
    actor: &Actor,
) -> Result<Vec<Uuid>, StoreError> {
    let me = (actor.kind == ActorKind::User)
        .then_some(actor.id)
        .flatten();
    Ok(followers_in(conn, tenant_id, ticket_id)
        .await?
        .into_iter()
        .map(|f| f.user_id)
        .filter(|id| Some(*id) != me)
        .collect())
}

pub(crate) async fn cc_in(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    ticket_id: Uuid,
) -> Result<Vec<String>, StoreError> {
    Ok(sql_all!(
        (String,),
        &mut *conn,
        "SELECT email FROM ticket_cc WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY added_at, email",
        tenant_id,
        ticket_id
    )?
    .into_iter()
    .map(|(email,)| email)
    .collect())
}

/// Checks and normalises a CC list: each an email address (lowercased), duplicates dropped,
/// at most [`MAX_TICKET_CC`]; a bad one is named by its place, `emails[2]`.
pub fn normalize_cc(emails: &[String]) -> Result<Vec<String>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut out: Vec<String> = Vec::new();
    for (i, raw) in emails.iter().enumerate() {
        match normalize_identity(IdentityKind::Email, raw) {
            Ok(email) if !out.contains(&email) => out.push(email),
            Ok(_) => {}
            Err(_) => errors.push(
                format!("emails[{i}]"),
                "invalid_email",
                format!("{raw:?} is not an email address"),
            ),
        }
    }
    if out.len() > MAX_TICKET_CC {
        errors.push(
            "emails",
            "too_many",
            format!("at most {MAX_TICKET_CC} addresses"),
        );
    }
    errors.into_result()?;
    Ok(out)
}

/// Adds addresses (already normalised) to a ticket's CC up to the limit, recording the new
/// list when it changed. Mail taken in uses it, so a reply-all keeps everyone copied.
pub(crate) async fn add_cc_in(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    ticket_id: Uuid,
    emails: &[String],
    actor: &Actor,
) -> Result<(), StoreError> {
    let before = cc_in(&mut *conn, tenant_id, ticket_id).await?;
    let mut after = before.clone();
    for email in emails {
        if after.len() >= MAX_TICKET_CC {
            break;
        }
        if !after.contains(email) {
            after.push(email.clone());
        }
    }
    write_cc(conn, tenant_id, ticket_id, before, after, actor).await?;
    Ok(())
}

/// Replaces the rows when the list changed, with one `ticket.cc_changed` event.
async fn write_cc(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    ticket_id: Uuid,
    before: Vec<String>,
    after: Vec<String>,
    actor: &Actor,
) -> Result<Vec<String>, StoreError> {
    if before == after {
        return Ok(after);
    }
    let now = Utc::now().trunc_subsecs(6);
    sql_execute!(
        &mut *conn,
        "DELETE FROM ticket_cc WHERE tenant_id = $1 AND ticket_id = $2",
        tenant_id,
        ticket_id
    )?;
    // Spaced by a microsecond so the list reads back in the order it was given.
    for (i, email) in after.iter().enumerate() {
        let at = now + chrono::TimeDelta::microseconds(i64::try_from(i).unwrap_or(0));
        sql_execute!(
            &mut *conn,
            "INSERT INTO ticket_cc (tenant_id, ticket_id, email, added_at) VALUES ($1, $2, $3, $4)",
            tenant_id,
            ticket_id,
            email,
            at
        )?;
    }
    record(
        &mut *conn,
        Change {
            tenant_id,
            kind: "ticket.cc_changed",
            entity_type: "ticket",
            entity_id: Some(ticket_id),
            actor,
            payload: serde_json::json!({"from": before, "to": after}),
            audit: None,
        },
    )
    .await?;
    Ok(after)
}

/// Moves a merged ticket's followers and CC to the ticket it went into, keeping the target's.
pub(crate) async fn merge_into(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    source_id: Uuid,
    target_id: Uuid,
    actor: &Actor,
) -> Result<(), StoreError> {
    let followers: Vec<Uuid> = followers_in(&mut *conn, tenant_id, source_id)
        .await?
        .into_iter()
        .map(|f| f.user_id)
        .collect();
    follow_in(
        &mut *conn,
        tenant_id,
        target_id,
        &followers,
        FollowReason::Added,
        actor,
    )
    .await?;
    let cc = cc_in(&mut *conn, tenant_id, source_id).await?;
    add_cc_in(&mut *conn, tenant_id, target_id, &cc, actor).await
}

impl Store {
    /// A ticket's followers, longest-standing first.
    pub async fn ticket_followers(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
    ) -> Result<Vec<TicketFollower>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        load_ticket(&mut conn, tenant_id, ticket_id).await?;
        followers_in(&mut conn, tenant_id, ticket_id).await
    }

    /// Makes an active agent of the tenant follow the ticket (once); anyone else is an
    /// `unknown_reference` on `user_id`. Answers the followers afterwards.
    pub async fn add_ticket_follower(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        user_id: Uuid,
        actor: &Actor,
    ) -> Result<Vec<TicketFollower>, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        load_ticket(&mut conn, tenant_id, ticket_id).await?;
        let known = sql_scalar_optional!(
            Uuid,
            &mut conn,
            "SELECT id FROM users WHERE tenant_id = $1 AND id = $2 AND active",
            tenant_id,
            user_id
        )?;
        if known.is_none() {
            return Err(ValidationErrors::single(
                "user_id",
                "unknown_reference",
                "no such user in this tenant",
            )
            .into());
        }
        follow_in(
            &mut conn,
            tenant_id,
            ticket_id,
            &[user_id],
            FollowReason::Added,
            actor,
        )
        .await?;
        let followers = followers_in(&mut conn, tenant_id, ticket_id).await?;
        tx.commit().await?;
        Ok(followers)
    }

    /// Stops a user following the ticket; nothing happens when they did not.
    pub async fn remove_ticket_follower(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        user_id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        load_ticket(&mut conn, tenant_id, ticket_id).await?;
        let removed = sql_execute!(
            &mut conn,
            "DELETE FROM ticket_followers WHERE tenant_id = $1 AND ticket_id = $2 AND user_id = $3",
            tenant_id,
            ticket_id,
            user_id
        )?;
        if removed > 0 {
            record(
                &mut conn,
                Change {
                    tenant_id,
                    kind: "ticket.follower_removed",
                    entity_type: "ticket",
                    entity_id: Some(ticket_id),
                    actor,
                    payload: serde_json::json!({"user_id": user_id}),
                    audit: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The addresses copied on the ticket's public replies, in the order they were given.
    pub async fn ticket_cc(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
    ) -> Result<Vec<String>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        load_ticket(&mut conn, tenant_id, ticket_id).await?;
        cc_in(&mut conn, tenant_id, ticket_id).await
    }

    /// Replaces the ticket's CC list; see [`normalize_cc`] for what is refused.
    pub async fn set_ticket_cc(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
        emails: &[String],
        actor: &Actor,
    ) -> Result<Vec<String>, StoreError> {
        let after = normalize_cc(emails)?;
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        load_ticket(&mut conn, tenant_id, ticket_id).await?;
        let before = cc_in(&mut conn, tenant_id, ticket_id).await?;
        let after = write_cc(&mut conn, tenant_id, ticket_id, before, after, actor).await?;
        tx.commit().await?;
        Ok(after)
    }
}
