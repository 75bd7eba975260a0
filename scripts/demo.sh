#!/usr/bin/env bash
# The main job: a real comparison of the two bundled models, ending in the leaderboard.
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
"$yardstick" leaderboard
