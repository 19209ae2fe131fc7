//! One bot turn in a live conversation: which language to answer in, the words the customer
//! reads for each decision, and how the count of failed attempts moves from turn to turn.

use crate::decide::{Decision, HandoffReason};

/// The language the bot answers in: Chinese when the customer wrote any Han character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyLanguage {
    Chinese,
    English,
}

impl ReplyLanguage {
    pub fn of(text: &str) -> Self {
        if text.chars().any(is_han) {
            ReplyLanguage::Chinese
        } else {
            ReplyLanguage::English
        }
    }
}

fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2EBEF | 0x30000..=0x3134F)
}

/// Why a conversation leaves the bot for a person; `Failed` when the bot itself could not
/// answer (no knowledge, an error): the customer gets a polite word, never the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handoff {
    Requested,
    NotUnderstood,
    Failed,
    /// A scenario's call to the tenant's system failed (or its answer lacked a field).
    IntegrationFailed,
    /// A scenario's `handoff` step.
    Scenario,
}

impl Handoff {
    pub fn as_str(self) -> &'static str {
        match self {
            Handoff::Requested => "requested",
            Handoff::NotUnderstood => "not_understood",
            Handoff::Failed => "bot_failed",
            Handoff::IntegrationFailed => "integration_failed",
            Handoff::Scenario => "scenario",
        }
    }
}

impl From<HandoffReason> for Handoff {
    fn from(reason: HandoffReason) -> Self {
        match reason {
            HandoffReason::Requested => Handoff::Requested,
            HandoffReason::NotUnderstood => Handoff::NotUnderstood,
        }
    }
}

/// What the bot says to introduce "did you mean" choices.
pub fn did_you_mean_text(language: ReplyLanguage) -> &'static str {
    match language {
        ReplyLanguage::Chinese => "您是想问以下哪个问题？请点击选择：",
        ReplyLanguage::English => "Did you mean one of these? Please pick one:",
    }
}

/// The polite request to say it again; the first and the later ones differ a little.
pub fn rephrase_text(language: ReplyLanguage, attempt: u32) -> &'static str {
    match (language, attempt <= 1) {
        (ReplyLanguage::Chinese, true) => {
            "抱歉，我没有理解您的问题，能换个说法再描述一下吗？您也可以输入“转人工”联系人工客服。"
        }
        (ReplyLanguage::Chinese, false) => {
            "抱歉，我还是没有理解。请用一句话简单描述您遇到的问题，例如“怎么申请退货”。"
        }
        (ReplyLanguage::English, true) => {
            "Sorry, I didn't quite understand. Could you say it another way? You can also type \"agent\" to reach a person."
        }
        (ReplyLanguage::English, false) => {
            "Sorry, I still didn't get that. Please describe your question in one sentence, e.g. \"how do I return an item\"."
        }
    }
}

/// What the customer reads when the conversation goes to a person.
pub fn handoff_text(language: ReplyLanguage, why: Handoff) -> &'static str {
    match (language, why) {
        (ReplyLanguage::Chinese, Handoff::Requested) => "好的，正在为您转接人工客服，请稍候。",
        (ReplyLanguage::Chinese, Handoff::NotUnderstood) => {
            "抱歉没能帮到您，正在为您转接人工客服，请稍候。"
        }
        (ReplyLanguage::Chinese, Handoff::Failed) => {
            "抱歉，智能助手暂时无法回答，正在为您转接人工客服，请稍候。"
        }
        (ReplyLanguage::Chinese, Handoff::IntegrationFailed) => {
            "抱歉，暂时没能查到相关信息，正在为您转接人工客服，请稍候。"
        }
        (ReplyLanguage::Chinese, Handoff::Scenario) => "正在为您转接人工客服，请稍候。",
        (ReplyLanguage::English, Handoff::IntegrationFailed) => {
            "Sorry, I couldn't look that up just now. Connecting you to a person; please wait a moment."
        }
        (ReplyLanguage::English, Handoff::Scenario) => {
            "Connecting you to a person now. Please wait a moment."
        }
        (ReplyLanguage::English, Handoff::Requested) => {
            "Sure, connecting you to a person now. Please wait a moment."
        }
        (ReplyLanguage::English, Handoff::NotUnderstood) => {
            "Sorry I couldn't help. Connecting you to a person now; please wait a moment."
        }
        (ReplyLanguage::English, Handoff::Failed) => {
            "Sorry, the assistant cannot answer right now. Connecting you to a person; please wait a moment."
        }
    }
}

/// The failed-attempt count after a decision: rephrasing adds one, anything the customer can
/// act on (an answer, choices) starts the count again, a handoff keeps it as it was.
pub fn failed_attempts_after(decision: &Decision, before: u32) -> u32 {
    match decision {
        Decision::Rephrase { attempt, .. } => *attempt,
        Decision::Answer { .. } | Decision::DidYouMean { .. } => 0,
        Decision::Handoff { .. } => before,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::matcher::Match;

    #[test]
    fn han_characters_pick_chinese() {
        assert_eq!(ReplyLanguage::of("我的快递到哪了"), ReplyLanguage::Chinese);
        assert_eq!(ReplyLanguage::of("iPhone 发票"), ReplyLanguage::Chinese);
        assert_eq!(
            ReplyLanguage::of("where is my parcel?"),
            ReplyLanguage::English
        );
        assert_eq!(ReplyLanguage::of("１２３"), ReplyLanguage::English);
    }

    #[test]
    fn the_count_grows_on_rephrase_and_restarts_on_an_answer() {
        let m = Match {
            entry: 0,
            confidence: 0.9,
            similarity: 0.9,
        };
        let rephrase = Decision::Rephrase {
            attempt: 2,
            best: vec![],
        };
        assert_eq!(failed_attempts_after(&rephrase, 1), 2);
        let answer = Decision::Answer {
            answer: m,
            best: vec![m],
        };
        assert_eq!(failed_attempts_after(&answer, 2), 0);
        let handoff = Decision::Handoff {
            reason: HandoffReason::Requested,
            best: vec![],
        };
        assert_eq!(failed_attempts_after(&handoff, 1), 1);
    }

    #[test]
    fn every_text_exists_in_both_languages() {
        for language in [ReplyLanguage::Chinese, ReplyLanguage::English] {
            for why in [
                Handoff::Requested,
                Handoff::NotUnderstood,
                Handoff::Failed,
                Handoff::IntegrationFailed,
                Handoff::Scenario,
            ] {
                let text = handoff_text(language, why);
                assert_eq!(ReplyLanguage::of(text), language, "{text}");
            }
            assert_ne!(rephrase_text(language, 1), rephrase_text(language, 2));
            assert_eq!(ReplyLanguage::of(did_you_mean_text(language)), language);
        }
    }
}
