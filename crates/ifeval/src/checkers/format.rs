//! `detectable_format:*`: markdown bullet points, a constrained answer, `*highlighted*`
//! sections, numbered sections, JSON, and a `<<title>>`. Reference: `BulletListChecker`,
//! `ConstrainedResponseChecker`, `HighlightSectionChecker`, `SectionChecker`, `JsonFormat` and
//! `TitleChecker` in lm-eval's ifeval `instructions.py` (lm-eval's version of the highlight
//! check also counts `**bold**` spans, once more each).

use std::sync::LazyLock;

use regex::Regex;

use super::arguments::Arguments;
use crate::python_json::loads_accepts;
use crate::python_str::{strip, SPACE_CLASS};
use crate::IfevalError;

/// Exactly this many lines that are bullet points: `* item` (not `**`) or `- item`, after
/// optional whitespace (which may span lines, as `^\s*` does in the reference).
#[derive(Debug)]
pub(crate) struct NumberOfBulletLists {
    num_bullets: i64,
}

impl NumberOfBulletLists {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        Ok(NumberOfBulletLists {
            num_bullets: arguments.count("num_bullets")?,
        })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        static STAR: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(&format!(r"(?m)^{SPACE_CLASS}*\*[^*].*$"))
                .expect("a regex literal that compiles")
        });
        static DASH: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(&format!(r"(?m)^{SPACE_CLASS}*-.*$")).expect("a regex literal that compiles")
        });
        let count = STAR.find_iter(response).count() + DASH.find_iter(response).count();
        i64::try_from(count).is_ok_and(|count| count == self.num_bullets)
    }
}

/// The response contains "My answer is yes.", "My answer is no." or "My answer is maybe.".
pub(crate) fn is_constrained_response(response: &str) -> bool {
    let response = strip(response);
    [
        "My answer is yes.",
        "My answer is no.",
        "My answer is maybe.",
    ]
    .iter()
    .any(|option| response.contains(option))
}

/// At least this many non-blank `*...*` spans within a line, plus the non-blank `**...**` ones
/// counted again.
#[derive(Debug)]
pub(crate) struct NumberOfHighlightedSections {
    num_highlights: i64,
}

impl NumberOfHighlightedSections {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        Ok(NumberOfHighlightedSections {
            num_highlights: arguments.count("num_highlights")?,
        })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        static SINGLE: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"\*[^\n*]*\*").expect("a regex literal that compiles"));
        static DOUBLE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"\*\*[^\n*]*\*\*").expect("a regex literal that compiles")
        });
        let non_blank = |span: &str, delimiter: &str| {
            let inner = &span[delimiter.len()..span.len() - delimiter.len()];
            !strip(inner).is_empty()
        };
        let single = SINGLE
            .find_iter(response)
            .filter(|found| non_blank(found.as_str(), "*"))
            .count();
        let double = DOUBLE
            .find_iter(response)
            .filter(|found| non_blank(found.as_str(), "**"))
            .count();
        i64::try_from(single + double).is_ok_and(|count| count >= self.num_highlights)
    }
}

/// At least this many sections, each opened by the splitter and a number (`Section 1`).
#[derive(Debug)]
pub(crate) struct MultipleSections {
    /// `\s?` + splitter + `\s?\d+\s?`, the splitter used as a regular expression.
    splitter: Regex,
    num_sections: i64,
}

impl MultipleSections {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        let splitter = strip(arguments.string("section_spliter")?);
        let pattern = format!(r"{SPACE_CLASS}?{splitter}{SPACE_CLASS}?\d+{SPACE_CLASS}?");
        Ok(MultipleSections {
            splitter: arguments.regex("section_spliter", &pattern)?,
            num_sections: arguments.count("num_sections")?,
        })
    }

    /// `len(re.split(pattern, response)) - 1`: the matches, each also contributing its
    /// capture groups (only a splitter with groups has any).
    pub(crate) fn check(&self, response: &str) -> bool {
        let pieces_per_match = self.splitter.captures_len();
        let sections = self.splitter.find_iter(response).count() * pieces_per_match;
        i64::try_from(sections).is_ok_and(|count| count >= self.num_sections)
    }
}

/// The response, stripped of whitespace and of a leading ```` ```json ```` (or ```` ```Json ````,
/// ```` ```JSON ````, then ```` ``` ````) and a trailing ```` ``` ```` fence, is JSON that
/// Python's `json.loads` accepts.
pub(crate) fn is_json(response: &str) -> bool {
    let mut value = strip(response);
    for prefix in ["```json", "```Json", "```JSON", "```"] {
        value = value.strip_prefix(prefix).unwrap_or(value);
    }
    value = value.strip_suffix("```").unwrap_or(value);
    loads_accepts(strip(value))
}

/// A `<<title>>` on one line with something besides `<`, `>` and whitespace in it.
pub(crate) fn has_title(response: &str) -> bool {
    static TITLE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"<<[^\n]+>>").expect("a regex literal that compiles"));
    TITLE.find_iter(response).any(|title| {
        let inner = title.as_str().trim_start_matches('<').trim_end_matches('>');
        !strip(inner).is_empty()
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::instruction;
    use super::super::Checker;
    use super::*;
    use serde_json::json;

    fn checker(id: &str, kwargs: serde_json::Value) -> Checker {
        Checker::parse(&instruction(id, kwargs)).expect("valid arguments")
    }

    #[test]
    fn bullets_are_star_or_dash_lines() {
        let three = checker(
            "detectable_format:number_bullet_lists",
            json!({"num_bullets": 3}),
        );
        assert!(three.check("Intro:\n* one\n* two\n- three"));
        assert!(three.check("  * one\n\t- two\n-three"));
        assert!(!three.check("* one\n** bold line\n- two"));
        assert!(!three.check("* one\n* two\n* three\n* four"));
        // `^\s*` runs across blank lines: a line `*` then `x` is one bullet "*\nx".
        let one = checker(
            "detectable_format:number_bullet_lists",
            json!({"num_bullets": 1}),
        );
        assert!(one.check("*\nx"));
    }

    #[test]
    fn constrained_response_is_case_sensitive() {
        assert!(is_constrained_response("Well... My answer is maybe. "));
        assert!(!is_constrained_response("my answer is yes."));
        assert!(!is_constrained_response("My answer is yes"));
    }

    #[test]
    fn highlights_count_single_and_double_spans() {
        let three = checker(
            "detectable_format:number_highlighted_sections",
            json!({"num_highlights": 3}),
        );
        assert!(three.check("*one* and *two* and *three*"));
        assert!(!three.check("*one* and * * and *  *"));
        // In `**one**` the single pattern finds two blank `**`; the double one counts `one`.
        assert!(!three.check("**one** *two*"));
        assert!(three.check("**one** *two* *three*"));
        assert!(!three.check("*one\ntwo* *three*"));
    }

    #[test]
    fn sections_are_splitter_and_number() {
        let two = checker(
            "detectable_format:multiple_sections",
            json!({"section_spliter": " SECTION ", "num_sections": 2}),
        );
        assert!(two.check("SECTION 1\nfoo\nSECTION 2\nbar"));
        assert!(!two.check("SECTION 1\nfoo\nSection 2\nbar"));
        assert!(!two.check("SECTION one\nSECTION two"));
        let grouped = checker(
            "detectable_format:multiple_sections",
            json!({"section_spliter": "(Day)", "num_sections": 2}),
        );
        // re.split returns the group too: one match gives two more pieces.
        assert!(grouped.check("Day 1 walk"));
    }

    #[test]
    fn json_with_and_without_fences() {
        assert!(is_json("```json\n{\"a\": [1, 2]}\n```"));
        assert!(is_json("  ```JSON{\"a\": NaN}```  "));
        assert!(is_json("```\n[]\n```"));
        assert!(is_json("```json```{}"));
        assert!(!is_json("```json\n{'a': 1}\n```"));
        assert!(!is_json("Here it is: {\"a\": 1}"));
        assert!(!is_json("```"));
    }

    #[test]
    fn titles_need_content() {
        assert!(has_title("<<My Title>>\nText"));
        assert!(!has_title("<< >>"));
        assert!(!has_title("<<>>>"));
        // Greedy: one span from the first `<<` to the last `>>` of the line.
        assert!(has_title("<< >> and <<>>>"));
        assert!(!has_title("<<split\ntitle>>"));
        assert!(has_title("<<<x>>>"));
    }
}
