//! kefu-knowledge's one integration test binary: property tests of the matcher's invariants and
//! the Chinese demo knowledge base answering, suggesting and handing off end to end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kefu_knowledge::{
    Analyzer, BotSettings, Decision, HandoffReason, KnowledgeBase, Match, MatcherSettings, decide,
    entries_from_labeled, prepare_question, read_labeled, reply,
};
use proptest::prelude::*;
use std::sync::OnceLock;

fn demo_kb() -> &'static KnowledgeBase {
    static KB: OnceLock<KnowledgeBase> = OnceLock::new();
    KB.get_or_init(|| {
        let rows = read_labeled(include_str!("../data/demo_kb_zh.csv").as_bytes()).unwrap();
        KnowledgeBase::build(entries_from_labeled(&rows), &[], MatcherSettings::default()).unwrap()
    })
}

fn id(kb: &KnowledgeBase, m: &Match) -> String {
    kb.entry(m.entry).unwrap().id.clone()
}

#[test]
fn the_demo_base_answers_common_questions() {
    let kb = demo_kb();
    let bot = BotSettings::default();
    for (question, intent) in [
        ("我的快递到哪了", "logistics_where"),
        ("怎么开发票", "invoice_how"),
        ("忘记密码怎么办", "account_password"),
    ] {
        match reply(kb, &bot, question, 0).unwrap() {
            Decision::Answer { answer, .. } => assert_eq!(id(kb, &answer), intent),
            other => panic!("{question}: {other:?}"),
        }
    }
    let ranked = kb.search("退款什么时候能到我的卡上", 3).unwrap();
    assert!(
        ranked.iter().any(|m| id(kb, m) == "refund_time"),
        "{ranked:?}"
    );
}

#[test]
fn asking_for_a_person_hands_off_with_the_best_guesses() {
    let kb = demo_kb();
    match reply(kb, &BotSettings::default(), "退货太麻烦了，转人工", 0).unwrap() {
        Decision::Handoff { reason, best } => {
            assert_eq!(reason, HandoffReason::Requested);
            assert!(!best.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_demo_files_are_consistent() {
    let kb_rows = read_labeled(include_str!("../data/demo_kb_zh.csv").as_bytes()).unwrap();
    let eval = read_labeled(include_str!("../data/demo_eval_zh.csv").as_bytes()).unwrap();
    let faq = include_str!("../data/demo_faq_zh.csv");
    let entries = entries_from_labeled(&kb_rows);
    assert!(entries.len() >= 40);
    assert!(entries.iter().all(|e| e.similar.len() >= 3));
    assert!(eval.len() >= 150);
    assert!(eval.iter().any(|r| r.intent == "oos"));
    for entry in &entries {
        assert!(
            faq.contains(&format!("\n{},", entry.id)),
            "{} has no answer",
            entry.id
        );
    }
    for row in eval.iter().filter(|r| r.intent != "oos") {
        assert!(
            entries.iter().any(|e| e.id == row.intent),
            "line {}",
            row.line
        );
    }
}

fn kb_words() -> impl Strategy<Value = String> {
    let words = prop::sample::select(vec![
        "快递",
        "退货",
        "发票",
        "密码",
        "优惠券",
        "where",
        "refund",
        "order",
        "人",
        "的",
        "12345",
        "ＡＢＣ",
        "!!",
        " ",
        "吗",
    ]);
    prop::collection::vec(words, 1..12).prop_map(|w| w.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_analyzer_never_panics_on_any_text(text in any::<String>()) {
        let tokens = Analyzer::new(&[], true).analyze(&text);
        prop_assert!(tokens.iter().all(|t| !t.term.is_empty()));
    }

    #[test]
    fn search_gives_ordered_probabilities(
        question in prop_oneof![kb_words(), any::<String>()],
        limit in 0usize..8,
    ) {
        let kb = demo_kb();
        match kb.search(&question, limit) {
            Ok(matches) => {
                prop_assert!(matches.len() <= limit);
                prop_assert!(matches.iter().all(|m| (0.0..=1.0).contains(&m.confidence)));
                prop_assert!(matches.windows(2).all(|w| w[0].confidence >= w[1].confidence));
                prop_assert!(matches.iter().map(|m| m.confidence).sum::<f32>() <= 1.0 + 1e-4);
            }
            Err(e) => {
                prop_assert_eq!(e.code(), "empty_question");
                prop_assert!(question.trim().is_empty());
            }
        }
    }

    #[test]
    fn long_questions_are_cut_not_refused(text in "\\PC{1,900}", max in 1usize..600) {
        if let Ok(cut) = prepare_question(&text, max) {
            prop_assert!(cut.chars().count() <= max);
        } else {
            prop_assert!(text.trim().is_empty());
        }
    }

    #[test]
    fn the_decision_follows_its_rule(
        mut confidences in prop::collection::vec(0.0f32..=1.0, 0..6),
        failed in 0u32..4,
        tau in 0.2f32..0.9,
        delta in 0.0f32..0.5,
    ) {
        confidences.sort_by(|a, b| b.total_cmp(a));
        let matches: Vec<Match> = confidences
            .iter()
            .enumerate()
            .map(|(entry, &confidence)| Match { entry, confidence, similarity: 0.0 })
            .collect();
        let settings = BotSettings {
            answer_threshold: tau,
            margin: delta,
            suggest_threshold: 0.1,
            ..BotSettings::default()
        };
        let top = confidences.first().copied().unwrap_or(0.0);
        let second = confidences.get(1).copied().unwrap_or(0.0);
        match decide(&settings, &matches, failed) {
            Decision::Answer { answer, .. } => {
                prop_assert_eq!(answer.entry, 0);
                prop_assert!(top >= tau && top - second >= delta);
            }
            Decision::DidYouMean { choices, .. } => {
                prop_assert!(top - second < delta);
                prop_assert!((2..=3).contains(&choices.len()));
                prop_assert!(choices.iter().all(|c| c.confidence >= 0.1));
            }
            Decision::Rephrase { attempt, .. } => {
                prop_assert!(failed < settings.rephrase_attempts);
                prop_assert_eq!(attempt, failed + 1);
                prop_assert!(top < tau || top - second < delta);
            }
            Decision::Handoff { reason, .. } => {
                prop_assert_eq!(reason, HandoffReason::NotUnderstood);
                prop_assert!(failed >= settings.rephrase_attempts);
            }
        }
    }
}
