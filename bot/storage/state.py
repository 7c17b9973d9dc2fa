"""Expiring state the channels share across processes and replicas, in the log's database.

Behind one load balancer a WeCom retry, a replayed nonce or the next message of a conversation may
reach another replica than the first; process memory cannot see it, the database can. Four small
operations, each one statement (one round trip), atomic in the database itself (no locks here):

    async with open_state(settings.db) as state:
        if await state.claim("wecom-msg", msg_id, ttl_s=300):      # first caller wins, everywhere
            ...answer, then: await state.put("reply", msg_id, reply, ttl_s=300)
        else:
            cached = await state.get("reply", msg_id, wait_s=3)      # the winner's reply, if any yet
        if await state.hit(f"wecom:{user}", window_s=60) > limit:   # hits in this minute, this one too
            ...
        await state.put("context", f"{chat}:{user}", {"question": …}, ttl_s=600)
        context = await state.get("context", f"{chat}:{user}")
        await state.delete("context", f"{chat}:{user}")             # /reset

`claim` is INSERT … ON CONFLICT DO NOTHING in effect (an expired claim may be taken again);
`settle` keeps a claim's outcome under the same key and holds the claim as long (the query log can
write the same in the transaction of the row it answers: `Settle`, so a retry finds the reply exactly
when the question is logged); `release` gives a claim up; `put`/`get`/`delete` keep small JSON values
(cached replies, conversation context); `hit` counts per key in fixed windows of `window_s` (use one
window length per key). Every row carries its
expiry: reads ignore expired rows, and a sweep (every SWEEP_INTERVAL_S while open, any replica)
deletes them. Times come from `clock` (default time.time): replicas' clocks are assumed to agree
within well under a TTL, as NTP keeps them.

The tables come from migration 0009 (bot/querylog/schema.py), applied when the query log opens or
by `zhewen db upgrade`. Failures raise StorageError (one line); callers decide whether to answer
anyway: `Lenient` wraps a state so that a failing database degrades instead of raising.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.storage import StorageError
from bot.storage.dialect import to_pyformat
from bot.storage.target import PostgresUrl, Target

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_S = 60.0
POLL_INTERVAL_S = 0.05  # how often `get(…, wait_s=…)` looks again

_CLAIM = ("INSERT INTO claims (namespace, key, expires_at) VALUES (?, ?, ?) "
          "ON CONFLICT (namespace, key) DO UPDATE SET expires_at = excluded.expires_at "
          "WHERE claims.expires_at <= ? RETURNING 1")
_PUT = ("INSERT INTO kv (namespace, key, value, expires_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at")
_GET = "SELECT value FROM kv WHERE namespace = ? AND key = ? AND expires_at > ?"
_DELETE = "DELETE FROM kv WHERE namespace = ? AND key = ?"
_HOLD = ("INSERT INTO claims (namespace, key, expires_at) VALUES (?, ?, ?) "
         "ON CONFLICT (namespace, key) DO UPDATE SET expires_at = excluded.expires_at")
_RELEASE = "DELETE FROM claims WHERE namespace = ? AND key = ?"
_HIT = ("INSERT INTO hits (key, slot, hits, expires_at) VALUES (?, ?, 1, ?) "
        "ON CONFLICT (key, slot) DO UPDATE SET hits = hits.hits + 1 RETURNING hits")
_SWEEPS = tuple(f"DELETE FROM {table} WHERE expires_at <= ?" for table in ("claims", "kv", "hits"))

Json = Any  # what json.dumps takes: str, number, bool, None, lists and dicts of them
WARN_INTERVAL_S = 10.0


@dataclass(frozen=True)
class Settle:
    """A won claim's outcome: `value` kept under the claim's (namespace, key), and the claim held, for
    `ttl_s`, so a later duplicate anywhere finds the value instead of winning the claim again."""

    namespace: str
    key: str
    value: Json
    ttl_s: float

    def statements(self, now: float) -> list[tuple[str, tuple[Any, ...]]]:
        """The two writes, for `SharedState.settle` or a transaction of the query log's own."""
        expires = now + self.ttl_s
        text = json.dumps(self.value, ensure_ascii=False)
        return [(_PUT, (self.namespace, self.key, text, expires)),
                (_HOLD, (self.namespace, self.key, expires))]


class State(Protocol):
    """What the channels call: `SharedState`, or `Lenient` around one."""

    async def claim(self, namespace: str, key: str, ttl_s: float) -> bool: ...
    async def settle(self, settle: Settle) -> None: ...
    async def release(self, namespace: str, key: str) -> None: ...
    async def put(self, namespace: str, key: str, value: Json, ttl_s: float) -> None: ...
    async def get(self, namespace: str, key: str, *, wait_s: float = 0.0) -> Json | None: ...
    async def delete(self, namespace: str, key: str) -> None: ...
    async def hit(self, key: str, window_s: float) -> int: ...


class SharedState(ABC):
    """The interface; `open_state` picks the backend from ZHEWEN_DB."""

    def __init__(self, where: object, clock: Callable[[], float] = time.time) -> None:
        self._where = where   # the file or URL, for error messages
        self._clock = clock
        self._errors: tuple[type[Exception], ...] = ()

    async def claim(self, namespace: str, key: str, ttl_s: float) -> bool:
        """True for the first caller (in any process) to claim `key` until it expires, else False."""
        now = self._clock()
        return bool(await self._run(_CLAIM, (namespace, key, now + ttl_s, now), fetch=True))

    async def settle(self, settle: Settle) -> None:
        """Keep a claim's outcome and hold the claim as long (two statements: a crash between them
        leaves the value with a short claim, and a later duplicate answers again, as before the claim)."""
        for sql, params in settle.statements(self._clock()):
            await self._run(sql, params)

    async def release(self, namespace: str, key: str) -> None:
        """Give a claim up, so the next caller wins it (the claimant could not finish)."""
        await self._run(_RELEASE, (namespace, key))

    async def put(self, namespace: str, key: str, value: Json, ttl_s: float) -> None:
        """Keep a JSON value for `ttl_s` seconds, replacing any earlier one."""
        text = json.dumps(value, ensure_ascii=False)
        await self._run(_PUT, (namespace, key, text, self._clock() + ttl_s))

    async def get(self, namespace: str, key: str, *, wait_s: float = 0.0) -> Json | None:
        """The value while it has not expired, else None; with `wait_s`, look again until it appears
        or the time is up (a retry waiting for the first replica's reply)."""
        deadline = time.monotonic() + wait_s
        while True:
            rows = await self._run(_GET, (namespace, key, self._clock()), fetch=True)
            if rows:
                return json.loads(rows[0][0])
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(POLL_INTERVAL_S)

    async def delete(self, namespace: str, key: str) -> None:
        await self._run(_DELETE, (namespace, key))

    async def hit(self, key: str, window_s: float) -> int:
        """Count one hit in the current fixed window of `window_s` seconds; returns the window's
        count, this hit included."""
        slot = int(self._clock() // window_s)
        rows = await self._run(_HIT, (key, slot, (slot + 1) * window_s), fetch=True)
        return int(rows[0][0])

    async def sweep(self) -> int:
        """Delete every expired row; returns how many."""
        now = self._clock()
        return sum([await self._run(sql, (now,), count=True) for sql in _SWEEPS])

    async def _sweep_forever(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.sweep()
            except StorageError as exc:
                logger.warning("shared state: sweep failed: %s", exc)

    async def _run(self, sql: str, params: Sequence[Any], *, fetch: bool = False,
                   count: bool = False) -> Any:
        """Run one statement in its own transaction: the rows (fetch), the rows changed (count), or None."""
        from bot.storage.postgres import one_line

        try:
            async with self._cursor(sql, params) as cursor:
                if fetch:
                    return await cursor.fetchall()
                return cursor.rowcount if count else None
        except self._errors as exc:
            raise StorageError(f"shared state {self._where}: {one_line(exc)}") from None

    @abstractmethod
    def _cursor(self, sql: str, params: Sequence[Any]) -> contextlib.AbstractAsyncContextManager[Any]:
        """The cursor of one executed statement (autocommit)."""

    @abstractmethod
    async def close(self) -> None: ...


class SqliteState(SharedState):
    """The shared state in the log's SQLite file (one host: processes share the file)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        super().__init__(path, clock)
        self.path = path
        self._db: Any = None
        self._errors = (sqlite3.Error,)

    async def open(self) -> SqliteState:
        import aiosqlite

        try:
            self._db = await aiosqlite.connect(self.path, isolation_level=None, timeout=10.0)
            await self._db.execute("PRAGMA synchronous = NORMAL")
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"shared state {self.path} cannot be opened: {exc}") from None
        return self

    def _cursor(self, sql: str, params: Sequence[Any]) -> contextlib.AbstractAsyncContextManager[Any]:
        return self._db.execute(sql, params)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None


class PostgresState(SharedState):
    """The shared state in PostgreSQL, through a small pool of autocommit connections.

    Its writes do not wait for the WAL to reach the disk (synchronous_commit off): the state is
    short-lived, a server crash loses at most its last fraction of a second (claims of messages in
    flight, nonces, context), and a settled reply is durable anyway, committed with its logged row
    by the query log's own connections. Each write then costs no fsync wait."""

    def __init__(self, url: PostgresUrl, clock: Callable[[], float] = time.time, pool_size: int = 4) -> None:
        super().__init__(url, clock)
        self.url = url
        self._pool_size = pool_size
        self._pool: Any = None

    async def open(self) -> PostgresState:
        from bot.storage import postgres

        self._errors = (postgres.driver().Error,)
        self._pool = await postgres.open_pool(self.url, max_size=self._pool_size,
                                              session={"synchronous_commit": "off"})
        return self

    @asynccontextmanager
    async def _cursor(self, sql: str, params: Sequence[Any]) -> AsyncIterator[Any]:
        async with self._pool.connection() as conn:
            yield await conn.execute(to_pyformat(sql), params)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


class Lenient:
    """A state whose failures degrade instead of raising: a claim is won, nothing is found, no hit is
    counted, writes are skipped, with one warning per interval. For a process that must answer even
    when its database cannot be written (SQLite on a full disk, as the log does; Telegram, whose
    updates are acknowledged before they are answered); its in-process guards still hold."""

    def __init__(self, state: State) -> None:
        self._state = state
        self._failures = 0
        self._last_warning = float("-inf")

    async def claim(self, namespace: str, key: str, ttl_s: float) -> bool:
        return await self._or(self._state.claim(namespace, key, ttl_s), True)

    async def settle(self, settle: Settle) -> None:
        await self._or(self._state.settle(settle), None)

    async def release(self, namespace: str, key: str) -> None:
        await self._or(self._state.release(namespace, key), None)

    async def put(self, namespace: str, key: str, value: Json, ttl_s: float) -> None:
        await self._or(self._state.put(namespace, key, value, ttl_s), None)

    async def get(self, namespace: str, key: str, *, wait_s: float = 0.0) -> Json | None:
        return await self._or(self._state.get(namespace, key, wait_s=wait_s), None)

    async def delete(self, namespace: str, key: str) -> None:
        await self._or(self._state.delete(namespace, key), None)

    async def hit(self, key: str, window_s: float) -> int:
        return await self._or(self._state.hit(key, window_s), 0)

    async def _or(self, call: Any, fallback: Any) -> Any:
        try:
            return await call
        except StorageError as exc:
            self._failures += 1
            now = time.monotonic()
            if now - self._last_warning >= WARN_INTERVAL_S:
                self._last_warning = now
                logger.warning("shared state unavailable, going on without it (%d call(s) so far): %s",
                               self._failures, exc)
            return fallback


@asynccontextmanager
async def open_state(target: Target, *, clock: Callable[[], float] = time.time,
                     sweep_interval_s: float = SWEEP_INTERVAL_S) -> AsyncIterator[SharedState]:
    """The shared state for ZHEWEN_DB's database, sweeping expired rows while open."""
    state: SqliteState | PostgresState
    if isinstance(target, PostgresUrl):
        state = await PostgresState(target, clock).open()
    else:
        state = await SqliteState(Path(target), clock).open()
    sweeper = asyncio.create_task(state._sweep_forever(sweep_interval_s), name="shared-state-sweep")
    try:
        yield state
    finally:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await state.close()
