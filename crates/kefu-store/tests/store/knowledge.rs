//! The knowledge base: FAQ CRUD with similar questions, events and revisions in the same
//! transaction, the category tree, imports that are all or nothing, the change counters the
//! matcher cache watches, and nothing reachable from another tenant.
use super::{Fixture, actor, fixture};
use kefu_store::{
    FaqFilter, FaqPatch, FaqStatus, ImportFaq, KbCategoryPatch, NewFaq, NewKbCategory,
    NewVocabularyTerm, StoreError, TenantSettings,
};
use std::collections::BTreeMap;
use uuid::Uuid;

fn faq(question: &str, similar: &[&str], answer: &str) -> NewFaq {
    NewFaq {
        question: question.into(),
        similar_questions: similar.iter().map(|s| (*s).to_owned()).collect(),
        answer: answer.into(),
        category_id: None,
        tags: vec!["物流".into()],
        language: Some("zh-CN".into()),
        status: FaqStatus::Published,
        variants: BTreeMap::from([("wechat".to_owned(), "微信里的回答".to_owned())]),
    }
}

async fn kinds(f: &Fixture, tenant_id: Uuid) -> Vec<String> {
    f.store
        .events_since(tenant_id, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| k.starts_with("kb."))
        .collect()
}

fn conflict_code(err: StoreError) -> &'static str {
    match err {
        StoreError::Conflict { code, .. } => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn faqs_are_created_read_updated_and_deleted_with_events_and_revisions() {
    let f = fixture().await;
    let t = f.tenant.id;
    let v0 = f.store.knowledge_version(t).await.unwrap();
    let created = f
        .store
        .create_faq(
            t,
            faq(
                "我的快递到哪了",
                &["物流怎么查", "包裹到哪了"],
                "在订单里看",
            ),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(created.similar_questions, ["物流怎么查", "包裹到哪了"]);
    assert_eq!(created.revision, 1);
    assert_eq!(created.variants["wechat"], "微信里的回答");
    let v1 = f.store.knowledge_version(t).await.unwrap();
    assert!(v1.content > v0.content);

    let same = f
        .store
        .create_faq(t, faq("我的快递到哪了", &[], "x"), &actor())
        .await
        .unwrap_err();
    assert_eq!(conflict_code(same), "duplicate_question");

    let updated = f
        .store
        .update_faq(
            t,
            created.id,
            FaqPatch {
                similar_questions: Some(vec!["快递到哪里了".into()]),
                status: Some(FaqStatus::Draft),
                language: Some(None),
                ..FaqPatch::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(updated.similar_questions, ["快递到哪里了"]);
    assert_eq!(updated.status, FaqStatus::Draft);
    assert_eq!(updated.language, None);
    assert_eq!(updated.answer, "在订单里看", "untouched fields stay");
    assert_eq!(updated.revision, 2);
    assert_eq!(f.store.faq(t, created.id).await.unwrap(), updated);

    // Only published FAQs reach the matcher.
    let snapshot = f.store.knowledge_snapshot(t).await.unwrap();
    assert!(snapshot.faqs.is_empty());
    assert!(snapshot.version.content > v1.content);

    f.store.delete_faq(t, created.id, &actor()).await.unwrap();
    assert!(matches!(
        f.store.faq(t, created.id).await,
        Err(StoreError::NotFound)
    ));
    let history = f
        .store
        .faq_revisions(t, created.id, None, 50)
        .await
        .unwrap()
        .items;
    let actions: Vec<_> = history.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["deleted", "updated", "created"]);
    assert_eq!(history[2].snapshot.0["question"], "我的快递到哪了");
    assert_eq!(
        kinds(&f, t).await,
        ["kb.faq_created", "kb.faq_updated", "kb.faq_deleted"]
    );
}

#[tokio::test]
async fn lists_filter_by_text_status_and_category_subtree_and_page() {
    let f = fixture().await;
    let t = f.tenant.id;
    let after_sales = f
        .store
        .create_kb_category(
            t,
            NewKbCategory {
                parent_id: None,
                name: "售后".into(),
            },
            &actor(),
        )
        .await
        .unwrap();
    let returns = f
        .store
        .create_kb_category(
            t,
            NewKbCategory {
                parent_id: Some(after_sales.id),
                name: "退换货".into(),
            },
            &actor(),
        )
        .await
        .unwrap();
    for (i, (q, similar, category)) in [
        ("怎么退货", vec!["退货流程"], Some(returns.id)),
        ("售后电话", vec![], Some(after_sales.id)),
        ("How do I pay", vec!["Payment methods"], None),
    ]
    .into_iter()
    .enumerate()
    {
        let mut new = faq(q, &similar, &format!("answer {i}"));
        new.category_id = category;
        if i == 1 {
            new.status = FaqStatus::Draft;
        }
        f.store.create_faq(t, new, &actor()).await.unwrap();
    }
    let list = |filter: FaqFilter| {
        let store = f.store.clone();
        async move {
            store
                .list_faqs(t, &filter, None, 50)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|f| f.question)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(FaqFilter {
            category_id: Some(after_sales.id),
            ..Default::default()
        })
        .await,
        ["怎么退货", "售后电话"],
        "a category lists its subcategories' FAQs too"
    );
    assert_eq!(
        list(FaqFilter {
            query: Some("PAYMENT".into()),
            ..Default::default()
        })
        .await,
        ["How do I pay"],
        "similar questions are searched, case-insensitively"
    );
    assert_eq!(
        list(FaqFilter {
            status: Some(FaqStatus::Draft),
            ..Default::default()
        })
        .await,
        ["售后电话"]
    );
    let first = f
        .store
        .list_faqs(t, &FaqFilter::default(), None, 2)
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.items[0].similar_questions, ["退货流程"]);
    let rest = f
        .store
        .list_faqs(t, &FaqFilter::default(), first.next_after, 2)
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].similar_questions, ["Payment methods"]);
    assert!(rest.next_after.is_none());

    // The tree: no cycles, no duplicate siblings, no deleting a category in use.
    let cycle = f
        .store
        .update_kb_category(
            t,
            after_sales.id,
            KbCategoryPatch {
                parent_id: Some(Some(returns.id)),
                name: None,
            },
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(cycle, StoreError::Invalid(_)), "{cycle:?}");
    let twin = f
        .store
        .create_kb_category(
            t,
            NewKbCategory {
                parent_id: None,
                name: "售后".into(),
            },
            &actor(),
        )
        .await
        .unwrap_err();
    assert_eq!(conflict_code(twin), "duplicate_category");
    let busy = f
        .store
        .delete_kb_category(t, returns.id, &actor())
        .await
        .unwrap_err();
    assert_eq!(conflict_code(busy), "category_not_empty");
}

fn import(question: &str, path: &[&str], answer: &str) -> ImportFaq {
    ImportFaq {
        question: question.into(),
        similar_questions: vec![format!("{question}?")],
        answer: answer.into(),
        category_path: path.iter().map(|s| (*s).to_owned()).collect(),
        tags: vec![],
        language: None,
        status: FaqStatus::Published,
        variants: BTreeMap::new(),
    }
}

#[tokio::test]
async fn imports_create_or_update_by_question_and_make_missing_categories() {
    let f = fixture().await;
    let t = f.tenant.id;
    f.store
        .create_faq(t, faq("怎么开发票", &[], "old"), &actor())
        .await
        .unwrap();
    let mut seen = Vec::new();
    let outcome = f
        .store
        .import_faqs(
            t,
            vec![
                import("怎么开发票", &["财务", "发票"], "new"),
                import("怎么付款", &["财务"], "pay"),
            ],
            &actor(),
            &mut |done| seen.push(done),
        )
        .await
        .unwrap();
    assert_eq!((outcome.created, outcome.updated), (1, 1));
    assert_eq!(outcome.categories_created, 2);
    assert_eq!(seen, [1, 2]);
    let all = f.store.all_faqs(t).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].answer, "new");
    assert_eq!(all[0].similar_questions, ["怎么开发票?"]);
    let categories = f.store.kb_categories(t).await.unwrap();
    let finance = categories.iter().find(|c| c.name == "财务").unwrap();
    let invoices = categories.iter().find(|c| c.name == "发票").unwrap();
    assert_eq!(invoices.parent_id, Some(finance.id));
    assert_eq!(all[0].category_id, Some(invoices.id));
    assert_eq!(all[1].category_id, Some(finance.id));
    assert!(kinds(&f, t).await.contains(&"kb.faqs_imported".to_owned()));

    // A failing write rolls the whole import back: here the tenant row is missing.
    let gone = f
        .store
        .import_faqs(
            Uuid::now_v7(),
            vec![import("q", &["c"], "a")],
            &actor(),
            &mut |_| {},
        )
        .await;
    assert!(gone.is_err(), "an unknown tenant cannot import");
}

#[tokio::test]
async fn vocabulary_and_settings_change_the_counters_and_write_events() {
    let f = fixture().await;
    let t = f.tenant.id;
    let term = f
        .store
        .create_vocabulary_term(
            t,
            NewVocabularyTerm {
                term: "快递".into(),
                synonyms: vec!["包裹".into(), "parcel".into()],
                language: None,
            },
            &actor(),
        )
        .await
        .unwrap();
    let twin = f
        .store
        .create_vocabulary_term(
            t,
            NewVocabularyTerm {
                term: "快递".into(),
                synonyms: vec![],
                language: None,
            },
            &actor(),
        )
        .await
        .unwrap_err();
    assert_eq!(conflict_code(twin), "duplicate_term");
    let v = f.store.knowledge_version(t).await.unwrap();
    f.store
        .update_vocabulary_term(
            t,
            term.id,
            NewVocabularyTerm {
                term: "快递".into(),
                synonyms: vec!["包裹".into()],
                language: Some("zh-CN".into()),
            },
            &actor(),
        )
        .await
        .unwrap();
    let v2 = f.store.knowledge_version(t).await.unwrap();
    assert_eq!(v2.content, v.content + 1);
    assert_eq!(v2.settings, v.settings);
    f.store
        .set_kb_bot_settings(t, serde_json::json!({"answer_threshold": 0.6}), &actor())
        .await
        .unwrap();
    let (stored, v3) = f.store.kb_bot_settings(t).await.unwrap();
    assert_eq!(stored.unwrap()["answer_threshold"], 0.6);
    assert_eq!((v3.content, v3.settings), (v2.content, v2.settings + 1));
    let snapshot = f.store.knowledge_snapshot(t).await.unwrap();
    assert_eq!(snapshot.vocabulary[0].synonyms, ["包裹"]);
    f.store
        .delete_vocabulary_term(t, term.id, &actor())
        .await
        .unwrap();
    assert!(f.store.kb_vocabulary(t).await.unwrap().is_empty());
    assert_eq!(
        kinds(&f, t).await,
        [
            "kb.vocabulary_changed",
            "kb.vocabulary_changed",
            "kb.settings_changed",
            "kb.vocabulary_changed"
        ]
    );
}

#[tokio::test]
async fn another_tenant_sees_and_touches_no_knowledge() {
    let f = fixture().await;
    let t = f.tenant.id;
    let other = f
        .store
        .create_tenant("other", "Other", &TenantSettings::default(), &actor())
        .await
        .unwrap()
        .id;
    let category = f
        .store
        .create_kb_category(
            t,
            NewKbCategory {
                parent_id: None,
                name: "售后".into(),
            },
            &actor(),
        )
        .await
        .unwrap();
    let mut new = faq("怎么退货", &["退货流程"], "a");
    new.category_id = Some(category.id);
    let secret = f.store.create_faq(t, new, &actor()).await.unwrap();

    assert!(matches!(
        f.store.faq(other, secret.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store
            .update_faq(other, secret.id, FaqPatch::default(), &actor())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store.delete_faq(other, secret.id, &actor()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store.faq_revisions(other, secret.id, None, 10).await,
        Err(StoreError::NotFound)
    ));
    let mut borrowed = faq("别人的分类", &[], "a");
    borrowed.category_id = Some(category.id);
    assert!(matches!(
        f.store.create_faq(other, borrowed, &actor()).await,
        Err(StoreError::Invalid(_))
    ));
    // The same question is free in another tenant.
    f.store
        .create_faq(other, faq("怎么退货", &[], "b"), &actor())
        .await
        .unwrap();
    assert_eq!(
        f.store.knowledge_snapshot(other).await.unwrap().faqs.len(),
        1
    );
    assert!(f.store.kb_categories(other).await.unwrap().is_empty());
    assert_eq!(f.store.faq(t, secret.id).await.unwrap(), secret);
}
