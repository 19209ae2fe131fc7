//! Customers' status links: the secret in `/t/{token}` that lets a ticket's requester follow it
//! and answer without an account. Minting a token and finding a ticket by it; the page is the server's.

use crate::tickets::load_ticket;
use crate::{Store, StoreError, Ticket};
use uuid::Uuid;

/// Hex characters in a token: 244 random bits from the operating system (two v4 UUIDs), the
/// same length the migration gave older tickets.
pub const STATUS_TOKEN_CHARS: usize = 64;

pub(crate) fn new_status_token() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

impl Store {
    /// The ticket's status token. A ticket written without one (by hand, or bulk-loaded) gets
    /// one on first use; the token is a lookup key, not a change to the ticket, so no event.
    pub async fn ticket_status_token(
        &self,
        tenant_id: Uuid,
        ticket_id: Uuid,
    ) -> Result<String, StoreError> {
        let mut read = self.read().await?;
        let found = sql_scalar_optional!(
            Option<String>,
            read.conn(),
            "SELECT status_token FROM tickets WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            ticket_id
        )?
        .ok_or(StoreError::NotFound)?;
        drop(read);
        if let Some(token) = found {
            return Ok(token);
        }
        let mut tx = self.write_for(tenant_id).await?;
        sql_execute!(
            tx.conn(),
            "UPDATE tickets SET status_token = $3 WHERE tenant_id = $1 AND id = $2 AND status_token IS NULL",
            tenant_id,
            ticket_id,
            new_status_token()
        )?;
        let token = sql_scalar!(
            Option<String>,
            tx.conn(),
            "SELECT status_token FROM tickets WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            ticket_id
        )?
        .ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(token)
    }

    /// The ticket a status token opens, and its tenant; anything else is `NotFound`.
    pub async fn ticket_by_status_token(&self, token: &str) -> Result<(Uuid, Ticket), StoreError> {
        if token.len() != STATUS_TOKEN_CHARS || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound);
        }
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let (tenant_id, id) = sql_optional!(
            (Uuid, Uuid),
            &mut conn,
            "SELECT tenant_id, id FROM tickets WHERE status_token = $1",
            token.to_ascii_lowercase()
        )?
        .ok_or(StoreError::NotFound)?;
        let ticket = load_ticket(&mut conn, tenant_id, id).await?;
        Ok((tenant_id, ticket))
    }
}
