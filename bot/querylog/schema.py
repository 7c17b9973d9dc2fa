"""The log's schema as named, ordered migrations, recorded in the file itself.

Each migration runs in its own `BEGIN IMMEDIATE` transaction and is skipped when already recorded,
so several processes opening the same file at once apply each step exactly once.
"""
from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple


class Migration(NamedTuple):
    name: str
    statements: Sequence[str]


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_queries_and_feedback", (
        """CREATE TABLE queries (
            id INTEGER PRIMARY KEY,
            ts TEXT NOT NULL,
            platform TEXT NOT NULL,
            chat_type TEXT NOT NULL,
            chat_id TEXT,
            user_id TEXT,
            question TEXT NOT NULL,
            normalized TEXT NOT NULL DEFAULT '',
            found INTEGER,
            answer TEXT,
            refs TEXT NOT NULL DEFAULT '[]',
            top_score REAL,
            latency_ms REAL,
            reply_chars INTEGER NOT NULL DEFAULT 0,
            error TEXT
        )""",
        """CREATE TABLE feedback (
            query_id INTEGER NOT NULL REFERENCES queries(id),
            user_id TEXT NOT NULL,
            value INTEGER NOT NULL CHECK (value IN (-1, 1)),
            ts TEXT NOT NULL,
            PRIMARY KEY (query_id, user_id)
        )""",
    )),
    Migration("0002_review_indexes", (
        "CREATE INDEX IF NOT EXISTS queries_ts ON queries (ts)",
        "CREATE INDEX IF NOT EXISTS queries_platform_ts ON queries (platform, ts)",
        "CREATE INDEX IF NOT EXISTS queries_normalized ON queries (normalized)",
    )),
    Migration("0003_counters", (
        "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    )),
    # The engine's confidence in [0, 1] that the answer answers ([answers-2]); NULL on older rows,
    # which had only a retrieval score.
    Migration("0004_confidence", (
        "ALTER TABLE queries ADD COLUMN confidence REAL",
        "CREATE INDEX IF NOT EXISTS queries_confidence ON queries (confidence)",
    )),
)

SCHEMA_VERSION = len(MIGRATIONS)

_MIGRATIONS_TABLE = "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> list[str]:
    """Apply the migrations not yet recorded, in order; returns the names applied (empty when current).

    `conn` must be in autocommit mode (`isolation_level=None`) so the explicit transactions hold.
    """
    applied: list[str] = []
    for number, migration in enumerate(migrations, start=1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(_MIGRATIONS_TABLE)
            done = conn.execute("SELECT 1 FROM migrations WHERE name = ?", (migration.name,)).fetchone()
            if not done:
                for statement in migration.statements:
                    conn.execute(statement)
                conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                             (migration.name, datetime.now(UTC).isoformat(timespec="seconds")))
                conn.execute(f"PRAGMA user_version = {number}")
                applied.append(migration.name)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return applied


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the settings every writer uses: autocommit, WAL, waits on a busy file."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL in WAL mode: a committed batch survives a killed process; only power loss can undo it.
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def create_private(path: Path) -> None:
    """Create the database file owner-only (0600) when it does not exist; an existing file is left as is.

    SQLite would create it with the process umask (usually 0644: every local user could read the
    questions); on Unix it gives the -wal and -shm files the main file's mode, so they follow.
    os.open's mode touches no process-wide state, unlike changing the umask.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # the operator's file (or another process's, created a moment ago)
        pass


def prepare(path: Path, *, attempts: int = 5) -> int:
    """Create the parent directory and the file (0600) if needed, switch to WAL, migrate; returns a
    writer number.

    Processes opening a new file together can get "database is locked" while one of them turns on
    WAL, which SQLite reports without waiting; a few short retries cover that moment.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # README: data/ is 0700
    create_private(path)
    for attempt in range(attempts):
        try:
            conn = connect(path)
            try:
                migrate(conn)
                return next_writer(conn)
            finally:
                conn.close()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


def next_writer(conn: sqlite3.Connection) -> int:
    """A number no other opening of this file got: the id scheme's writer field (see ids.py)."""
    row = conn.execute("INSERT INTO counters (name, value) VALUES ('writer', 1) "
                       "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value").fetchall()
    return int(row[0][0])
