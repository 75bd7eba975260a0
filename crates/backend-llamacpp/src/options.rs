//! How a model is loaded: the engine's sizes (threads, KV window, batch, sequences, logits
//! rows, parallel generations), with their defaults and the checks llama.cpp needs.

/// How to load a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Inference threads (prompt and generation alike).
    pub threads: u32,
    /// KV cache size in tokens, shared by all sequences of a request.
    pub context_tokens: u32,
    /// Most tokens per `llama_decode` call (logical and physical batch alike).
    pub batch_tokens: u32,
    /// Most pairs of one loglikelihood request evaluated side by side.
    pub max_sequences: u32,
    /// Most tokens with logits per `llama_decode` call. Every such token costs llama.cpp a
    /// vocabulary-sized row of floats twice (its graph's output tensor and the context's
    /// logits buffer, both kept at their largest size so far): 1 MiB each for Gemma 3's
    /// 262,144 tokens. Capping the rows keeps memory independent of the longest item.
    pub logits_rows: u32,
    /// Most generations decoded side by side (continuous batching, as llama-server's
    /// `--parallel` slots), sharing the `context_tokens` cells; at most `max_sequences`.
    /// 1 (the default) runs each generation alone from an empty KV cache, which keeps
    /// generated tokens independent of other requests; more trades that for throughput
    /// (see `batcher`).
    pub parallel: u32,
}

impl Default for LoadOptions {
    /// All available cores, a 4096-token window, batches of 512 tokens, 16 sequences, 64
    /// logits rows per batch.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        LoadOptions {
            threads: u32::try_from(cores).unwrap_or(u32::MAX),
            context_tokens: 4096,
            batch_tokens: 512,
            max_sequences: 16,
            logits_rows: Self::DEFAULT_LOGITS_ROWS,
            parallel: 1,
        }
    }
}

impl LoadOptions {
    /// Default [`LoadOptions::logits_rows`]: 64 MiB of logits rows per buffer for Gemma 3.
    pub const DEFAULT_LOGITS_ROWS: u32 = 64;

    /// llama.cpp's limit on sequences per context (`LLAMA_MAX_SEQ`).
    pub const MAX_SEQUENCES: u32 = 256;

    /// Why these options cannot load a model, if they cannot.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let positive = [
            ("threads", self.threads),
            ("context_tokens", self.context_tokens),
            ("batch_tokens", self.batch_tokens),
            ("max_sequences", self.max_sequences),
            ("logits_rows", self.logits_rows),
            ("parallel", self.parallel),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(format!("{name} must be at least 1"));
        }
        if self.max_sequences > Self::MAX_SEQUENCES {
            return Err(format!(
                "max_sequences is {} but llama.cpp allows at most {}",
                self.max_sequences,
                Self::MAX_SEQUENCES
            ));
        }
        if self.parallel > self.max_sequences {
            return Err(format!(
                "parallel ({}) must not exceed max_sequences ({}): each generation holds a sequence",
                self.parallel, self.max_sequences
            ));
        }
        if self.max_sequences > self.batch_tokens {
            // llama.cpp reserves one output row per sequence inside a batch's output buffer.
            return Err(format!(
                "max_sequences ({}) must not exceed batch_tokens ({})",
                self.max_sequences, self.batch_tokens
            ));
        }
        if i32::try_from(self.threads).is_err() || i32::try_from(self.batch_tokens).is_err() {
            return Err("threads and batch_tokens must fit a 32-bit signed integer".to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_options_are_usable() {
        let options = LoadOptions::default();
        assert!(options.threads >= 1);
        assert_eq!(
            (
                options.context_tokens,
                options.batch_tokens,
                options.max_sequences,
                options.logits_rows
            ),
            (4096, 512, 16, 64)
        );
        assert_eq!(options.validate(), Ok(()));
    }

    #[test]
    fn invalid_options_are_refused_with_the_field_name() {
        let zero_batch = LoadOptions {
            batch_tokens: 0,
            ..LoadOptions::default()
        };
        assert_eq!(
            zero_batch.validate(),
            Err("batch_tokens must be at least 1".to_string())
        );
        let too_many = LoadOptions {
            max_sequences: 1000,
            ..LoadOptions::default()
        };
        assert!(too_many
            .validate()
            .is_err_and(|reason| reason.contains("max_sequences")));
        let small_batch = LoadOptions {
            batch_tokens: 8,
            max_sequences: 16,
            ..LoadOptions::default()
        };
        assert!(small_batch
            .validate()
            .is_err_and(|reason| reason.contains("batch_tokens (8)")));
    }
}
