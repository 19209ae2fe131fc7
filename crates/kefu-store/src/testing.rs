//! Fresh databases for tests. `KEFU_TEST_DATABASE_URL` picks the backend: unset or `sqlite:`
//! gives a new SQLite file per test; `postgres://…` gives a new database on that server per
//! test, dropped when the handle drops. Every suite in the workspace uses this one harness.

use crate::{Store, StoreError};
use sqlx::Connection;
use std::path::PathBuf;

pub const TEST_DATABASE_URL_VAR: &str = "KEFU_TEST_DATABASE_URL";

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteDir(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

impl TestDatabase {
    pub async fn create() -> Result<Self, StoreError> {
        let base = std::env::var(TEST_DATABASE_URL_VAR).unwrap_or_default();
        let unique = uuid::Uuid::new_v4().simple().to_string();
        if base.starts_with("postgres://") || base.starts_with("postgresql://") {
            let name = format!("kefu_test_{unique}");
            let mut admin = sqlx::PgConnection::connect(&base).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await?;
            admin.close().await?;
            Ok(TestDatabase {
                url: replace_database(&base, &name),
                cleanup: Cleanup::PostgresDatabase {
                    admin_url: base,
                    name,
                },
            })
        } else {
            let dir = std::env::temp_dir().join(format!("kefu-test-{unique}"));
            std::fs::create_dir_all(&dir).map_err(|e| StoreError::Unavailable(e.to_string()))?;
            let url = format!("sqlite://{}", dir.join("kefu.db").display());
            Ok(TestDatabase {
                url,
                cleanup: Cleanup::SqliteDir(dir),
            })
        }
    }

    /// Connects and migrates.
    pub async fn store(&self) -> Result<Store, StoreError> {
        let store = Store::connect(&self.url).await?;
        store.migrate().await?;
        Ok(store)
    }
}

/// Swaps the database name in a PostgreSQL URL, keeping user, host and query parameters.
fn replace_database(url: &str, name: &str) -> String {
    let (without_query, query) = url
        .split_once('?')
        .map_or((url, None), |(a, q)| (a, Some(q)));
    let scheme_end = without_query.find("://").map_or(0, |i| i + 3);
    let base = match without_query[scheme_end..].find('/') {
        Some(slash) => &without_query[..scheme_end + slash],
        None => without_query,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                // Drop may run inside a runtime, which cannot block: drop from a thread of our own.
                let (admin_url, sql) = (
                    admin_url.clone(),
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                );
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    runtime.block_on(async {
                        let mut admin = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(&mut admin)
                            .await
                            .ok()
                    })
                })
                .join();
                if !matches!(dropped, Ok(Some(_))) {
                    eprintln!("kefu test: could not drop test database {name}");
                }
            }
        }
    }
}

/// An event to append verbatim (tests and benchmarks of log readers build logs this way).
pub struct RawEvent {
    pub kind: String,
    pub entity_type: String,
    pub entity_id: Option<uuid::Uuid>,
    pub payload: serde_json::Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Appends events with the given times to the tenant's log in one transaction, numbered on
/// from the tenant's sequence, and signals the commit like any write. Returns the last seq.
pub async fn append_events(
    store: &Store,
    tenant_id: uuid::Uuid,
    events: &[RawEvent],
) -> Result<i64, StoreError> {
    let mut tx = store.write_for(tenant_id).await?;
    let mut last = 0;
    for event in events {
        last = sql_scalar!(
            i64,
            tx.conn(),
            "UPDATE event_sequences SET last_seq = last_seq + 1 WHERE tenant_id = $1 RETURNING last_seq",
            tenant_id
        )?;
        sql_execute!(
            tx.conn(),
            "INSERT INTO events (tenant_id, seq, kind, entity_type, entity_id, actor_type, actor_id, payload, created_at)
             VALUES ($1, $2, $3, $4, $5, 'system', NULL, $6, $7)",
            tenant_id,
            last,
            &event.kind,
            &event.entity_type,
            event.entity_id,
            sqlx::types::Json(&event.payload),
            event.created_at
        )?;
    }
    tx.commit().await?;
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_database("postgres://h:5432?sslmode=disable", "x"),
            "postgres://h:5432/x?sslmode=disable"
        );
    }
}
