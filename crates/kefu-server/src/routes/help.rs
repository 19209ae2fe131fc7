//! The public help center (`/help/{tenant_slug}`) over HTTP, without login: a tenant's
//! published articles and FAQs, its categories in use, and search. Nothing else ever leaves:
//! drafts and other tenants' content answer exactly as an unknown id does (404).

use super::auth::ClientIp;
use super::kb_search::{KbSearchQuery, KbSearchResponse};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Path, Query};
use crate::state::AppState;
use axum::extract::State;
use chrono::{DateTime, Utc};
use kefu_store::{ArticleFilter, ArticleStatus, FaqFilter, FaqStatus, KbCategory, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::time::Instant;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Articles listed on a help center's front page at most (newest categories' pages browse on).
const MAX_LISTED: u32 = 200;

#[derive(Debug, Serialize, ToSchema)]
pub struct HelpCategory {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HelpArticleSummary {
    pub id: Uuid,
    pub title: String,
    pub category_id: Option<Uuid>,
    pub language: String,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HelpCenter {
    /// The tenant's display name.
    pub name: String,
    /// The tenant's language (`zh-CN`, `en`…), for the page's own words.
    pub locale: String,
    /// Categories holding published content, with their ancestors; build the tree with
    /// `parent_id`.
    pub categories: Vec<HelpCategory>,
    /// Published articles, oldest first.
    pub articles: Vec<HelpArticleSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HelpArticle {
    pub id: Uuid,
    pub title: String,
    /// Markdown; render it as text with a safe subset of formatting, never as HTML.
    pub body: String,
    pub category_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub language: String,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HelpFaq {
    pub id: Uuid,
    pub question: String,
    /// Markdown.
    pub answer: String,
    pub category_id: Option<Uuid>,
    pub language: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HelpFaqList {
    pub items: Vec<HelpFaq>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HelpFaqQuery {
    /// FAQs of this category and its subcategories.
    pub category_id: Option<Uuid>,
}

/// The tenant behind a slug; any slug that opens nothing is the same 404.
async fn tenant_of(state: &AppState, slug: &str) -> ApiResult<(Uuid, String, String)> {
    match state.store().tenant_by_slug(slug).await? {
        Some(tenant) => Ok((tenant.id, tenant.name, tenant.settings.0.locale)),
        None => Err(ApiError::not_found("help_center")),
    }
}

#[utoipa::path(get, path = "/api/v1/help/{tenant_slug}", tag = "help", security(()),
    params(("tenant_slug" = String, Path)),
    responses((status = 200, body = HelpCenter), (status = 404, description = "`help_center_not_found`", body = ErrorBody)))]
pub async fn help_center(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<axum::Json<HelpCenter>> {
    let (tenant_id, name, locale) = tenant_of(&state, &slug).await?;
    let store = state.store();
    let filter = ArticleFilter {
        status: Some(ArticleStatus::Published),
        ..ArticleFilter::default()
    };
    let articles = store
        .list_articles(tenant_id, &filter, None, MAX_LISTED)
        .await?
        .items;
    let faq_categories: HashSet<Uuid> = store
        .knowledge_snapshot(tenant_id)
        .await?
        .faqs
        .iter()
        .filter_map(|f| f.category_id)
        .collect();
    let categories = store.kb_categories(tenant_id).await?;
    let mut used: HashSet<Uuid> = articles.iter().filter_map(|a| a.category_id).collect();
    used.extend(faq_categories);
    Ok(axum::Json(HelpCenter {
        name,
        locale,
        categories: with_ancestors(categories, used),
        articles: articles
            .into_iter()
            .map(|a| HelpArticleSummary {
                id: a.id,
                title: a.title,
                category_id: a.category_id,
                language: a.language,
                published_at: a.published_at,
            })
            .collect(),
    }))
}

/// The categories in `used` and every category above them, in the store's order.
fn with_ancestors(categories: Vec<KbCategory>, used: HashSet<Uuid>) -> Vec<HelpCategory> {
    let parents: HashMap<Uuid, Option<Uuid>> =
        categories.iter().map(|c| (c.id, c.parent_id)).collect();
    let mut shown = HashSet::new();
    for id in used {
        let mut cursor = Some(id);
        // Bounded by the tree's size, should a cycle ever be stored.
        for _ in 0..=parents.len() {
            let Some(at) = cursor else { break };
            if !shown.insert(at) {
                break;
            }
            cursor = parents.get(&at).copied().flatten();
        }
    }
    categories
        .into_iter()
        .filter(|c| shown.contains(&c.id))
        .map(|c| HelpCategory {
            id: c.id,
            parent_id: c.parent_id,
            name: c.name,
        })
        .collect()
}

#[utoipa::path(get, path = "/api/v1/help/{tenant_slug}/articles/{id}", tag = "help", security(()),
    params(("tenant_slug" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = HelpArticle),
        (status = 404, description = "`help_center_not_found`, `article_not_found` (also for drafts)", body = ErrorBody)))]
pub async fn help_article(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, Uuid)>,
) -> ApiResult<axum::Json<HelpArticle>> {
    let (tenant_id, _, _) = tenant_of(&state, &slug).await?;
    let article = match state.store().article(tenant_id, id).await {
        Ok(article) if article.status == ArticleStatus::Published => article,
        Ok(_) | Err(StoreError::NotFound) => return Err(ApiError::not_found("article")),
        Err(other) => return Err(other.into()),
    };
    Ok(axum::Json(HelpArticle {
        id: article.id,
        title: article.title,
        body: article.body,
        category_id: article.category_id,
        tags: article.tags,
        language: article.language,
        published_at: article.published_at,
        updated_at: article.updated_at,
    }))
}

fn help_faq(faq: kefu_store::Faq) -> HelpFaq {
    HelpFaq {
        id: faq.id,
        question: faq.question,
        answer: faq.answer,
        category_id: faq.category_id,
        language: faq.language,
    }
}

/// Published FAQs, oldest first (at most 200), of a category when one is given.
#[utoipa::path(get, path = "/api/v1/help/{tenant_slug}/faqs", tag = "help", security(()),
    params(("tenant_slug" = String, Path), HelpFaqQuery),
    responses((status = 200, body = HelpFaqList), (status = 404, body = ErrorBody)))]
pub async fn help_faqs(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<HelpFaqQuery>,
) -> ApiResult<axum::Json<HelpFaqList>> {
    let (tenant_id, _, _) = tenant_of(&state, &slug).await?;
    let filter = FaqFilter {
        category_id: query.category_id,
        status: Some(FaqStatus::Published),
        query: None,
    };
    let page = state
        .store()
        .list_faqs(tenant_id, &filter, None, MAX_LISTED)
        .await?;
    Ok(axum::Json(HelpFaqList {
        items: page.items.into_iter().map(help_faq).collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/help/{tenant_slug}/faqs/{id}", tag = "help", security(()),
    params(("tenant_slug" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = HelpFaq),
        (status = 404, description = "`help_center_not_found`, `faq_not_found` (also for drafts)", body = ErrorBody)))]
pub async fn help_faq_by_id(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, Uuid)>,
) -> ApiResult<axum::Json<HelpFaq>> {
    let (tenant_id, _, _) = tenant_of(&state, &slug).await?;
    match state.store().faq(tenant_id, id).await {
        Ok(faq) if faq.status == FaqStatus::Published => Ok(axum::Json(help_faq(faq))),
        Ok(_) | Err(StoreError::NotFound) => Err(ApiError::not_found("faq")),
        Err(other) => Err(other.into()),
    }
}

/// Published articles and FAQs of the tenant for a query, best first, with highlighted
/// snippets. Limited per client address.
#[utoipa::path(get, path = "/api/v1/help/{tenant_slug}/search", tag = "help", security(()),
    params(("tenant_slug" = String, Path), KbSearchQuery),
    responses((status = 200, body = KbSearchResponse),
        (status = 400, description = "`empty_query`, `invalid_query`, `invalid_limit`", body = ErrorBody),
        (status = 404, description = "`help_center_not_found`", body = ErrorBody),
        (status = 429, description = "`rate_limited`, with Retry-After", body = ErrorBody)))]
pub async fn help_search(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    Query(query): Query<KbSearchQuery>,
) -> ApiResult<axum::Json<KbSearchResponse>> {
    let key = ip.unwrap_or_else(|| "unknown".into());
    let now = Instant::now();
    state
        .help_searches()
        .check(&key, now)
        .map_err(ApiError::too_many_requests)?;
    state.help_searches().hit(&key, now);
    let (tenant_id, _, _) = tenant_of(&state, &slug).await?;
    Ok(axum::Json(
        super::kb_search::run(&state, tenant_id, &query, false).await?,
    ))
}
