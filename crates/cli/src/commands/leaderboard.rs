//! `yardstick leaderboard`: models × tasks from the most recent complete result of each
//! (deployment, task) — a row per model, or per deployment where a model has several —, groups (e.g. `mmlu`) aggregated from their leaves as lm-eval does, plus the
//! latest speed profile of each model, then each model's category scores (weighted means of
//! task scores). The cells come from `yardstick_evidence::scores`, the ranking and categories
//! from `yardstick_decide::leaderboard`, the view from `yardstick_decide::views`.

use anyhow::Result;
use yardstick_decide::leaderboard::Leaderboard;
use yardstick_decide::views;
use yardstick_evidence::gather;
use yardstick_evidence::scores::{quality_cells, rows_and_speed_by_deployment, top_level_groups};
use yardstick_runner::Home;

use super::Outcome;
use crate::args::{Format, LeaderboardArgs};
use crate::render::print_blocks;

pub async fn run(args: LeaderboardArgs, home: &Home) -> Result<Outcome> {
    let store = home.open_store().await?;
    let names = store
        .deployments()
        .await?
        .into_iter()
        .map(|deployment| (deployment.deployment_id, deployment.name))
        .collect();
    let (units, speed) = rows_and_speed_by_deployment(
        store.latest_deployment_units().await?,
        gather::profile_records(&store).await?,
        &names,
    );
    let cells = quality_cells(units, &top_level_groups()?, &args.tasks);
    let (categories, categories_source) = super::inputs::categories(args.categories.as_deref())?;
    let leaderboard = Leaderboard::new(cells, speed, &categories);
    if args.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&leaderboard)?);
    } else {
        print_blocks(
            &views::leaderboard(&leaderboard, &categories_source),
            args.format,
        );
    }
    Ok(Outcome::Success)
}
