//! `yardstick bench`'s flags raised into a [`BenchPlan`], once: every value parsed and
//! checked (errors name the flag), every default filled, the mode decided. Nothing after
//! this reads a flag to decide what the bench does.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use yardstick_bench::SloSearch;
use yardstick_bench::{BenchMode, BenchPlan, LoadPoint, SloObjective};
use yardstick_load::{ArrivalProcess, ItlDefinition};

use super::workload::workload_spec;
use crate::args::{BenchArgs, ItlArg};

/// The plan the flags describe. The workload asks for forced output lengths unless
/// `--allow-eos`; [`BenchPlan::with_forced_lengths`] drops them for a target that cannot.
pub fn bench_plan(args: &BenchArgs) -> Result<BenchPlan> {
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
    let mode = mode(args, process)?;
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
        (None, None) => Some(BenchPlan::DEFAULT_REQUESTS),
        (requests, _) => requests,
    };
    let plan = BenchPlan {
        mode,
        requests,
        duration,
        warmup: args.warmup,
        trials: args.trials,
        seed: args.seed,
        itl: match args.itl {
            ItlArg::PerToken => ItlDefinition::PerToken,
            ItlArg::PerChunk => ItlDefinition::PerChunk,
        },
        objectives,
        workload: workload_spec(args)?,
    };
    plan.validate()?;
    Ok(plan)
}

/// `--search`, else `--sweep auto`, else the explicit points (`--rate`, else
/// `--concurrency`, else concurrency 1).
fn mode(args: &BenchArgs, process: ArrivalProcess) -> Result<BenchMode> {
    if (args.search || args.sweep.is_some()) && args.max_concurrency == 0 {
        bail!("--max-concurrency must be at least 1");
    }
    if args.search {
        return Ok(BenchMode::SloSearch(SloSearch {
            process,
            high: args.rate_max,
            saturation_concurrency: args.max_concurrency,
            steps: args.search_steps,
            tolerance: SloSearch::DEFAULT_TOLERANCE,
        }));
    }
    if args.sweep.is_some() {
        return Ok(BenchMode::AutoSweep {
            max_concurrency: args.max_concurrency,
        });
    }
    Ok(BenchMode::Points {
        points: load_points(args, process)?,
    })
}

/// The explicit load points of the command line.
fn load_points(args: &BenchArgs, process: ArrivalProcess) -> Result<Vec<LoadPoint>> {
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::args::{Cli, Command};

    fn plan(flags: &[&str]) -> Result<BenchPlan> {
        let mut argv = vec!["yardstick", "bench"];
        argv.extend_from_slice(flags);
        let cli = Cli::try_parse_from(argv).expect("the flags parse");
        let Command::Bench(args) = cli.command else {
            panic!("not a bench command");
        };
        bench_plan(&args)
    }

    #[test]
    fn the_flags_decide_the_mode_once() {
        let points = plan(&["--concurrency", "1,4", "--trials", "2"]).expect("valid");
        assert_eq!(
            points.mode,
            BenchMode::Points {
                points: vec![
                    LoadPoint::Concurrency { concurrency: 1 },
                    LoadPoint::Concurrency { concurrency: 4 }
                ]
            }
        );
        assert_eq!(points.trials, 2);
        let rates = plan(&["--rate", "2.5", "--arrivals", "constant"]).expect("valid");
        assert_eq!(
            rates.mode,
            BenchMode::Points {
                points: vec![LoadPoint::Rate {
                    process: ArrivalProcess::Constant,
                    rate: 2.5
                }]
            }
        );
        let sweep = plan(&["--sweep", "auto", "--max-concurrency", "8"]).expect("valid");
        assert_eq!(sweep.mode, BenchMode::AutoSweep { max_concurrency: 8 });
        let search =
            plan(&["--slo", "ttft:p99<=500", "--search", "--rate-max", "30"]).expect("valid");
        let BenchMode::SloSearch(found) = &search.mode else {
            panic!("{:?}", search.mode);
        };
        assert_eq!(found.high, Some(30.0));
        assert_eq!(found.process, ArrivalProcess::Poisson);
        assert_eq!(search.objectives.len(), 1);
    }

    #[test]
    fn every_default_is_filled() {
        let plan = plan(&[]).expect("valid");
        assert_eq!(
            plan.mode,
            BenchMode::Points {
                points: vec![LoadPoint::Concurrency { concurrency: 1 }]
            }
        );
        assert_eq!(plan.requests, Some(BenchPlan::DEFAULT_REQUESTS));
        assert_eq!((plan.duration, plan.warmup, plan.trials), (None, 10, 1));
        assert_eq!(plan.itl, ItlDefinition::PerToken);
        assert!(plan.workload.ignore_eos && plan.workload.min_tokens);
        let bounded = super::tests::plan(&["--duration", "30", "--allow-eos"]).expect("valid");
        assert_eq!(bounded.requests, None);
        assert_eq!(bounded.duration, Some(Duration::from_secs(30)));
        assert!(!bounded.workload.ignore_eos && !bounded.workload.min_tokens);
    }

    #[test]
    fn bad_flags_are_named() {
        for (flags, expected) in [
            (vec!["--rate=-2"], "--rate -2"),
            (vec!["--concurrency", "0"], "--concurrency values"),
            (vec!["--trials", "0"], "--trials"),
            (vec!["--duration", "0"], "--duration 0"),
            (vec!["--requests", "0"], "--requests"),
            (vec!["--arrivals", "gamma:0"], "--arrivals gamma:0"),
            (vec!["--slo", "ttft:p1<=3"], "--slo"),
            (
                vec!["--sweep", "auto", "--max-concurrency", "0"],
                "--max-concurrency",
            ),
            (vec!["--input-tokens", "many"], "--input-tokens"),
        ] {
            let error = plan(&flags).expect_err(expected);
            assert!(
                format!("{error:#}").contains(expected),
                "{flags:?}: {error:#}"
            );
        }
    }
}
