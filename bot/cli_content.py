"""`zhewen content …`: build, export, table of contents, and manifest drafts for new documents."""
from __future__ import annotations

import json
from pathlib import Path

import click

from content.store import ContentError, build, load_built


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.group()
def content() -> None:
    """构建与查看语料 / build and inspect the cleaned corpus."""


@content.command("build")
@click.option("--report", is_flag=True, help="List everything dropped, joined, collapsed and corrected.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the corpus here instead of content/build/corpus.json.")
def build_command(report: bool, out: Path | None) -> None:
    """Rebuild the corpus from content/raw + content/sources.

    Example: zhewen content build --report | less
    """
    try:
        result = build(out)
    except ContentError as exc:
        _fail(str(exc))
    click.echo(result.format() if report else result.summary())


@content.command("export")
@click.option("--json", "as_json", is_flag=True, required=True, help="Print the corpus as one JSON object.")
def export_command(as_json: bool) -> None:
    """Print the cleaned corpus (design doc: "Content export object").

    Example: zhewen content export --json > corpus.json
    """
    try:
        data = load_built()
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
def toc_command() -> None:
    """Table of contents: source, page, column, title, authors.

    Example: zhewen content toc
    """
    try:
        data = load_built()
    except ContentError as exc:
        _fail(str(exc))
    click.echo(format_toc(data))


@content.command("draft")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def draft_command(file: Path) -> None:
    """Propose a manifest for a new raw text (from its TOC, ■ author lines and headings).

    Example: zhewen content draft content/raw/new-issue.txt > content/sources/new-issue.toml
    """
    from content.draft import DraftError, draft_manifest

    try:
        click.echo(draft_manifest(file), nl=False)
    except DraftError as exc:
        _fail(str(exc))
