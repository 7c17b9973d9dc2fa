"""Extractive answers: the one or two sentences of the best passages that answer the question.

Pure functions over normalised text; the weights come from the index's idf tables.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MAX_ANSWER_CHARS = 120

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])(?![”’」』\"')）])|(?<=[。！？!?；;][”’」』\"')）])|\n+")
_CLAUSE_END = re.compile(r"(?<=[，,、：:；;。！？!?])")

# Answer types, recognised from the question (normalised, Simplified).
_TYPE_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("date", re.compile(r"何时|哪年|哪一年|哪天|哪一天|什么时候|几月|几号|日期|时间|哪个月|年份|年代")),
    ("reason", re.compile(r"为什么|为何|原因|凭什么|怎么会|缘何|难题|短板|痛点|卡在|靠什么")),
    ("number", re.compile(
        r"多少|几[个家项款名位套件台年天次倍]?|规模|比例|占比|多大|多长|多久|多高|多远|增长|同比|数量|金额|总量")),
    ("name", re.compile(r"谁|哪家|哪位|哪个|哪些|哪座|哪种|哪一|什么|叫啥|名字|名称|哪里|何地|何种")),
)

_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万亿两]+(?:个|家|项|款|名|位|套|倍|成|年|天|小时)")
_DATE = re.compile(r"\d{2,4}年|\d{1,2}月|\d{1,2}日|年底|年初|年末|上半年|下半年|今年|去年|明年")
_NAME = re.compile(
    r"公司|集团|局|委员会|部|厅|院|大学|实验室|协会|中心|平台|[“「《][^”」》]{2,20}[”」》]|叫|名为|称为")
_REASON = re.compile(
    r"因为|由于|原因|为了|因此|所以|导致|使得|面临|难题|问题|困境|瓶颈|短板|缺乏|缺少|不足|在于|得益于|归功于|依靠|通过")

_TYPE_PATTERNS = {"number": _NUMBER, "date": _DATE, "name": _NAME, "reason": _REASON}


def answer_type(question: str) -> str | None:
    """The kind of answer a question asks for: number, date, name, reason, or None."""
    for kind, cue in _TYPE_CUES:
        if cue.search(question):
            return kind
    return None


def split_sentences(text: str) -> list[str]:
    """Sentences, each keeping its closing punctuation (and a closing quote after it)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


@dataclass(frozen=True)
class Scored:
    sentence: str
    score: float
    passage_rank: int
    position: int


def score_sentence(sentence_norm: str, weights: dict[str, float], kind: str | None) -> float:
    """IDF-weighted overlap of the question's terms, plus a bonus when the sentence has the answer type."""
    overlap = sum(w for term, w in weights.items() if term in sentence_norm)
    total = sum(weights.values()) or 1.0
    share = overlap / total
    if kind and _TYPE_PATTERNS[kind].search(sentence_norm):
        share += 0.15
    return share


def pick_sentences(
    passages: Sequence[str], weights: dict[str, float], kind: str | None,
    normalize: Callable[[str], str], passage_weights: Sequence[float] = (),
) -> list[Scored]:
    """Candidate sentences of the given passages, best first.

    `passage_weights` (1.0 for the top passage, less for the next ones) break near-ties in favour
    of the passage the ranking trusts most.
    """
    out: list[Scored] = []
    for rank, text in enumerate(passages):
        pw = passage_weights[rank] if rank < len(passage_weights) else 1.0
        for pos, sentence in enumerate(split_sentences(text)):
            s = score_sentence(normalize(sentence), weights, kind) * pw
            out.append(Scored(sentence, s, rank, pos))
    out.sort(key=lambda c: (-c.score, c.passage_rank, c.position))
    return out


def clauses(sentence: str) -> list[str]:
    return [c for c in _CLAUSE_END.split(sentence) if c]


def trim(sentence: str, weights: dict[str, float], normalize: Callable[[str], str], kind: str | None = None,
         limit: int = MAX_ANSWER_CHARS) -> str:
    """At most `limit` characters, cut at clause boundaries around the best-matching clause, with "…"."""
    sentence = sentence.strip()
    if len(sentence) <= limit:
        return sentence
    parts = clauses(sentence)
    scores = [score_sentence(normalize(p), weights, kind) for p in parts]
    best = max(range(len(parts)), key=lambda i: (scores[i], -i))
    lo = hi = best
    length = len(parts[best])
    # Grow towards the better neighbour while the window fits (room kept for the two ellipses).
    while True:
        options = []
        if lo > 0 and length + len(parts[lo - 1]) <= limit - 2:
            options.append((scores[lo - 1] + 0.01, lo - 1, "lo"))
        if hi + 1 < len(parts) and length + len(parts[hi + 1]) <= limit - 2:
            options.append((scores[hi + 1] + 0.02, hi + 1, "hi"))
        if not options:
            break
        _, i, side = max(options)
        length += len(parts[i])
        if side == "lo":
            lo = i
        else:
            hi = i
    text = "".join(parts[lo : hi + 1])
    if len(text) > limit - 2:
        text = _cut_chars(text, limit - 2)
    text = text.rstrip("，,、：:；; ")
    prefix = "…" if lo > 0 else ""
    suffix = "" if hi == len(parts) - 1 and text == "".join(parts[lo:]).rstrip("，,、：:；; ") else "…"
    return prefix + text + suffix


def _cut_chars(text: str, limit: int) -> str:
    """Cut one over-long clause before a CJK character or a space, never inside a Latin word or number."""
    cut = limit
    while cut > 0 and _word_char(text[cut - 1]) and _word_char(text[cut]):
        cut -= 1
    return text[: cut or limit]


def _word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in ".%")
