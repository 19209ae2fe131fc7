-- Knowledge-base articles (SQLite). Kept in step with migrations/postgres/0020_kb_articles.sql.
-- An article is a Markdown page in the FAQ category tree, in one language, a draft until
-- published; only published ones reach the public help center. Tags live in their own table so
-- the tag filter is the same indexed SQL on both backends. Every change is kept in
-- kb_article_revisions (who, when, the article after it), as kb_revisions does for FAQs.

CREATE TABLE kb_articles (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    -- Markdown.
    body TEXT NOT NULL,
    category_id BLOB,
    -- zh-CN or en.
    language TEXT NOT NULL,
    -- draft or published.
    status TEXT NOT NULL,
    -- When it was last published; NULL while a draft.
    published_at TEXT,
    -- 1 at creation, +1 per change; the revision history is numbered by it.
    revision INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    UNIQUE (tenant_id, id),
    -- No cascade: deleting a category that still holds articles is refused (checked first).
    FOREIGN KEY (tenant_id, category_id) REFERENCES kb_categories (tenant_id, id)
);
CREATE INDEX kb_articles_category ON kb_articles (tenant_id, category_id);
CREATE INDEX kb_articles_status ON kb_articles (tenant_id, status, id);

CREATE TABLE kb_article_tags (
    tenant_id BLOB NOT NULL,
    article_id BLOB NOT NULL,
    position INTEGER NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (article_id, position),
    FOREIGN KEY (tenant_id, article_id) REFERENCES kb_articles (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX kb_article_tags_tag ON kb_article_tags (tenant_id, tag);

-- Kept after the article is deleted (no foreign key to it): history outlives what it describes.
CREATE TABLE kb_article_revisions (
    id BLOB PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    article_id BLOB NOT NULL,
    revision INTEGER NOT NULL,
    -- created, updated, published, unpublished or deleted.
    action TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id BLOB,
    -- The article as it was after the change (before it, for a deletion).
    snapshot TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX kb_article_revisions_article ON kb_article_revisions (tenant_id, article_id, id);
