"""The query log: one SQLite row per question, written off the reply path.

INTERFACE (stable, used by every channel); internals belong to [querylog].
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.engine import Answer


class QueryLog:
    """Async, non-blocking writer over one SQLite file (aiosqlite, WAL).

    Use as `async with QueryLog(path, salt=..., raw_ids=False) as log:`; closing flushes the queue.
    """

    def __init__(self, path: Path, *, salt: str | None = None, raw_ids: bool = False) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> QueryLog:
        raise NotImplementedError

    async def __aexit__(self, *exc: object) -> None:
        raise NotImplementedError

    def record(self, answer: Answer | None, *, question: str, platform: str, chat_type: str,
               chat_id: str | int | None, user_id: str | int | None, reply_chars: int = 0,
               error: str | None = None) -> int:
        """Queue one question; returns its row id at once (never blocks, never raises)."""
        raise NotImplementedError

    def record_feedback(self, query_id: int, *, user_id: str | int | None, value: int) -> None:
        """Queue 👍 (+1) or 👎 (-1) for a logged question (never blocks, never raises)."""
        raise NotImplementedError

    async def get(self, query_id: int) -> dict[str, Any] | None:
        """A logged question with its reference passage ids, committed or still queued."""
        raise NotImplementedError

    @property
    def failures(self) -> int:
        """Rows or feedback dropped (queue full, disk error) since start."""
        raise NotImplementedError
