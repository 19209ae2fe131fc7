//! Knowledge-base articles over HTTP: list with filters, read, write, publish and unpublish,
//! delete and history. Same rights as FAQs: agents read, supervisors and up (or `kb:write`) write.

use super::{ListResponse, check_limit, decode_cursor};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use kefu_core::{Role, Scope, ValidationErrors};
use kefu_knowledge::exchange::{MAX_TAG_CHARS, MAX_TAGS};
use kefu_store::{
    Article, ArticleFilter, ArticlePatch, ArticleRevision, ArticleStatus, NewArticle,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 100_000;
/// The languages an article is written in; the help center and search know these two.
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

fn read(principal: &Principal) -> ApiResult<()> {
    principal.require(Role::Agent, Scope::KbRead)
}

fn write(principal: &Principal) -> ApiResult<()> {
    principal.require(Role::Supervisor, Scope::KbWrite)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListArticles {
    /// `draft` or `published`.
    pub status: Option<String>,
    /// Articles of this category and its subcategories.
    pub category_id: Option<Uuid>,
    /// `zh-CN` or `en`.
    pub language: Option<String>,
    /// Articles carrying this tag.
    pub tag: Option<String>,
    /// A part of the title or body.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArticle {
    /// At most 200 characters.
    #[schema(example = "如何申请退货")]
    pub title: String,
    /// Markdown, at most 100,000 characters; required to publish.
    #[serde(default)]
    pub body: String,
    pub category_id: Option<Uuid>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// `zh-CN` or `en`.
    #[schema(example = "zh-CN")]
    pub language: String,
    /// `draft` (the default) or `published`.
    pub status: Option<ArticleStatus>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateArticle {
    pub title: Option<String>,
    pub body: Option<String>,
    /// `null` takes the article out of its category.
    #[serde(default, deserialize_with = "crate::extract::present_or_null")]
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Option<Option<Uuid>>,
    /// Replaces every tag.
    pub tags: Option<Vec<String>>,
    pub language: Option<String>,
}

/// An article's fields as they will be stored, trimmed and deduplicated.
struct Fields {
    title: String,
    body: String,
    tags: Vec<String>,
    language: String,
}

/// Checks the whole article as it would be after the change, naming every bad field at once.
fn checked(fields: Fields, status: ArticleStatus) -> ApiResult<Fields> {
    let mut errors = ValidationErrors::new();
    let title = fields.title.trim().to_owned();
    kefu_core::error::check_text(&mut errors, "title", &title, MAX_TITLE_CHARS);
    // Leading spaces are Markdown (an indented code block); only trailing blank lines go.
    let body = fields.body.trim_end().to_owned();
    if body.chars().count() > MAX_BODY_CHARS {
        errors.push(
            "body",
            "too_long",
            format!("body must be at most {MAX_BODY_CHARS} characters"),
        );
    } else if body.trim().is_empty() && status == ArticleStatus::Published {
        errors.push("body", "required", "a published article needs a body");
    }
    let mut tags: Vec<String> = Vec::new();
    for tag in fields.tags {
        let tag = tag.trim().to_owned();
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        errors.push("tags", "too_many", format!("at most {MAX_TAGS} tags"));
    }
    if tags.iter().any(|t| t.chars().count() > MAX_TAG_CHARS) {
        errors.push(
            "tags",
            "invalid_tag",
            format!("a tag has at most {MAX_TAG_CHARS} characters"),
        );
    }
    let language = fields.language.trim().to_owned();
    if !LANGUAGES.contains(&language.as_str()) {
        errors.push("language", "invalid_language", "language is zh-CN or en");
    }
    errors.into_result()?;
    Ok(Fields {
        title,
        body,
        tags,
        language,
    })
}

fn parse_status(name: Option<&str>) -> ApiResult<Option<ArticleStatus>> {
    match name.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(name) => ArticleStatus::parse(name)
            .map(Some)
            .ok_or_else(|| ApiError::bad_request("invalid_query", "status is draft or published")),
    }
}

#[utoipa::path(get, path = "/api/v1/kb/articles", tag = "knowledge", params(ListArticles),
    responses((status = 200, description = "oldest first", body = ListResponse<Article>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_articles(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListArticles>,
) -> ApiResult<axum::Json<ListResponse<Article>>> {
    read(&principal)?;
    let filter = ArticleFilter {
        category_id: query.category_id,
        status: parse_status(query.status.as_deref())?,
        language: query.language.filter(|l| !l.is_empty()),
        tag: query.tag.filter(|t| !t.is_empty()),
        query: query.q,
    };
    let page = state
        .store()
        .list_articles(
            principal.tenant_id,
            &filter,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await?;
    Ok(axum::Json(page.into()))
}

#[utoipa::path(post, path = "/api/v1/kb/articles", tag = "knowledge", request_body = CreateArticle,
    responses((status = 201, body = Article), (status = 403, body = ErrorBody),
        (status = 422, description = "`required`, `too_long`, `too_many`, `invalid_tag`, `invalid_language`, `unknown_category`", body = ErrorBody)))]
pub async fn create_article(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateArticle>,
) -> ApiResult<(StatusCode, axum::Json<Article>)> {
    write(&principal)?;
    let status = req.status.unwrap_or(ArticleStatus::Draft);
    let fields = checked(
        Fields {
            title: req.title,
            body: req.body,
            tags: req.tags,
            language: req.language,
        },
        status,
    )?;
    let article = state
        .store()
        .create_article(
            principal.tenant_id,
            NewArticle {
                title: fields.title,
                body: fields.body,
                category_id: req.category_id,
                tags: fields.tags,
                language: fields.language,
                status,
            },
            &principal.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(article)))
}

#[utoipa::path(get, path = "/api/v1/kb/articles/{id}", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 200, body = Article), (status = 403, body = ErrorBody), (status = 404, description = "`article_not_found`", body = ErrorBody)))]
pub async fn get_article(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Article>> {
    read(&principal)?;
    Ok(axum::Json(
        state
            .store()
            .article(principal.tenant_id, id)
            .await
            .map_err(ApiError::from_store("article"))?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/kb/articles/{id}", tag = "knowledge", params(("id" = Uuid, Path)), request_body = UpdateArticle,
    responses((status = 200, body = Article), (status = 403, body = ErrorBody), (status = 404, description = "`article_not_found`", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_article(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateArticle>,
) -> ApiResult<axum::Json<Article>> {
    write(&principal)?;
    let current = state
        .store()
        .article(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("article"))?;
    let fields = checked(
        Fields {
            title: req.title.unwrap_or(current.title),
            body: req.body.unwrap_or(current.body),
            tags: req.tags.unwrap_or(current.tags),
            language: req.language.unwrap_or(current.language),
        },
        current.status,
    )?;
    let patch = ArticlePatch {
        title: Some(fields.title),
        body: Some(fields.body),
        category_id: req.category_id,
        tags: Some(fields.tags),
        language: Some(fields.language),
    };
    Ok(axum::Json(
        state
            .store()
            .update_article(principal.tenant_id, id, patch, &principal.actor())
            .await
            .map_err(ApiError::from_store("article"))?,
    ))
}

async fn set_status(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    status: ArticleStatus,
) -> ApiResult<axum::Json<Article>> {
    write(principal)?;
    let current = state
        .store()
        .article(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("article"))?;
    if status == ArticleStatus::Published && current.body.trim().is_empty() {
        return Err(ValidationErrors::single(
            "body",
            "required",
            "a published article needs a body",
        )
        .into());
    }
    Ok(axum::Json(
        state
            .store()
            .set_article_status(principal.tenant_id, id, status, &principal.actor())
            .await
            .map_err(ApiError::from_store("article"))?,
    ))
}

/// Puts the article on the help center (publishing a published article changes nothing).
#[utoipa::path(post, path = "/api/v1/kb/articles/{id}/publish", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 200, body = Article), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`required`: the body is empty", body = ErrorBody)))]
pub async fn publish_article(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Article>> {
    set_status(&state, &principal, id, ArticleStatus::Published).await
}

/// Takes the article back to draft: off the help center and out of agents' search.
#[utoipa::path(post, path = "/api/v1/kb/articles/{id}/unpublish", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 200, body = Article), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unpublish_article(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Article>> {
    set_status(&state, &principal, id, ArticleStatus::Draft).await
}

#[utoipa::path(delete, path = "/api/v1/kb/articles/{id}", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted; its revision history stays"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_article(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    write(&principal)?;
    state
        .store()
        .delete_article(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("article"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who changed the article, when, and what it looked like after (before, for a deletion).
#[utoipa::path(get, path = "/api/v1/kb/articles/{id}/revisions", tag = "knowledge", params(("id" = Uuid, Path), super::PageQuery),
    responses((status = 200, description = "newest first", body = ListResponse<ArticleRevision>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn article_revisions(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Query(query): Query<super::PageQuery>,
) -> ApiResult<axum::Json<ListResponse<ArticleRevision>>> {
    read(&principal)?;
    let page = state
        .store()
        .article_revisions(
            principal.tenant_id,
            id,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await
        .map_err(ApiError::from_store("article"))?;
    Ok(axum::Json(page.into()))
}
