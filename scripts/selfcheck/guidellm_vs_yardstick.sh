#!/usr/bin/env bash
# Self-check of yardstick's serving client, side by side with GuideLLM (docs/performance.md,
# "Serving client: timing accuracy, ceiling, and GuideLLM side by side").
#
#   1. yardstick's client against the mock in its own process (self_check, monotonic clock).
#   2. Timing error against the standalone mock's wall-clock send log, mock pinned to one
#      core, client to the other: yardstick (self_check --endpoint) and GuideLLM, 1/16/64
#      streams, distinct prompts so each request is found in the mock's log.
#   3. Client ceiling against a zero-delay mock, same pinning: events/s and requests/s.
#   4. If target/llama-server/bin/llama-server exists: yardstick bench and GuideLLM against
#      llama.cpp's server with Gemma-3-270M, 128-token prompts, 32-token outputs, 1 and 4
#      streams, twice in alternating order.
#
# SELFCHECK_CLIENT_CPU / SELFCHECK_MOCK_CPU choose the cores (0 and 1; empty: unpinned),
# SELFCHECK_PARTS which parts run (default 1,2,3,4); sizes: SELFCHECK_REQUESTS_PER_STREAM (8),
# SELFCHECK_MIN_REQUESTS (40), SELFCHECK_CEILING_SECONDS (10), SELFCHECK_LLAMA_REQUESTS (40);
# SELFCHECK_NO_BUILD=1 skips `cargo build` (binaries in $CARGO_TARGET_DIR/release or
# target/release); SELFCHECK_MODEL is the GGUF for llama-server.
#
# GuideLLM needs no tokenizer here: it reads prompts from JSONL files (`prompt`,
# `output_tokens_count`) and takes token counts from the server's usage, so nothing is
# fetched from the Hugging Face hub. Results go to $SELFCHECK_OUT (default
# /tmp/yardstick-selfcheck); yardstick's runs are stored under $SELFCHECK_OUT/home, not in
# the user's store.
set -euo pipefail
cd "$(dirname "$0")/../.."

out="${SELFCHECK_OUT:-/tmp/yardstick-selfcheck}"
venv="${GUIDELLM_VENV:-/tmp/guidellm-venv}"
bin="${CARGO_TARGET_DIR:-target}/release"
# Set but empty: unpinned.
client_cpu="${SELFCHECK_CLIENT_CPU-0}"
mock_cpu="${SELFCHECK_MOCK_CPU-1}"
requests_per_stream="${SELFCHECK_REQUESTS_PER_STREAM:-8}"
min_requests="${SELFCHECK_MIN_REQUESTS:-40}"
ceiling_seconds="${SELFCHECK_CEILING_SECONDS:-10}"
llama_requests="${SELFCHECK_LLAMA_REQUESTS:-40}"
parts="${SELFCHECK_PARTS:-1,2,3,4}"
model="${SELFCHECK_MODEL:-$HOME/.local/share/yardstick/models/gemma-3-270m-q4_k_m.gguf}"
compare=(python3 scripts/selfcheck/compare.py)
mkdir -p "$out"

if [[ ! -x "$venv/bin/guidellm" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r scripts/selfcheck/requirements.lock
fi
if [[ -z "${SELFCHECK_NO_BUILD:-}" ]]; then
  cargo build --release -p yardstick-bench -p yardstick-test-support -p yardstick-cli \
    --example self_check --example mock_server --bin yardstick
fi

# pinned CPU COMMAND...: COMMAND on CPU (anywhere when CPU is empty), replacing this
# (sub)shell, so that a background `pinned ... &` has the command's own process id.
pinned() {
  local cpu=$1
  shift
  if [[ -n "$cpu" ]]; then exec taskset -c "$cpu" "$@"; else exec "$@"; fi
}
part() { [[ ",$parts," == *",$1,"* ]]; }

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

# start_mock PORT LOG_OR_EMPTY ARGS...: the standalone mock on $mock_cpu.
start_mock() {
  local port=$1 log=$2
  shift 2
  local args=(--port "$port" "$@")
  [[ -n "$log" ]] && args+=(--log "$log")
  (pinned "$mock_cpu" "$bin/examples/mock_server" "${args[@]}") >"$out/mock_$port.out" 2>&1 &
  mock_pid=$!
  pids+=("$mock_pid")
  for _ in $(seq 100); do
    grep -q '^listening on http' "$out/mock_$port.out" && return
    kill -0 "$mock_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the mock on port $port did not start: $(cat "$out/mock_$port.out")" >&2
  exit 1
}
stop_mock() { kill "$mock_pid"; wait "$mock_pid" 2>/dev/null || true; }

# guidellm_run URL MODEL STREAMS PROMPTS OUT CONSTRAINT...: GuideLLM on $client_cpu (or
# unpinned with an empty $client_cpu), completions API, streaming.
guidellm_run() {
  local url=$1 served=$2 streams=$3 prompts=$4 result=$5
  shift 5
  local constraints=()
  for constraint in "$@"; do constraints+=(--constraint "$constraint"); done
  (pinned "$client_cpu" "$venv/bin/guidellm" run \
    --backend "kind=openai_http,target=$url,model=$served,request_format=/v1/completions,validate_backend=false" \
    --profile "kind=concurrent,streams=$streams" "${constraints[@]}" \
    --data "kind=json_file,path=$prompts" \
    --output "kind=json,path=$result" --disable-progress) >"${result%.json}.log" 2>&1
}

echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

if part 1; then
  echo "== 1. yardstick against the mock in its own process"
  "$bin/examples/self_check" --requests-per-stream "$requests_per_stream" \
    --min-requests "$min_requests" --ceiling-seconds "$ceiling_seconds" \
    --json "$out/self_check_in_process.json" | tee "$out/self_check_in_process.md"
fi

if part 2; then
  echo "== 2. timing error against the standalone mock (mock on CPU ${mock_cpu:-any}, client on CPU ${client_cpu:-any})"
  start_mock 18301 "$out/mock_timing.jsonl" --ttft-ms 20 --gap-ms 5
  (pinned "$client_cpu" "$bin/examples/self_check" --skip-ceiling \
    --requests-per-stream "$requests_per_stream" --min-requests "$min_requests" \
    --endpoint http://127.0.0.1:18301/v1 --mock-log "$out/mock_timing.jsonl" \
    --json "$out/yardstick_timing.json") | tee "$out/yardstick_timing.md"
  guidellm_results=()
  stamp=$(date +%s)
  for streams in 1 16 64; do
    count=$((streams * requests_per_stream > min_requests ? streams * requests_per_stream : min_requests))
    "${compare[@]}" prompts --tag "guidellm $stamp streams $streams" --count "$count" \
      --out "$out/guidellm_timing_prompts_$streams.jsonl"
    guidellm_run http://127.0.0.1:18301 mock-model "$streams" \
      "$out/guidellm_timing_prompts_$streams.jsonl" "$out/guidellm_timing_$streams.json" \
      "kind=max_requests,count=$count"
    guidellm_results+=(--guidellm "$out/guidellm_timing_$streams.json")
  done
  stop_mock
  "${compare[@]}" timing --mock-log "$out/mock_timing.jsonl" "${guidellm_results[@]}" \
    --json "$out/guidellm_timing.json" | tee "$out/guidellm_timing.md"
fi

if part 3; then
  echo "== 3. client ceiling against a zero-delay mock (mock on CPU ${mock_cpu:-any}, client on CPU ${client_cpu:-any})"
  start_mock 18302 "" --ttft-ms 0 --gap-ms 0
  (pinned "$client_cpu" "$bin/examples/self_check" --skip-timing \
    --ceiling-seconds "$ceiling_seconds" --ceiling-endpoint http://127.0.0.1:18302/v1 \
    --json "$out/yardstick_ceiling.json") | tee "$out/yardstick_ceiling.md"
  "${compare[@]}" prompts --tag ceiling --count 5000 --min-output 512 --max-output 512 \
    --out "$out/guidellm_ceiling_prompts_512.jsonl"
  "${compare[@]}" prompts --tag ceiling --count 100000 --min-output 1 --max-output 1 \
    --out "$out/guidellm_ceiling_prompts_1.jsonl"
  for tokens in 512 1; do
    guidellm_run http://127.0.0.1:18302 mock-model 16 "$out/guidellm_ceiling_prompts_$tokens.jsonl" \
      "$out/guidellm_ceiling_$tokens.json" "kind=max_duration,seconds=$ceiling_seconds"
  done
  stop_mock
  "${compare[@]}" ceiling --guidellm "$out/guidellm_ceiling_512.json" \
    --guidellm "$out/guidellm_ceiling_1.json" --json "$out/guidellm_ceiling.json" |
    tee "$out/guidellm_ceiling.md"
fi

server=target/llama-server/bin/llama-server
if ! part 4; then
  :
elif [[ -x "$server" && -f "$model" ]]; then
  echo "== 4. llama.cpp's server with $(basename "$model"), both tools unpinned"
  "$server" --host 127.0.0.1 --port 18303 --threads 2 --parallel 4 --ctx-size 4096 \
    --no-repack -m "$model" >"$out/llama_server.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  # python3 rather than curl, which a fresh Debian may lack.
  for _ in $(seq 120); do
    python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:18303/health")' \
      >/dev/null 2>&1 && break
    sleep 1
  done
  served=$(python3 -c 'import json, urllib.request
print(json.load(urllib.request.urlopen("http://127.0.0.1:18303/v1/models"))["data"][0]["id"])')
  # One request first, so neither tool meets a cold server.
  python3 -c 'import json, sys, urllib.request
body = json.dumps({"model": sys.argv[1], "prompt": "warm up", "max_tokens": 8}).encode()
urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:18303/v1/completions", body,
                                              {"Content-Type": "application/json"})).read()' "$served"
  pairs=()
  seed=0
  for round in 1 2; do
    tools=(yardstick guidellm)
    [[ $round == 2 ]] && tools=(guidellm yardstick)
    for streams in 1 4; do
      for tool in "${tools[@]}"; do
        # Distinct prompts for every run: llama-server reuses a slot's cached prompt.
        seed=$((seed + 1))
        prompts="$out/llama_prompts_${round}_${streams}_$tool.jsonl"
        "${compare[@]}" llama-prompts --server http://127.0.0.1:18303 --tokens 128 \
          --output-tokens 32 --count "$llama_requests" --seed "$seed" --out "$prompts"
        if [[ $tool == yardstick ]]; then
          "$bin/yardstick" --home "$out/home" bench --endpoint http://127.0.0.1:18303/v1 \
            --dataset "$prompts" --output-tokens 32 --concurrency "$streams" \
            --requests "$llama_requests" --warmup 0 --out "$out/llama_yardstick_${round}_$streams" \
            >"$out/llama_yardstick_${round}_$streams.log" 2>&1 &
        else
          client_cpu="" guidellm_run http://127.0.0.1:18303 "$served" "$streams" "$prompts" \
            "$out/llama_guidellm_${round}_$streams.json" "kind=max_requests,count=$llama_requests" &
        fi
        # The CPU the client takes from the two cores the server computes on.
        client_pid=$!
        echo -n "round $round, $streams streams, $tool: "
        "${compare[@]}" cpu-sample --root "$client_pid" --server "$server_pid" \
          --out "$out/llama_cpu_${round}_${streams}_$tool.json"
        wait "$client_pid"
      done
      pairs+=(--pair "round $round" "$out/llama_yardstick_${round}_$streams/report.json" \
        "$out/llama_guidellm_${round}_$streams.json")
    done
  done
  "${compare[@]}" side-by-side "${pairs[@]}" --json "$out/llama_side_by_side.json" |
    tee "$out/llama_side_by_side.md"
else
  echo "== 4. skipped: no $server or no $model"
fi
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
