"""`zhewen content draft FILE`: propose a manifest for a new raw text, for a person to review.

It reads what the document itself prints: table-of-contents lines ("08 标题/作者"), ■ author lines
and markdown/● headings, and writes TOML with one [[articles]] entry per article it can find.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from content import clean


class DraftError(Exception):
    """The file cannot be drafted (missing, unreadable, empty); one line naming the problem."""


_TOC = re.compile(r"^(?:[-#>\s]*)(\d{2,3})\s+(.+?)(?:/(.+))?$")
_ISSUE = re.compile(r"(\d{4})年第(\d+)期")
_PUBLISHED = re.compile(r"(\d{1,2})月(\d{1,2})日出版")


def _q(text: str) -> str:
    """A TOML basic string (JSON string syntax is a subset of it for our characters)."""
    return json.dumps(text, ensure_ascii=False)


def _authors(text: str) -> list[str]:
    text = re.sub(r"^(本刊(记者|评论员)?|新华社记者)\s*", "", text.strip())
    parts = re.split(r"\s{1,}", text)
    # Two-character names set with a space ("叶 慧") are rejoined.
    names: list[str] = []
    for part in parts:
        if names and len(names[-1]) == 1 and len(part) == 1:
            names[-1] += part
        elif part:
            names.append(part)
    return [n for n in names if n != "等"]


def _toc(lines: list[str]) -> list[dict]:
    entries = []
    for line in lines:
        match = _TOC.match(line.strip())
        if not match or not clean.has_han(match.group(2)) or len(match.group(2)) > 40:
            continue
        page, title, authors = match.groups()
        entries.append({"page": int(page), "title": clean.remove_cjk_spaces(title),
                        "authors": _authors(authors or "")})
    return entries


def _find_line(lines: list[str], title: str) -> int | None:
    """The first line after the TOC that prints this title (compared without spaces/punctuation)."""
    key = clean.compact(title)
    for i, line in enumerate(lines):
        if key and key == clean.compact(line.lstrip("#").strip()) and not _TOC.match(line.strip()):
            return i
    return None


def draft_manifest(path: Path) -> str:
    """TOML text proposing metadata, article spans and empty errata/noise sections."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DraftError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DraftError(f"cannot read {path}: {exc.__class__.__name__}; give a UTF-8 text file") \
            from None
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise DraftError(f"{path} is empty")
    source_id = Path(path).stem
    issue = _ISSUE.search(text)
    published = _PUBLISHED.search(text)
    date = ""
    if issue and published:
        date = f"{issue.group(1)}-{int(published.group(1)):02d}-{int(published.group(2)):02d}"
    toc = _toc(lines)
    out = [
        f"# Draft manifest proposed by `zhewen content draft {Path(path).name}`: review every entry.",
        "[source]",
        f"id = {_q(source_id)}",
        f"title = {_q('TODO title as printed' + (f' {issue.group(0)}' if issue else ''))}",
        f"kind = {_q('magazine' if toc else 'newspaper')}",
        f"date = {_q(date)}",
        f"raw = {_q(Path(path).name)}",
        "",
        "[structure]",
        "headings = []",
        "",
        "# [[errata]] find/replace/reason; [[noise]] kind + match or pattern; [[garbled]] match",
        "",
    ]
    starts: list[tuple[int, dict]] = []
    for entry in toc:
        line = _find_line(lines, entry["title"])
        starts.append((line if line is not None else -1, entry))
    if not toc:
        for i, line in enumerate(lines):
            stripped = line.strip()
            if re.match(r"^#{1,3}\s+\S", stripped) and "。" not in stripped:
                starts.append((i, {"page": None, "title": stripped.lstrip("#").strip(), "authors": []}))
    found = sorted(i for i, _ in starts if i >= 0)
    for i, entry in starts:
        out.append("[[articles]]")
        out.append(f"title = {_q(entry['title'])}")
        authors = list(entry["authors"])
        if i >= 0:
            following = [j for j in found if j > i]
            end = (following[0] - 1) if following else len(lines) - 1
            while end > i and not lines[end].strip():
                end -= 1
            for line in lines[i: end + 1]:
                if line.lstrip("#").strip().startswith("■") and not authors:
                    authors = _authors(line.lstrip("#").strip().lstrip("■"))
            out.append(f"authors = {json.dumps(authors, ensure_ascii=False)}")
            if entry["page"] is not None:
                out.append(f"page = {entry['page']}")
            out.append(f"spans = [[{i + 1}, {end + 1}]]")
        else:
            out.append(f"authors = {json.dumps(authors, ensure_ascii=False)}")
            out.append(f"page = {entry['page']}")
            out.append("# TODO: title line not found in the text; set spans = [[start, end]]")
            out.append("spans = []")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
