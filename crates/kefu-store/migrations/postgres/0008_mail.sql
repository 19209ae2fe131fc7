-- The email channel (PostgreSQL). Kept in step with migrations/sqlite/0008_mail.sql.
-- mailboxes: a tenant's support addresses; an address belongs to one tenant in the whole
-- deployment, because inbound mail finds its tenant by the address it was sent to.
-- ticket_mails: every mail in or out, keyed by Message-ID for threading (mailbox_id is kept
-- as history, not a foreign key: deleting a mailbox keeps its mails); inbound mail keeps
-- its raw bytes (a mail that does not parse is stored with its parse error, never dropped).
-- ticket_attachments: files that arrived by mail, next to their ticket.
-- mail_outbox: public replies waiting for the relay, so nothing acknowledged is lost on a
-- restart; mail_cursors: how far each tenant's event log has been turned into outbox rows.

CREATE TABLE mailboxes (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    address TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    group_id UUID,
    enabled BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES service_groups (tenant_id, id)
);
CREATE INDEX mailboxes_tenant ON mailboxes (tenant_id, id);

CREATE TABLE ticket_mails (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    mailbox_id UUID,
    ticket_id UUID,
    comment_id UUID,
    direction TEXT NOT NULL,
    message_id TEXT,
    kind TEXT NOT NULL,
    from_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    raw BYTEA,
    parse_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_mails_message ON ticket_mails (tenant_id, message_id);
CREATE INDEX ticket_mails_ticket ON ticket_mails (tenant_id, ticket_id, id);

CREATE TABLE ticket_attachments (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    ticket_id UUID NOT NULL,
    comment_id UUID,
    mail_id UUID,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (tenant_id, ticket_id, id);

CREATE TABLE mail_outbox (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    ticket_id UUID NOT NULL,
    comment_id UUID NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error TEXT,
    failed BOOLEAN NOT NULL,
    sent_at TIMESTAMPTZ,
    message_id TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, comment_id),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX mail_outbox_due ON mail_outbox (tenant_id, sent_at, failed, next_attempt_at);

CREATE TABLE mail_cursors (
    tenant_id UUID PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_seq BIGINT NOT NULL
);
