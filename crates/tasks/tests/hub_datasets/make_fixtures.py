"""Writes the parquet fixtures of tests/hub_datasets.rs and what Hugging Face `datasets`
gives Python for each row (the expected JSON).

Run from this directory with a Python that has pyarrow and datasets:
    python make_fixtures.py
The files are committed; re-run only to change them.
"""

import datetime
import json
import tempfile

import datasets
import pyarrow as pa
import pyarrow.parquet as pq


def arc_rows():
    return [
        {
            "id": "Mercury_7175875",
            "question": "An astronomer observes that a planet rotates faster after a "
            "meteorite impact. Which is the most likely effect of this increase in rotation?",
            "choices": {
                "text": [
                    "Planetary density will decrease.",
                    "Planetary years will become longer.",
                    "Planetary days will become shorter.",
                    "Planetary gravity will become stronger.",
                ],
                "label": ["A", "B", "C", "D"],
            },
            "answerKey": "C",
        },
        {
            "id": "NYSEDREGENTS_2015_4_8",
            "question": "Which unit is used to record the volume of a liquid? \u00e9\u00e8 \u2014 \U0001f600",
            "choices": {"text": ["liter", "meter", "gram"], "label": ["1", "2", "3"]},
            "answerKey": "1",
        },
    ]


def triviaqa_rows():
    return [
        {
            "question": "Which Lloyd Webber musical premiered in the US on 10th December 1993?",
            "question_id": "tc_33",
            "answer": {
                "aliases": ["Sunset Blvd", "Sunset Boulevard"],
                "normalized_aliases": ["sunset blvd", "sunset boulevard"],
                "matched_wiki_entity_name": "",
                "normalized_matched_wiki_entity_name": "",
                "normalized_value": "sunset boulevard",
                "type": "WikipediaEntity",
                "value": "Sunset Boulevard",
            },
        }
    ]


# Every logical type the record reader maps, with nulls at each level.
TYPES_SCHEMA = pa.schema(
    [
        ("int8", pa.int8()),
        ("int16", pa.int16()),
        ("int32", pa.int32()),
        ("int64", pa.int64()),
        ("uint8", pa.uint8()),
        ("uint32", pa.uint32()),
        ("uint64", pa.uint64()),
        ("float16", pa.float16()),
        ("float32", pa.float32()),
        ("float64", pa.float64()),
        ("flag", pa.bool_()),
        ("text", pa.string()),
        ("large_text", pa.large_string()),
        ("category", pa.dictionary(pa.int32(), pa.string())),
        ("ints", pa.list_(pa.int64())),
        ("nested", pa.list_(pa.list_(pa.string()))),
        ("records", pa.list_(pa.struct([("a", pa.int32()), ("b", pa.string())]))),
        ("inner", pa.struct([("x", pa.float64()), ("tags", pa.list_(pa.string()))])),
        ("day", pa.date32()),
        ("moment", pa.timestamp("us")),
    ]
)


def types_rows(count):
    rows = []
    for index in range(count):
        missing = index % 3 == 2
        rows.append(
            {
                "int8": None if missing else -index,
                "int16": 300 + index,
                "int32": -70000 - index,
                "int64": 2**40 + index,
                "uint8": 200 + (index % 50),
                "uint32": 4_000_000_000 + index,
                "uint64": 2**63 + index,
                "float16": None if missing else 0.5 + index,
                "float32": 0.1 * index,
                "float64": None if missing else 1.0 / (index + 3),
                "flag": None if missing else index % 2 == 0,
                "text": None if missing else f"row {index}",
                "large_text": "x" * (index % 4),
                "category": ["cat", "dog", "cat", None][index % 4],
                "ints": None if missing else list(range(index % 4)) + ([None] if index % 4 == 1 else []),
                "nested": [["a"], [], None, ["b", "c"]] if index % 2 else [],
                "records": [{"a": index, "b": None}, {"a": None, "b": "z"}],
                "inner": None if missing else {"x": float(index), "tags": ["t"] * (index % 3)},
                "day": datetime.date(2020, 1, 1) + datetime.timedelta(days=index * 40),
                "moment": datetime.datetime(2021, 6, 1, 12, 30, 15, 250000)
                + datetime.timedelta(hours=index * 7),
            }
        )
    return rows


def python_view(path):
    """The rows as HF datasets gives them to Python, in JSON (dates as ISO text)."""
    with tempfile.TemporaryDirectory() as cache:
        dataset = datasets.Dataset.from_parquet(path, cache_dir=cache)
        return [row for row in dataset]


def default(value):
    if isinstance(value, datetime.datetime):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(type(value))


def write(name, table, **options):
    pq.write_table(table, name, **options)
    with open(name.replace(".parquet", ".expected.json"), "w", encoding="utf-8") as out:
        json.dump(python_view(name), out, indent=1, ensure_ascii=False, default=default)
        out.write("\n")


write("arc.parquet", pa.Table.from_pylist(arc_rows()))
write("triviaqa.parquet", pa.Table.from_pylist(triviaqa_rows()), compression="zstd")
types = pa.Table.from_pylist(types_rows(10), schema=TYPES_SCHEMA)
write("types_snappy.parquet", types, row_group_size=4)
write("types_gzip.parquet", types, compression="gzip", row_group_size=3)
write("types_lz4.parquet", types, compression="lz4", use_dictionary=False)
write("types_plain.parquet", types, compression="none", data_page_version="2.0")
