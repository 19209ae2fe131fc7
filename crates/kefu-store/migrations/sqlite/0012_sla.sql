-- SLA policies and each ticket's SLA targets (sqlite). Kept in step with migrations/postgres/0012_sla.sql.
-- The clocks themselves are kefu-sla's and are rebuilt from the ticket's events; these tables
-- keep what views and timers need (state, due and warning times) and which warnings and
-- breaches were already acted on, so a restart never acts twice.

CREATE TABLE sla_policies (
    tenant_id BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    -- JSON array of kefu-sla policies, in matching order (the first that matches applies).
    policies TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE ticket_slas (
    tenant_id BLOB NOT NULL,
    ticket_id BLOB NOT NULL,
    -- first_reply, next_reply or resolution.
    target TEXT NOT NULL,
    policy TEXT NOT NULL,
    -- active, paused, met or breached.
    state TEXT NOT NULL,
    started_at TEXT NOT NULL,
    goal_secs INTEGER NOT NULL,
    elapsed_secs INTEGER NOT NULL,
    warn_at TEXT,
    due_at TEXT,
    breached_at TEXT,
    completed_at TEXT,
    PRIMARY KEY (tenant_id, ticket_id, target),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_slas_due ON ticket_slas (tenant_id, state, due_at);

CREATE TABLE ticket_sla_marks (
    tenant_id BLOB NOT NULL,
    ticket_id BLOB NOT NULL,
    target TEXT NOT NULL,
    -- warning or breach.
    mark TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, ticket_id, target, mark, at)
);

CREATE TABLE sla_cursors (
    tenant_id BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_seq INTEGER NOT NULL
);
