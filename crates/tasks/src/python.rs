//! The bits of Python's semantics that lm-eval's templates and hooks rely on, so that a
//! prompt rendered here is the string Python would have produced: `str.isspace`,
//! `str.strip`, `str.capitalize`, `str()`/`repr()` of values printed by a template, and the
//! subset of `ast.literal_eval` that lm-eval applies to rendered `doc_to_choice` /
//! `doc_to_target` strings.
//!
//! Known gaps (documented rather than silently different): `repr` decides which characters
//! are printable with an approximation of Python's Unicode tables (controls, separators and
//! the common format characters are escaped), and `capitalize` title-cases a few exotic
//! characters (e.g. `ŉ`) differently.

use minijinja::value::{Value, ValueKind};
use std::fmt::Write as _;

/// Python's `str.isspace` for one character: Rust's Unicode `White_Space` plus the four
/// ASCII information separators (U+001C..U+001F) that Python also treats as whitespace.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()` (no argument).
pub fn strip(text: &str) -> &str {
    text.trim_matches(is_space)
}

/// Python's `str.lstrip()` (no argument).
pub fn lstrip(text: &str) -> &str {
    text.trim_start_matches(is_space)
}

/// Python's `str.rstrip()` (no argument).
pub fn rstrip(text: &str) -> &str {
    text.trim_end_matches(is_space)
}

/// Python's `str.isdigit()` restricted to what `ast.literal_eval` accepts afterwards: a
/// non-empty run of ASCII digits. (Python's `isdigit` is also true for e.g. `²`, but
/// `literal_eval` then fails, so lm-eval cannot use such a string as an index either.)
pub fn is_ascii_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Python 3.8+'s `str.capitalize()`: the first character in title case, the rest lower case
/// (with Python's final-sigma rule, which Rust's `str::to_lowercase` shares).
pub fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out = titlecase(first);
    // Lower-case the whole string so that context-dependent mappings (final sigma) see the
    // first character too, then drop the first character's own lower-case form.
    let lowered = text.to_lowercase();
    let first_lower: String = first.to_lowercase().collect();
    match lowered.strip_prefix(first_lower.as_str()) {
        Some(rest) => out.push_str(rest),
        None => out.push_str(&chars.as_str().to_lowercase()),
    }
    out
}

fn titlecase(c: char) -> String {
    match c {
        '\u{1c4}'..='\u{1c6}' => "\u{1c5}".into(),
        '\u{1c7}'..='\u{1c9}' => "\u{1c8}".into(),
        '\u{1ca}'..='\u{1cc}' => "\u{1cb}".into(),
        '\u{1f1}'..='\u{1f3}' => "\u{1f2}".into(),
        _ => {
            let upper: String = c.to_uppercase().collect();
            let mut upper_chars = upper.chars();
            match (upper_chars.next(), upper_chars.as_str()) {
                // Multi-character upper case (ß -> SS, ﬁ -> FI): title case keeps only the
                // first one upper ("Ss", "Fi").
                (Some(head), rest) if !rest.is_empty() => {
                    let mut title = head.to_string();
                    title.push_str(&rest.to_lowercase());
                    title
                }
                _ => upper,
            }
        }
    }
}

/// Python's `str(value)` for a template value: strings as they are, everything else as
/// `repr` (`None`, `True`, `[1, 'a']`, `{'k': 1.0}`).
pub fn to_str(value: &Value) -> String {
    match value.as_str() {
        Some(text) if value.kind() == ValueKind::String => text.to_string(),
        _ => {
            let mut out = String::new();
            write_repr(&mut out, value);
            out
        }
    }
}

/// Python's `repr(value)` for a template value.
pub fn repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, value);
    out
}

fn write_repr(out: &mut String, value: &Value) {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if value.is_true() { "True" } else { "False" }),
        ValueKind::Number => {
            if let (true, Some(integer)) = (value.is_integer(), value.as_i64()) {
                let _ = write!(out, "{integer}");
            } else if let Ok(float) = f64::try_from(value.clone()) {
                out.push_str(&float_repr(float));
            } else {
                // Integers beyond i64 (u64/i128): their decimal form is Python's too.
                let _ = write!(out, "{value}");
            }
        }
        ValueKind::String => out.push_str(&string_repr(value.as_str().unwrap_or_default())),
        ValueKind::Bytes => {
            out.push('b');
            let bytes = value.as_bytes().unwrap_or_default();
            out.push_str(&string_repr(&String::from_utf8_lossy(bytes)));
        }
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('[');
            if let Ok(items) = value.try_iter() {
                for (position, item) in items.enumerate() {
                    if position > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &item);
                }
            }
            out.push(']');
        }
        ValueKind::Map => {
            out.push('{');
            if let Ok(keys) = value.try_iter() {
                for (position, key) in keys.enumerate() {
                    if position > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &key);
                    out.push_str(": ");
                    let item = value.get_item(&key).unwrap_or_default();
                    write_repr(out, &item);
                }
            }
            out.push('}');
        }
        _ => {
            let _ = write!(out, "{value}");
        }
    }
}

/// Python's `repr(float)`: shortest round-trip digits, scientific notation when the decimal
/// exponent is below -4 or at least 16, and always a `.0` on integral values.
pub fn float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".into();
    }
    if value.is_infinite() {
        return if value > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if !(-4..16).contains(&exponent) {
        let (head, tail) = digits.split_at(1);
        let tail = if tail.is_empty() {
            String::new()
        } else {
            format!(".{tail}")
        };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{head}{tail}e{exponent_sign}{:02}", exponent.abs());
    }
    let point = exponent + 1; // digits before the decimal point
    let body = if point <= 0 {
        format!("0.{}{}", "0".repeat(point.unsigned_abs() as usize), digits)
    } else if point as usize >= digits.len() {
        format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
    } else {
        let (whole, fraction) = digits.split_at(point as usize);
        format!("{whole}.{fraction}")
    };
    format!("{sign}{body}")
}

/// Python's `repr(str)`: single quotes unless the text has a single quote and no double
/// quote, with Python's escapes for backslashes, quotes and unprintable characters.
pub fn string_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let code = c as u32;
                let _ = if code < 0x100 {
                    write!(out, "\\x{code:02x}")
                } else if code < 0x10000 {
                    write!(out, "\\u{code:04x}")
                } else {
                    write!(out, "\\U{code:08x}")
                };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Approximates Python's `str.isprintable` for one character: false for controls,
/// separators other than the ASCII space, surrogates/private use, and common format
/// characters (soft hyphen, zero-width and bidi marks, BOM).
fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c,
        '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        | '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..='\u{10ffff}')
}

/// Parses the subset of Python literals `ast.literal_eval` is used for in lm-eval task
/// configs: strings (with escapes and implicit concatenation), integers, floats, `True`,
/// `False`, `None`, lists, tuples (as lists) and dicts.
pub fn literal_eval(text: &str) -> Result<Value, String> {
    let mut parser = LiteralParser {
        chars: text.chars().collect(),
        position: 0,
    };
    let value = parser.value()?;
    parser.skip_space();
    if parser.position != parser.chars.len() {
        return Err(format!(
            "unexpected `{}` at character {} of a Python literal",
            parser.chars[parser.position], parser.position
        ));
    }
    Ok(value)
}

struct LiteralParser {
    chars: Vec<char>,
    position: usize,
}

impl LiteralParser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.position).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.position += 1;
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_space();
        match self.peek() {
            None => Err("empty Python literal".into()),
            Some('[') => self.sequence(']'),
            Some('(') => self.sequence(')'),
            Some('{') => self.dict(),
            Some('\'' | '"') => {
                let mut text = self.string()?;
                // Implicit concatenation: 'a' 'b' == 'ab'.
                loop {
                    let save = self.position;
                    self.skip_space();
                    if matches!(self.peek(), Some('\'' | '"')) {
                        text.push_str(&self.string()?);
                    } else {
                        self.position = save;
                        break;
                    }
                }
                Ok(Value::from(text))
            }
            Some(c) if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => self.number(),
            Some(c) if c.is_alphabetic() || c == '_' => {
                let start = self.position;
                while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    self.position += 1;
                }
                let word: String = self.chars[start..self.position].iter().collect();
                match word.as_str() {
                    "True" => Ok(Value::from(true)),
                    "False" => Ok(Value::from(false)),
                    "None" => Ok(Value::from(())),
                    other => Err(format!("`{other}` is not a Python literal")),
                }
            }
            Some(c) => Err(format!("unexpected `{c}` in a Python literal")),
        }
    }

    fn sequence(&mut self, close: char) -> Result<Value, String> {
        self.position += 1;
        let mut items = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some(close) {
                self.position += 1;
                return Ok(Value::from(items));
            }
            items.push(self.value()?);
            self.skip_space();
            match self.peek() {
                Some(',') => self.position += 1,
                Some(c) if c == close => {}
                _ => return Err(format!("expected `,` or `{close}` in a Python literal")),
            }
        }
    }

    fn dict(&mut self) -> Result<Value, String> {
        self.position += 1;
        let mut entries: Vec<(Value, Value)> = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some('}') {
                self.position += 1;
                return Ok(Value::from_iter(entries));
            }
            let key = self.value()?;
            self.skip_space();
            if self.peek() != Some(':') {
                return Err("expected `:` in a Python dict literal".into());
            }
            self.position += 1;
            let item = self.value()?;
            entries.push((key, item));
            self.skip_space();
            match self.peek() {
                Some(',') => self.position += 1,
                Some('}') => {}
                _ => return Err("expected `,` or `}` in a Python dict literal".into()),
            }
        }
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.position;
        if matches!(self.peek(), Some('-' | '+')) {
            self.position += 1;
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_'))
            || (matches!(self.peek(), Some('-' | '+'))
                && matches!(self.chars.get(self.position - 1), Some('e' | 'E')))
        {
            self.position += 1;
        }
        let raw: String = self.chars[start..self.position]
            .iter()
            .filter(|c| **c != '_')
            .collect();
        if let Ok(integer) = raw.parse::<i64>() {
            return Ok(Value::from(integer));
        }
        if raw.chars().any(|c| c.is_ascii_digit()) {
            if let Ok(float) = raw.parse::<f64>() {
                return Ok(Value::from(float));
            }
        }
        Err(format!("`{raw}` is not a Python number"))
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.peek().ok_or("expected a string")?;
        self.position += 1;
        let mut text = String::new();
        loop {
            let c = self
                .peek()
                .ok_or("unterminated string in a Python literal")?;
            self.position += 1;
            if c == quote {
                return Ok(text);
            }
            if c != '\\' {
                text.push(c);
                continue;
            }
            let escaped = self
                .peek()
                .ok_or("unterminated escape in a Python literal")?;
            self.position += 1;
            match escaped {
                '\n' => {}
                '\\' | '\'' | '"' => text.push(escaped),
                'n' => text.push('\n'),
                't' => text.push('\t'),
                'r' => text.push('\r'),
                'a' => text.push('\u{7}'),
                'b' => text.push('\u{8}'),
                'f' => text.push('\u{c}'),
                'v' => text.push('\u{b}'),
                'x' => text.push(self.hex_escape(2)?),
                'u' => text.push(self.hex_escape(4)?),
                'U' => text.push(self.hex_escape(8)?),
                '0'..='7' => {
                    let mut code = escaped.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match self.peek().and_then(|c| c.to_digit(8)) {
                            Some(digit) => {
                                code = code * 8 + digit;
                                self.position += 1;
                            }
                            None => break,
                        }
                    }
                    text.push(char::from_u32(code).ok_or("invalid octal escape")?);
                }
                other => {
                    // Python keeps unknown escapes verbatim.
                    text.push('\\');
                    text.push(other);
                }
            }
        }
    }

    fn hex_escape(&mut self, digits: usize) -> Result<char, String> {
        let end = self.position + digits;
        let hex: String = self
            .chars
            .get(self.position..end)
            .ok_or("truncated \\x/\\u escape in a Python literal")?
            .iter()
            .collect();
        self.position = end;
        u32::from_str_radix(&hex, 16)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| format!("invalid escape `{hex}` in a Python literal"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capitalize_matches_python() {
        // Expected values printed by Python 3.11's str.capitalize.
        assert_eq!(capitalize("he IS Here"), "He is here");
        assert_eq!(capitalize(""), "");
        assert_eq!(capitalize("ßa"), "Ssa");
        assert_eq!(capitalize("ǆemal"), "ǅemal");
        assert_eq!(capitalize("éCOLE"), "École");
        assert_eq!(capitalize("1ABC"), "1abc");
        assert_eq!(capitalize("aΣ"), "Aς");
    }

    #[test]
    fn whitespace_matches_python_isspace() {
        for character in [
            '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{1c}', '\u{1f}', ' ', '\u{85}',
        ] {
            assert!(is_space(character), "{character:?}");
        }
        for character in ['\u{a0}', '\u{3000}', '\u{2028}'] {
            assert!(is_space(character), "{character:?}");
        }
        for character in ['a', '\u{200b}', '\u{180e}', '\u{feff}', '_'] {
            assert!(!is_space(character), "{character:?}");
        }
    }

    #[test]
    fn strip_uses_python_whitespace() {
        assert_eq!(strip("\u{1f} a \u{a0}"), "a");
        assert_eq!(lstrip("  a "), "a ");
        assert_eq!(rstrip("  a \u{1c}"), "  a");
        assert_eq!(rstrip("ab \n\u{1d}"), "ab");
    }

    #[test]
    fn float_repr_matches_python() {
        assert_eq!(float_repr(1.0), "1.0");
        assert_eq!(float_repr(0.1), "0.1");
        assert_eq!(float_repr(-2.5), "-2.5");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1.5e16), "1.5e+16");
        assert_eq!(float_repr(123456789012345.0), "123456789012345.0");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(0.00001), "1e-05");
        assert_eq!(float_repr(1.0 / 3.0), "0.3333333333333333");
    }

    #[test]
    fn repr_of_template_values_matches_python() {
        let list = Value::from(vec![
            Value::from("it's"),
            Value::from("a\n\"b\""),
            Value::from(1),
            Value::from(true),
            Value::from(()),
        ]);
        assert_eq!(repr(&list), r#"["it's", 'a\n"b"', 1, True, None]"#);
        assert_eq!(to_str(&Value::from("x")), "x");
        assert_eq!(string_repr("a'b\"c\u{0}"), r#"'a\'b"c\x00'"#);
    }

    #[test]
    fn literal_eval_round_trips_repr() {
        let list = Value::from(vec![
            Value::from("it's"),
            Value::from("x\\y"),
            Value::from(2),
        ]);
        assert_eq!(literal_eval(&repr(&list)), Ok(list));
        assert_eq!(
            literal_eval("('a', 'b',)"),
            Ok(Value::from(vec![Value::from("a"), Value::from("b")]))
        );
        assert_eq!(literal_eval(" -3 "), Ok(Value::from(-3)));
        assert_eq!(literal_eval("1.5e3"), Ok(Value::from(1500.0)));
        assert_eq!(literal_eval("'a' \"b\""), Ok(Value::from("ab")));
        assert_eq!(literal_eval("'\\u00e9\\x41'"), Ok(Value::from("éA")));
        assert!(literal_eval("[1, 2").is_err());
        assert!(literal_eval("foo").is_err());
        assert!(literal_eval("1 2").is_err());
    }
}
