-- Who hears about a ticket, and the conversations it carries on (sqlite). Kept in step with
-- migrations/postgres/0021_ticket_followers.sql.
-- Followers are agents told of public replies, customer replies and status changes; CC are
-- customer-side addresses copied on public replies by mail; a ticket links any number of
-- conversations, tickets.conversation_id staying the first one for older readers.

CREATE TABLE ticket_followers (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    ticket_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, ticket_id, user_id),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE ticket_cc (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    ticket_id BLOB NOT NULL,
    email TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, ticket_id, email),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE ticket_conversations (
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    ticket_id BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, ticket_id, conversation_id),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
-- "Which tickets carry this conversation" (a left message finding its open ticket).
CREATE INDEX ticket_conversations_conversation ON ticket_conversations (tenant_id, conversation_id);

INSERT INTO ticket_conversations (tenant_id, ticket_id, conversation_id, linked_at)
SELECT tenant_id, id, conversation_id, created_at FROM tickets WHERE conversation_id IS NOT NULL;
