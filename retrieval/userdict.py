"""The jieba user dictionary, generated from the corpus itself and never typed in per question.

Sources of terms: quoted terms (“算力券”), 《》 titles, article titles and section headings cut at
punctuation, and frequent character n-grams that look like words (maximal, not starting or ending
with a function character).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from content.clean import HAN
from retrieval.stopwords import STOPWORDS

_QUOTED = re.compile(r"[“\"「『‘]([^”\"」』’]{2,12})[”\"」』’]")
_TITLED = re.compile(r"《([^》]{2,30})》")
_CJK_RUN = re.compile(f"[{HAN}]+")
_PIECES = re.compile(f"[^{HAN}]+")
# Characters that rarely begin or end a term; n-grams bounded by them are phrase fragments.
_EDGE = set(
    "的了着过和与及或而并也都还又就才再在于从对向把被给将让由以为因但这那其之等是有个些一该此每各所已会能可要应"
    "里上中内外前后时不很更最"
)


def _cjk_only(term: str) -> bool:
    return bool(_CJK_RUN.fullmatch(term))


def quoted_terms(text: str) -> set[str]:
    return {m for m in _QUOTED.findall(text) if _cjk_only(m)} | {
        m for m in _TITLED.findall(text) if _cjk_only(m)
    }


def heading_terms(headings: Iterable[str]) -> set[str]:
    """Pieces of titles and headings between punctuation and spaces, 2 to 10 characters."""
    out: set[str] = set()
    for heading in headings:
        out.update(p for p in _PIECES.split(heading) if 2 <= len(p) <= 10)
    return out


def frequent_ngrams(texts: Iterable[str], is_word: Callable[[str], bool] = lambda w: False,
                    min_count: int = 4, sizes: range = range(3, 7), min_variety: int = 3) -> set[str]:
    """CJK n-grams seen `min_count` times with varied neighbours on both sides (accessor variety).

    A fragment such as "近平总书记关" always has the same neighbour ("习"); a real term such as
    "中控技术" follows and precedes many different characters. Edge characters are excluded too, and
    so is an n-gram whose first (last) character mostly forms a known word with its neighbour, as
    "业企业" does in 产业企业, 工业企业 (`is_word` asks the base dictionary).
    """
    runs = [f"^{run}$" for text in texts for run in _CJK_RUN.findall(text)]
    counts: Counter[str] = Counter(
        padded[i : i + n] for padded in runs for n in sizes for i in range(1, len(padded) - n)
    )
    # Neighbours only for the frequent candidates: a second pass keeps memory flat on big corpora.
    candidates = {g for g, c in counts.items() if c >= min_count and g[0] not in _EDGE and g[-1] not in _EDGE}
    del counts
    left: dict[str, set[str]] = {g: set() for g in candidates}
    right: dict[str, set[str]] = {g: set() for g in candidates}
    for padded in runs:
        for n in sizes:
            for i in range(1, len(padded) - n):
                g = padded[i : i + n]
                if g in candidates:
                    left[g].add(padded[i - 1])
                    right[g].add(padded[i + n])
    out = set()
    for g in candidates:
        if len(left[g]) < min_variety or len(right[g]) < min_variety:
            continue
        glued_left = sum(is_word(ch + g[0]) for ch in left[g]) / len(left[g])
        glued_right = sum(is_word(g[-1] + ch) for ch in right[g]) / len(right[g])
        if glued_left < 0.5 and glued_right < 0.5:
            out.add(g)
    return out


def build_user_words(texts: Iterable[str], headings: Iterable[str],
                     is_word: Callable[[str], bool] = lambda w: False) -> list[str]:
    """All generated terms, sorted for a stable dictionary (and so a stable cache)."""
    texts = list(texts)
    words = set().union(*(quoted_terms(t) for t in texts)) if texts else set()
    words |= heading_terms(headings)
    words |= frequent_ngrams(texts, is_word)
    return sorted(w for w in words if w not in STOPWORDS and len(w) >= 2)
