//! yardstick's reports: a [`Document`] model (sections of paragraphs, tables, plots as SVG,
//! preformatted fingerprints and notices) and its renderers ([`html`]: one self-contained
//! HTML file).
//!
//! Takes data, returns bytes: nothing here reads the store, measures or decides, and nothing
//! writes files; callers build the document from their records and write what comes back.

pub mod document;
pub mod html;

pub use document::{Block, Document, Plot, Row, Section, Table};

/// Why a report could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The document breaks a rule the renderers rely on (named in the message).
    #[error("invalid report: {0}")]
    InvalidDocument(String),
}
