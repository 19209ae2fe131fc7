//! Times tickets at scale (issue 6): seeds N tickets (default 1,000,000, over a year, 1–3
//! comments each, with their search rows, custom field values, SLA targets and events) into a
//! fresh SQLite file or, with `--database-url postgres://…`, a fresh PostgreSQL database; then
//! measures ticket creation through `Store::create_ticket` with concurrent writers for a few
//! seconds, and p50/p99 of the list views and of searches through `Store::list_tickets`.
//!
//! `cargo run --release -p kefu-server --example ticket_bench -- [--tickets N] [--dir D]
//!  [--database-url postgres://…/kefu_ticket_bench] [--runs R] [--create-secs S]
//!  [--writers W] [--reuse]` (`--runs 0`: seed only; `--reuse`: measure the seeded database)
//!
//! Seeding is setup, not the measurement: rows go in by multi-row INSERTs in large transactions
//! (comments before their ticket on SQLite, so the search trigger indexes each ticket once;
//! triggers off and the search table filled by one INSERT … SELECT on PostgreSQL, with the
//! migration's own function), shaped exactly as the store writes them.

use chrono::{DateTime, TimeDelta, Utc};
use kefu_core::ticket_field::FieldType;
use kefu_core::{AgentProfile, Role, TicketPriority, TicketStatus, TicketType};
use kefu_store::{
    Actor, CommentAuthor, NewCustomer, NewGroup, NewTicket, NewTicketField, NewUser, Store,
    TenantSettings, Ticket, TicketComment, TicketFilter,
};
use serde_json::{Map, Value, json};
use sqlx::types::Json;
use sqlx::{Connection, Executor, QueryBuilder};
use std::error::Error;
use std::time::{Duration, Instant};
use uuid::Uuid;

const DAYS: i64 = 365;
const AGENTS: usize = 200;
const GROUPS: usize = 10;
const CUSTOMERS: usize = 5_000;
/// Tickets per generated batch (one multi-row INSERT per table and batch).
const BATCH: usize = 500;
/// Batches per transaction.
const BATCHES_PER_TX: usize = 40;
const REGIONS: [&str; 5] = ["华东", "华北", "华南", "西部", "海外"];

const CN_ISSUES: [&str; 12] = [
    "申请退款失败",
    "退款一直没有到账",
    "订单物流延迟",
    "发票抬头错误",
    "无法登录账户",
    "优惠券无法使用",
    "商品质量问题",
    "修改收货地址",
    "会员积分没有到账",
    "支付时扣款两次",
    "快递显示已签收但没收到",
    "申请换货",
];
const CN_PRODUCTS: [&str; 12] = [
    "蓝牙耳机",
    "空气净化器",
    "扫地机器人",
    "电动牙刷",
    "智能手表",
    "咖啡机",
    "笔记本电脑",
    "洗碗机",
    "儿童座椅",
    "登山背包",
    "加湿器",
    "电饭煲",
];
const EN_ISSUES: [&str; 12] = [
    "Refund not received",
    "Cannot log in to my account",
    "Invoice title is wrong",
    "Package delayed in transit",
    "Charged twice for one order",
    "Coupon code not accepted",
    "Item arrived damaged",
    "Change delivery address",
    "Password reset email never arrives",
    "App crashes on startup",
    "Request an exchange",
    "Warranty claim",
];
const EN_PRODUCTS: [&str; 12] = [
    "wireless earbuds",
    "air purifier",
    "robot vacuum",
    "electric toothbrush",
    "smart watch",
    "coffee machine",
    "laptop",
    "dishwasher",
    "child car seat",
    "hiking backpack",
    "humidifier",
    "rice cooker",
];

/// xorshift64*: a fixed seed gives the same tickets every run.
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
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// A UUIDv7 of that instant, as `Uuid::now_v7` would have made then.
    fn uuid_at(&mut self, at: DateTime<Utc>) -> Uuid {
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&self.next().to_le_bytes());
        random[8..].copy_from_slice(&self.next().to_le_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis() as u64, &random).into_uuid()
    }
}

struct World {
    tenant: Uuid,
    agents: Vec<Uuid>,
    groups: Vec<Uuid>,
    customers: Vec<Uuid>,
}

struct SlaRow {
    ticket_id: Uuid,
    state: &'static str,
    started_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    breached_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
}

struct EventRow {
    kind: &'static str,
    entity_id: Uuid,
    payload: Value,
    at: DateTime<Utc>,
}

#[derive(Default)]
struct Batch {
    tickets: Vec<Ticket>,
    pending_since: Vec<Option<DateTime<Utc>>>,
    comments: Vec<TicketComment>,
    fields: Vec<(Uuid, String)>,
    slas: Vec<SlaRow>,
    events: Vec<EventRow>,
}

/// Subject, description and comment texts of ticket `i`: 60 % Chinese, 40 % English, an order
/// number unique to the ticket, and a few rare phrases (0.1 %, 0.2 %) for rare-word searches.
fn texts(rng: &mut Rng, i: u64) -> (String, String, Vec<(CommentAuthor, bool, String)>) {
    let order = format!("SO-{}", 20_000_000 + i);
    let chinese = rng.below(10) < 6;
    let rare = rng.below(1000);
    let (subject, mut description, replies) = if chinese {
        let issue = rng.pick(&CN_ISSUES);
        let product = rng.pick(&CN_PRODUCTS);
        let description = format!("订单 {order} 的{product}{issue}，请尽快处理，谢谢。");
        let replies = [
            (
                CommentAuthor::Agent,
                true,
                "您好，已收到您的反馈，我们正在核实。".to_owned(),
            ),
            (
                CommentAuthor::Customer,
                true,
                "请问什么时候能处理好？".to_owned(),
            ),
            (
                CommentAuthor::Agent,
                false,
                format!("已联系仓库 WH-{} 核实库存", rng.below(500)),
            ),
        ];
        (format!("{issue}：{product}"), description, replies)
    } else {
        let issue = rng.pick(&EN_ISSUES);
        let product = rng.pick(&EN_PRODUCTS);
        let description = format!("Order {order}: {issue} for my {product}. Please help.");
        let replies = [
            (
                CommentAuthor::Agent,
                true,
                "Thanks for reaching out, we are looking into it.".to_owned(),
            ),
            (
                CommentAuthor::Customer,
                true,
                "Any update on this?".to_owned(),
            ),
            (
                CommentAuthor::Agent,
                false,
                format!("Escalated to the warehouse team, ref WH-{}", rng.below(500)),
            ),
        ];
        (format!("{issue} - {product}"), description, replies)
    };
    match rare {
        0 => description.push_str(" 屏幕出现绿色条纹。"),
        1 => description.push_str(" The firmware update bricked it."),
        2 | 3 => description.push_str(" 另外洗碗机漏水。"),
        _ => {}
    }
    let count = 1 + rng.below(3) as usize;
    (
        subject,
        description,
        replies.into_iter().take(count).collect(),
    )
}

/// Where ticket `i`, created `age` ago, stands now: the last day's tickets are being worked,
/// the last week's mostly solved, older ones closed but for a few long-running ones.
fn status_for(rng: &mut Rng, age: TimeDelta) -> TicketStatus {
    let roll = rng.below(100);
    if age < TimeDelta::days(1) {
        match roll {
            0..30 => TicketStatus::New,
            30..70 => TicketStatus::Open,
            70..85 => TicketStatus::PendingCustomer,
            85..95 => TicketStatus::PendingInternal,
            _ => TicketStatus::OnHold,
        }
    } else if age < TimeDelta::days(4) {
        match roll {
            0..20 => TicketStatus::Open,
            20..40 => TicketStatus::PendingCustomer,
            _ => TicketStatus::Solved,
        }
    } else if roll == 0 && rng.below(2) == 0 {
        *rng.pick(&[
            TicketStatus::Open,
            TicketStatus::PendingInternal,
            TicketStatus::OnHold,
        ])
    } else {
        TicketStatus::Closed
    }
}

fn generate(world: &World, rng: &mut Rng, i: u64, n: u64, now: DateTime<Utc>, out: &mut Batch) {
    let origin = now - TimeDelta::days(DAYS);
    let created =
        origin + TimeDelta::milliseconds((DAYS * 86_400_000) * i as i64 / n.max(1) as i64);
    let id = rng.uuid_at(created);
    let status = status_for(rng, now - created);
    let assignee = (status != TicketStatus::New).then(|| *rng.pick(&world.agents));
    let (subject, description, replies) = texts(rng, i);
    let priority = match rng.below(20) {
        0..4 => TicketPriority::Low,
        4..16 => TicketPriority::Normal,
        16..19 => TicketPriority::High,
        _ => TicketPriority::Urgent,
    };
    let region = *rng.pick(&REGIONS);
    let mut custom_fields = Map::new();
    custom_fields.insert("region".into(), json!(region));
    let mut ticket = Ticket {
        id,
        number: 1001 + i as i64,
        subject,
        description,
        requester_id: *rng.pick(&world.customers),
        channel: rng
            .pick(&["web", "email", "chat", "phone", "api"])
            .to_string(),
        status: TicketStatus::New,
        priority,
        ticket_type: *rng.pick(&[
            TicketType::Question,
            TicketType::Incident,
            TicketType::Problem,
            TicketType::Task,
        ]),
        tags: if rng.below(3) == 0 {
            vec!["vip".into()]
        } else {
            vec![]
        },
        assignee_id: None,
        group_id: Some(*rng.pick(&world.groups)),
        conversation_id: None,
        custom_fields,
        created_at: created,
        updated_at: created,
        solved_at: None,
        closed_at: None,
        parent_id: None,
        link_kind: None,
        merged_into: None,
        split_from: None,
    };
    out.events.push(EventRow {
        kind: "ticket.created",
        entity_id: id,
        payload: json!({"ticket": ticket}),
        at: created,
    });
    let mut at = created;
    for (author, public, body) in replies {
        at = (at + TimeDelta::minutes(5 + rng.below(120) as i64)).min(now);
        let comment = TicketComment {
            id: rng.uuid_at(at),
            ticket_id: id,
            author_kind: author,
            author_id: (author == CommentAuthor::Agent).then(|| *rng.pick(&world.agents)),
            public,
            body,
            created_at: at,
        };
        out.events.push(EventRow {
            kind: "ticket.comment_added",
            entity_id: id,
            payload: json!({"comment": comment, "number": ticket.number}),
            at,
        });
        out.comments.push(comment);
    }
    let at = at.min(now);
    ticket.status = status;
    ticket.assignee_id = assignee;
    ticket.updated_at = at;
    if matches!(status, TicketStatus::Solved | TicketStatus::Closed) {
        ticket.solved_at = Some(at);
    }
    if status == TicketStatus::Closed {
        ticket.closed_at = Some(at + TimeDelta::days(4));
    }
    out.events.push(EventRow {
        kind: "ticket.updated",
        entity_id: id,
        payload: json!({"changes": {"status": {"from": "new", "to": status}}, "ticket": ticket}),
        at,
    });
    // A resolution target on every working ticket (5 % breached, the rest due in 0–48 h), and
    // the completed one of every tenth closed ticket.
    let running = !matches!(status, TicketStatus::Solved | TicketStatus::Closed);
    if running || rng.below(10) == 0 {
        let due = if running {
            now + TimeDelta::minutes(rng.below(48 * 60) as i64)
        } else {
            created + TimeDelta::hours(24)
        };
        let breached = running && rng.below(20) == 0;
        out.slas.push(SlaRow {
            ticket_id: id,
            state: if !running {
                "met"
            } else if breached {
                "breached"
            } else {
                "active"
            },
            started_at: created,
            due_at: if breached {
                now - TimeDelta::hours(1)
            } else {
                due
            },
            breached_at: breached.then(|| now - TimeDelta::hours(1)),
            completed_at: (!running).then_some(at),
        });
    }
    out.fields.push((id, region.to_owned()));
    out.pending_since
        .push((status == TicketStatus::PendingCustomer).then_some(at));
    out.tickets.push(ticket);
}

/// Writes one batch with multi-row INSERTs; the same text on both backends.
macro_rules! write_batch {
    ($db:ty, $conn:expr, $tenant:expr, $seq:expr, $batch:expr) => {{
        let conn = $conn;
        let tenant: Uuid = $tenant;
        for chunk in $batch.comments.chunks(BATCH) {
            let mut q = QueryBuilder::<$db>::new(
                "INSERT INTO ticket_comments (id, tenant_id, ticket_id, author_kind, author_id, public, body, created_at) ",
            );
            q.push_values(chunk, |mut row, c| {
                row.push_bind(c.id)
                    .push_bind(tenant)
                    .push_bind(c.ticket_id)
                    .push_bind(match c.author_kind {
                        CommentAuthor::Agent => "agent",
                        CommentAuthor::Customer => "customer",
                        CommentAuthor::System => "system",
                    })
                    .push_bind(c.author_id)
                    .push_bind(c.public)
                    .push_bind(c.body.clone())
                    .push_bind(c.created_at);
            });
            q.build().execute(&mut *conn).await?;
        }
        let mut q = QueryBuilder::<$db>::new(
            "INSERT INTO tickets (id, tenant_id, number, subject, description, requester_id, channel, status, priority, ticket_type, tags, assignee_id, group_id, conversation_id, created_at, updated_at, solved_at, closed_at, custom_fields, pending_since) ",
        );
        q.push_values($batch.tickets.iter().zip(&$batch.pending_since), |mut row, (t, pending)| {
            row.push_bind(t.id)
                .push_bind(tenant)
                .push_bind(t.number)
                .push_bind(t.subject.clone())
                .push_bind(t.description.clone())
                .push_bind(t.requester_id)
                .push_bind(t.channel.clone())
                .push_bind(t.status.as_str())
                .push_bind(t.priority.as_str())
                .push_bind(t.ticket_type.as_str())
                .push_bind(Json(t.tags.clone()))
                .push_bind(t.assignee_id)
                .push_bind(t.group_id)
                .push_bind(t.conversation_id)
                .push_bind(t.created_at)
                .push_bind(t.updated_at)
                .push_bind(t.solved_at)
                .push_bind(t.closed_at)
                .push_bind(Json(t.custom_fields.clone()))
                .push_bind(*pending);
        });
        q.build().execute(&mut *conn).await?;
        let mut q = QueryBuilder::<$db>::new(
            "INSERT INTO ticket_field_values (tenant_id, ticket_id, field_key, value) ",
        );
        q.push_values(&$batch.fields, |mut row, (id, value)| {
            row.push_bind(tenant)
                .push_bind(*id)
                .push_bind("region")
                .push_bind(value.clone());
        });
        q.build().execute(&mut *conn).await?;
        if !$batch.slas.is_empty() {
            let mut q = QueryBuilder::<$db>::new(
                "INSERT INTO ticket_slas (tenant_id, ticket_id, target, policy, state, started_at, goal_secs, elapsed_secs, warn_at, due_at, breached_at, completed_at) ",
            );
            q.push_values(&$batch.slas, |mut row, s| {
                row.push_bind(tenant)
                    .push_bind(s.ticket_id)
                    .push_bind("resolution")
                    .push_bind("default")
                    .push_bind(s.state)
                    .push_bind(s.started_at)
                    .push_bind(86_400i64)
                    .push_bind(0i64)
                    .push_bind(Some(s.due_at - TimeDelta::hours(1)))
                    .push_bind(Some(s.due_at))
                    .push_bind(s.breached_at)
                    .push_bind(s.completed_at);
            });
            q.build().execute(&mut *conn).await?;
        }
        for chunk in $batch.events.chunks(BATCH) {
            let mut q = QueryBuilder::<$db>::new(
                "INSERT INTO events (tenant_id, seq, kind, entity_type, entity_id, actor_type, actor_id, payload, created_at) ",
            );
            q.push_values(chunk, |mut row, e| {
                *$seq += 1;
                row.push_bind(tenant)
                    .push_bind(*$seq)
                    .push_bind(e.kind)
                    .push_bind("ticket")
                    .push_bind(e.entity_id)
                    .push_bind("system")
                    .push_bind(None::<Uuid>)
                    .push_bind(Json(e.payload.clone()))
                    .push_bind(e.at);
            });
            q.build().execute(&mut *conn).await?;
        }
    }};
}

struct Args {
    tickets: u64,
    dir: std::path::PathBuf,
    database_url: Option<String>,
    runs: usize,
    create_secs: u64,
    writers: usize,
    reuse: bool,
}

fn args() -> Result<Args, Box<dyn Error>> {
    let mut parsed = Args {
        tickets: 1_000_000,
        dir: std::env::temp_dir().join("kefu-ticket-bench"),
        database_url: None,
        runs: 300,
        create_secs: 10,
        writers: 8,
        reuse: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--tickets" => parsed.tickets = value()?.parse()?,
            "--dir" => parsed.dir = value()?.into(),
            "--database-url" => parsed.database_url = Some(value()?),
            "--runs" => parsed.runs = value()?.parse()?,
            "--create-secs" => parsed.create_secs = value()?.parse()?,
            "--writers" => parsed.writers = value()?.parse()?,
            "--reuse" => parsed.reuse = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(parsed)
}

/// Makes the database fresh (unless reusing) and returns its URL.
async fn prepare_database(args: &Args) -> Result<String, Box<dyn Error>> {
    match &args.database_url {
        Some(url) => {
            let (base, name) = url.rsplit_once('/').ok_or("no database name in the URL")?;
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err("the database name may only hold letters, digits and _".into());
            }
            if !args.reuse {
                let mut admin = sqlx::PgConnection::connect(&format!("{base}/postgres")).await?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .await?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await?;
            }
            Ok(url.clone())
        }
        None => {
            if !args.reuse {
                let _ = std::fs::remove_dir_all(&args.dir);
            }
            std::fs::create_dir_all(&args.dir)?;
            Ok(format!("sqlite://{}", args.dir.join("kefu.db").display()))
        }
    }
}

/// The tenant's agents, groups, customers and the `region` field, through the store.
async fn world(store: &Store) -> Result<World, Box<dyn Error>> {
    let actor = Actor::system();
    let tenant = store
        .create_tenant("bench", "Bench Inc", &TenantSettings::default(), &actor)
        .await?
        .id;
    let mut agents = Vec::new();
    for a in 0..AGENTS {
        let user = NewUser {
            email: format!("agent{a}@bench.test"),
            display_name: format!("Agent {a}"),
            role: Role::Agent,
            password_hash: None,
            profile: AgentProfile::default(),
            group_ids: vec![],
        };
        agents.push(store.create_user(tenant, user, &actor).await?.id);
    }
    let mut groups = Vec::new();
    for g in 0..GROUPS {
        let group = NewGroup {
            name: format!("组 {g}"),
            description: String::new(),
            member_ids: agents[g * 20..g * 20 + 20].to_vec(),
        };
        groups.push(store.create_group(tenant, group, &actor).await?.id);
    }
    let mut customers = Vec::new();
    for c in 0..CUSTOMERS {
        let customer = NewCustomer {
            name: format!("客户 {c}"),
            company: None,
            tier: "normal".into(),
            tags: vec![],
            attributes: Default::default(),
            identities: vec![],
        };
        customers.push(store.create_customer(tenant, customer, &actor).await?.id);
    }
    let field = NewTicketField {
        key: "region".into(),
        label: "区域".into(),
        field_type: FieldType::Select,
        options: REGIONS.iter().map(|r| r.to_string()).collect(),
        required_for: vec![],
        position: None,
    };
    store.create_ticket_field(tenant, field, &actor).await?;
    Ok(World {
        tenant,
        agents,
        groups,
        customers,
    })
}

async fn seed(url: &str, world: &World, n: u64, now: DateTime<Utc>) -> Result<(), Box<dyn Error>> {
    let began = Instant::now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let batches = n.div_ceil(BATCH as u64);
    let postgres = url.starts_with("postgres");
    let mut pg = None;
    let mut lite = None;
    if postgres {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        // Setup only: no triggers or foreign key checks while loading; the search rows are
        // built below by the migration's own function.
        conn.execute("SET session_replication_role = replica")
            .await?;
        pg = Some(conn);
    } else {
        let options = url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()?
            .foreign_keys(false)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Off);
        lite = Some(sqlx::SqliteConnection::connect_with(&options).await?);
    }
    let mut seq: i64 = 0;
    let start_seq: i64 = match (&mut pg, &mut lite) {
        (Some(c), _) => {
            sqlx::query_scalar("SELECT last_seq FROM event_sequences WHERE tenant_id = $1")
                .bind(world.tenant)
                .fetch_one(&mut *c)
                .await?
        }
        (_, Some(c)) => {
            sqlx::query_scalar("SELECT last_seq FROM event_sequences WHERE tenant_id = $1")
                .bind(world.tenant)
                .fetch_one(&mut *c)
                .await?
        }
        _ => 0,
    };
    seq += start_seq;
    let mut b = 0u64;
    while b < batches {
        let upto = (b + BATCHES_PER_TX as u64).min(batches);
        if let Some(c) = &mut pg {
            let mut tx = c.begin().await?;
            for batch_no in b..upto {
                let mut batch = Batch::default();
                for i in batch_no * BATCH as u64..((batch_no + 1) * BATCH as u64).min(n) {
                    generate(world, &mut rng, i, n, now, &mut batch);
                }
                write_batch!(sqlx::Postgres, &mut *tx, world.tenant, &mut seq, batch);
            }
            tx.commit().await?;
        } else if let Some(c) = &mut lite {
            let mut tx = c.begin().await?;
            for batch_no in b..upto {
                let mut batch = Batch::default();
                for i in batch_no * BATCH as u64..((batch_no + 1) * BATCH as u64).min(n) {
                    generate(world, &mut rng, i, n, now, &mut batch);
                }
                write_batch!(sqlx::Sqlite, &mut *tx, world.tenant, &mut seq, batch);
            }
            tx.commit().await?;
        }
        b = upto;
        let done = (b * BATCH as u64).min(n);
        if done % 100_000 < (BATCH * BATCHES_PER_TX) as u64 || done == n {
            println!(
                "  seeded {done} tickets in {:.0} s",
                began.elapsed().as_secs_f64()
            );
        }
    }
    let finish = [
        "UPDATE event_sequences SET last_seq = $2 WHERE tenant_id = $1",
        "INSERT INTO ticket_numbers (tenant_id, last_number) VALUES ($1, $2)
         ON CONFLICT (tenant_id) DO UPDATE SET last_number = excluded.last_number",
    ];
    if let Some(mut c) = pg {
        sqlx::query(finish[0])
            .bind(world.tenant)
            .bind(seq)
            .execute(&mut c)
            .await?;
        sqlx::query(finish[1])
            .bind(world.tenant)
            .bind(1000 + n as i64)
            .execute(&mut c)
            .await?;
        let indexing = Instant::now();
        // The GIN index is built once over the loaded rows (faster than row by row), with the
        // migration's definition.
        c.execute("DROP INDEX ticket_search_body").await?;
        c.execute(
            "INSERT INTO ticket_search (tenant_id, ticket_id, body)
             SELECT tenant_id, id, ticket_search_text(tenant_id, id) FROM tickets
             ON CONFLICT DO NOTHING",
        )
        .await?;
        c.execute("SET maintenance_work_mem = '512MB'").await?;
        c.execute("CREATE INDEX ticket_search_body ON ticket_search USING gin (body gin_trgm_ops)")
            .await?;
        c.execute("ANALYZE").await?;
        println!(
            "  search rows and trigram index built in {:.0} s",
            indexing.elapsed().as_secs_f64()
        );
    } else if let Some(mut c) = lite {
        sqlx::query(finish[0])
            .bind(world.tenant)
            .bind(seq)
            .execute(&mut c)
            .await?;
        sqlx::query(finish[1])
            .bind(world.tenant)
            .bind(1000 + n as i64)
            .execute(&mut c)
            .await?;
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    println!(
        "seeded {n} tickets, {} events in {:.0} s",
        seq - start_seq,
        began.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Creates tickets through the store with `writers` concurrent tasks for `secs` seconds.
async fn measure_creates(
    store: &Store,
    world: &World,
    writers: usize,
    secs: u64,
) -> Result<(), Box<dyn Error>> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let began = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = store.clone();
        let (tenant, agents, groups, customers) = (
            world.tenant,
            world.agents.clone(),
            world.groups.clone(),
            world.customers.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0x1234_5678 + w as u64);
            let mut times = Vec::new();
            let actor = Actor::system();
            while Instant::now() < deadline {
                let i = 9_000_000 + rng.below(1_000_000);
                let (subject, description, _) = texts(&mut rng, i);
                let mut custom_fields = Map::new();
                custom_fields.insert("region".into(), json!(rng.pick(&REGIONS)));
                let new = NewTicket {
                    subject,
                    description,
                    requester_id: *rng.pick(&customers),
                    channel: "api".into(),
                    priority: TicketPriority::Normal,
                    ticket_type: TicketType::Question,
                    tags: vec!["bench".into()],
                    assignee_id: Some(*rng.pick(&agents)),
                    group_id: Some(*rng.pick(&groups)),
                    conversation_id: None,
                    custom_fields,
                };
                let one = Instant::now();
                store.create_ticket(tenant, new, &actor).await?;
                times.push(one.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, kefu_store::StoreError>(times)
        }));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await??);
    }
    let elapsed = began.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    println!(
        "create_ticket, {writers} writers for {secs} s: {} tickets, {:.0} creates/s; latency p50 {:.2} ms, p99 {:.2} ms",
        times.len(),
        times.len() as f64 / elapsed,
        rank(&times, 0.50),
        rank(&times, 0.99)
    );
    Ok(())
}

fn rank(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// Runs one list `runs` times (at most 10 s) and prints p50/p99.
async fn measure_list(
    store: &Store,
    tenant: Uuid,
    label: &str,
    filter: TicketFilter,
    second_page: bool,
    runs: usize,
) -> Result<(), Box<dyn Error>> {
    let first = store.list_tickets(tenant, &filter, None, 50).await?;
    let before = if second_page { first.next_after } else { None };
    let mut times = Vec::with_capacity(runs);
    let cap = Instant::now() + Duration::from_secs(10);
    let mut items = 0;
    let mut more = false;
    for _ in 0..runs {
        let began = Instant::now();
        let page = store.list_tickets(tenant, &filter, before, 50).await?;
        times.push(began.elapsed().as_secs_f64() * 1000.0);
        items = page.items.len();
        more = page.next_after.is_some();
        if Instant::now() > cap {
            break;
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{label:<44} {:>3} items{} | {:>4} runs: p50 {:>7.2} ms, p99 {:>7.2} ms, max {:>7.2} ms",
        items,
        if more { "+" } else { " " },
        times.len(),
        rank(&times, 0.50),
        rank(&times, 0.99),
        times.last().copied().unwrap_or_default()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = args()?;
    let url = prepare_database(&args).await?;
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let now = Utc::now();
    let world = match store.tenant_by_slug("bench").await? {
        Some(tenant) if args.reuse => {
            let users = store
                .list_users(tenant.id, &Default::default(), None, 200)
                .await?;
            let groups = store.list_groups(tenant.id, None, 200).await?;
            let customers = store
                .list_customers(tenant.id, &Default::default(), None, 200)
                .await?;
            World {
                tenant: tenant.id,
                agents: users.items.iter().map(|u| u.id).collect(),
                groups: groups.items.iter().map(|g| g.id).collect(),
                customers: customers.items.iter().map(|c| c.id).collect(),
            }
        }
        _ => {
            let setup = Instant::now();
            let world = world(&store).await?;
            println!(
                "tenant, {AGENTS} agents, {GROUPS} groups, {CUSTOMERS} customers through the store in {:.0} s",
                setup.elapsed().as_secs_f64()
            );
            seed(&url, &world, args.tickets, now).await?;
            world
        }
    };
    println!(
        "backend {:?}, {} tickets in the tenant",
        store.backend(),
        args.tickets
    );

    let open = vec![
        TicketStatus::New,
        TicketStatus::Open,
        TicketStatus::PendingCustomer,
        TicketStatus::PendingInternal,
        TicketStatus::OnHold,
    ];
    let me = world.agents.first().copied();
    let lists: Vec<(&str, TicketFilter, bool)> = vec![
        ("all tickets", TicketFilter::default(), false),
        ("all tickets, page 2", TicketFilter::default(), true),
        (
            "view: all open (5 states)",
            TicketFilter {
                statuses: open.clone(),
                ..Default::default()
            },
            false,
        ),
        (
            "view: mine (assignee + 5 states)",
            TicketFilter {
                statuses: open.clone(),
                assignee_id: me,
                ..Default::default()
            },
            false,
        ),
        (
            "view: unassigned (new)",
            TicketFilter {
                statuses: vec![TicketStatus::New],
                ..Default::default()
            },
            false,
        ),
        (
            "view: breaching soon (+ 5 states)",
            TicketFilter {
                statuses: open.clone(),
                breaching_by: Some(now + TimeDelta::hours(1)),
                ..Default::default()
            },
            false,
        ),
        (
            "view: solved + closed",
            TicketFilter {
                statuses: vec![TicketStatus::Solved, TicketStatus::Closed],
                ..Default::default()
            },
            false,
        ),
        (
            "status=pending_customer",
            TicketFilter {
                statuses: vec![TicketStatus::PendingCustomer],
                ..Default::default()
            },
            false,
        ),
        (
            "field.region=海外",
            TicketFilter {
                custom_fields: vec![("region".into(), "海外".into())],
                ..Default::default()
            },
            false,
        ),
        (
            "field.region=海外 + 5 states",
            TicketFilter {
                statuses: open.clone(),
                custom_fields: vec![("region".into(), "海外".into())],
                ..Default::default()
            },
            false,
        ),
    ];
    let searches: Vec<(&str, &str, Vec<TicketStatus>)> = vec![
        ("q=申请退款 (common)", "申请退款", vec![]),
        ("q=申请退款, page 2", "申请退款", vec![]),
        ("q=蓝牙耳机 退款 (two words)", "蓝牙耳机 退款", vec![]),
        (
            "q=屏幕出现绿色条纹 (rare, 0.1%)",
            "屏幕出现绿色条纹",
            vec![],
        ),
        ("q=退款 (2 chars, common: window scan)", "退款", vec![]),
        ("q=漏水 (2 chars, rare: window scan)", "漏水", vec![]),
        ("q=refund (common)", "refund", vec![]),
        ("q=warehouse (in notes)", "warehouse", vec![]),
        (
            "q=firmware update bricked (rare)",
            "firmware update bricked",
            vec![],
        ),
        ("q=SO-20512345 (one ticket)", "SO-20512345", vec![]),
        ("q=zzqxj (no match)", "zzqxj", vec![]),
        ("q=申请退款 + 5 states", "申请退款", open.clone()),
    ];
    if args.runs == 0 {
        return Ok(());
    }
    println!("-- lists and searches, 50 per page:");
    for (label, filter, second) in lists {
        measure_list(&store, world.tenant, label, filter, second, args.runs).await?;
    }
    for (label, q, statuses) in searches {
        let filter = TicketFilter {
            query: Some(q.into()),
            statuses,
            ..Default::default()
        };
        measure_list(
            &store,
            world.tenant,
            label,
            filter,
            label.contains("page 2"),
            args.runs,
        )
        .await?;
    }
    if args.create_secs > 0 {
        measure_creates(&store, &world, args.writers, args.create_secs).await?;
    }
    Ok(())
}
