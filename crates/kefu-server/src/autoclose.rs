//! The time rule that closes solved tickets: a ticket solved this long ago (and not reopened)
//! is closed, so it stops accepting replies and a customer writing again opens a new one.

use chrono::Utc;
use kefu_core::TicketStatus;
use kefu_store::{Actor, Store, TicketPatch};
use std::time::Duration;

/// Tickets one round closes at most; the next round takes the rest.
const ROUND: u32 = 200;

/// Closes, every `check_every`, the tickets solved longer than `after` ago, until closing.
pub async fn run(
    store: Store,
    after: Duration,
    check_every: Duration,
    closing: tokio::sync::watch::Receiver<bool>,
) {
    let Ok(after) = chrono::Duration::from_std(after) else {
        return;
    };
    crate::state::every(check_every, closing, || close_due(&store, after)).await;
}

async fn close_due(store: &Store, after: chrono::Duration) {
    let due = match store.tickets_solved_before(Utc::now() - after, ROUND).await {
        Ok(due) => due,
        Err(err) => return tracing::warn!(%err, "auto-close: listing solved tickets"),
    };
    for (tenant_id, ticket_id) in due {
        let patch = TicketPatch {
            status: Some(TicketStatus::Closed),
            ..TicketPatch::default()
        };
        // Reopened or closed meanwhile: the store refuses the move, which is fine.
        if let Err(err) = store
            .update_ticket(tenant_id, ticket_id, patch, &Actor::system())
            .await
        {
            tracing::debug!(%err, %ticket_id, "auto-close: not closed");
        }
    }
}
