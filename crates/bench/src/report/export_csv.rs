//! The CSV exports of a sweep: one row per request, and one row per metric record. Times are
//! milliseconds since the run's monotonic start (`_ms` columns); an empty cell is a value that
//! does not exist (no first token, closed loop without a schedule, ...).

use std::fs::File;
use std::path::Path;

use serde::Serialize;
use yardstick_core::Unit;
use yardstick_load::metrics::{e2e, tpot, ttft};
use yardstick_load::{ErrorCause, TokenCountSource};

use super::{milliseconds, ReportError};
use crate::point::PointResult;
use yardstick_load::metrics::warmup_mask;

/// One row of the per-request CSV.
#[derive(Serialize)]
struct RequestRow<'a> {
    point: &'a str,
    /// Position in the point's records (the order sent).
    index: usize,
    warmup: bool,
    /// `completed`, `failed` or `cancelled`.
    outcome: &'static str,
    scheduled_ms: Option<f64>,
    sent_ms: f64,
    first_byte_ms: Option<f64>,
    first_token_ms: Option<f64>,
    last_byte_ms: Option<f64>,
    finished_ms: f64,
    prompt_tokens: Option<u64>,
    prompt_tokens_source: Option<TokenCountSource>,
    completion_tokens: Option<u64>,
    completion_tokens_source: Option<TokenCountSource>,
    http_status: Option<u16>,
    /// The cause's label (`http_503`, `timeout`, ...).
    error: Option<String>,
    /// The cause as a sentence, with its detail (`malformed response: usage block`).
    error_message: Option<String>,
    ttft_ms: Option<f64>,
    tpot_ms: Option<f64>,
    e2e_ms: Option<f64>,
}

/// Writes one CSV row per request of every point, warm-up included (column `warmup`):
/// `point, index, warmup, outcome, scheduled_ms, sent_ms, first_byte_ms, first_token_ms,
/// last_byte_ms, finished_ms, prompt_tokens, prompt_tokens_source, completion_tokens,
/// completion_tokens_source, http_status, error, error_message, ttft_ms, tpot_ms, e2e_ms`.
/// TTFT, TPOT and E2E are computed whenever the timestamps allow, failed requests included.
pub fn write_csv_requests(results: &[PointResult], path: &Path) -> Result<(), ReportError> {
    let mut writer = csv_writer(path)?;
    for result in results {
        let label = result.point.label();
        let warmup = warmup_mask(&result.timings, result.metrics.warmup_requests);
        for (index, (timing, warmup)) in result.timings.iter().zip(warmup).enumerate() {
            let row = RequestRow {
                point: &label,
                index,
                warmup,
                outcome: match &timing.error {
                    None => "completed",
                    Some(ErrorCause::Cancelled) => "cancelled",
                    Some(_) => "failed",
                },
                scheduled_ms: timing.scheduled.map(milliseconds),
                sent_ms: milliseconds(timing.sent),
                first_byte_ms: timing.first_byte.map(milliseconds),
                first_token_ms: timing.first_token().map(milliseconds),
                last_byte_ms: timing.last_byte.map(milliseconds),
                finished_ms: milliseconds(timing.finished),
                prompt_tokens: timing.prompt_tokens.map(|tokens| tokens.count),
                prompt_tokens_source: timing.prompt_tokens.map(|tokens| tokens.source),
                completion_tokens: timing.completion_tokens.map(|tokens| tokens.count),
                completion_tokens_source: timing.completion_tokens.map(|tokens| tokens.source),
                http_status: timing.http_status,
                error: timing.error.as_ref().map(ErrorCause::label),
                error_message: timing.error.as_ref().map(ToString::to_string),
                ttft_ms: ttft(timing).map(milliseconds),
                tpot_ms: tpot(timing).map(milliseconds),
                e2e_ms: e2e(timing).map(milliseconds),
            };
            writer
                .serialize(row)
                .map_err(|source| csv_error(path, source))?;
        }
    }
    writer
        .flush()
        .map_err(|source| ReportError::io("writing", path, source))
}

/// One row of the metrics CSV.
#[derive(Serialize)]
struct MetricRow<'a> {
    point: &'a str,
    name: &'a str,
    value: f64,
    unit: Unit,
    stderr: Option<f64>,
    n: Option<u64>,
    min: Option<f64>,
    max: Option<f64>,
}

/// Writes one CSV row per metric record of every point, the run's metrics
/// (`RunMetrics::records`) then its resource records: `point, name, value, unit, stderr, n,
/// min, max`.
pub fn write_csv_metrics(results: &[PointResult], path: &Path) -> Result<(), ReportError> {
    let mut writer = csv_writer(path)?;
    for result in results {
        let label = result.point.label();
        for record in result.metrics.records().iter().chain(&result.resources) {
            let row = MetricRow {
                point: &label,
                name: &record.name,
                value: record.value,
                unit: record.unit,
                stderr: record.stderr,
                n: record.n,
                min: record.min,
                max: record.max,
            };
            writer
                .serialize(row)
                .map_err(|source| csv_error(path, source))?;
        }
    }
    writer
        .flush()
        .map_err(|source| ReportError::io("writing", path, source))
}

fn csv_writer(path: &Path) -> Result<csv::Writer<File>, ReportError> {
    csv::Writer::from_path(path).map_err(|source| csv_error(path, source))
}

fn csv_error(path: &Path, source: csv::Error) -> ReportError {
    ReportError::Csv {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::super::sample_sweep::sweep;
    use super::*;
    use std::collections::HashMap;
    use yardstick_core::MetricRecord;

    fn temp_path(dir: &tempfile::TempDir, name: &str) -> std::path::PathBuf {
        dir.path().join(name)
    }

    fn temp_dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"))
    }

    /// Every row of a CSV file as column name → cell.
    fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
        let mut reader =
            csv::Reader::from_path(path).unwrap_or_else(|error| panic!("reading CSV: {error}"));
        let header = reader
            .headers()
            .unwrap_or_else(|error| panic!("CSV header: {error}"))
            .clone();
        reader
            .records()
            .map(|row| {
                let row = row.unwrap_or_else(|error| panic!("CSV row: {error}"));
                header
                    .iter()
                    .zip(row.iter())
                    .map(|(name, cell)| (name.to_string(), cell.to_string()))
                    .collect()
            })
            .collect()
    }

    fn number(row: &HashMap<String, String>, column: &str) -> Option<f64> {
        let cell = row.get(column).map(String::as_str).unwrap_or_default();
        (!cell.is_empty()).then(|| {
            cell.parse()
                .unwrap_or_else(|error| panic!("{column} = {cell:?}: {error}"))
        })
    }

    fn text<'a>(row: &'a HashMap<String, String>, column: &str) -> &'a str {
        row.get(column).map(String::as_str).unwrap_or_default()
    }

    #[test]
    fn request_csv_has_one_row_per_request_with_its_times() {
        let dir = temp_dir();
        let path = temp_path(&dir, "requests.csv");
        write_csv_requests(&sweep(), &path).unwrap_or_else(|error| panic!("{error}"));
        let rows = read_csv(&path);
        assert_eq!(rows.len(), 5 + 8 + 5);

        // c=1, index 1: sent at 300 ms, first token 51.5 ms later, 20 tokens 10 ms apart,
        // the usage event 0.5 ms after the last token.
        let row = &rows[1];
        assert_eq!((text(row, "point"), text(row, "index")), ("c=1", "1"));
        assert_eq!(
            (text(row, "warmup"), text(row, "outcome")),
            ("false", "completed")
        );
        assert_eq!(text(&rows[0], "warmup"), "true");
        assert_eq!(number(row, "scheduled_ms"), None);
        assert_eq!(number(row, "sent_ms"), Some(300.0));
        assert_eq!(number(row, "first_byte_ms"), Some(350.5));
        assert_eq!(number(row, "first_token_ms"), Some(351.5));
        assert_eq!(number(row, "last_byte_ms"), Some(542.0));
        assert_eq!(number(row, "finished_ms"), Some(542.0));
        assert_eq!(number(row, "prompt_tokens"), Some(100.0));
        assert_eq!(text(row, "prompt_tokens_source"), "server_usage");
        assert_eq!(number(row, "completion_tokens"), Some(20.0));
        assert_eq!(text(row, "completion_tokens_source"), "server_usage");
        assert_eq!(number(row, "http_status"), Some(200.0));
        assert_eq!((text(row, "error"), text(row, "error_message")), ("", ""));
        assert_eq!(number(row, "ttft_ms"), Some(51.5));
        assert_eq!(number(row, "tpot_ms"), Some(10.0));
        assert_eq!(number(row, "e2e_ms"), Some(242.0));

        // c=4, index 6: HTTP 503 after 2.25 ms.
        let row = &rows[5 + 6];
        assert_eq!(
            (text(row, "point"), text(row, "outcome")),
            ("c=4", "failed")
        );
        assert_eq!(
            (text(row, "error"), text(row, "error_message")),
            ("http_503", "HTTP status 503")
        );
        assert_eq!(number(row, "finished_ms"), Some(652.25));
        assert_eq!(number(row, "ttft_ms"), None);
        assert_eq!(number(row, "completion_tokens"), None);
        assert_eq!(
            text(&rows[5 + 7], "error_message"),
            "malformed response: usage block"
        );

        // poisson@2/s, index 2: due at 1000 ms, sent 25 ms late; the last one cancelled.
        let row = &rows[13 + 2];
        assert_eq!(text(row, "point"), "poisson@2/s");
        assert_eq!(number(row, "scheduled_ms"), Some(1000.0));
        assert_eq!(number(row, "sent_ms"), Some(1025.0));
        assert_eq!(number(row, "ttft_ms"), Some(180.0));
        assert_eq!(text(&rows[13 + 4], "outcome"), "cancelled");
    }

    #[test]
    fn metrics_csv_round_trips_every_record() {
        let results = sweep();
        let dir = temp_dir();
        let path = temp_path(&dir, "metrics.csv");
        write_csv_metrics(&results, &path).unwrap_or_else(|error| panic!("{error}"));
        let rows = read_csv(&path);
        let expected: Vec<(String, MetricRecord)> = results
            .iter()
            .flat_map(|result| {
                let label = result.point.label();
                result
                    .metrics
                    .records()
                    .into_iter()
                    .chain(result.resources.iter().cloned())
                    .map(move |record| (label.clone(), record))
            })
            .collect();
        assert_eq!(rows.len(), expected.len());
        for (row, (label, record)) in rows.iter().zip(&expected) {
            assert_eq!(text(row, "point"), label);
            assert_eq!(text(row, "name"), record.name);
            assert_eq!(text(row, "unit"), record.unit.as_str());
            assert_eq!(number(row, "value"), Some(record.value), "{}", record.name);
            assert_eq!(number(row, "stderr"), record.stderr, "{}", record.name);
            assert_eq!(
                number(row, "n"),
                record.n.map(|n| n as f64),
                "{}",
                record.name
            );
            assert_eq!(number(row, "min"), record.min, "{}", record.name);
            assert_eq!(number(row, "max"), record.max, "{}", record.name);
        }
        // c=1: 4 measured requests from 300 ms to 1446.5 ms.
        let throughput = rows
            .iter()
            .find(|row| text(row, "point") == "c=1" && text(row, "name") == "requests_per_second")
            .and_then(|row| number(row, "value"));
        assert!(throughput.is_some_and(|value| (value - 4.0 / 1.1465).abs() < 1e-9));
        assert!(rows
            .iter()
            .any(|row| text(row, "name") == "rss_bytes.max" && text(row, "unit") == "bytes"));
    }

    #[test]
    fn errors_name_the_file() {
        let dir = temp_dir();
        let path = dir.path().join("missing").join("requests.csv");
        for error in [
            write_csv_requests(&sweep(), &path).err(),
            write_csv_metrics(&sweep(), &path).err(),
        ] {
            let message = error.map(|error| error.to_string()).unwrap_or_default();
            assert!(message.starts_with("writing CSV "), "{message}");
            assert!(message.contains("missing/requests.csv"), "{message}");
        }
    }
}
