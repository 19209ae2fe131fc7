//! The demo tenant's help articles, Chinese and English, filed under the demo FAQs'
//! categories, so the public help center (/help/demo) and the knowledge search have content.
//! Created once, when the demo tenant has no article yet.

use kefu_store::{Actor, ArticleFilter, ArticleStatus, NewArticle, Store, StoreError};
use uuid::Uuid;

/// (category name as the FAQ import made it, language, title, tags, Markdown body, published)
type DemoArticle = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    bool,
);

const ARTICLES: [DemoArticle; 7] = [
    (
        "退换货与退款 Returns & refunds",
        "zh-CN",
        "如何申请退货退款",
        &["退货", "退款", "售后"],
        "签收后 **7 天内**，商品不影响二次销售的，都可以申请无理由退货。\n\n## 操作步骤\n\n1. 打开「我的订单」，找到要退的商品\n2. 点击「申请售后」，选择「退货退款」\n3. 填写原因并上传照片，提交申请\n4. 审核通过后，按页面上的地址寄回商品，并填写快递单号\n\n## 退款多久到账\n\n仓库签收并验货后 1–3 个工作日内原路退款。银行卡一般再需 3–7 个工作日到账。\n\n更多规则见 [售后政策](https://example.com/after-sales)。",
        true,
    ),
    (
        "物流配送 Shipping",
        "zh-CN",
        "发货时间与物流查询",
        &["物流", "快递", "发货"],
        "现货商品在付款后 **48 小时内**发货，预售商品以商品页写明的时间为准。\n\n## 查询物流\n\n- 在「我的订单」中点击「查看物流」\n- 或复制快递单号到快递公司官网查询\n\n如果物流信息超过 3 天没有更新，请联系在线客服，我们会帮您催件。",
        true,
    ),
    (
        "发票与支付 Invoices & payment",
        "zh-CN",
        "如何开具电子发票",
        &["发票"],
        "订单确认收货后，可以在「订单详情 → 申请开票」中开具电子发票。\n\n- 个人发票：填写抬头即可\n- 企业发票：需填写公司名称和税号\n\n电子发票会在 1 个工作日内发送到您的邮箱，与纸质发票具有同等效力。",
        true,
    ),
    (
        "退换货与退款 Returns & refunds",
        "en",
        "How to return an item",
        &["returns", "refunds"],
        "You can return most items within **7 days** of delivery.\n\n## Steps\n\n1. Open *My orders* and pick the item\n2. Choose *Request after-sales service* → *Return and refund*\n3. Tell us why and add a photo\n4. Once approved, ship the item to the address shown and enter the tracking number\n\nRefunds go back to the original payment method within 1–3 working days after the warehouse checks the parcel.",
        true,
    ),
    (
        "物流配送 Shipping",
        "en",
        "Delivery times and tracking your parcel",
        &["shipping", "delivery"],
        "Items in stock ship within **48 hours** of payment.\n\n- Track a parcel under *My orders → Track shipment*\n- No update for three days? Chat with us and we will chase the courier.",
        true,
    ),
    (
        "账户与隐私 Account & privacy",
        "en",
        "Resetting your password",
        &["account"],
        "On the sign-in page choose *Forgot password*, enter your phone number or email, and follow the code we send you. Codes expire after 10 minutes.\n\nWe never ask for your password in chat or by phone.",
        true,
    ),
    (
        "优惠与会员 Offers & membership",
        "zh-CN",
        "双十一活动规则（草稿）",
        &["活动"],
        "活动规则仍在确认中，发布前请勿对外透露。",
        false,
    ),
];

/// Creates the demo articles unless the tenant already has some.
pub async fn demo_articles(store: &Store, tenant_id: Uuid) -> Result<(), StoreError> {
    let any = store
        .list_articles(tenant_id, &ArticleFilter::default(), None, 1)
        .await?;
    if !any.items.is_empty() {
        return Ok(());
    }
    let categories = store.kb_categories(tenant_id).await?;
    let system = Actor::system();
    for (category, language, title, tags, body, published) in ARTICLES {
        let category_id = categories
            .iter()
            .find(|c| c.parent_id.is_none() && c.name == category)
            .map(|c| c.id);
        store
            .create_article(
                tenant_id,
                NewArticle {
                    title: title.into(),
                    body: body.into(),
                    category_id,
                    tags: tags.iter().map(|t| (*t).to_owned()).collect(),
                    language: language.into(),
                    status: if published {
                        ArticleStatus::Published
                    } else {
                        ArticleStatus::Draft
                    },
                },
                &system,
            )
            .await?;
    }
    Ok(())
}
