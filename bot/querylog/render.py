"""Plain-text tables for a terminal, measured in display cells so Chinese text lines up."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

ELLIPSIS = "…"
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]+")


def char_width(char: str) -> int:
    """Cells one character takes: 2 for wide/fullwidth (CJK), 0 for combining marks, else 1."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    return sum(char_width(c) for c in text)


def one_line(text: object) -> str:
    """Cell text on one line: newlines, tabs, control and zero-width characters become one space."""
    return _INVISIBLE.sub(" ", "" if text is None else str(text)).strip()


def truncate(text: str, width: int) -> str:
    """Cut `text` to at most `width` cells, ending in … when cut; never splits a wide character."""
    if display_width(text) <= width:
        return text
    kept, used = [], 0
    for char in text:
        cells = char_width(char)
        if used + cells > width - 1:
            break
        kept.append(char)
        used += cells
    return "".join(kept) + ELLIPSIS


def pad(text: str, width: int, *, right: bool = False) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *,
          max_widths: Sequence[int | None] | None = None, numeric: Sequence[bool] | None = None) -> str:
    """An aligned table: header, a rule, one line per row; numbers right-aligned, long cells cut."""
    limits = list(max_widths or [None] * len(headers))
    right = list(numeric or [False] * len(headers))
    cells = [[truncate(one_line(v), limits[i]) if limits[i] else one_line(v) for i, v in enumerate(row)]
             for row in rows]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(pad(h, widths[i], right=right[i]) for i, h in enumerate(headers)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(pad(c, widths[i], right=right[i]) for i, c in enumerate(r)).rstrip() for r in cells]
    return "\n".join(lines)


def fit_widths(headers: Sequence[str], rows: Sequence[Sequence[object]], caps: Sequence[int | None],
               flexible: int, total: int, minimum: int = 20) -> list[int | None]:
    """Column limits for a table at most `total` cells wide: each column keeps its cap (or its
    content, when narrower), and column `flexible` gets whatever room is left, at least `minimum`
    cells, or no limit when its whole content fits."""
    natural = [max([display_width(h)] + [display_width(one_line(r[i])) for r in rows])
               for i, h in enumerate(headers)]
    used = [min(n, c) if c else n for n, c in zip(natural, caps, strict=True)]
    room = total - sum(w for i, w in enumerate(used) if i != flexible) - 2 * (len(headers) - 1)
    limits = list(caps)
    limits[flexible] = None if natural[flexible] <= room else max(room, minimum)
    return limits
