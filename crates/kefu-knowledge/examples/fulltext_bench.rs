//! Full-text search latency on generated data (run with `--release`): the time to index
//! 100,000 FAQs (question, one similar question, answer), and search p50/p99 over 2,000
//! queries, top 10 with title and snippet highlights, as `GET /api/v1/kb/search` runs it.
//! `cargo run --release -p kefu-knowledge --example fulltext_bench [FAQS]`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kefu_knowledge::eval::percentile;
use kefu_knowledge::fulltext::{DocKind, FullTextIndex, IndexDoc, SearchRequest};
use kefu_knowledge::model::Rng;
use std::time::Instant;

const HAN: &str = "退货换款物流快递发票支付账号密码优惠券积分会员订单地址电话商品质量维修保修尺码颜色价格运费包邮取消申请查询修改绑定注销客服时间到账信用卡分期活动满减正品库存补货签收破损少发错发";
const ENGLISH: [&str; 40] = [
    "order",
    "refund",
    "return",
    "parcel",
    "delivery",
    "invoice",
    "payment",
    "account",
    "password",
    "coupon",
    "points",
    "member",
    "address",
    "phone",
    "quality",
    "repair",
    "warranty",
    "size",
    "colour",
    "price",
    "shipping",
    "free",
    "cancel",
    "apply",
    "track",
    "change",
    "bind",
    "close",
    "service",
    "time",
    "card",
    "instalment",
    "sale",
    "discount",
    "genuine",
    "stock",
    "restock",
    "signed",
    "broken",
    "missing",
];

fn han_words(rng: &mut Rng) -> Vec<String> {
    let han: Vec<char> = HAN.chars().collect();
    (0..2_000)
        .map(|_| {
            let a = han[(rng.next_u64() as usize) % han.len()];
            let b = han[(rng.next_u64() as usize) % han.len()];
            [a, b].iter().collect()
        })
        .collect()
}

/// Zipf-like pick: common words are much more common, as in real questions.
fn pick<'a, T: AsRef<str>>(rng: &mut Rng, words: &'a [T]) -> &'a str {
    let u = (rng.next_u64() % 1_000_000) as f64 / 1_000_000.0;
    let index = ((words.len() as f64).powf(u) - 1.0) as usize;
    words[index.min(words.len() - 1)].as_ref()
}

/// Chinese runs together without spaces; English with them.
fn sentence(rng: &mut Rng, han: &[String], chinese: bool) -> String {
    let n = 3 + (rng.next_u64() % 5) as usize;
    if chinese {
        (0..n).map(|_| pick(rng, han)).collect()
    } else {
        (0..n)
            .map(|_| pick(rng, &ENGLISH))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .map_or(100_000, |a| a.parse().expect("a number of FAQs"));
    let mut rng = Rng::new(2026);
    let han = han_words(&mut rng);
    let docs: Vec<IndexDoc> = (0..count)
        .map(|i| {
            // Seven in ten FAQs are Chinese.
            let chinese = i % 10 < 7;
            IndexDoc {
                kind: DocKind::Faq,
                id: format!("faq-{i}"),
                title: sentence(&mut rng, &han, chinese),
                alternates: vec![sentence(&mut rng, &han, chinese)],
                body: format!(
                    "{} **{}**",
                    sentence(&mut rng, &han, chinese),
                    sentence(&mut rng, &han, chinese)
                ),
                tags: Vec::new(),
                language: None,
                category_id: None,
                published: i % 20 != 0,
            }
        })
        .collect();
    let queries: Vec<String> = (0..2_000)
        .map(|i| {
            let chinese = i % 10 < 7;
            let n = 1 + (rng.next_u64() % 3) as usize;
            if chinese {
                (0..n).map(|_| pick(&mut rng, &han)).collect()
            } else {
                (0..n)
                    .map(|_| pick(&mut rng, &ENGLISH))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        })
        .collect();
    let started = Instant::now();
    let index = FullTextIndex::build(&[], docs).expect("build");
    let build_secs = started.elapsed().as_secs_f64();

    // Three rounds; the per-query minimum filters out preemption on a shared machine, which is
    // what the "quiet" figure reports (the work per query is the same each round).
    let mut rounds: Vec<Vec<f64>> = Vec::new();
    let mut hits = 0usize;
    for _ in 0..3 {
        let mut times = Vec::with_capacity(queries.len());
        for q in &queries {
            let t = Instant::now();
            let found = index
                .search(&SearchRequest {
                    query: q,
                    language: None,
                    include_drafts: false,
                    kind: None,
                    limit: 10,
                })
                .expect("search");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            hits += found.len();
        }
        rounds.push(times);
    }
    let mut quiet: Vec<f64> = (0..queries.len())
        .map(|i| rounds.iter().map(|r| r[i]).fold(f64::INFINITY, f64::min))
        .collect();
    let mut first = rounds.swap_remove(0);
    println!(
        "{}",
        serde_json::json!({
            "faqs": count,
            "build_secs": build_secs,
            "queries": queries.len(),
            "mean_hits": hits as f64 / (3 * queries.len()) as f64,
            "search_p50_ms": percentile(&mut first, 0.5),
            "search_p99_ms": percentile(&mut first, 0.99),
            "quiet_search_p50_ms": percentile(&mut quiet, 0.5),
            "quiet_search_p99_ms": percentile(&mut quiet, 0.99),
        })
    );
}
