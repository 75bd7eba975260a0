"""Prepares lm-evaluation-harness to run a yardstick task on the same local data files.

For each task: the local dataset (the files yardstick reads, from --data-dir) is converted to
the Hugging Face layout that lm-eval's own task YAML expects, written as JSON lines, and a
one-file task override is written that `include`s lm-eval's own YAML and changes only where
the data comes from (`dataset_path: json`, `dataset_name: null`, `dataset_kwargs.data_files`).
Pass the output folder to `lm_eval --include_path`: a task found there replaces lm-eval's
built-in task of the same name (lm-eval 0.4.13's TaskManager indexes include paths after its
own tasks, and later paths win), so prompts, metrics and hooks stay lm-eval's.

The conversions are the ones the prompt-reference test uses
(crates/tasks/tests/lm_eval_reference/render_with_lm_eval.py, whose output yardstick's test
suite checks item by item), extended here to winogrande, gsm8k and MMLU's dev split.

Splits the task config names but the local data lacks (a training split for the few-shot
sampler) point at the evaluation file, as in the reference script; at zero shots lm-eval never
renders a document from them. A task run with few shots must have its real few-shot split
(MMLU: mmlu_dev.jsonl; gsm8k: gsm8k/train.jsonl if present), and this script refuses to write
a config whose few-shot split would be the evaluation file when --num-fewshot is above zero.

Usage (with the parity venv's python, see setup.sh):
    python scripts/parity/prepare.py --data-dir /work/shared/datasets --out WORK/lm_eval_tasks \
        --tasks arc_easy,hellaswag,mmlu_anatomy [--num-fewshot N]
Prints one line per task: name, item count, the override file.
"""

import argparse
import json
import sys
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / "crates/tasks/tests/lm_eval_reference"
sys.path.insert(0, str(REFERENCE))

import render_with_lm_eval as reference  # noqa: E402  (sets HF_DATASETS_OFFLINE, imports lm_eval)

TASKS_DIR = reference.TASKS_DIR

EXTRA_YAMLS = {
    "winogrande": "winogrande/default.yaml",
    "gsm8k": "gsm8k/gsm8k.yaml",
    "gsm8k_cot": "gsm8k/gsm8k-cot.yaml",
}


def lm_eval_yaml(task):
    """lm-eval's own YAML for a task name, relative to lm_eval/tasks."""
    if task in reference.YAMLS:
        return reference.YAMLS[task]
    if task in EXTRA_YAMLS:
        return EXTRA_YAMLS[task]
    if task.startswith("mmlu_") and (TASKS_DIR / f"mmlu/default/{task}.yaml").is_file():
        return f"mmlu/default/{task}.yaml"
    known = sorted(reference.YAMLS) + sorted(EXTRA_YAMLS) + ["mmlu_<subject>"]
    raise SystemExit(f"prepare.py: no lm-eval YAML known for task {task!r}; known: {', '.join(known)}")


def split_docs(task, data):
    """{split name in lm-eval's config: docs in the Hugging Face layout}, evaluation split first."""
    if task == "winogrande":
        # WinoGrande v1.1 dev.jsonl has allenai/winogrande's winogrande_xl layout already
        # (sentence, option1, option2, answer as the string "1"/"2"), and HF's validation split
        # is this dev file.
        return {"validation": reference.read_jsonl(data / "winogrande/dev.jsonl")}
    if task in ("gsm8k", "gsm8k_cot"):
        splits = {"test": reference.read_jsonl(data / "gsm8k/test.jsonl")}
        if (data / "gsm8k/train.jsonl").is_file():
            splits["train"] = reference.read_jsonl(data / "gsm8k/train.jsonl")
        return splits
    if task.startswith("mmlu_"):
        subject = task[len("mmlu_"):]
        dev = [r for r in reference.read_jsonl(data / "mmlu/mmlu_dev.jsonl") if r["subject"] == subject]
        return {"test": reference.load_docs(task, data), "dev": dev}
    config = reference.load_yaml(TASKS_DIR / lm_eval_yaml(task))
    evaluation = config.get("test_split") or config.get("validation_split")
    return {evaluation: reference.load_docs(task, data)}


def write_task(task, data, out, num_fewshot):
    yaml_path = TASKS_DIR / lm_eval_yaml(task)
    config = reference.load_yaml(yaml_path)
    evaluation = config.get("test_split") or config.get("validation_split")
    docs = split_docs(task, data)
    if evaluation not in docs:
        raise SystemExit(f"prepare.py: {task}: no local data for the evaluation split {evaluation!r}")
    files = {}
    for split, rows in docs.items():
        path = out / "data" / f"{task}.{split}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        files[split] = str(path)
    wanted = {config.get(k) for k in ("training_split", "validation_split", "test_split", "fewshot_split")} - {None}
    fewshot_split = config.get("fewshot_split") or config.get("training_split") or config.get("validation_split")
    if num_fewshot is None:
        num_fewshot = config.get("num_fewshot") or 0
    literal_samples = isinstance(config.get("fewshot_config"), dict) and "samples" in config["fewshot_config"]
    if num_fewshot and not literal_samples and fewshot_split not in docs:
        raise SystemExit(
            f"prepare.py: {task}: {num_fewshot} few-shot examples need the {fewshot_split!r} split, "
            "which the local data does not have; run it with --num-fewshot 0"
        )
    for split in sorted(wanted - set(files)):
        files[split] = files[evaluation]
    override = {
        "include": str(yaml_path),
        "task": config["task"],
        "dataset_path": "json",
        "dataset_name": None,
        "dataset_kwargs": {"data_files": files},
    }
    task_file = out / f"{task}.yaml"
    header = (
        "# Written by scripts/parity/prepare.py: lm-eval's own task config (include), with only\n"
        "# the data source replaced by the local files converted to the Hugging Face layout.\n"
    )
    # JSON is valid YAML; lm-eval's loader reads it as such.
    task_file.write_text(header + json.dumps(override, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(docs[evaluation]), task_file


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--tasks", required=True, help="comma-separated task names")
    parser.add_argument("--num-fewshot", type=int, help="default: each task config's num_fewshot")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for task in [t for t in args.tasks.split(",") if t]:
        count, path = write_task(task, args.data_dir.resolve(), args.out.resolve(), args.num_fewshot)
        print(f"{task}\t{count}\t{path}")


if __name__ == "__main__":
    main()
