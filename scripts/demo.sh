#!/usr/bin/env bash
# The main job: a real comparison of the two bundled models, ending in the leaderboard, a
# recommendation and a report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh release
yardstick=target/release/yardstick
data="${YARDSTICK_DATA:-$(pwd)/../shared/datasets}"
models=(-m gemma-3-270m-q4_k_m -m qwen2.5-coder-0.5b-instruct-q4_k_m)
limit="${DEMO_LIMIT:-100}"

"$yardstick" eval "${models[@]}" --data-dir "$data" --limit "$limit" \
  --tasks arc_easy,arc_challenge,hellaswag,piqa,openbookqa,boolq,winogrande,truthfulqa_mc2
# Generative: 8-shot chain of thought with lm-eval's answer-extraction filters.
"$yardstick" eval "${models[@]}" --data-dir "$data" --limit "${DEMO_GEN_LIMIT:-20}" --tasks gsm8k_cot
"$yardstick" eval "${models[@]}" --data-dir "$data" --limit "${DEMO_MMLU_LIMIT:-5}" --tasks mmlu
"$yardstick" profile "${models[@]}"
# Serving: Gemma behind `yardstick serve` (the in-process engine behind an OpenAI-compatible
# API) and in-process, the same synthetic workload (128-token prompts, 32-token outputs) at 1
# and 4 streams; the served deployment's quality is scored through the same API, so
# `recommend` sees its quality and speed together.
server_log="$(mktemp)"
"$yardstick" serve --model gemma-3-270m-q4_k_m --host 127.0.0.1 --port 18181 --threads 2 \
  --parallel 4 >"$server_log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 120); do
  python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:18181/v1/models")' \
    >/dev/null 2>&1 && break
  sleep 1
done
serve=(--input-tokens 128 --output-tokens 32 --requests "${DEMO_BENCH_REQUESTS:-20}" --concurrency 1,4)
"$yardstick" bench --endpoint http://127.0.0.1:18181/v1 -m gemma-3-270m-q4_k_m --server-pid "$server" "${serve[@]}"
"$yardstick" eval --endpoint http://127.0.0.1:18181/v1 --served-model gemma-3-270m-q4_k_m \
  --data-dir "$data" --limit "$limit" --tasks arc_easy --concurrency 4
kill "$server" 2>/dev/null || true
"$yardstick" bench -m gemma-3-270m-q4_k_m "${serve[@]}"
"$yardstick" bench -m qwen2.5-coder-0.5b-instruct-q4_k_m "${serve[@]}"
"$yardstick" leaderboard
# Decide: the paired comparison of the two models, then a recommendation. The price is the
# on-demand rate of a 2-vCPU cloud machine like this one (AWS m7i.large, us-east-1, $0.1008/h
# as of 2025-05); set DEMO_USD_PER_HOUR to yours.
"$yardstick" compare --model gemma-3-270m-q4_k_m --model qwen2.5-coder-0.5b-instruct-q4_k_m
"$yardstick" recommend --usd-per-hour "${DEMO_USD_PER_HOUR:-0.1008}"
runs="$("$yardstick" runs list --format json |
  python3 -c 'import json,sys; print(",".join(r["run_id"] for r in json.load(sys.stdin) if r["status"] == "complete"))')"
"$yardstick" report --runs "$runs" --usd-per-hour "${DEMO_USD_PER_HOUR:-0.1008}" --out "${DEMO_REPORT_DIR:-target/demo-report}"
