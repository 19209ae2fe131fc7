use super::{actor, fixture};
use kefu_core::IdentityKind;
use kefu_store::{CustomerFilter, CustomerPatch, NewCustomer, NewIdentity, StoreError};

fn customer(name: &str, identities: &[(IdentityKind, &str)]) -> NewCustomer {
    NewCustomer {
        name: name.into(),
        company: None,
        tier: "normal".into(),
        tags: vec!["new".into()],
        attributes: serde_json::Map::from_iter([("city".to_string(), serde_json::json!("上海"))]),
        identities: identities
            .iter()
            .map(|(kind, value)| NewIdentity {
                kind: *kind,
                value: (*value).into(),
            })
            .collect(),
    }
}

#[tokio::test]
async fn one_customer_is_found_by_every_identity() {
    let f = fixture().await;
    let c = f
        .store
        .create_customer(
            f.tenant.id,
            customer(
                "王芳",
                &[
                    (IdentityKind::Phone, "+8613800000001"),
                    (IdentityKind::WechatOpenid, "o_abc"),
                    (IdentityKind::Email, "wf@x.cn"),
                ],
            ),
            &actor(),
        )
        .await
        .unwrap();
    for (kind, value) in [
        (IdentityKind::Phone, "+8613800000001"),
        (IdentityKind::WechatOpenid, "o_abc"),
        (IdentityKind::Email, "wf@x.cn"),
    ] {
        assert_eq!(
            f.store
                .customer_by_identity(f.tenant.id, kind, value)
                .await
                .unwrap()
                .id,
            c.id
        );
    }
    assert!(matches!(
        f.store
            .customer_by_identity(f.tenant.id, IdentityKind::Phone, "+1")
            .await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn a_taken_identity_is_a_conflict_and_writes_nothing() {
    let f = fixture().await;
    let first = f
        .store
        .create_customer(
            f.tenant.id,
            customer("A", &[(IdentityKind::Phone, "123456")]),
            &actor(),
        )
        .await
        .unwrap();
    let err = f
        .store
        .create_customer(
            f.tenant.id,
            customer(
                "B",
                &[
                    (IdentityKind::Email, "b@x.io"),
                    (IdentityKind::Phone, "123456"),
                ],
            ),
            &actor(),
        )
        .await
        .unwrap_err();
    match err {
        StoreError::Conflict { code, details, .. } => {
            assert_eq!(code, "identity_taken");
            assert_eq!(details["customer_id"], first.id.to_string());
        }
        other => panic!("{other:?}"),
    }
    // The transaction rolled back: B's email identity was not kept either.
    assert!(
        f.store
            .customer_by_identity(f.tenant.id, IdentityKind::Email, "b@x.io")
            .await
            .is_err()
    );
    let all = f
        .store
        .list_customers(f.tenant.id, &CustomerFilter::default(), None, 50)
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
}

#[tokio::test]
async fn search_by_name_identity_tag_and_tier() {
    let f = fixture().await;
    let a = f
        .store
        .create_customer(
            f.tenant.id,
            customer("Zhang Wei", &[(IdentityKind::Email, "zw@shop.cn")]),
            &actor(),
        )
        .await
        .unwrap();
    let b = f
        .store
        .create_customer(
            f.tenant.id,
            customer("李娜", &[(IdentityKind::Phone, "13900000000")]),
            &actor(),
        )
        .await
        .unwrap();
    f.store
        .update_customer(
            f.tenant.id,
            b.id,
            CustomerPatch {
                tier: Some("vip".into()),
                tags: Some(vec!["50%_off".into()]),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    let q = |query: &str| CustomerFilter {
        query: Some(query.into()),
        ..Default::default()
    };
    assert_eq!(
        f.store
            .list_customers(f.tenant.id, &q("zhang"), None, 10)
            .await
            .unwrap()
            .items[0]
            .id,
        a.id
    );
    assert_eq!(
        f.store
            .list_customers(f.tenant.id, &q("李"), None, 10)
            .await
            .unwrap()
            .items[0]
            .id,
        b.id
    );
    assert_eq!(
        f.store
            .list_customers(f.tenant.id, &q("1390000"), None, 10)
            .await
            .unwrap()
            .items[0]
            .id,
        b.id
    );
    // Wildcards in the query match literally.
    assert!(
        f.store
            .list_customers(f.tenant.id, &q("%"), None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let vip = CustomerFilter {
        tier: Some("vip".into()),
        ..Default::default()
    };
    assert_eq!(
        f.store
            .list_customers(f.tenant.id, &vip, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let tag = CustomerFilter {
        tag: Some("50%_off".into()),
        ..Default::default()
    };
    assert_eq!(
        f.store
            .list_customers(f.tenant.id, &tag, None, 10)
            .await
            .unwrap()
            .items[0]
            .id,
        b.id
    );
    let tag_prefix = CustomerFilter {
        tag: Some("50".into()),
        ..Default::default()
    };
    assert!(
        f.store
            .list_customers(f.tenant.id, &tag_prefix, None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn merge_keeps_every_identity_and_all_history() {
    let f = fixture().await;
    let web = f
        .store
        .create_customer(
            f.tenant.id,
            customer("Visitor 42", &[(IdentityKind::WebVisitorId, "v-42")]),
            &actor(),
        )
        .await
        .unwrap();
    let phone = f
        .store
        .create_customer(
            f.tenant.id,
            customer("陈先生", &[(IdentityKind::Phone, "13700000000")]),
            &actor(),
        )
        .await
        .unwrap();
    f.store
        .update_customer(
            f.tenant.id,
            web.id,
            CustomerPatch {
                tags: Some(vec!["browsing".into()]),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    let merged = f
        .store
        .merge_customers(f.tenant.id, phone.id, web.id, "gold", &actor())
        .await
        .unwrap();
    let kinds: Vec<_> = merged.identities.iter().map(|i| i.kind).collect();
    assert!(kinds.contains(&IdentityKind::Phone) && kinds.contains(&IdentityKind::WebVisitorId));
    assert_eq!(merged.tier, "gold");
    assert!(
        merged.tags.contains(&"browsing".to_string()) && merged.tags.contains(&"new".to_string())
    );
    assert_eq!(
        f.store
            .customer_by_identity(f.tenant.id, IdentityKind::WebVisitorId, "v-42")
            .await
            .unwrap()
            .id,
        phone.id
    );
    let source = f.store.customer(f.tenant.id, web.id).await.unwrap();
    assert_eq!(source.merged_into, Some(phone.id));
    let listed = f
        .store
        .list_customers(f.tenant.id, &CustomerFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    let history = f
        .store
        .customer_history(f.tenant.id, phone.id, 100)
        .await
        .unwrap();
    let kinds: Vec<_> = history
        .iter()
        .map(|e| (e.kind.as_str(), e.entity_id))
        .collect();
    assert!(
        kinds.contains(&("customer.updated", Some(web.id))),
        "source history kept: {kinds:?}"
    );
    assert!(kinds.contains(&("customer.created", Some(web.id))));
    assert!(kinds.contains(&("customer.merged", Some(phone.id))));
    let again = f
        .store
        .merge_customers(f.tenant.id, phone.id, web.id, "gold", &actor())
        .await
        .unwrap_err();
    assert!(matches!(
        again,
        StoreError::Conflict {
            code: "customer_merged",
            ..
        }
    ));
    assert!(matches!(
        f.store
            .merge_customers(f.tenant.id, phone.id, phone.id, "gold", &actor())
            .await,
        Err(StoreError::Invalid(_))
    ));
}

#[tokio::test]
async fn identities_can_be_added_and_removed() {
    let f = fixture().await;
    let c = f
        .store
        .create_customer(f.tenant.id, customer("A", &[]), &actor())
        .await
        .unwrap();
    let with = f
        .store
        .add_identity(
            f.tenant.id,
            c.id,
            NewIdentity {
                kind: IdentityKind::AppUserId,
                value: "u1".into(),
            },
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(with.identities.len(), 1);
    let without = f
        .store
        .remove_identity(f.tenant.id, c.id, with.identities[0].id, &actor())
        .await
        .unwrap();
    assert!(without.identities.is_empty());
    f.store
        .delete_customer(f.tenant.id, c.id, &actor())
        .await
        .unwrap();
    assert!(matches!(
        f.store.customer(f.tenant.id, c.id).await,
        Err(StoreError::NotFound)
    ));
}
