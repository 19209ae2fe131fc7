//! The knowledge base's SQL: FAQ categories, FAQs with their similar questions, vocabulary,
//! revision history, the bot's settings and the change counters the matcher cache watches.

use crate::events::{Actor, Change, record};
use crate::page::{Page, clamp_limit};
use crate::sql::{Conn, contains_pattern};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use kefu_core::ValidationErrors;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Whether the bot may use an FAQ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FaqStatus {
    /// Being written; agents see it, the bot does not.
    Draft,
    /// Answered by the bot and suggested to agents.
    Published,
}

impl FaqStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FaqStatus::Draft => "draft",
            FaqStatus::Published => "published",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [FaqStatus::Draft, FaqStatus::Published]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One node of the category tree.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KbCategory {
    pub id: Uuid,
    /// `None` for a top-level category.
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewKbCategory {
    pub parent_id: Option<Uuid>,
    pub name: String,
}

#[derive(Debug, Clone, Default)]
pub struct KbCategoryPatch {
    /// `Some(None)` moves it to the top level.
    pub parent_id: Option<Option<Uuid>>,
    pub name: Option<String>,
}

/// One FAQ: the standard question, the other ways customers ask it, and the answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Faq {
    pub id: Uuid,
    /// The standard question, unique in the tenant.
    pub question: String,
    pub similar_questions: Vec<String>,
    /// Markdown.
    pub answer: String,
    pub category_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub language: Option<String>,
    pub status: FaqStatus,
    /// Channel kind (`web`, `app`, `email`, `wechat`, …) → the answer given on that channel.
    pub variants: BTreeMap<String, String>,
    /// 1 when created, one more per change.
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct FaqRow {
    id: Uuid,
    question: String,
    answer: String,
    category_id: Option<Uuid>,
    tags: Json<Vec<String>>,
    language: Option<String>,
    status: String,
    variants: Json<BTreeMap<String, String>>,
    revision: i64,
    created_at: DateTime<Utc>,
    created_by: Option<Uuid>,
    updated_at: DateTime<Utc>,
    updated_by: Option<Uuid>,
}

impl FaqRow {
    fn into_faq(self, similar_questions: Vec<String>) -> Result<Faq, StoreError> {
        Ok(Faq {
            id: self.id,
            status: FaqStatus::parse(&self.status)
                .ok_or_else(|| StoreError::corrupt("kb_faqs.status", &self.status))?,
            question: self.question,
            similar_questions,
            answer: self.answer,
            category_id: self.category_id,
            tags: self.tags.0,
            language: self.language,
            variants: self.variants.0,
            revision: self.revision,
            created_at: self.created_at,
            created_by: self.created_by,
            updated_at: self.updated_at,
            updated_by: self.updated_by,
        })
    }
}

macro_rules! faq_columns {
    () => {
        "f.id, f.question, f.answer, f.category_id, f.tags, f.language, f.status, f.variants, f.revision, f.created_at, f.created_by, f.updated_at, f.updated_by"
    };
}

#[derive(sqlx::FromRow)]
struct SimilarRow {
    faq_id: Uuid,
    question: String,
}

/// A new FAQ; fields already checked and normalised by the caller.
#[derive(Debug, Clone)]
pub struct NewFaq {
    pub question: String,
    pub similar_questions: Vec<String>,
    pub answer: String,
    pub category_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub language: Option<String>,
    pub status: FaqStatus,
    pub variants: BTreeMap<String, String>,
}

/// Changed fields of an FAQ; absent ones stay.
#[derive(Debug, Clone, Default)]
pub struct FaqPatch {
    pub question: Option<String>,
    /// Replaces the whole list.
    pub similar_questions: Option<Vec<String>>,
    pub answer: Option<String>,
    /// `Some(None)` takes it out of its category.
    pub category_id: Option<Option<Uuid>>,
    pub tags: Option<Vec<String>>,
    /// `Some(None)` clears the language.
    pub language: Option<Option<String>>,
    pub status: Option<FaqStatus>,
    pub variants: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default)]
pub struct FaqFilter {
    /// FAQs of this category and of the categories below it.
    pub category_id: Option<Uuid>,
    pub status: Option<FaqStatus>,
    /// A part of the standard question, a similar question or the answer, case-insensitive.
    pub query: Option<String>,
}

/// One FAQ of an import; the category is a path of names from the top (created when missing).
#[derive(Debug, Clone)]
pub struct ImportFaq {
    pub question: String,
    pub similar_questions: Vec<String>,
    pub answer: String,
    pub category_path: Vec<String>,
    pub tags: Vec<String>,
    pub language: Option<String>,
    pub status: FaqStatus,
    pub variants: BTreeMap<String, String>,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportOutcome {
    /// FAQs whose standard question was new.
    pub created: usize,
    /// FAQs whose standard question existed: their fields were replaced by the file's.
    pub updated: usize,
    /// Categories made for paths that did not exist.
    pub categories_created: usize,
}

/// A domain term and the words that mean the same.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VocabularyTerm {
    pub id: Uuid,
    pub term: String,
    pub synonyms: Vec<String>,
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct VocabRow {
    id: Uuid,
    term: String,
    synonyms: Json<Vec<String>>,
    language: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<VocabRow> for VocabularyTerm {
    fn from(row: VocabRow) -> Self {
        VocabularyTerm {
            id: row.id,
            term: row.term,
            synonyms: row.synonyms.0,
            language: row.language,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A term with its synonyms; checked by the caller.
#[derive(Debug, Clone)]
pub struct NewVocabularyTerm {
    pub term: String,
    pub synonyms: Vec<String>,
    pub language: Option<String>,
}

/// One change in an FAQ's history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FaqRevision {
    pub id: Uuid,
    pub faq_id: Uuid,
    pub revision: i64,
    /// `created`, `updated`, `imported` or `deleted`.
    pub action: String,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    /// The FAQ after the change (before it, for a deletion).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub snapshot: Json<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

/// Change counters of a tenant's knowledge: equal counters mean an unchanged matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KnowledgeVersion {
    /// Published FAQs and vocabulary.
    pub content: i64,
    /// The bot's settings.
    pub settings: i64,
}

/// What the bot's matcher is built from, read at one version.
#[derive(Debug, Clone)]
pub struct KnowledgeSnapshot {
    pub version: KnowledgeVersion,
    /// The stored bot settings; `None` keeps the defaults.
    pub bot_settings: Option<serde_json::Value>,
    /// Published FAQs only, oldest first.
    pub faqs: Vec<Faq>,
    pub vocabulary: Vec<VocabularyTerm>,
    /// Published scenarios, oldest first: their triggers are matched with the FAQs.
    pub scenarios: Vec<crate::scenarios::Scenario>,
    /// Business actions of published FAQs: (FAQ id, action).
    pub faq_actions: Vec<(Uuid, serde_json::Value)>,
}

#[derive(sqlx::FromRow)]
struct StateRow {
    bot_settings: Option<Json<serde_json::Value>>,
    content_version: i64,
    settings_version: i64,
}

fn duplicate_question(question: &str, holder: Option<Uuid>) -> StoreError {
    StoreError::conflict(
        "duplicate_question",
        format!("an FAQ with the standard question {question:?} already exists"),
        serde_json::json!({"field": "question", "faq_id": holder}),
    )
}

fn duplicate_category(name: &str) -> StoreError {
    StoreError::conflict(
        "duplicate_category",
        format!("a category named {name:?} already exists at this place"),
        serde_json::json!({"field": "name"}),
    )
}

fn duplicate_term(term: &str) -> StoreError {
    StoreError::conflict(
        "duplicate_term",
        format!("the term {term:?} is already in the vocabulary"),
        serde_json::json!({"field": "term"}),
    )
}

/// A unique-index violation on write is the named conflict, raced by a concurrent writer.
fn race_to(conflict: StoreError) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |err| match StoreError::from(err) {
        StoreError::Conflict {
            code: "conflict", ..
        } => conflict,
        other => other,
    }
}

fn unknown_category(field: &str) -> StoreError {
    ValidationErrors::single(field, "unknown_category", "no such category in this tenant").into()
}

/// Bumps the content counter (and creates the tenant's state row on first use).
pub(crate) async fn bump_content(conn: &mut Conn<'_>, tenant_id: Uuid) -> Result<(), StoreError> {
    sql_execute!(
        conn,
        "INSERT INTO kb_state (tenant_id, bot_settings, content_version, settings_version, updated_at)
         VALUES ($1, NULL, 1, 0, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET content_version = kb_state.content_version + 1, updated_at = excluded.updated_at",
        tenant_id,
        Utc::now()
    )?;
    Ok(())
}

async fn load_similar(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    faq_id: Uuid,
) -> Result<Vec<String>, StoreError> {
    Ok(sql_all!(
        SimilarRow,
        conn,
        "SELECT faq_id, question FROM kb_similar_questions WHERE tenant_id = $1 AND faq_id = $2 ORDER BY position",
        tenant_id,
        faq_id
    )?
    .into_iter()
    .map(|r| r.question)
    .collect())
}

async fn load_faq(conn: &mut Conn<'_>, tenant_id: Uuid, id: Uuid) -> Result<Faq, StoreError> {
    let row = sql_optional!(
        FaqRow,
        &mut *conn,
        concat!(
            "SELECT ",
            faq_columns!(),
            " FROM kb_faqs f WHERE f.tenant_id = $1 AND f.id = $2"
        ),
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)?;
    let similar = load_similar(conn, tenant_id, id).await?;
    row.into_faq(similar)
}

/// Similar questions of the FAQs whose ids lie in `[from, to]`, grouped by FAQ.
async fn similar_between(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    from: Uuid,
    to: Uuid,
) -> Result<HashMap<Uuid, Vec<String>>, StoreError> {
    let rows = sql_all!(
        SimilarRow,
        conn,
        "SELECT faq_id, question FROM kb_similar_questions
         WHERE tenant_id = $1 AND faq_id >= $2 AND faq_id <= $3 ORDER BY faq_id, position",
        tenant_id,
        from,
        to
    )?;
    let mut grouped: HashMap<Uuid, Vec<String>> = HashMap::new();
    for row in rows {
        grouped.entry(row.faq_id).or_default().push(row.question);
    }
    Ok(grouped)
}

/// Rows with their similar questions, in the rows' order.
async fn with_similar(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    rows: Vec<FaqRow>,
) -> Result<Vec<Faq>, StoreError> {
    let (Some(from), Some(to)) = (
        rows.iter().map(|r| r.id).min(),
        rows.iter().map(|r| r.id).max(),
    ) else {
        return Ok(Vec::new());
    };
    let mut similar = similar_between(conn, tenant_id, from, to).await?;
    rows.into_iter()
        .map(|row| {
            let mine = similar.remove(&row.id).unwrap_or_default();
            row.into_faq(mine)
        })
        .collect()
}

async fn question_holder(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    question: &str,
) -> Result<Option<Uuid>, StoreError> {
    Ok(sql_scalar_optional!(
        Uuid,
        conn,
        "SELECT id FROM kb_faqs WHERE tenant_id = $1 AND question = $2",
        tenant_id,
        question
    )?)
}

async fn ensure_category(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    category_id: Option<Uuid>,
    field: &str,
) -> Result<(), StoreError> {
    let Some(id) = category_id else {
        return Ok(());
    };
    let known = sql_scalar_optional!(
        Uuid,
        conn,
        "SELECT id FROM kb_categories WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id
    )?;
    known.map(|_| ()).ok_or_else(|| unknown_category(field))
}

async fn replace_similar(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    faq_id: Uuid,
    similar: &[String],
) -> Result<(), StoreError> {
    sql_execute!(
        &mut *conn,
        "DELETE FROM kb_similar_questions WHERE tenant_id = $1 AND faq_id = $2",
        tenant_id,
        faq_id
    )?;
    for (position, question) in similar.iter().enumerate() {
        sql_execute!(
            &mut *conn,
            "INSERT INTO kb_similar_questions (tenant_id, faq_id, position, question) VALUES ($1, $2, $3, $4)",
            tenant_id,
            faq_id,
            position as i64,
            question
        )?;
    }
    Ok(())
}

async fn insert_faq(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    new: &NewFaq,
    actor: &Actor,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    sql_execute!(
        &mut *conn,
        "INSERT INTO kb_faqs (id, tenant_id, question, answer, category_id, tags, language, status, variants, revision, created_at, created_by, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $10, $11)",
        id,
        tenant_id,
        &new.question,
        &new.answer,
        new.category_id,
        Json(&new.tags),
        new.language.as_deref(),
        new.status.as_str(),
        Json(&new.variants),
        now,
        actor.id
    )
    .map_err(race_to(duplicate_question(&new.question, None)))?;
    replace_similar(conn, tenant_id, id, &new.similar_questions).await?;
    Ok(id)
}

/// Overwrites every field of an FAQ and counts one more revision.
async fn write_faq(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
    faq: &NewFaq,
    actor: &Actor,
) -> Result<(), StoreError> {
    sql_execute!(
        &mut *conn,
        "UPDATE kb_faqs SET question = $3, answer = $4, category_id = $5, tags = $6, language = $7, status = $8,
                variants = $9, revision = revision + 1, updated_at = $10, updated_by = $11
         WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id,
        &faq.question,
        &faq.answer,
        faq.category_id,
        Json(&faq.tags),
        faq.language.as_deref(),
        faq.status.as_str(),
        Json(&faq.variants),
        Utc::now(),
        actor.id
    )
    .map_err(race_to(duplicate_question(&faq.question, None)))?;
    replace_similar(conn, tenant_id, id, &faq.similar_questions).await
}

async fn add_revision(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    faq: &Faq,
    action: &str,
    actor: &Actor,
) -> Result<(), StoreError> {
    let snapshot = serde_json::to_value(faq).unwrap_or(serde_json::Value::Null);
    sql_execute!(
        conn,
        "INSERT INTO kb_revisions (id, tenant_id, faq_id, revision, action, actor_type, actor_id, snapshot, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        Uuid::now_v7(),
        tenant_id,
        faq.id,
        faq.revision,
        action,
        actor_kind(actor),
        actor.id,
        Json(&snapshot),
        Utc::now()
    )?;
    Ok(())
}

fn actor_kind(actor: &Actor) -> &'static str {
    actor.kind.as_str()
}

async fn all_categories(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
) -> Result<Vec<KbCategory>, StoreError> {
    Ok(sql_all!(
        KbCategory,
        conn,
        "SELECT id, parent_id, name, created_at, updated_at FROM kb_categories WHERE tenant_id = $1 ORDER BY id",
        tenant_id
    )?)
}

async fn load_category(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<KbCategory, StoreError> {
    sql_optional!(
        KbCategory,
        conn,
        "SELECT id, parent_id, name, created_at, updated_at FROM kb_categories WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        id
    )?
    .ok_or(StoreError::NotFound)
}

async fn sibling_named(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    parent_id: Option<Uuid>,
    name: &str,
) -> Result<Option<Uuid>, StoreError> {
    Ok(sql_scalar_optional!(
        Uuid,
        conn,
        "SELECT id FROM kb_categories WHERE tenant_id = $1 AND name = $3
         AND (parent_id = $2 OR (parent_id IS NULL AND $2 IS NULL))",
        tenant_id,
        parent_id,
        name
    )?)
}

async fn insert_category(
    conn: &mut Conn<'_>,
    tenant_id: Uuid,
    parent_id: Option<Uuid>,
    name: &str,
    actor: &Actor,
) -> Result<KbCategory, StoreError> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    sql_execute!(
        &mut *conn,
        "INSERT INTO kb_categories (id, tenant_id, parent_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
        id,
        tenant_id,
        parent_id,
        name,
        now
    )
    .map_err(race_to(duplicate_category(name)))?;
    let created = load_category(conn, tenant_id, id).await?;
    record(
        conn,
        Change {
            tenant_id,
            kind: "kb.category_created",
            entity_type: "kb_category",
            entity_id: Some(id),
            actor,
            payload: serde_json::json!({ "category": created }),
            audit: None,
        },
    )
    .await?;
    Ok(created)
}

impl Store {
    // ---- categories ----

    /// Every category of the tenant, oldest first (a tenant has tens, not thousands).
    pub async fn kb_categories(&self, tenant_id: Uuid) -> Result<Vec<KbCategory>, StoreError> {
        let mut read = self.read().await?;
        all_categories(&mut read.conn(), tenant_id).await
    }

    pub async fn create_kb_category(
        &self,
        tenant_id: Uuid,
        new: NewKbCategory,
        actor: &Actor,
    ) -> Result<KbCategory, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        ensure_category(&mut conn, tenant_id, new.parent_id, "parent_id").await?;
        if sibling_named(&mut conn, tenant_id, new.parent_id, &new.name)
            .await?
            .is_some()
        {
            return Err(duplicate_category(&new.name));
        }
        let created =
            insert_category(&mut conn, tenant_id, new.parent_id, &new.name, actor).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Renames or moves a category; a move under itself or its own descendant is refused.
    pub async fn update_kb_category(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: KbCategoryPatch,
        actor: &Actor,
    ) -> Result<KbCategory, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_category(&mut conn, tenant_id, id).await?;
        let parent_id = patch.parent_id.unwrap_or(before.parent_id);
        let name = patch.name.unwrap_or_else(|| before.name.clone());
        if parent_id != before.parent_id {
            ensure_category(&mut conn, tenant_id, parent_id, "parent_id").await?;
            let categories = all_categories(&mut conn, tenant_id).await?;
            let parents: HashMap<Uuid, Option<Uuid>> =
                categories.iter().map(|c| (c.id, c.parent_id)).collect();
            let mut cursor = parent_id;
            while let Some(at) = cursor {
                if at == id {
                    return Err(ValidationErrors::single(
                        "parent_id",
                        "category_cycle",
                        "a category cannot move under itself or one of its subcategories",
                    )
                    .into());
                }
                cursor = parents.get(&at).copied().flatten();
            }
        }
        if (parent_id, name.as_str()) != (before.parent_id, before.name.as_str())
            && sibling_named(&mut conn, tenant_id, parent_id, &name)
                .await?
                .is_some_and(|holder| holder != id)
        {
            return Err(duplicate_category(&name));
        }
        sql_execute!(
            &mut conn,
            "UPDATE kb_categories SET parent_id = $3, name = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            parent_id,
            &name,
            Utc::now()
        )
        .map_err(race_to(duplicate_category(&name)))?;
        let after = load_category(&mut conn, tenant_id, id).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "kb.category_updated",
                entity_type: "kb_category",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({ "category": after }),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes an empty category; one with subcategories or FAQs is a conflict.
    pub async fn delete_kb_category(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_category(&mut conn, tenant_id, id).await?;
        let children = sql_scalar!(
            i64,
            &mut conn,
            "SELECT COUNT(*) FROM kb_categories WHERE tenant_id = $1 AND parent_id = $2",
            tenant_id,
            id
        )?;
        let faqs = sql_scalar!(
            i64,
            &mut conn,
            "SELECT COUNT(*) FROM kb_faqs WHERE tenant_id = $1 AND category_id = $2",
            tenant_id,
            id
        )?;
        let articles = Store::articles_in_category(&mut conn, tenant_id, id).await?;
        if children > 0 || faqs > 0 || articles > 0 {
            return Err(StoreError::conflict(
                "category_not_empty",
                "move or delete the category's subcategories, FAQs and articles first",
                serde_json::json!({"subcategories": children, "faqs": faqs, "articles": articles}),
            ));
        }
        sql_execute!(
            &mut conn,
            "DELETE FROM kb_categories WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "kb.category_deleted",
                entity_type: "kb_category",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({ "id": id, "name": before.name }),
                audit: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- FAQs ----

    pub async fn create_faq(
        &self,
        tenant_id: Uuid,
        new: NewFaq,
        actor: &Actor,
    ) -> Result<Faq, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        ensure_category(&mut conn, tenant_id, new.category_id, "category_id").await?;
        if let Some(holder) = question_holder(&mut conn, tenant_id, &new.question).await? {
            return Err(duplicate_question(&new.question, Some(holder)));
        }
        let id = insert_faq(&mut conn, tenant_id, &new, actor).await?;
        let created = load_faq(&mut conn, tenant_id, id).await?;
        add_revision(&mut conn, tenant_id, &created, "created", actor).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "kb.faq_created",
                entity_type: "kb_faq",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({ "faq": created }),
                audit: None,
            },
        )
        .await?;
        bump_content(&mut conn, tenant_id).await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn faq(&self, tenant_id: Uuid, id: Uuid) -> Result<Faq, StoreError> {
        let mut read = self.read().await?;
        load_faq(&mut read.conn(), tenant_id, id).await
    }

    /// FAQs matching the filter, oldest first.
    pub async fn list_faqs(
        &self,
        tenant_id: Uuid,
        filter: &FaqFilter,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<Faq>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let part = contains_pattern(filter.query.as_deref());
        let rows = sql_all!(
            FaqRow,
            &mut conn,
            concat!(
                "WITH RECURSIVE wanted (id) AS (
                    SELECT id FROM kb_categories WHERE tenant_id = $1 AND id = $2
                    UNION ALL
                    SELECT c.id FROM kb_categories c JOIN wanted w ON c.parent_id = w.id WHERE c.tenant_id = $1
                 )
                 SELECT ",
                faq_columns!(),
                " FROM kb_faqs f WHERE f.tenant_id = $1
                 AND ($2 IS NULL OR f.category_id IN (SELECT id FROM wanted))
                 AND ($3 IS NULL OR f.status = $3)
                 AND ($4 IS NULL OR lower(f.question) LIKE $4 ESCAPE '\\' OR lower(f.answer) LIKE $4 ESCAPE '\\'
                      OR EXISTS (SELECT 1 FROM kb_similar_questions s WHERE s.tenant_id = f.tenant_id
                                 AND s.faq_id = f.id AND lower(s.question) LIKE $4 ESCAPE '\\'))
                 AND ($5 IS NULL OR f.id > $5)
                 ORDER BY f.id LIMIT $6"
            ),
            tenant_id,
            filter.category_id,
            filter.status.map(FaqStatus::as_str),
            part.as_deref(),
            after,
            clamp_limit(limit)
        )?;
        let faqs = with_similar(&mut conn, tenant_id, rows).await?;
        Ok(Page::from_rows(
            faqs,
            limit.clamp(1, crate::page::MAX_PAGE),
            |f| f.id,
        ))
    }

    /// Every FAQ of the tenant, oldest first (export).
    pub async fn all_faqs(&self, tenant_id: Uuid) -> Result<Vec<Faq>, StoreError> {
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let rows = sql_all!(
            FaqRow,
            &mut conn,
            concat!(
                "SELECT ",
                faq_columns!(),
                " FROM kb_faqs f WHERE f.tenant_id = $1 ORDER BY f.id"
            ),
            tenant_id
        )?;
        with_similar(&mut conn, tenant_id, rows).await
    }

    pub async fn update_faq(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        patch: FaqPatch,
        actor: &Actor,
    ) -> Result<Faq, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = load_faq(&mut conn, tenant_id, id).await?;
        let merged = NewFaq {
            question: patch.question.unwrap_or_else(|| before.question.clone()),
            similar_questions: patch
                .similar_questions
                .unwrap_or_else(|| before.similar_questions.clone()),
            answer: patch.answer.unwrap_or_else(|| before.answer.clone()),
            category_id: patch.category_id.unwrap_or(before.category_id),
            tags: patch.tags.unwrap_or_else(|| before.tags.clone()),
            language: patch.language.unwrap_or_else(|| before.language.clone()),
            status: patch.status.unwrap_or(before.status),
            variants: patch.variants.unwrap_or_else(|| before.variants.clone()),
        };
        if merged.category_id != before.category_id {
            ensure_category(&mut conn, tenant_id, merged.category_id, "category_id").await?;
        }
        if merged.question != before.question
            && let Some(holder) = question_holder(&mut conn, tenant_id, &merged.question).await?
        {
            return Err(duplicate_question(&merged.question, Some(holder)));
        }
        write_faq(&mut conn, tenant_id, id, &merged, actor).await?;
        let after = load_faq(&mut conn, tenant_id, id).await?;
        add_revision(&mut conn, tenant_id, &after, "updated", actor).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "kb.faq_updated",
                entity_type: "kb_faq",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({ "faq": after }),
                audit: None,
            },
        )
        .await?;
        bump_content(&mut conn, tenant_id).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes an FAQ; its revision history stays, ending with the deletion.
    pub async fn delete_faq(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let mut before = load_faq(&mut conn, tenant_id, id).await?;
        sql_execute!(
            &mut conn,
            "DELETE FROM kb_faqs WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        before.revision += 1;
        add_revision(&mut conn, tenant_id, &before, "deleted", actor).await?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "kb.faq_deleted",
                entity_type: "kb_faq",
                entity_id: Some(id),
                actor,
                payload: serde_json::json!({ "id": id, "question": before.question }),
                audit: None,
            },
        )
        .await?;
        bump_content(&mut conn, tenant_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An FAQ's history, newest first; also for a deleted FAQ. Not found when the tenant never
    /// had such an FAQ.
    pub async fn faq_revisions(
        &self,
        tenant_id: Uuid,
        faq_id: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Page<FaqRevision>, StoreError> {
        let mut read = self.read().await?;
        let rows = sql_all!(
            FaqRevision,
            read.conn(),
            "SELECT id, faq_id, revision, action, actor_type, actor_id, snapshot, created_at FROM kb_revisions
             WHERE tenant_id = $1 AND faq_id = $2 AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
            tenant_id,
            faq_id,
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

    /// Creates or updates (same standard question) every FAQ in one transaction: all of them
    /// or none. Missing categories of the paths are created. `progress` hears how many are done.
    pub async fn import_faqs(
        &self,
        tenant_id: Uuid,
        faqs: Vec<ImportFaq>,
        actor: &Actor,
        progress: &mut (dyn FnMut(usize) + Send),
    ) -> Result<ImportOutcome, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let mut categories: HashMap<(Option<Uuid>, String), Uuid> =
            all_categories(&mut conn, tenant_id)
                .await?
                .into_iter()
                .map(|c| ((c.parent_id, c.name), c.id))
                .collect();
        let mut outcome = ImportOutcome {
            created: 0,
            updated: 0,
            categories_created: 0,
        };
        for (done, item) in faqs.into_iter().enumerate() {
            let mut category_id = None;
            for name in &item.category_path {
                let key = (category_id, name.clone());
                category_id = Some(match categories.get(&key) {
                    Some(id) => *id,
                    None => {
                        let created =
                            insert_category(&mut conn, tenant_id, category_id, name, actor).await?;
                        outcome.categories_created += 1;
                        categories.insert(key, created.id);
                        created.id
                    }
                });
            }
            let faq = NewFaq {
                question: item.question,
                similar_questions: item.similar_questions,
                answer: item.answer,
                category_id,
                tags: item.tags,
                language: item.language,
                status: item.status,
                variants: item.variants,
            };
            let id = match question_holder(&mut conn, tenant_id, &faq.question).await? {
                Some(id) => {
                    write_faq(&mut conn, tenant_id, id, &faq, actor).await?;
                    outcome.updated += 1;
                    id
                }
                None => {
                    outcome.created += 1;
                    insert_faq(&mut conn, tenant_id, &faq, actor).await?
                }
            };
            let stored = load_faq(&mut conn, tenant_id, id).await?;
            add_revision(&mut conn, tenant_id, &stored, "imported", actor).await?;
            progress(done + 1);
        }
        // One event for the whole file: an import of thousands of FAQs would otherwise flood
        // every live listener; each FAQ's own change is in its revision history.
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "kb.faqs_imported",
                entity_type: "kb_faq",
                entity_id: None,
                actor,
                payload: serde_json::json!({ "import": outcome }),
                audit: None,
            },
        )
        .await?;
        bump_content(&mut conn, tenant_id).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    // ---- vocabulary ----

    /// The whole vocabulary, oldest first.
    pub async fn kb_vocabulary(&self, tenant_id: Uuid) -> Result<Vec<VocabularyTerm>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_all!(
            VocabRow,
            read.conn(),
            "SELECT id, term, synonyms, language, created_at, updated_at FROM kb_vocabulary WHERE tenant_id = $1 ORDER BY id",
            tenant_id
        )?
        .into_iter()
        .map(VocabularyTerm::from)
        .collect())
    }

    async fn vocabulary_changed(
        conn: &mut Conn<'_>,
        tenant_id: Uuid,
        actor: &Actor,
        action: &str,
        term: &VocabularyTerm,
    ) -> Result<(), StoreError> {
        record(
            conn,
            Change {
                tenant_id,
                kind: "kb.vocabulary_changed",
                entity_type: "kb_vocabulary",
                entity_id: Some(term.id),
                actor,
                payload: serde_json::json!({ "action": action, "term": term }),
                audit: None,
            },
        )
        .await?;
        bump_content(conn, tenant_id).await
    }

    pub async fn create_vocabulary_term(
        &self,
        tenant_id: Uuid,
        new: NewVocabularyTerm,
        actor: &Actor,
    ) -> Result<VocabularyTerm, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let taken = sql_scalar_optional!(
            Uuid,
            &mut conn,
            "SELECT id FROM kb_vocabulary WHERE tenant_id = $1 AND term = $2",
            tenant_id,
            &new.term
        )?;
        if taken.is_some() {
            return Err(duplicate_term(&new.term));
        }
        let id = Uuid::now_v7();
        let now = Utc::now();
        sql_execute!(
            &mut conn,
            "INSERT INTO kb_vocabulary (id, tenant_id, term, synonyms, language, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
            id,
            tenant_id,
            &new.term,
            Json(&new.synonyms),
            new.language.as_deref(),
            now
        )
        .map_err(race_to(duplicate_term(&new.term)))?;
        let created = self.vocabulary_term_in(&mut conn, tenant_id, id).await?;
        Self::vocabulary_changed(&mut conn, tenant_id, actor, "created", &created).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn vocabulary_term_in(
        &self,
        conn: &mut Conn<'_>,
        tenant_id: Uuid,
        id: Uuid,
    ) -> Result<VocabularyTerm, StoreError> {
        Ok(sql_optional!(
            VocabRow,
            conn,
            "SELECT id, term, synonyms, language, created_at, updated_at FROM kb_vocabulary WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?
        .ok_or(StoreError::NotFound)?
        .into())
    }

    /// Replaces a term's text, synonyms and language.
    pub async fn update_vocabulary_term(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        new: NewVocabularyTerm,
        actor: &Actor,
    ) -> Result<VocabularyTerm, StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        self.vocabulary_term_in(&mut conn, tenant_id, id).await?;
        let holder = sql_scalar_optional!(
            Uuid,
            &mut conn,
            "SELECT id FROM kb_vocabulary WHERE tenant_id = $1 AND term = $2",
            tenant_id,
            &new.term
        )?;
        if holder.is_some_and(|h| h != id) {
            return Err(duplicate_term(&new.term));
        }
        sql_execute!(
            &mut conn,
            "UPDATE kb_vocabulary SET term = $3, synonyms = $4, language = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id,
            &new.term,
            Json(&new.synonyms),
            new.language.as_deref(),
            Utc::now()
        )
        .map_err(race_to(duplicate_term(&new.term)))?;
        let after = self.vocabulary_term_in(&mut conn, tenant_id, id).await?;
        Self::vocabulary_changed(&mut conn, tenant_id, actor, "updated", &after).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_vocabulary_term(
        &self,
        tenant_id: Uuid,
        id: Uuid,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = self.vocabulary_term_in(&mut conn, tenant_id, id).await?;
        sql_execute!(
            &mut conn,
            "DELETE FROM kb_vocabulary WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            id
        )?;
        Self::vocabulary_changed(&mut conn, tenant_id, actor, "deleted", &before).await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- bot settings and the matcher's snapshot ----

    /// The stored bot settings (`None`: the defaults) and the change counters.
    pub async fn kb_bot_settings(
        &self,
        tenant_id: Uuid,
    ) -> Result<(Option<serde_json::Value>, KnowledgeVersion), StoreError> {
        let mut read = self.read().await?;
        let state = sql_optional!(
            StateRow,
            read.conn(),
            "SELECT bot_settings, content_version, settings_version FROM kb_state WHERE tenant_id = $1",
            tenant_id
        )?;
        Ok(match state {
            Some(s) => (
                s.bot_settings.map(|j| j.0),
                KnowledgeVersion {
                    content: s.content_version,
                    settings: s.settings_version,
                },
            ),
            None => (None, KnowledgeVersion::default()),
        })
    }

    /// Stores the bot settings (already validated by the caller) as JSON.
    pub async fn set_kb_bot_settings(
        &self,
        tenant_id: Uuid,
        settings: serde_json::Value,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_for(tenant_id).await?;
        let mut conn = tx.conn();
        let before = sql_scalar_optional!(
            Option<Json<serde_json::Value>>,
            &mut conn,
            "SELECT bot_settings FROM kb_state WHERE tenant_id = $1",
            tenant_id
        )?
        .flatten()
        .map(|j| j.0);
        sql_execute!(
            &mut conn,
            "INSERT INTO kb_state (tenant_id, bot_settings, content_version, settings_version, updated_at)
             VALUES ($1, $2, 0, 1, $3)
             ON CONFLICT (tenant_id) DO UPDATE SET bot_settings = excluded.bot_settings,
                 settings_version = kb_state.settings_version + 1, updated_at = excluded.updated_at",
            tenant_id,
            Json(&settings),
            Utc::now()
        )?;
        record(
            &mut conn,
            Change {
                tenant_id,
                kind: "kb.settings_changed",
                entity_type: "kb_settings",
                entity_id: None,
                actor,
                payload: serde_json::json!({ "settings": settings }),
                audit: Some((before, Some(settings.clone()))),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The change counters alone: one indexed row, read before every use of a cached matcher.
    pub async fn knowledge_version(&self, tenant_id: Uuid) -> Result<KnowledgeVersion, StoreError> {
        Ok(self.kb_bot_settings(tenant_id).await?.1)
    }

    /// Everything the matcher is built from. The counters are read first, so a change racing
    /// the read makes the snapshot look older than it is (and rebuilt once more), never newer.
    pub async fn knowledge_snapshot(
        &self,
        tenant_id: Uuid,
    ) -> Result<KnowledgeSnapshot, StoreError> {
        let (bot_settings, version) = self.kb_bot_settings(tenant_id).await?;
        let mut read = self.read().await?;
        let mut conn = read.conn();
        let rows = sql_all!(
            FaqRow,
            &mut conn,
            concat!(
                "SELECT ",
                faq_columns!(),
                " FROM kb_faqs f WHERE f.tenant_id = $1 AND f.status = 'published' ORDER BY f.id"
            ),
            tenant_id
        )?;
        let faqs = with_similar(&mut conn, tenant_id, rows).await?;
        let scenarios = crate::scenarios::published_scenarios(&mut conn, tenant_id).await?;
        let faq_actions = crate::scenarios::published_faq_actions(&mut conn, tenant_id).await?;
        drop(read);
        let vocabulary = self.kb_vocabulary(tenant_id).await?;
        Ok(KnowledgeSnapshot {
            version,
            bot_settings,
            faqs,
            vocabulary,
            scenarios,
            faq_actions,
        })
    }
}
