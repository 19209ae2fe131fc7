//! Store errors: what went wrong in terms the layers above can act on
//! (not found, conflict with a named code, database unreachable), never raw SQL.

use kefu_core::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was violated; `code` names which (e.g. `email_taken`).
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        details: serde_json::Value,
    },
    /// Input that only the database can judge (e.g. a referenced user of another tenant).
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database url must start with sqlite: or postgres://")]
    BadUrl,
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// A stored value this version cannot read (e.g. an unknown enum name in a column).
    #[error("unreadable stored value in {column}: {value:?}")]
    Corrupt { column: &'static str, value: String },
}

impl StoreError {
    pub fn conflict(
        code: &'static str,
        message: impl Into<String>,
        details: serde_json::Value,
    ) -> Self {
        StoreError::Conflict {
            code,
            message: message.into(),
            details,
        }
    }
}

impl StoreError {
    pub(crate) fn corrupt(column: &'static str, value: &str) -> Self {
        StoreError::Corrupt {
            column,
            value: value.to_owned(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => StoreError::Unavailable(err.to_string()),
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                // Callers check uniqueness first and name the conflict; this is the race guard.
                StoreError::conflict(
                    "conflict",
                    "the record conflicts with an existing one",
                    serde_json::Value::Null,
                )
            }
            other => StoreError::Database(other),
        }
    }
}
