"""Text normalisation shared by indexing and querying, so both sides see the same characters."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Zero-width and bidi marks survive NFKC and would split words invisibly.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")
# One character in brackets inside a word gives its alternative: "方（梯）队" is 方队 and 梯队.
_ALTERNATIVE = re.compile(r"([\u4e00-\u9fff])\(([\u4e00-\u9fff])\)([\u4e00-\u9fff])")
# OCR reads the ellipsis "……" as a run of middle dots ("质量管控水平·····在宁波市").
_DOT_RUN = re.compile("[·•・‧]{3,}")


@lru_cache(maxsize=1)
def _t2s():
    """The OpenCC converter, built on first use (a few milliseconds)."""
    import opencc

    return opencc.OpenCC("t2s")


def strip_controls(text: str) -> str:
    """Drop invisible format characters and control characters (keeping ordinary whitespace)."""
    text = _INVISIBLE.sub("", text)
    return "".join(ch for ch in text if ch in "\t\n " or unicodedata.category(ch)[0] != "C")


def to_simplified(text: str) -> str:
    """Traditional -> Simplified Chinese; plain ASCII is returned untouched without calling OpenCC."""
    if text.isascii():
        return text
    return _t2s().convert(text)


def normalize(text: str) -> str:
    """NFKC, invisible characters removed, Simplified Chinese, lower-case Latin, single spaces,
    a bracketed alternative spelled out (方(梯)队 -> 方队、梯队, so either word is found)."""
    text = unicodedata.normalize("NFKC", text)
    text = strip_controls(text)
    text = to_simplified(text).lower()
    text = _ALTERNATIVE.sub(r"\1\3、\2\3", text) if "(" in text else text
    return _SPACES.sub(" ", text).strip()


def display_text(text: str) -> str:
    """A passage as users read it: an OCR run of middle dots becomes the ellipsis it was."""
    return _DOT_RUN.sub("……", text)
