"""[scale-out] QueryLog on both backends: the same API writes the same rows; `committed` means
visible from another connection; concurrent waiters share commits; failures are one line."""
from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from test_review_log import answer

from bot.querylog import LogUnavailable, QueryLog
from bot.storage.target import PostgresUrl

ROOT = Path(__file__).resolve().parents[1]


def visible(target: Path | PostgresUrl, query_id: int) -> bool:
    """Whether another connection (not the writer's) sees the row."""
    if isinstance(target, PostgresUrl):
        import psycopg

        with psycopg.connect(target.dsn) as conn:
            return conn.execute("SELECT 1 FROM queries WHERE id = %s", (query_id,)).fetchone() is not None
    with sqlite3.connect(target) as conn:
        return conn.execute("SELECT 1 FROM queries WHERE id = ?", (query_id,)).fetchone() is not None


def fields(user: int, question: str = "浙江有多少款大模型通过备案？") -> dict:
    return {"question": question, "platform": "wecom", "chat_type": "group", "chat_id": "room",
            "user_id": user}


async def test_writer_records_feedback_and_followups_and_reads_them_back(db_target) -> None:
    async with QueryLog(db_target, salt="s") as log:
        first = log.record(answer("浙江有多少款大模型通过备案？"), **fields(7), reply_chars=30)
        second = log.record(None, **fields(8, "100% 的问题？"), error="engine failed")
        log.record_feedback(first, user_id=7, value=1)
        log.record_feedback(first, user_id=7, value=-1)        # a later vote replaces the earlier
        log.record_followup(first, "more", user_id=7)
        await log.flush()
        row = await log.get(first)
        assert row is not None and row["question"] == "浙江有多少款大模型通过备案？"
        assert row["found"] is True and row["passage_ids"] == ["p-1", "p-2"] and row["reply_chars"] == 30
        assert row["user_id"] != "7" and len(row["user_id"]) == 16   # pseudonymised
        errored = await log.get(second)
        assert errored is not None and errored["error"] == "engine failed" and errored["found"] is None
        assert await log.get(123) is None and log.failures == 0 and log.writing
    from bot.querylog import review

    shown = review.show(db_target, first)
    assert [f["value"] for f in shown["feedback"]] == [-1]
    assert [f["kind"] for f in shown["followups"]] == ["more"]
    assert review.show(db_target, second)["question"] == "100% 的问题？"


async def test_committed_means_visible_from_another_connection(db_target) -> None:
    async with QueryLog(db_target, salt="s") as log:
        query_id = log.record(answer("杭州的算力券每年有多少钱？"), **fields(1))
        assert await log.committed(query_id) is True
        assert visible(db_target, query_id)
        assert await log.committed(query_id) is True            # asked again after the commit
        also = await log.record_committed(answer("温州的人工智能局是什么时候挂牌的？"), **fields(2))
        assert visible(db_target, also)
        assert await log.committed(987654321) is False          # never recorded


async def test_concurrent_waiters_share_a_few_commits(db_target, monkeypatch: pytest.MonkeyPatch) -> None:
    async with QueryLog(db_target, salt="s") as log:
        commits = []
        real_commit = log._store.commit

        async def counting(db, batch):
            commits.append(len(batch[0]))
            return await real_commit(db, batch)

        monkeypatch.setattr(log._store, "commit", counting)

        async def request(n: int) -> int:
            await asyncio.sleep(0)
            return await log.record_committed(answer(f"问题{n}"), **fields(n, f"问题{n}"))

        ids = await asyncio.gather(*(request(n) for n in range(60)))
    assert all(visible(db_target, query_id) for query_id in ids)
    assert sum(commits) == 60 and len(commits) <= 6, commits   # group commit, not one per request


async def test_record_committed_raises_when_the_row_cannot_be_committed(tmp_path: Path) -> None:
    async with QueryLog(tmp_path / "log.sqlite3", salt="s") as log:
        await log._db.execute("PRAGMA query_only = 1")
        query_id = log.record(answer("问题"), **fields(1))
        assert await log.committed(query_id) is False
        with pytest.raises(LogUnavailable, match="not committed"):
            await log.record_committed(answer("问题"), **fields(1))
    assert log.failures == 2


async def test_postgres_commit_failure_is_counted_and_reported(postgres_url: str) -> None:
    import psycopg

    url = PostgresUrl(postgres_url)
    async with QueryLog(url, salt="s", required=True) as log:
        with psycopg.connect(postgres_url, autocommit=True) as conn:   # every insert now fails
            conn.execute("ALTER TABLE queries ADD CONSTRAINT refuse CHECK (false) NOT VALID")
        query_id = log.record(answer("问题"), **fields(1))
        assert await log.committed(query_id) is False
        assert not log.writing and log.failures == 1 and "refuse" in (log.last_error or "")
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("ALTER TABLE queries DROP CONSTRAINT refuse")
        assert await log.committed(log.record(answer("再问"), **fields(1))) is True
        assert log.writing
    from bot.querylog import review

    assert review.stats(url)["dropped"] == 1


async def test_unreachable_postgres_is_one_line_for_a_bot_and_a_warning_for_ask(
        caplog: pytest.LogCaptureFixture) -> None:
    from pg_cluster import free_port

    url = PostgresUrl(f"postgresql://zhewen:secret@127.0.0.1:{free_port()}/zhewen")
    with pytest.raises(LogUnavailable) as info:
        async with QueryLog(url, required=True):
            pass
    message = str(info.value)
    assert "\n" not in message and "cannot connect" in message and "secret" not in message
    async with QueryLog(url) as log:                            # `zhewen ask --log` keeps answering
        assert isinstance(log.record(answer("问题"), **fields(1)), int)
        assert not log.writing
    assert log.failures == 1


async def test_postgres_keeps_one_salt_for_every_replica(postgres_url: str) -> None:
    url = PostgresUrl(postgres_url)
    async with QueryLog(url) as one, QueryLog(url) as two:
        ids = [one.record(answer("问题"), **fields(42)), two.record(answer("问题"), **fields(42))]
        await one.flush()
        await two.flush()
        users = {(await log.get(query_id))["user_id"] for log, query_id in zip((one, two), ids, strict=True)}
    assert len(users) == 1 and "42" not in users
    async with QueryLog(url, salt="from-environment") as three:
        other = three.record(answer("问题"), **fields(42))
        await three.flush()
        assert (await three.get(other))["user_id"] not in users


def test_the_sqlite_default_never_imports_the_postgres_driver() -> None:
    script = ("import sys; import bot.cli_ask, bot.cli_logs, bot.querylog.log, bot.querylog.review, "
              "bot.storage.state; from bot.settings import load_settings; load_settings({}, env_file=None); "
              "sys.exit('psycopg' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", script], cwd=ROOT).returncode == 0
