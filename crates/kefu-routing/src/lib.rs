//! kefu-routing: the ACD. A deterministic, clock-free routing engine for every
//! channel (skills, value and capacity aware) and a discrete-event simulator
//! that drives the same engine.
//!
//! Time is always an argument (`Millis`); the crate does no I/O and runs no
//! threads. The server feeds agents, queues and interactions, calls `tick` at
//! `next_deadline`, and acts on the `Decision`s it drains.

mod agent;
mod config;
mod error;
mod interaction;
mod queue;
mod ready;
mod rng;
mod router;
pub mod scale;
mod select;
pub mod sim;
mod slab;
mod types;
mod waiting;

pub use config::{
    AgentSpec, InteractionSpec, MISSED_OFFERS_REASON, OverflowTarget, PreferredAgent, Presence,
    QueueSpec, RelaxStep, RouterConfig, Strategy, UnknownStrategy,
};
pub use error::RoutingError;
pub use rng::Rng;
pub use router::{
    AgentView, Decision, InteractionStatus, InteractionView, OverflowReason, Router, Standing,
    TransferTarget,
};
pub use types::{
    AgentId, Bits64, Channel, GroupId, InteractionId, LanguageId, MAX_PROFICIENCY, MAX_SKILLS,
    MIN_PROFICIENCY, Millis, QueueId, SkillId, SkillReq, Tier,
};
