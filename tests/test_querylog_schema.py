"""Migrations (a first-schema file upgraded, re-runs are no-ops) and the id scheme."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.querylog import QueryLog, schema
from bot.querylog.ids import EPOCH_MS, MAX_ID, IdSource, id_time_ms


def schema_sql(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        conn.close()


def test_fresh_file_gets_every_migration_in_order(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    schema.prepare(db)
    conn = sqlite3.connect(db)
    names = [r[0] for r in conn.execute("SELECT name FROM migrations ORDER BY rowid")]
    assert names == [m.name for m in schema.MIGRATIONS]
    assert conn.execute("PRAGMA user_version").fetchone() == (schema.SCHEMA_VERSION,)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


async def test_first_schema_file_is_upgraded_keeping_rows(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    assert schema.migrate(conn, schema.MIGRATIONS[:1]) == ["0001_queries_and_feedback"]
    conn.execute("INSERT INTO queries (id, ts, platform, chat_type, question) "
                 "VALUES (1, '2025-09-01T08:00:00.000Z', 'telegram', 'private', '旧问题')")
    conn.execute("INSERT INTO feedback VALUES (1, 'u', -1, '2025-09-01T08:01:00.000Z')")
    conn.close()
    assert "queries_ts" not in {name for name, _ in schema_sql(db)}

    async with QueryLog(db, salt="s") as log:
        assert (await log.get(1))["question"] == "旧问题"
        log.record(None, question="新问题", platform="cli", chat_type="private", chat_id=None, user_id=None)

    upgraded = schema_sql(db)
    assert {"queries_ts", "queries_platform_ts", "queries_normalized"} <= {name for name, _ in upgraded}
    conn = sqlite3.connect(db, isolation_level=None)
    assert conn.execute("SELECT question FROM queries ORDER BY id").fetchall() == [("旧问题",), ("新问题",)]
    assert conn.execute("SELECT value FROM feedback").fetchall() == [(-1,)]
    assert conn.execute("PRAGMA user_version").fetchone() == (2,)
    assert schema.migrate(conn) == []
    conn.close()
    assert schema_sql(db) == upgraded


def test_failed_migration_rolls_back_and_is_retried(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    broken = (*schema.MIGRATIONS, schema.Migration("0099_broken", ("CREATE TABLE extra (x)", "NOT SQL")))
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        schema.migrate(conn, broken)
    except sqlite3.OperationalError:
        pass
    else:
        raise AssertionError("Expected the broken migration to raise")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "extra" not in tables
    assert conn.execute("PRAGMA user_version").fetchone() == (schema.SCHEMA_VERSION,)
    conn.close()


def test_ids_are_63_bit_time_ordered_and_strictly_increasing() -> None:
    source = IdSource()
    now = 1_760_000_000_000
    same_ms = [source.next(now) for _ in range(1000)]
    assert same_ms == sorted(same_ms) and len(set(same_ms)) == 1000
    assert all(0 < i <= MAX_ID for i in same_ms)
    later = source.next(now + 1000)
    assert later > same_ms[-1] and id_time_ms(later) == now + 1000
    last_ms = EPOCH_MS + (1 << 41) - 1  # the final millisecond the layout can hold (year 2094)
    assert id_time_ms(IdSource().next(last_ms)) == last_ms

