//! The evaluation harness's core: builds a fresh knowledge base from labelled rows, asks every
//! question through the production decision, and scores ranking, decisions and latency.

use crate::decide::{BotSettings, Decision, reply};
use crate::error::KnowledgeError;
use crate::labeled::{Labeled, OUT_OF_SCOPE, entries_from_labeled};
use crate::matcher::{KnowledgeBase, MatcherSettings};
use crate::text::VocabEntry;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// The figures `kefu bot eval` prints. Ranking figures (`top1`, `top3`, `mrr`, `macro_f1`)
/// count in-scope questions only; decision figures count every question. A question is
/// "answered" when the bot answers outright, and "declined" when it asks to rephrase or hands
/// off — the first-turn form of a handoff; "did you mean" is neither.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub questions: usize,
    pub in_scope: usize,
    pub out_of_scope: usize,
    pub faqs: usize,
    pub top1: f64,
    pub top3: f64,
    pub mrr: f64,
    /// Macro-averaged F1 of the top-ranked FAQ over the in-scope intents.
    pub macro_f1: f64,
    pub answered_rate: f64,
    pub answered_accuracy: f64,
    pub did_you_mean_rate: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oos_recall: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oos_precision: Option<f64>,
    pub train_secs: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub knn_weight: f32,
    pub temperature: f32,
    pub background: f32,
}

struct Outcome {
    truth: String,
    ranked: Vec<String>,
    answered: Option<String>,
    declined: bool,
    suggested: bool,
}

/// Runs the evaluation. `now` is the caller's clock in seconds (the core has none); it is read
/// around the build and around each question.
pub fn evaluate(
    kb_rows: &[Labeled],
    questions: &[Labeled],
    vocabulary: &[VocabEntry],
    matcher: MatcherSettings,
    bot: &BotSettings,
    mut now: impl FnMut() -> f64,
) -> Result<Report, KnowledgeError> {
    bot.validate()?;
    let started = now();
    let kb = KnowledgeBase::build(entries_from_labeled(kb_rows), vocabulary, matcher)?;
    let train_secs = now() - started;
    let mut outcomes = Vec::with_capacity(questions.len());
    let mut latencies = Vec::with_capacity(questions.len());
    for row in questions {
        let started = now();
        let decision = reply(&kb, bot, &row.question, 0);
        latencies.push((now() - started) * 1000.0);
        let decision = match decision {
            Ok(decision) => decision,
            Err(KnowledgeError::EmptyQuestion) => continue,
            Err(other) => return Err(other),
        };
        let id = |entry: usize| kb.entry(entry).map(|e| e.id.clone()).unwrap_or_default();
        let ranked: Vec<String> = kb
            .search(&row.question, 10)?
            .iter()
            .map(|m| id(m.entry))
            .collect();
        let (answered, declined, suggested) = match &decision {
            Decision::Answer { answer, .. } => (Some(id(answer.entry)), false, false),
            Decision::DidYouMean { .. } => (None, false, true),
            Decision::Rephrase { .. } | Decision::Handoff { .. } => (None, true, false),
        };
        outcomes.push(Outcome {
            truth: row.intent.clone(),
            ranked,
            answered,
            declined,
            suggested,
        });
    }
    let calibration = kb.calibration();
    let mut report = score(&outcomes, kb.entries().len());
    report.train_secs = train_secs;
    report.p50_ms = percentile(&mut latencies, 0.50);
    report.p99_ms = percentile(&mut latencies, 0.99);
    report.knn_weight = calibration.knn_weight;
    report.temperature = calibration.temperature;
    report.background = calibration.background;
    Ok(report)
}

fn ratio(numerator: usize, denominator: usize) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

fn score(outcomes: &[Outcome], faqs: usize) -> Report {
    let in_scope: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.truth != OUT_OF_SCOPE)
        .collect();
    let oos = outcomes.len() - in_scope.len();
    let rank = |o: &Outcome| o.ranked.iter().position(|r| *r == o.truth);
    let top1 = in_scope.iter().filter(|o| rank(o) == Some(0)).count();
    let top3 = in_scope
        .iter()
        .filter(|o| rank(o).is_some_and(|r| r < 3))
        .count();
    let mrr: f64 = in_scope
        .iter()
        .filter_map(|o| rank(o))
        .map(|r| 1.0 / (r as f64 + 1.0))
        .sum();
    let answered: Vec<&Outcome> = outcomes.iter().filter(|o| o.answered.is_some()).collect();
    let answered_right = answered
        .iter()
        .filter(|o| o.answered.as_deref() == Some(o.truth.as_str()))
        .count();
    let declined = outcomes.iter().filter(|o| o.declined).count();
    let declined_oos = outcomes
        .iter()
        .filter(|o| o.declined && o.truth == OUT_OF_SCOPE)
        .count();
    Report {
        questions: outcomes.len(),
        in_scope: in_scope.len(),
        out_of_scope: oos,
        faqs,
        top1: ratio(top1, in_scope.len()),
        top3: ratio(top3, in_scope.len()),
        mrr: if in_scope.is_empty() {
            0.0
        } else {
            mrr / in_scope.len() as f64
        },
        macro_f1: macro_f1(&in_scope),
        answered_rate: ratio(answered.len(), outcomes.len()),
        answered_accuracy: ratio(answered_right, answered.len()),
        did_you_mean_rate: ratio(
            outcomes.iter().filter(|o| o.suggested).count(),
            outcomes.len(),
        ),
        oos_recall: (oos > 0).then(|| ratio(declined_oos, oos)),
        oos_precision: (oos > 0).then(|| ratio(declined_oos, declined)),
        train_secs: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        knn_weight: 0.0,
        temperature: 0.0,
        background: 0.0,
    }
}

fn macro_f1(outcomes: &[&Outcome]) -> f64 {
    // (true positives, predicted, actual) per intent.
    let mut counts: FxHashMap<&str, (usize, usize, usize)> = FxHashMap::default();
    for o in outcomes {
        let predicted = o.ranked.first().map_or("", String::as_str);
        counts.entry(o.truth.as_str()).or_default().2 += 1;
        if !predicted.is_empty() {
            counts.entry(predicted).or_default().1 += 1;
        }
        if predicted == o.truth {
            counts.entry(predicted).or_default().0 += 1;
        }
    }
    let per_intent: Vec<f64> = counts
        .values()
        .filter(|(_, _, actual)| *actual > 0)
        .map(|&(tp, predicted, actual)| {
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, actual);
            if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            }
        })
        .collect();
    per_intent.iter().sum::<f64>() / per_intent.len().max(1) as f64
}

/// Nearest-rank percentile of `values` (sorted in place); 0 for an empty list.
pub fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_unstable_by(f64::total_cmp);
    let rank = (q.clamp(0.0, 1.0) * values.len() as f64).ceil() as usize;
    values
        .get(rank.saturating_sub(1).min(values.len() - 1))
        .copied()
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::labeled::read_labeled;

    const KB: &str = "question,intent\n\
        where is my parcel,track\ntrack my order,track\nhas my package shipped,track\n\
        i want a refund,refund\ngive me my money back,refund\nhow do refunds work,refund\n\
        i need an invoice,invoice\nsend me a receipt,invoice\ncan i get a vat invoice,invoice\n";

    fn run(questions: &str) -> Report {
        let kb = read_labeled(KB.as_bytes()).unwrap();
        let qs = read_labeled(questions.as_bytes()).unwrap();
        let mut tick = 0.0;
        let clock = move || {
            tick += 0.001;
            tick
        };
        evaluate(
            &kb,
            &qs,
            &[],
            MatcherSettings::default(),
            &BotSettings::default(),
            clock,
        )
        .unwrap()
    }

    #[test]
    fn figures_count_what_they_say() {
        let report = run(
            "question,intent\nwhere is my package,track\nrefund my money,refund\n\
             receipt please,invoice\nwhat is the weather on mars,oos\n",
        );
        assert_eq!(
            (report.questions, report.in_scope, report.out_of_scope),
            (4, 3, 1)
        );
        assert_eq!(report.faqs, 3);
        assert!(
            report.top1 > 0.99 && report.top3 > 0.99 && report.mrr > 0.99,
            "{report:?}"
        );
        assert!(report.macro_f1 > 0.99);
        assert!(report.oos_recall.is_some() && report.oos_precision.is_some());
        // The injected clock advances 1 ms per reading: one tick per build and per question.
        assert!((report.train_secs - 0.001).abs() < 1e-9);
        assert!((report.p50_ms - 1.0).abs() < 1e-6);
    }

    #[test]
    fn without_out_of_scope_questions_those_figures_are_absent() {
        let report = run("question,intent\nwhere is my package,track\n");
        assert_eq!(report.oos_recall, None);
        let json = serde_json::to_value(&report).unwrap();
        assert!(json.get("oos_precision").is_none());
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut v, 0.5), 50.0);
        assert_eq!(percentile(&mut v, 0.99), 99.0);
        assert_eq!(percentile(&mut [], 0.5), 0.0);
    }
}
