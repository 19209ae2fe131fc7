-- Outgoing webhooks (postgres). Kept in step with migrations/sqlite/0011_webhooks.sql.
-- A webhook names the event kinds it wants; a per-tenant cursor over the event log turns each
-- matching event into one delivery row in the same transaction that advances the cursor, so
-- every event is delivered (or given up on, visibly) exactly once per webhook, across restarts.

CREATE TABLE webhooks (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- The shared HMAC key: shown once at creation, never listed again.
    secret TEXT NOT NULL,
    -- JSON array of event kinds ("ticket.created"), prefixes ("ticket.*") or "*".
    events TEXT NOT NULL,
    description TEXT,
    active BOOLEAN NOT NULL,
    -- Events after this sequence are delivered: the log's end when the webhook was made.
    from_seq BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, id)
);

CREATE TABLE webhook_deliveries (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    webhook_id UUID NOT NULL,
    event_seq BIGINT NOT NULL,
    event_kind TEXT NOT NULL,
    -- pending (to send at next_attempt_at), delivered, or failed (attempts used up).
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMPTZ,
    last_status INTEGER,
    last_error TEXT,
    last_duration_ms INTEGER,
    created_at TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    UNIQUE (webhook_id, event_seq),
    FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant_id, webhook_id, id);

CREATE TABLE webhook_cursors (
    tenant_id UUID PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_seq BIGINT NOT NULL
);
