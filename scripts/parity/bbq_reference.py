"""Writes lm-eval's own BBQ results for a small fixture of docs and made-up loglikelihoods, as the
fixture of `crates/tasks/tests/bbq.rs` (by default crates/tasks/tests/fixtures/bbq_reference.json).

The docs are drawn (seeded) from the 6 local category files of BBQ (/work/shared/datasets/bbq):
2 of each (context_condition, question_polarity) pair per category, except Sexual_orientation,
which gets disambiguated docs only (so its ambiguous bias score is NaN), plus a few docs chosen
for lm-eval's quirks (group tags holding `man`: German, Romanian, elderly man; a non-ASCII
Nationality doc). Each doc gets 12 made-up loglikelihoods (one per choice) whose argmax is the
biased answer, the other person, or one of the 10 unknown phrasings; a few have ties (numpy's
argmax takes the first). Ambiguous Religion docs never get a biased answer (bias score 0).

lm-eval itself does the rest, with its own code: its YAML files bbq_multiple_choice.yaml,
_ambig and _disambig are loaded with lm-eval's YAML loader (so `!function utils.*` is lm-eval's
utils.py) and run by lm-eval's ConfigurableTask on the fixture docs as a `json` dataset
(the hub dataset oskarvanderwal/bbq is these same JSON lines). For every task the fixture has:
each doc's context, continuations and gold (fewshot_context, construct_requests,
doc_to_target), its choices, process_docs' biased_answers and ans*_groups, the values
process_results gives from the loglikelihoods, and every metric's aggregate from
task.aggregation() (null where lm-eval gives NaN).

Usage (a throwaway virtualenv; the committed fixture was made with these versions, recorded in
the file):
    python3.11 -m venv /tmp/bbqenv
    /tmp/bbqenv/bin/pip install datasets==5.2.0 numpy==2.4.6 jinja2 requests sacrebleu evaluate \\
        sqlitedict scikit-learn word2number
    /tmp/bbqenv/bin/pip install --no-deps lm-eval==0.4.13
    /tmp/bbqenv/bin/python scripts/parity/bbq_reference.py \\
        [--data /work/shared/datasets/bbq] [--out crates/tasks/tests/fixtures/bbq_reference.json]
"""

import argparse
import json
import math
import os
import platform
import random
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import datasets  # noqa: E402
import lm_eval  # noqa: E402
import numpy  # noqa: E402
from lm_eval.api.task import ConfigurableTask  # noqa: E402
from lm_eval.tasks._yaml_loader import load_yaml  # noqa: E402

BBQ_DIR = Path(lm_eval.__file__).parent / "tasks" / "bbq"
# The local categories, in the order of yardstick's data_files (and of the hub's files).
CATEGORIES = [
    "Age",
    "Disability_status",
    "Nationality",
    "Physical_appearance",
    "Religion",
    "Sexual_orientation",
]
TASKS = {
    "bbq": "bbq_multiple_choice.yaml",
    "bbq_ambig": "bbq_multiple_choice_ambig.yaml",
    "bbq_disambig": "bbq_multiple_choice_disambig.yaml",
}
SEED = 20220522


def read_jsonl(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def tags(doc):
    return ["_".join(doc["answer_info"][key]) for key in ("ans0", "ans1", "ans2")]


def draw_docs(data_dir, rng):
    docs = []
    for category in CATEGORIES:
        rows = read_jsonl(data_dir / f"{category}.jsonl")
        picked = set()
        conditions = ["disambig"] if category == "Sexual_orientation" else ["ambig", "disambig"]
        for condition in conditions:
            for polarity in ["neg", "nonneg"]:
                pool = [i for i, row in enumerate(rows) if row["context_condition"] == condition and row["question_polarity"] == polarity]
                picked.update(rng.sample(pool, 2))
        # lm-eval's quirks: group tags holding `man` (German -> germ, man), non-ASCII text.
        if category == "Nationality":
            man = [i for i, row in enumerate(rows) if any(tag.startswith(("German_", "Romanian_")) for tag in tags(row))]
            accented = [i for i, row in enumerate(rows) if not json.dumps(row, ensure_ascii=False).isascii()]
            picked.update(rng.sample(man, 2) + rng.sample(accented, 1))
        if category == "Age":
            man = [i for i, row in enumerate(rows) if any(tag.startswith("elderly man") for tag in tags(row))]
            picked.update(rng.sample(man, 2))
        docs.extend(rows[i] for i in sorted(picked))
    return docs


def choose_loglikelihoods(doc, rng):
    """12 loglikelihoods (the choices of lm-eval's doc_to_choice: 2 people, then 10 unknown
    phrasings) and the kind of answer their argmax is."""
    unknown_tag = [key for key in ("ans0", "ans1", "ans2") if doc["answer_info"][key][1] == "unknown"]
    people = [key for key in ("ans0", "ans1", "ans2") if key not in unknown_tag]
    ambiguous = doc["context_condition"] == "ambig"
    kinds = ["person0", "person1", "unknown"]
    if ambiguous and doc["category"] == "Religion":
        kinds = ["unknown", "person_not_biased"]
    kind = rng.choice(kinds)
    values = [round(rng.uniform(-30.0, -8.0), 3) for _ in range(12)]
    top = round(rng.uniform(-7.0, -1.0), 3)
    if kind == "unknown":
        index = rng.randrange(2, 12)
    elif kind == "person_not_biased":
        index = None  # resolved by the caller, which knows the biased answer
    else:
        index = int(kind[-1])
    return values, top, index, kind, people


def loglikelihoods_for(doc, biased, rng):
    values, top, index, kind, people = choose_loglikelihoods(doc, rng)
    choices = [doc[key] for key in people]
    if index is None:
        not_biased = [i for i, text in enumerate(choices) if text not in biased]
        index = not_biased[0] if not_biased else rng.randrange(2, 12)
    values[index] = top
    # Now and then a tie for the top: numpy's argmax takes the first.
    if rng.random() < 0.15:
        other = rng.choice([i for i in range(12) if i != index])
        values[other] = top
    return values


def make_task(config, docs_path):
    config = {
        **config,
        "dataset_path": "json",
        "dataset_name": None,
        "dataset_kwargs": {"data_files": {"test": str(docs_path)}},
    }
    return ConfigurableTask(config=config)


def plain(value):
    """numpy scalars and tuples as JSON values; NaN as null."""
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    if isinstance(value, (numpy.bool_, bool)):
        return bool(value)
    if isinstance(value, (numpy.integer,)):
        return int(value)
    if isinstance(value, (numpy.floating, float)):
        value = float(value)
        return None if math.isnan(value) else value
    if isinstance(value, numpy.ndarray):
        return plain(value.tolist())
    return value


def run_task(name, docs_path, loglikelihoods, full):
    config = load_yaml(BBQ_DIR / TASKS[name])
    task = make_task(config, docs_path)
    items, per_metric = [], {}
    for doc in task.eval_docs:
        key = f"{doc['category']}/{doc['example_id']}"
        context = task.fewshot_context(doc, num_fewshot=0)
        instances = task.construct_requests(doc, context)
        assert all(instance.arguments[0] == context for instance in instances)
        lls = loglikelihoods[key]
        results = task.process_results(doc, [(ll, False) for ll in lls])
        for metric, value in results.items():
            per_metric.setdefault(metric, []).append(value)
        items.append(
            {
                "key": key,
                "context": context,
                "continuations": [instance.arguments[1] for instance in instances],
                "choices": task.doc_to_choice(doc),
                "gold": task.doc_to_target(doc),
                "biased_answers": doc["biased_answers"],
                "groups": [doc["ans0_groups"], doc["ans1_groups"], doc["ans2_groups"]],
                # process_results' values: acc, and (acc, n_biased_ans, n_non_unk_ans, mask)
                "acc": plain(results["acc"]),
                "bias_inputs": plain(results["amb_bias_score"]),
            }
        )
    aggregations = task.aggregation()
    aggregates = {metric: plain(aggregations[metric](values)) for metric, values in per_metric.items()}
    if not full:
        # The variants' docs are a subset of bbq's, rendered the same: their keys suffice.
        return {"count": len(items), "keys": [item["key"] for item in items], "aggregates": aggregates}
    return {"count": len(items), "items": items, "aggregates": aggregates}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/datasets/bbq"))
    parser.add_argument("--out", type=Path, default=Path("crates/tasks/tests/fixtures/bbq_reference.json"))
    args = parser.parse_args()
    rng = random.Random(SEED)
    docs = draw_docs(args.data, rng)
    # lm-eval's process_docs first, to aim some answers at (or away from) the biased one.
    sys.path.insert(0, str(BBQ_DIR))
    import utils as bbq_utils  # noqa: E402  (lm-eval's bbq/utils.py)

    processed = bbq_utils.process_docs(datasets.Dataset.from_list(docs))
    loglikelihoods = {}
    for doc in processed:
        key = f"{doc['category']}/{doc['example_id']}"
        loglikelihoods[key] = loglikelihoods_for(doc, doc["biased_answers"], rng)
    with tempfile.TemporaryDirectory() as tmp:
        docs_path = Path(tmp) / "bbq_fixture.jsonl"
        with open(docs_path, "w", encoding="utf-8") as handle:
            for doc in docs:
                handle.write(json.dumps(doc) + "\n")
        tasks = {name: run_task(name, docs_path, loglikelihoods, name == "bbq") for name in TASKS}
    fixture = {
        "made_with": {
            "lm_eval": "0.4.13",
            "lm_eval_bbq_utils": "lm_eval/tasks/bbq/utils.py",
            "python": platform.python_version(),
            "numpy": numpy.__version__,
            "datasets": datasets.__version__,
            "seed": SEED,
        },
        "docs": docs,
        "loglikelihoods": loglikelihoods,
        "tasks": tasks,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(fixture, handle, indent=1)
        handle.write("\n")
    for name, task in tasks.items():
        print(name, task["count"], "items")
        for metric, value in task["aggregates"].items():
            print(f"  {metric}: {value}")


if __name__ == "__main__":
    main()
