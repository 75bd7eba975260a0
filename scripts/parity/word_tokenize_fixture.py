"""Writes crates/ifeval/tests/fixtures/word_tokenize_english.jsonl: NLTK's `word_tokenize` (what
lm-eval's ifeval `change_case:capital_word_frequency` counts all-caps words in) run over IFEval
texts and hand-written hard cases, for `crates/ifeval/tests/word_tokenize_parity.rs`.

Texts, in this order: the `prompt` and the `response` of every line of
crates/ifeval/tests/fixtures/ifeval_gpt4_verdicts.jsonl (made by ifeval_verdicts.py), then the
hand-written cases below. To keep the fixture small, a dataset text is named by its key and field
and only the number of tokens and the all-caps tokens (`str.isupper()`) are stored:
    {"key": 1000, "field": "response", "token_count": 412, "capitals": ["USA", ...]}
A hand-written case stores the text and all its tokens:
    {"text": "...", "tokens": [...]}

Usage: the virtualenv and NLTK_DATA of ifeval_verdicts.py (nltk 3.10.4, regex 2026.12.2, punkt_tab
from the llama-index-core 0.14.25 wheel):
    NLTK_DATA=/tmp/lic/llama_index/core/_static/nltk_cache \\
        /tmp/ifref/bin/python scripts/parity/word_tokenize_fixture.py
"""

import json
from pathlib import Path

import nltk

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "crates/ifeval/tests/fixtures"
VERDICTS = FIXTURES / "ifeval_gpt4_verdicts.jsonl"
OUTPUT = FIXTURES / "word_tokenize_english.jsonl"

# Aimed at the tokenizer's rules: opening and closing quotes of every kind, clitics and
# MacIntyre's contractions (in capitals too), final periods with closing brackets and quotes,
# colons and commas before digits or at the end, ellipses, dashes, symbols, brackets, and
# non-ASCII word characters next to apostrophes.
HAND_WRITTEN = [
    "",
    "   ",
    "HELLO WORLD",
    "\"Quoted,\" he said. 'Single' quotes and ``backticks'' too.",
    "«Guillemets» and “curly” ‘quotes’ „low“ too.",
    "I CAN'T, WON'T and SHAN'T. You're, we've, they'll, I'd, he's, I'M, THEY'RE.",
    "CANNOT gimme GONNA gotta lemme MORE'N wanna WANNA! 'TIS 'twas 'Twas.",
    "whaddya whatcha D'YE ken?",
    "The U.S.A. (UNITED STATES). Then \"END.\" [DONE.] {X.} <Y.>",
    "Time: 3:30, ratio 1,000:2, list: a, b, c,",
    "Wait... WHAT?! No!!! Yes?? Dots .. and ....",
    "A--B — C – D ‒ E ― F - G",
    "Symbols: $5 @home #tag 50% A&B; semi;colon *star* **bold**",
    "'rock 'n' roll' and 'EM and 'S and o'clock and rock'n'roll",
    "ÉCOLE's NAÏVE'S CAFÉ'S L'ÉTÉ 'ÉLAN",
    "Ends with quote.'",
    "Ends with bracket.)",
    "Trailing spaces.   ",
    "Line one.\nLINE TWO.\n\nPARAGRAPH THREE: ALL CAPS!",
    "OK. I. A. B. C. X.Y.Z. e.g. I.E. ETC.",
    "Numbers 1. 2. 3.5 4,5 6:7 8.",
    "don't DON'T Don't dOn'T",
    "'Hello' 'HI' '' '",
    "It's 5 o'clock' - 'ya know'",
    "Tab\tseparated\u00a0NBSP\u2003EMSPACE words",
    "ΑΘΗΝΑ and ΣΟΦΙΑ'S; ДОМ и МИР.",
]


def capitals(tokens):
    return [token for token in tokens if token.isupper()]


def main():
    lines = []
    with open(VERDICTS, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            for field in ("prompt", "response"):
                tokens = nltk.word_tokenize(row[field])
                lines.append(
                    {
                        "key": row["key"],
                        "field": field,
                        "token_count": len(tokens),
                        "capitals": capitals(tokens),
                    }
                )
    for text in HAND_WRITTEN:
        lines.append({"text": text, "tokens": nltk.word_tokenize(text)})
    with open(OUTPUT, "w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, ensure_ascii=True) + "\n")
    print(f"wrote {len(lines)} lines to {OUTPUT}")


if __name__ == "__main__":
    main()
