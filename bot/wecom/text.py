"""Plain text for WeCom: passive replies show no HTML or markdown and hold at most 2048 bytes of UTF-8.

WeCom counts bytes, not characters, so trimming works on the encoded text and never splits a
character; it prefers to stop at a line or sentence end so the reply still reads as whole sentences.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot import texts
from bot.dialogue import Outcome, Step, stats_text
from bot.engine import Answer, Reference, TocEntry
from bot.reply import format_citation

MAX_BYTES = 2048
ELLIPSIS = "…"
_ELLIPSIS_BYTES = len(ELLIPSIS.encode("utf-8"))
_SURROGATES = re.compile("[\ud800-\udfff]")
# Where a cut may end: after a line break or a sentence-ending mark (Chinese or ASCII).
_BOUNDARY = re.compile(r"[\n。！？；!?;…]")
# A boundary is used only if it keeps at least this share of the text that fits.
_MIN_KEEP = 0.5
# Articles on one table-of-contents page, as Telegram's /toc shows them (fewer when bytes run out).
TOC_PER_PAGE = 15


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


def render_answer(answer: Answer, max_bytes: int = MAX_BYTES) -> str:
    """The app channel's reply: the shared reply, plus how to follow up when there is something to see."""
    reply = answer.reply
    if answer.references:
        reply = f"{reply}\n\n{texts.WECOM_FOLLOWUP_HINT}"
    return trim_utf8(reply, max_bytes)


def render_more(references: Sequence[Reference], max_bytes: int = MAX_BYTES) -> str:
    """The answer to "更多": the next references, numbered so "1"/"2"/"3" can pick one."""
    lines = [texts.WECOM_MORE_HEADING]
    lines += [f"{i}. {format_citation(ref)}" for i, ref in enumerate(references, 1)]
    return trim_utf8("\n".join([*lines, "", texts.WECOM_MORE_FOOTER]), max_bytes)


def render_passage(ref: Reference, max_bytes: int = MAX_BYTES) -> str:
    """The answer to "原文": where the passage comes from, then the passage itself."""
    return trim_utf8(f"{format_citation(ref)}\n\n{ref.text}", max_bytes)


def _toc_line(entry: TocEntry) -> str:
    page = texts.PAGE.format(page=entry.page) + " " if entry.page is not None else ""
    authors = f"（{'、'.join(entry.authors)}）" if entry.authors else ""
    return f"· {page}{entry.title}{authors}"


def _lines_bytes(lines: Sequence[str]) -> int:
    """Bytes the lines add to a text, each after its line break."""
    return sum(utf8_len(line) + 1 for line in lines)


def split_toc(entries: Sequence[TocEntry], budget: int, per_page: int = TOC_PER_PAGE) -> list[list[str]]:
    """The body lines of each page: at most `per_page` entries in at most `budget` bytes, the source
    named at the top of every page and wherever it changes; an entry too long for a page is trimmed."""
    pages: list[list[str]] = []
    lines: list[str] = []
    count, source = 0, None
    for entry in entries:
        line = _toc_line(entry)
        heading = [] if lines and entry.source == source else [f"《{entry.source}》"]
        if lines and (count == per_page or _lines_bytes([*lines, *heading, line]) > budget):
            pages.append(lines)
            lines, count, heading = [], 0, [f"《{entry.source}》"]
        if not lines:  # alone on a page: shorten the entry if even that does not fit
            line = trim_utf8(line, max(budget - _lines_bytes(heading) - 1, 0))
        lines += [*heading, line]
        count, source = count + 1, entry.source
    return [*pages, lines] if lines else pages


def render_toc(entries: Sequence[TocEntry], page: int = 1, max_bytes: int = MAX_BYTES,
               reply: str = texts.WECOM_TOC_REPLY) -> str:
    """Page `page` (from 1) of the articles with their pages, grouped by source, within `max_bytes`;
    with several pages a footer names the command for the next one ("{reply}“目录 2”…")."""
    if not entries:
        return texts.WECOM_TOC_EMPTY
    most = len(entries)  # no more pages than entries: the longest footer any page can have
    footer_bytes = max(utf8_len(texts.WECOM_TOC_NEXT.format(page=most, total=most, next=most, reply=reply)),
                       utf8_len(texts.WECOM_TOC_LAST.format(page=most, total=most)))
    pages = split_toc(entries, max_bytes - utf8_len(texts.WECOM_TOC_HEADING) - 2 - footer_bytes)
    total = len(pages)
    if not 1 <= page <= total:
        if total == 1:
            return texts.WECOM_TOC_ONE_PAGE.format(reply=reply)
        return texts.WECOM_TOC_NO_PAGE.format(total=total, reply=reply)
    lines = [texts.WECOM_TOC_HEADING, *pages[page - 1]]
    if page < total:
        lines += ["", texts.WECOM_TOC_NEXT.format(page=page, total=total, next=page + 1, reply=reply)]
    elif total > 1:
        lines += ["", texts.WECOM_TOC_LAST.format(page=page, total=total)]
    return trim_utf8("\n".join(lines), max_bytes)


@dataclass(frozen=True)
class Voice:
    """What a plain-text channel says where channels differ: its help, its prompt for an empty
    message, and how its TOC footer says to send the next page ("回复", "@我并回复", "输入")."""

    help: str
    empty: str = texts.ASK_PROMPT
    toc_reply: str = texts.WECOM_TOC_REPLY
    max_bytes: int = MAX_BYTES


def render_outcome(outcome: Outcome, toc: Callable[[], Sequence[TocEntry]], voice: Voice) -> str | None:
    """The plain-text reply to what the conversation path did (None: no reply, over the rate limit)."""
    step = outcome.step
    if step is Step.ANSWER:
        return outcome.reply
    if step is Step.EMPTY:
        return voice.empty
    if step is Step.HELP:
        return voice.help
    if step is Step.TOC:
        return render_toc(toc(), outcome.page, voice.max_bytes, voice.toc_reply)
    if step is Step.SILENT:
        return None
    if step is Step.STATS and outcome.stats is not None:
        return trim_utf8(stats_text(outcome.stats), voice.max_bytes)
    if step is Step.FOLLOWUP and outcome.followup is not None:
        listed = outcome.followup.references
        if outcome.followup.kind == "more":
            return render_more(listed, voice.max_bytes)
        return render_passage(listed[0], voice.max_bytes)
    return outcome.notice
