//! Criterion benchmarks on the Chinese demo knowledge base: one search and one bot turn.
//! The 100,000-FAQ latency and training-time figures come from `examples/bench.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use kefu_knowledge::{
    BotSettings, KnowledgeBase, MatcherSettings, entries_from_labeled, read_labeled, reply,
};
use std::hint::black_box;

fn demo(c: &mut Criterion) {
    let rows = read_labeled(include_str!("../data/demo_kb_zh.csv").as_bytes()).unwrap();
    let entries = entries_from_labeled(&rows);
    c.bench_function("build demo base", |b| {
        b.iter(|| KnowledgeBase::build(entries.clone(), &[], MatcherSettings::default()).unwrap())
    });
    let kb = KnowledgeBase::build(entries, &[], MatcherSettings::default()).unwrap();
    let bot = BotSettings::default();
    c.bench_function("search", |b| {
        b.iter(|| kb.search(black_box("我买的东西怎么还没发货"), 5).unwrap())
    });
    c.bench_function("bot turn", |b| {
        b.iter(|| reply(&kb, &bot, black_box("退款多久能到账啊"), 0).unwrap())
    });
}

criterion_group!(benches, demo);
criterion_main!(benches);
