//! The two-backend plumbing: connections and transactions as enums, and macros that expand
//! one SQL text into a query per backend, so each query is written once and type-checked twice.
//! Both SQLite and PostgreSQL accept `$1`-style placeholders.

use crate::StoreError;
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection, Transaction};

pub(crate) enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

pub(crate) enum ReadConn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl ReadConn {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match self {
            ReadConn::Sqlite(c) => Conn::Sqlite(c),
            ReadConn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

pub(crate) enum WriteTxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// A write transaction, and whom to tell once it commits: readers of a tenant's event log
/// (the real-time gateway) wake on the signal and read what was committed.
pub(crate) struct WriteTx {
    pub(crate) inner: WriteTxInner,
    pub(crate) on_commit: Option<(tokio::sync::broadcast::Sender<uuid::Uuid>, uuid::Uuid)>,
}

impl WriteTx {
    pub(crate) fn conn(&mut self) -> Conn<'_> {
        match &mut self.inner {
            WriteTxInner::Sqlite(tx) => Conn::Sqlite(tx),
            WriteTxInner::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self.inner {
            WriteTxInner::Sqlite(tx) => tx.commit().await?,
            WriteTxInner::Postgres(tx) => tx.commit().await?,
        }
        if let Some((signal, tenant_id)) = self.on_commit {
            // No receiver (no one connected) is not an error.
            let _ = signal.send(tenant_id);
        }
        Ok(())
    }
}

/// Runs a statement; yields `Result<u64 rows affected, sqlx::Error>`.
/// Call sites pass a `Conn` or a `&mut Conn`; the typed `let` in each arm reborrows both alike.
macro_rules! sql_execute {
    ($conn:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $conn {
            $crate::sql::Conn::Sqlite(c) => { let c: &mut sqlx::SqliteConnection = c; sqlx::query($sql)$(.bind($arg))*.execute(c).await.map(|r| r.rows_affected()) }
            $crate::sql::Conn::Postgres(c) => { let c: &mut sqlx::PgConnection = c; sqlx::query($sql)$(.bind($arg))*.execute(c).await.map(|r| r.rows_affected()) }
        }
    };
}

/// Fetches one value of the first column.
macro_rules! sql_scalar {
    ($ty:ty, $conn:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $conn {
            $crate::sql::Conn::Sqlite(c) => { let c: &mut sqlx::SqliteConnection = c; sqlx::query_scalar::<_, $ty>($sql)$(.bind($arg))*.fetch_one(c).await }
            $crate::sql::Conn::Postgres(c) => { let c: &mut sqlx::PgConnection = c; sqlx::query_scalar::<_, $ty>($sql)$(.bind($arg))*.fetch_one(c).await }
        }
    };
}

/// Fetches the first column of at most one row.
macro_rules! sql_scalar_optional {
    ($ty:ty, $conn:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $conn {
            $crate::sql::Conn::Sqlite(c) => { let c: &mut sqlx::SqliteConnection = c; sqlx::query_scalar::<_, $ty>($sql)$(.bind($arg))*.fetch_optional(c).await }
            $crate::sql::Conn::Postgres(c) => { let c: &mut sqlx::PgConnection = c; sqlx::query_scalar::<_, $ty>($sql)$(.bind($arg))*.fetch_optional(c).await }
        }
    };
}

/// Fetches at most one row as `$ty` (a `FromRow` struct).
macro_rules! sql_optional {
    ($ty:ty, $conn:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $conn {
            $crate::sql::Conn::Sqlite(c) => { let c: &mut sqlx::SqliteConnection = c; sqlx::query_as::<_, $ty>($sql)$(.bind($arg))*.fetch_optional(c).await }
            $crate::sql::Conn::Postgres(c) => { let c: &mut sqlx::PgConnection = c; sqlx::query_as::<_, $ty>($sql)$(.bind($arg))*.fetch_optional(c).await }
        }
    };
}

/// Fetches every row as `$ty`.
macro_rules! sql_all {
    ($ty:ty, $conn:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $conn {
            $crate::sql::Conn::Sqlite(c) => { let c: &mut sqlx::SqliteConnection = c; sqlx::query_as::<_, $ty>($sql)$(.bind($arg))*.fetch_all(c).await }
            $crate::sql::Conn::Postgres(c) => { let c: &mut sqlx::PgConnection = c; sqlx::query_as::<_, $ty>($sql)$(.bind($arg))*.fetch_all(c).await }
        }
    };
}

/// A statement whose text depends on the data (multi-row INSERTs, `IN` lists): `$build`
/// writes it into `$query`, a `QueryBuilder` of the connection's backend, binding values with
/// `push_bind` (numbered as that backend wants). Not kept prepared: its text changes with the
/// number of rows. Yields `Result<u64 rows affected, sqlx::Error>`.
macro_rules! sql_built_execute {
    ($conn:expr, |$query:ident| $build:block) => {
        match $conn {
            $crate::sql::Conn::Sqlite(c) => {
                let c: &mut sqlx::SqliteConnection = c;
                let mut $query = sqlx::QueryBuilder::<sqlx::Sqlite>::new("");
                $build
                $query.build().persistent(false).execute(c).await.map(|r| r.rows_affected())
            }
            $crate::sql::Conn::Postgres(c) => {
                let c: &mut sqlx::PgConnection = c;
                let mut $query = sqlx::QueryBuilder::<sqlx::Postgres>::new("");
                $build
                $query.build().persistent(false).execute(c).await.map(|r| r.rows_affected())
            }
        }
    };
}

/// Like [`sql_built_execute`], fetching the first column of every row as `$ty`.
macro_rules! sql_built_scalars {
    ($ty:ty, $conn:expr, |$query:ident| $build:block) => {
        match $conn {
            $crate::sql::Conn::Sqlite(c) => {
                let c: &mut sqlx::SqliteConnection = c;
                let mut $query = sqlx::QueryBuilder::<sqlx::Sqlite>::new("");
                $build
                $query.build_query_scalar::<$ty>().persistent(false).fetch_all(c).await
            }
            $crate::sql::Conn::Postgres(c) => {
                let c: &mut sqlx::PgConnection = c;
                let mut $query = sqlx::QueryBuilder::<sqlx::Postgres>::new("");
                $build
                $query.build_query_scalar::<$ty>().persistent(false).fetch_all(c).await
            }
        }
    };
}

/// A state set as one text parameter (`,a,b,`, matched with `LIKE '%,' || status || ',%'`), so
/// the SQL is identical on both backends; `None` when no state is asked for.
pub(crate) fn status_set<'a>(names: impl Iterator<Item = &'a str>) -> Option<String> {
    let names: Vec<&str> = names.collect();
    (!names.is_empty()).then(|| format!(",{},", names.join(",")))
}

/// `%text%` for a case-insensitive substring search (compare with `lower(column)`), LIKE's own
/// wildcards taken literally; `None` for blank text.
pub(crate) fn contains_pattern(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| format!("%{}%", crate::customers::like_escape(&q.to_lowercase())))
}
