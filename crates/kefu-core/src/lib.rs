//! kefu-core: the domain rules of the platform foundation, with no I/O.
//! Roles and permissions, agent profiles and presence, customer tiers and identities,
//! canned-response templates, ticket lifecycle rules, attachment limits, and the validation
//! errors every layer above reports with stable codes.

pub mod agent;
pub mod attachment;
pub mod canned;
pub mod conversation;
pub mod customer;
pub mod error;
pub mod role;
pub mod ticket;
pub mod ticket_field;
pub mod ticket_link;
pub mod ticket_view;
pub mod trigger;

pub use agent::{AgentProfile, Channel, Presence, PresenceState, SkillLevel};
pub use conversation::{
    ConversationStatus, CustomerMessageEffect, MessageKind, SenderKind, check_message,
    customer_message_effect,
};
pub use customer::{IdentityKind, TierSet, normalize_identity, normalize_tags};
pub use error::{FieldError, ValidationErrors};
pub use role::{Role, Scope};
pub use ticket::{TicketPriority, TicketStatus, TicketType};
pub use ticket_link::LinkKind;
