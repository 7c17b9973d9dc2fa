"""Stage 2, passage search: the passages that may answer a question, best first, and how well the
best of them covers it."""
from __future__ import annotations

import re
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
    # a name counts once, not again through each of its parts ("之江", "实验室" of 之江实验室)
    words = [w for w in q.words if not any(w != o and w in o and o in q.subjects for o in q.words)]
    hits = index.search(words, q.bigrams, k=depth, cue=cue, extra=extra)
    if within:
        hits = [h for h in hits if index.passages[h.doc].article_id == within
                and index.passages[h.doc].id != besides
                and not (said and said[:16] in normalize(index.passages[h.doc].text))][:SEARCH_DEPTH]
    hits = _quoted_first(index, q, hits)
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


# A term the question quotes ("“双总制”是啥意思"): the user copied it from the text.
_QUOTED = re.compile(r"[“「『\"]([\u4e00-\u9fff]{2,12})[”」』\"]")


def _quoted_first(index: Index, q: Question, hits: list[Hit]) -> list[Hit]:
    """The passages that use every term the question quotes first, in their order: a quoted
    term is what the user read, and the passage that uses it is where it is explained."""
    quoted = _QUOTED.findall(q.text)
    if not quoted:
        return hits
    using = [h for h in hits if all(t in normalize(index.passages[h.doc].text) for t in quoted)]
    return using + [h for h in hits if h not in using] if using else hits
