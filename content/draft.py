"""`zhewen content draft FILE`: propose a manifest for a new raw text, for a person to review.

It reads what the document itself prints. An OCR'd magazine or newspaper: table-of-contents lines
("08 标题/作者"), ■ and ● author lines, "——" subtitles and markdown headings, giving one [[articles]]
entry per article it can find. A plain-text document (意见, 通知, 报告) with none of those: its title
line, its lone date line and its numbering styles (一、 / （一） / 1. …), giving one article whose
sections are its numbered parts. Everything it guesses is marked TODO or commented, so review is quick.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from content import clean, plain


class DraftError(Exception):
    """The file cannot be drafted (missing, unreadable, empty); one line naming the problem."""


_TOC = re.compile(r"^[-#>\s]*(\d{2,3})\s+(.+?)(?:/(.+))?$")
_ISSUE = re.compile(r"(\d{4})年第(\d+)期")
_PUBLISHED = re.compile(r"(\d{1,2})月(\d{1,2})日出版")
_FILE_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_HEADING = re.compile(r"^(#{1,6})\s+(\S.*)$")
_BYLINE = re.compile(r"^(?:#{1,6}\s*)?(■|●)\s*(.+)$")


@dataclass
class _Article:
    title: str
    start: int                         # 0-based line
    page: int | None = None
    subtitle: str = ""
    authors: list[str] = field(default_factory=list)
    column: str = ""
    end: int = -1
    note: str = ""


def _q(text: str) -> str:
    """A TOML basic string (JSON string syntax is a subset of it for these characters)."""
    return json.dumps(text, ensure_ascii=False)


def _authors(text: str) -> list[str]:
    """Names from a byline or TOC tail; press-agency bylines without names are kept whole."""
    text = text.strip().rstrip("）)")
    names_part = re.sub(r"^(本刊记者|本报记者|本刊评论员|记者)\s*", "", text)
    if not names_part:
        return [text]
    names: list[str] = []
    for part in re.split(r"[\s、，,]+", names_part):
        if names and len(names[-1]) == 1 and len(part) == 1:  # "叶 慧" is one name
            names[-1] += part
        elif part and part != "等":
            names.append(part)
    return names


def _toc(lines: list[str]) -> list[_Article]:
    entries = []
    for i, line in enumerate(lines):
        match = _TOC.match(line.strip())
        if not match or not clean.has_han(match.group(2)) or len(match.group(2)) > 40:
            continue
        page, title, authors = match.groups()
        article = _Article(title=clean.remove_cjk_spaces(title), start=-1, page=int(page),
                           authors=_authors(authors) if authors else [])
        following = next((x.strip() for x in lines[i + 1: i + 4] if x.strip()), "")
        if following.startswith("——"):
            subtitle, _, tail = following.partition("/")
            article.subtitle = subtitle
            article.authors = article.authors or (_authors(tail) if tail else [])
        entries.append(article)
    return entries


def _title_line(lines: list[str], article: _Article, after: int) -> int:
    """Where the article starts after the TOC: its title line, or its ■ byline when the OCR printed
    that first (titles often land after the first column)."""
    key = clean.compact(article.title)
    title = next((i for i in range(after, len(lines))
                  if key and key == clean.compact(lines[i].lstrip("#").strip())), -1)
    if title < 0 or not article.authors:
        return title
    for i in range(max(after, title - 40), title):
        byline = _BYLINE.match(lines[i].strip())
        if byline and byline.group(1) == "■" and _authors(byline.group(2)) == article.authors:
            return i
    return title


def _next_lines(lines: list[str], i: int, count: int) -> list[str]:
    return [x.strip() for x in lines[i + 1:] if x.strip()][:count]


def _starts_article(lines: list[str], i: int, top_level: int) -> bool:
    """A heading opens an article when it is top-level or a byline/subtitle/continuation follows."""
    match = _HEADING.match(lines[i].strip())
    if not match or "。" in match.group(2) or _BYLINE.match(lines[i].strip()):
        return False
    if len(match.group(1)) == top_level:
        return True
    return any(_BYLINE.match(x) or x.startswith(("——", "（上接", "(上接"))
               for x in _next_lines(lines, i, 3))


def _headings(lines: list[str]) -> list[_Article]:
    """Articles of a source without a table of contents, from its headings and bylines."""
    levels = [len(m.group(1)) for m in (_HEADING.match(x.strip()) for x in lines) if m]
    if not levels:
        return []
    top = min(levels)
    articles: list[_Article] = []
    column = ""
    for i, line in enumerate(lines):
        byline = _BYLINE.match(line.strip())
        if byline and line.strip().startswith("#"):
            column = byline.group(2).strip()  # "## ■ 深交所ETF投资问答": a column label
            continue
        if column and _HEADING.match(line.strip()) or _starts_article(lines, i, top):
            title = _HEADING.match(line.strip()).group(2).strip()
            articles.append(_Article(title=title, start=i, column=column))
            column = ""
    return articles


def _fill(lines: list[str], articles: list[_Article], labels: bool) -> list[_Article]:
    """Ends, subtitles, authors; a second ■ byline inside an article starts a piece of its own.
    With `labels`, a ■ line marked as a heading ("## ■ 专栏名") is a column label, not a byline."""
    found = sorted((a for a in articles if a.start >= 0), key=lambda a: a.start)
    out: list[_Article] = []
    for n, article in enumerate(found):
        end = (found[n + 1].start - 1) if n + 1 < len(found) else len(lines) - 1
        while end > article.start and not lines[end].strip():
            end -= 1
        article.end = end
        pieces = [article]
        for i in range(article.start + 1, end + 1):
            stripped = lines[i].strip()
            byline = _BYLINE.match(stripped)
            if stripped.startswith("——") and not article.subtitle and i - article.start <= 3:
                article.subtitle = stripped
            if byline and labels and stripped.startswith("#"):
                pieces[-1].end = min(pieces[-1].end, i - 1)
                break
            if not byline or stripped.startswith("#") and byline.group(1) == "●":
                continue
            names = _authors(byline.group(2))
            following = _next_lines(lines, i, 1)
            if names[-1].endswith("电") and following and following[0].startswith("记者"):
                names = _authors(following[0])  # "● 新华社北京5月28日电" + "记者周圆、魏弘毅）"
            if not pieces[-1].authors:
                pieces[-1].authors = names
            elif byline.group(1) == "■" and names != pieces[-1].authors:
                pieces[-1].end = i - 1
                pieces.append(_Article(title=f"TODO: title of the piece by {' '.join(names)}",
                                       start=i, end=end, page=article.page, authors=names,
                                       column=article.column or article.title))
        out.extend(pieces)
    return out + [a for a in articles if a.start < 0]


def _heading_candidates(lines: list[str]) -> list[str]:
    """Short unpunctuated lines between two finished paragraphs: maybe headings printed without a
    marker, maybe a paragraph cut by a column. Listed for a person to decide."""
    from content.segment import noise_kind

    body = [line.strip() for line in lines if line.strip()]
    found = []
    for before, line, _ in zip(body, body[1:], body[2:], strict=False):
        if (line.startswith(("#", "●", "■", "-")) or line.endswith("——") or not 4 <= len(line) <= 24
                or re.search(r"[，,。；;：:！!？?、\"“”]", line) or noise_kind(line)):
            continue
        if len(before) > 30 and not before.startswith("#") and clean.ends_sentence(
                clean.clean_line(before)):
            found.append(line)
    return found


def decode(data: bytes, name: str = "the file") -> str:
    """Text of a file saved as UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030 (GBK, GB2312):
    the encodings Chinese offices save text in. Raises DraftError for anything else."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _looks_binary(text):
            return text.replace("\r\n", "\n").replace("\r", "\n")
    raise DraftError(f"cannot read {name}: not text in UTF-8 or GB18030 (GBK); save it as UTF-8 text")


def _looks_binary(text: str) -> bool:
    """Control characters other than line breaks and tabs: a binary file (a .docx or .pdf) decoded by
    GB18030, which accepts most byte sequences."""
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f" or ch == "\ufffd")
    return controls > max(2, len(text) // 1000)


def read_document(path: Path) -> str:
    """The decoded text of a document file; DraftError (one line) when missing, unreadable or empty."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise DraftError(f"no such file: {path}") from None
    except OSError as exc:
        raise DraftError(f"cannot read {path}: {exc.strerror or exc.__class__.__name__}") from None
    text = decode(data, str(path))
    if not text.strip():
        raise DraftError(f"{path} is empty")
    return text


def draft_manifest(path: Path, title: str | None = None, date: str | None = None,
                   kind: str | None = None, source_id: str | None = None, raw: str | None = None) -> str:
    """TOML text proposing metadata, articles and structure for the text file at `path`. Given values
    (from `zhewen content add`) replace the guesses; `raw` is the name the text is stored under."""
    path = Path(path)
    return draft_text(read_document(path), path.name, title=title, date=date, kind=kind,
                      source_id=source_id or path.stem, raw=raw or path.name)


def draft_text(text: str, name: str, *, title: str | None = None, date: str | None = None,
               kind: str | None = None, source_id: str, raw: str) -> str:
    """The manifest draft of a decoded text (see draft_manifest); `name` is the file it came from."""
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise DraftError(f"{name} is empty")
    toc = _toc(lines)
    if not toc and not _headings(lines):
        return _draft_plain(lines, name, title=title, date=date, kind=kind, source_id=source_id, raw=raw)
    issue, published = _ISSUE.search(text), _PUBLISHED.search(text)
    date_note = ""
    if date:
        pass
    elif issue and published:
        date = f"{issue.group(1)}-{int(published.group(1)):02d}-{int(published.group(2)):02d}"
    elif (match := _FILE_DATE.search(name)):
        date, date_note = match.group(0), "  # TODO: taken from the file name; check the text"
    if toc:
        after = max(i for i, x in enumerate(lines) if _TOC.match(x.strip()) and clean.has_han(x))
        for article in toc:
            article.start = _title_line(lines, article, after + 1)
        articles = _fill(lines, toc, labels=False)
    else:
        articles = _fill(lines, _headings(lines), labels=True)
    out = [
        f"# Draft manifest proposed by `zhewen content draft {name}`: review every entry,",
        "# then add errata, noise and splits as the build report (zhewen content build --report) shows.",
        "[source]",
        f"id = {_q(source_id)}",
        f"title = {_q(title or 'TODO title as printed' + (f' {issue.group(0)}' if issue else ''))}",
        f"kind = {_q(kind or ('magazine' if toc else 'newspaper'))}",
        f"date = {_q(date or '')}{date_note}",
        f"raw = {_q(raw)}",
        "",
        "[structure]",
        "headings = []",
    ]
    candidates = _heading_candidates(lines)
    if candidates:
        out.append("# Lines that may be headings printed without a marker (or paragraphs cut by a")
        out.append("# column): move the real headings into the list above.")
        out.extend(f"#   {_q(line)}" for line in candidates)
    out.append("")
    for article in articles:
        out.append("[[articles]]")
        out.append(f"title = {_q(article.title)}")
        if article.subtitle:
            out.append(f"subtitle = {_q(article.subtitle)}")
        out.append(f"authors = {json.dumps(article.authors, ensure_ascii=False)}")
        if article.column:
            out.append(f"column = {_q(article.column)}")
        if article.page is not None:
            out.append(f"page = {article.page}")
        if article.start >= 0:
            out.append(f"spans = [[{article.start + 1}, {article.end + 1}]]")
        else:
            out.append("# TODO: the title line was not found in the text; set its spans")
            out.append("spans = []")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _lit(pattern: str) -> str:
    """A regex as a TOML literal string (no backslash escaping), or a basic string if it holds '."""
    return f"'{pattern}'" if "'" not in pattern else _q(pattern)


def _draft_plain(lines: list[str], name: str, *, title: str | None, date: str | None, kind: str | None,
                 source_id: str, raw: str) -> str:
    """A plain-text document: its title line(s), lone date line and numbering styles, one article."""
    cleaned = [clean.clean_line(line.strip()) for line in lines]
    heading = "".join(cleaned[i] for i in plain.title_lines(cleaned))
    dates = [d for d in map(plain.date_of_line, cleaned) if d]
    date_note = ""
    if not date and dates:
        date, date_note = dates[0], "  # the document's date line"
    elif not date and (match := _FILE_DATE.search(name)):
        date, date_note = match.group(0), "  # TODO: taken from the file name; check the text"
    source_title = title or heading or "TODO title as printed"
    numbering = plain.numbering_in(cleaned)
    out = [
        f"# Draft manifest proposed for the plain-text document {name}. Check the title, date and heading",
        "# levels below, build (zhewen content build --report) and fix what the report shows;",
        "# content/README.md explains every option.",
        "[source]",
        f"id = {_q(source_id)}",
        f"title = {_q(source_title)}",
        f"kind = {_q(kind or 'document')}",
        f"date = {_q(date or '')}{date_note if date else '  # TODO: the date printed on the document'}",
        f"raw = {_q(raw)}",
        "",
        "[structure]",
        'layout = "plain"   # one paragraph a line (lines cut at a fixed width are joined)',
        "headings = []      # headings printed without a number (exact text of the line): level 1",
    ]
    patterns = [re.compile(style.pattern) for style, _ in numbering]
    body = [line for line in cleaned if line]
    signatures = {line for line, after in zip(body, body[1:], strict=False) if plain.date_of_line(after)}
    candidates = [line for line in _heading_candidates(lines)
                  if not any(p.match(clean.clean_line(line)) for p in patterns)
                  and clean.clean_line(line) not in signatures
                  and not plain.date_of_line(line) and not plain.furniture_kind(line)]
    if candidates:
        out.append("# Lines that may be headings printed without a number: copy real ones into the list")
        out.append("# above.")
        out.extend(f"#   {_q(line)}" for line in candidates)
    if numbering:
        out.append("# Numbered headings found in the text, outermost first: a line matching a pattern starts")
        out.append("# a section at that level. Change a level, or delete a pattern that is not a heading.")
    for level, (style, count) in enumerate(numbering, 1):
        out.append("")
        out.append(f"[[structure.heading_patterns]]   # {style.label} ({count} lines)")
        out.append(f"pattern = {_lit(style.pattern)}")
        out.append(f"level = {level}")
        if style.keep_number:
            out.append("keep_number = true   # the number is part of the heading's name")
    article = heading or source_title
    out += [
        "",
        "# One article holding the whole text. To split it, add an [[articles]] entry whose start is",
        '# the exact text of its first line (start = "附件"); each article runs until the next one starts.',
        "[[articles]]",
        f"title = {_q(article)}",
        "start = 1",
    ]
    return "\n".join(out) + "\n"
