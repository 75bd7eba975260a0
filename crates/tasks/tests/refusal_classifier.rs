//! The refusal classifiers against XSTest's labelled completions (five models × 450 prompts,
//! `xstest/xstest_v2_completions_<model>_streval.csv` in the data directory):
//!
//! - XSTest's string match must reproduce upstream's own `strmatch_label` on every row;
//! - both methods' agreement with the human `final_label` is measured, printed as a table
//!   and asserted exactly, so a change to either classifier fails here. The same numbers
//!   are in `docs/parity.md`, "Refusal classifier"; reproduce them with
//!   `cargo test -p yardstick-tasks --test refusal_classifier -- --nocapture`.
//!
//! Agreement is counted three ways. "Refusal" (the main one): a full or a partial refusal
//! counts as a refusal, so the classifier is right when it says refusal exactly when the
//! human label is not `1_full_compliance` (this is also the full-compliance-vs-not split).
//! "Full refusal": only `2_full_refusal` counts as a refusal (a partial refusal counts as
//! compliance). "Label": the classifier's two labels (`2_full_refusal` when it finds a
//! refusal, else `1_full_compliance`) equal the human three-class label, as the XSTest
//! repository compares them; a partial refusal is never matched.

use std::path::Path;
use yardstick_tasks::scoring::RefusalMethod;

const MODELS: [&str; 5] = [
    "gpt4",
    "llama2new",
    "llama2orig",
    "mistralguard",
    "mistralinstruct",
];

const COMPLIANCE: &str = "1_full_compliance";
const FULL_REFUSAL: &str = "2_full_refusal";
const PARTIAL_REFUSAL: &str = "3_partial_refusal";

const XSTEST: RefusalMethod = RefusalMethod::XstestStringMatch;
const GCG: RefusalMethod = RefusalMethod::GcgSubstring;

/// One labelled completion.
struct Row {
    completion: String,
    final_label: String,
    strmatch_label: String,
}

fn read_rows(path: &Path) -> Vec<Row> {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let headers = reader
        .headers()
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|header| header == name)
            .unwrap_or_else(|| panic!("{}: no column `{name}`", path.display()))
    };
    let (completion, final_label, strmatch_label) = (
        column("completion"),
        column("final_label"),
        column("strmatch_label"),
    );
    reader
        .records()
        .enumerate()
        .map(|(index, record)| {
            let record = record.unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            let cell = |position: usize| {
                record
                    .get(position)
                    .unwrap_or_else(|| panic!("{}: row {} is short", path.display(), index + 1))
                    .to_string()
            };
            let row = Row {
                completion: cell(completion),
                final_label: cell(final_label),
                strmatch_label: cell(strmatch_label),
            };
            assert!(
                [COMPLIANCE, FULL_REFUSAL, PARTIAL_REFUSAL].contains(&row.final_label.as_str()),
                "{}: row {}: final_label `{}`",
                path.display(),
                index + 1,
                row.final_label
            );
            row
        })
        .collect()
}

/// Agreement counts of one method on one model's rows, and its refusal confusion counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Agreement {
    rows: u32,
    /// Right on refusal (full or partial) vs full compliance.
    refusal: u32,
    /// Right on full refusal vs the rest.
    full_refusal: u32,
    /// The two-class label equals the three-class human label.
    label: u32,
    /// Called a refusal where the human label is full compliance.
    false_refusals: u32,
    /// Called compliance where the human label is a full or partial refusal.
    missed_refusals: u32,
}

impl Agreement {
    fn add(&mut self, other: Agreement) {
        self.rows += other.rows;
        self.refusal += other.refusal;
        self.full_refusal += other.full_refusal;
        self.label += other.label;
        self.false_refusals += other.false_refusals;
        self.missed_refusals += other.missed_refusals;
    }
}

fn agreement(method: RefusalMethod, rows: &[Row]) -> Agreement {
    let mut counts = Agreement::default();
    for row in rows {
        let refused = method.is_refusal(&row.completion);
        let human_refused = row.final_label != COMPLIANCE;
        let label = if refused { FULL_REFUSAL } else { COMPLIANCE };
        counts.rows += 1;
        counts.refusal += u32::from(refused == human_refused);
        counts.full_refusal += u32::from(refused == (row.final_label == FULL_REFUSAL));
        counts.label += u32::from(label == row.final_label);
        counts.false_refusals += u32::from(refused && !human_refused);
        counts.missed_refusals += u32::from(!refused && human_refused);
    }
    counts
}

fn percent(count: u32, rows: u32) -> String {
    format!(
        "{count} ({:.1}%)",
        100.0 * f64::from(count) / f64::from(rows)
    )
}

#[test]
fn classifiers_agree_with_xstests_labels_as_measured() {
    let Some(data_dir) = yardstick_test_support::fixtures::require_datasets() else {
        return;
    };
    let mut measured = Vec::new();
    let mut totals = [Agreement::default(); 2];
    for model in MODELS {
        let path = data_dir.join(format!("xstest/xstest_v2_completions_{model}_streval.csv"));
        let rows = read_rows(&path);
        assert_eq!(rows.len(), 450, "{}", path.display());
        // XSTest's string match is upstream's: the same label on every row.
        for (index, row) in rows.iter().enumerate() {
            let refused = RefusalMethod::XstestStringMatch.is_refusal(&row.completion);
            let label = if refused { FULL_REFUSAL } else { COMPLIANCE };
            assert_eq!(
                label,
                row.strmatch_label,
                "{model}, row {}: {:?}",
                index + 1,
                row.completion
            );
        }
        for (position, method) in RefusalMethod::ALL.into_iter().enumerate() {
            let counts = agreement(method, &rows);
            totals[position].add(counts);
            measured.push((model, method, counts));
        }
    }
    for (position, method) in RefusalMethod::ALL.into_iter().enumerate() {
        measured.push(("all", method, totals[position]));
    }

    println!(
        "| model | method | refusal (full or partial) | full refusal | label (3-class) | false refusals | missed refusals |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (model, method, counts) in &measured {
        println!(
            "| {model} | {method} | {} | {} | {} | {} | {} |",
            percent(counts.refusal, counts.rows),
            percent(counts.full_refusal, counts.rows),
            percent(counts.label, counts.rows),
            counts.false_refusals,
            counts.missed_refusals,
        );
    }

    // (model, method, refusal, full refusal, label, false refusals, missed refusals),
    // measured on the files of xstest/SOURCE.md. The `label` counts of xstest_strmatch are
    // the "strmatch = final_label" column there.
    let expected: [(&str, RefusalMethod, [u32; 5]); 12] = [
        ("gpt4", XSTEST, [421, 420, 416, 17, 12]),
        ("gpt4", GCG, [418, 415, 412, 29, 3]),
        ("llama2new", XSTEST, [416, 398, 385, 9, 25]),
        ("llama2new", GCG, [371, 367, 347, 16, 63]),
        ("llama2orig", XSTEST, [402, 375, 361, 8, 40]),
        ("llama2orig", GCG, [399, 370, 357, 16, 35]),
        ("mistralguard", XSTEST, [364, 361, 342, 9, 77]),
        ("mistralguard", GCG, [329, 324, 306, 28, 93]),
        ("mistralinstruct", XSTEST, [387, 406, 383, 3, 60]),
        ("mistralinstruct", GCG, [363, 384, 360, 26, 61]),
        ("all", XSTEST, [1990, 1960, 1887, 46, 214]),
        ("all", GCG, [1880, 1860, 1782, 115, 255]),
    ];
    let actual: Vec<(&str, RefusalMethod, [u32; 5])> = measured
        .iter()
        .map(|(model, method, counts)| {
            (
                *model,
                *method,
                [
                    counts.refusal,
                    counts.full_refusal,
                    counts.label,
                    counts.false_refusals,
                    counts.missed_refusals,
                ],
            )
        })
        .collect();
    assert_eq!(actual, expected);
}
