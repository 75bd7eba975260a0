#!/usr/bin/env bash
# Builds llama.cpp's OpenAI-compatible HTTP server (`llama-server`) from source, for the
# integration tests and benchmarks that need a real served model. No prebuilt binary is
# downloaded: the llama.cpp sources come from the `llama-cpp-python` source distribution on
# PyPI (pinned by version and sha256), which vendors the whole llama.cpp tree.
#
# Usage: scripts/setup-llama-server.sh      installs target/llama-server/bin/llama-server
# Idempotent: does nothing when that binary exists and its stamp names the same source.
# Build time: 658 s (76 MB download included) on 2 cores shared with other jobs (load 4-8),
# under nice -n 19, measured 2026-11-23; a machine to itself should be faster.
set -euo pipefail
cd "$(dirname "$0")/.."

version="0.3.36"
sha256="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
root="target/llama-server"
stamp="$root/stamp"
bin="$root/bin/llama-server"

if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "llama-cpp-python-$version-$sha256" ]; then
  echo "==> llama-server already built ($bin)"
  exit 0
fi

for tool in cmake c++ sha256sum tar; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: building llama-server needs \`$tool\` (scripts/setup.sh installs it)" >&2
    exit 1
  fi
done
if ! python3 -m pip --version >/dev/null 2>&1; then
  echo "error: building llama-server needs pip (python3 -m pip) to fetch the sources" >&2
  exit 1
fi

echo "==> building llama-server from llama-cpp-python $version's vendored llama.cpp"
started="$(date +%s)"
mkdir -p "$root"
work="$(mktemp -d "$root/work.XXXXXX")"
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --no-binary :all: \
  "llama-cpp-python==$version" -d "$work/dist" || {
  echo "error: pip could not download llama-cpp-python==$version's sources from PyPI" >&2
  exit 1
}
archive="$work/dist/llama_cpp_python-$version.tar.gz"
if [ ! -f "$archive" ]; then
  echo "error: pip did not download $archive" >&2
  exit 1
fi
actual="$(sha256sum "$archive" | cut -d' ' -f1)"
if [ "$actual" != "$sha256" ]; then
  echo "error: $archive has sha256 $actual, expected $sha256" >&2
  exit 1
fi
mkdir -p "$work/src"
tar xzf "$archive" -C "$work/src" --strip-components=3 \
  "llama_cpp_python-$version/vendor/llama.cpp"

# Only the server: no tests, examples, other tools, web UI (its assets would be fetched from
# the network), or libcurl. Native CPU kernels, as yardstick's own llama.cpp build uses.
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON \
  -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF \
  -DLLAMA_USE_PREBUILT_UI=OFF >"$work/cmake.log" 2>&1 || {
  cat "$work/cmake.log" >&2
  echo "error: configuring llama.cpp failed (log above)" >&2
  exit 1
}
cmake --build "$work/build" --target llama-server -j"$(nproc)" >"$work/build.log" 2>&1 || {
  tail -50 "$work/build.log" >&2
  echo "error: building llama-server failed (log tail above)" >&2
  exit 1
}
mkdir -p "$root/bin"
cp "$work/build/bin/llama-server" "$bin.tmp"
mv "$bin.tmp" "$bin"
echo "llama-cpp-python-$version-$sha256" >"$stamp"
echo "==> llama-server built in $(($(date +%s) - started)) s: $bin"
