"""Read-side queries over the log: `zhewen logs` and the admin `/stats` commands.

Every function takes an open connection or a path (or PostgreSQL URL), plus the filters `since` (an
aware datetime) and `platform`, and returns the JSON-ready objects of DESIGN.md's "Query-log review"
table. The queries are written once in SQLite's spelling and run on PostgreSQL through a connection
that reads like sqlite3 (bot/storage/postgres.py); what differs is in the dialect (bot/storage/
dialect.py): the same rows give the same objects on both.

Speed on a large log comes from the indexes in schema.py (0008): figures are read from indexes
that hold every column they need, never from the rows (which carry the answers and references):
a time window or a platform is a range of (ts, platform, found, confidence, latency_ms); grouping
walks (group_key, found, platform, ts) in group order; `suspect` reads only the rows with a signal
(👎, follow-ups, re-asks: small tables or a partial index) plus the `limit` least confident answers
(the first entries of (found, confidence, top_score)) instead of scoring every row.
"""
from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.querylog import schema
from bot.querylog.rows import QUERY_COLUMNS, utc_timestamp
from bot.querylog.suspect import FOLLOWUP_WINDOW_S, LOW_CONFIDENCE, Evidence, Reask, rank, reasons
from bot.storage import StorageError
from bot.storage.dialect import POSTGRES, SQLITE, Dialect
from bot.storage.postgres import PgConnection
from bot.storage.target import PostgresUrl, parse_target

PLATFORMS: tuple[str, ...] = ("telegram", "wecom", "cli")
# Questions are grouped by `group_key`, a virtual column (schema.py, 0008): the normalised question,
# or the question itself for an engine error (which has no normalised form).
FILTER_INDEX = "queries_ts_review"

Connection = sqlite3.Connection | PgConnection
ConnOrPath = Connection | str | Path | PostgresUrl


class ReviewError(StorageError):
    """A one-line, user-facing problem: bad filter, missing or foreign database, unreachable server."""


def open_log(path: str | Path | PostgresUrl) -> Connection:
    """Open an existing log for reading or purging; never creates a file by reading."""
    try:
        path = parse_target(path)
    except ValueError as exc:
        raise ReviewError(str(exc)) from None
    if isinstance(path, PostgresUrl):
        return _open_postgres(path)
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
    try:
        upgrade(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise ReviewError(f"cannot upgrade {path} to the current log format: {exc}") from None
    return conn


def _open_postgres(url: PostgresUrl) -> PgConnection:
    """A PostgreSQL log, upgraded when an older version wrote it; StorageError becomes ReviewError."""
    from bot.storage import postgres

    try:
        conn = postgres.connect(url, error=ReviewError)
    except StorageError as exc:
        raise ReviewError(str(exc)) from None
    try:
        # The review looks up tens of thousands of rows by id (answers with a sign from their readers);
        # the default cost of a random read (for spinning disks) makes the planner read the whole
        # table instead, ten times slower on a million rows held in memory or on SSD.
        conn.execute("SET random_page_cost = 1.1")
        conn.execute("SET jit = off")  # compiling costs more than it saves on these short reads
        if not conn.execute("SELECT to_regclass('queries') IS NOT NULL AND to_regclass('feedback') "
                            "IS NOT NULL AND to_regclass('migrations') IS NOT NULL").fetchone()[0]:
            raise ReviewError(f"{url} holds no zhewen query log (run: zhewen db upgrade)")
        schema.migrate(conn)
    except (ReviewError, StorageError) as exc:
        conn.close()
        raise ReviewError(str(exc)) from None
    return conn


def upgrade(conn: sqlite3.Connection) -> list[str]:
    """Apply the migrations a log written by an older version lacks (a current log is not written to)."""
    if conn.execute("PRAGMA user_version").fetchone()[0] >= schema.SCHEMA_VERSION:
        return []
    return schema.migrate(conn)


def _dialect(conn: Connection) -> Dialect:
    return POSTGRES if isinstance(conn, PgConnection) else SQLITE


@contextmanager
def _connection(conn_or_path: ConnOrPath) -> Iterator[Connection]:
    if isinstance(conn_or_path, Connection):
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


def _where(since: datetime | None, platform: str | None, *extra: str,
           table: str = "") -> tuple[str, list[Any]]:
    """` WHERE …` for the filters (columns of `table` when given) and extra clauses, with parameters."""
    column = f"{table}." if table else ""
    clauses, params = list(extra), []
    if since is not None:
        clauses.append(f"{column}ts >= ?")
        params.append(utc_timestamp(since))
    if platform is not None:
        clauses.append(f"{column}platform = ?")
        params.append(platform)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _queries(d: Dialect, since: datetime | None, platform: str | None, unfiltered: str = "",
             alias: str = "") -> str:
    """`queries` with the index to read it by. With a filter: the (ts, platform, found, confidence,
    latency_ms) index, which holds every column the figures need, so a time window is one range of
    it and a platform is checked without reading the row. Without one: `unfiltered`, if given.
    (SQLite's planner has no statistics to choose by, and a wrong guess costs seconds on a large log;
    PostgreSQL's has, and takes no hint.)"""
    name = f"queries AS {alias}" if alias else "queries"
    return name + d.indexed(FILTER_INDEX if since is not None or platform is not None else unfiltered)


def _limit(d: Dialect, limit: int | None) -> int | None:
    return d.no_limit if limit is None else limit


def _found(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _rate(hits: int | None, total: int) -> float:
    return round((hits or 0) / total, 4) if total else 0.0


def recent(conn_or_path: ConnOrPath, *, since: datetime | None = None, platform: str | None = None,
           limit: int | None = 20) -> list[dict[str, Any]]:
    """Latest questions first: id, ts, platform, chat_type, question, found, answer, the cited article,
    confidence, latency_ms."""
    where, params = _where(since, platform)
    sql = (f"SELECT id, ts, platform, chat_type, question, found, answer, article, confidence, latency_ms "
           f"FROM queries{where} ORDER BY ts DESC, id DESC LIMIT ?")
    with _connection(conn_or_path) as conn:
        result = [dict(r) for r in conn.execute(sql, [*params, _limit(_dialect(conn), limit)])]
    for item in result:
        item["found"] = _found(item["found"])
    return result


def count(conn_or_path: ConnOrPath, *, since: datetime | None = None, platform: str | None = None,
          answered: bool = False) -> int:
    """How many questions match the filters (only answered ones with `answered`), for footers."""
    where, params = _where(since, platform, *(["found = 1"] if answered else []))
    with _connection(conn_or_path) as conn:
        source = _queries(_dialect(conn), since, platform, "queries_found_confidence" if answered else "")
        return int(conn.execute(f"SELECT count(*) FROM {source}{where}", params).fetchone()[0])


def _grouped(conn: Connection, where: str, params: list[Any],
             limit: int | None) -> tuple[list[dict[str, Any]], int]:
    """Groups of questions by `group_key`, most asked first (then the latest), and how many groups
    there are in all. Read in group order from the index on (group_key, found, platform, ts); the
    wording and article shown are then read for the `limit` groups only, from their latest row."""
    d = _dialect(conn)
    by_group = d.indexed("queries_group_key")
    sql = (f"SELECT group_key, count(*) AS count, {d.count_if('found = 1')} AS hits, max(ts) AS last_ts, "
           f"count(*) OVER () AS groups FROM queries{by_group}{where} "
           "GROUP BY group_key ORDER BY count DESC, last_ts DESC LIMIT ?")
    found = [dict(r) for r in conn.execute(sql, [*params, _limit(d, limit)])]
    for group in found:
        latest = conn.execute(f"SELECT question, article FROM queries{by_group} "
                              "WHERE group_key = ? AND ts = ? ORDER BY id DESC LIMIT 1",
                              (group["group_key"], group["last_ts"])).fetchone()
        group["question"], group["article"] = latest if latest else (group["group_key"], None)
    return found, found[0]["groups"] if found else 0


def unanswered(conn_or_path: ConnOrPath, *, since: datetime | None = None, platform: str | None = None,
               limit: int | None = 20) -> list[dict[str, Any]]:
    """Questions the documents did not answer, grouped by normalised text, most frequent first;
    `question` is the latest wording asked in each group."""
    where, params = _where(since, platform, "found = 0")
    with _connection(conn_or_path) as conn:
        groups, _ = _grouped(conn, where, params, limit)
    return [{"question": g["question"], "count": g["count"], "last_ts": g["last_ts"]} for g in groups]


def top_with_total(conn_or_path: ConnOrPath, *, since: datetime | None = None, platform: str | None = None,
                   limit: int | None = 20) -> tuple[list[dict[str, Any]], int]:
    """`top`, and how many distinct questions there are in all (for the footer)."""
    where, params = _where(since, platform)
    with _connection(conn_or_path) as conn:
        groups, total = _grouped(conn, where, params, limit)
    return [{"question": g["question"], "count": g["count"], "found_rate": _rate(g["hits"], g["count"]),
             "article": g["article"]} for g in groups], total


def top(conn_or_path: ConnOrPath, *, since: datetime | None = None, platform: str | None = None,
        limit: int | None = 20) -> list[dict[str, Any]]:
    """Most asked questions, grouped by normalised text, with the share that was answered and the
    article cited the last time it was asked (None when that time it was not answered)."""
    return top_with_total(conn_or_path, since=since, platform=platform, limit=limit)[0]


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an ascending list; None when empty."""
    if not sorted_values:
        return None
    return sorted_values[_rank_index(len(sorted_values), pct)]


def _rank_index(size: int, pct: float) -> int:
    return max(math.ceil(pct / 100 * size) - 1, 0)


def stats(conn_or_path: ConnOrPath, *, since: datetime | None = None, platform: str | None = None,
          limit: int | None = None) -> dict[str, Any]:
    """Totals, found rate, counts per platform and per UTC day, latency p50/p95, 👍/👎 counts, the
    confidence of the answers (tenths) and the share of suspect answers per day.

    `limit` keeps only the latest days in `by_day` and `suspect_by_day`; every other figure covers all
    matching rows.
    """
    where, params = _where(since, platform)
    feedback_where, _ = _where(since, platform, table="q")
    with _connection(conn_or_path) as conn:
        d = _dialect(conn)
        if d is POSTGRES:
            days, by_platform, timed = _tally(conn, since, platform)
        else:
            days, timed = _per_day(conn, since, platform), None
            by_platform = dict(conn.execute(
                f"SELECT platform, count(*) FROM queries{where} GROUP BY platform ORDER BY platform", params))
        p50, p95 = _latency_percentiles(conn, since, platform, (50, 95), timed)
        up, down = conn.execute(
            f"SELECT {d.count_if('f.value = 1')}, {d.count_if('f.value = -1')} FROM feedback AS f "
            f"{d.cross_join} queries AS q ON q.id = f.query_id{feedback_where}", params).fetchone()
        dropped = _counter(conn, "dropped")
        histogram = _confidence_histogram(conn, since, platform)
        shown = list(days)[-limit:] if limit is not None else list(days)
        suspect_by_day = _suspect_by_day(conn, since, platform, {day: days[day] for day in shown})
    total = sum(d[0] for d in days.values())
    return {
        "total": total,
        "found_rate": _rate(sum(d[1] for d in days.values()), total),
        "by_platform": by_platform,
        "by_day": {day: days[day][0] for day in shown},
        "latency_ms_p50": p50,
        "latency_ms_p95": p95,
        "feedback": {"up": up or 0, "down": down or 0},
        "dropped": dropped,  # rows the writers could not log (full queue, disk error), since ever
        "confidence_histogram": histogram,
        "suspect_by_day": suspect_by_day,
    }


def _per_day(conn: Connection, since: datetime | None,
             platform: str | None) -> dict[str, tuple[int, int, int]]:
    """UTC day -> (questions, answered, answered with confidence below LOW_CONFIDENCE), oldest
    first, days without questions left out. One range count per day on the filter index: faster
    than grouping by a day computed from every row, which has to sort them all."""
    where, params = _where(since, platform)
    first = conn.execute(f"SELECT min(ts) FROM queries{where}", params).fetchone()[0]
    last = conn.execute(f"SELECT max(ts) FROM queries{where}", params).fetchone()[0]
    if first is None or last is None:
        return {}
    day_where, day_params = _where(None, platform, "ts >= ?", "ts < ?")
    d = _dialect(conn)
    sql = (f"SELECT count(*), {d.count_if('found = 1')}, {d.count_if('found = 1 AND confidence < ?')} "
           f"FROM {_queries(d, None, None, FILTER_INDEX)}{day_where}")
    out: dict[str, tuple[int, int, int]] = {}
    day = date.fromisoformat(first[:10])
    while day.isoformat() <= last[:10]:
        start = day.isoformat() if since is None else max(day.isoformat(), utc_timestamp(since))
        end = (day + timedelta(days=1)).isoformat()
        questions, answered, low = conn.execute(sql, [LOW_CONFIDENCE, start, end, *day_params]).fetchone()
        if questions:
            out[day.isoformat()] = (questions, answered or 0, low or 0)
        day += timedelta(days=1)
    return out


def _tally(conn: Connection, since: datetime | None,
           platform: str | None) -> tuple[dict[str, tuple[int, int, int]], dict[str, int], int]:
    """PostgreSQL's `_per_day`, questions per platform and how many have a latency, in one grouped
    pass over the (ts, platform, found, confidence, latency_ms) index: its per-statement cost makes
    one pass cheaper than a count per day plus two more passes (SQLite's is the other way round)."""
    where, params = _where(since, platform)
    sql = (f"SELECT substr(ts, 1, 10) AS day, platform, count(*), {POSTGRES.count_if('found = 1')}, "
           f"{POSTGRES.count_if('found = 1 AND confidence < ?')}, count(latency_ms) FROM queries{where} "
           "GROUP BY day, platform ORDER BY day")
    days: dict[str, tuple[int, int, int]] = {}
    platforms: dict[str, int] = {}
    timed = 0
    for day, name, questions, answered, low, latencies in conn.execute(sql, [LOW_CONFIDENCE, *params]):
        before = days.get(day, (0, 0, 0))
        days[day] = (before[0] + questions, before[1] + answered, before[2] + low)
        platforms[name] = platforms.get(name, 0) + questions
        timed += latencies
    return days, dict(sorted(platforms.items())), timed


def _latency_percentiles(conn: Connection, since: datetime | None, platform: str | None,
                         pcts: tuple[float, ...], size: int | None = None) -> list[float | None]:
    """Nearest-rank latency percentiles, each one walk along the (latency_ms, platform, ts) index to
    the k-th matching entry: no row is read and nothing is sorted, whatever the filter. `size`: how
    many latencies match, when already counted."""
    d = _dialect(conn)
    where, params = _where(since, platform, "latency_ms IS NOT NULL")
    if size is None:
        size = conn.execute(f"SELECT count(*) FROM {_queries(d, since, platform)}{where}",
                            params).fetchone()[0]
    sql = (f"SELECT latency_ms FROM queries{d.indexed('queries_latency')}{where} "
           "ORDER BY latency_ms LIMIT 1 OFFSET ?")
    return [conn.execute(sql, [*params, _rank_index(size, p)]).fetchone()[0] if size else None for p in pcts]


HISTOGRAM_BUCKETS = 10


def histogram_label(bucket: int) -> str:
    """`0.8-0.9` for bucket 8 of ten; the last one includes 1.0."""
    return f"{bucket / HISTOGRAM_BUCKETS:.1f}-{(bucket + 1) / HISTOGRAM_BUCKETS:.1f}"


def _confidence_histogram(conn: Connection, since: datetime | None,
                          platform: str | None) -> dict[str, int]:
    """Answered questions per tenth of confidence (rows logged before confidence existed are left out).
    Without a time window, one range count per tenth of the (found, confidence, top_score, platform)
    index; with one, a single pass over the window."""
    d = _dialect(conn)
    if since is None:
        where, params = _where(None, platform, "found = 1", "confidence >= ?", "confidence < ?")
        sql = f"SELECT count(*) FROM queries{d.indexed('queries_found_confidence')}{where}"
        edges = [b / HISTOGRAM_BUCKETS for b in range(HISTOGRAM_BUCKETS)] + [float("inf")]
        return {histogram_label(b): conn.execute(sql, [edges[b], edges[b + 1], *params]).fetchone()[0]
                for b in range(HISTOGRAM_BUCKETS)}
    where, params = _where(since, platform, "found = 1", "confidence IS NOT NULL")
    bucket = d.bucket("confidence", HISTOGRAM_BUCKETS)
    sql = f"SELECT {bucket} AS bucket, count(*) FROM {_queries(d, since, platform)}{where} GROUP BY bucket"
    counts = dict(conn.execute(sql, params))
    return {histogram_label(b): counts.get(b, 0) for b in range(HISTOGRAM_BUCKETS)}


# The answers with a strong sign from their readers (suspect.is_suspect without the confidence
# part): 👎, 更多 within FOLLOWUP_WINDOW_S of the answer, or re-asked in other words. Counted in SQL,
# for `logs stats` over a whole log: building evidence per answer in Python costs twice as long.
def _strong_signs(d: Dialect) -> str:
    return f"""SELECT query_id AS id FROM feedback WHERE value = -1
    UNION SELECT m.query_id FROM (SELECT query_id, min(ts) AS first FROM followups WHERE kind = 'more'
                                  GROUP BY query_id) AS m
          {d.cross_join} queries AS o ON o.id = m.query_id
          WHERE {d.seconds_between('m.first', 'o.ts')} <= ?
    UNION SELECT rephrase_of FROM queries{d.indexed('queries_rephrase_of')} WHERE rephrase_of IS NOT NULL"""


def _suspect_by_day(conn: Connection, since: datetime | None, platform: str | None,
                    days: dict[str, tuple[int, int, int]]) -> dict[str, float]:
    """Per UTC day of `days`, the share of answers that look wrong (suspect.is_suspect): confidence
    below LOW_CONFIDENCE (counted per day already), or a strong sign with a higher confidence."""
    d = _dialect(conn)
    where, params = _where(since, platform, "q.found = 1", "(q.confidence IS NULL OR q.confidence >= ?)",
                           table="q")
    signed = dict(conn.execute(
        f"SELECT substr(q.ts, 1, 10) AS day, count(*) FROM ({_strong_signs(d)}) AS s "
        f"{d.cross_join} queries AS q ON q.id = s.id{where} GROUP BY day",
        [FOLLOWUP_WINDOW_S, LOW_CONFIDENCE, *params]))
    return {day: _rate(low + signed.get(day, 0), answered) for day, (_, answered, low) in days.items()}


def _tuples(conn: Connection) -> Callable[..., Iterable[Sequence[Any]]]:
    """`execute` giving plain tuples: tens of thousands of rows on a large log."""
    if isinstance(conn, PgConnection):
        return conn.tuples
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute


def _signals(conn: Connection, since: datetime | None,
             platform: str | None) -> dict[int, tuple[str, Evidence]]:
    """Answered questions with any sign from their readers (👍/👎, 更多/原文 right after, re-asked in
    other words), id -> (ts, evidence). Each query groups a small table (feedback, followups) or the
    partial index of re-asked rows by question id first, then looks each question up by id (CROSS
    JOIN keeps that order) for the filters and its confidence."""
    where, params = _where(since, platform, "q.found = 1", table="q")
    found: dict[int, tuple[str, Evidence]] = {}
    d = _dialect(conn)
    execute = _tuples(conn)

    def evidence(query_id: int, ts: str, confidence: float | None, top_score: float | None) -> Evidence:
        known = found.get(query_id)
        if known is None:
            known = found[query_id] = (ts, Evidence(confidence=confidence, top_score=top_score))
        return known[1]

    question = "q.id, q.ts, q.confidence, q.top_score"
    for query_id, ts, confidence, top_score, down, up in execute(
            f"SELECT {question}, s.down, s.up FROM (SELECT query_id, {d.count_if('value = -1')} AS down, "
            f"{d.count_if('value = 1')} AS up FROM feedback GROUP BY query_id) AS s "
            f"{d.cross_join} queries AS q ON q.id = s.query_id{where}", params):
        item = evidence(query_id, ts, confidence, top_score)
        item.down, item.up = down or 0, up or 0
    after = d.seconds_between("s.first", "q.ts")
    for query_id, ts, confidence, top_score, kind, seconds in execute(
            f"SELECT {question}, s.kind, {after} AS after "
            "FROM (SELECT query_id, kind, min(ts) AS first FROM followups GROUP BY query_id, kind) AS s "
            f"{d.cross_join} queries AS q ON q.id = s.query_id{where} AND {after} <= ?",
            [*params, FOLLOWUP_WINDOW_S]):
        item = evidence(query_id, ts, confidence, top_score)
        if kind == "more":
            item.more_after_s = max(seconds, 0.0)
        else:
            item.passage_after_s = max(seconds, 0.0)
    for query_id, ts, confidence, top_score, reasked in execute(
            f"SELECT {question}, s.reasked FROM (SELECT rephrase_of, count(*) AS reasked "
            f"FROM queries{d.indexed('queries_rephrase_of')} WHERE rephrase_of IS NOT NULL "
            "GROUP BY rephrase_of) AS s "
            f"{d.cross_join} queries AS q ON q.id = s.rephrase_of{where}", params):
        evidence(query_id, ts, confidence, top_score).reasked = reasked
    return found


def _reasks(conn: Connection, query_id: int) -> list[Reask]:
    """The later questions that asked `query_id` again in other words, with how long after."""
    d = _dialect(conn)
    return [Reask(r["id"], r["question"], max(r["after"], 0.0)) for r in conn.execute(
        f"SELECT r.id, r.question, {d.seconds_between('r.ts', 'q.ts')} AS after "
        f"FROM queries AS r{d.indexed('queries_rephrase_of')} JOIN queries AS q ON q.id = r.rephrase_of "
        "WHERE r.rephrase_of = ? ORDER BY r.id", (query_id,))]


def _least_confident(conn: Connection, since: datetime | None, platform: str | None,
                     size: int | None) -> dict[int, Evidence]:
    """The `size` least confident answers, and the `size` lowest-scored of those logged without a
    confidence. With `size` = limit + the number of answers with 👍 (already among the signalled
    ones), these and the signalled answers hold every answer that can be among the `limit` most
    suspect: an answer with no sign from its reader ranks by confidence alone. Read in order from the
    (found, confidence, top_score, platform) index, or sorted from a time window."""
    found: dict[int, Evidence] = {}
    d = _dialect(conn)
    source = _queries(d, since, None, "queries_found_confidence", alias="q")
    orders = (("q.confidence IS NOT NULL", "q.confidence"),
              ("q.confidence IS NULL", f"q.top_score{d.nulls_first}"))
    for known, order in orders:
        where, params = _where(since, platform, "q.found = 1", known, table="q")
        sql = f"SELECT q.id, q.confidence, q.top_score FROM {source}{where} ORDER BY {order}, q.id LIMIT ?"
        for query_id, confidence, top_score in conn.execute(sql, [*params, _limit(d, size)]):
            found[query_id] = Evidence(confidence=confidence, top_score=top_score)
    return found


def _score_range(conn: Connection, since: datetime | None,
                 platform: str | None) -> tuple[float | None, float | None]:
    """The lowest and highest retrieval score of answers without a logged confidence."""
    where, params = _where(since, platform, "found = 1", "confidence IS NULL", "top_score IS NOT NULL")
    source = _queries(_dialect(conn), since, None, "queries_found_confidence")
    low = conn.execute(f"SELECT min(top_score) FROM {source}{where}", params).fetchone()[0]
    high = conn.execute(f"SELECT max(top_score) FROM {source}{where}", params).fetchone()[0]
    return low, high


def suspect(conn_or_path: ConnOrPath, *, since: datetime | None = None, platform: str | None = None,
            limit: int | None = 20) -> list[dict[str, Any]]:
    """The answers most likely wrong, most suspect first: id, ts, question, answer, the cited article
    and section, confidence (logged, or the normalised retrieval score), why, platform and score.

    Declines are not listed (`unanswered` shows them). The ranking is suspect.rank over every
    answer that can reach the top `limit`: the signalled ones and the least confident ones.
    """
    with _connection(conn_or_path) as conn:
        signalled = _signals(conn, since, platform)
        liked = sum(1 for _, item in signalled.values() if item.up)
        evidence = _least_confident(conn, since, platform, None if limit is None else limit + liked)
        evidence.update({query_id: item for query_id, (_, item) in signalled.items()})
        low, high = _score_range(conn, since, platform)
        ranked = rank(evidence.items(), low, high, limit)
        rows = _rows(conn, [query_id for query_id, _, _ in ranked],
                     "id, ts, platform, question, answer, article, section")
        for query_id, _, _ in ranked:
            if evidence[query_id].reasked:
                evidence[query_id].reasks = _reasks(conn, query_id)
    return [{"id": query_id, "ts": rows[query_id]["ts"], "question": rows[query_id]["question"],
             "answer": rows[query_id]["answer"], "article": rows[query_id]["article"],
             "confidence": None if confidence is None else round(confidence, 3),
             "why": reasons(evidence[query_id], confidence), "section": rows[query_id]["section"],
             "platform": rows[query_id]["platform"], "score": score}
            for query_id, score, confidence in ranked]


def _rows(conn: Connection, ids: list[int], columns: str) -> dict[int, Any]:
    """Rows by id, a few hundred ids per statement (SQLite's parameter limit)."""
    out: dict[int, sqlite3.Row] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        sql = f"SELECT {columns} FROM queries WHERE id IN ({', '.join('?' * len(chunk))})"
        out.update({row["id"]: row for row in conn.execute(sql, chunk)})
    return out


REFERENCE_KEYS = ("passage_id", "score", "source", "article", "section", "page")


def show(conn_or_path: ConnOrPath, query_id: int) -> dict[str, Any] | None:
    """One exchange in full: every stored column (references parsed, each with its titles, None when
    the row predates them and the corpus no longer has the passage), plus the 👍/👎, the follow-ups,
    and the later questions that asked it again in other words. None when there is no such row."""
    with _connection(conn_or_path) as conn:
        sql = f"SELECT {', '.join(QUERY_COLUMNS)} FROM queries WHERE id = ?"
        row = conn.execute(sql, (query_id,)).fetchone()
        if row is None:
            return None
        result = dict(row)
        result["feedback"] = [dict(r) for r in conn.execute(
            "SELECT value, user_id, ts FROM feedback WHERE query_id = ? ORDER BY ts", (query_id,))]
        result["followups"] = [dict(r) for r in conn.execute(
            "SELECT kind, user_id, ts FROM followups WHERE query_id = ? ORDER BY ts", (query_id,))]
        result["rephrased_by"] = [dict(r) for r in conn.execute(
            "SELECT id, ts, question FROM queries WHERE rephrase_of = ? ORDER BY id", (query_id,))]
    result["found"] = _found(result["found"])
    result["refs"] = [{key: ref.get(key) for key in REFERENCE_KEYS} for ref in _parsed_refs(result["refs"])]
    return result


def _parsed_refs(text: str | None) -> list[dict[str, Any]]:
    try:
        refs = json.loads(text or "[]")
    except ValueError:
        return []
    return [ref for ref in refs if isinstance(ref, dict)] if isinstance(refs, list) else []


def _counter(conn: Connection, name: str) -> int:
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
        rows = conn.stream if isinstance(conn, PgConnection) else conn.execute
        for row in rows(sql, [*params, _limit(_dialect(conn), limit)]):
            yield dict(row)


def purge(conn_or_path: ConnOrPath, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete questions (and their feedback and follow-ups) older than `older_than`; returns how many."""
    cutoff = utc_timestamp((now or datetime.now(UTC)) - older_than)
    with _connection(conn_or_path) as conn:
        conn.execute(_dialect(conn).begin)
        try:
            conn.execute("DELETE FROM feedback WHERE query_id IN (SELECT id FROM queries WHERE ts < ?)",
                         (cutoff,))
            conn.execute("DELETE FROM followups WHERE query_id IN (SELECT id FROM queries WHERE ts < ?)",
                         (cutoff,))
            deleted = conn.execute("DELETE FROM queries WHERE ts < ?", (cutoff,)).rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return deleted
