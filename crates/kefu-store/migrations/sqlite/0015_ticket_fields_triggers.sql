-- Ticket custom fields, triggers and the pending-customer time rule (sqlite). Kept in step with migrations/postgres/0015_ticket_fields_triggers.sql.
-- Field definitions are per tenant; a ticket keeps its values as one JSON object and, for the
-- list filter (`?field.KEY=value`), one row per value in ticket_field_values. Triggers are
-- ordered rules the server's follower runs over the event log from its stored cursor.

CREATE TABLE ticket_fields (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    -- text, number, date, select or multi_select.
    field_type TEXT NOT NULL,
    -- JSON array of option strings (selects only).
    options TEXT NOT NULL,
    -- JSON array of ticket types that need a value.
    required_for TEXT NOT NULL,
    position INTEGER NOT NULL,
    active INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant_id, key)
);

ALTER TABLE tickets ADD COLUMN custom_fields TEXT NOT NULL DEFAULT '{}';
-- When the ticket last went to pending-customer (NULL in any other status): the time rule that
-- solves tickets the customer never answered counts the tenant's business hours from here.
ALTER TABLE tickets ADD COLUMN pending_since TEXT;
CREATE INDEX tickets_pending ON tickets (tenant_id, status, pending_since);

CREATE TABLE ticket_field_values (
    tenant_id BLOB NOT NULL,
    ticket_id BLOB NOT NULL,
    field_key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant_id, ticket_id, field_key, value),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_field_values_lookup ON ticket_field_values (tenant_id, field_key, value, ticket_id);

CREATE TABLE triggers (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    active INTEGER NOT NULL,
    -- JSON: kefu-core's TriggerRules {on, all, any, actions}.
    rules TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX triggers_tenant ON triggers (tenant_id, position);

CREATE TABLE trigger_cursors (
    tenant_id BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_seq INTEGER NOT NULL
);
