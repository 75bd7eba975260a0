"""Renders the rest of yardstick's built-in tasks (winogrande, truthfulqa_mc1/mc2/gen, gsm8k,
gsm8k_cot, triviaqa, humaneval, mbpp, and three mmlu subjects at 5 shots) with
lm-evaluation-harness's own code, to check that yardstick's prompts are lm-eval's. Not run in
CI: its output, expected_more.json next to this file, is committed and read by
tests/lm_eval_reference_more.rs. render_with_lm_eval.py does the same for the first
multiple-choice tasks; this script follows it.

How: each task's YAML is lm-eval's own (loaded with lm-eval's YAML loader, so `include` and
`!function utils.*` are lm-eval's Python hooks, not yardstick's Rust ports). The local data is
converted to the Hugging Face layout lm-eval expects (the conversions below are written from
the Hugging Face loading scripts, independently of yardstick's Rust hooks), written to a
temporary JSON-lines file per split and given to lm-eval's ConfigurableTask as a `json`
dataset. Every evaluation doc is rendered as lm-eval's `build_all_requests` does it:
`fewshot_context(doc, num_fewshot=config.num_fewshot or 0, gen_prefix=doc_to_prefix(doc))`,
then `construct_requests`.

What is recorded, per task: the item count, a sha256 over *all* items, a few items in full.
Framing (as yardstick_core::StreamHasher: u64 little-endian byte length, then the UTF-8 bytes):
  - multiple_choice: for every loglikelihood request in request order, frame(context) and
    frame(continuation); then frame(str(gold index)). The gold index is what
    `process_results` uses: `doc_to_text` for multiple-input tasks (winogrande), otherwise
    `doc_to_target`, a string target resolved with `doc_to_choice(doc).index`.
  - generate_until: frame(context), frame(json of the stop sequences), frame(str(max_gen_toks)),
    then frame(reference) for each reference. The stop sequences and max_gen_toks are what a
    model receives: `construct_requests` passes (context, deepcopy(config.generation_kwargs));
    lm-eval's TaskConfig fills `until` with [fewshot_delimiter] when generation_kwargs has none
    (and all of default_gen_kwargs, max_gen_toks 256 included, when generation_kwargs is absent:
    truthfulqa_gen), and the models read it through `normalize_gen_kwargs(kwargs, 256)` (256:
    the HF model's default max_gen_toks). The JSON is compact and unescaped
    (`json.dumps(until, separators=(",", ":"), ensure_ascii=False)`), which is what
    serde_json::to_string writes for a list of strings. The references are `doc_to_target(doc)`:
    a list for triviaqa (`{{answer.aliases}}`, which lm-eval's doc_to_target literal_evals into
    the alias list), one string otherwise (truthfulqa_gen's target is the constant " ").
  - truthfulqa_gen also gets `answers_sha256`, over the docs after process_docs_gen (what its
    process_results scores against): per doc, frame(str(len(correct_answers))), each correct
    answer, frame(str(len(incorrect_answers))), each incorrect answer.

Tasks and data:
  - winogrande: winogrande/dev.jsonl is allenai/winogrande winogrande_xl validation.
    Multiple-input: `fewshot_context` returns one context per option; every request shares
    the continuation.
  - truthfulqa_mc1/mc2: truthfulqa/mc_task.json -> truthful_qa multiple_choice
    (mc1_targets/mc2_targets: {choices: list(keys), labels: list(values)}).
  - truthfulqa_gen: truthfulqa/TruthfulQA.csv -> truthful_qa generation (rows without
    correct or incorrect answers skipped, answer lists split on ';' and stripped), then lm-eval's
    utils.process_docs_gen.
  - gsm8k: rendered at num_fewshot 0 only. Its 5-shot prompt draws from openai/gsm8k's train
    split, which is not available locally, so the 5-shot reference cannot be built here.
  - gsm8k_cot: its 8 exemplars are written in the YAML (first_n sampler); default 8 shots.
  - triviaqa: the local file is the rc.wikipedia.nocontext validation subset (7993 questions)
    in the mandarjoshi/trivia_qa layout; lm-eval's own split is the larger rc.nocontext one.
  - humaneval: HumanEval.jsonl.gz is openai_humaneval's test split.
  - mbpp: google-research-datasets/mbpp full test split = task ids 11-510 of mbpp.jsonl;
    3 shots from lm-eval's utils.list_fewshot_samples.
  - mmlu_abstract_algebra, mmlu_anatomy, mmlu_world_religions at num_fewshot 5: the dev split
    (mmlu/mmlu_dev.jsonl filtered by subject) with the first_n sampler.
humaneval's and mbpp's utils.py load the `code_eval` metric from the Hugging Face hub at import
time; that is replaced by a stub (it scores, it does not render) so the modules import offline.

Setup: the lm-eval 0.4.13 venv of render_with_lm_eval.py.
Run:
    /tmp/lmeval/bin/python crates/tasks/tests/lm_eval_reference/render_more_with_lm_eval.py \
        /work/shared/datasets crates/tasks/tests/lm_eval_reference/expected_more.json
"""

import csv
import gzip
import hashlib
import json
import os
import struct
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import evaluate  # noqa: E402


class _CodeEvalStub:
    """Stands in for evaluate.load("code_eval"); only called at import by the utils modules."""

    def compute(self, **_kwargs):
        return {"pass@1": 0.0}, {}


evaluate.load = lambda *_args, **_kwargs: _CodeEvalStub()

import lm_eval  # noqa: E402
from lm_eval.api.task import ConfigurableTask  # noqa: E402
from lm_eval.models.utils import normalize_gen_kwargs  # noqa: E402
from lm_eval.tasks._yaml_loader import load_yaml  # noqa: E402

TASKS_DIR = Path(lm_eval.__file__).parent / "tasks"
MMLU_SUBJECTS = ("abstract_algebra", "anatomy", "world_religions")
EXTRA_PICKS = {"truthfulqa_gen": {247, 296}}


def read_jsonl(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def truthfulqa_multiple_choice(data):
    # truthful_qa's loading script: json.load, then list(keys) / list(values) of each target map.
    with open(data / "truthfulqa/mc_task.json", encoding="utf-8") as handle:
        rows = json.load(handle)
    return [
        {
            "question": row["question"],
            **{
                key: {"choices": list(row[key].keys()), "labels": list(row[key].values())}
                for key in ("mc1_targets", "mc2_targets")
            },
        }
        for row in rows
    ]


def truthfulqa_generation(data):
    # truthful_qa's loading script: csv.DictReader over the utf-8-sig file; a row needs both
    # answer lists; lists are `strip().split(";")`, each item stripped.
    def split(text):
        return [item.strip() for item in text.strip().split(";")]

    docs = []
    with open(data / "truthfulqa/TruthfulQA.csv", newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if not row["Correct Answers"] or not row["Incorrect Answers"]:
                continue
            docs.append(
                {
                    "type": row["Type"],
                    "category": row["Category"],
                    "question": row["Question"],
                    "best_answer": row["Best Answer"],
                    "correct_answers": split(row["Correct Answers"]),
                    "incorrect_answers": split(row["Incorrect Answers"]),
                    "source": row["Source"],
                }
            )
    return docs


def mbpp_test(data):
    fields = ("task_id", "text", "code", "test_list", "test_setup_code", "challenge_test_list")
    rows = read_jsonl(data / "mbpp/mbpp.jsonl")
    return [{key: row[key] for key in fields} for row in rows if 11 <= row["task_id"] <= 510]


def winogrande(data):
    fields = ("sentence", "option1", "option2", "answer")
    return [{key: row[key] for key in fields} for row in read_jsonl(data / "winogrande/dev.jsonl")]


def mmlu(data, split, subject):
    return [r for r in read_jsonl(data / f"mmlu/mmlu_{split}.jsonl") if r["subject"] == subject]


# name -> (lm-eval YAML, {split role: docs loader}, num_fewshot override or None)
def task_table(data):
    table = {
        "winogrande": ("winogrande/default.yaml", {"eval": lambda: winogrande(data)}, None),
        "truthfulqa_mc1": ("truthfulqa/truthfulqa_mc1.yaml", {"eval": lambda: truthfulqa_multiple_choice(data)}, None),
        "truthfulqa_mc2": ("truthfulqa/truthfulqa_mc2.yaml", {"eval": lambda: truthfulqa_multiple_choice(data)}, None),
        "truthfulqa_gen": ("truthfulqa/truthfulqa_gen.yaml", {"eval": lambda: truthfulqa_generation(data)}, None),
        "gsm8k": ("gsm8k/gsm8k.yaml", {"eval": lambda: read_jsonl(data / "gsm8k/test.jsonl")}, 0),
        "gsm8k_cot": ("gsm8k/gsm8k-cot.yaml", {"eval": lambda: read_jsonl(data / "gsm8k/test.jsonl")}, None),
        "triviaqa": (
            "triviaqa/default.yaml",
            {"eval": lambda: read_jsonl(data / "triviaqa/triviaqa_rc.wikipedia.nocontext_validation.jsonl.gz")},
            None,
        ),
        "humaneval": ("humaneval/humaneval.yaml", {"eval": lambda: read_jsonl(data / "humaneval/HumanEval.jsonl.gz")}, None),
        "mbpp": ("mbpp/mbpp.yaml", {"eval": lambda: mbpp_test(data)}, None),
    }
    for subject in MMLU_SUBJECTS:
        table[f"mmlu_{subject}"] = (
            f"mmlu/default/mmlu_{subject}.yaml",
            {
                "eval": lambda subject=subject: mmlu(data, "test", subject),
                "fewshot": lambda subject=subject: mmlu(data, "dev", subject),
            },
            5,
        )
    return table


def write_jsonl(path, docs):
    with open(path, "w", encoding="utf-8") as handle:
        for doc in docs:
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")


def make_task(config, loaders, tmp):
    eval_split = config.get("test_split") or config.get("validation_split")
    eval_path = Path(tmp) / f"{config['task']}.jsonl"
    write_jsonl(eval_path, loaders["eval"]())
    # Every split lm-eval may open points at the evaluation file (training docs are loaded
    # for the few-shot sampler even at zero shots), except a few-shot split we have: mmlu's dev.
    splits = {config.get(key) for key in ("training_split", "validation_split", "test_split", "fewshot_split")} - {None}
    data_files = {name: str(eval_path) for name in splits | {eval_split}}
    config = {**config, "dataset_path": "json", "dataset_name": None}
    if "fewshot" in loaders:
        fewshot_path = Path(tmp) / f"{config['task']}.fewshot.jsonl"
        write_jsonl(fewshot_path, loaders["fewshot"]())
        data_files[config["fewshot_split"]] = str(fewshot_path)
    else:
        config.pop("fewshot_split", None)
    config["dataset_kwargs"] = {"data_files": data_files}
    return ConfigurableTask(config=config)


def frame(hasher, text):
    data = text.encode("utf-8")
    hasher.update(struct.pack("<Q", len(data)))
    hasher.update(data)


def until_json(until):
    return json.dumps(until, separators=(",", ":"), ensure_ascii=False)


def render(task, doc):
    num_fewshot = 0 if task.config.num_fewshot is None else task.config.num_fewshot
    context = task.fewshot_context(doc, num_fewshot=num_fewshot, gen_prefix=task.doc_to_prefix(doc))
    requests = task.construct_requests(doc=doc, ctx=context, metadata=(task.config.task, 0, task.config.repeats))
    if task.OUTPUT_TYPE == "multiple_choice":
        pairs = [list(instance.arguments) for instance in requests]
        if task.multiple_input:
            assert pairs[0][0] == context[0]
            gold = task.doc_to_text(doc)
        else:
            assert all(pair[0] == context for pair in pairs)
            gold = task.doc_to_target(doc)
        if isinstance(gold, str):
            gold = task.doc_to_choice(doc).index(gold)
        assert isinstance(gold, int) and 0 <= gold < len(pairs)
        return {"pairs": pairs, "gold": gold}
    assert task.OUTPUT_TYPE == "generate_until"
    arguments = requests.arguments
    assert arguments[0] == context
    kwargs = normalize_gen_kwargs(arguments[1], 256)
    target = task.doc_to_target(doc)
    references = target if isinstance(target, list) else [target]
    assert all(isinstance(reference, str) for reference in references), references
    return {
        "context": context,
        "until": kwargs["until"],
        "max_gen_toks": kwargs["max_gen_toks"],
        "do_sample": kwargs["do_sample"],
        "references": references,
    }


def hash_item(hasher, item):
    if "pairs" in item:
        for context, continuation in item["pairs"]:
            frame(hasher, context)
            frame(hasher, continuation)
        frame(hasher, str(item["gold"]))
    else:
        frame(hasher, item["context"])
        frame(hasher, until_json(item["until"]))
        frame(hasher, str(item["max_gen_toks"]))
        for reference in item["references"]:
            frame(hasher, reference)


def hash_answers(hasher, doc):
    for key in ("correct_answers", "incorrect_answers"):
        frame(hasher, str(len(doc[key])))
        for answer in doc[key]:
            frame(hasher, answer)


def reference(task, picks):
    docs = list(task.eval_docs)
    hasher = hashlib.sha256()
    answers = hashlib.sha256() if task.config.task == "truthfulqa_gen" else None
    items = {}
    do_sample = set()
    for index, doc in enumerate(docs):
        item = render(task, doc)
        hash_item(hasher, item)
        do_sample.add(item.pop("do_sample", False))
        if answers is not None:
            hash_answers(answers, doc)
        if index in picks or (index - len(docs)) in picks:
            if answers is not None:
                item["correct_answers"] = doc["correct_answers"]
                item["incorrect_answers"] = doc["incorrect_answers"]
            items[str(index)] = item
    assert len(do_sample) == 1
    extra = {"answers_sha256": answers.hexdigest()} if answers is not None else {}
    return {
        **extra,
        "output_type": task.OUTPUT_TYPE,
        "num_fewshot": task.config.num_fewshot or 0,
        "repeats": task.config.repeats,
        "do_sample": do_sample.pop(),
        "count": len(docs),
        "all_items_sha256": hasher.hexdigest(),
        "items": items,
    }


def main():
    data, output = Path(sys.argv[1]), Path(sys.argv[2])
    result = {
        "lm_eval_version": getattr(lm_eval, "__version__", "?"),
        "hash_framing": "multiple_choice: (context, continuation) per request, then gold; "
        "generate_until: context, compact until JSON, max_gen_toks, each reference",
        "tasks": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, (yaml_path, loaders, num_fewshot) in task_table(data).items():
            config = load_yaml(TASKS_DIR / yaml_path)
            assert config["task"] == name, (config["task"], name)
            task = make_task(config, loaders, tmp)
            if num_fewshot is not None:
                task.set_config("num_fewshot", num_fewshot)
            picks = {0, 1, -1} if name.startswith("mmlu_") else {0, 1, 2, 7, 100, 811, -1}
            # truthfulqa_gen: 247's question ends in a space (stripped by process_docs_gen); 296's
            # answer lists end in ';' (an empty piece, dropped by process_docs_gen).
            picks |= EXTRA_PICKS.get(name, set())
            entry = reference(task, picks)
            if num_fewshot is not None:
                entry["num_fewshot_override"] = num_fewshot
            result["tasks"][name] = entry
            print(name, entry["count"], file=sys.stderr)
    output.write_text(json.dumps(result, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
