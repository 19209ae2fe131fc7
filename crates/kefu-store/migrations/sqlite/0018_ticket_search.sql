-- Ticket full-text search and list indexes (sqlite). Kept in step with migrations/postgres/0018_ticket_search.sql.
-- One FTS5 row per ticket holds its subject, description and every comment (notes included),
-- indexed by the trigram tokenizer: substring search that works for Chinese without a word
-- segmenter. Triggers keep it in step inside the writing transaction, whichever code writes
-- (a comment moved to another ticket by a merge refreshes both tickets).

-- The FTS rowid of each ticket. Its own INTEGER PRIMARY KEY, because the implicit rowid of
-- `tickets` (a BLOB primary key) may change on VACUUM. Keys grow with creation, so newest
-- first is descending key order, which FTS5 walks lazily and stops at the page's end.
CREATE TABLE ticket_search_keys (
    key INTEGER PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    ticket_id BLOB NOT NULL,
    UNIQUE (tenant_id, ticket_id)
);
CREATE INDEX ticket_search_keys_order ON ticket_search_keys (tenant_id, key);

CREATE VIRTUAL TABLE ticket_search USING fts5 (body, tokenize = 'trigram');

-- What a ticket's search row holds: fields and comments on lines of their own, so no match
-- spans two of them.
CREATE VIEW ticket_search_text AS
SELECT k.key AS key,
       t.subject || char(10) || t.description || coalesce(
           (SELECT char(10) || group_concat(c.body, char(10)) FROM
               (SELECT body FROM ticket_comments WHERE tenant_id = t.tenant_id AND ticket_id = t.id ORDER BY id) AS c),
           '') AS body
FROM ticket_search_keys k JOIN tickets t ON t.tenant_id = k.tenant_id AND t.id = k.ticket_id;

INSERT INTO ticket_search_keys (tenant_id, ticket_id) SELECT tenant_id, id FROM tickets ORDER BY id;
INSERT INTO ticket_search (rowid, body) SELECT key, body FROM ticket_search_text;

CREATE TRIGGER ticket_search_ticket_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search_keys (tenant_id, ticket_id) VALUES (new.tenant_id, new.id);
    INSERT INTO ticket_search (rowid, body)
        SELECT key, body FROM ticket_search_text
        WHERE key = (SELECT key FROM ticket_search_keys WHERE tenant_id = new.tenant_id AND ticket_id = new.id);
END;

-- Every ticket update names the subject in its SET list; only a real change re-indexes.
CREATE TRIGGER ticket_search_ticket_update AFTER UPDATE OF subject, description ON tickets
WHEN old.subject IS NOT new.subject OR old.description IS NOT new.description BEGIN
    UPDATE ticket_search SET body = (SELECT body FROM ticket_search_text WHERE key = ticket_search.rowid)
        WHERE rowid = (SELECT key FROM ticket_search_keys WHERE tenant_id = new.tenant_id AND ticket_id = new.id);
END;

CREATE TRIGGER ticket_search_ticket_delete AFTER DELETE ON tickets BEGIN
    DELETE FROM ticket_search
        WHERE rowid = (SELECT key FROM ticket_search_keys WHERE tenant_id = old.tenant_id AND ticket_id = old.id);
    DELETE FROM ticket_search_keys WHERE tenant_id = old.tenant_id AND ticket_id = old.id;
END;

-- A new comment is appended rather than the row rebuilt: the usual write stays cheap.
CREATE TRIGGER ticket_search_comment_insert AFTER INSERT ON ticket_comments BEGIN
    UPDATE ticket_search SET body = body || char(10) || new.body
        WHERE rowid = (SELECT key FROM ticket_search_keys WHERE tenant_id = new.tenant_id AND ticket_id = new.ticket_id);
END;

-- An edited comment, or one moved to another ticket (merge, split): both tickets are rebuilt.
CREATE TRIGGER ticket_search_comment_update AFTER UPDATE OF body, ticket_id, tenant_id ON ticket_comments
WHEN old.body IS NOT new.body OR old.ticket_id IS NOT new.ticket_id OR old.tenant_id IS NOT new.tenant_id BEGIN
    UPDATE ticket_search SET body = (SELECT body FROM ticket_search_text WHERE key = ticket_search.rowid)
        WHERE rowid IN (SELECT key FROM ticket_search_keys
                        WHERE (tenant_id = old.tenant_id AND ticket_id = old.ticket_id)
                           OR (tenant_id = new.tenant_id AND ticket_id = new.ticket_id));
END;

CREATE TRIGGER ticket_search_comment_delete AFTER DELETE ON ticket_comments BEGIN
    UPDATE ticket_search SET body = (SELECT body FROM ticket_search_text WHERE key = ticket_search.rowid)
        WHERE rowid = (SELECT key FROM ticket_search_keys WHERE tenant_id = old.tenant_id AND ticket_id = old.ticket_id);
END;

-- List views walk an index in the list's order (newest first) and stop at the page's end:
-- an agent's tickets in a state ("mine"), and the SLA targets still running ("breaching").
DROP INDEX tickets_assignee;
CREATE INDEX tickets_assignee ON tickets (tenant_id, assignee_id, status, id);
CREATE INDEX tickets_group ON tickets (tenant_id, group_id, status, id);
CREATE INDEX ticket_slas_running ON ticket_slas (tenant_id, ticket_id) WHERE completed_at IS NULL;
