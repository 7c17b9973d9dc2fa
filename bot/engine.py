"""The answer engine: question -> short extractive answer with references, or an honest "not found".

Channels only translate: they call `Engine.ask` and render the `Answer`; the same question gets the
same answer everywhere. INTERFACE (stable, used by every channel); internals belong to [answers].
"""
from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from content.clean import is_han

if TYPE_CHECKING:
    from retrieval.index import Hit, Index, Passage, Query


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
    understood: tuple[tuple[str, str], ...] = field(default=())  # typos read otherwise: (typed, read)

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


# Abstention, calibrated on the dev set: the best passage (with its title and headings) must
# cover this share of the question's idf-weighted content, by words or by character bigrams.
MIN_COVERAGE = 0.2
MAX_UNKNOWN = 0.45
COVERAGE_PASSAGES = 3     # the best of these must cover the question
CANDIDATE_PASSAGES = 5    # sentences are chosen among these
PASSAGE_WEIGHT_POWER = 0.25
MAX_REFERENCES = 3
MAX_RELATED = 6
# An article is listed as related when its passage covers at least this share of what the best
# reference covers of the question.
RELATED_SHARE = 0.55


class Engine:
    """Loaded once per process; `ask` is pure CPU work taking milliseconds."""

    def __init__(self, index: Index, corpus: dict) -> None:
        from retrieval.normalize import normalize

        self._index = index
        # Sentences and passages of the top hits recur across questions: normalise each once.
        self._normalize = lru_cache(maxsize=65536)(normalize)
        self._by_id = {p.id: p for p in index.passages}
        self._toc = _toc_of(corpus)

    @classmethod
    def load(cls, corpus_path: Path | None = None) -> Engine:
        """Load the built corpus (building it when missing or stale) and index it."""
        from content.store import load_built

        return cls.from_loader(lambda: load_built(corpus_path))

    @classmethod
    def from_loader(cls, load: Callable[[], dict], cache_dir: Path | None = None) -> Engine:
        """Load the corpus, keep only its table of contents and hash, and let it go before the cached
        index is read (the corpus is needed again only when there is no cache): the two never share
        the memory peak."""
        from retrieval.index import build_index, content_hash_of, load_cached_index

        corpus = load()
        outline, digest = _outline(corpus), content_hash_of(corpus)
        del corpus
        index = load_cached_index(digest, cache_dir=cache_dir)
        return cls(index if index is not None else build_index(load(), cache_dir=cache_dir), outline)

    @classmethod
    def from_corpus(cls, corpus: dict, cache_dir: Path | None = None) -> Engine:
        """An engine over a content export object already in memory (tests, benchmarks)."""
        from retrieval.index import build_index

        return cls(build_index(corpus, cache_dir=cache_dir), corpus)

    def ask(self, question: str) -> Answer:
        from bot.reply import format_reply

        started = time.perf_counter()
        question = question if isinstance(question, str) else str(question)
        q = self._index.query(question)
        if not _has_content(q, self._index):
            return Answer(question, False, "", (), format_reply(False, "", (), prompt=True),
                          _ms(started), q.text)
        from retrieval.answer_types import answer_type, passage_cue

        hits = self._index.search(q, k=40, cue=passage_cue(answer_type(q.text), q.text))
        weights = _term_weights(q, self._index)
        found, answer, cited = False, "", None
        coverage = max((self._coverage(h.doc, weights) for h in hits[:COVERAGE_PASSAGES]), default=0)
        on_topic = coverage >= MIN_COVERAGE and _unknown_share(q, self._index) < MAX_UNKNOWN
        if on_topic:
            answer, cited, found = self._extract(q, hits, weights)
        refs = self._references(hits, first=cited)
        references, related = refs[:MAX_REFERENCES], refs[MAX_REFERENCES:MAX_REFERENCES + MAX_RELATED]
        if not found:
            answer = ""
        closeness = {r.passage_id: self._closeness(r.passage_id, weights) for r in references}
        shown = _shown(references, closeness, found, on_topic)
        reply = format_reply(found, answer, shown, understood=q.fixes)
        return Answer(question, found, answer, tuple(references), reply, _ms(started), q.text, tuple(related),
                      q.fixes)

    def more(self, question: str, skip: int = 3, count: int = 3) -> list[Reference]:
        """The next references after the first `skip`, for "更多"."""
        answer = self.ask(question)
        refs = list(answer.references) + list(answer.related)
        return [_rerank(r, i + 1) for i, r in enumerate(refs[skip : skip + count], start=skip)]

    def passage(self, passage_id: str) -> Reference | None:
        """A passage by id with its citation (rank 1, score 0), for "原文" after a restart."""
        p = self._by_id.get(passage_id)
        return None if p is None else _reference(p, 1, 0.0)

    def toc(self) -> list[TocEntry]:
        """Articles in reading order, grouped by source."""
        return list(self._toc)

    def _extract(self, q: Query, hits: list[Hit], weights: dict[str, float]) -> tuple[str, int, bool]:
        """The best sentence (or two) among the top passages, trimmed, the passage it comes from,
        and whether it answers (`_answers`)."""
        from retrieval import answer_types, extract, focus
        from retrieval.index import field_text

        normalize = self._normalize
        top = hits[:CANDIDATE_PASSAGES]
        kind = answer_types.answer_type(q.text)
        passages = [self._index.passages[h.doc] for h in top]
        passage_weights = [min(1.0, h.score / top[0].score) ** PASSAGE_WEIGHT_POWER for h in top]
        weights = extract.sentence_weights(weights, q.text, focus.focus_words(q.text, q.words))
        candidates = extract.pick_sentences(
            [p.text for p in passages], weights, kind, normalize, passage_weights,
            [field_text(p) for p in passages], q.text,
        )
        best = extract.choose(candidates, kind)
        text = extract.with_neighbour(best, candidates)
        norm = normalize(text)
        glosses = _glosses(q, self._index)
        before, after = focus.focus_sides(q.text, [w for w in q.words if w not in glosses])
        ok = self._answers(q, norm, kind, (before, after), glosses)
        answer = extract.trim(text, weights, normalize, kind, question_norm=q.text, focus=(before, after))
        return answer, top[best.passage_rank].doc, ok

    def _answers(self, q: Query, norm: str, kind: str | None, sides: tuple[str, str],
                 glosses: set[str]) -> bool:
        """Whether the chosen text answers: what is counted, dated, explained or whose holder is
        asked for must be in it. Other names are not checked: the words next to 哪个/什么 are
        often paraphrased."""
        from retrieval import answer_types, focus

        before, after = sides
        typed = answer_types.has_answer_type(norm, kind, q.text)
        if kind == "date":
            # The subject of a date question ("学院" in 学院是哪一年设立的) rather than its verb.
            subject = before or after
            # Strictly: a near miss ("学科" for 学院) is another thing with its own date.
            return typed and (not subject or focus.mentions(norm, subject))
        if kind == "number" and answer_types.is_duration_question(q.text):
            # "持续多久" may be answered by "历时…", but what lasted must be named: "最快3天即可放款"
            # does not say how long 杭州到上海 takes.
            rest = tuple(w for w in q.words if w not in glosses and w not in sides)
            return typed and self._mentions_any(norm, rest)
        if kind == "number":
            return typed and self._mentions_any(norm, sides)
        if kind == "reason":
            # A reason is often implicit: a causal word or the asked-about word itself will do.
            return typed or self._mentions_any(norm, sides)
        if "谁" in q.text:
            # "首任局长由谁担任": the role asked about must be in the answer, the person beside it.
            # Latin roles ("CEO") are left out: the documents usually write them in Chinese.
            role, _ = focus.focus_sides(q.text, [w for w in q.words if not w.isascii()])
            return not role or self._mentions(norm, role)
        if "哪家" in q.text:
            # 哪家 asks for an organisation: an answer naming none ("充电点位968个") is not one.
            return answer_types.names_an_organisation(norm)
        return True

    def _mentions_any(self, text_norm: str, words: tuple[str, ...]) -> bool:
        """True when no word is given, or the text mentions (or resembles) one of them."""
        from retrieval.focus import is_time_word

        present = [w for w in words if w]
        # "今年…来了多少游客": what is counted (游客), not when, must be there; Latin words
        # ("AI") are usually written in Chinese by the documents: both are weak evidence.
        present = [w for w in present if not is_time_word(w) and not w.isascii()] or present
        return not present or any(self._mentions(text_norm, w) for w in present)

    def _mentions(self, text_norm: str, word: str) -> bool:
        from retrieval.focus import resembles

        return resembles(text_norm, word, self._char_weight, self._index.tokenizer.words(text_norm))

    def _char_weight(self, ch: str) -> float:
        """idf of one character over the passages: a shared "案" says more than a shared "子"."""
        df = self._char_df.get(ch, 0)
        return math.log(1 + (len(self._index.passages) - df + 0.5) / (df + 0.5))

    @cached_property
    def _char_df(self) -> Counter[str]:
        """Passages holding each character, counted on first use (one pass, milliseconds at 1x)."""
        df: Counter[str] = Counter()
        for p in self._index.passages:
            df.update(set(p.text))
        return df

    def _closeness(self, passage_id: str, weights: dict[str, float]) -> float:
        """How much of the question a passage covers, its article title and headings included."""
        from retrieval.index import field_text

        p = self._by_id[passage_id]
        return _coverage(self._normalize(p.text) + " " + self._normalize(field_text(p)), weights)

    def _coverage(self, doc: int, weights: dict[str, float]) -> float:
        from retrieval.index import field_text

        p = self._index.passages[doc]
        return _coverage(self._normalize(p.text) + " " + self._normalize(field_text(p)), weights)

    def _references(self, hits: list[Hit], first: int | None) -> list[Reference]:
        """Passages deduplicated by article, the cited one first."""
        order = [h for h in hits if h.doc == first] + [h for h in hits if h.doc != first]
        seen: set[str] = set()
        out: list[Reference] = []
        for h in order:
            p = self._index.passages[h.doc]
            if p.article_id in seen:
                continue
            seen.add(p.article_id)
            out.append(_reference(p, len(out) + 1, h.score))
        return out


def _shown(references: list[Reference], closeness: dict[str, float], found: bool,
           on_topic: bool) -> list[Reference]:
    """The references a reply lists: the cited one, then only articles whose passage covers the
    question nearly as well as the best (a weak match is noise, not a lead); none at all for an
    off-topic question (天气, 笑话), whose reply points to the table of contents instead."""
    if not references or not on_topic:
        return []
    floor = RELATED_SHARE * max(closeness.values())
    first = [references[0]] if found else []
    return first + [r for r in references[len(first):] if closeness[r.passage_id] >= floor]


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _has_content(q: Query, index: Index) -> bool:
    """False for junk: nothing left after stopwords, or Latin-only chatter the corpus never mentions."""
    if not q.words and not q.bigrams:
        return False
    if any("\u3400" <= ch <= "\u9fff" for ch in q.text):
        return bool(q.words) or any(g in index.bi_body.idf for g in q.bigrams)
    # Latin only: at least half the words must be ones the documents use ("DeepSeek R1" yes,
    # "bonjour comment ça va" no).
    return sum(w in index.word_body.idf for w in q.words) * 2 >= len(q.words) > 0


def _glosses(q: Query, index: Index) -> set[str]:
    """Latin words the documents never use, in a Chinese question: glosses ("魔搭社区（ModelScope）")."""
    if not any(is_han(ch) for ch in q.text):
        return set()
    return {t for t in (*q.words, *q.bigrams) if t.isascii() and t not in index.word_body.idf}


def _term_weights(q: Query, index: Index) -> dict[str, float]:
    """idf of each question term (words and bigrams, each channel summing to 1); unknown terms
    get the highest idf: a word the documents never use is exactly what they do not answer."""
    out: dict[str, float] = {}
    glosses = _glosses(q, index)
    for terms, table in ((q.words, index.word_body.idf), (q.bigrams, index.bi_body.idf)):
        terms = [t for t in terms if t not in glosses]
        if not terms:
            continue
        top = table.max
        raw = {t: table.get(t, top) for t in terms}
        total = sum(raw.values()) or 1.0
        for t, w in raw.items():
            out[t] = out.get(t, 0.0) + w / total
    return out


def _unknown_share(q: Query, index: Index) -> float:
    """Share of the question's idf weight in words the documents never use, even as bigrams
    ("火星", "天气"): a question mostly about such things is about something else."""
    glosses = _glosses(q, index)
    words = [w for w in q.words if w not in glosses]
    # Each concept once: search mode's parts ("特斯", "斯拉") of a longer word ("特斯拉") drop out.
    words = [w for w in words if not any(w != o and w in o for o in words)]
    top = index.word_body.idf.max
    weights = {w: index.word_body.idf.get(w, top) for w in words}
    unknown = sum(weights[w] for w in words if w not in index.word_body.idf and not _bigrams_known(w, index))
    return unknown / (sum(weights.values()) or 1.0)


def _bigrams_known(word: str, index: Index) -> bool:
    grams = [word[i : i + 2] for i in range(len(word) - 1)] or [word]
    return all(g in index.bi_body.idf for g in grams)


def _coverage(text_norm: str, weights: dict[str, float]) -> float:
    """Share of the question's weighted terms found in a text (a passage with its title and headings)."""
    total = sum(weights.values()) or 1.0
    return sum(w for t, w in weights.items() if t in text_norm) / total


def _reference(p: Passage, rank: int, score: float) -> Reference:
    return Reference(rank=rank, source=p.source, article=p.article, section=p.section, page=p.page,
                     passage_id=p.id, score=round(float(score), 4), text=p.text)


def _rerank(ref: Reference, rank: int) -> Reference:
    return Reference(**{**asdict(ref), "rank": rank})


def _outline(corpus: dict) -> dict:
    """The corpus without its passages: all the table of contents needs."""
    articles = [{k: v for k, v in a.items() if k != "sections"} for a in corpus.get("articles", [])]
    return {"sources": corpus.get("sources", []), "articles": articles}


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
