//! Latency and training-time figures on generated data (run with `--release`):
//! search and bot-decision p50/p99 over a 100,000-FAQ base, and the time to train on 10,000
//! similar questions. `cargo run --release -p kefu-knowledge --example bench [FAQS]`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kefu_knowledge::eval::percentile;
use kefu_knowledge::model::Rng;
use kefu_knowledge::{BotSettings, FaqEntry, KnowledgeBase, MatcherSettings, reply};
use std::time::Instant;

const HAN: &str = "退货换款物流快递发票支付账号密码优惠券积分会员订单地址电话商品质量维修保修尺码颜色价格运费包邮取消申请查询修改绑定注销客服时间到账信用卡分期活动满减正品库存补货签收破损少发错发";
const SYLLABLES: [&str; 16] = [
    "ka", "lo", "mi", "tor", "ven", "sa", "pri", "der", "qu", "zen", "bal", "ro", "tis", "mun",
    "fe", "ga",
];

/// A fixed vocabulary: Latin pseudo-words and Han two-character words.
fn vocabulary(rng: &mut Rng) -> Vec<String> {
    let han: Vec<char> = HAN.chars().collect();
    let mut words = Vec::new();
    for _ in 0..4_000 {
        let n = 2 + (rng.next_u64() % 2) as usize;
        words.push(
            (0..n)
                .map(|_| SYLLABLES[(rng.next_u64() % 16) as usize])
                .collect(),
        );
    }
    for _ in 0..2_000 {
        let a = han[(rng.next_u64() as usize) % han.len()];
        let b = han[(rng.next_u64() as usize) % han.len()];
        words.push([a, b].iter().collect());
    }
    words
}

/// Zipf-like pick: common words are much more common, as in real questions.
fn pick<'a>(rng: &mut Rng, words: &'a [String]) -> &'a str {
    let u = (rng.next_u64() % 1_000_000) as f64 / 1_000_000.0;
    let index = ((words.len() as f64).powf(u) - 1.0) as usize;
    &words[index.min(words.len() - 1)]
}

fn sentence(rng: &mut Rng, words: &[String]) -> String {
    let n = 4 + (rng.next_u64() % 6) as usize;
    (0..n)
        .map(|_| pick(rng, words))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A question like `q` with one word dropped and one replaced.
fn perturb(rng: &mut Rng, q: &str, words: &[String]) -> String {
    let mut parts: Vec<String> = q.split(' ').map(str::to_owned).collect();
    if parts.len() > 3 {
        let i = (rng.next_u64() as usize) % parts.len();
        parts.remove(i);
    }
    let j = (rng.next_u64() as usize) % parts.len();
    parts[j] = pick(rng, words).to_owned();
    parts.join(" ")
}

fn faqs(rng: &mut Rng, words: &[String], count: usize, similar: usize) -> Vec<FaqEntry> {
    (0..count)
        .map(|i| {
            let question = sentence(rng, words);
            let similar = (0..similar)
                .map(|_| perturb(rng, &question, words))
                .collect();
            FaqEntry {
                id: format!("faq-{i}"),
                question,
                similar,
                answer: format!("answer {i}"),
                language: None,
            }
        })
        .collect()
}

/// One round's search and decision times, in milliseconds, in question order.
type Round = (Vec<f64>, Vec<f64>);

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .map_or(100_000, |a| a.parse().expect("a number of FAQs"));
    let mut rng = Rng::new(2026);
    let words = vocabulary(&mut rng);

    // Training: 2,000 FAQs × 5 questions = 10,000 questions.
    let small = faqs(&mut rng, &words, 2_000, 4);
    let started = Instant::now();
    let kb = KnowledgeBase::build(small, &[], MatcherSettings::default()).expect("build");
    let train_10k = started.elapsed().as_secs_f64();
    drop(kb);

    let entries = faqs(&mut rng, &words, count, 1);
    let queries: Vec<String> = (0..2_000)
        .map(|i| {
            if i % 10 == 0 {
                sentence(&mut rng, &words)
            } else {
                let e = &entries[(rng.next_u64() as usize) % entries.len()];
                perturb(&mut rng, &e.question, &words)
            }
        })
        .collect();
    let started = Instant::now();
    let kb = KnowledgeBase::build(entries, &[], MatcherSettings::default()).expect("build");
    let build_big = started.elapsed().as_secs_f64();

    let bot = BotSettings::default();
    // Three rounds: the first round's times are the raw figures; the per-question minimum over
    // the rounds filters out preemption on a shared machine (the work per question is the same
    // each round), which is what the "quiet" figures report.
    let mut rounds: Vec<Round> = Vec::new();
    for _ in 0..3 {
        let (mut search, mut decide) = (Vec::new(), Vec::new());
        for q in &queries {
            let t = Instant::now();
            let matches = kb.search(q, 5).expect("search");
            search.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(matches);
            let t = Instant::now();
            let decision = reply(&kb, &bot, q, 0).expect("reply");
            decide.push(t.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(decision);
        }
        rounds.push((search, decide));
    }
    let quiet = |pick: fn(&Round) -> &Vec<f64>| -> Vec<f64> {
        (0..queries.len())
            .map(|i| {
                rounds
                    .iter()
                    .map(|r| pick(r)[i])
                    .fold(f64::INFINITY, f64::min)
            })
            .collect()
    };
    let mut quiet_search = quiet(|r| &r.0);
    let mut quiet_decide = quiet(|r| &r.1);
    let (mut search, mut decide) = rounds.swap_remove(0);
    println!(
        "{}",
        serde_json::json!({
            "train_10k_questions_secs": train_10k,
            "faqs": count,
            "build_secs": build_big,
            "search_p50_ms": percentile(&mut search, 0.5),
            "search_p99_ms": percentile(&mut search, 0.99),
            "decision_p50_ms": percentile(&mut decide, 0.5),
            "decision_p99_ms": percentile(&mut decide, 0.99),
            "quiet_search_p99_ms": percentile(&mut quiet_search, 0.99),
            "quiet_decision_p99_ms": percentile(&mut quiet_decide, 0.99),
        })
    );
}
