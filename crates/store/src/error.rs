//! The store's one error type: every variant says what was being done and with which input.

use std::path::PathBuf;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("creating the store's directory {}: {source}", path.display())]
    CreateDirectory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("opening store at {}: {source}", path.display())]
    Open { path: PathBuf, source: sqlx::Error },
    #[error("migrating store at {}: {source}", path.display())]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },
    /// A query failed (constraint violated, database locked past the busy timeout, I/O…).
    #[error("{action}: {source}")]
    Database { action: String, source: sqlx::Error },
    /// A JSON column could not be written or read back.
    #[error("{action}: {source}")]
    Json {
        action: String,
        source: serde_json::Error,
    },
    /// A value does not fit the schema (an index above i64::MAX, a non-UTF-8 path) or a
    /// stored value is not one the store writes (an unknown status, a negative count).
    #[error("{action}: {detail}")]
    Invalid { action: String, detail: String },
    /// The row the operation needs does not exist.
    #[error("{action}: no {what} `{key}` in the store")]
    NotFound {
        action: String,
        what: &'static str,
        key: String,
    },
    /// The operation contradicts what is already stored (a unit re-created with another
    /// fingerprint).
    #[error("{action}: {detail}")]
    Conflict { action: String, detail: String },
}

impl StoreError {
    /// Whether SQLite answered "busy" or "locked": another connection held a lock this one
    /// needed and would not wait for it.
    pub(crate) fn is_busy(&self) -> bool {
        let source = match self {
            StoreError::Open { source, .. } | StoreError::Database { source, .. } => source,
            StoreError::Migrate {
                source: sqlx::migrate::MigrateError::Execute(source),
                ..
            } => source,
            _ => return false,
        };
        const SQLITE_BUSY: i64 = 5;
        const SQLITE_LOCKED: i64 = 6;
        match source {
            sqlx::Error::Database(error) => error
                .code()
                .and_then(|code| code.parse::<i64>().ok())
                // Extended result codes keep the primary code in the low byte.
                .is_some_and(|code| matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED)),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Builds the `map_err` closure for a failed query: `.map_err(database(|| format!(…)))`.
pub(crate) fn database<F>(action: F) -> impl FnOnce(sqlx::Error) -> StoreError
where
    F: FnOnce() -> String,
{
    move |source| StoreError::Database {
        action: action(),
        source,
    }
}

/// Builds the `map_err` closure for a JSON (de)serialisation failure.
pub(crate) fn json<F>(action: F) -> impl FnOnce(serde_json::Error) -> StoreError
where
    F: FnOnce() -> String,
{
    move |source| StoreError::Json {
        action: action(),
        source,
    }
}
