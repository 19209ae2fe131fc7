-- Canned responses (快捷回复) (SQLite). Kept in step with migrations/postgres/0004_canned_responses.sql.
-- owner_id NULL is shared by the whole tenant, otherwise one agent's own. A shortcut is unique
-- within its scope (the tenant's shared set, or one agent's set), so an agent's own may shadow
-- a shared one; two partial indexes say that, as a plain UNIQUE would let NULL owners collide.

CREATE TABLE canned_responses (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    owner_id BLOB,
    shortcut TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    language TEXT,
    -- *_by: the acting user's id, or NULL for the system; no foreign key, like the event log's actor.
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX canned_responses_shared ON canned_responses (tenant_id, shortcut) WHERE owner_id IS NULL;
CREATE UNIQUE INDEX canned_responses_own ON canned_responses (tenant_id, owner_id, shortcut) WHERE owner_id IS NOT NULL;
