//! The knowledge base over HTTP: FAQs, categories, vocabulary, revisions, the bot's settings,
//! CSV/JSONL import and export, and `match` (agent assist and "try the bot").

use super::{ListResponse, check_limit, decode_cursor};
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kefu_core::{Role, Scope, ValidationErrors};
use kefu_knowledge::exchange::{self, FaqRecord, FileFormat, Problem};
use kefu_knowledge::{BotSettings, Decision, HandoffReason, KnowledgeError, Match};
use kefu_store::{
    Faq, FaqFilter, FaqPatch, FaqRevision, FaqStatus, ImportFaq, ImportOutcome, KbCategory,
    KbCategoryPatch, NewFaq, NewKbCategory, NewVocabularyTerm, VocabularyTerm,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Largest import file accepted, in bytes.
pub const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;
/// Most matches one `match` call returns.
const MAX_MATCHES: usize = 20;
const MAX_TERM_CHARS: usize = 50;
const MAX_SYNONYMS: usize = 50;

fn read(principal: &Principal) -> ApiResult<()> {
    principal.require(Role::Agent, Scope::KbRead)
}

fn write(principal: &Principal) -> ApiResult<()> {
    principal.require(Role::Supervisor, Scope::KbWrite)
}

fn invalid(problems: Vec<Problem>) -> ApiResult<()> {
    let mut errors = ValidationErrors::new();
    for p in problems {
        errors.push(p.field, p.code, p.message);
    }
    errors.into_result().map_err(ApiError::from)
}

// ---- FAQs ----

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListFaqs {
    /// FAQs of this category and its subcategories.
    pub category_id: Option<Uuid>,
    /// `draft` or `published`.
    pub status: Option<String>,
    /// A part of the standard question, a similar question or the answer.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFaq {
    /// The standard question, unique in the tenant; at most 500 characters.
    #[schema(example = "怎么申请退货")]
    pub question: String,
    /// Other ways customers ask it (at most 200, each at most 500 characters).
    #[serde(default)]
    pub similar_questions: Vec<String>,
    /// Markdown, at most 10,000 characters.
    pub answer: String,
    pub category_id: Option<Uuid>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// A language tag such as `zh-CN` or `en`.
    pub language: Option<String>,
    /// `published` (the default) reaches the bot; `draft` does not.
    pub status: Option<FaqStatus>,
    /// Channel kind (`web`, `app`, `email`, `wechat`, …) → the answer given on that channel.
    #[serde(default)]
    pub variants: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFaq {
    pub question: Option<String>,
    /// Replaces the whole list.
    pub similar_questions: Option<Vec<String>>,
    pub answer: Option<String>,
    /// `null` takes the FAQ out of its category.
    #[serde(default, deserialize_with = "crate::extract::present_or_null")]
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Option<Option<Uuid>>,
    pub tags: Option<Vec<String>>,
    /// `null` clears the language.
    #[serde(default, deserialize_with = "crate::extract::present_or_null")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<String>>,
    pub status: Option<FaqStatus>,
    /// Replaces every variant.
    pub variants: Option<BTreeMap<String, String>>,
}

/// Checks and normalises an FAQ's fields with the same rules as an import line.
fn checked(mut record: FaqRecord) -> ApiResult<FaqRecord> {
    invalid(record.normalize_and_check())?;
    Ok(record)
}

#[utoipa::path(get, path = "/api/v1/kb/faqs", tag = "knowledge", params(ListFaqs),
    responses((status = 200, description = "oldest first", body = ListResponse<Faq>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_faqs(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<ListFaqs>,
) -> ApiResult<axum::Json<ListResponse<Faq>>> {
    read(&principal)?;
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(name) => Some(FaqStatus::parse(name).ok_or_else(|| {
            ApiError::bad_request("invalid_query", "status is draft or published")
        })?),
    };
    let filter = FaqFilter {
        category_id: query.category_id,
        status,
        query: query.q,
    };
    let page = state
        .store()
        .list_faqs(
            principal.tenant_id,
            &filter,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await?;
    Ok(axum::Json(page.into()))
}

#[utoipa::path(post, path = "/api/v1/kb/faqs", tag = "knowledge", request_body = CreateFaq,
    responses((status = 201, body = Faq), (status = 403, body = ErrorBody),
        (status = 409, description = "`duplicate_question`", body = ErrorBody),
        (status = 422, description = "`required`, `too_long`, `too_many`, `invalid_tag`, `invalid_language`, `invalid_channel`, `unknown_category`", body = ErrorBody)))]
pub async fn create_faq(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateFaq>,
) -> ApiResult<(StatusCode, axum::Json<Faq>)> {
    write(&principal)?;
    let record = checked(FaqRecord {
        question: req.question,
        answer: req.answer,
        category: None,
        similar_questions: req.similar_questions,
        tags: req.tags,
        language: req.language,
        status: None,
        variants: req.variants,
    })?;
    let faq = state
        .store()
        .create_faq(
            principal.tenant_id,
            NewFaq {
                question: record.question,
                similar_questions: record.similar_questions,
                answer: record.answer,
                category_id: req.category_id,
                tags: record.tags,
                language: record.language,
                status: req.status.unwrap_or(FaqStatus::Published),
                variants: record.variants,
            },
            &principal.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(faq)))
}

#[utoipa::path(get, path = "/api/v1/kb/faqs/{id}", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 200, body = Faq), (status = 404, description = "`faq_not_found`", body = ErrorBody)))]
pub async fn get_faq(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Faq>> {
    read(&principal)?;
    Ok(axum::Json(
        state
            .store()
            .faq(principal.tenant_id, id)
            .await
            .map_err(ApiError::from_store("faq"))?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/kb/faqs/{id}", tag = "knowledge", params(("id" = Uuid, Path)), request_body = UpdateFaq,
    responses((status = 200, body = Faq), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`duplicate_question`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_faq(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateFaq>,
) -> ApiResult<axum::Json<Faq>> {
    write(&principal)?;
    let current = state
        .store()
        .faq(principal.tenant_id, id)
        .await
        .map_err(ApiError::from_store("faq"))?;
    // The merged FAQ is checked as a whole, as if it were new.
    let record = checked(FaqRecord {
        question: req.question.unwrap_or(current.question),
        answer: req.answer.unwrap_or(current.answer),
        category: None,
        similar_questions: req.similar_questions.unwrap_or(current.similar_questions),
        tags: req.tags.unwrap_or(current.tags),
        language: req.language.unwrap_or(current.language),
        status: None,
        variants: req.variants.unwrap_or(current.variants),
    })?;
    let patch = FaqPatch {
        question: Some(record.question),
        similar_questions: Some(record.similar_questions),
        answer: Some(record.answer),
        category_id: req.category_id,
        tags: Some(record.tags),
        language: Some(record.language),
        status: req.status,
        variants: Some(record.variants),
    };
    Ok(axum::Json(
        state
            .store()
            .update_faq(principal.tenant_id, id, patch, &principal.actor())
            .await
            .map_err(ApiError::from_store("faq"))?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/kb/faqs/{id}", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted; its revision history stays"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_faq(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    write(&principal)?;
    state
        .store()
        .delete_faq(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("faq"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who changed the FAQ, when, and what it looked like after (before, for a deletion).
#[utoipa::path(get, path = "/api/v1/kb/faqs/{id}/revisions", tag = "knowledge", params(("id" = Uuid, Path), super::PageQuery),
    responses((status = 200, description = "newest first", body = ListResponse<FaqRevision>), (status = 404, body = ErrorBody)))]
pub async fn faq_revisions(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Query(query): Query<super::PageQuery>,
) -> ApiResult<axum::Json<ListResponse<FaqRevision>>> {
    read(&principal)?;
    let page = state
        .store()
        .faq_revisions(
            principal.tenant_id,
            id,
            decode_cursor(query.cursor.as_deref())?,
            check_limit(query.limit)?,
        )
        .await
        .map_err(ApiError::from_store("faq"))?;
    Ok(axum::Json(page.into()))
}

// ---- categories ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategory {
    /// At most 100 characters, without `/` (paths in import files use it).
    #[schema(example = "退换货")]
    pub name: String,
    /// The parent category; absent for a top-level one.
    pub parent_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCategory {
    pub name: Option<String>,
    /// `null` moves it to the top level.
    #[serde(default, deserialize_with = "crate::extract::present_or_null")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
}

fn checked_category_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    let mut errors = ValidationErrors::new();
    kefu_core::error::check_text(&mut errors, "name", name, exchange::MAX_CATEGORY_CHARS);
    if name.contains('/') {
        errors.push("name", "invalid_category", "a category name has no /");
    }
    errors.into_result()?;
    Ok(name.to_owned())
}

#[utoipa::path(get, path = "/api/v1/kb/categories", tag = "knowledge",
    responses((status = 200, description = "every category, oldest first; build the tree with `parent_id`", body = [KbCategory])))]
pub async fn list_categories(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<Vec<KbCategory>>> {
    read(&principal)?;
    Ok(axum::Json(
        state.store().kb_categories(principal.tenant_id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/kb/categories", tag = "knowledge", request_body = CreateCategory,
    responses((status = 201, body = KbCategory), (status = 409, description = "`duplicate_category`", body = ErrorBody),
        (status = 422, description = "`required`, `too_long`, `invalid_category`, `unknown_category`", body = ErrorBody)))]
pub async fn create_category(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<CreateCategory>,
) -> ApiResult<(StatusCode, axum::Json<KbCategory>)> {
    write(&principal)?;
    let name = checked_category_name(&req.name)?;
    let category = state
        .store()
        .create_kb_category(
            principal.tenant_id,
            NewKbCategory {
                parent_id: req.parent_id,
                name,
            },
            &principal.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(category)))
}

#[utoipa::path(patch, path = "/api/v1/kb/categories/{id}", tag = "knowledge", params(("id" = Uuid, Path)), request_body = UpdateCategory,
    responses((status = 200, body = KbCategory), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "also `category_cycle`", body = ErrorBody)))]
pub async fn update_category(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<UpdateCategory>,
) -> ApiResult<axum::Json<KbCategory>> {
    write(&principal)?;
    let name = req.name.as_deref().map(checked_category_name).transpose()?;
    Ok(axum::Json(
        state
            .store()
            .update_kb_category(
                principal.tenant_id,
                id,
                KbCategoryPatch {
                    parent_id: req.parent_id,
                    name,
                },
                &principal.actor(),
            )
            .await
            .map_err(ApiError::from_store("category"))?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/kb/categories/{id}", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody),
        (status = 409, description = "`category_not_empty`: it has subcategories or FAQs", body = ErrorBody)))]
pub async fn delete_category(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    write(&principal)?;
    state
        .store()
        .delete_kb_category(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("category"))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- vocabulary ----

/// A domain term and its synonyms; the matcher reads them all as the term.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VocabularyBody {
    #[schema(example = "快递")]
    pub term: String,
    #[serde(default)]
    #[schema(example = json!(["包裹", "parcel"]))]
    pub synonyms: Vec<String>,
    pub language: Option<String>,
}

fn checked_term(req: VocabularyBody) -> ApiResult<NewVocabularyTerm> {
    let mut errors = ValidationErrors::new();
    let term = req.term.trim().to_owned();
    kefu_core::error::check_text(&mut errors, "term", &term, MAX_TERM_CHARS);
    let mut synonyms: Vec<String> = Vec::new();
    for s in req.synonyms {
        let s = s.trim().to_owned();
        if !s.is_empty() && s != term && !synonyms.contains(&s) {
            synonyms.push(s);
        }
    }
    if synonyms.len() > MAX_SYNONYMS {
        errors.push(
            "synonyms",
            "too_many",
            format!("at most {MAX_SYNONYMS} synonyms"),
        );
    }
    if synonyms.iter().any(|s| s.chars().count() > MAX_TERM_CHARS) {
        errors.push(
            "synonyms",
            "too_long",
            format!("a synonym has at most {MAX_TERM_CHARS} characters"),
        );
    }
    let language = match req
        .language
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        None => None,
        Some(raw) => {
            let normalized = kefu_core::agent::normalize_language(raw);
            if normalized.is_none() {
                errors.push(
                    "language",
                    "invalid_language",
                    "not a language tag such as zh-CN or en",
                );
            }
            normalized
        }
    };
    errors.into_result()?;
    Ok(NewVocabularyTerm {
        term,
        synonyms,
        language,
    })
}

#[utoipa::path(get, path = "/api/v1/kb/vocabulary", tag = "knowledge",
    responses((status = 200, description = "every term, oldest first", body = [VocabularyTerm])))]
pub async fn list_vocabulary(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<Vec<VocabularyTerm>>> {
    read(&principal)?;
    Ok(axum::Json(
        state.store().kb_vocabulary(principal.tenant_id).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/kb/vocabulary", tag = "knowledge", request_body = VocabularyBody,
    responses((status = 201, body = VocabularyTerm), (status = 409, description = "`duplicate_term`", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_vocabulary(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<VocabularyBody>,
) -> ApiResult<(StatusCode, axum::Json<VocabularyTerm>)> {
    write(&principal)?;
    let term = state
        .store()
        .create_vocabulary_term(principal.tenant_id, checked_term(req)?, &principal.actor())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(term)))
}

#[utoipa::path(put, path = "/api/v1/kb/vocabulary/{id}", tag = "knowledge", params(("id" = Uuid, Path)), request_body = VocabularyBody,
    responses((status = 200, body = VocabularyTerm), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_vocabulary(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(req): Json<VocabularyBody>,
) -> ApiResult<axum::Json<VocabularyTerm>> {
    write(&principal)?;
    let term = checked_term(req)?;
    Ok(axum::Json(
        state
            .store()
            .update_vocabulary_term(principal.tenant_id, id, term, &principal.actor())
            .await
            .map_err(ApiError::from_store("term"))?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/kb/vocabulary/{id}", tag = "knowledge", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
pub async fn delete_vocabulary(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    write(&principal)?;
    state
        .store()
        .delete_vocabulary_term(principal.tenant_id, id, &principal.actor())
        .await
        .map_err(ApiError::from_store("term"))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- bot settings ----

/// The bot's decision thresholds. τ is `answer_threshold`, δ is `margin`.
#[derive(Debug, Serialize, ToSchema)]
pub struct KbSettings {
    /// Answer when the best match is at least this confident (0–1; default 0.5).
    pub answer_threshold: f32,
    /// When the best two are closer than this, offer choices instead (0–1; default 0.15).
    pub margin: f32,
    /// Choices below this confidence are not offered (0–answer_threshold; default 0.15).
    pub suggest_threshold: f32,
    /// How many times the bot asks to rephrase before handing off (0–10; default 2).
    pub rephrase_attempts: u32,
    /// At most this many "did you mean" choices (2–10; default 3).
    pub max_choices: usize,
    /// Invalid answers in a row to a scenario's question before handing off (1–10; default 2).
    pub slot_attempts: u32,
}

/// New thresholds; absent fields keep their current value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateKbSettings {
    pub answer_threshold: Option<f32>,
    pub margin: Option<f32>,
    pub suggest_threshold: Option<f32>,
    pub rephrase_attempts: Option<u32>,
    pub max_choices: Option<usize>,
    pub slot_attempts: Option<u32>,
}

/// Most rephrasings a tenant may ask for: more only keeps a customer from a person longer.
const MAX_REPHRASE_ATTEMPTS: u32 = 10;

impl From<BotSettings> for KbSettings {
    fn from(s: BotSettings) -> Self {
        KbSettings {
            answer_threshold: s.answer_threshold,
            margin: s.margin,
            suggest_threshold: s.suggest_threshold,
            rephrase_attempts: s.rephrase_attempts,
            max_choices: s.max_choices,
            slot_attempts: s.slot_attempts,
        }
    }
}

/// Names the field that `BotSettings::validate` refused (it says why, not which).
fn settings_errors(s: &BotSettings) -> ValidationErrors {
    let unit = |v: f32| (0.0..=1.0).contains(&v);
    let mut errors = ValidationErrors::new();
    if !unit(s.answer_threshold) {
        errors.push(
            "answer_threshold",
            "out_of_range",
            "must be between 0 and 1",
        );
    }
    if !unit(s.margin) {
        errors.push("margin", "out_of_range", "must be between 0 and 1");
    }
    if !unit(s.suggest_threshold) || s.suggest_threshold > s.answer_threshold {
        errors.push(
            "suggest_threshold",
            "out_of_range",
            "must be between 0 and answer_threshold",
        );
    }
    if !(2..=10).contains(&s.max_choices) {
        errors.push("max_choices", "out_of_range", "must be between 2 and 10");
    }
    if !(1..=10).contains(&s.slot_attempts) {
        errors.push("slot_attempts", "out_of_range", "must be between 1 and 10");
    }
    if s.rephrase_attempts > MAX_REPHRASE_ATTEMPTS {
        errors.push(
            "rephrase_attempts",
            "out_of_range",
            format!("must be at most {MAX_REPHRASE_ATTEMPTS}"),
        );
    }
    if let Err(KnowledgeError::InvalidSettings(message)) = s.validate()
        && errors.is_empty()
    {
        errors.push("settings", "invalid_settings", message);
    }
    errors
}

#[utoipa::path(get, path = "/api/v1/kb/settings", tag = "knowledge",
    responses((status = 200, body = KbSettings)))]
pub async fn get_settings(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<axum::Json<KbSettings>> {
    read(&principal)?;
    let (stored, _) = state.store().kb_bot_settings(principal.tenant_id).await?;
    Ok(axum::Json(crate::knowledge::bot_settings(stored).into()))
}

#[utoipa::path(put, path = "/api/v1/kb/settings", tag = "knowledge", request_body = UpdateKbSettings,
    responses((status = 200, body = KbSettings), (status = 403, body = ErrorBody),
        (status = 422, description = "`out_of_range` with the field in `details.errors`", body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<UpdateKbSettings>,
) -> ApiResult<axum::Json<KbSettings>> {
    write(&principal)?;
    let (stored, _) = state.store().kb_bot_settings(principal.tenant_id).await?;
    let current = crate::knowledge::bot_settings(stored);
    let next = BotSettings {
        answer_threshold: req.answer_threshold.unwrap_or(current.answer_threshold),
        margin: req.margin.unwrap_or(current.margin),
        suggest_threshold: req.suggest_threshold.unwrap_or(current.suggest_threshold),
        rephrase_attempts: req.rephrase_attempts.unwrap_or(current.rephrase_attempts),
        max_choices: req.max_choices.unwrap_or(current.max_choices),
        slot_attempts: req.slot_attempts.unwrap_or(current.slot_attempts),
    };
    settings_errors(&next).into_result()?;
    let json = serde_json::to_value(&next).map_err(|_| ApiError::internal())?;
    state
        .store()
        .set_kb_bot_settings(principal.tenant_id, json, &principal.actor())
        .await?;
    Ok(axum::Json(next.into()))
}

// ---- matching ----

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    /// The customer's question. Blank is refused (400 `empty_question`); longer than 500
    /// characters is cut to 500 (`truncated` says so), not refused.
    #[schema(example = "我的快递到哪了")]
    pub question: String,
    /// The channel kind the answer is for (`web`, `app`, `email`, `wechat`, …): its variant is
    /// returned when the FAQ has one.
    pub channel: Option<String>,
    /// How many ranked matches (1–20, default 5).
    pub limit: Option<usize>,
    /// Messages in a row the bot already asked to rephrase (for the decision; default 0).
    pub failed_attempts: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchItem {
    pub faq_id: Uuid,
    /// The FAQ's standard question.
    pub question: String,
    /// The answer for the channel asked for.
    pub answer: String,
    /// Calibrated confidence in [0, 1].
    pub confidence: f32,
}

/// What the bot would do with this message.
#[derive(Debug, Serialize, ToSchema)]
pub struct BotReply {
    /// `answer`, `did_you_mean`, `rephrase` or `handoff`.
    pub action: &'static str,
    /// The FAQ answered with (`answer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<MatchItem>,
    /// The choices offered (`did_you_mean`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<MatchItem>,
    /// Which rephrasing this is (`rephrase`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// `requested` (the customer asked for a person) or `not_understood` (`handoff`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchResponse {
    /// The question as matched: trimmed, and cut to the limit.
    pub question: String,
    /// True when the question was longer than the limit and was cut.
    pub truncated: bool,
    /// Published FAQs, best first.
    pub matches: Vec<MatchItem>,
    pub reply: BotReply,
}

/// Ranked FAQ matches and the bot's decision for one question: agent assist shows the matches,
/// the admin screen's "try the bot" shows the decision. Uses the tenant's published FAQs as the
/// bot does; an edit is seen by the next call.
#[utoipa::path(post, path = "/api/v1/kb/match", tag = "knowledge", request_body = MatchRequest,
    responses((status = 200, body = MatchResponse),
        (status = 400, description = "`empty_question`: blank question", body = ErrorBody),
        (status = 422, description = "`invalid_limit`", body = ErrorBody)))]
pub async fn match_question(
    State(state): State<AppState>,
    principal: Principal,
    Json(req): Json<MatchRequest>,
) -> ApiResult<axum::Json<MatchResponse>> {
    read(&principal)?;
    let limit = req.limit.unwrap_or(5);
    if !(1..=MAX_MATCHES).contains(&limit) {
        return Err(ValidationErrors::single(
            "limit",
            "invalid_limit",
            format!("limit is between 1 and {MAX_MATCHES}"),
        )
        .into());
    }
    let knowledge = state
        .knowledge()
        .current(state.store(), principal.tenant_id)
        .await?;
    let max_chars = knowledge.base.settings().max_question_chars;
    let question =
        kefu_knowledge::prepare_question(&req.question, max_chars).map_err(knowledge_error)?;
    let truncated = question.chars().count() < req.question.trim().chars().count();
    let channel = req.channel.as_deref().unwrap_or("web");
    let item = |m: &Match| -> Option<MatchItem> {
        Some(MatchItem {
            faq_id: knowledge.faq_id(m.entry)?,
            question: knowledge.base.entry(m.entry)?.question.clone(),
            answer: knowledge.answer_for(m.entry, channel)?.to_owned(),
            confidence: m.confidence,
        })
    };
    // One search serves both the list and the bot's decision (which looks at its top few).
    let considered = kefu_knowledge::reply_matches(&knowledge.settings);
    let mut matches = knowledge
        .base
        .search(&question, limit.max(considered))
        .map_err(knowledge_error)?;
    let decision = kefu_knowledge::decide_matches(
        &knowledge.settings,
        &question,
        matches.iter().take(considered).copied().collect(),
        req.failed_attempts.unwrap_or(0),
    );
    matches.truncate(limit);
    let reply = match &decision {
        Decision::Answer { answer, .. } => BotReply {
            action: decision.action(),
            answer: item(answer),
            choices: Vec::new(),
            attempt: None,
            reason: None,
        },
        Decision::DidYouMean { choices, .. } => BotReply {
            action: decision.action(),
            answer: None,
            choices: choices.iter().filter_map(item).collect(),
            attempt: None,
            reason: None,
        },
        Decision::Rephrase { attempt, .. } => BotReply {
            action: decision.action(),
            answer: None,
            choices: Vec::new(),
            attempt: Some(*attempt),
            reason: None,
        },
        Decision::Handoff { reason, .. } => BotReply {
            action: decision.action(),
            answer: None,
            choices: Vec::new(),
            attempt: None,
            reason: Some(match reason {
                HandoffReason::Requested => "requested",
                HandoffReason::NotUnderstood => "not_understood",
            }),
        },
    };
    Ok(axum::Json(MatchResponse {
        question,
        truncated,
        matches: matches.iter().filter_map(item).collect(),
        reply,
    }))
}

fn knowledge_error(err: KnowledgeError) -> ApiError {
    match err {
        KnowledgeError::EmptyQuestion => {
            ApiError::bad_request("empty_question", "the question is empty")
        }
        other => {
            tracing::error!(error = %other, "matching a question");
            ApiError::internal()
        }
    }
}

// ---- import and export ----

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    /// `csv` (the default) or `jsonl`.
    pub format: Option<String>,
}

fn file_format(query: &FormatQuery) -> ApiResult<FileFormat> {
    match query.format.as_deref() {
        None | Some("") => Ok(FileFormat::Csv),
        Some(name) => FileFormat::parse(name)
            .ok_or_else(|| ApiError::bad_request("invalid_format", "format is csv or jsonl")),
    }
}

/// An FAQ file, as the raw request or response body.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FaqFile(pub Vec<u8>);

/// Creates or updates FAQs from a CSV or JSONL file, all or nothing. An FAQ whose standard
/// question already exists is updated (its fields replaced by the file's); category paths that
/// do not exist are created.
///
/// CSV: a header row, columns in any order: `question` and `answer` (required), `category`
/// (a path of names, `售后/退换货`), `tags` (`|`-separated), `language`, `status`
/// (`published`, the default, or `draft`), `variants` (a JSON object, channel → answer) and
/// `similar_questions`: that column, any further column named `similar_questions` or left
/// unnamed, and any cell beyond the header each hold one similar question. JSONL: one object
/// per line with the same keys, `similar_questions` and `tags` as arrays and `variants` as an
/// object. Every line is checked before anything is written; problems come back as 422
/// `invalid_import` with `details.errors[{line, field, code, message}]` (at most 100).
#[utoipa::path(post, path = "/api/v1/kb/import", tag = "knowledge", params(FormatQuery),
    request_body(description = "The file (UTF-8, at most 20 MiB).", content((FaqFile = "text/csv"), (FaqFile = "application/x-ndjson"))),
    responses((status = 200, body = ImportOutcome),
        (status = 400, description = "`invalid_format`", body = ErrorBody),
        (status = 413, description = "`file_too_large`", body = ErrorBody),
        (status = 422, description = "`invalid_import`: `details.errors[{line, field, code, message}]`; nothing was imported", body = ErrorBody)))]
pub async fn import_faqs(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<FormatQuery>,
    body: Body,
) -> ApiResult<axum::Json<ImportOutcome>> {
    write(&principal)?;
    let format = file_format(&query)?;
    let bytes = axum::body::to_bytes(body, MAX_IMPORT_BYTES)
        .await
        .map_err(|err| {
            let too_large = std::error::Error::source(&err)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            if too_large {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "file_too_large",
                    format!("an import file has at most {MAX_IMPORT_BYTES} bytes"),
                )
                .with_details(serde_json::json!({ "max_bytes": MAX_IMPORT_BYTES }))
            } else {
                ApiError::bad_request("malformed_body", "the body could not be read")
            }
        })?;
    // Parsing and checking thousands of lines is CPU work: off the async runtime.
    let parsed = tokio::task::spawn_blocking(move || exchange::parse_file(format, &bytes))
        .await
        .map_err(|_| ApiError::internal())?;
    let records = parsed.map_err(|problems| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_import",
            format!(
                "{} problem(s) in the file; nothing was imported",
                problems.len()
            ),
        )
        .with_details(serde_json::json!({ "errors": problems }))
    })?;
    let faqs = records
        .into_iter()
        .map(|(_, record)| import_faq(record))
        .collect();
    let outcome = state
        .store()
        .import_faqs(principal.tenant_id, faqs, &principal.actor(), &mut |_| {})
        .await?;
    Ok(axum::Json(outcome))
}

/// A checked file record as the store imports it.
pub fn import_faq(record: FaqRecord) -> ImportFaq {
    ImportFaq {
        category_path: exchange::category_path(record.category.as_deref()),
        status: if record.is_published() {
            FaqStatus::Published
        } else {
            FaqStatus::Draft
        },
        question: record.question,
        similar_questions: record.similar_questions,
        answer: record.answer,
        tags: record.tags,
        language: record.language,
        variants: record.variants,
    }
}

/// Every FAQ (drafts too) as a file that imports back to the same FAQs.
#[utoipa::path(get, path = "/api/v1/kb/export", tag = "knowledge", params(FormatQuery),
    responses((status = 200, description = "The file; see the import for its columns", content((FaqFile = "text/csv"), (FaqFile = "application/x-ndjson"))),
        (status = 400, description = "`invalid_format`", body = ErrorBody)))]
pub async fn export_faqs(
    State(state): State<AppState>,
    principal: Principal,
    Query(query): Query<FormatQuery>,
) -> ApiResult<Response> {
    read(&principal)?;
    let format = file_format(&query)?;
    let faqs = state.store().all_faqs(principal.tenant_id).await?;
    let categories = state.store().kb_categories(principal.tenant_id).await?;
    let text = tokio::task::spawn_blocking(move || export_text(format, &faqs, &categories))
        .await
        .map_err(|_| ApiError::internal())??;
    let name = match format {
        FileFormat::Csv => "attachment; filename=\"faqs.csv\"",
        FileFormat::Jsonl => "attachment; filename=\"faqs.jsonl\"",
    };
    let mut response = text.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static(name));
    Ok(response)
}

/// Category id → its path of names from the top (`售后/退换货`).
fn category_paths(categories: &[KbCategory]) -> HashMap<Uuid, String> {
    let by_id: HashMap<Uuid, &KbCategory> = categories.iter().map(|c| (c.id, c)).collect();
    categories
        .iter()
        .map(|c| {
            let mut names = vec![c.name.as_str()];
            let mut parent = c.parent_id;
            // The store refuses cycles; the bound only guards against a corrupt tree.
            while let Some(p) = parent.and_then(|id| by_id.get(&id))
                && names.len() <= categories.len()
            {
                names.push(p.name.as_str());
                parent = p.parent_id;
            }
            names.reverse();
            (c.id, names.join("/"))
        })
        .collect()
}

pub fn export_text(
    format: FileFormat,
    faqs: &[Faq],
    categories: &[KbCategory],
) -> ApiResult<String> {
    let paths = category_paths(categories);
    let records: Vec<FaqRecord> = faqs
        .iter()
        .map(|faq| FaqRecord {
            question: faq.question.clone(),
            answer: faq.answer.clone(),
            category: faq.category_id.and_then(|id| paths.get(&id).cloned()),
            similar_questions: faq.similar_questions.clone(),
            tags: faq.tags.clone(),
            language: faq.language.clone(),
            status: Some(faq.status.as_str().to_owned()),
            variants: faq.variants.clone(),
        })
        .collect();
    match format {
        FileFormat::Csv => exchange::write_csv(&records).map_err(|err| {
            tracing::error!(%err, "writing the FAQ export");
            ApiError::internal()
        }),
        FileFormat::Jsonl => Ok(exchange::write_jsonl(&records)),
    }
}
