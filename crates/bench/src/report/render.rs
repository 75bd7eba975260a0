//! Drawing a [`Chart`] with plotters, as SVG or PNG.
//!
//! plotters measures text to lay a chart out, and with its `ab_glyph` font backend it can only
//! measure (and, for PNG, draw) with a font registered from bytes. yardstick embeds a subset
//! of DejaVu Sans (`yardstick_report::font`, see the README in report's `src/fonts/`) and registers it as `sans-serif`, so no
//! system font is needed to build or run. An SVG names the `sans-serif` family and leaves the
//! drawing of its text to the viewer; a PNG's text is drawn with the embedded font.

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use plotters::chart::SeriesLabelPosition;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::plots::PlotFormat;
use super::ReportError;

/// DejaVu Sans 2.37, reduced to Latin, Greek, punctuation, arrows and a few math signs.
const FONT: &[u8] = yardstick_report::font::SANS;
/// The family the embedded font is registered as, and the one an SVG asks its viewer for.
const FONT_FAMILY: &str = "sans-serif";
/// Width and height in pixels (PNG) or user units (SVG).
const SIZE: (u32, u32) = (1024, 640);
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

/// A two-dimensional chart of line series on linear axes starting at 0.
#[derive(Debug, Clone)]
pub(super) struct Chart {
    pub title: String,
    /// The axis descriptions, with units.
    pub x_label: String,
    pub y_label: String,
    /// The top of the y axis; `None` to fit the data.
    pub y_max: Option<f64>,
    pub legend: SeriesLabelPosition,
    pub series: Vec<Series>,
}

/// One line, named in the legend.
#[derive(Debug, Clone)]
pub(super) struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// Whether each point gets a marker.
    pub markers: bool,
    /// Text drawn beside each point, in the order of `points`; empty for none.
    pub point_labels: Vec<String>,
}

/// Draws `chart` into the file `path`.
pub(super) fn save(chart: &Chart, path: &Path, format: PlotFormat) -> Result<(), ReportError> {
    let plot_error = |reason: String| ReportError::Plot {
        path: path.to_path_buf(),
        reason,
    };
    register_font().map_err(plot_error)?;
    match format {
        PlotFormat::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
                draw(chart, &root)
                    .and_then(|()| root.present())
                    .map_err(|error| plot_error(error.to_string()))?;
            }
            fs::write(path, svg).map_err(|source| ReportError::io("writing", path, source))
        }
        PlotFormat::Png => {
            let root = BitMapBackend::new(path, SIZE).into_drawing_area();
            draw(chart, &root)
                .and_then(|()| root.present())
                .map_err(|error| plot_error(error.to_string()))
        }
    }
}

/// Registers the embedded font once per process.
fn register_font() -> Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok()
    });
    if registered {
        Ok(())
    } else {
        Err("the embedded font (fonts/DejaVuSans-subset.ttf) is not a valid font".to_string())
    }
}

fn draw<DB: DrawingBackend>(
    chart: &Chart,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let all_points = || chart.series.iter().flat_map(|series| &series.points);
    let x_max = axis_end(all_points().map(|point| point.0));
    let y_max = chart
        .y_max
        .unwrap_or_else(|| axis_end(all_points().map(|point| point.1)));
    let mut cartesian = ChartBuilder::on(root)
        .caption(&chart.title, (FONT_FAMILY, 26))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    cartesian
        .configure_mesh()
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .label_style((FONT_FAMILY, 15))
        .axis_desc_style((FONT_FAMILY, 18))
        .draw()?;
    for (index, series) in chart.series.iter().enumerate() {
        let color = PALETTE[index % PALETTE.len()];
        cartesian
            .draw_series(LineSeries::new(
                series.points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(&series.label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
            });
        if series.markers {
            cartesian.draw_series(
                series
                    .points
                    .iter()
                    .map(|&point| Circle::new(point, 4, color.filled())),
            )?;
        }
        cartesian.draw_series(series.points.iter().zip(&series.point_labels).map(
            |(&point, label)| {
                EmptyElement::at(point) + Text::new(label.clone(), (6, -20), (FONT_FAMILY, 14))
            },
        ))?;
    }
    cartesian
        .configure_series_labels()
        .position(chart.legend.clone())
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
