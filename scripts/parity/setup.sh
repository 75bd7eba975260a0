#!/usr/bin/env bash
# Creates the Python environment for the lm-evaluation-harness parity check (docs/parity.md):
# lm-eval 0.4.13 with its Hugging Face transformers backend, CPU inference.
#
#   scripts/parity/setup.sh            # venv at $PARITY_VENV (default /tmp/parity-venv)
#
# Installs the exact versions in requirements.lock (every package, transitive ones included).
# With PARITY_UNLOCKED=1 it installs the top-level pins below instead and rewrites the lock
# from what pip resolved (that is how requirements.lock was made).
#
# torch: PyPI has no CPU-only torch wheel for Linux x86_64 (those live on PyTorch's own index,
# which is not reachable here). The plain PyPI `torch` wheel is used; it runs on the CPU, but
# pulls the CUDA runtime packages (nvidia-*) as dependencies: torch 2.9.1's wheel is 900 MB and
# the whole venv is several GB (see docs/parity.md for the measured size). Nothing here uses a GPU.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${PARITY_VENV:-/tmp/parity-venv}"
python="${PYTHON:-python3}"

# Top-level pins. transformers 5.23.0, not a 4.x: transformers 4.57.6 loads Gemma-3 GGUF weights
# but rebuilds the tokenizer as a Unigram model over the GGUF scores, which splits words into
# pieces ("Hello world" -> Hello, _w, or, ld; see docs/parity.md); 5.23.0 rebuilds Gemma's BPE
# merges from the vocabulary instead. The `gguf` package does the dequantization (to float32).
# huggingface-hub and datasets are pinned to a pair that both accept.
pins=(
  "lm-eval[hf]==0.4.13"
  "torch==2.9.1"
  "transformers==5.23.0"
  "huggingface-hub==1.33.0"
  "datasets==5.2.0"
  "gguf==0.19.0"
  "accelerate==1.12.0"
)

if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade "pip==25.3"

if [[ "${PARITY_UNLOCKED:-0}" == 1 || ! -f "$here/requirements.lock" ]]; then
  "$venv/bin/pip" install "${pins[@]}"
  "$venv/bin/pip" check
  {
    echo "# pip freeze of the parity venv made by scripts/parity/setup.sh with PARITY_UNLOCKED=1"
    echo "# ($("$venv/bin/python" --version), $(uname -m))"
    "$venv/bin/pip" freeze --exclude-editable | LC_ALL=C sort
  } > "$here/requirements.lock"
  echo "wrote $here/requirements.lock"
else
  "$venv/bin/pip" install -r "$here/requirements.lock"
fi

"$venv/bin/python" - <<'PY'
import importlib.metadata as md
for name in ("lm_eval", "torch", "transformers", "huggingface_hub", "gguf", "accelerate", "datasets", "tokenizers", "numpy"):
    print(f"{name}=={md.version(name)}")
import torch
print("torch CUDA available:", torch.cuda.is_available(), "| threads:", torch.get_num_threads())
PY
du -sh "$venv"
