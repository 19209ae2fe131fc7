//! One test per routing rule of issue 3, driven through the public API.

use crate::common::*;
use kefu_routing::{
    AgentSpec, Channel, Decision, GroupId, InteractionStatus, Millis, OverflowReason,
    OverflowTarget, PreferredAgent, Presence, QueueId, QueueSpec, RelaxStep, Router, RouterConfig,
    SkillId, Strategy, Tier, TransferTarget,
};

fn chat_agent(id: u64, capacity: u16) -> AgentSpec {
    let mut spec = auto(agent(id, &[]));
    spec.capacity = vec![(Channel::Chat, capacity)];
    spec
}

fn chat_queue(id: u64, strategy: Strategy) -> QueueSpec {
    let mut spec = QueueSpec::new(id, Channel::Chat);
    spec.strategy = strategy;
    spec
}

#[test]
fn longest_idle_is_the_default_strategy() {
    let mut r = router();
    r.add_queue(queue(1, &[]), secs(0)).unwrap();
    for id in 1..=3 {
        r.add_agent(auto(agent(id, &[])), secs(id)).unwrap();
    }
    r.enqueue(call(100, 1), secs(10)).unwrap();
    r.complete(iid(100), secs(20)).unwrap();
    r.enqueue(call(101, 1), secs(30)).unwrap();
    r.enqueue(call(102, 1), secs(31)).unwrap();
    r.enqueue(call(103, 1), secs(32)).unwrap();
    assert_eq!(
        routed(&mut r),
        vec![(100, 1), (101, 2), (102, 3), (103, 1)],
        "agent 1 became idle last, at 20 s"
    );
}

fn occupancy_scenario(strategy: Strategy) -> u64 {
    let mut r = router();
    r.add_queue(chat_queue(1, strategy), secs(0)).unwrap();
    r.add_agent(chat_agent(1, 3), secs(0)).unwrap();
    r.add_agent(chat_agent(2, 3), secs(0)).unwrap();
    r.enqueue(call(1, 1), secs(1)).unwrap();
    r.enqueue(call(2, 1), secs(2)).unwrap();
    r.enqueue(call(3, 1), secs(3)).unwrap();
    assert_eq!(routed(&mut r), vec![(1, 1), (2, 2), (3, 1)]);
    r.complete(iid(2), secs(4)).unwrap();
    // Agent 1: two chats, idle since 3 s; agent 2: no chat, idle since 4 s.
    r.enqueue(call(4, 1), secs(5)).unwrap();
    routed(&mut r)[0].1
}

#[test]
fn least_occupied_prefers_the_lighter_load_over_idle_time() {
    assert_eq!(occupancy_scenario(Strategy::LeastOccupied), 2);
    assert_eq!(occupancy_scenario(Strategy::LongestIdle), 1);
}

#[test]
fn best_proficiency_picks_the_strongest_agent() {
    let mut r = router();
    let mut q = queue(1, &[(0, 1)]);
    q.strategy = Strategy::BestProficiency;
    r.add_queue(q, secs(0)).unwrap();
    r.add_agent(auto(agent(1, &[(0, 2)])), secs(0)).unwrap();
    r.add_agent(auto(agent(2, &[(0, 5)])), secs(1)).unwrap();
    r.add_agent(auto(agent(3, &[(0, 3)])), secs(2)).unwrap();
    r.enqueue(call(10, 1), secs(3)).unwrap();
    r.enqueue(call(11, 1), secs(3)).unwrap();
    assert_eq!(routed(&mut r), vec![(10, 2), (11, 3)]);
}

#[test]
fn round_robin_walks_agent_ids_in_turn() {
    let mut r = router();
    let mut q = queue(1, &[]);
    q.strategy = Strategy::RoundRobin;
    r.add_queue(q, secs(0)).unwrap();
    for id in [30, 10, 20] {
        r.add_agent(auto(agent(id, &[])), secs(0)).unwrap();
    }
    let mut picks = Vec::new();
    for n in 0..4 {
        r.enqueue(call(n, 1), secs(10 + n)).unwrap();
        picks.extend(routed(&mut r).into_iter().map(|(_, agent)| agent));
        r.complete(iid(n), secs(10 + n)).unwrap();
    }
    assert_eq!(picks, vec![10, 20, 30, 10]);
}

fn random_picks(seed: u64) -> Vec<u64> {
    let config = RouterConfig {
        seed,
        ..RouterConfig::default()
    };
    let mut r = Router::new(config).unwrap();
    r.add_queue(chat_queue(1, Strategy::Random), secs(0))
        .unwrap();
    for id in 1..=5 {
        r.add_agent(chat_agent(id, 1000), secs(0)).unwrap();
    }
    for n in 0..200 {
        r.enqueue(call(n, 1), secs(1)).unwrap();
    }
    routed(&mut r).into_iter().map(|(_, agent)| agent).collect()
}

#[test]
fn random_strategy_is_seeded_and_spreads_work() {
    let picks = random_picks(7);
    assert_eq!(picks, random_picks(7), "same seed, same choices");
    assert_ne!(picks, random_picks(8), "another seed, other choices");
    for id in 1..=5 {
        let share = picks.iter().filter(|&&agent| agent == id).count();
        assert!((20..=60).contains(&share), "agent {id} got {share} of 200");
    }
}

fn busy_single_agent(q: QueueSpec) -> Router {
    let mut r = router();
    r.add_queue(q, secs(0)).unwrap();
    r.add_agent(auto(agent(1, &[])), secs(0)).unwrap();
    r.enqueue(call(0, 1), secs(0)).unwrap();
    r.drain_decisions();
    r
}

fn enqueue_mix(r: &mut Router) {
    let mut a = call(1, 1);
    a.enqueued_at = None;
    r.enqueue(a, secs(1)).unwrap();
    let mut vip = call(2, 1);
    vip.tier = Tier::Vip;
    r.enqueue(vip, secs(2)).unwrap();
    r.enqueue(call(3, 1), secs(3)).unwrap();
    let mut urgent = call(4, 1);
    urgent.base_priority = 50;
    r.enqueue(urgent, secs(4)).unwrap();
}

#[test]
fn priority_score_then_fifo_with_vip_first() {
    let mut r = busy_single_agent(queue(1, &[]));
    enqueue_mix(&mut r);
    let order = waiting_ids(&r, 1);
    assert_eq!(order, vec![2, 4, 1, 3]);
    r.complete(iid(0), secs(5)).unwrap();
    assert_eq!(routed(&mut r), vec![(2, 1)], "the VIP is served first");
}

#[test]
fn lifo_queue_serves_the_newest_of_equal_score() {
    let mut q = queue(1, &[]);
    q.lifo = true;
    let mut r = busy_single_agent(q);
    enqueue_mix(&mut r);
    let order = waiting_ids(&r, 1);
    assert_eq!(order, vec![2, 4, 3, 1]);
}

#[test]
fn aging_lets_an_earlier_arrival_outrank_a_later_vip() {
    let mut q = queue(1, &[]);
    q.aging_per_sec = 1;
    let mut r = busy_single_agent(q);
    r.enqueue(call(1, 1), secs(0)).unwrap();
    for (id, at) in [(2, 50), (3, 150)] {
        let mut vip = call(id, 1);
        vip.tier = Tier::Vip;
        r.enqueue(vip, secs(at)).unwrap();
    }
    // Scores at t: call 1 = t, VIP 2 = 100 + (t - 50), VIP 3 = 100 + (t - 150).
    let order = waiting_ids(&r, 1);
    assert_eq!(order, vec![2, 1, 3]);
    r.complete(iid(0), secs(200)).unwrap();
    assert_eq!(routed(&mut r), vec![(2, 1)]);
}

#[test]
fn bullseye_lowers_proficiency_after_a_wait() {
    let mut r = router();
    let mut q = queue(1, &[(0, 5)]);
    q.relaxation = vec![RelaxStep {
        after: secs(10),
        lower_proficiency_by: 2,
        ..RelaxStep::default()
    }];
    r.add_queue(q, secs(0)).unwrap();
    r.add_agent(auto(agent(1, &[(0, 3)])), secs(0)).unwrap();
    r.enqueue(call(1, 1), secs(0)).unwrap();
    assert_eq!(r.next_deadline(), Some(secs(10)));
    r.tick(Millis(9_999)).unwrap();
    assert!(routed(&mut r).is_empty());
    r.tick(secs(10)).unwrap();
    assert_eq!(routed(&mut r), vec![(1, 1)]);
}

#[test]
fn bullseye_drops_a_skill_and_widens_the_group() {
    let mut r = router();
    let mut q = queue(1, &[(0, 1), (1, 1)]);
    q.groups = vec![GroupId(0)];
    q.relaxation = vec![
        RelaxStep {
            after: secs(15),
            add_groups: vec![GroupId(1)],
            ..RelaxStep::default()
        },
        RelaxStep {
            after: secs(30),
            drop_skills: vec![SkillId(1)],
            ..RelaxStep::default()
        },
    ];
    r.add_queue(q, secs(0)).unwrap();
    let mut other_group = auto(agent(1, &[(0, 1), (1, 1)]));
    other_group.groups = vec![GroupId(1)];
    r.add_agent(other_group, secs(0)).unwrap();
    let mut lacks_skill = auto(agent(2, &[(0, 4)]));
    lacks_skill.groups = vec![GroupId(0)];
    r.add_agent(lacks_skill, secs(0)).unwrap();
    r.enqueue(call(1, 1), secs(0)).unwrap();
    r.enqueue(call(2, 1), secs(1)).unwrap();
    r.tick(secs(14)).unwrap();
    assert!(routed(&mut r).is_empty());
    r.tick(secs(15)).unwrap();
    assert_eq!(routed(&mut r), vec![(1, 1)], "group 1 admitted after 15 s");
    r.tick(secs(30)).unwrap();
    assert!(routed(&mut r).is_empty(), "call 2 has waited only 29 s");
    r.tick(secs(31)).unwrap();
    assert_eq!(routed(&mut r), vec![(2, 2)], "skill 1 dropped after 30 s");
}

fn sticky_setup() -> Router {
    let mut r = router();
    r.add_queue(queue(1, &[]), secs(0)).unwrap();
    r.add_agent(auto(agent(1, &[])), secs(0)).unwrap();
    r.add_agent(auto(agent(2, &[])), secs(0)).unwrap();
    r.enqueue(call(10, 1), secs(0)).unwrap();
    r.enqueue(call(11, 1), secs(0)).unwrap();
    r.drain_decisions();
    let mut returning = call(1, 1);
    returning.preferred_agent = Some(PreferredAgent {
        agent: aid(2),
        until: secs(1000),
    });
    r.enqueue(returning, secs(1)).unwrap();
    r
}

#[test]
fn sticky_customer_waits_for_the_last_agent_within_the_hold() {
    let mut r = sticky_setup();
    r.complete(iid(10), secs(5)).unwrap();
    assert!(
        routed(&mut r).is_empty(),
        "held for agent 2, not given to 1"
    );
    r.complete(iid(11), secs(10)).unwrap();
    assert_eq!(routed(&mut r), vec![(1, 2)]);
}

#[test]
fn sticky_hold_is_bounded_then_anyone_eligible_takes_it() {
    let mut r = sticky_setup();
    r.complete(iid(10), secs(5)).unwrap();
    // Asked for 1000 s, capped by max_sticky_hold (60 s) from enqueue at 1 s.
    assert_eq!(r.next_deadline(), Some(secs(61)));
    r.tick(secs(60)).unwrap();
    assert!(routed(&mut r).is_empty());
    r.tick(secs(61)).unwrap();
    assert_eq!(routed(&mut r), vec![(1, 1)]);
}

fn manual_pair() -> Router {
    let mut r = router();
    r.add_queue(queue(1, &[]), secs(0)).unwrap();
    r.add_agent(agent(1, &[]), secs(0)).unwrap();
    r.add_agent(agent(2, &[]), secs(1)).unwrap();
    r
}

#[test]
fn reject_and_timeout_move_the_offer_to_the_next_agent() {
    let mut r = manual_pair();
    r.enqueue(call(1, 1), secs(2)).unwrap();
    let offered = drain(&mut r);
    assert!(matches!(
        offered.as_slice(),
        [Decision::Offered { agent, expires_at, .. }] if agent == &aid(1) && expires_at == &secs(22)
    ));
    r.reject(iid(1), aid(1), secs(3)).unwrap();
    assert_eq!(routed(&mut r), vec![(1, 2)]);
    r.tick(secs(23)).unwrap();
    let events = drain(&mut r);
    assert!(matches!(events[0], Decision::OfferTimedOut { agent, .. } if agent == aid(2)));
    assert_eq!(
        r.interaction(iid(1)).unwrap().status,
        InteractionStatus::Waiting,
        "both agents declined it; it waits for someone else"
    );
    r.add_agent(agent(3, &[]), secs(24)).unwrap();
    assert_eq!(routed(&mut r), vec![(1, 3)]);
    r.accept(iid(1), aid(3), secs(25)).unwrap();
    assert!(matches!(
        r.interaction(iid(1)).unwrap().status,
        InteractionStatus::Assigned { agent, .. } if agent == aid(3)
    ));
}

#[test]
fn consecutive_missed_offers_set_the_agent_away() {
    let config = RouterConfig {
        max_missed_offers: 2,
        ..RouterConfig::default()
    };
    let mut r = Router::new(config).unwrap();
    r.add_queue(queue(1, &[]), secs(0)).unwrap();
    r.add_agent(agent(1, &[]), secs(0)).unwrap();
    r.enqueue(call(1, 1), secs(0)).unwrap();
    r.tick(secs(20)).unwrap();
    assert_eq!(r.agent(aid(1)).unwrap().missed_in_a_row, 1);
    r.enqueue(call(2, 1), secs(25)).unwrap();
    r.tick(secs(45)).unwrap();
    let events = drain(&mut r);
    assert!(events.iter().any(|d| matches!(
        d,
        Decision::AgentSetAway { agent, reason, .. } if agent == &aid(1) && reason == "missed"
    )));
    assert_eq!(r.agent(aid(1)).unwrap().presence, Presence::away("missed"));
    r.set_presence(aid(1), Presence::Available, secs(50))
        .unwrap();
    let offers = routed(&mut r);
    assert_eq!(offers.len(), 1, "back from away, one waiting call offered");
    r.accept(iid(offers[0].0), aid(1), secs(51)).unwrap();
    assert_eq!(r.agent(aid(1)).unwrap().missed_in_a_row, 0);
}

#[test]
fn auto_accept_assigns_without_an_offer() {
    let mut r = router();
    r.add_queue(queue(1, &[]), secs(0)).unwrap();
    r.add_agent(auto(agent(1, &[])), secs(0)).unwrap();
    r.enqueue(call(1, 1), secs(3)).unwrap();
    assert!(matches!(
        drain(&mut r).as_slice(),
        [Decision::Assigned { agent, waited, .. }] if agent == &aid(1) && waited == &Millis::ZERO
    ));
}

#[test]
fn wrap_up_delays_the_next_offer_on_that_channel_only() {
    let mut config = RouterConfig::default();
    config.wrap_up[Channel::Voice.index()] = secs(30);
    let mut r = Router::new(config).unwrap();
    r.add_queue(queue(1, &[]), secs(0)).unwrap();
    r.add_queue(chat_queue(2, Strategy::LongestIdle), secs(0))
        .unwrap();
    let mut both = auto(agent(1, &[]));
    both.capacity = vec![(Channel::Voice, 1), (Channel::Chat, 2)];
    r.add_agent(both, secs(0)).unwrap();
    r.enqueue(call(1, 1), secs(0)).unwrap();
    r.complete(iid(1), secs(10)).unwrap();
    r.drain_decisions();
    r.enqueue(call(2, 1), secs(15)).unwrap();
    r.enqueue(call(3, 2), secs(16)).unwrap();
    assert_eq!(
        routed(&mut r),
        vec![(3, 1)],
        "chat flows during voice wrap-up"
    );
    assert_eq!(r.agent(aid(1)).unwrap().wrap_up_until[0], secs(40));
    r.tick(secs(39)).unwrap();
    assert!(routed(&mut r).is_empty());
    r.complete(iid(3), secs(39)).unwrap();
    r.tick(secs(40)).unwrap();
    assert_eq!(routed(&mut r), vec![(2, 1)]);
}

#[test]
fn voice_blocks_chat_and_chats_share_capacity() {
    let mut r = router();
    r.add_queue(queue(1, &[]), secs(0)).unwrap();
    r.add_queue(chat_queue(2, Strategy::LongestIdle), secs(0))
        .unwrap();
    let mut both = auto(agent(1, &[]));
    both.capacity = vec![(Channel::Voice, 1), (Channel::Chat, 2)];
    r.add_agent(both, secs(0)).unwrap();
    r.enqueue(call(1, 1), secs(1)).unwrap();
    r.enqueue(call(2, 2), secs(2)).unwrap();
    assert_eq!(routed(&mut r), vec![(1, 1)], "on a call, no chat");
    r.complete(iid(1), secs(3)).unwrap();
    r.enqueue(call(3, 2), secs(4)).unwrap();
    r.enqueue(call(4, 2), secs(5)).unwrap();
    assert_eq!(routed(&mut r), vec![(2, 1), (3, 1)], "two chats at once");
    r.enqueue(call(5, 1), secs(6)).unwrap();
    assert_eq!(
        routed(&mut r),
        vec![(5, 1)],
        "chats do not block a call by default"
    );
}

#[test]
fn transfer_to_queue_keeps_the_original_enqueue_time() {
    let mut r = router();
    r.add_queue(queue(1, &[(0, 1)]), secs(0)).unwrap();
    r.add_queue(queue(2, &[(1, 1)]), secs(0)).unwrap();
    r.add_agent(auto(agent(1, &[(0, 1)])), secs(0)).unwrap();
    r.add_agent(auto(agent(2, &[(1, 1)])), secs(0)).unwrap();
    r.enqueue(call(1, 1), secs(0)).unwrap();
    r.enqueue(call(2, 2), secs(1)).unwrap();
    r.enqueue(call(3, 2), secs(5)).unwrap();
    assert_eq!(routed(&mut r), vec![(1, 1), (2, 2)]);
    r.transfer(iid(1), TransferTarget::Queue(QueueId(2)), secs(10))
        .unwrap();
    let order = waiting_ids(&r, 2);
    assert_eq!(order, vec![1, 3], "enqueued at 0 s, ahead of the 5 s call");
    let view = r.interaction(iid(1)).unwrap();
    assert_eq!(view.first_enqueued_at, secs(0));
    assert_eq!(view.queue_entered_at, secs(10));
    r.enqueue(call(4, 1), secs(11)).unwrap();
    assert_eq!(routed(&mut r), vec![(4, 1)], "agent 1 is free again");
}

#[test]
fn transfer_to_agent_holds_for_that_agent() {
    let mut r = router();
    r.add_queue(queue(1, &[]), secs(0)).unwrap();
    for id in 1..=3 {
        r.add_agent(auto(agent(id, &[])), secs(0)).unwrap();
    }
    r.enqueue(call(1, 1), secs(1)).unwrap();
    r.enqueue(call(3, 1), secs(1)).unwrap();
    r.enqueue(call(4, 1), secs(1)).unwrap();
    assert_eq!(routed(&mut r), vec![(1, 1), (3, 2), (4, 3)]);
    r.transfer(iid(1), TransferTarget::Agent(aid(3)), secs(5))
        .unwrap();
    assert!(
        routed(&mut r).is_empty(),
        "agent 1 is free but it is held for 3"
    );
    assert_eq!(r.interaction(iid(1)).unwrap().preferred_agent, Some(aid(3)));
    r.complete(iid(4), secs(6)).unwrap();
    assert_eq!(routed(&mut r), vec![(1, 3)]);
}

#[test]
fn requeue_puts_the_interaction_back_in_its_place() {
    let mut r = router();
    r.add_queue(queue(1, &[]), secs(0)).unwrap();
    r.add_agent(auto(agent(1, &[])), secs(0)).unwrap();
    r.enqueue(call(1, 1), secs(1)).unwrap();
    r.enqueue(call(2, 1), secs(2)).unwrap();
    r.set_presence(aid(1), Presence::Offline, secs(3)).unwrap();
    r.requeue(iid(1), secs(4)).unwrap();
    let order = waiting_ids(&r, 1);
    assert_eq!(order, vec![1, 2]);
    assert_eq!(r.standing(iid(1)).unwrap().position, 1);
}

#[test]
fn abandonment_removes_waiting_and_offered_interactions() {
    let mut r = manual_pair();
    r.enqueue(call(1, 1), secs(2)).unwrap();
    r.enqueue(call(2, 1), secs(2)).unwrap();
    r.enqueue(call(3, 1), secs(2)).unwrap();
    assert_eq!(routed(&mut r), vec![(1, 1), (2, 2)]);
    r.abandon(iid(3), secs(3)).unwrap();
    assert_eq!(r.waiting_count(), 0);
    r.enqueue(call(4, 1), secs(4)).unwrap();
    r.abandon(iid(1), secs(5)).unwrap();
    assert_eq!(
        routed(&mut r),
        vec![(4, 1)],
        "agent 1's offer ended, next call"
    );
    assert!(r.interaction(iid(1)).is_err());
}

#[test]
fn max_wait_overflows_to_another_queue_then_to_a_message() {
    let mut r = router();
    let mut first = queue(1, &[(0, 1)]);
    first.max_wait = Some(secs(30));
    first.overflow = OverflowTarget::Queue(QueueId(2));
    let mut second = queue(2, &[(1, 1)]);
    second.max_wait = Some(secs(30));
    r.add_queue(first, secs(0)).unwrap();
    r.add_queue(second, secs(0)).unwrap();
    r.enqueue(call(1, 1), secs(0)).unwrap();
    r.tick(secs(30)).unwrap();
    assert!(matches!(
        drain(&mut r).as_slice(),
        [Decision::Overflowed {
            to: OverflowTarget::Queue(QueueId(2)),
            reason: OverflowReason::MaxWait,
            ..
        }]
    ));
    assert_eq!(r.interaction(iid(1)).unwrap().queue, QueueId(2));
    r.tick(secs(60)).unwrap();
    assert!(matches!(
        drain(&mut r).as_slice(),
        [Decision::Overflowed {
            to: OverflowTarget::LeaveMessage,
            ..
        }]
    ));
    assert_eq!(r.interaction_count(), 0);
}

#[test]
fn max_length_overflows_the_newcomer() {
    let mut r = router();
    let mut q = queue(1, &[]);
    q.max_length = Some(2);
    r.add_queue(q, secs(0)).unwrap();
    for n in 1..=3 {
        r.enqueue(call(n, 1), secs(n)).unwrap();
    }
    assert!(matches!(
        drain(&mut r).as_slice(),
        [Decision::Overflowed { interaction, reason: OverflowReason::MaxLength, .. }] if interaction.0 == 3
    ));
    assert_eq!(r.waiting_count(), 2);
}

#[test]
fn a_freed_agent_takes_waiting_work_at_once() {
    let mut r = router();
    r.add_queue(queue(1, &[(0, 2)]), secs(0)).unwrap();
    r.enqueue(call(1, 1), secs(0)).unwrap();
    r.add_agent(auto(agent(1, &[(0, 1)])), secs(1)).unwrap();
    assert!(routed(&mut r).is_empty(), "proficiency 1 < 2");
    r.update_agent(auto(agent(1, &[(0, 2)])), secs(2)).unwrap();
    assert_eq!(routed(&mut r), vec![(1, 1)]);
}

#[test]
fn position_and_estimated_wait_follow_handle_times_and_staffing() {
    let mut r = router();
    r.add_queue(queue(1, &[]), secs(0)).unwrap();
    r.add_agent(auto(agent(1, &[])), secs(0)).unwrap();
    r.enqueue(call(0, 1), secs(0)).unwrap();
    for n in 1..=3 {
        r.enqueue(call(n, 1), secs(n)).unwrap();
    }
    let third = r.standing(iid(3)).unwrap();
    assert_eq!((third.position, third.waiting_in_queue), (3, 3));
    assert_eq!(
        third.estimated_wait,
        Some(secs(3 * 180)),
        "default AHT, one agent"
    );
    r.complete(iid(0), secs(60)).unwrap();
    let second = r.standing(iid(3)).unwrap();
    assert_eq!(second.position, 2);
    assert_eq!(
        second.estimated_wait,
        Some(secs(2 * 60)),
        "observed AHT 60 s"
    );
    r.add_agent(auto(agent(2, &[])), secs(61)).unwrap();
    r.add_agent(agent(3, &[]), secs(61)).unwrap();
    r.set_presence(aid(3), Presence::away("lunch"), secs(61))
        .unwrap();
    assert_eq!(r.waiting_count(), 0);
    r.enqueue(call(9, 1), secs(62)).unwrap();
    r.enqueue(call(10, 1), secs(62)).unwrap();
    let standing = r.standing(iid(10)).unwrap();
    assert_eq!(
        standing.estimated_wait,
        Some(secs(2 * 60 / 3)),
        "three agents logged in (away counts as staffed)"
    );
}

#[test]
fn state_can_be_rebuilt_by_refeeding_in_order() {
    let build = |r: &mut Router| {
        r.add_queue(queue(1, &[]), secs(0)).unwrap();
        r.add_agent(auto(agent(1, &[])), secs(0)).unwrap();
    };
    let mut live = router();
    build(&mut live);
    for n in 1..=4 {
        let mut spec = call(n, 1);
        spec.tier = if n == 3 { Tier::Gold } else { Tier::Normal };
        live.enqueue(spec, secs(n)).unwrap();
    }
    let mut restarted = router();
    build(&mut restarted);
    let now = secs(100);
    restarted.tick(now).unwrap();
    let mut handled = call(1, 1);
    handled.enqueued_at = Some(secs(1));
    restarted
        .restore_assignment(handled, aid(1), secs(1), now)
        .unwrap();
    for n in 2..=4 {
        let mut spec = call(n, 1);
        spec.tier = if n == 3 { Tier::Gold } else { Tier::Normal };
        spec.enqueued_at = Some(secs(n));
        restarted.enqueue(spec, now).unwrap();
    }
    assert!(routed(&mut restarted).is_empty(), "agent 1 is still busy");
    assert_eq!(
        live.waiting_in(QueueId(1)).unwrap(),
        restarted.waiting_in(QueueId(1)).unwrap()
    );
    assert_eq!(
        live.agent(aid(1)).unwrap().load,
        restarted.agent(aid(1)).unwrap().load
    );
    for n in 2..=4 {
        assert_eq!(
            live.standing(iid(n)).unwrap(),
            restarted.standing(iid(n)).unwrap()
        );
    }
}

/// The ready index holds an agent under the anchor skill of the queues it
/// serves; changing, adding and removing queues must keep it true.
#[test]
fn ready_agents_follow_queue_changes() {
    let mut r = router();
    r.add_queue(queue(1, &[(0, 1)]), secs(0)).unwrap();
    r.add_queue(queue(2, &[(1, 1)]), secs(0)).unwrap();
    // Agent 1 serves both queues; agent 2 only has skill 2, so serves neither.
    r.add_agent(auto(agent(1, &[(0, 3), (1, 3)])), secs(1))
        .unwrap();
    r.add_agent(auto(agent(2, &[(2, 3)])), secs(2)).unwrap();
    // Queue 1 now wants skill 2: agent 2 (ready) must be found under it.
    r.update_queue(queue(1, &[(2, 1)]), secs(3)).unwrap();
    r.enqueue(call(10, 1), secs(4)).unwrap();
    assert_eq!(routed(&mut r), vec![(10, 2)]);
    // Removing queue 2 leaves agent 1 reachable for queues it still serves.
    r.remove_queue(QueueId(2), secs(5)).unwrap();
    r.add_queue(queue(3, &[(0, 2)]), secs(6)).unwrap();
    r.enqueue(call(11, 3), secs(7)).unwrap();
    assert_eq!(routed(&mut r), vec![(11, 1)]);
    r.complete(iid(11), secs(8)).unwrap();
    // A queue with no required skill reaches every ready agent on its
    // channel, longest idle first: agent 1 since 8 s, then agent 2, who was
    // busy when the queue came and is idle since 10 s.
    r.add_queue(queue(4, &[]), secs(9)).unwrap();
    r.complete(iid(10), secs(10)).unwrap();
    r.enqueue(call(12, 4), secs(11)).unwrap();
    r.enqueue(call(13, 4), secs(12)).unwrap();
    assert_eq!(routed(&mut r), vec![(12, 1), (13, 2)]);
}

/// More priority classes than the waiting set keeps as buckets, with aging
/// and interactions re-fed with earlier enqueue times: the order is the
/// score order, FIFO among equal scores, as the standing positions say.
#[test]
fn many_priority_classes_with_aging_keep_score_order() {
    let mut q = queue(1, &[]);
    q.aging_per_sec = 2;
    let mut r = busy_single_agent(q);
    let mut expected = Vec::new();
    for id in 1..=40u64 {
        let mut spec = call(id, 1);
        spec.base_priority = (id % 23) as i32 * 3;
        spec.tier = if id % 5 == 0 { Tier::Vip } else { Tier::Normal };
        let entered = if id % 4 == 0 { id / 2 } else { id };
        spec.enqueued_at = Some(secs(entered));
        let boost = RouterConfig::default().tier_boost[spec.tier.index()];
        // Score at any t: points + 2 (t - entered); sort by points - 2 entered.
        let points = i64::from(spec.base_priority) + boost;
        expected.push((-(points - 2 * entered as i64), entered, id));
        r.enqueue(spec, secs(id)).unwrap();
    }
    expected.sort();
    let order = waiting_ids(&r, 1);
    let want: Vec<u64> = expected.iter().map(|&(.., id)| id).collect();
    assert_eq!(order, want);
    for (position, id) in want.iter().enumerate() {
        assert_eq!(
            r.standing(iid(*id)).unwrap().position as usize,
            position + 1
        );
    }
    // Served in that order as the agent frees up, while others abandon.
    r.complete(iid(0), secs(100)).unwrap();
    for (k, &id) in want.iter().take(5).enumerate() {
        assert_eq!(routed(&mut r), vec![(id, 1)]);
        let now = secs(101 + k as u64);
        r.abandon(iid(want[want.len() - 1 - k]), now).unwrap();
        r.complete(iid(id), now).unwrap();
    }
}

#[test]
fn assign_to_gives_waiting_offered_or_handled_work_to_a_named_agent() {
    let mut r = router();
    r.add_queue(chat_queue(1, Strategy::LongestIdle), secs(0))
        .unwrap();
    let mut offered_agent = chat_agent(1, 1);
    offered_agent.auto_accept = false;
    r.add_agent(offered_agent, secs(0)).unwrap();
    let mut taker = chat_agent(2, 1);
    taker.presence = Presence::away("lunch");
    r.add_agent(taker, secs(0)).unwrap();

    r.enqueue(call(10, 1), secs(1)).unwrap();
    r.enqueue(call(11, 1), secs(2)).unwrap();
    let offered: Vec<_> = r.drain_decisions().collect();
    assert!(matches!(offered.as_slice(), [Decision::Offered { agent, .. }] if agent.0 == 1));

    // Agent 2 is away and at no load, yet takes the offered one: the offer
    // to agent 1 is withdrawn, and agent 1 is offered the next in line.
    r.assign_to(iid(10), aid(2), secs(3)).unwrap();
    let decisions: Vec<_> = r.drain_decisions().collect();
    assert!(
        matches!(decisions[0], Decision::Assigned { agent, interaction, .. } if agent.0 == 2 && interaction.0 == 10)
    );
    assert!(
        matches!(decisions[1], Decision::Offered { agent, interaction, .. } if agent.0 == 1 && interaction.0 == 11)
    );
    assert_eq!(r.agent(aid(2)).unwrap().load[Channel::Chat.index()], 1);

    // Over capacity is allowed for a direct assignment; the old handler is freed.
    r.assign_to(iid(11), aid(2), secs(4)).unwrap();
    assert_eq!(r.agent(aid(2)).unwrap().load[Channel::Chat.index()], 2);
    assert_eq!(r.agent(aid(1)).unwrap().load[Channel::Chat.index()], 0);
    r.assign_to(iid(10), aid(1), secs(5)).unwrap();
    assert_eq!(r.agent(aid(1)).unwrap().load[Channel::Chat.index()], 1);
    assert_eq!(r.agent(aid(2)).unwrap().load[Channel::Chat.index()], 1);
    assert!(matches!(
        r.interaction(iid(10)).unwrap().status,
        InteractionStatus::Assigned { agent, .. } if agent.0 == 1
    ));

    // An agent without capacity on the channel is refused and nothing changes.
    let mut voice_only = agent(3, &[]);
    voice_only.capacity = vec![(Channel::Voice, 1)];
    r.add_agent(voice_only, secs(6)).unwrap();
    assert!(r.assign_to(iid(10), aid(3), secs(7)).is_err());
    assert_eq!(r.agent(aid(1)).unwrap().load[Channel::Chat.index()], 1);
}
