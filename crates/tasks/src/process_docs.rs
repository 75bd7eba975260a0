//! `process_docs` hooks written in Rust. lm-eval runs Python functions here
//! (`process_docs: !function utils.process_docs`); yardstick cannot, so a config names one
//! of these instead, with the same tag and the module `yardstick`:
//!
//! ```yaml
//! process_docs: !function yardstick.hellaswag
//! ```
//!
//! The built-in ones read the datasets in their *original* published layouts (what is in the
//! data directory) and return docs shaped like the Hugging Face datasets lm-eval's templates
//! were written for, plus whatever lm-eval's own `process_docs` adds (HellaSwag). A hook sees
//! one record at a time (so nothing holds the dataset in memory), may drop it (MMLU keeps
//! the records of one subject), and may read further files named in `data_files` (PIQA's
//! labels).

mod advbench;
mod arc;
mod bbq;
mod boolq;
mod fields;
mod hellaswag;
mod mbpp;
mod mmlu;
mod piqa;
mod truthfulqa;

pub use hellaswag::hellaswag_preprocess;

use crate::dataset::RawRecord;
use crate::error::TaskError;
use advbench::AdvBench;
use arc::Arc;
use bbq::{Bbq, Contexts};
use boolq::BoolQ;
use hellaswag::HellaSwag;
use mbpp::MbppTest;
use mmlu::Mmlu;
use piqa::Piqa;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;
use truthfulqa::{TruthfulQaGen, TruthfulQaGenHub, TruthfulQaMc};

/// The module name of yardstick's hooks in `!function yardstick.<name>`.
pub const MODULE: &str = "yardstick";

/// What a hook is created with.
#[derive(Debug, Clone, Copy)]
pub struct HookContext<'a> {
    pub task: &'a str,
    pub dataset_name: Option<&'a str>,
    pub data_dir: &'a Path,
    pub data_files: &'a BTreeMap<String, Vec<String>>,
}

/// Converts records into docs, one at a time, in dataset order.
pub trait DocProcessor: Send {
    /// The doc for `record`, `Ok(None)` to drop the record, or what is wrong with it.
    fn process(&mut self, record: RawRecord) -> Result<Option<Map<String, Value>>, String>;
}

/// What a hook does to docs read from the Hugging Face hub, which are already in the layout
/// the hub dataset has (the layout lm-eval's templates were written for).
#[derive(Debug, Clone, Copy)]
pub enum OnHub {
    /// Nothing: the hook only converts the local file's original layout.
    Skip,
    /// The same hook (it accepts the hub layout too).
    Same,
    /// Another hook, for the hub layout.
    Other(fn(&HookContext<'_>) -> Result<Box<dyn DocProcessor>, TaskError>),
}

/// A registered hook.
#[derive(Debug, Clone, Copy)]
pub struct Hook {
    /// The name after `yardstick.`.
    pub name: &'static str,
    /// What the hook expects and returns.
    pub summary: &'static str,
    /// `data_files` keys the hook reads besides the evaluation split.
    pub extra_files: &'static [&'static str],
    /// What it does for hub data.
    pub on_hub: OnHub,
    create: fn(&HookContext<'_>) -> Result<Box<dyn DocProcessor>, TaskError>,
}

impl Hook {
    pub fn create(&self, context: &HookContext<'_>) -> Result<Box<dyn DocProcessor>, TaskError> {
        (self.create)(context)
    }

    /// The processor for docs from the hub, if the hook has anything to do with them.
    pub fn create_for_hub(
        &self,
        context: &HookContext<'_>,
    ) -> Result<Option<Box<dyn DocProcessor>>, TaskError> {
        match self.on_hub {
            OnHub::Skip => Ok(None),
            OnHub::Same => self.create(context).map(Some),
            OnHub::Other(create) => create(context).map(Some),
        }
    }
}

pub const HOOKS: &[Hook] = &[
    Hook {
        name: "arc",
        summary: "ARC jsonl (question.stem, question.choices[{text,label}], answerKey) -> allenai/ai2_arc",
        extra_files: &[],
        on_hub: OnHub::Skip,
        create: |_| Ok(Box::new(Arc { stem_key: "question" })),
    },
    Hook {
        name: "openbookqa",
        summary: "OpenBookQA main jsonl (same layout as ARC) -> allenai/openbookqa main (question_stem)",
        extra_files: &[],
        on_hub: OnHub::Skip,
        create: |_| Ok(Box::new(Arc { stem_key: "question_stem" })),
    },
    Hook {
        name: "boolq",
        summary: "BoolQ jsonl (question, title, passage, answer: bool) -> super_glue boolq (passage = title + ' -- ' + passage, label 0/1, idx)",
        extra_files: &[],
        on_hub: OnHub::Skip,
        create: |_| Ok(Box::new(BoolQ { index: 0 })),
    },
    Hook {
        name: "piqa",
        summary: "PIQA jsonl (goal, sol1, sol2) + the `labels` data file, one 0/1 per line -> baber/piqa (label)",
        extra_files: &["labels"],
        on_hub: OnHub::Skip,
        create: Piqa::create,
    },
    Hook {
        name: "hellaswag",
        summary: "HellaSwag jsonl -> Rowan/hellaswag (label as text), then lm-eval's hellaswag process_docs (query, choices, gold)",
        extra_files: &[],
        on_hub: OnHub::Same,
        create: |_| Ok(Box::new(HellaSwag)),
    },
    Hook {
        name: "mmlu",
        summary: "MMLU jsonl of all subjects (question, subject, choices, answer) -> cais/mmlu, keeping the subject named by dataset_name",
        extra_files: &[],
        on_hub: OnHub::Skip,
        create: Mmlu::create,
    },
    Hook {
        name: "truthfulqa_mc",
        summary: "TruthfulQA mc_task.json (question, mc1_targets/mc2_targets: {answer: 0/1}) -> truthful_qa multiple_choice ({choices, labels})",
        extra_files: &[],
        on_hub: OnHub::Skip,
        create: |_| Ok(Box::new(TruthfulQaMc)),
    },
    Hook {
        name: "truthfulqa_gen",
        summary: "TruthfulQA.csv -> truthful_qa generation (answers split at ';'), then lm-eval's process_docs_gen (answers end with '.', 'I have no comment.' is a correct answer)",
        extra_files: &[],
        on_hub: OnHub::Other(|_| Ok(Box::new(TruthfulQaGenHub))),
        create: |_| Ok(Box::new(TruthfulQaGen)),
    },
    Hook {
        name: "mbpp",
        summary: "MBPP mbpp.jsonl (all splits) -> the split named by dataset_kwargs.split_task_ids or the test split (task_id 11-510), as google-research-datasets/mbpp full",
        extra_files: &[],
        on_hub: OnHub::Skip,
        create: |_| Ok(Box::new(MbppTest)),
    },
    Hook {
        name: "advbench",
        summary: "AdvBench harmful_behaviors.csv (goal, target) or walledai/AdvBench (prompt, target) -> {prompt, target}",
        extra_files: &[],
        on_hub: OnHub::Same,
        create: |_| Ok(Box::new(AdvBench)),
    },
    Hook {
        name: "bbq",
        summary: "BBQ data/<Category>.jsonl (= oskarvanderwal/bbq) -> lm-eval's bbq process_docs: biased_answers and ans0_groups..ans2_groups from answer_info and the stereotyped groups",
        extra_files: &[],
        on_hub: OnHub::Same,
        create: |_| Ok(Box::new(Bbq { contexts: Contexts::All })),
    },
    Hook {
        name: "bbq_ambig",
        summary: "lm-eval's bbq process_docs_ambig: the records whose context_condition starts with `amb`, then the bbq hook",
        extra_files: &[],
        on_hub: OnHub::Same,
        create: |_| Ok(Box::new(Bbq { contexts: Contexts::Ambiguous })),
    },
    Hook {
        name: "bbq_disambig",
        summary: "lm-eval's bbq process_docs_disambig: the records whose context_condition starts with `disamb`, then the bbq hook",
        extra_files: &[],
        on_hub: OnHub::Same,
        create: |_| Ok(Box::new(Bbq { contexts: Contexts::Disambiguated })),
    },
];

/// The hook named `module.name`, if it is one of yardstick's.
pub fn find(full_name: &str) -> Option<&'static Hook> {
    let name = full_name.strip_prefix(MODULE)?.strip_prefix('.')?;
    HOOKS.iter().find(|hook| hook.name == name)
}

/// `yardstick.arc, yardstick.boolq, ...` for error messages.
pub fn known_names() -> String {
    HOOKS
        .iter()
        .map(|hook| format!("{MODULE}.{}", hook.name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_are_found_by_full_name_only() {
        assert!(find("yardstick.arc").is_some());
        assert!(find("utils.process_docs").is_none());
        assert!(find("arc").is_none());
        assert!(known_names().starts_with("yardstick.arc, yardstick.openbookqa"));
    }
}
