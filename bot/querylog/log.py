"""QueryLog: `record` queues a row and returns its id at once; one writer task commits in batches.

A reply must never wait for, or fail because of, the log: a full queue or a disk error drops the
row, counts it in `failures` and warns. Closing flushes what is queued. A running bot opens it with
`required=True`: a log that cannot be opened and written stops start-up with one line, and
`writing` (shown by /healthz) turns false while commits fail. Dropped rows are added to the file's
`dropped` counter with the next commit that succeeds, so `zhewen logs stats` reports them.

For review (`zhewen logs suspect`) the writer also links a question to the same user's previous
one when it asks it again in other words within two minutes (`rephrase_of`, see rephrase.py), and
records 更多/原文 asked on an answer (`record_followup`, table `followups`).
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

import aiosqlite

from bot.engine import Answer
from bot.querylog import pseudonym, schema
from bot.querylog.ids import IdSource
from bot.querylog.rephrase import Ask, RecentAsks
from bot.querylog.rows import QUERY_COLUMNS, query_row, row_to_dict, storable_text, utc_timestamp

logger = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
BATCH_MAX = 200
WARN_INTERVAL_S = 10.0

_INSERT_QUERY = (f"INSERT OR IGNORE INTO queries ({', '.join(QUERY_COLUMNS)}) "
                 f"VALUES ({', '.join(':' + c for c in QUERY_COLUMNS)})")
_UPSERT_FEEDBACK = ("INSERT INTO feedback (query_id, user_id, value, ts) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (query_id, user_id) DO UPDATE SET value = excluded.value, ts = excluded.ts")

_INSERT_FOLLOWUP = "INSERT INTO followups (query_id, kind, user_id, ts) VALUES (?, ?, ?, ?)"
FOLLOWUP_KINDS = ("more", "passage")

_ADD_DROPPED = ("INSERT INTO counters (name, value) VALUES ('dropped', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value")

# ("query", row dict), ("feedback", (query_id, user, value, ts)) or ("followup", (query_id, kind, user, ts))
_Item = tuple[str, Any]


class LogUnavailable(Exception):
    """The log cannot be opened or written; the message is one line for the operator."""


class QueryLog:
    """Async, non-blocking writer over one SQLite file (aiosqlite, WAL).

    Use as `async with QueryLog(path, salt=..., raw_ids=False) as log:`; closing flushes the queue.
    Without `salt` the key is read from (or created in) `<path>.salt`, mode 0600. A new database
    file is created 0600 too (its -wal and -shm follow); an existing one keeps its mode.
    """

    def __init__(self, path: Path, *, salt: str | None = None, raw_ids: bool = False,
                 queue_size: int = QUEUE_SIZE, required: bool = False) -> None:
        self.path = Path(path)
        self._salt = salt
        self._raw_ids = raw_ids
        self._queue_size = queue_size
        self._ids = IdSource()
        self._pending: dict[int, dict[str, Any]] = {}
        self._recent_asks = RecentAsks()
        self._queue: asyncio.Queue[_Item] | None = None
        self._db: aiosqlite.Connection | None = None
        self._writer: asyncio.Task[None] | None = None
        self._failures = 0
        self._unsaved_drops = 0
        self._last_warning = float("-inf")
        self._required = required
        self.last_error: str | None = None   # the latest failed commit's error, None once one succeeds

    async def __aenter__(self) -> QueryLog:
        try:
            if self._salt is None and not self._raw_ids:
                self._salt = await asyncio.to_thread(pseudonym.load_or_create_salt, self.path)
            self._ids = IdSource(await asyncio.to_thread(schema.prepare, self.path))
            self._db = await aiosqlite.connect(self.path, isolation_level=None, timeout=10.0)
            await self._db.execute("PRAGMA synchronous = NORMAL")
            if self._required:
                await self._probe()
        except (OSError, sqlite3.Error, ValueError) as exc:
            await self._close_db()
            if self._required:
                raise LogUnavailable(f"query log {self.path} cannot be opened and written: {exc}") from None
            # `zhewen ask --log` keeps answering without a log rather than failing.
            logger.error("query log %s cannot be opened, questions will not be logged: %s", self.path, exc)
            return self
        self._queue = asyncio.Queue(maxsize=self._queue_size)
        self._writer = asyncio.create_task(self._write_loop(self._queue), name="querylog-writer")
        return self

    async def __aexit__(self, *exc: object) -> None:
        queue, self._queue = self._queue, None  # records from now on are counted as dropped
        if queue is not None and self._writer is not None:
            joined = asyncio.create_task(queue.join())
            await asyncio.wait({joined, self._writer}, return_when=asyncio.FIRST_COMPLETED)
            joined.cancel()
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
            self._writer = None
        await self._close_db()
        if self._failures:  # the warnings above come at most one per interval: say the total once more
            logger.warning("query log %s closed; %d write(s) dropped since start", self.path, self._failures)

    def record(self, answer: Answer | None, *, question: str, platform: str, chat_type: str,
               chat_id: str | int | None, user_id: str | int | None, reply_chars: int = 0,
               error: str | None = None) -> int:
        """Queue one question; returns its row id at once (never blocks, never raises)."""
        query_id = self._ids.next()
        try:
            user = self._id(user_id)
            rephrase_of = None
            if answer is not None and user is not None:
                ask = Ask(query_id, time.time(), answer.normalized or storable_text(str(question)))
                rephrase_of = self._recent_asks.rephrased((str(platform), user), ask)
            row = query_row(query_id, answer, ts=utc_timestamp(), question=question, platform=platform,
                            chat_type=chat_type, chat_id=self._id(chat_id), user_id=user,
                            reply_chars=reply_chars, error=error, rephrase_of=rephrase_of)
            if self._enqueue(("query", row)):
                self._pending[query_id] = row
        except Exception as exc:  # a malformed argument must not cost the user their reply
            self._fail(1, f"unloggable question: {exc!r}")
        return query_id

    def record_feedback(self, query_id: int, *, user_id: str | int | None, value: int) -> None:
        """Queue 👍 (+1) or 👎 (-1) for a logged question; a user's later vote replaces the earlier."""
        try:
            if value not in (1, -1):
                raise ValueError(f"feedback value must be +1 or -1, got {value!r}")
            self._enqueue(("feedback", (int(query_id), self._id(user_id) or "", value, utc_timestamp())))
        except Exception as exc:
            self._fail(1, f"unloggable feedback: {exc!r}")

    def record_followup(self, query_id: int, kind: str, *, user_id: str | int | None = None) -> None:
        """Queue a follow-up asked on a logged answer: "more" (更多) or "passage" (原文)."""
        try:
            if kind not in FOLLOWUP_KINDS:
                raise ValueError(f"follow-up kind must be one of {FOLLOWUP_KINDS}, got {kind!r}")
            self._enqueue(("followup", (int(query_id), kind, self._id(user_id), utc_timestamp())))
        except Exception as exc:
            self._fail(1, f"unloggable follow-up: {exc!r}")

    async def get(self, query_id: int) -> dict[str, Any] | None:
        """A logged question with its reference passage ids, committed or still queued."""
        row = self._pending.get(query_id)
        if row is not None:
            return row_to_dict(row)
        if self._db is None:
            return None
        try:
            async with self._db.execute(
                f"SELECT {', '.join(QUERY_COLUMNS)} FROM queries WHERE id = ?", (int(query_id),)
            ) as cursor:
                found = await cursor.fetchone()
        except (sqlite3.Error, ValueError, TypeError, OverflowError) as exc:
            logger.warning("query log: cannot read query %r: %s", query_id, exc)
            return None
        return None if found is None else row_to_dict(dict(zip(QUERY_COLUMNS, found, strict=True)))

    async def flush(self) -> None:
        """Wait until everything queued so far is committed (or counted as dropped)."""
        if self._queue is not None:
            await self._queue.join()

    @property
    def failures(self) -> int:
        """Rows or feedback dropped (queue full, disk error) since start."""
        return self._failures

    @property
    def writing(self) -> bool:
        """Open, and its latest commit (if any) succeeded."""
        return self._db is not None and self._queue is not None and self.last_error is None

    async def _probe(self) -> None:
        """One real write, so a read-only file or directory fails at start-up, not at the first question."""
        assert self._db is not None
        await self._db.execute("BEGIN IMMEDIATE")
        await self._db.execute("INSERT INTO counters (name, value) VALUES ('dropped', 0) "
                               "ON CONFLICT (name) DO NOTHING")
        await self._db.execute("COMMIT")

    def _id(self, raw: str | int | None) -> str | None:
        if raw is None:
            return None
        if self._raw_ids or self._salt is None:
            return storable_text(str(raw))
        return pseudonym.pseudonymise(raw, self._salt)

    def _enqueue(self, item: _Item) -> bool:
        if self._queue is None:
            self._fail(1, "the log is not open")
            return False
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self._fail(1, "queue full")
            return False
        return True

    def _fail(self, count: int, reason: str) -> None:
        self._failures += count
        self._unsaved_drops += count
        now = time.monotonic()
        if now - self._last_warning >= WARN_INTERVAL_S:  # one warning per interval, not one per row
            self._last_warning = now
            logger.warning("query log %s dropped %d write(s): %s (%d dropped since start)",
                           self.path, count, reason, self._failures)

    async def _write_loop(self, queue: asyncio.Queue[_Item]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < BATCH_MAX and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                await self._commit(batch)
                self.last_error = None
            except Exception as exc:  # sqlite3.Error, OSError: the disk, not the reply, failed
                self.last_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self._fail(len(batch), f"write failed: {exc}")
            finally:
                for kind, payload in batch:
                    if kind == "query":
                        self._pending.pop(payload["id"], None)
                    queue.task_done()

    async def _commit(self, batch: list[_Item]) -> None:
        assert self._db is not None
        queries = [payload for kind, payload in batch if kind == "query"]
        feedback = [payload for kind, payload in batch if kind == "feedback"]
        followups = [payload for kind, payload in batch if kind == "followup"]
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            before = self._db.total_changes
            if queries:
                await self._db.executemany(_INSERT_QUERY, queries)
            collisions = len(queries) - (self._db.total_changes - before)
            if feedback:
                await self._db.executemany(_UPSERT_FEEDBACK, feedback)
            if followups:
                await self._db.executemany(_INSERT_FOLLOWUP, followups)
            drops = self._unsaved_drops
            if drops:
                await self._db.execute(_ADD_DROPPED, (drops,))
            await self._db.execute("COMMIT")
            self._unsaved_drops -= drops
        except BaseException:
            if self._db.in_transaction:
                await self._db.execute("ROLLBACK")
            raise
        if collisions:
            self._fail(collisions, "row id already taken by another process")

    async def _close_db(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()
