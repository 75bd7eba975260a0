//! The operating point of a bench run: the one load point a cost or a recommendation is
//! computed at.
//!
//! Among the load points with a measured throughput (a request rate, token counts and a
//! prefill share), the one with the highest request rate whose p99 TTFT and TPOT meet the
//! latency bounds; when none meets them, the one with the lowest p99 TTFT, marked as such so
//! that the caller can exclude it or say why it was chosen.

use crate::metric::ServingMetric;
use crate::results::{BenchUnit, LatencyBounds};
use crate::EvidenceError;

/// The chosen load point and whether it meets the bounds.
#[derive(Debug, Clone, Copy)]
pub enum OperatingPoint<'a> {
    /// The highest request rate among the points within the bounds.
    Within(&'a BenchUnit),
    /// No point meets the bounds: the one with the lowest p99 TTFT.
    Nearest(&'a BenchUnit),
}

impl<'a> OperatingPoint<'a> {
    pub fn unit(self) -> &'a BenchUnit {
        match self {
            OperatingPoint::Within(unit) | OperatingPoint::Nearest(unit) => unit,
        }
    }

    /// Chooses among `units` (see the module documentation); `None` when no unit has a
    /// measured throughput.
    pub fn choose(units: &'a [BenchUnit], bounds: &LatencyBounds) -> Option<OperatingPoint<'a>> {
        let measured = || units.iter().filter(|unit| has_throughput(unit));
        let rate = |unit: &&BenchUnit| unit.request_rate().map_or(0.0, |(rate, _)| rate);
        if let Some(best) = measured()
            .filter(|unit| unit.within(bounds))
            .max_by(|a, b| rate(a).total_cmp(&rate(b)))
        {
            return Some(OperatingPoint::Within(best));
        }
        let p99 = |unit: &&BenchUnit| unit.value(ServingMetric::TtftP99).unwrap_or(f64::INFINITY);
        measured()
            .min_by(|a, b| p99(a).total_cmp(&p99(b)))
            .map(OperatingPoint::Nearest)
    }
}

/// Whether a throughput can be computed for the unit.
pub fn has_throughput(unit: &BenchUnit) -> bool {
    unit.request_rate().is_some()
        && unit.tokens_per_request().is_some()
        && unit.prefill_share().is_some()
}

/// The load point named `point`, or an error naming the run's points.
pub fn named_point<'a>(
    units: &'a [BenchUnit],
    point: &str,
    run_id: &str,
) -> Result<&'a BenchUnit, EvidenceError> {
    units
        .iter()
        .find(|unit| unit.point == point)
        .ok_or_else(|| EvidenceError::Missing {
            what: format!("--point {point}"),
            reason: format!(
                "run {run_id} has no such load point; it has {}",
                units
                    .iter()
                    .map(|unit| unit.point.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

/// The load point to cost: the one named, else the highest request rate within the bounds
/// (an error when no point has a measured throughput within them).
pub fn costed_point<'a>(
    units: &'a [BenchUnit],
    point: Option<&str>,
    bounds: &LatencyBounds,
    run_id: &str,
) -> Result<&'a BenchUnit, EvidenceError> {
    if let Some(point) = point {
        return named_point(units, point, run_id);
    }
    match OperatingPoint::choose(units, bounds) {
        Some(OperatingPoint::Within(unit)) => Ok(unit),
        _ => Err(EvidenceError::Missing {
            what: format!("run {run_id}"),
            reason: "no load point has a measured throughput within the latency bounds given"
                .to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::bench_unit;

    fn three() -> Vec<BenchUnit> {
        vec![
            bench_unit(
                "c=1#0",
                &[("requests_per_second", 1.0), ("ttft_ms.p99", 50.0)],
            ),
            bench_unit(
                "c=4#0",
                &[("requests_per_second", 3.0), ("ttft_ms.p99", 120.0)],
            ),
            bench_unit(
                "c=8#0",
                &[("requests_per_second", 3.5), ("ttft_ms.p99", 400.0)],
            ),
        ]
    }

    #[test]
    fn the_fastest_point_within_the_bounds_else_the_lowest_latency() {
        let units = three();
        let unbounded = OperatingPoint::choose(&units, &LatencyBounds::default());
        assert!(matches!(unbounded, Some(OperatingPoint::Within(unit)) if unit.point == "c=8#0"));
        let bounds = LatencyBounds {
            max_p99_ttft_ms: Some(150.0),
            max_p99_tpot_ms: None,
        };
        let bounded = OperatingPoint::choose(&units, &bounds);
        assert!(matches!(bounded, Some(OperatingPoint::Within(unit)) if unit.point == "c=4#0"));
        let impossible = LatencyBounds {
            max_p99_ttft_ms: Some(10.0),
            max_p99_tpot_ms: None,
        };
        let nearest = OperatingPoint::choose(&units, &impossible);
        assert!(matches!(nearest, Some(OperatingPoint::Nearest(unit)) if unit.point == "c=1#0"));
        // An unmeasured TPOT is not within a TPOT bound.
        let tpot = LatencyBounds {
            max_p99_ttft_ms: None,
            max_p99_tpot_ms: Some(1000.0),
        };
        assert!(matches!(
            OperatingPoint::choose(&units, &tpot),
            Some(OperatingPoint::Nearest(_))
        ));
        assert!(OperatingPoint::choose(&[], &bounds).is_none());
    }

    #[test]
    fn cost_takes_the_named_point_or_refuses() {
        let units = three();
        let bounds = LatencyBounds::default();
        assert_eq!(
            costed_point(&units, Some("c=1#0"), &bounds, "r")
                .expect("named")
                .point,
            "c=1#0"
        );
        let error = costed_point(&units, Some("c=2#0"), &bounds, "r").expect_err("absent");
        assert_eq!(
            error.to_string(),
            "--point c=2#0: run r has no such load point; it has c=1#0, c=4#0, c=8#0"
        );
        let tight = LatencyBounds {
            max_p99_ttft_ms: Some(1.0),
            max_p99_tpot_ms: None,
        };
        let error = costed_point(&units, None, &tight, "r").expect_err("none within");
        assert!(
            error.to_string().starts_with("run r: no load point"),
            "{error}"
        );
    }
}
