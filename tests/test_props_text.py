"""Property tests for the text path every channel shares: normaliser, tokenizer, answer engine.

Users paste anything: lone surrogates (a JSON string cut inside an emoji), control and zero-width
characters, right-to-left text, 100 000 characters. None of it may raise, and an answer is always a
quote of the passage it cites. Renderers are covered in test_props_render.py.
"""
from __future__ import annotations

import json
import random
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine import Answer, Engine
from retrieval.normalize import normalize
from retrieval.stopwords import STOPWORDS
from retrieval.tokenize import bigrams

# Pieces users really send, mixed with any code point: corpus words (so some questions are found),
# markup, SQL, zero-width and bidi marks, controls, emoji sequences, full-width and RTL scripts.
FRAGMENTS = [
    "浙江", "大模型", "有多少", "备案", "人工智能", "算力券", "DeepSeek-R1", "什么时候", "为什么",
    "谁", "？", "。",
    "<b>", "</i>", "&amp;", "&", "<script>alert(1)</script>", "'; DROP TABLE queries;--", "]]>", "\\",
    "\u200b", "\u200d", "\u202e", "\u200f", "\u2066", "\ufeff", "\u00ad", "\x00", "\x07", "\x1b[31m", "\r\n",
    "\t", "\u3000", "😀", "👨‍👩‍👧", "🇨🇳", "ｈｅｌｌｏ　ｗｏｒｌｄ", "ＡＩ", "مرحبا", "שלום",
    "臺灣經濟", "\ud800", "\udfff",
    "e\u0301", "ﬁ", "Ⅻ", "①", "½",
]
NASTY = st.lists(
    st.one_of(st.characters(), st.characters(categories=["Cs"]), st.sampled_from(FRAGMENTS)), max_size=120,
).map("".join)

_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d",
              "\u202e", "\u2060", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff", "\u00ad"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@settings(max_examples=200, deadline=None)
@given(NASTY)
def test_normalize_never_raises_and_leaves_no_invisible_or_control_characters(text: str) -> None:
    out = normalize(text)
    assert out == out.strip()
    assert "  " not in out
    for ch in out:
        assert ch not in _INVISIBLE, repr(out)
        assert ch == " " or unicodedata.category(ch)[0] != "C", repr(out)


@settings(max_examples=150, deadline=None)
@given(NASTY)
def test_tokens_are_pieces_of_the_normalised_text(engine: Engine, text: str) -> None:
    """Words and bigrams come from the text itself, never contain spaces, and skip stopwords."""
    norm = normalize(text)
    tokenizer = engine.pipeline.index.tokenizer
    for word in tokenizer.words(norm):
        assert word and " " not in word and word in norm and word not in STOPWORDS
    for gram in bigrams(norm):
        assert gram and " " not in gram and gram in norm


def _check(answer: Answer, question: str) -> None:
    """What every channel relies on, whatever the question was."""
    assert answer.question == question
    assert answer.reply.strip()
    assert len(answer.references) <= 3
    # One passage per article, but the cited article may give a second one (its answer runs on).
    places = [(r.source, r.article) for r in answer.references]
    assert places[1:].count(places[0]) <= 1 if places else True
    others = [p for p in places if p != places[0]]
    assert len(set(others)) == len(others)
    if answer.found:
        assert answer.answer and answer.references
        assert answer.answer in answer.reply
        # extractive: every piece between trimming marks is a quote of the cited passage
        pieces = [p for p in answer.answer.split("…") if p]
        assert pieces and all(p in answer.references[0].text for p in pieces), answer.answer
    else:
        assert answer.answer == ""
    json.dumps(answer.to_json(), ensure_ascii=False)


@settings(max_examples=200, deadline=None)
@given(NASTY)
def test_engine_answers_any_string(engine: Engine, question: str) -> None:
    _check(engine.ask(question), question)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS[:12]), min_size=1, max_size=8).map("".join))
def test_engine_answers_questions_made_of_corpus_words(engine: Engine, question: str) -> None:
    """Questions close to the documents reach the found=True path and its quoting."""
    _check(engine.ask(question), question)


def _huge() -> list[tuple[str, str]]:
    rng = random.Random(17)
    corpus_chars = "浙江省人工智能大模型产业数字经济发展创新高地杭州宁波算力"
    return [
        ("repeated-question", "浙江有多少款大模型通过备案？" * 7200),
        ("random-cjk", "".join(rng.choice(corpus_chars) for _ in range(100_000))),
        ("latin", "hello world " * 8400),
        ("zero-width", "\u200b" * 100_000),
        ("emoji", "😀" * 100_000),
        ("rtl", "\u202eمرحبا " * 16_700),
        ("surrogates", "\ud800" * 100_000),
        ("controls", "\x00\x01\x1b" * 33_400),
    ]


@pytest.mark.parametrize(("name", "question"), _huge(), ids=[n for n, _ in _huge()])
def test_engine_answers_100_000_characters(engine: Engine, name: str, question: str,
                                           slowness: float) -> None:
    assert len(question) >= 100_000
    answer = engine.ask(question)
    _check(answer, question)
    assert answer.latency_ms < 5000 * slowness  # linear work; a quadratic regex would take minutes


@settings(max_examples=100, deadline=None)
@given(NASTY, st.integers(0, 10), st.integers(0, 6))
def test_more_and_passage_never_raise(engine: Engine, question: str, skip: int, count: int) -> None:
    refs = engine.more(question, skip=skip, count=count)
    assert len(refs) <= max(count, 0)
    assert [r.rank for r in refs] == list(range(skip + 1, skip + 1 + len(refs)))
    assert engine.passage(question) is None or question in {p.id for p in engine.pipeline.index.passages}
