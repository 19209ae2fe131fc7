//! Ticket triggers: a tenant's ordered rules (on an event, all-of and any-of conditions,
//! actions), their validation, and the plan of what firing them on one ticket event does.

use crate::error::ValidationErrors;
use crate::ticket_field::{FieldDef, FieldType, check_value};
use crate::{TicketPriority, TicketStatus, TicketType};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

pub const MAX_CONDITIONS: usize = 50;
pub const MAX_ACTIONS: usize = 30;
pub const MAX_REPLY_CHARS: usize = 5000;
pub const MAX_NAME_CHARS: usize = 100;

/// The ticket event a trigger looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TriggerOn {
    TicketCreated,
    TicketUpdated,
    /// A public reply or an internal note (tell them apart with `comment_public`).
    CommentAdded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Is,
    IsNot,
    /// Text: contains the words (case-insensitive); tags and multi-selects: has the value.
    Contains,
    NotContains,
    /// Updates only: this update changed the field to the value.
    ChangedTo,
    /// Updates only: this update changed the field.
    Changed,
    GreaterThan,
    LessThan,
}

/// `field` is one of `status`, `priority`, `type`, `group_id`, `assignee_id`, `tags`, `channel`,
/// `subject`, `comment`, `comment_public`, `requester_tier` or `custom_fields.KEY`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    pub operator: Operator,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    SetStatus {
        value: TicketStatus,
    },
    SetPriority {
        value: TicketPriority,
    },
    SetType {
        value: TicketType,
    },
    /// `null` clears the department.
    SetGroup {
        group_id: Option<Uuid>,
    },
    /// `null` unassigns.
    SetAssignee {
        user_id: Option<Uuid>,
    },
    AddTags {
        tags: Vec<String>,
    },
    RemoveTags {
        tags: Vec<String>,
    },
    SetCustomField {
        key: String,
        #[cfg_attr(feature = "openapi", schema(value_type = Object))]
        value: Value,
    },
    /// An alert pops up for these agents.
    NotifyUsers {
        user_ids: Vec<Uuid>,
    },
    /// An alert pops up for every member of these groups.
    NotifyGroups {
        group_ids: Vec<Uuid>,
    },
    /// A public reply on the ticket's channel; `{{ticket.number}}`, `{{ticket.subject}}`,
    /// `{{ticket.status}}`, `{{ticket.priority}}`, `{{ticket.type}}`, `{{requester.name}}`.
    Reply {
        body: String,
    },
    /// The webhook receives a `trigger.fired` event through the usual signed, retried path.
    CallWebhook {
        webhook_id: Uuid,
    },
}

/// One trigger's rules: on which event, when (every `all` holds and, if `any` is not empty,
/// one of `any`), and what to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TriggerRules {
    pub on: TriggerOn,
    #[serde(default)]
    pub all: Vec<Condition>,
    #[serde(default)]
    pub any: Vec<Condition>,
    pub actions: Vec<Action>,
}

/// What a condition's field names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Field<'a> {
    Status,
    Priority,
    Type,
    Group,
    Assignee,
    Tags,
    Channel,
    Subject,
    Comment,
    CommentPublic,
    RequesterTier,
    Custom(&'a str),
}

fn field_of(field: &str) -> Option<Field<'_>> {
    Some(match field {
        "status" => Field::Status,
        "priority" => Field::Priority,
        "type" => Field::Type,
        "group_id" => Field::Group,
        "assignee_id" => Field::Assignee,
        "tags" => Field::Tags,
        "channel" => Field::Channel,
        "subject" => Field::Subject,
        "comment" => Field::Comment,
        "comment_public" => Field::CommentPublic,
        "requester_tier" => Field::RequesterTier,
        other => Field::Custom(other.strip_prefix("custom_fields.")?),
    })
}

/// The records actions and conditions may name, as they exist in the tenant now.
#[derive(Debug, Clone, Default)]
pub struct Known<'a> {
    pub fields: &'a [FieldDef],
    pub group_ids: &'a [Uuid],
    pub user_ids: &'a [Uuid],
    pub webhook_ids: &'a [Uuid],
}

/// Checks a trigger's rules against what the tenant has; errors name e.g. `all[0].operator`,
/// `actions[2].group_id`.
pub fn check_rules(rules: &TriggerRules, known: &Known<'_>) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    if rules.all.len() + rules.any.len() > MAX_CONDITIONS {
        errors.push("all", "too_many", "at most 50 conditions");
    }
    if rules.actions.is_empty() || rules.actions.len() > MAX_ACTIONS {
        errors.push("actions", "invalid_length", "1 to 30 actions");
    }
    for (list, conditions) in [("all", &rules.all), ("any", &rules.any)] {
        for (i, condition) in conditions.iter().enumerate() {
            check_condition(
                &mut errors,
                &format!("{list}[{i}]"),
                condition,
                rules.on,
                known,
            );
        }
    }
    for (i, action) in rules.actions.iter().enumerate() {
        check_action(&mut errors, &format!("actions[{i}]"), action, known);
    }
    errors.into_result()
}

fn check_condition(
    errors: &mut ValidationErrors,
    at: &str,
    condition: &Condition,
    on: TriggerOn,
    known: &Known<'_>,
) {
    use Operator::*;
    let Some(subject) = field_of(&condition.field) else {
        return errors.push(
            format!("{at}.field"),
            "unknown_field",
            format!("no condition field {:?}", condition.field),
        );
    };
    let custom = match subject {
        Field::Custom(key) => match known.fields.iter().find(|d| d.key == key) {
            Some(def) => Some(def),
            None => {
                return errors.push(
                    format!("{at}.field"),
                    "unknown_field",
                    format!("no custom field {key:?}"),
                );
            }
        },
        _ => None,
    };
    let op = condition.operator;
    let changes = matches!(op, ChangedTo | Changed);
    let allowed: &[Operator] = match (&subject, custom.map(|d| d.field_type)) {
        (Field::Status | Field::Priority | Field::Type, _)
        | (Field::Group | Field::Assignee, _) => &[Is, IsNot, ChangedTo, Changed],
        (Field::Channel | Field::RequesterTier, _) => &[Is, IsNot],
        (Field::Tags, _) => &[Contains, NotContains],
        (Field::Subject | Field::Comment, _) => &[Contains, NotContains],
        (Field::CommentPublic, _) => &[Is],
        (_, Some(FieldType::Number)) => &[Is, IsNot, GreaterThan, LessThan, ChangedTo, Changed],
        (_, Some(FieldType::MultiSelect)) => &[Contains, NotContains, Changed],
        (_, _) => &[Is, IsNot, ChangedTo, Changed],
    };
    if !allowed.contains(&op) {
        return errors.push(
            format!("{at}.operator"),
            "invalid_operator",
            format!("{:?} does not apply to {}", op, condition.field),
        );
    }
    if changes && on != TriggerOn::TicketUpdated {
        return errors.push(
            format!("{at}.operator"),
            "invalid_operator",
            "changed and changed_to are for triggers on ticket_updated",
        );
    }
    if matches!(subject, Field::Comment | Field::CommentPublic) && on != TriggerOn::CommentAdded {
        return errors.push(
            format!("{at}.field"),
            "invalid_field",
            "comment conditions are for triggers on comment_added",
        );
    }
    if op == Changed {
        return;
    }
    let value = &condition.value;
    let field = format!("{at}.value");
    let ok = match (&subject, custom) {
        (Field::Status, _) => value.as_str().and_then(TicketStatus::parse).is_some(),
        (Field::Priority, _) => value.as_str().and_then(TicketPriority::parse).is_some(),
        (Field::Type, _) => value.as_str().and_then(TicketType::parse).is_some(),
        (Field::Group, _) => value.is_null() || known_id(value, known.group_ids),
        (Field::Assignee, _) => value.is_null() || known_id(value, known.user_ids),
        (Field::CommentPublic, _) => value.is_boolean(),
        (Field::Custom(_), Some(def)) if def.field_type == FieldType::MultiSelect => value
            .as_str()
            .is_some_and(|v| def.options.iter().any(|o| o == v)),
        (Field::Custom(_), Some(def)) => value.is_null() || check_value(def, value).is_ok(),
        _ => value.as_str().is_some_and(|s| !s.trim().is_empty()),
    };
    if !ok {
        errors.push(
            field,
            "invalid_value",
            format!("not a value {} can have", condition.field),
        );
    }
}

fn known_id(value: &Value, ids: &[Uuid]) -> bool {
    value
        .as_str()
        .and_then(|s| s.parse::<Uuid>().ok())
        .is_some_and(|id| ids.contains(&id))
}

fn check_action(errors: &mut ValidationErrors, at: &str, action: &Action, known: &Known<'_>) {
    let missing = |errors: &mut ValidationErrors, field: String, what: &str| {
        errors.push(
            field,
            "unknown_reference",
            format!("no such {what} in this tenant"),
        );
    };
    match action {
        Action::SetStatus { value } if *value == TicketStatus::New => {
            errors.push(
                format!("{at}.value"),
                "invalid_value",
                "nothing goes back to new",
            );
        }
        Action::SetGroup { group_id: Some(id) } if !known.group_ids.contains(id) => {
            missing(errors, format!("{at}.group_id"), "group");
        }
        Action::SetAssignee { user_id: Some(id) } if !known.user_ids.contains(id) => {
            missing(errors, format!("{at}.user_id"), "user");
        }
        Action::AddTags { tags } | Action::RemoveTags { tags } => {
            if tags.is_empty() {
                errors.push(format!("{at}.tags"), "required", "at least one tag");
            } else if let Err(bad) = crate::normalize_tags(tags.clone()) {
                for e in bad.errors {
                    errors.push(format!("{at}.{}", e.field), e.code, e.message);
                }
            }
        }
        Action::SetCustomField { key, value } => {
            match known.fields.iter().find(|d| d.key == *key && d.active) {
                None => errors.push(
                    format!("{at}.key"),
                    "unknown_field",
                    format!("no active custom field {key:?}"),
                ),
                Some(def) => {
                    if let (false, Err((code, message))) =
                        (value.is_null(), check_value(def, value))
                    {
                        errors.push(format!("{at}.value"), code, message);
                    }
                }
            }
        }
        Action::NotifyUsers { user_ids } => {
            if user_ids.is_empty() {
                errors.push(format!("{at}.user_ids"), "required", "at least one user");
            }
            for (i, id) in user_ids.iter().enumerate() {
                if !known.user_ids.contains(id) {
                    missing(errors, format!("{at}.user_ids[{i}]"), "user");
                }
            }
        }
        Action::NotifyGroups { group_ids } => {
            if group_ids.is_empty() {
                errors.push(format!("{at}.group_ids"), "required", "at least one group");
            }
            for (i, id) in group_ids.iter().enumerate() {
                if !known.group_ids.contains(id) {
                    missing(errors, format!("{at}.group_ids[{i}]"), "group");
                }
            }
        }
        Action::Reply { body } => {
            crate::error::check_text(errors, &format!("{at}.body"), body, MAX_REPLY_CHARS);
            if let Some(unknown) = unknown_placeholder(body) {
                errors.push(
                    format!("{at}.body"),
                    "unknown_placeholder",
                    format!("no placeholder {{{{{unknown}}}}}"),
                );
            }
        }
        Action::CallWebhook { webhook_id } if !known.webhook_ids.contains(webhook_id) => {
            missing(errors, format!("{at}.webhook_id"), "webhook");
        }
        _ => {}
    }
}

const PLACEHOLDERS: [&str; 6] = [
    "ticket.number",
    "ticket.subject",
    "ticket.status",
    "ticket.priority",
    "ticket.type",
    "requester.name",
];

fn unknown_placeholder(template: &str) -> Option<String> {
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}")?;
        let name = after[..end].trim();
        if !PLACEHOLDERS.contains(&name) {
            return Some(name.to_owned());
        }
        rest = &after[end + 2..];
    }
    None
}

/// The ticket as triggers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketState {
    pub number: i64,
    pub subject: String,
    pub status: TicketStatus,
    pub priority: TicketPriority,
    pub ticket_type: TicketType,
    pub group_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub channel: String,
    pub custom_fields: Map<String, Value>,
}

/// The event being looked at, beyond the ticket.
#[derive(Debug, Clone, Default)]
pub struct Occasion {
    pub on: Option<TriggerOn>,
    /// For updates: `{field: {from, to}}` as the update event logged it.
    pub changes: Map<String, Value>,
    /// For comments: its text and whether it is a public reply.
    pub comment: Option<(String, bool)>,
    pub requester_tier: Option<String>,
    pub requester_name: String,
}

/// A trigger as the planner takes it (active ones, in the tenant's order).
#[derive(Debug, Clone)]
pub struct Trigger {
    pub id: Uuid,
    pub name: String,
    pub rules: TriggerRules,
}

/// Field changes one firing makes; `None` leaves a field.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TicketChanges {
    pub status: Option<TicketStatus>,
    pub priority: Option<TicketPriority>,
    pub ticket_type: Option<TicketType>,
    pub group_id: Option<Option<Uuid>>,
    pub assignee_id: Option<Option<Uuid>>,
    pub tags: Option<Vec<String>>,
    /// Keys to set (`null` clears).
    pub custom_fields: Map<String, Value>,
}

impl TicketChanges {
    pub fn is_empty(&self) -> bool {
        *self == TicketChanges::default()
    }
}

/// What one trigger firing does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Firing {
    pub trigger_id: Uuid,
    pub name: String,
    pub changes: TicketChanges,
    pub notify_users: Vec<Uuid>,
    pub notify_groups: Vec<Uuid>,
    /// Rendered public replies.
    pub replies: Vec<String>,
    pub webhooks: Vec<Uuid>,
}

/// The triggers that fire on this event and what each does, in order. Each trigger is looked at
/// once; a later one sees the ticket as the earlier ones left it (and the event's own changes
/// for `changed`/`changed_to`). A firing that would do nothing is left out.
pub fn plan(triggers: &[Trigger], ticket: &TicketState, occasion: &Occasion) -> Vec<Firing> {
    let mut state = ticket.clone();
    let mut firings = Vec::new();
    for trigger in triggers {
        let rules = &trigger.rules;
        if Some(rules.on) != occasion.on {
            continue;
        }
        let holds = |c: &Condition| holds(c, &state, occasion);
        if !rules.all.iter().all(holds) || !(rules.any.is_empty() || rules.any.iter().any(holds)) {
            continue;
        }
        let firing = fire(trigger, &mut state, occasion);
        let does_something = !firing.changes.is_empty()
            || !firing.notify_users.is_empty()
            || !firing.notify_groups.is_empty()
            || !firing.replies.is_empty()
            || !firing.webhooks.is_empty();
        if does_something {
            firings.push(firing);
        }
    }
    firings
}

fn fire(trigger: &Trigger, state: &mut TicketState, occasion: &Occasion) -> Firing {
    let before = state.clone();
    let mut firing = Firing {
        trigger_id: trigger.id,
        name: trigger.name.clone(),
        changes: TicketChanges::default(),
        notify_users: Vec::new(),
        notify_groups: Vec::new(),
        replies: Vec::new(),
        webhooks: Vec::new(),
    };
    let mut replies = Vec::new();
    for action in &trigger.rules.actions {
        match action {
            Action::SetStatus { value } => {
                if state.status != *value && state.status.can_move_to(*value) {
                    state.status = *value;
                }
            }
            Action::SetPriority { value } => state.priority = *value,
            Action::SetType { value } => state.ticket_type = *value,
            Action::SetGroup { group_id } => state.group_id = *group_id,
            Action::SetAssignee { user_id } => state.assignee_id = *user_id,
            Action::AddTags { tags } => {
                for tag in crate::normalize_tags(tags.clone()).unwrap_or_default() {
                    if !state.tags.contains(&tag) {
                        state.tags.push(tag);
                    }
                }
            }
            Action::RemoveTags { tags } => {
                let gone = crate::normalize_tags(tags.clone()).unwrap_or_default();
                state.tags.retain(|t| !gone.contains(t));
            }
            Action::SetCustomField { key, value } => {
                if value.is_null() {
                    state.custom_fields.remove(key);
                } else {
                    state.custom_fields.insert(key.clone(), value.clone());
                }
            }
            Action::NotifyUsers { user_ids } => firing.notify_users.extend(user_ids),
            Action::NotifyGroups { group_ids } => firing.notify_groups.extend(group_ids),
            Action::Reply { body } => replies.push(body.clone()),
            Action::CallWebhook { webhook_id } => firing.webhooks.push(*webhook_id),
        }
    }
    let c = &mut firing.changes;
    c.status = (state.status != before.status).then_some(state.status);
    c.priority = (state.priority != before.priority).then_some(state.priority);
    c.ticket_type = (state.ticket_type != before.ticket_type).then_some(state.ticket_type);
    c.group_id = (state.group_id != before.group_id).then_some(state.group_id);
    c.assignee_id = (state.assignee_id != before.assignee_id).then_some(state.assignee_id);
    c.tags = (state.tags != before.tags).then(|| state.tags.clone());
    let keys: std::collections::BTreeSet<&String> = state
        .custom_fields
        .keys()
        .chain(before.custom_fields.keys())
        .collect();
    for key in keys {
        let now = state.custom_fields.get(key);
        if now != before.custom_fields.get(key) {
            c.custom_fields
                .insert(key.clone(), now.cloned().unwrap_or(Value::Null));
        }
    }
    // Rendered after the field actions, so a reply tells the ticket as the trigger left it.
    firing.replies = replies
        .iter()
        .map(|body| render(body, state, &occasion.requester_name))
        .collect();
    for list in [
        &mut firing.notify_users,
        &mut firing.notify_groups,
        &mut firing.webhooks,
    ] {
        list.sort();
        list.dedup();
    }
    firing
}

/// Fills a reply template's placeholders; customer text goes in as written (the channel renders
/// it as text).
pub fn render(template: &str, ticket: &TicketState, requester_name: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        match after[..end].trim() {
            "ticket.number" => out.push_str(&ticket.number.to_string()),
            "ticket.subject" => out.push_str(&ticket.subject),
            "ticket.status" => out.push_str(ticket.status.as_str()),
            "ticket.priority" => out.push_str(ticket.priority.as_str()),
            "ticket.type" => out.push_str(ticket.ticket_type.as_str()),
            "requester.name" => out.push_str(requester_name),
            _ => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The field's value on the ticket, as JSON (what conditions compare).
fn current(subject: &Field<'_>, ticket: &TicketState, occasion: &Occasion) -> Value {
    let id = |id: Option<Uuid>| id.map_or(Value::Null, |id| Value::String(id.to_string()));
    match subject {
        Field::Status => ticket.status.as_str().into(),
        Field::Priority => ticket.priority.as_str().into(),
        Field::Type => ticket.ticket_type.as_str().into(),
        Field::Group => id(ticket.group_id),
        Field::Assignee => id(ticket.assignee_id),
        Field::Tags => ticket
            .tags
            .iter()
            .map(|t| Value::String(t.clone()))
            .collect(),
        Field::Channel => ticket.channel.clone().into(),
        Field::Subject => ticket.subject.clone().into(),
        Field::Comment => occasion
            .comment
            .as_ref()
            .map_or(Value::Null, |(body, _)| body.clone().into()),
        Field::CommentPublic => occasion
            .comment
            .as_ref()
            .map_or(Value::Null, |(_, public)| (*public).into()),
        Field::RequesterTier => occasion
            .requester_tier
            .clone()
            .map_or(Value::Null, Value::String),
        Field::Custom(key) => ticket
            .custom_fields
            .get(*key)
            .cloned()
            .unwrap_or(Value::Null),
    }
}

/// `(from, to)` when this event changed the field.
fn change_of(subject: &Field<'_>, occasion: &Occasion) -> Option<(Value, Value)> {
    let pair = |name: &str| {
        let change = occasion.changes.get(name)?;
        Some((change["from"].clone(), change["to"].clone()))
    };
    match subject {
        Field::Status => pair("status"),
        Field::Priority => pair("priority"),
        Field::Type => pair("type"),
        Field::Group => pair("group_id"),
        Field::Assignee => pair("assignee_id"),
        Field::Custom(key) => {
            let (from, to) = pair("custom_fields")?;
            let (from, to) = (from[*key].clone(), to[*key].clone());
            (from != to).then_some((from, to))
        }
        _ => None,
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn holds(condition: &Condition, ticket: &TicketState, occasion: &Occasion) -> bool {
    let Some(subject) = field_of(&condition.field) else {
        return false;
    };
    let want = &condition.value;
    let now = current(&subject, ticket, occasion);
    let contains = || match &now {
        Value::String(text) => want
            .as_str()
            .is_some_and(|w| text.to_lowercase().contains(&w.to_lowercase())),
        Value::Array(items) => items.iter().any(|i| i == want),
        _ => false,
    };
    match condition.operator {
        Operator::Is => equal(&now, want),
        Operator::IsNot => !equal(&now, want),
        Operator::Contains => contains(),
        Operator::NotContains => !contains(),
        Operator::GreaterThan => now.as_f64().zip(want.as_f64()).is_some_and(|(a, b)| a > b),
        Operator::LessThan => now.as_f64().zip(want.as_f64()).is_some_and(|(a, b)| a < b),
        Operator::Changed => change_of(&subject, occasion).is_some(),
        Operator::ChangedTo => change_of(&subject, occasion)
            .is_some_and(|(from, to)| !equal(&from, &to) && equal(&to, want)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn ticket() -> TicketState {
        TicketState {
            number: 1001,
            subject: "发票 Invoice wrong".into(),
            status: TicketStatus::New,
            priority: TicketPriority::Urgent,
            ticket_type: TicketType::Question,
            group_id: None,
            assignee_id: None,
            tags: vec!["vip".into()],
            channel: "email".into(),
            custom_fields: Map::new(),
        }
    }

    fn created() -> Occasion {
        Occasion {
            on: Some(TriggerOn::TicketCreated),
            requester_name: "王芳".into(),
            requester_tier: Some("gold".into()),
            ..Occasion::default()
        }
    }

    fn trigger(name: &str, rules: Value) -> Trigger {
        Trigger {
            id: Uuid::new_v4(),
            name: name.into(),
            rules: serde_json::from_value(rules).unwrap(),
        }
    }

    #[test]
    fn all_and_any_conditions() {
        let t = trigger(
            "urgent",
            json!({"on": "ticket_created",
                "all": [{"field": "priority", "operator": "is", "value": "urgent"},
                        {"field": "subject", "operator": "contains", "value": "invoice"}],
                "any": [{"field": "channel", "operator": "is", "value": "phone"},
                        {"field": "requester_tier", "operator": "is", "value": "gold"}],
                "actions": [{"type": "add_tags", "tags": ["vip-escalation"]}]}),
        );
        let fired = plan(std::slice::from_ref(&t), &ticket(), &created());
        assert_eq!(fired.len(), 1);
        assert_eq!(
            fired[0].changes.tags,
            Some(vec!["vip".to_owned(), "vip-escalation".to_owned()])
        );
        // Neither `any` holds.
        let silver = Occasion {
            requester_tier: Some("silver".into()),
            ..created()
        };
        assert!(plan(std::slice::from_ref(&t), &ticket(), &silver).is_empty());
        // One `all` fails.
        let normal = TicketState {
            priority: TicketPriority::Normal,
            ..ticket()
        };
        assert!(plan(std::slice::from_ref(&t), &normal, &created()).is_empty());
        // Another event.
        let updated = Occasion {
            on: Some(TriggerOn::TicketUpdated),
            ..created()
        };
        assert!(plan(&[t], &ticket(), &updated).is_empty());
    }

    #[test]
    fn changed_to_looks_at_the_event() {
        let t = trigger(
            "solved",
            json!({"on": "ticket_updated",
                "all": [{"field": "status", "operator": "changed_to", "value": "pending_customer"}],
                "actions": [{"type": "reply", "body": "#{{ticket.number}} {{requester.name}}: {{ticket.subject}} {{ticket.status}}"}]}),
        );
        let state = TicketState {
            status: TicketStatus::PendingCustomer,
            ..ticket()
        };
        let mut occasion = Occasion {
            on: Some(TriggerOn::TicketUpdated),
            ..created()
        };
        assert!(
            plan(std::slice::from_ref(&t), &state, &occasion).is_empty(),
            "not changed by this update"
        );
        occasion.changes.insert(
            "status".into(),
            json!({"from": "open", "to": "pending_customer"}),
        );
        let fired = plan(&[t], &state, &occasion);
        assert_eq!(
            fired[0].replies,
            ["#1001 王芳: 发票 Invoice wrong pending_customer"]
        );
    }

    #[test]
    fn later_triggers_see_earlier_changes_and_each_fires_once() {
        let up = trigger(
            "up",
            json!({"on": "ticket_created",
            "all": [{"field": "priority", "operator": "is", "value": "high"}],
            "actions": [{"type": "set_priority", "value": "urgent"}]}),
        );
        let down = trigger(
            "down",
            json!({"on": "ticket_created",
            "all": [{"field": "priority", "operator": "is", "value": "urgent"}],
            "actions": [{"type": "set_priority", "value": "high"}, {"type": "set_status", "value": "closed"}]}),
        );
        let state = TicketState {
            priority: TicketPriority::High,
            ..ticket()
        };
        let fired = plan(&[up, down], &state, &created());
        assert_eq!(fired.len(), 2);
        assert_eq!(fired[0].changes.priority, Some(TicketPriority::Urgent));
        assert_eq!(fired[1].changes.priority, Some(TicketPriority::High));
        assert_eq!(
            fired[1].changes.status, None,
            "a move the lifecycle forbids is left out"
        );
    }

    #[test]
    fn a_firing_that_changes_nothing_is_left_out() {
        let t = trigger(
            "noop",
            json!({"on": "ticket_created",
            "actions": [{"type": "add_tags", "tags": ["vip"]}]}),
        );
        assert!(plan(&[t], &ticket(), &created()).is_empty());
    }

    #[test]
    fn validation_names_fields() {
        let group = Uuid::new_v4();
        let defs = [FieldDef {
            key: "region".into(),
            field_type: FieldType::Select,
            options: vec!["华东".into()],
            required_for: vec![],
            active: true,
        }];
        let known = Known {
            fields: &defs,
            group_ids: &[group],
            ..Known::default()
        };
        let rules: TriggerRules = serde_json::from_value(json!({"on": "ticket_created",
            "all": [{"field": "nope", "operator": "is", "value": 1},
                    {"field": "tags", "operator": "is", "value": "x"},
                    {"field": "status", "operator": "changed_to", "value": "open"},
                    {"field": "custom_fields.region", "operator": "is", "value": "华南"},
                    {"field": "priority", "operator": "is", "value": "now"}],
            "any": [{"field": "comment", "operator": "contains", "value": "x"}],
            "actions": [{"type": "set_group", "group_id": Uuid::new_v4()},
                        {"type": "notify_groups", "group_ids": [group]},
                        {"type": "call_webhook", "webhook_id": Uuid::new_v4()},
                        {"type": "set_custom_field", "key": "region", "value": "x"},
                        {"type": "reply", "body": "hi {{ticket.secret}}"}]}))
        .unwrap();
        let err = check_rules(&rules, &known).err().unwrap_or_default();
        let fields: Vec<_> = err
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(
            fields,
            [
                ("all[0].field", "unknown_field"),
                ("all[1].operator", "invalid_operator"),
                ("all[2].operator", "invalid_operator"),
                ("all[3].value", "invalid_value"),
                ("all[4].value", "invalid_value"),
                ("any[0].field", "invalid_field"),
                ("actions[0].group_id", "unknown_reference"),
                ("actions[2].webhook_id", "unknown_reference"),
                ("actions[3].value", "invalid_option"),
                ("actions[4].body", "unknown_placeholder"),
            ]
        );
    }

    proptest! {
        /// Planning is deterministic, fires each trigger at most once, and re-planning on the
        /// state the firings leave makes no further field changes for tag-only triggers.
        #[test]
        fn tag_triggers_settle(tags in proptest::collection::vec("[a-z]{1,5}", 1..6), n in 1usize..6) {
            let triggers: Vec<Trigger> = (0..n).map(|i| trigger(&format!("t{i}"), json!({
                "on": "ticket_created",
                "actions": [{"type": "add_tags", "tags": [tags[i % tags.len()].clone()]},
                            {"type": "remove_tags", "tags": [tags[(i + 1) % tags.len()].clone()]}]}))).collect();
            let first = plan(&triggers, &ticket(), &created());
            prop_assert_eq!(&first, &plan(&triggers, &ticket(), &created()));
            prop_assert!(first.len() <= n);
            let mut ids: Vec<_> = first.iter().map(|f| f.trigger_id).collect();
            ids.dedup();
            prop_assert_eq!(ids.len(), first.len());
        }
    }
}
