//! Rows of one tenant are invisible and untouchable from another.
use super::{actor, fixture};
use kefu_core::{AgentProfile, IdentityKind, Role};
use kefu_store::{
    CustomerPatch, NewCustomer, NewGroup, NewIdentity, NewUser, StoreError, TenantSettings,
    UserPatch,
};

#[tokio::test]
async fn another_tenant_sees_and_touches_nothing() {
    let f = fixture().await;
    let other = f
        .store
        .create_tenant("other", "Other", &TenantSettings::default(), &actor())
        .await
        .unwrap();
    let user = f
        .store
        .create_user(
            f.tenant.id,
            NewUser {
                email: "a@x.io".into(),
                display_name: "A".into(),
                role: Role::Agent,
                password_hash: None,
                profile: AgentProfile::default(),
                group_ids: vec![],
            },
            &actor(),
        )
        .await
        .unwrap();
    let group = f
        .store
        .create_group(
            f.tenant.id,
            NewGroup {
                name: "g".into(),
                description: String::new(),
                member_ids: vec![user.id],
            },
            &actor(),
        )
        .await
        .unwrap();
    let customer = f
        .store
        .create_customer(
            f.tenant.id,
            NewCustomer {
                name: "C".into(),
                company: None,
                tier: "normal".into(),
                tags: vec![],
                attributes: Default::default(),
                identities: vec![NewIdentity {
                    kind: IdentityKind::Phone,
                    value: "55555".into(),
                }],
            },
            &actor(),
        )
        .await
        .unwrap();

    assert!(matches!(
        f.store.user(other.id, user.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store
            .update_user(other.id, user.id, UserPatch::default(), &actor())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store.group(other.id, group.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store.delete_group(other.id, group.id, &actor()).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store.customer(other.id, customer.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store
            .update_customer(other.id, customer.id, CustomerPatch::default(), &actor())
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store
            .customer_by_identity(other.id, IdentityKind::Phone, "55555")
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store.customer_history(other.id, customer.id, 10).await,
        Err(StoreError::NotFound)
    ));
    // The same identity value is free in another tenant.
    f.store
        .create_customer(
            other.id,
            NewCustomer {
                name: "C2".into(),
                company: None,
                tier: "normal".into(),
                tags: vec![],
                attributes: Default::default(),
                identities: vec![NewIdentity {
                    kind: IdentityKind::Phone,
                    value: "55555".into(),
                }],
            },
            &actor(),
        )
        .await
        .unwrap();
    // A group of the other tenant cannot take this tenant's user as a member.
    let err = f
        .store
        .create_group(
            other.id,
            NewGroup {
                name: "g".into(),
                description: String::new(),
                member_ids: vec![user.id],
            },
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    assert!(
        f.store
            .list_users(other.id, &Default::default(), None, 50)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        f.store
            .list_audit(other.id, Some(user.id), None, 50)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn tenant_slug_is_unique_and_settings_update() {
    let f = fixture().await;
    let dup = f
        .store
        .create_tenant("acme", "Again", &TenantSettings::default(), &actor())
        .await
        .unwrap_err();
    assert!(matches!(
        dup,
        StoreError::Conflict {
            code: "slug_taken",
            ..
        }
    ));
    let settings = TenantSettings {
        timezone: "Asia/Shanghai".into(),
        ..Default::default()
    };
    let updated = f
        .store
        .update_tenant(f.tenant.id, Some("Acme 中国"), Some(&settings), &actor())
        .await
        .unwrap();
    assert_eq!(updated.settings.timezone, "Asia/Shanghai");
    assert_eq!(
        f.store.tenant_by_slug("acme").await.unwrap().unwrap().name,
        "Acme 中国"
    );
}
