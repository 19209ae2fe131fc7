//! Bad input: typed errors with stable codes, never a panic, state unchanged.

use crate::common::*;
use kefu_routing::{
    AgentSpec, Channel, InteractionId, LanguageId, Millis, QueueId, Router, RoutingError, SkillId,
    SkillReq, TransferTarget,
};

/// Everything observable about the router, to compare before and after.
fn snapshot(r: &Router) -> String {
    let agents: Vec<_> = [1, 2].iter().map(|&id| r.agent(aid(id))).collect();
    let interactions: Vec<_> = [1, 2, 3].iter().map(|&id| r.interaction(iid(id))).collect();
    format!(
        "{agents:?}{interactions:?}{:?}{:?}{}",
        r.waiting_in(QueueId(1)),
        r.next_deadline(),
        r.interaction_count()
    )
}

fn seeded() -> Router {
    let mut r = router();
    r.add_queue(queue(1, &[(0, 1)]), secs(0)).unwrap();
    r.add_agent(agent(1, &[(0, 3)]), secs(0)).unwrap();
    r.add_agent(auto(agent(2, &[(1, 3)])), secs(0)).unwrap();
    r.enqueue(call(1, 1), secs(1)).unwrap();
    r.enqueue(call(2, 1), secs(1)).unwrap();
    r.drain_decisions();
    r
}

#[test]
fn every_bad_call_is_a_typed_error_and_changes_nothing() {
    let mut r = seeded();
    let before = snapshot(&r);
    let now = secs(1);
    let mut zero = agent(9, &[]);
    zero.capacity = vec![(Channel::Chat, 0)];
    let mut none = agent(9, &[]);
    none.capacity.clear();
    let mut bad_language = call(9, 1);
    bad_language.language = Some(LanguageId(64));
    let mut bad_req = call(9, 1);
    bad_req.required_skills = vec![SkillReq::new(0, 6)];
    let cases: Vec<(Result<(), RoutingError>, &str)> = vec![
        (r.add_agent(agent(1, &[]), now), "agent_already_exists"),
        (r.add_queue(queue(1, &[]), now), "queue_already_exists"),
        (r.enqueue(call(1, 1), now), "interaction_already_exists"),
        (r.enqueue(call(9, 7), now), "queue_not_found"),
        (r.add_agent(zero, now), "capacity_zero"),
        (r.add_agent(none, now), "capacity_missing"),
        (
            r.add_agent(agent(9, &[(300, 1)]), now),
            "skill_out_of_range",
        ),
        (
            r.add_agent(agent(9, &[(1, 0)]), now),
            "proficiency_out_of_range",
        ),
        (
            r.add_agent(agent(9, &[(1, 6)]), now),
            "proficiency_out_of_range",
        ),
        (
            r.add_queue(queue(9, &[(256, 1)]), now),
            "skill_out_of_range",
        ),
        (r.enqueue(bad_language, now), "language_out_of_range"),
        (r.enqueue(bad_req, now), "proficiency_out_of_range"),
        (
            r.set_presence(aid(9), kefu_routing::Presence::Available, now),
            "agent_not_found",
        ),
        (r.accept(iid(9), aid(1), now), "interaction_not_found"),
        (r.accept(iid(1), aid(2), now), "offer_not_for_agent"),
        (r.accept(iid(2), aid(1), now), "interaction_wrong_state"),
        (r.complete(iid(1), now), "interaction_wrong_state"),
        (r.reject(iid(1), aid(9), now), "agent_not_found"),
        (r.abandon(InteractionId(77), now), "interaction_not_found"),
        (
            r.transfer(iid(1), TransferTarget::Queue(QueueId(5)), now),
            "queue_not_found",
        ),
        (r.remove_queue(QueueId(1), now), "queue_not_empty"),
        (r.tick(Millis(999)), "clock_went_backwards"),
        (r.update_agent(AgentSpec::new(5), now), "agent_not_found"),
    ];
    for (result, code) in cases {
        let error = result.expect_err(code);
        assert_eq!(error.code(), code, "{error}");
        assert!(!error.to_string().is_empty());
        assert_eq!(snapshot(&r), before, "state changed after {code}");
    }
}

#[test]
fn transfer_to_an_agent_without_the_channel_is_refused() {
    let mut r = seeded();
    let mut chat_only = agent(3, &[]);
    chat_only.capacity = vec![(Channel::Chat, 2)];
    r.add_agent(chat_only, secs(1)).unwrap();
    let error = r
        .transfer(iid(1), TransferTarget::Agent(aid(3)), secs(1))
        .unwrap_err();
    assert_eq!(error.code(), "agent_channel_not_served");
}

#[test]
fn relaxation_steps_out_of_order_and_self_overflow_are_refused() {
    let mut r = router();
    let mut q = queue(1, &[]);
    q.relaxation = vec![
        kefu_routing::RelaxStep {
            after: secs(20),
            ..Default::default()
        },
        kefu_routing::RelaxStep {
            after: secs(10),
            drop_skills: vec![SkillId(0)],
            ..Default::default()
        },
    ];
    assert_eq!(
        r.add_queue(q, secs(0)).unwrap_err().code(),
        "invalid_config"
    );
    let mut looped = queue(1, &[]);
    looped.overflow = kefu_routing::OverflowTarget::Queue(QueueId(1));
    assert_eq!(
        r.add_queue(looped, secs(0)).unwrap_err().code(),
        "invalid_config"
    );
}
