//! `yardstick tasks list | show | validate`.

use super::Outcome;
use crate::args::TasksCommand;
use crate::render::Table;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use yardstick_runner::Home;
use yardstick_tasks::{ItemKind, TaskDefinition, TaskItem, TaskRegistry};

pub fn run(command: TasksCommand, home: &Home) -> Result<Outcome> {
    match command {
        TasksCommand::List { format } => {
            let mut table = Table::new(&["name", "kind", "output", "subtasks", "category"]);
            let categories = yardstick_decide::categories::Categories::builtin()?;
            let entries = yardstick_tasks::list()?;
            // The groups each task belongs to (mmlu_anatomy → mmlu_other → mmlu).
            let mut member_of: std::collections::BTreeMap<String, Vec<String>> =
                std::collections::BTreeMap::new();
            for entry in &entries {
                if entry.kind != yardstick_tasks::EntryKind::Group {
                    continue;
                }
                for task in yardstick_tasks::resolve(&entry.name)?.tasks {
                    member_of
                        .entry(task.name().to_string())
                        .or_default()
                        .push(entry.name.clone());
                }
            }
            for entry in entries {
                let resolved = yardstick_tasks::resolve(&entry.name)?;
                let output = match entry.kind {
                    yardstick_tasks::EntryKind::Task => resolved
                        .tasks
                        .first()
                        .map(|task| task.config().output_type.to_string())
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                let groups = member_of.get(&entry.name).cloned().unwrap_or_default();
                let category = categories.of_task(&entry.name, &groups).join(", ");
                table.push(vec![
                    entry.name,
                    entry.kind.as_str().to_string(),
                    output,
                    resolved.tasks.len().to_string(),
                    category,
                ]);
            }
            println!("{}", table.render(format));
            Ok(Outcome::Success)
        }
        TasksCommand::Show {
            task,
            examples,
            data_dir,
        } => {
            let data_dir = data_dir.unwrap_or_else(|| home.root.join("datasets"));
            show(&task, examples, &data_dir)
        }
        TasksCommand::Validate { file, data_dir } => validate(&file, data_dir.as_deref()),
    }
}

fn show(spec: &str, examples: u64, data_dir: &Path) -> Result<Outcome> {
    let resolved = yardstick_tasks::resolve_spec(spec)?;
    if resolved.tasks.len() != 1 {
        let names: Vec<&str> = resolved.tasks.iter().map(TaskDefinition::name).collect();
        println!(
            "{spec} is a group or tag of {} tasks: {}\nshow one of them, e.g. `yardstick tasks show {}`",
            names.len(),
            names.join(", "),
            names.first().copied().unwrap_or_default()
        );
        return Ok(Outcome::Success);
    }
    let task = &resolved.tasks[0];
    println!("# task {} ({})", task.name(), task.origin());
    println!("# resolved config (after includes):");
    let yaml = serde_yaml_ng::to_string(task.resolved()).context("printing the config")?;
    println!("{yaml}");
    let metrics: Vec<String> = task
        .metrics()?
        .iter()
        .map(|metric| format!("{} ({})", metric.name, metric.aggregation.as_str()))
        .collect();
    println!("# output_type: {}", task.config().output_type);
    println!("# metrics: {}", metrics.join(", "));
    println!("# few-shot examples: {}", task.num_fewshot());
    let items = task
        .items(data_dir, Some(examples))
        .with_context(|| format!("reading {} from {}", task.name(), data_dir.display()))?;
    for item in items {
        print_item(&item?);
    }
    Ok(Outcome::Success)
}

fn print_item(item: &TaskItem) {
    println!(
        "\n===== item {}{} =====",
        item.index,
        item.id
            .as_deref()
            .map(|id| format!(" (id {id})"))
            .unwrap_or_default()
    );
    match &item.kind {
        ItemKind::Choices | ItemKind::Loglikelihood => {
            let contexts: Vec<&str> = item
                .request
                .pairs
                .iter()
                .map(|pair| pair.context.as_str())
                .collect();
            let shared = contexts.windows(2).all(|pair| pair[0] == pair[1]);
            if shared {
                println!("--- context ---\n{}", item.context);
                for (index, pair) in item.request.pairs.iter().enumerate() {
                    let gold = if index == item.gold { "  <- gold" } else { "" };
                    println!("--- continuation {index}: {:?}{gold}", pair.continuation);
                }
            } else {
                for (index, pair) in item.request.pairs.iter().enumerate() {
                    let gold = if index == item.gold { "  <- gold" } else { "" };
                    println!("--- context {index}{gold} ---\n{}", pair.context);
                    println!("--- continuation: {:?}", pair.continuation);
                }
            }
        }
        ItemKind::Rolling { text } => println!("--- scored text ---\n{text}"),
        ItemKind::Generate {
            until,
            max_tokens,
            sampling,
            repeats,
        } => {
            println!("--- prompt ---\n{}", item.context);
            println!(
                "--- generation: until {until:?}, at most {max_tokens} tokens, {}, {repeats} repeat(s)",
                match sampling {
                    None => "greedy".to_string(),
                    Some(sampling) => format!("sampled at temperature {}", sampling.temperature),
                }
            );
            println!("--- references: {:?}", item.references);
        }
    }
    if !item.fewshot.is_empty() {
        println!("--- few-shot docs: {:?}", item.fewshot);
    }
}

fn validate(file: &Path, data_dir: Option<&Path>) -> Result<Outcome> {
    if !file.is_file() {
        bail!("{}: no such file", file.display());
    }
    let mut registry = TaskRegistry::new();
    registry.add_file(file)?;
    let entries = registry.entries();
    if entries.is_empty() {
        bail!(
            "{}: defines no task or group (no `task:` or `group:` key)",
            file.display()
        );
    }
    let resolved = yardstick_tasks::resolve_spec(&file.display().to_string())?;
    for task in &resolved.tasks {
        task.check_supported()?;
        let metrics: Vec<String> = task.metrics()?.iter().map(|m| m.name.clone()).collect();
        println!(
            "ok: task {} ({}, metrics: {}, {} few-shot)",
            task.name(),
            task.config().output_type,
            metrics.join(", "),
            task.num_fewshot()
        );
        if let Some(data_dir) = data_dir.map(PathBuf::from) {
            let mut items = task.items(&data_dir, Some(1))?;
            match items.next() {
                Some(item) => {
                    let item = item?;
                    println!(
                        "   first item renders ({} characters of prompt)",
                        item.context.len()
                    );
                }
                None => println!("   the evaluation split has no items"),
            }
        }
    }
    for group in &resolved.groups {
        println!("ok: group {}", group.name());
    }
    Ok(Outcome::Success)
}
