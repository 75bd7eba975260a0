-- yardstick store, schema version 5: deployments — a model served by an engine at some
-- quantization, on some hardware, with some serving settings (core::Deployment). Every
-- unit belongs to one, so an eval's quality and a bench's speed of the same deployment join.
-- Units, not runs, carry it: one eval run can hold several models.
--
-- `identity` is the deployment's JSON (core::Deployment); `deployment_id` is its id, a short
-- hash of that identity without the model's label. Units stored before this version get
-- theirs when the store opens (`yardstick_store::deployments::backfill`).
CREATE TABLE deployments (
    deployment_id  TEXT PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    identity       TEXT NOT NULL,
    created_at     TEXT NOT NULL
);

ALTER TABLE run_units ADD COLUMN deployment_id TEXT REFERENCES deployments (deployment_id);
CREATE INDEX run_units_by_deployment ON run_units (deployment_id);
