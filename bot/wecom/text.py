"""Plain text for WeCom: passive replies show no HTML or markdown and hold at most 2048 bytes of UTF-8.

WeCom counts bytes, not characters, so trimming works on the encoded text and never splits a
character; it prefers to stop at a line or sentence end so the reply still reads as whole sentences.
"""
from __future__ import annotations

import re

from bot.engine import Answer

MAX_BYTES = 2048
ELLIPSIS = "…"
_ELLIPSIS_BYTES = len(ELLIPSIS.encode("utf-8"))
_SURROGATES = re.compile("[\ud800-\udfff]")
# Where a cut may end: after a line break or a sentence-ending mark (Chinese or ASCII).
_BOUNDARY = re.compile(r"[\n。！？；!?;…]")
# A boundary is used only if it keeps at least this share of the text that fits.
_MIN_KEEP = 0.5


def valid_utf8(text: str) -> str:
    """The text with lone surrogates (which cannot be encoded) replaced by U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def utf8_len(text: str) -> int:
    return len(valid_utf8(text).encode("utf-8"))


def trim_utf8(text: str, max_bytes: int = MAX_BYTES) -> str:
    """At most `max_bytes` of UTF-8: cut at a character boundary, preferably a sentence or line end,
    and mark the cut with "…" inside the limit."""
    text = valid_utf8(text)
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    if max_bytes < _ELLIPSIS_BYTES:
        return encoded[: max(max_bytes, 0)].decode("utf-8", "ignore")
    head = encoded[: max_bytes - _ELLIPSIS_BYTES].decode("utf-8", "ignore")
    ends = [m.end() for m in _BOUNDARY.finditer(head)]
    if ends and ends[-1] >= len(head) * _MIN_KEEP:
        head = head[: ends[-1]]
    return head.rstrip() + ELLIPSIS


def render_plain(answer: Answer, max_bytes: int = MAX_BYTES) -> str:
    """The WeCom reply to a question: the same plain-text reply (answer and citations) as every
    other channel, trimmed to WeCom's byte limit."""
    return trim_utf8(answer.reply, max_bytes)
