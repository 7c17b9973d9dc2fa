"""Build the cleaned corpus (<content dir>/raw + /sources → JSON) and load it, rebuilding when stale.

INTERFACE (stable, used by retrieval and bot): DEFAULT_BUILD, ContentError, build, load_built.
Every function takes an optional content directory (holding raw/ and sources/, built into
build/corpus.json); without one they use the package's own content/ as they always did.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from content.manifest import ManifestError, incomplete, load_manifest
from content.segment import Event, Events, segment

PACKAGE_DIR = Path(__file__).resolve().parent
RAW_DIR = PACKAGE_DIR / "raw"
SOURCES_DIR = PACKAGE_DIR / "sources"
DEFAULT_BUILD = PACKAGE_DIR / "build" / "corpus.json"


class ContentError(Exception):
    """A one-line problem with the corpus whose message names the fix."""


@dataclass(frozen=True)
class ContentDir:
    """Where a corpus's inputs live and where it is built."""

    raw: Path
    sources: Path
    corpus: Path

    @classmethod
    def of(cls, root: Path | None = None) -> ContentDir:
        """`root`/raw, `root`/sources and `root`/build/corpus.json; the package's content/ when None
        (read from the module globals at call time, so tests can point them elsewhere)."""
        if root is None:
            return cls(RAW_DIR, SOURCES_DIR, DEFAULT_BUILD)
        root = Path(root)
        return cls(root / "raw", root / "sources", root / "build" / "corpus.json")

    @classmethod
    def serving(cls, corpus: Path) -> ContentDir:
        """The content dir a built corpus file belongs to: <dir>/build/corpus.json beside <dir>/sources
        (as `zhewen content add --content-dir DIR` builds it), else the package's own content/. This is
        how `load_built(ZHEWEN_CORPUS)` rebuilds a stale corpus from its own sources."""
        corpus = Path(corpus)
        root = corpus.parent.parent
        if corpus.parent.name == "build" and (root / "sources").is_dir() and root.resolve() != PACKAGE_DIR:
            return cls(root / "raw", root / "sources", corpus)
        default = cls.of()
        return cls(default.raw, default.sources, corpus)


@dataclass
class BuildReport:
    """What a build produced and every decision it made, for an editor to check."""

    path: Path
    content_hash: str
    sources: int
    articles: int
    passages: int
    seconds: float
    events: list[Event] = field(default_factory=list)
    articles_by_source: dict[str, int] = field(default_factory=dict)
    contents: list[str] = field(default_factory=list)  # one line per article, for a quick look
    per_source: list[SourceStats] = field(default_factory=list)
    corpus: dict | None = field(default=None, repr=False)  # the export object just written

    def counts(self, action: str) -> Counter[str]:
        return Counter(e.kind for e in self.events if e.action == action)

    def summary(self) -> str:
        dropped = sum(self.counts("dropped").values())
        by_source = ", ".join(f"{k} {v}" for k, v in self.articles_by_source.items())
        return (f"built {self.path}: {self.sources} sources, {self.articles} articles ({by_source}), "
                f"{self.passages} passages, {dropped} dropped (lines, glyphs, garbled clauses), "
                f"{len([e for e in self.events if e.action == 'corrected'])} errata, "
                f"{self.seconds:.2f} s")

    def format(self) -> str:
        """The full report: counts by kind, then every event grouped by action and kind."""
        out = [self.summary(), "", f"== articles: {self.articles}"]
        out.extend(f"  {line}" for line in self.contents)
        out.append("")
        for action in ("corrected", "dropped", "deduplicated", "joined"):
            events = [e for e in self.events if e.action == action]
            out.append(f"== {action}: {len(events)}")
            for kind, n in sorted(self.counts(action).items(), key=lambda kv: (-kv[1], kv[0])):
                out.append(f"  {kind}: {n}")
                out.extend(f"    {e.where}  {e.text}" for e in events if e.kind == kind)
            out.append("")
        return "\n".join(out).rstrip() + "\n"


def _inputs(where: ContentDir) -> list[tuple[str, Path]]:
    """Every file whose content decides the build, by the name it is hashed under: raw texts,
    manifests and the cleaning code."""
    raw = [(f"raw/{p.name}", p) for p in sorted(where.raw.glob("*.txt"))]
    sources = [(f"sources/{p.name}", p) for p in sorted(where.sources.glob("*.toml"))]
    return raw + sources + [(p.name, p) for p in sorted(PACKAGE_DIR.glob("*.py"))]


def content_hash(content_dir: Path | None = None) -> str:
    """Changes whenever a raw text, a manifest or the build code changes."""
    return _hash(ContentDir.of(content_dir))


def _hash(where: ContentDir) -> str:
    digest = hashlib.sha256()
    for name, path in _inputs(where):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def compile_corpus(content_dir: Path | None = None) -> tuple[dict, Events]:
    """Pure of side effects: manifests → the export object (without content_hash) and events."""
    return _compile(ContentDir.of(content_dir))


def _compile(where: ContentDir) -> tuple[dict, Events]:
    manifests = []
    for path in sorted(where.sources.glob("*.toml")):
        try:
            manifests.append(load_manifest(path, where.raw))
        except ManifestError as exc:
            raise ContentError(f"manifest error: {exc}") from None
    if not manifests:
        raise ContentError(f"no manifests in {where.sources}; add a document with `zhewen content add`")
    events = Events()
    sources, articles = [], []
    for manifest in manifests:
        problem = incomplete(manifest)
        if problem:
            raise ContentError(f"manifest error: {problem}")
        sources.append({"id": manifest.id, "title": manifest.title, "kind": manifest.kind,
                        "date": manifest.date})
        first = len(events.items)
        try:
            found = segment(manifest, events)
        except ValueError as exc:
            raise ContentError(str(exc)) from None
        for event in events.items[first:]:
            event.source = manifest.id
        if not any(s["passages"] for a in found for s in a["sections"]):
            raise ContentError(f"source {manifest.id} ({manifest.path.name}) yields no article with text: "
                               f"check its [[articles]] (title lines, spans or start) and the raw file")
        articles.extend(found)
    return {"sources": sources, "articles": articles}, events


def build(out: Path | None = None, content_dir: Path | None = None) -> BuildReport:
    """Rebuild the corpus JSON deterministically and write it atomically (to `out`, else the content
    dir's build/corpus.json)."""
    where = ContentDir.of(content_dir)
    return _build(Path(out) if out else where.corpus, where)


def _build(out: Path, where: ContentDir) -> BuildReport:
    started = time.perf_counter()
    corpus, events = _compile(where)
    corpus["content_hash"] = _hash(where)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=out.parent, prefix=".corpus-", suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(corpus, stream, ensure_ascii=False, indent=1)
        stream.write("\n")
    os.replace(tmp, out)
    per_source = Counter(a["source"] for a in corpus["articles"])
    contents = []
    for article in corpus["articles"]:
        passages = [p["text"] for s in article["sections"] for p in s["passages"]]
        page = "--" if article["page"] is None else f"{article['page']:02d}"
        contents.append(f"{article['source']} p.{page} {article['title']}: {len(article['sections'])} "
                        f"sections, {len(passages)} passages, {sum(map(len, passages))} chars")
    return BuildReport(
        path=out, content_hash=corpus["content_hash"], sources=len(corpus["sources"]),
        articles=len(corpus["articles"]),
        passages=sum(len(s["passages"]) for a in corpus["articles"] for s in a["sections"]),
        seconds=time.perf_counter() - started, events=events.items,
        articles_by_source=dict(per_source), contents=contents,
        per_source=source_stats(corpus, events.items), corpus=corpus)


@dataclass(frozen=True)
class SourceStats:
    """One source's line in `zhewen content list` and in the report of `zhewen content add`."""

    id: str
    title: str
    kind: str
    date: str
    articles: int
    sections: int
    passages: int
    dropped: int = 0   # lines, glyphs and clauses the build dropped (0 when not built just now)

    def to_json(self) -> dict:
        return asdict(self)


def source_stats(corpus: dict, events: Sequence[Event] = ()) -> list[SourceStats]:
    """Counts per source, in the corpus's order. Sections are the export's section entries."""
    dropped = Counter(e.source for e in events if e.action == "dropped")
    stats = []
    for source in corpus["sources"]:
        articles = [a for a in corpus["articles"] if a["source"] == source["id"]]
        stats.append(SourceStats(
            id=source["id"], title=source["title"], kind=source["kind"], date=source["date"],
            articles=len(articles), sections=sum(len(a["sections"]) for a in articles),
            passages=sum(len(s["passages"]) for a in articles for s in a["sections"]),
            dropped=dropped[source["id"]]))
    return stats


def load_built(path: Path | None = None, content_dir: Path | None = None) -> dict:
    """The export object plus content_hash; rebuilt first when missing or stale. Staleness is judged
    against `content_dir`, else the content dir the path belongs to (see ContentDir.serving)."""
    where = ContentDir.of(content_dir) if content_dir is not None or path is None else \
        ContentDir.serving(Path(path))
    path = Path(path) if path else where.corpus
    if not path.exists():
        return _rebuild(path, where)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContentError(f"corpus {path} is unreadable ({exc.__class__.__name__}); "
                           f"delete it or run `zhewen content build`") from None
    if not isinstance(data, dict) or not {"sources", "articles"} <= data.keys():
        raise ContentError(f"corpus {path} is not a corpus export; run `zhewen content build`")
    if data.get("content_hash") != _hash(where):
        return _rebuild(path, where)
    return data


def _rebuild(path: Path, where: ContentDir) -> dict:
    """Rebuild into `path`; where that cannot be written (a read-only install), build in memory."""
    try:
        _build(path, where)
    except OSError:
        corpus, _ = _compile(where)
        corpus["content_hash"] = _hash(where)
        return corpus
    return json.loads(path.read_text(encoding="utf-8"))
