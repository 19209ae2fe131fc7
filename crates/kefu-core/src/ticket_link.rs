//! Ticket links: a parent with its incidents (of a problem) and sub-tasks (work for another
//! department that blocks the parent), and the rules of merging and splitting tickets.

use crate::ticket::{TicketStatus, TicketType};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How a child hangs under its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// One customer's report of a problem; solved with it.
    Incident,
    /// Work for another department; the parent cannot be solved before it is done.
    Subtask,
}

impl LinkKind {
    pub const ALL: &'static [LinkKind] = &[LinkKind::Incident, LinkKind::Subtask];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Incident => "incident",
            LinkKind::Subtask => "subtask",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == text)
    }
}

/// How far up a parent chain is followed. Chains are built one checked link at a time, so a
/// longer one means the data was changed behind the store's back; it is refused as a cycle.
pub const MAX_LINK_DEPTH: usize = 32;

/// Why a link (or a merge) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// A ticket under itself, directly or through its descendants.
    Cycle,
    /// Closed tickets are final: they take no new children.
    ParentClosed,
    /// Incidents belong to problems.
    NotAProblem,
    MergeIntoSelf,
    SourceClosed,
    TargetClosed,
}

impl LinkRefusal {
    /// The stable code the API answers with.
    pub fn code(self) -> &'static str {
        match self {
            LinkRefusal::Cycle => "ticket_link_cycle",
            LinkRefusal::ParentClosed => "parent_closed",
            LinkRefusal::NotAProblem => "parent_not_a_problem",
            LinkRefusal::MergeIntoSelf => "merge_into_self",
            LinkRefusal::SourceClosed => "merge_source_closed",
            LinkRefusal::TargetClosed => "merge_target_closed",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            LinkRefusal::Cycle => "a ticket cannot be linked under itself or its own descendants",
            LinkRefusal::ParentClosed => "a closed ticket cannot get new children",
            LinkRefusal::NotAProblem => "an incident's parent must be a ticket of type problem",
            LinkRefusal::MergeIntoSelf => "a ticket cannot be merged into itself",
            LinkRefusal::SourceClosed => "a closed ticket cannot be merged",
            LinkRefusal::TargetClosed => "a ticket cannot be merged into a closed ticket",
        }
    }
}

/// The parent end of a proposed link: the ticket, and its own ancestors nearest first (at most
/// [`MAX_LINK_DEPTH`], with `complete` false when the chain went on beyond that).
#[derive(Debug, Clone)]
pub struct Parent<'a> {
    pub id: Uuid,
    pub ticket_type: TicketType,
    pub status: TicketStatus,
    pub ancestors: &'a [Uuid],
    pub complete: bool,
}

/// Checks putting `child` under `parent` as `kind`.
pub fn check_link(child: Uuid, parent: &Parent<'_>, kind: LinkKind) -> Result<(), LinkRefusal> {
    if child == parent.id || parent.ancestors.contains(&child) || !parent.complete {
        return Err(LinkRefusal::Cycle);
    }
    if parent.status == TicketStatus::Closed {
        return Err(LinkRefusal::ParentClosed);
    }
    if kind == LinkKind::Incident && parent.ticket_type != TicketType::Problem {
        return Err(LinkRefusal::NotAProblem);
    }
    Ok(())
}

/// Checks merging `source` into `target`; `target_ancestors` as in [`Parent`]. Merging into a
/// descendant is a cycle: the source's children would be re-pointed under their own child.
pub fn check_merge(
    source: (Uuid, TicketStatus),
    target: (Uuid, TicketStatus),
    target_ancestors: &[Uuid],
    complete: bool,
) -> Result<(), LinkRefusal> {
    if source.0 == target.0 {
        return Err(LinkRefusal::MergeIntoSelf);
    }
    if source.1 == TicketStatus::Closed {
        return Err(LinkRefusal::SourceClosed);
    }
    if target.1 == TicketStatus::Closed {
        return Err(LinkRefusal::TargetClosed);
    }
    if target_ancestors.contains(&source.0) || !complete {
        return Err(LinkRefusal::Cycle);
    }
    Ok(())
}

/// The children that keep a ticket from moving `to` a status: sub-tasks still open, when the
/// move is to solved or closed. Each child is `(number, kind, status)`; numbers come back.
pub fn blocking_subtasks(to: TicketStatus, children: &[(i64, LinkKind, TicketStatus)]) -> Vec<i64> {
    if to.is_open() {
        return Vec::new();
    }
    children
        .iter()
        .filter(|(_, kind, status)| *kind == LinkKind::Subtask && status.is_open())
        .map(|(number, _, _)| *number)
        .collect()
}

/// Whether a move solves the ticket's open incidents with it: a problem (any parent of
/// incidents, after a merge) becoming solved.
pub fn solves_incidents(from: TicketStatus, to: TicketStatus) -> bool {
    from.is_open() && to == TicketStatus::Solved
}

/// System texts about links, in the tenant's language (zh-CN, else English).
#[derive(Debug, Clone, Copy)]
pub enum LinkNotice {
    /// Public, on an incident solved with its problem.
    IncidentSolved { incident: i64, problem: i64 },
    /// Internal, on both tickets of a merge.
    Merged { source: i64, target: i64 },
    /// Internal, on both tickets of a split; `moved` comments went.
    Split { source: i64, new: i64, moved: usize },
}

impl LinkNotice {
    pub fn text(self, locale: &str) -> String {
        let zh = locale == "zh-CN";
        match self {
            LinkNotice::IncidentSolved { incident, problem } if zh => format!(
                "您好，您反馈的问题（工单 #{incident}）已随相关问题 #{problem} 一并解决。如仍有问题，直接回复即可重新打开。"
            ),
            LinkNotice::IncidentSolved { incident, problem } => format!(
                "The problem behind your request #{incident} has been fixed (#{problem}), so it is now solved. If you still need help, just reply and it will reopen."
            ),
            LinkNotice::Merged { source, target } if zh => {
                format!("#{source} 已合并到 #{target}")
            }
            LinkNotice::Merged { source, target } => format!("#{source} merged into #{target}"),
            LinkNotice::Split { source, new, moved } if zh => {
                format!("#{new} 拆分自 #{source}（移动了 {moved} 条评论）")
            }
            LinkNotice::Split { source, new, moved } => {
                format!("#{new} split from #{source} ({moved} comments moved)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn parent(ancestors: &[Uuid]) -> Parent<'_> {
        Parent {
            id: id(1),
            ticket_type: TicketType::Problem,
            status: Open,
            ancestors,
            complete: true,
        }
    }

    #[test]
    fn links_refuse_self_cycles_closed_parents_and_incidents_of_non_problems() {
        assert_eq!(check_link(id(2), &parent(&[]), LinkKind::Incident), Ok(()));
        assert_eq!(
            check_link(id(1), &parent(&[]), LinkKind::Subtask),
            Err(LinkRefusal::Cycle),
            "a ticket under itself"
        );
        assert_eq!(
            check_link(id(3), &parent(&[id(2), id(3)]), LinkKind::Subtask),
            Err(LinkRefusal::Cycle),
            "under its own grandchild"
        );
        let mut too_deep = parent(&[]);
        too_deep.complete = false;
        assert_eq!(
            check_link(id(2), &too_deep, LinkKind::Subtask),
            Err(LinkRefusal::Cycle)
        );
        let closed = Parent {
            status: Closed,
            ..parent(&[])
        };
        assert_eq!(
            check_link(id(2), &closed, LinkKind::Subtask),
            Err(LinkRefusal::ParentClosed)
        );
        let question = Parent {
            ticket_type: TicketType::Question,
            ..parent(&[])
        };
        assert_eq!(
            check_link(id(2), &question, LinkKind::Incident),
            Err(LinkRefusal::NotAProblem)
        );
        assert_eq!(check_link(id(2), &question, LinkKind::Subtask), Ok(()));
    }

    #[test]
    fn open_subtasks_block_solving_and_closing_only() {
        let children = [
            (1002, LinkKind::Subtask, Open),
            (1003, LinkKind::Subtask, Solved),
            (1004, LinkKind::Incident, Open),
            (1005, LinkKind::Subtask, PendingInternal),
        ];
        assert_eq!(blocking_subtasks(Solved, &children), [1002, 1005]);
        assert_eq!(blocking_subtasks(Closed, &children), [1002, 1005]);
        assert!(blocking_subtasks(PendingCustomer, &children).is_empty());
        assert!(blocking_subtasks(Solved, &children[1..2]).is_empty());
        assert!(solves_incidents(Open, Solved) && !solves_incidents(Solved, Closed));
    }

    #[test]
    fn merges_refuse_self_closed_ends_and_descendants() {
        assert_eq!(check_merge((id(1), Open), (id(2), New), &[], true), Ok(()));
        let refused = |s, t, anc: &[Uuid]| check_merge(s, t, anc, true).err().map(|r| r.code());
        assert_eq!(
            refused((id(1), Open), (id(1), Open), &[]),
            Some("merge_into_self")
        );
        assert_eq!(
            refused((id(1), Closed), (id(2), Open), &[]),
            Some("merge_source_closed")
        );
        assert_eq!(
            refused((id(1), Open), (id(2), Closed), &[]),
            Some("merge_target_closed")
        );
        assert_eq!(
            refused((id(1), Open), (id(2), Open), &[id(3), id(1)]),
            Some("ticket_link_cycle")
        );
    }

    #[test]
    fn notices_speak_the_tenants_language() {
        let merged = LinkNotice::Merged {
            source: 1002,
            target: 1001,
        };
        assert_eq!(merged.text("en"), "#1002 merged into #1001");
        assert_eq!(merged.text("zh-CN"), "#1002 已合并到 #1001");
        let solved = LinkNotice::IncidentSolved {
            incident: 1003,
            problem: 1001,
        };
        assert!(solved.text("zh-CN").contains("#1003") && solved.text("en").contains("#1001"));
        for kind in LinkKind::ALL {
            assert_eq!(LinkKind::parse(kind.as_str()), Some(*kind));
        }
    }
}
