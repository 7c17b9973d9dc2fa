"""`zhewen logs`: review the query log from a terminal (tables) or a script (`--json`, CSV, JSONL).

Reads never create a database; every problem is one `Error: …` line and a non-zero exit.
"""
from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.querylog import review
from bot.querylog.render import table
from bot.querylog.rows import QUERY_COLUMNS
from bot.settings import ConfigError, load_settings

F = TypeVar("F", bound=Callable[..., Any])
QUESTION_CELLS = 40
DEFAULT_LIMIT = 20


class OneLineUsageError(click.ClickException):
    """Bad usage shown as one `Error: …` line (no usage block), exit code 2 as click's own."""

    exit_code = 2


class OneLineCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise OneLineUsageError(exc.format_message()) from None


class OneLineGroup(click.Group):
    command_class = OneLineCommand

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[Any, Any, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            raise OneLineUsageError(exc.format_message()) from None


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    try:
        return None if value is None else review.parse_since(value)
    except review.ReviewError as exc:
        raise OneLineUsageError(f"Invalid value for '--since': {exc}") from None


def db_option(func: F) -> F:
    return click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
                        help="Query log file (default: ZHEWEN_DB or data/zhewen.sqlite3).")(func)


def filter_options(func: F) -> F:
    func = click.option("--platform", type=click.Choice(review.PLATFORMS),
                        help="Only questions asked on this platform.")(func)
    return click.option("--since", callback=_since, metavar="WHEN",
                        help="Only questions since 7d, 24h or a UTC date such as 2025-09-01.")(func)


def limit_option(default: int | None) -> Callable[[F], F]:
    return click.option("--limit", type=click.IntRange(min=1), default=default, show_default=True,
                        help="At most this many rows.")


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print the design doc's JSON instead.")(func)


def _connect(db: Path | None) -> sqlite3.Connection:
    try:
        path = db if db is not None else load_settings().db
        return review.open_log(path)
    except (ConfigError, review.ReviewError) as exc:
        raise click.ClickException(str(exc)) from None


def _run(db: Path | None, query: Callable[[sqlite3.Connection], Any]) -> Any:
    conn = _connect(db)
    try:
        return query(conn)
    except sqlite3.Error as exc:
        raise click.ClickException(f"reading the query log failed: {exc}") from None
    finally:
        conn.close()


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _minute(ts: str | None) -> str:
    return (ts or "")[:16].replace("T", " ")


def _found_mark(found: bool | None) -> str:
    return {True: "yes", False: "no", None: "error"}[found]


def _percent(rate: float) -> str:
    return f"{rate * 100:.0f}%"


def _print_table(headers: list[str], rows: list[list[object]], **options: Any) -> None:
    click.echo(table(headers, rows, **options) if rows else "No questions match.")


@click.group(cls=OneLineGroup)
def logs() -> None:
    """Review the query log: what people ask, what the documents could not answer, how fast.

    \b
    Example:
      zhewen logs unanswered --since 7d
    """


@logs.command()
@db_option
@filter_options
@limit_option(DEFAULT_LIMIT)
@json_option
def recent(db: Path | None, since: datetime | None, platform: str | None, limit: int, as_json: bool) -> None:
    """Latest questions, newest first.

    \b
    Example:
      zhewen logs recent --platform telegram --limit 50
    """
    items = _run(db, lambda c: review.recent(c, since=since, platform=platform, limit=limit))
    if as_json:
        _print_json(items)
        return
    _print_table(
        ["time (UTC)", "platform", "chat", "found", "ms", "question", "answer"],
        [[_minute(i["ts"]), i["platform"], i["chat_type"], _found_mark(i["found"]),
          "" if i["latency_ms"] is None else f"{i['latency_ms']:.1f}", i["question"], i["answer"] or ""]
         for i in items],
        max_widths=[None, None, None, None, None, QUESTION_CELLS, QUESTION_CELLS],
        numeric=[False, False, False, False, True, False, False])


@logs.command()
@db_option
@filter_options
@limit_option(DEFAULT_LIMIT)
@json_option
def unanswered(db: Path | None, since: datetime | None, platform: str | None, limit: int,
               as_json: bool) -> None:
    """Questions the documents could not answer, grouped by normalised text, most asked first.

    \b
    Example:
      zhewen logs unanswered --since 7d
    """
    items = _run(db, lambda c: review.unanswered(c, since=since, platform=platform, limit=limit))
    if as_json:
        _print_json(items)
        return
    _print_table(["count", "last asked (UTC)", "question"],
                 [[i["count"], _minute(i["last_ts"]), i["question"]] for i in items],
                 max_widths=[None, None, 2 * QUESTION_CELLS], numeric=[True, False, False])


@logs.command()
@db_option
@filter_options
@limit_option(DEFAULT_LIMIT)
@json_option
def top(db: Path | None, since: datetime | None, platform: str | None, limit: int, as_json: bool) -> None:
    """Most asked questions, grouped by normalised text, with the share answered.

    \b
    Example:
      zhewen logs top --since 30d --limit 10
    """
    items = _run(db, lambda c: review.top(c, since=since, platform=platform, limit=limit))
    if as_json:
        _print_json(items)
        return
    _print_table(["count", "found", "question"],
                 [[i["count"], _percent(i["found_rate"]), i["question"]] for i in items],
                 max_widths=[None, None, 2 * QUESTION_CELLS], numeric=[True, True, False])


@logs.command()
@db_option
@filter_options
@limit_option(None)
@json_option
def stats(db: Path | None, since: datetime | None, platform: str | None, limit: int | None,
          as_json: bool) -> None:
    """Totals, found rate, questions per platform and per day, latency p50/p95, 👍/👎.

    --limit keeps only the latest days in the per-day counts.

    \b
    Example:
      zhewen logs stats --since 7d --json
    """
    result = _run(db, lambda c: review.stats(c, since=since, platform=platform, limit=limit))
    if as_json:
        _print_json(result)
        return
    click.echo("\n\n".join(_stats_blocks(result)))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _stats_blocks(result: dict[str, Any]) -> Iterable[str]:
    yield table(["total", "found", "latency p50", "latency p95", "👍", "👎"],
                [[result["total"], _percent(result["found_rate"]), _ms(result["latency_ms_p50"]),
                  _ms(result["latency_ms_p95"]), result["feedback"]["up"], result["feedback"]["down"]]],
                numeric=[True] * 6)
    if result["by_platform"]:
        yield table(["platform", "questions"], [list(kv) for kv in result["by_platform"].items()],
                    numeric=[False, True])
    if result["by_day"]:
        yield table(["day (UTC)", "questions"], [list(kv) for kv in result["by_day"].items()],
                    numeric=[False, True])


@logs.command()
@db_option
@filter_options
@limit_option(None)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True,
              help="CSV with a header row, or one JSON object per line.")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8", lazy=True), default="-",
              help="Write to this file instead of standard output.")
@click.option("--raw", is_flag=True,
              help="CSV cells exactly as logged, even those a spreadsheet would run as a formula.")
@click.option("--excel-safe", is_flag=True, hidden=True, help="The default now; kept for old scripts.")
def export(db: Path | None, since: datetime | None, platform: str | None, limit: int | None, fmt: str,
           output: Any, raw: bool, excel_safe: bool) -> None:
    """Every logged question with all its columns, oldest first.

    CSV is safe to open in Excel or WPS: a cell starting with = + - @ (a formula there, such as
    "=HYPERLINK(…)" typed by a user) gets a leading '. --raw keeps the cells exactly as logged; JSON
    lines are always exact.

    \b
    Example:
      zhewen logs export --format csv --since 2025-09-01 -o queries.csv
      zhewen logs export --format csv --raw -o queries-exact.csv
    """
    conn = _connect(db)
    try:
        rows = review.export_rows(conn, since=since, platform=platform, limit=limit)
        if fmt == "csv":
            writer = csv.writer(output)
            writer.writerow(QUERY_COLUMNS)
            cell = (lambda value: value) if raw else review.spreadsheet_safe
            writer.writerows([cell(row[c]) for c in QUERY_COLUMNS] for row in rows)
        else:
            for row in rows:
                row["found"] = None if row["found"] is None else bool(row["found"])
                row["refs"] = json.loads(row["refs"] or "[]")
                output.write(json.dumps(row, ensure_ascii=False) + "\n")
    except sqlite3.Error as exc:
        raise click.ClickException(f"reading the query log failed: {exc}") from None
    finally:
        conn.close()


@logs.command()
@db_option
@click.option("--older-than", "older_than", required=True, metavar="AGE",
              help="Delete questions older than this, e.g. 180d.")
def purge(db: Path | None, older_than: str) -> None:
    """Delete questions (and their feedback) older than AGE, e.g. to keep half a year.

    \b
    Example:
      zhewen logs purge --older-than 180d
    """
    try:
        age = review.parse_duration(older_than)
    except review.ReviewError as exc:
        raise OneLineUsageError(f"Invalid value for '--older-than': {exc}") from None
    deleted = _run(db, lambda c: review.purge(c, older_than=age))
    click.echo(f"Deleted {deleted} question(s) older than {older_than}.")
