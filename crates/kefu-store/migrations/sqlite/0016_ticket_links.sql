-- Ticket links, merge and split (sqlite). Kept in step with migrations/postgres/0016_ticket_links.sql.
-- A ticket has at most one parent (link_kind `incident` or `subtask`); a merged ticket is closed
-- and names where it went; a split-off ticket names where it came from. All three point into the
-- same tenant, which the store checks (SQLite cannot add a composite foreign key to a table).
ALTER TABLE tickets ADD COLUMN parent_id BLOB;
ALTER TABLE tickets ADD COLUMN link_kind TEXT;
ALTER TABLE tickets ADD COLUMN merged_into BLOB;
ALTER TABLE tickets ADD COLUMN split_from BLOB;
CREATE INDEX tickets_parent ON tickets (tenant_id, parent_id, id);
