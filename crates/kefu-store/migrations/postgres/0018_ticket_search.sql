-- Ticket full-text search and list indexes (postgres). Kept in step with migrations/sqlite/0018_ticket_search.sql.
-- One row per ticket holds its subject, description and every comment (notes included), lower
-- case, with a pg_trgm GIN index: substring search (LIKE '%…%') that works for Chinese without a
-- word segmenter (trigrams of CJK text need a UTF-8 ctype such as C.UTF-8, not plain C).
-- Triggers keep it in step inside the writing transaction, whichever code writes (a comment
-- moved to another ticket by a merge refreshes both tickets).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE ticket_search (
    tenant_id UUID NOT NULL,
    ticket_id UUID NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, ticket_id),
    FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);

-- What a ticket's search row holds: fields and comments on lines of their own, so no match
-- spans two of them.
CREATE FUNCTION ticket_search_text(p_tenant UUID, p_ticket UUID) RETURNS TEXT
LANGUAGE sql STABLE AS $$
    SELECT lower(t.subject || E'\n' || t.description || coalesce(
        (SELECT E'\n' || string_agg(c.body, E'\n' ORDER BY c.id) FROM ticket_comments c
         WHERE c.tenant_id = t.tenant_id AND c.ticket_id = t.id), ''))
    FROM tickets t WHERE t.tenant_id = p_tenant AND t.id = p_ticket
$$;

INSERT INTO ticket_search (tenant_id, ticket_id, body)
    SELECT tenant_id, id, ticket_search_text(tenant_id, id) FROM tickets;
CREATE INDEX ticket_search_body ON ticket_search USING gin (body gin_trgm_ops);

CREATE FUNCTION ticket_search_ticket_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ticket_search (tenant_id, ticket_id, body)
        VALUES (NEW.tenant_id, NEW.id, ticket_search_text(NEW.tenant_id, NEW.id));
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_search_ticket_insert AFTER INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION ticket_search_ticket_insert();

-- Every ticket update names the subject in its SET list; only a real change re-indexes.
CREATE FUNCTION ticket_search_ticket_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ticket_search SET body = ticket_search_text(NEW.tenant_id, NEW.id)
        WHERE tenant_id = NEW.tenant_id AND ticket_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_search_ticket_update AFTER UPDATE OF subject, description ON tickets
    FOR EACH ROW WHEN (OLD.subject IS DISTINCT FROM NEW.subject OR OLD.description IS DISTINCT FROM NEW.description)
    EXECUTE FUNCTION ticket_search_ticket_update();

-- A new comment is appended rather than the row rebuilt: the usual write stays cheap. An
-- edited comment, or one moved to another ticket (merge, split), rebuilds both tickets.
CREATE FUNCTION ticket_search_comment_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE ticket_search SET body = body || E'\n' || lower(NEW.body)
            WHERE tenant_id = NEW.tenant_id AND ticket_id = NEW.ticket_id;
        RETURN NULL;
    END IF;
    UPDATE ticket_search SET body = ticket_search_text(OLD.tenant_id, OLD.ticket_id)
        WHERE tenant_id = OLD.tenant_id AND ticket_id = OLD.ticket_id;
    IF TG_OP = 'UPDATE' THEN
        UPDATE ticket_search SET body = ticket_search_text(NEW.tenant_id, NEW.ticket_id)
            WHERE tenant_id = NEW.tenant_id AND ticket_id = NEW.ticket_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_search_comment_insert AFTER INSERT ON ticket_comments
    FOR EACH ROW EXECUTE FUNCTION ticket_search_comment_change();
CREATE TRIGGER ticket_search_comment_update AFTER UPDATE OF body, ticket_id, tenant_id ON ticket_comments
    FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body OR OLD.ticket_id IS DISTINCT FROM NEW.ticket_id
                       OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)
    EXECUTE FUNCTION ticket_search_comment_change();
CREATE TRIGGER ticket_search_comment_delete AFTER DELETE ON ticket_comments
    FOR EACH ROW EXECUTE FUNCTION ticket_search_comment_change();

-- List views walk an index in the list's order (newest first) and stop at the page's end:
-- an agent's tickets in a state ("mine"), and the SLA targets still running ("breaching").
DROP INDEX tickets_assignee;
CREATE INDEX tickets_assignee ON tickets (tenant_id, assignee_id, status, id);
CREATE INDEX tickets_group ON tickets (tenant_id, group_id, status, id);
CREATE INDEX ticket_slas_running ON ticket_slas (tenant_id, ticket_id) WHERE completed_at IS NULL;
