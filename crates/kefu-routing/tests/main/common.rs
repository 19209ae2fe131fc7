//! Small builders shared by the integration tests.

use kefu_routing::{
    AgentId, AgentSpec, Channel, Decision, InteractionId, InteractionSpec, Millis, QueueId,
    QueueSpec, Router, RouterConfig, SkillId, SkillReq,
};

pub fn secs(s: u64) -> Millis {
    Millis::from_secs(s)
}

pub fn router() -> Router {
    Router::new(RouterConfig::default()).unwrap()
}

/// A voice agent with the given skills (skill, proficiency).
pub fn agent(id: u64, skills: &[(u16, u8)]) -> AgentSpec {
    let mut spec = AgentSpec::new(id);
    spec.skills = skills.iter().map(|&(s, p)| (SkillId(s), p)).collect();
    spec
}

pub fn auto(mut spec: AgentSpec) -> AgentSpec {
    spec.auto_accept = true;
    spec
}

pub fn queue(id: u64, skills: &[(u16, u8)]) -> QueueSpec {
    let mut spec = QueueSpec::new(id, Channel::Voice);
    spec.required_skills = skills.iter().map(|&(s, p)| SkillReq::new(s, p)).collect();
    spec
}

pub fn call(id: u64, queue: u64) -> InteractionSpec {
    InteractionSpec::new(id, queue)
}

/// (interaction, agent) of every offer or assignment drained, in order.
pub fn routed(router: &mut Router) -> Vec<(u64, u64)> {
    router
        .drain_decisions()
        .filter_map(|decision| match decision {
            Decision::Offered {
                interaction, agent, ..
            }
            | Decision::Assigned {
                interaction, agent, ..
            } => Some((interaction.0, agent.0)),
            _ => None,
        })
        .collect()
}

pub fn drain(router: &mut Router) -> Vec<Decision> {
    router.drain_decisions().collect()
}

pub fn iid(id: u64) -> InteractionId {
    InteractionId(id)
}

pub fn aid(id: u64) -> AgentId {
    AgentId(id)
}

/// Ids waiting in a queue, in service order.
pub fn waiting_ids(router: &Router, queue: u64) -> Vec<u64> {
    router
        .waiting_in(QueueId(queue))
        .unwrap()
        .iter()
        .map(|i| i.0)
        .collect()
}
