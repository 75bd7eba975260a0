//! Python `re` patterns on top of `fancy-regex`: the pattern is rewritten where the two
//! dialects read the same text differently, and `findall` / `sub` walk the matches with
//! Python 3.7+'s rules for empty matches.
//!
//! Rewrites (outside character classes unless said otherwise):
//!
//! - `\w`, `\W`, `\b`, `\B` use Python's word characters (letters, numbers and `_`, i.e.
//!   `str.isalnum() or "_"`), not Rust's (which add combining marks and connector
//!   punctuation and leave out `²`-like numbers). Inside a class `\w` is rewritten too.
//! - `\s`, `\S` also match U+001C..U+001F, as Python's `str.isspace` does (also in classes).
//! - `$` matches at the end or before a final newline (`\Z` in fancy-regex), unless the
//!   pattern turns on multi-line mode, where both dialects agree.
//! - `\Z` is the absolute end (`\z`); `\<` and `\>` are the literal characters, not word
//!   boundaries; `\b` in a class is a backspace.
//! - In a class, `[`, `&` and `~` are literal (Rust would read nested classes and set
//!   operations); a `]` right after `[` or `[^` is literal, as in Python.
//!
//! Known differences left: ASCII mode (`(?a)`), verbose mode (`(?x)`) comments containing
//! `[`, octal escapes, and Unicode tables of different versions (Python 3.11 has Unicode 14).

use fancy_regex::Regex;

/// Python's word characters, as a class body.
const WORD: &str = r"\p{L}\p{N}_";

/// A compiled Python pattern.
#[derive(Debug, Clone)]
pub(crate) struct PythonRegex {
    /// The pattern as written in the YAML.
    pattern: String,
    regex: Box<Regex>,
    /// The same pattern refusing empty matches (`None` when it can only match empty): used
    /// where Python, after an empty match, looks for a non-empty one at the same position.
    not_empty: Option<Box<Regex>>,
    /// Capturing groups, not counting the whole match.
    groups: usize,
}

/// The byte spans of one match's groups (index 0: the whole match; `None`: did not take part).
type GroupSpans = Vec<Option<(usize, usize)>>;

/// One element of `re.findall`'s result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// The whole match (no groups) or the only group (`""` when it did not take part).
    Text(String),
    /// Every group, `""` for those that did not take part (two groups or more).
    Groups(Vec<String>),
}

/// A match error at run time (fancy-regex's backtracking limit).
#[derive(Debug, Clone, thiserror::Error)]
#[error("regex `{pattern}`: {message}")]
pub struct RegexRunError {
    pub pattern: String,
    pub message: String,
}

impl PythonRegex {
    /// Compiles `pattern` (Python syntax); the error is fancy-regex's message.
    pub(crate) fn new(pattern: &str) -> Result<Self, String> {
        let translated = translate(pattern);
        let regex = Regex::new(&translated).map_err(|error| error.to_string())?;
        let not_empty = fancy_regex::RegexBuilder::new(&translated)
            .find_not_empty(true)
            .build()
            .ok()
            .map(Box::new);
        let groups = regex.captures_len().saturating_sub(1);
        Ok(Self {
            pattern: pattern.to_string(),
            regex: Box::new(regex),
            not_empty,
            groups,
        })
    }

    /// The pattern as written.
    pub(crate) fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Every match in order, as `re.finditer` yields them, each as a list of group spans
    /// (index 0: the whole match).
    fn matches(&self, text: &str) -> Result<Vec<GroupSpans>, RegexRunError> {
        let run_error = |error: fancy_regex::Error| RegexRunError {
            pattern: self.pattern.clone(),
            message: error.to_string(),
        };
        let spans = |captures: &fancy_regex::Captures<'_, str>| -> GroupSpans {
            (0..=self.groups)
                .map(|index| captures.get(index).map(|m| (m.start(), m.end())))
                .collect()
        };
        let mut found = Vec::new();
        let mut position = 0;
        let mut must_advance = false;
        while position <= text.len() {
            let mut next = None;
            if must_advance {
                // Python rejects an empty match where the previous (empty) one ended, but
                // accepts a non-empty one found there by backtracking.
                if let Some(not_empty) = &self.not_empty {
                    if let Some(captures) = not_empty
                        .captures_from_pos(text, position)
                        .map_err(run_error)?
                    {
                        if captures.get(0).map(|m| m.start()) == Some(position) {
                            next = Some(spans(&captures));
                        }
                    }
                }
                if next.is_none() {
                    let Some(step) = text[position..].chars().next() else {
                        break;
                    };
                    position += step.len_utf8();
                }
            }
            let groups = match next {
                Some(groups) => groups,
                None => match self
                    .regex
                    .captures_from_pos(text, position)
                    .map_err(run_error)?
                {
                    Some(captures) => spans(&captures),
                    None => break,
                },
            };
            let Some((start, end)) = groups.first().copied().flatten() else {
                break;
            };
            must_advance = start == end;
            position = end;
            found.push(groups);
        }
        Ok(found)
    }

    /// Python's `pattern.findall(text)`.
    pub(crate) fn findall(&self, text: &str) -> Result<Vec<Found>, RegexRunError> {
        let piece = |span: Option<(usize, usize)>| {
            span.map(|(start, end)| text[start..end].to_string())
                .unwrap_or_default()
        };
        Ok(self
            .matches(text)?
            .into_iter()
            .map(|groups| match self.groups {
                0 => Found::Text(piece(groups[0])),
                1 => Found::Text(piece(groups[1])),
                _ => Found::Groups(groups[1..].iter().map(|span| piece(*span)).collect()),
            })
            .collect())
    }

    /// Python's `re.sub(pattern, "", text)`: every match removed.
    pub(crate) fn remove_all(&self, text: &str) -> Result<String, RegexRunError> {
        let mut out = String::with_capacity(text.len());
        let mut kept_from = 0;
        for groups in self.matches(text)? {
            if let Some((start, end)) = groups[0] {
                out.push_str(&text[kept_from..start]);
                kept_from = end;
            }
        }
        out.push_str(&text[kept_from..]);
        Ok(out)
    }
}

/// Whether the pattern turns on multi-line mode with an inline flag (`(?m)`, `(?im:...)`).
fn multi_line(pattern: &str) -> bool {
    let mut rest = pattern;
    while let Some(at) = rest.find("(?") {
        let flags: String = rest[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        if flags.contains('m') {
            return true;
        }
        rest = &rest[at + 2..];
    }
    false
}

/// Rewrites a Python pattern into fancy-regex syntax with the same meaning (see the module
/// documentation for what is rewritten).
pub(crate) fn translate(pattern: &str) -> String {
    let multi_line = multi_line(pattern);
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(escaped) = chars.next() else {
                    out.push('\\');
                    break;
                };
                if in_class {
                    match escaped {
                        'w' => out.push_str(WORD),
                        's' => out.push_str(r"\s\x1C-\x1F"),
                        'b' => out.push_str(r"\x08"),
                        '<' | '>' => out.push(escaped),
                        _ => {
                            out.push('\\');
                            out.push(escaped);
                        }
                    }
                } else {
                    match escaped {
                        'w' => out.push_str(&format!("[{WORD}]")),
                        'W' => out.push_str(&format!("[^{WORD}]")),
                        's' => out.push_str(r"[\s\x1C-\x1F]"),
                        'S' => out.push_str(r"[^\s\x1C-\x1F]"),
                        'b' => out.push_str(&format!(
                            "(?:(?<=[{WORD}])(?![{WORD}])|(?<![{WORD}])(?=[{WORD}]))"
                        )),
                        'B' => out.push_str(&format!(
                            "(?:(?<=[{WORD}])(?=[{WORD}])|(?<![{WORD}])(?![{WORD}]))"
                        )),
                        'Z' => out.push_str(r"\z"),
                        '<' | '>' => out.push(escaped),
                        _ => {
                            out.push('\\');
                            out.push(escaped);
                        }
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str(r"\]");
                }
            }
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '$' if !in_class && !multi_line => out.push_str(r"\Z"),
            _ => out.push(c),
        }
    }
    out
}

/// The length (in characters) of Python's `re.escape(text)`, which backslash-escapes
/// `()[]{}?*+-|^$\.&~#` and the whitespace characters space, `\t\n\r\v\f`.
pub(crate) fn python_escaped_len(text: &str) -> usize {
    text.chars()
        .map(|c| {
            if "()[]{}?*+-|^$\\.&~# \t\n\r\x0B\x0C".contains(c) {
                2
            } else {
                1
            }
        })
        .sum()
}

/// A pattern matching `text` literally (what `re.escape` is used for), in the syntax that
/// [`translate`] passes through unchanged.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if "()[]{}?*+-|^$.&~#\\".contains(c) {
            out.push('\\');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findall(pattern: &str, text: &str) -> Vec<Found> {
        PythonRegex::new(pattern)
            .and_then(|regex| regex.findall(text).map_err(|error| error.to_string()))
            .unwrap_or_else(|error| panic!("{pattern}: {error}"))
    }

    fn texts(items: &[&str]) -> Vec<Found> {
        items.iter().map(|s| Found::Text(s.to_string())).collect()
    }

    #[test]
    fn findall_shapes_follow_the_group_count() {
        assert_eq!(findall(r"\d+", "a1 b22"), texts(&["1", "22"]));
        assert_eq!(findall(r"#(\d+)|x", "#1 x"), texts(&["1", ""]));
        assert_eq!(
            findall(r"(a)|(b)", "ab"),
            vec![
                Found::Groups(vec!["a".into(), String::new()]),
                Found::Groups(vec![String::new(), "b".into()])
            ]
        );
    }

    #[test]
    fn empty_matches_follow_python_3_7() {
        // re.findall(r'a*', 'baa') == ['', 'aa', '']
        assert_eq!(findall("a*", "baa"), texts(&["", "aa", ""]));
        // re.findall(r'|a', 'a') == ['', 'a', '']
        assert_eq!(findall("|a", "a"), texts(&["", "a", ""]));
        // re.findall(r'(?=(ab|b))', 'abb') == ['ab', 'b', 'b']
        assert_eq!(findall("(?=(ab|b))", "abb"), texts(&["ab", "b", "b"]));
        assert_eq!(findall("x*", "é"), texts(&["", ""]));
    }

    #[test]
    fn python_specific_syntax() {
        assert_eq!(findall(r"x$", "x\n"), texts(&["x"]));
        assert_eq!(findall(r"x\Z", "x\n"), texts(&[]));
        assert_eq!(findall(r"\<a\>", "<a>"), texts(&["<a>"]));
        assert_eq!(findall(r"[[]", "a[b"), texts(&["["]));
        assert_eq!(findall(r"[]a]+", "]a]b"), texts(&["]a]"]));
        assert_eq!(findall(r"[&~]+", "a&~b"), texts(&["&~"]));
        assert_eq!(findall(r"\w+", "x²́y"), texts(&["x²", "y"]));
        assert_eq!(findall(r"\s", "\x1c"), texts(&["\x1c"]));
        // A combining mark is not a word character in Python.
        assert_eq!(findall(r"\bno\b", "no, no\u{301} nó"), texts(&["no", "no"]));
    }

    #[test]
    fn remove_all_is_sub_with_an_empty_replacement() {
        let regex = PythonRegex::new(r"\s*\(.*?\)").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(regex.remove_all("a (b) c (d)").unwrap_or_default(), "a c");
    }

    #[test]
    fn escape_matches_literally() {
        let text = "a.b (c) $5 [x]|y*+? {1} & ~ # \\ ^-";
        let regex = PythonRegex::new(&escape(text)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(regex.findall(text).unwrap_or_default(), texts(&[text]));
        assert_eq!(python_escaped_len("a b.c"), 7);
    }
}
