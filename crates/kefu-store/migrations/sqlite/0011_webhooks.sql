-- Outgoing webhooks (sqlite). Kept in step with migrations/postgres/0011_webhooks.sql.
-- A webhook names the event kinds it wants; a per-tenant cursor over the event log turns each
-- matching event into one delivery row in the same transaction that advances the cursor, so
-- every event is delivered (or given up on, visibly) exactly once per webhook, across restarts.

CREATE TABLE webhooks (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- The shared HMAC key: shown once at creation, never listed again.
    secret TEXT NOT NULL,
    -- JSON array of event kinds ("ticket.created"), prefixes ("ticket.*") or "*".
    events TEXT NOT NULL,
    description TEXT,
    active INTEGER NOT NULL,
    -- Events after this sequence are delivered: the log's end when the webhook was made.
    from_seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant_id, id)
);

CREATE TABLE webhook_deliveries (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    webhook_id BLOB NOT NULL,
    event_seq INTEGER NOT NULL,
    event_kind TEXT NOT NULL,
    -- pending (to send at next_attempt_at), delivered, or failed (attempts used up).
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TEXT,
    last_status INTEGER,
    last_error TEXT,
    last_duration_ms INTEGER,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (webhook_id, event_seq),
    FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant_id, webhook_id, id);

CREATE TABLE webhook_cursors (
    tenant_id BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_seq INTEGER NOT NULL
);
