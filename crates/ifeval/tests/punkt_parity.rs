//! Parity with NLTK: every text of `tests/fixtures/punkt_english.jsonl` (IFEval's 541 GPT-4
//! responses, its 541 prompts, and hand-written hard cases) is split into exactly the
//! sentences NLTK 3.10's English Punkt returns. `scripts/parity/punkt_fixture.py` writes the
//! fixture.

use serde::Deserialize;
use yardstick_ifeval::punkt;

const FIXTURE: &str = include_str!("fixtures/punkt_english.jsonl");

/// How many disagreeing cases are described in a failure message.
const SHOWN: usize = 5;

/// How much of a long text a failure message quotes.
const QUOTED_CHARACTERS: usize = 300;

#[derive(Debug, Deserialize)]
struct Case {
    text: String,
    sentences: Vec<String>,
}

fn cases() -> Vec<Case> {
    let cases: Vec<Case> = FIXTURE
        .lines()
        .enumerate()
        .map(|(index, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("fixture line {}: {error}", index + 1))
        })
        .collect();
    assert!(
        cases.len() > 1100,
        "the fixture has only {} cases",
        cases.len()
    );
    cases
}

/// `text`, cut after `QUOTED_CHARACTERS` characters.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARACTERS) {
        Some((cut, _)) => format!("{:?}... ({} bytes)", &text[..cut], text.len()),
        None => format!("{text:?}"),
    }
}

/// Where the two sentence lists first part, with both versions of that sentence.
fn first_difference(expected: &[String], actual: &[&str]) -> String {
    let index = expected
        .iter()
        .zip(actual)
        .position(|(expected, actual)| expected != actual)
        .unwrap_or(expected.len().min(actual.len()));
    let show = |sentence: Option<&str>| sentence.map_or_else(|| "(none)".to_owned(), quoted);
    format!(
        "  first difference at sentence {index}:\n    nltk: {}\n    ours: {}",
        show(expected.get(index).map(String::as_str)),
        show(actual.get(index).copied())
    )
}

#[test]
fn sentences_agree_with_nltk_on_every_fixture_case() {
    let cases = cases();
    let mut disagreements = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let actual = punkt::sentences(&case.text);
        if actual != case.sentences {
            disagreements.push((index, case, actual));
        }
    }
    let mut report = String::new();
    for (index, case, actual) in disagreements.iter().take(SHOWN) {
        report += &format!(
            "fixture line {}: nltk has {} sentences, ours {}\n  text: {}\n{}\n",
            index + 1,
            case.sentences.len(),
            actual.len(),
            quoted(&case.text),
            first_difference(&case.sentences, actual)
        );
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} cases disagree with NLTK; the first {}:\n{report}",
        disagreements.len(),
        cases.len(),
        disagreements.len().min(SHOWN)
    );
}

#[test]
fn count_is_the_number_of_nltk_sentences() {
    let wrong: Vec<String> = cases()
        .iter()
        .enumerate()
        .filter_map(|(index, case)| {
            let count = punkt::count_sentences(&case.text);
            (count != case.sentences.len()).then(|| {
                format!(
                    "line {}: nltk {}, ours {count}",
                    index + 1,
                    case.sentences.len()
                )
            })
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} counts differ: {}",
        wrong.len(),
        wrong.join("; ")
    );
}
