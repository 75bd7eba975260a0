"""Writes crates/ifeval/tests/fixtures/punkt_english.jsonl: NLTK's English Punkt sentence
splitter run over IFEval texts and hand-written hard cases, for `crates/ifeval/tests/punkt_parity.rs`.

The splitter is loaded the way lm-eval's ifeval task loads it (`instructions_util.py`):
`nltk.data.load("nltk:tokenizers/punkt/english.pickle")`, which NLTK >= 3.9 answers with
`PunktTokenizer("english")`, reading the pickle-free `punkt_tab/english` model.

Usage (a throwaway virtualenv; these are the versions the committed fixture was made with):
    python3.11 -m venv /tmp/ifref
    /tmp/ifref/bin/pip install nltk==3.10.4 regex==2026.12.2 click==8.5.1 joblib==1.6.0 tqdm==4.70.1
    # NLTK's punkt_tab model, as shipped inside the llama-index-core wheel (no nltk.download):
    pip download --no-deps llama-index-core==0.14.25 -d /tmp/lic && cd /tmp/lic \\
        && unzip -q llama_index_core-0.14.25-py3-none-any.whl 'llama_index/core/_static/nltk_cache/*'
    NLTK_DATA=/tmp/lic/llama_index/core/_static/nltk_cache \\
        /tmp/ifref/bin/python scripts/parity/punkt_fixture.py

Texts, in this order: every `response` of the IFEval GPT-4 responses file, every `prompt` of
IFEval's input_data.jsonl (both in /work/shared/datasets/ifeval/, or pass --datasets DIR), then
the hand-written cases below. Each output line is {"text": ..., "sentences": [...]}.
"""

import argparse
import json
import sys
from pathlib import Path

import nltk

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "crates/ifeval/tests/fixtures/punkt_english.jsonl"

# Cases aimed at Punkt's rules: abbreviations, initials, ordinals and numbers, collocations,
# ellipses, sentence starters, the orthographic heuristic, closing punctuation after a break,
# lines and paragraphs, and whitespace.
HAND_WRITTEN = [
    "",
    "   ",
    " \n\t \n ",
    "Hello world",
    "Hello world.",
    "Hello world.   ",
    "  Leading spaces. And trailing ones.  \n",
    "Dr. Smith went to Washington. He arrived at 5 p.m. on Monday.",
    "Mr. and Mrs. Jones live in the U.S. They moved from the U.K. last year.",
    "The U.S. Army is large. The U.S.A. is a country.",
    "Use a tool, e.g. a hammer. Or i.e. something else. See p. 42.",
    "J. R. R. Tolkien wrote books. Johann S. Bach wrote music.",
    "The value is 3.5 percent. It rose by 2.25 points in 2023. Then 4. Then five.",
    "He finished 1. The next runner was 2. Nobody else finished.",
    "Wait... What happened? I don't know... maybe nothing.",
    "Wait . . . what happened. . . . Nothing.",
    "She said, \"Stop.\" Then she left. (This is a note.) And another one.",
    "He asked 'why?' and left. 'Because.' Really.",
    "Really?! Yes! No?? Maybe!!! OK.",
    "Very bad acting!!! I promise.",
    "First line without period\nSecond line. Third sentence.\n\nNew paragraph here. Done",
    "1. Buy milk.\n2. Buy eggs.\n3. Go home.",
    "- First item. It has two sentences.\n- Second item.\n* Third item! Yes.\n\n## Heading. Subheading",
    "**Bold.** *Italic.* `code.` Text.",
    "Prices: $3.50. Weights: 2.5kg. Items: 1,000. Years: 1990s. Done.",
    "Café au lait. Naïve résumé. Zürich is in Switzerland. Ça va?",
    "Привет. Как дела? Всё хорошо.",
    "日本語の文です。 English sentence. Another one.",
    "“Curly quotes.” ‘Single ones.’ «Guillemets.» Next.",
    "Text ending without punctuation",
    "The meeting is at 10 a.m. Tomorrow we meet again.",
    "Inc. reported earnings. Corp. did too. Co. Ltd. are abbreviations.",
    "It was Jan. 5 when it happened. In Feb. it snowed.",
    "See Fig. 3 for details. See fig. 4 too.",
    "The St. Louis Cardinals won. St. Patrick's Day is fun.",
    "He was born in 1984. In 1990 he moved. 2001. A year.",
    "End with abbreviation etc. The next sentence.",
    "Lowercase after period. and this continues. but this one too.",
    "A sentence.B sentence without space. C sentence.",
    "Semicolon after abbreviation: approx.; then more. Colon after: vs.: again.",
    "Hyphens -- like this. Dashes--again. Double--hyphen. End.",
    "Tabs\tbetween.\tWords here.\r\nWindows line. Endings here.\r\n",
    "(Parenthetical sentence.) Another sentence. [Bracketed one.] {Braced.}",
    "Ph.D. students study. M.Sc. students too. B.A. holders as well.",
    "Numbered -5. Negative numbers. .5 is half. ,5 is odd.",
    "Mixed punctuation.\" Quote after. 'Single quote after.' Next.",
    "Q: What is it? A: It is a test. Q. Another? A. Yes.",
    "Emoji at end 😀. Next sentence 🎉! Last one?",
    "Multiple   spaces.    Between    sentences.",
    "a. b. c. d.",
    "I. II. III. IV. Roman numerals.",
    "Section 3.2.1. Subsection follows. Version v1.2.3. Done.",
    "Email me at john.doe@example.com. Visit www.example.com. Thanks.",
    "Non\u00a0breaking\u00a0space. Next\u00a0one.\u3000Ideographic space. Done.",
    "Line separator.\u2028Next. Paragraph separator.\u2029Next.",
    "Odd\x1c control. Chars\x1f here.\n\x1c\nAfter.",
    "?! Starts with punctuation. . Lone period. ! Lone bang.",
    "The gov. said no. The Gov. said yes.",
    "Wow!\" she said. \"Really?\" he asked.",
    "Ends with quote and space.\"  ",
    "Gen. Motors. Gen. Electric. Gen. Smith said so.",
    "He arrived at No. 10. However, nobody was home.",
    "The U.N. However said nothing. The U.N. Security Council met.",
]


def read_jsonl(path, field):
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line)[field] for line in lines if line.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=Path, default=Path("/work/shared/datasets/ifeval"))
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    tokenizer = nltk.data.load("nltk:tokenizers/punkt/english.pickle")
    if type(tokenizer).__name__ != "PunktTokenizer":
        sys.exit(f"expected NLTK's pickle-free PunktTokenizer, got {type(tokenizer)!r}")

    texts = read_jsonl(args.datasets / "input_response_data_gpt4_20231107_145030.jsonl", "response")
    texts += read_jsonl(args.datasets / "input_data.jsonl", "prompt")
    texts += HAND_WRITTEN

    with open(args.output, "w", encoding="utf-8", newline="\n") as out:
        for text in texts:
            sentences = tokenizer.tokenize(text)
            out.write(json.dumps({"text": text, "sentences": sentences}, ensure_ascii=False) + "\n")
    print(f"nltk {nltk.__version__}: {len(texts)} texts -> {args.output}")


if __name__ == "__main__":
    main()
