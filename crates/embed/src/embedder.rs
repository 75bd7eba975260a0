//! Texts in, unit vectors out: tokenise (truncating as sentence-transformers does), run the
//! encoder in length-sorted batches, mean-pool over the real tokens, L2-normalise.

use crate::bert::{Bert, MINILM_L6};
use crate::model_files::{check_present, read_verified, MODEL};
use crate::EmbedError;
use candle_core::{Device, Tensor};
use std::cmp::Reverse;
use std::path::Path;
use tokenizers::{Encoding, Tokenizer, TruncationParams};

/// At most this many texts per forward pass: sentence-transformers' default `batch_size`.
const BATCH_TEXTS: usize = 32;
/// At most this many token positions (texts × the longest text's tokens) per forward pass,
/// unless one text alone is longer. sentence-transformers has no such cap and pads up to 31
/// short texts to the length of a long one; cutting the batch there instead took embedding
/// the parity fixture (6 long texts among 100) from 9.2 s to 3.1 s on the development
/// machine (1024: 3.9 s, 4096: 4.5 s; 2 cores, load average about 5 from other builds), and
/// changes no vector beyond float noise: padding is masked out of attention and pooling.
const BATCH_TOKENS: usize = 2048;

/// The embedding model, loaded and checked; cheap to share between threads (`Send + Sync`),
/// and CPU-bound: call it from a blocking thread in async code.
pub struct Embedder {
    tokenizer: Tokenizer,
    padding_id: u32,
    bert: Bert,
}

impl Embedder {
    /// Loads [`MODEL`] from `dir` (see [`default_dir`](crate::default_dir)), checking the size
    /// and sha256 of each file first. Errors name the missing or wrong file.
    pub fn load(dir: &Path) -> Result<Embedder, EmbedError> {
        check_present(dir, &MODEL.files())?;
        let tokenizer_path = dir.join(MODEL.tokenizer.name);
        let tokenizer_bytes = read_verified(dir, &MODEL.tokenizer)?;
        let weights_bytes = read_verified(dir, &MODEL.weights)?;

        let invalid_tokenizer = |reason: String| EmbedError::InvalidFile {
            path: tokenizer_path.clone(),
            reason,
        };
        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_bytes)
            .map_err(|error| invalid_tokenizer(format!("not a tokenizer: {error}")))?;
        // tokenizer.json pads and truncates to 128; sentence-transformers overrides both per
        // call: pad to the batch's longest text, cut at `max_seq_length` (256) tokens.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MODEL.max_tokens,
                ..TruncationParams::default()
            }))
            .map_err(|error| invalid_tokenizer(format!("setting truncation: {error}")))?;
        let padding_id = tokenizer
            .token_to_id("[PAD]")
            .ok_or_else(|| invalid_tokenizer("no [PAD] token".to_owned()))?;

        let bert = Bert::load(&dir.join(MODEL.weights.name), &weights_bytes, MINILM_L6)?;
        Ok(Embedder {
            tokenizer,
            padding_id,
            bert,
        })
    }

    /// One unit vector of [`MODEL.dimensions`](crate::ModelFiles::dimensions) per text, in
    /// the order given. A text longer than [`MODEL.max_tokens`](crate::ModelFiles::max_tokens)
    /// tokens is embedded from its first tokens only, as sentence-transformers does; the empty
    /// text is embedded as `[CLS] [SEP]`.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let encodings = texts
            .iter()
            .enumerate()
            .map(|(index, text)| {
                self.tokenizer
                    .encode(*text, true)
                    .map_err(|error| EmbedError::Tokenize {
                        index,
                        reason: error.to_string(),
                    })
            })
            .collect::<Result<Vec<Encoding>, EmbedError>>()?;
        // Longest first, as sentence-transformers orders them: batches of similar length
        // carry little padding.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&index| Reverse(encodings[index].get_ids().len()));
        let lengths: Vec<usize> = order
            .iter()
            .map(|&index| encodings[index].get_ids().len())
            .collect();

        let mut vectors = vec![Vec::new(); texts.len()];
        let mut start = 0;
        while start < order.len() {
            let end = start + batch_length(&lengths[start..]);
            let batch = &order[start..end];
            start = end;
            let batch_encodings: Vec<&Encoding> =
                batch.iter().map(|&index| &encodings[index]).collect();
            let embedded =
                self.embed_batch(&batch_encodings)
                    .map_err(|source| EmbedError::Inference {
                        texts: batch.len(),
                        source,
                    })?;
            for (&index, vector) in batch.iter().zip(embedded) {
                vectors[index] = vector;
            }
        }
        Ok(vectors)
    }

    /// The token ids `text` is embedded from: `[CLS]`, at most
    /// [`MODEL.max_tokens`](crate::ModelFiles::max_tokens) − 2 word pieces, `[SEP]`. A result
    /// of exactly `max_tokens` ids means the text was (or just fitted before being) cut.
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        self.tokenizer
            .encode(text, true)
            .map(|encoding| encoding.get_ids().to_vec())
            .map_err(|error| EmbedError::Tokenize {
                index: 0,
                reason: error.to_string(),
            })
    }

    fn embed_batch(&self, encodings: &[&Encoding]) -> candle_core::Result<Vec<Vec<f32>>> {
        let rows = encodings.len();
        let longest = encodings
            .iter()
            .map(|encoding| encoding.get_ids().len())
            .max()
            .unwrap_or(0);
        let mut token_ids = Vec::with_capacity(rows * longest);
        let mut mask = Vec::with_capacity(rows * longest);
        for encoding in encodings {
            let ids = encoding.get_ids();
            token_ids.extend_from_slice(ids);
            token_ids.resize(token_ids.len() + longest - ids.len(), self.padding_id);
            mask.extend(std::iter::repeat_n(1f32, ids.len()));
            mask.resize(mask.len() + longest - ids.len(), 0f32);
        }
        let token_ids = Tensor::from_vec(token_ids, (rows, longest), &Device::Cpu)?;
        let mask = Tensor::from_vec(mask, (rows, longest), &Device::Cpu)?;
        let hidden = self.bert.forward(&token_ids, &mask)?;
        mean_pool_normalised(&hidden, &mask)
    }
}

/// How many of `lengths` (token counts, longest first) go into the next batch: at least one,
/// at most [`BATCH_TEXTS`], and no more than [`BATCH_TOKENS`] positions once padded to the
/// first (longest).
fn batch_length(lengths: &[usize]) -> usize {
    let longest = lengths.first().copied().unwrap_or(0).max(1);
    (BATCH_TOKENS / longest)
        .clamp(1, BATCH_TEXTS)
        .min(lengths.len())
}

/// sentence-transformers' `Pooling(mean)` then `Normalize`: the mean of the hidden states of
/// real tokens (padding masked out, the count clamped at 1e-9), divided by its L2 norm
/// (clamped at 1e-12, as `torch.nn.functional.normalize`).
fn mean_pool_normalised(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Vec<Vec<f32>>> {
    let summed = hidden.broadcast_mul(&mask.unsqueeze(2)?)?.sum(1)?;
    let counts = mask.sum_keepdim(1)?.clamp(1e-9f32, f32::MAX)?;
    let mean = summed.broadcast_div(&counts)?;
    let norms = mean
        .sqr()?
        .sum_keepdim(1)?
        .sqrt()?
        .clamp(1e-12f32, f32::MAX)?;
    mean.broadcast_div(&norms)?.to_vec2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_embedder_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Embedder>();
    }

    #[test]
    fn batches_are_capped_by_texts_and_by_padded_positions() {
        assert_eq!(batch_length(&[5; 100]), BATCH_TEXTS);
        assert_eq!(batch_length(&[5; 3]), 3);
        // Eight texts of 256 positions fill 2048; a 257th position would overflow.
        assert_eq!(
            batch_length(&[256, 256, 40, 40, 40, 40, 40, 40, 40, 40, 40]),
            8
        );
        assert_eq!(batch_length(&[4000, 3]), 1);
        assert_eq!(batch_length(&[]), 0);
    }

    #[test]
    fn pooling_averages_real_tokens_only_and_normalises() {
        // Two rows of three tokens, hidden size 2; the second row's last token is padding.
        let hidden = Tensor::new(
            &[
                [[3f32, 0.], [0., 4.], [3., 8.]],
                [[1., 1.], [3., 3.], [100., -100.]],
            ],
            &Device::Cpu,
        )
        .expect("hidden");
        let mask = Tensor::new(&[[1f32, 1., 1.], [1., 1., 0.]], &Device::Cpu).expect("mask");
        let pooled = mean_pool_normalised(&hidden, &mask).expect("pooling");
        // Row 0: mean (2, 4) -> (2, 4)/sqrt(20). Row 1: mean (2, 2) -> (1, 1)/sqrt(2).
        let expected = [
            [2. / 20f32.sqrt(), 4. / 20f32.sqrt()],
            [1. / 2f32.sqrt(), 1. / 2f32.sqrt()],
        ];
        for (row, want) in pooled.iter().zip(expected) {
            for (got, want) in row.iter().zip(want) {
                assert!((got - want).abs() < 1e-6, "{pooled:?}");
            }
        }
    }

    #[test]
    fn a_zero_vector_stays_zero_instead_of_becoming_nan() {
        let hidden =
            Tensor::zeros((1, 2, 3), candle_core::DType::F32, &Device::Cpu).expect("zeros");
        let mask = Tensor::new(&[[1f32, 0.]], &Device::Cpu).expect("mask");
        let pooled = mean_pool_normalised(&hidden, &mask).expect("pooling");
        assert_eq!(pooled, vec![vec![0f32; 3]]);
    }
}
