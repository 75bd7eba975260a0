use serde_json::{json, Value};

use super::*;

fn pipelines(value: Value) -> Vec<FilterPipeline> {
    parse_filter_list(&value).unwrap_or_else(|error| panic!("{error}"))
}

fn one(steps: Value) -> FilterPipeline {
    pipelines(json!([{"name": "p", "filter": steps}])).remove(0)
}

fn responses(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn text(pipeline: &FilterPipeline, items: &[&str]) -> String {
    pipeline
        .apply(&responses(items))
        .unwrap_or_else(|error| panic!("{error}"))
}

fn config_error(value: Value) -> FilterConfigError {
    match parse_filter_list(&value) {
        Err(error) => error,
        Ok(parsed) => panic!("expected an error, parsed {parsed:?}"),
    }
}

#[test]
fn gsm8k_strict_and_flexible() {
    let parsed = pipelines(json!([
        {"name": "strict-match", "filter": [
            {"function": "regex", "regex_pattern": "#### (\\-?[0-9\\.\\,]+)"},
            {"function": "take_first"}]},
        {"name": "flexible-extract", "filter": [
            {"function": "regex", "group_select": -1, "regex_pattern": "(-?[$0-9.,]{2,})|(-?[0-9]+)"},
            {"function": "take_first"}]}
    ]));
    let answer = ["So 3 + 4 = 7 apples.\n#### 1,234.\nThen 5"];
    assert_eq!(text(&parsed[0], &answer), "1,234.");
    assert_eq!(text(&parsed[1], &answer), "5");
    assert_eq!(text(&parsed[0], &["no number"]), "[invalid]");
    assert_eq!(text(&parsed[1], &["no number"]), "[invalid]");
}

#[test]
fn default_regex_and_fallback() {
    let pipeline = one(json!([{"function": "regex", "fallback": "?"}, {"function": "take_first"}]));
    assert_eq!(text(&pipeline, &["#### -12"]), "-12");
    assert_eq!(text(&pipeline, &["12"]), "?");
}

#[test]
fn majority_vote_ties_go_to_the_first_seen() {
    let pipeline = one(json!([{"function": "majority_vote"}, {"function": "take_first"}]));
    assert_eq!(text(&pipeline, &["b", "a", "a", "b", "c"]), "b");
    assert_eq!(text(&pipeline, &["b", "a", "a"]), "a");
}

#[test]
fn take_first_k_keeps_a_list() {
    let pipeline = one(json!([{"function": "take_first_k", "k": 2}]));
    assert_eq!(
        pipeline.run(&responses(&["x", "y", "z"]), None),
        Ok(FilterOutput::List(vec![json!("x"), json!("y")]))
    );
    let error = pipeline
        .run(&responses(&["x"]), None)
        .err()
        .map(|e| e.to_string());
    assert!(error.is_some_and(|e| e.contains("at least 2")));
}

#[test]
fn map_and_case_steps() {
    let pipeline = one(json!([
        {"function": "remove_whitespace"},
        {"function": "uppercase"},
        {"function": "take_first"},
        {"function": "map"}
    ]));
    // map over a string maps its characters, as in Python.
    assert_eq!(
        pipeline.run(&responses(&[" ab\n"]), None),
        Ok(FilterOutput::List(vec![Value::Null, Value::Null]))
    );
    let pipeline = one(json!([
        {"function": "lowercase"},
        {"function": "map", "mapping_dict": {"a": 0, "b": 1}, "default_value": -1},
        {"function": "take_first"}
    ]));
    assert_eq!(
        pipeline.run(&responses(&["B"]), None),
        Ok(FilterOutput::Other(json!(1)))
    );
    assert_eq!(
        pipeline.run(&responses(&["c"]), None),
        Ok(FilterOutput::Other(json!(-1)))
    );
}

#[test]
fn default_none_takes_the_first_response() {
    let pipeline = FilterPipeline::default_none();
    assert_eq!(pipeline.name, "none");
    assert_eq!(text(&pipeline, &["first", "second"]), "first");
    assert!(pipeline.apply(&[]).is_err());
    assert_eq!(FilterPipeline::NONE, pipeline.name());
}

#[test]
fn step_errors_name_the_pipeline_and_step() {
    let pipeline = one(json!([{"function": "regex", "regex_pattern": "\\d", "group_select": 3}]));
    let error = pipeline
        .apply(&responses(&["1 2"]))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        error.as_deref(),
        Some("filter pipeline `p`, step 0 (`regex`): group_select 3 is out of range for 2 matches (Python raises IndexError)")
    );
    let pipeline =
        one(json!([{"function": "map", "mapping_dict": {"a": 1}}, {"function": "lowercase"}]));
    assert!(pipeline.apply(&responses(&["a"])).is_err());
}

#[test]
fn config_errors_name_the_key_path() {
    let error = config_error(json!([
        {"name": "a", "filter": [{"function": "take_first"}]},
        {"name": "b", "filter": [{"function": "regexp"}]}
    ]));
    assert_eq!(error.path, "filter_list[1].filter[0].function");
    assert!(
        error.message.contains("unknown filter function `regexp`"),
        "{error}"
    );
    assert!(
        error.message.contains("regex, multi_choice_regex"),
        "{error}"
    );

    let error = config_error(json!([{"name": "a", "filter": [
        {"function": "take_first"},
        {"function": "regex", "regex_pattern": "(unclosed"}]}]));
    assert_eq!(error.path, "filter_list[0].filter[1].regex_pattern");
    assert!(
        error
            .message
            .contains("`regex` pattern `(unclosed` does not compile"),
        "{error}"
    );

    let error = config_error(json!([{"name": "a", "filter": [
        {"function": {"!function": "utils.MultiChoiceRegexFilter"}}]}]));
    assert!(error
        .message
        .contains("`!function utils.MultiChoiceRegexFilter` names a Python filter"));

    let error = config_error(json!([{"name": "a", "filter": [{"function": "regex", "group": 1}]}]));
    assert_eq!(error.path, "filter_list[0].filter[0].group");
    assert!(error
        .message
        .contains("valid: regex_pattern, group_select, fallback"));

    let error = config_error(json!([{"name": "a", "filter": [{"function": "take_first_k"}]}]));
    assert_eq!(error.path, "filter_list[0].filter[0].k");

    let error = config_error(json!([{"filter": []}]));
    assert_eq!(error.path, "filter_list[0].name");

    let error = config_error(json!([
        {"name": "a", "filter": []}, {"name": "a", "filter": []}
    ]));
    assert!(error.message.contains("defined twice"));

    let error = config_error(json!({"name": "a"}));
    assert_eq!(error.path, "filter_list");
}

#[test]
fn multi_choice_regex_falls_back_to_choices_then_letters() {
    let pipeline = one(json!([
        {"function": "multi_choice_regex", "regex_pattern": "(\\([A-Z]\\))",
         "ignore_case": true, "ignore_punctuation": true},
        {"function": "take_first"}
    ]));
    let doc = json!({"choices": ["Guilty", "Guilty of Romance", "Not sure!"]});
    let run = |response: &str| {
        pipeline
            .apply_with_doc(&responses(&[response]), Some(&doc))
            .map(Some)
    };
    assert_eq!(run("The answer is (C)."), Ok(Some("(C)".into())));
    assert_eq!(run("I'd say guilty of romance."), Ok(Some("(B)".into())));
    assert_eq!(run("not sure"), Ok(Some("(C)".into())));
    assert_eq!(run("Answer: B"), Ok(Some("(B)".into())));
    assert_eq!(run("nothing"), Ok(Some("[invalid]".into())));
    assert!(pipeline.apply(&responses(&["x"])).is_err());
}
