//! Synthetic prompts of exact token counts, counted as the server counts a prompt
//! (`encode(text, add_special = true)`, BOS included when the model adds it).
//!
//! A prompt is written by drawing random words ([`WORDS`]) until the text has more tokens
//! than asked, keeping the first tokens of its encoding and decoding them back to text.
//! Decoding and re-encoding can shift the count at the cut (pieces merge or split), so the
//! count is measured again and the cut moved by the difference, up to [`MAX_CUTS`] times;
//! if that does not converge a new text is drawn, up to [`MAX_DRAWS`] times, then the
//! build fails naming the length and the tokenizer.
//!
//! Every prompt is distinct (a new draw replaces a repeat), so a server's prefix cache cannot
//! skip work, except the prompt made of the special tokens alone (the empty text, when the
//! asked length equals them). Shared-prefix prompts start with one of a few prefixes of
//! exactly K tokens and continue with a distinct suffix; their first K tokens are checked to
//! be the prefix's.

use std::collections::{BTreeSet, HashSet};

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::workload::tokenizer::PromptTokenizer;
use crate::workload::words::WORDS;
use crate::workload::{LengthSampler, WorkloadError};

/// How many texts are drawn for one prompt before giving up.
pub const MAX_DRAWS: usize = 64;
/// How many times the cut of one drawn text is moved before drawing another.
pub const MAX_CUTS: usize = 16;
/// Extra tokens drawn beyond the target, so that the cut falls inside the text.
const MARGIN_TOKENS: usize = 8;

/// A start every prompt of a group shares: its text and `encode(text, true)`.
#[derive(Debug, Clone)]
pub(crate) struct Prefix {
    pub text: String,
    pub tokens: Vec<u32>,
}

/// Writes prompts of exact token counts with one tokenizer.
pub(crate) struct PromptWriter<'a> {
    tokenizer: &'a dyn PromptTokenizer,
    /// Tokens `encode(text, true)` adds to a text's own (BOS for most models).
    special: usize,
    /// The empty prefix: `encode("", true)`.
    empty: Prefix,
}

impl<'a> PromptWriter<'a> {
    pub fn new(tokenizer: &'a dyn PromptTokenizer) -> Result<PromptWriter<'a>, WorkloadError> {
        let sample = WORDS.first().copied().unwrap_or("the");
        let with = tokenizer.encode(sample, true)?.len();
        let without = tokenizer.encode(sample, false)?.len();
        Ok(PromptWriter {
            tokenizer,
            special: with.saturating_sub(without),
            empty: Prefix {
                text: String::new(),
                tokens: tokenizer.encode("", true)?,
            },
        })
    }

    /// The prefix of no text (every prompt starts with it).
    pub fn empty(&self) -> &Prefix {
        &self.empty
    }

    /// A prompt of exactly `target` tokens that starts with `prefix` (its text and its
    /// tokens) and that `accept` takes (it refuses repeats). A target equal to the prefix's
    /// own length gives the prefix's text, unchecked by `accept`.
    pub fn write(
        &self,
        prefix: &Prefix,
        target: usize,
        rng: &mut ChaCha8Rng,
        accept: &mut dyn FnMut(&str) -> bool,
    ) -> Result<String, WorkloadError> {
        let floor = prefix.tokens.len();
        if target < floor {
            return Err(self.fail(
                target,
                format!("a prompt here has at least {floor} tokens (special tokens and prefix)"),
            ));
        }
        if target == floor {
            return Ok(prefix.text.clone());
        }
        let prefix_content = floor.saturating_sub(self.special);
        let mut last_count = None;
        let mut repeats = 0;
        for _ in 0..MAX_DRAWS {
            let content = self.draw(prefix, target, rng)?;
            let mut keep = target.saturating_sub(self.special);
            let mut cuts = BTreeSet::new();
            while keep > prefix_content && keep <= content.len() && cuts.len() < MAX_CUTS {
                if !cuts.insert(keep) {
                    break;
                }
                let candidate = self.candidate(prefix, &content[..keep], prefix_content)?;
                let tokens = self.tokenizer.encode(&candidate, true)?;
                if tokens.len() == target {
                    if !tokens.starts_with(&prefix.tokens) {
                        last_count = Some(format!(
                            "the last text of {target} tokens did not start with the \
                             prefix's {floor} tokens"
                        ));
                    } else if accept(&candidate) {
                        return Ok(candidate);
                    } else {
                        repeats += 1;
                    }
                    break;
                }
                last_count = Some(format!("the last cut gave {} tokens", tokens.len()));
                keep = (keep + target).saturating_sub(tokens.len());
            }
        }
        let reason = match last_count {
            Some(detail) if repeats < MAX_DRAWS => {
                format!("no cut of {MAX_DRAWS} drawn texts converged ({detail})")
            }
            _ => format!(
                "{MAX_DRAWS} drawn texts all repeated earlier prompts; too few distinct \
                 prompts of this length exist for so many requests"
            ),
        };
        Err(self.fail(target, reason))
    }

    /// Content tokens (`encode(_, false)`) of `prefix` followed by random words, at least
    /// `target + MARGIN_TOKENS` tokens with the special ones.
    fn draw(
        &self,
        prefix: &Prefix,
        target: usize,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<u32>, WorkloadError> {
        let wanted = target + MARGIN_TOKENS;
        let mut text = prefix.text.clone();
        let mut words = wanted.saturating_sub(prefix.tokens.len()).max(1);
        loop {
            for _ in 0..words {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(WORDS[rng.random_range(0..WORDS.len())]);
            }
            let content = self.tokenizer.encode(&text, false)?;
            let have = content.len() + self.special;
            if have >= wanted {
                return Ok(content);
            }
            words = wanted - have;
        }
    }

    /// The text of the first content tokens, `kept`: their decoding, or when that does not
    /// reproduce the prefix's text (a tokenizer whose decoding is not the inverse of its
    /// encoding), the prefix's text followed by the decoding of the tokens after it.
    fn candidate(
        &self,
        prefix: &Prefix,
        kept: &[u32],
        prefix_content: usize,
    ) -> Result<String, WorkloadError> {
        let text = self.tokenizer.decode(kept)?;
        if text.starts_with(&prefix.text) {
            return Ok(text);
        }
        let rest = self
            .tokenizer
            .decode(&kept[prefix_content.min(kept.len())..])?;
        Ok(format!("{} {}", prefix.text, rest.trim_start()))
    }

    fn fail(&self, target: usize, reason: String) -> WorkloadError {
        WorkloadError::ExactLength {
            target,
            tokenizer: self.tokenizer.identity(),
            reason,
        }
    }
}

/// `count` distinct prompts whose lengths are drawn from `lengths` (with `length_rng`),
/// written with `text_rng`. Returns each prompt with its token count.
pub(crate) fn synthetic_prompts(
    writer: &PromptWriter<'_>,
    lengths: &LengthSampler,
    count: usize,
    length_rng: &mut ChaCha8Rng,
    text_rng: &mut ChaCha8Rng,
) -> Result<Vec<(String, u32)>, WorkloadError> {
    let mut seen = HashSet::new();
    let mut prompts = Vec::with_capacity(count);
    for _ in 0..count {
        let target = lengths.sample(length_rng);
        let text = writer.write(writer.empty(), target as usize, text_rng, &mut |text| {
            !seen.contains(text)
        })?;
        seen.insert(text.clone());
        prompts.push((text, target));
    }
    Ok(prompts)
}

/// `count` prompts in `groups` groups (request `i` in group `i % groups`): each group's
/// prompts start with the same prefix of exactly `prefix_tokens` tokens, then a distinct
/// suffix of a drawn length, so a prompt has `prefix_tokens + suffix` tokens.
pub(crate) fn shared_prefix_prompts(
    writer: &PromptWriter<'_>,
    prefix_tokens: u32,
    groups: u32,
    lengths: &LengthSampler,
    count: usize,
    length_rng: &mut ChaCha8Rng,
    text_rng: &mut ChaCha8Rng,
) -> Result<Vec<(String, u32)>, WorkloadError> {
    if groups == 0 {
        return Err(WorkloadError::Spec(
            "a shared-prefix workload needs at least 1 group".to_string(),
        ));
    }
    let floor = writer.empty().tokens.len();
    if (prefix_tokens as usize) <= floor {
        return Err(WorkloadError::Spec(format!(
            "a shared prefix of {prefix_tokens} tokens holds no text: this tokenizer adds \
             {floor} special token(s) to every prompt"
        )));
    }
    let mut seen = HashSet::new();
    let mut prefixes = Vec::new();
    for _ in 0..groups {
        let text = writer.write(
            writer.empty(),
            prefix_tokens as usize,
            text_rng,
            &mut |text| !seen.contains(text),
        )?;
        seen.insert(text.clone());
        let tokens = writer.tokenizer.encode(&text, true)?;
        prefixes.push(Prefix { text, tokens });
    }
    let mut prompts = Vec::with_capacity(count);
    for (index, prefix) in prefixes.iter().cycle().take(count).enumerate() {
        let total = prefix_tokens.checked_add(lengths.sample(length_rng));
        let total = total.ok_or_else(|| {
            WorkloadError::Spec(format!("request {index}: the prompt length overflows"))
        })?;
        let text = writer.write(prefix, total as usize, text_rng, &mut |text| {
            !seen.contains(text)
        })?;
        seen.insert(text.clone());
        prompts.push((text, total));
    }
    Ok(prompts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::test_tokenizers::{word_level, Merging};
    use crate::workload::LengthDistribution;
    use rand::SeedableRng;

    fn lengths(text: &str) -> LengthSampler {
        text.parse::<LengthDistribution>()
            .expect("valid")
            .sampler()
            .expect("sampler")
    }

    fn check_exact(tokenizer: &dyn PromptTokenizer, targets: &[u32]) {
        let writer = PromptWriter::new(tokenizer).expect("writer");
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for &target in targets {
            let mut seen = HashSet::new();
            for _ in 0..3 {
                let text = writer
                    .write(writer.empty(), target as usize, &mut rng, &mut |text| {
                        !seen.contains(text)
                    })
                    .expect("a prompt of the asked length");
                let count = tokenizer.encode(&text, true).expect("encodes").len();
                assert_eq!(count, target as usize, "{text:?}");
                assert!(target == 1 || seen.insert(text), "prompts are distinct");
            }
        }
    }

    #[test]
    fn word_level_prompts_have_exact_lengths() {
        check_exact(&word_level(), &[1, 2, 3, 7, 128, 1000]);
    }

    #[test]
    fn prompts_have_exact_lengths_when_re_encoding_shifts_the_count() {
        // A cut inside a long word can re-encode into fewer tokens.
        check_exact(&Merging, &[1, 2, 3, 7, 128, 1000]);
    }

    #[test]
    fn a_length_below_the_special_tokens_is_refused() {
        let tokenizer = word_level();
        let writer = PromptWriter::new(&tokenizer).expect("writer");
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let error = writer
            .write(writer.empty(), 0, &mut rng, &mut |_| true)
            .expect_err("BOS alone is 1 token");
        assert!(error.to_string().contains("exactly 0 tokens"), "{error}");
    }

    #[test]
    fn too_many_distinct_short_prompts_fail_clearly() {
        let tokenizer = word_level();
        let writer = PromptWriter::new(&tokenizer).expect("writer");
        let (mut length_rng, mut text_rng) =
            (ChaCha8Rng::seed_from_u64(0), ChaCha8Rng::seed_from_u64(1));
        // Two tokens: BOS and one word, and there are fewer words than requests.
        let error = synthetic_prompts(
            &writer,
            &lengths("2"),
            WORDS.len() + 1,
            &mut length_rng,
            &mut text_rng,
        )
        .expect_err("not enough words");
        assert!(
            error.to_string().contains("repeated earlier prompts"),
            "{error}"
        );
    }

    #[test]
    fn shared_prefix_prompts_share_exactly_the_prefix_tokens() {
        for tokenizer in [&word_level() as &dyn PromptTokenizer, &Merging] {
            let writer = PromptWriter::new(tokenizer).expect("writer");
            let (mut length_rng, mut text_rng) =
                (ChaCha8Rng::seed_from_u64(3), ChaCha8Rng::seed_from_u64(4));
            let prompts = shared_prefix_prompts(
                &writer,
                50,
                3,
                &lengths("uniform:1:40"),
                12,
                &mut length_rng,
                &mut text_rng,
            )
            .expect("prompts");
            let encoded: Vec<Vec<u32>> = prompts
                .iter()
                .map(|(text, _)| tokenizer.encode(text, true).expect("encodes"))
                .collect();
            for (index, ((text, total), tokens)) in prompts.iter().zip(&encoded).enumerate() {
                assert_eq!(tokens.len(), *total as usize, "{text:?}");
                assert!(*total > 50);
                let group_first = &encoded[index % 3];
                assert_eq!(tokens[..50], group_first[..50], "request {index}");
                if index >= 3 {
                    assert_ne!(tokens[..50], encoded[(index + 1) % 3][..50]);
                }
            }
            let distinct: HashSet<&String> = prompts.iter().map(|(text, _)| text).collect();
            assert_eq!(distinct.len(), prompts.len());
        }
    }
}
