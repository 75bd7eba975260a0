//! The JSON export of a sweep: one document with every point, its metric records and every
//! request record as stored (times in nanoseconds, fields ending in `_ns`; see
//! `docs/metrics.md`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::Serialize;
use yardstick_core::MetricRecord;
use yardstick_load::RequestTiming;

use super::ReportError;
use crate::point::{LoadPoint, PointResult};

/// The version of the JSON document's layout, raised when a field changes meaning.
const JSON_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: u32,
    points: Vec<JsonPoint<'a>>,
}

#[derive(Serialize)]
struct JsonPoint<'a> {
    label: String,
    point: &'a LoadPoint,
    interrupted: bool,
    metrics: Vec<MetricRecord>,
    resources: &'a [MetricRecord],
    requests: &'a [RequestTiming],
}

/// Writes every point of the sweep to `path` as one JSON document:
/// `{"format_version": 1, "points": [{"label", "point", "interrupted", "metrics",
/// "resources", "requests"}]}`, where `metrics` are the run's metric records
/// (`RunMetrics::records`), `resources` the resource records sampled during the run, and
/// `requests` every request record in the order sent, warm-up included.
pub fn write_json(results: &[PointResult], path: &Path) -> Result<(), ReportError> {
    let report = JsonReport {
        format_version: JSON_FORMAT_VERSION,
        points: results
            .iter()
            .map(|result| JsonPoint {
                label: result.point.label(),
                point: &result.point,
                interrupted: result.interrupted,
                metrics: result.metrics.records(),
                resources: &result.resources,
                requests: &result.timings,
            })
            .collect(),
    };
    let file = File::create(path).map_err(|source| ReportError::io("creating", path, source))?;
    let mut writer = BufWriter::new(file);
    serde_json::to_writer(&mut writer, &report).map_err(|source| ReportError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    writer
        .write_all(b"\n")
        .and_then(|()| writer.flush())
        .map_err(|source| ReportError::io("writing", path, source))
}

#[cfg(test)]
mod tests {
    use super::super::sample_sweep::sweep;
    use super::*;

    #[test]
    fn json_holds_every_point_record_and_request() {
        let results = sweep();
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
        let path = dir.path().join("report.json");
        write_json(&results, &path).unwrap_or_else(|error| panic!("{error}"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{error}"));
        let json: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(json["format_version"], 1);
        let points = json["points"].as_array().cloned().unwrap_or_default();
        assert_eq!(points.len(), results.len());
        for (point, result) in points.iter().zip(&results) {
            assert_eq!(point["label"], result.point.label());
            assert_eq!(point["interrupted"], result.interrupted);
            let load_point: Option<LoadPoint> = serde_json::from_value(point["point"].clone()).ok();
            assert_eq!(load_point, Some(result.point));
            let requests: Vec<RequestTiming> =
                serde_json::from_value(point["requests"].clone()).unwrap_or_default();
            assert_eq!(requests, result.timings);
            let resources: Vec<MetricRecord> =
                serde_json::from_value(point["resources"].clone()).unwrap_or_default();
            assert_eq!(resources, result.resources);
            // serde_json parses floats to within an ulp, not exactly: compare the text, which
            // is the exact serialisation of the records.
            let metrics = serde_json::to_string(&result.metrics.records()).unwrap_or_default();
            assert!(text.contains(&format!("\"metrics\":{metrics}")));
        }
        assert_eq!(points[2]["point"]["mode"], "rate");
        assert_eq!(points[2]["resources"][0]["name"], "cpu_percent.mean");
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
        let path = dir.path().join("missing").join("report.json");
        let error = write_json(&sweep(), &path)
            .err()
            .map(|error| error.to_string());
        let message = error.unwrap_or_default();
        assert!(message.starts_with("creating "), "{message}");
        assert!(message.contains("missing/report.json"), "{message}");
    }
}
