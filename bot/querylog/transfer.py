"""`zhewen logs migrate`: copy a SQLite log into PostgreSQL, once.

The SQLite log is upgraded first, so every row arrives in the current format (PostgreSQL runs no
backfills). Everything is copied in one transaction, and what is already there is skipped: a
question by its id, a vote by (question, user), a follow-up by how many identical ones PostgreSQL
already holds. Running it twice copies nothing twice; an interrupted run leaves nothing behind.

The pseudonym key moves too: when PostgreSQL keeps no key yet, the SQLite log's salt file is stored
there, so a user keeps the same pseudonym in the rows logged after the switch.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from bot.querylog import pseudonym, review, schema
from bot.querylog.rows import FEEDBACK_COLUMNS, QUERY_COLUMNS
from bot.storage import postgres
from bot.storage.target import PostgresUrl

FOLLOWUP_COLUMNS: tuple[str, ...] = ("query_id", "kind", "user_id", "ts")


class Copied(NamedTuple):
    """Rows copied and rows skipped (already in PostgreSQL), per table."""

    queries: int
    feedback: int
    followups: int
    skipped: int
    same_salt: bool | None  # None: no salt file to carry (raw ids, or ZHEWEN_LOG_SALT)


def copy_log(source: Path, url: PostgresUrl, *, carry_salt: bool = True) -> Copied:
    """Copy every row of the SQLite log at `source` into the PostgreSQL database at `url`."""
    reader = review.open_log(source)
    try:
        schema.upgrade(url)
        target = postgres.connect(url)
        try:
            with target.raw.transaction():
                tables = (("queries", QUERY_COLUMNS, "ON CONFLICT (id) DO NOTHING"),
                          ("feedback", FEEDBACK_COLUMNS, "ON CONFLICT DO NOTHING"),
                          ("followups", FOLLOWUP_COLUMNS, None))
                copied, read = [], 0
                for table, columns, conflict in tables:
                    rows = reader.execute(f"SELECT {', '.join(columns)} FROM {table}")
                    incoming, count = _incoming(target, table, columns, rows)
                    copied.append(_insert(target, table, columns, incoming, conflict))
                    read += count
                same_salt = _carry_salt(target, source) if carry_salt else None
        finally:
            target.close()
    finally:
        reader.close()
    return Copied(*copied, skipped=read - sum(copied), same_salt=same_salt)


def _incoming(conn: postgres.PgConnection, table: str, columns: Sequence[str],
              rows: Iterable[Any]) -> tuple[str, int]:
    """Stream `rows` into a temporary copy of `table` (COPY, the fast path); its name and row count."""
    name = f"incoming_{table}"
    conn.execute(f"CREATE TEMP TABLE {name} (LIKE {table}) ON COMMIT DROP")
    count = 0
    with conn.raw.cursor().copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([postgres.text_value(value) for value in row])
            count += 1
    return name, count


def _insert(conn: postgres.PgConnection, table: str, columns: Sequence[str], incoming: str,
            conflict: str | None) -> int:
    """Rows of `incoming` not yet in `table`; how many. Follow-ups have no key: the n-th copy of an
    identical row goes in only when the table holds fewer than n of them."""
    names = ", ".join(columns)
    if conflict is not None:
        sql = f"INSERT INTO {table} ({names}) SELECT {names} FROM {incoming} {conflict}"
        return conn.execute(sql).rowcount
    return conn.execute(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM ("
        f"SELECT i.*, row_number() OVER (PARTITION BY {names}) AS nth FROM {incoming} AS i) AS s "
        f"WHERE s.nth > (SELECT count(*) FROM {table} AS f WHERE f.query_id = s.query_id "
        "AND f.kind = s.kind AND f.user_id IS NOT DISTINCT FROM s.user_id AND f.ts = s.ts)").rowcount


def _carry_salt(conn: postgres.PgConnection, source: Path) -> bool | None:
    """Store the salt file's key in PostgreSQL if it keeps none; whether the two now agree."""
    path = pseudonym.salt_path(source)
    if not path.is_file():
        return None
    salt = path.read_text(encoding="ascii").strip()
    return pseudonym.stored_salt(conn, salt) == salt
