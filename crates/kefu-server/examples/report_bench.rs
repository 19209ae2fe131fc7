//! Times metrics reports over a large event log: generates N conversations' events (default
//! 1,000,000, over 30 days) into a fresh SQLite database, builds the report rollups with the
//! server's maintainer (the same catch-up it runs on start), then runs reports as the API does
//! (rollups brought up to the log's end) many times and prints p50/p99. With `verify`, each
//! case is also folded from the whole log once and must give the same report.
//!
//! `cargo run --release -p kefu-server --example report_bench -- [conversations] [dir] [queries] [verify]`

use chrono::{DateTime, TimeDelta, Utc};
use kefu_metrics::{AggregationSpec, Granularity, Tz};
use kefu_server::reports::maintainer::{Maintainer, Rollups};
use kefu_server::reports::{compute, compute_report};
use kefu_store::{Actor, Store, TenantSettings};
use serde_json::{Value, json};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::error::Error;
use std::time::Instant;
use uuid::Uuid;

const DAYS: i64 = 30;
const AGENTS: usize = 300;
const CUSTOMERS: usize = 100_000;
const TOPICS: [Option<&str>; 5] = [
    None,
    Some("billing"),
    Some("orders"),
    Some("returns"),
    Some("tech"),
];
/// Rows per INSERT statement (9 parameters each, well under SQLite's limit).
const ROWS_PER_INSERT: usize = 100;
/// Rows per transaction.
const ROWS_PER_TX: usize = 50_000;

/// xorshift64*: a fixed seed gives the same log every run.
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
}

struct Pending {
    kind: &'static str,
    entity_type: &'static str,
    entity_id: Uuid,
    payload: Value,
    at: DateTime<Utc>,
}

struct World {
    inbox: Uuid,
    agents: Vec<Uuid>,
    customers: Vec<Uuid>,
}

fn snapshot(
    world: &World,
    id: Uuid,
    customer: Uuid,
    status: &str,
    topic: Option<&str>,
    agent: Option<Uuid>,
    at: DateTime<Utc>,
) -> Value {
    // The same shape as the store's conversation snapshot, so parsing costs what it would.
    json!({"id": id, "inbox_id": world.inbox, "customer_id": customer, "status": status,
           "language": "zh-CN", "topic": topic, "priority": 0, "assignee_id": agent,
           "enqueued_at": at, "offer_expires_at": null, "first_response_at": null,
           "resolved_at": null, "disposition": null, "rating": null, "rating_comment": null,
           "last_message_at": at, "created_at": at, "updated_at": at})
}

fn message(
    id: Uuid,
    customer: Uuid,
    sender: &str,
    agent: Option<Uuid>,
    body: &str,
    at: DateTime<Utc>,
) -> Value {
    json!({"message": {"id": Uuid::now_v7(), "conversation_id": id, "sender_kind": sender,
           "sender_id": agent, "kind": "text", "body": body, "client_msg_id": null, "created_at": at},
           "visible_to_customer": true, "customer_id": customer})
}

/// One conversation's events: 80 % answered (5 % of them transferred), 10 % abandoned,
/// 10 % still waiting or answered and open at the end; 60 % of resolved ones rated.
fn conversation(world: &World, rng: &mut Rng, start: DateTime<Utc>, out: &mut Vec<Pending>) {
    let id = Uuid::now_v7();
    let customer = world.customers[rng.below(CUSTOMERS as u64) as usize];
    let topic = TOPICS[rng.below(TOPICS.len() as u64) as usize];
    let secs = |s: u64| TimeDelta::milliseconds((s * 1000) as i64);
    let mut push = |kind, payload, at| {
        out.push(Pending {
            kind,
            entity_type: "conversation",
            entity_id: id,
            payload,
            at,
        });
    };
    let conv = |status: &str, agent: Option<Uuid>, at| {
        snapshot(world, id, customer, status, topic, agent, at)
    };
    let moved = |from: &str, reason: Option<&str>, c: Value| json!({"from": from, "reason": reason, "conversation": c});
    push(
        "conversation.created",
        json!({"conversation": conv("queued", None, start)}),
        start,
    );
    push(
        "message.created",
        message(
            id,
            customer,
            "customer",
            None,
            "你好，我的订单还没到",
            start,
        ),
        start,
    );
    let fate = rng.below(100);
    let wait = start + secs(rng.below(90));
    if fate < 10 {
        push(
            "conversation.resolved",
            moved("queued", None, conv("resolved", None, wait)),
            wait,
        );
        return;
    }
    let agent = world.agents[rng.below(AGENTS as u64) as usize];
    push(
        "conversation.offered",
        moved("queued", None, conv("offered", Some(agent), wait)),
        wait,
    );
    let answered = wait + secs(1 + rng.below(10));
    push(
        "conversation.assigned",
        moved("offered", None, conv("assigned", Some(agent), answered)),
        answered,
    );
    let reply = answered + secs(5 + rng.below(40));
    push(
        "message.created",
        message(id, customer, "agent", Some(agent), "我帮您查一下", reply),
        reply,
    );
    if fate >= 95 {
        return;
    }
    let mut talk_end = reply + secs(60 + rng.below(600));
    if fate < 15 {
        push(
            "conversation.queued",
            moved(
                "assigned",
                Some("transferred"),
                conv("queued", None, talk_end),
            ),
            talk_end,
        );
        let other = world.agents[rng.below(AGENTS as u64) as usize];
        let again = talk_end + secs(5 + rng.below(30));
        push(
            "conversation.offered",
            moved("queued", None, conv("offered", Some(other), again)),
            again,
        );
        push(
            "conversation.assigned",
            moved("offered", None, conv("assigned", Some(other), again)),
            again,
        );
        talk_end = again + secs(60 + rng.below(300));
    }
    push(
        "conversation.wrap_up",
        moved("assigned", None, conv("wrap_up", Some(agent), talk_end)),
        talk_end,
    );
    let resolved = talk_end + secs(10 + rng.below(60));
    push(
        "conversation.resolved",
        moved("wrap_up", None, conv("resolved", Some(agent), resolved)),
        resolved,
    );
    if rng.below(10) < 6 {
        let rated = resolved + secs(5 + rng.below(60));
        let score = 1 + rng.below(5);
        push(
            "conversation.rated",
            json!({"rating": score, "comment": null, "conversation": conv("resolved", Some(agent), rated)}),
            rated,
        );
    }
}

/// Each agent's day: available from 09:00 (+ up to an hour), away for lunch, offline at 18:00.
fn presence(world: &World, rng: &mut Rng, day: DateTime<Utc>, out: &mut Vec<Pending>) {
    for agent in &world.agents {
        let jitter = TimeDelta::seconds(rng.below(3600) as i64);
        for (hours, state) in [
            (1, "available"),
            (4, "away"),
            (5, "available"),
            (10, "offline"),
        ] {
            out.push(Pending {
                kind: "agent.presence_changed",
                entity_type: "user",
                entity_id: *agent,
                payload: json!({"state": state, "reason": if state == "away" { Some("lunch") } else { None }}),
                at: day + TimeDelta::hours(hours) + jitter,
            });
        }
    }
}

async fn insert(
    pool: &SqlitePool,
    tenant: Uuid,
    first_seq: i64,
    rows: &[Pending],
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for (chunk_index, chunk) in rows.chunks(ROWS_PER_INSERT).enumerate() {
        let base = first_seq + (chunk_index * ROWS_PER_INSERT) as i64;
        let mut query: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO events (tenant_id, seq, kind, entity_type, entity_id, actor_type, actor_id, payload, created_at) ",
        );
        query.push_values(chunk.iter().enumerate(), |mut row, (i, e)| {
            row.push_bind(tenant)
                .push_bind(base + i as i64)
                .push_bind(e.kind)
                .push_bind(e.entity_type)
                .push_bind(e.entity_id)
                .push_bind("system")
                .push_bind(None::<Uuid>)
                .push_bind(sqlx::types::Json(&e.payload))
                .push_bind(e.at);
        });
        query.build().execute(&mut *tx).await?;
    }
    tx.commit().await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let conversations: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = args
        .next()
        .filter(|d| d != "-")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("kefu-bench-{}", Uuid::new_v4().simple()))
        });
    let queries: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(50)
        .max(1);
    // `verify`: also fold each case from the log; `reuse`: measure the database already in
    // `dir` (its rollups are caught up, not rebuilt); `fast`: reuse, without the 30-day
    // 30-minute case.
    let mode = args.next();
    let verify = mode.as_deref() == Some("verify");
    let reuse = matches!(mode.as_deref(), Some("reuse" | "fast"));
    let fast = mode.as_deref() == Some("fast");
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("kefu.db").display());
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let origin = DateTime::parse_from_rfc3339("2026-03-01T00:00:00+08:00")?.with_timezone(&Utc);
    let existing = if reuse {
        store.tenant_by_slug("bench").await?
    } else {
        None
    };
    let (tenant, total) = match existing {
        Some(tenant) => (tenant.id, store.last_event_seq(tenant.id).await? as u64),
        None => generate(&store, &url, conversations, &dir).await?,
    };
    // Rollups: the maintainer's own catch-up from an empty cursor, saving as it goes.
    let building = Instant::now();
    let mut maintainer = Maintainer::load(&store, tenant).await?;
    let folded_to = maintainer.catch_up(&store).await?;
    let built = building.elapsed();
    let pool = SqlitePool::connect(&url).await?;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM report_rollups")
        .fetch_one(&pool)
        .await?;
    let bytes: i64 =
        sqlx::query_scalar("SELECT COALESCE(SUM(LENGTH(sums)), 0) FROM report_rollups")
            .fetch_one(&pool)
            .await?;
    println!(
        "rollups built to seq {folded_to}: {total} events in {:.1} s ({:.0} events/s), {rows} rows, {:.1} MB of sums",
        built.as_secs_f64(),
        total as f64 / built.as_secs_f64(),
        bytes as f64 / 1e6
    );
    drop(maintainer);

    let rollups = Rollups::new(store.clone());
    let now = origin + TimeDelta::days(DAYS + 1);
    let cases = [
        (Granularity::Day, DAYS, "30 days by day"),
        (Granularity::Minutes30, DAYS, "30 days by 30 min"),
        (Granularity::Day, 1, "1 day by day"),
        (Granularity::Minutes30, 1, "1 day by 30 min"),
    ];
    for (granularity, days, label) in cases {
        if fast && granularity == Granularity::Minutes30 && days == DAYS {
            continue;
        }
        let mut spec = AggregationSpec::new(
            Tz::Asia__Shanghai,
            granularity,
            origin,
            origin + TimeDelta::days(days),
        );
        spec.dimensions = vec![
            kefu_metrics::Dimension::Tenant,
            kefu_metrics::Dimension::Queue,
            kefu_metrics::Dimension::Agent,
            kefu_metrics::Dimension::Channel,
        ];
        // The first report starts the tenant's maintainer (it loads its saved state).
        let first = compute_report(&store, &rollups, tenant, spec.clone(), now).await?;
        let mut times = Vec::with_capacity(queries);
        for _ in 0..queries {
            let began = Instant::now();
            let computed = compute_report(&store, &rollups, tenant, spec.clone(), now).await?;
            times.push(began.elapsed().as_secs_f64() * 1000.0);
            std::hint::black_box(computed);
        }
        times.sort_by(f64::total_cmp);
        let rank =
            |p: f64| times[((p * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1];
        let offered: u64 = first
            .report
            .rows
            .iter()
            .filter(|r| r.dimension == kefu_metrics::DimensionKey::Tenant)
            .map(|r| r.counts.offered)
            .sum();
        println!(
            "report {label}: {} rows, offered {offered}; {queries} queries: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            first.report.rows.len(),
            rank(0.50),
            rank(0.99),
            times.last().copied().unwrap_or_default()
        );
        if verify {
            let began = Instant::now();
            let folded = compute(&store, tenant, spec, now).await?;
            let same = folded.report == first.report;
            println!(
                "  fold of the whole log: {:.1} s, same report: {same}",
                began.elapsed().as_secs_f64()
            );
            if !same {
                return Err("the rollup report differs from the fold".into());
            }
        }
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM"))
    {
        println!(
            "peak resident memory since generation ended (glibc may keep the generator's freed heap): {}",
            line.trim_start_matches("VmHWM:").trim()
        );
    }
    Ok(())
}

/// Writes the generated log into a new tenant; returns it and the number of events.
async fn generate(
    store: &Store,
    url: &str,
    conversations: u64,
    dir: &std::path::Path,
) -> Result<(Uuid, u64), Box<dyn Error>> {
    let tenant = store
        .create_tenant(
            "bench",
            "Bench Inc",
            // The reports below are in Shanghai time, the tenant's zone (the day level's).
            &TenantSettings {
                timezone: "Asia/Shanghai".to_owned(),
                ..TenantSettings::default()
            },
            &Actor::system(),
        )
        .await?
        .id;
    let pool = SqlitePool::connect(url).await?;
    let start_seq: i64 =
        sqlx::query_scalar("SELECT last_seq FROM event_sequences WHERE tenant_id = $1")
            .bind(tenant)
            .fetch_one(&pool)
            .await?;

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let world = World {
        inbox: Uuid::now_v7(),
        agents: (0..AGENTS).map(|_| Uuid::now_v7()).collect(),
        customers: (0..CUSTOMERS).map(|_| Uuid::now_v7()).collect(),
    };
    let origin = DateTime::parse_from_rfc3339("2026-03-01T00:00:00+08:00")?.with_timezone(&Utc);
    let spacing_ms = (DAYS * 86_400_000) / conversations.max(1) as i64;
    // Events are released in time order through a heap: conversations overlap in time.
    let mut heap: BinaryHeap<Reverse<(i64, u64)>> = BinaryHeap::new();
    let mut parked: std::collections::HashMap<u64, Pending> = std::collections::HashMap::new();
    let mut ticket = 0u64;
    let mut ready: Vec<Pending> = Vec::with_capacity(ROWS_PER_TX);
    let mut seq = start_seq + 1;
    let mut total = 0u64;
    let generating = Instant::now();
    let mut scratch = Vec::new();
    let mut next_day = 0;
    for n in 0..=conversations {
        let now = origin + TimeDelta::milliseconds(spacing_ms * n as i64);
        if n < conversations {
            while next_day < DAYS && origin + TimeDelta::days(next_day) <= now {
                presence(
                    &world,
                    &mut rng,
                    origin + TimeDelta::days(next_day),
                    &mut scratch,
                );
                next_day += 1;
            }
            conversation(&world, &mut rng, now, &mut scratch);
        }
        for event in scratch.drain(..) {
            heap.push(Reverse((event.at.timestamp_millis(), ticket)));
            parked.insert(ticket, event);
            ticket += 1;
        }
        let release_before = if n == conversations {
            i64::MAX
        } else {
            now.timestamp_millis()
        };
        while let Some(Reverse((at, t))) = heap.peek().copied() {
            if at >= release_before {
                break;
            }
            heap.pop();
            if let Some(event) = parked.remove(&t) {
                ready.push(event);
            }
            if ready.len() >= ROWS_PER_TX {
                insert(&pool, tenant, seq, &ready).await?;
                seq += ready.len() as i64;
                total += ready.len() as u64;
                ready.clear();
            }
        }
    }
    insert(&pool, tenant, seq, &ready).await?;
    seq += ready.len() as i64;
    total += ready.len() as u64;
    sqlx::query("UPDATE event_sequences SET last_seq = $2 WHERE tenant_id = $1")
        .bind(tenant)
        .bind(seq - 1)
        .execute(&pool)
        .await?;
    let generated = generating.elapsed();
    println!(
        "generated {conversations} conversations, {total} events in {:.1} s ({})",
        generated.as_secs_f64(),
        dir.display()
    );

    // Forget the generator's peak, so the figure printed at the end is the report's.
    drop((heap, parked, ready, scratch, pool));
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    Ok((tenant, total))
}
