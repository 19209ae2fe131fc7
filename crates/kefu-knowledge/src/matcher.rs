//! The knowledge base as the bot sees it: FAQ entries compiled into a feature space, an inverted
//! index of their questions, a linear classifier and a calibration, answering ranked matches.

use crate::error::KnowledgeError;
use crate::features::{FeatureSpace, FeatureWeights, SparseVec};
use crate::model::{LinearModel, Rng, TrainParams, softmax_in_place, softmax_with_background};
use crate::text::{Analyzer, Token, VocabEntry};
use serde::{Deserialize, Serialize};

/// One FAQ: the standard question, the other ways customers ask it, and the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaqEntry {
    pub id: String,
    pub question: String,
    #[serde(default)]
    pub similar: Vec<String>,
    pub answer: String,
    #[serde(default)]
    pub language: Option<String>,
}

/// How the matcher learns. Tenants normally keep the defaults; every field has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatcherSettings {
    /// Drop a short list of English and Chinese function words before building features.
    pub stop_words: bool,
    pub word_weight: f32,
    pub char_weight: f32,
    pub epochs: u32,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
    /// Above this many FAQs, only the classes nearest to a question are scored (and trained
    /// against), which keeps 100,000-entry bases fast.
    pub candidate_classes: usize,
    /// Questions longer than this many characters are cut to it (documented limit; not refused).
    pub max_question_chars: usize,
    /// Fit the blend of classifier and nearest neighbour and the temperature on held-out
    /// similar questions; without it a fixed blend and temperature are used.
    pub calibrate: bool,
    /// The similarity score of an FAQ is the mean of its `neighbors` closest questions (1–3).
    pub neighbors: usize,
    /// Longest character n-gram cut from Latin words (2–6).
    pub char_ngram_max: usize,
}

impl Default for MatcherSettings {
    fn default() -> Self {
        MatcherSettings {
            stop_words: false,
            word_weight: 1.0,
            char_weight: 1.0,
            epochs: 12,
            learning_rate: 2.0,
            l2: 1e-4,
            seed: 42,
            candidate_classes: 256,
            max_question_chars: MAX_QUESTION_CHARS,
            calibrate: true,
            neighbors: 1,
            char_ngram_max: 5,
        }
    }
}

/// The documented default limit on a question's length, in characters.
pub const MAX_QUESTION_CHARS: usize = 500;

/// Up to this many FAQs every training question competes with all of them; above it, with its
/// nearest few only, which keeps a rebuild of a few hundred FAQs well under a second.
const FULL_SOFTMAX_CLASSES: usize = 128;
/// Training candidates per example when classes are restricted.
const TRAIN_CANDIDATES: usize = 10;
/// Upper bound on example visits per training run, so that very large bases train in bounded
/// time (fewer epochs); normal tenants never reach it.
const UPDATE_BUDGET: usize = 100_000;

impl MatcherSettings {
    pub fn validate(&self) -> Result<(), KnowledgeError> {
        let positive = |v: f32| v.is_finite() && v >= 0.0;
        let problem = if !positive(self.word_weight) || !positive(self.char_weight) {
            Some("feature weights must be finite and not negative")
        } else if self.word_weight + self.char_weight <= 0.0 {
            Some("at least one feature weight must be positive")
        } else if self.epochs == 0 || self.epochs > 200 {
            Some("epochs must be between 1 and 200")
        } else if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            Some("learning_rate must be positive")
        } else if !positive(self.l2) || self.l2 >= 1.0 {
            Some("l2 must be in [0, 1)")
        } else if self.candidate_classes < 2 {
            Some("candidate_classes must be at least 2")
        } else if !(1..=TOP_K).contains(&self.neighbors) {
            Some("neighbors must be between 1 and 3")
        } else if !(2..=6).contains(&self.char_ngram_max) {
            Some("char_ngram_max must be between 2 and 6")
        } else if self.max_question_chars == 0 {
            Some("max_question_chars must be at least 1")
        } else {
            None
        };
        match problem {
            Some(message) => Err(KnowledgeError::InvalidSettings(message.to_owned())),
            None => Ok(()),
        }
    }

    fn feature_weights(&self) -> FeatureWeights {
        FeatureWeights {
            word: self.word_weight,
            char: self.char_weight,
            char_ngram_max: self.char_ngram_max,
        }
    }
}

/// One ranked answer: the entry's position in [`KnowledgeBase::entries`], the calibrated
/// confidence, and the cosine similarity to its closest question (for explanations).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Match {
    pub entry: usize,
    pub confidence: f32,
    pub similarity: f32,
}

/// How classifier and nearest-neighbour scores are combined and softened into probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Calibration {
    pub knn_weight: f32,
    pub temperature: f32,
    /// Logit of "none of these FAQs": questions whose FAQ is missing should get low confidence.
    pub background: f32,
    /// Held-out questions the fit used (0 when there were none).
    pub held_out: usize,
}

// Used when there is nothing to hold out (every FAQ has a single question).
const FALLBACK: Calibration = Calibration {
    knn_weight: 2.0,
    temperature: 0.5,
    background: NO_BACKGROUND,
    held_out: 0,
};

/// A background logit so low that it takes no probability.
const NO_BACKGROUND: f32 = -30.0;

/// How much a simulated unanswerable question weighs against an answerable one when fitting the
/// background: about one customer question in five has no FAQ in a typical base.
const UNANSWERABLE_WEIGHT: f64 = 0.25;

/// A compiled knowledge base. Immutable and `Send + Sync`: rebuild it after edits and swap.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    entries: Vec<FaqEntry>,
    analyzer: Analyzer,
    core: Core,
    calibration: Calibration,
    settings: MatcherSettings,
}

impl KnowledgeBase {
    pub fn build(
        entries: Vec<FaqEntry>,
        vocabulary: &[VocabEntry],
        settings: MatcherSettings,
    ) -> Result<Self, KnowledgeError> {
        settings.validate()?;
        validate_entries(&entries)?;
        let analyzer = Analyzer::new(vocabulary, settings.stop_words);
        let mut docs = Vec::new();
        let mut labels = Vec::new();
        for (class, entry) in entries.iter().enumerate() {
            for text in std::iter::once(&entry.question).chain(&entry.similar) {
                let tokens = analyzer.analyze(&truncate(text, settings.max_question_chars));
                if !tokens.is_empty() {
                    docs.push(tokens);
                    labels.push(class as u32);
                }
            }
        }
        if docs.is_empty() {
            return Err(KnowledgeError::EmptyKnowledgeBase);
        }
        let classes = entries.len();
        let calibration = if settings.calibrate {
            fit_calibration(&docs, &labels, classes, &settings)
        } else {
            FALLBACK
        };
        let core = Core::train(&docs, &labels, classes, &settings);
        Ok(KnowledgeBase {
            entries,
            analyzer,
            core,
            calibration,
            settings,
        })
    }

    /// A knowledge base that knows nothing: every search answers no match. What a tenant
    /// without a published FAQ gets, since [`KnowledgeBase::build`] refuses an empty one.
    pub fn empty(vocabulary: &[VocabEntry], settings: MatcherSettings) -> Self {
        let analyzer = Analyzer::new(vocabulary, settings.stop_words);
        let core = Core::train(&[], &[], 0, &settings);
        KnowledgeBase {
            entries: Vec::new(),
            analyzer,
            core,
            calibration: FALLBACK,
            settings,
        }
    }

    pub fn entries(&self) -> &[FaqEntry] {
        &self.entries
    }

    pub fn entry(&self, index: usize) -> Option<&FaqEntry> {
        self.entries.get(index)
    }

    pub fn calibration(&self) -> Calibration {
        self.calibration
    }

    pub fn settings(&self) -> &MatcherSettings {
        &self.settings
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// Ranked matches, best first, at most `limit`. Confidences are a probability distribution
    /// over the scored FAQs, so they are in [0, 1] and sum to at most 1.
    pub fn search(&self, question: &str, limit: usize) -> Result<Vec<Match>, KnowledgeError> {
        let question = prepare_question(question, self.settings.max_question_chars)?;
        let tokens = self.analyzer.analyze(&question);
        let x = self.core.space.vectorize(&tokens);
        if x.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let scored = self.core.score(&x, None, self.settings.candidate_classes);
        let mut probabilities: Vec<f32> = scored
            .iter()
            .map(|s| combine(s, &self.calibration))
            .collect();
        softmax_with_background(&mut probabilities, self.calibration.background);
        let mut matches: Vec<Match> = scored
            .iter()
            .zip(&probabilities)
            .map(|(s, &p)| Match {
                entry: s.class as usize,
                confidence: p.clamp(0.0, 1.0),
                similarity: s.knn,
            })
            .collect();
        let by_confidence = |a: &Match, b: &Match| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.entry.cmp(&b.entry))
        };
        if matches.len() > limit {
            matches.select_nth_unstable_by(limit - 1, by_confidence);
            matches.truncate(limit);
        }
        matches.sort_unstable_by(by_confidence);
        Ok(matches)
    }
}

/// Trims, refuses an empty question, and cuts an over-long one at `max_chars` characters.
pub fn prepare_question(question: &str, max_chars: usize) -> Result<String, KnowledgeError> {
    let trimmed = question.trim();
    if trimmed.is_empty() {
        return Err(KnowledgeError::EmptyQuestion);
    }
    Ok(truncate(trimmed, max_chars))
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((byte, _)) => text.get(..byte).unwrap_or(text).to_owned(),
        None => text.to_owned(),
    }
}

fn validate_entries(entries: &[FaqEntry]) -> Result<(), KnowledgeError> {
    let mut seen = rustc_hash::FxHashSet::default();
    for entry in entries {
        let invalid = |reason: &str| KnowledgeError::InvalidEntry {
            id: entry.id.clone(),
            reason: reason.to_owned(),
        };
        if entry.id.trim().is_empty() {
            return Err(invalid("the id is empty"));
        }
        if entry.question.trim().is_empty() {
            return Err(invalid("the standard question is empty"));
        }
        if !seen.insert(entry.id.as_str()) {
            return Err(invalid("the id is used twice"));
        }
    }
    if entries.is_empty() {
        return Err(KnowledgeError::EmptyKnowledgeBase);
    }
    Ok(())
}

fn combine(scored: &Scored, calibration: &Calibration) -> f32 {
    (scored.logit + calibration.knn_weight * scored.knn) / calibration.temperature
}

/// One class's raw scores for a question.
#[derive(Debug, Clone, Copy)]
struct Scored {
    class: u32,
    logit: f32,
    knn: f32,
}

/// Feature space, inverted index over the example questions, and the classifier.
#[derive(Debug, Clone)]
struct Core {
    space: FeatureSpace,
    postings: Vec<Vec<(u32, f32)>>,
    example_class: Vec<u32>,
    classes: usize,
    model: LinearModel,
    /// Features in more examples than this are skipped by retrieval: on large bases they are
    /// the "how do I" grams that match everything and say little.
    skip_df: usize,
    neighbors: usize,
    scratch: ScratchPool,
}

/// Scratch accumulators kept between questions: on a 100,000-FAQ base a fresh one is megabytes
/// of zeroed memory per question, which showed in the tail latency.
#[derive(Default)]
struct ScratchPool(std::sync::Mutex<Vec<Scratch>>);

impl Clone for ScratchPool {
    fn clone(&self) -> Self {
        ScratchPool::default()
    }
}

impl std::fmt::Debug for ScratchPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScratchPool")
    }
}

impl ScratchPool {
    fn take(&self, examples: usize, classes: usize) -> Scratch {
        let pooled = self.0.lock().ok().and_then(|mut pool| pool.pop());
        pooled.unwrap_or_else(|| Scratch::new(examples, classes))
    }

    fn give_back(&self, scratch: Scratch) {
        if let Ok(mut pool) = self.0.lock() {
            // Enough for the server's worker threads; more would only hold memory.
            if pool.len() < 16 {
                pool.push(scratch);
            }
        }
    }
}

impl Core {
    fn train(docs: &[Vec<Token>], labels: &[u32], classes: usize, s: &MatcherSettings) -> Core {
        let (space, vectors) = FeatureSpace::fit(docs, s.feature_weights());
        let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); space.len()];
        for (i, v) in vectors.iter().enumerate() {
            for &(f, w) in v {
                if let Some(list) = postings.get_mut(f as usize) {
                    list.push((i as u32, w));
                }
            }
        }
        let n = vectors.len();
        let skip_df = if n > 20_000 { n / 100 } else { usize::MAX };
        let mut core = Core {
            space,
            postings,
            example_class: labels.to_vec(),
            classes,
            model: LinearModel::train(&[], &[], 0, 0, None, &train_params(s, 0, false)),
            skip_df,
            neighbors: s.neighbors,
            scratch: ScratchPool::default(),
        };
        let candidates = (classes > FULL_SOFTMAX_CLASSES.min(s.candidate_classes)).then(|| {
            // Training candidates use a tighter cut: only the nearest few classes matter for
            // the gradient, and this runs once per example.
            let train_skip = skip_df.min(200.max(n / 100));
            let mut scratch = Scratch::new(n, classes);
            vectors
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    core.nearest(
                        x,
                        Some(i as u32),
                        TRAIN_CANDIDATES,
                        train_skip,
                        &mut scratch,
                    )
                    .into_iter()
                    .map(|(c, _)| c)
                    .collect::<Vec<u32>>()
                })
                .collect::<Vec<_>>()
        });
        core.model = LinearModel::train(
            &vectors,
            labels,
            classes,
            core.space.len(),
            candidates.as_deref(),
            &train_params(s, n, candidates.is_some()),
        );
        core
    }

    /// Classes by best cosine similarity of one of their examples, at most `limit`.
    fn nearest(
        &self,
        x: &SparseVec,
        exclude: Option<u32>,
        limit: usize,
        skip_df: usize,
        scratch: &mut Scratch,
    ) -> Vec<(u32, f32)> {
        scratch.reset();
        for &(f, w) in x {
            let Some(list) = self.postings.get(f as usize) else {
                continue;
            };
            if list.len() > skip_df {
                continue;
            }
            for &(e, v) in list {
                if let Some(slot) = scratch.examples.get_mut(e as usize) {
                    if *slot == 0.0 {
                        scratch.touched.push(e);
                    }
                    *slot += w * v;
                }
            }
        }
        let mut best: Vec<(u32, f32)> = Vec::new();
        for &e in &scratch.touched {
            if Some(e) == exclude {
                continue;
            }
            let (Some(&sim), Some(&class)) = (
                scratch.examples.get(e as usize),
                self.example_class.get(e as usize),
            ) else {
                continue;
            };
            if let Some(top) = scratch.classes.get_mut(class as usize) {
                if top[0] == 0.0 {
                    scratch.class_touched.push(class);
                }
                insert_top(top, sim.max(f32::MIN_POSITIVE));
            }
        }
        let k = self.neighbors.clamp(1, TOP_K);
        for &c in &scratch.class_touched {
            if let Some(top) = scratch.classes.get(c as usize) {
                // Mean of the k best; a class with fewer questions counts its missing ones as 0.
                best.push((c, top.iter().take(k).sum::<f32>() / k as f32));
            }
        }
        let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if best.len() > limit && limit > 0 {
            best.select_nth_unstable_by(limit - 1, order);
            best.truncate(limit);
        }
        best.sort_unstable_by(order);
        best
    }

    /// Classifier logits and nearest-neighbour similarity for every class (small bases) or for
    /// the `limit` nearest classes (large ones).
    fn score(&self, x: &SparseVec, exclude: Option<u32>, limit: usize) -> Vec<Scored> {
        let mut scratch = self.scratch.take(self.example_class.len(), self.classes);
        let near = self.nearest(x, exclude, limit, self.skip_df, &mut scratch);
        self.scratch.give_back(scratch);
        if self.classes <= limit {
            let mut knn = vec![0.0f32; self.classes];
            for (c, sim) in near {
                if let Some(slot) = knn.get_mut(c as usize) {
                    *slot = sim;
                }
            }
            (0..self.classes as u32)
                .zip(knn)
                .map(|(class, knn)| Scored {
                    class,
                    logit: self.model.logit(class, x),
                    knn,
                })
                .collect()
        } else {
            near.into_iter()
                .map(|(class, knn)| Scored {
                    class,
                    logit: self.model.logit(class, x),
                    knn,
                })
                .collect()
        }
    }
}

fn train_params(s: &MatcherSettings, examples: usize, restricted: bool) -> TrainParams {
    let mut budget_epochs = (UPDATE_BUDGET / examples.max(1)).max(3) as u32;
    if restricted {
        // With few hard negatives per example the model settles sooner.
        budget_epochs = budget_epochs.min(6);
    }
    TrainParams {
        epochs: s.epochs.min(budget_epochs),
        learning_rate: s.learning_rate,
        l2: s.l2,
        seed: s.seed,
        max_dense_weights: 24_000_000,
    }
}

/// Accumulators reused across the examples of one pass; reset touches only what was written.
struct Scratch {
    examples: Vec<f32>,
    touched: Vec<u32>,
    classes: Vec<[f32; TOP_K]>,
    class_touched: Vec<u32>,
}

/// Most neighbours per class that the similarity score may average.
const TOP_K: usize = 3;

fn insert_top(top: &mut [f32; TOP_K], value: f32) {
    if let Some(pos) = top.iter().position(|&v| value > v) {
        top.copy_within(pos..TOP_K - 1, pos + 1);
        top[pos] = value;
    }
}

impl Scratch {
    fn new(examples: usize, classes: usize) -> Self {
        Scratch {
            examples: vec![0.0; examples],
            touched: Vec::new(),
            classes: vec![[0.0; TOP_K]; classes],
            class_touched: Vec::new(),
        }
    }

    fn reset(&mut self) {
        for &e in &self.touched {
            if let Some(slot) = self.examples.get_mut(e as usize) {
                *slot = 0.0;
            }
        }
        for &c in &self.class_touched {
            if let Some(top) = self.classes.get_mut(c as usize) {
                *top = [0.0; TOP_K];
            }
        }
        self.touched.clear();
        self.class_touched.clear();
    }
}

/// Holds out about a fifth of the questions of every FAQ that has two or more, trains on the
/// rest, and picks the classifier/neighbour blend (by held-out accuracy) and the temperature
/// (by held-out log-likelihood) — so a confidence of 0.8 means right about 80 % of the time.
fn fit_calibration(
    docs: &[Vec<Token>],
    labels: &[u32],
    classes: usize,
    settings: &MatcherSettings,
) -> Calibration {
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &c) in labels.iter().enumerate() {
        if let Some(list) = by_class.get_mut(c as usize) {
            list.push(i);
        }
    }
    let mut rng = Rng::new(settings.seed ^ 0x5EED);
    let mut held = vec![false; docs.len()];
    for list in &mut by_class {
        if list.len() < 2 {
            continue;
        }
        rng.shuffle(list);
        for &i in list.iter().take((list.len() / 5).max(1)) {
            if let Some(slot) = held.get_mut(i) {
                *slot = true;
            }
        }
    }
    let mut train_docs = Vec::new();
    let mut train_labels = Vec::new();
    let mut test = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let label = labels.get(i).copied().unwrap_or(0);
        if held.get(i).copied().unwrap_or(false) {
            test.push((doc, label));
        } else {
            train_docs.push(doc.clone());
            train_labels.push(label);
        }
    }
    if test.is_empty() || train_docs.is_empty() {
        return FALLBACK;
    }
    // A thousand or two held-out questions pin these numbers down; more only costs time.
    rng.shuffle(&mut test);
    test.truncate(1_500);
    let core = Core::train(&train_docs, &train_labels, classes, settings);
    let rows: Vec<(Vec<Scored>, u32)> = test
        .iter()
        .map(|(doc, label)| {
            let x = core.space.vectorize(doc);
            (core.score(&x, None, settings.candidate_classes), *label)
        })
        .collect();
    let mut best: Option<(usize, f32, Calibration)> = None;
    for &knn_weight in &[0.0f32, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0] {
        let trial = Calibration {
            knn_weight,
            temperature: 1.0,
            background: NO_BACKGROUND,
            held_out: rows.len(),
        };
        let correct = rows
            .iter()
            .filter(|(scored, label)| {
                scored
                    .iter()
                    .max_by(|a, b| combine(a, &trial).total_cmp(&combine(b, &trial)))
                    .is_some_and(|s| s.class == *label)
            })
            .count();
        let temperature = fit_temperature(&rows, knn_weight);
        let nll = log_loss(&rows, knn_weight, temperature);
        let candidate = Calibration {
            temperature,
            ..trial
        };
        let better = match &best {
            None => true,
            Some((c, loss, _)) => correct > *c || (correct == *c && nll < *loss),
        };
        if better {
            best = Some((correct, nll, candidate));
        }
    }
    best.map_or(FALLBACK, |(_, _, c)| Calibration {
        background: fit_background(&rows, &c),
        ..c
    })
}

/// Fits the "none of these" logit. Each held-out question is asked twice: as it is (its FAQ
/// should win) and with its FAQ removed from the scores, which stands in for a question the
/// base cannot answer (the background should win). No outside negatives are needed.
fn fit_background(rows: &[(Vec<Scored>, u32)], calibration: &Calibration) -> f32 {
    let mut best = (f64::INFINITY, NO_BACKGROUND);
    for step in 0..=40 {
        let background = -6.0 + 0.5 * step as f32;
        let mut loss = 0.0f64;
        for (scored, label) in rows {
            let mut z: Vec<f32> = scored.iter().map(|s| combine(s, calibration)).collect();
            softmax_with_background(&mut z, background);
            let p_true = scored
                .iter()
                .zip(&z)
                .find(|(s, _)| s.class == *label)
                .map_or(1e-6, |(_, &p)| p.max(1e-6));
            loss -= f64::from(p_true.ln());
            let mut without: Vec<f32> = scored
                .iter()
                .filter(|s| s.class != *label)
                .map(|s| combine(s, calibration))
                .collect();
            softmax_with_background(&mut without, background);
            let p_none = (1.0 - without.iter().sum::<f32>()).max(1e-6);
            loss -= UNANSWERABLE_WEIGHT * f64::from(p_none.ln());
        }
        if loss < best.0 {
            best = (loss, background);
        }
    }
    best.1
}

fn fit_temperature(rows: &[(Vec<Scored>, u32)], knn_weight: f32) -> f32 {
    let mut best = (f32::INFINITY, 1.0f32);
    for step in 0..24 {
        // Log-spaced from 0.02 to about 8.
        let temperature = 0.02 * (1.3f32).powi(step);
        let loss = log_loss(rows, knn_weight, temperature);
        if loss < best.0 {
            best = (loss, temperature);
        }
    }
    best.1
}

fn log_loss(rows: &[(Vec<Scored>, u32)], knn_weight: f32, temperature: f32) -> f32 {
    let calibration = Calibration {
        knn_weight,
        temperature,
        background: NO_BACKGROUND,
        held_out: 0,
    };
    let mut total = 0.0f64;
    for (scored, label) in rows {
        let mut z: Vec<f32> = scored.iter().map(|s| combine(s, &calibration)).collect();
        softmax_in_place(&mut z);
        let p = scored
            .iter()
            .zip(&z)
            .find(|(s, _)| s.class == *label)
            .map_or(1e-6, |(_, &p)| p.max(1e-6));
        total -= f64::from(p.ln());
    }
    (total / rows.len().max(1) as f64) as f32
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    pub(crate) fn faq(id: &str, questions: &[&str]) -> FaqEntry {
        FaqEntry {
            id: id.to_owned(),
            question: questions[0].to_owned(),
            similar: questions[1..].iter().map(|q| (*q).to_owned()).collect(),
            answer: format!("answer {id}"),
            language: None,
        }
    }

    fn small_kb() -> KnowledgeBase {
        let entries = vec![
            faq(
                "track",
                &[
                    "where is my parcel",
                    "track my order",
                    "物流到哪了",
                    "快递怎么还没到",
                ],
            ),
            faq(
                "refund",
                &[
                    "how do i get a refund",
                    "money back please",
                    "怎么退款",
                    "退款多久到账",
                ],
            ),
            faq(
                "invoice",
                &[
                    "can i get an invoice",
                    "send me a receipt",
                    "怎么开发票",
                    "发票怎么开",
                ],
            ),
            faq(
                "password",
                &["i forgot my password", "reset password", "忘记密码怎么办"],
            ),
        ];
        KnowledgeBase::build(entries, &[], MatcherSettings::default()).unwrap()
    }

    #[test]
    fn an_empty_base_answers_no_match_instead_of_failing() {
        let kb = KnowledgeBase::empty(&[], MatcherSettings::default());
        assert!(kb.entries().is_empty());
        assert_eq!(kb.search("where is my parcel", 3).unwrap(), []);
        assert_eq!(kb.search("  ", 3), Err(KnowledgeError::EmptyQuestion));
    }

    #[test]
    fn ranks_the_right_faq_first_in_both_languages() {
        let kb = small_kb();
        for (question, id) in [
            ("where's my package, tracking please", "track"),
            ("我的快递到哪里了", "track"),
            ("refund my money", "refund"),
            ("退款什么时候到账", "refund"),
            ("开发票", "invoice"),
            ("password reset", "password"),
        ] {
            let matches = kb.search(question, 3).unwrap();
            assert_eq!(kb.entry(matches[0].entry).unwrap().id, id, "{question}");
        }
    }

    #[test]
    fn confidences_are_probabilities_in_order() {
        let kb = small_kb();
        let matches = kb.search("track my parcel", 10).unwrap();
        assert_eq!(matches.len(), 4);
        assert!(
            matches
                .windows(2)
                .all(|w| w[0].confidence >= w[1].confidence)
        );
        let total: f32 = matches.iter().map(|m| m.confidence).sum();
        assert!(total > 0.0 && total <= 1.0 + 1e-4, "{total}");
    }

    #[test]
    fn empty_questions_are_refused_and_long_ones_cut() {
        let kb = small_kb();
        assert_eq!(kb.search("  \n ", 3), Err(KnowledgeError::EmptyQuestion));
        let long = "where is my parcel ".repeat(500);
        assert!(!kb.search(&long, 3).unwrap().is_empty());
        assert_eq!(
            prepare_question(&"好".repeat(900), 500)
                .unwrap()
                .chars()
                .count(),
            500
        );
    }

    #[test]
    fn unknown_words_give_no_match() {
        assert!(small_kb().search("qqq 嗯嗯", 3).unwrap().is_empty());
    }

    #[test]
    fn bad_entries_and_settings_are_refused() {
        let dup = vec![faq("a", &["x"]), faq("a", &["y"])];
        let err = KnowledgeBase::build(dup, &[], MatcherSettings::default()).unwrap_err();
        assert_eq!(err.code(), "invalid_entry");
        let err = KnowledgeBase::build(vec![], &[], MatcherSettings::default()).unwrap_err();
        assert_eq!(err.code(), "empty_knowledge_base");
        let settings = MatcherSettings {
            epochs: 0,
            ..MatcherSettings::default()
        };
        let err = KnowledgeBase::build(vec![faq("a", &["x"])], &[], settings).unwrap_err();
        assert_eq!(err.code(), "invalid_settings");
    }

    #[test]
    fn many_classes_use_the_candidate_path() {
        let entries: Vec<FaqEntry> = (0..40)
            .map(|i| {
                let q1 = format!("question about topic{i} and item{i}");
                let q2 = format!("topic{i} item{i} help");
                faq(&format!("f{i}"), &[&q1, &q2])
            })
            .collect();
        let settings = MatcherSettings {
            candidate_classes: 8,
            ..MatcherSettings::default()
        };
        let kb = KnowledgeBase::build(entries, &[], settings).unwrap();
        let matches = kb.search("help with topic17 item17", 5).unwrap();
        assert_eq!(kb.entry(matches[0].entry).unwrap().id, "f17");
        assert!(matches.len() <= 5);
    }

    #[test]
    fn the_same_input_builds_the_same_matcher() {
        let a = small_kb().search("发票", 4).unwrap();
        let b = small_kb().search("发票", 4).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn the_knowledge_base_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<KnowledgeBase>();
    }
}
