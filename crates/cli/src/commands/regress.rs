//! `yardstick regress --baseline RUN --candidate RUN [--threshold METRIC=PCT%]…`: a
//! regression verdict for CI pipelines.
//!
//! Metrics judged: for eval runs, every task's main metric on the items both runs scored
//! (`TASK.METRIC`, higher is better, paired bootstrap); for bench runs, the p50 and p99 of
//! TTFT, TPOT and end-to-end latency at each load point both ran (`ttft_ms.p99@c=4#0`, lower
//! is better, bootstrap of the percentile difference). A metric regresses when it is worse
//! than its threshold (default 5% relative) *and* the 95% interval of the change lies wholly
//! on the worse side ([`yardstick_decide::regress`]). A threshold names a metric exactly, or
//! a prefix of it up to `.` or `@` (`arc_easy=2%`, `ttft_ms.p99=10%` for every load point).
//!
//! Exit status: 0 pass, 1 regression, 2 error (nothing comparable, bad flags). With
//! `--webhook URL` the report is POSTed as JSON, retried with exponential backoff; a failed
//! notification is reported on stderr and does not change the verdict's exit status.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use yardstick_decide::bootstrap::BootstrapSettings;
use yardstick_decide::comparable::ComparisonMode;
use yardstick_decide::regress::{
    evaluate, MetricInput, Observations, RegressionReport, Status, Threshold,
};
use yardstick_store::RunKind;

use super::compare::{comparable_latencies, pair_benches, pair_evals, Pairing, Refusal};
use super::evidence;
use super::Outcome;
use crate::args::{Format, RegressArgs};
use crate::home::Home;
use crate::render::Table;

/// What `regress` prints with `--json` and posts to the webhook.
#[derive(Debug, Serialize)]
pub struct RegressionOutput {
    pub baseline: String,
    pub candidate: String,
    pub mode: String,
    pub verdict: &'static str,
    pub report: RegressionReport,
    pub refused: Vec<Refusal>,
    pub notes: Vec<String>,
}

pub async fn run(args: RegressArgs, home: &Home) -> Result<Outcome> {
    let mode: ComparisonMode = args.mode.parse()?;
    let thresholds = args
        .thresholds
        .iter()
        .map(|text| text.parse::<Threshold>())
        .collect::<Result<Vec<_>, _>>()?;
    let settings = BootstrapSettings {
        resamples: args.resamples,
        level: 0.95,
        seed: args.seed,
    };
    let store = home.open_store().await?;
    let baseline = evidence::run_by_id(&store, "--baseline", &args.baseline).await?;
    let candidate = evidence::run_by_id(&store, "--candidate", &args.candidate).await?;
    if baseline.kind != candidate.kind {
        bail!(
            "--baseline {} is a {} run and --candidate {} a {} run; give two eval runs or two bench runs",
            baseline.run_id,
            baseline.kind.as_str(),
            candidate.run_id,
            candidate.kind.as_str()
        );
    }
    let (metrics, refused, notes) = match baseline.kind {
        RunKind::Eval => {
            let left = evidence::eval_units(&store, &baseline).await?;
            let right = evidence::eval_units(&store, &candidate).await?;
            let Pairing {
                pairs,
                refused,
                notes,
            } = pair_evals(&left, &right, mode);
            let metrics = pairs
                .into_iter()
                .map(|pair| MetricInput {
                    name: format!("{}.{}", pair.task, pair.metric),
                    // Per-item means (accuracy, exact match, pass@1): higher is better.
                    // Weighted metrics such as perplexity have no per-item values here.
                    higher_is_better: true,
                    observations: Observations::PairedItems {
                        baseline: pair.baseline,
                        candidate: pair.candidate,
                    },
                })
                .collect();
            (metrics, refused, notes)
        }
        RunKind::Bench => {
            let left = evidence::bench_units(&store, &baseline).await?;
            let right = evidence::bench_units(&store, &candidate).await?;
            let Pairing {
                pairs,
                refused,
                mut notes,
            } = pair_benches(&left, &right, mode);
            let mut metrics = Vec::new();
            for (left, right) in pairs {
                for (metric, left_samples, right_samples) in
                    comparable_latencies(left, right, &mut notes, "judged")
                {
                    for q in [50.0, 99.0] {
                        metrics.push(MetricInput {
                            name: format!("{metric}.p{q}@{}", left.point),
                            higher_is_better: false,
                            observations: Observations::Percentile {
                                baseline: left_samples.to_vec(),
                                candidate: right_samples.to_vec(),
                                q,
                            },
                        });
                    }
                }
                notes.push(format!(
                    "{}: throughput is one measurement per run (no interval); compare it with `yardstick compare`",
                    left.point
                ));
            }
            (metrics, refused, notes)
        }
        other => bail!(
            "--baseline {}: {} runs have no metrics to judge",
            baseline.run_id,
            other.as_str()
        ),
    };
    if metrics.is_empty() {
        bail!(
            "nothing comparable between {} and {}: {}",
            baseline.run_id,
            candidate.run_id,
            refused
                .iter()
                .map(|refusal| format!("{} ({})", refusal.task, refusal.differences.join("; ")))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let thresholds = expand(&thresholds, &metrics)?;
    let report = evaluate(&metrics, &thresholds, &settings)?;
    let output = RegressionOutput {
        baseline: baseline.run_id.clone(),
        candidate: candidate.run_id.clone(),
        mode: mode.as_str().to_string(),
        verdict: report.verdict,
        report,
        refused,
        notes,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&output)?);
    } else {
        print(&output);
    }
    if let Some(url) = &args.webhook {
        if let Err(error) = notify(url, &output, args.webhook_retries).await {
            eprintln!("error: {error:#}");
        }
    }
    Ok(if output.report.is_regression() {
        Outcome::Regression
    } else {
        Outcome::Success
    })
}

/// One exact threshold per metric a threshold names (exactly, or as a prefix up to `.` or
/// `@`); a threshold naming no metric is refused with the valid names.
fn expand(thresholds: &[Threshold], metrics: &[MetricInput]) -> Result<Vec<Threshold>> {
    let mut exact: Vec<Threshold> = Vec::new();
    for threshold in thresholds {
        let matching: Vec<&MetricInput> = metrics
            .iter()
            .filter(|metric| {
                metric.name == threshold.metric
                    || metric
                        .name
                        .strip_prefix(&threshold.metric)
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('@'))
            })
            .collect();
        if matching.is_empty() {
            bail!(
                "--threshold {}={}%: no metric named {}; the metrics are {}",
                threshold.metric,
                threshold.relative_percent,
                threshold.metric,
                metrics
                    .iter()
                    .map(|metric| metric.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for metric in matching {
            // A more specific threshold given later wins over a prefix given earlier.
            exact.retain(|existing| existing.metric != metric.name);
            exact.push(Threshold {
                metric: metric.name.clone(),
                relative_percent: threshold.relative_percent,
            });
        }
    }
    Ok(exact)
}

fn print(output: &RegressionOutput) {
    println!(
        "baseline {} → candidate {} ({} mode)",
        output.baseline, output.candidate, output.mode
    );
    let mut table = Table::new(&[
        "metric",
        "baseline",
        "candidate",
        "change",
        "95% CI",
        "relative",
        "threshold",
        "status",
    ]);
    for metric in &output.report.metrics {
        table.push(vec![
            metric.name.clone(),
            format!("{:.4}", metric.baseline),
            format!("{:.4}", metric.candidate),
            format!("{:+.4}", metric.change),
            format!(
                "[{:+.4}, {:+.4}]",
                metric.interval.low, metric.interval.high
            ),
            metric
                .relative_change_percent
                .map_or_else(|| "n/a".to_string(), |percent| format!("{percent:+.2}%")),
            format!("{}%", metric.threshold_percent),
            match metric.status {
                Status::Regressed => "REGRESSED",
                Status::Inconclusive => "inconclusive",
                Status::Unchanged => "unchanged",
                Status::Improved => "improved",
            }
            .to_string(),
        ]);
    }
    println!("{}", table.render(Format::Table));
    for refusal in &output.refused {
        println!(
            "refused {}: {}",
            refusal.task,
            refusal.differences.join("; ")
        );
    }
    for note in &output.notes {
        println!("note: {note}");
    }
    println!("verdict: {}", output.verdict);
}

/// POSTs the report to `url`, retrying failures (connection errors and non-2xx answers)
/// `retries` times with backoff 0.5 s, 1 s, 2 s, …
async fn notify(url: &str, output: &RegressionOutput, retries: u32) -> Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .context("building the webhook client")?;
    let mut last_error = String::new();
    for attempt in 0..=retries {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500 * (1 << (attempt - 1).min(6)))).await;
        }
        match client.post(url).json(output).send().await {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => last_error = format!("the server answered {}", response.status()),
            Err(error) => last_error = error.to_string(),
        }
    }
    bail!(
        "--webhook {url}: the notification failed after {} attempt(s): {last_error}",
        retries + 1
    )
}
