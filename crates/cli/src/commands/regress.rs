//! `yardstick regress --baseline RUN --candidate RUN [--threshold METRIC=PCT%]…`: a
//! regression verdict for CI pipelines.
//!
//! The runs are read by `yardstick_evidence::selection`, judged by
//! `yardstick_decide::regression`; this prints the verdict and posts it.
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
use yardstick_decide::bootstrap::BootstrapSettings;
use yardstick_decide::regress::Threshold;
use yardstick_decide::regression::{regress, RegressionOutput};
use yardstick_decide::views;
use yardstick_evidence::selection::regression_sides;
use yardstick_evidence::ComparisonMode;
use yardstick_runner::Home;

use super::Outcome;
use crate::args::{Format, RegressArgs};
use crate::render::print_blocks;

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
    let sides = regression_sides(&store, &args.baseline, &args.candidate).await?;
    let output = regress(&sides, &thresholds, mode, &settings)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&output)?);
    } else {
        print_blocks(&views::regression(&output), Format::Table);
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
