"""What the answering pipeline hands to the channels: references and the result of one question."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reference:
    """One cited passage: where it comes from and its whole cleaned text."""

    rank: int
    source: str          # e.g. "今日浙江 2025年第17期"
    article: str         # article title
    section: str         # heading path, e.g. "强创新 › 加强模型和算法创新" ("" when none)
    page: int | None     # article's first printed page, None when the source has no TOC
    passage_id: str
    score: float
    text: str

    def ranked(self, rank: int) -> Reference:
        return Reference(**{**asdict(self), "rank": rank})


@dataclass(frozen=True)
class Result:
    """The pipeline's answer to one question, before any channel renders it."""

    question: str
    normalized: str
    found: bool
    answer: str                            # "" when found is False
    confidence: float                      # in [0, 1]: how sure the answer answers the question
    references: tuple[Reference, ...]      # up to 3, one per article, the cited one first
    related: tuple[Reference, ...] = ()    # further references, for "更多"
    shown: tuple[Reference, ...] = ()      # the references a reply lists
    understood: tuple[tuple[str, str], ...] = ()  # typos read otherwise: (typed, read)
    missing: str = ""                      # the name the documents say nothing about, for the reply
    prompt: bool = False                   # nothing to look up: the reply asks for a question
    dangling: bool = False                 # "还有呢" with no question before it (or it expired)
    candidate: str = ""                    # the sentence chosen, even when declined (for review, tuning)
    gate: str = ""                         # the check that declined it, "" when none did
    features: dict = field(default_factory=dict, compare=False)  # what the confidence was made of
    read_as: str = ""                      # the question as resolved against the last turn, "" if as typed
    via: str = ""                          # how: "subject", "attribute", "pronoun", "more" ("" as typed)
    turn: Any = None                       # retrieval.context.Turn to remember, when an answer was found
