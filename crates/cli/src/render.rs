//! Rendering of tabular output in the formats every read command offers.

use crate::args::Format;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table as ComfyTable};
use serde_json::{Map, Value};

/// A plain table: a header and string rows, plus the same data as JSON objects.
#[derive(Debug, Default, Clone)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|h| (*h).to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// Renders as a terminal table, CSV, Markdown, or a JSON array of objects (one per row,
    /// keyed by header). Commands with richer JSON build their own and skip this.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Table => {
                let mut table = ComfyTable::new();
                table
                    .load_preset(UTF8_FULL_CONDENSED)
                    .set_content_arrangement(ContentArrangement::Dynamic)
                    .set_header(self.header.clone());
                for row in &self.rows {
                    table.add_row(row.clone());
                }
                table.to_string()
            }
            Format::Csv => {
                let mut out = csv_line(&self.header);
                for row in &self.rows {
                    out.push_str(&csv_line(row));
                }
                out
            }
            Format::Markdown => {
                let mut out = format!("| {} |\n", self.header.join(" | "));
                out.push_str(&format!(
                    "|{}|\n",
                    self.header
                        .iter()
                        .map(|_| "---")
                        .collect::<Vec<_>>()
                        .join("|")
                ));
                for row in &self.rows {
                    let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
                    out.push_str(&format!("| {} |\n", cells.join(" | ")));
                }
                out
            }
            Format::Json => {
                let objects: Vec<Value> = self
                    .rows
                    .iter()
                    .map(|row| {
                        let mut object = Map::new();
                        for (key, cell) in self.header.iter().zip(row) {
                            object.insert(key.clone(), Value::String(cell.clone()));
                        }
                        Value::Object(object)
                    })
                    .collect();
                serde_json::to_string_pretty(&objects).unwrap_or_default()
            }
        }
    }
}

fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|cell| {
            if cell.contains([',', '"', '\n']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell.clone()
            }
        })
        .collect();
    format!("{}\n", quoted.join(","))
}

/// Prints a decision's view: each table in `format` (see [`Table::render`]), every other
/// block as its text, one per line.
pub fn print_blocks(blocks: &[yardstick_report::Block], format: Format) {
    use yardstick_report::Block;
    for block in blocks {
        match block {
            Block::Table(table) => {
                let mut printed = Table {
                    header: table.columns.clone(),
                    rows: Vec::new(),
                };
                for row in &table.rows {
                    printed.push(row.cells.clone());
                }
                println!("{}", printed.render(format));
            }
            Block::Paragraph { text } | Block::Notice { text } => println!("{text}"),
            Block::Preformatted { text, .. } => println!("{text}"),
            Block::Plot(plot) => println!("{}", plot.caption),
        }
    }
}

/// `0.4523 ± 0.0102` style cell.
pub fn value_with_stderr(value: f64, stderr: Option<f64>) -> String {
    match stderr {
        Some(stderr) => format!("{value:.4} ± {stderr:.4}"),
        None => format!("{value:.4}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut table = Table::new(&["model", "acc"]);
        table.push(vec!["a,b".into(), "0.5".into()]);
        table
    }

    #[test]
    fn csv_quotes_commas() {
        assert_eq!(sample().render(Format::Csv), "model,acc\n\"a,b\",0.5\n");
    }

    #[test]
    fn markdown_has_separator_row() {
        assert_eq!(
            sample().render(Format::Markdown),
            "| model | acc |\n|---|---|\n| a,b | 0.5 |\n"
        );
    }

    #[test]
    fn json_rows_are_objects() {
        let json: Value = serde_json::from_str(&sample().render(Format::Json)).unwrap_or_default();
        assert_eq!(json[0]["model"], "a,b");
    }
}
