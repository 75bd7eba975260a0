//! sacrebleu's tokenizers for BLEU: `13a` (`Tokenizer13a`, mteval-v13a, the default),
//! `intl` (`TokenizerV14International`, mteval-v14 international) and `none`, ported from
//! `sacrebleu/tokenizers/` (2.x). Each returns the tokens joined by single spaces, as
//! sacrebleu's tokenizers return a string.

use crate::scoring::python_str;
use regex::Regex;
use std::sync::LazyLock;

/// A tokenizer of sacrebleu, by its `tokenize=` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tokenize {
    /// `"13a"`: mteval-v13a (sacrebleu's and lm-eval's `bleu` default).
    #[default]
    Mteval13a,
    /// `"intl"`: mteval-v14 international tokenization (Unicode punctuation and symbols);
    /// truthfulqa's BLEU uses it.
    Intl,
    /// `"none"`: no tokenization; words are whatever whitespace separates.
    None,
}

impl Tokenize {
    /// sacrebleu's name for the tokenizer.
    /// Tokenizes one line, returning its tokens joined by single spaces.
    pub fn apply(self, line: &str) -> String {
        match self {
            Tokenize::Mteval13a => tokenize_13a(line),
            Tokenize::Intl => tokenize_intl(line),
            Tokenize::None => line.to_string(),
        }
    }
}

yardstick_core::closed_set!(Tokenize, "BLEU tokenizer", {
    Mteval13a => "13a",
    Intl => "intl",
    None => "none",
});

/// The regular expressions of `TokenizerRegexp` (the language-dependent part of 13a), with
/// their replacements, applied in order with `re.sub`.
static REGEXP_RULES: LazyLock<[(Regex, &'static str); 4]> = LazyLock::new(|| {
    let rule = |pattern: &str, replacement: &'static str| {
        (
            Regex::new(pattern).expect("a fixed, valid pattern from sacrebleu's TokenizerRegexp"),
            replacement,
        )
    };
    [
        // Language-dependent part (assuming Western languages).
        rule(r"([\{-~\[-`\x20-&\(-\+:-@/])", " ${1} "),
        // Tokenize period and comma unless preceded by a digit.
        rule(r"([^0-9])([\.,])", "${1} ${2} "),
        // Tokenize period and comma unless followed by a digit.
        rule(r"([\.,])([^0-9])", " ${1} ${2}"),
        // Tokenize dash when preceded by a digit.
        rule(r"([0-9])(-)", "${1} ${2} "),
    ]
});

/// The regular expressions of `TokenizerV14International`.
static INTL_RULES: LazyLock<[(Regex, &'static str); 3]> = LazyLock::new(|| {
    let rule = |pattern: &str, replacement: &'static str| {
        (
            Regex::new(pattern).expect("a fixed, valid pattern from sacrebleu's intl tokenizer"),
            replacement,
        )
    };
    [
        // Separate out punctuations preceded by a non-digit.
        rule(r"(\P{N})(\p{P})", "${1} ${2} "),
        // Separate out punctuations followed by a non-digit.
        rule(r"(\p{P})(\P{N})", " ${1} ${2}"),
        // Separate out symbols.
        rule(r"(\p{S})", " ${1} "),
    ]
});

fn apply_rules(rules: &[(Regex, &'static str)], line: String) -> String {
    let mut line = line;
    for (regex, replacement) in rules {
        line = regex.replace_all(&line, *replacement).into_owned();
    }
    python_str::collapse_whitespace(&line)
}

/// `Tokenizer13a.__call__`: drops `<skipped>`, joins `-\n` hyphenations, turns newlines
/// into spaces, unescapes `&quot; &amp; &lt; &gt;`, then `TokenizerRegexp` on the line
/// padded with a space on each side.
pub fn tokenize_13a(line: &str) -> String {
    let mut line = line
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace('\n', " ");
    if line.contains('&') {
        line = line
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
    }
    apply_rules(&*REGEXP_RULES, format!(" {line} "))
}

/// `TokenizerV14International.__call__`: splits off Unicode punctuation (`\p{P}`) unless it
/// sits between digits, and every Unicode symbol (`\p{S}`).
pub fn tokenize_intl(line: &str) -> String {
    apply_rules(&*INTL_RULES, line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirteen_a_splits_punctuation_but_not_numbers() {
        assert_eq!(
            tokenize_13a("Hello, world! It costs $3.50 (approx.)"),
            "Hello , world ! It costs $ 3.50 ( approx . )"
        );
        assert_eq!(tokenize_13a("1,000 and 2-3 a-b"), "1,000 and 2 - 3 a-b");
        assert_eq!(tokenize_13a("&quot;x&quot; &amp; y"), "\" x \" & y");
        assert_eq!(tokenize_13a("end-\nline<skipped>"), "endline");
        assert_eq!(tokenize_13a(""), "");
    }

    #[test]
    fn intl_uses_unicode_categories() {
        assert_eq!(
            tokenize_intl("«Bonjour», dit-il."),
            "« Bonjour » , dit - il ."
        );
        assert_eq!(tokenize_intl("3.14 €5 a+b"), "3.14 € 5 a + b");
        assert_eq!(tokenize_intl("2019."), "2019.");
    }

    #[test]
    fn tokenizer_names_parse() {
        assert_eq!("intl".parse::<Tokenize>().ok(), Some(Tokenize::Intl));
        assert!("zh".parse::<Tokenize>().is_err());
    }
}
