//! Metrics: what each `metric_list` entry of a task config computes ([`TaskMetric`]), the
//! per-item scoring of items, exactly as lm-eval's `ConfigurableTask.process_results` does
//! it (`per_item`), and the aggregation of per-item values over a task (`aggregate`). The
//! entries as written are [`crate::config::MetricConfig`] (re-exported here).
//!
//! `acc` is right when the most likely choice (first on ties) is the gold one. `acc_norm`
//! divides each loglikelihood by the choice's length in *characters* (Python's `len(choice)`
//! of the choice string, without the target delimiter), which is what lm-eval computes even
//! though it is often described as byte normalisation; `acc_bytes` divides by the UTF-8
//! byte length instead. `exact_match` is whether the gold continuation is the greedy one.

mod aggregate;
mod per_item;

pub use aggregate::{aggregate, AggregateOptions, TextEmbedder};
pub(crate) use per_item::score_generation_with;
pub use per_item::{
    rolling_weight, score_choices, score_generation, score_multiple_choice, ChoiceOutcome,
    MultipleChoiceOutcome,
};

use crate::config::OutputType;
pub use crate::config::{Aggregation, MetricConfig};
use crate::scoring::{ExactMatchOptions, ExactMatcher};
use serde_json::{Map, Value};

/// The per-item metrics of a multiple-choice task that yardstick computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MultipleChoiceMetric {
    /// argmax of the loglikelihoods is the gold choice.
    Acc,
    /// argmax of loglikelihood / character count of the choice is the gold choice.
    AccNorm,
    /// argmax of loglikelihood / UTF-8 byte count of the choice is the gold choice.
    AccBytes,
    /// the gold choice's continuation is the greedy one.
    ExactMatch,
}

impl MultipleChoiceMetric {
    /// lm-eval multiple-choice metrics yardstick does not compute yet.
    pub const NOT_YET: [&'static str; 6] = [
        "acc_mutual_info",
        "f1",
        "mcc",
        "brier_score",
        "likelihood",
        "bypass",
    ];

    /// lm-eval's default metrics when a multiple-choice task has no `metric_list`.
    pub const DEFAULT: [MultipleChoiceMetric; 2] =
        [MultipleChoiceMetric::Acc, MultipleChoiceMetric::AccNorm];
}

yardstick_core::closed_set!(MultipleChoiceMetric, "multiple-choice metric", {
    Acc => "acc",
    AccNorm => "acc_norm",
    AccBytes => "acc_bytes",
    ExactMatch => "exact_match",
});

/// What a metric computes, per output type (lm-eval's metric registry, the part yardstick
/// implements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// multiple_choice: argmax is gold; loglikelihood: the continuation is the greedy one.
    Acc,
    AccNorm,
    AccBytes,
    /// multiple_choice: gold continuation is greedy; generate_until: HF `exact_match`.
    ExactMatch,
    /// multiple_choice: scikit-learn F1 of (gold, prediction) over the task;
    /// generate_until: SQuAD token F1 against the best reference.
    F1,
    /// multiple_choice: Matthews correlation of (gold, prediction) over the task.
    Mcc,
    /// generate_until: corpus BLEU (sacrebleu defaults).
    Bleu,
    /// generate_until: ROUGE F-measure (rouge-score) against the best reference, ×100.
    Rouge1,
    Rouge2,
    RougeL,
    /// loglikelihood: exp(-mean loglikelihood).
    Perplexity,
    /// loglikelihood_rolling, weighted by words / bytes.
    WordPerplexity,
    BytePerplexity,
    BitsPerByte,
    /// Code execution: the unbiased pass@k over an item's samples, each run against the
    /// item's tests in the sandbox (by the runner; [`crate::TaskDefinition::score_code`]).
    PassAtK(u64),
    /// Reported by a `process_results` hook; aggregated as configured.
    Reported,
    /// generate_until, over all answers ([`crate::scoring::diversity`]): distinct n-grams
    /// over all n-grams.
    Distinct(u8),
    /// Mean BLEU-4 of each answer against the others (lower: more diverse).
    SelfBleu,
    /// Bytes over gzip bytes of the answers (lower: more diverse).
    CompressionRatio,
    /// Mean pairwise cosine distance of the answers' sentence embeddings.
    EmbeddingDiversity,
    /// Mean over items of the best cosine similarity of the answer's sentence embedding with
    /// a reference's.
    SemanticSimilarity,
}

impl MetricKind {
    /// Whether the metric needs sentence embeddings ([`crate::TextEmbedder`]).
    pub fn needs_embeddings(self) -> bool {
        matches!(
            self,
            MetricKind::EmbeddingDiversity | MetricKind::SemanticSimilarity
        )
    }

    /// Whether the metric is computed over all the task's answers, with no per-item value.
    pub fn is_corpus_level(self) -> bool {
        matches!(
            self,
            MetricKind::Distinct(_)
                | MetricKind::SelfBleu
                | MetricKind::CompressionRatio
                | MetricKind::EmbeddingDiversity
                | MetricKind::SemanticSimilarity
        )
    }
}

/// A metric a task reports, with how it is aggregated.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskMetric {
    /// The metric's name as reported (`acc`, `exact_match`, `bleu_max`, ...).
    pub name: String,
    pub kind: MetricKind,
    pub aggregation: Aggregation,
    pub higher_is_better: bool,
    /// Keyword arguments from the `metric_list` entry (`ignore_case`, `regexes_to_ignore`).
    pub kwargs: Map<String, Value>,
}

/// Metric names of code-execution metrics.
const CODE_EXECUTION: [&str; 4] = ["pass@1", "pass@k", "pass_at_k", "pass_at_1"];

/// Whether a metric needs the generated code run against the item's tests.
pub fn needs_execution(metric: &TaskMetric) -> bool {
    matches!(metric.kind, MetricKind::PassAtK(_))
}

impl TaskMetric {
    fn new(name: &str, kind: MetricKind) -> TaskMetric {
        let (aggregation, higher_is_better) = match kind {
            MetricKind::Perplexity => (Aggregation::Perplexity, false),
            MetricKind::WordPerplexity | MetricKind::BytePerplexity => {
                (Aggregation::WeightedPerplexity, false)
            }
            MetricKind::BitsPerByte => (Aggregation::BitsPerByte, false),
            MetricKind::Bleu => (Aggregation::Bleu, true),
            MetricKind::Mcc => (Aggregation::MatthewsCorrcoef, true),
            MetricKind::SelfBleu | MetricKind::CompressionRatio => (Aggregation::Mean, false),
            _ => (Aggregation::Mean, true),
        };
        TaskMetric {
            name: name.to_string(),
            kind,
            aggregation,
            higher_is_better,
            kwargs: Map::new(),
        }
    }

    /// The metrics a `metric_list` entry asks for: one, or for a code metric one per `k`
    /// of its `k` keyword (`pass_at_k` with `k: [1, 10]` → `pass@1`, `pass@10`; lm-eval's
    /// `pass_at_1` keeps its name).
    pub fn resolve_all(
        entry: &MetricConfig,
        output_type: OutputType,
        has_results_hook: bool,
    ) -> Result<Vec<TaskMetric>, String> {
        let metric = TaskMetric::resolve(entry, output_type, has_results_hook)?;
        if !needs_execution(&metric) {
            return Ok(vec![metric]);
        }
        let base = metric
            .name
            .rsplit('.')
            .next()
            .unwrap_or(&metric.name)
            .to_string();
        if base == "pass_at_1" || base == "pass@1" {
            let mut metric = metric;
            metric.name = base;
            return Ok(vec![metric]);
        }
        let ks: Vec<u64> = match metric.kwargs.get("k") {
            None => vec![1],
            Some(Value::Array(values)) => values
                .iter()
                .map(|value| value.as_u64().filter(|&k| k > 0))
                .collect::<Option<Vec<u64>>>()
                .ok_or_else(|| format!("`k` must be positive whole numbers, not {values:?}"))?,
            Some(value) => vec![value
                .as_u64()
                .filter(|&k| k > 0)
                .ok_or_else(|| format!("`k` must be a positive whole number, not {value}"))?],
        };
        Ok(ks
            .into_iter()
            .map(|k| {
                let mut one = metric.clone();
                one.name = format!("pass@{k}");
                one.kind = MetricKind::PassAtK(k);
                one.kwargs.remove("k");
                one
            })
            .collect())
    }

    /// The metric a `metric_list` entry asks for, for a task of `output_type`.
    /// `has_results_hook`: the task's `process_results` hook reports the values.
    pub fn resolve(
        entry: &MetricConfig,
        output_type: OutputType,
        has_results_hook: bool,
    ) -> Result<TaskMetric, String> {
        let name = entry.metric.as_str();
        // `!function utils.pass_at_k` → `pass_at_k`.
        let base = name.rsplit('.').next().unwrap_or(name);
        let kind = if CODE_EXECUTION.contains(&base) {
            MetricKind::PassAtK(1)
        } else if entry.is_function {
            return Err(format!(
                "`!function {name}` names a Python function, which yardstick cannot run"
            ));
        } else if has_results_hook {
            MetricKind::Reported
        } else {
            kind_for(name, output_type)?
        };
        let mut metric = TaskMetric::new(name, kind);
        if let Some(aggregation) = &entry.aggregation {
            if let Aggregation::Function(function) = aggregation {
                if crate::functions::find_aggregation_function(function).is_none() {
                    return Err(format!(
                        "aggregation `!function {function}` names a Python function, which yardstick cannot run; yardstick's own: {}",
                        crate::functions::known_aggregation_functions()
                    ));
                }
            }
            metric.aggregation = aggregation.clone();
        }
        if let Some(higher) = entry.higher_is_better {
            metric.higher_is_better = higher;
        }
        if output_type == OutputType::MultipleChoice && entry.aggregation.is_none() {
            match kind {
                MetricKind::F1 => metric.aggregation = Aggregation::F1,
                MetricKind::Mcc => metric.aggregation = Aggregation::MatthewsCorrcoef,
                _ => {}
            }
        }
        metric.kwargs = entry.kwargs.clone();
        if kind == MetricKind::ExactMatch && output_type == OutputType::GenerateUntil {
            metric.compile_exact_matcher()?;
        }
        Ok(metric)
    }

    /// The compiled options of a generative `exact_match` metric (`ignore_case`,
    /// `regexes_to_ignore`, ...), to score many items with; `None` for other metrics and for
    /// tasks that do not generate.
    pub(crate) fn exact_matcher(
        &self,
        output_type: OutputType,
    ) -> Result<Option<ExactMatcher>, String> {
        if self.kind == MetricKind::ExactMatch && output_type == OutputType::GenerateUntil {
            self.compile_exact_matcher().map(Some)
        } else {
            Ok(None)
        }
    }

    fn compile_exact_matcher(&self) -> Result<ExactMatcher, String> {
        let options =
            ExactMatchOptions::from_kwargs(&self.kwargs).map_err(|error| error.to_string())?;
        ExactMatcher::new(&options).map_err(|error| error.to_string())
    }
}

fn kind_for(name: &str, output_type: OutputType) -> Result<MetricKind, String> {
    let valid: &[(&str, MetricKind)] = match output_type {
        OutputType::MultipleChoice => &[
            ("acc", MetricKind::Acc),
            ("acc_norm", MetricKind::AccNorm),
            ("acc_bytes", MetricKind::AccBytes),
            ("exact_match", MetricKind::ExactMatch),
            ("f1", MetricKind::F1),
            ("mcc", MetricKind::Mcc),
        ],
        OutputType::Loglikelihood => &[
            ("acc", MetricKind::Acc),
            ("perplexity", MetricKind::Perplexity),
        ],
        OutputType::LoglikelihoodRolling => &[
            ("word_perplexity", MetricKind::WordPerplexity),
            ("byte_perplexity", MetricKind::BytePerplexity),
            ("bits_per_byte", MetricKind::BitsPerByte),
        ],
        OutputType::GenerateUntil => &[
            ("exact_match", MetricKind::ExactMatch),
            ("f1", MetricKind::F1),
            ("bleu", MetricKind::Bleu),
            ("rouge1", MetricKind::Rouge1),
            ("rouge2", MetricKind::Rouge2),
            ("rougeL", MetricKind::RougeL),
            ("distinct_1", MetricKind::Distinct(1)),
            ("distinct_2", MetricKind::Distinct(2)),
            ("distinct_3", MetricKind::Distinct(3)),
            ("self_bleu", MetricKind::SelfBleu),
            ("compression_ratio", MetricKind::CompressionRatio),
            ("embedding_diversity", MetricKind::EmbeddingDiversity),
            ("semantic_similarity", MetricKind::SemanticSimilarity),
        ],
    };
    valid
        .iter()
        .find(|(candidate, _)| *candidate == name)
        .map(|(_, kind)| *kind)
        .ok_or_else(|| {
            let names: Vec<&str> = valid.iter().map(|(name, _)| *name).collect();
            format!(
                "unknown metric `{name}` for a {output_type} task; valid metrics: {} (and pass@1 for code tasks, stored as not scored)",
                names.join(", ")
            )
        })
}

/// lm-eval's default metrics of an output type (no `metric_list`).
pub fn default_metrics(output_type: OutputType) -> Vec<TaskMetric> {
    let defaults: &[(&str, MetricKind)] = match output_type {
        OutputType::MultipleChoice => {
            &[("acc", MetricKind::Acc), ("acc_norm", MetricKind::AccNorm)]
        }
        OutputType::Loglikelihood => &[
            ("perplexity", MetricKind::Perplexity),
            ("acc", MetricKind::Acc),
        ],
        OutputType::LoglikelihoodRolling => &[
            ("word_perplexity", MetricKind::WordPerplexity),
            ("byte_perplexity", MetricKind::BytePerplexity),
            ("bits_per_byte", MetricKind::BitsPerByte),
        ],
        OutputType::GenerateUntil => &[("exact_match", MetricKind::ExactMatch)],
    };
    defaults
        .iter()
        .map(|(name, kind)| TaskMetric::new(name, *kind))
        .collect()
}

/// The reported name of a metric under a filter: lm-eval's default filter `none` keeps the
/// plain name; any other filter gives `metric,filter`.
pub fn filtered_name(metric: &str, filter: &str) -> String {
    if filter == crate::filters::FilterPipeline::NONE {
        metric.to_string()
    } else {
        format!("{metric},{filter}")
    }
}
