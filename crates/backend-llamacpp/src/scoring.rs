//! The model-free half of loglikelihood scoring: how a (context, continuation) pair becomes
//! tokens the way lm-evaluation-harness does it, how the pairs of one request are grouped
//! around their shared token prefix, and how one row of logits becomes a log-probability.
//!
//! Everything here is a pure function, so the arithmetic that decides scores is tested
//! without a model.

use std::ops::Range;

use wide::f32x16;

/// A llama.cpp token id.
pub(crate) type Token = i32;

/// The tokens of one scored pair: the model reads `context` then all of `continuation` but
/// its last token, and each continuation token is scored at the position before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PairTokens {
    /// Never empty (at least BOS, or lm-eval's prefix token for an empty context).
    pub context: Vec<Token>,
    /// Never empty.
    pub continuation: Vec<Token>,
}

impl PairTokens {
    /// Number of tokens the model must evaluate: every token but the last continuation token.
    pub fn input_len(&self) -> usize {
        self.context.len() + self.continuation.len() - 1
    }

    /// The token the model reads at `position` (`position < input_len()`).
    pub fn input_token(&self, position: usize) -> Token {
        if position < self.context.len() {
            self.context[position]
        } else {
            self.continuation[position - self.context.len()]
        }
    }

    /// Whether the logits at `position` score a continuation token.
    pub fn scores_position(&self, position: usize) -> bool {
        position + 1 >= self.context.len() && position < self.input_len()
    }

    /// The continuation token predicted by the logits at `position`
    /// (`scores_position(position)` must hold).
    pub fn target(&self, position: usize) -> Token {
        self.continuation[position + 1 - self.context.len()]
    }
}

/// [`yardstick_backend::rolling_windows`] as pairs of this engine's tokens.
pub(crate) fn rolling_windows(
    tokens: &[Token],
    prefix_token: Token,
    max_seq_len: usize,
) -> Vec<PairTokens> {
    yardstick_backend::rolling_windows(tokens, prefix_token, max_seq_len)
        .into_iter()
        .map(|window| PairTokens {
            context: window.context,
            continuation: window.continuation,
        })
        .collect()
}

/// Splits lm-eval's way: trailing whitespace of the context moves to the front of the
/// continuation (`n_spaces = len(context) - len(context.rstrip())`). Returns
/// `(context_without_trailing_whitespace, trailing_whitespace)`.
pub(crate) fn split_trailing_whitespace(context: &str) -> (&str, &str) {
    // Python's str.isspace() also counts the ASCII separators U+001C..U+001F.
    let trimmed =
        context.trim_end_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c));
    context.split_at(trimmed.len())
}

/// lm-eval's empty-context rule: the prefix token (BOS, else EOS) is the context, unless the
/// continuation already starts with it, in which case its first token becomes the context.
/// Returns `None` when nothing would be left to score.
pub(crate) fn empty_context_pair(
    prefix_token: Token,
    continuation: Vec<Token>,
) -> Option<PairTokens> {
    let first = *continuation.first()?;
    let pair = if first == prefix_token {
        PairTokens {
            context: continuation[..1].to_vec(),
            continuation: continuation[1..].to_vec(),
        }
    } else {
        PairTokens {
            context: vec![prefix_token],
            continuation,
        }
    };
    (!pair.continuation.is_empty()).then_some(pair)
}

/// Pairs evaluated together: their shared prefix is evaluated once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    /// Indices into the request's pairs, in request order.
    pub pairs: Range<usize>,
    /// Length of the longest common prefix of the group's model inputs.
    pub prefix_len: usize,
}

impl Group {
    /// KV cells the group occupies: the prefix once plus every pair's own remainder.
    fn cells(pairs: &[PairTokens], prefix_len: usize) -> usize {
        prefix_len
            + pairs
                .iter()
                .map(|pair| pair.input_len() - prefix_len)
                .sum::<usize>()
    }
}

/// Longest common prefix of the pairs' model inputs.
pub(crate) fn common_prefix_len(pairs: &[PairTokens]) -> usize {
    let Some((first, rest)) = pairs.split_first() else {
        return 0;
    };
    let mut len = first.input_len();
    for pair in rest {
        len = len.min(pair.input_len());
        len = (0..len)
            .find(|&position| pair.input_token(position) != first.input_token(position))
            .unwrap_or(len);
    }
    len
}

/// Splits a request's pairs, in order, into groups of at most `max_sequences` pairs whose
/// cells (shared prefix once + each remainder) fit in `window`. Every pair must fit the
/// window on its own (the caller checks). One group whenever the request fits.
pub(crate) fn plan_groups(pairs: &[PairTokens], window: usize, max_sequences: usize) -> Vec<Group> {
    let mut groups = Vec::new();
    let mut start = 0;
    while start < pairs.len() {
        let mut end = start + 1;
        while end < pairs.len() && end - start < max_sequences {
            let candidate = &pairs[start..=end];
            if Group::cells(candidate, common_prefix_len(candidate)) > window {
                break;
            }
            end += 1;
        }
        groups.push(Group {
            pairs: start..end,
            prefix_len: common_prefix_len(&pairs[start..end]),
        });
        start = end;
    }
    groups
}

/// Splits a run of batch entries (`wants_logits[i]`: entry `i` asks for its logits) into
/// consecutive `llama_decode` calls, in order: each as long as possible with at most
/// `max_tokens` entries and at most `max_rows` of them asking for logits. A pure function of
/// its arguments, so a request is always split the same way.
pub(crate) fn decode_calls(
    wants_logits: &[bool],
    max_tokens: usize,
    max_rows: usize,
) -> Vec<Range<usize>> {
    let (max_tokens, max_rows) = (max_tokens.max(1), max_rows.max(1));
    let mut calls = Vec::new();
    let (mut start, mut rows) = (0, 0);
    for (index, &logits) in wants_logits.iter().enumerate() {
        if index - start == max_tokens || (logits && rows == max_rows) {
            calls.push(start..index);
            (start, rows) = (index, 0);
        }
        rows += usize::from(logits);
    }
    if start < wants_logits.len() {
        calls.push(start..wants_logits.len());
    }
    calls
}

/// What a row of logits says about every token: its log normaliser and its argmax.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RowSummary {
    /// log Σ exp(logit): see [`summarize_row`] for the precision.
    pub log_normalizer: f64,
    /// First index of the largest logit (torch.argmax's choice on ties).
    pub argmax: usize,
}

/// First index of the largest logit (torch.argmax's choice on ties). `None` when the row is
/// empty or holds a NaN or infinity.
pub(crate) fn argmax(row: &[f32]) -> Option<usize> {
    if row.is_empty() || !row.iter().all(|logit| logit.is_finite()) {
        return None;
    }
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    row.iter().position(|&logit| logit == max)
}

/// Lanes of the vectorised exponential.
const LANES: usize = 16;
/// Values whose exponentials are summed in f32 before the partial sum moves to f64.
const BLOCK: usize = LANES * 64;

/// Summarises a row of f32 logits: max-shifted log-sum-exp. Each `exp(logit - max)` is
/// computed in f32, sixteen at a time (`wide`'s polynomial, a few ulp, like the float32
/// `log_softmax` of lm-eval's HF backend); each lane sums at most 64 of them in f32 and the
/// partial sums are added in f64. The result is within ~1e-7 nats of an all-f64 computation
/// (tested below) and ten times faster, which matters: with a 262k-token vocabulary this
/// runs over a quarter of a million logits for every scored token. `None` when the row is
/// empty or holds a NaN or infinity.
pub(crate) fn summarize_row(row: &[f32]) -> Option<RowSummary> {
    let argmax = argmax(row)?;
    let max = row[argmax];
    Some(RowSummary {
        log_normalizer: f64::from(max) + sum_exp_shifted(row, max).ln(),
        argmax,
    })
}

/// Σ exp(x − max) over the row (see [`summarize_row`]).
fn sum_exp_shifted(row: &[f32], max: f32) -> f64 {
    let shift = f32x16::splat(max);
    let mut blocks = row.chunks_exact(BLOCK);
    let mut total = 0.0_f64;
    for block in &mut blocks {
        let mut partial = f32x16::ZERO;
        for lanes in block.chunks_exact(LANES) {
            let values: [f32; LANES] = lanes.try_into().expect("chunks_exact gives LANES values");
            partial += (f32x16::from(values) - shift).exp();
        }
        total += partial
            .to_array()
            .iter()
            .map(|&value| f64::from(value))
            .sum::<f64>();
    }
    total
        + blocks
            .remainder()
            .iter()
            .map(|&logit| f64::from((logit - max).exp()))
            .sum::<f64>()
}

/// Running score of one continuation: log-probabilities summed in position order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ScoreAccumulator {
    pub loglikelihood: f64,
    pub is_greedy: bool,
    pub scored_tokens: usize,
}

impl Default for ScoreAccumulator {
    fn default() -> Self {
        ScoreAccumulator {
            loglikelihood: 0.0,
            is_greedy: true,
            scored_tokens: 0,
        }
    }
}

impl ScoreAccumulator {
    /// Adds the score of `target` under `row` (summarised as `summary`).
    pub fn add(&mut self, row: &[f32], summary: RowSummary, target: Token) {
        self.loglikelihood += token_logprob(row, summary, target);
        self.is_greedy &= usize::try_from(target).is_ok_and(|index| index == summary.argmax);
        self.scored_tokens += 1;
    }
}

/// The log-probability (natural log) of `token` under `row` (summarised as `summary`):
/// `logit[token] - logsumexp(logits)`. The one formula every score, prompt logprob and
/// generated-token logprob is computed with; −∞ for an id outside the row.
pub(crate) fn token_logprob(row: &[f32], summary: RowSummary, token: Token) -> f64 {
    let logit = usize::try_from(token)
        .ok()
        .and_then(|index| row.get(index))
        .copied()
        .map_or(f64::NEG_INFINITY, f64::from);
    logit - summary.log_normalizer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(context: &[Token], continuation: &[Token]) -> PairTokens {
        PairTokens {
            context: context.to_vec(),
            continuation: continuation.to_vec(),
        }
    }

    #[test]
    fn decode_calls_cap_tokens_and_logits_rows_and_cover_every_entry_in_order() {
        // 3 prefix tokens without logits, then 5 scored tokens.
        let wants = [false, false, false, true, true, true, true, true];
        assert_eq!(decode_calls(&wants, 512, 64), vec![0..8]);
        assert_eq!(decode_calls(&wants, 512, 2), vec![0..5, 5..7, 7..8]);
        assert_eq!(decode_calls(&wants, 3, 64), vec![0..3, 3..6, 6..8]);
        assert_eq!(decode_calls(&[], 4, 4), Vec::<Range<usize>>::new());
        // Entries without logits after the last allowed row stay in the same call.
        assert_eq!(
            decode_calls(&[true, false, true, false], 512, 1),
            vec![0..2, 2..4]
        );
        // Every pattern of up to 10 entries, under several caps: the calls tile the entries,
        // respect both caps, and a call only ends early when the next entry would break one.
        for length in 0..=10usize {
            for bits in 0..(1u32 << length) {
                let wants: Vec<bool> = (0..length).map(|i| bits >> i & 1 == 1).collect();
                for (max_tokens, max_rows) in [(1, 1), (3, 2), (4, 1), (10, 3), (2, 10)] {
                    let calls = decode_calls(&wants, max_tokens, max_rows);
                    let mut next = 0;
                    for (index, call) in calls.iter().enumerate() {
                        assert_eq!(call.start, next);
                        assert!(!call.is_empty() && call.len() <= max_tokens);
                        let rows = wants[call.clone()].iter().filter(|&&w| w).count();
                        assert!(rows <= max_rows);
                        if index + 1 < calls.len() {
                            let full =
                                call.len() == max_tokens || (wants[call.end] && rows == max_rows);
                            assert!(full, "{wants:?} {max_tokens} {max_rows}: {calls:?}");
                        }
                        next = call.end;
                    }
                    assert_eq!(next, length);
                }
            }
        }
    }

    #[test]
    fn trailing_whitespace_moves_to_the_continuation() {
        assert_eq!(split_trailing_whitespace("Answer: "), ("Answer:", " "));
        assert_eq!(split_trailing_whitespace("Q\n\n"), ("Q", "\n\n"));
        assert_eq!(split_trailing_whitespace("no space"), ("no space", ""));
        assert_eq!(split_trailing_whitespace("x \u{1f}"), ("x", " \u{1f}"));
        assert_eq!(split_trailing_whitespace("   "), ("", "   "));
    }

    #[test]
    fn input_positions_and_targets_follow_lm_eval() {
        // CTX = [1 2 3], CONT = [4 5]: the model reads 1 2 3 4; logits at 2 score 4, at 3 score 5.
        let scored = pair(&[1, 2, 3], &[4, 5]);
        assert_eq!(scored.input_len(), 4);
        assert_eq!(
            (0..4).map(|p| scored.input_token(p)).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert_eq!(
            (0..5)
                .map(|p| scored.scores_position(p))
                .collect::<Vec<_>>(),
            [false, false, true, true, false]
        );
        assert_eq!((scored.target(2), scored.target(3)), (4, 5));
    }

    #[test]
    fn empty_context_uses_the_prefix_token_unless_the_continuation_starts_with_it() {
        assert_eq!(empty_context_pair(2, vec![7, 8]), Some(pair(&[2], &[7, 8])));
        assert_eq!(empty_context_pair(2, vec![2, 8]), Some(pair(&[2], &[8])));
        assert_eq!(empty_context_pair(2, vec![2]), None);
        assert_eq!(empty_context_pair(2, vec![]), None);
    }

    #[test]
    fn common_prefix_covers_the_shared_context_and_shared_continuation_tokens() {
        let pairs = [pair(&[1, 2, 3], &[4, 5, 9]), pair(&[1, 2, 3], &[4, 6, 9])];
        // Inputs 1 2 3 4 5 and 1 2 3 4 6.
        assert_eq!(common_prefix_len(&pairs), 4);
        // A one-token continuation's input is the context alone: fully shared.
        let pairs = [pair(&[1, 2, 3], &[4]), pair(&[1, 2, 3], &[7])];
        assert_eq!(common_prefix_len(&pairs), 3);
        let pairs = [pair(&[1], &[4]), pair(&[5], &[4])];
        assert_eq!(common_prefix_len(&pairs), 0);
        assert_eq!(common_prefix_len(&[]), 0);
    }

    #[test]
    fn groups_respect_max_sequences_and_the_window() {
        let four: Vec<PairTokens> = (10..14).map(|t| pair(&[1, 2, 3, 4], &[t, t])).collect();
        // Prefix 4 + four remainders of 1 = 8 cells.
        assert_eq!(
            plan_groups(&four, 8, 16),
            vec![Group {
                pairs: 0..4,
                prefix_len: 4
            }]
        );
        assert_eq!(
            plan_groups(&four, 8, 3),
            vec![
                Group {
                    pairs: 0..3,
                    prefix_len: 4
                },
                Group {
                    pairs: 3..4,
                    prefix_len: 5
                },
            ]
        );
        assert_eq!(
            plan_groups(&four, 6, 16),
            vec![
                Group {
                    pairs: 0..2,
                    prefix_len: 4
                },
                Group {
                    pairs: 2..4,
                    prefix_len: 4
                },
            ]
        );
    }

    /// The all-f64 log-sum-exp the vectorised one must match.
    fn reference_log_normalizer(row: &[f32]) -> f64 {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let sum: f64 = row
            .iter()
            .map(|&logit| (f64::from(logit) - f64::from(max)).exp())
            .sum();
        f64::from(max) + sum.ln()
    }

    #[test]
    fn row_summary_is_a_log_sum_exp_with_first_argmax() {
        let row = [1.0_f32, 3.0, 3.0, -2.0];
        let summary = summarize_row(&row).expect("finite row");
        let expected = 3.0 + (f64::exp(-2.0) + 1.0 + 1.0 + f64::exp(-5.0)).ln();
        assert!((summary.log_normalizer - expected).abs() < 1e-6);
        assert_eq!(summary.argmax, 1);
        assert_eq!(summarize_row(&[1.0, f32::NAN]), None);
        assert_eq!(summarize_row(&[]), None);
        assert_eq!(argmax(&[-1.0, -1.0]), Some(0));
        assert_eq!(argmax(&[f32::INFINITY]), None);
        assert_eq!(argmax(&[f32::NAN, 2.0]), None);
    }

    #[test]
    fn vectorised_log_sum_exp_matches_f64_on_vocabulary_sized_rows() {
        // Deterministic pseudo-random logits shaped like a language model's: most far below
        // the maximum, a few near it; a length that is not a multiple of the block size.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for (length, spread) in [(262_144 + 77, 30.0_f32), (32_000, 8.0), (5, 1.0), (1, 0.0)] {
            let row: Vec<f32> = (0..length)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    let unit = (state >> 40) as f32 / (1u64 << 24) as f32;
                    spread * unit * unit - spread / 2.0
                })
                .collect();
            let summary = summarize_row(&row).expect("finite row");
            let reference = reference_log_normalizer(&row);
            let error = (summary.log_normalizer - reference).abs();
            assert!(error < 2e-7, "length {length}: error {error} nats");
        }
        // Values far below the maximum underflow to zero without disturbing the sum.
        let row = [0.0_f32, -200.0, -1e30, 5.0];
        let summary = summarize_row(&row).expect("finite row");
        assert!((summary.log_normalizer - reference_log_normalizer(&row)).abs() < 1e-6);
        assert_eq!(summary.argmax, 3);
    }

    #[test]
    fn accumulator_sums_log_probabilities_and_tracks_greediness() {
        let row = [0.0_f32, 2.0, 1.0];
        let summary = summarize_row(&row).expect("finite row");
        let mut score = ScoreAccumulator::default();
        score.add(&row, summary, 1);
        assert!(score.is_greedy);
        score.add(&row, summary, 2);
        assert!(!score.is_greedy);
        let expected = (2.0 - summary.log_normalizer) + (1.0 - summary.log_normalizer);
        assert_eq!(score.loglikelihood, expected);
        assert_eq!(score.scored_tokens, 2);
        assert!(score.loglikelihood < 0.0);
    }
}
