//! Report rollups: opaque per-slot, per-dimension sums and the cursor of the maintainer that
//! keeps them, saved together in one transaction so a crash never counts an event twice.

use crate::sql::Conn;
use crate::{Pool, Store, StoreError};
use chrono::Utc;
use uuid::Uuid;

/// The sums of one slot and dimension value. Saving a row with empty `sums` deletes it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RollupRow {
    /// 0: 15-minute slots; 1: days (the server decides what a level means).
    pub level: i16,
    /// Start of the slot, Unix milliseconds.
    pub slot_ms: i64,
    pub dimension: String,
    pub dimension_key: String,
    pub sums: Vec<u8>,
}

/// Where the maintainer stands in the tenant's event log.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct RollupCursor {
    /// The last event folded into the rollups.
    pub seq: i64,
    /// Contacts counted in all slots together.
    pub contacts: i64,
    /// What reports need besides the rows (the server's encoding: running presence, zone).
    pub report_state: Vec<u8>,
    /// The rest of the maintainer's state, read on restart only.
    pub state: Vec<u8>,
}

/// A consistent view for a report: the cursor and the rows of the asked slots, read in one
/// snapshot, so the rows are exactly those of the cursor's `seq`.
#[derive(Debug, Clone, Default)]
pub struct RollupSnapshot {
    pub seq: i64,
    pub contacts: i64,
    pub report_state: Vec<u8>,
    pub rows: Vec<RollupRow>,
}

#[derive(sqlx::FromRow)]
struct CursorHead {
    seq: i64,
    contacts: i64,
    report_state: Vec<u8>,
}

const SELECT_ROWS: &str =
    "SELECT level, slot_ms, dimension, dimension_key, sums FROM report_rollups
     WHERE tenant_id = $1 AND level = $2 AND slot_ms >= $3 AND slot_ms < $4";

impl Store {
    /// The maintainer's saved cursor and state; `None` before its first save.
    pub async fn rollup_cursor(&self, tenant_id: Uuid) -> Result<Option<RollupCursor>, StoreError> {
        let mut read = self.read().await?;
        Ok(sql_optional!(
            RollupCursor,
            read.conn(),
            "SELECT seq, contacts, report_state, state FROM report_rollup_cursors WHERE tenant_id = $1",
            tenant_id
        )?)
    }

    /// The stored rows of the given slots and dimension values (those never saved are absent).
    pub async fn rollup_rows(
        &self,
        tenant_id: Uuid,
        keys: &[(i16, i64, &str, &str)],
    ) -> Result<Vec<RollupRow>, StoreError> {
        let mut read = self.read().await?;
        let mut rows = Vec::with_capacity(keys.len());
        // One indexed lookup per key keeps the SQL the same on both backends; the maintainer
        // asks only for the rows one batch of events touched.
        for (level, slot_ms, dimension, key) in keys {
            rows.extend(sql_optional!(
                RollupRow,
                read.conn(),
                "SELECT level, slot_ms, dimension, dimension_key, sums FROM report_rollups
                 WHERE tenant_id = $1 AND level = $2 AND slot_ms = $3 AND dimension = $4
                   AND dimension_key = $5",
                tenant_id,
                *level,
                *slot_ms,
                *dimension,
                *key
            )?);
        }
        Ok(rows)
    }

    /// Writes rows (replacing, or deleting those with empty sums) and moves the cursor from
    /// `expected_seq` to `cursor.seq`, all in one transaction. A cursor that is not at
    /// `expected_seq` (0: never saved) means another maintainer moved it: `Conflict`, and
    /// nothing is written.
    pub async fn save_rollups(
        &self,
        tenant_id: Uuid,
        expected_seq: i64,
        cursor: &RollupCursor,
        rows: &[RollupRow],
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let current = sql_scalar_optional!(
            i64,
            tx.conn(),
            "SELECT seq FROM report_rollup_cursors WHERE tenant_id = $1",
            tenant_id
        )?
        .unwrap_or(0);
        if current != expected_seq {
            return Err(StoreError::conflict(
                "rollup_cursor_moved",
                "the report rollups were updated by someone else",
                serde_json::json!({ "expected_seq": expected_seq, "seq": current }),
            ));
        }
        for row in rows {
            write_row(tx.conn(), tenant_id, row).await?;
        }
        sql_execute!(
            tx.conn(),
            "INSERT INTO report_rollup_cursors (tenant_id, seq, contacts, report_state, state, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, contacts = excluded.contacts,
                 report_state = excluded.report_state, state = excluded.state, updated_at = excluded.updated_at",
            tenant_id,
            cursor.seq,
            cursor.contacts,
            &cursor.report_state,
            &cursor.state,
            Utc::now()
        )?;
        tx.commit().await
    }

    /// The cursor and the rows of one level's slots `[from_ms, to_ms)`, from one snapshot of
    /// the database.
    pub async fn read_rollups(
        &self,
        tenant_id: Uuid,
        level: i16,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<RollupSnapshot, StoreError> {
        let (head, rows) = match &self.pool {
            Pool::Sqlite(pool) => {
                // A read transaction in WAL mode sees one snapshot from its first read on.
                let mut tx = pool.begin().await?;
                let head = sqlx::query_as::<_, CursorHead>(SELECT_HEAD)
                    .bind(tenant_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let rows = sqlx::query_as::<_, RollupRow>(SELECT_ROWS)
                    .bind(tenant_id)
                    .bind(level)
                    .bind(from_ms)
                    .bind(to_ms)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                (head, rows)
            }
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .execute(&mut *tx)
                    .await?;
                let head = sqlx::query_as::<_, CursorHead>(SELECT_HEAD)
                    .bind(tenant_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let rows = sqlx::query_as::<_, RollupRow>(SELECT_ROWS)
                    .bind(tenant_id)
                    .bind(level)
                    .bind(from_ms)
                    .bind(to_ms)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                (head, rows)
            }
        };
        let head = head.unwrap_or(CursorHead {
            seq: 0,
            contacts: 0,
            report_state: Vec::new(),
        });
        Ok(RollupSnapshot {
            seq: head.seq,
            contacts: head.contacts,
            report_state: head.report_state,
            rows,
        })
    }

    /// Forgets the tenant's rollups and cursor, so the maintainer rebuilds them from the log.
    pub async fn clear_rollups(&self, tenant_id: Uuid) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sql_execute!(
            tx.conn(),
            "DELETE FROM report_rollups WHERE tenant_id = $1",
            tenant_id
        )?;
        sql_execute!(
            tx.conn(),
            "DELETE FROM report_rollup_cursors WHERE tenant_id = $1",
            tenant_id
        )?;
        tx.commit().await
    }
}

const SELECT_HEAD: &str =
    "SELECT seq, contacts, report_state FROM report_rollup_cursors WHERE tenant_id = $1";

async fn write_row(conn: Conn<'_>, tenant_id: Uuid, row: &RollupRow) -> Result<(), StoreError> {
    if row.sums.is_empty() {
        sql_execute!(
            conn,
            "DELETE FROM report_rollups
             WHERE tenant_id = $1 AND level = $2 AND slot_ms = $3 AND dimension = $4
               AND dimension_key = $5",
            tenant_id,
            row.level,
            row.slot_ms,
            &row.dimension,
            &row.dimension_key
        )?;
    } else {
        sql_execute!(
            conn,
            "INSERT INTO report_rollups (tenant_id, level, slot_ms, dimension, dimension_key, sums)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, level, slot_ms, dimension, dimension_key)
             DO UPDATE SET sums = excluded.sums",
            tenant_id,
            row.level,
            row.slot_ms,
            &row.dimension,
            &row.dimension_key,
            &row.sums
        )?;
    }
    Ok(())
}
