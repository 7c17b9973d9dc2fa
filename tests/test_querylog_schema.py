"""Migrations (a first-schema file upgraded, re-runs are no-ops) and the id scheme."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.querylog import QueryLog, schema
from bot.querylog.ids import EPOCH_MS, MAX_ID, IdSource, id_time_ms, id_writer


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
    assert {"queries_platform_ts", "counters", "followups", "queries_ts_review", "queries_group_key",
            "queries_found_confidence", "queries_latency", "queries_rephrase_of"} <= {n for n, _ in upgraded}
    assert not {"queries_ts", "queries_normalized", "queries_confidence"} & {n for n, _ in upgraded}
    conn = sqlite3.connect(db, isolation_level=None)
    assert conn.execute("SELECT question FROM queries ORDER BY id").fetchall() == [("旧问题",), ("新问题",)]
    assert conn.execute("SELECT confidence FROM queries ORDER BY id").fetchall() == [(None,), (None,)]
    assert conn.execute("SELECT value FROM feedback").fetchall() == [(-1,)]
    assert conn.execute("PRAGMA user_version").fetchone() == (schema.SCHEMA_VERSION,)
    assert conn.execute("SELECT value FROM counters WHERE name = 'writer'").fetchone() == (1,)
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
    source = IdSource(writer=5)
    now = 1_760_000_000_000
    same_ms = [source.next(now) for _ in range(1000)]
    assert same_ms == sorted(same_ms) and len(set(same_ms)) == 1000
    assert all(0 < i <= MAX_ID and id_writer(i) == 5 and id_time_ms(i) == now for i in same_ms)
    later = source.next(now + 1000)
    assert later > same_ms[-1] and id_time_ms(later) == now + 1000
    last_ms = EPOCH_MS + (1 << 41) - 1  # the final millisecond the layout can hold (year 2094)
    assert id_time_ms(IdSource(writer=1023).next(last_ms)) == last_ms


def test_ids_stay_increasing_past_4096_per_ms_and_when_the_clock_steps_back() -> None:
    source = IdSource(writer=1)
    now = 1_760_000_000_000
    burst = [source.next(now) for _ in range(5000)]
    after_step_back = [source.next(now - 60_000) for _ in range(10)]
    ids = burst + after_step_back
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert id_time_ms(burst[4095]) == now and id_time_ms(burst[4096]) == now + 1


def test_each_opening_gets_the_next_writer_number(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    assert [schema.prepare(db) for _ in range(3)] == [1, 2, 3]
    same_ms = {IdSource(writer=w).next(1_760_000_000_000) for w in (1, 2, 3)}
    assert len(same_ms) == 3


def test_processes_sharing_one_file_write_disjoint_ids(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    root = Path(__file__).resolve().parents[1]
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True,
                              cwd=root) for _ in range(4)]
    outputs = [p.communicate(timeout=60)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert [int(out[0]) for out in outputs] == [0, 0, 0, 0], "Expected no dropped rows"
    ids = [int(i) for out in outputs for i in out[1:]]
    assert len(ids) == len(set(ids)) == 4 * 1000
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM queries").fetchone() == (4000,)
    conn.close()


# Writes 1000 rows as fast as it can, then prints its failure count and the ids.
WRITER = """
import asyncio, sys
from pathlib import Path
from bot.querylog import QueryLog

async def main() -> None:
    async with QueryLog(Path(sys.argv[1]), salt="s") as log:
        ids = []
        for n in range(1000):
            ids.append(log.record(None, question=f"q{n}", platform="cli", chat_type="private", chat_id=1,
                                  user_id=n, error="x"))
            if n % 100 == 0:
                await asyncio.sleep(0)
    print(log.failures, *ids)

asyncio.run(main())
"""
