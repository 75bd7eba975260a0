#!/usr/bin/env python3
"""Helpers of guidellm_vs_yardstick.sh: prompt files, and GuideLLM's timestamps against the
mock's send log; yardstick's and GuideLLM's metrics side by side.

Standard library only, so it runs with any python3.

  compare.py prompts --tag T --count N --min-output 32 --max-output 64 --out FILE
      JSONL prompts for GuideLLM (`prompt`, `output_tokens_count`), one distinct prompt per
      request so each request can be found in the mock's log.
  compare.py timing --mock-log LOG --guidellm BENCHMARKS.json [--json OUT]
      For every successful GuideLLM request: its first_token_iteration and
      last_token_iteration (time.time() when the line with the first and last text arrived)
      minus the mock's wall-clock time of the first and last token write of the request with
      the same prompt. GuideLLM keeps no per-token times, only these two.
  compare.py ceiling --guidellm BENCHMARKS.json [--json OUT]
      GuideLLM against a zero-delay mock: streamed events (lines with text) and requests
      completed per second, from its successful requests' own times (earliest
      request_start to latest request_end), as self_check counts yardstick's.
  compare.py llama-prompts --server URL --tokens 128 --count N --seed S --out FILE
      N distinct prompts of exactly 128 prompt tokens for a llama.cpp server (BOS
      included), checked with its /tokenize; words from yardstick's own word list.
  compare.py cpu-sample --root PID --server PID --out FILE
      Until process PID ends, every second: the CPU used by it and its descendants and by
      the server process, in % of one core (/proc/PID/stat). Prints the means over the
      seconds in which the server was busy (over half its busiest second).
  compare.py side-by-side --pair LABEL YARDSTICK_REPORT.json GUIDELLM.json ... [--json OUT]
      TTFT, ITL/TPOT and throughput as each tool reports them, and GuideLLM's requests
      recomputed under yardstick's definitions (docs/metrics.md).

Percentiles interpolate linearly between closest ranks (numpy's default, as
yardstick_core::stats::percentile).
"""

import argparse
import json
import os
import random
import re
import sys
import time
import urllib.request


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = q / 100.0 * (len(ordered) - 1)
    lower = int(rank)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (rank - lower)


def stats(values):
    return {
        "count": len(values),
        "mean": sum(values) / len(values) if values else float("nan"),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "min": min(values) if values else float("nan"),
        "max": max(values) if values else float("nan"),
    }


def command_prompts(args):
    lengths = args.max_output - args.min_output + 1
    with open(args.out, "w") as out:
        for index in range(args.count):
            row = {
                "prompt": f"self check {args.tag} request {index}",
                "output_tokens_count": args.min_output + index % lengths,
            }
            out.write(json.dumps(row) + "\n")


def read_mock_log(path):
    """Prompt -> times of the writes that carried tokens (UNIX seconds); a prompt the mock
    saw more than once maps to None (which request is which cannot be told)."""
    sends = {}
    with open(path) as log:
        for line in log:
            if not line.strip():
                continue
            entry = json.loads(line)
            times = [event["at"] for event in entry["sends"] if event["tokens"] > 0]
            sends[entry["prompt"]] = None if entry["prompt"] in sends else times
    return sends


def guidellm_requests(benchmark):
    """Successful requests of one GuideLLM benchmark."""
    requests = benchmark.get("requests", {})
    if isinstance(requests, dict):
        return requests.get("successful", [])
    return [request for request in requests if request.get("status") == "successful"]


def request_prompt(request):
    body = json.loads(request["request_args"]).get("body", {})
    prompt = body.get("prompt")
    if prompt is None:
        messages = body.get("messages", [])
        prompt = " ".join(
            message["content"] for message in messages if isinstance(message.get("content"), str)
        )
    return " ".join(prompt.split())


def streams_of(benchmark):
    strategy = benchmark.get("config", {}).get("strategy", {})
    for key in ("streams", "max_concurrency"):
        if strategy.get(key) is not None:
            return strategy[key]
    return strategy.get("type_", "?")


def benchmarks(paths):
    for path in paths:
        with open(path) as source:
            yield from json.load(source)["benchmarks"]


def command_timing(args):
    sends = read_mock_log(args.mock_log)
    rows = []
    for benchmark in benchmarks(args.guidellm):
        first, last, unmatched = [], [], 0
        successful = guidellm_requests(benchmark)
        for request in successful:
            timings = request["info"]["timings"]
            mock = sends.get(request_prompt(request))
            if not mock or timings.get("first_token_iteration") is None:
                unmatched += 1
                continue
            first.append((timings["first_token_iteration"] - mock[0]) * 1e6)
            last.append((timings["last_token_iteration"] - mock[-1]) * 1e6)
        rows.append(
            {
                "streams": streams_of(benchmark),
                "successful": len(successful),
                "errored": len(benchmark["requests"].get("errored", [])),
                "unmatched": unmatched,
                "first_token_us": stats(first),
                "last_token_us": stats(last),
            }
        )
    print(
        "| streams | requests | unmatched | first token p50 (µs) | p99 | max "
        "| last token p50 (µs) | p99 | max |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        cells = [
            f"{row[key]['p50']:.0f} | {row[key]['p99']:.0f} | {row[key]['max']:.0f}"
            for key in ("first_token_us", "last_token_us")
        ]
        print(f"| {row['streams']} | {row['successful']} | {row['unmatched']} | {cells[0]} | {cells[1]} |")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=2)


def command_ceiling(args):
    rows = []
    for benchmark in benchmarks(args.guidellm):
        successful = guidellm_requests(benchmark)
        starts = [request["info"]["timings"]["request_start"] for request in successful]
        ends = [request["info"]["timings"]["request_end"] for request in successful]
        events = sum(request["info"]["timings"]["token_iterations"] for request in successful)
        tokens = sum(request["output_metrics"].get("text_tokens") or 0 for request in successful)
        seconds = max(ends) - min(starts)
        rows.append(
            {
                "streams": streams_of(benchmark),
                "tokens_per_request": tokens / len(successful),
                "seconds": seconds,
                "requests_completed": len(successful),
                "requests_errored": len(benchmark["requests"].get("errored", [])),
                "requests_incomplete": len(benchmark["requests"].get("incomplete", [])),
                "events": events,
                "events_per_second": events / seconds,
                "requests_per_second": len(successful) / seconds,
            }
        )
    print(
        "| streams | tokens/request | seconds | requests | errored | incomplete | events/s "
        "| requests/s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['streams']} | {row['tokens_per_request']:.0f} | {row['seconds']:.2f} "
            f"| {row['requests_completed']} | {row['requests_errored']} "
            f"| {row['requests_incomplete']} | {row['events_per_second']:.0f} "
            f"| {row['requests_per_second']:.1f} |"
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=2)


def yardstick_words():
    """The words of yardstick's synthetic prompts (crates/bench/src/workload/words.rs)."""
    path = os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "../../crates/bench/src/workload/words.rs"
    )
    with open(path) as source:
        text = source.read()
    start = text.index("&[", text.index("WORDS"))
    return re.findall(r'"([^"]+)"', text[start : text.index("];", start)])


def post_json(url, body):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def command_llama_prompts(args):
    """Prompts of exactly `tokens` prompt tokens: BOS plus `tokens - 1` text tokens."""
    words = yardstick_words()
    rng = random.Random(args.seed)
    wanted = args.tokens - 1
    tokenize = args.server.rstrip("/") + "/tokenize"

    def count(text):
        return len(post_json(tokenize, {"content": text, "add_special": False})["tokens"])

    with open(args.out, "w") as out:
        for _ in range(args.count):
            chosen = [rng.choice(words) for _ in range(wanted)]
            for _ in range(200):
                have = count(" ".join(chosen))
                if have == wanted:
                    break
                if have > wanted:
                    chosen.pop()
                else:
                    chosen.append(rng.choice(words))
            else:
                sys.exit(f"no prompt of exactly {wanted} text tokens after 200 tries")
            row = {"prompt": " ".join(chosen), "output_tokens_count": args.output_tokens}
            out.write(json.dumps(row) + "\n")


def process_table():
    """pid -> (parent pid, CPU ticks so far) for every process."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as source:
                text = source.read()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        table[int(name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


def cpu_ticks(root, server):
    """CPU ticks of `root` and its live descendants, and of `server`."""
    table = process_table()
    tree = 0
    for pid, (_, ticks) in table.items():
        ancestor = pid
        while ancestor in table and ancestor not in (root, 0, 1):
            ancestor = table[ancestor][0]
        if ancestor == root:
            tree += ticks
    return tree, table.get(server, (0, 0))[1]


def command_cpu_sample(args):
    hertz = os.sysconf("SC_CLK_TCK")
    samples = []
    before = (time.monotonic(), *cpu_ticks(args.root, args.server))
    while os.path.exists(f"/proc/{args.root}"):
        time.sleep(1)
        now = (time.monotonic(), *cpu_ticks(args.root, args.server))
        if not os.path.exists(f"/proc/{args.root}"):
            break
        seconds = now[0] - before[0]
        samples.append(
            {
                "client_percent": 100 * (now[1] - before[1]) / hertz / seconds,
                "server_percent": 100 * (now[2] - before[2]) / hertz / seconds,
            }
        )
        before = now
    busiest = max((sample["server_percent"] for sample in samples), default=0)
    busy = [sample for sample in samples if sample["server_percent"] > busiest / 2]
    summary = {
        "seconds_sampled": len(samples),
        "seconds_server_busy": len(busy),
        "client_percent_mean": sum(s["client_percent"] for s in busy) / max(len(busy), 1),
        "server_percent_mean": sum(s["server_percent"] for s in busy) / max(len(busy), 1),
        "samples": samples,
    }
    with open(args.out, "w") as out:
        json.dump(summary, out, indent=2)
    print(
        f"CPU while the server was busy ({len(busy)} s): client "
        f"{summary['client_percent_mean']:.1f}%, server {summary['server_percent_mean']:.1f}% "
        "of one core"
    )


def guidellm_recomputed(benchmark):
    """GuideLLM's successful requests under yardstick's definitions (milliseconds)."""
    ttft, tpot, e2e, starts, ends, tokens, prompt_tokens = [], [], [], [], [], 0, []
    for request in guidellm_requests(benchmark):
        timings = request["info"]["timings"]
        start, first, last = (
            timings["request_start"],
            timings["first_token_iteration"],
            timings["last_token_iteration"],
        )
        end = timings["request_end"]
        output_tokens = request.get("output_metrics", {}).get("text_tokens") or 0
        ttft.append((first - start) * 1e3)
        if output_tokens > 1:
            tpot.append((last - first) / (output_tokens - 1) * 1e3)
        e2e.append((end - start) * 1e3)
        prompt_tokens.append(request.get("input_metrics", {}).get("text_tokens") or 0)
        starts.append(start)
        ends.append(end)
        tokens += output_tokens
    duration = max(ends) - min(starts) if starts else float("nan")
    return {
        "requests": len(ttft),
        "prompt_tokens_mean": sum(prompt_tokens) / len(prompt_tokens) if ttft else float("nan"),
        "output_tokens_mean": tokens / len(ttft) if ttft else float("nan"),
        "ttft_ms": stats(ttft),
        "tpot_ms": stats(tpot),
        "e2e_ms": stats(e2e),
        "duration_s": duration,
        "requests_per_second": len(ttft) / duration if starts else float("nan"),
        "output_tokens_per_second": tokens / duration if starts else float("nan"),
    }


def guidellm_reported(benchmark):
    """What GuideLLM itself reports (successful requests)."""
    metrics = benchmark["metrics"]

    def distribution(name):
        values = metrics.get(name, {}).get("successful", {})
        percentiles = values.get("percentiles", {})
        return {
            "mean": values.get("mean"),
            "p50": values.get("median", percentiles.get("p50")),
            "p99": percentiles.get("p99"),
        }

    return {
        "ttft_ms": distribution("time_to_first_token_ms"),
        "itl_ms": distribution("inter_token_latency_ms"),
        "tpot_ms": distribution("time_per_output_token_ms"),
        "e2e_ms": distribution("request_latency"),
        "requests_per_second": distribution("requests_per_second")["mean"],
        "output_tokens_per_second": distribution("output_tokens_per_second")["mean"],
    }


def yardstick_points(report):
    """concurrency -> metric name -> value, from yardstick's report.json."""
    points = {}
    for run in report["points"]:
        point = run["point"]
        if point.get("mode") != "concurrency":
            continue
        metrics = {record["name"]: record["value"] for record in run["metrics"]}
        points[point["concurrency"]] = metrics
    return points


def command_side_by_side(args):
    rows = []
    for label, yardstick_path, guidellm_path in args.pair:
        with open(yardstick_path) as source:
            yardstick = yardstick_points(json.load(source))
        for benchmark in benchmarks([guidellm_path]):
            streams = streams_of(benchmark)
            y = yardstick.get(streams, {})
            completed = y.get("requests_completed") or float("nan")
            rows.append(
                {
                    "label": label,
                    "streams": streams,
                    "yardstick": y,
                    "yardstick_prompt_tokens_mean": y.get("prompt_tokens", float("nan")) / completed,
                    "yardstick_output_tokens_mean": y.get("completion_tokens", float("nan"))
                    / completed,
                    "guidellm_reported": guidellm_reported(benchmark),
                    "guidellm_recomputed": guidellm_recomputed(benchmark),
                }
            )

    def number(value, digits=1):
        return "n/a" if value is None else f"{value:.{digits}f}"

    print(
        "| run | streams | tool | requests | prompt / output tokens | TTFT mean / p50 / p99 (ms) "
        "| TPOT mean (ms) | ITL mean (ms) | E2E mean (ms) | requests/s | output tokens/s |"
    )
    print("|---|---:|---|---:|---|---|---:|---:|---:|---:|---:|")
    for row in rows:
        y, reported, mine = row["yardstick"], row["guidellm_reported"], row["guidellm_recomputed"]
        lengths = f"{number(mine['prompt_tokens_mean'])} / {number(mine['output_tokens_mean'])}"
        start = f"| {row['label']} | {row['streams']}"
        print(
            f"{start} | yardstick | {number(y.get('requests_completed'), 0)} "
            f"| {number(row['yardstick_prompt_tokens_mean'])} / "
            f"{number(row['yardstick_output_tokens_mean'])} "
            f"| {number(y.get('ttft_ms.mean'))} / {number(y.get('ttft_ms.p50'))} / "
            f"{number(y.get('ttft_ms.p99'))} | {number(y.get('tpot_ms.mean'), 2)} "
            f"| {number(y.get('itl_per_token_ms.mean'), 2)} | {number(y.get('e2e_ms.mean'))} "
            f"| {number(y.get('requests_per_second'), 2)} "
            f"| {number(y.get('output_tokens_per_second'))} |"
        )
        e2e = reported["e2e_ms"]["mean"]
        print(
            f"{start} | GuideLLM, as it reports | {mine['requests']} | {lengths} "
            f"| {number(reported['ttft_ms']['mean'])} / {number(reported['ttft_ms']['p50'])} / "
            f"{number(reported['ttft_ms']['p99'])} | {number(reported['tpot_ms']['mean'], 2)} "
            f"| {number(reported['itl_ms']['mean'], 2)} "
            f"| {number(None if e2e is None else e2e * 1e3)} "
            f"| {number(reported['requests_per_second'], 2)} "
            f"| {number(reported['output_tokens_per_second'])} |"
        )
        print(
            f"{start} | GuideLLM, yardstick's formulas | {mine['requests']} | {lengths} "
            f"| {number(mine['ttft_ms']['mean'])} / {number(mine['ttft_ms']['p50'])} / "
            f"{number(mine['ttft_ms']['p99'])} | {number(mine['tpot_ms']['mean'], 2)} "
            f"| | {number(mine['e2e_ms']['mean'])} "
            f"| {number(mine['requests_per_second'], 2)} "
            f"| {number(mine['output_tokens_per_second'])} |"
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prompts = commands.add_parser("prompts")
    prompts.add_argument("--tag", required=True)
    prompts.add_argument("--count", type=int, required=True)
    prompts.add_argument("--min-output", type=int, default=32)
    prompts.add_argument("--max-output", type=int, default=64)
    prompts.add_argument("--out", required=True)
    timing = commands.add_parser("timing")
    timing.add_argument("--mock-log", required=True)
    timing.add_argument("--guidellm", required=True, action="append")
    timing.add_argument("--json")
    ceiling = commands.add_parser("ceiling")
    ceiling.add_argument("--guidellm", required=True, action="append")
    ceiling.add_argument("--json")
    llama = commands.add_parser("llama-prompts")
    llama.add_argument("--server", required=True)
    llama.add_argument("--tokens", type=int, default=128)
    llama.add_argument("--output-tokens", type=int, default=32)
    llama.add_argument("--count", type=int, required=True)
    llama.add_argument("--seed", type=int, default=0)
    llama.add_argument("--out", required=True)
    sample = commands.add_parser("cpu-sample")
    sample.add_argument("--root", type=int, required=True)
    sample.add_argument("--server", type=int, required=True)
    sample.add_argument("--out", required=True)
    side = commands.add_parser("side-by-side")
    side.add_argument(
        "--pair", nargs=3, action="append", required=True, metavar=("LABEL", "YARDSTICK", "GUIDELLM")
    )
    side.add_argument("--json")
    args = parser.parse_args()
    {
        "prompts": command_prompts,
        "timing": command_timing,
        "ceiling": command_ceiling,
        "llama-prompts": command_llama_prompts,
        "cpu-sample": command_cpu_sample,
        "side-by-side": command_side_by_side,
    }[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
