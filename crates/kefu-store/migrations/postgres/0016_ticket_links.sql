-- Ticket links, merge and split (postgres). Kept in step with migrations/sqlite/0016_ticket_links.sql.
-- A ticket has at most one parent (link_kind `incident` or `subtask`); a merged ticket is closed
-- and names where it went; a split-off ticket names where it came from. All three point into the
-- same tenant, which the store checks, like on SQLite.
ALTER TABLE tickets ADD COLUMN parent_id UUID;
ALTER TABLE tickets ADD COLUMN link_kind TEXT;
ALTER TABLE tickets ADD COLUMN merged_into UUID;
ALTER TABLE tickets ADD COLUMN split_from UUID;
CREATE INDEX tickets_parent ON tickets (tenant_id, parent_id, id);
