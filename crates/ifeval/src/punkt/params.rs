//! Punkt's learned parameters for English (NLTK's `punkt_tab/english`, compiled in): the
//! abbreviation types, the collocations, the frequent sentence starters and the orthographic
//! context of each word type. `data/punkt/PROVENANCE.md` says where the files come from.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Orthographic context flags: where (sentence-initial, internal, unknown) a word type was
/// seen in training, and with which case of its first letter.
pub(crate) mod ortho {
    pub const BEGIN_UPPER: u32 = 1 << 1;
    pub const MIDDLE_UPPER: u32 = 1 << 2;
    pub const UNKNOWN_UPPER: u32 = 1 << 3;
    pub const BEGIN_LOWER: u32 = 1 << 4;
    pub const MIDDLE_LOWER: u32 = 1 << 5;
    pub const UNKNOWN_LOWER: u32 = 1 << 6;
    /// Seen with an upper-case first letter anywhere.
    pub const UPPER: u32 = BEGIN_UPPER | MIDDLE_UPPER | UNKNOWN_UPPER;
    /// Seen with a lower-case first letter anywhere.
    pub const LOWER: u32 = BEGIN_LOWER | MIDDLE_LOWER | UNKNOWN_LOWER;
}

const ABBREVIATION_TYPES: &str = include_str!("../../data/punkt/english/abbrev_types.txt");
const COLLOCATIONS: &str = include_str!("../../data/punkt/english/collocations.tab");
const SENTENCE_STARTERS: &str = include_str!("../../data/punkt/english/sent_starters.txt");
const ORTHOGRAPHIC_CONTEXT: &str = include_str!("../../data/punkt/english/ortho_context.tab");

/// The parameters of one Punkt model. Word types are lower-cased tokens, with numbers
/// replaced by `##number##`.
#[derive(Debug)]
pub(crate) struct Parameters {
    /// Types (without their final period) that are abbreviations: `dr`, `u.s`, `e.g`.
    pub abbreviation_types: HashSet<&'static str>,
    /// Pairs (type before a period, type after it) that do not straddle a sentence break.
    pub collocations: HashSet<(&'static str, &'static str)>,
    /// Types that often begin a sentence: `however`, `the`.
    pub sentence_starters: HashSet<&'static str>,
    /// The `ortho` flags of each type seen in training; an unseen type has none.
    pub orthographic_context: HashMap<&'static str, u32>,
}

impl Parameters {
    /// The `ortho` flags of `word_type` (0 if it was never seen).
    pub fn orthographic_context(&self, word_type: &str) -> u32 {
        self.orthographic_context
            .get(word_type)
            .copied()
            .unwrap_or(0)
    }
}

/// NLTK's English model, parsed on first use.
pub(crate) static ENGLISH: LazyLock<Parameters> = LazyLock::new(|| {
    parse(
        ABBREVIATION_TYPES,
        COLLOCATIONS,
        SENTENCE_STARTERS,
        ORTHOGRAPHIC_CONTEXT,
    )
    .expect("the compiled-in punkt_tab/english files are well-formed (a unit test parses them)")
});

/// What is wrong with a line of a `punkt_tab` file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, line {line_number}: {message}")]
pub(crate) struct ParseError {
    file: &'static str,
    line_number: usize,
    message: String,
}

/// Reads the four files of a `punkt_tab` model: one type per line in the `.txt` files,
/// tab-separated fields in the `.tab` files.
fn parse(
    abbreviation_types: &'static str,
    collocations: &'static str,
    sentence_starters: &'static str,
    orthographic_context: &'static str,
) -> Result<Parameters, ParseError> {
    let collocations = tab_rows(collocations)
        .map(|(line_number, fields)| match fields.as_slice() {
            [first, second] => Ok((*first, *second)),
            _ => Err(ParseError {
                file: "collocations.tab",
                line_number,
                message: format!("expected 2 tab-separated fields, found {}", fields.len()),
            }),
        })
        .collect::<Result<_, _>>()?;
    let orthographic_context = tab_rows(orthographic_context)
        .map(|(line_number, fields)| {
            let error = |message: String| ParseError {
                file: "ortho_context.tab",
                line_number,
                message,
            };
            match fields.as_slice() {
                [word_type, flags] => flags
                    .parse::<u32>()
                    .map(|flags| (*word_type, flags))
                    .map_err(|source| error(format!("flags `{flags}`: {source}"))),
                _ => Err(error(format!(
                    "expected 2 tab-separated fields, found {}",
                    fields.len()
                ))),
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(Parameters {
        abbreviation_types: abbreviation_types.lines().collect(),
        collocations,
        sentence_starters: sentence_starters.lines().collect(),
        orthographic_context,
    })
}

/// The lines of a `.tab` file, numbered from 1, split at tabs.
fn tab_rows(text: &'static str) -> impl Iterator<Item = (usize, Vec<&'static str>)> {
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.split('\t').collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_files_parse_completely() {
        let parameters = parse(
            ABBREVIATION_TYPES,
            COLLOCATIONS,
            SENTENCE_STARTERS,
            ORTHOGRAPHIC_CONTEXT,
        )
        .expect("english parses");
        assert_eq!(parameters.abbreviation_types.len(), 156);
        assert_eq!(parameters.collocations.len(), 37);
        assert_eq!(parameters.sentence_starters.len(), 39);
        assert_eq!(parameters.orthographic_context.len(), 20366);
        assert!(parameters.abbreviation_types.contains("u.s"));
        assert!(parameters.collocations.contains(&("##number##", "cooper")));
        assert!(parameters.sentence_starters.contains("however"));
        assert_eq!(parameters.orthographic_context("springsteen"), 4);
        assert_eq!(parameters.orthographic_context("no-such-type"), 0);
    }

    #[test]
    fn malformed_rows_are_reported_with_their_line() {
        let error = parse("dr", "a\tb\nc", "the", "x\t1").expect_err("collocation of one field");
        assert_eq!(
            error.to_string(),
            "collocations.tab, line 2: expected 2 tab-separated fields, found 1"
        );
        let error = parse("dr", "a\tb", "the", "x\t1\ny\tmany").expect_err("flags not a number");
        assert!(error
            .to_string()
            .starts_with("ortho_context.tab, line 2: flags `many`"));
    }
}
