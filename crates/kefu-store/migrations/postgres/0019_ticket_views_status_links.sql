-- Saved ticket views and the customers' status links (postgres). Kept in step with
-- migrations/sqlite/0019_ticket_views_status_links.sql.
-- A view is a named filter (JSON, kefu-core's ViewFilters) kept by one agent (owner_id) or
-- shared with the tenant (owner_id NULL). A ticket's status token is the secret in the link
-- that lets its requester follow and answer it without an account.

CREATE TABLE ticket_views (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    owner_id UUID,
    name TEXT NOT NULL,
    filters TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_views_owner ON ticket_views (tenant_id, owner_id, position);

ALTER TABLE tickets ADD COLUMN status_token TEXT;
-- gen_random_uuid() draws from the operating system's secure random source.
UPDATE tickets SET status_token = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
CREATE UNIQUE INDEX tickets_status_token ON tickets (status_token);
