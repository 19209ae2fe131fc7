//! kefu-knowledge: the bot's pure knowledge core — text analysis, FAQ matching with calibrated
//! confidence, the answer/suggest/rephrase/handoff decision, and the evaluation metrics.
//!
//! No clock, no I/O beyond parsing a reader handed in, no randomness except from a seed: the
//! same entries and settings always give the same matcher and the same answers.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod decide;
pub mod error;
pub mod eval;
pub mod exchange;
pub mod features;
pub mod fulltext;
pub mod labeled;
pub mod matcher;
pub mod model;
pub mod scenario;
pub mod text;
pub mod turn;

pub use decide::{
    BotSettings, Decision, HandoffReason, decide, decide_matches, reply, reply_matches, wants_human,
};
pub use error::KnowledgeError;
pub use eval::{Report, evaluate};
pub use exchange::{FaqRecord, FileFormat, LineProblem, Problem};
pub use labeled::{Labeled, OUT_OF_SCOPE, entries_from_labeled, read_labeled};
pub use matcher::{
    Calibration, FaqEntry, KnowledgeBase, MAX_QUESTION_CHARS, Match, MatcherSettings,
    prepare_question,
};
pub use text::{Analyzer, Token, TokenKind, VocabEntry, normalize};
pub use turn::{Handoff, ReplyLanguage, failed_attempts_after};
