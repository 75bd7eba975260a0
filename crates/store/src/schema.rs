//! Schema changes a sqlx migration cannot make.

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqlitePool};

/// Rebuilds `runs` so that its `kind` CHECK accepts `bench` (schema 3), once.
///
/// SQLite cannot alter a CHECK constraint, so the table is copied into a new one. Dropping
/// the old table with foreign keys on would cascade-delete every unit, and sqlx runs each
/// migration in a transaction, where foreign keys cannot be switched off; so this runs
/// after the migrations on one connection with foreign keys off, in an IMMEDIATE
/// transaction (a second process migrating the same file waits, then finds the work done),
/// checks the foreign keys before committing, and switches them back on.
pub(crate) async fn widen_run_kinds(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    if runs_accept_bench(pool).await? {
        return Ok(());
    }
    let mut connection = pool.acquire().await?;
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *connection)
        .await?;
    let rebuilt = rebuild(&mut connection).await;
    if rebuilt.is_err() {
        let _ = sqlx::query("ROLLBACK").execute(&mut *connection).await;
    }
    let restored = sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *connection)
        .await;
    rebuilt?;
    restored?;
    Ok(())
}

async fn runs_accept_bench<'e, E>(executor: E) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    let sql: String =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'runs'")
            .fetch_one(executor)
            .await?;
    Ok(sql.contains("'bench'"))
}

async fn rebuild(connection: &mut PoolConnection<Sqlite>) -> Result<(), sqlx::Error> {
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut **connection)
        .await?;
    if runs_accept_bench(&mut **connection).await? {
        sqlx::query("COMMIT").execute(&mut **connection).await?;
        return Ok(());
    }
    for statement in [
        "CREATE TABLE runs_v3 (
            run_id          TEXT PRIMARY KEY,
            kind            TEXT NOT NULL CHECK (kind IN ('eval', 'profile', 'bench')),
            status          TEXT NOT NULL
                            CHECK (status IN ('running', 'complete', 'interrupted', 'failed')),
            created_at      TEXT NOT NULL,
            finished_at     TEXT,
            plan            TEXT NOT NULL,
            fingerprint     TEXT NOT NULL,
            fingerprint_id  TEXT NOT NULL
        )",
        "INSERT INTO runs_v3 (run_id, kind, status, created_at, finished_at, plan, fingerprint, \
         fingerprint_id) SELECT run_id, kind, status, created_at, finished_at, plan, \
         fingerprint, fingerprint_id FROM runs",
        "DROP TABLE runs",
        "ALTER TABLE runs_v3 RENAME TO runs",
        "CREATE INDEX runs_by_fingerprint ON runs (fingerprint_id, status)",
    ] {
        sqlx::query(statement).execute(&mut **connection).await?;
    }
    let violations: Vec<(String,)> =
        sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
            .fetch_all(&mut **connection)
            .await?;
    if !violations.is_empty() {
        return Err(sqlx::Error::Protocol(format!(
            "rebuilding `runs` left {} rows without their parent",
            violations.len()
        )));
    }
    sqlx::query("COMMIT").execute(&mut **connection).await?;
    Ok(())
}
