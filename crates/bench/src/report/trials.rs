//! Repeated trials of a load point: the runs grouped by point, and per point with more than
//! one trial the mean ± 1.96 standard errors of its throughput and median latencies.

use yardstick_core::MetricRecord;

use crate::point::PointResult;
use crate::sweep::across_trials;

/// Runs grouped by load point, in the order points first appeared.
pub fn by_point(results: &[PointResult]) -> Vec<(String, Vec<PointResult>)> {
    let mut groups: Vec<(String, Vec<PointResult>)> = Vec::new();
    for result in results {
        let label = result.point.label();
        match groups.iter_mut().find(|(existing, _)| *existing == label) {
            Some((_, runs)) => runs.push(result.clone()),
            None => groups.push((label, vec![result.clone()])),
        }
    }
    groups
}

/// Each point with several trials and its records across them ([`across_trials`]).
pub fn across_points(results: &[PointResult]) -> Vec<(String, usize, Vec<MetricRecord>)> {
    by_point(results)
        .into_iter()
        .filter(|(_, runs)| runs.len() > 1)
        .map(|(label, runs)| (label, runs.len(), across_trials(&runs)))
        .collect()
}

/// The metrics a trials line shows, with their titles.
const SHOWN: [(&str, &str); 3] = [
    ("output_tokens_per_second", "output tok/s"),
    ("ttft_ms.p50", "TTFT p50 ms"),
    ("tpot_ms.p50", "TPOT p50 ms"),
];

/// `c=4: 3 trials, mean ± 1.96 s.e.: output tok/s 41.20 ± 0.80, …`, one line per point
/// with more than one trial.
pub fn trials_lines(results: &[PointResult]) -> Vec<String> {
    across_points(results)
        .into_iter()
        .map(|(label, trials, records)| {
            let parts: Vec<String> = SHOWN
                .iter()
                .filter_map(|(name, title)| {
                    let record = records.iter().find(|record| record.name == *name)?;
                    let interval = record
                        .stderr
                        .map(|stderr| format!(" ± {:.2}", 1.96 * stderr))
                        .unwrap_or_default();
                    Some(format!("{title} {:.2}{interval}", record.value))
                })
                .collect();
            format!(
                "{label}: {trials} trials, mean ± 1.96 s.e.: {}",
                parts.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample_sweep;

    #[test]
    fn points_group_in_order_and_single_trials_have_no_line() {
        let sweep = sample_sweep::sweep();
        let groups = by_point(&sweep);
        let labels: Vec<&str> = groups.iter().map(|(label, _)| label.as_str()).collect();
        let mut expected: Vec<String> = Vec::new();
        for result in &sweep {
            if !expected.contains(&result.point.label()) {
                expected.push(result.point.label());
            }
        }
        assert_eq!(labels, expected);
        let mut twice = sweep.clone();
        twice.push(sweep[0].clone());
        let lines = trials_lines(&twice);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with(&format!(
                "{}: 2 trials, mean ± 1.96 s.e.: ",
                sweep[0].point.label()
            )),
            "{}",
            lines[0]
        );
        // Two equal trials: no spread, so every interval is ± 0.00.
        assert!(lines[0].contains("± 0.00"), "{}", lines[0]);
    }
}
