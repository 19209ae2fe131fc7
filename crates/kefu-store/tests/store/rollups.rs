use super::fixture;
use kefu_store::{Actor, RollupCursor, RollupRow, StoreError, TenantSettings};

fn row(slot_ms: i64, dimension: &str, key: &str, sums: &[u8]) -> RollupRow {
    RollupRow {
        level: 0,
        slot_ms,
        dimension: dimension.into(),
        dimension_key: key.into(),
        sums: sums.to_vec(),
    }
}

fn cursor(seq: i64, contacts: i64) -> RollupCursor {
    RollupCursor {
        seq,
        contacts,
        report_state: vec![1, 2],
        state: vec![3],
    }
}

#[tokio::test]
async fn rows_and_cursor_move_together_and_a_stale_cursor_is_refused() {
    let f = fixture().await;
    let t = f.tenant.id;
    assert_eq!(f.store.rollup_cursor(t).await.unwrap(), None);
    f.store
        .save_rollups(
            t,
            0,
            &cursor(10, 2),
            &[
                row(0, "tenant", "", &[1]),
                row(900_000, "queue", "q1", &[2]),
            ],
        )
        .await
        .unwrap();
    assert_eq!(f.store.rollup_cursor(t).await.unwrap(), Some(cursor(10, 2)));
    // A second maintainer that still believes the cursor is at 0 must not write anything.
    let err = f
        .store
        .save_rollups(t, 0, &cursor(11, 9), &[row(0, "tenant", "", &[9])])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Conflict {
                code: "rollup_cursor_moved",
                ..
            }
        ),
        "{err:?}"
    );
    let snapshot = f.store.read_rollups(t, 0, 0, 1_800_000).await.unwrap();
    assert_eq!(snapshot.seq, 10);
    assert_eq!(snapshot.contacts, 2);
    assert_eq!(snapshot.report_state, vec![1, 2]);
    assert_eq!(snapshot.rows.len(), 2);
    // Replace one row, delete the other (empty sums), and read by key.
    f.store
        .save_rollups(
            t,
            10,
            &cursor(12, 3),
            &[
                row(0, "tenant", "", &[7, 7]),
                row(900_000, "queue", "q1", &[]),
            ],
        )
        .await
        .unwrap();
    let rows = f
        .store
        .rollup_rows(t, &[(0, 0, "tenant", ""), (0, 900_000, "queue", "q1")])
        .await
        .unwrap();
    assert_eq!(rows, vec![row(0, "tenant", "", &[7, 7])]);
    // Levels are apart.
    assert!(
        f.store
            .read_rollups(t, 1, 0, 1_800_000)
            .await
            .unwrap()
            .rows
            .is_empty()
    );
    // The window is half-open.
    assert!(
        f.store
            .read_rollups(t, 0, 900_000, 1_800_000)
            .await
            .unwrap()
            .rows
            .is_empty()
    );
}

#[tokio::test]
async fn tenants_do_not_see_each_others_rollups_and_clear_forgets_one() {
    let f = fixture().await;
    let other = f
        .store
        .create_tenant(
            "other",
            "Other",
            &TenantSettings::default(),
            &Actor::system(),
        )
        .await
        .unwrap();
    f.store
        .save_rollups(f.tenant.id, 0, &cursor(5, 1), &[row(0, "tenant", "", &[1])])
        .await
        .unwrap();
    f.store
        .save_rollups(other.id, 0, &cursor(8, 4), &[row(0, "tenant", "", &[4])])
        .await
        .unwrap();
    let mine = f
        .store
        .read_rollups(f.tenant.id, 0, 0, 900_000)
        .await
        .unwrap();
    assert_eq!((mine.seq, mine.rows[0].sums.clone()), (5, vec![1]));
    f.store.clear_rollups(f.tenant.id).await.unwrap();
    let mine = f
        .store
        .read_rollups(f.tenant.id, 0, 0, 900_000)
        .await
        .unwrap();
    assert_eq!((mine.seq, mine.rows.len()), (0, 0));
    let theirs = f.store.read_rollups(other.id, 0, 0, 900_000).await.unwrap();
    assert_eq!((theirs.seq, theirs.rows.len()), (8, 1));
}
