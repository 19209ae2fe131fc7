//! The demo tenant "Demo Shop / 演示商城": staff with different skills and languages, the
//! three service groups, business hours, customers with some history, shared canned
//! responses and a bilingual FAQ knowledge base for the bot. Seeding is idempotent: an
//! existing demo tenant is left as it is (parts added since are filled in when missing).

use crate::auth::hash_password;
use crate::error::ApiError;
use kefu_core::{AgentProfile, Channel, IdentityKind, Role, SkillLevel};
use kefu_store::{
    Actor, CustomerPatch, NewCustomer, NewGroup, NewIdentity, NewUser, Store, StoreError,
    TenantSettings,
};
use std::collections::BTreeMap;

pub const DEMO_SLUG: &str = "demo";
/// Every demo login uses this password; it is printed at start-up, so never reuse it.
pub const DEMO_PASSWORD: &str = "kefu-demo-2026";

#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: Role,
    pub email: String,
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed")]
    Hash,
}

impl From<ApiError> for DemoError {
    fn from(_: ApiError) -> Self {
        DemoError::Hash
    }
}

struct Staff {
    email: &'static str,
    name: &'static str,
    role: Role,
    languages: &'static [&'static str],
    skills: &'static [(&'static str, u8)],
    groups: &'static [usize],
    capacities: &'static [(Channel, u16)],
}

const GROUPS: [(&str, &str); 3] = [
    (
        "售前 Pre-sales",
        "产品咨询、选购建议 · Product questions and buying advice",
    ),
    (
        "售后 After-sales",
        "退换货、物流、发票 · Returns, deliveries and invoices",
    ),
    (
        "技术支持 Tech support",
        "App 与账户问题 · App and account problems",
    ),
];

const STAFF: [Staff; 7] = [
    Staff {
        email: "admin@demo.kefu.dev",
        name: "管理员 Admin",
        role: Role::Owner,
        languages: &["zh-CN", "en"],
        skills: &[],
        groups: &[],
        capacities: &[],
    },
    Staff {
        email: "supervisor@demo.kefu.dev",
        name: "周敏 Zhou Min",
        role: Role::Supervisor,
        languages: &["zh-CN", "en"],
        skills: &[("presales", 4), ("returns", 4)],
        groups: &[0, 1, 2],
        capacities: &[(Channel::Chat, 3)],
    },
    Staff {
        email: "lina@demo.kefu.dev",
        name: "李娜 Li Na",
        role: Role::Agent,
        languages: &["zh-CN", "en"],
        skills: &[("presales", 5), ("billing", 3)],
        groups: &[0],
        capacities: &[
            (Channel::Voice, 1),
            (Channel::Chat, 5),
            (Channel::Email, 10),
        ],
    },
    Staff {
        email: "wangqiang@demo.kefu.dev",
        name: "王强 Wang Qiang",
        role: Role::Agent,
        languages: &["zh-CN"],
        skills: &[("returns", 4), ("logistics", 4)],
        groups: &[1],
        capacities: &[(Channel::Voice, 1), (Channel::Chat, 4)],
    },
    Staff {
        email: "emma@demo.kefu.dev",
        name: "Emma Clark",
        role: Role::Agent,
        languages: &["en", "zh-CN"],
        skills: &[("tech", 5), ("presales", 2)],
        groups: &[2, 0],
        capacities: &[(Channel::Chat, 6), (Channel::Email, 15)],
    },
    Staff {
        email: "chenjing@demo.kefu.dev",
        name: "陈静 Chen Jing",
        role: Role::Agent,
        languages: &["zh-CN", "yue"],
        skills: &[("billing", 5), ("returns", 3)],
        groups: &[1],
        capacities: &[
            (Channel::Voice, 1),
            (Channel::Chat, 5),
            (Channel::Email, 10),
        ],
    },
    Staff {
        email: "raj@demo.kefu.dev",
        name: "Raj Patel",
        role: Role::Agent,
        languages: &["en"],
        skills: &[("tech", 4), ("billing", 2)],
        groups: &[2],
        capacities: &[(Channel::Chat, 5), (Channel::Ticket, 20)],
    },
];

fn demo_settings() -> TenantSettings {
    let weekday = vec![["09:00".to_owned(), "21:00".to_owned()]];
    let weekend = vec![["10:00".to_owned(), "18:00".to_owned()]];
    let business_hours: BTreeMap<String, Vec<[String; 2]>> = ["mon", "tue", "wed", "thu", "fri"]
        .into_iter()
        .map(|d| (d.to_owned(), weekday.clone()))
        .chain(
            ["sat", "sun"]
                .into_iter()
                .map(|d| (d.to_owned(), weekend.clone())),
        )
        .collect();
    TenantSettings {
        timezone: "Asia/Shanghai".into(),
        locale: "zh-CN".into(),
        business_hours,
        ..TenantSettings::default()
    }
}

pub fn logins() -> Vec<DemoLogin> {
    STAFF
        .iter()
        .map(|s| DemoLogin {
            role: s.role,
            email: s.email.into(),
            name: s.name.into(),
        })
        .collect()
}

/// Creates the demo tenant unless it exists. Returns whether it was created now.
/// What seeding did: whether the tenant was new, and its web-chat inbox.
pub struct Seeded {
    pub created: bool,
    pub inbox: Option<kefu_store::Inbox>,
    /// The web-chat inbox where the service bot answers first.
    pub bot_inbox: Option<kefu_store::Inbox>,
    /// The support address mail to the demo goes to.
    pub mailbox: Option<kefu_store::Mailbox>,
}

/// The demo's support address: mail to it opens after-sales tickets.
pub const DEMO_MAILBOX: &str = "support@demo.kefu.dev";

pub async fn seed(store: &Store) -> Result<Seeded, DemoError> {
    if store.tenant_by_slug(DEMO_SLUG).await?.is_some() {
        demo_knowledge(store).await?;
        demo_help(store).await?;
        demo_scenarios(store).await?;
        return Ok(Seeded {
            created: false,
            inbox: demo_inbox(store).await?,
            bot_inbox: demo_bot_inbox(store).await?,
            mailbox: demo_mailbox(store).await?,
        });
    }
    let system = Actor::system();
    let tenant = store
        .create_tenant(DEMO_SLUG, "Demo Shop / 演示商城", &demo_settings(), &system)
        .await?;
    let mut group_ids = Vec::new();
    for (name, description) in GROUPS {
        group_ids.push(
            store
                .create_group(
                    tenant.id,
                    NewGroup {
                        name: name.into(),
                        description: description.into(),
                        member_ids: vec![],
                    },
                    &system,
                )
                .await?
                .id,
        );
    }
    let password_hash = hash_password(DEMO_PASSWORD.to_owned()).await?;
    for staff in &STAFF {
        let profile = AgentProfile {
            languages: staff.languages.iter().map(|l| (*l).to_owned()).collect(),
            skills: staff
                .skills
                .iter()
                .map(|(skill, proficiency)| SkillLevel {
                    skill: (*skill).into(),
                    proficiency: *proficiency,
                })
                .collect(),
            capacities: staff.capacities.iter().copied().collect(),
            auto_accept: false,
        };
        let new = NewUser {
            email: staff.email.into(),
            display_name: staff.name.into(),
            role: staff.role,
            password_hash: Some(password_hash.clone()),
            profile,
            group_ids: staff
                .groups
                .iter()
                .filter_map(|i| group_ids.get(*i).copied())
                .collect(),
        };
        store.create_user(tenant.id, new, &system).await?;
    }
    seed_customers(store, tenant.id, &system).await?;
    for (shortcut, title, body) in CANNED {
        let new = kefu_store::NewCannedResponse {
            owner_id: None,
            shortcut: shortcut.into(),
            title: title.into(),
            body: body.into(),
            language: None,
        };
        store
            .create_canned_response(tenant.id, new, &system)
            .await?;
    }
    demo_knowledge(store).await?;
    demo_help(store).await?;
    demo_scenarios(store).await?;
    Ok(Seeded {
        created: true,
        inbox: demo_inbox(store).await?,
        bot_inbox: demo_bot_inbox(store).await?,
        mailbox: demo_mailbox(store).await?,
    })
}

/// The demo's support mailbox, created if missing (also in demo databases seeded before the
/// email channel existed); `None` when there is no demo tenant.
pub async fn demo_mailbox(store: &Store) -> Result<Option<kefu_store::Mailbox>, DemoError> {
    let Some(tenant) = store.tenant_by_slug(DEMO_SLUG).await? else {
        return Ok(None);
    };
    let existing = store.list_mailboxes(tenant.id, None, 1).await?.items;
    if let Some(mailbox) = existing.into_iter().next() {
        return Ok(Some(mailbox));
    }
    let after_sales = store
        .list_groups(tenant.id, None, crate::routes::DEFAULT_LIMIT)
        .await?
        .items
        .into_iter()
        .find(|g| GROUPS.get(1).is_some_and(|(name, _)| g.name == *name))
        .map(|g| g.id);
    let mailbox = store
        .create_mailbox(
            tenant.id,
            kefu_store::NewMailbox {
                address: DEMO_MAILBOX.into(),
                display_name: "演示商城客服 Demo Shop support".into(),
                group_id: after_sales,
                enabled: true,
                imap: None,
            },
            &Actor::system(),
        )
        .await?;
    Ok(Some(mailbox))
}

/// The demo's web-chat inbox, created if missing (also in demo databases seeded before inboxes
/// existed); `None` when there is no demo tenant.
pub async fn demo_inbox(store: &Store) -> Result<Option<kefu_store::Inbox>, DemoError> {
    let Some(tenant) = store.tenant_by_slug(DEMO_SLUG).await? else {
        return Ok(None);
    };
    if let Some(inbox) = store.list_inboxes(tenant.id).await?.into_iter().next() {
        return Ok(Some(inbox));
    }
    // Each topic routes to the group of the same position in GROUPS (pre-sales, after-sales,
    // tech support), so the demo shows skill-group routing.
    let groups = store
        .list_groups(tenant.id, None, crate::routes::DEFAULT_LIMIT)
        .await?
        .items;
    let group_named = |index: usize| {
        groups
            .iter()
            .find(|g| GROUPS.get(index).is_some_and(|(name, _)| g.name == *name))
            .map(|g| g.id)
    };
    let topic = |key: &str, label: &str, group: usize| kefu_store::InboxTopic {
        key: key.into(),
        label: label.into(),
        group_id: group_named(group),
        skills: Vec::new(),
    };
    let settings = kefu_store::InboxSettings {
        greeting: "您好，欢迎来到演示商城！ Hello, welcome to Demo Shop!".into(),
        pre_chat_form: true,
        topics: vec![
            topic("presales", "售前咨询 Pre-sales", 0),
            topic("aftersales", "售后服务 After-sales", 1),
            topic("tech", "技术支持 Tech support", 2),
        ],
        ..Default::default()
    };
    let inbox = store
        .create_inbox(
            tenant.id,
            kefu_store::NewInbox {
                name: "官网在线客服 Web chat".into(),
                channel: kefu_store::InboxChannel::Web,
                secret: crate::auth::new_token("kfi_"),
                settings,
            },
            &Actor::system(),
        )
        .await?;
    Ok(Some(inbox))
}

/// The demo's second web-chat inbox, with the service bot on (created if missing, also in
/// older demo databases): the first inbox keeps people answering at once.
pub async fn demo_bot_inbox(store: &Store) -> Result<Option<kefu_store::Inbox>, DemoError> {
    let Some(tenant) = store.tenant_by_slug(DEMO_SLUG).await? else {
        return Ok(None);
    };
    // The people-first inbox comes first (the widget tests and the printed link use it).
    demo_inbox(store).await?;
    let inboxes = store.list_inboxes(tenant.id).await?;
    if let Some(inbox) = inboxes.into_iter().find(|i| i.settings.bot_enabled) {
        return Ok(Some(inbox));
    }
    // After a handoff the pre-sales group (Chinese and English speakers) takes over.
    let pre_sales = store
        .list_groups(tenant.id, None, crate::routes::DEFAULT_LIMIT)
        .await?
        .items
        .into_iter()
        .find(|g| GROUPS.first().is_some_and(|(name, _)| g.name == *name))
        .map(|g| g.id);
    let settings = kefu_store::InboxSettings {
        greeting: "您好，我是演示商城智能助手，请问有什么可以帮您？输入“转人工”联系人工客服。 Hi, I am Demo Shop's assistant; type \"agent\" for a person.".into(),
        group_id: pre_sales,
        bot_enabled: true,
        ..Default::default()
    };
    let inbox = store
        .create_inbox(
            tenant.id,
            kefu_store::NewInbox {
                name: "智能客服 Bot chat".into(),
                channel: kefu_store::InboxChannel::Web,
                secret: crate::auth::new_token("kfi_"),
                settings,
            },
            &Actor::system(),
        )
        .await?;
    Ok(Some(inbox))
}

/// Shared canned responses (shortcut, title, body) every demo agent finds under "/".
const CANNED: [(&str, &str, &str); 3] = [
    (
        "greeting",
        "问候 Greeting",
        "{{customer.name}}您好，我是{{agent.name}}，很高兴为您服务。\nHello {{customer.name}}, this is {{agent.name}}. How can I help?",
    ),
    (
        "refund-policy",
        "退款政策 Refund policy",
        "收到商品 7 天内可无理由退货，退款将在 3 个工作日内原路退回。\nYou may return any item within 7 days of receiving your order; refunds reach your original payment method within 3 working days.",
    ),
    (
        "thanks",
        "致谢 Thanks",
        "感谢您的耐心等待，还有其他可以帮您的吗？\nThank you for waiting. Is there anything else I can help with?",
    ),
];

fn attrs(pairs: &[(&str, serde_json::Value)]) -> serde_json::Map<String, serde_json::Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn ids(pairs: &[(IdentityKind, &str)]) -> Vec<NewIdentity> {
    pairs
        .iter()
        .map(|(kind, value)| NewIdentity {
            kind: *kind,
            value: (*value).into(),
        })
        .collect()
}

async fn seed_customers(
    store: &Store,
    tenant_id: uuid::Uuid,
    system: &Actor,
) -> Result<(), DemoError> {
    use serde_json::json;
    let zhang = store
        .create_customer(
            tenant_id,
            NewCustomer {
                name: "张伟".into(),
                company: None,
                tier: "gold".into(),
                tags: vec!["老客户".into()],
                attributes: attrs(&[
                    ("city", json!("上海")),
                    ("orders", json!(27)),
                    ("lifetime_value_cny", json!(18650)),
                ]),
                identities: ids(&[
                    (IdentityKind::Phone, "+8613800138000"),
                    (IdentityKind::WechatOpenid, "oDemo_zhangwei_8f3a"),
                ]),
            },
            system,
        )
        .await?;
    store
        .add_identity(
            tenant_id,
            zhang.id,
            NewIdentity {
                kind: IdentityKind::Email,
                value: "zhang.wei@example.cn".into(),
            },
            system,
        )
        .await?;
    store
        .update_customer(
            tenant_id,
            zhang.id,
            CustomerPatch {
                tier: Some("vip".into()),
                tags: Some(vec!["老客户".into(), "高价值".into()]),
                ..Default::default()
            },
            system,
        )
        .await?;

    let sarah = store
        .create_customer(
            tenant_id,
            NewCustomer {
                name: "Sarah Johnson".into(),
                company: Some("Northwind Traders".into()),
                tier: "silver".into(),
                tags: vec!["overseas".into(), "b2b".into()],
                attributes: attrs(&[
                    ("country", json!("GB")),
                    ("preferred_language", json!("en")),
                ]),
                identities: ids(&[
                    (IdentityKind::Email, "sarah.johnson@northwind.example"),
                    (IdentityKind::AppUserId, "app-10086"),
                ]),
            },
            system,
        )
        .await?;
    store
        .update_customer(
            tenant_id,
            sarah.id,
            CustomerPatch {
                tier: Some("gold".into()),
                ..Default::default()
            },
            system,
        )
        .await?;

    // A visitor first seen on the web, later recognised by phone: merged into one customer.
    let visitor = store
        .create_customer(
            tenant_id,
            NewCustomer {
                name: "访客 Visitor 7731".into(),
                company: None,
                tier: "normal".into(),
                tags: vec!["web".into()],
                attributes: attrs(&[("landing_page", json!("/sale/double-11"))]),
                identities: ids(&[(IdentityKind::WebVisitorId, "v-7731-demo")]),
            },
            system,
        )
        .await?;
    let liu = store
        .create_customer(
            tenant_id,
            NewCustomer {
                name: "刘洋".into(),
                company: None,
                tier: "normal".into(),
                tags: vec![],
                attributes: attrs(&[("city", json!("成都"))]),
                identities: ids(&[(IdentityKind::Phone, "+8613912345678")]),
            },
            system,
        )
        .await?;
    store
        .merge_customers(tenant_id, liu.id, visitor.id, "normal", system)
        .await?;

    store
        .create_customer(
            tenant_id,
            NewCustomer {
                name: "赵敏".into(),
                company: Some("杭州云栖科技有限公司".into()),
                tier: "silver".into(),
                tags: vec!["企业客户".into(), "发票".into()],
                attributes: attrs(&[
                    ("tax_id", json!("91330100MA2DEMO01X")),
                    ("orders", json!(4)),
                ]),
                identities: ids(&[
                    (IdentityKind::Email, "zhaomin@yunqi.example.cn"),
                    (IdentityKind::Phone, "+8657188880000"),
                ]),
            },
            system,
        )
        .await?;
    store
        .create_customer(
            tenant_id,
            NewCustomer {
                name: "Mike Chen".into(),
                company: None,
                tier: "normal".into(),
                tags: vec!["app".into()],
                attributes: attrs(&[("app_version", json!("5.2.1"))]),
                identities: ids(&[
                    (IdentityKind::AppUserId, "app-20488"),
                    (IdentityKind::Email, "mike.chen@example.com"),
                ]),
            },
            system,
        )
        .await?;
    Ok(())
}

/// The demo's FAQs, created if the demo tenant has none: the 46 Chinese e-commerce FAQs the
/// matcher is evaluated on (standard and similar questions from its training file) and English
/// ones for the common topics, all published, so the bot answers in both languages.
pub async fn demo_knowledge(store: &Store) -> Result<(), DemoError> {
    let Some(tenant) = store.tenant_by_slug(DEMO_SLUG).await? else {
        return Ok(());
    };
    let any = store
        .list_faqs(tenant.id, &kefu_store::FaqFilter::default(), None, 1)
        .await?;
    if !any.items.is_empty() {
        return Ok(());
    }
    let faqs = demo_faqs();
    store
        .import_faqs(tenant.id, faqs, &Actor::system(), &mut |_| {})
        .await?;
    Ok(())
}

/// Where the demo's order-status integration points. `.invalid` never resolves (RFC 2606), so
/// out of the box the scenario shows its failure path: a polite word and a handoff with
/// `integration_failed`. Point it at a real order system under Knowledge → Integrations.
pub const DEMO_ORDERS_URL: &str = "https://orders.demo.invalid/api";

/// The demo's scenarios, created if the demo tenant has none: "查询订单 / order status" (asks
/// for the order number, calls the order system, says the status) and "退货 / return an item"
/// (asks for the order number and the reason; a quality problem goes to a person).
pub async fn demo_scenarios(store: &Store) -> Result<(), DemoError> {
    let Some(tenant) = store.tenant_by_slug(DEMO_SLUG).await? else {
        return Ok(());
    };
    if !store.scenarios(tenant.id).await?.is_empty() {
        return Ok(());
    }
    let system = Actor::system();
    let orders = match store
        .integrations(tenant.id)
        .await?
        .into_iter()
        .find(|i| i.name == "订单系统 Orders")
    {
        Some(existing) => existing,
        None => {
            let new = kefu_store::NewIntegration {
                name: "订单系统 Orders".into(),
                base_url: DEMO_ORDERS_URL.into(),
                method: "GET".into(),
                path_template: "/orders/{order_id}".into(),
                secret_header: Some("X-Api-Key".into()),
                secret_value: Some("demo-key-change-me".into()),
                timeout_ms: crate::integrations::DEFAULT_TIMEOUT_MS,
            };
            store.create_integration(tenant.id, new, &system).await?
        }
    };
    let order_status = serde_json::json!([
        {"kind": "ask", "slot": "order_id", "prompt": "请输入您的订单号（6 到 20 位数字）",
         "prompt_en": "Please enter your order number (6 to 20 digits).",
         "pattern": "[0-9]{6,20}", "retry_prompt": "订单号是 6 到 20 位数字，请重新输入。",
         "retry_prompt_en": "An order number has 6 to 20 digits. Please try again."},
        {"kind": "call", "integration_id": orders.id},
        {"kind": "say", "text": "订单 {order_id} 当前状态：{result.status}。",
         "text_en": "Order {order_id} is {result.status}."}
    ]);
    let returns = serde_json::json!([
        {"kind": "ask", "slot": "order_id", "prompt": "请输入要退货的订单号（6 到 20 位数字）",
         "prompt_en": "Which order is it? Please enter its number (6 to 20 digits).",
         "pattern": "[0-9]{6,20}", "retry_prompt": "订单号是 6 到 20 位数字，请重新输入。"},
        {"kind": "choice", "prompt": "请问退货的原因是？", "prompt_en": "Why are you returning it?",
         "options": [
            {"label": "不想要了", "label_en": "Changed my mind"},
            {"label": "尺码不合适", "label_en": "Wrong size"},
            {"label": "质量问题", "label_en": "Quality problem", "goto": 3}]},
        {"kind": "say", "text": "好的。请在“我的订单”中找到订单 {order_id}，点“申请售后”选择“退货退款”，签收 7 天内、商品完好即可退货，寄回运费由您承担。",
         "text_en": "All right. Open order {order_id} under \"My orders\", choose \"After-sales\" and \"Return and refund\". Returns are accepted within 7 days of delivery for items in their original condition; you pay the return shipping."},
        {"kind": "handoff", "text": "质量问题由售后专员为您处理，正在为您转接人工客服，请稍候。",
         "text_en": "A quality problem is handled by our after-sales team. Connecting you to a person now."}
    ]);
    let scenarios = [
        (
            "查询订单 Order status",
            vec![
                "查询订单",
                "查一下我的订单",
                "我的订单到哪了",
                "订单状态",
                "where is my order",
                "order status",
                "track my order",
            ],
            order_status,
        ),
        (
            "退货 Return an item",
            // Not "退货退款": the refund FAQs keep their questions.
            vec![
                "我要退货",
                "帮我退货",
                "I want to send my order back",
                "start a return for my order",
            ],
            returns,
        ),
    ];
    for (name, triggers, steps) in scenarios {
        let new = kefu_store::NewScenario {
            name: name.into(),
            triggers: triggers.into_iter().map(str::to_owned).collect(),
            steps,
            status: kefu_store::FaqStatus::Published,
        };
        store.create_scenario(tenant.id, new, &system).await?;
    }
    Ok(())
}

/// The demo's help articles (after its FAQs, whose categories they are filed under).
async fn demo_help(store: &Store) -> Result<(), DemoError> {
    if let Some(tenant) = store.tenant_by_slug(DEMO_SLUG).await? {
        crate::demo_articles::demo_articles(store, tenant.id).await?;
    }
    Ok(())
}

const DEMO_FAQ_ZH: &str = include_str!("../../kefu-knowledge/data/demo_faq_zh.csv");
const DEMO_KB_ZH: &str = include_str!("../../kefu-knowledge/data/demo_kb_zh.csv");

/// The demo category (top-level, bilingual) of a Chinese FAQ, by its intent's name.
fn demo_category(intent: &str) -> &'static str {
    let prefix = intent.split('_').next().unwrap_or(intent);
    match prefix {
        "logistics" | "ship" | "change" | "signed" => "物流配送 Shipping",
        "damaged" | "missing" | "wrong" | "return" | "exchange" | "refund" | "cancel" => {
            "退换货与退款 Returns & refunds"
        }
        "invoice" | "pay" | "installment" | "price" => "发票与支付 Invoices & payment",
        "coupon" | "promo" | "points" | "membership" => "优惠与会员 Offers & membership",
        "account" | "privacy" => "账户与隐私 Account & privacy",
        _ => "商品与服务 Products & service",
    }
}

/// Parses the two demo files (both are in the crate and checked by its tests; a row that does
/// not parse is skipped rather than failing the demo).
fn demo_faqs() -> Vec<kefu_store::ImportFaq> {
    let mut similar: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in csv::Reader::from_reader(DEMO_KB_ZH.as_bytes())
        .records()
        .flatten()
    {
        if let (Some(question), Some(intent)) = (row.get(0), row.get(1)) {
            similar
                .entry(intent.to_owned())
                .or_default()
                .push(question.to_owned());
        }
    }
    let mut faqs = Vec::new();
    for row in csv::Reader::from_reader(DEMO_FAQ_ZH.as_bytes())
        .records()
        .flatten()
    {
        let (Some(intent), Some(question), Some(answer)) = (row.get(0), row.get(1), row.get(2))
        else {
            continue;
        };
        let similar_questions = similar
            .remove(intent)
            .unwrap_or_default()
            .into_iter()
            .filter(|q| q != question)
            .collect();
        faqs.push(kefu_store::ImportFaq {
            question: question.to_owned(),
            similar_questions,
            answer: answer.to_owned(),
            category_path: vec![demo_category(intent).to_owned()],
            tags: vec![intent.to_owned()],
            language: Some("zh-CN".into()),
            status: kefu_store::FaqStatus::Published,
            variants: BTreeMap::new(),
        });
    }
    for (category, question, similar_questions, answer) in ENGLISH_FAQS {
        faqs.push(kefu_store::ImportFaq {
            question: question.to_owned(),
            similar_questions: similar_questions.iter().map(|q| (*q).to_owned()).collect(),
            answer: answer.to_owned(),
            category_path: vec![category.to_owned()],
            tags: vec!["english".into()],
            language: Some("en".into()),
            status: kefu_store::FaqStatus::Published,
            variants: BTreeMap::new(),
        });
    }
    faqs
}

/// English FAQs of the demo: (category, standard question, similar questions, answer).
const ENGLISH_FAQS: [(&str, &str, &[&str], &str); 11] = [
    (
        "物流配送 Shipping",
        "Where is my order?",
        &[
            "How can I track my package?",
            "Track my parcel",
            "Where is my delivery",
            "Order tracking",
            "My package hasn't arrived yet",
        ],
        "Open **My orders** and choose the order to see its tracking details, or send us your order number and we will look it up for you.",
    ),
    (
        "物流配送 Shipping",
        "How long does shipping take?",
        &[
            "When will my order arrive?",
            "Delivery time",
            "How many days until delivery",
            "When do you ship my order",
        ],
        "Items in stock ship within 48 hours of payment and usually arrive in 3–5 days (about 7 days for remote areas).",
    ),
    (
        "物流配送 Shipping",
        "How much does shipping cost?",
        &[
            "Shipping fee",
            "Is shipping free?",
            "Delivery charges",
            "Do I have to pay for delivery",
        ],
        "Shipping is free on orders over ¥99; below that a flat ¥8 applies.",
    ),
    (
        "物流配送 Shipping",
        "How do I change my shipping address?",
        &[
            "Update my delivery address",
            "I entered the wrong address",
            "Change the address on my order",
        ],
        "Before the order ships you can change the address under **My orders → Edit address**; once it has shipped, contact us and we will ask the courier to redirect it.",
    ),
    (
        "退换货与退款 Returns & refunds",
        "How do I return an item?",
        &[
            "Return policy",
            "Can I send it back?",
            "I want to return my order",
            "How to return a product",
            "Do you accept returns",
        ],
        "You can return most items within 7 days of delivery, no reason needed: open the order, choose **Return**, and print the label we send you.",
    ),
    (
        "退换货与退款 Returns & refunds",
        "When will I get my refund?",
        &[
            "Refund status",
            "How long does a refund take?",
            "Where is my refund",
            "I haven't received my money back",
        ],
        "Refunds are issued within 1–3 business days after we receive the return, and reach your original payment method in 3–7 business days.",
    ),
    (
        "发票与支付 Invoices & payment",
        "How do I get an invoice?",
        &[
            "I need an invoice",
            "Can you send me a receipt?",
            "Download my invoice",
            "VAT invoice",
        ],
        "Electronic invoices are issued automatically after delivery; download them under **My orders → Invoice**. For a VAT invoice, add your company details before ordering.",
    ),
    (
        "发票与支付 Invoices & payment",
        "Which payment methods do you accept?",
        &[
            "Can I pay by credit card?",
            "Payment options",
            "Do you take PayPal",
            "How can I pay",
        ],
        "We accept Alipay, WeChat Pay, UnionPay and Visa/Mastercard credit cards.",
    ),
    (
        "发票与支付 Invoices & payment",
        "My payment failed, what should I do?",
        &[
            "Card declined",
            "Payment didn't go through",
            "Payment error",
            "I can't pay for my order",
        ],
        "Check your card's limit and details, or try another payment method. Unpaid orders are kept for 30 minutes, so you can retry from **My orders**.",
    ),
    (
        "账户与隐私 Account & privacy",
        "How do I reset my password?",
        &[
            "I forgot my password",
            "Can't log in",
            "Password reset",
            "Locked out of my account",
        ],
        "On the sign-in page choose **Forgot password** and follow the link we send to your phone or email.",
    ),
    (
        "账户与隐私 Account & privacy",
        "How do I delete my account?",
        &[
            "Close my account",
            "Remove my account and data",
            "Cancel my membership account",
        ],
        "Go to **Settings → Account → Delete account**. Deletion is final and takes effect after 7 days; finish open orders first.",
    ),
];
