//! The plots of a sweep and where they are written: latency against throughput across the
//! load points (here) and the CDFs of TTFT and ITL ([`super::cdf`]), as data that
//! [`super::render`] draws.

use std::fs;
use std::path::{Path, PathBuf};

use yardstick_load::Distribution;

use super::cdf::{itl_cdf, ttft_cdf};
use super::ReportError;
use crate::point::PointResult;
use yardstick_report::chart::{self, Chart, Legend, Series, Style};

/// The file format of the plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlotFormat {
    /// Scalable vector graphics: text is left to the viewer's `sans-serif` font.
    Svg,
    /// A 1024 × 640 bitmap, text drawn with the font embedded in yardstick.
    Png,
}

// The name is also the file extension.
yardstick_core::closed_set!(PlotFormat, "plot format", {
    Svg => "svg",
    Png => "png",
});

/// Writes the sweep's plots into `dir` (created if missing) and returns the files written:
///
/// - `ttft_vs_throughput` and `tpot_vs_throughput`: P50 and P99 latency (ms) against output
///   token throughput (tok/s), one marker per load point, labelled with the point;
/// - `ttft_cdf`: the CDF of TTFT (ms), one curve per load point;
/// - `itl_cdf`: the CDF of the inter-token latency samples (ms) under each run's ITL
///   definition, one curve per load point.
///
/// Samples are those of the run's statistics: measured requests that completed. A plot
/// without data (no TPOT because every request produced one token, no ITL sample from a
/// non-streaming run, ...) is skipped, and the reason is logged.
pub fn write_plots(
    results: &[PointResult],
    dir: &Path,
    format: PlotFormat,
) -> Result<Vec<PathBuf>, ReportError> {
    fs::create_dir_all(dir)
        .map_err(|source| ReportError::io("creating the plot directory", dir, source))?;
    let plots = [
        (
            "ttft_vs_throughput",
            latency_vs_throughput(results, Latency::Ttft),
        ),
        (
            "tpot_vs_throughput",
            latency_vs_throughput(results, Latency::Tpot),
        ),
        ("ttft_cdf", ttft_cdf(results)),
        ("itl_cdf", itl_cdf(results)),
    ];
    let mut written = Vec::new();
    for (name, chart) in plots {
        match chart {
            Ok(chart) => {
                let path = dir.join(format!("{name}.{format}"));
                save(&chart, &path, format)?;
                written.push(path);
            }
            Err(reason) => tracing::info!(plot = name, "skipping the plot: {reason}"),
        }
    }
    Ok(written)
}

/// Draws `chart` into the file `path`.
fn save(chart: &Chart, path: &Path, format: PlotFormat) -> Result<(), ReportError> {
    let bytes = match format {
        PlotFormat::Svg => chart::svg(chart).map(String::into_bytes),
        PlotFormat::Png => chart::png(chart),
    }
    .map_err(|error| ReportError::Plot {
        path: path.to_path_buf(),
        reason: error.to_string(),
    })?;
    fs::write(path, bytes).map_err(|source| ReportError::io("writing", path, source))
}

/// The latencies plotted against throughput.
#[derive(Debug, Clone, Copy)]
enum Latency {
    Ttft,
    Tpot,
}

impl Latency {
    fn name(self) -> &'static str {
        match self {
            Latency::Ttft => "TTFT",
            Latency::Tpot => "TPOT",
        }
    }

    fn of(self, result: &PointResult) -> Option<&Distribution> {
        match self {
            Latency::Ttft => result.metrics.ttft_ms.as_ref(),
            Latency::Tpot => result.metrics.tpot_ms.as_ref(),
        }
    }
}

/// P50 and P99 of `latency` against output token throughput, in sweep order; the P99
/// markers carry the point labels.
fn latency_vs_throughput(results: &[PointResult], latency: Latency) -> Result<Chart, String> {
    let rows: Vec<(f64, &Distribution, String)> = results
        .iter()
        .filter_map(|result| {
            let throughput = result.metrics.output_token_throughput()?;
            Some((throughput, latency.of(result)?, result.point.label()))
        })
        .collect();
    if rows.is_empty() {
        return Err(format!(
            "no load point has both an output token throughput and a {}",
            latency.name()
        ));
    }
    let series = |label: &str, pick: fn(&Distribution) -> f64, labelled: bool| Series {
        label: label.to_string(),
        points: rows
            .iter()
            .map(|(throughput, distribution, _)| (*throughput, pick(distribution)))
            .collect(),
        style: Style::LineAndMarkers,
        point_labels: if labelled {
            rows.iter().map(|(_, _, label)| label.clone()).collect()
        } else {
            Vec::new()
        },
    };
    Ok(Chart {
        title: format!("{} vs output token throughput", latency.name()),
        x_label: "output token throughput (tok/s)".to_string(),
        y_label: format!("{} (ms)", latency.name()),
        x_range: None,
        y_range: None,
        legend: Legend::UpperLeft,
        series: vec![
            series("P50", |distribution| distribution.p50, false),
            series("P99", |distribution| distribution.p99, true),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::super::sample_sweep::{point_result, streamed, sweep};
    use super::*;
    use crate::point::LoadPoint;
    use yardstick_load::MetricsOptions;

    /// The contents of every `<text>` element of an SVG, trimmed.
    fn svg_texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|element| {
                let (_, rest) = element.split_once('>')?;
                let (content, _) = rest.split_once("</text>")?;
                Some(content.trim().to_string())
            })
            .collect()
    }

    fn read(path: &Path) -> Vec<u8> {
        fs::read(path).unwrap_or_else(|error| panic!("reading {}: {error}", path.display()))
    }

    #[test]
    fn svg_plots_carry_titles_axes_and_series() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
        let plots_dir = dir.path().join("plots");
        let written = write_plots(&sweep(), &plots_dir, PlotFormat::Svg)
            .unwrap_or_else(|error| panic!("{error}"));
        let names: Vec<String> = written
            .iter()
            .filter_map(|path| path.file_name()?.to_str().map(String::from))
            .collect();
        assert_eq!(
            names,
            [
                "ttft_vs_throughput.svg",
                "tpot_vs_throughput.svg",
                "ttft_cdf.svg",
                "itl_cdf.svg"
            ]
        );
        let text = |name: &str| String::from_utf8_lossy(&read(&plots_dir.join(name))).into_owned();
        for name in &names {
            let svg = text(name);
            assert!(
                svg.starts_with("<svg "),
                "{name}: {}",
                &svg[..40.min(svg.len())]
            );
            assert!(svg.trim_end().ends_with("</svg>"), "{name}");
            assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
        }
        let expect_texts = |name: &str, expected: &[&str]| {
            let texts = svg_texts(&text(name));
            for expected in expected {
                assert!(
                    texts.iter().any(|text| text == expected),
                    "{name} has no text {expected:?}: {texts:?}"
                );
            }
        };
        expect_texts(
            "ttft_vs_throughput.svg",
            &[
                "TTFT vs output token throughput",
                "output token throughput (tok/s)",
                "TTFT (ms)",
                "P50",
                "P99",
                "c=1",
                "c=4",
                "poisson@2/s",
            ],
        );
        expect_texts(
            "tpot_vs_throughput.svg",
            &[
                "TPOT vs output token throughput",
                "TPOT (ms)",
                "P50",
                "P99",
                "c=4",
            ],
        );
        // Measured completed requests: 4 at c=1, 5 at c=4, 4 at poisson@2/s (one cancelled).
        expect_texts(
            "ttft_cdf.svg",
            &[
                "TTFT CDF",
                "time to first token (ms)",
                "fraction of requests",
                "c=1 (n=4)",
                "c=4 (n=5)",
                "poisson@2/s (n=4)",
            ],
        );
        // One-token chunks: 19 gaps per 20-token request, 7 per 8-token one.
        expect_texts(
            "itl_cdf.svg",
            &[
                "ITL CDF (per token)",
                "inter-token latency (ms)",
                "c=1 (n=76)",
                "c=4 (n=95)",
                "poisson@2/s (n=28)",
            ],
        );
    }

    #[test]
    fn png_plots_are_png_files() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
        let written = write_plots(&sweep(), dir.path(), PlotFormat::Png)
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(written.len(), 4);
        for path in written {
            let bytes = read(&path);
            assert!(
                bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
                "{} is not a PNG",
                path.display()
            );
            assert!(bytes.len() > 10_000, "{} looks empty", path.display());
        }
    }

    #[test]
    fn plots_without_data_are_skipped() {
        // One token per request: no TPOT, no ITL.
        let timings = (0..3)
            .map(|index| streamed(None, index * 200_000, 60_000, 10_000, 1))
            .collect();
        let result = point_result(
            LoadPoint::Concurrency { concurrency: 1 },
            timings,
            &MetricsOptions::default(),
            false,
        );
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("temp dir: {error}"));
        let written = write_plots(&[result], dir.path(), PlotFormat::Svg)
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            written,
            [
                dir.path().join("ttft_vs_throughput.svg"),
                dir.path().join("ttft_cdf.svg")
            ]
        );
        assert!(
            write_plots(&[], dir.path(), PlotFormat::Png).is_ok_and(|written| written.is_empty())
        );
    }

    #[test]
    fn plot_format_parses_its_names() {
        assert_eq!("png".parse::<PlotFormat>().ok(), Some(PlotFormat::Png));
        let error = "jpeg"
            .parse::<PlotFormat>()
            .err()
            .map(|error| error.to_string());
        assert_eq!(
            error.as_deref(),
            Some("unknown plot format `jpeg`; valid values are: svg, png")
        );
    }
}
