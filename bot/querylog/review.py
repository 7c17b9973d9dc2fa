"""Read-side queries over the log, in plain sqlite3: `zhewen logs` and the admin `/stats` commands.

Every function takes an open connection or a path, plus the filters `since` (an aware datetime)
and `platform`, and returns the JSON-ready objects of the design doc.
"""
from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.querylog.rows import QUERY_COLUMNS, utc_timestamp

PLATFORMS: tuple[str, ...] = ("telegram", "wecom", "cli")
GROUP_KEY = "coalesce(nullif(normalized, ''), question)"  # errors have no normalised form

ConnOrPath = sqlite3.Connection | str | Path


class ReviewError(Exception):
    """A one-line, user-facing problem: bad filter, missing or foreign database file."""


def open_log(path: str | Path) -> sqlite3.Connection:
    """Open an existing log for reading or purging; never creates a file by reading."""
    path = Path(path)
    if not path.is_file():
        raise ReviewError(f"no query log at {path} (set ZHEWEN_DB or pass --db)")
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        conn.row_factory = sqlite3.Row
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise ReviewError(f"cannot read {path} as a SQLite database: {exc}") from None
    if not {"queries", "feedback"} <= tables:
        conn.close()
        raise ReviewError(f"{path} is not a zhewen query log (no queries/feedback tables)")
    return conn


@contextmanager
def _connection(conn_or_path: ConnOrPath) -> Iterator[sqlite3.Connection]:
    if isinstance(conn_or_path, sqlite3.Connection):
        yield conn_or_path
        return
    conn = open_log(conn_or_path)
    try:
        yield conn
    finally:
        conn.close()


_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """`30m`, `24h`, `7d`, `2w` -> timedelta."""
    match = _RELATIVE.match(text)
    if not match:
        raise ReviewError(f"expected a duration such as 24h, 7d or 180d, got {text!r}")
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`7d`, `24h` (back from now) or a UTC date/time `2025-09-01`, `2025-09-01T08:00`."""
    now = now or datetime.now(UTC)
    if _RELATIVE.match(text):
        return now - parse_duration(text)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReviewError(f"expected 7d, 24h or a date such as 2025-09-01, got {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _where(since: datetime | None, platform: str | None, *extra: str) -> tuple[str, list[Any]]:
    clauses, params = list(extra), []
    if since is not None:
        clauses.append("ts >= ?")
        params.append(utc_timestamp(since))
    if platform is not None:
        clauses.append("platform = ?")
        params.append(platform)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _found(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _rate(hits: int | None, total: int) -> float:
    return round((hits or 0) / total, 4) if total else 0.0


def recent(conn_or_path: ConnOrPath, *, since: datetime | None = None, platform: str | None = None,
           limit: int | None = 20) -> list[dict[str, Any]]:
    """Latest questions first: ts, platform, chat_type, question, found, answer, confidence, latency_ms."""
    where, params = _where(since, platform)
    sql = (f"SELECT ts, platform, chat_type, question, found, answer, confidence, latency_ms "
           f"FROM queries{where} "
           "ORDER BY ts DESC, id DESC LIMIT ?")
    with _connection(conn_or_path) as conn:
        result = [dict(r) for r in conn.execute(sql, [*params, -1 if limit is None else limit])]
    for item in result:
        item["found"] = _found(item["found"])
    return result


def unanswered(conn_or_path: ConnOrPath, *, since: datetime | None = None, platform: str | None = None,
               limit: int | None = 20) -> list[dict[str, Any]]:
    """Questions the documents did not answer, grouped by normalised text, most frequent first.

    `question` is the latest wording asked in each group (SQLite takes bare columns from the max() row).
    """
    where, params = _where(since, platform, "found = 0")
    sql = (f"SELECT question, count(*) AS count, max(ts) AS last_ts FROM queries{where} "
           f"GROUP BY {GROUP_KEY} ORDER BY count DESC, last_ts DESC LIMIT ?")
    with _connection(conn_or_path) as conn:
        return [dict(r) for r in conn.execute(sql, [*params, -1 if limit is None else limit])]


def top(conn_or_path: ConnOrPath, *, since: datetime | None = None, platform: str | None = None,
        limit: int | None = 20) -> list[dict[str, Any]]:
    """Most asked questions, grouped by normalised text, with the share that was answered."""
    where, params = _where(since, platform)
    sql = (f"SELECT question, count(*) AS count, sum(found = 1) AS hits, max(ts) AS last_ts "
           f"FROM queries{where} GROUP BY {GROUP_KEY} ORDER BY count DESC, last_ts DESC LIMIT ?")
    with _connection(conn_or_path) as conn:
        found = conn.execute(sql, [*params, -1 if limit is None else limit]).fetchall()
    return [{"question": r["question"], "count": r["count"], "found_rate": _rate(r["hits"], r["count"])}
            for r in found]


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an ascending list; None when empty."""
    if not sorted_values:
        return None
    return sorted_values[max(math.ceil(pct / 100 * len(sorted_values)) - 1, 0)]


def stats(conn_or_path: ConnOrPath, *, since: datetime | None = None, platform: str | None = None,
          limit: int | None = None) -> dict[str, Any]:
    """Totals, found rate, counts per platform and per UTC day, latency p50/p95, 👍/👎 counts.

    `limit` keeps only the latest days in `by_day`; every other figure covers all matching rows.
    """
    where, params = _where(since, platform)
    timed, _ = _where(since, platform, "latency_ms IS NOT NULL")
    with _connection(conn_or_path) as conn:
        total, hits = conn.execute(f"SELECT count(*), sum(found = 1) FROM queries{where}", params).fetchone()
        by_platform = dict(conn.execute(
            f"SELECT platform, count(*) FROM queries{where} GROUP BY platform ORDER BY platform", params))
        by_day = dict(reversed(conn.execute(
            f"SELECT substr(ts, 1, 10) AS day, count(*) FROM queries{where} GROUP BY day "
            "ORDER BY day DESC LIMIT ?", [*params, -1 if limit is None else limit]).fetchall()))
        latencies = [r[0] for r in conn.execute(f"SELECT latency_ms FROM queries{timed} ORDER BY latency_ms",
                                                params)]
        up, down = conn.execute(
            "SELECT sum(value = 1), sum(value = -1) FROM feedback "
            f"WHERE query_id IN (SELECT id FROM queries{where})", params).fetchone()
        dropped = _counter(conn, "dropped")
    return {
        "total": total,
        "found_rate": _rate(hits, total),
        "by_platform": by_platform,
        "by_day": by_day,
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p95": percentile(latencies, 95),
        "feedback": {"up": up or 0, "down": down or 0},
        "dropped": dropped,  # rows the writers could not log (full queue, disk error), since ever
    }


def _counter(conn: sqlite3.Connection, name: str) -> int:
    try:
        row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    except sqlite3.OperationalError:  # a log from before the counters table
        return 0
    return int(row[0]) if row else 0


# Spreadsheets run a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with ' to keep it text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_rows(conn_or_path: ConnOrPath, *, since: datetime | None = None, platform: str | None = None,
                limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Every column of every matching question, oldest first, for CSV/JSONL export."""
    where, params = _where(since, platform)
    sql = f"SELECT {', '.join(QUERY_COLUMNS)} FROM queries{where} ORDER BY ts, id LIMIT ?"
    with _connection(conn_or_path) as conn:
        for row in conn.execute(sql, [*params, -1 if limit is None else limit]):
            yield dict(row)


def purge(conn_or_path: ConnOrPath, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete questions (and their feedback) older than `older_than`; returns how many questions."""
    cutoff = utc_timestamp((now or datetime.now(UTC)) - older_than)
    with _connection(conn_or_path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM feedback WHERE query_id IN (SELECT id FROM queries WHERE ts < ?)",
                         (cutoff,))
            deleted = conn.execute("DELETE FROM queries WHERE ts < ?", (cutoff,)).rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return deleted
