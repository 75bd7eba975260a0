//! Scoring one item for a task's metrics, as lm-eval's `process_results` does: the
//! multiple-choice metrics from the choices' loglikelihoods, the generative metrics from an
//! answer and its references, and the weight of a rolling-loglikelihood document.

use super::{MetricKind, MultipleChoiceMetric, TaskMetric};
use crate::scoring::{ExactMatcher, RougeKind};
use yardstick_core::stats::argmax;

/// A multiple-choice item scored for a task's metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct ChoiceOutcome {
    pub prediction: usize,
    pub prediction_norm: usize,
    /// (metric name, value) for the per-item metrics, in the task's order.
    pub values: Vec<(String, f64)>,
}

/// Scores a multiple-choice item for the task's metrics (corpus-level metrics such as `f1`
/// and `mcc` are computed from the items' gold and prediction when aggregating).
pub fn score_choices(
    task_metrics: &[TaskMetric],
    loglikelihoods: &[f64],
    is_greedy: &[bool],
    choices: &[String],
    gold: usize,
) -> Result<ChoiceOutcome, String> {
    let outcome = score_multiple_choice(
        &MultipleChoiceMetric::ALL,
        loglikelihoods,
        is_greedy,
        choices,
        gold,
    )?;
    let value = |metric: MultipleChoiceMetric| {
        outcome
            .values
            .iter()
            .find(|(candidate, _)| *candidate == metric)
            .map(|(_, value)| *value)
    };
    let values = task_metrics
        .iter()
        .filter_map(|metric| {
            let value = match metric.kind {
                MetricKind::Acc => value(MultipleChoiceMetric::Acc),
                MetricKind::AccNorm => value(MultipleChoiceMetric::AccNorm),
                MetricKind::AccBytes => value(MultipleChoiceMetric::AccBytes),
                MetricKind::ExactMatch => value(MultipleChoiceMetric::ExactMatch),
                _ => None,
            }?;
            Some((metric.name.clone(), value))
        })
        .collect();
    Ok(ChoiceOutcome {
        prediction: outcome.prediction,
        prediction_norm: outcome.prediction_norm,
        values,
    })
}

/// One generative metric for one item: `None` for corpus-level metrics (BLEU) and metrics
/// that are not scored here (code execution) or reported by a hook.
pub fn score_generation(
    metric: &TaskMetric,
    answer: &str,
    references: &[String],
) -> Result<Option<f64>, String> {
    score_generation_with(metric, None, answer, references)
}

/// [`score_generation`] with the metric's `exact_match` options already compiled
/// ([`TaskMetric::exact_matcher`]), as a task's scoring plan holds them; `None`: compiled
/// here from the metric's keyword arguments.
pub(crate) fn score_generation_with(
    metric: &TaskMetric,
    matcher: Option<&ExactMatcher>,
    answer: &str,
    references: &[String],
) -> Result<Option<f64>, String> {
    if metric.kind.is_corpus_level() {
        return Ok(None);
    }
    if references.is_empty()
        && !matches!(metric.kind, MetricKind::PassAtK(_) | MetricKind::Reported)
    {
        return Err("the item has no reference answer".into());
    }
    let best = |score: &dyn Fn(&str) -> f64| {
        references
            .iter()
            .map(|reference| score(reference))
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let rouge = |kind: RougeKind| {
        Some(best(&|reference| {
            100.0 * kind.score(reference, answer).fmeasure
        }))
    };
    Ok(match metric.kind {
        MetricKind::ExactMatch => {
            let compiled;
            let matcher = match matcher {
                Some(matcher) => matcher,
                None => {
                    compiled = metric.compile_exact_matcher()?;
                    &compiled
                }
            };
            // lm-eval: one target is compared as is; a list of targets scores 1 when any
            // of them matches.
            let value = match references {
                [one] => matcher.score(answer, one),
                many => matcher.score_any(answer, many),
            };
            Some(value.map_err(|error| error.to_string())?)
        }
        MetricKind::F1 => Some(best(&|reference| {
            crate::scoring::squad_f1(answer, reference)
        })),
        MetricKind::Rouge1 => rouge(RougeKind::N(1)),
        MetricKind::Rouge2 => rouge(RougeKind::N(2)),
        MetricKind::RougeL => rouge(RougeKind::L),
        _ => None,
    })
}

/// The weight of a rolling-loglikelihood metric for one document (lm-eval's `count_words` /
/// `count_bytes`); `None` for other metrics.
pub fn rolling_weight(kind: MetricKind, text: &str) -> Option<f64> {
    match kind {
        MetricKind::WordPerplexity => Some(crate::scoring::count_words(text) as f64),
        MetricKind::BytePerplexity | MetricKind::BitsPerByte => {
            Some(crate::scoring::count_bytes(text) as f64)
        }
        _ => None,
    }
}

/// The outcome of one multiple-choice item.
#[derive(Debug, Clone, PartialEq)]
pub struct MultipleChoiceOutcome {
    /// argmax of the loglikelihoods (first on ties).
    pub prediction: usize,
    /// argmax of loglikelihood / character count.
    pub prediction_norm: usize,
    /// argmax of loglikelihood / UTF-8 byte count.
    pub prediction_bytes: usize,
    /// The requested metrics, in the order asked for: 1.0 (right) or 0.0.
    pub values: Vec<(MultipleChoiceMetric, f64)>,
}

/// Scores one multiple-choice item as lm-eval's `process_results` does. `loglikelihoods` and
/// `is_greedy` are per choice, in choice order; `choices` are the choice strings without the
/// target delimiter. Errors (as text) on mismatched lengths, no choices, a gold index out of
/// range, or loglikelihoods that are all NaN.
pub fn score_multiple_choice(
    metrics: &[MultipleChoiceMetric],
    loglikelihoods: &[f64],
    is_greedy: &[bool],
    choices: &[String],
    gold: usize,
) -> Result<MultipleChoiceOutcome, String> {
    if choices.is_empty() {
        return Err("the item has no choices".into());
    }
    if loglikelihoods.len() != choices.len() || is_greedy.len() != choices.len() {
        return Err(format!(
            "{} choices but {} loglikelihoods and {} greedy flags",
            choices.len(),
            loglikelihoods.len(),
            is_greedy.len()
        ));
    }
    if gold >= choices.len() {
        return Err(format!(
            "gold index {gold} is out of range for {} choices",
            choices.len()
        ));
    }
    let normalised = |length: fn(&str) -> usize| -> Vec<f64> {
        loglikelihoods
            .iter()
            .zip(choices)
            .map(|(loglikelihood, choice)| loglikelihood / length(choice) as f64)
            .collect()
    };
    let no_winner = || "every loglikelihood is NaN".to_string();
    let prediction = argmax(loglikelihoods).ok_or_else(no_winner)?;
    let prediction_norm =
        argmax(&normalised(|choice| choice.chars().count())).ok_or_else(no_winner)?;
    let prediction_bytes = argmax(&normalised(str::len)).ok_or_else(no_winner)?;
    let hit = |predicted: usize| if predicted == gold { 1.0 } else { 0.0 };
    let values = metrics
        .iter()
        .map(|metric| {
            let value = match metric {
                MultipleChoiceMetric::Acc => hit(prediction),
                MultipleChoiceMetric::AccNorm => hit(prediction_norm),
                MultipleChoiceMetric::AccBytes => hit(prediction_bytes),
                MultipleChoiceMetric::ExactMatch => {
                    if is_greedy[gold] {
                        1.0
                    } else {
                        0.0
                    }
                }
            };
            (*metric, value)
        })
        .collect();
    Ok(MultipleChoiceOutcome {
        prediction,
        prediction_norm,
        prediction_bytes,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|text| text.to_string()).collect()
    }

    const ALL: [MultipleChoiceMetric; 4] = MultipleChoiceMetric::ALL;

    #[test]
    fn ties_go_to_the_first_choice() {
        let outcome = score_multiple_choice(
            &ALL,
            &[-1.0, -1.0],
            &[false, true],
            &choices(&["a", "b"]),
            1,
        );
        let outcome = outcome.unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(outcome.prediction, 0);
        assert_eq!(
            outcome.values,
            vec![
                (MultipleChoiceMetric::Acc, 0.0),
                (MultipleChoiceMetric::AccNorm, 0.0),
                (MultipleChoiceMetric::AccBytes, 0.0),
                (MultipleChoiceMetric::ExactMatch, 1.0),
            ]
        );
    }

    #[test]
    fn acc_norm_divides_by_characters_and_can_flip_the_prediction() {
        // "no": -2.0 / 2 = -1.0; "not at all": -4.0 / 10 = -0.4 -> norm picks choice 1.
        let outcome = score_multiple_choice(
            &ALL,
            &[-2.0, -4.0],
            &[false, false],
            &choices(&["no", "not at all"]),
            1,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            (
                outcome.prediction,
                outcome.prediction_norm,
                outcome.prediction_bytes
            ),
            (0, 1, 1)
        );
        assert_eq!(outcome.values[0], (MultipleChoiceMetric::Acc, 0.0));
        assert_eq!(outcome.values[1], (MultipleChoiceMetric::AccNorm, 1.0));
    }

    #[test]
    fn characters_and_bytes_differ_for_non_ascii() {
        // "日本": 2 characters, 6 bytes; "abcd": 4 and 4.
        // chars: -3/2 = -1.5 vs -5/4 = -1.25 -> 1; bytes: -3/6 = -0.5 vs -1.25 -> 0.
        let outcome = score_multiple_choice(
            &ALL,
            &[-3.0, -5.0],
            &[false, false],
            &choices(&["日本", "abcd"]),
            1,
        )
        .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            (
                outcome.prediction,
                outcome.prediction_norm,
                outcome.prediction_bytes
            ),
            (0, 1, 0)
        );
        assert_eq!(outcome.values[1], (MultipleChoiceMetric::AccNorm, 1.0));
        assert_eq!(outcome.values[2], (MultipleChoiceMetric::AccBytes, 0.0));
    }

    #[test]
    fn only_requested_metrics_and_clear_errors() {
        let outcome = score_multiple_choice(
            &[MultipleChoiceMetric::Acc],
            &[-1.0, -0.5],
            &[false, true],
            &choices(&["a", "b"]),
            1,
        );
        assert_eq!(
            outcome.map(|outcome| outcome.values),
            Ok(vec![(MultipleChoiceMetric::Acc, 1.0)])
        );
        let error = score_multiple_choice(&ALL, &[-1.0], &[false], &choices(&["a", "b"]), 0);
        assert_eq!(
            error.err().as_deref(),
            Some("2 choices but 1 loglikelihoods and 1 greedy flags")
        );
        let error =
            score_multiple_choice(&ALL, &[-1.0, -2.0], &[false; 2], &choices(&["a", "b"]), 2);
        assert_eq!(
            error.err().as_deref(),
            Some("gold index 2 is out of range for 2 choices")
        );
    }
}
