//! Runs (one `eval`, `profile` or `bench` invocation) and their units (model × task): creation,
//! lifecycle and the look-ups that `--resume` needs.

use crate::column::{from_i64, parse_name, to_i64};
use crate::error::{database, json, Result, StoreError};
use crate::Store;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use yardstick_core::{BenchFingerprint, BenchPlanRecord, Fingerprint};

/// Which command a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunKind {
    Eval,
    Profile,
    /// A serving load test: its units are load points, with per-request records.
    Bench,
}

yardstick_core::closed_set!(RunKind, "run kind", {
    Eval => "eval",
    Profile => "profile",
    Bench => "bench",
});

/// Where a run or a unit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Running,
    Complete,
    /// Stopped by the user or a signal; resumable.
    Interrupted,
    /// Stopped by an error; resumable once the cause is fixed.
    Failed,
}

yardstick_core::closed_set!(Status, "status", {
    Running => "running",
    Complete => "complete",
    Interrupted => "interrupted",
    Failed => "failed",
});

impl Status {
    /// Whether this status ends a run or unit (and so sets its `finished_at`).
    pub fn is_final(self) -> bool {
        !matches!(self, Status::Running)
    }
}

/// A short, readable, sortable run id: the UTC creation time to the second and 6 random hex
/// digits, e.g. `20250614-101530-3fa9c1`.
pub fn new_run_id(created_at: DateTime<Utc>) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", created_at.format("%Y%m%d-%H%M%S"), &random[..6])
}

/// A run to record, as it starts (status `running`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    pub run_id: String,
    pub kind: RunKind,
    pub created_at: DateTime<Utc>,
    /// The validated command plan, enough to re-create the command on `--resume`.
    pub plan: serde_json::Value,
    /// The run's fingerprint (`RunFingerprint` for eval, the profile fingerprint for profile).
    pub fingerprint: serde_json::Value,
    pub fingerprint_id: String,
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub run_id: String,
    pub kind: RunKind,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    /// Set when the status became final; cleared when a resumed run runs again.
    pub finished_at: Option<DateTime<Utc>>,
    pub plan: serde_json::Value,
    pub fingerprint: serde_json::Value,
    pub fingerprint_id: String,
}

impl NewRun {
    /// A bench run to record: its plan is the fingerprint's, its fingerprint id
    /// [`BenchFingerprint::id`].
    pub fn bench(
        run_id: String,
        created_at: DateTime<Utc>,
        fingerprint: &BenchFingerprint,
    ) -> Result<NewRun> {
        let action = || format!("recording the fingerprint of bench run {run_id}");
        Ok(NewRun {
            plan: serde_json::to_value(&fingerprint.plan).map_err(json(action))?,
            fingerprint: serde_json::to_value(fingerprint).map_err(json(action))?,
            fingerprint_id: fingerprint.id(),
            kind: RunKind::Bench,
            created_at,
            run_id,
        })
    }
}

impl Run {
    /// A bench run's fingerprint, typed; `None` for runs of other kinds. Rows of every
    /// earlier version read: what they lack (`host`, `host_role` before the machine was
    /// recorded) is `None`.
    pub fn bench_fingerprint(&self) -> Result<Option<BenchFingerprint>> {
        if self.kind != RunKind::Bench {
            return Ok(None);
        }
        BenchFingerprint::from_json(&self.fingerprint)
            .map(Some)
            .map_err(json(|| {
                format!("reading the bench fingerprint of run {}", self.run_id)
            }))
    }

    /// A bench run's plan, typed; `None` for runs of other kinds. Old rows read as
    /// [`Run::bench_fingerprint`] does.
    pub fn bench_plan(&self) -> Result<Option<BenchPlanRecord>> {
        if self.kind != RunKind::Bench {
            return Ok(None);
        }
        BenchPlanRecord::from_json(&self.plan)
            .map(Some)
            .map_err(json(|| {
                format!("reading the bench plan of run {}", self.run_id)
            }))
    }
}

/// A unit to record, as it starts (status `running`). Its fingerprint id is
/// `fingerprint.id()`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRunUnit {
    pub run_id: String,
    pub model: String,
    pub task: String,
    pub fingerprint: Fingerprint,
    pub items_total: u64,
    pub started_at: DateTime<Utc>,
}

/// A unit as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RunUnit {
    pub unit_id: i64,
    pub run_id: String,
    pub model: String,
    pub task: String,
    pub fingerprint: Fingerprint,
    pub fingerprint_id: String,
    pub items_total: u64,
    /// Items stored for this unit so far.
    pub items_completed: u64,
    pub status: Status,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The deployment the unit measured (`None` only between its creation and
    /// [`Store::set_unit_deployment`]).
    pub deployment_id: Option<String>,
}

const RUN_COLUMNS: &str =
    "run_id, kind, status, created_at, finished_at, plan, fingerprint, fingerprint_id";

/// The columns of a [`RunUnit`] from `run_units AS u`, with the stored item count.
pub(crate) const UNIT_COLUMNS: &str = "u.unit_id, u.run_id, u.model, u.task, u.fingerprint, \
     u.fingerprint_id, u.items_total, u.status, u.started_at, u.finished_at, u.deployment_id, \
     (SELECT COUNT(*) FROM items AS i WHERE i.unit_id = u.unit_id) AS items_completed";

impl Store {
    /// Records a new run with status `running`.
    pub async fn create_run(&self, run: &NewRun) -> Result<Run> {
        let action = || format!("creating run {}", run.run_id);
        let plan = serde_json::to_string(&run.plan).map_err(json(action))?;
        let fingerprint = serde_json::to_string(&run.fingerprint).map_err(json(action))?;
        let sql = format!(
            "INSERT INTO runs ({RUN_COLUMNS}) VALUES (?, ?, ?, ?, NULL, ?, ?, ?) \
             RETURNING {RUN_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&run.run_id)
            .bind(run.kind.as_str())
            .bind(Status::Running.as_str())
            .bind(run.created_at)
            .bind(plan)
            .bind(fingerprint)
            .bind(&run.fingerprint_id)
            .fetch_one(&self.pool)
            .await
            .map_err(database(action))?;
        run_from_row(&row)
    }

    /// The run with this id, if any.
    pub async fn run(&self, run_id: &str) -> Result<Option<Run>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?");
        let row = sqlx::query(&sql)
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(database(|| format!("reading run {run_id}")))?;
        row.as_ref().map(run_from_row).transpose()
    }

    /// Every run, newest first.
    pub async fn list_runs(&self) -> Result<Vec<Run>> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY created_at DESC, run_id DESC");
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(database(|| "listing runs".to_string()))?;
        rows.iter().map(run_from_row).collect()
    }

    /// Sets the run's status. A final status sets `finished_at` to `at`; `running` (a resume)
    /// clears it.
    pub async fn set_run_status(
        &self,
        run_id: &str,
        status: Status,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.set_status(StatusTarget::Run(run_id), status, at).await
    }

    /// The most recent run with this fingerprint id that did not complete (running,
    /// interrupted or failed), for resuming it. A `running` run may be one whose process
    /// died; the caller decides whether it is really gone.
    pub async fn find_incomplete_run_by_fingerprint(
        &self,
        fingerprint_id: &str,
    ) -> Result<Option<Run>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE fingerprint_id = ? AND status <> ? \
             ORDER BY created_at DESC, run_id DESC LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(fingerprint_id)
            .bind(Status::Complete.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(database(|| {
                format!("looking for an incomplete run with fingerprint {fingerprint_id}")
            }))?;
        row.as_ref().map(run_from_row).transpose()
    }

    /// Records a unit with status `running`, or returns the unit the run already has for this
    /// model and task (as stored: status and times unchanged) when resuming. Fails if that
    /// unit has a different fingerprint.
    pub async fn create_unit(&self, unit: &NewRunUnit) -> Result<RunUnit> {
        self.create_unit_of(unit, None).await
    }

    /// [`Store::create_unit`], attaching the unit to a deployment in the same transaction
    /// (a resumed unit is attached again), so no reader ever sees it without one.
    pub async fn create_unit_of(
        &self,
        unit: &NewRunUnit,
        deployment_id: Option<&str>,
    ) -> Result<RunUnit> {
        let action = || {
            format!(
                "creating unit {} × {} of run {}",
                unit.model, unit.task, unit.run_id
            )
        };
        let fingerprint_id = unit.fingerprint.id();
        let fingerprint = serde_json::to_string(&unit.fingerprint).map_err(json(action))?;
        let items_total = to_i64(unit.items_total, "items_total", action)?;
        let mut transaction = self.begin_write(action).await?;
        sqlx::query(
            "INSERT INTO run_units (run_id, model, task, fingerprint, fingerprint_id, \
             items_total, status, started_at, finished_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL) \
             ON CONFLICT (run_id, model, task) DO NOTHING",
        )
        .bind(&unit.run_id)
        .bind(&unit.model)
        .bind(&unit.task)
        .bind(fingerprint)
        .bind(&fingerprint_id)
        .bind(items_total)
        .bind(Status::Running.as_str())
        .bind(unit.started_at)
        .execute(&mut *transaction)
        .await
        .map_err(database(action))?;
        if let Some(deployment_id) = deployment_id {
            sqlx::query(
                "UPDATE run_units SET deployment_id = ? \
                 WHERE run_id = ? AND model = ? AND task = ? AND fingerprint_id = ?",
            )
            .bind(deployment_id)
            .bind(&unit.run_id)
            .bind(&unit.model)
            .bind(&unit.task)
            .bind(&fingerprint_id)
            .execute(&mut *transaction)
            .await
            .map_err(database(action))?;
        }
        let sql = format!(
            "SELECT {UNIT_COLUMNS} FROM run_units AS u \
             WHERE u.run_id = ? AND u.model = ? AND u.task = ?"
        );
        let row = sqlx::query(&sql)
            .bind(&unit.run_id)
            .bind(&unit.model)
            .bind(&unit.task)
            .fetch_one(&mut *transaction)
            .await
            .map_err(database(action))?;
        transaction.commit().await.map_err(database(action))?;
        let stored = unit_from_row(&row)?;
        if stored.fingerprint_id != fingerprint_id {
            return Err(StoreError::Conflict {
                action: action(),
                detail: format!(
                    "unit {} already exists with fingerprint {}, not {fingerprint_id}",
                    stored.unit_id, stored.fingerprint_id
                ),
            });
        }
        Ok(stored)
    }

    /// The unit with this id, if any.
    pub async fn unit(&self, unit_id: i64) -> Result<Option<RunUnit>> {
        let sql = format!("SELECT {UNIT_COLUMNS} FROM run_units AS u WHERE u.unit_id = ?");
        let row = sqlx::query(&sql)
            .bind(unit_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(database(|| format!("reading unit {unit_id}")))?;
        row.as_ref().map(unit_from_row).transpose()
    }

    /// The units of a run, in creation order.
    pub async fn units(&self, run_id: &str) -> Result<Vec<RunUnit>> {
        let sql = format!(
            "SELECT {UNIT_COLUMNS} FROM run_units AS u WHERE u.run_id = ? ORDER BY u.unit_id"
        );
        let rows = sqlx::query(&sql)
            .bind(run_id)
            .fetch_all(&self.pool)
            .await
            .map_err(database(|| format!("reading the units of run {run_id}")))?;
        rows.iter().map(unit_from_row).collect()
    }

    /// Sets the unit's status. A final status sets `finished_at` to `at`; `running` clears it.
    pub async fn set_unit_status(
        &self,
        unit_id: i64,
        status: Status,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.set_status(StatusTarget::Unit(unit_id), status, at)
            .await
    }

    /// The one status update behind [`Store::set_run_status`] and [`Store::set_unit_status`].
    async fn set_status(
        &self,
        target: StatusTarget<'_>,
        status: Status,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let (what, key, sql) = match target {
            StatusTarget::Run(run_id) => (
                "run",
                run_id.to_string(),
                "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?",
            ),
            StatusTarget::Unit(unit_id) => (
                "unit",
                unit_id.to_string(),
                "UPDATE run_units SET status = ?, finished_at = ? WHERE unit_id = ?",
            ),
        };
        let action = || format!("setting {what} {key} to {status}");
        let finished_at = status.is_final().then_some(at);
        let query = sqlx::query(sql).bind(status.as_str()).bind(finished_at);
        let query = match target {
            StatusTarget::Run(run_id) => query.bind(run_id),
            StatusTarget::Unit(unit_id) => query.bind(unit_id),
        };
        let result = query.execute(&self.pool).await.map_err(database(action))?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                action: action(),
                what,
                key,
            });
        }
        Ok(())
    }
}

fn run_from_row(row: &SqliteRow) -> Result<Run> {
    let run_id: String = row
        .try_get("run_id")
        .map_err(database(|| "reading a run row".into()))?;
    let action = || format!("reading run {run_id}");
    let kind: String = row.try_get("kind").map_err(database(action))?;
    let status: String = row.try_get("status").map_err(database(action))?;
    let plan: String = row.try_get("plan").map_err(database(action))?;
    let fingerprint: String = row.try_get("fingerprint").map_err(database(action))?;
    Ok(Run {
        kind: parse_name(&kind, action)?,
        status: parse_name(&status, action)?,
        created_at: row.try_get("created_at").map_err(database(action))?,
        finished_at: row.try_get("finished_at").map_err(database(action))?,
        plan: serde_json::from_str(&plan).map_err(json(action))?,
        fingerprint: serde_json::from_str(&fingerprint).map_err(json(action))?,
        fingerprint_id: row.try_get("fingerprint_id").map_err(database(action))?,
        run_id,
    })
}

/// Reads a row selected with [`UNIT_COLUMNS`].
pub(crate) fn unit_from_row(row: &SqliteRow) -> Result<RunUnit> {
    let unit_id: i64 = row
        .try_get("unit_id")
        .map_err(database(|| "reading a unit row".into()))?;
    let action = || format!("reading unit {unit_id}");
    let fingerprint: String = row.try_get("fingerprint").map_err(database(action))?;
    let items_total: i64 = row.try_get("items_total").map_err(database(action))?;
    let items_completed: i64 = row.try_get("items_completed").map_err(database(action))?;
    let status: String = row.try_get("status").map_err(database(action))?;
    Ok(RunUnit {
        unit_id,
        run_id: row.try_get("run_id").map_err(database(action))?,
        model: row.try_get("model").map_err(database(action))?,
        task: row.try_get("task").map_err(database(action))?,
        fingerprint: serde_json::from_str(&fingerprint).map_err(json(action))?,
        fingerprint_id: row.try_get("fingerprint_id").map_err(database(action))?,
        items_total: from_i64(items_total, "items_total", action)?,
        items_completed: from_i64(items_completed, "item count", action)?,
        status: parse_name(&status, action)?,
        started_at: row.try_get("started_at").map_err(database(action))?,
        finished_at: row.try_get("finished_at").map_err(database(action))?,
        deployment_id: row.try_get("deployment_id").map_err(database(action))?,
    })
}

/// Which row a status update is for.
#[derive(Clone, Copy)]
enum StatusTarget<'a> {
    Run(&'a str),
    Unit(i64),
}
