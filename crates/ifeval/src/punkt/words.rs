//! Punkt's word tokenizer: splits a text into the tokens the annotation passes look at.
//! Punctuation other than periods is split off words, runs of hyphens and periods (and
//! spaced ellipses, `. . .`) are tokens of their own, and a period stays on its word
//! (`Dr.`, `U.S.`, `3.5`), so the annotation can judge it.
//!
//! NLTK does this with one regular expression with look-aheads; this is the same
//! leftmost-first scan written out, character by character.

/// Whitespace as Python's `str.isspace` sees it, which is what `str.strip` removes:
/// Unicode `White_Space` plus the four information separators U+001C..U+001F.
pub(crate) fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Characters that end a word when they follow it: closing and opening brackets, quotes,
/// `;`, `:`, `*`, `@`, and the sentence-ending characters other than the period.
pub(crate) fn is_non_word(c: char) -> bool {
    matches!(
        c,
        ')' | '"'
            | ';'
            | '}'
            | ']'
            | '*'
            | ':'
            | '@'
            | '\''
            | '('
            | '{'
            | '['
            | '\u{2018}'
            | '\u{2019}'
            | '\u{201c}'
            | '\u{201d}'
            | '\u{ab}'
            | '\u{bb}'
            | '?'
            | '!'
    )
}

/// Whether a word token may begin with `c`; the excluded characters become one-character
/// tokens instead.
fn can_start_word(c: char) -> bool {
    !matches!(
        c,
        '(' | '"'
            | '`'
            | '{'
            | '['
            | ':'
            | ';'
            | '&'
            | '#'
            | '*'
            | '@'
            | ')'
            | '}'
            | ']'
            | '-'
            | ','
    )
}

/// The tokens of `text`, in order: each line (split at `\n`) that holds something other
/// than whitespace is tokenized on its own.
pub(crate) fn tokenize_words(text: &str) -> Vec<&str> {
    text.split('\n')
        .filter(|line| line.chars().any(|c| !is_python_space(c)))
        .flat_map(tokenize_line)
        .collect()
}

/// The tokens of one line (no `\n` in it).
fn tokenize_line(line: &str) -> Vec<&str> {
    let line = Line::new(line);
    let mut tokens = Vec::new();
    let mut index = 0;
    while let Some(c) = line.at(index) {
        if c.is_whitespace() {
            index += 1;
            continue;
        }
        let end = if let Some(length) = line.multi_character_punctuation(index) {
            index + length
        } else if can_start_word(c) {
            line.word_end(index)
        } else {
            index + 1
        };
        tokens.push(line.slice(index, end));
        index = end;
    }
    tokens
}

/// A line as characters, with the byte offset of each (and of the end).
struct Line<'a> {
    text: &'a str,
    characters: Vec<char>,
    offsets: Vec<usize>,
}

impl<'a> Line<'a> {
    fn new(text: &'a str) -> Self {
        let (offsets, characters): (Vec<usize>, Vec<char>) = text.char_indices().unzip();
        let mut offsets = offsets;
        offsets.push(text.len());
        Line {
            text,
            characters,
            offsets,
        }
    }

    fn at(&self, index: usize) -> Option<char> {
        self.characters.get(index).copied()
    }

    /// The text of characters `start..end`.
    fn slice(&self, start: usize, end: usize) -> &'a str {
        &self.text[self.offsets[start]..self.offsets[end]]
    }

    /// How many characters of multi-character punctuation begin at `index`: two or more
    /// hyphens, two or more periods, or a spaced ellipsis (`. . .`, whitespace between the
    /// periods, as long as it goes on).
    fn multi_character_punctuation(&self, index: usize) -> Option<usize> {
        let run = |wanted: char| {
            self.characters[index..]
                .iter()
                .take_while(|&&c| c == wanted)
                .count()
        };
        match (self.at(index), self.at(index + 1)) {
            (Some('-'), Some('-')) => Some(run('-')),
            (Some('.'), Some('.')) => Some(run('.')),
            (Some('.'), _) => {
                // Pairs of a period and one whitespace character, then a final period;
                // without a period after the last pair, the last pair's own period ends it.
                let mut pairs = 0;
                while self.at(index + 2 * pairs) == Some('.')
                    && self
                        .at(index + 2 * pairs + 1)
                        .is_some_and(char::is_whitespace)
                {
                    pairs += 1;
                }
                if pairs >= 2 && self.at(index + 2 * pairs) == Some('.') {
                    Some(2 * pairs + 1)
                } else if pairs >= 3 {
                    Some(2 * pairs - 1)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Where the word that starts at `start` ends: the shortest run of non-whitespace
    /// characters (at least one) followed by whitespace, the end of the line, a non-word
    /// character, multi-character punctuation, or a comma that ends the word.
    fn word_end(&self, start: usize) -> usize {
        let mut end = start + 1;
        while !self.ends_word(end) {
            end += 1;
        }
        end
    }

    fn ends_word(&self, index: usize) -> bool {
        let ends_after_comma = |index: usize| match self.at(index) {
            None => true,
            Some(c) => {
                c.is_whitespace()
                    || is_non_word(c)
                    || self.multi_character_punctuation(index).is_some()
            }
        };
        match self.at(index) {
            None => true,
            Some(c) if c.is_whitespace() || is_non_word(c) => true,
            Some(',') => ends_after_comma(index + 1),
            Some(_) => self.multi_character_punctuation(index).is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_stay_on_words_and_other_punctuation_splits_off() {
        assert_eq!(
            tokenize_words("Dr. Smith (aged 3.5) said: \"Hi!\""),
            ["Dr.", "Smith", "(", "aged", "3.5", ")", "said", ":", "\"", "Hi", "!", "\""]
        );
    }

    #[test]
    fn commas_split_only_at_the_end_of_a_word() {
        assert_eq!(
            tokenize_words("1,000, a,b ,c"),
            ["1,000", ",", "a,b", ",", "c"]
        );
    }

    #[test]
    fn hyphen_and_period_runs_are_tokens() {
        assert_eq!(
            tokenize_words("wait... so--no -x . . . y. . z"),
            ["wait", "...", "so", "--", "no", "-", "x", ". . .", "y.", ".", "z"]
        );
    }

    #[test]
    fn spaced_ellipsis_gives_back_its_last_pair_without_a_final_period() {
        assert_eq!(tokenize_words(". . . . x"), [". . . .", "x"]);
        assert_eq!(tokenize_words(". . . x"), [". . .", "x"]);
        assert_eq!(tokenize_words(". . x"), [".", ".", "x"]);
    }

    #[test]
    fn lines_are_tokenized_separately_and_blank_ones_skipped() {
        assert_eq!(tokenize_words("a\n \u{1c}\nb c\n"), ["a", "b", "c"]);
    }
}
