//! SLA policies of a tenant: which tickets a policy applies to, its reply and resolution
//! targets, when to warn, what to do on a warning or breach, and first-match selection.

use crate::calendar::Calendar;
use crate::clock::SlaEvent;
use crate::error::SlaError;
use chrono::TimeDelta;
use kefu_core::Channel;
use serde::{Deserialize, Serialize};

/// Ticket priority, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

/// The three targets a policy can set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// From creation to the first public agent reply.
    FirstReply,
    /// From a customer message that follows an agent reply to the next agent reply.
    NextReply,
    /// From creation to solved, across reopenings.
    Resolution,
}

/// What a policy is matched against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketFacts {
    pub priority: Priority,
    /// The customer's value tier slug (`gold`, `vip`…), if the customer has one.
    #[serde(default)]
    pub tier: Option<String>,
    pub channel: Channel,
    /// The tenant's ticket type slug (`question`, `incident`…), if set.
    #[serde(default)]
    pub ticket_type: Option<String>,
}

/// Which tickets a policy applies to. Each list is "any of"; an empty list matches anything,
/// and all non-empty lists must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    #[serde(default)]
    pub priority: Vec<Priority>,
    #[serde(default)]
    pub tier: Vec<String>,
    #[serde(default)]
    pub channel: Vec<Channel>,
    #[serde(default)]
    pub ticket_type: Vec<String>,
}

impl Conditions {
    pub fn matches(&self, ticket: &TicketFacts) -> bool {
        fn any_of<T: PartialEq>(allowed: &[T], value: Option<&T>) -> bool {
            allowed.is_empty() || value.is_some_and(|v| allowed.contains(v))
        }
        any_of(&self.priority, Some(&ticket.priority))
            && any_of(&self.tier, ticket.tier.as_ref())
            && any_of(&self.channel, Some(&ticket.channel))
            && any_of(&self.ticket_type, ticket.ticket_type.as_ref())
    }
}

/// Target times in business minutes; an absent target is not tracked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_reply_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_reply_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_minutes: Option<u32>,
}

impl Targets {
    /// The goal of one target as business time, if the policy sets it.
    pub fn goal(&self, kind: TargetKind) -> Option<TimeDelta> {
        let minutes = match kind {
            TargetKind::FirstReply => self.first_reply_minutes,
            TargetKind::NextReply => self.next_reply_minutes,
            TargetKind::Resolution => self.resolution_minutes,
        }?;
        Some(TimeDelta::minutes(i64::from(minutes)))
    }
}

/// When the warning before a breach fires, in business time:
/// `{"elapsed_percent": 80}` or `{"minutes": 30}` before the due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum WarnBefore {
    /// Warn once this share of the target has elapsed (1–100).
    ElapsedPercent(u8),
    /// Warn this many business minutes before the due time (at the start if the target is
    /// shorter).
    Minutes(u32),
}

impl Default for WarnBefore {
    fn default() -> Self {
        Self::ElapsedPercent(80)
    }
}

impl WarnBefore {
    /// Business time elapsed on a target of `goal` when its warning fires.
    pub fn warn_after(self, goal: TimeDelta) -> TimeDelta {
        match self {
            Self::ElapsedPercent(percent) => goal * i32::from(percent) / 100,
            Self::Minutes(minutes) => {
                (goal - TimeDelta::minutes(i64::from(minutes))).max(TimeDelta::zero())
            }
        }
    }
}

/// Whom to notify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The ticket's assignee.
    Assignee,
    /// The supervisors of the ticket's group.
    GroupSupervisors,
    /// One user, by id.
    User(String),
}

/// What the server does when an escalation fires; kefu-sla only says which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum EscalationAction {
    Notify {
        to: Vec<Recipient>,
    },
    /// Raise the ticket's priority to at least `to` (never lowers it).
    RaisePriority {
        to: Priority,
    },
    /// Move the ticket to a group (e.g. a senior or after-sales team).
    Reassign {
        group: String,
    },
}

/// The moment an escalation fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Warning,
    Breach,
}

/// One escalation rule: on a warning or breach of the listed targets (empty = any), do this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    pub on: Trigger,
    #[serde(default)]
    pub targets: Vec<TargetKind>,
    pub action: EscalationAction,
}

/// One SLA policy of a tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub name: String,
    #[serde(default)]
    pub conditions: Conditions,
    pub targets: Targets,
    #[serde(default)]
    pub warn_before: WarnBefore,
    #[serde(default)]
    pub escalations: Vec<Escalation>,
    pub calendar: Calendar,
}

impl Policy {
    /// Checks what serde cannot: a name, at least one non-zero target, a warning share in
    /// 1–100. The calendar was checked when it was built.
    pub fn validate(&self) -> Result<(), SlaError> {
        let invalid = |field: &str, reason: &str| SlaError::InvalidPolicy {
            field: field.to_owned(),
            reason: reason.to_owned(),
        };
        if self.name.trim().is_empty() {
            return Err(invalid("name", "a policy needs a name"));
        }
        let targets = [
            (
                "targets.first_reply_minutes",
                self.targets.first_reply_minutes,
            ),
            (
                "targets.next_reply_minutes",
                self.targets.next_reply_minutes,
            ),
            (
                "targets.resolution_minutes",
                self.targets.resolution_minutes,
            ),
        ];
        if targets.iter().all(|(_, minutes)| minutes.is_none()) {
            return Err(invalid("targets", "set at least one target"));
        }
        if let Some((field, _)) = targets.iter().find(|(_, minutes)| *minutes == Some(0)) {
            return Err(invalid(field, "a target must be at least 1 minute"));
        }
        if let WarnBefore::ElapsedPercent(percent) = self.warn_before
            && !(1..=100).contains(&percent)
        {
            return Err(invalid(
                "warn_before.elapsed_percent",
                "must be from 1 to 100",
            ));
        }
        Ok(())
    }

    /// The escalation actions to carry out for an event of a clock running this policy.
    pub fn actions_for(&self, event: &SlaEvent) -> Vec<&EscalationAction> {
        let (trigger, target) = match *event {
            SlaEvent::Warning { target, .. } => (Trigger::Warning, target),
            SlaEvent::Breached { target, .. } => (Trigger::Breach, target),
            SlaEvent::Met { .. } => return Vec::new(),
        };
        self.escalations
            .iter()
            .filter(|e| e.on == trigger && (e.targets.is_empty() || e.targets.contains(&target)))
            .map(|e| &e.action)
            .collect()
    }
}

/// The first policy, in the tenant's order, whose conditions match the ticket.
pub fn match_policy<'a>(policies: &'a [Policy], ticket: &TicketFacts) -> Option<&'a Policy> {
    policies.iter().find(|p| p.conditions.matches(ticket))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use chrono::DateTime;

    const POLICIES: &str = r#"[
      { "name": "VIP urgent",
        "conditions": { "priority": ["urgent", "high"], "tier": ["vip"] },
        "targets": { "first_reply_minutes": 15, "resolution_minutes": 240 },
        "warn_before": { "minutes": 5 },
        "escalations": [
          { "on": "breach", "targets": ["first_reply"],
            "action": { "type": "notify", "to": ["assignee", "group_supervisors", { "user": "u-42" }] } },
          { "on": "breach", "action": { "type": "reassign", "group": "senior" } },
          { "on": "warning", "action": { "type": "raise_priority", "to": "urgent" } }
        ],
        "calendar": { "time_zone": "Asia/Shanghai", "weekly_hours": { "mon": ["00:00-24:00"] } } },
      { "name": "Email questions",
        "conditions": { "channel": ["email"], "ticket_type": ["question"] },
        "targets": { "first_reply_minutes": 240, "next_reply_minutes": 480 },
        "calendar": { "time_zone": "Europe/London", "weekly_hours": { "mon": ["09:00-17:00"] } } },
      { "name": "Default",
        "targets": { "resolution_minutes": 2880 },
        "calendar": { "time_zone": "UTC", "weekly_hours": { "mon": ["09:00-17:00"] } } }
    ]"#;

    fn policies() -> Vec<Policy> {
        serde_json::from_str(POLICIES).unwrap()
    }

    fn ticket(
        priority: Priority,
        tier: Option<&str>,
        channel: Channel,
        kind: Option<&str>,
    ) -> TicketFacts {
        TicketFacts {
            priority,
            tier: tier.map(str::to_owned),
            channel,
            ticket_type: kind.map(str::to_owned),
        }
    }

    #[test]
    fn first_matching_policy_wins_and_empty_conditions_match_anything() {
        let all = policies();
        assert!(all.iter().all(|p| p.validate().is_ok()));
        let name = |t: &TicketFacts| match_policy(&all, t).map(|p| p.name.as_str());
        let vip = ticket(
            Priority::High,
            Some("vip"),
            Channel::Email,
            Some("question"),
        );
        assert_eq!(name(&vip), Some("VIP urgent"));
        let gold = ticket(
            Priority::High,
            Some("gold"),
            Channel::Email,
            Some("question"),
        );
        assert_eq!(name(&gold), Some("Email questions"));
        // A condition on tier never matches a customer without a tier.
        let no_tier = ticket(Priority::Urgent, None, Channel::Chat, None);
        assert_eq!(name(&no_tier), Some("Default"));
        let email_incident = ticket(Priority::Low, None, Channel::Email, Some("incident"));
        assert_eq!(name(&email_incident), Some("Default"));
        assert_eq!(match_policy(&all[..2], &no_tier), None);
    }

    #[test]
    fn escalations_are_picked_by_trigger_and_target() {
        let vip = &policies()[0];
        let at = DateTime::UNIX_EPOCH;
        let breach = SlaEvent::Breached {
            target: TargetKind::FirstReply,
            at,
        };
        assert_eq!(vip.actions_for(&breach).len(), 2);
        let resolution_breach = SlaEvent::Breached {
            target: TargetKind::Resolution,
            at,
        };
        assert_eq!(
            vip.actions_for(&resolution_breach),
            vec![&EscalationAction::Reassign {
                group: "senior".into()
            }]
        );
        let warning = SlaEvent::Warning {
            target: TargetKind::Resolution,
            at,
        };
        assert_eq!(
            vip.actions_for(&warning),
            vec![&EscalationAction::RaisePriority {
                to: Priority::Urgent
            }]
        );
        assert!(
            vip.actions_for(&SlaEvent::Met {
                target: TargetKind::FirstReply,
                at
            })
            .is_empty()
        );
    }

    #[test]
    fn warning_points() {
        let hour = TimeDelta::hours(1);
        assert_eq!(
            WarnBefore::default().warn_after(hour),
            TimeDelta::minutes(48)
        );
        assert_eq!(
            WarnBefore::Minutes(5).warn_after(hour),
            TimeDelta::minutes(55)
        );
        assert_eq!(WarnBefore::Minutes(90).warn_after(hour), TimeDelta::zero());
        assert_eq!(WarnBefore::ElapsedPercent(100).warn_after(hour), hour);
    }

    #[test]
    fn validation_names_the_field() {
        let base = policies().remove(2);
        let field = |p: &Policy| p.validate().unwrap_err().field().unwrap();
        let mut p = base.clone();
        p.name = " ".into();
        assert_eq!(field(&p), "name");
        let mut p = base.clone();
        p.targets = Targets::default();
        assert_eq!(field(&p), "targets");
        let mut p = base.clone();
        p.targets.next_reply_minutes = Some(0);
        assert_eq!(field(&p), "targets.next_reply_minutes");
        for percent in [0, 101] {
            let mut p = base.clone();
            p.warn_before = WarnBefore::ElapsedPercent(percent);
            assert_eq!(field(&p), "warn_before.elapsed_percent");
            assert_eq!(p.validate().unwrap_err().code(), "invalid_policy");
        }
    }

    #[test]
    fn serde_rejects_unknown_fields() {
        let typo = POLICIES.replacen("first_reply_minutes", "first_response_minutes", 1);
        assert!(serde_json::from_str::<Vec<Policy>>(&typo).is_err());
        let bad_zone = POLICIES.replacen("Asia/Shanghai", "Mars/Olympus", 1);
        let err = serde_json::from_str::<Vec<Policy>>(&bad_zone).unwrap_err();
        assert!(err.to_string().contains("invalid_time_zone"), "{err}");
        let round: Vec<Policy> =
            serde_json::from_str(&serde_json::to_string(&policies()).unwrap()).unwrap();
        assert_eq!(round, policies());
    }
}
