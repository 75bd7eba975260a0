//! Scoring throughput of the llama.cpp backend on real multiple-choice items, against the
//! rate llama.cpp reaches on a plain prefill of the same number of tokens in this process.
//!
//! For each task: the first `warmup` items are scored and discarded, then `items` items are
//! scored `repetitions` times; only the wall clock of the `loglikelihood` calls is timed
//! (items are rendered before the clock starts). Reported per task (median of the
//! repetitions): items/s, unique tokens/s (tokens the backend passed to `llama_decode`, from
//! its counter: each item's shared prefix once plus every choice's remainder) and tokens per
//! `llama_decode` call. The reference rates, measured the same way (median of the
//! repetitions, each over `raw_prompts` prompts, the prefill time as the backend's monotonic
//! clock measures it around its `llama_decode` calls):
//!
//! - `raw@512`: a prompt of U tokens (U = the mean unique tokens per item), one sequence,
//!   decoded in chunks of `batch_tokens` (512), logits of the last token only;
//! - `raw@B`: the same prompt in chunks of B tokens (B = the mean tokens per `llama_decode`
//!   call while scoring), on a second context loaded with `batch_tokens = B`, so the number
//!   of `llama_decode` calls per item matches scoring's.
//!
//! Then, to see where the rest of the time goes: single-pair requests of U input tokens with
//! one scored token and with R scored tokens (R = the mean scored continuation tokens per
//! item), whose difference is the cost of the extra logits rows (llama.cpp's output
//! projection over the vocabulary plus the f64 log-sum-exp of each row); and the time the
//! backend takes to tokenize an item's texts the way scoring does (context + continuation,
//! then context, for every choice), round trips to the inference thread included.
//!
//! ```text
//! cargo run --release -p yardstick-runner --example scoring_speed -- \
//!     [--model PATH] [--data-dir DIR] [--threads N] [--tasks arc_easy:500,hellaswag:500] \
//!     [--warmup 10] [--repetitions 3] [--raw-prompts 200]
//! ```
//!
//! Without `--model`, the installed Gemma-3-270M (`YARDSTICK_GEMMA_GGUF` or
//! `$YARDSTICK_HOME/models`); without `--data-dir`, `YARDSTICK_DATA` or `../shared/datasets`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use yardstick_backend::{Backend, ContinuationPair, GenerateRequest, LoglikelihoodRequest};
use yardstick_backend_llamacpp::{llama_system_info, LlamaCppBackend, LoadOptions};
use yardstick_runner::profile::exact_length_prompt;
use yardstick_tasks::TaskRegistry;

type Error = Box<dyn std::error::Error>;

/// A natural English passage, repeated, from which the single-pair requests are cut.
const PASSAGE: &str = "The history of measurement is the history of agreement. Merchants \
needed the same pound in every market, builders the same foot on every site, and astronomers \
the same second in every observatory. Each standard began as something local and became \
useful only when others could reproduce it, check it and trust it. ";

struct Args {
    model: PathBuf,
    data_dir: PathBuf,
    threads: u32,
    tasks: Vec<(String, u64)>,
    warmup: usize,
    repetitions: usize,
    raw_prompts: usize,
}

fn parse_args() -> Result<Args, Error> {
    let mut model = None;
    let mut data_dir = None;
    let mut threads = LoadOptions::default().threads;
    let mut tasks = vec![
        ("arc_easy".to_string(), 500),
        ("hellaswag".to_string(), 500),
    ];
    let mut warmup = 10;
    let mut repetitions = 3;
    let mut raw_prompts = 200;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--model" => model = Some(PathBuf::from(value)),
            "--data-dir" => data_dir = Some(PathBuf::from(value)),
            "--threads" => threads = value.parse()?,
            "--warmup" => warmup = value.parse()?,
            "--repetitions" => repetitions = value.parse()?,
            "--raw-prompts" => raw_prompts = value.parse()?,
            "--tasks" => {
                tasks = value
                    .split(',')
                    .map(|spec| match spec.split_once(':') {
                        Some((name, count)) => Ok((name.to_string(), count.parse()?)),
                        None => Err(format!("--tasks wants NAME:ITEMS, got {spec:?}").into()),
                    })
                    .collect::<Result<_, Error>>()?;
            }
            _ => {
                return Err(format!(
                    "unknown flag {flag}; flags: --model --data-dir --threads --tasks \
                     --warmup --repetitions --raw-prompts"
                )
                .into())
            }
        }
    }
    let model = match model {
        Some(model) => model,
        None => yardstick_test_support::fixtures::gemma_model()
            .ok_or("no --model given and Gemma-3-270M is not installed")?,
    };
    let data_dir = match data_dir {
        Some(dir) => dir,
        None => yardstick_test_support::fixtures::datasets_dir()
            .ok_or("no --data-dir given and ../shared/datasets does not exist")?,
    };
    if repetitions == 0 || raw_prompts == 0 {
        return Err("--repetitions and --raw-prompts must be at least 1".into());
    }
    Ok(Args {
        model,
        data_dir,
        threads,
        tasks,
        warmup,
        repetitions,
        raw_prompts,
    })
}

/// One timed pass over a task's items.
#[derive(Debug, Clone, Copy)]
struct Pass {
    elapsed: Duration,
    items: usize,
    tokens: u64,
    decode_calls: u64,
}

impl Pass {
    fn items_per_second(&self) -> f64 {
        self.items as f64 / self.elapsed.as_secs_f64()
    }
    fn tokens_per_second(&self) -> f64 {
        self.tokens as f64 / self.elapsed.as_secs_f64()
    }
}

/// The shape of a task's items as the backend tokenized them.
#[derive(Debug, Clone, Copy, Default)]
struct Shape {
    pairs_per_item: f64,
    context_tokens_per_item: f64,
    scored_tokens_per_item: f64,
    unique_tokens_per_item: f64,
    tokens_per_decode_call: f64,
    decode_calls_per_item: f64,
}

async fn score_pass(
    backend: &LlamaCppBackend,
    requests: &[LoglikelihoodRequest],
) -> Result<(Pass, Vec<Vec<yardstick_backend::ContinuationScore>>), Error> {
    let batch = requests.to_vec();
    let mut scores = Vec::with_capacity(batch.len());
    let tokens_before = backend.tokens_evaluated();
    let calls_before = backend.decode_calls();
    let started = Instant::now();
    for request in batch {
        scores.push(backend.loglikelihood(request).await?);
    }
    let elapsed = started.elapsed();
    let pass = Pass {
        elapsed,
        items: requests.len(),
        tokens: backend.tokens_evaluated() - tokens_before,
        decode_calls: backend.decode_calls() - calls_before,
    };
    Ok((pass, scores))
}

fn shape_of(pass: &Pass, scores: &[Vec<yardstick_backend::ContinuationScore>]) -> Shape {
    let items = scores.len().max(1) as f64;
    let pairs: usize = scores.iter().map(Vec::len).sum();
    // Every pair of an item has the same context here (multiple choice).
    let context: u64 = scores
        .iter()
        .filter_map(|item| item.first())
        .map(|score| u64::from(score.context_tokens))
        .sum();
    let scored: u64 = scores
        .iter()
        .flatten()
        .map(|score| u64::from(score.continuation_tokens))
        .sum();
    Shape {
        pairs_per_item: pairs as f64 / items,
        context_tokens_per_item: context as f64 / items,
        scored_tokens_per_item: scored as f64 / items,
        unique_tokens_per_item: pass.tokens as f64 / items,
        tokens_per_decode_call: pass.tokens as f64 / pass.decode_calls.max(1) as f64,
        decode_calls_per_item: pass.decode_calls as f64 / items,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Prefill tokens/s of `prompt` (median of `repetitions`, each over `prompts` generations of
/// one token), from the backend's own prefill clock.
async fn raw_prefill_rate(
    backend: &LlamaCppBackend,
    prompt: &str,
    prompts: usize,
    repetitions: usize,
) -> Result<(f64, u32), Error> {
    let request = GenerateRequest {
        prompt: prompt.to_string(),
        max_tokens: 1,
        stop: Vec::new(),
        ignore_eos: true,
        sampling: None,
    };
    let mut prompt_tokens = 0;
    for _ in 0..3 {
        prompt_tokens = backend.generate(request.clone()).await?.prompt_tokens;
    }
    let mut rates = Vec::with_capacity(repetitions);
    for _ in 0..repetitions {
        let mut tokens = 0u64;
        let mut prefill = Duration::ZERO;
        for _ in 0..prompts {
            let generation = backend.generate(request.clone()).await?;
            tokens += u64::from(generation.prompt_tokens);
            prefill += generation.timing.prefill;
        }
        rates.push(tokens as f64 / prefill.as_secs_f64());
    }
    Ok((median(rates), prompt_tokens))
}

/// Mean wall time of `request` (median of `repetitions`, each over `count` calls), and the
/// (context, continuation) tokens of its first pair.
async fn request_time(
    backend: &LlamaCppBackend,
    request: &LoglikelihoodRequest,
    count: usize,
    repetitions: usize,
) -> Result<(Duration, u32, u32), Error> {
    let first = backend.loglikelihood(request.clone()).await?;
    let (context, continuation) = first.first().map_or((0, 0), |score| {
        (score.context_tokens, score.continuation_tokens)
    });
    let mut means = Vec::with_capacity(repetitions);
    for _ in 0..repetitions {
        let started = Instant::now();
        for _ in 0..count {
            backend.loglikelihood(request.clone()).await?;
        }
        means.push(started.elapsed().as_secs_f64() / count as f64);
    }
    Ok((
        Duration::from_secs_f64(median(means)),
        context,
        continuation,
    ))
}

/// A one-pair request whose model input is `input_tokens` long (BOS included when the model
/// adds one) and which scores `scored` continuation tokens, cut from [`PASSAGE`].
async fn single_pair_request(
    backend: &LlamaCppBackend,
    input_tokens: usize,
    scored: usize,
) -> Result<LoglikelihoodRequest, Error> {
    let bos = backend.tokenize("", true).await?.len();
    let mut text = PASSAGE.to_string();
    let mut tokens = backend.tokenize(&text, false).await?;
    while tokens.len() < input_tokens + scored + 2 {
        text.push_str(PASSAGE);
        tokens = backend.tokenize(&text, false).await?;
    }
    // Input = context (BOS + context_len) + scored - 1.
    let context_len = (input_tokens + 1).saturating_sub(scored + bos).max(1);
    let context = backend.detokenize(&tokens[..context_len]).await?;
    let continuation = backend
        .detokenize(&tokens[context_len..context_len + scored])
        .await?;
    Ok(LoglikelihoodRequest {
        pairs: vec![ContinuationPair {
            context,
            continuation,
        }],
    })
}

/// Mean wall time to tokenize an item's texts as scoring does: context + continuation and
/// context alone, for every pair (the backend's channel round trips included).
async fn tokenize_time(
    backend: &LlamaCppBackend,
    requests: &[LoglikelihoodRequest],
) -> Result<(Duration, Duration), Error> {
    let started = Instant::now();
    let mut calls = 0u32;
    for request in requests {
        for pair in &request.pairs {
            backend
                .tokenize(&format!("{}{}", pair.context, pair.continuation), true)
                .await?;
            backend.tokenize(&pair.context, true).await?;
            calls += 2;
        }
    }
    let per_item = started.elapsed() / u32::try_from(requests.len().max(1))?;
    // A round trip that tokenizes nothing: the channel's share of each call.
    let started = Instant::now();
    for _ in 0..calls {
        backend.tokenize("", false).await?;
    }
    let round_trips_per_item = started.elapsed() / u32::try_from(requests.len().max(1))?;
    Ok((per_item, round_trips_per_item))
}

struct TaskReport {
    task: String,
    items: usize,
    passes: Vec<Pass>,
    shape: Shape,
    raw_512: f64,
    raw_512_tokens: u32,
    raw_b: f64,
    raw_b_batch: u32,
    one_row: (Duration, u32, u32),
    many_rows: (Duration, u32, u32),
    tokenize: (Duration, Duration),
}

async fn measure_task(
    backend: &LlamaCppBackend,
    args: &Args,
    task: &str,
    count: u64,
) -> Result<TaskReport, Error> {
    let registry = TaskRegistry::builtin()?;
    let definition = registry
        .task(task)
        .ok_or_else(|| format!("no built-in task {task}"))?;
    let mut requests = Vec::new();
    for item in definition.items(&args.data_dir, Some(count + args.warmup as u64))? {
        requests.push(item?.request);
    }
    let warmup = args.warmup.min(requests.len());
    let (warm, measured) = requests.split_at(warmup);
    if measured.is_empty() {
        return Err(format!("{task}: no items left after {warmup} warm-up items").into());
    }
    eprintln!(
        "{task}: {} warm-up + {} measured items x {} repetitions",
        warm.len(),
        measured.len(),
        args.repetitions
    );
    score_pass(backend, warm).await?;
    let mut passes = Vec::with_capacity(args.repetitions);
    let mut shape = Shape::default();
    for repetition in 0..args.repetitions {
        let (pass, scores) = score_pass(backend, measured).await?;
        if repetition == 0 {
            shape = shape_of(&pass, &scores);
        }
        eprintln!(
            "{task}: pass {}: {:.2} items/s, {:.1} tokens/s",
            repetition + 1,
            pass.items_per_second(),
            pass.tokens_per_second()
        );
        passes.push(pass);
    }

    let unique = shape.unique_tokens_per_item.round().max(2.0) as u32;
    eprintln!("{task}: raw prefill of {unique}-token prompts");
    let prompt = exact_length_prompt(backend, unique).await?;
    let (raw_512, raw_512_tokens) =
        raw_prefill_rate(backend, &prompt, args.raw_prompts, args.repetitions).await?;
    let raw_b_batch = shape.tokens_per_decode_call.round().max(1.0) as u32;
    let options = LoadOptions {
        batch_tokens: raw_b_batch,
        max_sequences: backend.options().max_sequences.min(raw_b_batch),
        ..backend.options()
    };
    let small_batches = LlamaCppBackend::load(&args.model, options).await?;
    let (raw_b, _) =
        raw_prefill_rate(&small_batches, &prompt, args.raw_prompts, args.repetitions).await?;
    drop(small_batches);

    eprintln!("{task}: single-pair requests and tokenization");
    let scored = shape.scored_tokens_per_item.round().max(2.0) as usize;
    let one = single_pair_request(backend, unique as usize, 1).await?;
    let many = single_pair_request(backend, unique as usize, scored).await?;
    let one_row = request_time(backend, &one, args.raw_prompts, args.repetitions).await?;
    let many_rows = request_time(backend, &many, args.raw_prompts, args.repetitions).await?;
    let tokenize = tokenize_time(backend, measured).await?;

    Ok(TaskReport {
        task: task.to_string(),
        items: measured.len(),
        passes,
        shape,
        raw_512,
        raw_512_tokens,
        raw_b,
        raw_b_batch,
        one_row,
        many_rows,
        tokenize,
    })
}

/// The kernel's load averages (1, 5, 15 minutes), to record how busy the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unavailable".to_string(),
        |text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        },
    )
}

fn milliseconds(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn print_report(reports: &[TaskReport]) {
    println!(
        "| task | items | items/s | unique tokens/item | tokens/s | tokens/decode call | \
         raw prefill tok/s @512 (U tokens) | ratio | raw prefill tok/s @B | ratio |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for report in reports {
        let items = median(report.passes.iter().map(Pass::items_per_second).collect());
        let tokens = median(report.passes.iter().map(Pass::tokens_per_second).collect());
        println!(
            "| {} | {} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} ({}) | {:.1}% | {:.1} (B={}) | {:.1}% |",
            report.task,
            report.items,
            items,
            report.shape.unique_tokens_per_item,
            tokens,
            report.shape.tokens_per_decode_call,
            report.raw_512,
            report.raw_512_tokens,
            100.0 * tokens / report.raw_512,
            report.raw_b,
            report.raw_b_batch,
            100.0 * tokens / report.raw_b,
        );
    }
    println!();
    for report in reports {
        let shape = report.shape;
        let seconds: Vec<f64> = report
            .passes
            .iter()
            .map(|pass| pass.elapsed.as_secs_f64())
            .collect();
        let item_ms = 1e3 / median(report.passes.iter().map(Pass::items_per_second).collect());
        let (one_time, one_context, one_scored) = report.one_row;
        let (many_time, many_context, many_scored) = report.many_rows;
        let extra_rows = f64::from(many_scored) - f64::from(one_scored);
        let row_ms = (milliseconds(many_time) - milliseconds(one_time)) / extra_rows;
        let (tokenize, round_trips) = report.tokenize;
        println!("{}:", report.task);
        println!(
            "  pass wall times (s): {}",
            seconds
                .iter()
                .map(|s| format!("{s:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!(
            "  per item: {:.2} pairs, {:.1} context tokens, {:.1} scored continuation tokens, \
             {:.1} unique tokens in {:.2} llama_decode calls; {item_ms:.2} ms",
            shape.pairs_per_item,
            shape.context_tokens_per_item,
            shape.scored_tokens_per_item,
            shape.unique_tokens_per_item,
            shape.decode_calls_per_item,
        );
        println!(
            "  raw prefill of U={} tokens: {:.2} ms @512, {:.2} ms @B={}",
            report.raw_512_tokens,
            1e3 * f64::from(report.raw_512_tokens) / report.raw_512,
            1e3 * f64::from(report.raw_512_tokens) / report.raw_b,
            report.raw_b_batch,
        );
        println!(
            "  one-pair request, {one_context}+{one_scored} tokens (1 logits row): {:.2} ms; \
             {many_context}+{many_scored} tokens ({many_scored} rows): {:.2} ms; \
             => {row_ms:.3} ms per extra logits row",
            milliseconds(one_time),
            milliseconds(many_time),
        );
        println!(
            "  tokenizing an item as scoring does ({:.0} calls): {:.2} ms, of which empty \
             round trips {:.2} ms",
            2.0 * shape.pairs_per_item,
            milliseconds(tokenize),
            milliseconds(round_trips),
        );
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = parse_args()?;
    let options = LoadOptions {
        threads: args.threads,
        context_tokens: 4096,
        batch_tokens: 512,
        max_sequences: 16,
        logits_rows: 64,
        parallel: 1,
    };
    let backend = LlamaCppBackend::load(&args.model, options).await?;
    println!(
        "model {} ({} threads, loaded in {:.0} ms); {}",
        args.model.display(),
        args.threads,
        milliseconds(backend.load_duration()),
        backend.describe().batching_scheme,
    );
    println!("llama.cpp: {}", llama_system_info());
    println!(
        "warm-up {} items, {} repetitions (medians), raw rates over {} prompts each",
        args.warmup, args.repetitions, args.raw_prompts
    );
    println!("load average at start: {}", load_average());
    println!();
    let mut reports = Vec::new();
    for (task, count) in &args.tasks {
        reports.push(measure_task(&backend, &args, task, *count).await?);
    }
    println!("load average at end: {}", load_average());
    println!();
    print_report(&reports);
    Ok(())
}
