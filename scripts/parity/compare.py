"""Joins lm-evaluation-harness's and yardstick's per-item results and says how far apart they are.

Per task, items are joined by index (lm-eval's `doc_id`, yardstick's `item_index`; both are the
position in the evaluation split in dataset order). Checked before anything is compared:
  - the same item indices on both sides, the same gold index and number of choices per item;
  - the same prompt strings: lm-eval's logged contexts and continuations are hashed the way
    yardstick hashes its rendered items into `prompt_hash` (its run fingerprint), over the same
    items in the same order; equal hashes mean every context and continuation string is equal.
Then, for multiple-choice tasks:
  - the aggregate metrics (lm-eval's own reported value and stderr; yardstick's own), the
    difference in units of lm-eval's stderr;
  - per-item agreement of the argmax for `acc` (raw loglikelihood) and `acc_norm` (divided by
    the choice's length in characters, as lm-eval does);
  - |Δ loglikelihood| per choice (mean, median, 99th percentile, max) and the mean signed Δ
    (yardstick − lm-eval);
  - for each item where the two argmaxes differ, lm-eval's margin between the two choices the
    tools picked, set against the margins of all items: small margins there mean the model was
    almost indifferent and a small numeric difference flipped the choice.
For generation tasks: per filter, exact_match agreement and identical-output counts.

Usage (any python3 with numpy; run.py calls it):
    compare.py --label NAME --lm-eval-dir DIR --yardstick-json RUN.json --yardstick-items ITEMS.jsonl \
        [--timing TIMING.json] [--out-json OUT.json] [--out-md OUT.md]
    compare.py --table OUT1.json OUT2.json ... > table.md     # one table from several comparisons
"""

import argparse
import glob
import hashlib
import json
import math
import os
import struct
import sys
from pathlib import Path

import numpy as np


# ---------------------------------------------------------------- reading


def newest(pattern):
    paths = sorted(glob.glob(pattern, recursive=True), key=os.path.getmtime)
    return paths[-1] if paths else None


def read_lm_eval(directory):
    """(results json, {task: [sample, ...] sorted by doc_id})."""
    results_path = newest(os.path.join(directory, "**", "results_*.json"))
    if results_path is None:
        raise SystemExit(f"compare.py: no results_*.json under {directory}")
    results = json.loads(Path(results_path).read_text())
    samples = {}
    for task in results["results"]:
        path = newest(os.path.join(directory, "**", f"samples_{task}_*.jsonl"))
        if path is None:
            continue
        with open(path, encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        samples[task] = sorted(rows, key=lambda row: row["doc_id"])
    return results, samples


def read_jsonl(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def request_arguments(sample):
    """[(context, continuation), ...] of one lm-eval sample, in request order."""
    arguments = sample["arguments"]
    if isinstance(arguments, dict):  # lm-eval >= 0.4.3: {"gen_args_0": {"arg_0": ..., "arg_1": ...}}
        ordered = [arguments[key] for key in sorted(arguments, key=lambda k: int(k.rsplit("_", 1)[1]))]
        return [(a["arg_0"], a["arg_1"]) for a in ordered]
    return [(a[0], a[1]) for a in arguments]


def loglikelihoods(sample):
    """The loglikelihood of each choice, as lm-eval scored it."""
    values = []
    for response in sample["filtered_resps"]:
        first = response[0] if isinstance(response, (list, tuple)) else response
        values.append(float(first))
    return values


# ---------------------------------------------------------------- checks


class StreamHasher:
    """yardstick_core::StreamHasher: sha256 over (u64 little-endian byte length, UTF-8 bytes)."""

    def __init__(self):
        self.hasher = hashlib.sha256()

    def update(self, text):
        data = text.encode("utf-8")
        self.hasher.update(struct.pack("<Q", len(data)))
        self.hasher.update(data)

    def hexdigest(self):
        return self.hasher.hexdigest()


def prompt_hashes(samples, num_fewshot=0):
    """lm-eval's prompts hashed as yardstick's TaskItem::hash_into does, per known scheme.

    v1 (yardstick 0.1.0 at commit 14b3490): the item's context, then each continuation.
    v2 (the scheme in the working tree after it): context, then (context, continuation) per
    request, then the few-shot indices joined by "," (empty at zero shots); no references
    for multiple-choice items.
    """
    if samples and samples[0].get("arguments") and not _is_loglikelihood(samples[0]):
        return generation_prompt_hashes(samples, num_fewshot)
    v1, v2 = StreamHasher(), StreamHasher()
    for sample in samples:
        pairs = request_arguments(sample)
        context = pairs[0][0]
        v1.update(context)
        v2.update(context)
        for pair_context, continuation in pairs:
            v1.update(continuation)
            v2.update(pair_context)
            v2.update(continuation)
        v2.update("")
    return {"v1": v1.hexdigest(), "v2": v2.hexdigest()}


def first_request(sample):
    """(arg_0, arg_1) of a sample's first logged request, in either lm-eval log layout."""
    arguments = sample["arguments"]
    first = next(iter(arguments.values())) if isinstance(arguments, dict) else arguments[0]
    return (first["arg_0"], first.get("arg_1")) if isinstance(first, dict) else (first[0], first[1])


def _is_loglikelihood(sample):
    """A loglikelihood request's second argument is the continuation; a generation's is its kwargs."""
    return isinstance(first_request(sample)[1], str)


def generation_prompt_hashes(samples, num_fewshot):
    """A generative item as TaskItem::hash_into hashes it (v2): its context, its references
    (doc_to_target, lm-eval's logged `target`), then the few-shot ids joined by ",". lm-eval
    does not log few-shot ids; the candidates are none (zero-shot) and 0..n-1 (a task's fixed
    `fewshot_config.samples` taken in order, as gsm8k_cot's)."""
    candidates = {"v2-zero-shot": ""}
    if num_fewshot:
        candidates["v2-first-n-samples"] = ",".join(str(i) for i in range(num_fewshot))
    hashes = {}
    for name, fewshot in candidates.items():
        hasher = StreamHasher()
        for sample in samples:
            hasher.update(first_request(sample)[0])
            targets = sample.get("target")
            for reference in targets if isinstance(targets, list) else [targets]:
                hasher.update(str(reference))
            hasher.update(fewshot)
        hashes[name] = hasher.hexdigest()
    return hashes


def yardstick_prompt_hash(run, task):
    for unit in run.get("fingerprint", {}).get("units", []):
        if unit.get("task", {}).get("task") == task:
            return unit["task"].get("prompt_hash")
    return None


# ---------------------------------------------------------------- statistics


def argmax(values):
    return int(np.argmax(np.asarray(values, dtype=np.float64)))


def mean_stderr(values):
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2:
        return float("nan")
    return float(np.std(values, ddof=1) / math.sqrt(len(values)))


def lm_eval_metric(results, task, metric):
    entry = results["results"].get(task, {})
    for key, value in entry.items():
        if key.startswith(f"{metric},"):
            stderr = entry.get(key.replace(f"{metric},", f"{metric}_stderr,", 1))
            return (float(value), None if stderr in (None, "N/A") else float(stderr))
    return None


def yardstick_metric(run, task, metric):
    for record in run.get("results", []):
        if record["task"] == task and record["metric"] == metric:
            return (record["value"], record.get("stderr"))
    return None


def lm_eval_scoring_seconds(log_path):
    """Elapsed time of lm-eval's request loop, read from its last progress bar in the log
    ("Running loglikelihood requests: 100%|...| N/N [MM:SS<00:00, ...]"), and N."""
    if not log_path or not Path(log_path).exists():
        return None
    text = Path(log_path).read_text(errors="replace")
    best = None
    for name in ("Running loglikelihood requests", "Running generate_until requests"):
        for chunk in text.split(name)[1:]:
            head = chunk.split("\r")[0].split("\n")[0]
            if "100%|" not in head or "[" not in head:
                continue
            count = head.split("|")[2].strip().split(" ")[0].split("/")[-1]
            elapsed = head.split("[", 1)[1].split("<", 1)[0]
            parts = [float(x) for x in elapsed.split(":")]
            seconds = sum(value * 60 ** index for index, value in enumerate(reversed(parts)))
            best = {"requests": int(count), "seconds": seconds, "loop": name}
    return best


# ---------------------------------------------------------------- comparison


def compare_multiple_choice(task, lm_samples, ys_items, results, run):
    by_index = {item["item_index"]: item for item in ys_items}
    lm_indices = [sample["doc_id"] for sample in lm_samples]
    problems = []
    if sorted(by_index) != lm_indices:
        problems.append(
            f"item indices differ: lm-eval {len(lm_indices)} items ({lm_indices[:3]}...), "
            f"yardstick {len(by_index)} items ({sorted(by_index)[:3]}...)"
        )
    common = [s for s in lm_samples if s["doc_id"] in by_index]
    rows = []
    for sample in common:
        item = by_index[sample["doc_id"]]
        pairs = request_arguments(sample)
        lm_ll = loglikelihoods(sample)
        ys_ll = [float(v) for v in item["choice_loglikelihoods"]]
        if len(lm_ll) != len(ys_ll):
            problems.append(f"item {sample['doc_id']}: {len(lm_ll)} choices in lm-eval, {len(ys_ll)} in yardstick")
            continue
        lm_gold = sample.get("target")
        if isinstance(lm_gold, str) and lm_gold.isdigit():
            lm_gold = int(lm_gold)
        if isinstance(lm_gold, int) and lm_gold != item["gold"]:
            problems.append(f"item {sample['doc_id']}: gold {lm_gold} in lm-eval, {item['gold']} in yardstick")
        # acc_norm divides by the choice's length in characters, without the target delimiter
        # (lm-eval: len(choice) for choice in doc_to_choice(doc)). Every continuation here is
        # target_delimiter + choice; the delimiter is " " in all these tasks' configs.
        choice_chars = [len(continuation[1:] if continuation.startswith(" ") else continuation) for _, continuation in pairs]
        rows.append(
            {
                "index": sample["doc_id"],
                "gold": item["gold"],
                "lm": lm_ll,
                "ys": ys_ll,
                "chars": choice_chars,
                "lm_acc": sample.get("acc"),
                "lm_acc_norm": sample.get("acc_norm"),
                "ys_pred": item["prediction"],
                "ys_pred_norm": item["prediction_norm"],
            }
        )
    # Consistency of our reading of each tool's own output.
    for row in rows:
        lm_pred = argmax(row["lm"])
        if row["lm_acc"] is not None and float(row["lm_acc"]) != float(lm_pred == row["gold"]):
            problems.append(f"item {row['index']}: lm-eval acc {row['lm_acc']} but argmax {lm_pred}, gold {row['gold']}")
        if argmax(row["ys"]) != row["ys_pred"]:
            problems.append(f"item {row['index']}: yardstick prediction {row['ys_pred']} but argmax {argmax(row['ys'])}")

    metrics = [m for m in ("acc", "acc_norm") if lm_eval_metric(results, task, m) is not None]
    summary = {"task": task, "n": len(rows), "problems": problems, "metrics": {}}
    deltas = np.concatenate([np.abs(np.subtract(r["ys"], r["lm"])) for r in rows]) if rows else np.array([])
    signed = np.concatenate([np.subtract(r["ys"], r["lm"]) for r in rows]) if rows else np.array([])
    summary["delta_ll"] = {
        "choices": int(len(deltas)),
        "mean_abs": float(np.mean(deltas)) if len(deltas) else None,
        "median_abs": float(np.median(deltas)) if len(deltas) else None,
        "p99_abs": float(np.percentile(deltas, 99)) if len(deltas) else None,
        "max_abs": float(np.max(deltas)) if len(deltas) else None,
        "mean_signed": float(np.mean(signed)) if len(signed) else None,
    }
    if rows:
        worst = max(rows, key=lambda r: float(np.max(np.abs(np.subtract(r["ys"], r["lm"])))))
        summary["delta_ll"]["max_abs_item"] = worst["index"]
    for metric in metrics:
        if metric == "acc":
            lm_scores = [np.asarray(r["lm"]) for r in rows]
            ys_scores = [np.asarray(r["ys"]) for r in rows]
        else:
            lm_scores = [np.asarray(r["lm"]) / np.asarray(r["chars"], dtype=np.float64) for r in rows]
            ys_scores = [np.asarray(r["ys"]) / np.asarray(r["chars"], dtype=np.float64) for r in rows]
        lm_pred = [argmax(s) for s in lm_scores]
        ys_pred = [argmax(s) for s in ys_scores]
        stored = [r["ys_pred"] if metric == "acc" else r["ys_pred_norm"] for r in rows]
        if ys_pred != stored:
            mismatched = sum(a != b for a, b in zip(ys_pred, stored))
            problems.append(f"{metric}: {mismatched} yardstick predictions differ from the argmax of its exported loglikelihoods")
        agree = sum(a == b for a, b in zip(lm_pred, ys_pred))
        # Margins: lm-eval's score difference between its top two choices (all items), and at
        # each disagreement between the two choices the tools picked.
        top_two = [float(np.sort(s)[-1] - np.sort(s)[-2]) for s in lm_scores if len(s) > 1]
        disagreements = []
        for row, s_lm, s_ys, a, b in zip(rows, lm_scores, ys_scores, lm_pred, ys_pred):
            if a != b:
                disagreements.append(
                    {
                        "index": row["index"],
                        "lm_eval_pick": a,
                        "yardstick_pick": b,
                        "gold": row["gold"],
                        "lm_eval_margin": float(s_lm[a] - s_lm[b]),
                        "yardstick_margin": float(s_ys[b] - s_ys[a]),
                    }
                )
        max_margin = max((d["lm_eval_margin"] for d in disagreements), default=None)
        share_below = (
            float(np.mean(np.asarray(top_two) <= max_margin)) if max_margin is not None and top_two else None
        )
        lm_value = lm_eval_metric(results, task, metric)
        ys_value = yardstick_metric(run, task, metric)
        own_lm = float(np.mean([p == r["gold"] for p, r in zip(lm_pred, rows)])) if rows else None
        own_ys = float(np.mean([p == r["gold"] for p, r in zip(ys_pred, rows)])) if rows else None
        if lm_value and own_lm is not None and abs(lm_value[0] - own_lm) > 1e-9:
            problems.append(f"{metric}: lm-eval reports {lm_value[0]}, its per-item argmax gives {own_lm}")
        if ys_value and own_ys is not None and abs(ys_value[0] - own_ys) > 1e-9:
            problems.append(f"{metric}: yardstick reports {ys_value[0]}, its per-item argmax gives {own_ys}")
        summary["metrics"][metric] = {
            "lm_eval": lm_value,
            "yardstick": ys_value,
            "diff_over_stderr": (
                abs(ys_value[0] - lm_value[0]) / lm_value[1]
                if lm_value and ys_value and lm_value[1]
                else None
            ),
            "agreement": agree / len(rows) if rows else None,
            "disagreements": len(disagreements),
            "median_lm_eval_top2_margin": float(np.median(top_two)) if top_two else None,
            "max_lm_eval_margin_at_disagreement": max_margin,
            "share_of_items_with_top2_margin_at_most_that": share_below,
            "disagreement_items": sorted(disagreements, key=lambda d: -d["lm_eval_margin"])[:10],
            "correct_in_both": sum(p == r["gold"] and q == r["gold"] for p, q, r in zip(lm_pred, ys_pred, rows)),
        }
    return summary


def compare_generation(task, lm_samples, ys_items, results, run):
    """exact_match agreement per filter. yardstick's export: `filtered` as {filter: answer}
    (older exports: [[filter, answer], ...]) and `generations` (top level or under `detail`), `metrics` with `exact_match,<filter>` or a
    per-filter form; whatever of that is missing is reported, not guessed."""
    by_index = {item["item_index"]: item for item in ys_items}
    problems = []
    # lm-eval logs one sample per document and filter.
    if sorted(by_index) != sorted({s["doc_id"] for s in lm_samples}):
        problems.append("item indices differ")
    per_filter = {}
    for sample in lm_samples:
        item = by_index.get(sample["doc_id"])
        if item is None:
            continue
        detail = item.get("detail") or {}
        generations = item.get("generations") or detail.get("generations") or []
        filtered = item.get("filtered") or detail.get("filtered") or {}
        if isinstance(filtered, list):  # exports before commit de88dda: [[filter, answer], ...]
            filtered = dict(map(tuple, filtered))
        name = sample.get("filter", "none")
        lm_answer = sample["filtered_resps"][0] if sample.get("filtered_resps") else None
        lm_text = sample["resps"][0][0] if sample.get("resps") else None
        stats = per_filter.setdefault(name, {"n": 0, "same_answer": 0, "same_text": 0, "lm_correct": 0, "ys_correct": 0})
        stats["n"] += 1
        stats["same_answer"] += int(filtered.get(name) == lm_answer)
        stats["same_text"] += int(bool(generations) and generations[0] == lm_text)
        stats["lm_correct"] += int(float(sample.get("exact_match", 0)) == 1.0)
        metrics = item.get("metrics") or {}
        ys_em = metrics.get(f"exact_match,{name}", metrics.get(f"exact_match.{name}"))
        stats["ys_correct"] += int(ys_em == 1.0)
    if ys_items and not any(item.get("generations") or (item.get("detail") or {}).get("generations") for item in ys_items):
        problems.append("yardstick's item export has no `generations` (top level or under `detail`): texts not compared")
    if ys_items and not any(item.get("filtered") or (item.get("detail") or {}).get("filtered") for item in ys_items):
        problems.append("yardstick's item export has no `filtered` answers: extracted answers not compared")
    summary = {"task": task, "n": len({s["doc_id"] for s in lm_samples}), "problems": problems, "generation": per_filter, "metrics": {}}
    for name in per_filter:
        lm_value = lm_eval_metric(results, task, "exact_match")
        entry = results["results"].get(task, {})
        key = f"exact_match,{name}"
        if key in entry:
            lm_value = (float(entry[key]), float(entry.get(f"exact_match_stderr,{name}", "nan")))
        ys_value = yardstick_metric(run, task, f"exact_match,{name}") or yardstick_metric(run, task, f"exact_match.{name}")
        summary["metrics"][f"exact_match,{name}"] = {
            "lm_eval": lm_value,
            "yardstick": ys_value,
            "diff_over_stderr": (
                abs(ys_value[0] - lm_value[0]) / lm_value[1] if lm_value and ys_value and lm_value[1] else None
            ),
            "agreement": per_filter[name]["same_answer"] / per_filter[name]["n"],
        }
    return summary


def compare(args):
    results, lm_samples = read_lm_eval(args.lm_eval_dir)
    run = json.loads(Path(args.yardstick_json).read_text())
    ys_items = read_jsonl(args.yardstick_items)
    by_task = {}
    for item in ys_items:
        by_task.setdefault(item["task"], []).append(item)
    timing = json.loads(Path(args.timing).read_text()) if args.timing else None
    if timing is not None:
        # Only when this comparison ran lm-eval itself (not --lm-eval-from another one).
        own_log = Path(args.lm_eval_dir).parent / "lm_eval.log" if "lm_eval" in timing else None
        timing["lm_eval_request_loop"] = lm_eval_scoring_seconds(own_log)
        timing["yardstick_items_per_second"] = {
            r["task"]: r["value"] for r in run.get("results", []) if r["metric"] == "items_per_second"
        }
    out = {
        "label": args.label,
        "lm_eval_version": results.get("lm_eval_version"),
        "transformers_version": results.get("transformers_version"),
        "lm_eval_model_args": results.get("config", {}).get("model_args"),
        "yardstick": {
            key: run.get("fingerprint", {}).get(key)
            for key in ("yardstick_version", "git_commit", "llama_cpp_version", "batching_scheme", "threads")
        },
        "yardstick_run": run.get("run_id"),
        "timing": timing,
        "tasks": [],
    }
    for task in sorted(set(by_task) | set(lm_samples)):
        samples = lm_samples.get(task)
        items = by_task.get(task)
        if samples is None or items is None:
            out["tasks"].append({"task": task, "problems": [f"missing on one side: lm-eval {samples is not None}, yardstick {items is not None}"]})
            continue
        output_type = results.get("configs", {}).get(task, {}).get("output_type", "multiple_choice")
        if output_type == "generate_until":
            summary = compare_generation(task, samples, items, results, run)
        else:
            summary = compare_multiple_choice(task, samples, items, results, run)
        first_per_doc = list({s["doc_id"]: s for s in reversed(samples)}.values())[::-1]
        num_fewshot = results.get("n-shot", {}).get(task) or results.get("configs", {}).get(task, {}).get("num_fewshot") or 0
        hashes = prompt_hashes(sorted(first_per_doc, key=lambda s: s["doc_id"]), int(num_fewshot))
        ours = yardstick_prompt_hash(run, task)
        scheme = next((name for name, value in hashes.items() if value == ours), None)
        summary["prompt_hash"] = {"yardstick": ours, "lm_eval": hashes, "equal": scheme is not None, "scheme": scheme}
        if scheme is None:
            summary["problems"].append(
                "prompt strings not shown equal: yardstick's prompt_hash matches no known hashing of lm-eval's logged requests"
            )
        out["tasks"].append(summary)
    return out


# ---------------------------------------------------------------- tables


def fmt(value, digits=4):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def value_stderr(pair):
    if not pair:
        return "–"
    value, stderr = pair
    return f"{value:.4f} ± {fmt(stderr)}"


def table(comparisons):
    lines = [
        "| task | n | metric | lm-eval | yardstick | \\|diff\\|/se | agreement | disagreements (max lm-eval margin) | \\|Δll\\| mean / median / p99 / max | prompts equal |",
        "|---|---:|---|---|---|---:|---:|---|---|---|",
    ]
    for comparison in comparisons:
        for task in comparison["tasks"]:
            if "metrics" not in task:
                lines.append(f"| {task['task']} | | | | | | | | | {'; '.join(task['problems'])} |")
                continue
            delta = task.get("delta_ll") or {}
            delta_text = (
                f"{fmt(delta.get('mean_abs'))} / {fmt(delta.get('median_abs'))} / {fmt(delta.get('p99_abs'))} / {fmt(delta.get('max_abs'))}"
                if delta
                else "–"
            )
            prompt = task.get("prompt_hash", {})
            prompt_text = "yes" if prompt.get("equal") else "**not shown**"
            for metric, values in task["metrics"].items():
                margin = values.get("max_lm_eval_margin_at_disagreement")
                disagreement_text = (
                    f"{values['disagreements']} ({fmt(margin, 3)})" if values.get("disagreements") else "0"
                ) if "disagreements" in values else "–"
                agreement = values.get("agreement")
                lines.append(
                    f"| {task['task']} | {task['n']} | {metric} | {value_stderr(values['lm_eval'])} | "
                    f"{value_stderr(values['yardstick'])} | {fmt(values['diff_over_stderr'], 2)} | "
                    f"{'–' if agreement is None else f'{100 * agreement:.2f}%'} | {disagreement_text} | {delta_text} | {prompt_text} |"
                )
    return "\n".join(lines)


def timing_table(comparisons):
    lines = [
        "| comparison | items | lm-eval wall s (CPU s) | lm-eval request loop: requests, s | lm-eval items/s (wall / loop) | yardstick wall s (CPU s) | yardstick items/s (wall / own) | load avg before→after (lm-eval; yardstick) |",
        "|---|---:|---|---|---|---|---|---|",
    ]
    for comparison in comparisons:
        timing = comparison.get("timing") or {}
        items = sum(task.get("n", 0) for task in comparison["tasks"])
        lm, ys, loop = timing.get("lm_eval"), timing.get("yardstick"), timing.get("lm_eval_request_loop")
        own = timing.get("yardstick_items_per_second") or {}
        own_rate = (items / sum(t["n"] / own[t["task"]] for t in comparison["tasks"] if own.get(t["task"]))) if own and all(own.get(t["task"]) for t in comparison["tasks"]) else None
        load = lambda x: f"{x['load_average_before'][0]}→{x['load_average_after'][0]}" if x else "–"
        lines.append(
            f"| {comparison['label']} | {items} | "
            + (f"{lm['wall_s']:.0f} ({lm['cpu_s']:.0f})" if lm else "–") + " | "
            + (f"{loop['requests']}, {loop['seconds']:.0f}" if loop else "–") + " | "
            + (f"{items / lm['wall_s']:.2f} / {items / loop['seconds']:.2f}" if lm and loop else "–") + " | "
            + (f"{ys['wall_s']:.0f} ({ys['cpu_s']:.0f})" if ys else "–") + " | "
            + (f"{items / ys['wall_s']:.2f} / {fmt(own_rate, 2)}" if ys else "–") + " | "
            + f"{load(lm)}; {load(ys)} |"
        )
    return "\n".join(lines)


def problems_text(comparisons):
    lines = []
    for comparison in comparisons:
        for task in comparison["tasks"]:
            for problem in task.get("problems", []):
                lines.append(f"- {comparison['label']} / {task['task']}: {problem}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label")
    parser.add_argument("--lm-eval-dir")
    parser.add_argument("--yardstick-json")
    parser.add_argument("--yardstick-items")
    parser.add_argument("--timing")
    parser.add_argument("--out-json")
    parser.add_argument("--out-md")
    parser.add_argument("--table", nargs="+", help="comparison JSON files to put in one table")
    args = parser.parse_args()
    if args.table:
        comparisons = [json.loads(Path(p).read_text()) for p in args.table]
        print(table(comparisons))
        print()
        print(timing_table(comparisons))
        problems = problems_text(comparisons)
        if problems:
            print("\nProblems:\n" + problems)
        return
    comparison = compare(args)
    text = table([comparison])
    problems = problems_text([comparison])
    if problems:
        text += "\n\nProblems:\n" + problems
    if args.out_json:
        Path(args.out_json).write_text(json.dumps(comparison, indent=1) + "\n")
    if args.out_md:
        Path(args.out_md).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    sys.exit(main())
