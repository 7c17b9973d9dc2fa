"""Rules for plain-text documents (意见, 通知, 办法, 报告 saved as text, not OCR'd print).

Such a text has one paragraph per line (or lines hard-wrapped at a fixed width), numbered headings
(一、 / （一） / 1. / 第X章 …), a title on its first line and a lone date line near the end. The
draft (content/draft.py) proposes heading patterns from `NUMBERING`; the build (content/segment.py)
applies the ones a manifest lists. Every function here is pure.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from content.manifest import HeadingPattern

_CN_NUMBER = "一二三四五六七八九十百零〇"


@dataclass(frozen=True)
class Numbering:
    """One numbering style of Chinese official documents."""

    label: str                 # as printed, for people: 一、
    pattern: str               # matched at the start of a cleaned line
    keep_number: bool = False  # 第一章 总则 keeps its number; 一、总体要求 becomes 总体要求


# Outermost first: the order GB/T 9704 and common practice nest them. The draft gives each style
# found in a document the next level, so a 意见 with 一、/（一）/1. gets levels 1/2/3.
NUMBERING: tuple[Numbering, ...] = (
    Numbering("第X章", f"^第[{_CN_NUMBER}\\d]+章", keep_number=True),
    Numbering("第X节", f"^第[{_CN_NUMBER}\\d]+节", keep_number=True),
    Numbering("第X条", f"^第[{_CN_NUMBER}\\d]+条", keep_number=True),
    Numbering("【…】", "^【(?P<title>[^】]{1,30})】"),
    Numbering("一、", f"^[{_CN_NUMBER}]+、"),
    Numbering("（一）", f"^[（(][{_CN_NUMBER}]+[）)]"),
    Numbering("1.", r"^\d{1,2}[.、](?!\d)"),
    Numbering("（1）", r"^[（(]\d{1,2}[）)]"),
)

_SENTENCE_END = re.compile(r"[。！？；!?;]")
_PUNCTUATED = re.compile(r"[，,。；;：:！!？?]")
# A title run into its paragraph: "指导思想。全面贯彻……", "实施“人工智能+”行动。……" (a title has
# no comma: "到2027年，建成……。" is a sentence, not a title).
_RUN_IN = re.compile(r"^(?P<title>[^。！？；;：:，,]{2,30})[。：:](?P<body>.+)$")
_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0}
_DATE = re.compile(r"^[（(]?(\d{4}|[〇零一二三四五六七八九]{4})年([\d一二三四五六七八九十]{1,3})月"
                   r"([\d一二三四五六七八九十]{1,3})日[）)]?$")
_DOCUMENT_NUMBER = re.compile(r"^\S{1,16}[〔\[［(（]\d{4}[〕\]］)）]\d{1,4}号$")
_PUBLICATION_NOTE = re.compile(r"^[（(]此件\S{2,8}[）)]$")
_ATTACHMENT = re.compile(r"^附件\s*\d{0,2}[:：]?$")
# "本意见自2025年4月1日起施行": the closing clause of the whole document, not of its last part.
_IN_FORCE = re.compile(r"^本\S{1,8}?自.{2,24}?起(?:施行|实施|执行|生效)")
# Official titles end with the kind of document they are.
_GENRE = re.compile(r"(意见|通知|办法|方案|规定|决定|报告|纲要|条例|规划|细则|措施|公告|通告|批复|决议|"
                    r"计划|规则|要点|指引|清单|指南|说明|讲话|通报|函)$")


def _cn_int(text: str) -> int:
    """12, 十二, 二十, 三十一 → int (the 1–31 range dates use)."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return int("".join(str(_DIGITS[c]) for c in text))
    tens, _, ones = text.partition("十")
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)


def date_of_line(text: str) -> str | None:
    """The ISO date of a line holding only a date ("2025年3月5日", "（二〇二五年三月五日）"), else None."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    year, month, day = match.groups()
    year = year if year.isdigit() else "".join(str(_DIGITS[c]) for c in year)
    try:
        m, d = _cn_int(month), _cn_int(day)
    except KeyError:
        return None
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return None
    return f"{int(year):04d}-{m:02d}-{d:02d}"


def furniture_kind(text: str) -> str | None:
    """Lines that describe the document rather than say anything: its number, its publication note,
    the 附件 label above an attachment."""
    if _DOCUMENT_NUMBER.match(text):
        return "document number"
    if _PUBLICATION_NOTE.match(text):
        return "publication note"
    if _ATTACHMENT.match(text):
        return "attachment label"
    return None


def is_sentence(text: str) -> bool:
    """Has sentence punctuation: content, never page furniture."""
    return bool(_PUNCTUATED.search(text))


def is_closing(text: str) -> bool:
    """The clause putting the document in force, which belongs to the document, not a section."""
    return bool(_IN_FORCE.match(text))


def is_label(text: str) -> bool:
    """A short line without sentence punctuation: a title, heading or signature, not a paragraph."""
    return 0 < len(text) <= 40 and not is_sentence(text)


def split_heading(text: str, pattern: HeadingPattern) -> tuple[str, str] | None:
    """(heading, first paragraph) of a line the pattern numbers, or None when it does not match.

    "（一）指导思想。全面贯彻……" → ("指导思想", "全面贯彻……"); "一、总体要求" → ("总体要求", "");
    "第一章 总则" → ("第一章 总则", ""); "第五条 为了……。" → ("第五条", "为了……。"). A numbered
    sentence with no title of its own ("1.到2027年，……。") gives ("", the whole line): it ends the
    sections at its level and stays a paragraph, number included."""
    match = pattern.match(text)
    if not match:
        return None
    number, rest = match.group(0).strip(), text[match.end():].strip()
    if "title" in match.re.groupindex:
        return match.group("title").strip(), rest
    standalone = 0 < len(rest) <= 40 and not _SENTENCE_END.search(rest)
    if pattern.keep_number:
        if standalone:
            return f"{number} {rest.rstrip('：:')}", ""
        return number, rest
    if not rest:
        return number, ""
    if standalone:
        return rest.rstrip("：:"), ""
    run_in = _RUN_IN.match(rest)
    if run_in:
        return run_in.group("title"), run_in.group("body").strip()
    return "", text


def find_heading(text: str, patterns: Sequence[HeadingPattern]) -> tuple[int, str, str] | None:
    """(level, heading, first paragraph) by the first pattern that numbers this line."""
    for pattern in patterns:
        found = split_heading(text, pattern)
        if found is not None:
            return pattern.level, found[0], found[1]
    return None


def numbering_in(lines: Sequence[str], minimum: int = 2) -> list[tuple[Numbering, int]]:
    """The numbering styles a text uses (each on at least `minimum` lines), outermost first, with
    how many lines each numbers."""
    found = []
    for style in NUMBERING:
        regex = re.compile(style.pattern)
        count = sum(1 for line in lines if regex.match(line))
        if count >= minimum:
            found.append((style, count))
    return found


def wrap_width(lengths: Sequence[int]) -> int:
    """The width a hard-wrapped text was wrapped at: most of its lines are that long. For a text with
    one paragraph per line this is a long paragraph's length, so no line counts as wrapped."""
    ordered = sorted(n for n in lengths if n)
    return ordered[int(0.9 * (len(ordered) - 1))] if ordered else 0


def is_wrapped(length: int, width: int) -> bool:
    """A line filling the wrap width was cut there: its paragraph goes on in the next line."""
    return width > 0 and length >= 0.9 * width


def title_lines(lines: Sequence[str]) -> list[int]:
    """Indices of the title at the top of a text: its first line, and the second when the first does
    not end the title ("……关于加快推进" + "低空经济发展的实施意见")."""
    body = [(i, line.strip()) for i, line in enumerate(lines) if line.strip()]
    if not body or not is_title_like(body[0][1]):
        return []
    first = [body[0][0]]
    if len(body) > 1 and not _GENRE.search(body[0][1]) and _GENRE.search(body[1][1]) \
            and is_title_like(body[1][1]):
        first.append(body[1][0])
    return first


def is_title_like(text: str) -> bool:
    """Could be a document's title line: not too long, no sentence, not a number, date or heading."""
    return (0 < len(text) <= 80 and not _SENTENCE_END.search(text) and not date_of_line(text)
            and not furniture_kind(text) and not any(re.match(s.pattern, text) for s in NUMBERING))
