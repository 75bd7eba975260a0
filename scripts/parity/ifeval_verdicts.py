"""Writes lm-eval's own IFEval verdicts, strict and loose, for a set of responses, as the fixture of
`crates/ifeval/tests/reference_verdicts.rs` (by default
crates/ifeval/tests/fixtures/ifeval_gpt4_verdicts.jsonl, from the GPT-4 responses shipped with IFEval).

Each prompt of IFEval's input_data.jsonl is checked with lm-eval's
`test_instruction_following_strict` and `test_instruction_following_loose` (lm_eval/tasks/ifeval/utils.py),
called on the prompt's row of input_data.jsonl; the prompt text is always the one of input_data.jsonl.
Each output line is {"key", "prompt", "instruction_id_list", "kwargs", "response", "strict", "loose"}
(the first four as in input_data.jsonl, so the fixture is self-contained), in input order.

Responses:
  - default: IFEval's input_response_data_gpt4_20231107_145030.jsonl ({"prompt", "response"} lines),
    joined to input_data.jsonl by LINE NUMBER: line 340 of that file carries an older prompt text
    (key 2785, see /work/shared/datasets/ifeval/SOURCE.md), so a join by prompt text would miss it;
  - --responses FILE: {"key", "response"} lines (joined by key) or {"prompt", "response"} lines
    (joined by prompt text), e.g. a model's responses; prompts without a response are skipped.

Made deterministic, and said so here because lm-eval leaves both random:
  - `langdetect.DetectorFactory.seed = 0`: lm-eval never seeds langdetect, whose detection is a
    random walk; without a seed an ambiguous text can get a different language on each run.
    yardstick's checker uses the same seed.
  - `random.seed(0)` before each prompt: a checker whose argument is missing or unusable draws a
    random one (in IFEval: `letter_frequency` with letter '#' (key 1122) and '!' (key 1129)
    counts a random ASCII letter instead). The fixture records what this seed gives; the Rust
    test lists those two verdicts as known exceptions.

lm-eval 0.4.13's ifeval modules are loaded from their files (--lm-eval-src, default /tmp/lmeval-src,
a folder holding lm_eval/tasks/ifeval/ from the lm_eval-0.4.13 wheel) under stub parent packages, so
lm-eval's own dependencies (torch, datasets, ...) are not needed.

Usage (a throwaway virtualenv; these are the versions the committed fixture was made with):
    python3.11 -m venv /tmp/ifref
    /tmp/ifref/bin/pip install nltk==3.10.4 regex==2026.12.2 click==8.5.1 joblib==1.6.0 \\
        tqdm==4.70.1 langdetect==1.0.9 six==1.17.0 immutabledict==4.3.1
    pip download --no-deps lm_eval==0.4.13 -d /tmp/lmeval-whl && mkdir -p /tmp/lmeval-src \\
        && unzip -q /tmp/lmeval-whl/lm_eval-0.4.13-py3-none-any.whl 'lm_eval/tasks/ifeval/*' -d /tmp/lmeval-src
    # NLTK's punkt_tab model, as shipped inside the llama-index-core wheel (no nltk.download):
    pip download --no-deps llama-index-core==0.14.25 -d /tmp/lic && cd /tmp/lic \\
        && unzip -q llama_index_core-0.14.25-py3-none-any.whl 'llama_index/core/_static/nltk_cache/*'
    NLTK_DATA=/tmp/lic/llama_index/core/_static/nltk_cache \\
        /tmp/ifref/bin/python scripts/parity/ifeval_verdicts.py [--responses FILE] [--out FILE]

`packaging` (imported by instructions_util.py only to check NLTK's version) is taken from the copy
vendored in setuptools' pkg_resources when it is not installed.
"""

import argparse
import importlib
import json
import random
import sys
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATASETS = Path("/work/shared/datasets/ifeval")
DEFAULT_RESPONSES = DATASETS / "input_response_data_gpt4_20231107_145030.jsonl"
DEFAULT_OUT = REPO / "crates/ifeval/tests/fixtures/ifeval_gpt4_verdicts.jsonl"


def load_lm_eval_ifeval(src):
    """Imports lm_eval.tasks.ifeval.utils from `src` without running lm_eval's package __init__s."""
    src = Path(src)
    if not (src / "lm_eval/tasks/ifeval/utils.py").is_file():
        sys.exit(f"no lm_eval/tasks/ifeval/utils.py under {src}")
    try:
        import packaging.version  # noqa: F401
    except ImportError:
        vendored = importlib.import_module("pkg_resources._vendor.packaging")
        sys.modules["packaging"] = vendored
        sys.modules["packaging.version"] = importlib.import_module(
            "pkg_resources._vendor.packaging.version"
        )
    for name, folder in [
        ("lm_eval", src / "lm_eval"),
        ("lm_eval.tasks", src / "lm_eval/tasks"),
        ("lm_eval.tasks.ifeval", src / "lm_eval/tasks/ifeval"),
    ]:
        module = types.ModuleType(name)
        module.__path__ = [str(folder)]
        sys.modules[name] = module
    return importlib.import_module("lm_eval.tasks.ifeval.utils")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def join_responses(inputs, responses_path, by_line):
    """Yields (input row, response) pairs."""
    responses = read_jsonl(responses_path)
    if by_line:
        if len(responses) != len(inputs):
            sys.exit(f"{responses_path}: {len(responses)} lines, input_data has {len(inputs)}")
        for row, response in zip(inputs, responses):
            yield row, response["response"]
        return
    by_key = {r["key"]: r["response"] for r in responses if "key" in r}
    by_prompt = {r["prompt"]: r["response"] for r in responses if "key" not in r}
    missing = 0
    for row in inputs:
        if row["key"] in by_key:
            yield row, by_key[row["key"]]
        elif row["prompt"] in by_prompt:
            yield row, by_prompt[row["prompt"]]
        else:
            missing += 1
    if missing:
        print(f"{missing} prompts have no response and are skipped", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", default=DATASETS / "input_data.jsonl")
    parser.add_argument(
        "--responses",
        help="{key|prompt, response} JSONL (default: IFEval's GPT-4 responses, joined by line)",
    )
    parser.add_argument("--out", default=DEFAULT_OUT)
    parser.add_argument("--lm-eval-src", default="/tmp/lmeval-src")
    args = parser.parse_args()

    utils = load_lm_eval_ifeval(args.lm_eval_src)
    import langdetect

    langdetect.DetectorFactory.seed = 0

    inputs = read_jsonl(args.inputs)
    pairs = join_responses(
        inputs,
        args.responses or DEFAULT_RESPONSES,
        by_line=args.responses is None,
    )
    count = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for row, response in pairs:
            example = utils.InputExample(
                key=row["key"],
                instruction_id_list=row["instruction_id_list"],
                prompt=row["prompt"],
                kwargs=row["kwargs"],
            )
            random.seed(0)
            strict = utils.test_instruction_following_strict(example, response)
            random.seed(0)
            loose = utils.test_instruction_following_loose(example, response)
            line = {
                "key": row["key"],
                "prompt": row["prompt"],
                "instruction_id_list": row["instruction_id_list"],
                "kwargs": row["kwargs"],
                "response": response,
                "strict": strict.follow_instruction_list,
                "loose": loose.follow_instruction_list,
            }
            out.write(json.dumps(line, ensure_ascii=True) + "\n")
            count += 1
    print(f"wrote {count} prompts to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
