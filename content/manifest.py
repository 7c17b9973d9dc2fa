"""Per-source manifests (content/sources/<id>.toml): metadata, article map, errata, noise.

Everything specific to one document lives in its manifest, so a new issue is added by writing data.
Line anchors are exact substrings of one raw line (or 1-based line numbers), resolved once here.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
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
    lines: tuple[str, ...]            # raw lines, errata not yet applied
    errata: tuple[Erratum, ...]
    noise: tuple[LineRule, ...]
    garbled: tuple[LineRule, ...]     # sentences containing `match` are dropped
    headings: tuple[str, ...]         # extra heading lines (exact substrings), beyond the markers
    articles: tuple[ArticleSpec, ...] = field(default=())


_KINDS = {"magazine", "newspaper", "report", "other"}


def _fail(path: Path, what: str) -> ManifestError:
    return ManifestError(f"{path.name}: {what}")


def _anchor(path: Path, lines: list[str], anchor: object, where: str) -> int:
    """Resolve an anchor to a 0-based line index: a 1-based int, or text found on exactly one line."""
    if isinstance(anchor, int):
        if not 1 <= anchor <= len(lines):
            raise _fail(path, f"{where}: line {anchor} is outside the raw file")
        return anchor - 1
    if not isinstance(anchor, str) or not anchor:
        raise _fail(path, f"{where}: an anchor must be a non-empty string or a line number")
    hits = [i for i, line in enumerate(lines) if anchor in line]
    if len(hits) != 1:
        found = "not found" if not hits else f"found on lines {[h + 1 for h in hits[:5]]}"
        raise _fail(path, f"{where}: anchor {anchor!r} {found}; it must match exactly one raw line")
    return hits[0]


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

    errata = []
    for n, entry in enumerate(data.get("errata", []), 1):
        find, replace, reason = entry.get("find"), entry.get("replace"), entry.get("reason")
        if not (isinstance(find, str) and find and isinstance(replace, str) and reason):
            raise _fail(path, f"[[errata]] #{n}: needs find, replace and a one-line reason")
        if "\n" in find or "\n" in replace:
            raise _fail(path, f"[[errata]] #{n}: replacements stay within one line")
        errata.append(Erratum(find, replace, reason, entry.get("count")))

    articles = []
    for n, entry in enumerate(data.get("articles", []), 1):
        where = f"[[articles]] #{n} ({entry.get('title', '?')})"
        if not isinstance(entry.get("title"), str) or not entry["title"]:
            raise _fail(path, f"{where}: needs a title")
        spans = []
        for span in entry.get("spans", []):
            if not (isinstance(span, list) and len(span) == 2):
                raise _fail(path, f"{where}: each span is [start anchor, end anchor]")
            start, end = (_anchor(path, lines, a, where) for a in span)
            if end < start:
                raise _fail(path, f"{where}: span ends (line {end + 1}) before it starts ({start + 1})")
            spans.append((start, end))
        page = entry.get("page")
        if page is not None and not isinstance(page, int):
            raise _fail(path, f"{where}: page must be an integer or absent")
        articles.append(ArticleSpec(
            title=entry["title"], subtitle=entry.get("subtitle", ""),
            authors=tuple(entry.get("authors", [])), column=entry.get("column", ""), page=page,
            spans=tuple(spans), note=entry.get("note", "")))
    owner: dict[int, str] = {}
    for article in articles:
        for start, end in article.spans:
            for i in range(start, end + 1):
                if i in owner:
                    raise _fail(path, f"line {i + 1} belongs to both {owner[i]!r} and {article.title!r}")
                owner[i] = article.title

    structure = data.get("structure", {})
    return Manifest(
        path=path, id=source["id"], title=source["title"], kind=source["kind"],
        date=str(source.get("date", "")), raw=raw, lines=tuple(lines), errata=tuple(errata),
        noise=_rules(path, data.get("noise", []), "noise"),
        garbled=_rules(path, data.get("garbled", []), "garbled"),
        headings=tuple(structure.get("headings", [])), articles=tuple(articles))
