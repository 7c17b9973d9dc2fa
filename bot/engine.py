"""The answer engine: question -> short extractive answer with references, or an honest "not found".

Channels only translate: they call `Engine.ask` and render the `Answer`; the same question gets the
same answer everywhere. INTERFACE (stable, used by every channel); internals belong to [answers].
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path


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


@dataclass(frozen=True)
class TocEntry:
    source: str
    page: int | None
    title: str
    authors: tuple[str, ...]
    column: str


@dataclass(frozen=True)
class Answer:
    question: str
    found: bool
    answer: str                          # "" when found is False
    references: tuple[Reference, ...]    # up to 3, deduplicated by article
    reply: str                           # the full plain-text reply, as a chat user reads it
    latency_ms: float
    normalized: str = ""                 # normalised question, for grouping in the query log
    related: tuple[Reference, ...] = field(default=())  # further references, for "更多"

    def to_json(self) -> dict:
        """The JSON answer object of the design doc."""
        return {
            "question": self.question,
            "found": self.found,
            "answer": self.answer,
            "references": [asdict(r) for r in self.references],
            "reply": self.reply,
            "latency_ms": round(self.latency_ms, 3),
        }


class Engine:
    """Loaded once per process; `ask` is pure CPU work taking milliseconds."""

    @classmethod
    def load(cls, corpus_path: Path | None = None) -> Engine:
        """Load the built corpus (building it when missing or stale) and index it."""
        raise NotImplementedError

    def ask(self, question: str) -> Answer:
        raise NotImplementedError

    def more(self, question: str, skip: int = 3, count: int = 3) -> list[Reference]:
        """The next references after the first `skip`, for "更多"."""
        raise NotImplementedError

    def passage(self, passage_id: str) -> Reference | None:
        """A passage by id with its citation (rank 1, score 0), for "原文" after a restart."""
        raise NotImplementedError

    def toc(self) -> list[TocEntry]:
        """Articles in reading order, grouped by source."""
        raise NotImplementedError
