-- Tickets (工单): per-tenant numbers from 1001, the ticket itself, and its comments (public
-- replies and internal notes). Custom fields, links and SLA clocks come in later migrations.
CREATE TABLE ticket_numbers (
    tenant_id UUID PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_number BIGINT NOT NULL
);

CREATE TABLE tickets (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    number BIGINT NOT NULL,
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    requester_id UUID NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    ticket_type TEXT NOT NULL,
    tags JSONB NOT NULL,
    assignee_id UUID,
    group_id UUID,
    conversation_id UUID,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    solved_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
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
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    ticket_id UUID NOT NULL,
    author_kind TEXT NOT NULL,
    author_id UUID,
    public BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (tenant_id, ticket_id, id);
