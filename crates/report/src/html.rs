//! A [`Document`] as one self-contained HTML file: inline CSS, plots inlined as SVG, no
//! scripts, fonts or anything else fetched, so the file opens the same offline, attached to
//! an email or archived with a run.

use std::fmt::Write as _;

use crate::document::{Block, Document, Plot, Table};
use crate::ReportError;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'DejaVu Sans',sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b;line-height:1.45}\
h1{margin-bottom:.2rem}.subtitle{color:#555;margin-top:0}\
nav ol{columns:2;padding-left:1.2rem}\
section{margin-top:2.5rem}\
table{border-collapse:collapse;margin:1rem 0;font-variant-numeric:tabular-nums}\
caption{text-align:left;font-weight:600;padding-bottom:.3rem}\
th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right;vertical-align:top}\
th:first-child,td:first-child{text-align:left}\
thead th{background:#f2f2f2}\
tr.highlight td{background:#fff6d5;font-weight:600}\
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}\
figcaption{color:#444;font-size:.9rem}\
pre{background:#f7f7f7;border:1px solid #ddd;padding:.6rem;overflow-x:auto;font-size:.8rem}\
.notice{border-left:4px solid #d9822b;background:#fdf3e7;padding:.5rem .8rem}";

/// Renders `document` (validated first) as a complete HTML page.
pub fn render(document: &Document) -> Result<String, ReportError> {
    document.validate()?;
    let mut html = String::with_capacity(64 * 1024);
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(html, "<title>{}</title>", escape(&document.title));
    let _ = writeln!(html, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(html, "<h1>{}</h1>", escape(&document.title));
    let _ = writeln!(
        html,
        "<p class=\"subtitle\">{}</p>",
        escape(&document.subtitle)
    );
    html.push_str("<nav><ol>\n");
    for section in &document.sections {
        let _ = writeln!(
            html,
            "<li><a href=\"#{}\">{}</a></li>",
            escape(&section.anchor),
            escape(&section.title)
        );
    }
    html.push_str("</ol></nav>\n");
    for section in &document.sections {
        let _ = writeln!(
            html,
            "<section id=\"{}\">\n<h2>{}</h2>",
            escape(&section.anchor),
            escape(&section.title)
        );
        for block in &section.blocks {
            render_block(&mut html, block);
        }
        html.push_str("</section>\n");
    }
    html.push_str("</body>\n</html>\n");
    Ok(html)
}

fn render_block(html: &mut String, block: &Block) {
    match block {
        Block::Paragraph { text } => {
            let _ = writeln!(html, "<p>{}</p>", escape(text));
        }
        Block::Notice { text } => {
            let _ = writeln!(html, "<p class=\"notice\">{}</p>", escape(text));
        }
        Block::Preformatted { caption, text } => {
            let _ = writeln!(
                html,
                "<figure><figcaption>{}</figcaption><pre>{}</pre></figure>",
                escape(caption),
                escape(text)
            );
        }
        Block::Table(table) => render_table(html, table),
        Block::Plot(plot) => render_plot(html, plot),
    }
}

fn render_table(html: &mut String, table: &Table) {
    html.push_str("<table>\n");
    let _ = writeln!(html, "<caption>{}</caption>", escape(&table.caption));
    html.push_str("<thead><tr>");
    for column in &table.columns {
        let _ = write!(html, "<th scope=\"col\">{}</th>", escape(column));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        html.push_str(if row.highlight {
            "<tr class=\"highlight\">"
        } else {
            "<tr>"
        });
        for cell in &row.cells {
            let _ = write!(html, "<td>{}</td>", escape(cell));
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
}

fn render_plot(html: &mut String, plot: &Plot) {
    let _ = writeln!(
        html,
        "<figure id=\"plot-{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
        escape(&plot.name),
        inline_svg(&plot.svg),
        escape(&plot.caption)
    );
}

/// The `<svg>` element of an SVG document, without an XML declaration or doctype (which
/// are not allowed inside HTML).
fn inline_svg(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |start| &svg[start..])
}

/// Text as HTML character data or attribute value.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Row, Section};

    fn sample() -> Document {
        Document {
            title: "Gemma vs Qwen".into(),
            subtitle: "2 runs, yardstick 0.1.0".into(),
            sections: vec![
                Section::new(
                    "Leaderboard",
                    vec![
                        Block::Paragraph {
                            text: "Scores <higher> is better & so on".into(),
                        },
                        Block::Table(Table {
                            caption: "acc".into(),
                            columns: vec!["model".into(), "arc_easy".into()],
                            rows: vec![
                                Row {
                                    cells: vec!["qwen".into(), "0.61".into()],
                                    highlight: true,
                                },
                                Row::new(vec!["gemma".into(), "0.52".into()]),
                            ],
                        }),
                    ],
                ),
                Section::new(
                    "Plots",
                    vec![
                        Block::Plot(Plot {
                            caption: "score vs cost".into(),
                            name: "pareto".into(),
                            chart: crate::chart::tiny(),
                            svg: "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><circle r=\"3\"/></svg>".into(),
                        }),
                        Block::Notice {
                            text: "cost is an estimate".into(),
                        },
                        Block::Preformatted {
                            caption: "fingerprint".into(),
                            text: "{\"model\": \"gemma\"}".into(),
                        },
                    ],
                ),
            ],
        }
    }

    #[test]
    fn the_page_is_self_contained_and_escaped() {
        let html = render(&sample()).expect("renders");
        insta::assert_snapshot!(html);
        assert!(!html.contains("<?xml"));
        assert!(!html.contains("<script"));
        // Nothing is fetched: the only URL is the SVG namespace.
        assert_eq!(
            html.matches("http").count(),
            html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
        );
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
