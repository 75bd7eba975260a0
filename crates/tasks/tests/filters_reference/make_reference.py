"""Writes reference.json: lm-eval 0.4.13's own filter classes applied to varied responses.

Run with the Python that has lm-eval 0.4.13 installed:

    python crates/tasks/tests/filters_reference/make_reference.py [path/to/lm_eval/tasks]

Pipelines come from two places: a hand-written list (gsm8k, gsm8k-cot, flexible-extract,
majority vote, multi_choice_regex, ...) and every `filter_list` in lm-eval's own task YAML
files whose steps are all filters yardstick implements (`!function`, `custom` are skipped). Each pipeline is
applied to every response list of a fixed bank through `build_filter_ensemble`, i.e. the
classes lm-eval itself registers. `crates/tasks/tests/filters_reference.rs` checks that
yardstick's pipelines give the same output (or fail where Python raises).
"""

import json
import os
import sys

import yaml

import lm_eval
from lm_eval.filters import build_filter_ensemble

HERE = os.path.dirname(os.path.abspath(__file__))

HAND_WRITTEN = [
    {"name": "strict-match", "filter": [
        {"function": "regex", "regex_pattern": r"#### (\-?[0-9\.\,]+)"},
        {"function": "take_first"}]},
    {"name": "flexible-extract", "filter": [
        {"function": "regex", "group_select": -1, "regex_pattern": r"(-?[$0-9.,]{2,})|(-?[0-9]+)"},
        {"function": "take_first"}]},
    {"name": "cot-strict", "filter": [
        {"function": "regex", "regex_pattern": r"The answer is (\-?[0-9\.\,]+)."},
        {"function": "take_first"}]},
    {"name": "maj@k", "filter": [
        {"function": "regex", "regex_pattern": r"The answer is (\-?[0-9\.\,]+)."},
        {"function": "majority_vote"},
        {"function": "take_first"}]},
    {"name": "maj-raw", "filter": [
        {"function": "majority_vote"},
        {"function": "take_first"}]},
    {"name": "first-2", "filter": [
        {"function": "take_first_k", "k": 2}]},
    {"name": "default-regex", "filter": [
        {"function": "regex"},
        {"function": "take_first"}]},
    {"name": "group-select-1", "filter": [
        {"function": "regex", "regex_pattern": r"(\d+)", "group_select": 1, "fallback": "none"},
        {"function": "take_first"}]},
    {"name": "whole-match", "filter": [
        {"function": "regex", "regex_pattern": r"\b\w+\b", "group_select": -2},
        {"function": "take_first"}]},
    {"name": "empty-groups", "filter": [
        {"function": "regex", "regex_pattern": r"(x?)(y?)", "fallback": " fb "},
        {"function": "take_first"}]},
    {"name": "lookaround", "filter": [
        {"function": "regex", "regex_pattern": r"(?<=answer: )(\w+)(?=\.)|(?<=Answer: )(\w+)"},
        {"function": "take_first"}]},
    {"name": "backref", "filter": [
        {"function": "regex", "regex_pattern": r"(\w)\1"},
        {"function": "take_first"}]},
    {"name": "dollar", "filter": [
        {"function": "regex", "regex_pattern": r"(\w+)$"},
        {"function": "take_first"}]},
    {"name": "case", "filter": [
        {"function": "remove_whitespace"},
        {"function": "lowercase"},
        {"function": "take_first"}]},
    {"name": "upper", "filter": [
        {"function": "uppercase"},
        {"function": "take_first"}]},
    {"name": "map-letters", "filter": [
        {"function": "regex", "regex_pattern": r"(\b[ABCD]\b)"},
        {"function": "take_first"},
        {"function": "map", "mapping_dict": {"A": 0, "B": 1, "C": 2, "D": 3}, "default_value": -1}]},
    {"name": "take-first-twice", "filter": [
        {"function": "take_first"},
        {"function": "take_first"}]},
    {"name": "per-response", "filter": [
        {"function": "regex", "regex_pattern": r"(-?\d+)"}]},
    {"name": "mc", "filter": [
        {"function": "multi_choice_regex", "regex_pattern": r"(\([A-Z]\))", "group_select": 0,
         "ignore_case": True, "ignore_punctuation": True},
        {"function": "take_first"}]},
    {"name": "mc-strict", "filter": [
        {"function": "multi_choice_regex", "regex_pattern": r"answer is \(([A-Z])\)",
         "group_select": -1, "fallback": "?"},
        {"function": "take_first"}]},
    {"name": "mc-ignore", "filter": [
        {"function": "multi_choice_regex", "regex_pattern": r"(\([A-Z]\))",
         "ignore_case": True, "regexes_to_ignore": [r"\s*\(.*?\)", "the "]},
        {"function": "take_first"}]},
]

RESPONSES = [
    "Janet has 16 eggs. She eats 3 and bakes with 4.\n16 - 3 - 4 = 9\n#### 9",
    "#### 1,234.50\n#### -7",
    "The answer is 42.",
    "So the total is $1,200. The answer is 1200.\n\nQuestion: next",
    "The answer is -3.5, I think. The answer is 7.",
    "the answer is 12.",
    "no number here",
    "",
    "   \n",
    "  spaced answer \t\n",
    "42",
    "-",
    "Answer: B",
    "answer: C.",
    "The answer is (B).",
    "I'd say (A) or maybe (D)",
    "It is definitely guilty of romance!",
    "The correct one is Paris (France).",
    "B",
    "A) blue",
    "yes",
    "No, it is not plausible.",
    "True",
    "invalid",
    "La réponse est 3,5",
    "答案是 12。",
    "答えは７です。",
    "คำตอบคือ 15",
    "Ответ — 8",
    "Die Antwort lautet 1.000",
    "ǅemal Straße İstanbul ΣΑΣ",
    "naïve café déjà vu — ok",
    "x²+y² = 25, so x is 3",
    "aa bb c",
    "The final answer is $42.00",
    "She is a woman and he is a man.",
    "[ ( { < > } ) ]",
    "Erantzuna 12 da",
    "tricky\n",
    "xyyx",
]

REPEATED = [
    ["The answer is 5.", "The answer is 6.", "The answer is 6.", "The answer is 5."],
    ["The answer is 5.", "The answer is 6.", "The answer is 6."],
    ["nothing", "The answer is 3.", "still nothing"],
    ["b", "a", "a", "b", "c"],
    ["same", "same"],
    ["only one"],
    [],
]

DOCS = [
    {"choices": ["Guilty", "Guilty of Romance", "Not sure!"]},
    {"choices": ["Paris (France)", "Lyon", "the Paris"]},
    {"choices": ["yes", "no"]},
    {"choices": ["blue", "Blue", "BLUE."]},
]


# The built-in filters yardstick implements (lm-eval also has custom, regex_pos, format_span).
SUPPORTED = {"regex", "multi_choice_regex", "remove_whitespace", "lowercase", "uppercase",
             "map", "take_first", "take_first_k", "majority_vote"}


class Tagged(yaml.SafeLoader):
    pass


def _function(loader, node):
    return {"!function": loader.construct_scalar(node)}


Tagged.add_constructor("!function", _function)


def task_pipelines(tasks_dir):
    found = []
    for root, _, files in os.walk(tasks_dir):
        for name in sorted(files):
            if not name.endswith(".yaml"):
                continue
            try:
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    config = yaml.load(f, Loader=Tagged)
            except Exception:
                continue
            if not isinstance(config, dict) or not isinstance(config.get("filter_list"), list):
                continue
            for pipeline in config["filter_list"]:
                steps = pipeline.get("filter", [])
                if steps and all(isinstance(step.get("function"), str)
                                 and step["function"] in SUPPORTED for step in steps):
                    found.append(pipeline)
    unique = {}
    for pipeline in found:
        unique.setdefault(json.dumps(pipeline, sort_keys=True), pipeline)
    return [unique[key] for key in sorted(unique)]


def run(pipeline, responses, doc):
    ensemble = build_filter_ensemble(
        pipeline["name"],
        [[step["function"], {k: v for k, v in step.items() if k != "function"}]
         for step in pipeline["filter"]],
    )
    try:
        resps = [list(responses)]
        for make in ensemble.filters:
            resps = make().apply(resps, [doc])
        return {"output": list(resps)[0]}
    except Exception as error:  # what lm-eval would raise
        return {"error": type(error).__name__}


def main():
    tasks_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(lm_eval.__file__), "tasks")
    pipelines = HAND_WRITTEN + task_pipelines(tasks_dir)
    cases = []
    for number, pipeline in enumerate(pipelines):
        needs_doc = any(step["function"] == "multi_choice_regex" for step in pipeline["filter"])
        inputs = [[r] for r in RESPONSES] + REPEATED
        for index, responses in enumerate(inputs):
            doc = DOCS[index % len(DOCS)] if needs_doc else {}
            result = run(pipeline, responses, doc)
            cases.append({"pipeline": number, "responses": responses,
                          "doc": doc if needs_doc else None, **result})
    out = {
        "lm_eval_version": lm_eval.__version__,
        "python": sys.version.split()[0],
        "pipelines": pipelines,
        "cases": cases,
    }
    with open(os.path.join(HERE, "reference.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=0)
        f.write("\n")
    print(f"{len(pipelines)} pipelines, {len(cases)} cases")


if __name__ == "__main__":
    main()
