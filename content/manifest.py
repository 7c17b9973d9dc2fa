"""Per-source manifests (content/sources/<id>.toml): metadata, article map, errata, noise.

Everything specific to one document lives in its manifest, so a new issue is added by writing data.
Line anchors are exact substrings of one raw line (or 1-based line numbers), resolved once here.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


class ManifestError(Exception):
    """A manifest that cannot be used; the message names the file and the entry to fix."""


@dataclass(frozen=True)
class Erratum:
    find: str
    replace: str
    reason: str
    count: int | None = None  # expected number of occurrences when given


@dataclass(frozen=True)
class LineRule:
    """Drop every line containing `match` (exact) or matching `pattern` (regex), as `kind`."""

    kind: str
    reason: str
    match: str = ""
    pattern: str = ""

    def hits(self, line: str) -> bool:
        if self.match:
            return self.match in line
        return bool(re.search(self.pattern, line))


@dataclass(frozen=True)
class HeadingPattern:
    """A numbered heading style and its level (1 is the top). `keep_number`: the number is part of the
    heading's name (第一章 总则, 第五条); otherwise it is dropped (一、总体要求 → 总体要求). A group named
    `title` in the pattern is the heading itself (【总体要求】)."""

    pattern: str
    level: int
    keep_number: bool = False

    def match(self, text: str) -> re.Match[str] | None:
        return re.match(self.pattern, text)


@dataclass(frozen=True)
class ArticleSpec:
    title: str
    subtitle: str
    authors: tuple[str, ...]
    column: str
    page: int | None
    spans: tuple[tuple[int, int], ...]  # 0-based inclusive line ranges, resolved from anchors
    note: str = ""


@dataclass(frozen=True)
class Manifest:
    path: Path
    id: str
    title: str
    kind: str
    date: str
    raw: Path
    lines: tuple[tuple[int, str], ...]  # (1-based raw line, text) pieces; errata not yet applied
    errata: tuple[Erratum, ...]
    noise: tuple[LineRule, ...]
    garbled: tuple[LineRule, ...]     # sentences containing `match` are dropped
    headings: tuple[str, ...]         # extra heading lines (exact substrings), beyond the markers
    articles: tuple[ArticleSpec, ...] = field(default=())
    layout: str = "ocr"               # ocr: OCR'd print (markers, columns); plain: one paragraph a line
    heading_patterns: tuple[HeadingPattern, ...] = ()


KINDS = ("magazine", "newspaper", "document", "report", "other")
LAYOUTS = ("ocr", "plain")
_KINDS = set(KINDS)
_KEYS = {
    "source": {"id", "title", "kind", "date", "raw"},
    "structure": {"headings", "layout", "heading_patterns"},
    "errata": {"find", "replace", "reason", "count"},
    "splits": {"at", "reason"},
    "noise": {"kind", "match", "pattern", "reason"},
    "garbled": {"kind", "match", "pattern", "reason"},
    "articles": {"title", "subtitle", "authors", "column", "page", "spans", "start", "note"},
}
_PATTERN_KEYS = {"pattern", "level", "keep_number"}


def _check_keys(path: Path, data: dict) -> None:
    """A misspelt key ("span" for "spans") would silently empty an article: refuse it."""
    tables = sorted(set(data) - set(_KEYS))
    if tables:
        raise _fail(path, f"unknown table [{tables[0]}]; expected one of {sorted(_KEYS)}")
    for name, allowed in _KEYS.items():
        value = data.get(name, [])
        entries = value if isinstance(value, list) else [value]
        for n, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                raise _fail(path, f"[{name}] #{n} must be a table")
            unknown = sorted(set(entry) - allowed)
            if unknown:
                raise _fail(path, f"[{name}] #{n}: unknown key {unknown[0]!r}; expected {sorted(allowed)}")
    patterns = data.get("structure", {}).get("heading_patterns", [])
    for n, entry in enumerate(patterns if isinstance(patterns, list) else [patterns], 1):
        unknown = sorted(set(entry) - _PATTERN_KEYS) if isinstance(entry, dict) else ["(not a table)"]
        if unknown:
            raise _fail(path, f"[[structure.heading_patterns]] #{n}: unknown key {unknown[0]!r}; "
                              f"expected {sorted(_PATTERN_KEYS)}")


def _fail(path: Path, what: str) -> ManifestError:
    return ManifestError(f"{path.name}: {what}")


def _anchor(path: Path, pieces: list[tuple[int, str]], anchor: object, where: str, end: bool) -> int:
    """Resolve an anchor to a piece index: a 1-based raw line number (its first piece for a start,
    its last for an end), or text found in exactly one piece."""
    if isinstance(anchor, int):
        hits = [i for i, (n, _) in enumerate(pieces) if n == anchor]
        if not hits:
            raise _fail(path, f"{where}: line {anchor} is outside the raw file")
        return hits[-1] if end else hits[0]
    if not isinstance(anchor, str) or not anchor:
        raise _fail(path, f"{where}: an anchor must be a non-empty string or a line number")
    lines = [text for _, text in pieces]
    hits = [i for i, line in enumerate(lines) if anchor in line]
    if len(hits) > 1:  # a whole-line match settles text that also appears inside other lines
        hits = [i for i in hits if lines[i].strip() == anchor] or hits
    if len(hits) != 1:
        found = "not found" if not hits else f"found on lines {[pieces[h][0] for h in hits[:5]]}"
        raise _fail(path, f"{where}: anchor {anchor!r} {found}; it must match exactly one raw line "
                          f"(or be a line number)")
    return hits[0]


def _split(path: Path, pieces: list[tuple[int, str]], splits: list[dict]) -> list[tuple[int, str]]:
    """Cut raw lines where the OCR ran two paragraphs (or two columns) into one line, so that each
    part can be placed by a span. Each split names the exact text that starts the second part."""
    for n, entry in enumerate(splits, 1):
        at = entry.get("at")
        if not isinstance(at, str) or not at or not entry.get("reason"):
            raise _fail(path, f"[[splits]] #{n}: needs at (exact text) and a one-line reason")
        hits = [i for i, (_, text) in enumerate(pieces) if at in text]
        if len(hits) != 1 or pieces[hits[0]][1].startswith(at):
            raise _fail(path, f"[[splits]] #{n}: {at!r} must occur once, inside a line")
        line, text = pieces[hits[0]]
        cut = text.index(at)
        pieces[hits[0]: hits[0] + 1] = [(line, text[:cut]), (line, text[cut:])]
    return pieces


def _rules(path: Path, entries: list[dict], name: str) -> tuple[LineRule, ...]:
    rules = []
    for n, entry in enumerate(entries, 1):
        match, pattern = entry.get("match", ""), entry.get("pattern", "")
        if bool(match) == bool(pattern):
            raise _fail(path, f"[[{name}]] #{n}: give exactly one of match or pattern")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise _fail(path, f"[[{name}]] #{n}: bad pattern ({exc})") from None
        rules.append(LineRule(entry.get("kind", name), entry.get("reason", ""), match, pattern))
    return tuple(rules)


def load_manifest(path: Path, raw_dir: Path) -> Manifest:
    """Read and validate one manifest, resolving its article anchors against its raw file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _fail(path, f"cannot read ({exc})") from None
    _check_keys(path, data)
    source = data.get("source")
    if not isinstance(source, dict):
        raise _fail(path, "missing [source] table")
    for key in ("id", "title", "kind", "raw"):
        if not isinstance(source.get(key), str) or not source[key]:
            raise _fail(path, f"[source] needs a non-empty {key}")
    if source["kind"] not in _KINDS:
        raise _fail(path, f"[source] kind must be one of {sorted(_KINDS)}")
    raw = raw_dir / source["raw"]
    try:
        lines = raw.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"raw file {raw.name} unreadable ({exc})") from None
    pieces = _split(path, [(n + 1, line) for n, line in enumerate(lines)], data.get("splits", []))

    errata = []
    for n, entry in enumerate(data.get("errata", []), 1):
        find, replace, reason = entry.get("find"), entry.get("replace"), entry.get("reason")
        if not (isinstance(find, str) and find and isinstance(replace, str) and reason):
            raise _fail(path, f"[[errata]] #{n}: needs find, replace and a one-line reason")
        if "\n" in find or "\n" in replace:
            raise _fail(path, f"[[errata]] #{n}: replacements stay within one line")
        errata.append(Erratum(find, replace, reason, entry.get("count")))

    articles = _articles(path, pieces, data.get("articles", []))
    owner: dict[int, str] = {}
    for article in articles:
        for start, end in article.spans:
            for i in range(start, end + 1):
                if i in owner:
                    raise _fail(path, f"line {pieces[i][0]} belongs to both {owner[i]!r} and "
                                      f"{article.title!r}")
                owner[i] = article.title

    structure = data.get("structure", {})
    layout = structure.get("layout", "ocr")
    if layout not in LAYOUTS:
        raise _fail(path, f"[structure] layout must be one of {list(LAYOUTS)}, not {layout!r}")
    return Manifest(
        path=path, id=source["id"], title=source["title"], kind=source["kind"],
        date=str(source.get("date", "")), raw=raw, lines=tuple(pieces), errata=tuple(errata),
        noise=_rules(path, data.get("noise", []), "noise"),
        garbled=_rules(path, data.get("garbled", []), "garbled"),
        headings=tuple(structure.get("headings", [])), articles=tuple(articles), layout=layout,
        heading_patterns=_heading_patterns(path, structure.get("heading_patterns", [])))


def _heading_patterns(path: Path, entries: list[dict]) -> tuple[HeadingPattern, ...]:
    """[[structure.heading_patterns]]: a regex tried on each cleaned line, its level, keep_number."""
    patterns = []
    for n, entry in enumerate(entries, 1):
        where = f"[[structure.heading_patterns]] #{n}"
        pattern, level = entry.get("pattern"), entry.get("level")
        if not isinstance(pattern, str) or not pattern:
            raise _fail(path, f"{where}: needs a pattern (a regular expression, e.g. '^第[一二三]+条')")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise _fail(path, f"{where}: bad pattern {pattern!r} ({exc})") from None
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 6:
            raise _fail(path, f"{where}: level must be a whole number from 1 (top) to 6")
        keep = entry.get("keep_number", False)
        if not isinstance(keep, bool):
            raise _fail(path, f"{where}: keep_number must be true or false")
        patterns.append(HeadingPattern(pattern, level, keep))
    return tuple(patterns)


def _articles(path: Path, pieces: list[tuple[int, str]], entries: list[dict]) -> list[ArticleSpec]:
    """[[articles]] in order. An article gives `spans` ([first, last] anchor pairs) or `start` (one
    anchor): a `start` article runs until the next article begins, or to the end of the text."""
    resolved: list[tuple[dict, list[tuple[int, int]], int | None]] = []
    for n, entry in enumerate(entries, 1):
        where = f"[[articles]] #{n} ({entry.get('title', '?')})"
        if not isinstance(entry.get("title"), str) or not entry["title"]:
            raise _fail(path, f"{where}: needs a title")
        if "start" in entry and "spans" in entry:
            raise _fail(path, f"{where}: give spans or start, not both")
        spans = []
        for span in entry.get("spans", []):
            if not (isinstance(span, list) and len(span) == 2):
                raise _fail(path, f"{where}: each span is [start anchor, end anchor]")
            start = _anchor(path, pieces, span[0], where, end=False)
            end = _anchor(path, pieces, span[1], where, end=True)
            if end < start:
                raise _fail(path, f"{where}: span ends (line {pieces[end][0]}) before it starts "
                                  f"(line {pieces[start][0]})")
            spans.append((start, end))
        first = _anchor(path, pieces, entry["start"], where, end=False) if "start" in entry else None
        page = entry.get("page")
        if page is not None and not isinstance(page, int):
            raise _fail(path, f"{where}: page must be an integer or absent")
        resolved.append((entry, spans, first))
    beginnings = sorted({s for _, spans, _ in resolved for s, _ in spans}
                        | {first for *_, first in resolved if first is not None})
    articles = []
    for entry, spans, first in resolved:
        if first is not None:
            after = [b for b in beginnings if b > first]
            spans = [(first, (after[0] - 1) if after else len(pieces) - 1)]
        articles.append(ArticleSpec(
            title=entry["title"], subtitle=entry.get("subtitle", ""),
            authors=tuple(entry.get("authors", [])), column=entry.get("column", ""),
            page=entry.get("page"), spans=tuple(spans), note=entry.get("note", "")))
    return articles


def incomplete(manifest: Manifest) -> str | None:
    """Why this manifest cannot be published yet (a TODO or empty title or date), else None.

    Drafts mark guesses with TODO; a build that accepted them would cite 《TODO title as printed》."""
    where = f"{manifest.path.name} (source {manifest.id})"
    for field_name, value in (("title", manifest.title), ("date", manifest.date)):
        if not value.strip():
            return f"{where}: [source] {field_name} is empty; write it as the document prints it"
        if "TODO" in value:
            return f"{where}: [source] {field_name} is still a TODO ({value!r}); replace it"
    try:
        date.fromisoformat(manifest.date)
    except ValueError:
        return f"{where}: [source] date {manifest.date!r} is not a date like 2025-03-05"
    for n, article in enumerate(manifest.articles, 1):
        if "TODO" in article.title:
            return f"{where}: [[articles]] #{n} title is still a TODO ({article.title!r}); replace it"
    return None
