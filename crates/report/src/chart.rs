//! Two-dimensional charts — line series, scatter series, point labels — drawn with plotters
//! as SVG text or PNG bytes. Every plot yardstick writes (a sweep's latency curves and CDFs,
//! a report's Pareto scatters) is a [`Chart`] drawn here, so they look alike.
//!
//! plotters measures text to lay a chart out, and with its `ab_glyph` font backend it can only
//! measure (and, for PNG, draw) with a font registered from bytes. The embedded subset of
//! DejaVu Sans ([`crate::font`]) is registered as `sans-serif`, so no system font is needed.
//! An SVG names the `sans-serif` family and leaves drawing its text to the viewer; a PNG's
//! text is drawn with the embedded font.

use std::io::Cursor;
use std::sync::OnceLock;

use plotters::chart::SeriesLabelPosition;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Serialize;

use crate::ReportError;

/// The family the embedded font is registered as, and the one an SVG asks its viewer for.
const FONT_FAMILY: &str = "sans-serif";
/// Width and height in pixels (PNG) or user units (SVG).
pub const SIZE: (u32, u32) = (1024, 640);
/// Series colours, in order (matplotlib's `tab10`): distinct and legible on white.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// A chart of series on linear axes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    pub title: String,
    /// The axis descriptions, with units.
    pub x_label: String,
    pub y_label: String,
    /// The x axis's extent; `None`: from 0 to the largest value plus 5%.
    pub x_range: Option<(f64, f64)>,
    /// The y axis's extent; `None`: from 0 to the largest value plus 5%.
    pub y_range: Option<(f64, f64)>,
    pub legend: Legend,
    pub series: Vec<Series>,
}

/// Where the legend goes: the corner the data leaves empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Legend {
    UpperLeft,
    UpperRight,
    LowerLeft,
    LowerRight,
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// A line through the points in order.
    Line,
    /// A line with a marker at each point.
    LineAndMarkers,
    /// Markers only (a scatter).
    Markers,
}

/// One series, named in the legend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub style: Style,
    /// Text drawn beside each point, in the order of `points`; empty for none.
    pub point_labels: Vec<String>,
}

/// `chart` as a complete SVG document.
pub fn svg(chart: &Chart) -> Result<String, ReportError> {
    register_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw(chart, &root)
            .and_then(|()| root.present())
            .map_err(|error| plot_error(chart, error.to_string()))?;
    }
    Ok(svg)
}

/// `chart` as a PNG image of [`SIZE`] pixels.
pub fn png(chart: &Chart) -> Result<Vec<u8>, ReportError> {
    register_font()?;
    let (width, height) = SIZE;
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        draw(chart, &root)
            .and_then(|()| root.present())
            .map_err(|error| plot_error(chart, error.to_string()))?;
    }
    let image = image::RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| plot_error(chart, "the bitmap has the wrong size".to_string()))?;
    let mut png = Cursor::new(Vec::new());
    image
        .write_to(&mut png, image::ImageFormat::Png)
        .map_err(|error| plot_error(chart, format!("encoding the PNG: {error}")))?;
    Ok(png.into_inner())
}

fn plot_error(chart: &Chart, reason: String) -> ReportError {
    ReportError::Plot {
        title: chart.title.clone(),
        reason,
    }
}

/// Registers the embedded font once per process.
fn register_font() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, crate::font::SANS).is_ok()
    });
    if registered {
        Ok(())
    } else {
        Err(ReportError::Plot {
            title: String::new(),
            reason: "the embedded font (fonts/DejaVuSans-subset.ttf) is not a valid font"
                .to_string(),
        })
    }
}

fn draw<DB: DrawingBackend>(
    chart: &Chart,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let all_points = || chart.series.iter().flat_map(|series| &series.points);
    let x_range = chart
        .x_range
        .unwrap_or_else(|| (0.0, axis_end(all_points().map(|point| point.0))));
    let y_range = chart
        .y_range
        .unwrap_or_else(|| (0.0, axis_end(all_points().map(|point| point.1))));
    let mut cartesian = ChartBuilder::on(root)
        .caption(&chart.title, (FONT_FAMILY, 26))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)?;
    cartesian
        .configure_mesh()
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .label_style((FONT_FAMILY, 15))
        .axis_desc_style((FONT_FAMILY, 18))
        .draw()?;
    for (index, series) in chart.series.iter().enumerate() {
        let color = PALETTE[index % PALETTE.len()];
        let points = || series.points.iter().copied();
        let line = !matches!(series.style, Style::Markers);
        let markers = !matches!(series.style, Style::Line);
        let annotation = if line {
            cartesian.draw_series(LineSeries::new(points(), color.stroke_width(2)))?
        } else {
            cartesian.draw_series(points().map(|point| Circle::new(point, 5, color.filled())))?
        };
        annotation.label(&series.label).legend(move |(x, y)| {
            if line {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2)).into_dyn()
            } else {
                Circle::new((x + 12, y), 5, color.filled()).into_dyn()
            }
        });
        if line && markers {
            cartesian.draw_series(points().map(|point| Circle::new(point, 4, color.filled())))?;
        }
        // Labels go above and right of their point; in the right half of the plot, below and
        // left of it, so that they stay inside the plot and clear of labels from the left
        // half at the same height (width estimated at 7.5 px per character at 14 px).
        let middle = (x_range.0 + x_range.1) / 2.0;
        cartesian.draw_series(series.points.iter().zip(&series.point_labels).map(
            |(&point, label)| {
                let offset = if point.0 > middle {
                    (-6 - (label.chars().count() as f64 * 7.5) as i32, 8)
                } else {
                    (6, -20)
                };
                EmptyElement::at(point) + Text::new(label.clone(), offset, (FONT_FAMILY, 14))
            },
        ))?;
    }
    cartesian
        .configure_series_labels()
        .position(match chart.legend {
            Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
            Legend::UpperRight => SeriesLabelPosition::UpperRight,
            Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
            Legend::LowerRight => SeriesLabelPosition::LowerRight,
        })
        .label_font((FONT_FAMILY, 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// The end of an axis from 0 showing every value with a 5% margin; 1 without a positive one.
fn axis_end(values: impl Iterator<Item = f64>) -> f64 {
    let largest = values.filter(|value| value.is_finite()).fold(0.0, f64::max);
    if largest > 0.0 {
        largest * 1.05
    } else {
        1.0
    }
}

/// An axis extent around `values` with `margin` (a fraction of their span) on both sides;
/// a span of at least 10% of the largest magnitude (or 1), so one value still gets an axis.
/// `None` without a finite value.
pub fn fitted_range(values: impl Iterator<Item = f64>, margin: f64) -> Option<(f64, f64)> {
    let (low, high) = values.filter(|value| value.is_finite()).fold(
        None,
        |range: Option<(f64, f64)>, value| {
            Some(range.map_or((value, value), |(low, high)| {
                (low.min(value), high.max(value))
            }))
        },
    )?;
    let span = (high - low).max(0.1 * low.abs().max(high.abs()));
    let span = if span > 0.0 { span } else { 1.0 };
    let middle = (low + high) / 2.0;
    let half = span / 2.0 + span * margin;
    Some((middle - half, middle + half))
}

/// The most ranks a CDF curve is drawn through: beyond this, evenly spaced ranks (the
/// smallest and largest samples always among them), which looks the same and keeps an SVG of
/// millions of samples small.
pub const CDF_POINTS: usize = 500;

/// The empirical CDF as a step line: at each sample's value the fraction of samples ≤ it
/// rises from the previous fraction (0 at first), through at most [`CDF_POINTS`] ranks.
pub fn cdf_points(mut samples: Vec<f64>) -> Vec<(f64, f64)> {
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

/// A chart of one point, for tests that need a chart but not its drawing.
#[cfg(test)]
pub(crate) fn tiny() -> Chart {
    Chart {
        title: "tiny".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        x_range: None,
        y_range: None,
        legend: Legend::UpperLeft,
        series: vec![Series {
            label: "one".into(),
            points: vec![(1.0, 1.0)],
            style: Style::Markers,
            point_labels: Vec::new(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scatter() -> Chart {
        Chart {
            title: "score vs cost".into(),
            x_label: "$ per 1M output tokens".into(),
            y_label: "accuracy".into(),
            x_range: fitted_range([1.0, 3.0].into_iter(), 0.1),
            y_range: Some((0.0, 1.0)),
            legend: Legend::LowerRight,
            series: vec![
                Series {
                    label: "dominated".into(),
                    points: vec![(3.0, 0.4)],
                    style: Style::Markers,
                    point_labels: vec!["qwen".into()],
                },
                Series {
                    label: "Pareto front".into(),
                    points: vec![(1.0, 0.5)],
                    style: Style::LineAndMarkers,
                    point_labels: vec!["gemma".into()],
                },
            ],
        }
    }

    #[test]
    fn svg_and_png_carry_the_chart() {
        let svg = svg(&scatter()).expect("svg");
        assert!(svg.starts_with("<svg "));
        for text in ["score vs cost", "accuracy", "Pareto front", "qwen", "gemma"] {
            assert!(svg.contains(text), "no {text} in the SVG");
        }
        let png = png(&scatter()).expect("png");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(png.len() > 10_000, "{} bytes", png.len());
    }

    #[test]
    fn fitted_ranges_cover_the_values_with_a_margin() {
        assert_eq!(fitted_range([2.0, 4.0].into_iter(), 0.25), Some((1.5, 4.5)));
        let (low, high) = fitted_range([5.0].into_iter(), 0.0).expect("one value");
        assert!(low < 5.0 && high > 5.0);
        assert_eq!(fitted_range([0.0].into_iter(), 0.0), Some((-0.5, 0.5)));
        assert_eq!(fitted_range([f64::NAN].into_iter(), 0.1), None);
    }

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
