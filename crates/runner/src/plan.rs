//! Plans: the validated, fully-defaulted description of what a command will do. The CLI
//! (or a later API) builds them; the runner never re-reads flags.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A model as the runner needs it: a name for records, a file to load, its checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSpec {
    pub name: String,
    pub path: PathBuf,
    pub sha256: String,
}

/// Settings of the in-process engine that a plan fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineSettings {
    pub threads: u32,
    pub context_tokens: u32,
    pub batch_tokens: u32,
}

/// Everything `yardstick eval` will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalPlan {
    pub models: Vec<ModelSpec>,
    /// Task or group names as the user gave them (groups expand when the run starts).
    pub tasks: Vec<String>,
    /// First N items of each task, in dataset order.
    pub limit: Option<u64>,
    pub seed: u64,
    pub data_dir: PathBuf,
    pub engine: EngineSettings,
}

/// Everything `yardstick profile` will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfilePlan {
    pub models: Vec<ModelSpec>,
    /// Prompt lengths in tokens (BOS included where the model adds one).
    pub prompt_tokens: Vec<u32>,
    /// Tokens generated per repetition (end-of-sequence ignored).
    pub decode_tokens: u32,
    /// Runs per prompt length that are measured.
    pub repetitions: u32,
    /// Runs per prompt length that are discarded before measuring.
    pub warmup: u32,
    /// Model loads measured for the load time (the first, cold one, is discarded).
    pub loads: u32,
    pub engine: EngineSettings,
}
