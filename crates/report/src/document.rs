//! The document model every report renderer reads: a title, then sections of paragraphs,
//! tables, plots (SVG text) and preformatted blocks (fingerprints, commands).
//!
//! Callers build a [`Document`] from their records; the renderers ([`crate::html`]) never
//! compute anything, so what a report says is decided in one place.

use serde::Serialize;

use crate::chart::Chart;

/// A whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub title: String,
    /// A line under the title: what was compared, when, by which yardstick.
    pub subtitle: String,
    pub sections: Vec<Section>,
}

/// A titled part of a report; its `anchor` links to it from the table of contents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    pub title: String,
    pub anchor: String,
    pub blocks: Vec<Block>,
}

impl Section {
    /// A section whose anchor is its title in lowercase letters, digits and dashes.
    pub fn new(title: impl Into<String>, blocks: Vec<Block>) -> Section {
        let title = title.into();
        let anchor = anchor_for(&title);
        Section {
            title,
            anchor,
            blocks,
        }
    }
}

/// One piece of a section.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        text: String,
    },
    Table(Table),
    Plot(Plot),
    /// Preformatted text (JSON fingerprints, commands), shown as is.
    Preformatted {
        caption: String,
        text: String,
    },
    /// Something the reader must not miss (a refused comparison, an estimate).
    Notice {
        text: String,
    },
}

/// A table of text cells. Numbers are formatted by the caller, so every renderer shows the
/// same digits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

/// A table row; `highlight` marks rows the text refers to (the recommendation, the Pareto
/// front).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub cells: Vec<String>,
    pub highlight: bool,
}

impl Row {
    pub fn new(cells: Vec<String>) -> Row {
        Row {
            cells,
            highlight: false,
        }
    }
}

/// A plot: its chart (the data, kept in the JSON report), the chart drawn as a complete SVG
/// document, a caption and a file name for the copies written beside the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plot {
    pub caption: String,
    /// File name stem (`pareto-score-vs-cost`), unique within the document.
    pub name: String,
    pub chart: Chart,
    #[serde(skip)]
    pub svg: String,
}

impl Plot {
    /// Draws `chart` as SVG.
    pub fn new(
        caption: impl Into<String>,
        name: impl Into<String>,
        chart: Chart,
    ) -> Result<Plot, crate::ReportError> {
        let svg = crate::chart::svg(&chart)?;
        Ok(Plot {
            caption: caption.into(),
            name: name.into(),
            chart,
            svg,
        })
    }

    /// The chart drawn as a PNG image.
    pub fn png(&self) -> Result<Vec<u8>, crate::ReportError> {
        crate::chart::png(&self.chart)
    }
}

/// Lowercase letters and digits of `title`, other runs of characters as single dashes.
pub fn anchor_for(title: &str) -> String {
    let mut anchor = String::new();
    for character in title.chars() {
        if character.is_ascii_alphanumeric() {
            anchor.push(character.to_ascii_lowercase());
        } else if !anchor.is_empty() && !anchor.ends_with('-') {
            anchor.push('-');
        }
    }
    anchor.trim_end_matches('-').to_string()
}

impl Document {
    /// Every plot of the document, in order.
    pub fn plots(&self) -> impl Iterator<Item = &Plot> {
        self.sections
            .iter()
            .flat_map(|section| &section.blocks)
            .filter_map(|block| match block {
                Block::Plot(plot) => Some(plot),
                _ => None,
            })
    }

    /// Checks what renderers rely on: every table row has one cell per column, plot names
    /// and section anchors are unique and non-empty.
    pub fn validate(&self) -> Result<(), crate::ReportError> {
        let invalid = |reason: String| Err(crate::ReportError::InvalidDocument(reason));
        let mut anchors = std::collections::BTreeSet::new();
        let mut names = std::collections::BTreeSet::new();
        for section in &self.sections {
            if section.anchor.is_empty() || !anchors.insert(section.anchor.as_str()) {
                return invalid(format!(
                    "section `{}` has an empty or repeated anchor `{}`",
                    section.title, section.anchor
                ));
            }
            for block in &section.blocks {
                match block {
                    Block::Table(table) => {
                        if let Some((index, row)) = table
                            .rows
                            .iter()
                            .enumerate()
                            .find(|(_, row)| row.cells.len() != table.columns.len())
                        {
                            return invalid(format!(
                                "table `{}` row {} has {} cells for {} columns",
                                table.caption,
                                index + 1,
                                row.cells.len(),
                                table.columns.len()
                            ));
                        }
                    }
                    Block::Plot(plot)
                        if plot.name.is_empty() || !names.insert(plot.name.as_str()) =>
                    {
                        return invalid(format!(
                            "plot `{}` has an empty or repeated name `{}`",
                            plot.caption, plot.name
                        ));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_keep_letters_and_digits() {
        assert_eq!(
            anchor_for("Cost & energy (per 1M tokens)"),
            "cost-energy-per-1m-tokens"
        );
        assert_eq!(anchor_for("  Leaderboard "), "leaderboard");
    }

    #[test]
    fn ragged_tables_and_repeated_names_are_refused() {
        let table = Table {
            caption: "scores".into(),
            columns: vec!["model".into(), "acc".into()],
            rows: vec![Row::new(vec!["gemma".into()])],
        };
        let document = Document {
            title: "t".into(),
            subtitle: String::new(),
            sections: vec![Section::new("Leaderboard", vec![Block::Table(table)])],
        };
        let error = document.validate().expect_err("ragged");
        assert_eq!(
            error.to_string(),
            "invalid report: table `scores` row 1 has 1 cells for 2 columns"
        );
        let twice = Document {
            sections: vec![Section::new("A", Vec::new()), Section::new("a", Vec::new())],
            ..document
        };
        assert!(twice.validate().is_err());
    }
}
