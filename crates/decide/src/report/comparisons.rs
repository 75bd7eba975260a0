//! The report's comparisons: the models of the reported eval runs compared pairwise with the
//! machinery of `yardstick compare --mode models` (paired bootstrap interval, McNemar's exact
//! test or the paired t-test, Holm's correction across tasks).

use std::collections::BTreeMap;

use yardstick_evidence::pairing::pair_evals;
use yardstick_evidence::{ComparisonMode, EvalUnit};
use yardstick_report::{Block, Row, Section, Table};

use super::strings;
use crate::bootstrap::BootstrapSettings;
use crate::family::compare_families;
use crate::paired::{summarize, PairedTest, TaskComparison, Verdict};
use crate::DecideError;
use yardstick_evidence::scores::GroupMembership;

/// Significance level of the report's verdicts (Holm-adjusted p-values).
pub const ALPHA: f64 = 0.05;
/// With more models than this, each is compared with the first only, not every pair.
const ALL_PAIRS_UP_TO: usize = 5;

/// Pairwise comparisons of `models` (model → its eval units, in the order the report lists
/// them); `None` with fewer than two models.
pub fn comparisons(
    models: &[(String, Vec<EvalUnit>)],
    groups: &GroupMembership,
    settings: &BootstrapSettings,
) -> Result<Option<Section>, DecideError> {
    if models.len() < 2 {
        return Ok(None);
    }
    let mut blocks = vec![method_paragraph(models.len(), settings)];
    let mut rows = Vec::new();
    let mut summaries = Vec::new();
    for (left, right) in compared_pairs(models.len()) {
        let (baseline, baseline_units) = &models[left];
        let (candidate, candidate_units) = &models[right];
        let pairing = pair_evals(baseline_units, candidate_units, ComparisonMode::Models);
        for refusal in &pairing.refused {
            blocks.push(Block::Notice {
                text: format!(
                    "{baseline} vs {candidate}, {}: not compared ({})",
                    refusal.task,
                    refusal.differences.join("; ")
                ),
            });
        }
        if pairing.pairs.is_empty() {
            continue;
        }
        let tasks = compare_families(&pairing.pairs, groups, settings, ALPHA, false)?;
        let summary = summarize(&tasks);
        summaries.push(format!(
            "{candidate} vs {baseline}: better on {}, worse on {}, indistinguishable on {} task(s).",
            summary.better, summary.worse, summary.indistinguishable
        ));
        rows.extend(
            tasks
                .iter()
                .map(|task| comparison_row(baseline, candidate, task)),
        );
    }
    if rows.is_empty() {
        blocks.push(Block::Notice {
            text: "No pair of models shares a comparable task with per-item scores.".to_string(),
        });
    } else {
        blocks.extend(summaries.into_iter().map(|text| Block::Paragraph { text }));
        blocks.push(comparisons_table(rows));
    }
    Ok(Some(Section::new("Comparisons", blocks)))
}

/// The (baseline, candidate) index pairs compared among `count` models: every pair up to
/// [`ALL_PAIRS_UP_TO`] models, else each model with the first only.
fn compared_pairs(count: usize) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for index in 0..count {
        for later in index + 1..count {
            if index == 0 || count <= ALL_PAIRS_UP_TO {
                pairs.push((index, later));
            }
        }
    }
    pairs
}

/// The paragraph saying how the `count` models are compared.
fn method_paragraph(count: usize, settings: &BootstrapSettings) -> Block {
    Block::Paragraph {
        text: format!(
            "Each pair of models on the tasks both were evaluated on, item by item: the \
             difference candidate − baseline of the main metric with its paired bootstrap 95% \
             interval ({} resamples, seed {}), McNemar's exact test for 0/1 scores (else the \
             paired t-test), p-values adjusted with Holm's method across the pair's tasks, a \
             group (mmlu) counting once by its subtasks' pooled items, and a verdict at \
             α = {ALPHA}. {}",
            settings.resamples,
            settings.seed,
            if count > ALL_PAIRS_UP_TO {
                "With this many models, each is compared with the first only."
            } else {
                ""
            }
        )
        .trim_end()
        .to_string(),
    }
}

/// One task's comparison of `candidate` with `baseline` as a table row, highlighted when the
/// difference is significant.
fn comparison_row(baseline: &str, candidate: &str, task: &TaskComparison) -> Row {
    Row {
        cells: vec![
            baseline.to_string(),
            candidate.to_string(),
            task.task.clone(),
            task.metric.clone(),
            task.items.to_string(),
            format!("{:.4}", task.baseline_mean),
            format!("{:.4}", task.candidate_mean),
            format!(
                "{:+.4} [{:+.4}, {:+.4}]",
                task.difference.value, task.difference.interval.low, task.difference.interval.high
            ),
            match task.test {
                PairedTest::McNemarExact => "McNemar exact",
                PairedTest::PairedT => "paired t",
            }
            .to_string(),
            format!("{:.4}", task.adjusted_p_value),
            match task.verdict {
                Verdict::Better => "better",
                Verdict::Worse => "worse",
                Verdict::Indistinguishable => "indistinguishable",
            }
            .to_string(),
        ],
        highlight: task.verdict != Verdict::Indistinguishable,
    }
}

/// The table of every compared task's row.
fn comparisons_table(rows: Vec<Row>) -> Block {
    Block::Table(Table {
        caption: "paired comparisons (significant differences highlighted)".to_string(),
        columns: strings(&[
            "baseline",
            "candidate",
            "task",
            "metric",
            "items",
            "baseline",
            "candidate",
            "difference [95% CI]",
            "test",
            "p (Holm)",
            "verdict",
        ]),
        rows,
    })
}

/// Each model's newest unit per task among `units` (given oldest run first), models in the
/// order they first appear.
pub fn by_model(units: Vec<EvalUnit>) -> Vec<(String, Vec<EvalUnit>)> {
    let mut order = Vec::new();
    let mut latest: BTreeMap<String, BTreeMap<String, EvalUnit>> = BTreeMap::new();
    for unit in units {
        let model = unit.unit.model.clone();
        if !latest.contains_key(&model) {
            order.push(model.clone());
        }
        latest
            .entry(model)
            .or_default()
            .insert(unit.unit.task.clone(), unit);
    }
    order
        .into_iter()
        .map(|model| {
            let units = latest
                .remove(&model)
                .map(|tasks| tasks.into_values().collect())
                .unwrap_or_default();
            (model, units)
        })
        .collect()
}
