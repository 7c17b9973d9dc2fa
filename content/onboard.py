"""Add a document to a content dir, or take one out: `zhewen content add` and `zhewen content remove`.

Both change a content dir only as a whole: the raw text and its manifest go in (or out) together,
the corpus is rebuilt, and when the build fails the files are put back as they were, so a failed
command never leaves a half-added document for the next build to trip on.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path

from content import clean
from content.draft import DraftError, draft_text, read_document
from content.manifest import KINDS
from content.segment import PATH_SEPARATOR, Event
from content.store import BuildReport, ContentDir, ContentError, SourceStats, build

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Added:
    """What `add_document` stored and what the build made of it."""

    source_id: str
    raw: Path
    manifest: Path
    report: BuildReport
    stats: SourceStats
    outline: list[str]       # the new source's articles and sections, indented by level
    dropped: list[Event]     # what the build dropped from the new source


def default_id(file_name: str, kind: str, date: str) -> str:
    """An ASCII id that stays the same for the same input: the file name as a slug
    ("Policy_2025 03.txt" → "policy-2025-03"), or the kind and date when the name is Chinese."""
    stem = Path(file_name).stem
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:48].strip("-")
    if slug and not clean.has_han(stem) and re.search(r"[a-z]", slug):
        return slug
    return f"{kind}-{date}"


def check_id(source_id: str) -> str:
    """The id when it can name files and passage ids, else ContentError."""
    if not _ID.match(source_id):
        raise ContentError(f"id {source_id!r} must be lowercase letters, digits, '-', '_' or '.' "
                           f"(at most 64, starting with a letter or digit), e.g. policy-2025-03")
    return source_id


def check_metadata(title: str, date: str, kind: str | None) -> None:
    """The title, date and kind given on the command line, before anything is written."""
    if not title.strip() or "TODO" in title:
        raise ContentError("--title must be the document's title as printed (not empty, no TODO)")
    try:
        Date.fromisoformat(date)
    except ValueError:
        raise ContentError(f"--date {date!r} is not a date like 2025-03-05") from None
    if kind is not None and kind not in KINDS:
        raise ContentError(f"--kind must be one of {', '.join(KINDS)}")


def sources_in(where: ContentDir) -> dict[str, tuple[Path, str]]:
    """id → (manifest path, raw file name) of every manifest in the content dir that can be read."""
    found: dict[str, tuple[Path, str]] = {}
    for path in sorted(where.sources.glob("*.toml")):
        try:
            source = tomllib.loads(path.read_text(encoding="utf-8")).get("source", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if isinstance(source, dict) and isinstance(source.get("id"), str):
            found[source["id"]] = (path, str(source.get("raw", "")))
    return found


def _already_stored(where: ContentDir, text: str) -> str | None:
    """The raw file already holding exactly this text, if any (the same document added twice)."""
    for path in sorted(where.raw.glob("*.txt")):
        try:
            if path.read_text(encoding="utf-8") == text:
                return path.name
        except (OSError, UnicodeDecodeError):
            continue
    return None


def add_document(path: Path, title: str, date: str, kind: str | None = None,
                 source_id: str | None = None, content_dir: Path | None = None) -> Added:
    """Store the text as raw/<id>.txt, draft sources/<id>.toml, rebuild. On any failure nothing stays."""
    check_metadata(title, date, kind)
    try:
        text = read_document(Path(path))
    except DraftError as exc:
        raise ContentError(str(exc)) from None
    where = ContentDir.of(content_dir)
    source_id = check_id(source_id or default_id(Path(path).name, kind or "document", date))
    raw, manifest = where.raw / f"{source_id}.txt", where.sources / f"{source_id}.toml"
    if source_id in sources_in(where) or raw.exists() or manifest.exists():
        raise ContentError(f"a source with id {source_id!r} already exists in {where.sources.parent}; "
                           f"choose another with --id, or remove it: zhewen content remove {source_id}")
    stored = text if text.endswith("\n") else text + "\n"
    twin = _already_stored(where, stored)
    if twin:
        raise ContentError(f"this text is already added (raw/{twin}); nothing changed")
    try:
        draft = draft_text(stored, Path(path).name, title=title.strip(), date=date, kind=kind,
                           source_id=source_id, raw=raw.name)
    except DraftError as exc:
        raise ContentError(str(exc)) from None
    written: list[Path] = []
    try:
        for path, text in ((raw, stored), (manifest, draft)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
        report = build(content_dir=content_dir)
    except (ContentError, OSError) as exc:
        for path in written:
            path.unlink(missing_ok=True)
        why = str(exc) if isinstance(exc, ContentError) else f"cannot write {exc.filename}: {exc.strerror}"
        raise ContentError(f"not added: {why}") from None
    [stats] = [s for s in report.per_source if s.id == source_id]
    corpus = report.corpus or {}
    articles = [a for a in corpus.get("articles", []) if a["source"] == source_id]
    dropped = [e for e in report.events if e.source == source_id and e.action == "dropped"]
    return Added(source_id, raw, manifest, report, stats, outline(articles), dropped)


def remove_source(source_id: str, content_dir: Path | None = None) -> tuple[list[Path], BuildReport]:
    """Take a source's manifest and raw text out and rebuild; put them back when the build fails.
    Returns the files removed and the build report."""
    where = ContentDir.of(content_dir)
    sources = sources_in(where)
    if source_id not in sources:
        known = ", ".join(sorted(sources)) or "none"
        raise ContentError(f"no source with id {source_id!r} (sources: {known}); `zhewen content list` "
                           f"shows them")
    if len(sources) == 1:
        raise ContentError(f"{source_id} is the only source; add another document before removing it")
    manifest, raw_name = sources[source_id]
    shared = any(other_raw == raw_name for other, (_, other_raw) in sources.items() if other != source_id)
    files = [manifest] + ([where.raw / raw_name] if raw_name and not shared else [])
    files = [f for f in files if f.exists()]
    try:
        with tempfile.TemporaryDirectory(dir=where.sources, prefix=".removing-") as holding:
            moved: list[tuple[Path, Path]] = []
            try:
                for n, original in enumerate(files):
                    aside = Path(holding) / f"{n}-{original.name}"
                    shutil.move(original, aside)
                    moved.append((original, aside))
                report = build(content_dir=content_dir)
            except (ContentError, OSError):
                for original, aside in moved:
                    shutil.move(aside, original)
                raise
    except ContentError as exc:
        raise ContentError(f"not removed: {exc}") from None
    except OSError as exc:
        raise ContentError(f"not removed: cannot move {exc.filename}: {exc.strerror}") from None
    return files, report


def outline(articles: list[dict]) -> list[str]:
    """Each article's title, then its section headings indented by level, with passage counts:
    what a reader checks after adding a document ("is every numbered part its own section?")."""
    lines: list[str] = []
    for article in articles:
        lines.append(article["title"])
        shown: set[tuple[str, ...]] = set()
        for section in article["sections"]:
            path = tuple(section["heading"].split(PATH_SEPARATOR)) if section["heading"] else ()
            for depth in range(1, len(path) + 1):
                if path[:depth] not in shown:
                    shown.add(path[:depth])
                    count = f"  ({_passages(section)})" if depth == len(path) else ""
                    lines.append(f"{'  ' * depth}{path[depth - 1]}{count}")
            if not path:
                lines.append(f"  (no heading)  ({_passages(section)})")
    return lines


def _passages(section: dict) -> str:
    n = len(section["passages"])
    return f"{n} passage" if n == 1 else f"{n} passages"
