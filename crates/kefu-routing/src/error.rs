//! The router's typed errors. Every rejected call leaves the router exactly as
//! it was; each variant has a stable machine code for the API layer.

use crate::types::{AgentId, Channel, InteractionId, Millis, QueueId};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    #[error("unknown agent {0}")]
    UnknownAgent(AgentId),
    #[error("unknown queue {0}")]
    UnknownQueue(QueueId),
    #[error("unknown interaction {0}")]
    UnknownInteraction(InteractionId),
    #[error("agent {0} already exists")]
    DuplicateAgent(AgentId),
    #[error("queue {0} already exists")]
    DuplicateQueue(QueueId),
    #[error("interaction {0} already exists")]
    DuplicateInteraction(InteractionId),
    #[error("capacity for {channel:?} must be at least 1 (omit the channel instead)")]
    ZeroCapacity { channel: Channel },
    #[error("an agent needs capacity on at least one channel")]
    NoCapacity,
    #[error("skill {skill} is out of range (max {max})")]
    SkillOutOfRange { skill: u16, max: u16 },
    #[error("proficiency {proficiency} for skill {skill} is out of range 1..=5")]
    ProficiencyOutOfRange { skill: u16, proficiency: u8 },
    #[error("language {0} is out of range 0..64")]
    LanguageOutOfRange(u8),
    #[error("group {0} is out of range 0..64")]
    GroupOutOfRange(u8),
    #[error("interaction {interaction} is {actual}, expected {expected}")]
    WrongInteractionState {
        interaction: InteractionId,
        expected: &'static str,
        actual: &'static str,
    },
    #[error("interaction {interaction} is not offered to agent {agent}")]
    NotOfferedToAgent {
        interaction: InteractionId,
        agent: AgentId,
    },
    #[error("agent {agent} does not serve {channel:?}")]
    ChannelNotServed { agent: AgentId, channel: Channel },
    #[error("time went backwards: last call at {last}, this call at {now}")]
    ClockWentBackwards { last: Millis, now: Millis },
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
    #[error("queue {0} still has waiting interactions")]
    QueueNotEmpty(QueueId),
    #[error("agent {0} still has interactions")]
    AgentBusy(AgentId),
}

impl RoutingError {
    /// A stable code for logs and API responses; never changes once released.
    pub fn code(&self) -> &'static str {
        match self {
            RoutingError::UnknownAgent(_) => "agent_not_found",
            RoutingError::UnknownQueue(_) => "queue_not_found",
            RoutingError::UnknownInteraction(_) => "interaction_not_found",
            RoutingError::DuplicateAgent(_) => "agent_already_exists",
            RoutingError::DuplicateQueue(_) => "queue_already_exists",
            RoutingError::DuplicateInteraction(_) => "interaction_already_exists",
            RoutingError::ZeroCapacity { .. } => "capacity_zero",
            RoutingError::NoCapacity => "capacity_missing",
            RoutingError::SkillOutOfRange { .. } => "skill_out_of_range",
            RoutingError::ProficiencyOutOfRange { .. } => "proficiency_out_of_range",
            RoutingError::LanguageOutOfRange(_) => "language_out_of_range",
            RoutingError::GroupOutOfRange(_) => "group_out_of_range",
            RoutingError::WrongInteractionState { .. } => "interaction_wrong_state",
            RoutingError::NotOfferedToAgent { .. } => "offer_not_for_agent",
            RoutingError::ChannelNotServed { .. } => "agent_channel_not_served",
            RoutingError::ClockWentBackwards { .. } => "clock_went_backwards",
            RoutingError::InvalidConfig(_) => "invalid_config",
            RoutingError::QueueNotEmpty(_) => "queue_not_empty",
            RoutingError::AgentBusy(_) => "agent_busy",
        }
    }
}
