//! yardstick's reports: a [`Document`] model (sections of paragraphs, tables, plots as SVG,
//! preformatted fingerprints and notices) and its renderers ([`html`]: one self-contained
//! HTML file; [`pdf`]: A4 pages drawn with the embedded [`font`]) and [`chart`], which draws
//! every plot as SVG or PNG.
//!
//! Takes data, returns bytes: nothing here reads the store, measures or decides, and nothing
//! writes files; callers build the document from their records and write what comes back.

pub mod chart;
pub mod document;
pub mod font;
pub mod html;
pub mod pdf;

pub use chart::{Chart, Legend, Series, Style};
pub use document::{Block, Document, Plot, Row, Section, Table};

/// Why a report could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The document breaks a rule the renderers rely on (named in the message).
    #[error("invalid report: {0}")]
    InvalidDocument(String),
    /// plotters could not draw a chart, or the PNG could not be encoded.
    #[error("drawing the plot `{title}`: {reason}")]
    Plot { title: String, reason: String },
    /// The PDF could not be laid out or written.
    #[error("rendering the PDF: {0}")]
    Pdf(String),
}
