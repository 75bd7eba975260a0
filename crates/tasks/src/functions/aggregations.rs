//! Aggregation functions a task's `metric_list` names with `aggregation: !function
//! yardstick.<name>`: Rust versions of the Python aggregations of lm-eval's built-in tasks.
//! Each aggregates one metric over the items that report it (a hook may leave a metric out
//! of an item it does not apply to) and gives nothing when no item reports it, where
//! lm-eval gives NaN. None has a standard error: lm-eval computes none for them either.

use crate::process_docs::MODULE;
use yardstick_core::{ItemResult, Unit};

/// The aggregate of a metric and the number of items it covers; `None`: no item has it.
pub type Aggregate = Option<(f64, u64)>;

type AggregateFn = fn(&str, &[ItemResult]) -> Result<Aggregate, String>;

/// An aggregation function: a metric's items in, its aggregate out.
#[derive(Debug, Clone, Copy)]
pub struct AggregationFunction {
    pub name: &'static str,
    pub summary: &'static str,
    /// The aggregate's unit (a share, or a score such as a bias score in [-1, 1]).
    pub unit: Unit,
    call: AggregateFn,
}

impl AggregationFunction {
    /// The aggregate of metric `name` (its reported name, filter included) over `results`.
    pub fn call(&self, name: &str, results: &[ItemResult]) -> Result<Aggregate, String> {
        (self.call)(name, results)
    }
}

pub const AGGREGATION_FUNCTIONS: &[AggregationFunction] = &[AggregationFunction {
    name: "agg_inst_level_acc",
    summary: "lm-eval's ifeval utils.agg_inst_level_acc: followed instructions over all instructions (each item's share weighted by its instruction count)",
    unit: Unit::Ratio,
    call: weighted_mean,
},
AggregationFunction {
    name: "mean_of_reported",
    summary: "the mean over the items that report the metric (XSTest's refusal_rate_unsafe on the unsafe prompts, compliance_rate_safe on the safe ones); items without it are not counted",
    unit: Unit::Ratio,
    call: mean_of_reported,
},
AggregationFunction {
    name: "agg_accuracy_amb",
    summary: "lm-eval's bbq utils.agg_accuracy_amb: the mean acc over the ambiguous items (those that report accuracy_amb)",
    unit: Unit::Ratio,
    call: mean_of_reported,
},
AggregationFunction {
    name: "agg_accuracy_disamb",
    summary: "lm-eval's bbq utils.agg_accuracy_disamb: the mean acc over the disambiguated items (those that report accuracy_disamb)",
    unit: Unit::Ratio,
    call: mean_of_reported,
},
AggregationFunction {
    name: "agg_amb_bias_scores",
    summary: "lm-eval's bbq utils.agg_amb_bias_scores: S_AMB = (1 - accuracy) * S_DIS over the ambiguous items that report the metric, in [-1, 1]",
    unit: Unit::Scalar,
    call: super::bbq::amb_bias_score,
},
AggregationFunction {
    name: "agg_disamb_bias_scores",
    summary: "lm-eval's bbq utils.agg_disamb_bias_scores: S_DIS = 2 * biased / non-unknown answers - 1 (0 without biased answers) over the items that report the metric, in [-1, 1]",
    unit: Unit::Scalar,
    call: super::bbq::disamb_bias_score,
}];

/// The aggregation function `module.name`, if it is one of yardstick's.
pub fn find_aggregation_function(full_name: &str) -> Option<&'static AggregationFunction> {
    let name = full_name.strip_prefix(MODULE)?.strip_prefix('.')?;
    AGGREGATION_FUNCTIONS
        .iter()
        .find(|function| function.name == name)
}

/// `yardstick.a, yardstick.b` for error messages.
pub fn known_aggregation_functions() -> String {
    AGGREGATION_FUNCTIONS
        .iter()
        .map(|function| format!("{MODULE}.{}", function.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The values and weights of metric `name` on the items that report it.
pub(super) fn reported<'a>(
    name: &'a str,
    results: &'a [ItemResult],
) -> impl Iterator<Item = (&'a ItemResult, f64)> + 'a {
    results
        .iter()
        .filter_map(move |result| result.metric(name).map(|value| (result, value)))
}

/// Σ value·weight / Σ weight over the items that report the metric (an item without a
/// weight weighs 1).
fn weighted_mean(name: &str, results: &[ItemResult]) -> Result<Aggregate, String> {
    let mut weighted = 0.0;
    let mut total = 0.0;
    let mut items = 0u64;
    for (result, value) in reported(name, results) {
        let weight = result.weight(name).unwrap_or(1.0);
        weighted += value * weight;
        total += weight;
        items += 1;
    }
    if items == 0 {
        return Ok(None);
    }
    if total <= 0.0 {
        return Err(format!("the weights of `{name}` sum to {total}"));
    }
    Ok(Some((weighted / total, items)))
}

/// Σ value / count over the items that report the metric; weights are ignored.
fn mean_of_reported(name: &str, results: &[ItemResult]) -> Result<Aggregate, String> {
    let mut sum = 0.0;
    let mut items = 0u64;
    for (_, value) in reported(name, results) {
        sum += value;
        items += 1;
    }
    Ok((items > 0).then(|| (sum / items as f64, items)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(value: Option<f64>, weight: f64) -> ItemResult {
        ItemResult {
            metrics: value.map(|v| ("m".to_string(), v)).into_iter().collect(),
            weights: vec![("m".to_string(), weight)],
            ..Default::default()
        }
    }

    #[test]
    fn instruction_level_accuracy_weights_items_by_their_instruction_count() {
        let function = find_aggregation_function("yardstick.agg_inst_level_acc");
        // 1 of 1, 1 of 3, and an item without the metric: 2 of 4 instructions.
        let results = [
            item(Some(1.0), 1.0),
            item(Some(1.0 / 3.0), 3.0),
            item(None, 5.0),
        ];
        let aggregate = function.map(|function| function.call("m", &results));
        let Some(Ok(Some((value, n)))) = aggregate else {
            panic!("{aggregate:?}");
        };
        assert!((value - 0.5).abs() < 1e-12, "{value}");
        assert_eq!(n, 2);
        assert!(find_aggregation_function("utils.agg_inst_level_acc").is_none());
        let none = function.map(|function| function.call("other", &results));
        assert!(matches!(none, Some(Ok(None))), "{none:?}");
    }

    #[test]
    fn mean_of_reported_counts_only_the_items_that_report_the_metric() {
        let function = find_aggregation_function("yardstick.mean_of_reported");
        // Weights do not count: (1 + 0 + 1) / 3, the item without `m` left out.
        let results = [
            item(Some(1.0), 4.0),
            item(Some(0.0), 1.0),
            item(None, 1.0),
            item(Some(1.0), 1.0),
        ];
        let aggregate = function.map(|function| function.call("m", &results));
        let Some(Ok(Some((value, n)))) = aggregate else {
            panic!("{aggregate:?}");
        };
        assert!((value - 2.0 / 3.0).abs() < 1e-12, "{value}");
        assert_eq!(n, 3);
        let none = function.map(|function| function.call("other", &results));
        assert!(matches!(none, Some(Ok(None))), "{none:?}");
    }
}
