//! `yardstick compare`: a paired, statistically honest comparison of two results.
//!
//! The selection of the two sides is `yardstick_evidence::selection`, the comparison
//! `yardstick_decide::compare`; this prints it.
//!
//! - Eval results (`--run A --run B` of eval runs, or `--model X --model Y` on each model's
//!   newest complete unit per task): per task present on both sides the candidate − baseline
//!   difference of the main metric on the items both have, its paired bootstrap interval,
//!   McNemar's exact test for 0/1 scores (else the paired t-test), Holm's correction across
//!   tasks and a better / worse / indistinguishable verdict; then a summary.
//! - `--deployment A --deployment B`: as `--model`, on each deployment's own eval units and
//!   bench runs (a model served two ways is two deployments).
//! - Bench results (`--run A --run B` of bench runs, or with `--model X --model Y` the newest
//!   pair of their bench runs with a comparable load point): per load point both ran, the difference
//!   of the p50/p90/p99 of TTFT, TPOT and end-to-end latency with a bootstrap interval over
//!   each side's measured requests, and the throughput of each side.
//!
//! Before anything is compared, the fingerprints are checked in the chosen `--mode`: a
//! difference that changes scores and is not the one the mode compares (other prompts,
//! few-shot, dataset, items) refuses that task, naming what differs.

use anyhow::{bail, Result};
use yardstick_decide::bootstrap::BootstrapSettings;
use yardstick_decide::compare::{compare, CompareOptions};
use yardstick_decide::views;
use yardstick_evidence::scores::GroupMembership;
use yardstick_evidence::selection::{comparison_sides, deployment_sides};
use yardstick_evidence::ComparisonMode;
use yardstick_runner::Home;

use super::Outcome;
use crate::args::{CompareArgs, Format};
use crate::render::print_blocks;

pub async fn run(args: CompareArgs, home: &Home) -> Result<Outcome> {
    let mode: ComparisonMode = args.mode.parse()?;
    let settings = BootstrapSettings {
        resamples: args.resamples,
        level: 0.95,
        seed: args.seed,
    };
    let store = home.open_store().await?;
    let sides = if args.deployments.is_empty() {
        comparison_sides(&store, &args.runs, &args.models, mode).await?
    } else {
        deployment_sides(&store, &args.deployments, mode).await?
    };
    let options = CompareOptions {
        mode,
        settings,
        alpha: args.alpha,
        groups: GroupMembership::builtin()?,
        subtasks: args.subtasks,
        categories: super::inputs::categories(args.categories.as_deref())?.0,
    };
    let comparison = compare(&sides, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&comparison)?);
    } else {
        print_blocks(&views::comparison(&comparison, args.alpha), Format::Table);
    }
    if comparison.is_empty() {
        bail!("nothing could be compared: {}", comparison.refusals_line());
    }
    Ok(Outcome::Success)
}
