-- Attachments (PostgreSQL). Kept in step with migrations/sqlite/0005_attachments.sql.
-- Files live in the database, next to the conversation they belong to: one binary to deploy,
-- one backup, and every node of a PostgreSQL cluster sees every file without shared storage.
-- message_id is set once, when a message carries the file; until then it is an unsent upload.
-- messages.attachments keeps the files' metadata (JSON, never the bytes) so a message reads in one row.

CREATE TABLE attachments (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    uploader_kind TEXT NOT NULL,
    uploader_id UUID,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    message_id UUID REFERENCES messages (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX attachments_conversation ON attachments (tenant_id, conversation_id, id);
CREATE INDEX attachments_message ON attachments (message_id);

ALTER TABLE messages ADD COLUMN attachments JSONB;
