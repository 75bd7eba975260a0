"""Runs one parity comparison: lm-evaluation-harness (HF transformers backend) and yardstick
(llama.cpp) on the same GGUF weights, the same local data files and the same first N items,
then compares them item by item (compare.py). See docs/parity.md.

Usage (with the parity venv's python, made by setup.sh):
    /tmp/parity-venv/bin/python scripts/parity/run.py --tasks arc_easy --limit 500
    ... --tasks mmlu_anatomy,mmlu_astronomy --label mmlu-3       # several tasks, one comparison
    ... --steps yardstick,compare                              # redo some steps only

Steps (default all, in this order):
  prepare    lm-eval task overrides + HF-layout data under WORK/lm_eval_tasks (prepare.py)
  lm_eval    `lm_eval --model hf --model_args pretrained=DIR,gguf_file=FILE,dtype=float32 ...`
  yardstick  `yardstick eval -m FILE --tasks ... --limit N --output-json ...`, then
             `yardstick export --run RUN --items` for the per-item results
  compare    compare.py: table in WORK/runs/LABEL/comparison.md, details in comparison.json
Each tool's command line, wall time, CPU time (user+system of the process and its children)
and the machine's load average before and after are written to WORK/runs/LABEL/timing.json.

Environment: PARITY_WORK (default /tmp/parity-work), YARDSTICK (binary; default `yardstick`),
YARDSTICK_HOME (default WORK/yardstick-home: a private results database), and the data and
model paths below. HF_DATASETS_OFFLINE / HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE are set: nothing
is downloaded.
"""

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def run_timed(command, log_path, env):
    """Runs a command with its output to a log file; returns wall and CPU seconds and load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()
    start = time.monotonic()
    with open(log_path, "w", encoding="utf-8") as log:
        log.write("$ " + shlex.join(command) + "\n")
        log.flush()
        code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        raise SystemExit(f"run.py: exit status {code}: {shlex.join(command)} (log: {log_path})")
    return {
        "command": shlex.join(command),
        "wall_s": round(wall, 2),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "max_rss_kib_of_largest_child": after.ru_maxrss,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", required=True, help="comma-separated yardstick/lm-eval task names")
    parser.add_argument("--limit", default="all", help="first N items of each task, or `all`")
    parser.add_argument("--num-fewshot", type=int, help="few-shot examples, given to both tools "
                        "(default: each task's own num_fewshot; yardstick takes the flag from the "
                        "version that has --num-fewshot)")
    parser.add_argument("--label", help="name of this comparison (default: TASKS-LIMIT)")
    parser.add_argument("--model", default=os.environ.get("PARITY_MODEL", "/tmp/models/gemma-3-270m-q4_k_m.gguf"),
                        help="GGUF file both tools load")
    parser.add_argument("--yardstick-model", help="GGUF file for yardstick only (default: --model); "
                        "the control experiment gives the float32 copy from dequantize_gguf.py")
    parser.add_argument("--data-dir", default=os.environ.get("YARDSTICK_DATA", "/work/shared/datasets"))
    parser.add_argument("--batch-size", default=os.environ.get("PARITY_BATCH_SIZE", "8"),
                        help="lm-eval --batch_size (yardstick scores one item at a time)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both tools")
    parser.add_argument("--steps", default="prepare,lm_eval,yardstick,compare")
    parser.add_argument("--lm-eval-from", help="compare with the lm-eval results of another label "
                        "(for the control experiment: same items, other yardstick model)")
    args = parser.parse_args()

    work = Path(os.environ.get("PARITY_WORK", "/tmp/parity-work"))
    tasks = [t for t in args.tasks.split(",") if t]
    label = args.label or f"{tasks[0] if len(tasks) == 1 else '+'.join(tasks)}-{args.limit}"
    out = work / "runs" / label
    out.mkdir(parents=True, exist_ok=True)
    steps = set(args.steps.split(","))
    python = sys.executable
    model = Path(args.model).resolve()
    yardstick_model = Path(args.yardstick_model).resolve() if args.yardstick_model else model
    yardstick = os.environ.get("YARDSTICK", "yardstick")
    env = dict(
        os.environ,
        HF_DATASETS_OFFLINE="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        YARDSTICK_HOME=os.environ.get("YARDSTICK_HOME", str(work / "yardstick-home")),
        OMP_NUM_THREADS=str(args.threads),
    )
    timing_path = out / "timing.json"
    timing = json.loads(timing_path.read_text()) if timing_path.exists() else {}
    timing.update({"tasks": tasks, "limit": args.limit, "num_fewshot": args.num_fewshot, "threads": args.threads})
    task_dir = work / "lm_eval_tasks"
    limit_args = [] if args.limit == "all" else ["--limit", str(args.limit)]

    if "prepare" in steps:
        fewshot_args = [] if args.num_fewshot is None else ["--num-fewshot", str(args.num_fewshot)]
        subprocess.run([python, str(HERE / "prepare.py"), "--data-dir", args.data_dir, "--out", str(task_dir),
                        "--tasks", ",".join(tasks), *fewshot_args], check=True, env=env)

    if "lm_eval" in steps:
        lm_eval = str(Path(python).parent / "lm_eval")
        command = [
            lm_eval, "run", "--model", "hf",
            "--model_args", f"pretrained={model.parent},gguf_file={model.name},dtype=float32",
            "--tasks", ",".join(tasks), "--include_path", str(task_dir),
            *([] if args.num_fewshot is None else ["--num_fewshot", str(args.num_fewshot)]), *limit_args,
            "--batch_size", str(args.batch_size), "--device", "cpu",
            "--log_samples", "--output_path", str(out / "lm_eval"),
        ]
        timing["lm_eval"] = run_timed(command, out / "lm_eval.log", env)
        timing["lm_eval"]["batch_size"] = args.batch_size
        timing_path.write_text(json.dumps(timing, indent=1) + "\n")

    if "yardstick" in steps:
        command = [
            yardstick, "eval", "-q", "-m", str(yardstick_model), "--tasks", ",".join(tasks), *limit_args,
            "--data-dir", args.data_dir, "--threads", str(args.threads),
            "--output-json", str(out / "yardstick.json"),
        ]
        if args.num_fewshot is not None:
            command += ["--num-fewshot", str(args.num_fewshot)]
        timing["yardstick"] = run_timed(command, out / "yardstick.log", env)
        run_id = json.loads((out / "yardstick.json").read_text())["run_id"]
        subprocess.run([yardstick, "export", "--run", run_id, "--items", "--output", str(out / "yardstick.items.jsonl")],
                       check=True, env=env)
        timing["yardstick"]["run_id"] = run_id
        timing_path.write_text(json.dumps(timing, indent=1) + "\n")

    if "compare" in steps:
        lm_eval_dir = work / "runs" / args.lm_eval_from / "lm_eval" if args.lm_eval_from else out / "lm_eval"
        subprocess.run([python, str(HERE / "compare.py"), "--label", label, "--lm-eval-dir", str(lm_eval_dir),
                        "--yardstick-json", str(out / "yardstick.json"),
                        "--yardstick-items", str(out / "yardstick.items.jsonl"), "--timing", str(timing_path),
                        "--out-json", str(out / "comparison.json"), "--out-md", str(out / "comparison.md")],
                       check=True, env=env)


if __name__ == "__main__":
    main()
