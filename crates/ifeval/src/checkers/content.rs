//! `detectable_content:*`: square-bracket placeholders (`number_placeholders`) and a postscript
//! (`postscript`). Reference: `PlaceholderChecker` and `PostscriptChecker` in lm-eval's ifeval
//! `instructions.py`.

use std::sync::LazyLock;

use regex::Regex;

use super::arguments::Arguments;
use crate::python_str::{strip, SPACE_CLASS};
use crate::IfevalError;

/// At least this many `[...]` placeholders (`\[.*?\]`: within a line, shortest first).
#[derive(Debug)]
pub(crate) struct NumberOfPlaceholders {
    num_placeholders: i64,
}

impl NumberOfPlaceholders {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        Ok(NumberOfPlaceholders {
            num_placeholders: arguments.count("num_placeholders")?,
        })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        static PLACEHOLDER: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"\[.*?\]").expect("a regex literal that compiles"));
        let count = PLACEHOLDER.find_iter(response).count();
        i64::try_from(count).is_ok_and(|count| count >= self.num_placeholders)
    }
}

/// The postscript marker anywhere in the lowercased response (the reference's pattern
/// `\s*marker.*$` is not anchored to a line start): `P.S.` and `P.P.S` allow a space after
/// each dot; any other marker is used, stripped and lowercased, as a regular expression.
#[derive(Debug)]
pub(crate) struct Postscript {
    pattern: Regex,
}

impl Postscript {
    pub(crate) fn parse(arguments: &Arguments) -> Result<Self, IfevalError> {
        let marker = strip(arguments.string("postscript_marker")?);
        let marker_pattern = match marker {
            "P.P.S" => format!(r"p\.{SPACE_CLASS}?p\.{SPACE_CLASS}?s"),
            "P.S." => format!(r"p\.{SPACE_CLASS}?s\."),
            other => other.to_lowercase(),
        };
        let pattern = format!("(?m){SPACE_CLASS}*{marker_pattern}.*$");
        Ok(Postscript {
            pattern: arguments.regex("postscript_marker", &pattern)?,
        })
    }

    pub(crate) fn check(&self, response: &str) -> bool {
        self.pattern.is_match(&response.to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::instruction;
    use super::super::Checker;
    use serde_json::json;

    fn checker(id: &str, kwargs: serde_json::Value) -> Checker {
        Checker::parse(&instruction(id, kwargs)).expect("valid arguments")
    }

    #[test]
    fn placeholders_are_counted_shortest_first() {
        let two = checker(
            "detectable_content:number_placeholders",
            json!({"num_placeholders": 2}),
        );
        assert!(two.check("Dear [name], at [address]."));
        assert!(two.check("[a] [] [b"));
        assert!(!two.check("[name]"));
        // `.` stops at a newline: the bracket pair spans lines and does not count.
        assert!(!two.check("[a] [b\n]"));
    }

    #[test]
    fn postscript_markers() {
        let ps = checker(
            "detectable_content:postscript",
            json!({"postscript_marker": "P.S."}),
        );
        assert!(ps.check("Hello.\n\np. s. see you"));
        assert!(ps.check("Hello. P.S. inline counts too"));
        assert!(!ps.check("Hello.\nPS see you"));
        let pps = checker(
            "detectable_content:postscript",
            json!({"postscript_marker": "P.P.S"}),
        );
        assert!(pps.check("Hi\nP. P. S: later"));
        assert!(!pps.check("Hi\nP.S. later"));
        let note = checker(
            "detectable_content:postscript",
            json!({"postscript_marker": " Note: "}),
        );
        assert!(note.check("Body\nNOTE: stripped marker, lowercased text"));
        assert!(!note.check("Body\nNo te"));
    }
}
