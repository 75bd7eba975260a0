//! Python `re` patterns on top of `fancy-regex`, for task files written for Python (`filter_list`
//! patterns, `regexes_to_ignore`): the pattern is rewritten where the two dialects read the
//! same text differently, and `findall` / `sub` walk the matches with Python 3.7+'s rules for
//! empty matches.
//!
//! Rewrites (outside character classes unless said otherwise):
//!
//! - `\w`, `\W`, `\b`, `\B` use Python's word characters (letters, numbers and `_`, i.e.
//!   `str.isalnum() or "_"`), not Rust's (which add combining marks and connector
//!   punctuation and leave out `²`-like numbers). `\s`, `\S` also match U+001C..U+001F, as
//!   Python's `str.isspace` does. Inside a class `\w`, `\W`, `\s`, `\S` are rewritten too, and
//!   `\b` there is a backspace.
//! - `$` (without the `m` flag) matches at the end *or before a final newline*, as in Python:
//!   it becomes `(?=\n?\z)` (fancy-regex's `\Z` would also skip several final newlines).
//!   `\Z` is the absolute end (`\z`).
//! - `\<` and `\>` are the literal characters, not word boundaries.
//! - In a class, `[`, `&`, `~` and a doubled `-` are literal (Rust would read nested classes
//!   and set operations); a `]` right after `[` or `[^` is literal, as in Python.
//! - A `{` that does not start a repetition is a literal in Python; `{,n}` is `{0,n}`.
//!   (`\p{..}`/`\P{..}`, which Python lacks, are kept for patterns built in Rust.)
//!
//! Known differences left: ASCII mode (`(?a)`), verbose mode (`(?x)`) comments containing
//! `[`, octal escapes, conditional groups `(?(1)...)` (which fancy-regex refuses), and
//! Unicode tables of different versions (Python 3.11 has Unicode 14).

use fancy_regex::Regex;

/// Python's word characters (`\w` in a `str` pattern), as the inside of a class.
const WORD_CLASS_BODY: &str = r"\p{L}\p{N}_";
/// Python's whitespace (`\s` in a `str` pattern), as the inside of a class.
const SPACE_CLASS_BODY: &str = r"\s\x1c-\x1f";

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

/// Whether the pattern sets the `m` (MULTILINE) flag anywhere, as `(?m)` or `(?im:...)`.
fn has_multiline_flag(pattern: &str) -> bool {
    let bytes = pattern.as_bytes();
    let mut index = 0;
    while index + 1 < bytes.len() {
        if bytes[index] == b'\\' {
            index += 2;
            continue;
        }
        if bytes[index] == b'(' && bytes[index + 1] == b'?' {
            let flags: Vec<u8> = bytes[index + 2..]
                .iter()
                .copied()
                .take_while(|byte| byte.is_ascii_alphabetic() || *byte == b'-')
                .collect();
            let mut enabled = flags.split(|byte| *byte == b'-');
            if enabled.next().is_some_and(|on| on.contains(&b'm')) {
                return true;
            }
        }
        index += 1;
    }
    false
}

/// Length in bytes of a repetition `{m}`, `{m,}`, `{,n}`, `{m,n}` at the start of `rest`
/// (which begins with `{`), with its Rust spelling; `None` if it is a literal brace.
fn repetition(rest: &str) -> Option<(usize, String)> {
    let close = rest.find('}')?;
    let inside = &rest[1..close];
    let (low, high) = match inside.split_once(',') {
        Some((low, high)) => (low, Some(high)),
        None => (inside, None),
    };
    let digits = |text: &str| text.bytes().all(|byte| byte.is_ascii_digit());
    if !digits(low) || !high.is_none_or(digits) || (low.is_empty() && high.is_none()) {
        return None;
    }
    if low.is_empty() && high == Some("") {
        // `{,}` is a literal in Python.
        return None;
    }
    let low = if low.is_empty() { "0" } else { low };
    let spelled = match high {
        Some(high) => format!("{{{low},{high}}}"),
        None => format!("{{{low}}}"),
    };
    Some((close + 1, spelled))
}

/// Rewrites a Python `re` pattern into `fancy-regex` syntax with the same meaning (see the
/// module documentation).
pub fn translate(pattern: &str) -> String {
    let word_boundary = format!(
        "(?:(?<=[{WORD_CLASS_BODY}])(?![{WORD_CLASS_BODY}])|(?<![{WORD_CLASS_BODY}])(?=[{WORD_CLASS_BODY}]))"
    );
    let not_word_boundary = format!(
        "(?:(?<=[{WORD_CLASS_BODY}])(?=[{WORD_CLASS_BODY}])|(?<![{WORD_CLASS_BODY}])(?![{WORD_CLASS_BODY}]))"
    );
    let multiline = has_multiline_flag(pattern);
    let mut output = String::with_capacity(pattern.len() * 2);
    let mut in_class = false;
    // Characters of the current class seen so far (to know whether `]` is its first member).
    let mut class_members = 0usize;
    let mut chars = pattern.char_indices().peekable();
    while let Some((index, character)) = chars.next() {
        if character == '\\' {
            let Some((_, escaped)) = chars.next() else {
                output.push('\\');
                break;
            };
            class_members += 1;
            let replacement: Option<String> = match (in_class, escaped) {
                (false, 'Z') => Some(r"\z".to_string()),
                (false, 'w') => Some(format!("[{WORD_CLASS_BODY}]")),
                (false, 'W') => Some(format!("[^{WORD_CLASS_BODY}]")),
                (false, 's') => Some(format!("[{SPACE_CLASS_BODY}]")),
                (false, 'S') => Some(format!("[^{SPACE_CLASS_BODY}]")),
                (false, 'b') => Some(word_boundary.clone()),
                (false, 'B') => Some(not_word_boundary.clone()),
                (true, 'w') => Some(WORD_CLASS_BODY.to_string()),
                (true, 'W') => Some(format!("[^{WORD_CLASS_BODY}]")),
                (true, 's') => Some(SPACE_CLASS_BODY.to_string()),
                (true, 'S') => Some(format!("[^{SPACE_CLASS_BODY}]")),
                (true, 'b') => Some(r"\x08".to_string()),
                (_, '<' | '>') => Some(escaped.to_string()),
                _ => None,
            };
            match replacement {
                Some(text) => output.push_str(&text),
                None => {
                    output.push('\\');
                    output.push(escaped);
                    // `\p{..}`: its braces are not a repetition.
                    if matches!(escaped, 'p' | 'P')
                        && chars.peek().is_some_and(|(_, next)| *next == '{')
                    {
                        for (_, inside) in chars.by_ref() {
                            output.push(inside);
                            if inside == '}' {
                                break;
                            }
                        }
                    }
                }
            }
            continue;
        }
        if in_class {
            match character {
                ']' if class_members > 0 => {
                    in_class = false;
                    output.push(']');
                }
                '^' if class_members == 0 && output.ends_with('[') => output.push('^'),
                '[' | '&' | '~' => {
                    class_members += 1;
                    output.push('\\');
                    output.push(character);
                }
                '-' if chars.peek().is_some_and(|(_, next)| *next == '-') => {
                    class_members += 1;
                    output.push_str(r"\-");
                }
                _ => {
                    class_members += 1;
                    output.push(character);
                }
            }
            continue;
        }
        match character {
            '[' => {
                in_class = true;
                class_members = 0;
                output.push('[');
            }
            '$' if !multiline => output.push_str(r"(?=\n?\z)"),
            '{' => match repetition(&pattern[index..]) {
                Some((length, spelled)) => {
                    output.push_str(&spelled);
                    while chars.peek().is_some_and(|(next, _)| *next < index + length) {
                        chars.next();
                    }
                }
                None => output.push_str(r"\{"),
            },
            _ => output.push(character),
        }
    }
    output
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

    fn compile(pattern: &str) -> PythonRegex {
        PythonRegex::new(pattern).unwrap_or_else(|error| panic!("{pattern}: {error}"))
    }

    fn findall(pattern: &str, text: &str) -> Vec<Found> {
        compile(pattern)
            .findall(text)
            .unwrap_or_else(|error| panic!("{error}"))
    }

    /// `re.sub(pattern, "", text)`.
    fn sub(pattern: &str, text: &str) -> String {
        compile(pattern)
            .remove_all(text)
            .unwrap_or_else(|error| panic!("{error}"))
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
        // re.sub(r'|a', '', 'a') == ''
        assert_eq!(sub("|a", "a"), "");
    }

    #[test]
    fn dollar_matches_before_a_final_newline() {
        assert_eq!(findall(r"x$", "x\n"), texts(&["x"]));
        assert_eq!(findall(r"x$", "x\n\n"), texts(&[]));
        assert_eq!(findall(r"x\Z", "x\n"), texts(&[]));
        assert_eq!(sub(r"\.$", "abc.\n"), "abc\n");
        assert_eq!(sub(r"\.$", "abc."), "abc");
        assert_eq!(sub(r"\.$", "a.\nb"), "a.\nb");
        assert_eq!(sub(r"(?m)\.$", "a.\nb."), "a\nb");
        assert_eq!(sub(r"\(?m\.$", "m.\n."), "m.\n.");
        assert_eq!(sub(r"\.\Z", "abc.\n"), "abc.\n");
    }

    #[test]
    fn python_word_and_space_classes() {
        assert_eq!(findall(r"\w+", "x²́y"), texts(&["x²", "y"]));
        assert_eq!(findall(r"\s", "\x1c"), texts(&["\x1c"]));
        // A combining mark is not a word character in Python.
        assert_eq!(findall(r"\bno\b", "no, no\u{301} nó"), texts(&["no", "no"]));
        // '²' is a word character in Python, not in Rust's \w.
        assert_eq!(sub(r"\ba\b", "a² a"), "a² ");
        assert_eq!(sub(r"\s+", "a\u{1c}b c"), "abc");
        assert_eq!(sub(r"[\w]", "a-²"), "-");
        assert_eq!(sub(r"[\W]", "a² \u{1c}-"), "a²");
        assert_eq!(sub(r"[\S]", "a \u{1c}-"), " \u{1c}");
    }

    #[test]
    fn class_literals_and_braces() {
        assert_eq!(findall(r"\<a\>", "<a>"), texts(&["<a>"]));
        assert_eq!(findall(r"[\<]", "a<"), texts(&["<"]));
        assert_eq!(findall(r"[[]", "a[b"), texts(&["["]));
        assert_eq!(findall(r"[]a]+", "]a]b"), texts(&["]a]"]));
        assert_eq!(findall(r"[&~]+", "a&~b"), texts(&["&~"]));
        assert_eq!(sub(r"[[&~]", "a[b&c~d"), "abcd");
        assert_eq!(sub(r"[]x]", "a]x"), "a");
        assert_eq!(sub(r"a{", "a{b"), "b");
        assert_eq!(sub(r"a{,2}b", "aaab"), "a");
        assert_eq!(sub(r"x{2}", "xxx"), "x");
        assert_eq!(sub(r"[^0-9]", "a1b2"), "12");
        // Not Python, but used by patterns built in Rust.
        assert_eq!(sub(r"\p{P}+", "a.,b"), "ab");
    }

    #[test]
    fn common_lm_eval_patterns() {
        assert_eq!(sub(",", "1,234"), "1234");
        assert_eq!(sub(r"\$", "$5"), "5");
        assert_eq!(sub(r"(?s).*#### ", "work\nmore #### 42"), "42");
        assert_eq!(sub(r"(?<=\d) (?=\d)", "1 2 a 3"), "12 a 3");
        assert_eq!(sub(r"\s*\(.*?\)", "a (b) c (d)"), "a c");
    }

    #[test]
    fn escape_matches_literally() {
        let text = "a.b (c) $5 [x]|y*+? {1} & ~ # \\ ^-";
        assert_eq!(findall(&escape(text), text), texts(&[text]));
        assert_eq!(python_escaped_len("a b.c"), 7);
    }

    #[test]
    fn invalid_pattern_is_an_error() {
        assert!(PythonRegex::new("(unclosed").is_err());
    }
}
