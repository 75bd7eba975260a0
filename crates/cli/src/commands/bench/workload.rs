//! The bench's workload from the command line: synthetic, shared-prefix, dataset or task
//! prompts, tokenized with the chosen tokenizer.

use std::path::Path;

use anyhow::{bail, Context, Result};
use yardstick_bench::workload::{
    build_workload, GgufTokenizer, HfTokenizer, LengthDistribution, PromptSource, PromptTokenizer,
    WorkloadError, WorkloadSpec,
};
use yardstick_runner::BuiltWorkload;

use super::target::Capabilities;
use crate::args::BenchArgs;

/// Output length when neither `--output-tokens` nor the source gives one.
const DEFAULT_OUTPUT_TOKENS: &str = "64";

/// The workload the flags describe, before tokenizing. Output lengths are forced
/// (`ignore_eos`, `min_tokens`) unless `--allow-eos`.
pub fn workload_spec(args: &BenchArgs) -> Result<WorkloadSpec> {
    let input: LengthDistribution = args
        .input_tokens
        .parse()
        .map_err(|error| anyhow::anyhow!("--input-tokens: {error}"))?;
    let output_flag = args
        .output_tokens
        .as_deref()
        .map(|text| {
            text.parse::<LengthDistribution>()
                .map_err(|error| anyhow::anyhow!("--output-tokens: {error}"))
        })
        .transpose()?;
    let default_output = || -> Result<LengthDistribution> {
        DEFAULT_OUTPUT_TOKENS
            .parse()
            .map_err(|error| anyhow::anyhow!("the default output length: {error}"))
    };
    let (prompts, output) = if let Some(path) = &args.dataset {
        (PromptSource::Dataset { path: path.clone() }, output_flag)
    } else if let Some(task) = &args.task {
        let Some(data_dir) = args.data_dir.clone() else {
            bail!("--task needs the datasets directory: --data-dir or YARDSTICK_DATA");
        };
        (
            PromptSource::Task {
                task: task.clone(),
                data_dir,
                num_fewshot: None,
            },
            output_flag,
        )
    } else if let Some(prefix_tokens) = args.shared_prefix {
        if args.prefix_groups == 0 {
            bail!("--prefix-groups must be at least 1");
        }
        let output = match output_flag {
            Some(output) => output,
            None => default_output()?,
        };
        (
            PromptSource::SharedPrefix {
                prefix_tokens,
                groups: args.prefix_groups,
                input,
            },
            Some(output),
        )
    } else {
        let output = match output_flag {
            Some(output) => output,
            None => default_output()?,
        };
        (PromptSource::Synthetic { input }, Some(output))
    };
    Ok(WorkloadSpec {
        prompts,
        output,
        ignore_eos: !args.allow_eos,
        min_tokens: !args.allow_eos,
        seed: args.seed,
    })
}

/// Tokenizes and builds `count` requests of `spec` with `tokenizer` (`--tokenizer`), else
/// the model's GGUF vocabulary (`model_path`).
pub fn build_requests(
    spec: &WorkloadSpec,
    tokenizer: Option<&Path>,
    model_path: Option<&Path>,
    capabilities: Capabilities,
    count: usize,
) -> Result<BuiltWorkload> {
    let tokenizer: Option<Box<dyn PromptTokenizer>> = match (tokenizer, model_path) {
        (Some(path), _) => Some(open_tokenizer(path)?),
        (None, Some(path)) => Some(open_tokenizer(path)?),
        (None, None) => None,
    };
    let needs_tokenizer = matches!(
        spec.prompts,
        PromptSource::Synthetic { .. } | PromptSource::SharedPrefix { .. }
    );
    if needs_tokenizer && tokenizer.is_none() {
        bail!(
            "synthetic prompts of exact token counts need the served model's tokenizer: \
             --tokenizer tokenizer.json|model.gguf, or --model NAME for its GGUF vocabulary"
        );
    }
    // A dataset or task smaller than the run is sent in a cycle (the scheduler repeats the
    // workload), so take every prompt it has.
    let workload = match build_workload(spec, tokenizer.as_deref(), count) {
        Err(WorkloadError::NotEnoughPrompts { available, .. }) if available > 0 => {
            eprintln!(
                "note: the prompt source has {available} usable prompts for {count} requests; they are sent in a cycle"
            );
            build_workload(spec, tokenizer.as_deref(), available)
        }
        other => other,
    }
    .context("building the workload")?;
    if workload.requests.is_empty() {
        bail!("the workload has no requests (every dataset entry was skipped?)");
    }
    if workload.skipped_entries > 0 {
        eprintln!(
            "note: {} dataset entries skipped (no exchange, or outside the length bounds)",
            workload.skipped_entries
        );
    }
    let digest = workload.digest();
    let mut files = Vec::new();
    if let PromptSource::Dataset { path } = &spec.prompts {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        files.push((
            path.display().to_string(),
            yardstick_core::sha256_hex(&bytes),
        ));
    }
    let requests = workload
        .requests
        .into_iter()
        .map(|item| {
            let mut request = item.request;
            request.include_usage = capabilities.stream_usage;
            request.continuous_usage = capabilities.continuous_usage;
            request
        })
        .collect();
    Ok(BuiltWorkload {
        requests,
        digest,
        tokenizer: workload.tokenizer,
        files,
    })
}

/// A tokenizer from a `tokenizer.json` or a `.gguf` file.
fn open_tokenizer(path: &Path) -> Result<Box<dyn PromptTokenizer>> {
    let is_gguf = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("gguf"));
    Ok(if is_gguf {
        Box::new(
            GgufTokenizer::load(path).with_context(|| format!("--tokenizer {}", path.display()))?,
        )
    } else {
        Box::new(
            HfTokenizer::from_file(path)
                .with_context(|| format!("--tokenizer {}", path.display()))?,
        )
    })
}
