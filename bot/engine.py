"""The engine the channels call: the answering pipeline (retrieval.pipeline) plus the reply a chat
user reads, the table of contents and the follow-ups (更多, 原文).

Channels only translate: they call `Engine.ask` and render the `Answer`; the same question gets the
same answer everywhere. INTERFACE (stable, used by every channel).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.reply import format_reply
from retrieval.answer import Reference, Result
from retrieval.context import Turn
from retrieval.pipeline import Pipeline

__all__ = ["Answer", "Engine", "Reference", "TocEntry", "Turn"]


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
    understood: tuple[tuple[str, str], ...] = field(default=())  # typos read otherwise: (typed, read)
    confidence: float = 0.0              # in [0, 1]: how sure the engine is that `answer` answers
    read_as: str = ""                    # the follow-up as resolved against the last question, or ""
    turn: Turn | None = None             # what the conversation remembers of this question

    def to_json(self) -> dict:
        """The JSON answer object of the design doc."""
        return {
            "question": self.question,
            "found": self.found,
            "answer": self.answer,
            "references": [asdict(r) for r in self.references],
            "reply": self.reply,
            "latency_ms": round(self.latency_ms, 3),
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Loaded:
    """One corpus, loaded: swapped as a whole, so a question never sees half of two corpora."""

    pipeline: Pipeline
    toc: tuple[TocEntry, ...]
    content_hash: str
    passages: int


class Engine:
    """Loaded once per process; `ask` is pure CPU work taking milliseconds. `reload` builds a new
    corpus beside the one serving and swaps them in one assignment: questions in flight finish on
    the old one, and a corpus that fails to load leaves the old one serving."""

    def __init__(self, pipeline: Pipeline, corpus: dict, load: Callable[[], dict] | None = None,
                 corpus_path: Path | None = None, cache_dir: Path | None = None) -> None:
        self._current = Loaded(pipeline, _toc_of(corpus), str(corpus.get("content_hash") or ""),
                               len(pipeline.index.passages))
        self._load, self._cache_dir = load, cache_dir
        self.corpus_path = corpus_path  # the built corpus file a running bot watches, when known

    @property
    def pipeline(self) -> Pipeline:
        return self._current.pipeline

    @property
    def loaded(self) -> Loaded:
        return self._current

    @classmethod
    def load(cls, corpus_path: Path | None = None) -> Engine:
        """Load the built corpus (building it when missing or stale) and index it."""
        from content.store import DEFAULT_BUILD, load_built

        path = Path(corpus_path or DEFAULT_BUILD)
        return cls.from_loader(lambda: load_built(corpus_path), corpus_path=path)

    @classmethod
    def from_loader(cls, load: Callable[[], dict], cache_dir: Path | None = None,
                    corpus_path: Path | None = None) -> Engine:
        """Load the corpus, keep only its table of contents and hash, and let it go before the cached
        index is read (the corpus is needed again only when there is no cache): the two never share
        the memory peak."""
        pipeline, outline = _load(load, cache_dir)
        return cls(pipeline, outline, load, corpus_path, cache_dir)

    @classmethod
    def from_corpus(cls, corpus: dict, cache_dir: Path | None = None) -> Engine:
        """An engine over a content export object already in memory (tests, benchmarks)."""
        from retrieval.index import build_index

        return cls(Pipeline(build_index(corpus, cache_dir=cache_dir)), corpus)

    def reload(self) -> Loaded:
        """Load the corpus again and swap it in; raises (keeping the old one) when it cannot."""
        if self._load is None:
            raise RuntimeError("this engine was built from a corpus in memory: nothing to reload")
        pipeline, outline = _load(self._load, self._cache_dir)
        self._current = Loaded(pipeline, _toc_of(outline), str(outline.get("content_hash") or ""),
                               len(pipeline.index.passages))
        return self._current

    def ask(self, question: str, last: Turn | None = None) -> Answer:
        """The answer; with the conversation's `last` turn, a follow-up ("那宁波呢") is read
        against it. Stateless: the caller keeps the turns (bot.conversation)."""
        result = self.pipeline.answer(question if isinstance(question, str) else str(question), last)
        return answer_of(result)

    def more(self, question: str, skip: int = 3, count: int = 3) -> list[Reference]:
        """The next references after the first `skip`, for "更多"."""
        result = self.pipeline.answer(question)
        refs = list(result.references) + list(result.related)
        return [r.ranked(i + 1) for i, r in enumerate(refs[skip : skip + count], start=skip)]

    def passage(self, passage_id: str) -> Reference | None:
        """A passage by id with its citation (rank 1, score 0), for "原文" after a restart."""
        return self.pipeline.passage(passage_id)

    def toc(self) -> list[TocEntry]:
        """Articles in reading order, grouped by source."""
        return list(self._current.toc)


def answer_of(result: Result) -> Answer:
    """The pipeline's result with the reply a chat user reads."""
    reply = format_reply(result.found, result.answer, result.shown, prompt=result.prompt,
                         understood=result.understood, missing=result.missing, read_as=result.read_as,
                         dangling=result.dangling)
    return Answer(result.question, result.found, result.answer, result.references, reply,
                  float(result.features.get("latency_ms", 0.0)), result.normalized, result.related,
                  result.understood, result.confidence, result.read_as, result.turn)


def _load(load: Callable[[], dict], cache_dir: Path | None) -> tuple[Pipeline, dict]:
    from retrieval.index import build_index, content_hash_of, load_cached_index

    corpus = load()
    outline, digest = _outline(corpus), content_hash_of(corpus)
    del corpus
    index = load_cached_index(digest, cache_dir=cache_dir)
    index = index if index is not None else build_index(load(), cache_dir=cache_dir)
    return Pipeline(index), outline


def _outline(corpus: dict) -> dict:
    """The corpus without its passages: all the table of contents needs (and its hash)."""
    articles = [{k: v for k, v in a.items() if k != "sections"} for a in corpus.get("articles", [])]
    return {"sources": corpus.get("sources", []), "articles": articles,
            "content_hash": corpus.get("content_hash") or ""}


def _toc_of(corpus: dict) -> tuple[TocEntry, ...]:
    sources = [s["id"] for s in corpus.get("sources", [])]
    titles = {s["id"]: s.get("title") or s["id"] for s in corpus.get("sources", [])}
    articles = corpus.get("articles", [])
    order = {sid: i for i, sid in enumerate(sources)}
    ranked = sorted(enumerate(articles), key=lambda ia: (order.get(ia[1].get("source"), len(order)), ia[0]))
    return tuple(
        TocEntry(source=titles.get(a.get("source"), str(a.get("source", ""))), page=a.get("page"),
                 title=a.get("title") or "", authors=tuple(a.get("authors") or ()),
                 column=a.get("column") or "")
        for _, a in ranked
    )
