//! Ticket custom fields: a tenant's field definitions (text, number, date, select,
//! multi-select; required per ticket type) and the check every ticket write goes through.

use crate::TicketType;
use crate::error::ValidationErrors;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const MAX_KEY_CHARS: usize = 40;
pub const MAX_LABEL_CHARS: usize = 100;
pub const MAX_OPTIONS: usize = 200;
pub const MAX_OPTION_CHARS: usize = 100;
pub const MAX_TEXT_VALUE_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    Select,
    MultiSelect,
}

impl FieldType {
    pub const ALL: [FieldType; 5] = [
        FieldType::Text,
        FieldType::Number,
        FieldType::Date,
        FieldType::Select,
        FieldType::MultiSelect,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Select => "select",
            FieldType::MultiSelect => "multi_select",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    pub fn has_options(self) -> bool {
        matches!(self, FieldType::Select | FieldType::MultiSelect)
    }
}

/// What the check needs of one definition.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub key: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub required_for: Vec<TicketType>,
    /// An inactive field keeps its stored values but takes no new ones.
    pub active: bool,
}

/// Checks a definition's own parts: a key of lower-case letters, digits and `_` starting with a
/// letter (it appears in URLs as `field.KEY`), a label, options only (and then some) for selects.
pub fn check_definition(
    errors: &mut ValidationErrors,
    key: Option<&str>,
    label: Option<&str>,
    field_type: FieldType,
    options: &[String],
) {
    if let Some(key) = key {
        let valid = !key.is_empty()
            && key.chars().count() <= MAX_KEY_CHARS
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            errors.push(
                "key",
                "invalid_key",
                "lower-case letters, digits and _, starting with a letter, at most 40",
            );
        }
    }
    if let Some(label) = label {
        crate::error::check_text(errors, "label", label, MAX_LABEL_CHARS);
    }
    if field_type.has_options() {
        if options.is_empty() || options.len() > MAX_OPTIONS {
            errors.push("options", "invalid_length", "a select has 1 to 200 options");
        }
        for (i, option) in options.iter().enumerate() {
            let trimmed = option.trim();
            if trimmed.is_empty() || trimmed.chars().count() > MAX_OPTION_CHARS {
                errors.push(
                    format!("options[{i}]"),
                    "invalid_option",
                    "an option is 1 to 100 characters",
                );
            } else if options[..i].iter().any(|o| o.trim() == trimmed) {
                errors.push(format!("options[{i}]"), "duplicate", "options are unique");
            }
        }
    } else if !options.is_empty() {
        errors.push(
            "options",
            "not_allowed",
            "only select and multi-select fields have options",
        );
    }
}

/// Checks one value against its definition; the value as stored (trimmed, deduplicated).
pub fn check_value(def: &FieldDef, value: &Value) -> Result<Value, (&'static str, String)> {
    let wrong = |what: &str| ("invalid_type", format!("{} must be {what}", def.key));
    match def.field_type {
        FieldType::Text => {
            let text = value.as_str().ok_or_else(|| wrong("text"))?.trim();
            if text.chars().count() > MAX_TEXT_VALUE_CHARS {
                return Err((
                    "too_long",
                    format!("at most {MAX_TEXT_VALUE_CHARS} characters"),
                ));
            }
            Ok(Value::String(text.to_owned()))
        }
        FieldType::Number => match value.as_f64() {
            Some(n) if n.is_finite() => Ok(value.clone()),
            _ => Err(wrong("a number")),
        },
        FieldType::Date => {
            let text = value.as_str().ok_or_else(|| wrong("a date (YYYY-MM-DD)"))?;
            chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
                .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
                .map_err(|_| wrong("a date (YYYY-MM-DD)"))
        }
        FieldType::Select => {
            let text = value.as_str().ok_or_else(|| wrong("one of its options"))?;
            if def.options.iter().any(|o| o == text) {
                Ok(Value::String(text.to_owned()))
            } else {
                Err(("invalid_option", format!("{text:?} is not an option")))
            }
        }
        FieldType::MultiSelect => {
            let items = value
                .as_array()
                .ok_or_else(|| wrong("a list of its options"))?;
            let mut chosen: Vec<String> = Vec::new();
            for item in items {
                let text = item
                    .as_str()
                    .ok_or_else(|| wrong("a list of its options"))?;
                if !def.options.iter().any(|o| o == text) {
                    return Err(("invalid_option", format!("{text:?} is not an option")));
                }
                if !chosen.iter().any(|c| c == text) {
                    chosen.push(text.to_owned());
                }
            }
            Ok(Value::Array(
                chosen.into_iter().map(Value::String).collect(),
            ))
        }
    }
}

/// Whether a stored value counts as filled in (an empty text or list does not).
fn is_filled(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

/// The ticket's custom fields after a write: `current` overlaid with `changes` (`null` clears a
/// field), every changed value checked, and, when `enforce_required`, every active field
/// required for `ticket_type` present. Errors name `custom_fields.KEY`.
pub fn apply_custom_fields(
    defs: &[FieldDef],
    ticket_type: TicketType,
    current: &Map<String, Value>,
    changes: Option<&Map<String, Value>>,
    enforce_required: bool,
) -> Result<Map<String, Value>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let mut merged = current.clone();
    for (key, value) in changes.into_iter().flatten() {
        let field = format!("custom_fields.{key}");
        let Some(def) = defs.iter().find(|d| d.key == *key && d.active) else {
            errors.push(
                field,
                "unknown_field",
                format!("no active custom field {key:?}"),
            );
            continue;
        };
        if value.is_null() {
            merged.remove(key);
            continue;
        }
        match check_value(def, value) {
            Ok(stored) if is_filled(&stored) => {
                merged.insert(key.clone(), stored);
            }
            Ok(_) => {
                merged.remove(key);
            }
            Err((code, message)) => errors.push(field, code, message),
        }
    }
    if enforce_required {
        for def in defs.iter().filter(|d| d.active) {
            let present = merged.get(&def.key).is_some_and(is_filled);
            if !present
                && def.required_for.contains(&ticket_type)
                && errors
                    .errors
                    .iter()
                    .all(|e| e.field != format!("custom_fields.{}", def.key))
            {
                errors.push(
                    format!("custom_fields.{}", def.key),
                    "required",
                    format!(
                        "{} is required for {} tickets",
                        def.key,
                        ticket_type.as_str()
                    ),
                );
            }
        }
    }
    errors.into_result().map(|()| merged)
}

/// The strings a stored value is found by in a list filter (`?field.KEY=value`): a
/// multi-select by each of its options, a number in its JSON form.
pub fn index_values(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        Value::Null => Vec::new(),
        other => vec![other.to_string()],
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn defs() -> Vec<FieldDef> {
        vec![
            FieldDef {
                key: "order_no".into(),
                field_type: FieldType::Text,
                options: vec![],
                required_for: vec![TicketType::Complaint],
                active: true,
            },
            FieldDef {
                key: "amount".into(),
                field_type: FieldType::Number,
                options: vec![],
                required_for: vec![],
                active: true,
            },
            FieldDef {
                key: "due".into(),
                field_type: FieldType::Date,
                options: vec![],
                required_for: vec![],
                active: true,
            },
            FieldDef {
                key: "region".into(),
                field_type: FieldType::Select,
                options: vec!["华东".into(), "华北".into()],
                required_for: vec![],
                active: true,
            },
            FieldDef {
                key: "products".into(),
                field_type: FieldType::MultiSelect,
                options: vec!["a".into(), "b".into()],
                required_for: vec![],
                active: true,
            },
            FieldDef {
                key: "old".into(),
                field_type: FieldType::Text,
                options: vec![],
                required_for: vec![TicketType::Question],
                active: false,
            },
        ]
    }

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn fields_of(err: ValidationErrors) -> Vec<(String, &'static str)> {
        err.errors.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn good_values_are_stored_normalised() {
        let got = apply_custom_fields(
            &defs(),
            TicketType::Complaint,
            &Map::new(),
            Some(&map(
                json!({"order_no": " A-1 ", "amount": 12.5, "due": "2026-01-02",
                "region": "华东", "products": ["b", "a", "b"]}),
            )),
            true,
        );
        assert_eq!(
            got.ok().map(Value::Object),
            Some(
                json!({"order_no": "A-1", "amount": 12.5, "due": "2026-01-02",
                "region": "华东", "products": ["b", "a"]})
            )
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let err = apply_custom_fields(
            &defs(),
            TicketType::Complaint,
            &Map::new(),
            Some(&map(json!({"nope": 1, "amount": "12", "due": "2026-02-30",
                "region": "华南", "products": ["c"], "old": "x"}))),
            true,
        );
        let mut fields = err.err().map(fields_of).unwrap_or_default();
        fields.sort();
        assert_eq!(
            fields,
            vec![
                ("custom_fields.amount".into(), "invalid_type"),
                ("custom_fields.due".into(), "invalid_type"),
                ("custom_fields.nope".into(), "unknown_field"),
                ("custom_fields.old".into(), "unknown_field"),
                ("custom_fields.order_no".into(), "required"),
                ("custom_fields.products".into(), "invalid_option"),
                ("custom_fields.region".into(), "invalid_option"),
            ]
        );
    }

    #[test]
    fn required_depends_on_type_and_null_clears() {
        let current = map(json!({"order_no": "A-1"}));
        let cleared = Some(map(json!({"order_no": null})));
        assert!(
            apply_custom_fields(
                &defs(),
                TicketType::Question,
                &current,
                cleared.as_ref(),
                true
            )
            .is_ok_and(|m| m.is_empty())
        );
        let err = apply_custom_fields(
            &defs(),
            TicketType::Complaint,
            &current,
            cleared.as_ref(),
            true,
        );
        assert_eq!(
            err.err().map(fields_of),
            Some(vec![("custom_fields.order_no".into(), "required")])
        );
        // Not enforced (a system write such as a mail taken in): only the values are checked.
        assert!(
            apply_custom_fields(&defs(), TicketType::Complaint, &Map::new(), None, false).is_ok()
        );
        // A type change to one that requires it is refused without it.
        assert!(
            apply_custom_fields(&defs(), TicketType::Complaint, &Map::new(), None, true).is_err()
        );
    }

    #[test]
    fn definitions_are_checked() {
        let mut errors = ValidationErrors::new();
        check_definition(
            &mut errors,
            Some("Bad Key"),
            Some(" "),
            FieldType::Select,
            &["x".into(), "x".into()],
        );
        let fields: Vec<_> = errors.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["key", "label", "options[1]"]);
        let mut errors = ValidationErrors::new();
        check_definition(
            &mut errors,
            Some("ok_1"),
            Some("好"),
            FieldType::Text,
            &["x".into()],
        );
        assert_eq!(errors.errors.len(), 1);
        let mut errors = ValidationErrors::new();
        check_definition(
            &mut errors,
            Some("ok_1"),
            Some("好"),
            FieldType::MultiSelect,
            &["x".into()],
        );
        assert!(errors.is_empty());
    }

    proptest! {
        /// Whatever comes in, what is stored is valid again and holds only known, active keys.
        #[test]
        fn stored_values_recheck(keys in proptest::collection::vec("[a-z_]{1,8}", 0..6),
                                 texts in proptest::collection::vec(".{0,12}", 0..6),
                                 nums in proptest::collection::vec(-1e9f64..1e9, 0..6)) {
            let names = ["order_no", "amount", "due", "region", "products"];
            let mut changes = Map::new();
            for (i, key) in keys.iter().enumerate() {
                let key = if i % 2 == 0 { names[i % names.len()].to_owned() } else { key.clone() };
                let value = match i % 3 {
                    0 => json!(texts.get(i).cloned().unwrap_or_default()),
                    1 => json!(nums.get(i).copied().unwrap_or(1.0)),
                    _ => json!([texts.get(i).cloned().unwrap_or_default()]),
                };
                changes.insert(key, value);
            }
            if let Ok(stored) = apply_custom_fields(&defs(), TicketType::Question, &Map::new(), Some(&changes), true) {
                for key in stored.keys() {
                    prop_assert!(defs().iter().any(|d| d.key == *key && d.active));
                }
                let again = apply_custom_fields(&defs(), TicketType::Question, &Map::new(), Some(&stored), true);
                prop_assert_eq!(again.ok(), Some(stored));
            }
        }
    }
}
