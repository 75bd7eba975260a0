-- Every failed attempt of a request an eval sent to a remote backend (an OpenAI-compatible
-- server): which item it served, the attempt number (1 = first try), a short cause label
-- (`rate_limited`, `http_503`, `timeout`, `connection_reset`, …), the message, what the
-- server asked to wait (Retry-After), and whether it was retried. Kept even when a later
-- attempt succeeded: a failed request is a measurement.
CREATE TABLE request_failures (
    failure_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id        INTEGER NOT NULL REFERENCES run_units (unit_id) ON DELETE CASCADE,
    item_index     INTEGER NOT NULL,
    attempt        INTEGER NOT NULL,
    cause          TEXT NOT NULL,
    message        TEXT NOT NULL,
    retry_after_ms INTEGER,
    retried        INTEGER NOT NULL,
    occurred_at    TEXT NOT NULL
);
CREATE INDEX request_failures_by_unit ON request_failures (unit_id, item_index);
