//! `yardstick tasks list`.

use super::Outcome;
use crate::args::TasksCommand;
use crate::render::Table;
use anyhow::Result;

pub fn run(command: TasksCommand) -> Result<Outcome> {
    match command {
        TasksCommand::List { format } => {
            let mut table = Table::new(&["name", "kind", "subtasks"]);
            for entry in yardstick_tasks::list()? {
                let subtasks = match entry.kind {
                    yardstick_tasks::EntryKind::Task => 1,
                    _ => yardstick_tasks::resolve(&entry.name)?.tasks.len(),
                };
                // Hide the 57 MMLU subjects from the default listing's noise? No: list all,
                // they are valid names; users filter with grep.
                table.push(vec![
                    entry.name,
                    entry.kind.as_str().to_string(),
                    subtasks.to_string(),
                ]);
            }
            println!("{}", table.render(format));
        }
    }
    Ok(Outcome::Success)
}
