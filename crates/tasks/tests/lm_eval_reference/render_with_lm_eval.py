"""Renders yardstick's built-in tasks with lm-evaluation-harness's own code, to check that
yardstick's prompts are lm-eval's. Not run in CI: its output, expected.json next to this
file, is committed and read by tests/lm_eval_reference.rs.

How: for each task, lm-eval's own YAML is loaded with lm-eval's YAML loader (so `include`
and `!function utils.process_docs` are lm-eval's), the local dataset is converted to the
Hugging Face layout lm-eval expects (the conversions below are written independently of the
Rust hooks), written to a temporary JSON-lines file and given to lm-eval's ConfigurableTask
as a `json` dataset. Contexts and continuations come from lm-eval's `fewshot_context` and
`construct_requests`, the gold index from `doc_to_target`/`doc_to_choice` as
`process_results` resolves it. For every task we record a few items in full and a sha256
over *all* items (same framing as yardstick_core::StreamHasher: u64 little-endian length,
then the UTF-8 bytes, for the context, each continuation, then str(gold)).

Setup (lm-eval 0.4.13 was used):
    python3 -m venv /tmp/lmeval
    /tmp/lmeval/bin/pip install --no-deps lm-eval
    /tmp/lmeval/bin/pip install jinja2 pyyaml datasets numpy requests sacrebleu \
        evaluate sqlitedict scikit-learn
Run:
    /tmp/lmeval/bin/python crates/tasks/tests/lm_eval_reference/render_with_lm_eval.py \
        /work/shared/datasets crates/tasks/tests/lm_eval_reference/expected.json
"""

import gzip
import hashlib
import json
import os
import struct
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import lm_eval  # noqa: E402
from lm_eval.api.task import ConfigurableTask  # noqa: E402
from lm_eval.tasks._yaml_loader import load_yaml  # noqa: E402

TASKS_DIR = Path(lm_eval.__file__).parent / "tasks"


def read_jsonl(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def arc(rows, stem_key):
    return [
        {
            "id": row["id"],
            stem_key: row["question"]["stem"],
            "choices": {
                "text": [c["text"] for c in row["question"]["choices"]],
                "label": [c["label"] for c in row["question"]["choices"]],
            },
            "answerKey": row["answerKey"],
        }
        for row in rows
    ]


def load_docs(name, data):
    if name in ("arc_easy", "arc_challenge"):
        file = {"arc_easy": "arc_easy/ARC-Easy-Test.jsonl", "arc_challenge": "arc_challenge/ARC-Challenge-Test.jsonl"}[name]
        return arc(read_jsonl(data / file), "question")
    if name == "openbookqa":
        return arc(read_jsonl(data / "openbookqa/test.jsonl"), "question_stem")
    if name == "boolq":
        rows = read_jsonl(data / "boolq/dev.jsonl")
        return [
            {"question": r["question"], "passage": f"{r['title']} -- {r['passage']}", "idx": i, "label": int(r["answer"])}
            for i, r in enumerate(rows)
        ]
    if name == "piqa":
        rows = read_jsonl(data / "piqa/valid.jsonl")
        labels = (data / "piqa/valid-labels.lst").read_text().split()
        assert len(rows) == len(labels)
        return [{"goal": r["goal"], "sol1": r["sol1"], "sol2": r["sol2"], "label": int(l)} for r, l in zip(rows, labels)]
    if name == "hellaswag":
        # Rowan/hellaswag stores the label as a string; lm-eval's utils.process_docs does the rest.
        return [{**r, "label": str(r["label"])} for r in read_jsonl(data / "hellaswag/hellaswag_val.jsonl.gz")]
    if name.startswith("mmlu_"):
        subject = name[len("mmlu_"):]
        return [r for r in read_jsonl(data / "mmlu/mmlu_test.jsonl") if r["subject"] == subject]
    raise ValueError(name)


YAMLS = {
    "arc_easy": "arc/arc_easy.yaml",
    "arc_challenge": "arc/arc_challenge.yaml",
    "hellaswag": "hellaswag/hellaswag.yaml",
    "piqa": "piqa/piqa.yaml",
    "openbookqa": "openbookqa/openbookqa.yaml",
    "boolq": "super_glue/boolq/default.yaml",
}


def make_task(config, docs, tmp):
    split = config.get("test_split") or config.get("validation_split")
    path = Path(tmp) / f"{config['task']}.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for doc in docs:
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
    # Every split lm-eval may open (training docs are loaded for the few-shot sampler even at
    # zero shots) points at the same file; only the evaluation split is rendered.
    splits = {config.get(key) for key in ("training_split", "validation_split", "test_split")} - {None}
    data_files = {name: str(path) for name in splits | {split}}
    config = {**config, "dataset_path": "json", "dataset_name": None, "dataset_kwargs": {"data_files": data_files}}
    config.pop("fewshot_split", None)
    return ConfigurableTask(config=config)


def frame(hasher, text):
    data = text.encode("utf-8")
    hasher.update(struct.pack("<Q", len(data)))
    hasher.update(data)


def render(task, doc):
    context = task.fewshot_context(doc, num_fewshot=0)
    instances = task.construct_requests(doc, context)
    pairs = [instance.arguments for instance in instances]
    choices = task.doc_to_choice(doc)
    gold = task.doc_to_target(doc)
    if isinstance(gold, str):
        gold = choices.index(gold)
    assert all(p[0] == context for p in pairs)
    return {"context": context, "continuations": [p[1] for p in pairs], "gold": gold}


def reference(task, picks):
    docs = list(task.eval_docs)
    hasher = hashlib.sha256()
    items = {}
    for index, doc in enumerate(docs):
        item = render(task, doc)
        frame(hasher, item["context"])
        for continuation in item["continuations"]:
            frame(hasher, continuation)
        frame(hasher, str(item["gold"]))
        if index in picks or (index - len(docs)) in picks:
            items[str(index)] = item
    return {"count": len(docs), "all_items_sha256": hasher.hexdigest(), "items": items}


def scoring_cases(tmp):
    cases = [
        # (choices, gold, loglikelihoods, is_greedy)
        (["a", "b", "c"], 1, [-1.0, -1.0, -2.0], [False, True, False]),
        (["x", "longer answer"], 1, [-2.0, -5.0], [True, False]),
        (["日本", "abcd"], 1, [-3.0, -5.0], [False, False]),
        (["été", "ete"], 0, [-3.3, -3.0], [True, False]),
    ]
    docs = [{"q": "?", "choices": c, "gold": g} for c, g, _, _ in cases]
    config = {
        "task": "scoring_check",
        "output_type": "multiple_choice",
        "test_split": "test",
        "doc_to_text": "{{q}}",
        "doc_to_choice": "choices",
        "doc_to_target": "gold",
        "metric_list": [{"metric": m, "aggregation": "mean", "higher_is_better": True} for m in ("acc", "acc_norm", "acc_bytes", "exact_match")],
    }
    task = make_task(config, docs, tmp)
    out = []
    for (choices, gold, lls, greedy), doc in zip(cases, task.eval_docs):
        result = task.process_results(doc, list(zip(lls, greedy)))
        out.append({"choices": choices, "gold": gold, "loglikelihoods": lls, "is_greedy": greedy, "metrics": {k: float(v) for k, v in result.items()}})
    return out


def main():
    data, output = Path(sys.argv[1]), Path(sys.argv[2])
    result = {"lm_eval_version": lm_eval.__version__ if hasattr(lm_eval, "__version__") else "?", "tasks": {}}
    with tempfile.TemporaryDirectory() as tmp:
        names = dict(YAMLS)
        for path in sorted((TASKS_DIR / "mmlu/default").glob("mmlu_*.yaml")):
            names[path.stem] = f"mmlu/default/{path.name}"
        for name, yaml_path in names.items():
            config = load_yaml(TASKS_DIR / yaml_path)
            task = make_task(config, load_docs(name, data), tmp)
            picks = {0, 1, -1} if name.startswith("mmlu_") else {0, 1, 2, 3, 7, 100, 811, 1000, 5000, -1}
            result["tasks"][name] = reference(task, picks)
            print(name, result["tasks"][name]["count"], file=sys.stderr)
        result["scoring"] = scoring_cases(tmp)
    output.write_text(json.dumps(result, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
