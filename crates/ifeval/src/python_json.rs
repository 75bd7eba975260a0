//! Which texts Python's `json.loads` accepts, the test of `detectable_format:json_format`.
//!
//! Rules of CPython 3.11's C scanner (`Modules/_json.c`) and `json.decoder.JSONDecoder.decode`:
//! RFC 8259 JSON plus the literals `NaN`, `Infinity` and `-Infinity`; whitespace is only
//! space, tab, LF and CR; strings may not hold raw control characters (U+0000..U+001F) but may
//! hold any `\uXXXX` escape, lone surrogates included; digits are ASCII; an integer of more
//! than 4,300 digits is refused (`int()`'s conversion limit raises `ValueError`), while a float
//! of any size is accepted (it becomes `inf`). `serde_json` differs on the extra literals, lone
//! surrogates and out-of-range floats, hence this validator.
//!
//! One difference remains: Python raises `RecursionError` (not a verdict: lm-eval stops) on
//! nesting deeper than its recursion limit (about 1,000); here any depth is parsed.

/// `int()`'s default limit on the digits of a decimal string (`sys.get_int_max_str_digits()`).
const INT_MAX_STR_DIGITS: usize = 4300;

/// Whether `json.loads(text)` returns without raising.
pub(crate) fn loads_accepts(text: &str) -> bool {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        at: 0,
    };
    scanner.skip_whitespace();
    if scanner.value().is_none() {
        return false;
    }
    scanner.skip_whitespace();
    scanner.at == scanner.bytes.len()
}

/// An open array or object, waiting for its next element.
enum Open {
    Array,
    Object,
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, literal: &[u8]) -> Option<()> {
        if self.bytes[self.at..].starts_with(literal) {
            self.at += literal.len();
            Some(())
        } else {
            None
        }
    }

    /// One value starting at the cursor (no whitespace before it); arrays and objects are
    /// walked with an explicit stack.
    fn value(&mut self) -> Option<()> {
        let mut open: Vec<Open> = Vec::new();
        loop {
            // A value: a scalar, or the start of a container (then its first element, if any).
            match self.peek()? {
                b'[' => {
                    self.at += 1;
                    self.skip_whitespace();
                    if self.peek() == Some(b']') {
                        self.at += 1;
                    } else {
                        open.push(Open::Array);
                        continue;
                    }
                }
                b'{' => {
                    self.at += 1;
                    self.skip_whitespace();
                    if self.peek() == Some(b'}') {
                        self.at += 1;
                    } else {
                        self.member_name()?;
                        open.push(Open::Object);
                        continue;
                    }
                }
                _ => self.scalar()?,
            }
            // After a value: close containers or move to their next element.
            loop {
                let Some(container) = open.last() else {
                    return Some(());
                };
                self.skip_whitespace();
                let (close, is_object) = match container {
                    Open::Array => (b']', false),
                    Open::Object => (b'}', true),
                };
                match self.peek()? {
                    byte if byte == close => {
                        self.at += 1;
                        open.pop();
                    }
                    b',' => {
                        self.at += 1;
                        self.skip_whitespace();
                        if is_object {
                            self.member_name()?;
                        }
                        break;
                    }
                    _ => return None,
                }
            }
        }
    }

    /// `"name"`, whitespace, `:`, whitespace: what comes before an object member's value.
    fn member_name(&mut self) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        self.string()?;
        self.skip_whitespace();
        self.eat(b":")?;
        self.skip_whitespace();
        Some(())
    }

    fn scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string(),
            b'n' => self.eat(b"null"),
            b't' => self.eat(b"true"),
            b'f' => self.eat(b"false"),
            b'N' => self.eat(b"NaN"),
            b'I' => self.eat(b"Infinity"),
            b'-' if self.bytes[self.at + 1..].starts_with(b"Infinity") => self.eat(b"-Infinity"),
            _ => self.number(),
        }
    }

    /// A string from its opening quote: no raw control characters, valid escapes only.
    fn string(&mut self) -> Option<()> {
        self.at += 1;
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                byte if byte < 0x20 => return None,
                b'\\' => {
                    self.at += 1;
                    match self.peek()? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                        b'u' => {
                            let digits = self.bytes.get(self.at + 1..self.at + 5)?;
                            if !digits.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.at += 5;
                        }
                        _ => return None,
                    }
                }
                _ => self.at += 1,
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`; a fraction or exponent that is not
    /// complete is left unread (and then fails as extra data).
    fn number(&mut self) -> Option<()> {
        let digits = |scanner: &mut Self| {
            let start = scanner.at;
            while scanner.peek().is_some_and(|byte| byte.is_ascii_digit()) {
                scanner.at += 1;
            }
            scanner.at - start
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let integer_digits = match self.peek()? {
            b'0' => {
                self.at += 1;
                1
            }
            b'1'..=b'9' => digits(self),
            _ => return None,
        };
        let mut is_float = false;
        if self.peek() == Some(b'.')
            && self
                .bytes
                .get(self.at + 1)
                .is_some_and(|byte| byte.is_ascii_digit())
        {
            self.at += 1;
            digits(self);
            is_float = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let exponent_start = self.at;
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                self.at = exponent_start;
            } else {
                is_float = true;
            }
        }
        (is_float || integer_digits <= INT_MAX_STR_DIGITS).then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::loads_accepts;

    #[test]
    fn accepts_what_python_accepts() {
        for text in [
            "{}",
            "[]",
            " 1 ",
            "\t\n\r[1, 2.5, -0, 1E+5, 1e-3, true, false, null]\n",
            r#"{"a": {"b": [{}, [], "c"]}, "d": "é\u00e9\/"}"#,
            "NaN",
            "[Infinity, -Infinity]",
            r#""\ud800""#,
            "\"\u{7f}\"",
            "-1.5e10",
        ] {
            assert!(loads_accepts(text), "{text:?}");
        }
        assert!(loads_accepts(&"1".repeat(4300)));
        assert!(loads_accepts(&format!("-{}", "1".repeat(4300))));
        assert!(loads_accepts(&format!("1.{}", "1".repeat(5000))));
        assert!(loads_accepts(&format!(
            "{}{}",
            "[".repeat(5000),
            "]".repeat(5000)
        )));
    }

    #[test]
    fn refuses_what_python_refuses() {
        for text in [
            "",
            "   ",
            "[1,]",
            r#"{"a":1,}"#,
            "{'a': 1}",
            r#"{"a" 1}"#,
            r#"{1: 2}"#,
            "1e",
            "1.",
            ".5",
            "01",
            "-",
            "+1",
            "\"a\tb\"",
            r#""\x""#,
            r#""\u12G4""#,
            "\"open",
            "\u{feff}1",
            "[] x",
            "Infinity1",
            "nan",
            "[1 2]",
            "\u{a0}1",
            "[[]",
        ] {
            assert!(!loads_accepts(text), "{text:?}");
        }
        assert!(!loads_accepts(&"1".repeat(4301)));
    }
}
