//! The family of hypotheses of a comparison: a group counts once.
//!
//! Correcting for multiple comparisons is only as honest as its family. MMLU's 57 subjects
//! are one benchmark: entering them as 57 hypotheses beside five other tasks makes Holm's
//! correction about ten times harsher on every task, so a clear difference on arc_easy is
//! reported "indistinguishable". Here the family is the top-level tasks and the groups, each
//! group by its pooled items — the size-weighted aggregate the leaderboard scores, tested
//! with the same paired tests; a group's subtasks are shown on request and corrected within
//! their group.

use yardstick_evidence::scores::{label_of_group, GroupMembership};

use crate::bootstrap::BootstrapSettings;
use crate::paired::{compare_tasks, PairedScores, TaskComparison};
use crate::DecideError;

/// Where a task enters the family: alone, or as a member of a group.
enum Place<'a> {
    Task(&'a PairedScores),
    /// Group name, its number of leaves, its subtasks present.
    Group(&'a str, usize, Vec<&'a PairedScores>),
}

/// One hypothesis of a comparison's family: a task outside any group, or a group by its
/// pooled items (the size-weighted aggregate the leaderboard scores) with its subtasks.
struct Member<'a> {
    scores: PairedScores,
    /// The group's name (`mmlu`) for a group.
    group: Option<&'a str>,
    subtasks: Vec<&'a PairedScores>,
}

/// Compares tasks as a family of hypotheses in which a group counts once: tasks outside any
/// group and each group (its subtasks' items pooled, labelled `mmlu` or `mmlu (3/57
/// subtasks)`) are corrected together with Holm's method; with `subtasks`, each group's
/// subtasks follow its row, corrected within the group (their `group` names it). A group
/// whose subtasks have different metrics cannot be pooled: its subtasks then enter the
/// family one by one. Only family rows count in [`crate::paired::summarize`].
pub fn compare_families(
    tasks: &[PairedScores],
    groups: &GroupMembership,
    settings: &BootstrapSettings,
    alpha: f64,
    subtasks: bool,
) -> Result<Vec<TaskComparison>, DecideError> {
    // Tasks outside groups, and groups at the place of their first subtask.
    let mut places: Vec<Place> = Vec::new();
    for scores in tasks {
        match groups.group_of(&scores.task) {
            None => places.push(Place::Task(scores)),
            Some((name, total)) => {
                let existing = places.iter_mut().find_map(|place| match place {
                    Place::Group(group, _, leaves) if *group == name => Some(leaves),
                    _ => None,
                });
                match existing {
                    Some(leaves) => leaves.push(scores),
                    None => places.push(Place::Group(name, total, vec![scores])),
                }
            }
        }
    }
    let mut family: Vec<Member> = Vec::new();
    for place in places {
        match place {
            Place::Task(scores) => family.push(Member {
                scores: scores.clone(),
                group: None,
                subtasks: Vec::new(),
            }),
            Place::Group(name, total, leaves) => {
                let same_metric = leaves.iter().all(|leaf| leaf.metric == leaves[0].metric);
                if !same_metric {
                    family.extend(leaves.iter().map(|leaf| Member {
                        scores: (*leaf).clone(),
                        group: None,
                        subtasks: Vec::new(),
                    }));
                    continue;
                }
                family.push(Member {
                    scores: PairedScores {
                        task: label_of_group(name, leaves.len(), total),
                        metric: leaves[0].metric.clone(),
                        baseline: leaves
                            .iter()
                            .flat_map(|leaf| leaf.baseline.clone())
                            .collect(),
                        candidate: leaves
                            .iter()
                            .flat_map(|leaf| leaf.candidate.clone())
                            .collect(),
                    },
                    group: Some(name),
                    subtasks: leaves,
                });
            }
        }
    }
    let hypotheses: Vec<PairedScores> = family.iter().map(|member| member.scores.clone()).collect();
    let mut rows = Vec::new();
    for (member, mut row) in family
        .iter()
        .zip(compare_tasks(&hypotheses, settings, alpha)?)
    {
        if !member.subtasks.is_empty() {
            row.pooled_subtasks = Some(member.subtasks.len());
        }
        rows.push(row);
        if subtasks && !member.subtasks.is_empty() {
            let within: Vec<PairedScores> =
                member.subtasks.iter().map(|leaf| (*leaf).clone()).collect();
            for mut row in compare_tasks(&within, settings, alpha)? {
                row.group = member.group.map(str::to_string);
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paired::{summarize, Verdict};

    /// Paired 0/1 scores: `both` right on both sides, `baseline_only`, `candidate_only`, then
    /// `neither`.
    fn items(
        task: &str,
        both: usize,
        baseline_only: usize,
        candidate_only: usize,
        neither: usize,
    ) -> PairedScores {
        let mut baseline = vec![1.0; both + baseline_only];
        baseline.extend(vec![0.0; candidate_only + neither]);
        let mut candidate = vec![1.0; both];
        candidate.extend(vec![0.0; baseline_only]);
        candidate.extend(vec![1.0; candidate_only]);
        candidate.extend(vec![0.0; neither]);
        PairedScores {
            task: task.to_string(),
            metric: "acc".to_string(),
            baseline,
            candidate,
        }
    }

    /// The demo's shape: six tasks, then MMLU's 57 subjects with small differences either way.
    fn demo() -> (Vec<PairedScores>, GroupMembership) {
        let mut tasks = vec![
            // −0.13: 16 items only the baseline gets, 3 only the candidate (McNemar p 0.0044).
            items("arc_easy", 40, 16, 3, 41),
            // −0.23.
            items("boolq", 50, 25, 2, 23),
            items("hellaswag", 30, 2, 3, 65),
            items("piqa", 55, 3, 2, 40),
            items("winogrande", 50, 4, 4, 42),
            items("openbookqa", 20, 1, 2, 77),
        ];
        let subjects: Vec<String> = (0..57).map(|i| format!("mmlu_subject_{i:02}")).collect();
        for (index, subject) in subjects.iter().enumerate() {
            tasks.push(items(subject, 3, index % 2, (index + 1) % 3 / 2, 5));
        }
        let groups = GroupMembership::new(vec![("mmlu".to_string(), subjects)]);
        (tasks, groups)
    }

    fn settings() -> BootstrapSettings {
        BootstrapSettings {
            resamples: 500,
            ..BootstrapSettings::default()
        }
    }

    #[test]
    fn a_group_counts_once_so_a_clear_task_difference_is_significant() {
        let (tasks, groups) = demo();
        // Every subject a hypothesis (63 in all): arc_easy drowns in the correction.
        let leaves = compare_tasks(&tasks, &settings(), 0.05).expect("comparison");
        assert_eq!(leaves.len(), 63);
        assert!(
            (leaves[0].p_value - 0.004_425).abs() < 1e-6,
            "{}",
            leaves[0].p_value
        );
        assert!(leaves[0].adjusted_p_value > 0.2);
        assert_eq!(leaves[0].verdict, Verdict::Indistinguishable);

        // The family of the six tasks and mmlu once: arc_easy's −0.13 is significant.
        let family = compare_families(&tasks, &groups, &settings(), 0.05, false).expect("family");
        let names: Vec<&str> = family.iter().map(|row| row.task.as_str()).collect();
        assert_eq!(
            names,
            [
                "arc_easy",
                "boolq",
                "hellaswag",
                "piqa",
                "winogrande",
                "openbookqa",
                "mmlu"
            ]
        );
        let arc = &family[0];
        assert!((arc.difference.value + 0.13).abs() < 1e-12);
        // Holm: boolq's p is the smallest, so arc_easy's is multiplied by 6.
        assert!((arc.adjusted_p_value - 6.0 * arc.p_value).abs() < 1e-12);
        assert_eq!(arc.verdict, Verdict::Worse);
        assert_eq!(family[1].verdict, Verdict::Worse);
        // mmlu by its pooled items: every subject's.
        let mmlu = &family[6];
        let pooled: usize = tasks[6..]
            .iter()
            .map(|subject| subject.baseline.len())
            .sum();
        assert_eq!(mmlu.items, pooled);
        assert_eq!(pooled, 503);
        assert!(mmlu.group.is_none());
        assert_eq!(mmlu.pooled_subtasks, Some(57));
        assert_eq!(arc.pooled_subtasks, None);
        let summary = summarize(&family);
        assert_eq!((summary.better, summary.worse), (0, 2));
    }

    #[test]
    fn subtasks_on_request_are_corrected_within_their_group() {
        let (tasks, groups) = demo();
        let rows = compare_families(&tasks, &groups, &settings(), 0.05, true).expect("rows");
        assert_eq!(rows.len(), 7 + 57);
        let subjects: Vec<&TaskComparison> =
            rows.iter().filter(|row| row.group.is_some()).collect();
        assert_eq!(subjects.len(), 57);
        assert!(subjects
            .iter()
            .all(|row| row.group.as_deref() == Some("mmlu")));
        // They follow the group's row, and the summary counts the family only.
        assert_eq!(rows[6].task, "mmlu");
        assert_eq!(rows[7].task, "mmlu_subject_00");
        let alone = compare_tasks(&tasks[6..], &settings(), 0.05).expect("within");
        assert_eq!(rows[7].adjusted_p_value, alone[0].adjusted_p_value);
        let summary = summarize(&rows);
        assert_eq!(
            summary.better + summary.worse + summary.indistinguishable,
            7
        );
    }

    #[test]
    fn a_partial_group_is_labelled_and_mixed_metrics_are_not_pooled() {
        let (mut tasks, groups) = demo();
        tasks.truncate(6 + 3);
        let rows = compare_families(&tasks, &groups, &settings(), 0.05, false).expect("rows");
        assert_eq!(rows[6].task, "mmlu (3/57 subtasks)");
        tasks[8].metric = "acc_norm".to_string();
        let rows = compare_families(&tasks, &groups, &settings(), 0.05, false).expect("rows");
        let names: Vec<&str> = rows.iter().skip(6).map(|row| row.task.as_str()).collect();
        assert_eq!(
            names,
            ["mmlu_subject_00", "mmlu_subject_01", "mmlu_subject_02"]
        );
    }
}
