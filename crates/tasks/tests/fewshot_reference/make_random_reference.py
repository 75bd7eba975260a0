"""Writes random_reference.json: what CPython's `random.Random(seed)` returns, for
yardstick's PyRandom (crates/tasks/src/fewshot/python_random.rs). Run with Python 3.11
(the Python lm-eval 0.4.13 ran under):

    python3.11 crates/tasks/tests/fewshot_reference/make_random_reference.py

Every entry starts from a fresh `Random(seed)`; `chain` runs several calls on one generator.
"""

import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

SEEDS = [0, 1, 2, 42, 1234, 2**31 - 1, 2**32 - 1, 2**32, 2**32 + 5, 2**40 + 12345,
         2**63 + 7, 2**64 - 1]
BITS = [1, 5, 31, 32, 33, 40, 63, 64, 65, 100, 128]
BELOW = [1, 2, 3, 7, 10, 100, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 10**12, 2**63 + 1,
         2**64 - 1]
# (population, k): both branches of sample (setsize is 21 for k <= 5, 21 + 4**ceil(log(3k, 4))
# above), their boundaries, k = 0 and k = n.
SAMPLES = [(1, 1), (5, 0), (10, 3), (10, 10), (21, 5), (22, 5), (22, 1), (85, 6), (86, 6),
           (100, 3), (100, 6), (277, 40), (278, 40), (1000, 3), (1000, 40), (1000, 999),
           (5000, 200), (10**6, 10), (1365, 300)]
SHUFFLES = [0, 1, 2, 3, 10, 57, 300]


def words(value, bits):
    return [(value >> (32 * i)) & 0xFFFFFFFF for i in range((bits + 31) // 32)]


def main():
    entries = []
    for seed in SEEDS:
        entry = {"seed": seed}
        r = random.Random(seed)
        entry["u32"] = [r.getrandbits(32) for _ in range(8)]
        entry["getrandbits"] = []
        for bits in BITS:
            r = random.Random(seed)
            entry["getrandbits"].append({"bits": bits, "words": words(r.getrandbits(bits), bits),
                                         "next": r.getrandbits(32)})
        r = random.Random(seed)
        # Floats as repr strings: serde_json's default float parsing may be off by one ulp.
        entry["random"] = [repr(r.random()) for _ in range(4)]
        entry["randbelow"] = []
        for n in BELOW:
            r = random.Random(seed)
            entry["randbelow"].append({"n": n, "values": [r._randbelow(n) for _ in range(5)]})
        entry["sample"] = []
        for n, k in SAMPLES:
            r = random.Random(seed)
            entry["sample"].append({"n": n, "k": k, "values": r.sample(range(n), k),
                                    "next": r.getrandbits(32)})
        entry["shuffle"] = []
        for n in SHUFFLES:
            r = random.Random(seed)
            items = list(range(n))
            r.shuffle(items)
            entry["shuffle"].append({"n": n, "values": items})
        r = random.Random(seed)
        entry["chain"] = [r.sample(range(50), 4), r.sample(range(50), 4),
                          r.sample(range(7), 7), repr(r.random()), words(r.getrandbits(70), 70)]
        entries.append(entry)
    out = {"python": sys.version.split()[0], "entries": entries}
    with open(os.path.join(HERE, "random_reference.json"), "w", encoding="utf-8") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
