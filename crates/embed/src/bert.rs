//! The BERT encoder of all-MiniLM-L6-v2: a forward pass written on candle-nn's layers (linear,
//! embedding, layer norm), as Hugging Face transformers' `BertModel` computes it in
//! inference (no dropout, absolute positions, erf GELU, additive attention mask).
//!
//! Written here rather than taken from candle-transformers: that crate compiles some 200
//! model families to give us this one file (about five minutes of a release build on two
//! cores, measured), while this pass is a page of code checked against sentence-transformers.

use crate::EmbedError;
use candle_core::safetensors::Load;
use candle_core::{DType, Device, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, Module};
use safetensors::SafeTensors;
use std::path::Path;

/// The hyper-parameters of a BERT encoder (the fields of its `config.json` that matter).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BertShape {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub layers: usize,
    pub attention_heads: usize,
    pub intermediate_size: usize,
    pub max_positions: usize,
    pub token_types: usize,
    pub layer_norm_eps: f64,
}

/// all-MiniLM-L6-v2's `config.json` (`nreimers/MiniLM-L6-H384-uncased`, `hidden_act: gelu`).
pub(crate) const MINILM_L6: BertShape = BertShape {
    vocab_size: 30522,
    hidden_size: 384,
    layers: 6,
    attention_heads: 12,
    intermediate_size: 1536,
    max_positions: 512,
    token_types: 2,
    layer_norm_eps: 1e-12,
};

/// Reads tensors out of a safetensors file, checking name, dtype and shape.
struct Weights<'a> {
    tensors: SafeTensors<'a>,
    path: &'a Path,
}

impl Weights<'_> {
    fn invalid(&self, reason: String) -> EmbedError {
        EmbedError::InvalidFile {
            path: self.path.to_path_buf(),
            reason,
        }
    }

    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor, EmbedError> {
        let view = self
            .tensors
            .tensor(name)
            .map_err(|_| self.invalid(format!("tensor `{name}` is missing")))?;
        if view.dtype() != safetensors::Dtype::F32 || view.shape() != shape {
            return Err(self.invalid(format!(
                "tensor `{name}` is {:?} {:?}, expected F32 {shape:?}",
                view.dtype(),
                view.shape()
            )));
        }
        view.load(&Device::Cpu)
            .map_err(|error| self.invalid(format!("tensor `{name}`: {error}")))
    }

    fn linear(&self, prefix: &str, inputs: usize, outputs: usize) -> Result<Linear, EmbedError> {
        Ok(Linear::new(
            self.tensor(&format!("{prefix}.weight"), &[outputs, inputs])?,
            Some(self.tensor(&format!("{prefix}.bias"), &[outputs])?),
        ))
    }

    fn layer_norm(&self, prefix: &str, shape: &BertShape) -> Result<LayerNorm, EmbedError> {
        Ok(LayerNorm::new(
            self.tensor(&format!("{prefix}.weight"), &[shape.hidden_size])?,
            self.tensor(&format!("{prefix}.bias"), &[shape.hidden_size])?,
            shape.layer_norm_eps,
        ))
    }

    fn embedding(&self, name: &str, rows: usize, columns: usize) -> Result<Embedding, EmbedError> {
        Ok(Embedding::new(
            self.tensor(name, &[rows, columns])?,
            columns,
        ))
    }
}

/// One transformer layer: self-attention, then the feed-forward block, each with a residual
/// connection and a post layer norm.
struct EncoderLayer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_output: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

/// The BERT encoder; its output is the last hidden state, `[batch, tokens, hidden_size]`.
pub(crate) struct Bert {
    shape: BertShape,
    word_embeddings: Embedding,
    position_embeddings: Embedding,
    token_type_embeddings: Embedding,
    embeddings_norm: LayerNorm,
    layers: Vec<EncoderLayer>,
}

impl Bert {
    /// Builds the encoder from the bytes of a safetensors file (`path` names it in errors).
    /// Tensor names are transformers' `BertModel` names without a `bert.` prefix.
    pub fn load(path: &Path, bytes: &[u8], shape: BertShape) -> Result<Bert, EmbedError> {
        let tensors = SafeTensors::deserialize(bytes).map_err(|error| EmbedError::InvalidFile {
            path: path.to_path_buf(),
            reason: format!("not a safetensors file: {error}"),
        })?;
        let weights = Weights { tensors, path };
        let hidden = shape.hidden_size;
        let layers = (0..shape.layers)
            .map(|index| {
                let prefix = format!("encoder.layer.{index}");
                Ok(EncoderLayer {
                    query: weights.linear(
                        &format!("{prefix}.attention.self.query"),
                        hidden,
                        hidden,
                    )?,
                    key: weights.linear(&format!("{prefix}.attention.self.key"), hidden, hidden)?,
                    value: weights.linear(
                        &format!("{prefix}.attention.self.value"),
                        hidden,
                        hidden,
                    )?,
                    attention_output: weights.linear(
                        &format!("{prefix}.attention.output.dense"),
                        hidden,
                        hidden,
                    )?,
                    attention_norm: weights
                        .layer_norm(&format!("{prefix}.attention.output.LayerNorm"), &shape)?,
                    intermediate: weights.linear(
                        &format!("{prefix}.intermediate.dense"),
                        hidden,
                        shape.intermediate_size,
                    )?,
                    output: weights.linear(
                        &format!("{prefix}.output.dense"),
                        shape.intermediate_size,
                        hidden,
                    )?,
                    output_norm: weights
                        .layer_norm(&format!("{prefix}.output.LayerNorm"), &shape)?,
                })
            })
            .collect::<Result<Vec<_>, EmbedError>>()?;
        Ok(Bert {
            shape,
            word_embeddings: weights.embedding(
                "embeddings.word_embeddings.weight",
                shape.vocab_size,
                hidden,
            )?,
            position_embeddings: weights.embedding(
                "embeddings.position_embeddings.weight",
                shape.max_positions,
                hidden,
            )?,
            token_type_embeddings: weights.embedding(
                "embeddings.token_type_embeddings.weight",
                shape.token_types,
                hidden,
            )?,
            embeddings_norm: weights.layer_norm("embeddings.LayerNorm", &shape)?,
            layers,
        })
    }

    /// The last hidden state for `token_ids` (`[batch, tokens]`, u32) where `attention_mask`
    /// (`[batch, tokens]`, f32, 1 for a token and 0 for padding) says which positions are
    /// real. Every sequence is one segment (token type 0), positions count from 0.
    pub fn forward(
        &self,
        token_ids: &Tensor,
        attention_mask: &Tensor,
    ) -> candle_core::Result<Tensor> {
        let (batch, tokens) = token_ids.dims2()?;
        if tokens > self.shape.max_positions {
            candle_core::bail!(
                "{tokens} tokens, more than the {} positions the model has",
                self.shape.max_positions
            );
        }
        let positions = Tensor::arange(0u32, tokens as u32, token_ids.device())?;
        let token_types = token_ids.zeros_like()?;
        let embedded = (self.word_embeddings.forward(token_ids)?
            + self.token_type_embeddings.forward(&token_types)?)?
        .broadcast_add(&self.position_embeddings.forward(&positions)?)?;
        let mut hidden = self.embeddings_norm.forward(&embedded)?;

        // transformers' extended mask: 0 where attended, the lowest f32 where padded,
        // added to the attention scores of every head and query position.
        let padding = (attention_mask.ones_like()? - attention_mask)?;
        let additive_mask = (padding * f64::from(f32::MIN))?
            .to_dtype(DType::F32)?
            .reshape((batch, 1, 1, tokens))?;
        for layer in &self.layers {
            hidden = layer.forward(&hidden, &additive_mask, &self.shape)?;
        }
        Ok(hidden)
    }
}

impl EncoderLayer {
    fn forward(
        &self,
        hidden: &Tensor,
        additive_mask: &Tensor,
        shape: &BertShape,
    ) -> candle_core::Result<Tensor> {
        let (batch, tokens, hidden_size) = hidden.dims3()?;
        let heads = shape.attention_heads;
        let head_size = hidden_size / heads;
        // [batch, tokens, hidden] -> [batch, heads, tokens, head_size]
        let split_heads = |projected: Tensor| {
            projected
                .reshape((batch, tokens, heads, head_size))?
                .transpose(1, 2)?
                .contiguous()
        };
        let query = split_heads(self.query.forward(hidden)?)?;
        let key = split_heads(self.key.forward(hidden)?)?;
        let value = split_heads(self.value.forward(hidden)?)?;

        let scores = (query.matmul(&key.t()?)? / (head_size as f64).sqrt())?;
        let probabilities =
            candle_nn::ops::softmax_last_dim(&scores.broadcast_add(additive_mask)?)?;
        let context = probabilities
            .matmul(&value)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((batch, tokens, hidden_size))?;
        let attended = self
            .attention_norm
            .forward(&(self.attention_output.forward(&context)? + hidden)?)?;

        let intermediate = self.intermediate.forward(&attended)?.gelu_erf()?;
        self.output_norm
            .forward(&(self.output.forward(&intermediate)? + attended)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use safetensors::tensor::{Dtype, TensorView};
    use std::collections::BTreeMap;

    const TINY: BertShape = BertShape {
        vocab_size: 5,
        hidden_size: 4,
        layers: 1,
        attention_heads: 2,
        intermediate_size: 8,
        max_positions: 6,
        token_types: 2,
        layer_norm_eps: 1e-12,
    };

    /// A safetensors file with every tensor of `shape`, filled with small distinct values;
    /// `skip` leaves one tensor out.
    fn tiny_weights(shape: &BertShape, skip: Option<&str>) -> Vec<u8> {
        let hidden = shape.hidden_size;
        let mut shapes: Vec<(String, Vec<usize>)> = vec![
            (
                "embeddings.word_embeddings.weight".into(),
                vec![shape.vocab_size, hidden],
            ),
            (
                "embeddings.position_embeddings.weight".into(),
                vec![shape.max_positions, hidden],
            ),
            (
                "embeddings.token_type_embeddings.weight".into(),
                vec![shape.token_types, hidden],
            ),
            ("embeddings.LayerNorm.weight".into(), vec![hidden]),
            ("embeddings.LayerNorm.bias".into(), vec![hidden]),
        ];
        for index in 0..shape.layers {
            let prefix = format!("encoder.layer.{index}");
            for (name, outputs, inputs) in [
                ("attention.self.query", hidden, hidden),
                ("attention.self.key", hidden, hidden),
                ("attention.self.value", hidden, hidden),
                ("attention.output.dense", hidden, hidden),
                ("intermediate.dense", shape.intermediate_size, hidden),
                ("output.dense", hidden, shape.intermediate_size),
            ] {
                shapes.push((format!("{prefix}.{name}.weight"), vec![outputs, inputs]));
                shapes.push((format!("{prefix}.{name}.bias"), vec![outputs]));
            }
            for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
                shapes.push((format!("{prefix}.{norm}.weight"), vec![hidden]));
                shapes.push((format!("{prefix}.{norm}.bias"), vec![hidden]));
            }
        }
        let data: BTreeMap<String, (Vec<usize>, Vec<u8>)> = shapes
            .into_iter()
            .filter(|(name, _)| Some(name.as_str()) != skip)
            .enumerate()
            .map(|(seed, (name, dims))| {
                let count: usize = dims.iter().product();
                let bytes = (0..count)
                    .flat_map(|i| (((i * 7 + seed * 3) % 11) as f32 / 10.0 - 0.5).to_le_bytes())
                    .collect();
                (name, (dims, bytes))
            })
            .collect();
        let views: Vec<(String, TensorView<'_>)> = data
            .iter()
            .map(|(name, (dims, bytes))| {
                let view = TensorView::new(Dtype::F32, dims.clone(), bytes).expect("consistent");
                (name.clone(), view)
            })
            .collect();
        safetensors::serialize(views, None).expect("serialising test weights")
    }

    #[test]
    fn padding_does_not_change_the_hidden_states_of_real_tokens() {
        let bytes = tiny_weights(&TINY, None);
        let bert = Bert::load(Path::new("tiny.safetensors"), &bytes, TINY).expect("loads");
        let alone = Tensor::new(&[[1u32, 3, 2]], &Device::Cpu).expect("ids");
        let alone_mask = Tensor::new(&[[1f32, 1., 1.]], &Device::Cpu).expect("mask");
        let padded =
            Tensor::new(&[[1u32, 3, 2, 0, 0], [1, 4, 4, 4, 2]], &Device::Cpu).expect("ids");
        let padded_mask = Tensor::new(
            &[[1f32, 1., 1., 0., 0.], [1., 1., 1., 1., 1.]],
            &Device::Cpu,
        )
        .expect("mask");

        let expected: Vec<Vec<f32>> = bert
            .forward(&alone, &alone_mask)
            .and_then(|hidden| hidden.squeeze(0)?.to_vec2())
            .expect("forward");
        let batch: Vec<Vec<Vec<f32>>> = bert
            .forward(&padded, &padded_mask)
            .and_then(|hidden| hidden.to_vec3())
            .expect("forward");
        assert_eq!(batch.len(), 2);
        for (position, row) in expected.iter().enumerate() {
            for (a, b) in row.iter().zip(&batch[0][position]) {
                assert!((a - b).abs() < 1e-5, "position {position}: {a} vs {b}");
            }
        }
        // Layer norm ends the pass: each row has mean 0 times the weight, plus the bias;
        // at least check the rows are finite and not all equal.
        assert!(batch[1].iter().flatten().all(|value| value.is_finite()));
        assert_ne!(batch[1][1], batch[1][4]);
    }

    #[test]
    fn a_missing_or_misshapen_tensor_is_named() {
        let bytes = tiny_weights(&TINY, Some("encoder.layer.0.attention.self.key.bias"));
        let error = Bert::load(Path::new("w.safetensors"), &bytes, TINY)
            .err()
            .expect("a tensor is missing");
        let message = error.to_string();
        assert!(message.starts_with("w.safetensors: "), "{message}");
        assert!(
            message.contains("`encoder.layer.0.attention.self.key.bias` is missing"),
            "{message}"
        );

        let wider = BertShape {
            hidden_size: 8,
            attention_heads: 2,
            ..TINY
        };
        let bytes = tiny_weights(&TINY, None);
        let message = Bert::load(Path::new("w.safetensors"), &bytes, wider)
            .err()
            .expect("shapes differ")
            .to_string();
        assert!(
            message.contains(
                "`encoder.layer.0.attention.self.query.weight` is F32 [4, 4], expected F32 [8, 8]"
            ),
            "{message}"
        );

        let message = Bert::load(Path::new("w.safetensors"), b"not safetensors", TINY)
            .err()
            .expect("garbage")
            .to_string();
        assert!(message.contains("not a safetensors file"), "{message}");
    }

    #[test]
    fn more_tokens_than_positions_is_an_error_not_a_panic() {
        let bytes = tiny_weights(&TINY, None);
        let bert = Bert::load(Path::new("tiny.safetensors"), &bytes, TINY).expect("loads");
        let ids = Tensor::zeros((1, 7), DType::U32, &Device::Cpu).expect("ids");
        let mask = Tensor::ones((1, 7), DType::F32, &Device::Cpu).expect("mask");
        assert!(bert.forward(&ids, &mask).is_err());
    }
}
