//! `yardstick bench`: load-test a served model or the in-process engine, store every
//! request and the metrics of every load point, print the summary, write the report.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use chrono::Utc;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use yardstick_bench::resources::SamplerConfig;
use yardstick_bench::sweep::SloSearch;
use yardstick_bench::{Bench, LoadPoint, PointResult, RunSettings, SloObjective, SystemClock};
use yardstick_load::{ArrivalProcess, ItlDefinition, MetricsOptions, Slo};
use yardstick_store::{NewRun, RunKind, Status};

mod output;
mod progress;
mod record;
mod target;
mod workload;

use self::output::{print_results, write_outputs};
use self::progress::BenchBars;
use self::record::{store_point, unit_fingerprint};
use self::target::driven;
use self::workload::{build_requests, WorkloadChoice};
use super::eval::watch_ctrl_c;
use super::{engine_settings, Outcome};
use crate::args::{BenchArgs, ItlArg};
use crate::home::Home;

/// Measured requests per run when neither `--requests` nor `--duration` is given.
const DEFAULT_REQUESTS: usize = 100;

/// Distinct requests prepared per run bounded by `--duration` alone.
const DURATION_BOUND_REQUESTS: usize = 1000;

/// Most distinct requests prepared; longer benches send them again in a cycle.
const MOST_DISTINCT_REQUESTS: usize = 10_000;

pub async fn run(args: BenchArgs, home: &Home, quiet: bool) -> Result<Outcome> {
    let objectives = args
        .slos
        .iter()
        .map(|text| text.parse::<SloObjective>().map_err(anyhow::Error::msg))
        .collect::<Result<Vec<_>>>()
        .context("--slo")?;
    let process: ArrivalProcess = args
        .arrivals
        .parse()
        .map_err(|error| anyhow::anyhow!("--arrivals {}: {error}", args.arrivals))?;
    if let Some(rate) = args.rate_max {
        if !(rate.is_finite() && rate > 0.0) {
            bail!("--rate-max {rate} must be a positive number of requests per second");
        }
    }
    let points = load_points(&args, process)?;
    if args.trials == 0 {
        bail!("--trials must be at least 1");
    }
    let duration = match args.duration {
        Some(seconds) if !(seconds.is_finite() && seconds > 0.0) => {
            bail!("--duration {seconds} must be a positive number of seconds")
        }
        Some(seconds) => Some(Duration::from_secs_f64(seconds)),
        None => None,
    };
    let requests = match (args.requests, duration) {
        (Some(0), _) => bail!("--requests must be at least 1"),
        (None, None) => Some(DEFAULT_REQUESTS),
        (requests, _) => requests,
    };

    let store = home.open_store().await?;
    let driven = driven(&args, home, &store).await?;
    let description = driven.target.describe();
    let choice = WorkloadChoice::from_args(&args, driven.capabilities)?;
    // Enough distinct requests for every planned run, so that no run repeats an earlier
    // run's prompts (a server's prompt cache would answer them from memory).
    let planned_runs = if args.search {
        (args.search_steps.max(1) + 2) * args.trials
    } else if args.sweep.is_some() {
        args.max_concurrency.max(1).ilog2() as usize + 1
    } else {
        points.len().max(1) * args.trials
    };
    let count = requests
        .map_or(DURATION_BOUND_REQUESTS, |requests| requests + args.warmup)
        .saturating_mul(planned_runs)
        .min(MOST_DISTINCT_REQUESTS);
    let workload = build_requests(
        &choice,
        &args,
        driven.model_path.as_deref(),
        driven.capabilities,
        count,
    )?;

    let metrics = MetricsOptions {
        itl: match args.itl {
            ItlArg::PerToken => ItlDefinition::PerToken,
            ItlArg::PerChunk => ItlDefinition::PerChunk,
        },
        warmup_requests: args.warmup,
        slo: per_request_slo(&objectives),
    };
    let settings = RunSettings {
        point: points
            .first()
            .copied()
            .unwrap_or(LoadPoint::Concurrency { concurrency: 1 }),
        requests,
        duration,
        warmup: args.warmup,
        seed: args.seed,
        metrics,
        first_request: 0,
    };
    let resources = if args.server_pid.is_some() || args.endpoint.endpoint.is_none() {
        Some(SamplerConfig {
            pid: args.server_pid,
            ..SamplerConfig::default()
        })
    } else {
        None
    };

    let created_at = Utc::now();
    let run_id = yardstick_store::new_run_id(created_at);
    let plan = json!({
        "target": description,
        "workload": workload.spec,
        "points": points,
        "sweep": args.sweep,
        "slo": objectives,
        "search": args.search,
        "trials": args.trials,
        "requests": requests,
        "duration_s": args.duration,
        "warmup": args.warmup,
        "seed": args.seed,
        "itl": settings.metrics.itl.as_str(),
        "stream": !args.no_stream,
    });
    // The machine measuring: for an endpoint the client, which the server may not share.
    let host = yardstick_bench::resources::Host::detect(None);
    let fingerprint = json!({
        "plan": plan,
        "host": host,
        "host_role": if args.endpoint.endpoint.is_some() { "client (the server may run elsewhere)" } else { "engine" },
        "workload_sha256": workload.digest,
        "tokenizer": workload.tokenizer,
        "model_sha256": driven.model_sha256,
        "yardstick_version": env!("CARGO_PKG_VERSION"),
    });
    let fingerprint_id =
        yardstick_core::sha256_hex(fingerprint.to_string().as_bytes())[..16].to_string();
    store
        .create_run(&NewRun {
            run_id: run_id.clone(),
            kind: RunKind::Bench,
            created_at,
            plan: plan.clone(),
            fingerprint: fingerprint.clone(),
            fingerprint_id: fingerprint_id.clone(),
        })
        .await?;

    // Every finished run is stored at once, so nothing measured is lost to a later failure.
    let (finished, mut to_store) = mpsc::unbounded_channel::<(PointResult, u64)>();
    let writer_store = store.clone();
    let threads = if args.endpoint.endpoint.is_some() {
        0
    } else {
        engine_settings(&args.engine).threads
    };
    let unit_fingerprint = unit_fingerprint(
        &description.model,
        driven.model_sha256.as_deref(),
        &description.details,
        &fingerprint_id,
        &workload,
        &args,
        threads,
    );
    let writer_run = run_id.clone();
    let writer = tokio::spawn(async move {
        let mut stored = Vec::new();
        while let Some((result, trial)) = to_store.recv().await {
            let unit = store_point(
                &writer_store,
                &writer_run,
                &unit_fingerprint,
                &result,
                trial,
            )
            .await;
            stored.push((result, unit));
        }
        stored
    });

    let cancel = CancellationToken::new();
    watch_ctrl_c(cancel.clone());
    let bench = Bench {
        target: driven.target,
        workload: Arc::new(workload.requests.clone()),
        settings,
        cancel: cancel.clone(),
        progress: Arc::new(BenchBars::new(quiet, finished)),
        resources,
        requests_sent: AtomicUsize::new(0),
        clock: Arc::new(SystemClock),
    };
    if !quiet {
        eprintln!(
            "bench {run_id}: {} {} ({}), {} distinct requests",
            description.kind,
            description.model,
            description.details,
            workload.requests.len()
        );
    }
    let outcome = drive(&bench, &args, &points, &objectives, process).await;
    drop(bench);
    let stored = writer.await.context("the result writer stopped")?;
    let mut results = Vec::new();
    for (result, unit) in stored {
        unit.with_context(|| format!("storing the results of {}", result.point))?;
        results.push(result);
    }
    let search_line = match outcome {
        Ok(line) => line,
        Err(error) => {
            store
                .set_run_status(&run_id, Status::Failed, Utc::now())
                .await?;
            return Err(error);
        }
    };
    let status = if cancel.is_cancelled() {
        Status::Interrupted
    } else {
        Status::Complete
    };
    store.set_run_status(&run_id, status, Utc::now()).await?;

    print_results(&results, &args, search_line.as_deref(), &run_id)?;
    if let Some(out) = &args.out {
        write_outputs(&results, out, args.plot_format)?;
    }
    Ok(if cancel.is_cancelled() {
        Outcome::Interrupted
    } else {
        Outcome::Success
    })
}

/// The explicit load points of the command line; empty for `--sweep auto` and `--search`.
fn load_points(args: &BenchArgs, process: ArrivalProcess) -> Result<Vec<LoadPoint>> {
    if args.search || args.sweep.is_some() {
        return Ok(Vec::new());
    }
    if !args.rate.is_empty() {
        return args
            .rate
            .iter()
            .map(|&rate| {
                if rate.is_finite() && rate > 0.0 {
                    Ok(LoadPoint::Rate { process, rate })
                } else {
                    bail!("--rate {rate} must be a positive number of requests per second")
                }
            })
            .collect();
    }
    let concurrencies = if args.concurrency.is_empty() {
        vec![1]
    } else {
        args.concurrency.clone()
    };
    concurrencies
        .into_iter()
        .map(|concurrency| {
            if concurrency == 0 {
                bail!("--concurrency values must be at least 1");
            }
            Ok(LoadPoint::Concurrency { concurrency })
        })
        .collect()
}

/// Per-request thresholds for goodput: each objective's limit applies to every request.
fn per_request_slo(objectives: &[SloObjective]) -> Slo {
    use yardstick_bench::sweep::SloMetric;
    let mut slo = Slo::default();
    for objective in objectives {
        let limit = Some(Duration::from_secs_f64(objective.limit_ms / 1000.0));
        match objective.metric {
            SloMetric::Ttft => slo.ttft = limit,
            SloMetric::Tpot => slo.tpot = limit,
            SloMetric::E2e => slo.e2e = limit,
            // ITL has no per-request value; it bounds the run only.
            SloMetric::Itl => {}
        }
    }
    slo
}

/// Runs the chosen mode; returns a line describing the SLO search's finding, if one ran.
async fn drive(
    bench: &Bench,
    args: &BenchArgs,
    points: &[LoadPoint],
    objectives: &[SloObjective],
    process: ArrivalProcess,
) -> Result<Option<String>> {
    if args.search {
        let search = SloSearch {
            objectives: objectives.to_vec(),
            process,
            high: args.rate_max,
            saturation_concurrency: args.max_concurrency,
            steps: args.search_steps,
            trials: args.trials,
            tolerance: 0.05,
        };
        let outcome = bench.slo_search(&search).await?;
        let slos = objectives
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let line = match (outcome.best_rate, outcome.lowest_failing_rate) {
            (Some(best), Some(failing)) => {
                format!("SLO search ({slos}): met at {best:.3} req/s, not at {failing:.3} req/s")
            }
            (Some(best), None) => {
                format!("SLO search ({slos}): met up to the top of the range, {best:.3} req/s")
            }
            (None, Some(failing)) => format!(
                "SLO search ({slos}): not met at any rate tried (lowest {failing:.3} req/s)"
            ),
            (None, None) => format!("SLO search ({slos}): interrupted before any rate was tried"),
        };
        return Ok(Some(line));
    }
    if args.sweep.is_some() {
        bench.auto_sweep(args.max_concurrency).await?;
        return Ok(None);
    }
    bench.sweep(points, args.trials).await?;
    Ok(None)
}
