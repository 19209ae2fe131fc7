//! Guided scenarios: the steps a tenant defines (ask for a slot, offer choices, call an
//! integration, say a template, hand off) and the walk through them, one message at a time.
//!
//! Pure: the caller keeps the [`ScenarioState`] between messages and makes the HTTP call that a
//! `call` step asks for, feeding its answer back in; nothing here reads a clock or the network.

use crate::decide::wants_human;
use crate::exchange::Problem;
use crate::turn::{Handoff, ReplyLanguage, handoff_text};
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

pub const MAX_STEPS: usize = 50;
pub const MAX_TEXT_CHARS: usize = 2000;
pub const MAX_PATTERN_CHARS: usize = 200;
/// The longest slot answer kept when a step sets no `max_length`.
pub const DEFAULT_MAX_ANSWER_CHARS: usize = 200;
pub const MAX_OPTIONS: usize = 10;
pub const MAX_LABEL_CHARS: usize = 50;
/// A scenario whose jumps never stop to wait would spin: one turn walks at most this many steps.
const MAX_STEPS_PER_TURN: usize = 2 * MAX_STEPS;
/// Compiled patterns stay small: a tenant's regex must not cost the server memory or time.
const PATTERN_SIZE_LIMIT: usize = 1 << 18;

/// One step of a scenario. Texts are given in Chinese (or the one language the tenant uses);
/// the `_en` twin, when set, is what an English-writing customer reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Asks for a value and keeps it under `slot`; an answer not fully matching `pattern` (or
    /// longer than `max_length`) is asked again with `retry_prompt`.
    Ask {
        slot: String,
        prompt: String,
        prompt_en: Option<String>,
        pattern: Option<String>,
        max_length: Option<usize>,
        retry_prompt: Option<String>,
        retry_prompt_en: Option<String>,
    },
    /// Asks with buttons; the chosen option jumps to a step, ends, or goes on to the next step.
    Choice {
        prompt: String,
        prompt_en: Option<String>,
        options: Vec<ChoiceOption>,
    },
    /// Calls a tenant's integration with the slots collected so far; its JSON answer is
    /// `{result.…}` in later `say` steps.
    Call { integration_id: Uuid },
    /// Says a template: `{slot}` and `{result.path.to.field}` are filled in as plain text.
    Say {
        text: String,
        text_en: Option<String>,
    },
    /// Hands the conversation to a person, who sees the collected slots.
    Handoff {
        text: Option<String>,
        text_en: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    pub label: String,
    pub label_en: Option<String>,
    /// The step (0-based) this option jumps to; none goes on with the next step.
    pub goto: Option<usize>,
    /// Ends the scenario here.
    #[serde(default)]
    pub end: bool,
}

/// Where a customer is in a scenario; stored with the bot session between messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioState {
    pub scenario_id: Uuid,
    /// The step waiting for the customer (or for the call's answer).
    pub step: usize,
    pub slots: BTreeMap<String, String>,
    /// The last call's JSON answer.
    pub result: Option<Value>,
    /// Invalid answers in a row to the waiting step.
    pub invalid_answers: u32,
    /// Chosen when the scenario starts, so "12345" later does not switch the language.
    pub chinese: bool,
}

impl ScenarioState {
    pub fn start(scenario_id: Uuid, language: ReplyLanguage) -> Self {
        ScenarioState {
            scenario_id,
            step: 0,
            slots: BTreeMap::new(),
            result: None,
            invalid_answers: 0,
            chinese: language == ReplyLanguage::Chinese,
        }
    }

    pub fn language(&self) -> ReplyLanguage {
        if self.chinese {
            ReplyLanguage::Chinese
        } else {
            ReplyLanguage::English
        }
    }
}

/// What moves the walk on.
#[derive(Debug, Clone, PartialEq)]
pub enum Input<'a> {
    /// The scenario was just triggered.
    Start,
    /// The customer's message while a step waits.
    Answer(&'a str),
    /// The answer of the call the last turn asked for: its JSON, or an error code.
    CallResult(Result<Value, String>),
}

/// What the walk does after one input.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Keep `state` and wait for the customer; `options` are buttons to show.
    Wait {
        state: ScenarioState,
        options: Vec<String>,
    },
    /// Make this call, then feed its answer back with `state`.
    Call {
        state: ScenarioState,
        integration_id: Uuid,
        slots: BTreeMap<String, String>,
    },
    /// Hand off to a person, who sees the slots and (for a failed call) the error code.
    Handoff {
        why: Handoff,
        slots: BTreeMap<String, String>,
        error: Option<String>,
    },
    /// The scenario ended; the bot answers normally again.
    Done,
}

/// The texts the customer reads (in order) and what comes next.
#[derive(Debug, Clone, PartialEq)]
pub struct Walk {
    pub says: Vec<String>,
    pub next: Next,
}

/// One move of the walk. `slot_attempts` is how many invalid answers in a row hand off.
pub fn advance(steps: &[Step], state: ScenarioState, input: Input<'_>, slot_attempts: u32) -> Walk {
    let walker = Walker {
        steps,
        state,
        says: Vec::new(),
    };
    match input {
        Input::Start => walker.run(0),
        Input::Answer(text) => walker.answer(text, slot_attempts.max(1)),
        Input::CallResult(result) => walker.call_result(result),
    }
}

struct Walker<'s> {
    steps: &'s [Step],
    state: ScenarioState,
    says: Vec<String>,
}

impl Walker<'_> {
    fn language(&self) -> ReplyLanguage {
        self.state.language()
    }

    fn pick(&self, zh: &str, en: Option<&String>) -> String {
        match (self.language(), en) {
            (ReplyLanguage::English, Some(en)) if !en.trim().is_empty() => en.clone(),
            _ => zh.to_owned(),
        }
    }

    fn finish(mut self, next: Next) -> Walk {
        if self.says.is_empty() {
            self.says.push(done_text(self.language()).to_owned());
        }
        Walk {
            says: self.says,
            next,
        }
    }

    fn handoff(mut self, why: Handoff, text: Option<String>, error: Option<String>) -> Walk {
        let text = text.unwrap_or_else(|| handoff_text(self.language(), why).to_owned());
        self.says.push(text);
        let slots = self.state.slots.clone();
        self.finish(Next::Handoff { why, slots, error })
    }

    fn answer(mut self, text: &str, slot_attempts: u32) -> Walk {
        if wants_human(text) {
            return self.handoff(Handoff::Requested, None, None);
        }
        let text = text.trim();
        let at = self.state.step;
        let next = match self.steps.get(at) {
            Some(Step::Ask {
                slot,
                pattern,
                max_length,
                ..
            }) => match valid_answer(text, pattern.as_deref(), *max_length) {
                Ok(true) => {
                    self.state.slots.insert(slot.clone(), text.to_owned());
                    Some(at + 1)
                }
                Ok(false) => None,
                Err(()) => return self.handoff(Handoff::Failed, None, None),
            },
            Some(Step::Choice { options, .. }) => match chosen(options, text) {
                Some(option) if option.end => return self.finish(Next::Done),
                Some(option) => Some(option.goto.unwrap_or(at + 1)),
                None => None,
            },
            _ => return self.handoff(Handoff::Failed, None, None),
        };
        match next {
            Some(next) => {
                self.state.invalid_answers = 0;
                self.run(next)
            }
            None => {
                self.state.invalid_answers += 1;
                if self.state.invalid_answers >= slot_attempts {
                    return self.handoff(Handoff::NotUnderstood, None, None);
                }
                self.ask_again(at)
            }
        }
    }

    fn ask_again(mut self, at: usize) -> Walk {
        let retry = match self.steps.get(at) {
            Some(Step::Ask {
                prompt,
                prompt_en,
                retry_prompt: Some(retry),
                retry_prompt_en,
                ..
            }) if !retry.trim().is_empty() => {
                let _ = (prompt, prompt_en);
                self.pick(retry, retry_prompt_en.as_ref())
            }
            Some(Step::Ask {
                prompt, prompt_en, ..
            }) => format!(
                "{} {}",
                invalid_text(self.language()),
                self.pick(prompt, prompt_en.as_ref())
            ),
            _ => invalid_choice_text(self.language()).to_owned(),
        };
        self.says.push(retry);
        let options = self.options_at(at);
        let state = self.state.clone();
        self.finish(Next::Wait { state, options })
    }

    fn options_at(&self, at: usize) -> Vec<String> {
        match self.steps.get(at) {
            Some(Step::Choice { options, .. }) => options
                .iter()
                .map(|o| self.pick(&o.label, o.label_en.as_ref()))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn call_result(mut self, result: Result<Value, String>) -> Walk {
        let at = self.state.step;
        if !matches!(self.steps.get(at), Some(Step::Call { .. })) {
            return self.handoff(Handoff::Failed, None, None);
        }
        match result {
            Ok(value) => {
                self.state.result = Some(value);
                self.run(at + 1)
            }
            Err(code) => self.handoff(Handoff::IntegrationFailed, None, Some(code)),
        }
    }

    /// Walks from step `at` until a step waits, calls, hands off, or the steps run out.
    fn run(mut self, mut at: usize) -> Walk {
        self.state.invalid_answers = 0;
        for _ in 0..MAX_STEPS_PER_TURN {
            let Some(step) = self.steps.get(at) else {
                return self.finish(Next::Done);
            };
            self.state.step = at;
            match step {
                Step::Ask {
                    prompt, prompt_en, ..
                } => {
                    self.says.push(self.pick(prompt, prompt_en.as_ref()));
                    let state = self.state.clone();
                    return self.finish(Next::Wait {
                        state,
                        options: Vec::new(),
                    });
                }
                Step::Choice {
                    prompt, prompt_en, ..
                } => {
                    self.says.push(self.pick(prompt, prompt_en.as_ref()));
                    let options = self.options_at(at);
                    let state = self.state.clone();
                    return self.finish(Next::Wait { state, options });
                }
                Step::Call { integration_id } => {
                    let (state, integration_id) = (self.state.clone(), *integration_id);
                    let slots = self.state.slots.clone();
                    return Walk {
                        says: self.says,
                        next: Next::Call {
                            state,
                            integration_id,
                            slots,
                        },
                    };
                }
                Step::Say { text, text_en } => {
                    let template = self.pick(text, text_en.as_ref());
                    match render(&template, &self.state.slots, self.state.result.as_ref()) {
                        Ok(text) => self.says.push(text),
                        Err(missing) => {
                            return self.handoff(
                                Handoff::IntegrationFailed,
                                None,
                                Some(format!("missing_field:{missing}")),
                            );
                        }
                    }
                    at += 1;
                }
                Step::Handoff { text, text_en } => {
                    let text = text.as_ref().map(|zh| self.pick(zh, text_en.as_ref()));
                    return self.handoff(Handoff::Scenario, text, None);
                }
            }
        }
        self.handoff(Handoff::Failed, None, None)
    }
}

/// Whether a slot answer fits its step; `Err` when the stored pattern no longer compiles.
fn valid_answer(text: &str, pattern: Option<&str>, max_length: Option<usize>) -> Result<bool, ()> {
    let max = max_length.unwrap_or(DEFAULT_MAX_ANSWER_CHARS);
    if text.is_empty() || text.chars().count() > max {
        return Ok(false);
    }
    match pattern.filter(|p| !p.is_empty()) {
        None => Ok(true),
        Some(pattern) => Ok(compile_pattern(pattern).map_err(|_| ())?.is_match(text)),
    }
}

/// A slot pattern must match the whole answer, not a part of it.
pub fn compile_pattern(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
}

fn fold(text: &str) -> String {
    text.trim().to_lowercase()
}

/// The option a message picks: its label in either language, or its number (1-based).
fn chosen<'o>(options: &'o [ChoiceOption], text: &str) -> Option<&'o ChoiceOption> {
    let text = fold(text);
    if let Ok(n) = text.parse::<usize>() {
        return n.checked_sub(1).and_then(|i| options.get(i));
    }
    options.iter().find(|o| {
        fold(&o.label) == text || o.label_en.as_deref().is_some_and(|en| fold(en) == text)
    })
}

/// Fills `{slot}` and `{result.path}` placeholders; `Err` names the first one with no value.
/// Braces around anything that is not a name are kept as written.
pub fn render(
    template: &str,
    slots: &BTreeMap<String, String>,
    result: Option<&Value>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}').filter(|&c| is_placeholder(&after[..c])) else {
            out.push('{');
            rest = after;
            continue;
        };
        let name = &after[..close];
        out.push_str(&lookup(name, slots, result).ok_or_else(|| name.to_owned())?);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_placeholder(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
}

fn lookup(name: &str, slots: &BTreeMap<String, String>, result: Option<&Value>) -> Option<String> {
    let Some(path) = name.strip_prefix("result") else {
        return slots.get(name).cloned();
    };
    let mut value = result?;
    for key in path.split('.').skip(1) {
        value = match value {
            Value::Object(map) => map.get(key)?,
            Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Fills a path template's `{slot}` placeholders with percent-encoded values, so a slot can
/// never add a path segment or a query; `Err` names a slot with no value.
pub fn render_path(template: &str, slots: &BTreeMap<String, String>) -> Result<String, String> {
    let encoded: BTreeMap<String, String> = slots
        .iter()
        .map(|(k, v)| (k.clone(), percent_encode(v)))
        .collect();
    render(template, &encoded, None)
}

fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn done_text(language: ReplyLanguage) -> &'static str {
    match language {
        ReplyLanguage::Chinese => "好的，还有什么可以帮您？",
        ReplyLanguage::English => "All right. Is there anything else I can help with?",
    }
}

fn invalid_text(language: ReplyLanguage) -> &'static str {
    match language {
        ReplyLanguage::Chinese => "抱歉，格式不正确。",
        ReplyLanguage::English => "Sorry, that doesn't look right.",
    }
}

fn invalid_choice_text(language: ReplyLanguage) -> &'static str {
    match language {
        ReplyLanguage::Chinese => "请点击下面的选项之一。",
        ReplyLanguage::English => "Please pick one of the options below.",
    }
}

/// Whether a slot name can be a placeholder: lowercase ASCII, digits and `_`, not `result`.
pub fn valid_slot_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 40
        && name != "result"
}

/// Everything wrong with a scenario's steps, as `steps[i].field` problems.
pub fn check_steps(steps: &[Step]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut push = |field: String, code: &'static str, message: &str| {
        problems.push(Problem {
            field,
            code,
            message: message.to_owned(),
        });
    };
    if steps.is_empty() {
        push(
            "steps".into(),
            "required",
            "a scenario has at least one step",
        );
    }
    if steps.len() > MAX_STEPS {
        push("steps".into(), "too_many", "at most 50 steps");
    }
    let text = |field: String,
                value: &str,
                required: bool,
                push: &mut dyn FnMut(String, &'static str, &str)| {
        if required && value.trim().is_empty() {
            push(field, "required", "must not be empty");
        } else if value.chars().count() > MAX_TEXT_CHARS {
            push(field, "too_long", "at most 2,000 characters");
        }
    };
    let mut slots = BTreeSet::new();
    for (i, step) in steps.iter().enumerate() {
        let at = |field: &str| format!("steps[{i}].{field}");
        match step {
            Step::Ask {
                slot,
                prompt,
                prompt_en,
                pattern,
                max_length,
                retry_prompt,
                retry_prompt_en,
            } => {
                if !valid_slot_name(slot) {
                    push(
                        at("slot"),
                        "invalid_slot",
                        "lowercase letters, digits and _, starting with a letter (not \"result\")",
                    );
                }
                slots.insert(slot.clone());
                text(at("prompt"), prompt, true, &mut push);
                for (name, value) in [
                    ("prompt_en", prompt_en),
                    ("retry_prompt", retry_prompt),
                    ("retry_prompt_en", retry_prompt_en),
                ] {
                    if let Some(value) = value {
                        text(at(name), value, false, &mut push);
                    }
                }
                if let Some(pattern) = pattern {
                    if pattern.chars().count() > MAX_PATTERN_CHARS {
                        push(at("pattern"), "too_long", "at most 200 characters");
                    } else if compile_pattern(pattern).is_err() {
                        push(
                            at("pattern"),
                            "invalid_pattern",
                            "not a valid regular expression",
                        );
                    }
                }
                if max_length.is_some_and(|n| n == 0 || n > 1000) {
                    push(at("max_length"), "out_of_range", "between 1 and 1,000");
                }
            }
            Step::Choice {
                prompt,
                prompt_en,
                options,
            } => {
                text(at("prompt"), prompt, true, &mut push);
                if let Some(en) = prompt_en {
                    text(at("prompt_en"), en, false, &mut push);
                }
                if options.is_empty() || options.len() > MAX_OPTIONS {
                    push(at("options"), "out_of_range", "between 1 and 10 options");
                }
                for (j, option) in options.iter().enumerate() {
                    let label_ok =
                        |l: &str| !l.trim().is_empty() && l.chars().count() <= MAX_LABEL_CHARS;
                    if !label_ok(&option.label)
                        || option.label_en.as_deref().is_some_and(|l| !label_ok(l))
                    {
                        push(
                            at(&format!("options[{j}].label")),
                            "invalid_label",
                            "1 to 50 characters",
                        );
                    }
                    if option.goto.is_some_and(|g| g >= steps.len()) {
                        push(
                            at(&format!("options[{j}].goto")),
                            "unknown_step",
                            "no such step",
                        );
                    }
                }
            }
            Step::Call { .. } => {}
            Step::Say { text: zh, text_en } => {
                text(at("text"), zh, true, &mut push);
                if let Some(en) = text_en {
                    text(at("text_en"), en, false, &mut push);
                }
            }
            Step::Handoff { text: zh, text_en } => {
                for (name, value) in [("text", zh), ("text_en", text_en)] {
                    if let Some(value) = value {
                        text(at(name), value, false, &mut push);
                    }
                }
            }
        }
    }
    problems
}

/// An FAQ's business action: answering the FAQ asks for the slots, calls the integration and
/// says the reply, i.e. the scenario `ask…, call, say`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessAction {
    pub integration_id: Uuid,
    #[serde(default)]
    pub slots: Vec<SlotQuestion>,
    /// The reply template: `{slot}` and `{result.path}`.
    pub reply: String,
    pub reply_en: Option<String>,
}

/// One value a business action asks for, like an `ask` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotQuestion {
    pub slot: String,
    pub prompt: String,
    pub prompt_en: Option<String>,
    pub pattern: Option<String>,
    pub max_length: Option<usize>,
    pub retry_prompt: Option<String>,
    pub retry_prompt_en: Option<String>,
}

impl BusinessAction {
    /// The same walk as a scenario: ask each slot, call, say the reply.
    pub fn steps(&self) -> Vec<Step> {
        let mut steps: Vec<Step> = self
            .slots
            .iter()
            .map(|q| Step::Ask {
                slot: q.slot.clone(),
                prompt: q.prompt.clone(),
                prompt_en: q.prompt_en.clone(),
                pattern: q.pattern.clone(),
                max_length: q.max_length,
                retry_prompt: q.retry_prompt.clone(),
                retry_prompt_en: q.retry_prompt_en.clone(),
            })
            .collect();
        steps.push(Step::Call {
            integration_id: self.integration_id,
        });
        steps.push(Step::Say {
            text: self.reply.clone(),
            text_en: self.reply_en.clone(),
        });
        steps
    }

    /// The problems of its steps, named by the action's own fields (`slots[0].pattern`, `reply`).
    pub fn check(&self) -> Vec<Problem> {
        let asks = self.slots.len();
        check_steps(&self.steps())
            .into_iter()
            .map(|p| {
                let field = match p
                    .field
                    .strip_prefix("steps[")
                    .and_then(|r| r.split_once("]."))
                {
                    Some((i, rest)) if i.parse::<usize>().is_ok_and(|i| i < asks) => {
                        format!("slots[{i}].{rest}")
                    }
                    Some((_, "text")) => "reply".to_owned(),
                    Some((_, "text_en")) => "reply_en".to_owned(),
                    _ => p.field,
                };
                Problem { field, ..p }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn order_status(integration: Uuid) -> Vec<Step> {
        serde_json::from_value(json!([
            {"kind": "ask", "slot": "order_id", "prompt": "请输入订单号", "prompt_en": "Your order number?",
             "pattern": "[0-9]{6}", "retry_prompt": "订单号是6位数字，请重新输入"},
            {"kind": "call", "integration_id": integration},
            {"kind": "say", "text": "订单 {order_id} 的状态：{result.status}", "text_en": "Order {order_id}: {result.status}"}
        ]))
        .unwrap()
    }

    fn start(steps: &[Step], language: ReplyLanguage) -> Walk {
        advance(
            steps,
            ScenarioState::start(Uuid::nil(), language),
            Input::Start,
            2,
        )
    }

    fn waiting(walk: &Walk) -> ScenarioState {
        match &walk.next {
            Next::Wait { state, .. } | Next::Call { state, .. } => state.clone(),
            other => panic!("not waiting: {other:?}"),
        }
    }

    #[test]
    fn order_status_asks_calls_and_says_the_result() {
        let integration = Uuid::from_u128(7);
        let steps = order_status(integration);
        let walk = start(&steps, ReplyLanguage::Chinese);
        assert_eq!(walk.says, ["请输入订单号"]);
        let walk = advance(&steps, waiting(&walk), Input::Answer(" 123456 "), 2);
        match &walk.next {
            Next::Call {
                integration_id,
                slots,
                ..
            } => {
                assert_eq!(*integration_id, integration);
                assert_eq!(slots.get("order_id").map(String::as_str), Some("123456"));
            }
            other => panic!("{other:?}"),
        }
        let result = Ok(json!({"status": "已发货"}));
        let walk = advance(&steps, waiting(&walk), Input::CallResult(result), 2);
        assert_eq!(walk.says, ["订单 123456 的状态：已发货"]);
        assert_eq!(walk.next, Next::Done);
    }

    #[test]
    fn english_customers_read_the_english_texts() {
        let steps = order_status(Uuid::nil());
        let walk = start(&steps, ReplyLanguage::English);
        assert_eq!(walk.says, ["Your order number?"]);
    }

    #[test]
    fn an_invalid_answer_is_asked_again_then_handed_off() {
        let steps = order_status(Uuid::nil());
        let state = waiting(&start(&steps, ReplyLanguage::Chinese));
        let walk = advance(&steps, state, Input::Answer("12ab"), 2);
        assert_eq!(walk.says, ["订单号是6位数字，请重新输入"]);
        let state = waiting(&walk);
        assert_eq!((state.step, state.invalid_answers), (0, 1));
        let walk = advance(&steps, state, Input::Answer("1234567"), 2);
        assert!(matches!(
            walk.next,
            Next::Handoff {
                why: Handoff::NotUnderstood,
                ..
            }
        ));
    }

    #[test]
    fn asking_for_a_person_hands_off_at_any_step_with_the_slots() {
        let steps: Vec<Step> = serde_json::from_value(json!([
            {"kind": "ask", "slot": "order_id", "prompt": "订单号？"},
            {"kind": "ask", "slot": "reason", "prompt": "原因？"}
        ]))
        .unwrap();
        let state = waiting(&start(&steps, ReplyLanguage::Chinese));
        let state = waiting(&advance(&steps, state, Input::Answer("A1"), 2));
        let walk = advance(&steps, state, Input::Answer("转人工"), 2);
        match walk.next {
            Next::Handoff { why, slots, .. } => {
                assert_eq!(why, Handoff::Requested);
                assert_eq!(slots.get("order_id").map(String::as_str), Some("A1"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            walk.says,
            [handoff_text(ReplyLanguage::Chinese, Handoff::Requested)]
        );
    }

    #[test]
    fn call_failures_and_missing_fields_hand_off_politely() {
        let steps = order_status(Uuid::nil());
        let state = waiting(&start(&steps, ReplyLanguage::English));
        let state = waiting(&advance(&steps, state, Input::Answer("123456"), 2));
        let failed = advance(
            &steps,
            state.clone(),
            Input::CallResult(Err("timeout".into())),
            2,
        );
        assert_eq!(
            failed.next,
            Next::Handoff {
                why: Handoff::IntegrationFailed,
                slots: BTreeMap::from([("order_id".into(), "123456".into())]),
                error: Some("timeout".into()),
            }
        );
        assert!(!failed.says.concat().contains("timeout"));
        let missing = advance(
            &steps,
            state,
            Input::CallResult(Ok(json!({"state": "x"}))),
            2,
        );
        assert!(matches!(
            &missing.next,
            Next::Handoff { why: Handoff::IntegrationFailed, error: Some(e), .. } if e == "missing_field:result.status"
        ));
        assert!(!missing.says.concat().contains('{'));
    }

    #[test]
    fn choices_jump_end_or_go_on() {
        let steps: Vec<Step> = serde_json::from_value(json!([
            {"kind": "choice", "prompt": "退货原因？", "options": [
                {"label": "质量问题", "goto": 2}, {"label": "不想要了"}, {"label": "算了", "end": true}]},
            {"kind": "say", "text": "七天无理由退货。"},
            {"kind": "handoff", "text": "为您转接质检专员。"}
        ]))
        .unwrap();
        let walk = start(&steps, ReplyLanguage::Chinese);
        assert!(matches!(&walk.next, Next::Wait { options, .. } if options.len() == 3));
        let state = waiting(&walk);
        let quality = advance(&steps, state.clone(), Input::Answer("质量问题"), 2);
        assert_eq!(quality.says, ["为您转接质检专员。"]);
        assert!(matches!(
            quality.next,
            Next::Handoff {
                why: Handoff::Scenario,
                ..
            }
        ));
        let second = advance(&steps, state.clone(), Input::Answer("2"), 2);
        assert_eq!(second.says[0], "七天无理由退货。");
        assert!(
            matches!(second.next, Next::Handoff { .. }),
            "goes on to the next steps"
        );
        let end = advance(&steps, state.clone(), Input::Answer("算了"), 2);
        assert_eq!(end.next, Next::Done);
        let wrong = advance(&steps, state, Input::Answer("什么"), 2);
        assert!(matches!(wrong.next, Next::Wait { .. }));
    }

    #[test]
    fn templates_render_slots_nested_fields_and_keep_other_braces() {
        let slots = BTreeMap::from([("name".to_owned(), "Li".to_owned())]);
        let result = json!({"a": {"b": [{"c": 3}]}, "ok": true});
        assert_eq!(
            render(
                "{name}: {result.a.b.0.c} {result.ok} { x } {}",
                &slots,
                Some(&result)
            )
            .unwrap(),
            "Li: 3 true { x } {}"
        );
        assert_eq!(
            render("{result.a}", &slots, Some(&result)).unwrap_err(),
            "result.a"
        );
        assert_eq!(render("{missing}", &slots, None).unwrap_err(), "missing");
    }

    #[test]
    fn path_slots_are_percent_encoded() {
        let slots = BTreeMap::from([("id".to_owned(), "../a b/?x=1&订".to_owned())]);
        assert_eq!(
            render_path("/orders/{id}", &slots).unwrap(),
            "/orders/..%2Fa%20b%2F%3Fx%3D1%26%E8%AE%A2"
        );
    }

    #[test]
    fn steps_are_checked() {
        let bad: Vec<Step> = serde_json::from_value(json!([
            {"kind": "ask", "slot": "Result", "prompt": "", "pattern": "("},
            {"kind": "choice", "prompt": "?", "options": [{"label": "a", "goto": 9}]}
        ]))
        .unwrap();
        let fields: Vec<String> = check_steps(&bad).into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            [
                "steps[0].slot",
                "steps[0].prompt",
                "steps[0].pattern",
                "steps[1].options[0].goto"
            ]
        );
        assert!(check_steps(&order_status(Uuid::nil())).is_empty());
        assert!(!check_steps(&[]).is_empty());
        let unknown: Result<Vec<Step>, _> = serde_json::from_value(json!([{"kind": "dance"}]));
        assert!(unknown.is_err());
        let typo: Result<Vec<Step>, _> =
            serde_json::from_value(json!([{"kind": "say", "text": "hi", "txet_en": "hi"}]));
        assert!(typo.is_err(), "a misspelt field is refused, not ignored");
    }

    #[test]
    fn a_business_action_walks_like_its_scenario() {
        let action: BusinessAction = serde_json::from_value(json!({
            "integration_id": Uuid::nil(),
            "slots": [{"slot": "order_id", "prompt": "订单号？", "pattern": "[0-9]{6}"}],
            "reply": "{order_id}: {result.status}"
        }))
        .unwrap();
        assert!(action.check().is_empty());
        let steps = action.steps();
        let state = waiting(&start(&steps, ReplyLanguage::Chinese));
        let state = waiting(&advance(&steps, state, Input::Answer("123456"), 2));
        let walk = advance(
            &steps,
            state,
            Input::CallResult(Ok(json!({"status": "ok"}))),
            2,
        );
        assert_eq!(walk.says, ["123456: ok"]);
        let bad = BusinessAction {
            reply: String::new(),
            slots: vec![SlotQuestion {
                pattern: Some("(".into()),
                ..action.slots[0].clone()
            }],
            ..action
        };
        let fields: Vec<String> = bad.check().into_iter().map(|p| p.field).collect();
        assert_eq!(fields, ["slots[0].pattern", "reply"]);
    }

    fn any_step() -> impl Strategy<Value = Step> {
        prop_oneof![
            ("[a-c]", prop::option::of(Just("[0-9]{2}".to_owned()))).prop_map(|(slot, pattern)| {
                Step::Ask {
                    slot,
                    prompt: "ask".into(),
                    prompt_en: None,
                    pattern,
                    max_length: None,
                    retry_prompt: None,
                    retry_prompt_en: None,
                }
            }),
            prop::collection::vec((prop::option::of(0usize..6), any::<bool>()), 1..4).prop_map(
                |opts| Step::Choice {
                    prompt: "pick".into(),
                    prompt_en: None,
                    options: opts
                        .into_iter()
                        .enumerate()
                        .map(|(i, (goto, end))| ChoiceOption {
                            label: format!("o{i}"),
                            label_en: None,
                            goto,
                            end
                        })
                        .collect(),
                }
            ),
            Just(Step::Call {
                integration_id: Uuid::nil()
            }),
            Just(Step::Say {
                text: "{a} {result.x}".into(),
                text_en: None
            }),
            Just(Step::Handoff {
                text: None,
                text_en: None
            }),
        ]
    }

    fn any_input() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{1,3}",
            "o[0-3]",
            "人工",
            ".{0,8}",
            Just("ok".to_owned())
        ]
    }

    proptest! {
        /// Whatever the steps and messages: the walk never panics, the customer always reads
        /// something, a waiting state points at a step that waits, a call at a call step,
        /// and only asked slots are kept.
        #[test]
        fn the_walk_stays_on_its_steps(
            steps in prop::collection::vec(any_step(), 1..7),
            inputs in prop::collection::vec(any_input(), 0..12),
            results in prop::collection::vec(prop::option::of(Just(json!({"x": 1}))), 12),
        ) {
            let steps: Vec<Step> = steps.into_iter().map(|s| match s {
                Step::Choice { prompt, prompt_en, options } => Step::Choice {
                    prompt,
                    prompt_en,
                    options: options.into_iter().map(|o| ChoiceOption { goto: o.goto.filter(|&g| g < 7), ..o }).collect(),
                },
                other => other,
            }).collect();
            let asked: BTreeSet<String> = steps.iter().filter_map(|s| match s {
                Step::Ask { slot, .. } => Some(slot.clone()),
                _ => None,
            }).collect();
            let mut walk = start(&steps, ReplyLanguage::Chinese);
            let mut results = results.into_iter();
            let mut inputs = inputs.iter();
            loop {
                let speaks = !walk.says.is_empty() || matches!(walk.next, Next::Call { .. });
                prop_assert!(speaks);
                walk = match walk.next {
                    Next::Wait { state, .. } => {
                        let waits = matches!(steps.get(state.step), Some(Step::Ask { .. } | Step::Choice { .. }));
                        prop_assert!(waits);
                        prop_assert!(state.slots.keys().all(|k| asked.contains(k)));
                        let Some(input) = inputs.next() else { break };
                        advance(&steps, state, Input::Answer(input), 2)
                    }
                    Next::Call { state, .. } => {
                        let calls = matches!(steps.get(state.step), Some(Step::Call { .. }));
                        prop_assert!(calls);
                        let result = results.next().flatten().ok_or_else(|| "bad_json".to_owned());
                        advance(&steps, state, Input::CallResult(result), 2)
                    }
                    Next::Handoff { slots, .. } => {
                        prop_assert!(slots.keys().all(|k| asked.contains(k)));
                        break;
                    }
                    Next::Done => break,
                };
            }
        }

        /// An answer the pattern fully matches is kept as typed (trimmed); anything else is not.
        #[test]
        fn only_full_matches_fill_a_slot(answer in "[0-9a-z ]{0,10}") {
            let steps = order_status(Uuid::nil());
            let state = waiting(&start(&steps, ReplyLanguage::Chinese));
            let walk = advance(&steps, state, Input::Answer(&answer), 2);
            let trimmed = answer.trim();
            let fits = trimmed.len() == 6 && trimmed.bytes().all(|b| b.is_ascii_digit());
            match walk.next {
                Next::Call { slots, .. } => {
                    prop_assert!(fits);
                    prop_assert_eq!(slots.get("order_id").map(String::as_str), Some(trimmed));
                }
                Next::Wait { state, .. } => {
                    prop_assert!(!fits);
                    prop_assert!(state.slots.is_empty());
                }
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}
