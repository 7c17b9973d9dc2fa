"""QueryLog: `record` queues a row and returns its id at once; one writer task commits in batches.

The log is one SQLite file or, for several replicas, PostgreSQL (`ZHEWEN_DB=postgresql://…`); the
same API writes to either (stores.py). On PostgreSQL the pseudonym key is ZHEWEN_LOG_SALT when set,
else one random key stored in the database on first use, shared by every replica.

Durability for replicas: a channel that must not acknowledge a question before it is logged (so a
replica killed after replying loses nothing) awaits the commit:

    query_id = log.record(answer, question=..., ...)      # returns at once, as always
    if not await log.committed(query_id): ...             # True once the row is in the database

or in one call `query_id = await log.record_committed(answer, question=..., ...)`, which raises
LogUnavailable when the row could not be committed. `settle=Settle(…)` (bot/storage/state.py) writes
a dedupe claim's reply in the row's own transaction: a retry on another replica finds the reply
exactly when the question is logged, never one without the other. A question acknowledged before
its answer is ready is committed early under an id from `new_id()`; its answer is then recorded with
that id and `completes=True`, which replaces the early row (an upsert: the rollup triggers see an
update) rather than adding one, in whichever order the two reach the database. Commits are
grouped: the writer commits all that is queued in one transaction, and rows recorded while that
commit is in flight go together in the next, so concurrent requests share commits without any
added wait (tests/bench_storage.py: 320 questions from 16 concurrent requests in 20 commits, 1.4 ms
each on SQLite, 2.1 ms on PostgreSQL).

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
import time
from pathlib import Path
from typing import Any

from bot.engine import Answer
from bot.querylog import pseudonym
from bot.querylog.ids import IdSource
from bot.querylog.rephrase import Ask, RecentAsks
from bot.querylog.rows import QUERY_COLUMNS, query_row, row_to_dict, storable_text, utc_timestamp
from bot.querylog.stores import store_for
from bot.storage.state import Settle
from bot.storage.target import PostgresUrl, parse_target

logger = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
BATCH_MAX = 200
WARN_INTERVAL_S = 10.0

FOLLOWUP_KINDS = ("more", "passage")

# ("query", (row dict, Settle or None, completes)), ("feedback", (query_id, user, value, ts)) or
# ("followup", (query_id, kind, user, ts))
_Item = tuple[str, Any]


class LogUnavailable(Exception):
    """The log cannot be opened or written; the message is one line for the operator."""


class QueryLog:
    """Async, non-blocking writer over one SQLite file (aiosqlite, WAL) or a PostgreSQL database.

    Use as `async with QueryLog(path, salt=..., raw_ids=False) as log:`; closing flushes the queue.
    `path` is a file, or a PostgresUrl (bot/storage/target.py). Without `salt` the key is read from
    (or created in) `<path>.salt`, mode 0600, or on PostgreSQL from the database. A new database
    file is created 0600 too (its -wal and -shm follow); an existing one keeps its mode.
    """

    def __init__(self, path: Path | PostgresUrl, *, salt: str | None = None, raw_ids: bool = False,
                 queue_size: int = QUEUE_SIZE, required: bool = False) -> None:
        self.path = parse_target(path)
        self._store = store_for(self.path)
        self._salt = salt
        self._raw_ids = raw_ids
        self._queue_size = queue_size
        self._ids = IdSource()
        self._pending: dict[int, dict[str, Any]] = {}
        self._recent_asks = RecentAsks()
        self._queue: asyncio.Queue[_Item] | None = None
        self._waiters: dict[int, asyncio.Future[bool]] = {}
        self._db: Any = None  # the store's open connection (SQLite) or pool (PostgreSQL)
        self._writer: asyncio.Task[None] | None = None
        self._failures = 0
        self._unsaved_drops = 0
        self._last_warning = float("-inf")
        self._required = required
        self.last_error: str | None = None   # the latest failed commit's error, None once one succeeds

    async def __aenter__(self) -> QueryLog:
        try:
            self._db, self._salt, writer = await self._store.open(self._salt, self._raw_ids)
            self._ids = IdSource(writer)
            if self._required:
                await self._store.probe(self._db)
        except self._store.errors as exc:
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
        for waiter in self._waiters.values():  # rows still queued when the writer stopped
            if not waiter.done():
                waiter.set_result(False)
        self._waiters.clear()
        await self._close_db()
        if self._failures:  # the warnings above come at most one per interval: say the total once more
            logger.warning("query log %s closed; %d write(s) dropped since start", self.path, self._failures)

    def new_id(self) -> int:
        """A row id for a question to be recorded later (`record(..., query_id=...)`)."""
        return self._ids.next()

    def record(self, answer: Answer | None, *, question: str, platform: str, chat_type: str,
               chat_id: str | int | None, user_id: str | int | None, reply_chars: int = 0,
               error: str | None = None, settle: Settle | None = None, query_id: int | None = None,
               completes: bool = False) -> int:
        """Queue one question; returns its row id at once (never blocks, never raises). `settle` is
        committed in the same transaction as the row; `completes`: the row replaces one recorded
        earlier with the same `query_id` (see the module docstring)."""
        query_id = self._ids.next() if query_id is None else query_id
        try:
            user = self._id(user_id)
            rephrase_of = None
            if answer is not None and user is not None:
                ask = Ask(query_id, time.time(), answer.normalized or storable_text(str(question)))
                rephrase_of = self._recent_asks.rephrased((str(platform), user), ask)
            row = query_row(query_id, answer, ts=utc_timestamp(), question=question, platform=platform,
                            chat_type=chat_type, chat_id=self._id(chat_id), user_id=user,
                            reply_chars=reply_chars, error=error, rephrase_of=rephrase_of)
            if self._enqueue(("query", (row, settle, completes))):
                self._pending[query_id] = row
        except Exception as exc:  # a malformed argument must not cost the user their reply
            self._fail(1, f"unloggable question: {exc!r}")
        return query_id

    async def committed(self, query_id: int) -> bool:
        """Wait until the row `record` returned `query_id` for is committed: True when it is in the
        database, False when it was dropped (full queue, failed commit, log closed)."""
        if query_id not in self._pending:
            return await self.get(query_id) is not None
        waiter = self._waiters.get(query_id)
        if waiter is None:
            waiter = self._waiters[query_id] = asyncio.get_running_loop().create_future()
        return await asyncio.shield(waiter)

    async def record_committed(self, answer: Answer | None, **fields: Any) -> int:
        """`record`, then wait for its commit; returns the row id. Raises LogUnavailable when the row
        could not be committed, so the caller can refuse to acknowledge (the sender retries)."""
        query_id = self.record(answer, **fields)
        if not await self.committed(query_id):
            reason = self.last_error or "dropped"
            raise LogUnavailable(f"query log {self.path}: question not committed ({reason})")
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
            found = await self._store.fetch(self._db, int(query_id))
        except self._store.read_errors as exc:
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

    def pseudonym(self, raw: str) -> str:
        """`raw` keyed-hashed as the log's ids are (raw when the log keeps raw ids): for keys of the
        shared state, so its tables hold no raw user ids either."""
        return self._id(raw) or ""

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
            committed = False
            try:
                await self._commit(batch)
                self.last_error = None
                committed = True
            except Exception as exc:  # sqlite3.Error, OSError, StorageError: the disk or server failed
                self.last_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self._fail(len(batch), f"write failed: {exc}")
            finally:
                for kind, payload in batch:
                    # An early row whose completion is still queued leaves the id waiting for that.
                    if kind == "query" and self._pending.get(payload[0]["id"]) is payload[0]:
                        del self._pending[payload[0]["id"]]
                        waiter = self._waiters.pop(payload[0]["id"], None)
                        if waiter is not None and not waiter.done():
                            waiter.set_result(committed)
                    queue.task_done()

    async def _commit(self, batch: list[_Item]) -> None:
        assert self._db is not None
        queries = [payload[0] for kind, payload in batch if kind == "query" and not payload[2]]
        completions = [payload[0] for kind, payload in batch if kind == "query" and payload[2]]
        now = time.time()
        settles = [statement for kind, payload in batch if kind == "query" and payload[1] is not None
                   for statement in payload[1].statements(now)]
        feedback = [payload for kind, payload in batch if kind == "feedback"]
        followups = [payload for kind, payload in batch if kind == "followup"]
        drops = self._unsaved_drops
        inserted = await self._store.commit(self._db, (queries, completions, feedback, followups, drops,
                                                       settles))
        self._unsaved_drops -= drops
        collisions = len(queries) - inserted
        if collisions:
            self._fail(collisions, "row id already taken by another process")

    async def _close_db(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await self._store.close(db)
