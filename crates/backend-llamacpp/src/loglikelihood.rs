//! Loglikelihood requests on the inference thread: tokenize every pair lm-eval's way, then
//! evaluate each group of pairs in isolation, its shared prefix once (see the crate docs).

use yardstick_backend::{
    BackendError, ContinuationPair, ContinuationScore, LoglikelihoodRequest, RollingScore,
};

use crate::engine::{BatchEntry, Engine};
use crate::scoring::{
    empty_context_pair, plan_groups, rolling_windows, split_trailing_whitespace, summarize_row,
    Group, PairTokens, ScoreAccumulator,
};

impl Engine<'_> {
    pub(crate) fn loglikelihood(
        &mut self,
        request: &LoglikelihoodRequest,
    ) -> Result<Vec<ContinuationScore>, BackendError> {
        let pairs = request
            .pairs
            .iter()
            .enumerate()
            .map(|(index, pair)| self.encode_pair(index, pair))
            .collect::<Result<Vec<_>, _>>()?;
        for (index, pair) in pairs.iter().enumerate() {
            if pair.input_len() > self.settings.window {
                return Err(BackendError::ContextOverflow {
                    what: format!(
                        "pair {index} of the request (context {} + continuation {} tokens, \
                         all read by the model but the last)",
                        pair.context.len(),
                        pair.continuation.len()
                    ),
                    needed: pair.input_len(),
                    available: self.settings.window,
                });
            }
        }

        let mut scores = vec![ScoreAccumulator::default(); pairs.len()];
        for group in plan_groups(&pairs, self.settings.window, self.settings.max_sequences) {
            self.score_group(&pairs, &group, &mut scores)?;
        }
        Ok(pairs
            .iter()
            .zip(scores)
            .map(|(pair, score)| ContinuationScore {
                loglikelihood: score.loglikelihood,
                is_greedy: score.is_greedy,
                continuation_tokens: u32::try_from(pair.continuation.len()).unwrap_or(u32::MAX),
                context_tokens: u32::try_from(pair.context.len()).unwrap_or(u32::MAX),
            })
            .collect())
    }

    /// lm-eval's `loglikelihood_rolling` (HF backend): the text's tokens (BOS per the GGUF
    /// metadata, as lm-eval's `tok_encode`), split by [`rolling_windows`] with the prefix
    /// token and the context window as `max_seq_len`; every window scored on its own.
    pub(crate) fn loglikelihood_rolling(
        &mut self,
        text: &str,
    ) -> Result<RollingScore, BackendError> {
        let tokens = self.encode(text, self.add_bos);
        let prefix_token = self.prefix_token.ok_or_else(|| BackendError::Tokenize {
            what: "a rolling loglikelihood text".to_string(),
            reason: "the model has neither BOS nor EOS to start the first window with".to_string(),
        })?;
        let pairs = rolling_windows(&tokens, prefix_token, self.settings.window);
        let mut scores = vec![ScoreAccumulator::default(); pairs.len()];
        for group in plan_groups(&pairs, self.settings.window, 1) {
            self.score_group(&pairs, &group, &mut scores)?;
        }
        Ok(RollingScore {
            loglikelihood: scores.iter().map(|score| score.loglikelihood).sum(),
            tokens: u32::try_from(tokens.len()).unwrap_or(u32::MAX),
            windows: u32::try_from(pairs.len()).unwrap_or(u32::MAX),
        })
    }

    /// lm-eval's `_encode_pair` (and its empty-context rule).
    fn encode_pair(
        &self,
        index: usize,
        pair: &ContinuationPair,
    ) -> Result<PairTokens, BackendError> {
        let unscorable = |reason: &str| BackendError::Tokenize {
            what: format!(
                "pair {index} of the request (continuation {:?})",
                pair.continuation
            ),
            reason: reason.to_string(),
        };
        if pair.context.is_empty() {
            let prefix_token = self.prefix_token.ok_or_else(|| {
                unscorable("the context is empty and the model has neither BOS nor EOS")
            })?;
            let continuation = self.encode(&pair.continuation, false);
            return empty_context_pair(prefix_token, continuation)
                .ok_or_else(|| unscorable("the continuation has no token to score"));
        }
        let (context, moved_whitespace) = split_trailing_whitespace(&pair.context);
        let whole = self.encode(
            &format!("{context}{moved_whitespace}{}", pair.continuation),
            self.add_bos,
        );
        let context = self.encode(context, self.add_bos);
        if context.is_empty() {
            return Err(unscorable(
                "the context is only whitespace and the model adds no BOS: nothing to condition on",
            ));
        }
        let continuation = whole.get(context.len()..).unwrap_or_default().to_vec();
        if continuation.is_empty() {
            return Err(unscorable("the continuation has no token to score"));
        }
        Ok(PairTokens {
            context,
            continuation,
        })
    }

    /// Scores one group from an empty KV cache in one run of batch entries: the shared
    /// prefix once, each token tagged with the sequence of the first pair and of every pair
    /// that reads past it (stored once, attended to by all of them), then every pair's
    /// remaining tokens in its own sequence,
    /// logits only where a continuation token is scored. The run is split into
    /// `llama_decode` calls by `batch_tokens` and `logits_rows` alone.
    fn score_group(
        &mut self,
        pairs: &[PairTokens],
        group: &Group,
        scores: &mut [ScoreAccumulator],
    ) -> Result<(), BackendError> {
        let members = &pairs[group.pairs.clone()];
        let member_scores = &mut scores[group.pairs.clone()];
        let prefix_len = group.prefix_len;
        self.context.clear_kv_cache();

        let (entries, shared) = group_layout(members, prefix_len)?;

        let what = format!("scoring pairs {:?} of a loglikelihood request", group.pairs);
        let score_row = |entry: &BatchEntry, row: &[f32]| {
            let summary = summarize_row(row).ok_or_else(|| BackendError::Inference {
                what: what.clone(),
                reason: format!("the logits at position {} are not finite", entry.position),
            })?;
            for (member, pair) in members.iter().enumerate() {
                let reads_this_row = entry.owner.is_none_or(|owner| owner == member);
                if reads_this_row && pair.scores_position(entry.position) {
                    member_scores[member].add(row, summary, pair.target(entry.position));
                }
            }
            Ok(())
        };
        self.decode_entries("scoring a group of pairs", &entries, &shared, score_row)?;

        for (member, pair) in members.iter().enumerate() {
            let scored = member_scores[member].scored_tokens;
            if scored != pair.continuation.len() {
                return Err(BackendError::Inference {
                    what,
                    reason: format!(
                        "pair {} scored {scored} of its {} continuation tokens",
                        group.pairs.start + member,
                        pair.continuation.len()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The batch entries of one group, from an empty KV cache: the shared prefix once, each
/// token tagged with the sequence of the first pair and of every pair that reads past the
/// prefix (stored once, attended to by all of them), then every pair's remaining tokens in
/// its own sequence; logits where a pair scores the position. Also the sequences of the
/// shared prefix. Scoring and prompt logprobs lay a group out with this one function, so
/// the same prompts are read in the same batches by both.
pub(crate) fn group_layout(
    members: &[PairTokens],
    prefix_len: usize,
) -> Result<(Vec<BatchEntry>, Vec<i32>), BackendError> {
    let sequence_of = |member: usize| {
        i32::try_from(member).map_err(|_| BackendError::Inference {
            what: "laying out a group of pairs".to_string(),
            reason: format!("pair {member} of a group has no sequence id"),
        })
    };
    let Some(first) = members.first() else {
        return Ok((Vec::new(), Vec::new()));
    };
    // Sequence 0 (the first pair) and every other pair that reads past the prefix.
    let mut shared = vec![0];
    for (member, pair) in members.iter().enumerate().skip(1) {
        if pair.input_len() > prefix_len {
            shared.push(sequence_of(member)?);
        }
    }
    let mut entries: Vec<BatchEntry> = (0..prefix_len)
        .map(|position| BatchEntry {
            token: first.input_token(position),
            position,
            sequence: None,
            logits: members.iter().any(|pair| pair.scores_position(position)),
            owner: None,
        })
        .collect();
    for (member, pair) in members.iter().enumerate() {
        let sequence = sequence_of(member)?;
        for position in prefix_len..pair.input_len() {
            entries.push(BatchEntry {
                token: pair.input_token(position),
                position,
                sequence: Some(sequence),
                logits: pair.scores_position(position),
                owner: Some(member),
            });
        }
    }
    Ok((entries, shared))
}
