"""Stage 2, passage search: the passages that may answer a question, best first, and how well the
best of them covers it."""
from __future__ import annotations

from dataclasses import dataclass

from retrieval.answer_types import passage_cue
from retrieval.index import Hit, Index, field_text
from retrieval.normalize import normalize
from retrieval.question import Question

SEARCH_DEPTH = 40
COVERAGE_PASSAGES = 3     # the best of these must cover the question


@dataclass(frozen=True)
class Passages:
    hits: tuple[Hit, ...]
    coverage: float       # share of the question's weighted terms the best passage covers


def search(index: Index, q: Question, within: str = "", besides: str = "", said: str = "") -> Passages:
    """The best passages; with `within`, only that article's, `besides` (a passage id) and any
    repeating what was `said` left out: "还有呢" asks for more of the article an answer came from."""
    extra = tuple(dict.fromkeys(x for w in q.words for x in q.expansions.get(w, ()) if x not in q.words))
    cue = passage_cue(q.kind, q.text)
    depth = len(index.passages) if within else SEARCH_DEPTH
    hits = index.search(q.words, q.bigrams, k=depth, cue=cue, extra=extra)
    if within:
        hits = [h for h in hits if index.passages[h.doc].article_id == within
                and index.passages[h.doc].id != besides
                and not (said and said[:16] in normalize(index.passages[h.doc].text))][:SEARCH_DEPTH]
    coverage = max((covered(passage_text(index, h.doc), q) for h in hits[:COVERAGE_PASSAGES]), default=0.0)
    return Passages(tuple(hits), coverage)


def passage_text(index: Index, doc: int) -> str:
    """A passage with its article title and headings, normalised."""
    p = index.passages[doc]
    return normalize(p.text) + " " + field_text(p)


def covered(text_norm: str, q: Question) -> float:
    """Share of the question's weighted terms in a text, a word counting when a synonym or full
    form of it is there."""
    total = sum(q.weights.values()) or 1.0
    return sum(w for t, w in q.weights.items()
               if t in text_norm or any(x in text_norm for x in q.expansions.get(t, ()))) / total
