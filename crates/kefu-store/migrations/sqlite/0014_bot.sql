-- The service bot in conversations (SQLite). Kept in step with migrations/postgres/0014_bot.sql.
-- bot_sessions: one row per conversation that started with the bot (failed attempts, handoff).
-- bot_turns: one row per customer message the bot answered: what it decided, its guesses, the
-- customer's "was this helpful"; the unique question message makes a retried send answer once.
-- messages.bot: what a bot message offers the customer (the FAQ answered, the choices).

CREATE TABLE bot_sessions (
    tenant_id BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    started_at TEXT NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    handoff_reason TEXT,
    handed_off_at TEXT,
    PRIMARY KEY (tenant_id, conversation_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX bot_sessions_started ON bot_sessions (tenant_id, started_at);

CREATE TABLE bot_turns (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    question_message_id BLOB NOT NULL,
    reply_message_id BLOB NOT NULL,
    action TEXT NOT NULL,
    handoff_reason TEXT,
    question TEXT NOT NULL,
    faq_id BLOB,
    confidence REAL,
    guesses TEXT NOT NULL,
    helpful BOOLEAN,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, question_message_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX bot_turns_conversation ON bot_turns (tenant_id, conversation_id, created_at);
CREATE INDEX bot_turns_reply ON bot_turns (tenant_id, reply_message_id);
CREATE INDEX bot_turns_created ON bot_turns (tenant_id, created_at);

ALTER TABLE messages ADD COLUMN bot TEXT;
