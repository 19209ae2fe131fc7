//! Full-text search over the knowledge base for agents (`/api/v1/kb/search`), and the hit
//! shape it shares with the public help center: plain text plus matched character ranges.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use crate::state::AppState;
use axum::extract::State;
use kefu_core::{Role, Scope};
use kefu_knowledge::fulltext::{self, DocKind, Highlighted, SearchHit, SearchRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

const DEFAULT_LIMIT: usize = 10;

/// Text to show as text, never as HTML: `highlights` are `[start, end)` ranges in Unicode code
/// points (not bytes, not UTF-16 units) of the parts the query matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct HighlightedText {
    pub text: String,
    #[schema(example = json!([[2, 4]]))]
    pub highlights: Vec<[usize; 2]>,
}

impl From<Highlighted> for HighlightedText {
    fn from(h: Highlighted) -> Self {
        HighlightedText {
            text: h.text,
            highlights: h.ranges,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KbSearchHit {
    /// `article` or `faq`.
    #[schema(example = "article")]
    pub kind: String,
    pub id: Uuid,
    /// An article's title or an FAQ's standard question.
    pub title: HighlightedText,
    /// The best passage of the body or answer (or of a similar question when only that matched).
    pub snippet: HighlightedText,
    /// Relevance (BM25); only comparable within one response.
    pub score: f32,
    pub language: Option<String>,
    pub category_id: Option<Uuid>,
    /// `published` or `draft` (drafts reach editors only).
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KbSearchResponse {
    /// Best first.
    pub hits: Vec<KbSearchHit>,
}

impl KbSearchResponse {
    pub fn from_hits(hits: Vec<SearchHit>) -> Self {
        KbSearchResponse {
            hits: hits
                .into_iter()
                .filter_map(|hit| {
                    Some(KbSearchHit {
                        kind: hit.kind.as_str().to_owned(),
                        id: hit.id.parse().ok()?,
                        title: hit.title.into(),
                        snippet: hit.snippet.into(),
                        score: hit.score,
                        language: hit.language,
                        category_id: hit.category_id.and_then(|c| c.parse().ok()),
                        status: if hit.published { "published" } else { "draft" }.to_owned(),
                    })
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct KbSearchQuery {
    /// Words in Chinese, English or both; at most 200 characters are used.
    pub q: Option<String>,
    /// `zh-CN` or `en`: only content in that language (and FAQs without one).
    pub lang: Option<String>,
    /// `article` or `faq`.
    pub kind: Option<String>,
    /// 1–50, default 10.
    pub limit: Option<usize>,
}

/// Checks a search's parameters: the query text, language, kind and limit.
pub fn checked_request(
    query: &KbSearchQuery,
) -> ApiResult<(String, Option<String>, Option<DocKind>, usize)> {
    let text = query.q.as_deref().unwrap_or("").trim().to_owned();
    if text.is_empty() {
        return Err(ApiError::bad_request("empty_query", "q must not be empty"));
    }
    let language = match query.lang.as_deref().filter(|l| !l.is_empty()) {
        None => None,
        Some(l) if super::articles::LANGUAGES.contains(&l) => Some(l.to_owned()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "lang is zh-CN or en",
            ));
        }
    };
    let kind = match query.kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some("article") => Some(DocKind::Article),
        Some("faq") => Some(DocKind::Faq),
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "kind is article or faq",
            ));
        }
    };
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=fulltext::MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit is between 1 and {}", fulltext::MAX_LIMIT),
        ));
    }
    Ok((text, language, kind, limit))
}

/// Runs a search on the tenant's index off the async runtime.
pub async fn run(
    state: &AppState,
    tenant_id: Uuid,
    query: &KbSearchQuery,
    include_drafts: bool,
) -> ApiResult<KbSearchResponse> {
    let (text, language, kind, limit) = checked_request(query)?;
    let index = state.search().index(tenant_id).await?;
    let hits = tokio::task::spawn_blocking(move || {
        index.search(&SearchRequest {
            query: &text,
            language: language.as_deref(),
            include_drafts,
            kind,
            limit,
        })
    })
    .await
    .map_err(crate::search::SearchError::from)?
    .map_err(crate::search::SearchError::from)?;
    Ok(KbSearchResponse::from_hits(hits))
}

/// Ranked articles and FAQs for a query, with highlighted snippets. Agents see published
/// content; editors (supervisors and up, or `kb:write`) drafts too.
#[utoipa::path(get, path = "/api/v1/kb/search", tag = "knowledge", params(KbSearchQuery),
    responses((status = 200, body = KbSearchResponse),
        (status = 400, description = "`empty_query`, `invalid_query`, `invalid_limit`", body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<KbSearchQuery>,
) -> ApiResult<axum::Json<KbSearchResponse>> {
    principal.require(Role::Agent, Scope::KbRead)?;
    let editor = principal.require(Role::Supervisor, Scope::KbWrite).is_ok();
    Ok(axum::Json(
        run(&state, principal.tenant_id, &query, editor).await?,
    ))
}
