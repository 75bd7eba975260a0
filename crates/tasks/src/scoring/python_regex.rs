//! Python `re` patterns, compiled with `fancy-regex` so that they mean what they mean in
//! Python.
//!
//! lm-eval task files carry Python regular expressions (`regexes_to_ignore`). `fancy-regex`
//! reads the same syntax, including look-around and back-references, but a few constructs
//! match differently; [`translate`] rewrites those before compiling:
//!
//! - `$` (without the `m` flag) matches at the end *or before a final newline* in Python:
//!   it becomes `(?=\n?\z)`. `\Z` (end of text only in Python) becomes `\z`.
//! - `\w`, `\W`, `\b`, `\B` use Python's word characters (letters, numbers, `_`), `\s` and
//!   `\S` Python's whitespace (which includes U+001C..U+001F).
//! - Inside a character class, `[`, `&` and `~` are literal in Python and set operators in
//!   Rust: they are escaped; `\b` there is a backspace.
//! - A `{` that does not start a repetition is a literal in Python; `{,n}` is `{0,n}`.
//!
//! Not translated: inline flags other than `m` (the `a` flag, ASCII classes, is ignored),
//! octal escapes, and conditional groups `(?(1)...)`, which `fancy-regex` refuses.

use crate::scoring::ScoringError;

/// Python's word characters (`\w` in a `str` pattern), as the inside of a class.
const WORD_CLASS_BODY: &str = r"\p{L}\p{N}_";
/// Python's whitespace (`\s` in a `str` pattern), as the inside of a class.
const SPACE_CLASS_BODY: &str = r"\s\x1c-\x1f";

/// Compiles a Python `re` pattern (see the module documentation for what is rewritten).
pub fn compile(pattern: &str) -> Result<fancy_regex::Regex, ScoringError> {
    fancy_regex::Regex::new(&translate(pattern)).map_err(|error| ScoringError::InvalidRegex {
        pattern: pattern.to_string(),
        message: error.to_string(),
    })
}

/// Python's `re.sub(pattern, "", text)`.
pub fn remove_matches(regex: &fancy_regex::Regex, text: &str) -> Result<String, ScoringError> {
    regex
        .try_replacen(text, 0, fancy_regex::NoExpand(""))
        .map(|replaced| replaced.into_owned())
        .map_err(|error| ScoringError::RegexRuntime {
            pattern: regex.as_str().to_string(),
            message: error.to_string(),
        })
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
                _ => None,
            };
            match replacement {
                Some(text) => output.push_str(&text),
                None => {
                    output.push('\\');
                    output.push(escaped);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(pattern: &str, text: &str) -> String {
        let regex = compile(pattern).unwrap_or_else(|error| panic!("{error}"));
        remove_matches(&regex, text).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn dollar_matches_before_a_final_newline() {
        assert_eq!(sub(r"\.$", "abc.\n"), "abc\n");
        assert_eq!(sub(r"\.$", "abc."), "abc");
        assert_eq!(sub(r"\.$", "a.\nb"), "a.\nb");
        assert_eq!(sub(r"(?m)\.$", "a.\nb."), "a\nb");
        assert_eq!(sub(r"\.\Z", "abc.\n"), "abc.\n");
    }

    #[test]
    fn python_word_and_space_classes() {
        // '²' is a word character in Python, not in Rust's \w.
        assert_eq!(sub(r"\ba\b", "a² a"), "a² ");
        assert_eq!(sub(r"\s+", "a\u{1c}b c"), "abc");
        assert_eq!(sub(r"[\w]", "a-²"), "-");
    }

    #[test]
    fn class_literals_and_braces() {
        assert_eq!(sub(r"[[&~]", "a[b&c~d"), "abcd");
        assert_eq!(sub(r"[]x]", "a]x"), "a");
        assert_eq!(sub(r"a{", "a{b"), "b");
        assert_eq!(sub(r"a{,2}b", "aaab"), "a");
        assert_eq!(sub(r"x{2}", "xxx"), "x");
        assert_eq!(sub(r"[^0-9]", "a1b2"), "12");
    }

    #[test]
    fn common_lm_eval_patterns() {
        assert_eq!(sub(",", "1,234"), "1234");
        assert_eq!(sub(r"\$", "$5"), "5");
        assert_eq!(sub(r"(?s).*#### ", "work\nmore #### 42"), "42");
        assert_eq!(sub(r"(?<=\d) (?=\d)", "1 2 a 3"), "12 a 3");
    }

    #[test]
    fn invalid_pattern_is_an_error_naming_it() {
        let error = compile("(unclosed").expect_err("invalid pattern");
        assert!(error.to_string().contains("(unclosed"), "{error}");
    }
}
