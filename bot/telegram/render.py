"""Telegram HTML for answers, passages, further references and the table of contents (pure functions).

Telegram refuses a whole message whose HTML does not parse or whose text passes 4096 UTF-16 code
units, so every piece of text is cleaned and escaped, and trimming happens on plain text before it
is wrapped in a tag: a cut can never fall inside a tag or an entity.
"""
from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence

from bot import texts
from bot.engine import Answer, Reference, TocEntry
from bot.reply import format_citation, understood_note

MAX_UTF16 = 4096
ELLIPSIS = "…"
_SENTENCE_END = frozenset("。！？；!?;\n")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# (plain text, tag): the tag ("" for none) wraps that text only, so trimming text never touches tags
Part = tuple[str, str]


def clean(text: str) -> str:
    """Lone surrogates become U+FFFD and control characters go: httpx and Telegram refuse both."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return _CONTROL.sub("", text)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cost(char: str) -> int:
    return utf16_len(html.escape(char, quote=False))


def trim(text: str, budget: int) -> str:
    """`text` whose escaped form fits `budget` UTF-16 units, cut after a late enough sentence end."""
    text = clean(text)
    if utf16_len(html.escape(text, quote=False)) <= budget:
        return text
    if budget <= 0:
        return ""
    room = budget - 1  # for the ellipsis
    used = end = 0
    for end, char in enumerate(text):  # noqa: B007 - `end` is read after the loop
        cost = _cost(char)
        if used + cost > room:
            break
        used += cost
    cut = text[:end]
    sentence = max((i for i, c in enumerate(cut) if c in _SENTENCE_END), default=-1)
    if sentence >= len(cut) * 0.6:
        cut = cut[: sentence + 1]
    return cut.rstrip() + ELLIPSIS


def _wrap(text: str, tag: str) -> str:
    body = html.escape(text, quote=False)
    return f"<{tag}>{body}</{tag}>" if tag else body


def _tags_cost(tag: str) -> int:
    return 2 * len(tag) + 5 if tag else 0


def fit(parts: Sequence[Part], elastic: int | None = None, limit: int = MAX_UTF16) -> str:
    """Join parts as HTML within `limit`; the `elastic` part shrinks first, then anything past the limit."""
    parts = [(clean(text), tag) for text, tag in parts]
    if elastic is not None:
        fixed = sum(utf16_len(_wrap(t, g)) for i, (t, g) in enumerate(parts) if i != elastic)
        text, tag = parts[elastic]
        parts[elastic] = (trim(text, max(limit - fixed - _tags_cost(tag), 0)), tag)
    out: list[str] = []
    left = limit
    for text, tag in parts:
        piece = _wrap(text, tag)
        if utf16_len(piece) > left:
            short = trim(text, left - _tags_cost(tag))
            if short:
                out.append(_wrap(short, tag))
            break
        out.append(piece)
        left -= utf16_len(piece)
    return "".join(out)


# Citations read the same on every channel: the shared plain-text formatter, escaped here.
Cite = Callable[[Reference], str]


def render_answer(answer: Answer, cite: Cite = format_citation) -> str:
    """The answer first, then a compact block of sources; the polite reply when nothing was found."""
    if not answer.found:
        return fit([(answer.reply, "")], elastic=0)
    sources = "\n".join(f"{i}. {cite(ref)}" for i, ref in enumerate(answer.references, 1))
    parts: list[Part] = [(answer.answer, "")]
    if sources:
        parts += [("\n\n", ""), (texts.TG_SOURCES, "b"), ("\n", ""), (sources, "blockquote")]
    if answer.understood:
        parts += [("\n", ""), (understood_note(answer.understood), "i")]
    return fit(parts, elastic=0)


def render_passage(ref: Reference, cite: Cite = format_citation) -> str:
    """The whole passage under its citation, for 原文."""
    return fit([(cite(ref), "b"), ("\n\n", ""), (ref.text, "")], elastic=2)


def render_more(refs: Sequence[Reference], first_rank: int, cite: Cite = format_citation,
                excerpt_chars: int = 300) -> str:
    """Further references, each its citation and the start of its passage, for 更多."""
    parts: list[Part] = [(texts.TG_MORE_HEADING, "b")]
    for rank, ref in enumerate(refs, first_rank):
        parts += [("\n\n", ""), (f"{rank}. {cite(ref)}", "b"), ("\n", ""),
                  (trim(ref.text, excerpt_chars), "")]
    return fit(parts)


def toc_pages(entries: Sequence[TocEntry], per_page: int = 15) -> int:
    return max(1, math.ceil(len(entries) / per_page))


def render_toc(entries: Sequence[TocEntry], page: int, per_page: int = 15) -> str:
    """One page of the table of contents, with the source named whenever it changes."""
    if not entries:
        return html.escape(texts.TG_TOC_EMPTY, quote=False)
    total = toc_pages(entries, per_page)
    page = min(max(page, 0), total - 1)
    heading = texts.TG_TOC_HEADING
    if total > 1:
        heading += " " + texts.TG_TOC_POSITION.format(current=page + 1, total=total)
    parts: list[Part] = [(heading, "b")]
    source = None
    for entry in entries[page * per_page:(page + 1) * per_page]:
        if entry.source != source:
            source = entry.source
            parts += [("\n\n", ""), (source, "b")]
        where = texts.TG_PAGE.format(page=entry.page) + " " if entry.page is not None else ""
        authors = f"（{'、'.join(entry.authors)}）" if entry.authors else ""
        parts.append((f"\n{where}《{entry.title}》{authors}", ""))
    return fit(parts)
