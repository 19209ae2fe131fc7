//! Knowledge-base articles' SQL: Markdown pages in the FAQ category tree, their tags, drafts and
//! publishing, and their revision history. Validation lives above; this module only stores.

use crate::events::{Actor, Change, record};
use crate::page::{Page, clamp_limit};
use crate::sql::{Conn, contains_pattern};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use kefu_core::ValidationErrors;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use std::collections::HashMap;
use uuid::Uuid;

/// Whether readers outside the team may see an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    /// Being written: agents and editors see it, the help center does not.
    Draft,
    /// On the public help center and in everyone's search.
    Published,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Published => "published",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [ArticleStatus::Draft, ArticleStatus::Published]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One help article.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Article {
    pub id: Uuid,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub category_id: Option<Uuid>,
    pub tags: Vec<String>,
    /// `zh-CN` or `en`.
    pub language: String,
    pub status: ArticleStatus,
    /// When it was last published; `None` while a draft.
    pub published_at: Option<DateTime<Utc>>,
    /// 1 when created, one more per change.
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct ArticleRow {
    id: Uuid,
    title: String,
    body: String,
    category_id: Option<Uuid>,
    language: String,
    status: String,
    published_at: Option<DateTime<Utc>>,
    revision: i64,
    created_at: DateTime<Utc>,
    created_by: Option<Uuid>,
    updated_at: DateTime<Utc>,
    updated_by: Option<Uuid>,
}

impl ArticleRow {
    fn into_article(self, tags: Vec<String>) -> Result<Article, StoreError> {
        Ok(Article {
            id: self.id,
            status: ArticleStatus::parse(&self.status)
                .ok_or_else(|| StoreError::corrupt("kb_articles.status", &self.status))?,
            title: self.title,
            body: self.body,
            category_id: self.category_id,
            tags,
            language: self.language,
            published_at: self.published_at,
            revision: self.revision,
            created_at: self.created_at,
            created_by: self.created_by,
            updated_at: self.updated_at,
            updated_by: self.updated_by,
        })
    }
}

macro_rules! article_columns {
    () => {
        "a.id, a.title, a.body, a.category_id, a.language, a.status, a.published_at, a.revision, a.created_at, a.created_by, a.updated_at, a.updated_by"
    };
}

#[derive(sqlx::FromRow)]
struct TagRow {
    article_id: Uuid,
    tag: String,
}

/// A new article; fields already checked and normalised by the caller.
#[derive(Debug, Clone)]
pub struct NewArticle {
    pub title: String,
    pub body: String,
    pub category_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub language: String,
    pub status: ArticleStatus,
}

/// Changed fields of an article; absent ones stay. Publishing has its own call.
#[derive(Debug, Clone, Default)]
pub struct ArticlePatch {
    pub title: Option<String>,
    pub body: Option<String>,
    /// `Some(None)` takes it out of its category.
    pub category_id: Option<Option<Uuid>>,
    pub tags: Option<Vec<String>>,
    pub language: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    /// Articles of this category and of the categories below it.
    pub category_id: Option<Uuid>,
    pub status: Option<ArticleStatus>,
    pub language: Option<String>,
    /// Articles carrying this tag (exactly).
    pub tag: Option<String>,
    /// A part of the title or body, case-insensitive.
    pub query: Option<String>,
}

/// One change in an article's history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArticleRevision {
    pub id: Uuid,
    pub article_id: Uuid,
    pub revision: i64,
    /// `created`, `updated`, `published`, `unpublished` or `deleted`.
    pub action: String,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    /// The article after the change (before it, for a deletion).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub snapshot: Json<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

fn unknown_category() -> StoreError {
    ValidationErrors::single(
        "category_id",
        "unknown_category",
        "no such category in this tenant",
    )
    .into()
}

async fn ensure_category(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    category_id: Option<Uuid>,
) -> Result<(), StoreError> {
    let Some(id) = category_id else {
        return Ok(());
    };
    sql_scalar_optional!(
        Uuid,
        conn,
        "SELECT id FROM kb_categories WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id
    )?
    .map(|_| ())
    .ok_or_else(unknown_category)
}

/// Tags of the articles whose ids lie in `[from, to]`, grouped by article, in their order.
async fn tags_between(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    from: Uuid,
    to: Uuid,
) -> Result<HashMap<Uuid, Vec<String>>, StoreError> {
    let rows = sql_all!(
        TagRow,
        conn,
        "SELECT article_id, tag FROM kb_article_tags
         WHERE tenant_id = $1 AND article_id >= $2 AND article_id <= $3 ORDER BY article_id, position",
        tenant_id,
        from,
        to
    )?;
    let mut grouped: HashMap<Uuid, Vec<String>> = HashMap::new();
    for row in rows {
        grouped.entry(row.article_id).or_default().push(row.tag);
    }
    Ok(grouped)
}

async fn with_tags(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    rows: Vec<ArticleRow>,
) -> Result<Vec<Article>, StoreError> {
    let (Some(from), Some(to)) = (
        rows.iter().map(|r| r.id).min(),
        rows.iter().map(|r| r.id).max(),
    ) else {
        return Ok(Vec::new());
    };
    let mut tags = tags_between(conn, tenant_id, from, to).await?;
    rows.into_iter()
        .map(|row| {
            let mine = tags.remove(&row.id).unwrap_or_default();
            row.into_article(mine)
        })
        .collect()
}

async fn load_article(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Article, StoreError> {
    let row = sql_optional!(
        ArticleRow,
        &mut *conn,
        concat!(
            "SELECT ",
            article_columns!(),
            " FROM kb_articles a WHERE a.tenant_id = $1 AND a.id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?;
    let mut tags = tags_between(conn, tenant_id, id, id).await?;
    row.into_article(tags.remove(&id).unwrap_or_default())
}

async fn replace_tags(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    article_id: Uuid,
    tags: &[String],
) -> Result<(), StoreError> {
    sql_execute!(
        &mut *conn,
        "DELETE FROM kb_article_tags WHERE tenant_id = $1 AND article_id = $2",
        tenant_id,
        article_id
    )?;
    for (position, tag) in tags.iter().enumerate() {
        sql_execute!(
            &mut *conn,
            "INSERT INTO kb_article_tags (tenant_id, article_id, position, tag) VALUES ($1, $2, $3, $4)",
            tenant_id,
            article_id,
            position as i64,
            tag
        )?;
    }
    Ok(())
}

async fn add_revision(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    article: &Article,
    action: &str,
    actor: &Actor,
) -> Result<(), StoreError> {
    let snapshot = serde_json::to_value(article).unwrap_or(serde_json::Value::Null);
    sql_execute!(
        conn,
        "INSERT INTO kb_article_revisions (id, tenant_id, article_id, revision, action, actor_type, actor_id, snapshot, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        Uuid::now_v7(),
        tenant_id,
        article.id,
        article.revision,
        action,
        actor.kind.as_str(),
        actor.id,
        Json(&snapshot),
        Utc::now()
    )?;
    Ok(())
}

/// The revision and the event of one change, in the caller's transaction. `action` says which
/// kind of update it was (`updated`, `published`, `unpublished`) in both.
async fn changed(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    article: &Article,
    action: &'static str,
    actor: &Actor,
) -> Result<(), StoreError> {
    add_revision(conn, tenant_id, article, action, actor).await?;
    let kind = match action {
        "created" => "kb.article_created",
        "deleted" => "kb.article_deleted",
        _ => "kb.article_updated",
    };
    let payload = if action == "deleted" {
        serde_json::json!({ "id": article.id, "title": article.title, "action": action })
    } else {
        serde_json::json!({ "article": article, "action": action })
    };
    record(
        conn,
        Change {
            tenant_id,
            kind,
            entity_type: "kb_article",
            entity_id: Some(article.id),
            actor,
            payload,
            audit: None,
        },
    )
    .await?;
    Ok(())
}

impl Store {
    pub async fn create_article(
        &self,
        tenant_id: Uuid,
        new: NewArticle,
        actor: &Actor,
    ) -> Result<Article, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        ensure_category(&mut conn, tenant_id, new.category_id).await?;
        let id = Uuid::now_v7();
        let now = Utc::now();
        let published_at = (new.status == ArticleStatus::Published).then_some(now);
        sql_execute!(
            &mut conn,
            "INSERT INTO kb_articles (id, tenant_id, title, body, category_id, language, status, published_at, revision, created_at, created_by, updated_at, updated_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $9, $10)",
            id,
            tenant_id,
            &new.title,
            &new.body,
            new.category_id,
            &new.language,
            new.status.as_str(),
            published_at,
            now,
            actor.id
        )?;
        replace_tags(&mut conn, tenant_id, id, &new.tags).await?;
        let created = load_article(&mut conn, tenant_id, id).await?;
        changed(&mut conn, tenant_id, &created, "created", actor).await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn article(&self, tenant_id: Uuid, id: Uuid) -> Result<Article, StoreError> {
        let mut read = self.read().await?;
        load_article(&mut read.conn(), tenant_id, id).await
    }

    /// Articles matching the filter, oldest first.
    pub async fn list_articles(
        &self,
        tenant_id: Uuid,
        filter: &ArticleFilter,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<Article>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let part = contains_pattern(filter.query.as_deref());
        let rows = sql_all!(
            ArticleRow,
            &mut conn,
            concat!(
                "WITH RECURSIVE wanted (id) AS (
                    SELECT id FROM kb_categories WHERE tenant_id = $1 AND id = $2
                    UNION ALL
                    SELECT c.id FROM kb_categories c JOIN wanted w ON c.parent_id = w.id WHERE c.tenant_id = $1
                 )
                 SELECT ",
                article_columns!(),
                " FROM kb_articles a WHERE a.tenant_id = $1
                 AND ($2 IS NULL OR a.category_id IN (SELECT id FROM wanted))
                 AND ($3 IS NULL OR a.status = $3)
                 AND ($4 IS NULL OR a.language = $4)
                 AND ($5 IS NULL OR EXISTS (SELECT 1 FROM kb_article_tags t WHERE t.tenant_id = a.tenant_id
                                            AND t.article_id = a.id AND t.tag = $5))
                 AND ($6 IS NULL OR lower(a.title) LIKE $6 ESCAPE '\\' OR lower(a.body) LIKE $6 ESCAPE '\\')
                 AND ($7 IS NULL OR a.id > $7)
                 ORDER BY a.id LIMIT $8"
            ),
            tenant_id,
            filter.category_id,
            filter.status.map(ArticleStatus::as_str),
            filter.language.as_deref(),
            filter.tag.as_deref(),
            part.as_deref(),
            after,
            clamp_limit(limit)
        )?;
        let articles = with_tags(&mut conn, tenant_id, rows).await?;
        Ok(Page::from_rows(
            articles,
            limit.clamp(1, crate::page::MAX_PAGE),
            |a| a.id,
        ))
    }

    /// Every article of the tenant (drafts too), oldest first: what the search index is built from.
    pub async fn all_articles(&self, tenant_id: Uuid) -> Result<Vec<Article>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let rows = sql_all!(
            ArticleRow,
            &mut conn,
            concat!(
                "SELECT ",
                article_columns!(),
                " FROM kb_articles a WHERE a.tenant_id = $1 ORDER BY a.id"
            ),
            tenant_id
        )?;
        with_tags(&mut conn, tenant_id, rows).await
    }

    pub async fn update_article(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: ArticlePatch,
        actor: &Actor,
    ) -> Result<Article, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_article(&mut conn, tenant_id, id).await?;
        let category_id = patch.category_id.unwrap_or(before.category_id);
        if category_id != before.category_id {
            ensure_category(&mut conn, tenant_id, category_id).await?;
        }
        let tags = patch.tags.unwrap_or_else(|| before.tags.clone());
        sql_execute!(
            &mut conn,
            "UPDATE kb_articles SET title = $3, body = $4, category_id = $5, language = $6,
                    revision = revision + 1, updated_at = $7, updated_by = $8
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            patch.title.as_deref().unwrap_or(&before.title),
            patch.body.as_deref().unwrap_or(&before.body),
            category_id,
            patch.language.as_deref().unwrap_or(&before.language),
            Utc::now(),
            actor.id
        )?;
        replace_tags(&mut conn, tenant_id, id, &tags).await?;
        let after = load_article(&mut conn, tenant_id, id).await?;
        changed(&mut conn, tenant_id, &after, "updated", actor).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Publishes or takes an article back to draft. Setting the status it already has changes
    /// nothing and records nothing.
    pub async fn set_article_status(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        status: ArticleStatus,
        actor: &Actor,
    ) -> Result<Article, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_article(&mut conn, tenant_id, id).await?;
        if before.status == status {
            return Ok(before);
        }
        let now = Utc::now();
        let published_at = (status == ArticleStatus::Published).then_some(now);
        sql_execute!(
            &mut conn,
            "UPDATE kb_articles SET status = $3, published_at = $4, revision = revision + 1,
                    updated_at = $5, updated_by = $6
             WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            status.as_str(),
            published_at,
            now,
            actor.id
        )?;
        let after = load_article(&mut conn, tenant_id, id).await?;
        let action = match status {
            ArticleStatus::Published => "published",
            ArticleStatus::Draft => "unpublished",
        };
        changed(&mut conn, tenant_id, &after, action, actor).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes an article; its revision history stays, ending with the deletion.
    pub async fn delete_article(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let mut before = load_article(&mut conn, tenant_id, id).await?;
        sql_execute!(
            &mut conn,
            "DELETE FROM kb_articles WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        before.revision += 1;
        changed(&mut conn, tenant_id, &before, "deleted", actor).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An article's history, newest first; also for a deleted article. Not found when the
    /// tenant never had such an article.
    pub async fn article_revisions(
        &self,
        tenant_id: Uuid,
        article_id: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<ArticleRevision>, StoreError> {
        let mut read = self.read().await?;
        let rows = sql_all!(
            ArticleRevision,
            read.conn(),
            "SELECT id, article_id, revision, action, actor_type, actor_id, snapshot, created_at FROM kb_article_revisions
             WHERE tenant_id = $1 AND article_id = $2 AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
            tenant_id,
            article_id,
            after,
            clamp_limit(limit)
        )?;
        if rows.is_empty() && after.is_none() {
            return Err(StoreError::NotFound);
        }
        Ok(Page::from_rows(
            rows,
            limit.clamp(1, crate::page::MAX_PAGE),
            |r| r.id,
        ))
    }

    /// How many articles a category holds directly (a category with articles is not deleted).
    pub(crate) async fn articles_in_category(
        conn: &mut Conn<'_>,
        tenant_id: Uuid,
        category_id: Uuid,
    ) -> Result<i64, StoreError> {
        Ok(sql_scalar!(
            i64,
            conn,
            "SELECT COUNT(*) FROM kb_articles WHERE tenant_id = $1 AND category_id = $2",
            tenant_id,
            category_id
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_round_trip() {
        for status in [ArticleStatus::Draft, ArticleStatus::Published] {
            assert_eq!(ArticleStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ArticleStatus::parse("archived"), None);
    }
}
