-- yardstick store, schema version 1.
--
-- Portable SQL where it is cheap: TEXT, BIGINT, DOUBLE PRECISION (REAL affinity in SQLite,
-- 8-byte float in PostgreSQL), ON CONFLICT, window functions. JSON columns are TEXT written
-- by the store; timestamps are RFC 3339 TEXT in UTC (PostgreSQL will use TIMESTAMPTZ).

-- Models known to yardstick (the catalog of installed files). Upserted by name.
CREATE TABLE models (
    name        TEXT PRIMARY KEY,
    path        TEXT NOT NULL,
    size_bytes  BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('catalog', 'hf', 'local')),
    -- JSON object: GGUF metadata (architecture, parameter_count, quantization, ...).
    metadata    TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- One `yardstick eval` or `yardstick profile` invocation.
CREATE TABLE runs (
    run_id          TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('eval', 'profile')),
    status          TEXT NOT NULL
                    CHECK (status IN ('running', 'complete', 'interrupted', 'failed')),
    created_at      TEXT NOT NULL,
    finished_at     TEXT,
    -- JSON: the validated plan, enough to re-create the command on --resume.
    plan            TEXT NOT NULL,
    -- JSON: the run's fingerprint (RunFingerprint for eval) and its short id.
    fingerprint     TEXT NOT NULL,
    fingerprint_id  TEXT NOT NULL
);
CREATE INDEX runs_by_fingerprint ON runs (fingerprint_id, status);

-- One model x task of a run. `model` is a name, not a key of `models`: history outlives the
-- catalog.
CREATE TABLE run_units (
    unit_id         INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id          TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    model           TEXT NOT NULL,
    task            TEXT NOT NULL,
    -- JSON: core::Fingerprint, and its id.
    fingerprint     TEXT NOT NULL,
    fingerprint_id  TEXT NOT NULL,
    items_total     BIGINT NOT NULL,
    status          TEXT NOT NULL
                    CHECK (status IN ('running', 'complete', 'interrupted', 'failed')),
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    UNIQUE (run_id, model, task)
);
CREATE INDEX run_units_by_result ON run_units (model, task, fingerprint_id, status);

-- Per-item results (core::ItemResult). One row per (unit, item): inserts of an existing
-- key are ignored, so a resumed run never duplicates an item.
CREATE TABLE items (
    unit_id                 BIGINT NOT NULL REFERENCES run_units (unit_id) ON DELETE CASCADE,
    item_index              BIGINT NOT NULL,
    item_id                 TEXT,
    -- JSON arrays; floats in shortest round-trip form, non-finite ones as "NaN"/"inf"/"-inf".
    choice_loglikelihoods   TEXT NOT NULL,
    choice_is_greedy        TEXT NOT NULL,
    gold                    BIGINT NOT NULL,
    prediction              BIGINT NOT NULL,
    prediction_norm         BIGINT NOT NULL,
    -- JSON array of [name, value] pairs, in the order the scorer produced them.
    metrics                 TEXT NOT NULL,
    PRIMARY KEY (unit_id, item_index)
);

-- Metric records (core::MetricRecord). unit_id is NULL for run-level records (load time,
-- profile speed), whose `task` holds a kind such as 'speed' instead of a task name.
CREATE TABLE metrics (
    metric_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    unit_id     BIGINT REFERENCES run_units (unit_id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    task        TEXT NOT NULL,
    name        TEXT NOT NULL,
    -- NULL stands for NaN, which SQLite cannot store.
    value       DOUBLE PRECISION,
    unit        TEXT NOT NULL,
    stderr      DOUBLE PRECISION,
    n           BIGINT,
    min_value   DOUBLE PRECISION,
    max_value   DOUBLE PRECISION,
    created_at  TEXT NOT NULL
);
CREATE INDEX metrics_by_run ON metrics (run_id);
CREATE INDEX metrics_by_unit ON metrics (unit_id);
CREATE INDEX metrics_by_model ON metrics (model, run_id);
