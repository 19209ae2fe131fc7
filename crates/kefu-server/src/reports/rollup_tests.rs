//! Property-style check of the rollups against the reference fold: random event logs (bots,
//! abandons, transfers, wrap-up, reopens, late ratings, presence, repeat customers), cut at
//! several points, with a save and resume in between, must give the same report both ways
//! for every granularity, several zones (DST, half- and quarter-hour offsets), every
//! service-level definition and random thresholds and FCR windows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::reports::fold::fold_events;
use crate::reports::{ReportError, from_partials};
use chrono::{Duration as Delta, TimeZone};
use kefu_metrics::{
    AggregationSpec, Aggregator, Granularity, MetricsReport, SlDefinition, Tz, aggregate,
};
use serde_json::{Value, json};
use sqlx::types::Json;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// 2026-03-07 00:00 UTC: the log runs over the US switch to summer time (8 March).
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 7, 0, 0, 0).unwrap()
}

fn id(n: u64) -> Uuid {
    Uuid::from_u128(0x0190_a000_0000_7000_8000_0000_0000_0000 + u128::from(n))
}

struct Draft {
    at: DateTime<Utc>,
    kind: &'static str,
    entity: Uuid,
    payload: Value,
}

struct Conv<'a> {
    id: Uuid,
    customer: Uuid,
    inbox: Uuid,
    topic: Option<&'a str>,
    out: &'a mut Vec<Draft>,
}

impl Conv<'_> {
    fn snapshot(&self, status: &str, assignee: Option<Uuid>) -> Value {
        json!({"id": self.id, "inbox_id": self.inbox, "customer_id": self.customer,
               "status": status, "assignee_id": assignee, "topic": self.topic})
    }
    fn moved(&mut self, at: DateTime<Utc>, kind: &'static str, reason: Option<&str>, conv: Value) {
        self.out.push(Draft {
            at,
            kind,
            entity: self.id,
            payload: json!({"from": "x", "reason": reason, "conversation": conv}),
        });
    }
    fn says(&mut self, at: DateTime<Utc>, sender: &str, kind: &str) {
        self.out.push(Draft {
            at,
            kind: "message.created",
            entity: self.id,
            payload: json!({"message": {"sender_kind": sender, "kind": kind}, "customer_id": self.customer}),
        });
    }
}

fn gap(rng: &mut Rng, max_secs: u64) -> Delta {
    Delta::milliseconds(i64::try_from(rng.below(max_secs * 1000 + 1)).unwrap())
}

/// One contact of a conversation from `at`: its queue life and maybe its end.
fn contact(
    rng: &mut Rng,
    c: &mut Conv<'_>,
    mut at: DateTime<Utc>,
    agents: &[Uuid],
) -> Option<DateTime<Utc>> {
    if rng.chance(60) {
        at += gap(rng, 30);
        c.says(at, "customer", "text");
    }
    if rng.chance(20) {
        at += gap(rng, 40);
        let snapshot = c.snapshot("offered", Some(agents[0]));
        c.moved(at, "conversation.offered", None, snapshot);
        at += gap(rng, 30);
        let snapshot = c.snapshot("queued", None);
        c.moved(at, "conversation.queued", Some("offer_timed_out"), snapshot);
    }
    let wait_cap = if rng.chance(50) { 40 } else { 400 };
    at += gap(rng, wait_cap);
    if rng.chance(20) {
        // Abandoned, or still waiting at the end of the log.
        if rng.chance(70) {
            let snapshot = c.snapshot("resolved", None);
            c.moved(at, "conversation.resolved", None, snapshot);
            return Some(at);
        }
        return None;
    }
    let agent = *rng.pick(agents);
    let snapshot = c.snapshot("assigned", Some(agent));
    c.moved(at, "conversation.assigned", None, snapshot);
    let mut agent = agent;
    for _ in 0..rng.below(3) {
        at += gap(rng, 200);
        let kind = if rng.chance(70) { "text" } else { "note" };
        c.says(at, if rng.chance(70) { "agent" } else { "customer" }, kind);
    }
    if rng.chance(25) {
        at += gap(rng, 300);
        let snapshot = c.snapshot("queued", None);
        c.moved(at, "conversation.queued", Some("transferred"), snapshot);
        at += gap(rng, 60);
        agent = *rng.pick(agents);
        let snapshot = c.snapshot("assigned", Some(agent));
        c.moved(at, "conversation.assigned", None, snapshot);
    }
    if rng.chance(15) {
        return None;
    }
    at += gap(rng, 3000);
    if rng.chance(40) {
        let snapshot = c.snapshot("wrap_up", Some(agent));
        c.moved(at, "conversation.wrap_up", None, snapshot);
        at += gap(rng, 120);
    }
    let snapshot = c.snapshot("resolved", Some(agent));
    c.moved(at, "conversation.resolved", None, snapshot);
    Some(at)
}

/// A random log: conversations of a few customers over three days, and agents' presence.
fn random_log(rng: &mut Rng, base: u64) -> Vec<Event> {
    let agents: Vec<Uuid> = (0..3).map(|n| id(100 + n)).collect();
    let customers: Vec<Uuid> = (0..4).map(|n| id(200 + n)).collect();
    let inboxes = [id(300), id(301)];
    let topics = [None, Some("billing")];
    let mut drafts = Vec::new();
    for n in 0..(2 + rng.below(14)) {
        let start = t0()
            + Delta::seconds(i64::try_from(rng.below(3 * 86_400)).unwrap())
            + Delta::milliseconds(i64::try_from(rng.below(1000)).unwrap());
        let mut c = Conv {
            id: id(base * 100_000 + 1000 + n),
            customer: *rng.pick(&customers),
            inbox: *rng.pick(&inboxes),
            topic: *rng.pick(&topics),
            out: &mut drafts,
        };
        let bot = rng.chance(25);
        let status = if bot { "bot" } else { "queued" };
        let snapshot = c.snapshot(status, None);
        c.moved(start, "conversation.created", None, snapshot);
        let mut at = start;
        if bot {
            at += gap(rng, 200);
            if rng.chance(40) {
                let snapshot = c.snapshot("resolved", None);
                c.moved(at, "conversation.resolved", None, snapshot);
                continue;
            }
            if rng.chance(20) {
                continue;
            }
            let snapshot = c.snapshot("queued", None);
            c.moved(at, "conversation.queued", None, snapshot);
        }
        let mut end = contact(rng, &mut c, at, &agents);
        while let Some(resolved) = end {
            if rng.chance(50) {
                let late = if rng.chance(20) { 90_000 } else { 600 };
                c.out.push(Draft {
                    at: resolved + gap(rng, late),
                    kind: "conversation.rated",
                    entity: c.id,
                    payload: json!({"rating": 1 + rng.below(5), "conversation": {}}),
                });
            }
            if !rng.chance(25) {
                break;
            }
            let reopened = resolved + gap(rng, 20_000);
            let snapshot = c.snapshot("queued", None);
            c.moved(reopened, "conversation.reopened", None, snapshot);
            end = contact(rng, &mut c, reopened, &agents);
        }
    }
    for agent in &agents {
        let mut at = t0() + gap(rng, 20_000);
        for _ in 0..rng.below(8) {
            let state = *rng.pick(&["available", "away", "busy", "wrap_up", "offline"]);
            drafts.push(Draft {
                at,
                kind: "agent.presence_changed",
                entity: *agent,
                payload: json!({"state": state, "reason": null}),
            });
            at += gap(rng, 40_000);
        }
    }
    // The log is in commit order, which is time order.
    drafts.sort_by_key(|d| d.at);
    drafts
        .into_iter()
        .enumerate()
        .map(|(n, d)| Event {
            seq: i64::try_from(n).unwrap() + 1,
            kind: d.kind.to_owned(),
            entity_type: if d.kind.starts_with("agent.") {
                "user"
            } else {
                "conversation"
            }
            .to_owned(),
            entity_id: Some(d.entity),
            actor_type: "system".to_owned(),
            actor_id: None,
            payload: Json(d.payload),
            created_at: d.at,
        })
        .collect()
}

/// What a database would hold: the saved sums.
#[derive(Default)]
struct Stored(HashMap<RowKey, PartialTally>);

impl Stored {
    fn save(&mut self, fold: &mut RollupFold) {
        for (key, delta) in fold.pending.drain() {
            let sums = self.0.entry(key.clone()).or_default();
            sums.merge(&delta, 1);
            if sums.is_zero() {
                self.0.remove(&key);
            }
        }
    }
}

const ZONES: [Tz; 5] = [
    Tz::UTC,
    Tz::Asia__Shanghai,
    Tz::America__New_York,
    Tz::Asia__Kathmandu,
    Tz::Australia__Lord_Howe,
];
const GRANULARITIES: [Granularity; 7] = [
    Granularity::Minutes15,
    Granularity::Minutes30,
    Granularity::Minutes60,
    Granularity::Day,
    Granularity::Week,
    Granularity::Month,
    Granularity::Whole,
];

fn spec(rng: &mut Rng, zone: Tz, granularity: Granularity, now: DateTime<Utc>) -> AggregationSpec {
    // Local midnights, as the API makes of dates; a window that may cut the log on either side.
    let day = |offset: i64| {
        let date = (t0() + Delta::days(offset)).date_naive();
        zone.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    };
    let from = day(i64::try_from(rng.below(3)).unwrap() - 1);
    let to = day(2 + i64::try_from(rng.below(4)).unwrap());
    let mut spec = AggregationSpec::new(zone, granularity, from, to);
    spec.service_level = *rng.pick(&SlDefinition::ALL);
    spec.service_level_secs = u32::try_from(rng.below(120)).unwrap();
    spec.short_abandon_secs = u32::try_from(rng.below(30)).unwrap();
    spec.fcr_window_days = 1 + u32::try_from(rng.below(3)).unwrap();
    spec.observed_until = Some(now);
    spec
}

fn from_rollups(
    fold: &RollupFold,
    stored: &Stored,
    spec: &AggregationSpec,
    now: DateTime<Utc>,
) -> MetricsReport {
    let aggregator = Aggregator::new(spec.clone()).unwrap();
    let level = crate::reports::level_for(spec, fold.report_state().zone).unwrap();
    let rows: Vec<_> = stored
        .0
        .iter()
        .filter(|((row_level, slot, _), _)| *row_level == level && aggregator.in_window(*slot))
        .map(|((_, slot, key), sums)| (*slot, key.clone(), sums.clone()))
        .collect();
    from_partials(
        aggregator,
        spec.window_end.min(now),
        rows,
        fold.contacts,
        &fold.presence(),
    )
    .unwrap()
}

#[test]
fn rollups_give_the_fold_s_report_on_random_logs() {
    let mut compared = 0;
    for seed in 1..=60u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let log = random_log(&mut rng, 0);
        let cuts = [log.len() / 3, 2 * log.len() / 3, log.len()];
        // The day level in one zone per log; the other zones read slots.
        let day_zone = ZONES[seed as usize % ZONES.len()];
        let mut fold = RollupFold::new(day_zone);
        let mut stored = Stored::default();
        let mut done = 0;
        for (round, cut) in cuts.into_iter().enumerate() {
            for event in &log[done..cut] {
                fold.push(event);
            }
            done = cut;
            stored.save(&mut fold);
            if round == 0 {
                // A restart: only what was saved survives.
                let state = serde_json::to_vec(fold.saved_state()).unwrap();
                let contacts = fold.contacts;
                fold = RollupFold::resume(serde_json::from_slice(&state).unwrap(), contacts);
            }
            let last = log[..cut].last().map_or(t0(), |e| e.created_at);
            let now = last + gap(&mut rng, 4 * 86_400);
            for zone in ZONES {
                for granularity in GRANULARITIES {
                    let spec = spec(&mut rng, zone, granularity, now);
                    assert!(
                        crate::reports::slots_fit(&spec).unwrap(),
                        "{zone} {granularity:?}"
                    );
                    // Whole local days in the day level's zone read the day level.
                    let days = crate::reports::level_for(&spec, day_zone).unwrap() == DAYS;
                    assert_eq!(
                        days,
                        zone == day_zone
                            && matches!(
                                granularity,
                                Granularity::Day
                                    | Granularity::Week
                                    | Granularity::Month
                                    | Granularity::Whole
                            ),
                        "{zone} {granularity:?}"
                    );
                    let out = fold_events(&log[..cut], spec.window_end.min(now));
                    let expected = aggregate(spec.clone(), &out.interactions, &out.spans).unwrap();
                    let got = from_rollups(&fold, &stored, &spec, now);
                    assert_eq!(
                        got, expected,
                        "seed {seed}, cut {cut}, {zone}, {granularity:?}"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, 60 * 3 * ZONES.len() * GRANULARITIES.len());
}

#[test]
fn a_window_off_the_quarter_hour_or_a_local_mean_time_zone_is_not_served_from_rollups() {
    let off = AggregationSpec::new(
        Tz::UTC,
        Granularity::Day,
        t0() + Delta::minutes(7),
        t0() + Delta::days(1),
    );
    assert!(!crate::reports::slots_fit(&off).unwrap());
    // Before 1901 Shanghai kept local mean time, +08:05:43: its days do not start on a slot.
    let lmt_start = Utc.with_ymd_and_hms(1890, 1, 1, 0, 0, 0).unwrap();
    let lmt = AggregationSpec::new(
        Tz::Asia__Shanghai,
        Granularity::Day,
        lmt_start,
        lmt_start + Delta::days(3),
    );
    assert!(!crate::reports::slots_fit(&lmt).unwrap());
}

fn raw(events: &[Event]) -> Vec<kefu_store::testing::RawEvent> {
    events
        .iter()
        .map(|e| kefu_store::testing::RawEvent {
            kind: e.kind.clone(),
            entity_type: e.entity_type.clone(),
            entity_id: e.entity_id,
            payload: e.payload.0.clone(),
            created_at: e.created_at,
        })
        .collect()
}

/// Against a real database (SQLite, or PostgreSQL with `KEFU_TEST_DATABASE_URL`): the
/// maintainer catches up in parts across restarts, a stale maintainer is refused, two tenants
/// keep apart, and the report from rollups equals the report folded from the same log.
#[tokio::test]
async fn the_maintainer_resumes_from_its_cursor_and_reports_match_the_fold() {
    use crate::reports::maintainer::{Maintainer, Rollups};
    use crate::reports::{compute, compute_report};
    use kefu_store::testing::{TestDatabase, append_events};
    use kefu_store::{Actor, StoreError, TenantSettings};

    let db = TestDatabase::create().await.unwrap();
    let store = db.store().await.unwrap();
    let settings = TenantSettings::default();
    let a = store
        .create_tenant("a", "A", &settings, &Actor::system())
        .await
        .unwrap();
    let b = store
        .create_tenant("b", "B", &settings, &Actor::system())
        .await
        .unwrap();
    let mut rng = Rng(7);
    let mut log_a: Vec<Event> = (0..3).flat_map(|base| random_log(&mut rng, base)).collect();
    log_a.sort_by_key(|e| e.created_at);
    let log_b = random_log(&mut rng, 9);
    append_events(&store, b.id, &raw(&log_b)).await.unwrap();

    let third = log_a.len() / 3;
    append_events(&store, a.id, &raw(&log_a[..third]))
        .await
        .unwrap();
    let mut first = Maintainer::load(&store, a.id).await.unwrap();
    let seq = first.catch_up(&store).await.unwrap();
    assert_eq!(seq, store.last_event_seq(a.id).await.unwrap());

    // A restart resumes from the saved cursor; the old instance may no longer write.
    append_events(&store, a.id, &raw(&log_a[third..2 * third]))
        .await
        .unwrap();
    let mut second = Maintainer::load(&store, a.id).await.unwrap();
    assert_eq!(second.seq(), seq);
    second.catch_up(&store).await.unwrap();
    let err = first.catch_up(&store).await.unwrap_err();
    assert!(
        matches!(err, ReportError::Store(StoreError::Conflict { .. })),
        "{err:?}"
    );

    // The rest is folded by the server's own maintainer, woken by the commit.
    append_events(&store, a.id, &raw(&log_a[2 * third..]))
        .await
        .unwrap();
    let rollups = Rollups::new(store.clone());
    let now = log_a.last().unwrap().created_at + Delta::days(2);
    for tenant in [a.id, b.id] {
        for zone in ZONES {
            for granularity in GRANULARITIES {
                let spec = spec(&mut rng, zone, granularity, now);
                let expected = compute(&store, tenant, spec.clone(), now)
                    .await
                    .unwrap()
                    .report;
                let got = compute_report(&store, &rollups, tenant, spec, now)
                    .await
                    .unwrap()
                    .report;
                assert_eq!(got, expected, "{zone} {granularity:?}");
                assert!(expected.rows.iter().any(|r| r.counts.offered > 0));
            }
        }
    }
    // The counts come from the rollups, not from a fold of the log.
    let snapshot = store.read_rollups(a.id, SLOTS, 0, i64::MAX).await.unwrap();
    assert_eq!(snapshot.seq, store.last_event_seq(a.id).await.unwrap());
    assert!(!snapshot.rows.is_empty());
}
