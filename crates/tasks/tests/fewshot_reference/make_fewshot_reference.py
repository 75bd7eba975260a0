"""Writes fewshot_reference.json: which few-shot docs lm-eval 0.4.13 puts into each prompt.

Run with the Python that has lm-eval 0.4.13 (and `datasets`) installed:

    python crates/tasks/tests/fewshot_reference/make_fewshot_reference.py

Each scenario is a small generative task built by lm-eval's own ConfigurableTask from local
JSON-lines files (`dataset_path: json`, `dataset_kwargs.data_files`). As `simple_evaluate`
does, the task is seeded with `set_fewshot_seed(seed)` and `build_all_requests` renders every
eval doc's context in order; the few-shot docs are read back from the rendered contexts
(`doc_to_text` starts with `Q<id>:`). Scenarios cover few-shot docs from another split, from
the evaluation split (the eval doc is drawn and removed), the `fewshot_split == test_split`
rule with unset splits, `first_n`, inline `fewshot_config.samples`, duplicated docs (lm-eval's
resampling path) and several seeds. `crates/tasks/tests/fewshot_reference.rs` replays them
with yardstick's FewshotSampler.
"""

import json
import os
import re
import sys
import tempfile

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import lm_eval  # noqa: E402
from lm_eval.api.task import ConfigurableTask  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def docs(first_id, count, tag):
    return [{"id": first_id + i, "question": f"{tag} question {i}?", "answer": f"{tag}{i}"}
            for i in range(count)]


SPLITS = {
    "train": docs(100, 12, "train"),
    "validation": docs(200, 8, "val"),
    "test": docs(0, 10, "test"),
    # Doc 3 three times (identical records): drawing two copies leaves fewer than n.
    "dup": [docs(0, 1, "d")[0], docs(1, 1, "d")[0]] + [{"id": 3, "question": "same?",
                                                        "answer": "x"}] * 3
           + [docs(4, 1, "d")[0], docs(5, 1, "d")[0]],
}

SAMPLES = docs(500, 6, "inline")

SCENARIOS = [
    ("train_to_test", {"training_split": "train", "test_split": "test"}, [1234, 0, 42, 2**40 + 1]),
    ("train_to_test_5shot", {"training_split": "train", "test_split": "test",
                             "num_fewshot": 5}, [1234]),
    ("same_split", {"test_split": "test", "fewshot_split": "test"}, [1234, 7]),
    ("validation_only", {"validation_split": "validation"}, [1234]),
    ("train_and_validation", {"training_split": "train", "validation_split": "validation"},
     [1234]),
    ("test_only", {"test_split": "test"}, [1234]),
    ("first_n_same_split", {"test_split": "test", "fewshot_split": "test",
                            "fewshot_config": {"sampler": "first_n"}}, [1234]),
    ("first_n_train", {"training_split": "train", "test_split": "test",
                       "fewshot_config": {"sampler": "first_n"}}, [1234]),
    ("duplicates", {"test_split": "dup", "fewshot_split": "dup"}, [1234, 1, 2, 3, 4, 5]),
    ("inline_samples", {"test_split": "test", "fewshot_config": {"samples": SAMPLES}}, [1234]),
]


def build(directory, name, extra, seed):
    config = {
        "task": f"fewshot_reference_{name}",
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {split: os.path.join(directory, f"{split}.jsonl")
                                          for split in SPLITS}},
        "output_type": "generate_until",
        "doc_to_text": "Q{{id}}: {{question}}",
        "doc_to_target": "{{answer}}",
        "generation_kwargs": {"until": ["\n\n"]},
        "metric_list": [{"metric": "exact_match"}],
        "num_fewshot": 3,
        **extra,
    }
    task = ConfigurableTask(config=config)
    task.set_fewshot_seed(seed=seed)
    return config, task


def main():
    scenarios = []
    with tempfile.TemporaryDirectory() as directory:
        for split, rows in SPLITS.items():
            with open(os.path.join(directory, f"{split}.jsonl"), "w", encoding="utf-8") as f:
                for row in rows:
                    f.write(json.dumps(row) + "\n")
        for name, extra, seeds in SCENARIOS:
            for seed in seeds:
                config, task = build(directory, name, extra, seed)
                eval_docs = [dict(doc) for doc in task.eval_docs]
                fewshot_docs = [dict(doc) for doc in task.sampler.fewshot_docs()]
                # Count rnd.sample calls per doc, to show which docs took the resampling path.
                calls = []
                rnd_sample = task.sampler.rnd.sample
                sampler_sample = task.sampler.sample

                def counting_rnd_sample(*args, **kwargs):
                    calls[-1] += 1
                    return rnd_sample(*args, **kwargs)

                def counting_sample(*args, **kwargs):
                    calls.append(0)
                    return sampler_sample(*args, **kwargs)

                task.sampler.rnd.sample = counting_rnd_sample
                task.sampler.sample = counting_sample
                task.build_all_requests(rank=0, world_size=1)
                chosen = []
                for instance, doc in zip(task.instances, eval_docs):
                    ids = [int(i) for i in re.findall(r"^Q(\d+):", instance.args[0], re.M)]
                    assert ids[-1] == doc["id"], (ids, doc)
                    chosen.append(ids[:-1])
                assert len(chosen) == len(eval_docs)
                scenarios.append({
                    "name": name,
                    "seed": seed,
                    "sampler": task.config.fewshot_config.sampler,
                    "num_fewshot": config["num_fewshot"],
                    "fewshot_split": task.config.fewshot_config.split,
                    "test_split": task.config.test_split,
                    "passes_eval_doc": task.config.fewshot_config.split == task.config.test_split,
                    "fewshot_docs": fewshot_docs,
                    "eval_docs": eval_docs,
                    "chosen_ids": chosen,
                    "rnd_sample_calls": calls,
                })
                print(name, seed, chosen[:3], "resampled for", sum(c > 1 for c in calls), "docs")
    out = {"lm_eval_version": lm_eval.__version__, "python": sys.version.split()[0],
           "scenarios": scenarios}
    with open(os.path.join(HERE, "fewshot_reference.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
