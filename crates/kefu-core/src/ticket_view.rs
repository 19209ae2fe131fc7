//! Saved ticket views (视图): a name and a filter over the ticket list, kept by one agent or
//! shared with the whole tenant. This module owns what a filter may say and how it is checked.

use crate::error::{ValidationErrors, check_text};
use crate::ticket::{TicketPriority, TicketStatus, TicketType};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Longest view name.
pub const MAX_VIEW_NAME_CHARS: usize = 60;
/// Custom field conditions one filter takes (the list query's limit).
pub const MAX_VIEW_FIELDS: usize = 3;

/// What a view shows. Every condition left out matches every ticket; the ones given must all
/// hold. `assignee` and `group` are relative ("me", "mine") so one shared view serves everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ViewFilters {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<TicketStatus>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priorities: Vec<TicketPriority>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<TicketType>,
    /// `me`, `none` (unassigned) or an agent's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// `mine` (the departments of whoever looks) or a department's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Tickets carrying this tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Only tickets with an SLA target due soon or breached and still running.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sla_breaching: bool,
    /// Custom field values, `{key: value}`, at most [`MAX_VIEW_FIELDS`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// Whose tickets, as a filter reads it once "me" is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeCondition {
    Nobody,
    User(Uuid),
}

/// Which department, as a filter reads it once "mine" is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupCondition {
    /// The departments this user belongs to.
    MembersOf(Uuid),
    Group(Uuid),
}

impl ViewFilters {
    /// The assignee condition for the signed-in user `me`. "me" with nobody signed in (an API
    /// token) is an error, not an empty list: the caller asked for something that has no answer.
    pub fn assignee_for(
        &self,
        me: Option<Uuid>,
    ) -> Result<Option<AssigneeCondition>, &'static str> {
        match self.assignee.as_deref() {
            None => Ok(None),
            Some("none") => Ok(Some(AssigneeCondition::Nobody)),
            Some("me") => me
                .map(|id| Some(AssigneeCondition::User(id)))
                .ok_or("assignee `me` needs a signed-in agent"),
            Some(id) => id
                .parse()
                .map(|id| Some(AssigneeCondition::User(id)))
                .map_err(|_| "assignee is `me`, `none` or an agent's id"),
        }
    }

    /// The department condition for the signed-in user `me`, as [`Self::assignee_for`].
    pub fn group_for(&self, me: Option<Uuid>) -> Result<Option<GroupCondition>, &'static str> {
        match self.group.as_deref() {
            None => Ok(None),
            Some("mine") => me
                .map(|id| Some(GroupCondition::MembersOf(id)))
                .ok_or("group `mine` needs a signed-in agent"),
            Some(id) => id
                .parse()
                .map(|id| Some(GroupCondition::Group(id)))
                .map_err(|_| "group is `mine` or a department's id"),
        }
    }
}

/// Checks a view's name and filter; every problem is named with its field.
pub fn check_view(name: &str, filters: &ViewFilters) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    check_text(&mut errors, "name", name, MAX_VIEW_NAME_CHARS);
    if let Some(assignee) = filters.assignee.as_deref()
        && !matches!(assignee, "me" | "none")
        && assignee.parse::<Uuid>().is_err()
    {
        errors.push(
            "filters.assignee",
            "invalid_value",
            "assignee is `me`, `none` or an agent's id",
        );
    }
    if let Some(group) = filters.group.as_deref()
        && group != "mine"
        && group.parse::<Uuid>().is_err()
    {
        errors.push(
            "filters.group",
            "invalid_value",
            "group is `mine` or a department's id",
        );
    }
    if let Some(tag) = filters.tag.as_deref() {
        check_text(&mut errors, "filters.tag", tag, 64);
    }
    if filters.fields.len() > MAX_VIEW_FIELDS {
        errors.push(
            "filters.fields",
            "too_many",
            format!("at most {MAX_VIEW_FIELDS} custom field conditions"),
        );
    }
    for (key, value) in &filters.fields {
        check_text(&mut errors, &format!("filters.fields.{key}"), value, 200);
    }
    errors.into_result()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_empty_filter_with_a_name_is_a_view_of_everything() {
        assert!(check_view("全部", &ViewFilters::default()).is_ok());
    }

    #[test]
    fn every_bad_part_is_named() {
        let filters = ViewFilters {
            assignee: Some("someone".into()),
            group: Some("yours".into()),
            fields: (0..4).map(|i| (format!("k{i}"), "v".into())).collect(),
            ..ViewFilters::default()
        };
        let errors = check_view("  ", &filters).unwrap_err();
        let fields: Vec<_> = errors.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "filters.assignee",
                "filters.group",
                "filters.fields"
            ]
        );
        assert!(check_view(&"长".repeat(61), &ViewFilters::default()).is_err());
    }

    #[test]
    fn relative_conditions_resolve_for_whoever_looks() {
        let me = Uuid::from_u128(7);
        let filters = ViewFilters {
            assignee: Some("me".into()),
            group: Some("mine".into()),
            ..ViewFilters::default()
        };
        assert_eq!(
            filters.assignee_for(Some(me)),
            Ok(Some(AssigneeCondition::User(me)))
        );
        assert_eq!(
            filters.group_for(Some(me)),
            Ok(Some(GroupCondition::MembersOf(me)))
        );
        assert!(filters.assignee_for(None).is_err());
        assert!(filters.group_for(None).is_err());
        let nobody = ViewFilters {
            assignee: Some("none".into()),
            ..ViewFilters::default()
        };
        assert_eq!(
            nobody.assignee_for(None),
            Ok(Some(AssigneeCondition::Nobody))
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let parsed: Result<ViewFilters, _> = serde_json::from_str(r#"{"statuss":["open"]}"#);
        assert!(parsed.is_err());
        let parsed: ViewFilters = serde_json::from_str(
            r#"{"statuses":["open","pending_customer"],"sla_breaching":true}"#,
        )
        .unwrap();
        assert_eq!(parsed.statuses.len(), 2);
        assert!(parsed.sla_breaching);
    }
}
