use super::{actor, fixture};
use kefu_core::{AgentProfile, Channel, Presence, PresenceState, Role, SkillLevel};
use kefu_store::{NewGroup, NewUser, StoreError, UserFilter, UserPatch};

fn user(email: &str, role: Role, skills: &[(&str, u8)]) -> NewUser {
    NewUser {
        email: email.into(),
        display_name: format!("User {email}"),
        role,
        password_hash: Some("hash".into()),
        profile: AgentProfile {
            languages: vec!["zh-CN".into()],
            skills: skills
                .iter()
                .map(|(s, p)| SkillLevel {
                    skill: (*s).into(),
                    proficiency: *p,
                })
                .collect(),
            capacities: AgentProfile::default_capacities(),
            auto_accept: false,
        },
        group_ids: vec![],
    }
}

#[tokio::test]
async fn agents_keep_skills_groups_and_capacities() {
    let f = fixture().await;
    let group = f
        .store
        .create_group(
            f.tenant.id,
            NewGroup {
                name: "售后".into(),
                description: "after-sales".into(),
                member_ids: vec![],
            },
            &actor(),
        )
        .await
        .unwrap();
    let mut new = user("li@x.io", Role::Agent, &[("billing", 4), ("returns", 2)]);
    new.group_ids = vec![group.id];
    let created = f
        .store
        .create_user(f.tenant.id, new, &actor())
        .await
        .unwrap();
    let loaded = f.store.user(f.tenant.id, created.id).await.unwrap();
    assert_eq!(loaded.skills.len(), 2);
    assert_eq!(
        loaded.skills[0],
        SkillLevel {
            skill: "billing".into(),
            proficiency: 4
        }
    );
    assert_eq!(loaded.group_ids, vec![group.id]);
    assert_eq!(loaded.capacities.get(&Channel::Chat), Some(&5));
    assert_eq!(loaded.presence, PresenceState::Offline);
    assert_eq!(
        f.store
            .group(f.tenant.id, group.id)
            .await
            .unwrap()
            .member_ids,
        vec![created.id]
    );
}

#[tokio::test]
async fn list_filters_and_paginates() {
    let f = fixture().await;
    for i in 0..5 {
        f.store
            .create_user(
                f.tenant.id,
                user(&format!("a{i}@x.io"), Role::Agent, &[("chat", 3)]),
                &actor(),
            )
            .await
            .unwrap();
    }
    f.store
        .create_user(
            f.tenant.id,
            user("boss@x.io", Role::Supervisor, &[]),
            &actor(),
        )
        .await
        .unwrap();
    let agents = UserFilter {
        role: Some(Role::Agent),
        ..Default::default()
    };
    let first = f
        .store
        .list_users(f.tenant.id, &agents, None, 2)
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    let second = f
        .store
        .list_users(f.tenant.id, &agents, first.next_after, 2)
        .await
        .unwrap();
    let third = f
        .store
        .list_users(f.tenant.id, &agents, second.next_after, 2)
        .await
        .unwrap();
    assert_eq!(third.items.len(), 1);
    assert!(third.next_after.is_none());
    let mut all: Vec<_> = [first.items, second.items, third.items]
        .concat()
        .into_iter()
        .map(|u| u.email)
        .collect();
    all.dedup();
    assert_eq!(all.len(), 5);
    let by_skill = f
        .store
        .list_users(
            f.tenant.id,
            &UserFilter {
                skill: Some("chat".into()),
                ..Default::default()
            },
            None,
            50,
        )
        .await
        .unwrap();
    assert_eq!(by_skill.items.len(), 5);
    let by_query = f
        .store
        .list_users(
            f.tenant.id,
            &UserFilter {
                query: Some("BOSS".into()),
                ..Default::default()
            },
            None,
            50,
        )
        .await
        .unwrap();
    assert_eq!(by_query.items.len(), 1);
}

#[tokio::test]
async fn deactivation_revokes_sessions_and_hides_the_user() {
    let f = fixture().await;
    let u = f
        .store
        .create_user(f.tenant.id, user("a@x.io", Role::Agent, &[]), &actor())
        .await
        .unwrap();
    let expires = chrono::Utc::now() + chrono::Duration::hours(1);
    f.store
        .create_session(f.tenant.id, u.id, "h1", expires, None)
        .await
        .unwrap();
    assert!(
        f.store
            .session_principal("h1", chrono::Utc::now())
            .await
            .unwrap()
            .is_some()
    );
    f.store
        .update_user(
            f.tenant.id,
            u.id,
            UserPatch {
                active: Some(false),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    assert!(
        f.store
            .session_principal("h1", chrono::Utc::now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(f.store.login_candidates("a@x.io").await.unwrap().is_empty());
    let listed = f
        .store
        .list_users(f.tenant.id, &UserFilter::default(), None, 50)
        .await
        .unwrap();
    assert!(listed.items.is_empty());
}

#[tokio::test]
async fn presence_changes_are_events_not_audit_entries() {
    let f = fixture().await;
    let u = f
        .store
        .create_user(f.tenant.id, user("a@x.io", Role::Agent, &[]), &actor())
        .await
        .unwrap();
    let audit_before = f
        .store
        .list_audit(f.tenant.id, None, None, 100)
        .await
        .unwrap()
        .items
        .len();
    let away = Presence {
        state: PresenceState::Away,
        reason: Some("lunch".into()),
    };
    let updated = f
        .store
        .set_presence(f.tenant.id, u.id, &away, &actor())
        .await
        .unwrap();
    assert_eq!(updated.presence, PresenceState::Away);
    assert_eq!(updated.away_reason.as_deref(), Some("lunch"));
    let last = f
        .store
        .events_since(f.tenant.id, 0, 100)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(last.kind, "agent.presence_changed");
    assert_eq!(
        f.store
            .list_audit(f.tenant.id, None, None, 100)
            .await
            .unwrap()
            .items
            .len(),
        audit_before
    );
}

#[tokio::test]
async fn admin_changes_are_audited_with_before_and_after() {
    let f = fixture().await;
    let u = f
        .store
        .create_user(f.tenant.id, user("a@x.io", Role::Agent, &[]), &actor())
        .await
        .unwrap();
    f.store
        .update_user(
            f.tenant.id,
            u.id,
            UserPatch {
                role: Some(Role::Supervisor),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    let audit = f
        .store
        .list_audit(f.tenant.id, Some(u.id), None, 100)
        .await
        .unwrap()
        .items;
    assert_eq!(audit.len(), 2);
    let change = &audit[1];
    assert_eq!(change.action, "user.updated");
    assert_eq!(change.before_state.as_ref().unwrap().0["role"], "agent");
    assert_eq!(change.after_state.as_ref().unwrap().0["role"], "supervisor");
    assert!(
        change
            .after_state
            .as_ref()
            .unwrap()
            .0
            .get("password_hash")
            .is_none()
    );
}

#[tokio::test]
async fn unknown_group_is_rejected_and_nothing_is_written() {
    let f = fixture().await;
    let mut new = user("a@x.io", Role::Agent, &[]);
    new.group_ids = vec![uuid::Uuid::now_v7()];
    let err = f
        .store
        .create_user(f.tenant.id, new, &actor())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(e) if e.primary_code() == "unknown_group"),
        "{err:?}"
    );
    assert!(f.store.login_candidates("a@x.io").await.unwrap().is_empty());
}

#[tokio::test]
async fn groups_crud_and_name_conflict() {
    let f = fixture().await;
    let g = f
        .store
        .create_group(
            f.tenant.id,
            NewGroup {
                name: "售前".into(),
                description: String::new(),
                member_ids: vec![],
            },
            &actor(),
        )
        .await
        .unwrap();
    let dup = f
        .store
        .create_group(
            f.tenant.id,
            NewGroup {
                name: "售前".into(),
                description: String::new(),
                member_ids: vec![],
            },
            &actor(),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        dup,
        StoreError::Conflict {
            code: "name_taken",
            ..
        }
    ));
    let renamed = f
        .store
        .update_group(
            f.tenant.id,
            g.id,
            kefu_store::GroupPatch {
                name: Some("Pre-sales".into()),
                ..Default::default()
            },
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Pre-sales");
    f.store
        .delete_group(f.tenant.id, g.id, &actor())
        .await
        .unwrap();
    assert!(matches!(
        f.store.group(f.tenant.id, g.id).await,
        Err(StoreError::NotFound)
    ));
}
