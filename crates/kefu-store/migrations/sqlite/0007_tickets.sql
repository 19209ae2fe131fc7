-- Tickets (工单): per-tenant numbers from 1001, the ticket itself, and its comments (public
-- replies and internal notes). Custom fields, links and SLA clocks come in later migrations.
CREATE TABLE ticket_numbers (
    tenant_id BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_number INTEGER NOT NULL
);

CREATE TABLE tickets (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    number INTEGER NOT NULL,
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    requester_id BLOB NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    ticket_type TEXT NOT NULL,
    tags TEXT NOT NULL,
    assignee_id BLOB,
    group_id BLOB,
    conversation_id BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    solved_at TEXT,
    closed_at TEXT,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, requester_id) REFERENCES customers (tenant_id, id),
    FOREIGN KEY (tenant_id, assignee_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES service_groups (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id)
);
CREATE INDEX tickets_status ON tickets (tenant_id, status, id);
CREATE INDEX tickets_assignee ON tickets (tenant_id, assignee_id, status);
CREATE INDEX tickets_requester ON tickets (tenant_id, requester_id, id);

CREATE TABLE ticket_comments (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    ticket_id BLOB NOT NULL,
    author_kind TEXT NOT NULL,
    author_id BLOB,
    public INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (tenant_id, ticket_id, id);
