//! Tickets (工单): their statuses and the moves allowed between them, priorities, types, and
//! the limits on what a ticket and its comments hold. The store refuses anything refused here.

use crate::error::{ValidationErrors, check_text};
use serde::{Deserialize, Serialize};

/// Declares a closed set of snake_case names with `ALL`, `as_str` and `parse`.
macro_rules! named_set {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == text)
            }
        }
    };
}

named_set!(
    /// Where a ticket is. Pending-customer pauses SLA clocks; closed is final (a customer
    /// writing again opens a follow-up ticket).
    TicketStatus {
        New => "new",
        Open => "open",
        /// Waiting for the customer's answer.
        PendingCustomer => "pending_customer",
        /// Waiting for another department.
        PendingInternal => "pending_internal",
        OnHold => "on_hold",
        Solved => "solved",
        Closed => "closed",
    }
);

named_set!(TicketPriority {
    Low => "low",
    Normal => "normal",
    High => "high",
    Urgent => "urgent",
});

named_set!(TicketType {
    Question => "question",
    Incident => "incident",
    Problem => "problem",
    Task => "task",
    Complaint => "complaint",
    Suggestion => "suggestion",
});

impl TicketStatus {
    /// Whether the lifecycle allows going from `self` to `to`. Nothing goes back to `new`;
    /// `closed` is final; a solved ticket reopens (to open) or closes.
    pub fn can_move_to(self, to: TicketStatus) -> bool {
        use TicketStatus::*;
        match (self, to) {
            (_, New) | (Closed, _) => false,
            (from, to) if from == to => false,
            (Solved, Open | Closed) => true,
            (Solved, _) => false,
            (_, Closed) => false,
            _ => true,
        }
    }

    /// Still needs work (everything but solved and closed).
    pub fn is_open(self) -> bool {
        !matches!(self, TicketStatus::Solved | TicketStatus::Closed)
    }
}

pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;
pub const MAX_COMMENT_CHARS: usize = 20_000;

/// Checks a subject and optional description, reporting every bad field.
pub fn check_ticket_text(
    errors: &mut ValidationErrors,
    subject: Option<&str>,
    description: Option<&str>,
) {
    if let Some(subject) = subject {
        check_text(errors, "subject", subject, MAX_SUBJECT_CHARS);
    }
    if let Some(description) = description
        && description.chars().count() > MAX_DESCRIPTION_CHARS
    {
        errors.push(
            "description",
            "too_long",
            format!("description must be at most {MAX_DESCRIPTION_CHARS} characters"),
        );
    }
}

pub fn check_comment(body: &str) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    check_text(&mut errors, "body", body, MAX_COMMENT_CHARS);
    errors.into_result()
}

/// Parses `#1001`, `1001` or a full-width `＃1001` into a ticket number.
pub fn parse_ticket_number(text: &str) -> Option<i64> {
    let digits = text.trim().trim_start_matches(['#', '＃']).trim();
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::TicketStatus::*;
    use super::*;

    #[test]
    fn lifecycle_moves() {
        assert!(New.can_move_to(Open) && New.can_move_to(Solved));
        assert!(Open.can_move_to(PendingCustomer) && PendingCustomer.can_move_to(Open));
        assert!(PendingInternal.can_move_to(OnHold) && OnHold.can_move_to(Solved));
        assert!(Solved.can_move_to(Open) && Solved.can_move_to(Closed));
        assert!(
            !Open.can_move_to(Closed),
            "a ticket is solved before it closes"
        );
        assert!(!Solved.can_move_to(PendingCustomer));
        for status in TicketStatus::ALL {
            assert!(!Closed.can_move_to(*status), "closed is final");
            assert!(!status.can_move_to(New), "nothing goes back to new");
            assert!(!status.can_move_to(*status));
            assert_eq!(TicketStatus::parse(status.as_str()), Some(*status));
        }
        assert!(Open.is_open() && !Solved.is_open() && !Closed.is_open());
    }

    #[test]
    fn names_round_trip() {
        for priority in TicketPriority::ALL {
            assert_eq!(TicketPriority::parse(priority.as_str()), Some(*priority));
        }
        for kind in TicketType::ALL {
            assert_eq!(TicketType::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(TicketPriority::parse("URGENT"), None);
        assert!(
            TicketPriority::Urgent > TicketPriority::High,
            "ordered by urgency"
        );
    }

    #[test]
    fn ticket_numbers_parse_with_or_without_a_hash() {
        assert_eq!(parse_ticket_number("#1001"), Some(1001));
        assert_eq!(parse_ticket_number(" ＃1002 "), Some(1002));
        assert_eq!(parse_ticket_number("1003"), Some(1003));
        for bad in ["", "#", "#12a", "-5", "#1 2", "99999999999999999999"] {
            assert_eq!(parse_ticket_number(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn text_limits_report_every_field() {
        let mut errors = ValidationErrors::new();
        let long = "字".repeat(MAX_DESCRIPTION_CHARS + 1);
        check_ticket_text(&mut errors, Some("  "), Some(&long));
        let fields: Vec<&str> = errors.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["subject", "description"]);
        assert!(check_comment("好的").is_ok());
        assert!(check_comment(" ").is_err());
    }
}
