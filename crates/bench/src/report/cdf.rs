//! The CDF plots of a sweep: TTFT and ITL, one curve per load point, from the samples behind
//! the run's distributions (measured requests that completed).

use plotters::chart::SeriesLabelPosition;
use yardstick_load::metrics::{inter_token_latencies, ttft};

use super::render::{Chart, Series};
use super::{completed_requests, milliseconds};
use crate::point::PointResult;

/// The most ranks a CDF curve is drawn through: beyond this, evenly spaced ranks (the
/// smallest and largest samples always among them), which looks the same and keeps an SVG of
/// millions of ITL samples small.
const CDF_POINTS: usize = 500;

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
            markers: false,
            point_labels: Vec::new(),
        })
        .collect();
    (!series.is_empty()).then(|| Chart {
        title,
        x_label: x_label.to_string(),
        y_label: y_label.to_string(),
        y_max: Some(1.0),
        legend: SeriesLabelPosition::LowerRight,
        series,
    })
}

/// The empirical CDF as a step line: at each sample's value the fraction of samples ≤ it
/// rises from the previous fraction (0 at first), through at most [`CDF_POINTS`] ranks.
fn cdf_points(mut samples: Vec<f64>) -> Vec<(f64, f64)> {
    samples.sort_by(f64::total_cmp);
    let count = samples.len();
    let ranks: Vec<usize> = if count <= CDF_POINTS {
        (0..count).collect()
    } else {
        (0..CDF_POINTS)
            .map(|step| step * (count - 1) / (CDF_POINTS - 1))
            .collect()
    };
    let mut points = Vec::with_capacity(2 * ranks.len());
    let mut below = 0.0;
    for rank in ranks {
        let fraction = (rank + 1) as f64 / count as f64;
        points.push((samples[rank], below));
        points.push((samples[rank], fraction));
        below = fraction;
    }
    points
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_points_step_from_zero_to_one() {
        assert_eq!(
            cdf_points(vec![3.0, 1.0, 2.0]),
            [
                (1.0, 0.0),
                (1.0, 1.0 / 3.0),
                (2.0, 1.0 / 3.0),
                (2.0, 2.0 / 3.0),
                (3.0, 2.0 / 3.0),
                (3.0, 1.0)
            ]
        );
        let many = cdf_points((0..10_000).map(f64::from).collect());
        assert_eq!(many.len(), 2 * CDF_POINTS);
        assert_eq!(many[..2], [(0.0, 0.0), (0.0, 1.0 / 10_000.0)]);
        assert_eq!(many.last(), Some(&(9_999.0, 1.0)));
        assert_eq!(cdf_points(Vec::new()), []);
    }
}
