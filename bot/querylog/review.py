"""Read-side queries over the log: `zhewen logs` and the admin `/stats` commands.

Every function takes an open connection or a path (or PostgreSQL URL), plus the filters `since` (an
aware datetime) and `platform`, and returns the JSON-ready objects of DESIGN.md's "Query-log review"
table. The queries are written once in SQLite's spelling and run on PostgreSQL through a connection
that reads like sqlite3 (bot/storage/postgres.py); what differs is in the dialect (bot/storage/
dialect.py): the same rows give the same objects on both.

Speed on a large log comes from figures kept as rows are written and from covering indexes, never
from reading the rows (which carry the answers and references). Counts per day and platform, and
per answer the signs from its readers, are kept by triggers (rollups.py, 0010): `stats` and the
footers add up a few hundred rows, and `suspect` scores the few percent of answers with a sign in
SQL and ranks only those that can reach the top, plus the least confident others (the first
entries of the (found, confidence, top_score) index). The rest reads the indexes of 0008: a time
window or a platform is a range of (ts, platform, found, confidence, latency_ms); grouping walks
(group_key, found, platform, ts) in group order; a latency percentile is one walk along
(latency_ms, platform, ts).
"""
from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from bot.querylog import rollups, schema
from bot.querylog import suspect as scoring
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
        # Grouping a million index entries by question (`top`, `unanswered`) split over workers makes
        # each worker form most groups again and merges them: 0.53 s against 0.38 s in one process
        # on a 2-core server (PostgreSQL 15). No other review read gains from workers.
        conn.execute("SET max_parallel_workers_per_gather = 0")
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
    """How many questions match the filters (only answered ones with `answered`), for footers: added
    up from the per-day counts."""
    with _connection(conn_or_path) as conn:
        return sum(c.answered if answered else c.questions for c in _counts(conn, since, platform))


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
    matching rows. Counts come from the per-day counts (rollups.py), latencies from their index.
    """
    with _connection(conn_or_path) as conn:
        counts = _counts(conn, since, platform)
        days = _by_day(counts)
        timed = sum(c.timed for c in counts)
        p50, p95 = _latency_percentiles(conn, since, platform, (50, 95), timed)
        up, down = _votes(conn, since, platform)
        dropped = _counter(conn, "dropped")
        shown = list(days)[-limit:] if limit is not None else list(days)
        suspect_by_day = _suspect_by_day(conn, since, platform, {day: days[day] for day in shown})
    total = sum(d[0] for d in days.values())
    return {
        "total": total,
        "found_rate": _rate(sum(d[1] for d in days.values()), total),
        "by_platform": _by_platform(counts),
        "by_day": {day: days[day][0] for day in shown},
        "latency_ms_p50": p50,
        "latency_ms_p95": p95,
        "feedback": {"up": up, "down": down},
        "dropped": dropped,  # rows the writers could not log (full queue, disk error), since ever
        "confidence_histogram": {histogram_label(b): sum(c.tenths[b] for c in counts)
                                 for b in range(rollups.TENTHS)},
        "suspect_by_day": suspect_by_day,
    }


class DayCounts(NamedTuple):
    """The questions of one UTC day on one platform: how many, answered, with a latency, and the
    answers per tenth of confidence."""

    day: str
    platform: str
    questions: int
    answered: int
    timed: int
    tenths: tuple[int, ...]


def _counts(conn: Connection, since: datetime | None, platform: str | None) -> list[DayCounts]:
    """Per UTC day and platform, the questions matching the filters: whole days from daily_counts
    (its slots added up, a few hundred rows), and the part of `since`'s day inside the window counted
    on the (ts, platform, found, confidence, latency_ms) index."""
    clauses, params = [], []
    if since is not None:
        clauses.append("day > ?")
        params.append(utc_timestamp(since)[:10])
    if platform is not None:
        clauses.append("platform = ?")
        params.append(platform)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    sums = ", ".join(f"sum({c})" for c in rollups.COUNT_COLUMNS)
    found = [DayCounts(r[0], r[1], r[2], r[3], r[4], tuple(r[5:])) for r in conn.execute(
        f"SELECT day, platform, {sums} FROM daily_counts{where} GROUP BY day, platform", params)]
    if since is not None:
        found += _first_day(conn, since, platform)
    return [c for c in found if c.questions]


def _first_day(conn: Connection, since: datetime, platform: str | None) -> list[DayCounts]:
    """DayCounts of `since`'s day from `since` on, per platform, counted on the filter index."""
    d = _dialect(conn)
    start = utc_timestamp(since)
    end = (date.fromisoformat(start[:10]) + timedelta(days=1)).isoformat()
    where, params = _where(None, platform, "ts >= ?", "ts < ?")
    tenths = ", ".join(d.count_if(f"found = 1 AND {rollups.in_tenth('confidence', b)}")
                       for b in range(rollups.TENTHS))
    sql = (f"SELECT platform, count(*), {d.count_if('found = 1')}, count(latency_ms), {tenths} "
           f"FROM {_queries(d, since, platform)}{where} GROUP BY platform")
    return [DayCounts(start[:10], r[0], r[1], r[2] or 0, r[3], tuple(n or 0 for n in r[4:]))
            for r in conn.execute(sql, [start, end, *params])]


def _by_day(counts: list[DayCounts]) -> dict[str, tuple[int, int, int]]:
    """UTC day -> (questions, answered, answered with confidence below LOW_CONFIDENCE), oldest first."""
    days: dict[str, tuple[int, int, int]] = {}
    for c in sorted(counts):
        before = days.get(c.day, (0, 0, 0))
        days[c.day] = (before[0] + c.questions, before[1] + c.answered,
                       before[2] + sum(c.tenths[:rollups.LOW_TENTHS]))
    return days


def _by_platform(counts: list[DayCounts]) -> dict[str, int]:
    platforms: dict[str, int] = {}
    for c in counts:
        platforms[c.platform] = platforms.get(c.platform, 0) + c.questions
    return dict(sorted(platforms.items()))


def _latency_percentiles(conn: Connection, since: datetime | None, platform: str | None,
                         pcts: tuple[float, ...], size: int) -> list[float | None]:
    """Nearest-rank latency percentiles of the `size` matching latencies, each one walk along the
    (latency_ms, platform, ts) index to the k-th matching entry, from whichever end is nearer (p95
    is the 5% walk from the top): no row is read and nothing is sorted, whatever the filter."""
    d = _dialect(conn)
    where, params = _where(since, platform, "latency_ms IS NOT NULL")
    sql = (f"SELECT latency_ms FROM queries{d.indexed('queries_latency')}{where} "
           "ORDER BY latency_ms{} LIMIT 1 OFFSET ?")
    out: list[float | None] = []
    for pct in pcts:
        rank = _rank_index(size, pct)
        from_top = size - 1 - rank
        ordered = sql.format(" DESC") if from_top < rank else sql.format("")
        out.append(conn.execute(ordered, [*params, min(rank, from_top)]).fetchone()[0] if size else None)
    return out


HISTOGRAM_BUCKETS = rollups.TENTHS


def histogram_label(bucket: int) -> str:
    """`0.8-0.9` for bucket 8 of ten; the last one includes 1.0."""
    return f"{bucket / HISTOGRAM_BUCKETS:.1f}-{(bucket + 1) / HISTOGRAM_BUCKETS:.1f}"


def _signs(d: Dialect) -> str:
    """The answers with a sign from their readers (rollups.py's `signals`), as relation `s`: their
    signs and the answer's columns, taken from `queries` for the few whose sign was written before
    the answer's row could be seen."""
    columns = ", ".join(rollups.ANSWER_COLUMNS)
    copied = ", ".join(f"q.{c}" for c in rollups.ANSWER_COLUMNS)
    signs = ("down", "up", "reasked", "more_first", "passage_first")
    return (f"(SELECT query_id, {columns}, {', '.join(signs)} FROM signals WHERE ts IS NOT NULL UNION ALL "
            f"SELECT s.query_id, {copied}, {', '.join(f's.{c}' for c in signs)} FROM signals AS s "
            f"{d.cross_join} queries AS q ON q.id = s.query_id WHERE s.ts IS NULL) AS s")


def _votes(conn: Connection, since: datetime | None, platform: str | None) -> tuple[int, int]:
    """👍 and 👎 on the questions matching the filters."""
    where, params = _where(since, platform, table="s")
    up, down = conn.execute(f"SELECT sum(s.up), sum(s.down) FROM {_signs(_dialect(conn))}{where}",
                            params).fetchone()
    return up or 0, down or 0


def _suspect_by_day(conn: Connection, since: datetime | None, platform: str | None,
                    days: dict[str, tuple[int, int, int]]) -> dict[str, float]:
    """Per UTC day of `days`, the share of answers that look wrong (suspect.is_suspect): confidence
    below LOW_CONFIDENCE (counted per day already), or a strong sign (👎, re-asked, 更多 right after)
    with a higher confidence."""
    d = _dialect(conn)
    more_after = d.seconds_between("s.more_first", "s.ts")
    where, params = _where(since, platform, "s.found = 1", "(s.confidence IS NULL OR s.confidence >= ?)",
                           f"(s.down <> 0 OR s.reasked <> 0 OR {more_after} <= ?)", table="s")
    signed = dict(conn.execute(f"SELECT substr(s.ts, 1, 10) AS day, count(*) FROM {_signs(d)}{where} "
                               "GROUP BY day", [LOW_CONFIDENCE, FOLLOWUP_WINDOW_S, *params]))
    return {day: _rate(low + signed.get(day, 0), answered) for day, (_, answered, low) in days.items()}


def _reasks(conn: Connection, query_id: int) -> list[Reask]:
    """The later questions that asked `query_id` again in other words, with how long after."""
    d = _dialect(conn)
    return [Reask(r["id"], r["question"], max(r["after"], 0.0)) for r in conn.execute(
        f"SELECT r.id, r.question, {d.seconds_between('r.ts', 'q.ts')} AS after "
        f"FROM queries AS r{d.indexed('queries_rephrase_of')} JOIN queries AS q ON q.id = r.rephrase_of "
        "WHERE r.rephrase_of = ? ORDER BY r.id", (query_id,))]


def _signed_where(d: Dialect, signs: str, answer_ts: str) -> str:
    """SQL true when the signs row `signs` holds a sign from the answer's readers: 👍/👎, re-asked in
    other words, or 更多/原文 within FOLLOWUP_WINDOW_S of the answer (two parameters)."""
    return (f"({signs}.down <> 0 OR {signs}.up <> 0 OR {signs}.reasked <> 0 "
            f"OR {d.seconds_between(f'{signs}.more_first', answer_ts)} <= ? "
            f"OR {d.seconds_between(f'{signs}.passage_first', answer_ts)} <= ?)")


def _least_confident(conn: Connection, since: datetime | None, platform: str | None,
                     size: int | None) -> dict[int, Evidence]:
    """The `size` answers without a sign from their readers that suspect.rank puts first: they rank
    by confidence alone (lowest first, then newest), so they are the first `size` entries of the
    (found, confidence, top_score, platform) index, or of a sorted time window. Answers logged
    without a confidence rank by their retrieval score, or (with none either) after those scored
    halfway: the `size` first of each kind."""
    d = _dialect(conn)
    source = _queries(d, since, None, "queries_found_confidence", alias="q")
    signed = _signed_where(d, "s", "q.ts")
    no_sign = f"NOT EXISTS (SELECT 1 FROM signals AS s WHERE s.query_id = q.id AND {signed})"
    kinds = (("q.confidence IS NOT NULL", "q.confidence, "),
             ("q.confidence IS NULL AND q.top_score IS NOT NULL", "q.top_score, "),
             ("q.confidence IS NULL AND q.top_score IS NULL", ""))
    found: dict[int, Evidence] = {}
    for kind, order in kinds:
        where, params = _where(since, platform, "q.found = 1", kind, no_sign, table="q")
        sql = f"SELECT q.id, q.confidence, q.top_score FROM {source}{where} ORDER BY {order}q.id DESC LIMIT ?"
        for query_id, confidence, top_score in conn.execute(
                sql, [FOLLOWUP_WINDOW_S, FOLLOWUP_WINDOW_S, *params, _limit(d, size)]):
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


# suspect.rank rounds scores to 4 decimals; SQL adds the same terms. Answers scoring this much below
# the limit-th in SQL cannot reach the top `limit` once rounded (rounding moves a score by 0.00005).
SCORE_MARGIN = 1e-3


def _effective_confidence(d: Dialect, low: float | None, high: float | None) -> tuple[str, list[Any]]:
    """suspect.effective_confidence of a signs row `s` in SQL, with its parameters."""
    if low is None or high is None:
        return "s.confidence", []
    if high <= low:
        return "coalesce(s.confidence, CASE WHEN s.top_score IS NULL THEN NULL ELSE 0.5 END)", []
    estimate = d.clamp("(s.top_score - ?) / (? - ?)", 0.0, 1.0)
    return (f"coalesce(s.confidence, CASE WHEN s.top_score IS NULL THEN NULL ELSE {estimate} END)",
            [low, high, low])


def _suspicion(alias: str) -> str:
    """suspect.suspicion in SQL over `alias`'s effective confidence, signs and seconds to the first
    更多 and 原文 (two parameters), unrounded; the terms added in the same order."""
    t = alias
    return (f"CASE WHEN {t}.effective IS NULL THEN {scoring.CONFIDENCE_WEIGHT * 0.5!r} "
            f"ELSE {scoring.CONFIDENCE_WEIGHT!r} * (1.0 - {t}.effective) END"
            f" + CASE WHEN {t}.reasked <> 0 THEN {scoring.REPHRASE_WEIGHT!r} ELSE 0.0 END"
            f" + CASE WHEN {t}.down <> 0 THEN {scoring.DOWN_WEIGHT!r} ELSE 0.0 END"
            f" + CASE WHEN {t}.more_after <= ? THEN {scoring.MORE_WEIGHT!r} ELSE 0.0 END"
            f" + CASE WHEN {t}.passage_after <= ? THEN {scoring.PASSAGE_WEIGHT!r} ELSE 0.0 END"
            f" + CASE WHEN {t}.up <> 0 AND {t}.down = 0 THEN {scoring.UP_WEIGHT!r} ELSE 0.0 END")


def _signed(conn: Connection, since: datetime | None, platform: str | None, low: float | None,
            high: float | None, limit: int | None) -> dict[int, Evidence]:
    """The answers with a sign from their readers that can be among the `limit` most suspect (all of
    them without a limit): scored in SQL, most suspect first, every one within SCORE_MARGIN of the
    limit-th. Fetched in growing pages until one ends below that bound. The seconds to the first
    更多 and 原文 are computed once per answer (the fence keeps the planner from copying them into
    the filter and the sort)."""
    d = _dialect(conn)
    effective, estimate = _effective_confidence(d, low, high)
    where, filters = _where(since, platform, "s.found = 1", table="s")
    signed = "t.down <> 0 OR t.up <> 0 OR t.reasked <> 0 OR t.more_after <= ? OR t.passage_after <= ?"
    sql = (f"SELECT t.query_id, t.confidence, t.top_score, t.down, t.up, t.reasked, t.more_after, "
           f"t.passage_after, {_suspicion('t')} AS score FROM ("
           f"SELECT s.query_id, s.confidence, s.top_score, s.down, s.up, s.reasked, "
           f"{effective} AS effective, {d.seconds_between('s.more_first', 's.ts')} AS more_after, "
           f"{d.seconds_between('s.passage_first', 's.ts')} AS passage_after FROM {_signs(d)}{where}"
           f"{d.fence}) AS t WHERE {signed} ORDER BY score DESC LIMIT ?")
    window = [FOLLOWUP_WINDOW_S, FOLLOWUP_WINDOW_S]
    params = [*window, *estimate, *filters, *window]
    page = None if limit is None else 4 * limit + 100
    while True:
        rows = conn.execute(sql, [*params, _limit(d, page)]).fetchall()
        if page is None or len(rows) < page or rows[-1][-1] < rows[limit - 1][-1] - SCORE_MARGIN:
            break
        page *= 4
    if limit is not None and len(rows) >= limit:
        rows = [r for r in rows if r[-1] >= rows[limit - 1][-1] - SCORE_MARGIN]
    return {row[0]: _evidence(row) for row in rows}


def _evidence(row: Sequence[Any]) -> Evidence:
    """A row of `_signed` as Evidence: follow-ups count within FOLLOWUP_WINDOW_S of the answer."""
    def soon(seconds: float | None) -> float | None:
        return None if seconds is None or seconds > FOLLOWUP_WINDOW_S else max(seconds, 0.0)

    _, confidence, top_score, down, up, reasked, more_after, passage_after = row[:8]
    return Evidence(confidence=confidence, top_score=top_score, down=down, up=up, reasked=reasked,
                    more_after_s=soon(more_after), passage_after_s=soon(passage_after))


def suspect(conn_or_path: ConnOrPath, *, since: datetime | None = None, platform: str | None = None,
            limit: int | None = 20) -> list[dict[str, Any]]:
    """The answers most likely wrong, most suspect first: id, ts, question, answer, the cited article
    and section, confidence (logged, or the normalised retrieval score), why, platform and score.

    Declines are not listed (`unanswered` shows them). The ranking is suspect.rank over every
    answer that can reach the top `limit`: those with a sign from their readers scoring near enough
    to it, and the least confident of the others.
    """
    if limit is not None and limit < 1:
        return []
    with _connection(conn_or_path) as conn:
        low, high = _score_range(conn, since, platform)
        evidence = _least_confident(conn, since, platform, limit)
        evidence.update(_signed(conn, since, platform, low, high, limit))
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
