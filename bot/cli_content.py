"""`zhewen content …`: add, list and remove documents; build, export, table of contents, drafts.

Every command takes --content-dir DIR (raw/ and sources/, built into DIR/build/corpus.json); without
it the package's own content/ is used. Errors are one line (click's "Error: …"), never a traceback.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from content.store import ContentError, SourceStats, build, load_built, source_stats

if TYPE_CHECKING:
    from content.onboard import Added

CONTENT_DIR = click.option(
    "--content-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Content directory holding raw/ and sources/ (default: the package's content/).")


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.group()
def content() -> None:
    """构建与查看语料 / build and inspect the cleaned corpus."""


@content.command("build")
@click.option("--report", is_flag=True, help="List everything dropped, joined, collapsed and corrected.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the corpus here instead of <content dir>/build/corpus.json.")
@CONTENT_DIR
def build_command(report: bool, out: Path | None, content_dir: Path | None) -> None:
    """Rebuild the corpus from content/raw + content/sources.

    Example: zhewen content build --report | less
    """
    try:
        result = build(out, content_dir=content_dir)
    except ContentError as exc:
        _fail(str(exc))
    click.echo(result.format() if report else result.summary())


@content.command("export")
@click.option("--json", "as_json", is_flag=True, required=True, help="Print the corpus as one JSON object.")
@CONTENT_DIR
def export_command(as_json: bool, content_dir: Path | None) -> None:
    """Print the cleaned corpus as one JSON object: sources, then articles with their sections and passages.

    Example: zhewen content export --json > corpus.json
    """
    try:
        data = load_built(content_dir=content_dir)
    except ContentError as exc:
        _fail(str(exc))
    click.echo(json.dumps(data, ensure_ascii=False, indent=1))


def format_toc(data: dict) -> str:
    """Source heading, then one line per article: printed page (or --), title, subtitle, authors."""
    lines: list[str] = []
    for source in data["sources"]:
        lines.append(f"{source['title']} ({source['kind']}, {source['date']})")
        for article in data["articles"]:
            if article["source"] != source["id"]:
                continue
            page = f"{article['page']:02d}" if article["page"] is not None else "--"
            title = article["title"] + (f" {article['subtitle']}" if article["subtitle"] else "")
            column = f"[{article['column']}] " if article["column"] else ""
            authors = f" / {' '.join(article['authors'])}" if article["authors"] else ""
            lines.append(f"  {page}  {column}{title}{authors}")
    return "\n".join(lines)


@content.command("toc")
@CONTENT_DIR
def toc_command(content_dir: Path | None) -> None:
    """Table of contents: source, page, column, title, authors.

    Example: zhewen content toc
    """
    try:
        data = load_built(content_dir=content_dir)
    except ContentError as exc:
        _fail(str(exc))
    click.echo(format_toc(data))


@content.command("draft")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def draft_command(file: Path) -> None:
    """Propose a manifest for a new raw text (from its TOC, ■ author lines, headings or numbering).

    Example: zhewen content draft content/raw/new-issue.txt > content/sources/new-issue.toml
    """
    from content.draft import DraftError, draft_manifest

    try:
        click.echo(draft_manifest(file), nl=False)
    except DraftError as exc:
        _fail(str(exc))


def format_stats(rows: list[SourceStats]) -> str:
    """One line per source: id, kind, date, counts, title (last: its width varies)."""
    width = max([len(r.id) for r in rows] + [2])
    header = f"{'id':<{width}}  {'kind':<10} {'date':<10} {'articles':>8} {'sections':>8} {'passages':>8}"
    lines = [f"{header}  title"]
    for r in rows:
        lines.append(f"{r.id:<{width}}  {r.kind:<10} {r.date:<10} {r.articles:>8} {r.sections:>8} "
                     f"{r.passages:>8}  {r.title}")
    return "\n".join(lines)


@content.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of sources instead of a table.")
@CONTENT_DIR
def list_command(as_json: bool, content_dir: Path | None) -> None:
    """Sources with their kind, date and article, section and passage counts.

    Example: zhewen content list
    """
    try:
        rows = source_stats(load_built(content_dir=content_dir))
    except ContentError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps([{k: v for k, v in r.to_json().items() if k != "dropped"} for r in rows],
                              ensure_ascii=False, indent=1))
    else:
        click.echo(format_stats(rows))


@content.command("add")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", required=True, help="The document's title as printed, e.g. 关于…的实施意见.")
@click.option("--date", required=True, help="The document's date, YYYY-MM-DD.")
@click.option("--kind", type=click.Choice(["magazine", "newspaper", "document"]), default=None,
              help="What it is (default: guessed; a plain-text policy is a document).")
@click.option("--id", "source_id", default=None,
              help="Short ASCII id used in file names and citations (default: from the file name or date).")
@CONTENT_DIR
def add_command(path: Path, title: str, date: str, kind: str | None, source_id: str | None,
                content_dir: Path | None) -> None:
    """Add a document: store its text, draft its manifest, rebuild, print what was built.

    Example: zhewen content add 实施意见.txt --title "关于加快推进低空经济发展的实施意见" --date 2025-03-05
    """
    from content.onboard import add_document

    try:
        added = add_document(path, title, date, kind, source_id, content_dir)
    except ContentError as exc:
        _fail(str(exc))
    click.echo(format_added(added))


def format_added(added: Added) -> str:
    """The report of `content add`: files written, counts for the new source and the corpus, the new
    source's sections by level, and every line the build dropped from it."""
    report, stats = added.report, added.stats
    total_sections = sum(s.sections for s in report.per_source)
    total_dropped = sum(s.dropped for s in report.per_source)
    out = [
        f"added {stats.id} ({stats.kind}, {stats.date}): {added.raw}, {added.manifest}",
        f"  new source: {stats.articles} articles, {stats.sections} sections, {stats.passages} passages, "
        f"{stats.dropped} dropped lines",
        f"  corpus:     {report.sources} sources, {report.articles} articles, {total_sections} sections, "
        f"{report.passages} passages, {total_dropped} dropped lines",
        f"  built {report.path} in {report.seconds:.2f} s",
        "",
        "sections (check that every numbered part is its own section, at the right level):",
    ]
    out.extend(f"  {line}" for line in added.outline)
    if added.dropped:
        out.append("")
        out.append("dropped from the new source (not text; check nothing here should be):")
        out.extend(f"  {e.kind}: {e.where}  {e.text[:60]}" for e in added.dropped)
    return "\n".join(out)


@content.command("remove")
@click.argument("source_id", metavar="ID")
@CONTENT_DIR
def remove_command(source_id: str, content_dir: Path | None) -> None:
    """Take a source out (its raw text and manifest) and rebuild.

    Example: zhewen content remove policy-2025-03
    """
    from content.onboard import remove_source

    try:
        files, report = remove_source(source_id, content_dir)
    except ContentError as exc:
        _fail(str(exc))
    click.echo(f"removed {source_id}: {', '.join(str(f) for f in files)}")
    click.echo(report.summary())

