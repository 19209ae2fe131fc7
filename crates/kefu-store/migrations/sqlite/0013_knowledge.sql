-- The knowledge base (SQLite). Kept in step with migrations/postgres/0013_knowledge.sql.
-- FAQs (a standard question, its similar questions, an answer with optional per-channel
-- variants) in a category tree, the tenant's vocabulary, every FAQ's revision history, and the
-- bot's thresholds. kb_state counts changes, so every server (and the CLI) sees when its
-- compiled matcher is stale without being told.

CREATE TABLE kb_categories (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    parent_id BLOB,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    -- No cascade: a category with children or FAQs is refused on delete (checked first).
    FOREIGN KEY (tenant_id, parent_id) REFERENCES kb_categories (tenant_id, id)
);
-- Sibling names are unique; two partial indexes because NULL parents would not collide.
CREATE UNIQUE INDEX kb_categories_root_name ON kb_categories (tenant_id, name) WHERE parent_id IS NULL;
CREATE UNIQUE INDEX kb_categories_child_name ON kb_categories (tenant_id, parent_id, name) WHERE parent_id IS NOT NULL;

CREATE TABLE kb_faqs (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- The standard question; an import updates the FAQ with the same one.
    question TEXT NOT NULL,
    -- Markdown.
    answer TEXT NOT NULL,
    category_id BLOB,
    -- JSON array of strings.
    tags TEXT NOT NULL,
    language TEXT,
    -- draft or published: only published FAQs reach the bot.
    status TEXT NOT NULL,
    -- JSON object: channel kind ("web", "wechat", …) → answer for that channel.
    variants TEXT NOT NULL,
    -- 1 at creation, +1 per change; the revision history is numbered by it.
    revision INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, question),
    FOREIGN KEY (tenant_id, category_id) REFERENCES kb_categories (tenant_id, id)
);
CREATE INDEX kb_faqs_category ON kb_faqs (tenant_id, category_id);

CREATE TABLE kb_similar_questions (
    tenant_id BLOB NOT NULL,
    faq_id BLOB NOT NULL,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    PRIMARY KEY (faq_id, position),
    FOREIGN KEY (tenant_id, faq_id) REFERENCES kb_faqs (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX kb_similar_questions_tenant ON kb_similar_questions (tenant_id, faq_id);

CREATE TABLE kb_vocabulary (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    term TEXT NOT NULL,
    -- JSON array of strings that mean the same as term.
    synonyms TEXT NOT NULL,
    language TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant_id, term)
);

-- Kept after the FAQ is deleted (no foreign key to it): history outlives what it describes.
CREATE TABLE kb_revisions (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    faq_id BLOB NOT NULL,
    revision INTEGER NOT NULL,
    -- created, updated, imported or deleted.
    action TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id BLOB,
    -- The FAQ as it was after the change (before it, for a deletion).
    snapshot TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX kb_revisions_faq ON kb_revisions (tenant_id, faq_id, id);

CREATE TABLE kb_state (
    tenant_id BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    -- The bot's thresholds as JSON; NULL keeps the defaults.
    bot_settings TEXT,
    -- Bumped by every change to published content or vocabulary / to bot_settings.
    content_version INTEGER NOT NULL,
    settings_version INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
