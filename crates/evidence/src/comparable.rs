//! Whether two results of one task may be compared item by item, and what differs between
//! them.
//!
//! A paired comparison is only honest when both sides answered the same questions the same
//! way except for the one thing being compared. Each [`ComparisonMode`] names that thing;
//! every other difference in the two [`Fingerprint`]s is either a reason to refuse (it
//! changes the score: dataset, items, task definition, prompts, seed, model) or a note
//! printed beside the result (it may change the last bits but not what is asked: engine
//! version, batching, yardstick's own version).

use std::fmt;

use serde::Serialize;
use yardstick_core::Fingerprint;

/// What a comparison is about: the one difference it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComparisonMode {
    /// Two models (e.g. a base model and its fine-tune) on the same prompts. The prompt
    /// format may differ when each model is prompted with its own chat template.
    Models,
    /// Two quantizations of one model: the weights differ, nothing else.
    Quantization,
    /// The same model with a different number of few-shot examples (or another task
    /// variant) on the same dataset items: the task definition and prompts may differ.
    FewShot,
    /// The same model and prompts on two engines or engine settings.
    Engine,
}

yardstick_core::closed_set!(ComparisonMode, "comparison mode", {
    Models => "models",
    Quantization => "quantization",
    FewShot => "few-shot",
    Engine => "engine",
});

impl ComparisonMode {
    fn allows(self, field: Field) -> bool {
        use Field::*;
        match self {
            ComparisonMode::Models => matches!(field, Model | ModelWeights | PromptFormat),
            ComparisonMode::Quantization => matches!(field, Model | ModelWeights),
            ComparisonMode::FewShot => matches!(field, TaskDefinition | Prompts | Seed),
            ComparisonMode::Engine => matches!(field, EngineVersion | Batching | Threads),
        }
    }
}

/// A part of a fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Task,
    Dataset,
    Items,
    TaskDefinition,
    Prompts,
    Seed,
    Model,
    ModelWeights,
    PromptFormat,
    EngineVersion,
    Batching,
    Threads,
    YardstickVersion,
}

impl Field {
    /// Whether a difference here changes what is asked or answered (else it can at most
    /// change the last bits of a score).
    fn changes_scores(self) -> bool {
        !matches!(
            self,
            Field::EngineVersion | Field::Batching | Field::Threads | Field::YardstickVersion
        )
    }
}

/// One difference between the two fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub field: Field,
    /// What differs, in words, with both values.
    pub detail: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.detail)
    }
}

/// The verdict on a pair of fingerprints under a mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparability {
    /// Differences that change scores and that the mode does not allow: with any of these
    /// the comparison is refused.
    pub refusals: Vec<Difference>,
    /// Differences the mode allows (what is being compared).
    pub compared: Vec<Difference>,
    /// Differences that can change only the last bits of scores, printed as notes.
    pub notes: Vec<Difference>,
}

impl Comparability {
    pub fn is_comparable(&self) -> bool {
        self.refusals.is_empty()
    }
}

/// Sorts every difference between `baseline` and `candidate` (two results of the same task)
/// into refusals, the compared difference and notes.
pub fn comparability(
    baseline: &Fingerprint,
    candidate: &Fingerprint,
    mode: ComparisonMode,
) -> Comparability {
    let mut verdict = Comparability {
        refusals: Vec::new(),
        compared: Vec::new(),
        notes: Vec::new(),
    };
    let all = differences(baseline, candidate);
    // Each model's own chat template renders other prompt texts: allowing the prompt
    // format allows the prompts that follow from it.
    let format_allowed = mode.allows(Field::PromptFormat)
        && all
            .iter()
            .any(|difference| difference.field == Field::PromptFormat);
    for difference in all {
        let follows_from_format = format_allowed && difference.field == Field::Prompts;
        if mode.allows(difference.field) || follows_from_format {
            verdict.compared.push(difference);
        } else if difference.field.changes_scores() {
            verdict.refusals.push(difference);
        } else {
            verdict.notes.push(difference);
        }
    }
    verdict
}

/// Every difference between two fingerprints, in a fixed order.
pub fn differences(baseline: &Fingerprint, candidate: &Fingerprint) -> Vec<Difference> {
    let mut found = Vec::new();
    let mut check = |field: Field, name: &str, left: String, right: String| {
        if left != right {
            found.push(Difference {
                field,
                detail: format!("{name}: {left} vs {right}"),
            });
        }
    };
    let (a, b) = (&baseline.task, &candidate.task);
    check(Field::Task, "task", a.task.clone(), b.task.clone());
    check(
        Field::Dataset,
        "dataset files (sha256)",
        format!("{:?}", a.dataset_sha256),
        format!("{:?}", b.dataset_sha256),
    );
    check(
        Field::Items,
        "items",
        describe_items(a.items, a.limit, a.samples_sha256.as_deref()),
        describe_items(b.items, b.limit, b.samples_sha256.as_deref()),
    );
    check(
        Field::TaskDefinition,
        "task definition (sha256)",
        short(&a.task_hash),
        short(&b.task_hash),
    );
    check(
        Field::Prompts,
        "rendered prompts (sha256)",
        short(&a.prompt_hash),
        short(&b.prompt_hash),
    );
    check(
        Field::Seed,
        "seed",
        baseline.seed.to_string(),
        candidate.seed.to_string(),
    );
    check(
        Field::Model,
        "model",
        baseline.model.clone(),
        candidate.model.clone(),
    );
    check(
        Field::ModelWeights,
        "model weights (sha256)",
        short(&baseline.model_sha256),
        short(&candidate.model_sha256),
    );
    check(
        Field::PromptFormat,
        "prompt format",
        format!("{:?}", baseline.prompt_format),
        format!("{:?}", candidate.prompt_format),
    );
    check(
        Field::EngineVersion,
        "engine",
        baseline.llama_cpp_version.clone(),
        candidate.llama_cpp_version.clone(),
    );
    check(
        Field::Batching,
        "batching scheme",
        baseline.batching_scheme.clone(),
        candidate.batching_scheme.clone(),
    );
    check(
        Field::Threads,
        "threads",
        baseline.threads.to_string(),
        candidate.threads.to_string(),
    );
    check(
        Field::YardstickVersion,
        "yardstick",
        format!("{} ({})", baseline.yardstick_version, baseline.git_commit),
        format!("{} ({})", candidate.yardstick_version, candidate.git_commit),
    );
    found
}

fn describe_items(items: u64, limit: Option<u64>, samples: Option<&str>) -> String {
    let mut text = format!("{items}");
    if let Some(limit) = limit {
        text.push_str(&format!(" (limit {limit})"));
    }
    if let Some(samples) = samples {
        text.push_str(&format!(" (chosen {})", short(samples)));
    }
    text
}

fn short(hash: &str) -> String {
    hash.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use yardstick_core::PromptFormat;

    use super::*;

    fn fingerprint() -> Fingerprint {
        yardstick_test_support::fingerprint::fingerprint("gemma", "arc_easy").build()
    }

    fn fields(differences: &[Difference]) -> Vec<Field> {
        differences
            .iter()
            .map(|difference| difference.field)
            .collect()
    }

    #[test]
    fn identical_fingerprints_have_no_differences() {
        let verdict = comparability(&fingerprint(), &fingerprint(), ComparisonMode::Models);
        assert!(verdict.is_comparable());
        assert!(verdict.compared.is_empty() && verdict.notes.is_empty());
    }

    #[test]
    fn two_models_on_the_same_prompts_compare_and_engine_changes_are_notes() {
        let mut candidate = fingerprint();
        candidate.model = "gemma-it".into();
        candidate.model_sha256 = "bbbb".into();
        candidate.prompt_format = Some(PromptFormat {
            chat_template_sha256: Some("tmpl".into()),
            system_instruction: None,
            fewshot_as_multiturn: false,
        });
        candidate.task.prompt_hash = "templated".into();
        candidate.threads = 4;
        candidate.git_commit = "def".into();
        let verdict = comparability(&fingerprint(), &candidate, ComparisonMode::Models);
        assert!(verdict.is_comparable(), "{verdict:?}");
        assert_eq!(
            fields(&verdict.compared),
            [
                Field::Prompts,
                Field::Model,
                Field::ModelWeights,
                Field::PromptFormat
            ]
        );
        assert_eq!(
            fields(&verdict.notes),
            [Field::Threads, Field::YardstickVersion]
        );
    }

    #[test]
    fn different_items_or_few_shot_prompts_are_refused_naming_what_differs() {
        let mut candidate = fingerprint();
        candidate.model = "qwen".into();
        candidate.task.limit = Some(50);
        candidate.task.items = 50;
        candidate.task.prompt_hash = "five-shot".into();
        let verdict = comparability(&fingerprint(), &candidate, ComparisonMode::Models);
        assert!(!verdict.is_comparable());
        assert_eq!(fields(&verdict.refusals), [Field::Items, Field::Prompts]);
        assert_eq!(
            verdict.refusals[0].to_string(),
            "items: 100 (limit 100) vs 50 (limit 50)"
        );
    }

    #[test]
    fn few_shot_mode_allows_other_prompts_of_the_same_items_but_not_another_model() {
        let mut candidate = fingerprint();
        candidate.task.task_hash = "five-shot-task".into();
        candidate.task.prompt_hash = "five-shot".into();
        let verdict = comparability(&fingerprint(), &candidate, ComparisonMode::FewShot);
        assert!(verdict.is_comparable());
        candidate.model_sha256 = "cccc".into();
        let verdict = comparability(&fingerprint(), &candidate, ComparisonMode::FewShot);
        assert_eq!(fields(&verdict.refusals), [Field::ModelWeights]);
    }

    #[test]
    fn quantization_mode_refuses_another_prompt_format() {
        let mut candidate = fingerprint();
        candidate.model_sha256 = "q8".into();
        candidate.prompt_format = Some(PromptFormat {
            chat_template_sha256: None,
            system_instruction: Some("Be brief.".into()),
            fewshot_as_multiturn: false,
        });
        let verdict = comparability(&fingerprint(), &candidate, ComparisonMode::Quantization);
        assert_eq!(fields(&verdict.refusals), [Field::PromptFormat]);
    }

    #[test]
    fn modes_parse_and_unknown_ones_list_the_valid_names() {
        assert_eq!(
            "few-shot".parse::<ComparisonMode>().expect("a mode"),
            ComparisonMode::FewShot
        );
        let error = "fewshot".parse::<ComparisonMode>().expect_err("unknown");
        assert!(error
            .to_string()
            .contains("models, quantization, few-shot, engine"));
    }
}
