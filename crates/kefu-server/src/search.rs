//! The knowledge base's full-text indexes at run time: one kefu-knowledge `FullTextIndex` per
//! tenant (articles and FAQs, drafts included), and a follower of the event log that keeps it
//! in step with edits.
//!
//! Indexes live in RAM and are built from the database when a tenant first searches (after a
//! restart too), so the database stays the only thing to back up. The build notes the log's
//! position before reading, and the follower replays every `kb.*` event after it: an edit
//! racing the build is applied twice, never lost (applying is idempotent). A vocabulary change
//! or an import rebuilds the tenant's index, since the tokenizer (or most of it) changed.

use kefu_knowledge::VocabEntry;
use kefu_knowledge::fulltext::{DocKind, FullTextIndex, IndexChange, IndexDoc};
use kefu_store::{Article, ArticleStatus, Faq, FaqStatus, Store, StoreError};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use uuid::Uuid;

/// Why a tenant's index could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Index(#[from] kefu_knowledge::fulltext::IndexError),
    #[error("the index build stopped: {0}")]
    Join(#[from] tokio::task::JoinError),
}

impl From<SearchError> for crate::error::ApiError {
    fn from(err: SearchError) -> Self {
        match err {
            SearchError::Store(err) => err.into(),
            other => {
                tracing::error!(err = %other, "full-text search");
                crate::error::ApiError::internal()
            }
        }
    }
}

/// One tenant's index and how far into its log it reflects.
struct Built {
    index: Arc<FullTextIndex>,
    seq: i64,
}

#[derive(Default)]
struct Slot {
    built: RwLock<Option<Arc<FullTextIndex>>>,
    /// Held by whoever builds or updates the index; the cursor is the last event applied.
    updating: tokio::sync::Mutex<Option<i64>>,
}

impl Slot {
    fn get(&self) -> Option<Arc<FullTextIndex>> {
        self.built
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set(&self, index: Arc<FullTextIndex>) {
        *self
            .built
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(index);
    }
}

#[derive(Clone)]
pub struct SearchIndexes {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    slots: Mutex<HashMap<Uuid, Arc<Slot>>>,
    closing: tokio::sync::watch::Receiver<bool>,
}

pub fn faq_doc(faq: Faq) -> IndexDoc {
    IndexDoc {
        kind: DocKind::Faq,
        id: faq.id.to_string(),
        title: faq.question,
        alternates: faq.similar_questions,
        body: faq.answer,
        tags: faq.tags,
        language: faq.language,
        category_id: faq.category_id.map(|c| c.to_string()),
        published: faq.status == FaqStatus::Published,
    }
}

pub fn article_doc(article: Article) -> IndexDoc {
    IndexDoc {
        kind: DocKind::Article,
        id: article.id.to_string(),
        title: article.title,
        alternates: Vec::new(),
        body: article.body,
        tags: article.tags,
        language: Some(article.language),
        category_id: article.category_id.map(|c| c.to_string()),
        published: article.status == ArticleStatus::Published,
    }
}

/// What a run of events asks of the index.
#[derive(Default)]
struct Work {
    rebuild: bool,
    articles: BTreeSet<Uuid>,
    faqs: BTreeSet<Uuid>,
}

impl Work {
    fn note(&mut self, kind: &str, entity: Option<Uuid>) {
        match (kind, entity) {
            ("kb.article_created" | "kb.article_updated" | "kb.article_deleted", Some(id)) => {
                self.articles.insert(id);
            }
            ("kb.faq_created" | "kb.faq_updated" | "kb.faq_deleted", Some(id)) => {
                self.faqs.insert(id);
            }
            // An import names no FAQ; a vocabulary change changes how every text is cut.
            ("kb.faqs_imported" | "kb.vocabulary_changed", _) => self.rebuild = true,
            _ => {}
        }
    }
}

impl SearchIndexes {
    pub fn new(store: Store, closing: tokio::sync::watch::Receiver<bool>) -> Self {
        SearchIndexes {
            inner: Arc::new(Inner {
                store,
                slots: Mutex::new(HashMap::new()),
                closing,
            }),
        }
    }

    fn slot(&self, tenant_id: Uuid) -> Arc<Slot> {
        crate::state::lock(&self.inner.slots)
            .entry(tenant_id)
            .or_default()
            .clone()
    }

    fn existing_slot(&self, tenant_id: Uuid) -> Option<Arc<Slot>> {
        crate::state::lock(&self.inner.slots)
            .get(&tenant_id)
            .cloned()
    }

    /// The tenant's index, built on first use.
    pub async fn index(&self, tenant_id: Uuid) -> Result<Arc<FullTextIndex>, SearchError> {
        let slot = self.slot(tenant_id);
        if let Some(index) = slot.get() {
            return Ok(index);
        }
        let mut cursor = slot.updating.lock().await;
        // Whoever held the lock may have built it.
        if let Some(index) = slot.get() {
            return Ok(index);
        }
        let built = self.build(tenant_id).await?;
        *cursor = Some(built.seq);
        slot.set(built.index.clone());
        drop(cursor);
        // Edits committed while it was built are in the log after `seq`.
        self.catch_up(tenant_id).await;
        Ok(built.index)
    }

    async fn build(&self, tenant_id: Uuid) -> Result<Built, SearchError> {
        let store = &self.inner.store;
        let seq = store.last_event_seq(tenant_id).await?;
        let vocabulary: Vec<VocabEntry> = store
            .kb_vocabulary(tenant_id)
            .await?
            .into_iter()
            .map(|v| VocabEntry {
                term: v.term,
                synonyms: v.synonyms,
            })
            .collect();
        let articles = store.all_articles(tenant_id).await?;
        let faqs = store.all_faqs(tenant_id).await?;
        let index = tokio::task::spawn_blocking(move || {
            let docs = articles
                .into_iter()
                .map(article_doc)
                .chain(faqs.into_iter().map(faq_doc));
            FullTextIndex::build(&vocabulary, docs)
        })
        .await??;
        Ok(Built {
            index: Arc::new(index),
            seq,
        })
    }

    /// Starts the follower (once, when the server starts).
    pub async fn start(&self) {
        tokio::spawn(self.clone().follow());
    }

    async fn follow(self) {
        let mut commits = self.inner.store.subscribe_commits();
        let mut closing = self.inner.closing.clone();
        while let Some(woken) = crate::state::next_commits(&mut commits, &mut closing).await {
            match woken {
                crate::state::Woken::Everything => self.catch_up_all().await,
                crate::state::Woken::Tenants(tenants) => {
                    for tenant in tenants {
                        self.catch_up(tenant).await;
                    }
                }
            }
        }
    }

    async fn catch_up_all(&self) {
        let tenants: Vec<Uuid> = crate::state::lock(&self.inner.slots)
            .keys()
            .copied()
            .collect();
        for tenant in tenants {
            self.catch_up(tenant).await;
        }
    }

    /// Applies the tenant's new `kb.*` events to its index, if it has one.
    async fn catch_up(&self, tenant_id: Uuid) {
        let Some(slot) = self.existing_slot(tenant_id) else {
            return;
        };
        let mut cursor = slot.updating.lock().await;
        let (Some(after), Some(index)) = (*cursor, slot.get()) else {
            return;
        };
        match self.update(tenant_id, after, index).await {
            Ok((seq, rebuilt)) => {
                if let Some(rebuilt) = rebuilt {
                    slot.set(rebuilt);
                }
                *cursor = Some(seq);
            }
            Err(err) => {
                // The next commit retries from the same place.
                tracing::warn!(%err, %tenant_id, "search: updating the index");
            }
        }
    }

    /// Reads the log after `after` and applies it; the new cursor and, after a rebuild, the new
    /// index.
    async fn update(
        &self,
        tenant_id: Uuid,
        mut after: i64,
        index: Arc<FullTextIndex>,
    ) -> Result<(i64, Option<Arc<FullTextIndex>>), SearchError> {
        let store = &self.inner.store;
        let mut work = Work::default();
        loop {
            let events = store
                .events_since(tenant_id, after, crate::hub::LOG_BATCH)
                .await?;
            let Some(last) = events.last().map(|e| e.seq) else {
                break;
            };
            for event in &events {
                work.note(&event.kind, event.entity_id);
            }
            after = last;
            if events.len() < crate::hub::LOG_BATCH as usize {
                break;
            }
        }
        if work.rebuild {
            let built = self.build(tenant_id).await?;
            // Events between `after` and the build's own position are in the new index.
            return Ok((built.seq.max(after), Some(built.index)));
        }
        if work.articles.is_empty() && work.faqs.is_empty() {
            return Ok((after, None));
        }
        let mut changes = Vec::with_capacity(work.articles.len() + work.faqs.len());
        for id in work.articles {
            changes.push(match store.article(tenant_id, id).await {
                Ok(article) => IndexChange::Upsert(article_doc(article)),
                Err(StoreError::NotFound) => IndexChange::Remove {
                    kind: DocKind::Article,
                    id: id.to_string(),
                },
                Err(err) => return Err(err.into()),
            });
        }
        for id in work.faqs {
            changes.push(match store.faq(tenant_id, id).await {
                Ok(faq) => IndexChange::Upsert(faq_doc(faq)),
                Err(StoreError::NotFound) => IndexChange::Remove {
                    kind: DocKind::Faq,
                    id: id.to_string(),
                },
                Err(err) => return Err(err.into()),
            });
        }
        tokio::task::spawn_blocking(move || index.apply(changes)).await??;
        Ok((after, None))
    }
}
