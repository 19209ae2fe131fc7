-- Saved ticket views and the customers' status links (sqlite). Kept in step with
-- migrations/postgres/0019_ticket_views_status_links.sql.
-- A view is a named filter (JSON, kefu-core's ViewFilters) kept by one agent (owner_id) or
-- shared with the tenant (owner_id NULL). A ticket's status token is the secret in the link
-- that lets its requester follow and answer it without an account.

CREATE TABLE ticket_views (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    owner_id BLOB,
    name TEXT NOT NULL,
    filters TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_views_owner ON ticket_views (tenant_id, owner_id, position);

ALTER TABLE tickets ADD COLUMN status_token TEXT;
UPDATE tickets SET status_token = lower(hex(randomblob(32)));
CREATE UNIQUE INDEX tickets_status_token ON tickets (status_token);
