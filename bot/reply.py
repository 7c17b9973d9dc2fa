"""Plain-text replies: the answer, where it comes from, and a couple of related articles.

Pure formatting; Telegram and WeCom reuse `format_citation` so a citation reads the same everywhere.
"""
from __future__ import annotations

from collections.abc import Sequence

from bot import texts
from retrieval.answer import Reference

MAX_RELATED = 2


def format_citation(ref: Reference) -> str:
    """《source》 page, article › section, e.g. 《今日浙江 2025年第17期》第8页，勇立… › 强创新."""
    where = f"《{ref.source}》"
    if ref.page is not None:
        where += texts.PAGE.format(page=ref.page)
    title = ref.article
    if ref.section and ref.section != ref.article:
        title = f"{title} › {ref.section}" if title else ref.section
    return f"{where}，{title}" if title else where


def format_reply(found: bool, answer: str, references: Sequence[Reference], prompt: bool = False,
                 understood: Sequence[tuple[str, str]] = (), missing: str = "", read_as: str = "",
                 dangling: bool = False) -> str:
    """The reply a chat user reads: short enough for a phone screen without scrolling; it says
    which typed words were read as others (`understood`) and how a follow-up was read against the
    last question (`read_as`), so a wrong guess is seen, and which name the documents say nothing
    about (`missing`), so a decline is not a shrug. A follow-up with nothing to follow
    (`dangling`: "还有呢" as the first message, or after the context expired) asks for a question."""
    if prompt:
        return texts.NO_LAST_QUESTION if dangling else texts.ASK_PROMPT
    if not found:
        lines = [texts.NOT_FOUND_ABOUT.format(name=missing) if missing else texts.NOT_FOUND]
        closest = _distinct_articles(references)[:MAX_RELATED]
        if closest:
            lines.append(texts.NOT_FOUND_CLOSEST)
            lines.extend(f"· {_article_line(r)}" for r in closest)
    else:
        lines = [answer, "", texts.SOURCE_LABEL + format_citation(references[0])]
        related = [r for r in _distinct_articles(references[1:]) if r.article != references[0].article]
        if related:
            lines.append(texts.RELATED_LABEL)
            lines.extend(f"· {_article_line(r)}" for r in related[:MAX_RELATED])
    if understood:
        lines.append(understood_note(understood))
    if read_as:
        lines.append(texts.READ_AS.format(question=read_as))
    return "\n".join(lines)


def understood_note(understood: Sequence[tuple[str, str]]) -> str:
    """（已把“锁短”按“缩短”理解）"""
    return texts.UNDERSTOOD.format(pairs="，".join(texts.UNDERSTOOD_PAIR.format(typed=t, read=r)
                                                  for t, r in understood))


def _article_line(ref: Reference) -> str:
    page = texts.PAGE.format(page=ref.page) if ref.page is not None else ""
    return f"{ref.article}（《{ref.source}》{page}）" if ref.article else f"《{ref.source}》{page}"


def _distinct_articles(refs: Sequence[Reference]) -> list[Reference]:
    seen: set[tuple[str, str]] = set()
    out = []
    for r in refs:
        if (r.source, r.article) not in seen:
            seen.add((r.source, r.article))
            out.append(r)
    return out
