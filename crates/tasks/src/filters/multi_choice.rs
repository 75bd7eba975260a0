//! lm-eval's `multi_choice_regex` filter (`MultiChoiceRegexFilter`): the answer letter of a
//! multiple-choice question answered in free text.
//!
//! For each response, in order, the first that yields a non-empty answer wins:
//! 1. the step's own `regex_pattern` (like `regex`);
//! 2. the text of one of the doc's `choices` (after `regexes_to_ignore`, `ignore_case`,
//!    `ignore_punctuation`, applied to choices and response alike), which becomes `(A)`,
//!    `(B)`, ... by its position; the longest choices are tried first;
//! 3. `:` followed by a bare letter (`: B`), which becomes `(B)`;
//!
//! and otherwise `fallback`.

use std::collections::HashMap;

use serde_json::Value;

use super::{index_error, python_index, RegexFilter};
use crate::python_regex::{escape, python_escaped_len, Found, PythonRegex};

/// `multi_choice_regex` arguments, with every pattern compiled.
#[derive(Debug, Clone)]
pub struct MultiChoiceRegexFilter {
    base: RegexFilter,
    /// Compare lower-cased text in step 2.
    pub ignore_case: bool,
    /// Remove punctuation (Unicode categories P*) in step 2.
    pub ignore_punctuation: bool,
    ignored: Vec<PythonRegex>,
    punctuation: PythonRegex,
}

impl MultiChoiceRegexFilter {
    pub(crate) fn new(
        base: RegexFilter,
        ignore_case: bool,
        ignore_punctuation: bool,
        ignored: Vec<PythonRegex>,
    ) -> Result<Self, String> {
        Ok(Self {
            base,
            ignore_case,
            ignore_punctuation,
            ignored,
            punctuation: PythonRegex::new(r"\p{P}")?,
        })
    }

    /// The step-1 pattern as written.
    pub fn pattern(&self) -> &str {
        self.base.pattern()
    }

    /// lm-eval's `filter_ignores`.
    fn normalize(&self, text: &str) -> Result<String, String> {
        let mut text = text.to_string();
        for regex in &self.ignored {
            text = regex.remove_all(&text).map_err(|e| e.to_string())?;
        }
        if self.ignore_case {
            text = text.to_lowercase();
        }
        if self.ignore_punctuation {
            text = self
                .punctuation
                .remove_all(&text)
                .map_err(|e| e.to_string())?;
        }
        Ok(text)
    }

    /// lm-eval's `find_match`; an empty string stands for Python's falsy results (no match,
    /// or a match that is empty).
    fn find(
        &self,
        regex: &PythonRegex,
        text: &str,
        convert: &HashMap<String, String>,
    ) -> Result<String, String> {
        let found = regex.findall(text).map_err(|e| e.to_string())?;
        if found.is_empty() {
            return Ok(String::new());
        }
        let chosen = python_index(&found, self.base.group_select)
            .ok_or_else(|| index_error(self.base.group_select, found.len(), "matches"))?;
        let text = match chosen {
            Found::Text(text) => text.as_str(),
            Found::Groups(groups) => match groups.iter().find(|group| !group.is_empty()) {
                Some(group) => group.as_str(),
                None => return Ok(String::new()),
            },
        };
        let text = crate::python::strip(text);
        Ok(convert
            .get(text)
            .cloned()
            .unwrap_or_else(|| text.to_string()))
    }

    /// Runs the step on one doc's responses.
    pub(crate) fn apply(&self, value: &Value, doc: Option<&Value>) -> Result<Value, String> {
        let choices = doc
            .and_then(|doc| doc.get("choices"))
            .and_then(Value::as_array)
            .ok_or("`multi_choice_regex` needs the doc's `choices` list")?;
        // Branches as (length of Python's re.escape, pattern), choice text -> "(A)".
        let mut branches = Vec::with_capacity(choices.len());
        let mut choice_to_letter = HashMap::new();
        let mut letters = Vec::with_capacity(choices.len());
        let mut letter_to_target = HashMap::new();
        let mut letter = 'A';
        for choice in choices {
            let choice = choice
                .as_str()
                .ok_or_else(|| format!("choice {choice} is not a string"))?;
            let normalized = self.normalize(crate::python::strip(choice))?;
            branches.push((python_escaped_len(&normalized), escape(&normalized)));
            choice_to_letter.insert(normalized, format!("({letter})"));
            letters.push(letter.to_string());
            letter_to_target.insert(letter.to_string(), format!("({letter})"));
            letter = char::from_u32(u32::from(letter) + 1).unwrap_or(char::REPLACEMENT_CHARACTER);
        }
        // Longest first (stable, like Python's sorted(..., reverse=True)).
        branches.sort_by_key(|branch| std::cmp::Reverse(branch.0));
        let alternatives: Vec<&str> = branches
            .iter()
            .map(|(_, pattern)| pattern.as_str())
            .collect();
        let choice_regex = PythonRegex::new(&alternatives.join("|"))
            .map_err(|e| format!("choices pattern does not compile: {e}"))?;
        let letter_regex = PythonRegex::new(&format!(r":[\s]*({})", letters.join("|")))
            .map_err(|e| format!("letters pattern does not compile: {e}"))?;
        let no_conversion = HashMap::new();
        super::map_items(value, |item| {
            let response = item.as_str().unwrap_or_default();
            let mut answer = self.find(&self.base.regex, response, &no_conversion)?;
            if answer.is_empty() {
                let normalized = self.normalize(response)?;
                answer = self.find(&choice_regex, &normalized, &choice_to_letter)?;
                if answer.is_empty() {
                    answer = self.find(&letter_regex, response, &letter_to_target)?;
                }
            }
            if answer.is_empty() {
                answer = self.base.fallback.clone();
            }
            Ok(Value::String(answer))
        })
    }
}
