//! Durable persistence for yardstick: the model catalog, runs (one `yardstick eval` or
//! `yardstick profile` invocation), their units (model × task), per-item results and metric
//! records, in SQLite through sqlx. It must not compute results, render anything or read
//! flags: it stores and returns the core types ([`ItemResult`], [`MetricRecord`],
//! [`Fingerprint`]) and plain row structs; scoring is the runner's job, tables the CLI's.
//!
//! The API is backend-neutral (no sqlx type is public except inside [`StoreError`]); the SQL
//! is portable where that is cheap, so PostgreSQL can follow with its own migrations.
//!
//! # Opening
//!
//! [`Store::open`] creates the parent directory and the file if needed, runs the embedded
//! migrations (`crates/store/migrations`, re-opening is a no-op) and configures every
//! connection with WAL journal mode, `synchronous = NORMAL` (a crash of the process loses
//! nothing; a power loss may lose the last commits but never corrupts the file), foreign keys
//! on and a busy timeout of [`BUSY_TIMEOUT`], so several processes or tasks can write the
//! same file: writers wait for each other instead of failing. Write transactions start with
//! `BEGIN IMMEDIATE`, which takes the write lock up front and so waits under the busy timeout
//! rather than failing on a stale snapshot. [`Store::open_in_memory`] is a private in-memory
//! database on one connection, for tests.
//!
//! # Schema (version 1)
//!
//! - `models(name PK, path, size_bytes, sha256, source ∈ {catalog, hf, local}, metadata JSON,
//!   added_at, updated_at)`: upserted by name; `added_at` is kept from the first insert.
//! - `runs(run_id PK, kind ∈ {eval, profile}, status ∈ {running, complete, interrupted,
//!   failed}, created_at, finished_at, plan JSON, fingerprint JSON, fingerprint_id)`.
//! - `run_units(unit_id PK, run_id → runs, model, task, fingerprint JSON (core
//!   `Fingerprint`), fingerprint_id, items_total, status, started_at, finished_at)`, unique
//!   on `(run_id, model, task)`. `model` is a name, not a key into `models`: history
//!   outlives the catalog.
//! - `items(unit_id → run_units, item_index, item_id, choice_loglikelihoods JSON,
//!   choice_is_greedy JSON, gold, prediction, prediction_norm, metrics JSON)`, primary key
//!   `(unit_id, item_index)`.
//! - `metrics(metric_id PK, run_id → runs, unit_id → run_units or NULL, model, task, name,
//!   value, unit, stderr, n, min_value, max_value, created_at)`: one row per
//!   [`MetricRecord`]. Run-level records (load time, profile speed) have no unit and put a
//!   kind such as `speed` in `task`.
//!
//! - `deployments(deployment_id PK, name UNIQUE, identity JSON (core `Deployment`),
//!   created_at)` (schema 5), and `run_units.deployment_id → deployments`: every unit
//!   belongs to the deployment it measured. Units stored before schema 5 get the deployment
//!   derived from their fingerprints when the store opens (`deployments::backfill`).
//!
//! Deleting a run deletes its units, items and metrics (`ON DELETE CASCADE`).
//!
//! # Idempotency of items: the first write wins
//!
//! An item is identified by `(unit_id, item_index)`. Inserting a key that is already stored
//! is not an error and changes nothing: the row written first is kept, even if the new
//! values differ (with an unchanged fingerprint they cannot, scoring is deterministic).
//! [`Store::insert_item`] and [`Store::insert_items`] report how many rows were new, so a
//! resumed run can never duplicate an item, and [`Store::completed_item_indices`] tells it
//! which items to skip.
//!
//! # Exact numbers
//!
//! Item floats are stored as JSON numbers in their shortest round-trip form and parsed with
//! correct rounding, so every `f64` comes back with the same bits (`-0.0` included);
//! infinities and NaN, which JSON lacks, are stored as the strings `"inf"`, `"-inf"` and
//! `"NaN"` (a NaN comes back as the canonical NaN). Metric values are 8-byte floats, exact;
//! SQLite cannot store NaN, so a NaN `value` is stored as NULL and read back as NaN, and a
//! `Some(NaN)` `stderr`/`min`/`max` is read back as `None`.
//!
//! # Clocks
//!
//! Lifecycle times of runs and units (`created_at`, `started_at`, `finished_at`) are passed
//! in by the caller: they order the leaderboard, and tests must control them. Only the
//! bookkeeping stamps `models.added_at`/`updated_at` and `metrics.created_at` are read from
//! the system clock.

mod column;
mod deployments;
mod error;
mod failures;
mod items;
mod leaderboard;
mod metrics;
mod models;
mod requests;
mod runs;
mod schema;

pub use deployments::{DeploymentSummary, StoredDeployment};
pub use error::{Result, StoreError};
pub use failures::RequestFailure;
pub use items::RunItem;
pub use leaderboard::{ProfileResults, UnitResults};
pub use metrics::StoredMetric;
pub use models::{Model, ModelSource, NewModel};
pub use runs::{new_run_id, NewRun, NewRunUnit, Run, RunKind, RunUnit, Status};
/// The error of parsing a closed set's name (`RunKind`, `Status`, `ModelSource`).
pub use yardstick_core::UnknownName;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[cfg(doc)]
use yardstick_core::{Fingerprint, ItemResult, MetricRecord};

/// How long a connection waits for another writer before a statement fails with "database is
/// locked".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections per file-backed store: WAL lets readers proceed while one writer writes.
const MAX_CONNECTIONS: u32 = 4;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A handle on one store. Cheap to clone (a connection pool); share it between tasks.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    ///
    /// Several processes may open the same fresh file at once: switching it to WAL takes an
    /// exclusive lock that SQLite reports as busy at once rather than waiting, so a busy open
    /// is retried, with a growing pause, for up to [`BUSY_TIMEOUT`].
    pub async fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDirectory {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let deadline = Instant::now() + BUSY_TIMEOUT;
        let mut pause = Duration::from_millis(5);
        loop {
            match Store::try_open(path).await {
                Err(error) if error.is_busy() && Instant::now() < deadline => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(250));
                }
                result => return result,
            }
        }
    }

    async fn try_open(path: &Path) -> Result<Store> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        if let Err(error) = migrate(&pool, path).await {
            pool.close().await;
            return Err(error);
        }
        Ok(Store { pool })
    }

    /// A fresh, private, in-memory store (for tests). It lives on a single connection, so
    /// hold no item stream while calling another method.
    pub async fn open_in_memory() -> Result<Store> {
        let path = Path::new(":memory:");
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        // One connection that never closes: each in-memory connection is its own database.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        migrate(&pool, path).await?;
        Ok(Store { pool })
    }

    /// Waits for running queries, then closes every connection (checkpointing the WAL).
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// Starts a transaction that holds the write lock from its first statement.
    async fn begin_write(
        &self,
        action: impl FnOnce() -> String,
    ) -> Result<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(error::database(action))
    }
}

async fn migrate(pool: &SqlitePool, path: &Path) -> Result<()> {
    let migrate_error = |source| StoreError::Migrate {
        path: PathBuf::from(path),
        source,
    };
    // Processes opening a fresh file at once race through the migrations (SQLite has no
    // migration lock): a loser fails on a migration the winner applied in between. Each such
    // failure means another opener made progress, so running again converges; after one
    // attempt per migration (plus one) a failure is real.
    let attempts = MIGRATOR.iter().count() + 1;
    let mut last = None;
    for attempt in 0..attempts {
        let migrated = match MIGRATOR.run(pool).await {
            Ok(()) => schema::widen_run_kinds(pool)
                .await
                .map_err(sqlx::migrate::MigrateError::Execute),
            Err(error) => Err(error),
        };
        match migrated {
            Ok(()) => return deployments::backfill(pool).await,
            Err(error) => {
                last = Some(error);
                tokio::time::sleep(std::time::Duration::from_millis(5 * (attempt as u64 + 1)))
                    .await;
            }
        }
    }
    match last {
        Some(error) => Err(migrate_error(error)),
        None => Ok(()),
    }
}
