"""`zhewen eval FILE.jsonl`: answer quality on a question set, for whoever adds a document or
changes a setting. Same file format as the public dev set; scoring lives in retrieval.evaluate."""
from __future__ import annotations

import json
from pathlib import Path

import click


@click.command(name="eval")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print metrics and misses as one JSON object.")
def evaluate(path: Path, as_json: bool) -> None:
    """Score the engine on a question set (one JSON object per line: question, answers, article).

    Example: zhewen eval tests/data/dev.jsonl
    """
    from bot.cli_ask import _load_engine
    from retrieval.evaluate import EvalFileError, load_items, score

    try:
        items = load_items(path)
    except EvalFileError as exc:
        raise click.ClickException(str(exc)) from None
    if not items:
        raise click.ClickException(f"{path}: no questions")
    engine = _load_engine()
    report = score(items, [engine.ask(it.question).to_json() for it in items])
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    for m in report.misses:
        click.echo(f"  miss {m.id} [{m.why}] {m.question}")
        if m.answer:
            click.echo(f"       → {m.answer}")
    click.echo("  ".join(f"{k} {v}" for k, v in report.metrics.items()))
