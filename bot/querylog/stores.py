"""Where QueryLog's batches go: one SQLite file (aiosqlite, WAL) or PostgreSQL (a psycopg pool).

A store turns a batch into one transaction and reads one row back; QueryLog owns the queue, the
ids, the pseudonyms and the failure accounting, so both backends behave the same to a channel.
The open connection (or pool) is handed back by `open` and passed to every call.
"""
from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite

from bot.querylog import pseudonym, schema
from bot.querylog.rows import QUERY_COLUMNS
from bot.storage import StorageError
from bot.storage.target import PostgresUrl, Target

_ADD_DROPPED = ("INSERT INTO counters (name, value) VALUES ('dropped', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value")
_PROBE = "INSERT INTO counters (name, value) VALUES ('dropped', 0) ON CONFLICT (name) DO NOTHING"
_SELECT = f"SELECT {', '.join(QUERY_COLUMNS)} FROM queries WHERE id = ?"
_UPSERT_FEEDBACK = ("INSERT INTO feedback (query_id, user_id, value, ts) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (query_id, user_id) DO UPDATE SET value = excluded.value, ts = excluded.ts")
_INSERT_FOLLOWUP = "INSERT INTO followups (query_id, kind, user_id, ts) VALUES (?, ?, ?, ?)"

# queries, completions (rows replacing an early one with their id), feedback, followups, drops, and the
# shared-state writes (sql, params) that go with them
Batch = tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple], list[tuple], int,
              list[tuple[str, tuple]]]
# A completion replaces every column; inserted after the batch's new rows, so an early row and its
# completion in one batch end as the completion. On both backends the replacement fires the UPDATE
# rollup triggers (an answer taken away, another added), so the figures stay right.
_COMPLETE = " ON CONFLICT (id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in QUERY_COLUMNS[1:])


class SqliteStore:
    """The log in one SQLite file; the salt lives in `<path>.salt` unless given."""

    errors: tuple[type[Exception], ...] = (OSError, sqlite3.Error, ValueError)
    read_errors: tuple[type[Exception], ...] = (sqlite3.Error, ValueError, TypeError, OverflowError)
    _values = (f"INTO queries ({', '.join(QUERY_COLUMNS)}) "
               f"VALUES ({', '.join(':' + c for c in QUERY_COLUMNS)})")
    _insert = "INSERT OR IGNORE " + _values
    _complete = "INSERT " + _values + _COMPLETE

    def __init__(self, path: Path) -> None:
        self.path = path

    async def open(self, salt: str | None, raw_ids: bool) -> tuple[aiosqlite.Connection, str | None, int]:
        if salt is None and not raw_ids:
            salt = await asyncio.to_thread(pseudonym.load_or_create_salt, self.path)
        writer = await asyncio.to_thread(schema.prepare, self.path)
        db = await aiosqlite.connect(self.path, isolation_level=None, timeout=10.0)
        await db.execute("PRAGMA synchronous = NORMAL")
        # An insert that fires the rollup triggers keeps a statement journal (to undo a half-done
        # row); in memory it costs a few microseconds a row less than in a temporary file.
        await db.execute("PRAGMA temp_store = MEMORY")
        return db, salt, writer

    async def probe(self, db: aiosqlite.Connection) -> None:
        """One real write, so a read-only file or directory fails at start-up, not at the first question."""
        await db.execute("BEGIN IMMEDIATE")
        await db.execute(_PROBE)
        await db.execute("COMMIT")

    async def commit(self, db: aiosqlite.Connection, batch: Batch) -> int:
        """Write the batch in one transaction; returns how many question rows were inserted."""
        queries, completions, feedback, followups, drops, settles = batch
        await db.execute("BEGIN IMMEDIATE")
        try:
            inserted = 0
            if queries:  # rowcount, not total_changes: the rollup triggers' writes count in the latter
                inserted = (await db.executemany(self._insert, queries)).rowcount
            if completions:
                inserted += (await db.executemany(self._complete, completions)).rowcount
            if feedback:
                await db.executemany(_UPSERT_FEEDBACK, feedback)
            if followups:
                await db.executemany(_INSERT_FOLLOWUP, followups)
            if drops:
                await db.execute(_ADD_DROPPED, (drops,))
            for sql, params in settles:
                await db.execute(sql, params)
            await db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                await db.execute("ROLLBACK")
            raise
        return inserted

    async def fetch(self, db: aiosqlite.Connection, query_id: int) -> tuple | None:
        async with db.execute(_SELECT, (query_id,)) as cursor:
            return await cursor.fetchone()

    async def close(self, db: aiosqlite.Connection) -> None:
        await db.close()


class PostgresStore:
    """The log in PostgreSQL, shared by replicas; the salt comes from the database unless given.

    PostgreSQL text cannot hold NUL: such characters are stored as the escape \\u0000."""

    errors: tuple[type[Exception], ...] = (StorageError, OSError, ValueError)
    read_errors = errors
    # One statement per batch, its rows as one JSON parameter: the rollup triggers (rollups.py) run
    # once per statement, so a batch costs them one grouped pass instead of one pass per row. (JSON
    # numbers are Python's shortest repr, so floats and 64-bit ids arrive exact.)
    _rows = (f"INSERT INTO queries ({', '.join(QUERY_COLUMNS)}) SELECT {', '.join(QUERY_COLUMNS)} "
             "FROM json_populate_recordset(NULL::queries, %s)")
    _insert = _rows + " ON CONFLICT (id) DO NOTHING"
    _complete = _rows + _COMPLETE

    def __init__(self, url: PostgresUrl) -> None:
        self.path = url

    async def open(self, salt: str | None, raw_ids: bool) -> tuple[Any, str | None, int]:
        from bot.storage import postgres

        def prepare() -> tuple[str | None, int]:
            writer = schema.prepare_postgres(self.path)
            if salt is not None or raw_ids:
                return salt, writer
            conn = postgres.connect(self.path)
            try:
                return pseudonym.stored_salt(conn), writer
            finally:
                conn.close()

        stored, writer = await asyncio.to_thread(prepare)
        self.read_errors = (*self.errors, postgres.driver().Error)
        return await postgres.open_pool(self.path, max_size=2), stored, writer

    async def probe(self, pool: Any) -> None:
        async with pool.connection() as conn:
            await conn.execute(_PROBE)

    async def commit(self, pool: Any, batch: Batch) -> int:
        from bot.storage.dialect import to_pyformat
        from bot.storage.postgres import text_value

        queries, completions, feedback, followups, drops, settles = batch
        async with pool.connection() as conn, conn.transaction():
            cursor = conn.cursor()
            inserted = 0
            for sql, batch_rows in ((self._insert, queries), (self._complete, completions)):
                if batch_rows:
                    rows = [{c: text_value(row[c]) for c in QUERY_COLUMNS} for row in batch_rows]
                    await cursor.execute(sql, (json.dumps(rows, ensure_ascii=False),))
                    inserted += cursor.rowcount
            if feedback:
                await cursor.executemany(to_pyformat(_UPSERT_FEEDBACK),
                                         [tuple(map(text_value, row)) for row in feedback])
            if followups:
                await cursor.executemany(to_pyformat(_INSERT_FOLLOWUP),
                                         [tuple(map(text_value, row)) for row in followups])
            if drops:
                await cursor.execute(to_pyformat(_ADD_DROPPED), (drops,))
            for sql, params in settles:
                await cursor.execute(to_pyformat(sql), params)
        return inserted

    async def fetch(self, pool: Any, query_id: int) -> tuple | None:
        from bot.storage.dialect import to_pyformat

        async with pool.connection() as conn:
            cursor = await conn.execute(to_pyformat(_SELECT), (query_id,))
            return await cursor.fetchone()

    async def close(self, pool: Any) -> None:
        await pool.close()


def store_for(target: Target) -> SqliteStore | PostgresStore:
    return PostgresStore(target) if isinstance(target, PostgresUrl) else SqliteStore(Path(target))
