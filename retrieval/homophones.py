"""Pinyin-input typos: one character typed as a homophone ("锁短" for 缩短, "生态井长" for 生态警长).

Phones type Chinese by pinyin, so a typo is usually a character that sounds like the right one. A
span of the question the documents never contain, where swapping one character for a homophone
gives a word the documents use, in a context they use, is read as that word. Readings come from
`data/pinyin.tsv` (toneless; `python -m retrieval.homophones` regenerates it with pypinyin), so
nothing is downloaded and pypinyin is not needed at run time.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from content.clean import is_han

TABLE = Path(__file__).parent / "data" / "pinyin.tsv"
# A typo is looked for in words of 2 to LONGEST characters, in questions of at most
# LONGEST_QUESTION characters (a pasted page is not typed on a phone).
LONGEST = 4
LONGEST_QUESTION = 300
# How often jieba's dictionary must count a word for a typo without context to be read as it.
COMMON = 200


@dataclass(frozen=True)
class Span:
    """A word of the question (2+ characters) as jieba cuts it; `fixed` when the documents or the
    stopword lists know it, so none of its characters is taken for a typo."""

    start: int
    end: int
    fixed: bool


@dataclass(frozen=True)
class Fix:
    start: int
    end: int
    word: str


FIRST, LAST = 0x4E00, 0x9FFF  # the CJK Unified Ideographs block, where the table has readings
READINGS_PER_CHAR = 3


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, tuple[str, ...]]:
    """Per code point from FIRST, up to READINGS_PER_CHAR reading numbers (-1: none), and per
    reading number the characters that have it: half a megabyte, where dicts of strings took five."""
    numbers: dict[str, int] = {}
    sharing: list[list[str]] = []
    table = np.full((LAST - FIRST + 1, READINGS_PER_CHAR), -1, dtype=np.int16)
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        ch, _, spoken = line.partition("\t")
        for k, reading in enumerate(spoken.split()[:READINGS_PER_CHAR]):
            if reading not in numbers:
                numbers[reading] = len(sharing)
                sharing.append([])
            table[ord(ch) - FIRST, k] = numbers[reading]
            sharing[numbers[reading]].append(ch)
    return table, tuple("".join(chars) for chars in sharing)


@lru_cache(maxsize=1024)
def homophones(ch: str) -> str:
    """Characters sharing a reading with `ch` (tones ignored, as pinyin input ignores them)."""
    if len(ch) != 1 or not FIRST <= ord(ch) <= LAST:
        return ""
    table, sharing = _tables()
    found = "".join(sharing[n] for n in table[ord(ch) - FIRST] if n >= 0)
    return "".join(dict.fromkeys(c for c in found if c != ch))


@lru_cache(maxsize=1024)
def sounding_alike(ch: str) -> str:
    """Characters that have `ch`'s main reading (它 is read "ta", not "yi")."""
    if len(ch) != 1 or not FIRST <= ord(ch) <= LAST:
        return ""
    table, sharing = _tables()
    main = table[ord(ch) - FIRST, 0]
    return sharing[main].replace(ch, "") if main >= 0 else ""


def corrections(text: str, spans: Sequence[Span], vocabulary: Container[str], known_pairs: Container[str],
                is_attested: Callable[[str], bool], is_stop: Callable[[str], bool],
                common: Callable[[str], int] = lambda word: -1) -> list[Fix]:
    """The typos of a normalised question and the words they stand for.

    A window of 2 to LONGEST CJK characters is a typo when the documents never contain it, it cuts
    no word of the question in two, and swapping one of its free characters (not in a `fixed`
    word, not a stopword) for a homophone gives a word of the `vocabulary` (not a stopword), or
    for a character jieba cut as no word a string of three or more the documents contain, that
    the documents use next to
    the question's neighbouring character, or that stands alone between quotes or punctuation.
    Only a character forming a pair the documents never have (not in `known_pairs`) is a suspect,
    and only homophones that make such a pair one the documents have are tried. The longest such window
    wins for each character. A pair with no such context may still be a common word (`_common_word`)."""
    free = [is_han(ch) and not is_stop(ch) for ch in text]
    for span in spans:
        if span.fixed:
            free[span.start : span.end] = [False] * (span.end - span.start)

    inside = [False] * (len(text) + 1)  # a boundary at i would cut a word in two
    for span in spans:
        inside[span.start + 1 : span.end] = [True] * (span.end - span.start - 1)

    alone = [True] * len(text)  # in no word of two or more characters
    for span in spans:
        alone[span.start : span.end] = [False] * (span.end - span.start)

    def cuts_a_word(lo: int, hi: int) -> bool:
        return inside[lo] or inside[hi]

    def han(i: int) -> bool:
        return 0 <= i < len(text) and is_han(text[i])

    def bound(i: int) -> bool:  # a character that makes a word with its neighbour (not punctuation)
        return 0 <= i < len(text) and text[i].isalnum()

    def in_context(lo: int, hi: int, word: str) -> bool:
        if not bound(lo - 1) and not bound(hi):  # alone between quotes or punctuation
            return True
        around = [text[lo - 1] + word] if han(lo - 1) and not is_stop(text[lo - 1]) else []
        around += [word + text[hi]] if han(hi) and not is_stop(text[hi]) else []
        # a neighbour that is a function character alone ("能" of 智能) says more with the one before it
        around += [text[lo - 2 : lo] + word] if han(lo - 2) and han(lo - 1) and is_stop(text[lo - 1]) else []
        return any(is_attested(s) for s in around)

    def odd_pairs(pos: int) -> list[int]:  # a typo makes pairs of characters the documents never have
        return [i for i in (pos - 1, pos) if han(i) and han(i + 1) and text[i : i + 2] not in known_pairs]

    fixes: list[Fix] = []
    if len(text) > LONGEST_QUESTION:
        return fixes
    for pos in (i for i, ok in enumerate(free) if ok):
        odd = odd_pairs(pos)
        if not odd:
            continue
        # Homophones that turn one of those pairs into one the documents have: a few, often none.
        swaps: set[str] = set()
        for i in odd:
            before, after = (text[i], "") if i < pos else ("", text[pos + 1])
            swaps.update(h for h in homophones(text[pos]) if before + h + after in known_pairs)
        best: Fix | None = None
        for lo in range(max(0, pos - LONGEST + 1), pos + 1):
            for hi in range(max(pos + 1, lo + 2), min(len(text), lo + LONGEST) + 1):
                if not swaps or (best is not None and hi - lo <= best.end - best.start):
                    continue
                if not all(han(i) for i in range(lo, hi)) or cuts_a_word(lo, hi):
                    continue
                window = text[lo:hi]
                for other in sorted(swaps):
                    word = window[: pos - lo] + other + window[pos - lo + 1 :]
                    # a string the documents write (副院长, never a word of the index as jieba cuts
                    # it) will do for a character jieba left on its own ("付" in 付院长)
                    known = word in vocabulary or len(word) >= 3 and alone[pos] and is_attested(word)
                    if known and not is_stop(word) and in_context(lo, hi, word) \
                            and not is_attested(window):
                        best = Fix(lo, hi, word)
                        break
                if best is None and hi - lo == 2:
                    best = _common_word(text, lo, pos, swaps, vocabulary, known_pairs, is_attested, is_stop,
                                        common, alone)
        if best is not None and best not in fixes:
            fixes.append(best)
    return fixes


def _common_word(text: str, lo: int, pos: int, swaps: set[str], vocabulary: Container[str],
                 known_pairs: Container[str], is_attested: Callable[[str], bool],
                 is_stop: Callable[[str], bool], common: Callable[[str], int],
                 alone: Sequence[bool]) -> Fix | None:
    """A typo in the word a question asks about ("局张是谁", "哪一年成力的") often has no context
    the documents use, because the documents never state what is asked: two characters jieba
    could make no word of, neither a word of its dictionary, are read as a common word (one jieba
    counts COMMON times or more) that the documents use, sounding as the typed one's main reading,
    unless the swapped character already makes a pair the documents have with its other neighbour
    ("营收要" is no typo of 首要)."""
    window = text[lo : lo + 2]
    if not (alone[lo] and alone[lo + 1]) or common(window) >= 0 or is_attested(window):
        return None
    outside = pos - 1 if pos == lo else pos + 1
    if 0 <= outside < len(text) and is_han(text[outside]) and not is_stop(text[outside]) \
            and text[min(pos, outside) : max(pos, outside) + 1] in known_pairs:
        return None
    alike = sounding_alike(text[pos])
    readings = (window[: pos - lo] + o + window[pos - lo + 1 :] for o in swaps if o in alike)
    word = max(readings, key=common, default="")
    known = word in vocabulary and common(word) >= COMMON and not is_stop(word)
    return Fix(lo, lo + 2, word) if known else None


def apply(text: str, fixes: Sequence[Fix]) -> str:
    """The text with each fix in place (later ones first, so earlier offsets stay valid)."""
    for fix in sorted(fixes, key=lambda f: f.start, reverse=True):
        text = text[: fix.start] + fix.word + text[fix.end :]
    return text


def table_lines() -> list[str]:
    """The readings table from pypinyin (a development dependency: `pip install pypinyin`)."""
    from pypinyin.pinyin_dict import pinyin_dict

    lines = []
    for code in range(0x4E00, 0xA000):
        if code not in pinyin_dict:
            continue
        readings: list[str] = []
        for marked in pinyin_dict[code].split(","):
            bare = "".join(c for c in unicodedata.normalize("NFD", marked) if not unicodedata.combining(c))
            if bare not in readings:
                readings.append(bare)
        lines.append(f"{chr(code)}\t{' '.join(readings)}")
    return lines


if __name__ == "__main__":
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text("\n".join(table_lines()) + "\n", encoding="utf-8")
    print(f"wrote {TABLE}")
