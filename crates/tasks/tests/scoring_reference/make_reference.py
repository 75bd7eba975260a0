"""Reference values for yardstick's `scoring` module, computed by the Python libraries that
lm-evaluation-harness uses: lm-eval's own metric functions (`lm_eval.api.metrics`,
`ConfigurableTask.process_results`, `lm_eval.tasks.truthfulqa.utils`), sacrebleu, rouge-score
and scikit-learn. Writes `reference.json` beside this file.

Run with the interpreter of an environment holding lm-eval 0.4.13, sacrebleu 2.x,
rouge-score 0.1.2 and scikit-learn:

    python crates/tasks/tests/scoring_reference/make_reference.py

The SQuAD scoring functions are not importable offline (Hugging Face evaluate downloads its
metric scripts), so the official v1.1 / v2.0 functions are restated below, line for line.
"""

import collections
import json
import math
import os
import random
import re
import string
import sys
import types
import unicodedata

os.environ["DISABLE_MULTIPROC"] = "1"  # lm-eval's single-process bootstrap (same draws)

import numpy as np
import regex
import rouge_score
import sacrebleu
import sklearn
from rouge_score import rouge_scorer
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
from sacrebleu.tokenizers.tokenizer_intl import TokenizerV14International

import lm_eval
from lm_eval.api import metrics as lm_metrics
from lm_eval.api.registry import get_metric
from lm_eval.api.task import ConfigurableTask
from lm_eval.tasks.truthfulqa import utils as truthfulqa


HERE = os.path.dirname(os.path.abspath(__file__))


# --- SQuAD v1.1 official evaluation script -------------------------------------------------


def squad_normalize_answer(s):
    def remove_articles(text):
        return re.sub(r"\b(a|an|the)\b", " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    def lower(text):
        return text.lower()

    return white_space_fix(remove_articles(remove_punc(lower(s))))


def squad_f1_score(prediction, ground_truth):
    prediction_tokens = squad_normalize_answer(prediction).split()
    ground_truth_tokens = squad_normalize_answer(ground_truth).split()
    common = collections.Counter(prediction_tokens) & collections.Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


def squad_exact_match_score(prediction, ground_truth):
    return squad_normalize_answer(prediction) == squad_normalize_answer(ground_truth)


# --- SQuAD v2.0 official evaluation script -------------------------------------------------


def squad_v2_get_tokens(s):
    if not s:
        return []
    return squad_normalize_answer(s).split()


def squad_v2_compute_exact(a_gold, a_pred):
    return int(squad_normalize_answer(a_gold) == squad_normalize_answer(a_pred))


def squad_v2_compute_f1(a_gold, a_pred):
    gold_toks = squad_v2_get_tokens(a_gold)
    pred_toks = squad_v2_get_tokens(a_pred)
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


def squad_v2_raw_scores(prediction, answers):
    """One question of the v2.0 script's `get_raw_scores`."""
    gold_answers = [a for a in answers if squad_normalize_answer(a)]
    if not gold_answers:
        gold_answers = [""]
    exact = max(squad_v2_compute_exact(a, prediction) for a in gold_answers)
    f1 = max(squad_v2_compute_f1(a, prediction) for a in gold_answers)
    return exact, f1


# --- inputs ---------------------------------------------------------------------------------

TEXTS = [
    "",
    " ",
    "The cat sat on the mat.",
    "the cat sat on the mat",
    "A cat is sitting on a mat!",
    "An apple a day keeps the doctor away.",
    "Hello, world! It costs $3.50 (approx.)",
    "1,000 people; 2-3 groups; 3.14 pi; 10.5% growth.",
    "Café déjà vu — naïve façade. «Bonjour», dit-il.",
    "ΑΣ ΟΔΟΣ. Σίσυφος.",
    "İstanbul ve İzmir.",
    "東京は日本の首都です。",
    "€5 + £3 = ¥? ©2024 ™",
    "tab\tseparated\nnew line\r\nwindows",
    "it's a dog's life, isn't it?",
    "e.g. i.e. etc. U.S.A. 2019.",
    "&quot;quoted&quot; &amp; &lt;tag&gt;",
    "end-\nof-line hyphen <skipped> here",
    "multiple   spaces    between   words",
    "\u00a0non-breaking\u00a0space\u2003em space\u001cfs",
    "the the the the",
    "a an the",
    "The Beatles",
    "I have no comment.",
    "Nothing happens if you crack your knuckles a lot.",
    "You get arthritis if you crack your knuckles a lot . Your joints hurt .",
    "x",
]

VOCABULARY = [
    "the", "a", "an", "cat", "dog", "sat", "on", "mat", "The", "Cat", "runs", "quickly",
    ",", ".", "!", "?", "3.5", "1,000", "2-3", "$", "€", "naïve", "café", "東京", "—", "'s",
    "(", ")", "\"", "don't", "U.S.", "e-mail", "100%", "x", "y", "z",
]


def random_sentence(rng, low=0, high=14):
    words = [rng.choice(VOCABULARY) for _ in range(rng.randint(low, high))]
    text = ""
    for word in words:
        separator = rng.choice([" ", " ", " ", "", "  ", "\n"]) if text else ""
        text += separator + word
    return text


def perturb(rng, text):
    words = text.split(" ")
    out = []
    for word in words:
        roll = rng.random()
        if roll < 0.15:
            continue
        if roll < 0.3:
            out.append(rng.choice(VOCABULARY))
        out.append(word)
    if rng.random() < 0.3:
        rng.shuffle(out)
    return " ".join(out)


# --- sections -------------------------------------------------------------------------------


def python_text_tables():
    """Python's character classes, as ranges of code points, for an exhaustive comparison."""

    def ranges(predicate):
        result, start = [], None
        for code in range(sys.maxunicode + 2):
            inside = code <= sys.maxunicode and predicate(chr(code))
            if inside and start is None:
                start = code
            elif not inside and start is not None:
                result.append([start, code - 1])
                start = None
        return result

    word = re.compile(r"\w")
    lower_pairs = [
        [code, chr(code).lower()]
        for code in range(sys.maxunicode + 1)
        if 0xD800 > code or code > 0xDFFF
        if chr(code).lower() != chr(code)
    ]
    return {
        "unicode_version": unicodedata.unidata_version,
        "regex_module_version": regex.__version__,
        "assigned": ranges(lambda c: unicodedata.category(c) != "Cn"),
        "space": ranges(str.isspace),
        "word": ranges(lambda c: bool(word.match(c))),
        "lower": lower_pairs,
        "regex_punctuation": ranges(lambda c: bool(regex.match(r"\p{P}", c))),
        "regex_symbol": ranges(lambda c: bool(regex.match(r"\p{S}", c))),
        "regex_number": ranges(lambda c: bool(regex.match(r"\p{N}", c))),
        "lower_strings": [[text, text.lower()] for text in TEXTS],
    }


def exact_match_cases():
    option_sets = [
        {},
        {"ignore_case": True},
        {"ignore_punctuation": True},
        {"ignore_numbers": True},
        {"ignore_case": True, "ignore_punctuation": True},
        {"ignore_case": True, "ignore_punctuation": True, "ignore_numbers": True},
        {"regexes_to_ignore": [",", "\\$", "(?s).*#### ", "\\.$"]},
        {"regexes_to_ignore": ["\\s+"], "ignore_case": True},
        {"regexes_to_ignore": ["\\bthe\\b", "^\\s*", "\\s*$"], "ignore_case": True},
        {"regexes_to_ignore": ["(?<=\\d) (?=\\d)", "[\\W_]+"]},
        {"regexes_to_ignore": ["a{", "[[]"], "ignore_punctuation": True},
    ]
    pairs = [
        ("Paris", "Paris"),
        ("Paris", "paris"),
        ("PARIS!", "paris"),
        ("paris ", "paris"),
        ("", ""),
        ("", " "),
        ("The answer is 1,234.", "1234"),
        ("so #### $1,234", "1234"),
        ("42.\n", "42"),
        ("42.\n", "42\n"),
        ("  The  Beatles ", "beatles"),
        ("İ", "i"),
        ("İx", "i\u0307x"),
        ("İx", "i\u0307"),
        ("ΑΣ", "ας"),
        ("a\x00", "a"),
        ("a.\x00", "a"),
        ("¿Qué?", "qué"),
        ("3 4", "34"),
        ("a{b[c", "bc"),
        ("x_y-z", "xyz"),
        ("a² the b", "a² b"),
        ("tab\tx", "tab x"),
        ("fs\u001cx", "fsx"),
    ]
    exact_match = get_metric("exact_match")
    single = []
    for options in option_sets:
        for prediction, reference in pairs:
            value = exact_match(predictions=[prediction], references=[reference], **options)[
                "exact_match"
            ]
            single.append(
                {
                    "prediction": prediction,
                    "reference": reference,
                    "options": options,
                    "value": float(value),
                }
            )
    multiple = []
    reference_lists = [
        ["Beatles", "The Beatles", "the beatles!"],
        ["Rolling Stones"],
        ["İstanbul", "Constantinople"],
        ["x" * 3, "İ"],
        ["42", "forty-two", "Forty Two"],
        ["", "none"],
    ]
    predictions = ["the beatles", "Beatles", "i", "İ", "istanbul", "Forty Two", "", "42.", "xxx"]
    for options in option_sets[:6] + option_sets[6:8]:
        for references in reference_lists:
            for prediction in predictions:
                multiple.append(
                    {
                        "prediction": prediction,
                        "references": references,
                        "options": options,
                        "value": process_generate_until(prediction, references, options),
                    }
                )
    return {"single": single, "multiple": multiple}


def process_generate_until(prediction, target, options):
    """`ConfigurableTask.process_results` for a generate_until task whose `doc_to_target`
    returns `target` and whose only metric is `exact_match` with `options`."""
    task = types.SimpleNamespace(
        config=types.SimpleNamespace(process_results=None, doc_to_choice=None),
        OUTPUT_TYPE="generate_until",
        _metric_fn_list={"exact_match": get_metric("exact_match")},
        _metric_fn_kwargs={"exact_match": options},
        _aggregation_list={"exact_match": lm_metrics.mean},
        _higher_is_better={"exact_match": True},
        multiple_target=len(target) if isinstance(target, list) else 0,
        doc_to_target=lambda doc: target,
    )
    result = ConfigurableTask.process_results(task, {}, [prediction])
    return float(result["exact_match"])


def squad_cases():
    pairs = [
        ("the cat sat", "cat sat down"),
        ("The Cat, a hat!", "cat hat"),
        ("", ""),
        ("the", ""),
        ("cat", ""),
        ("", "an"),
        ("cat cat", "cat"),
        ("Denver Broncos", "The Denver Broncos"),
        ("theatre another a.", "theatre another"),
        ("a² b", "² b"),
        ("à la carte", "a la carte"),
        ("1,000", "1000"),
        ("It's 5 o'clock", "its 5 oclock"),
        ("東京 は", "東京"),
        ("ΑΣ ΟΔΟΣ", "ας οδος"),
        ("New\u00a0York\u001cCity", "new york city"),
        ("the the the the", "the"),
        ("a-b c_d", "ab c_d"),
    ]
    cases = []
    for prediction, truth in pairs:
        cases.append(
            {
                "prediction": prediction,
                "ground_truth": truth,
                "normalized_prediction": squad_normalize_answer(prediction),
                "f1": float(squad_f1_score(prediction, truth)),
                "exact": float(squad_exact_match_score(prediction, truth)),
                "v2_f1": float(squad_v2_compute_f1(truth, prediction)),
                "v2_exact": float(squad_v2_compute_exact(truth, prediction)),
            }
        )
    for text in TEXTS:
        cases.append(
            {
                "prediction": text,
                "ground_truth": "the cat sat on the mat",
                "normalized_prediction": squad_normalize_answer(text),
                "f1": float(squad_f1_score(text, "the cat sat on the mat")),
                "exact": float(squad_exact_match_score(text, "the cat sat on the mat")),
                "v2_f1": float(squad_v2_compute_f1("the cat sat on the mat", text)),
                "v2_exact": float(squad_v2_compute_exact("the cat sat on the mat", text)),
            }
        )
    v2_questions = []
    for prediction, answers in [
        ("", ["the", "."]),
        ("", ["Paris"]),
        ("Paris", []),
        ("Paris France", ["Paris", "in Paris, France"]),
        ("an", ["", "a"]),
    ]:
        exact, f1 = squad_v2_raw_scores(prediction, answers)
        v2_questions.append(
            {"prediction": prediction, "answers": answers, "exact": float(exact), "f1": float(f1)}
        )
    return {"pairs": cases, "v2_questions": v2_questions}


def tokenizer_cases():
    thirteen_a, intl = Tokenizer13a(), TokenizerV14International()
    rng = random.Random(13)
    lines = TEXTS + [random_sentence(rng) for _ in range(30)]
    return [{"line": line, "13a": thirteen_a(line), "intl": intl(line)} for line in lines]


SMOOTHS = [("exp", None), ("floor", None), ("floor", 0.0), ("floor", 0.5), ("add-k", None),
           ("add-k", 0.5), ("none", None)]


def bleu_record(score, hypotheses, streams, **options):
    """The score, and the corpus's n-gram counts before smoothing (the `BLEUScore` holds
    them after `add-k` has added its value to them)."""
    metric = sacrebleu.BLEU(**options)
    stats = [sum(column) for column in zip(*metric._extract_corpus_statistics(hypotheses, streams))]
    order = metric.max_ngram_order
    return {
        "score": score.score,
        "counts": [int(c) for c in stats[2 : 2 + order]],
        "totals": [int(t) for t in stats[2 + order :]],
        "bp": score.bp,
        "sys_len": score.sys_len,
        "ref_len": score.ref_len,
    }


def bleu_cases():
    rng = random.Random(2024)
    corpora = []
    # Hand-written corpora.
    corpora.append((["The cat sat on the mat."], [["The cat sat on the mat."]]))
    corpora.append((["the cat sat on the mat"], [["The cat is on the mat."]]))
    corpora.append((["", "a b c d"], [["x y"], ["a b c d"]]))
    corpora.append((["It costs $3.50, approx."], [["It costs $3.50 approximately.", "Costs 3.50$."]]))
    corpora.append((["Café déjà vu — naïve façade."], [["Cafe deja vu - naive facade."]]))
    corpora.append((["東京は日本の首都です。"], [["東京は日本の首都です。"]]))
    corpora.append((["dog"], [["cat"]]))
    corpora.append((["a b"], [["a b c d e f"]]))
    corpora.append((["a b c d e f g h"], [["a b c"]]))
    corpora.append((["ΑΣ ΟΔΟΣ. Σίσυφος."], [["ας οδος. σίσυφος."]]))
    corpora.append((["1,000 people; 2-3 groups."], [["1,000 people ; 2 - 3 groups ."]]))
    corpora.append((["€5 + £3 = ¥?"], [["€ 5 + £ 3 = ¥ ?"]]))
    for line in TEXTS[2:]:
        corpora.append(([line], [[perturb(rng, line), TEXTS[2]]]))
    # Random corpora with a variable number of references.
    for _ in range(20):
        size = rng.randint(1, 6)
        hypotheses, references = [], []
        for _ in range(size):
            reference = random_sentence(rng, 1)
            hypotheses.append(perturb(rng, reference))
            extra = [random_sentence(rng) for _ in range(rng.randint(0, 2))]
            references.append([reference] + extra)
        corpora.append((hypotheses, references))

    cases = []
    for index, (hypotheses, references) in enumerate(corpora):
        # sacrebleu's layout: one stream per reference position, None where an item has fewer.
        width = max(len(r) for r in references)
        streams = [[r[i] if i < len(r) else None for r in references] for i in range(width)]
        settings = [("13a", "exp", None, False, False)]
        # Every corpus with the defaults; a rotating subset of the other settings.
        for offset in range(3):
            tokenize = ["13a", "intl", "none"][(index + offset) % 3]
            smooth, value = SMOOTHS[(index * 3 + offset) % len(SMOOTHS)]
            lowercase = (index + offset) % 2 == 1
            effective = (index + offset) % 3 == 2
            settings.append((tokenize, smooth, value, lowercase, effective))
        for tokenize, smooth, value, lowercase, effective in settings:
            score = sacrebleu.corpus_bleu(
                hypotheses,
                streams,
                smooth_method=smooth,
                smooth_value=value,
                lowercase=lowercase,
                tokenize=tokenize,
                use_effective_order=effective,
            )
            cases.append(
                {
                    "hypotheses": hypotheses,
                    "references": references,
                    "tokenize": tokenize,
                    "smooth": smooth,
                    "smooth_value": value,
                    "lowercase": lowercase,
                    "use_effective_order": effective,
                    **bleu_record(
                        score, hypotheses, streams, smooth_method=smooth, smooth_value=value,
                        lowercase=lowercase, tokenize=tokenize, effective_order=effective,
                    ),
                }
            )
    sentence = []
    for hypotheses, references in corpora[:30]:
        score = sacrebleu.sentence_bleu(hypotheses[0], references[0])
        sentence.append(
            {
                "hypothesis": hypotheses[0],
                "references": references[0],
                **bleu_record(
                    score, [hypotheses[0]], [[r] for r in references[0]], effective_order=True
                ),
            }
        )
    aggregation = []
    for hypotheses, references in corpora:
        items = list(zip(references, hypotheses))
        aggregation.append(
            {
                "predictions": hypotheses,
                "references": references,
                "value": lm_metrics.bleu(items),
            }
        )
    return {"corpus": cases, "sentence": sentence, "lm_eval_aggregation": aggregation}


def truthfulqa_pairs():
    rng = random.Random(7)
    pairs = [
        ("I have no comment.", "I have no comment."),
        ("Nothing happens if you crack your knuckles a lot.",
         "You get arthritis if you crack your knuckles a lot . Your joints hurt ."),
        ("Nothing in particular happens . It is fine .", "Nothing happens . It is fine ."),
        ("The Sun is a star.", ""),
        ("", "The Sun is a star."),
        ("", ""),
        ("Café déjà vu — naïve façade.", "cafe deja vu naive facade"),
        ("東京は日本の首都です。", "Tokyo is the capital of Japan."),
        ("It costs $3.50 (approx.)", "It costs 3.50 dollars."),
        ("A . B . C .", "C . B . A ."),
    ]
    for _ in range(40):
        reference = random_sentence(rng, 1, 20)
        if rng.random() < 0.5:
            reference = reference.replace(" . ", " . ").replace(".", " . ")
        pairs.append((reference, perturb(rng, reference)))
    return pairs


def truthfulqa_cases():
    cases = []
    for reference, prediction in truthfulqa_pairs():
        rouge = truthfulqa.rouge([reference], [prediction])
        cases.append(
            {
                "reference": reference,
                "prediction": prediction,
                "bleu": truthfulqa.bleu([[reference]], [prediction]),
                "rouge1": float(rouge["rouge1"]),
                "rouge2": float(rouge["rouge2"]),
                "rougeLsum": float(rouge["rougeLsum"]),
            }
        )
    return cases


def rouge_cases():
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rouge3", "rougeL", "rougeLsum"])
    rng = random.Random(99)
    pairs = [(t, p) for t, p in truthfulqa_pairs()]
    pairs += [
        ("a b c d e", "a c e b"),
        ("a b c d", "a b\nc d"),
        ("the cat\nsat on\nthe mat", "the mat\nthe cat sat"),
        ("x y x y x", "y x y\nx\n\nx y"),
        ("The Café's 2nd-best, ÉTÉ!", "the caf s 2nd best t"),
        (" . \n . ", "a"),
        ("KELVIN \u212a", "kelvin k"),
    ]
    for _ in range(30):
        target = random_sentence(rng, 0, 25)
        pairs.append((target, perturb(rng, target)))
    cases = []
    for target, prediction in pairs:
        scores = scorer.score(target, prediction)
        cases.append(
            {
                "target": target,
                "prediction": prediction,
                "tokens": rouge_score.tokenize.tokenize(target, None),
                **{
                    kind: [score.precision, score.recall, score.fmeasure]
                    for kind, score in scores.items()
                },
            }
        )
    return cases


def classification_cases():
    rng = random.Random(5)
    label_sets = [
        [(1, 1), (1, 0), (0, 1), (0, 0)],
        [(0, 0), (0, 0)],
        [(1, 1)],
        [(0, 1), (1, 0)],
        [(0, 0), (1, 0)],
        [(0, 0), (1, 1), (2, 2)],
        [(0, 1), (2, 2)],
        [(0, 2)],
        [(2, 2), (2, 2)],
    ]
    for _ in range(12):
        classes = rng.choice([2, 2, 3, 4])
        size = rng.randint(2, 60)
        label_sets.append([(rng.randrange(classes), rng.randrange(classes)) for _ in range(size)])

    def run(function, items):
        try:
            return float(function(items))
        except ValueError:
            return None

    return [
        {
            "pairs": items,
            "f1": run(lm_metrics.f1_score, items),
            "mcc": run(lm_metrics.matthews_corrcoef, items),
        }
        for items in label_sets
    ]


def aggregation_cases():
    rng = random.Random(11)
    lists = [[-1.0, -3.0], [-0.5], [rng.uniform(-20, 0) for _ in range(37)],
             [rng.uniform(-5, 0) for _ in range(200)]]
    values = []
    for lls in lists:
        weights = [rng.randint(1, 40) for _ in lls]
        items = list(zip(lls, weights))
        values.append(
            {
                "loglikelihoods": lls,
                "weights": weights,
                "mean": lm_metrics.mean(lls),
                "median": lm_metrics.median(lls),
                "perplexity": lm_metrics.perplexity(lls),
                "weighted_perplexity": lm_metrics.weighted_perplexity(items),
                "bits_per_byte": lm_metrics.bits_per_byte(items),
                "mean_stderr": lm_metrics.mean_stderr(lls) if len(lls) > 1 else None,
            }
        )
    documents = [
        {"text": text, "words": ConfigurableTask.count_words(text),
         "bytes": ConfigurableTask.count_bytes(text)}
        for text in TEXTS + ["  leading", "trailing  ", "\u001cx\u001dy", "a\u200bb", "\u3000"]
    ]
    return {"lists": values, "documents": documents}


def bootstrap_cases():
    rng = random.Random(3)
    binary = [float(rng.random() < 0.6) for _ in range(150)]
    lls = [rng.uniform(-6, -0.1) for _ in range(80)]
    pairs = [(rng.randrange(2), rng.randrange(2)) for _ in range(90)]
    multi = [(rng.randrange(3), rng.randrange(3)) for _ in range(70)]
    corpus = [
        (reference, perturb(rng, reference))
        for reference in (random_sentence(rng, 3, 12) for _ in range(25))
    ]
    cases = []

    def add(name, items, function, iters):
        cases.append(
            {
                "statistic": name,
                "items": items,
                "iters": iters,
                "value": lm_metrics.bootstrap_stderr(function, items, iters),
            }
        )

    add("mean", binary, lm_metrics.mean, 2500)
    add("median", lls, lm_metrics.median, 1000)
    add("perplexity", lls, lm_metrics.perplexity, 300)
    add("f1", pairs, lm_metrics.f1_score, 1000)
    add("matthews_corrcoef", multi, lm_metrics.matthews_corrcoef, 1000)
    add("bleu", corpus, lm_metrics.bleu, 100)
    policies = []
    for name in ["mean", "median", "nanmean", "perplexity", "weighted_perplexity",
                 "bits_per_byte", "f1", "matthews_corrcoef", "bleu", "chrf", "ter",
                 "brier_score", "bypass"]:
        function = getattr(lm_metrics, {"f1": "f1_score", "bypass": "bypass_agg"}.get(name, name))
        for iters in [0, 100000]:
            stderr = lm_metrics.stderr_for_metric(function, iters)
            kind = (
                "not_computed" if stderr is None
                else "mean_stderr" if stderr is lm_metrics.mean_stderr
                else "bootstrap"
            )
            policies.append({"aggregation": name, "bootstrap_iters": iters, "kind": kind})
    return {"resamples": cases, "policies": policies}


def main():
    reference = {
        "versions": {
            "python": sys.version.split()[0],
            "lm_eval": lm_eval.__version__ if hasattr(lm_eval, "__version__") else "0.4",
            "sacrebleu": sacrebleu.__version__,
            "rouge_score": "0.1.2",
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "python_text": python_text_tables(),
        "exact_match": exact_match_cases(),
        "squad": squad_cases(),
        "tokenizers": tokenizer_cases(),
        "bleu": bleu_cases(),
        "rouge": rouge_cases(),
        "truthfulqa": truthfulqa_cases(),
        "classification": classification_cases(),
        "aggregation": aggregation_cases(),
        "bootstrap": bootstrap_cases(),
    }
    path = os.path.join(HERE, "reference.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(reference, handle, ensure_ascii=True, indent=0, allow_nan=False)
        handle.write("\n")
    print(f"wrote {path}: {len(reference['bleu']['corpus'])} BLEU, "
          f"{len(reference['rouge'])} ROUGE, {len(reference['truthfulqa'])} truthfulqa cases")


if __name__ == "__main__":
    main()
