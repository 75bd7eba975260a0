//! `yardstick bench`: load-test a served model or the in-process engine, store every
//! request and the metrics of every load point, print the summary, write the report.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use anyhow::{Context, Result};
use chrono::Utc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use yardstick_bench::resources::{detect_host, SamplerConfig};
use yardstick_bench::{Bench, PointResult, SystemClock};
use yardstick_core::{BenchFingerprint, HostRole};
use yardstick_runner::{store_point, unit_fingerprint, Home};
use yardstick_store::{NewRun, Status};

mod output;
mod plan;
mod progress;
mod target;
mod workload;

use self::output::{print_results, search_line, write_outputs};
use self::plan::bench_plan;
use self::progress::BenchBars;
use self::target::driven;
use self::workload::build_requests;
use super::eval::watch_ctrl_c;
use super::{engine_settings, Outcome};
use crate::args::BenchArgs;

/// `yardstick bench`, step by step: plan, target, workload, run record, the bench with its
/// writer, final status, output (long because it is the command's whole sequence, each step
/// one call).
pub async fn run(args: BenchArgs, home: &Home, quiet: bool) -> Result<Outcome> {
    let plan = bench_plan(&args)?;
    let store = home.open_store().await?;
    let driven = driven(&args, home, &store).await?;
    let plan = plan.with_forced_lengths(driven.capabilities.forces_length);
    let description = driven.target.describe();
    let workload = build_requests(
        &plan.workload,
        args.tokenizer.as_deref(),
        driven.model_path.as_deref(),
        driven.capabilities,
        plan.distinct_requests(),
    )?;
    let resources = if args.server_pid.is_some() || args.endpoint.endpoint.is_none() {
        Some(SamplerConfig {
            pid: args.server_pid,
            ..SamplerConfig::default()
        })
    } else {
        None
    };

    let deployment = yardstick_runner::deployment::record(
        &store,
        &driven.deployment,
        args.deployment.deployment.as_deref(),
    )
    .await?;
    let (run_id, fingerprint_id) =
        create_run(&store, &args, &plan, &description, &workload, &driven).await?;

    // Every finished run is stored at once, so nothing measured is lost to a later failure.
    let (finished, to_store) = mpsc::unbounded_channel::<(PointResult, u64)>();
    let threads = if args.endpoint.endpoint.is_some() {
        0
    } else {
        engine_settings(&args.engine).threads
    };
    let unit_fingerprint = unit_fingerprint(
        &description,
        driven.model_sha256.as_deref(),
        &fingerprint_id,
        &workload,
        // `--requests` as given (not the default filled in): what units have always
        // recorded, so a defaulted run stays comparable with earlier ones.
        args.requests,
        plan.seed,
        threads,
    );
    let writer = spawn_writer(
        store.clone(),
        run_id.clone(),
        unit_fingerprint,
        deployment.deployment_id.clone(),
        to_store,
    );

    let cancel = CancellationToken::new();
    watch_ctrl_c(cancel.clone());
    let bench = Bench {
        target: driven.target,
        workload: Arc::new(workload.requests.clone()),
        plan,
        cancel: cancel.clone(),
        progress: Arc::new(BenchBars::new(quiet, finished)),
        resources,
        requests_sent: AtomicUsize::new(0),
        clock: Arc::new(SystemClock),
    };
    if !quiet {
        eprintln!(
            "bench {run_id}: {} {} ({}), {} distinct requests; deployment {}",
            description.kind,
            description.model,
            description.details,
            workload.requests.len(),
            deployment.name
        );
    }
    let outcome = bench.execute().await.map(|outcome| {
        outcome
            .slo
            .map(|found| search_line(&found, &bench.plan.objectives))
    });
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
            return Err(error.into());
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

/// Creates the bench run with its typed fingerprint (the plan's record, the measuring
/// machine, the workload digest and tokenizer, the model's sha256); its id and fingerprint id.
async fn create_run(
    store: &yardstick_store::Store,
    args: &BenchArgs,
    plan: &yardstick_bench::BenchPlan,
    description: &yardstick_bench::TargetDescription,
    workload: &yardstick_runner::BuiltWorkload,
    driven: &target::Driven,
) -> Result<(String, String)> {
    let created_at = Utc::now();
    let run_id = yardstick_store::new_run_id(created_at);
    // The machine measuring: for an endpoint the client, which the server may not share.
    let fingerprint = BenchFingerprint {
        plan: plan.record(description.clone(), !args.no_stream)?,
        host: Some(detect_host(None)),
        host_role: Some(if args.endpoint.endpoint.is_some() {
            HostRole::Client
        } else {
            HostRole::Engine
        }),
        workload_sha256: Some(workload.digest.clone()),
        tokenizer: workload.tokenizer.clone(),
        model_sha256: driven.model_sha256.clone(),
        yardstick_version: Some(env!("CARGO_PKG_VERSION").to_string()),
    };
    let fingerprint_id = fingerprint.id();
    store
        .create_run(&NewRun::bench(run_id.clone(), created_at, &fingerprint)?)
        .await?;
    Ok((run_id, fingerprint_id))
}

/// The task that stores each finished run as it arrives; it returns every run with the
/// outcome of storing it.
fn spawn_writer(
    store: yardstick_store::Store,
    run_id: String,
    unit_fingerprint: yardstick_core::Fingerprint,
    deployment_id: String,
    mut to_store: mpsc::UnboundedReceiver<(PointResult, u64)>,
) -> tokio::task::JoinHandle<Vec<(PointResult, Result<(), yardstick_runner::RunnerError>)>> {
    tokio::spawn(async move {
        let mut stored = Vec::new();
        while let Some((result, trial)) = to_store.recv().await {
            let unit = store_point(
                &store,
                &run_id,
                &unit_fingerprint,
                &deployment_id,
                &result,
                trial,
            )
            .await;
            stored.push((result, unit));
        }
        stored
    })
}
