//! A [`Document`] as a PDF: A4 pages laid out here (title, sections, wrapped paragraphs,
//! tables, plots, preformatted text), each page drawn as SVG by usvg into krilla, with the
//! embedded DejaVu Sans ([`crate::font`]) as the only font, so the output does not depend on
//! the machine's fonts and nothing is fetched.
//!
//! Layout is deliberately simple: text widths are estimated from the character count (0.62
//! em per character: DejaVu Sans's digits are 0.636 em and lowercase letters average about
//! 0.55, so cells of ids and numbers do not run into the next column), long table rows shrink their font
//! down to 5 pt to fit the width, a block that does not fit the rest of a page starts the
//! next one, and a table longer than a page continues on the next with its header repeated.

use std::fmt::Write as _;
use std::sync::Arc;

use krilla::geom::{Size, Transform};
use krilla::page::PageSettings;
use krilla_svg::{SurfaceExt, SvgSettings};

use crate::document::{Block, Document, Plot, Table};
use crate::font::{SANS, SANS_FAMILY};
use crate::html::escape;
use crate::ReportError;

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 50.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const BODY_SIZE: f32 = 10.0;
const TABLE_SIZE: f32 = 8.0;
const SMALLEST_TABLE_SIZE: f32 = 5.0;
const PREFORMATTED_SIZE: f32 = 7.0;
/// Advance of a character, in em, for the width estimates (a little above the average, so
/// estimates err on the wide side).
const EM_PER_CHARACTER: f32 = 0.62;
const MOST_PLOT_HEIGHT: f32 = 330.0;

/// Renders `document` (validated first) as PDF bytes.
pub fn render(document: &Document) -> Result<Vec<u8>, ReportError> {
    document.validate()?;
    let options = svg_options();
    let mut layout = Layout::new(&document.title);
    layout.text(&document.title, 20.0, "#000");
    layout.text(&document.subtitle, BODY_SIZE, "#555");
    layout.gap(10.0);
    for section in &document.sections {
        layout.ensure(60.0);
        layout.gap(8.0);
        layout.text(&section.title, 14.0, "#000");
        layout.gap(4.0);
        for block in &section.blocks {
            match block {
                Block::Paragraph { text } => layout.text(text, BODY_SIZE, "#1b1b1b"),
                Block::Notice { text } => {
                    layout.text(&format!("Note: {text}"), BODY_SIZE, "#a35200")
                }
                Block::Preformatted { caption, text } => {
                    layout.text(caption, BODY_SIZE, "#444");
                    for line in text.lines() {
                        layout.preformatted(line, PREFORMATTED_SIZE, "#333");
                    }
                }
                Block::Table(table) => layout.table(table),
                Block::Plot(plot) => layout.plot(plot, &options)?,
            }
            layout.gap(6.0);
        }
    }
    let pages = layout.finish();

    let mut pdf = krilla::Document::new();
    for page in &pages {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| ReportError::Pdf("the page size is invalid".to_string()))?;
        let mut pdf_page = pdf.start_page_with(settings);
        let mut surface = pdf_page.surface();
        let text = usvg::Tree::from_str(&page.svg, &options)
            .map_err(|error| ReportError::Pdf(format!("laying out a page: {error}")))?;
        draw(&mut surface, &text, PAGE_WIDTH, PAGE_HEIGHT)?;
        for placed in &page.plots {
            surface.push_transform(&Transform::from_translate(placed.x, placed.y));
            draw(&mut surface, &placed.tree, placed.width, placed.height)?;
            surface.pop();
        }
        surface.finish();
        pdf_page.finish();
    }
    pdf.finish()
        .map_err(|error| ReportError::Pdf(format!("writing the PDF: {error:?}")))
}

fn draw(
    surface: &mut krilla::surface::Surface<'_>,
    tree: &usvg::Tree,
    width: f32,
    height: f32,
) -> Result<(), ReportError> {
    let size = Size::from_wh(width, height)
        .ok_or_else(|| ReportError::Pdf(format!("an empty drawing ({width} × {height})")))?;
    surface
        .draw_svg(tree, size, SvgSettings::default())
        .ok_or_else(|| ReportError::Pdf("krilla could not draw an SVG".to_string()))
}

/// usvg options with the embedded font as the only one, also standing in for
/// `sans-serif` (the family plotters' SVG files ask for).
fn svg_options() -> usvg::Options<'static> {
    let mut fonts = usvg::fontdb::Database::new();
    fonts.load_font_data(SANS.to_vec());
    fonts.set_sans_serif_family(SANS_FAMILY);
    usvg::Options {
        font_family: SANS_FAMILY.to_string(),
        fontdb: Arc::new(fonts),
        ..usvg::Options::default()
    }
}

/// A laid-out page: its text and lines as one SVG document, and the plots placed on it.
struct Page {
    svg: String,
    plots: Vec<PlacedPlot>,
}

struct PlacedPlot {
    tree: usvg::Tree,
    x: f32,
    y: f32,
    width: f32,
    height: f32,
}

/// The page being filled and the ones already full.
struct Layout {
    footer: String,
    done: Vec<Page>,
    body: String,
    plots: Vec<PlacedPlot>,
    /// Top of the free space on the current page.
    y: f32,
}

fn estimated_width(text: &str, size: f32) -> f32 {
    text.chars().count() as f32 * size * EM_PER_CHARACTER
}

/// `text` broken at spaces into lines no wider than `width` (a word longer than a line is
/// cut).
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let per_line = ((width / (size * EM_PER_CHARACTER)).floor() as usize).max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        while word.chars().count() > per_line {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let head: String = word.chars().take(per_line).collect();
            word = word.chars().skip(per_line).collect();
            lines.push(head);
        }
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > per_line && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

impl Layout {
    fn new(title: &str) -> Layout {
        Layout {
            footer: title.to_string(),
            done: Vec::new(),
            body: String::new(),
            plots: Vec::new(),
            y: MARGIN,
        }
    }

    fn new_page(&mut self) {
        let number = self.done.len() + 1;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{PAGE_WIDTH}\" height=\"{PAGE_HEIGHT}\" viewBox=\"0 0 {PAGE_WIDTH} {PAGE_HEIGHT}\">"
        );
        svg.push_str(&std::mem::take(&mut self.body));
        let _ = write!(
            svg,
            "<text x=\"{MARGIN}\" y=\"{}\" font-size=\"7\" fill=\"#777\">{} — page {number}</text></svg>",
            PAGE_HEIGHT - MARGIN / 2.0,
            escape(&self.footer)
        );
        self.done.push(Page {
            svg,
            plots: std::mem::take(&mut self.plots),
        });
        self.y = MARGIN;
    }

    /// Starts a new page unless `height` fits below the cursor.
    fn ensure(&mut self, height: f32) {
        if self.y + height > PAGE_HEIGHT - MARGIN && self.y > MARGIN {
            self.new_page();
        }
    }

    fn gap(&mut self, height: f32) {
        self.y += height;
    }

    fn text(&mut self, text: &str, size: f32, color: &str) {
        for line in wrap(text, size, CONTENT_WIDTH) {
            self.ensure(size * 1.4);
            self.y += size * 1.4;
            let _ = write!(
                self.body,
                "<text x=\"{MARGIN}\" y=\"{:.2}\" font-size=\"{size}\" fill=\"{color}\" xml:space=\"preserve\">{}</text>",
                self.y - size * 0.35,
                escape(&line)
            );
        }
    }

    /// One line of preformatted text: its indentation kept (as no-break spaces, which SVG
    /// text does not collapse), cut into pieces no wider than the page.
    fn preformatted(&mut self, line: &str, size: f32, color: &str) {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let kept: String = "\u{a0}".repeat(indent) + line.trim_start_matches(' ');
        let per_line = ((CONTENT_WIDTH / (size * EM_PER_CHARACTER)).floor() as usize).max(1);
        let characters: Vec<char> = kept.chars().collect();
        for piece in characters.chunks(per_line) {
            let piece: String = piece.iter().collect();
            self.ensure(size * 1.4);
            self.y += size * 1.4;
            let _ = write!(
                self.body,
                "<text x=\"{MARGIN}\" y=\"{:.2}\" font-size=\"{size}\" fill=\"{color}\">{}</text>",
                self.y - size * 0.35,
                escape(&piece)
            );
        }
    }

    fn table(&mut self, table: &Table) {
        self.text(&table.caption, BODY_SIZE, "#000");
        let padding = 4.0;
        let widths: Vec<f32> = (0..table.columns.len())
            .map(|column| {
                let header = estimated_width(&table.columns[column], 1.0);
                table
                    .rows
                    .iter()
                    .map(|row| estimated_width(&row.cells[column], 1.0))
                    .fold(header, f32::max)
            })
            .collect();
        let total_em: f32 = widths.iter().sum();
        let size = (CONTENT_WIDTH - padding * widths.len() as f32) / total_em.max(1.0);
        let size = size.clamp(SMALLEST_TABLE_SIZE, TABLE_SIZE);
        let row_height = size * 1.6;
        let columns: Vec<f32> = widths.iter().map(|width| width * size + padding).collect();
        self.ensure(row_height * 3.0);
        self.table_row(&table.columns, &columns, size, "#f2f2f2");
        for row in &table.rows {
            if self.y + row_height > PAGE_HEIGHT - MARGIN {
                self.new_page();
                self.table_row(&table.columns, &columns, size, "#f2f2f2");
            }
            let fill = if row.highlight { "#fff6d5" } else { "none" };
            self.table_row(&row.cells, &columns, size, fill);
        }
    }

    fn table_row(&mut self, cells: &[String], columns: &[f32], size: f32, fill: &str) {
        let row_height = size * 1.6;
        let width: f32 = columns.iter().sum::<f32>().min(CONTENT_WIDTH);
        let _ = write!(
            self.body,
            "<rect x=\"{MARGIN}\" y=\"{:.2}\" width=\"{width:.2}\" height=\"{row_height:.2}\" fill=\"{fill}\" stroke=\"#ccc\" stroke-width=\"0.5\"/>",
            self.y
        );
        let mut x = MARGIN + 2.0;
        for (cell, column) in cells.iter().zip(columns) {
            let _ = write!(
                self.body,
                "<text x=\"{x:.2}\" y=\"{:.2}\" font-size=\"{size:.2}\" fill=\"#1b1b1b\" xml:space=\"preserve\">{}</text>",
                self.y + size * 1.15,
                escape(cell)
            );
            x += column;
        }
        self.y += row_height;
    }

    fn plot(&mut self, plot: &Plot, options: &usvg::Options<'_>) -> Result<(), ReportError> {
        let tree = usvg::Tree::from_str(&plot.svg, options).map_err(|error| {
            ReportError::Pdf(format!("plot `{}` is not valid SVG: {error}", plot.name))
        })?;
        let (width, height) = (tree.size().width(), tree.size().height());
        let scale = (CONTENT_WIDTH / width).min(MOST_PLOT_HEIGHT / height);
        let (width, height) = (width * scale, height * scale);
        self.ensure(height + BODY_SIZE * 2.0);
        self.plots.push(PlacedPlot {
            tree,
            x: MARGIN,
            y: self.y,
            width,
            height,
        });
        self.y += height;
        self.text(&plot.caption, BODY_SIZE - 1.0, "#444");
        Ok(())
    }

    fn finish(mut self) -> Vec<Page> {
        self.new_page();
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Row, Section};

    const PLOT: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400\" height=\"200\"><rect width=\"400\" height=\"200\" fill=\"white\"/><circle cx=\"50\" cy=\"50\" r=\"10\" fill=\"red\"/><text x=\"20\" y=\"190\" font-family=\"sans-serif\" font-size=\"12\">cost USD</text></svg>";

    fn document(rows: usize) -> Document {
        Document {
            title: "Report".into(),
            subtitle: "two runs".into(),
            sections: vec![
                Section::new(
                    "Leaderboard",
                    vec![Block::Table(Table {
                        caption: "scores".into(),
                        columns: vec!["model".into(), "acc".into()],
                        rows: (0..rows)
                            .map(|index| Row::new(vec![format!("model {index}"), "0.5".into()]))
                            .collect(),
                    })],
                ),
                Section::new(
                    "Plots",
                    vec![Block::Plot(Plot {
                        caption: "score vs cost".into(),
                        name: "pareto".into(),
                        chart: crate::chart::tiny(),
                        svg: PLOT.into(),
                    })],
                ),
            ],
        }
    }

    /// The page count of krilla's page tree (`/Type/Pages/Count N`).
    fn pages(pdf: &[u8]) -> usize {
        let text = String::from_utf8_lossy(pdf);
        let tree = text.find("/Type/Pages/Count ").expect("a page tree");
        text[tree + 18..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .expect("a count")
    }

    #[test]
    fn a_short_report_is_one_pdf_page_with_the_embedded_font() {
        let pdf = render(&document(3)).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"), "{:?}", &pdf[..8]);
        assert_eq!(pages(&pdf), 1);
        assert!(String::from_utf8_lossy(&pdf).contains("DejaVu"));
    }

    #[test]
    fn a_long_table_continues_on_further_pages() {
        let pdf = render(&document(150)).expect("renders");
        assert!(pages(&pdf) >= 3, "{} pages", pages(&pdf));
    }

    #[test]
    fn an_invalid_plot_is_an_error_naming_it() {
        let mut bad = document(1);
        bad.sections[1].blocks = vec![Block::Plot(Plot {
            caption: "broken".into(),
            name: "broken-plot".into(),
            chart: crate::chart::tiny(),
            svg: "<svg".into(),
        })];
        let error = render(&bad).expect_err("invalid SVG");
        assert!(error.to_string().contains("broken-plot"), "{error}");
    }

    #[test]
    fn wrapping_keeps_words_and_cuts_only_overlong_ones() {
        // 10 pt: 0.62 em → 6.2 pt a character; 62 pt holds 10 characters.
        assert_eq!(
            wrap("the quick brown fox jumps", 10.0, 62.0),
            ["the quick", "brown fox", "jumps"]
        );
        assert_eq!(wrap("abcdefghijklmno", 10.0, 62.0), ["abcdefghij", "klmno"]);
        assert_eq!(wrap("", 10.0, 62.0), [""]);
    }
}
