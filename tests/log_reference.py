"""The review's figures computed in plain Python from the log's own tables (queries, feedback,
followups): what the rollups kept by triggers (bot/querylog/rollups.py) and the review read from
them must agree with, on either backend."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.querylog.suspect import FOLLOWUP_WINDOW_S, Evidence

Connection = Any  # sqlite3.Connection or bot.storage.postgres.PgConnection


def _seconds(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def tenth(confidence: float) -> int:
    """The histogram's tenth of a confidence: 0.9 and above in the last, below 0.1 in the first."""
    return next((b for b in range(9, 0, -1) if confidence >= b / 10), 0)


def day_counts(conn: Connection) -> dict[tuple[str, str], tuple[int, ...]]:
    """(UTC day, platform) -> (questions, answered, with a latency, answered per tenth of confidence)."""
    out: dict[tuple[str, str], list[int]] = {}
    for ts, platform, found, confidence, latency in conn.execute(
            "SELECT ts, platform, found, confidence, latency_ms FROM queries"):
        counts = out.setdefault((ts[:10], platform), [0] * 13)
        counts[0] += 1
        counts[1] += found == 1
        counts[2] += latency is not None
        if found == 1 and confidence is not None:
            counts[3 + tenth(confidence)] += 1
    return {key: tuple(counts) for key, counts in out.items()}


def signs(conn: Connection) -> dict[int, tuple[int, int, int, str | None, str | None]]:
    """Question id -> (👎, 👍, times asked again, first 更多, first 原文), for questions with any."""
    known = {row[0] for row in conn.execute("SELECT id FROM queries")}
    out: dict[int, list[Any]] = {}

    def of(query_id: int) -> list[Any]:
        return out.setdefault(query_id, [0, 0, 0, None, None])

    for query_id, value in conn.execute("SELECT query_id, value FROM feedback"):
        of(query_id)[0 if value == -1 else 1] += 1
    for (query_id,) in conn.execute("SELECT rephrase_of FROM queries WHERE rephrase_of IS NOT NULL"):
        of(query_id)[2] += 1
    for query_id, kind, ts in conn.execute("SELECT query_id, kind, ts FROM followups"):
        item = of(query_id)
        slot = 3 if kind == "more" else 4
        item[slot] = ts if item[slot] is None else min(item[slot], ts)
    return {query_id: tuple(item) for query_id, item in out.items() if query_id in known}


def evidence(conn: Connection, since: str | None = None,
             platform: str | None = None) -> dict[int, tuple[str, Evidence]]:
    """Every answered question asked since `since` (a stored timestamp) on `platform`, with its
    evidence, id -> (ts, Evidence): the signs its readers gave, follow-ups counted within
    FOLLOWUP_WINDOW_S of the answer."""
    out = {}
    for query_id, ts, where, confidence, top_score in conn.execute(
            "SELECT id, ts, platform, confidence, top_score FROM queries WHERE found = 1"):
        if (since is None or ts >= since) and platform in (None, where):
            out[query_id] = (ts, Evidence(confidence=confidence, top_score=top_score))
    for query_id, (down, up, reasked, more, passage) in signs(conn).items():
        if query_id not in out:
            continue
        ts, item = out[query_id]
        item.down, item.up, item.reasked = down, up, reasked
        for first, field in ((more, "more_after_s"), (passage, "passage_after_s")):
            if first is not None and _seconds(first, ts) <= FOLLOWUP_WINDOW_S:
                setattr(item, field, max(_seconds(first, ts), 0.0))
    return out
