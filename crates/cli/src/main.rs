//! The `yardstick` binary: parses arguments, builds plans, drives the runner, prints.

mod args;
mod commands;
mod progress;
mod render;

use anyhow::Result;
use args::{Cli, Command};
use clap::Parser;
use commands::Outcome;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("YARDSTICK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .with_writer(std::io::stderr)
        .init();
    match dispatch(cli).await {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::PartialFailure | Outcome::Regression) => ExitCode::from(1),
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn dispatch(cli: Cli) -> Result<Outcome> {
    let home = yardstick_runner::Home::resolve(cli.global.home.as_deref())?;
    let quiet = cli.global.quiet;
    match cli.command {
        Command::Models(command) => commands::models::run(command, &home, quiet).await,
        Command::Tasks(command) => commands::tasks::run(command, &home),
        Command::Eval(args) => commands::eval::run(args, &home, quiet).await,
        Command::ScoreCode(args) => commands::score_code::run(args, &home).await,
        Command::Profile(args) => commands::profile::run(args, &home, quiet).await,
        Command::Probe(args) => commands::probe::run(args).await,
        Command::Bench(args) => commands::bench::run(*args, &home, quiet).await,
        Command::Serve(args) => commands::serve::run(args, &home).await,
        Command::Leaderboard(args) => commands::leaderboard::run(args, &home).await,
        Command::Export(args) => commands::export::run(args, &home).await,
        Command::Runs(command) => commands::runs::run(command, &home).await,
        Command::Deployments(command) => commands::deployments::run(command, &home).await,
        Command::Report(args) => commands::report::run(args, &home, quiet).await,
        Command::Compare(args) => commands::compare::run(args, &home).await,
        Command::Regress(args) => commands::regress::run(args, &home).await,
        Command::Cost(args) => commands::cost::run(args, &home).await,
        Command::Recommend(args) => commands::recommend::run(args, &home).await,
    }
}
