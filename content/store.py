"""Build the cleaned corpus (content/raw + content/sources → JSON) and load it, rebuilding when stale.

INTERFACE (stable, used by retrieval and bot): DEFAULT_BUILD, ContentError, build, load_built.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from content.manifest import ManifestError, load_manifest
from content.segment import Event, Events, segment

PACKAGE_DIR = Path(__file__).resolve().parent
RAW_DIR = PACKAGE_DIR / "raw"
SOURCES_DIR = PACKAGE_DIR / "sources"
DEFAULT_BUILD = PACKAGE_DIR / "build" / "corpus.json"


class ContentError(Exception):
    """A one-line problem with the corpus whose message names the fix."""


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


def _inputs() -> list[Path]:
    """Every file whose content decides the build: raw texts, manifests and the cleaning code."""
    code = sorted(PACKAGE_DIR.glob("*.py"))
    return sorted(RAW_DIR.glob("*.txt")) + sorted(SOURCES_DIR.glob("*.toml")) + code


def content_hash() -> str:
    digest = hashlib.sha256()
    for path in _inputs():
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def compile_corpus() -> tuple[dict, Events]:
    """Pure of side effects: manifests → the export object (without content_hash) and events."""
    manifests = []
    for path in sorted(SOURCES_DIR.glob("*.toml")):
        try:
            manifests.append(load_manifest(path, RAW_DIR))
        except ManifestError as exc:
            raise ContentError(f"manifest error: {exc}") from None
    if not manifests:
        raise ContentError(f"no manifests in {SOURCES_DIR}; add content/sources/<id>.toml")
    events = Events()
    sources, articles = [], []
    for manifest in manifests:
        sources.append({"id": manifest.id, "title": manifest.title, "kind": manifest.kind,
                        "date": manifest.date})
        try:
            articles.extend(segment(manifest, events))
        except ValueError as exc:
            raise ContentError(str(exc)) from None
    return {"sources": sources, "articles": articles}, events


def build(out: Path | None = None) -> BuildReport:
    """Rebuild the corpus JSON deterministically and write it atomically."""
    started = time.perf_counter()
    out = Path(out) if out else DEFAULT_BUILD
    corpus, events = compile_corpus()
    corpus["content_hash"] = content_hash()
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
        articles_by_source=dict(per_source), contents=contents)


def load_built(path: Path | None = None) -> dict:
    """The export object plus content_hash; rebuilt first when missing or stale."""
    path = Path(path) if path else DEFAULT_BUILD
    if not path.exists():
        return _rebuild(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContentError(f"corpus {path} is unreadable ({exc.__class__.__name__}); "
                           f"delete it or run `zhewen content build`") from None
    if not isinstance(data, dict) or not {"sources", "articles"} <= data.keys():
        raise ContentError(f"corpus {path} is not a corpus export; run `zhewen content build`")
    if data.get("content_hash") != content_hash():
        return _rebuild(path)
    return data


def _rebuild(path: Path) -> dict:
    """Rebuild into `path`; where that cannot be written (a read-only install), build in memory."""
    try:
        build(path)
    except OSError:
        corpus, _ = compile_corpus()
        corpus["content_hash"] = content_hash()
        return corpus
    return json.loads(path.read_text(encoding="utf-8"))
