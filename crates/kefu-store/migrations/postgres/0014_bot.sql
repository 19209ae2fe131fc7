-- The service bot in conversations (PostgreSQL). Kept in step with migrations/sqlite/0014_bot.sql.
-- bot_sessions: one row per conversation that started with the bot (failed attempts, handoff).
-- bot_turns: one row per customer message the bot answered: what it decided, its guesses, the
-- customer's "was this helpful"; the unique question message makes a retried send answer once.
-- messages.bot: what a bot message offers the customer (the FAQ answered, the choices).

CREATE TABLE bot_sessions (
    tenant_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    handoff_reason TEXT,
    handed_off_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, conversation_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX bot_sessions_started ON bot_sessions (tenant_id, started_at);

CREATE TABLE bot_turns (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL,
    conversation_id UUID NOT NULL,
    question_message_id UUID NOT NULL,
    reply_message_id UUID NOT NULL,
    action TEXT NOT NULL,
    handoff_reason TEXT,
    question TEXT NOT NULL,
    faq_id UUID,
    confidence DOUBLE PRECISION,
    guesses JSONB NOT NULL,
    helpful BOOLEAN,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, question_message_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX bot_turns_conversation ON bot_turns (tenant_id, conversation_id, created_at);
CREATE INDEX bot_turns_reply ON bot_turns (tenant_id, reply_message_id);
CREATE INDEX bot_turns_created ON bot_turns (tenant_id, created_at);

ALTER TABLE messages ADD COLUMN bot JSONB;
