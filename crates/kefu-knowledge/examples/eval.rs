//! Runs the evaluation harness on two `question,intent` CSVs with the default settings, for
//! tuning in release builds without the CLI: `cargo run --release --example eval -- KB Q`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kefu_knowledge::{BotSettings, MatcherSettings, evaluate, read_labeled};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let open = |p: &str| std::fs::File::open(p).expect("readable file");
    let kb = read_labeled(open(&args[1])).expect("valid kb");
    let questions = read_labeled(open(&args[2])).expect("valid questions");
    let mut matcher = MatcherSettings::default();
    if let Some(json) = args.get(3) {
        matcher = serde_json::from_str(json).expect("matcher settings json");
    }
    let clock = Instant::now();
    let report = evaluate(
        &kb,
        &questions,
        &[],
        matcher,
        &BotSettings::default(),
        || clock.elapsed().as_secs_f64(),
    )
    .expect("evaluation");
    println!("{}", serde_json::to_string(&report).expect("json"));
}
