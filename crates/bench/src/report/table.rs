//! Terminal tables of a sweep: one summary row per load point, and failures by cause.

use std::time::Duration;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Table};
use yardstick_load::{Distribution, RunMetrics};

use super::{measured_requests, milliseconds};
use crate::point::PointResult;

/// A point whose p99 schedule lag (`sent − scheduled`, open loop) exceeds this is marked
/// "behind schedule": the client could not send on time, so the load it offered was lower
/// than asked and latencies measured from `sent` hide the wait (coordinated omission; see the
/// `_from_schedule` metrics). tokio's timers fire at millisecond granularity and a busy
/// machine adds a few milliseconds of wake-up jitter, so a client keeping up shows a p99 lag
/// of 1–2 ms; 10 ms is well above that noise and still small next to the TTFT of a served
/// model.
pub const SCHEDULE_LAG_LIMIT: Duration = Duration::from_millis(10);

/// One row per load point, in the order given: the point, measured requests completed and
/// failed (warm-up excluded), request and output token throughput, p50 and p99 of TTFT,
/// TPOT, ITL and E2E in milliseconds, goodput when an SLO was set, and notes: behind
/// schedule (see [`SCHEDULE_LAG_LIMIT`]), interrupted, cancelled requests, completed
/// requests without a token count. A value that could not be computed shows as `-`.
pub fn summary_table(results: &[PointResult]) -> String {
    summary(results).to_string()
}

/// Failed measured requests by cause, one row per load point and cause, with the share of
/// the point's measured requests and the first failure's message; `None` when no measured
/// request failed.
pub fn errors_table(results: &[PointResult]) -> Option<String> {
    errors(results).map(|table| table.to_string())
}

fn summary(results: &[PointResult]) -> Table {
    let with_goodput = results
        .iter()
        .any(|result| result.metrics.good_requests.is_some());
    let notes: Vec<Vec<String>> = results.iter().map(notes).collect();
    let with_notes = notes.iter().any(|notes| !notes.is_empty());

    let mut header = vec![
        "point".to_string(),
        "completed /\nfailed".to_string(),
        "req/s".to_string(),
        "output\ntok/s".to_string(),
        "TTFT ms\np50 / p99".to_string(),
        "TPOT ms\np50 / p99".to_string(),
        format!("ITL ms ({})\np50 / p99", itl_definitions(results)),
        "E2E ms\np50 / p99".to_string(),
    ];
    if with_goodput {
        header.push("goodput req/s\n(good share)".to_string());
    }
    if with_notes {
        header.push("notes".to_string());
    }
    let mut table = new_table(header);
    for (result, notes) in results.iter().zip(notes) {
        let metrics = &result.metrics;
        let mut row = vec![
            result.point.label(),
            format!("{} / {}", metrics.completed, metrics.failed),
            number(metrics.request_throughput(), 2),
            number(metrics.output_token_throughput(), 1),
            p50_p99(&metrics.ttft_ms),
            p50_p99(&metrics.tpot_ms),
            p50_p99(&metrics.itl_ms),
            p50_p99(&metrics.e2e_ms),
        ];
        if with_goodput {
            row.push(goodput(metrics));
        }
        if with_notes {
            row.push(notes.join("\n"));
        }
        table.add_row(row);
    }
    align_numbers(&mut table, 1..8);
    if with_goodput {
        align_numbers(&mut table, 8..9);
    }
    table
}

fn errors(results: &[PointResult]) -> Option<Table> {
    let mut table = new_table(
        [
            "point",
            "cause",
            "requests",
            "share of\nmeasured",
            "first message",
        ]
        .map(String::from)
        .to_vec(),
    );
    let mut any = false;
    for result in results {
        let metrics = &result.metrics;
        for (cause, count) in &metrics.failed_by_cause {
            any = true;
            let first_message = measured_requests(result)
                .filter_map(|timing| timing.error.as_ref())
                .find(|error| error.label() == *cause)
                .map(ToString::to_string)
                .unwrap_or_default();
            let share =
                (metrics.measured() > 0).then(|| *count as f64 / metrics.measured() as f64 * 100.0);
            table.add_row(vec![
                result.point.label(),
                cause.clone(),
                count.to_string(),
                share.map_or_else(|| "-".to_string(), |share| format!("{share:.1}%")),
                first_message,
            ]);
        }
    }
    align_numbers(&mut table, 2..4);
    any.then_some(table)
}

fn new_table(header: Vec<String>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    table
}

fn align_numbers(table: &mut Table, columns: std::ops::Range<usize>) {
    for index in columns {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// What the reader should know before trusting the row's numbers.
fn notes(result: &PointResult) -> Vec<String> {
    let metrics = &result.metrics;
    let mut notes = Vec::new();
    if let Some(lag) = &metrics.schedule_lag_ms {
        if lag.p99 > milliseconds(SCHEDULE_LAG_LIMIT) {
            notes.push(format!("behind schedule: lag p99 {:.1} ms", lag.p99));
        }
    }
    if result.interrupted {
        notes.push("interrupted".to_string());
    }
    if metrics.cancelled > 0 {
        notes.push(format!("{} cancelled", metrics.cancelled));
    }
    if metrics.completed_without_completion_tokens > 0 {
        notes.push(format!(
            "{} completed without a token count",
            metrics.completed_without_completion_tokens
        ));
    }
    notes
}

/// The ITL definition every point used (`per token`), or `mixed`.
fn itl_definitions(results: &[PointResult]) -> String {
    let mut definitions = results.iter().map(|result| result.metrics.itl_definition);
    match definitions.next() {
        Some(first) if definitions.all(|other| other == first) => first.as_str().replace('_', " "),
        Some(_) => "mixed".to_string(),
        None => "per token".to_string(),
    }
}

fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_string(), |value| format!("{value:.decimals$}"))
}

fn p50_p99(distribution: &Option<Distribution>) -> String {
    distribution.as_ref().map_or_else(
        || "-".to_string(),
        |distribution| format!("{:.1} / {:.1}", distribution.p50, distribution.p99),
    )
}

fn goodput(metrics: &RunMetrics) -> String {
    match (metrics.goodput(), metrics.good_request_fraction()) {
        (Some(goodput), Some(fraction)) => {
            format!("{goodput:.2} ({:.0}%)", fraction * 100.0)
        }
        (Some(goodput), None) => format!("{goodput:.2}"),
        _ => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::sample_sweep::{point_result, streamed, sweep};
    use super::*;
    use crate::point::LoadPoint;
    use yardstick_load::MetricsOptions;

    fn plain(mut table: Table) -> String {
        table.force_no_tty();
        table.to_string()
    }

    #[test]
    fn summary_table_of_the_sample_sweep() {
        insta::assert_snapshot!(plain(summary(&sweep())));
    }

    #[test]
    fn summary_values_come_from_the_run_metrics() {
        let results = sweep();
        let rendered = plain(summary(&results));
        // c=1: 4 measured requests, TTFT 51.5, 53.0, 54.5, 56.0 ms: p50 53.75, p99 55.955.
        let c1 = rendered
            .lines()
            .find(|line| line.contains("c=1"))
            .unwrap_or_default();
        assert!(c1.contains("4 / 0"), "{c1}");
        assert!(c1.contains("53.8 / 56.0"), "{c1}");
        let c4 = rendered
            .lines()
            .find(|line| line.contains("c=4"))
            .unwrap_or_default();
        assert!(c4.contains("5 / 2"), "{c4}");
        // Lags 0.2, 0.5, 25 and 40 ms (the cancelled request is not counted): p99 39.55.
        let open = rendered
            .lines()
            .find(|line| line.contains("poisson@2/s"))
            .unwrap_or_default();
        assert!(open.contains("behind schedule: lag p99 39.5 ms"), "{open}");
        assert!(rendered.contains("interrupted"));
        assert!(rendered.contains("1 cancelled"));
    }

    #[test]
    fn goodput_and_notes_columns_only_when_needed() {
        let timings = (0..3)
            .map(|index| streamed(None, index * 200_000, 60_000, 10_000, 5))
            .collect();
        let result = point_result(
            LoadPoint::Concurrency { concurrency: 2 },
            timings,
            &MetricsOptions::default(),
            false,
        );
        let rendered = plain(summary(&[result]));
        assert!(!rendered.contains("goodput"), "{rendered}");
        assert!(!rendered.contains("notes"), "{rendered}");
        assert!(rendered.contains("ITL ms (per token)"), "{rendered}");
    }

    #[test]
    fn errors_table_lists_failures_by_cause() {
        let results = sweep();
        let Some(table) = errors(&results) else {
            panic!("the sample sweep has failures");
        };
        let rendered = plain(table);
        insta::assert_snapshot!(rendered);
        assert!(rendered.contains("http_503"));
        assert!(rendered.contains("malformed response: usage block"));
        // A cancelled request is incomplete, not failed.
        assert!(!rendered.contains("cancelled"));
        assert_eq!(errors(&results[..1]).map(plain), None);
    }
}
