-- yardstick store, schema version 3: serving load tests (`bench` runs) and the timing record
-- of each of their requests.
--
-- `runs.kind` also takes 'bench' from this version on. SQLite cannot change a CHECK
-- constraint in place and this migration runs inside a transaction with foreign keys on,
-- where rebuilding `runs` would cascade-delete every unit; the store rebuilds it right after
-- the migrations, with foreign keys off (`yardstick_store::schema::widen_run_kinds`).

-- One row per request of a bench unit (one load point of one trial): the client's timing
-- record as JSON (yardstick_load::RequestTiming: monotonic offsets in nanoseconds from the
-- unit's start, chunks, token counts with their source, status, error cause).
CREATE TABLE requests (
    unit_id         BIGINT NOT NULL REFERENCES run_units (unit_id) ON DELETE CASCADE,
    request_index   BIGINT NOT NULL,
    timing          TEXT NOT NULL,
    PRIMARY KEY (unit_id, request_index)
);
