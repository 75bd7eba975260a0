//! The CDF plots of a sweep: TTFT and ITL, one curve per load point, from the samples behind
//! the run's distributions (measured requests that completed).

use yardstick_load::metrics::{inter_token_latencies, ttft};

use yardstick_report::chart::{cdf_points, Chart, Legend, Series, Style};

use super::{completed_requests, milliseconds};
use crate::point::PointResult;

pub(super) fn ttft_cdf(results: &[PointResult]) -> Result<Chart, String> {
    let samples = results
        .iter()
        .map(|result| {
            completed_requests(result)
                .filter_map(ttft)
                .map(milliseconds)
                .collect()
        })
        .collect();
    cdf_chart(
        results,
        samples,
        "TTFT CDF".to_string(),
        "time to first token (ms)",
        "fraction of requests",
    )
    .ok_or_else(|| "no completed measured request received a token".to_string())
}

pub(super) fn itl_cdf(results: &[PointResult]) -> Result<Chart, String> {
    let samples = results
        .iter()
        .map(|result| {
            let definition = result.metrics.itl_definition;
            completed_requests(result)
                .flat_map(|timing| inter_token_latencies(timing, definition))
                .map(milliseconds)
                .collect()
        })
        .collect();
    let definitions: Vec<&str> = results
        .iter()
        .map(|result| result.metrics.itl_definition.as_str())
        .collect();
    let title = match definitions.split_first() {
        Some((first, rest)) if rest.iter().all(|other| other == first) => {
            format!("ITL CDF ({})", first.replace('_', " "))
        }
        _ => "ITL CDF".to_string(),
    };
    cdf_chart(
        results,
        samples,
        title,
        "inter-token latency (ms)",
        "fraction of ITL samples",
    )
    .ok_or_else(|| {
        "no ITL sample: no completed measured request streamed two tokens in separate chunks \
         (a non-streaming run, or one token per request)"
            .to_string()
    })
}

/// One curve per load point with samples, labelled `<point> (n=<samples>)`; `None` when no
/// point has a sample.
fn cdf_chart(
    results: &[PointResult],
    samples: Vec<Vec<f64>>,
    title: String,
    x_label: &str,
    y_label: &str,
) -> Option<Chart> {
    let series: Vec<Series> = results
        .iter()
        .zip(samples)
        .filter(|(_, samples)| !samples.is_empty())
        .map(|(result, samples)| Series {
            label: format!("{} (n={})", result.point.label(), samples.len()),
            points: cdf_points(samples),
            style: Style::Line,
            point_labels: Vec::new(),
        })
        .collect();
    (!series.is_empty()).then(|| Chart {
        title,
        x_label: x_label.to_string(),
        y_label: y_label.to_string(),
        x_range: None,
        y_range: Some((0.0, 1.0)),
        legend: Legend::LowerRight,
        series,
    })
}
