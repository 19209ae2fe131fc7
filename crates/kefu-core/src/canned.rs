//! Canned responses (快捷回复): the rules for their shortcuts and texts, and their templates, whose
//! `{{customer.name}}`-style variables are checked when saved and filled in when an agent uses one.

use crate::error::{ValidationErrors, check_text};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Longest shortcut, in characters (ASCII only, so also bytes).
pub const MAX_SHORTCUT_CHARS: usize = 32;
pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_BODY_CHARS: usize = 5000;

/// The variables a template may use; `customer.attributes.KEY` names any custom attribute.
pub const VARIABLES: [&str; 4] = [
    "customer.name",
    "agent.name",
    "conversation.id",
    "customer.attributes.KEY",
];

const ATTRIBUTE_PREFIX: &str = "customer.attributes.";

/// `[a-z0-9][a-z0-9_-]{0,31}`: what an agent types after `/`, so lowercase and no spaces.
pub fn is_valid_shortcut(shortcut: &str) -> bool {
    let mut chars = shortcut.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    first_ok
        && shortcut.len() <= MAX_SHORTCUT_CHARS
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

pub fn check_shortcut(errors: &mut ValidationErrors, field: &str, shortcut: &str) {
    if !is_valid_shortcut(shortcut) {
        errors.push(
            field,
            "invalid_shortcut",
            "a shortcut is 1–32 of a-z, 0-9, _ and -, starting with a letter or digit",
        );
    }
}

pub fn check_title(errors: &mut ValidationErrors, field: &str, title: &str) {
    check_text(errors, field, title, MAX_TITLE_CHARS);
}

/// A body is required, at most 5,000 characters, and a well-formed template.
pub fn check_body(errors: &mut ValidationErrors, field: &str, body: &str) {
    let before = errors.errors.len();
    check_text(errors, field, body, MAX_BODY_CHARS);
    if errors.errors.len() > before {
        return;
    }
    if let Some((code, message)) = first_syntax_error(body) {
        errors.push(field, code, message);
    }
}

/// The values a template is filled with. A value that is absent leaves its variable as written,
/// so the agent sees what was not filled instead of a silent gap.
#[derive(Debug, Clone, Copy, Default)]
pub struct Variables<'a> {
    pub customer_name: Option<&'a str>,
    pub customer_attributes: Option<&'a Map<String, Value>>,
    pub agent_name: Option<&'a str>,
    pub conversation_id: Option<&'a str>,
}

impl<'a> Variables<'a> {
    fn value(&self, name: &str) -> Option<Cow<'a, str>> {
        match name {
            "customer.name" => self.customer_name.map(Cow::Borrowed),
            "agent.name" => self.agent_name.map(Cow::Borrowed),
            "conversation.id" => self.conversation_id.map(Cow::Borrowed),
            _ => {
                let key = name.strip_prefix(ATTRIBUTE_PREFIX)?;
                match self.customer_attributes?.get(key)? {
                    Value::String(text) => Some(Cow::Borrowed(text.as_str())),
                    // Null means "no value": leave the variable showing, as for a missing key.
                    Value::Null => None,
                    other => Some(Cow::Owned(other.to_string())),
                }
            }
        }
    }
}

/// Fills a template's variables. Unknown or unfilled variables, and any malformed `{{`, stay
/// exactly as written: nothing the agent wrote is lost. Values are inserted once, never expanded
/// again, so a customer named `{{agent.name}}` stays literally that.
pub fn render(template: &str, vars: &Variables<'_>) -> String {
    let mut out = String::with_capacity(template.len());
    for token in tokens(template) {
        match token {
            Token::Text(text) | Token::Bad { raw: text, .. } => out.push_str(text),
            Token::Variable { raw, name } => match vars.value(name) {
                Some(value) => out.push_str(&value),
                None => out.push_str(raw),
            },
        }
    }
    out
}

/// The first syntax error of a template: its code and a sentence naming the position.
fn first_syntax_error(template: &str) -> Option<(&'static str, String)> {
    tokens(template).into_iter().find_map(|token| match token {
        Token::Bad { at, code, .. } => {
            let position = template[..at].chars().count() + 1;
            let message = match code {
                "unclosed_variable" => {
                    format!("the {{{{ at character {position} is not closed with }}}}")
                }
                "empty_variable" => format!("the variable at character {position} has no name"),
                _ => format!(
                    "the variable at character {position} may not contain {{, }} or a line break"
                ),
            };
            Some((code, message))
        }
        _ => None,
    })
}

#[derive(Debug, PartialEq, Eq)]
enum Token<'a> {
    Text(&'a str),
    /// `raw` is the whole `{{ name }}`, `name` the trimmed inside.
    Variable {
        raw: &'a str,
        name: &'a str,
    },
    /// Malformed: `raw` is kept as text when rendering; `at` is its byte offset.
    Bad {
        raw: &'a str,
        at: usize,
        code: &'static str,
    },
}

/// Splits a template into text and variables. A `{{` whose next `}}` comes after another `{{`
/// (or never) is unclosed; the scan goes on after it, so one typo does not hide the rest.
fn tokens(template: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(found) = template[pos..].find("{{") {
        let open = pos + found;
        if open > pos {
            out.push(Token::Text(&template[pos..open]));
        }
        let inner_start = open + 2;
        let inner = &template[inner_start..];
        let close = inner.find("}}");
        let reopen = inner.find("{{");
        match close {
            Some(close) if reopen.is_none_or(|r| r > close) => {
                let end = inner_start + close + 2;
                let raw = &template[open..end];
                let name = inner[..close].trim();
                out.push(if name.is_empty() {
                    Token::Bad {
                        raw,
                        at: open,
                        code: "empty_variable",
                    }
                } else if name.contains(['{', '}', '\n', '\r']) {
                    Token::Bad {
                        raw,
                        at: open,
                        code: "invalid_variable",
                    }
                } else {
                    Token::Variable { raw, name }
                });
                pos = end;
            }
            _ => {
                out.push(Token::Bad {
                    raw: &template[open..inner_start],
                    at: open,
                    code: "unclosed_variable",
                });
                pos = inner_start;
            }
        }
    }
    if pos < template.len() {
        out.push(Token::Text(&template[pos..]));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn codes(body: &str) -> Vec<(String, &'static str)> {
        let mut errors = ValidationErrors::new();
        check_body(&mut errors, "body", body);
        errors
            .errors
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect()
    }

    fn attrs() -> Map<String, Value> {
        serde_json::json!({"order_no": "SO-1001", "points": 120, "vip": true, "note": null})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn shortcuts_are_short_lowercase_words() {
        for good in ["refund-policy", "a", "0", "x_1", "a".repeat(32).as_str()] {
            assert!(is_valid_shortcut(good), "{good}");
        }
        for bad in [
            "",
            "-a",
            "_a",
            "Refund",
            "退款",
            "a b",
            "/refund",
            "a".repeat(33).as_str(),
        ] {
            assert!(!is_valid_shortcut(bad), "{bad}");
        }
    }

    #[test]
    fn every_variable_is_filled() {
        let attributes = attrs();
        let vars = Variables {
            customer_name: Some("王芳"),
            customer_attributes: Some(&attributes),
            agent_name: Some("Lina"),
            conversation_id: Some("c-1"),
        };
        let body = "{{customer.name}}您好，我是{{ agent.name }}。订单 {{customer.attributes.order_no}}，积分 {{customer.attributes.points}}，VIP {{customer.attributes.vip}}（会话 {{conversation.id}}）";
        assert_eq!(
            render(body, &vars),
            "王芳您好，我是Lina。订单 SO-1001，积分 120，VIP true（会话 c-1）"
        );
    }

    #[test]
    fn unknown_and_unfilled_variables_stay_as_written() {
        let attributes = attrs();
        let vars = Variables {
            customer_name: Some("Ann"),
            customer_attributes: Some(&attributes),
            ..Variables::default()
        };
        assert_eq!(
            render(
                "{{ customer.phone }} {{agent.name}} {{customer.attributes.missing}} {{customer.attributes.note}} {{customer.attributes.}} {{customer.name}}",
                &vars
            ),
            "{{ customer.phone }} {{agent.name}} {{customer.attributes.missing}} {{customer.attributes.note}} {{customer.attributes.}} Ann"
        );
    }

    #[test]
    fn values_are_inserted_once_and_never_expanded_again() {
        let vars = Variables {
            customer_name: Some("{{agent.name}}"),
            agent_name: Some("Lina"),
            ..Variables::default()
        };
        assert_eq!(render("Hi {{customer.name}}", &vars), "Hi {{agent.name}}");
    }

    #[test]
    fn malformed_templates_are_refused_with_the_body_field() {
        assert_eq!(
            codes("您好 {{customer.name"),
            [("body".into(), "unclosed_variable")]
        );
        assert_eq!(
            codes("{{customer.name {{agent.name}}"),
            [("body".into(), "unclosed_variable")]
        );
        assert_eq!(codes("a {{ }} b"), [("body".into(), "empty_variable")]);
        assert_eq!(codes("{{{a}}"), [("body".into(), "invalid_variable")]);
        assert_eq!(codes("   "), [("body".into(), "required")]);
        assert_eq!(
            codes(&"字".repeat(MAX_BODY_CHARS + 1)),
            [("body".into(), "too_long")]
        );
        assert!(codes(&"字".repeat(MAX_BODY_CHARS)).is_empty());
        assert!(codes("no variables, a lone } and }} are fine").is_empty());
        assert!(codes("{{customer.attributes.会员 等级}}").is_empty());
    }

    #[test]
    fn the_error_names_the_character_position() {
        let mut errors = ValidationErrors::new();
        check_body(&mut errors, "body", "您好 {{customer.name");
        assert!(errors.errors[0].message.contains("character 4"), "{errors}");
    }

    #[test]
    fn a_malformed_stored_template_still_renders_what_it_can() {
        let vars = Variables {
            customer_name: Some("Ann"),
            ..Variables::default()
        };
        assert_eq!(
            render("{{customer.name {{customer.name}} {{", &vars),
            "{{customer.name Ann {{"
        );
    }

    proptest! {
        /// With nothing to fill, every template (valid or not) renders to itself.
        #[test]
        fn nothing_to_fill_renders_the_template_unchanged(template in "(\\PC|\\{|\\}| |\\n){0,80}") {
            prop_assert_eq!(render(&template, &Variables::default()), template);
        }

        /// Text without `{{` is never changed and always valid (if not blank or too long).
        #[test]
        fn text_without_variables_is_kept(text in "[^{]{1,200}") {
            let vars = Variables { customer_name: Some("x"), agent_name: Some("y"), ..Variables::default() };
            prop_assert_eq!(render(&text, &vars), text.clone());
            prop_assert!(first_syntax_error(&text).is_none());
        }
    }
}
