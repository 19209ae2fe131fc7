//! One tenant's full-text index over help articles and FAQs (question, similar questions,
//! answer), built on tantivy in RAM: ranked search with highlighted plain-text snippets.
//!
//! RAM, not disk: a tenant's knowledge base is small next to its database, and rebuilding it at
//! start (or when its vocabulary changes, which changes the tokenizer) keeps one source of truth.
//! An index has at most one `IndexWriter` at a time, opened for a batch of changes and dropped
//! after the batch's single commit, so idle tenants hold no writer memory or thread.

mod analysis;
mod plain;

pub use analysis::{Analysis, KbTokenizer};
pub use plain::markdown_to_plain;

use crate::text::VocabEntry;
use serde::Serialize;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

const TOKENIZER: &str = "kefu";
/// The writer's memory budget: tantivy's minimum; a help center's batch is far below it.
const WRITER_BUDGET: usize = 15_000_000;
/// The most hits one search returns.
pub const MAX_LIMIT: usize = 50;
/// Longer queries are cut here (in characters) rather than refused.
pub const MAX_QUERY_CHARS: usize = 200;
/// The snippet's span, in bytes of the text (tantivy counts bytes): about 60 Han characters or
/// 180 Latin ones.
const SNIPPET_BYTES: usize = 180;

/// The language value of documents written for any reader (FAQs without a language).
const ANY_LANGUAGE: &str = "*";

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Article,
    Faq,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Article => "article",
            DocKind::Faq => "faq",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [DocKind::Article, DocKind::Faq]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A document to index: an article, or an FAQ (title = the standard question).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexDoc {
    pub kind: DocKind,
    pub id: String,
    pub title: String,
    /// An FAQ's similar questions.
    pub alternates: Vec<String>,
    /// Markdown; indexed and shown as plain text.
    pub body: String,
    pub tags: Vec<String>,
    pub language: Option<String>,
    pub category_id: Option<String>,
    pub published: bool,
}

/// One change to apply.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexChange {
    /// Adds the document, replacing the one with the same kind and id.
    Upsert(IndexDoc),
    Remove {
        kind: DocKind,
        id: String,
    },
}

/// What to look for.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest<'a> {
    pub query: &'a str,
    /// Only documents in this language (and those written for any language).
    pub language: Option<&'a str>,
    /// Drafts too (editors); everyone else sees published documents only.
    pub include_drafts: bool,
    /// Only this kind.
    pub kind: Option<DocKind>,
    /// At most [`MAX_LIMIT`].
    pub limit: usize,
}

/// Plain text with the ranges a query matched, in characters (Unicode scalar values), so a
/// client can wrap them without parsing markup; overlapping matches are merged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Highlighted {
    pub text: String,
    pub ranges: Vec<[usize; 2]>,
}

/// One ranked result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub kind: DocKind,
    pub id: String,
    pub title: Highlighted,
    /// The best passage of the body (or of a similar question, when only that matched).
    pub snippet: Highlighted,
    pub score: f32,
    pub language: Option<String>,
    pub category_id: Option<String>,
    pub published: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("full-text index: {0}")]
pub struct IndexError(#[from] tantivy::TantivyError);

impl IndexError {
    /// Stable code for clients.
    pub fn code(&self) -> &'static str {
        "search_index_error"
    }
}

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    kind: Field,
    id: Field,
    status: Field,
    language: Field,
    category: Field,
    title: Field,
    alternates: Field,
    body: Field,
    tags: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    // Ranking needs term frequencies, never positions (no phrase queries): half the postings.
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqs);
    let text = TextOptions::default().set_indexing_options(indexing.clone());
    let stored_text = text.clone().set_stored();
    let fields = Fields {
        key: builder.add_text_field("key", STRING),
        kind: builder.add_text_field("kind", STRING | STORED),
        id: builder.add_text_field("id", STRING | STORED),
        status: builder.add_text_field("status", STRING | STORED),
        language: builder.add_text_field("language", STRING | STORED),
        category: builder.add_text_field("category", STRING | STORED),
        title: builder.add_text_field("title", stored_text.clone()),
        alternates: builder.add_text_field("alternates", stored_text.clone()),
        body: builder.add_text_field("body", stored_text),
        tags: builder.add_text_field("tags", text),
    };
    (builder.build(), fields)
}

fn key(kind: DocKind, id: &str) -> String {
    format!("{}:{id}", kind.as_str())
}

/// One tenant's index. `Send + Sync`; searches run concurrently with a batch being applied.
pub struct FullTextIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    analysis: Arc<Analysis>,
    /// Held while a batch is written: tantivy allows one writer per index.
    writing: Mutex<()>,
}

impl std::fmt::Debug for FullTextIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FullTextIndex")
            .field("docs", &self.reader.searcher().num_docs())
            .finish()
    }
}

impl FullTextIndex {
    /// A new index of `docs` analysed with the tenant's vocabulary, committed once.
    pub fn build(
        vocabulary: &[VocabEntry],
        docs: impl IntoIterator<Item = IndexDoc>,
    ) -> Result<Self, IndexError> {
        let (schema, fields) = schema();
        let index = Index::create_in_ram(schema);
        let analysis = Arc::new(Analysis::new(vocabulary));
        index
            .tokenizers()
            .register(TOKENIZER, KbTokenizer::new(analysis.clone()));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let built = FullTextIndex {
            index,
            reader,
            fields,
            analysis,
            writing: Mutex::new(()),
        };
        built.apply(docs.into_iter().map(IndexChange::Upsert))?;
        Ok(built)
    }

    /// Applies the changes in one commit; searches see all of them or none.
    pub fn apply(&self, changes: impl IntoIterator<Item = IndexChange>) -> Result<(), IndexError> {
        let _writing = self
            .writing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut writer: IndexWriter<TantivyDocument> =
            self.index.writer_with_num_threads(1, WRITER_BUDGET)?;
        for change in changes {
            match change {
                IndexChange::Upsert(doc) => {
                    writer.delete_term(Term::from_field_text(
                        self.fields.key,
                        &key(doc.kind, &doc.id),
                    ));
                    writer.add_document(self.document(&doc))?;
                }
                IndexChange::Remove { kind, id } => {
                    writer.delete_term(Term::from_field_text(self.fields.key, &key(kind, &id)));
                }
            }
        }
        writer.commit()?;
        // Merges run on the writer's threads; waiting keeps them from outliving the batch.
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Documents searchable now.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, doc: &IndexDoc) -> TantivyDocument {
        let f = self.fields;
        let mut out = TantivyDocument::default();
        out.add_text(f.key, key(doc.kind, &doc.id));
        out.add_text(f.kind, doc.kind.as_str());
        out.add_text(f.id, &doc.id);
        out.add_text(f.status, if doc.published { "published" } else { "draft" });
        out.add_text(f.language, doc.language.as_deref().unwrap_or(ANY_LANGUAGE));
        out.add_text(f.category, doc.category_id.as_deref().unwrap_or(""));
        out.add_text(f.title, &doc.title);
        out.add_text(f.alternates, doc.alternates.join("\n"));
        out.add_text(f.body, markdown_to_plain(&doc.body));
        out.add_text(f.tags, doc.tags.join("\n"));
        out
    }

    fn text_query(&self, query: &str) -> Option<BooleanQuery> {
        let f = self.fields;
        let terms = self.analysis.query_terms(query);
        if terms.is_empty() {
            return None;
        }
        // A match in the title says most about a document, then its other questions, its tags,
        // and last its body, where any word may appear in passing.
        let weighted = [
            (f.title, 3.0),
            (f.alternates, 2.0),
            (f.tags, 1.5),
            (f.body, 1.0),
        ];
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in &terms {
            for (field, boost) in weighted {
                let query = TermQuery::new(
                    Term::from_field_text(field, term),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), boost)),
                ));
            }
        }
        Some(BooleanQuery::new(clauses))
    }

    fn exact(&self, field: Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        ))
    }

    /// The best matches, best first. A blank query (or one of only punctuation) finds nothing.
    pub fn search(&self, request: &SearchRequest<'_>) -> Result<Vec<SearchHit>, IndexError> {
        let text: String = request.query.chars().take(MAX_QUERY_CHARS).collect();
        // Built twice: once to search inside the filters, once alone for the snippets, which
        // must look for the query's words and not for the filters' values.
        let (Some(words), Some(for_snippets)) = (self.text_query(&text), self.text_query(&text))
        else {
            return Ok(Vec::new());
        };
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(words))];
        if !request.include_drafts {
            clauses.push((Occur::Must, self.exact(f.status, "published")));
        }
        if let Some(kind) = request.kind {
            clauses.push((Occur::Must, self.exact(f.kind, kind.as_str())));
        }
        if let Some(language) = request.language {
            let either = BooleanQuery::new(vec![
                (Occur::Should, self.exact(f.language, language)),
                (Occur::Should, self.exact(f.language, ANY_LANGUAGE)),
            ]);
            clauses.push((Occur::Must, Box::new(either)));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let limit = request.limit.clamp(1, MAX_LIMIT);
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        if top.is_empty() {
            return Ok(Vec::new());
        }
        let snippets = |field| -> Result<SnippetGenerator, IndexError> {
            let mut generator = SnippetGenerator::create(&searcher, &for_snippets, field)?;
            generator.set_max_num_chars(SNIPPET_BYTES);
            Ok(generator)
        };
        let (titles, bodies, alternates) = (
            snippets(f.title)?,
            snippets(f.body)?,
            snippets(f.alternates)?,
        );
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let get = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned()
            };
            let Some(kind) = DocKind::parse(&get(f.kind)) else {
                continue;
            };
            let title = get(f.title);
            let title_snippet = titles.snippet(&title);
            let body = get(f.body);
            let best = bodies.snippet(&body);
            let mut snippet = highlighted(best.fragment(), best.highlighted());
            if snippet.ranges.is_empty() {
                let other = alternates.snippet(&get(f.alternates));
                if !other.highlighted().is_empty() {
                    snippet = highlighted(other.fragment(), other.highlighted());
                } else {
                    snippet = Highlighted {
                        text: lead(&body),
                        ranges: Vec::new(),
                    };
                }
            }
            let language = get(f.language);
            let category = get(f.category);
            hits.push(SearchHit {
                kind,
                id: get(f.id),
                title: if title_snippet.highlighted().is_empty() {
                    Highlighted {
                        text: title,
                        ranges: Vec::new(),
                    }
                } else {
                    // The whole title, not its best fragment: titles are short.
                    highlighted_in(
                        &title,
                        title_snippet.fragment_range().start,
                        title_snippet.highlighted(),
                    )
                },
                snippet,
                score,
                language: (language != ANY_LANGUAGE).then_some(language),
                category_id: (!category.is_empty()).then_some(category),
                published: get(f.status) == "published",
            });
        }
        Ok(hits)
    }
}

/// The opening of a text, for a hit whose body did not match.
fn lead(text: &str) -> String {
    let mut end = text.len().min(SNIPPET_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].trim_end().to_owned()
}

fn highlighted(fragment: &str, ranges: &[Range<usize>]) -> Highlighted {
    highlighted_in(fragment, 0, ranges)
}

/// `ranges` are byte ranges relative to `offset` in `text`; the result counts characters.
fn highlighted_in(text: &str, offset: usize, ranges: &[Range<usize>]) -> Highlighted {
    let mut spans: Vec<Range<usize>> = ranges
        .iter()
        .map(|r| r.start + offset..r.end + offset)
        .filter(|r| {
            r.start < r.end
                && text.is_char_boundary(r.start)
                && text.is_char_boundary(r.end.min(text.len()))
        })
        .collect();
    spans.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    let chars_before = |byte: usize| {
        text.get(..byte.min(text.len()))
            .map_or(0, |s| s.chars().count())
    };
    Highlighted {
        text: text.to_owned(),
        ranges: merged
            .into_iter()
            .map(|r| [chars_before(r.start), chars_before(r.end)])
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn article(id: &str, title: &str, body: &str, language: &str, published: bool) -> IndexDoc {
        IndexDoc {
            kind: DocKind::Article,
            id: id.into(),
            title: title.into(),
            alternates: vec![],
            body: body.into(),
            tags: vec![],
            language: Some(language.into()),
            category_id: None,
            published,
        }
    }

    fn faq(id: &str, question: &str, similar: &[&str], answer: &str) -> IndexDoc {
        IndexDoc {
            kind: DocKind::Faq,
            id: id.into(),
            title: question.into(),
            alternates: similar.iter().map(|s| s.to_string()).collect(),
            body: answer.into(),
            tags: vec![],
            language: None,
            category_id: None,
            published: true,
        }
    }

    fn request(query: &str) -> SearchRequest<'_> {
        SearchRequest {
            query,
            language: None,
            include_drafts: false,
            kind: None,
            limit: 10,
        }
    }

    fn ids(hits: &[SearchHit]) -> Vec<&str> {
        hits.iter().map(|h| h.id.as_str()).collect()
    }

    fn marked(h: &Highlighted) -> Vec<String> {
        let chars: Vec<char> = h.text.chars().collect();
        h.ranges
            .iter()
            .map(|[a, b]| chars[*a..*b].iter().collect())
            .collect()
    }

    fn demo() -> FullTextIndex {
        FullTextIndex::build(
            &[VocabEntry {
                term: "快递".into(),
                synonyms: vec!["物流".into(), "parcel".into()],
            }],
            [
                article(
                    "a1",
                    "如何申请退货",
                    "## 步骤\n在 **我的订单** 里点击申请退货，七天内可退。",
                    "zh-CN",
                    true,
                ),
                article(
                    "a2",
                    "Refund policy",
                    "Refunds are returned to the original payment method within 5 days.",
                    "en",
                    true,
                ),
                article("a3", "草稿：退货新规", "还没写完的退货说明", "zh-CN", false),
                faq("f1", "快递多久能到", &["几天到货"], "一般 **3** 天内送达。"),
                faq(
                    "f2",
                    "How do I change my address?",
                    &["update shipping address"],
                    "Open your profile and edit the address.",
                ),
            ],
        )
        .unwrap()
    }

    #[test]
    fn chinese_queries_find_words_bigrams_and_synonyms() {
        let index = demo();
        let hits = index.search(&request("退货")).unwrap();
        assert_eq!(ids(&hits), ["a1"], "drafts are left out");
        assert_eq!(marked(&hits[0].title), ["退货"]);
        assert_eq!(marked(&hits[0].snippet), ["退货"]);
        assert!(
            !hits[0].snippet.text.contains("**"),
            "markdown is plain: {}",
            hits[0].snippet.text
        );
        // "请退" is no word, yet a bigram of the title.
        assert_eq!(ids(&index.search(&request("请退")).unwrap()), ["a1"]);
        let synonyms = index.search(&request("物流要几天")).unwrap();
        assert_eq!(ids(&synonyms)[0], "f1", "物流 means 快递");
        assert_eq!(marked(&synonyms[0].title), ["快递"]);
    }

    #[test]
    fn english_is_stemmed_and_languages_mix() {
        let index = demo();
        assert_eq!(ids(&index.search(&request("refunding")).unwrap()), ["a2"]);
        let mixed = index.search(&request("parcel 到货")).unwrap();
        assert_eq!(ids(&mixed), ["f1"]);
        let similar = index.search(&request("shipping address")).unwrap();
        assert_eq!(ids(&similar), ["f2"]);
        let language = SearchRequest {
            language: Some("en"),
            ..request("退货 refund")
        };
        assert_eq!(ids(&index.search(&language).unwrap()), ["a2"]);
    }

    #[test]
    fn drafts_are_for_editors_and_changes_replace_documents() {
        let index = demo();
        let editors = SearchRequest {
            include_drafts: true,
            ..request("退货")
        };
        let mut found = ids(&index.search(&editors).unwrap())
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        found.sort();
        assert_eq!(found, ["a1", "a3"]);
        index
            .apply([
                IndexChange::Upsert(article("a3", "退货新规", "已发布的退货说明", "zh-CN", true)),
                IndexChange::Remove {
                    kind: DocKind::Article,
                    id: "a1".into(),
                },
            ])
            .unwrap();
        assert_eq!(ids(&index.search(&request("退货")).unwrap()), ["a3"]);
        assert_eq!(index.len(), 4);
        assert!(index.search(&request("  ，。!! ")).unwrap().is_empty());
    }

    #[test]
    fn ranges_count_characters_and_merge() {
        let h = highlighted_in("ab退货cd", 0, &[2..5, 2..8, 9..10]);
        assert_eq!(h.ranges, [[2, 4], [5, 6]]);
        let shifted = highlighted_in("退货cd", 3, std::slice::from_ref(&(0..3)));
        assert_eq!(shifted.ranges, [[1, 2]]);
    }
}
