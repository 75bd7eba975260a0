//! Prompts from any yardstick task (a built-in name, a group, or a task YAML file): each
//! item's rendered plain-text prompt, few-shot examples included, exactly as `eval` renders
//! it: the context of generation and multiple-choice items, the whole text of
//! rolling-loglikelihood items. A generation item's `max_gen_toks` is its output length.

use std::path::Path;

use yardstick_tasks::{ItemKind, Selection, TaskDefinition};

use crate::workload::WorkloadError;

/// One task item as a prompt.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskPrompt {
    /// `item 12 of arc_easy`.
    pub origin: String,
    pub prompt: String,
    /// The task's generation length for generation items.
    pub output_tokens: Option<u32>,
}

/// Every item of the tasks `task` names (a group gives all its leaves, in order), read from
/// `data_dir`; `num_fewshot` overrides the tasks' own; `seed` seeds few-shot sampling as
/// `eval --seed` does.
pub(crate) fn task_prompts(
    task: &str,
    data_dir: &Path,
    num_fewshot: Option<u64>,
    seed: u64,
) -> Result<Vec<TaskPrompt>, WorkloadError> {
    let failed = |source| WorkloadError::Task {
        task: task.to_string(),
        source,
    };
    let resolved = yardstick_tasks::resolve_spec(task).map_err(failed)?;
    let mut prompts = Vec::new();
    for leaf in resolved.tasks {
        let leaf: TaskDefinition = match num_fewshot {
            Some(shots) => leaf.with_num_fewshot(shots).map_err(failed)?,
            None => leaf,
        };
        let items = leaf
            .select_items(data_dir, &Selection::default(), seed)
            .map_err(failed)?;
        for item in items {
            let item = item.map_err(failed)?;
            let (prompt, output_tokens) = match item.kind {
                ItemKind::Generate { max_tokens, .. } => (item.context, Some(max_tokens)),
                ItemKind::Rolling { text } => (text, None),
                ItemKind::Choices | ItemKind::Loglikelihood => (item.context, None),
            };
            prompts.push(TaskPrompt {
                origin: format!("item {} of {}", item.index, leaf.name()),
                prompt,
                output_tokens,
            });
        }
    }
    Ok(prompts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_items_carry_their_length_and_choice_items_their_context() {
        let Some(data_dir) = yardstick_test_support::fixtures::require_datasets() else {
            return;
        };
        let gsm8k = task_prompts("gsm8k", &data_dir, Some(0), 1234).expect("gsm8k items");
        let first = &gsm8k[0];
        assert_eq!(first.origin, "item 0 of gsm8k");
        assert!(first.prompt.starts_with("Question: "), "{}", first.prompt);
        assert!(first.prompt.ends_with("Answer:"), "{}", first.prompt);
        assert_eq!(first.output_tokens, Some(256), "gsm8k's max_gen_toks");
        let arc = task_prompts("arc_easy", &data_dir, None, 1234).expect("arc_easy items");
        assert!(arc.len() > 100);
        assert!(arc.iter().all(|prompt| prompt.output_tokens.is_none()));
        assert!(arc[0].prompt.starts_with("Question: "), "{}", arc[0].prompt);
        let error = task_prompts("no_such_task", &data_dir, None, 1).expect_err("unknown");
        assert!(error.to_string().contains("no_such_task"), "{error}");
    }
}
