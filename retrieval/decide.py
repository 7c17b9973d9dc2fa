"""Stage 4, decision: does the chosen sentence answer the question? Checks in a fixed order, then a
confidence in [0, 1] from the same features.

1. Subject: every name the question gives must be matched (literally, by a short or full form, or
   by its stem: 温州 for 温州市) in the cited article: its title, headings and text, where a
   name is introduced once for all its passages.
   A name no document mentions declines at once. Either way the reply says which name.
2. Answer type: a value of the asked type must be in the sentence (an amount for 多少钱, a date
   for 哪天, a number for 多少), and for these the asked attribute too, softly: a synonym, a short
   form or a shared rare character will do; verbs are never required.
3. Confidence: a logistic function of coverage, sentence overlap, attribute match and unknown
   words; below THRESHOLD it declines. Weights and threshold come from `python -m tests.tune`
   (cross-validated over all question sets, grouped by article).
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from content.clean import is_han
from retrieval import answer_types
from retrieval.focus import is_time_word, mentions, resembles
from retrieval.index import Index, field_text
from retrieval.lexicon import ENTITY_SUFFIX
from retrieval.question import Question
from retrieval.search import Passages
from retrieval.sentences import Choice

# Off-topic gates, calibrated on the dev set: the best passage must cover this share of the
# question's idf-weighted content, and words no document uses must weigh less than MAX_UNKNOWN.
MIN_COVERAGE = 0.2
MAX_UNKNOWN = 0.45

# Logistic weights of the confidence features, and the bias; see tests/tune.py.
WEIGHTS: dict[str, float] = {
    "coverage": 3.0, "sentence": 2.0, "attribute": 1.5, "unknown": -3.0, "typed": 1.0, "keywords": -0.5,
}
BIAS = -2.5
THRESHOLD = 0.2

_ORGANISATION_ASKED = re.compile(r"哪家|哪个单位|哪个机构|哪个部门|哪所")


@dataclass(frozen=True)
class Decision:
    found: bool
    confidence: float
    on_topic: bool            # the question is about what the documents cover at all
    missing: str = ""         # the name the documents say nothing about
    gate: str = ""            # the check that declined it, "" when none did
    features: dict[str, float] = field(default_factory=dict)


def decide(index: Index, q: Question, found: Passages, choice: Choice | None,
           normalize: Callable[[str], str]) -> Decision:
    if q.unknown_subjects:
        return Decision(False, 0.0, False, q.unknown_subjects[0], "unknown name")
    on_topic = found.coverage >= MIN_COVERAGE and q.unknown_share < MAX_UNKNOWN
    if choice is None:
        return Decision(False, 0.0, on_topic, gate="no passage")
    p = index.passages[choice.doc]
    answer_norm = normalize(choice.text)
    absent = next((s for s in q.subjects if not names(index.article_text(choice.doc), s, index)), "")
    attribute = attribute_match(q, answer_norm, normalize(p.text), index)
    typed_kind = q.kind in ("number", "money", "date", "daterange")
    typed = answer_types.has_answer_type(answer_norm, q.kind, q.text) if typed_kind else True
    features = {
        "coverage": found.coverage, "sentence": min(choice.score, 1.5) / 1.5, "attribute": attribute,
        "unknown": q.unknown_share, "typed": float(typed), "keywords": float(q.keywords_only),
    }
    confidence = round(1 / (1 + math.exp(-(BIAS + sum(WEIGHTS[k] * v for k, v in features.items())))), 3)
    gate = ("off topic" if not on_topic else
            "name not in the passage" if absent else
            "no value of the asked type" if not typed else
            "attribute not in the sentence" if typed_kind and attribute < 1.0 else
            "no organisation named" if _ORGANISATION_ASKED.search(q.text)
            and not answer_types.names_an_organisation(answer_norm) else
            "low confidence" if confidence < THRESHOLD else "")
    if gate in ("off topic", "name not in the passage", "no value of the asked type",
                "attribute not in the sentence", "no organisation named"):
        confidence = min(confidence, 0.1)
    return Decision(not gate, confidence, on_topic, absent, gate, features)


def names(context_norm: str, name: str, index: Index) -> bool:
    """Whether a text names this: itself, a short or full form of it, or its stem (温州 for 温州市)."""
    if name in context_norm or any(a in context_norm for a in index.lexicon.aliases.get(name, ())):
        return True
    if not all(is_han(ch) for ch in name):
        return False
    stem = ENTITY_SUFFIX.sub("", name)
    if len(stem) >= 2 and stem != name and stem in context_norm:
        return True
    # A short form: its characters in order within a few characters ("团省委" in 共青团浙江省委).
    window = 2 * len(name) + 2
    start = context_norm.find(name[0])
    while start >= 0:
        if in_order(name, context_norm[start : start + window]):
            return True
        start = context_norm.find(name[0], start + 1)
    return False


def in_order(chars: str, text: str) -> bool:
    pos = 0
    for ch in chars:
        pos = text.find(ch, pos) + 1
        if not pos:
            return False
    return True


def attribute_match(q: Question, answer_norm: str, passage_norm: str, index: Index) -> float:
    """1 when every attribute word is matched softly in the answer, 0.5 when only in its passage,
    0 when not at all; 1 when the question asks for no attribute."""
    words = [w for w in q.attribute if not is_time_word(w) and w not in q.glosses]
    if not words:
        return 1.0
    if all(_soft(answer_norm, w, q, index) for w in words):
        return 1.0
    return 0.5 if all(_soft(passage_norm, w, q, index) for w in words) else 0.0


def _soft(text_norm: str, word: str, q: Question, index: Index) -> bool:
    if mentions(text_norm, word) or any(x in text_norm for x in q.expansions.get(word, ())):
        return True
    return resembles(text_norm, word, index.char_weight, index.tokenizer.words(text_norm))
