//! `yardstick eval`.

use super::{engine_settings, Outcome};
use crate::args::{EvalArgs, Format, Limit};
use crate::progress::Bars;
use crate::render::{value_with_stderr, Table};
use anyhow::{bail, Context, Result};
use tokio_util::sync::CancellationToken;
use yardstick_backend_openai::Api;
use yardstick_runner::eval::ITEMS_PER_SECOND;
use yardstick_runner::{
    resolve_model, resume_eval, run_eval, BackendLoader, EndpointLoader, EndpointSettings,
    EvalContext, EvalOutcome, EvalPlan, Home, LlamaCppLoader, RetryPolicy,
};

pub async fn run(args: EvalArgs, home: &Home, quiet: bool) -> Result<Outcome> {
    let store = home.open_store().await?;
    let bars = Bars::new(quiet);
    let cancel = CancellationToken::new();
    watch_ctrl_c(cancel.clone());
    let endpoint = match &args.resume {
        Some(run_id) => stored_endpoint(&store, run_id).await?,
        None => endpoint_settings(&args)?,
    };
    let loader: Box<dyn BackendLoader> = match &endpoint {
        None => Box::new(LlamaCppLoader),
        Some(settings) => {
            let loader = EndpointLoader::connect(settings).await?;
            if !quiet {
                eprint!("{}", probe_table(&loader));
            }
            Box::new(loader)
        }
    };
    let context = EvalContext {
        store: &store,
        loader: loader.as_ref(),
        progress: &bars,
        cancel,
    };

    let outcome = if let Some(run_id) = &args.resume {
        resume_eval(run_id, &context).await?
    } else {
        if args.models.is_empty() && endpoint.is_none() {
            bail!(
                "no model given: use --model NAME (see `yardstick models list`) or --resume RUN_ID"
            );
        }
        if args.tasks.is_empty() {
            bail!("no task given: use --tasks arc_easy,hellaswag (see `yardstick tasks list`)");
        }
        // Validate task names and files before loading anything.
        for task in &args.tasks {
            yardstick_tasks::resolve_spec(task)?;
        }
        let samples = match &args.samples {
            None => None,
            Some(path) => Some(read_samples(path)?),
        };
        let mut models = Vec::new();
        for spec in &args.models {
            models.push(resolve_model(&store, home, spec).await?);
        }
        if let Some(settings) = &endpoint {
            models.push(EndpointLoader::model_spec(
                settings,
                args.endpoint.model_name.as_deref(),
            ));
        }
        if let Some(data_dir) = args.data_dir.as_ref().filter(|dir| !dir.is_dir()) {
            bail!(
                "the data directory {} (from --data-dir or YARDSTICK_DATA) does not exist; point --data-dir at a folder with one sub-folder per task (see README: Datasets), or leave it unset to read built-in tasks from the Hugging Face hub",
                data_dir.display()
            );
        }
        let data_dir = args
            .data_dir
            .clone()
            .unwrap_or_else(|| home.root.join("datasets"));
        let (limit, limit_fraction) = match args.limit {
            None => (None, None),
            Some(Limit::Count(count)) => (Some(count), None),
            Some(Limit::Fraction(fraction)) => (None, Some(fraction)),
        };
        let plan = EvalPlan {
            models,
            tasks: args.tasks.clone(),
            limit,
            limit_fraction,
            samples,
            num_fewshot: args.num_fewshot,
            repeats: args.repeats,
            temperature: args.temperature,
            apply_chat_template: args.apply_chat_template,
            fewshot_as_multiturn: args.fewshot_as_multiturn,
            system_instruction: args.system_instruction.clone(),
            bootstrap_iters: args.bootstrap_iters,
            seed: args.seed,
            data_dir,
            engine: engine_settings(&args.engine),
            concurrency: args.endpoint.concurrency.unwrap_or(if endpoint.is_some() {
                4
            } else {
                1
            }),
            retry: RetryPolicy {
                max_attempts: args.endpoint.max_attempts,
                circuit_breaker_failures: args.endpoint.max_failures_in_a_row,
                ..RetryPolicy::default()
            },
            endpoint,
            deployment: args.deployment.flags(),
            code: args.code.settings(),
            embedder_dir: Some(home.embedder_dir()),
        };
        args.code.warn_if_unsafe();
        run_eval(&plan, &context).await?
    };

    if let Some(path) = &args.output_json {
        let json = serde_json::to_string_pretty(&outcome).context("encoding results")?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    print_outcome(&outcome, args.format)?;
    Ok(report_status(&outcome))
}

/// The server an `--endpoint` eval scores, from the flags.
fn endpoint_settings(args: &EvalArgs) -> Result<Option<EndpointSettings>> {
    let flags = &args.endpoint;
    let (Some(base_url), Some(served_model)) = (&flags.endpoint, &flags.served_model) else {
        return Ok(None);
    };
    let api = match &flags.api {
        Some(api) => api.parse::<Api>()?,
        None if args.apply_chat_template => Api::ChatCompletions,
        None => Api::Completions,
    };
    if args.apply_chat_template && api == Api::Completions {
        bail!("--apply-chat-template with --endpoint needs --api chat: a server applies its own chat template to /v1/chat/completions, and yardstick cannot render a remote model's template");
    }
    Ok(Some(EndpointSettings {
        base_url: base_url.clone(),
        served_model: served_model.clone(),
        api: api.as_str().to_string(),
        api_key_env: flags.api_key_env.clone(),
        timeout_seconds: flags.request_timeout,
    }))
}

/// The server a stored run scored, so `--resume` reconnects to it.
async fn stored_endpoint(
    store: &yardstick_store::Store,
    run_id: &str,
) -> Result<Option<EndpointSettings>> {
    let Some(run) = store.run(run_id).await? else {
        return Ok(None);
    };
    let plan: Option<EvalPlan> = serde_json::from_value(run.plan).ok();
    Ok(plan.and_then(|plan| plan.endpoint))
}

/// What the scoring probe found, as a table.
fn probe_table(loader: &EndpointLoader) -> String {
    let probe = loader.probe();
    let mut table = Table::new(&["capability", "support", "evidence"]);
    for (label, finding) in probe.findings() {
        table.push(vec![
            label.to_string(),
            finding.support.as_str().to_string(),
            finding.reason.clone(),
        ]);
    }
    format!("{}\n", table.render(Format::Table))
}

/// Reads a `--samples` file: a JSON object of task name -> list of item indices.
fn read_samples(path: &std::path::Path) -> Result<std::collections::BTreeMap<String, Vec<u64>>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the samples file {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: expected a JSON object of task name -> list of item indices, e.g. {{\"arc_easy\": [0, 5, 17]}}",
            path.display()
        )
    })
}

/// First Ctrl-C: stop after the item in flight (everything finished is kept). Second: exit.
pub fn watch_ctrl_c(cancel: CancellationToken) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\ninterrupted: finishing the current item (Ctrl-C again to quit now)");
            cancel.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
}

fn print_outcome(outcome: &EvalOutcome, format: Format) -> Result<()> {
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(outcome)?);
        return Ok(());
    }
    // One row per model × task: its metrics as columns, then n and scoring speed.
    let mut metrics: Vec<&str> = Vec::new();
    for row in &outcome.results {
        if row.metric != ITEMS_PER_SECOND && !metrics.contains(&row.metric.as_str()) {
            metrics.push(&row.metric);
        }
    }
    let mut header = vec!["model", "task"];
    header.extend(metrics.iter().copied());
    header.extend(["n", "items/s"]);
    let mut table = Table::new(&header);
    let mut units: Vec<(&str, &str)> = Vec::new();
    for row in &outcome.results {
        if !units.contains(&(row.model.as_str(), row.task.as_str())) {
            units.push((&row.model, &row.task));
        }
    }
    for (model, task) in units {
        let rows: Vec<_> = outcome
            .results
            .iter()
            .filter(|row| row.model == model && row.task == task)
            .collect();
        let find = |name: &str| rows.iter().find(|row| row.metric == name);
        let mut cells = vec![model.to_string(), task.to_string()];
        for metric in &metrics {
            cells.push(
                find(metric)
                    .map_or_else(String::new, |row| value_with_stderr(row.value, row.stderr)),
            );
        }
        let n = rows
            .iter()
            .find_map(|row| (row.metric != ITEMS_PER_SECOND).then_some(row.n).flatten());
        cells.push(n.map(|n| n.to_string()).unwrap_or_default());
        cells.push(
            find(ITEMS_PER_SECOND).map_or_else(String::new, |row| format!("{:.2}", row.value)),
        );
        table.push(cells);
    }
    println!("{}", table.render(format));
    if format == Format::Table {
        println!(
            "run {} ({}{}), fingerprint {}",
            outcome.run_id,
            outcome.status,
            if outcome.resumed { ", resumed" } else { "" },
            outcome.fingerprint.id()
        );
    }
    Ok(())
}

fn report_status(outcome: &EvalOutcome) -> Outcome {
    if !outcome.failed_requests.is_empty() {
        let causes: Vec<String> = outcome
            .failed_requests
            .iter()
            .map(|(cause, count)| format!("{cause} ×{count}"))
            .collect();
        eprintln!(
            "failed request attempts (each stored with its cause and message): {}",
            causes.join(", ")
        );
    }
    for failure in &outcome.failures {
        eprintln!("failed: {failure}");
    }
    match outcome.status.as_str() {
        "interrupted" => {
            eprintln!(
                "run {} interrupted; nothing finished was lost. Continue with: yardstick eval --resume {}",
                outcome.run_id, outcome.run_id
            );
            Outcome::Interrupted
        }
        "complete" => Outcome::Success,
        _ => {
            eprintln!(
                "run {} has failed units; their finished items are kept. Retry with: yardstick eval --resume {}",
                outcome.run_id, outcome.run_id
            );
            Outcome::PartialFailure
        }
    }
}
