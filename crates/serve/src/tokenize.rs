//! `POST /tokenize` and `POST /detokenize`, in vLLM's shapes: the engine's own tokenization
//! (the one echo and scoring use), so a client can count a text's tokens and send token-id
//! prompts (rolling-loglikelihood windows of a text longer than the context).
//!
//! - `/tokenize` `{"prompt": "...", "add_special_tokens": true}` answers `{"count",
//!   "max_model_len", "tokens"}`; with `add_special_tokens` (the default) a BOS is put
//!   first where the model's metadata asks for one, as for a completion's prompt.
//! - `/detokenize` `{"tokens": [...]}` answers `{"prompt"}`.

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use yardstick_backend::Backend;

use crate::error::ServeError;
use crate::fields::Fields;
use crate::params::{check_model, token_ids};
use crate::ServeState;

pub(crate) async fn tokenize(
    State(state): State<ServeState>,
    body: Bytes,
) -> Result<Json<Value>, ServeError> {
    let fields = Fields::parse(&body)?;
    check_model(&fields, state.served_model())?;
    let prompt = fields
        .string("prompt")?
        .ok_or_else(|| ServeError::field("prompt", "is required (a string)"))?;
    let add_special = fields.boolean("add_special_tokens")?.unwrap_or(true);
    let tokens = state.backend().tokenize(prompt, add_special).await?;
    let max_model_len = state.backend().describe().context_tokens;
    Ok(Json(json!({
        "count": tokens.len(),
        "max_model_len": max_model_len,
        "tokens": tokens,
    })))
}

pub(crate) async fn detokenize(
    State(state): State<ServeState>,
    body: Bytes,
) -> Result<Json<Value>, ServeError> {
    let fields = Fields::parse(&body)?;
    check_model(&fields, state.served_model())?;
    let tokens = match fields.get("tokens") {
        Some(Value::Array(items)) => {
            token_ids(items).map_err(|problem| ServeError::field("tokens", problem))?
        }
        _ => {
            return Err(ServeError::field(
                "tokens",
                "is required (a list of token ids)",
            ))
        }
    };
    let prompt = state.backend().detokenize(&tokens).await?;
    Ok(Json(json!({ "prompt": prompt })))
}
