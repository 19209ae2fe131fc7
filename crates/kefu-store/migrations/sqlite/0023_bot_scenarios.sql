-- Bot scenarios and business actions (SQLite). Kept in step with migrations/postgres/0023_bot_scenarios.sql.
-- kb_integrations: a tenant's HTTP endpoints the bot may call (the secret header's value is
-- write-only: the API never returns it). kb_scenarios: guided flows, their trigger questions
-- and ordered steps (JSON, checked by the server), with a revision history like FAQs'.
-- bot_sessions.scenario_state: where the customer is in a scenario (step, slots, last result),
-- so a restart continues it; handoff_context: what the agent sees after a scenario's handoff.
-- kb_faq_actions: an FAQ's business action (an integration, the slots to ask for, a reply
-- template): answering the FAQ runs it like a scenario.

CREATE TABLE kb_integrations (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    base_url TEXT NOT NULL,
    -- GET or POST.
    method TEXT NOT NULL,
    -- e.g. /orders/{order_id}; slot values are percent-encoded into it.
    path_template TEXT NOT NULL,
    secret_header TEXT,
    secret_value TEXT,
    timeout_ms INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE kb_scenarios (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- JSON array of questions that start the scenario (matched like similar questions).
    triggers TEXT NOT NULL,
    -- JSON array of steps.
    steps TEXT NOT NULL,
    -- draft or published: only published scenarios reach the bot.
    status TEXT NOT NULL,
    revision INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, name)
);

-- Kept after the scenario is deleted, like kb_revisions.
CREATE TABLE kb_scenario_revisions (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scenario_id BLOB NOT NULL,
    revision INTEGER NOT NULL,
    action TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id BLOB,
    snapshot TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX kb_scenario_revisions_scenario ON kb_scenario_revisions (tenant_id, scenario_id, id);

CREATE TABLE kb_faq_actions (
    tenant_id BLOB NOT NULL,
    faq_id BLOB NOT NULL,
    action TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, faq_id),
    FOREIGN KEY (tenant_id, faq_id) REFERENCES kb_faqs (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE bot_sessions ADD COLUMN scenario_state TEXT;
ALTER TABLE bot_sessions ADD COLUMN handoff_context TEXT;
