-- Conversations (PostgreSQL). Kept in step with migrations/sqlite/0002_conversations.sql.
-- An inbox is one web or app channel; visitors are the anonymous browsers of a web inbox;
-- conversations and their messages belong to one customer and one inbox.

CREATE TABLE inboxes (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    secret TEXT NOT NULL,
    settings JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, id)
);

CREATE TABLE visitors (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    inbox_id UUID NOT NULL,
    customer_id UUID NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (tenant_id, inbox_id) REFERENCES inboxes (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX visitors_customer ON visitors (tenant_id, customer_id);

CREATE TABLE conversations (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    inbox_id UUID NOT NULL,
    customer_id UUID NOT NULL,
    status TEXT NOT NULL,
    language TEXT NOT NULL,
    topic TEXT,
    priority BIGINT NOT NULL,
    assignee_id UUID,
    enqueued_at TIMESTAMPTZ,
    first_response_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    disposition TEXT,
    rating BIGINT,
    rating_comment TEXT,
    last_message_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, inbox_id) REFERENCES inboxes (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, assignee_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX conversations_status ON conversations (tenant_id, status, enqueued_at, id);
CREATE INDEX conversations_customer ON conversations (tenant_id, customer_id, id);
CREATE INDEX conversations_assignee ON conversations (tenant_id, assignee_id, status);

CREATE TABLE messages (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    sender_kind TEXT NOT NULL,
    sender_id UUID,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    client_msg_id TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX messages_conversation ON messages (tenant_id, conversation_id, id);
-- A retried send carries the same client id and finds its first copy (NULLs never collide).
CREATE UNIQUE INDEX messages_client_id ON messages (tenant_id, conversation_id, sender_kind, client_msg_id);
