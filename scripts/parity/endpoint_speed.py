"""Endpoint evaluation speed, measured side by side in one run (docs/performance.md, §
"Scoring a served model"): the same items scored by

  in-process   `yardstick eval -m FILE` (llama.cpp in the yardstick process)
  endpoint     `yardstick eval --endpoint` against `yardstick serve` (the same engine behind
               an OpenAI-compatible HTTP API), --concurrency N
  lm-eval      lm-evaluation-harness's `local-completions` model against the same server,
               num_concurrent=N (its tokenizer: the GGUF's, saved by transformers)

Each is a fresh process with a private results database (nothing resumes); wall time is the
whole process. The server is started once and serves both clients.

Usage (with the parity venv's python, made by setup.sh):
    /tmp/parity-venv/bin/python scripts/parity/endpoint_speed.py --task arc_easy --limit 100

Writes WORK/runs/LABEL/endpoint_speed.json and prints a Markdown table.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import run_timed  # noqa: E402  (the same timing as the parity runs)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, seconds=180):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"endpoint_speed.py: {url} did not answer in {seconds} s")


def accuracy(path, task):
    results = json.loads(Path(path).read_text())["results"]
    for row in results:
        if row["task"] == task and row["metric"] == "acc":
            return row["value"]
    return None


def lm_eval_accuracy(out_dir, task):
    for path in sorted(Path(out_dir).rglob("results_*.json")):
        results = json.loads(path.read_text())["results"].get(task, {})
        for key, value in results.items():
            if key.startswith("acc,"):
                return value
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="arc_easy")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", default=os.environ.get(
        "PARITY_MODEL", str(Path.home() / ".local/share/yardstick/models/gemma-3-270m-q4_k_m.gguf")))
    parser.add_argument("--data-dir", default=os.environ.get("YARDSTICK_DATA", str(REPO_DATA)))
    parser.add_argument("--label")
    parser.add_argument("--steps", default="prepare,in_process,endpoint,lm_eval")
    args = parser.parse_args()
    steps = args.steps.split(",")
    model = Path(args.model).resolve()
    work = Path(os.environ.get("PARITY_WORK", "/tmp/parity-work"))
    label = args.label or f"endpoint-{model.stem}-{args.task}-{args.limit}"
    out = work / "runs" / label
    out.mkdir(parents=True, exist_ok=True)
    yardstick = os.environ.get("YARDSTICK", "yardstick")
    python = sys.executable
    env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               OMP_NUM_THREADS=str(args.threads))
    timing_path = out / "endpoint_speed.json"
    timing = json.loads(timing_path.read_text()) if timing_path.exists() else {}
    timing.update({"task": args.task, "limit": args.limit, "concurrency": args.concurrency,
                   "model": str(model), "threads": args.threads})
    task_dir = work / "lm_eval_tasks"
    tokenizer_dir = work / f"tokenizer-{model.stem}"

    if "prepare" in steps:
        subprocess.run([python, str(HERE / "prepare.py"), "--data-dir", args.data_dir, "--out",
                        str(task_dir), "--tasks", args.task], check=True, env=env)
        if not tokenizer_dir.exists():
            from transformers import AutoTokenizer
            AutoTokenizer.from_pretrained(str(model.parent), gguf_file=model.name).save_pretrained(
                str(tokenizer_dir))

    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    server_log = open(out / "serve.log", "w", encoding="utf-8")
    serve_home = out / "serve-home"
    server = subprocess.Popen(
        [yardstick, "serve", "--model", str(model), "--port", str(port), "--served-model-name",
         "served", "--threads", str(args.threads)],
        stdout=server_log, stderr=subprocess.STDOUT, env=dict(env, YARDSTICK_HOME=str(serve_home)))
    try:
        wait_for(f"{base_url}/models")
        common = ["--tasks", args.task, "--limit", str(args.limit), "--data-dir", args.data_dir]
        if "in_process" in steps:
            home = out / "home-in-process"
            subprocess.run(["rm", "-rf", str(home)], check=True)
            timing["in_process"] = run_timed(
                [yardstick, "eval", "-q", "-m", str(model), *common, "--threads", str(args.threads),
                 "--output-json", str(out / "in_process.json")],
                out / "in_process.log", dict(env, YARDSTICK_HOME=str(home)))
            timing["in_process"]["acc"] = accuracy(out / "in_process.json", args.task)
        if "endpoint" in steps:
            home = out / "home-endpoint"
            subprocess.run(["rm", "-rf", str(home)], check=True)
            timing["endpoint"] = run_timed(
                [yardstick, "eval", "-q", "--endpoint", base_url, "--served-model", "served", *common,
                 "--concurrency", str(args.concurrency), "--output-json", str(out / "endpoint.json")],
                out / "endpoint.log", dict(env, YARDSTICK_HOME=str(home)))
            timing["endpoint"]["acc"] = accuracy(out / "endpoint.json", args.task)
        if "lm_eval" in steps:
            lm_eval = str(Path(python).parent / "lm_eval")
            model_args = ",".join([
                "model=served", f"base_url={base_url}/completions",
                f"num_concurrent={args.concurrency}", "max_retries=3", "tokenized_requests=False",
                "tokenizer_backend=huggingface", f"tokenizer={tokenizer_dir}",
            ])
            timing["lm_eval"] = run_timed(
                [lm_eval, "run", "--model", "local-completions", "--model_args", model_args,
                 "--tasks", args.task, "--include_path", str(task_dir), "--limit", str(args.limit),
                 "--output_path", str(out / "lm_eval")],
                out / "lm_eval.log", env)
            timing["lm_eval"]["acc"] = lm_eval_accuracy(out / "lm_eval", args.task)
    finally:
        server.terminate()
        server.wait(timeout=30)
        server_log.close()
    timing_path.write_text(json.dumps(timing, indent=1) + "\n")

    print(f"| {model.name}, {args.task}, {args.limit} items | wall s | items/s | vs in-process | acc |")
    print("|---|---:|---:|---:|---:|")
    base = timing.get("in_process", {}).get("wall_s")
    for name in ("in_process", "endpoint", "lm_eval"):
        if name not in timing:
            continue
        wall = timing[name]["wall_s"]
        ratio = f"{base / wall:.2f}" if base else ""
        acc = timing[name].get("acc")
        print(f"| {name} | {wall:.1f} | {args.limit / wall:.2f} | {ratio} | {acc if acc is None else round(acc, 4)} |")


REPO_DATA = HERE.parents[1] / ".." / "shared" / "datasets"

if __name__ == "__main__":
    main()
