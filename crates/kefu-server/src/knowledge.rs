//! The per-tenant matcher cache: a tenant's published FAQs, vocabulary and bot settings compiled
//! into a `KnowledgeBase`, rebuilt off the async runtime when the store's change counters move.

use crate::error::ApiResult;
use kefu_knowledge::scenario::{BusinessAction, Step};
use kefu_knowledge::{
    BotSettings, FaqEntry, KnowledgeBase, KnowledgeError, MatcherSettings, VocabEntry,
};
use kefu_store::{KnowledgeSnapshot, KnowledgeVersion, Scenario, Store};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use uuid::Uuid;

/// One tenant's compiled knowledge at one version. Immutable: a change builds a new one.
pub struct TenantKnowledge {
    /// Published FAQs only; each entry's `id` is the FAQ's uuid as a string.
    pub base: KnowledgeBase,
    /// The tenant's τ/δ/attempts.
    pub settings: BotSettings,
    /// Per entry: the FAQ's id, or the scenario's whose triggers the entry holds.
    faq_ids: Vec<Uuid>,
    /// Per entry: whether it holds a scenario's triggers rather than an FAQ.
    scenario_entry: Vec<bool>,
    variants: Vec<BTreeMap<String, String>>,
    /// Published scenarios whose steps parse, by id.
    scenarios: HashMap<Uuid, Arc<Vec<Step>>>,
    version: KnowledgeVersion,
}

impl TenantKnowledge {
    /// The answer for this channel kind ("web", "app", "email", "wechat"…): the variant when
    /// the FAQ has one, else the answer.
    pub fn answer_for(&self, entry: usize, channel: &str) -> Option<&str> {
        let faq = self.base.entry(entry)?;
        let variant = self.variants.get(entry).and_then(|v| v.get(channel));
        Some(variant.map_or(faq.answer.as_str(), String::as_str))
    }

    /// The FAQ an entry answers; none for a scenario's triggers.
    pub fn faq_id(&self, entry: usize) -> Option<Uuid> {
        if self.scenario_entry.get(entry).copied().unwrap_or(false) {
            return None;
        }
        self.faq_ids.get(entry).copied()
    }

    /// What a "did you mean" choice names: the FAQ's id, or the scenario's it starts.
    pub fn entry_id(&self, entry: usize) -> Option<Uuid> {
        self.faq_ids.get(entry).copied()
    }

    /// The scenario an entry starts, when it holds a scenario's triggers.
    pub fn scenario_of(&self, entry: usize) -> Option<Uuid> {
        if !self.scenario_entry.get(entry).copied().unwrap_or(false) {
            return None;
        }
        self.faq_ids.get(entry).copied()
    }

    /// The FAQ's id when answering it runs its business action.
    pub fn action_of(&self, entry: usize) -> Option<Uuid> {
        let id = self.faq_id(entry)?;
        self.scenarios.contains_key(&id).then_some(id)
    }

    /// A published scenario's (or FAQ business action's) steps; none once it is deleted or
    /// unpublished.
    pub fn scenario_steps(&self, id: Uuid) -> Option<Arc<Vec<Step>>> {
        self.scenarios.get(&id).cloned()
    }
}

/// A tenant's place in the cache: the knowledge in use, and a lock held by whoever rebuilds it.
#[derive(Default)]
struct Slot {
    current: RwLock<Option<Arc<TenantKnowledge>>>,
    building: tokio::sync::Mutex<()>,
}

impl Slot {
    fn get(&self) -> Option<Arc<TenantKnowledge>> {
        self.current.read().ok().and_then(|c| c.clone())
    }

    fn set(&self, knowledge: Arc<TenantKnowledge>) {
        if let Ok(mut current) = self.current.write() {
            *current = Some(knowledge);
        }
    }
}

/// The per-tenant cache of compiled knowledge bases.
#[derive(Default)]
pub struct KnowledgeBases {
    slots: Mutex<HashMap<Uuid, Arc<Slot>>>,
}

fn fresh(knowledge: &TenantKnowledge, version: KnowledgeVersion) -> bool {
    knowledge.version.content >= version.content && knowledge.version.settings >= version.settings
}

impl KnowledgeBases {
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self, tenant_id: Uuid) -> Arc<Slot> {
        match self.slots.lock() {
            Ok(mut slots) => slots.entry(tenant_id).or_default().clone(),
            // A panic elsewhere poisoned the map: work uncached rather than fail.
            Err(_) => Arc::new(Slot::default()),
        }
    }

    /// Built on first use (training runs in spawn_blocking), rebuilt after any kb.* change; a
    /// tenant with no published FAQ gets an empty base (search returns nothing) rather than an
    /// error. Every call reads the store's change counters (one indexed row), so an edit made by
    /// any server or the CLI is seen by the next call. While one caller rebuilds, the others keep
    /// answering from the previous base; a half-built base is never served.
    pub async fn current(&self, store: &Store, tenant_id: Uuid) -> ApiResult<Arc<TenantKnowledge>> {
        let version = store.knowledge_version(tenant_id).await?;
        let slot = self.slot(tenant_id);
        let previous = slot.get();
        if let Some(knowledge) = previous.as_ref().filter(|k| fresh(k, version)) {
            return Ok(knowledge.clone());
        }
        let _building = match (slot.building.try_lock(), previous) {
            (Ok(guard), _) => guard,
            (Err(_), Some(previous)) => return Ok(previous),
            (Err(_), None) => slot.building.lock().await,
        };
        // Whoever held the lock may have built what we need.
        let previous = slot.get();
        if let Some(knowledge) = previous.as_ref().filter(|k| fresh(k, version)) {
            return Ok(knowledge.clone());
        }
        let snapshot = store.knowledge_snapshot(tenant_id).await?;
        let knowledge = tokio::task::spawn_blocking(move || compile(snapshot, previous))
            .await
            .map_err(|err| {
                tracing::error!(%err, "building a knowledge base");
                crate::error::ApiError::internal()
            })?;
        let knowledge = Arc::new(knowledge);
        slot.set(knowledge.clone());
        Ok(knowledge)
    }

    /// Forgets a tenant's compiled knowledge (the next use rebuilds it).
    pub fn invalidate(&self, tenant_id: Uuid) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.remove(&tenant_id);
        }
    }
}

/// The stored bot settings, or the defaults when none are stored (or they no longer parse).
pub fn bot_settings(stored: Option<serde_json::Value>) -> BotSettings {
    match stored.map(serde_json::from_value::<BotSettings>) {
        Some(Ok(settings)) => settings,
        Some(Err(err)) => {
            tracing::error!(%err, "stored bot settings unreadable; using the defaults");
            BotSettings::default()
        }
        None => BotSettings::default(),
    }
}

/// Compiles a snapshot; reuses the previous base when only the settings changed.
fn compile(snapshot: KnowledgeSnapshot, previous: Option<Arc<TenantKnowledge>>) -> TenantKnowledge {
    let settings = bot_settings(snapshot.bot_settings);
    let mut scenarios = scenario_steps(&snapshot.scenarios);
    let faq_actions = action_steps(&snapshot.faq_actions);
    scenarios.extend(faq_actions.iter().map(|(id, steps)| (*id, steps.clone())));
    let mut faq_ids: Vec<Uuid> = snapshot.faqs.iter().map(|f| f.id).collect();
    let mut scenario_entry = vec![false; faq_ids.len()];
    for scenario in snapshot
        .scenarios
        .iter()
        .filter(|s| scenarios.contains_key(&s.id))
    {
        faq_ids.push(scenario.id);
        scenario_entry.push(true);
    }
    if let Some(previous) =
        previous.filter(|p| p.version.content == snapshot.version.content && p.faq_ids == faq_ids)
    {
        return TenantKnowledge {
            base: previous.base.clone(),
            settings,
            faq_ids,
            scenario_entry,
            variants: previous.variants.clone(),
            scenarios,
            version: snapshot.version,
        };
    }
    let vocabulary: Vec<VocabEntry> = snapshot
        .vocabulary
        .into_iter()
        .map(|v| VocabEntry {
            term: v.term,
            synonyms: v.synonyms,
        })
        .collect();
    let mut variants = Vec::with_capacity(snapshot.faqs.len());
    let entries: Vec<FaqEntry> = snapshot
        .faqs
        .into_iter()
        .map(|faq| {
            variants.push(faq.variants);
            FaqEntry {
                id: faq.id.to_string(),
                question: faq.question,
                similar: faq.similar_questions,
                answer: faq.answer,
                language: faq.language,
            }
        })
        .collect();
    let mut entries = entries;
    for scenario in snapshot
        .scenarios
        .iter()
        .filter(|s| scenarios.contains_key(&s.id))
    {
        let mut triggers = scenario.triggers.iter().filter(|t| !t.trim().is_empty());
        let Some(first) = triggers.next() else {
            // No trigger: the entry list must stay aligned with faq_ids, so it gets its name.
            entries.push(scenario_entry_of(
                scenario,
                scenario.name.clone(),
                Vec::new(),
            ));
            variants.push(BTreeMap::new());
            continue;
        };
        let similar = triggers.cloned().collect();
        entries.push(scenario_entry_of(scenario, first.clone(), similar));
        variants.push(BTreeMap::new());
    }
    let base = match KnowledgeBase::build(entries, &vocabulary, MatcherSettings::default()) {
        Ok(base) => base,
        Err(KnowledgeError::EmptyKnowledgeBase) => {
            KnowledgeBase::empty(&vocabulary, MatcherSettings::default())
        }
        Err(err) => {
            // Stored FAQs were checked on the way in; if one still cannot be learnt, the bot
            // hands every question to a person rather than failing each one.
            tracing::error!(%err, "knowledge base does not build; the bot answers nothing");
            KnowledgeBase::empty(&vocabulary, MatcherSettings::default())
        }
    };
    let (faq_ids, scenario_entry, variants) = if base.entries().is_empty() {
        (Vec::new(), Vec::new(), Vec::new())
    } else {
        (faq_ids, scenario_entry, variants)
    };
    TenantKnowledge {
        base,
        settings,
        faq_ids,
        scenario_entry,
        variants,
        scenarios,
        version: snapshot.version,
    }
}

fn scenario_entry_of(scenario: &Scenario, question: String, similar: Vec<String>) -> FaqEntry {
    FaqEntry {
        id: format!("scenario:{}", scenario.id),
        question,
        similar,
        answer: scenario.name.clone(),
        language: None,
    }
}

/// The steps of each published FAQ's business action, by the FAQ's id; an unreadable one is
/// left out (the FAQ then gives its plain answer).
fn action_steps(actions: &[(Uuid, serde_json::Value)]) -> HashMap<Uuid, Arc<Vec<Step>>> {
    actions
        .iter()
        .filter_map(|(faq_id, action)| {
            match serde_json::from_value::<BusinessAction>(action.clone()) {
                Ok(action) => Some((*faq_id, Arc::new(action.steps()))),
                Err(err) => {
                    tracing::error!(%err, faq = %faq_id, "stored FAQ action unreadable");
                    None
                }
            }
        })
        .collect()
}

/// The steps of each published scenario; one whose stored steps no longer parse is left out
/// (its triggers then answer nothing) rather than failing the tenant's whole bot.
fn scenario_steps(scenarios: &[Scenario]) -> HashMap<Uuid, Arc<Vec<Step>>> {
    scenarios
        .iter()
        .filter_map(
            |s| match serde_json::from_value::<Vec<Step>>(s.steps.clone()) {
                Ok(steps) => Some((s.id, Arc::new(steps))),
                Err(err) => {
                    tracing::error!(%err, scenario = %s.id, "stored scenario steps unreadable");
                    None
                }
            },
        )
        .collect()
}
