"""`zhewen logs`: review the query log from a terminal (tables) or a script (`--json`, CSV, JSONL).

Reads never create a database; every problem is one `Error: …` line and a non-zero exit. Tables fit
the terminal (140 cells when output is not a terminal); `--wide` never cuts a cell. The log is a
SQLite file or a PostgreSQL database (`--db` or ZHEWEN_DB); every command prints the same on both.
"""
from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.querylog import review
from bot.querylog.render import fit_widths, one_line, table
from bot.querylog.rows import QUERY_COLUMNS
from bot.storage import StorageError
from bot.storage.target import PostgresUrl, Target, parse_target

F = TypeVar("F", bound=Callable[..., Any])
QUESTION_CELLS = 40
RECENT_QUESTION_CELLS = 30
RECENT_ARTICLE_CELLS = 16
DEFAULT_LIMIT = 20
PIPE_WIDTH = 140  # cells a table may take when the output is not a terminal
HISTOGRAM_BAR = 30


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


class TargetType(click.ParamType):
    """A SQLite file path, sqlite:///PATH or postgresql://… URL, as ZHEWEN_DB takes."""

    name = "PATH|URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Target:
        try:
            return parse_target(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def db_option(func: F) -> F:
    return click.option("--db", type=TargetType(),
                        help="Query log: a SQLite file or postgresql://… URL "
                             "(default: ZHEWEN_DB or data/zhewen.sqlite3).")(func)


def configured_db(db: Target | None) -> Target:
    """`--db` when given, else ZHEWEN_DB (settings are read only then: pydantic costs start-up time)."""
    if db is not None:
        return db
    from bot.settings import ConfigError, load_settings

    try:
        return load_settings().db
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def filter_options(func: F) -> F:
    func = click.option("--platform", type=click.Choice(review.PLATFORMS),
                        help="Only questions asked on this platform.")(func)
    return click.option("--since", callback=_since, metavar="WHEN",
                        help="Only questions since 7d, 24h or a UTC date such as 2025-09-01.")(func)


def limit_option(default: int | None) -> Callable[[F], F]:
    return click.option("--limit", type=click.IntRange(min=1), default=default, show_default=True,
                        help="At most this many rows.")


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(func)


def wide_option(func: F) -> F:
    return click.option("--wide", is_flag=True,
                        help="Never cut a cell: whole questions, answers and titles.")(func)


def _limits(headers: list[str], rows: list[list[object]], caps: list[int | None], wide: bool,
            flexible: int = -1) -> list[int | None]:
    """No limits with --wide; else the caps, column `flexible` (default: the last) taking the room
    the terminal leaves."""
    if wide:
        return [None] * len(headers)
    return fit_widths(headers, rows, caps, flexible % len(headers), terminal_width())


def terminal_width() -> int:
    """The terminal's width in cells, or PIPE_WIDTH when the output goes to a file or a pipe."""
    return shutil.get_terminal_size((PIPE_WIDTH, 24)).columns if sys.stdout.isatty() else PIPE_WIDTH


def _connect(db: Target | None) -> review.Connection:
    try:
        return review.open_log(configured_db(db))
    except review.ReviewError as exc:
        raise click.ClickException(str(exc)) from None


def _run(db: Target | None, query: Callable[[review.Connection], Any]) -> Any:
    conn = _connect(db)
    try:
        return query(conn)
    except (sqlite3.Error, review.ReviewError) as exc:
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


def _conf(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def more_hint(shown: int, total: int, what: str, order: str, limit: int | None) -> str:
    """The footer under a table: how many rows exist and how to see more of them."""
    if shown >= total:
        return f"{total:,} {what}{'' if total == 1 else 's'}, {order}."
    bigger = min(total, max((limit or shown) * 5, 100))
    return (f"Showing {shown:,} of {total:,} {what}s, {order}. "
            f"See more with --limit {bigger}, or narrow with --since / --platform.")


@click.group(cls=OneLineGroup)
def logs() -> None:
    """Review the query log: what people ask, which answers look wrong, what the documents could
    not answer, how fast.

    \b
    Example:
      zhewen logs suspect --since 7d
      zhewen logs show 123456789012345
      zhewen logs unanswered --since 7d
    """


@logs.command()
@db_option
@filter_options
@limit_option(DEFAULT_LIMIT)
@json_option
@wide_option
def recent(db: Target | None, since: datetime | None, platform: str | None, limit: int, as_json: bool,
           wide: bool) -> None:
    """Latest questions, newest first, with the article each answer cites.

    Answers take the room the terminal leaves; --wide shows them whole.

    \b
    Example:
      zhewen logs recent --platform telegram --limit 50
      zhewen logs recent --wide
    """
    items, total = _run(db, lambda c: (review.recent(c, since=since, platform=platform, limit=limit),
                                       review.count(c, since=since, platform=platform)))
    if as_json:
        _print_json(items)
        return
    headers = ["time (UTC)", "platform", "found", "conf", "question", "answer", "article", "id"]
    rows = [[_minute(i["ts"]), i["platform"], _found_mark(i["found"]), _conf(i["confidence"]), i["question"],
             i["answer"] or "", i["article"] or "", i["id"]] for i in items]
    caps = [None, None, None, None, RECENT_QUESTION_CELLS, None, RECENT_ARTICLE_CELLS, None]
    _print_table(headers, rows, max_widths=_limits(headers, rows, caps, wide, flexible=5),
                 numeric=[False, False, False, True, False, False, False, True])
    if items:
        click.echo(more_hint(len(items), total, "question", "newest first", limit))


@logs.command()
@db_option
@filter_options
@limit_option(DEFAULT_LIMIT)
@json_option
def unanswered(db: Target | None, since: datetime | None, platform: str | None, limit: int,
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
@wide_option
def top(db: Target | None, since: datetime | None, platform: str | None, limit: int, as_json: bool,
        wide: bool) -> None:
    """Most asked questions, grouped by normalised text, with the share answered and the article
    cited the last time each was asked.

    \b
    Example:
      zhewen logs top --since 30d --limit 10
    """
    items, total = _run(db, lambda c: review.top_with_total(c, since=since, platform=platform, limit=limit))
    if as_json:
        _print_json(items)
        return
    headers = ["count", "found", "question", "article"]
    rows = [[i["count"], _percent(i["found_rate"]), i["question"], i["article"] or ""] for i in items]
    caps = [None, None, 2 * QUESTION_CELLS, None]
    _print_table(headers, rows, max_widths=_limits(headers, rows, caps, wide),
                 numeric=[True, True, False, False])
    if items:
        click.echo(more_hint(len(items), total, "distinct question", "most asked first", limit))


@logs.command()
@db_option
@filter_options
@limit_option(None)
@json_option
def stats(db: Target | None, since: datetime | None, platform: str | None, limit: int | None,
          as_json: bool) -> None:
    """Totals, found rate, questions per platform and per day (with the share of suspect answers),
    latency p50/p95, 👍/👎, and how confident the answers were.

    --limit keeps only the latest days in the per-day counts. An answer is suspect when its
    confidence is below 0.8, or it was asked again in other words, got 👎 or 更多 right after.

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
        suspect = result["suspect_by_day"]
        yield table(["day (UTC)", "questions", "suspect answers"],
                    [[day, n, _percent(suspect.get(day, 0.0))] for day, n in result["by_day"].items()],
                    numeric=[False, True, True])
    histogram = result["confidence_histogram"]
    most = max(histogram.values(), default=0)
    if most:
        yield table(["confidence", "answers", ""],
                    [[label, n, "█" * round(n / most * HISTOGRAM_BAR)] for label, n in histogram.items()],
                    numeric=[False, True, False])


@logs.command()
@db_option
@filter_options
@limit_option(DEFAULT_LIMIT)
@json_option
def suspect(db: Target | None, since: datetime | None, platform: str | None, limit: int,
            as_json: bool) -> None:
    """The answers most likely wrong, most suspect first, each with why.

    Signs, strongest first: the same user asked again in other words within two minutes; 👎;
    更多 (or, weaker, 原文) asked right after; low confidence. 👍 counts against. Declined
    questions are not listed here: see `zhewen logs unanswered`.

    \b
    Example:
      zhewen logs suspect --since 7d
      zhewen logs suspect --json --limit 50
    """
    items, total = _run(db, lambda c: (review.suspect(c, since=since, platform=platform, limit=limit),
                                       review.count(c, since=since, platform=platform, answered=True)))
    if as_json:
        _print_json(items)
        return
    if not items:
        click.echo("No answers match.")
        return
    click.echo("\n\n".join(suspect_block(n, item) for n, item in enumerate(items, 1)))
    click.echo()
    click.echo(more_hint(len(items), total, "answer", "most suspect first", limit)
               + " One in full: zhewen logs show ID.")


def _cited(article: str | None, section: str | None) -> str:
    if not article:
        return "-"
    return f"{article} › {section}" if section and section != article else article


def suspect_block(number: int, item: dict[str, Any]) -> str:
    """One suspect answer as a few labelled lines: where, the exchange, the citation, why."""
    head = (f"{number}. id {item['id']}  {_minute(item['ts'])} UTC  {item['platform']}  "
            f"confidence {_conf(item['confidence']) or '-'}  score {item['score']:.2f}")
    return "\n".join([head, f"   question: {one_line(item['question'])}",
                      f"   answer:   {one_line(item['answer'])}",
                      f"   cited:    {one_line(_cited(item['article'], item['section']))}",
                      f"   why:      {one_line('; '.join(item['why']))}"])


@logs.command()
@db_option
@click.argument("query_id", metavar="ID", type=click.IntRange(min=0, max=2**63 - 1))
@json_option
def show(db: Target | None, query_id: int, as_json: bool) -> None:
    """One exchange in full: question, normalised question, answer, every reference with its titles,
    confidence, latency, feedback, follow-ups, re-asks, platform and time. IDs are in the first
    column of `recent` and in `suspect`.

    \b
    Example:
      zhewen logs show 123456789012345
    """
    item = _run(db, lambda c: review.show(c, query_id))
    if item is None:
        raise click.ClickException(f"no question with id {query_id} in the log")
    if as_json:
        _print_json(item)
        return
    click.echo(show_text(item))


def _reference_line(ref: dict[str, Any]) -> str:
    source = f"《{ref['source']}》" if ref.get("source") else ""
    page = f"第{ref['page']}页" if ref.get("page") is not None else ""
    where = f"{source}{page}，{_cited(ref.get('article'), ref.get('section'))}" if ref.get("article") \
        else "(title unknown: the passage is no longer in the corpus)"
    return f"{where}  [passage {ref.get('passage_id')}, score {ref.get('score')}]"


def show_text(item: dict[str, Any]) -> str:
    """`logs show` for a terminal: one labelled line per field, references numbered."""
    votes = {1: 0, -1: 0}
    for vote in item["feedback"]:
        votes[vote["value"]] = votes.get(vote["value"], 0) + 1
    lines = [
        ("id", item["id"]), ("time (UTC)", item["ts"]),
        ("platform", f"{item['platform']} ({item['chat_type']})"),
        ("chat / user", f"{item['chat_id'] or '-'} / {item['user_id'] or '-'}"),
        ("question", item["question"]), ("normalized", item["normalized"]),
        ("found", _found_mark(item["found"])), ("answer", item["answer"] or ""),
        ("cited", _cited(item["article"], item["section"])),
        ("confidence", _conf(item["confidence"]) or "-"), ("top score", item["top_score"]),
        ("latency", _ms(item["latency_ms"])), ("reply", f"{item['reply_chars']} characters"),
        ("feedback", f"👍 {votes[1]}  👎 {votes[-1]}"),
        ("follow-ups", ", ".join(f"{'更多' if f['kind'] == 'more' else '原文'} at {f['ts']}"
                                 for f in item["followups"]) or "-"),
        ("asked again", "; ".join(f"id {r['id']} at {r['ts']}: {r['question']}" for r in item["rephrased_by"])
         or "-"),
        ("re-asks", item["rephrase_of"] or "-"),
    ]
    if item["error"]:
        lines.append(("error", item["error"]))
    width = max(len(label) for label, _ in lines)
    text = [f"{label:<{width}}  {one_line(value)}" for label, value in lines]
    text.append("references" if item["refs"] else "references  -")
    text += [f"  {n}. {one_line(_reference_line(ref))}" for n, ref in enumerate(item["refs"], 1)]
    return "\n".join(text)


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
def export(db: Target | None, since: datetime | None, platform: str | None, limit: int | None, fmt: str,
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
    except (sqlite3.Error, review.ReviewError) as exc:
        raise click.ClickException(f"reading the query log failed: {exc}") from None
    finally:
        conn.close()


@logs.command()
@db_option
@click.option("--older-than", "older_than", required=True, metavar="AGE",
              help="Delete questions older than this, e.g. 180d.")
def purge(db: Target | None, older_than: str) -> None:
    """Delete questions (and their feedback and follow-ups) older than AGE, e.g. to keep half a year.

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


class PostgresUrlType(TargetType):
    name = "URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> PostgresUrl:
        target = super().convert(value, param, ctx)
        if not isinstance(target, PostgresUrl):
            self.fail(f"expected a postgresql:// URL, got {value!r}", param, ctx)
        return target


@logs.command()
@click.option("--to", "to", type=PostgresUrlType(), required=True,
              help="The PostgreSQL database to copy into.")
@click.option("--from", "source", type=click.Path(dir_okay=False, path_type=Path),
              help="The SQLite log to copy (default: ZHEWEN_DB).")
def migrate(to: PostgresUrl, source: Path | None) -> None:
    """Copy a SQLite query log into PostgreSQL, for several replicas sharing one log.

    Creates the tables when needed (as `zhewen db upgrade`), copies every question, vote and
    follow-up in one transaction, and skips what is already there: running it again copies
    nothing twice. The SQLite log's pseudonym key goes along when PostgreSQL has none yet.

    \b
    Example:
      zhewen logs migrate --to postgresql://zhewen@db.example.com/zhewen
      zhewen logs migrate --from /data/zhewen.sqlite3 --to postgresql://zhewen@127.0.0.1/zhewen
    """
    from bot.querylog.transfer import copy_log

    origin = source if source is not None else configured_db(None)
    if isinstance(origin, PostgresUrl):
        raise OneLineUsageError("ZHEWEN_DB is already a postgresql:// URL: "
                                "name the SQLite log with --from PATH")
    try:
        copied = copy_log(origin, to)
    except (StorageError, sqlite3.Error, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Copied {copied.queries:,} question(s), {copied.feedback:,} vote(s) and "
               f"{copied.followups:,} follow-up(s) from {origin} to {to}; "
               f"{copied.skipped:,} row(s) were there already.")
    if copied.same_salt is False:
        click.echo("Note: PostgreSQL already keeps another pseudonym key; users get new pseudonyms "
                   "in the rows logged from now on (set ZHEWEN_LOG_SALT to choose one key for both).")
