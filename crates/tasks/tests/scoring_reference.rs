//! yardstick's metric functions against the Python libraries lm-evaluation-harness uses.
//!
//! `scoring_reference/reference.json` was produced by `scoring_reference/make_reference.py`
//! (Python 3.11, lm-eval 0.4.13, sacrebleu 2.6.0, rouge-score 0.1.2, scikit-learn 1.9.1,
//! numpy 2.4.6; versions recorded in the file) from lm-eval's own metric functions,
//! sacrebleu, rouge-score, scikit-learn and the official SQuAD scripts. Scores must agree
//! within 1e-9, counts and strings exactly.

use serde_json::Value;
use std::sync::LazyLock;
use yardstick_core::stats;
use yardstick_tasks::scoring::{
    self, bleu_tokenize, python_str, BleuOptions, ExactMatchOptions, ExactMatcher,
    LmEvalAggregation, RougeKind, Smooth, StderrPolicy, Tokenize,
};

const TOLERANCE: f64 = 1e-9;

static REFERENCE: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("scoring_reference/reference.json"))
        .expect("reference.json is valid JSON")
});

fn reference(section: &str) -> &'static Value {
    &REFERENCE[section]
}

fn array(value: &Value) -> &Vec<Value> {
    value.as_array().expect("a JSON array")
}

fn text(value: &Value) -> &str {
    value.as_str().expect("a JSON string")
}

fn number(value: &Value) -> f64 {
    value.as_f64().expect("a JSON number")
}

fn strings(value: &Value) -> Vec<String> {
    array(value)
        .iter()
        .map(|item| text(item).to_string())
        .collect()
}

fn assert_close(actual: f64, expected: f64, context: &dyn std::fmt::Display) {
    assert!(
        (actual - expected).abs() <= TOLERANCE,
        "{context}: got {actual:?}, Python gives {expected:?}"
    );
}

/// Code point ranges `[[start, end], ...]` as a membership test.
fn ranges(value: &Value) -> Vec<(u32, u32)> {
    array(value)
        .iter()
        .map(|pair| {
            let bounds = array(pair);
            (
                bounds[0].as_u64().expect("a code point") as u32,
                bounds[1].as_u64().expect("a code point") as u32,
            )
        })
        .collect()
}

fn contains(ranges: &[(u32, u32)], code: u32) -> bool {
    let index = ranges.partition_point(|(_, end)| *end < code);
    ranges
        .get(index)
        .is_some_and(|(start, end)| *start <= code && code <= *end)
}

/// Every character, compared with a Python table; characters unassigned in Python's Unicode
/// version may differ (Rust's tables are newer) and are listed, not failed.
fn compare_every_character(name: &str, python: impl Fn(char) -> bool, rust: impl Fn(char) -> bool) {
    let assigned = ranges(&reference("python_text")["assigned"]);
    let mut newer = 0;
    for character in (0..=0x10FFFF).filter_map(char::from_u32) {
        if python(character) != rust(character) {
            assert!(
                !contains(&assigned, character as u32),
                "{name}: U+{:04X} differs from Python",
                character as u32
            );
            newer += 1;
        }
    }
    println!("{name}: {newer} characters unassigned in Python's Unicode classified differently");
}

#[test]
fn python_whitespace_and_word_characters() {
    let tables = reference("python_text");
    let space = ranges(&tables["space"]);
    compare_every_character(
        "isspace",
        |c| contains(&space, c as u32),
        python_str::is_space,
    );
    let word = ranges(&tables["word"]);
    compare_every_character(
        "re \\w",
        |c| contains(&word, c as u32),
        python_str::is_word_character,
    );
}

#[test]
fn python_lowercase() {
    let tables = reference("python_text");
    let mut python: std::collections::HashMap<u32, String> = std::collections::HashMap::new();
    for pair in array(&tables["lower"]) {
        let pair = array(pair);
        python.insert(
            pair[0].as_u64().expect("a code point") as u32,
            text(&pair[1]).into(),
        );
    }
    let assigned = ranges(&tables["assigned"]);
    for character in (0..=0x10FFFF).filter_map(char::from_u32) {
        let expected = python
            .get(&(character as u32))
            .cloned()
            .unwrap_or_else(|| character.to_string());
        let actual = python_str::lower(&character.to_string());
        if actual != expected {
            assert!(
                !contains(&assigned, character as u32),
                "lower(U+{:04X}): {actual:?}, Python {expected:?}",
                character as u32
            );
        }
    }
    for pair in array(&tables["lower_strings"]) {
        let pair = array(pair);
        assert_eq!(python_str::lower(text(&pair[0])), text(&pair[1]));
    }
}

#[test]
fn unicode_categories_of_the_intl_tokenizer() {
    let tables = reference("python_text");
    for (key, pattern) in [
        ("regex_punctuation", r"^\p{P}$"),
        ("regex_symbol", r"^\p{S}$"),
        ("regex_number", r"^\p{N}$"),
    ] {
        let python = ranges(&tables[key]);
        let rust = regex::Regex::new(pattern).expect("a valid pattern");
        compare_every_character(
            key,
            |c| contains(&python, c as u32),
            |c| rust.is_match(&c.to_string()),
        );
    }
}

fn exact_match_options(value: &Value) -> ExactMatchOptions {
    ExactMatchOptions::from_kwargs(value.as_object().expect("an options object"))
        .expect("valid options")
}

#[test]
fn exact_match_single_reference() {
    let cases = array(&reference("exact_match")["single"]);
    for case in cases {
        let options = exact_match_options(&case["options"]);
        let matcher = ExactMatcher::new(&options).expect("options compile");
        let actual = matcher
            .score(text(&case["prediction"]), text(&case["reference"]))
            .expect("scores");
        assert_eq!(actual, number(&case["value"]), "exact_match {case}");
    }
    assert!(cases.len() >= 200);
}

#[test]
fn exact_match_list_targets_as_process_results() {
    for case in array(&reference("exact_match")["multiple"]) {
        let options = exact_match_options(&case["options"]);
        let actual = scoring::exact_match_any(
            text(&case["prediction"]),
            &strings(&case["references"]),
            &options,
        )
        .expect("scores");
        assert_eq!(actual, number(&case["value"]), "exact_match {case}");
    }
}

#[test]
fn squad_normalisation_exact_and_f1() {
    let squad = reference("squad");
    for case in array(&squad["pairs"]) {
        let prediction = text(&case["prediction"]);
        let truth = text(&case["ground_truth"]);
        assert_eq!(
            scoring::normalize_answer(prediction),
            text(&case["normalized_prediction"]),
            "{case}"
        );
        assert_close(
            scoring::squad_f1(prediction, truth),
            number(&case["f1"]),
            case,
        );
        assert_eq!(
            scoring::squad_exact_match(prediction, truth),
            number(&case["exact"]),
            "{case}"
        );
        assert_close(
            scoring::squad_v2_f1(prediction, truth),
            number(&case["v2_f1"]),
            case,
        );
        assert_eq!(
            scoring::squad_v2_exact(prediction, truth),
            number(&case["v2_exact"]),
            "{case}"
        );
    }
    for case in array(&squad["v2_questions"]) {
        let scores =
            scoring::squad_v2_scores(text(&case["prediction"]), &strings(&case["answers"]));
        assert_eq!(scores.exact, number(&case["exact"]), "{case}");
        assert_close(scores.f1, number(&case["f1"]), case);
    }
}

#[test]
fn sacrebleu_tokenizers() {
    for case in array(reference("tokenizers")) {
        let line = text(&case["line"]);
        assert_eq!(
            bleu_tokenize::tokenize_13a(line),
            text(&case["13a"]),
            "13a {line:?}"
        );
        assert_eq!(
            bleu_tokenize::tokenize_intl(line),
            text(&case["intl"]),
            "intl {line:?}"
        );
    }
}

fn bleu_options(case: &Value) -> BleuOptions {
    let value = case["smooth_value"].as_f64();
    let smooth = match text(&case["smooth"]) {
        "exp" => Smooth::Exp,
        "floor" => Smooth::Floor(value.unwrap_or(Smooth::FLOOR_DEFAULT)),
        "add-k" => Smooth::AddK(value.unwrap_or(Smooth::ADD_K_DEFAULT)),
        "none" => Smooth::None,
        other => panic!("unknown smooth method {other}"),
    };
    BleuOptions {
        tokenize: text(&case["tokenize"])
            .parse::<Tokenize>()
            .expect("a tokenizer"),
        smooth,
        lowercase: case["lowercase"].as_bool().expect("a boolean"),
        use_effective_order: case["use_effective_order"].as_bool().expect("a boolean"),
    }
}

fn assert_bleu(actual: &scoring::BleuScore, expected: &Value) {
    assert_close(actual.score, number(&expected["score"]), expected);
    assert_close(actual.bp, number(&expected["bp"]), expected);
    let counts: Vec<u64> = array(&expected["counts"])
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    let totals: Vec<u64> = array(&expected["totals"])
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert_eq!(actual.counts.to_vec(), counts, "{expected}");
    assert_eq!(actual.totals.to_vec(), totals, "{expected}");
    assert_eq!(
        Some(actual.sys_len),
        expected["sys_len"].as_u64(),
        "{expected}"
    );
    assert_eq!(
        Some(actual.ref_len),
        expected["ref_len"].as_u64(),
        "{expected}"
    );
}

#[test]
fn corpus_bleu_matches_sacrebleu() {
    let cases = array(&reference("bleu")["corpus"]);
    for case in cases {
        let hypotheses = strings(&case["hypotheses"]);
        let references: Vec<Vec<String>> = array(&case["references"]).iter().map(strings).collect();
        let score = scoring::corpus_bleu(&hypotheses, &references, &bleu_options(case))
            .expect("a valid corpus");
        assert_bleu(&score, case);
    }
    assert!(cases.len() >= 40);
}

#[test]
fn sentence_bleu_matches_sacrebleu() {
    for case in array(&reference("bleu")["sentence"]) {
        let score = scoring::sentence_bleu(
            text(&case["hypothesis"]),
            &strings(&case["references"]),
            &BleuOptions::sentence(),
        )
        .expect("a valid sentence");
        assert_bleu(&score, case);
    }
}

#[test]
fn lm_eval_bleu_aggregation() {
    for case in array(&reference("bleu")["lm_eval_aggregation"]) {
        let references: Vec<Vec<String>> = array(&case["references"]).iter().map(strings).collect();
        let value = scoring::lm_eval_bleu(&references, &strings(&case["predictions"]))
            .expect("a valid corpus");
        assert_close(value, number(&case["value"]), case);
    }
}

#[test]
fn rouge_score_package() {
    let cases = array(reference("rouge"));
    for case in cases {
        let target = text(&case["target"]);
        let prediction = text(&case["prediction"]);
        assert_eq!(
            scoring::rouge_tokenize(target),
            strings(&case["tokens"]),
            "{case}"
        );
        for name in ["rouge1", "rouge2", "rouge3", "rougeL", "rougeLsum"] {
            let kind: RougeKind = name.parse().expect("a ROUGE type");
            let score = kind.score(target, prediction);
            let expected = array(&case[name]);
            let context = format!("{name} {case}");
            assert_close(score.precision, number(&expected[0]), &context);
            assert_close(score.recall, number(&expected[1]), &context);
            assert_close(score.fmeasure, number(&expected[2]), &context);
        }
    }
    assert!(cases.len() >= 40);
}

#[test]
fn truthfulqa_bleu_and_rouge() {
    let cases = array(reference("truthfulqa"));
    for case in cases {
        let reference = text(&case["reference"]);
        let prediction = text(&case["prediction"]);
        assert_close(
            scoring::truthfulqa_bleu(reference, prediction),
            number(&case["bleu"]),
            case,
        );
        let rouge = scoring::truthfulqa_rouge(reference, prediction);
        assert_close(rouge.rouge1, number(&case["rouge1"]), case);
        assert_close(rouge.rouge2, number(&case["rouge2"]), case);
        assert_close(rouge.rouge_lsum, number(&case["rougeLsum"]), case);
    }
    assert!(cases.len() >= 40);
}

fn label_pairs(value: &Value) -> Vec<(i64, i64)> {
    array(value)
        .iter()
        .map(|pair| {
            let pair = array(pair);
            (
                pair[0].as_i64().expect("a label"),
                pair[1].as_i64().expect("a label"),
            )
        })
        .collect()
}

#[test]
fn classification_aggregations_match_scikit_learn() {
    for case in array(reference("classification")) {
        let pairs = label_pairs(&case["pairs"]);
        for (name, actual) in [
            ("f1", scoring::f1_score(&pairs)),
            ("mcc", scoring::matthews_corrcoef(&pairs)),
        ] {
            match case[name].as_f64() {
                Some(expected) => {
                    assert_close(actual.expect("scikit-learn scores it"), expected, case)
                }
                None => assert!(actual.is_err(), "{name}: scikit-learn refuses {case}"),
            }
        }
    }
}

#[test]
fn perplexity_aggregations_and_rolling_counts() {
    let section = reference("aggregation");
    for case in array(&section["lists"]) {
        let lls: Vec<f64> = array(&case["loglikelihoods"]).iter().map(number).collect();
        let weights: Vec<u64> = array(&case["weights"])
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        let items: Vec<(f64, u64)> = lls.iter().copied().zip(weights).collect();
        assert_close(
            stats::mean(&lls).expect("items"),
            number(&case["mean"]),
            case,
        );
        assert_eq!(scoring::median(&lls), case["median"].as_f64(), "{case}");
        assert_close(
            scoring::perplexity(&lls).expect("items"),
            number(&case["perplexity"]),
            case,
        );
        assert_close(
            scoring::weighted_perplexity(&items).expect("items"),
            number(&case["weighted_perplexity"]),
            case,
        );
        assert_close(
            scoring::bits_per_byte(&items).expect("items"),
            number(&case["bits_per_byte"]),
            case,
        );
        if let Some(expected) = case["mean_stderr"].as_f64() {
            assert_close(stats::mean_stderr(&lls).expect("2 or more"), expected, case);
        }
    }
    for case in array(&section["documents"]) {
        let document = text(&case["text"]);
        assert_eq!(
            Some(scoring::count_words(document)),
            case["words"].as_u64(),
            "{case}"
        );
        assert_eq!(
            Some(scoring::count_bytes(document)),
            case["bytes"].as_u64(),
            "{case}"
        );
    }
}

/// A statistic over resampled JSON items, as lm-eval's aggregation functions take them.
type Statistic = Box<dyn Fn(&[Value]) -> f64>;

fn statistic_of(name: &str) -> Statistic {
    let floats = |items: &[Value]| items.iter().map(number).collect::<Vec<f64>>();
    match name {
        "mean" => Box::new(move |items| stats::mean(&floats(items)).unwrap_or(f64::NAN)),
        "median" => Box::new(move |items| scoring::median(&floats(items)).unwrap_or(f64::NAN)),
        "perplexity" => {
            Box::new(move |items| scoring::perplexity(&floats(items)).unwrap_or(f64::NAN))
        }
        "f1" => Box::new(|items| {
            scoring::f1_score(&label_pairs(&Value::Array(items.to_vec()))).unwrap_or(f64::NAN)
        }),
        "matthews_corrcoef" => Box::new(|items| {
            scoring::matthews_corrcoef(&label_pairs(&Value::Array(items.to_vec())))
                .unwrap_or(f64::NAN)
        }),
        "bleu" => Box::new(|items| {
            let references: Vec<[&str; 1]> = items.iter().map(|item| [text(&item[0])]).collect();
            let predictions: Vec<&str> = items.iter().map(|item| text(&item[1])).collect();
            scoring::lm_eval_bleu(&references, &predictions).unwrap_or(f64::NAN)
        }),
        other => panic!("no statistic {other}"),
    }
}

#[test]
fn bootstrap_reproduces_lm_eval_draw_for_draw() {
    for case in array(&reference("bootstrap")["resamples"]) {
        let statistic = statistic_of(text(&case["statistic"]));
        let iters = case["iters"].as_u64().expect("iters");
        let value = scoring::lm_eval_bootstrap_stderr(array(&case["items"]), &*statistic, iters)
            .expect("enough items");
        assert_close(value, number(&case["value"]), &case["statistic"]);
    }
}

#[test]
fn stderr_policy_matches_stderr_for_metric() {
    for case in array(&reference("bootstrap")["policies"]) {
        let aggregation = LmEvalAggregation::from_name(text(&case["aggregation"]));
        let iters = case["bootstrap_iters"].as_u64().expect("iters");
        let policy = scoring::stderr_policy("some_metric", &aggregation, iters);
        let kind = match policy {
            StderrPolicy::NotComputed => "not_computed",
            StderrPolicy::MeanStderr => "mean_stderr",
            StderrPolicy::Bootstrap { .. } => "bootstrap",
        };
        assert_eq!(kind, text(&case["kind"]), "{case}");
    }
}
