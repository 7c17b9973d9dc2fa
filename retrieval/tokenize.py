"""Tokenising normalised text into words (jieba, search mode) and CJK character bigrams.

The same `Tokenizer` runs at index and at query time. Numbers with their units ("3800亿元", "4.8%")
and Latin tokens ("deepseek-r1", "qwen3") are cut out by regular expressions before jieba sees
the text, so they stay whole; jieba then segments only the Chinese runs.
"""
from __future__ import annotations

import contextlib
import os
import pickle
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from content.clean import HAN, is_han
from retrieval.stopwords import QUESTION_PATTERN, QUESTION_PHRASES, STOPWORDS

_UNITS = (
    "美元|欧元|元|人次|人|个|家|项|款|名|位|套|件|台|辆|艘|座|所|条|种|类|批|吨|千瓦时|千瓦|瓦|度|"
    "公里|千米|厘米|毫米|平方公里|平方米|米|亩|公顷|倍|岁|周年|年|月|日|号|天|小时|分钟|秒|周|次|届|期|版|页|强"
)
# One number, an optional magnitude (万, 亿, 千万…) and at most one unit: "3800亿元", "16年", "4.8%".
NUMBER = re.compile(rf"\d+(?:[.,]\d+)*(?:%|‰)?(?:[十百千万亿]{{1,2}})?(?:{_UNITS})?")
LATIN = re.compile(r"[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*|\d+[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*")
_SPECIAL = re.compile(f"{LATIN.pattern}|{NUMBER.pattern}")
_CJK = re.compile(f"[{HAN}]+")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*%?")


def special_tokens(span: str) -> list[str]:
    """A number or Latin span: itself, plus its bare number or hyphen parts (search mode's idea)."""
    out = [span]
    if span[0].isdigit():
        bare = _DIGITS.match(span)
        if bare and bare.group() != span:
            out.append(bare.group())
    elif "-" in span or "_" in span or "." in span:
        out.extend(p for p in re.split(r"[-_.]", span) if p)
    return out


class Tokenizer:
    """jieba (its own instance, never the global one) plus a corpus-generated user dictionary."""

    def __init__(self, user_words: Iterable[str] = (), cache_file: Path | None = None) -> None:
        jieba = import_jieba()
        self._jieba = jieba.Tokenizer()
        self._jieba.tmp_dir = writable_dir(cache_file.parent if cache_file is not None else None)
        if cache_file is not None and cache_file.is_file():
            try:
                # pickle, not jieba's marshal: it loads this 500,000-entry dict four times faster,
                # which is most of a cold start.
                with cache_file.open("rb") as f:
                    freq, total = pickle.load(f)
                if not isinstance(freq, dict) or not isinstance(total, int | float):
                    raise ValueError("not a jieba dictionary")  # another version's file: rebuild it
                self._jieba.FREQ, self._jieba.total = freq, total
                self._jieba.initialized = True
                return
            except Exception:  # noqa: BLE001 - unpickling garbage raises almost anything; rebuild it
                pass
        initialize(self._jieba)
        for word in user_words:
            # An explicit frequency skips jieba's suggest_freq, which re-segments every word.
            self._jieba.add_word(word, freq=max(self._jieba.FREQ.get(word) or 0, 5000))
        if cache_file is not None:
            try:
                cache_file.parent.mkdir(parents=True, exist_ok=True)
                # One temporary file per process: concurrent builders never interleave their writes.
                tmp = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
                with tmp.open("wb") as f:
                    pickle.dump((self._jieba.FREQ, self._jieba.total), f, protocol=pickle.HIGHEST_PROTOCOL)
                tmp.replace(cache_file)
            except OSError:
                pass

    def knows(self, word: str) -> bool:
        """Whether jieba's dictionary (with the corpus terms) has the word: a person's name it
        has not."""
        return bool(self._jieba.FREQ.get(word))

    def frequency(self, word: str) -> int:
        """How often jieba's dictionary counts the word; 0 for a mere prefix of one of its words
        ("小到" of 小到大), -1 when it has neither."""
        return self._jieba.FREQ.get(word, -1)

    def words(self, text: str) -> list[str]:
        """Content words of normalised text, in order, search mode (compounds and their parts)."""
        out: list[str] = []
        pos = 0
        for m in _SPECIAL.finditer(text):
            self._cjk_words(text[pos : m.start()], out)
            out.extend(t for t in special_tokens(m.group()) if t not in STOPWORDS)
            pos = m.end()
        self._cjk_words(text[pos:], out)
        return out

    def spans(self, text: str) -> list[tuple[str, int, int]]:
        """jieba's plain cut of each CJK run of the text, as (word, start, end) in the text."""
        return [(word, run.start() + lo, run.start() + hi)
                for run in _CJK.finditer(text)
                for word, lo, hi in self._jieba.tokenize(run.group(), HMM=False)]

    def _cjk_words(self, text: str, out: list[str]) -> None:
        for run in _CJK.findall(text):
            for word in self._jieba.cut_for_search(run, HMM=False):
                if len(word) > 1 and word not in STOPWORDS:
                    out.append(word)


def special_spans(text: str) -> list[re.Match[str]]:
    """Number and Latin spans, which `words` and `bigrams` keep whole ("17万个", "4.8%")."""
    return list(_SPECIAL.finditer(text))


def bigrams(text: str) -> list[str]:
    """Character bigrams of each CJK run (a lone character stays a unigram), plus Latin/number tokens.

    As Lucene's CJKAnalyzer does: it matches whatever jieba's segmentation of a phrase was.
    """
    out: list[str] = []
    for m in re.finditer(f"{_CJK.pattern}|{_SPECIAL.pattern}", text):
        run = m.group()
        if not is_han(run[0]):
            out.append(run)
        elif len(run) == 1:
            if run not in STOPWORDS:
                out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def strip_question_phrases(text: str) -> str:
    """Replace interrogative phrases with a break so their characters form no bigrams."""
    for phrase in QUESTION_PHRASES:
        text = text.replace(phrase, " ")
    return QUESTION_PATTERN.sub(" ", text)


def unique(tokens: Iterable[str]) -> list[str]:
    """Tokens in first-seen order, each once: a question repeating a word must not weigh it twice."""
    return list(dict.fromkeys(tokens))


def import_jieba():
    """jieba, imported without pkg_resources (a tenth of a cold start), and quiet.

    jieba only uses pkg_resources to open its own data files and falls back to a plain open when
    the import fails; hiding the module for that one import takes it off the start-up path."""
    import logging
    import sys

    if "jieba" not in sys.modules and "pkg_resources" not in sys.modules:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes the import fail
        try:
            import jieba
        finally:
            del sys.modules["pkg_resources"]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def initialize(jieba_tokenizer) -> None:
    """jieba's initialize, trusting its base-dictionary cache only when it has the right shape:
    jieba loads any marshal data there, and a foreign file would break every question."""
    jieba_tokenizer.initialize()
    if isinstance(jieba_tokenizer.FREQ, dict) and isinstance(jieba_tokenizer.total, int | float):
        return
    with contextlib.suppress(OSError):
        os.remove(os.path.join(jieba_tokenizer.tmp_dir or tempfile.gettempdir(), "jieba.cache"))
    jieba_tokenizer.FREQ, jieba_tokenizer.total, jieba_tokenizer.initialized = {}, 0, False
    jieba_tokenizer.initialize()


def writable_dir(path: Path | None) -> str | None:
    """`path` for jieba's own base-dictionary cache when we can write there (our private cache
    directory, not a shared /tmp); None (jieba's default) otherwise, e.g. on a read-only install,
    where jieba would log a traceback for every failed write."""
    if path is None:
        return None
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return str(path) if os.access(path, os.W_OK | os.X_OK) else None


def base_dictionary_has(cache_dir: Path | None = None):
    """A membership test on jieba's base dictionary, for telling real terms from fragments
    (its cache in `cache_dir`, else jieba's default temp directory)."""
    base = import_jieba().Tokenizer()
    base.tmp_dir = writable_dir(cache_dir)
    initialize(base)
    return lambda word: bool(base.FREQ.get(word))
