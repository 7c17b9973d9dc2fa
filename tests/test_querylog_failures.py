"""The reply path never pays for the log: full queue, unopenable file, full disk, closed log."""
from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot.querylog import QueryLog


def count_rows(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM queries").fetchone()[0]
    finally:
        conn.close()


def ask(log: QueryLog, n: int = 0) -> int:
    return log.record(None, question=f"问题{n}", platform="telegram", chat_type="private", chat_id=1,
                      user_id=2, error="engine failed")


async def test_full_queue_drops_counts_and_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "log.sqlite3"
    with caplog.at_level(logging.WARNING, logger="bot.querylog"):
        async with QueryLog(db, salt="s", queue_size=5) as log:
            ids = [ask(log, n) for n in range(12)]  # no await in between: the writer cannot drain
            assert log.failures == 7
            assert await log.get(ids[0]) is not None and await log.get(ids[-1]) is None
    assert len(set(ids)) == 12
    assert count_rows(db) == 5
    assert any("queue full" in r.getMessage() for r in caplog.records)


async def test_unopenable_path_keeps_recording_without_raising(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be")
    with caplog.at_level(logging.WARNING, logger="bot.querylog"):
        async with QueryLog(blocker / "log.sqlite3") as log:
            query_id = ask(log)
            log.record_feedback(query_id, user_id=2, value=1)
            assert await log.get(query_id) is None
    assert isinstance(query_id, int) and log.failures == 2
    assert any("cannot be opened" in r.getMessage() for r in caplog.records)


async def test_disk_full_mid_run_counts_the_batch(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "log.sqlite3"
    with caplog.at_level(logging.WARNING, logger="bot.querylog"):
        async with QueryLog(db, salt="s") as log:
            ask(log)
            await log.flush()
            # SQLite's own "database or disk is full": cap the file at its current size.
            pages = (await (await log._db.execute("PRAGMA page_count")).fetchone())[0]
            await log._db.execute(f"PRAGMA max_page_count = {pages}")
            ids = [log.record(None, question="长" * 5000, platform="wecom", chat_type="group", chat_id=1,
                              user_id=n) for n in range(50)]
            await log.flush()
            assert log.failures == 50
            assert await log.get(ids[0]) is None
            await log._db.execute("PRAGMA max_page_count = 1073741823")
            ask(log, 99)
    assert log.failures == 50
    assert count_rows(db) == 2
    assert any("full" in r.getMessage() for r in caplog.records)


async def test_record_outside_the_open_log_is_counted(tmp_path: Path) -> None:
    log = QueryLog(tmp_path / "log.sqlite3", salt="s")
    assert isinstance(ask(log), int)
    async with log:
        ask(log)
    ask(log)
    assert log.failures == 2
    assert count_rows(tmp_path / "log.sqlite3") == 1


async def test_bad_arguments_never_raise(tmp_path: Path) -> None:
    async with QueryLog(tmp_path / "log.sqlite3", salt="s") as log:
        query_id = log.record(object(), question="q", platform="telegram", chat_type="private",  # type: ignore[arg-type]
                              chat_id=1, user_id=2)
        log.record_feedback(query_id, user_id=2, value=0)
        log.record_feedback("not a number", user_id=2, value=1)  # type: ignore[arg-type]
        assert await log.get("nonsense") is None  # type: ignore[arg-type]
        assert await log.get(2**70) is None
    assert log.failures == 3


async def test_writing_turns_false_while_commits_fail_and_drops_are_counted_in_the_file(tmp_path) -> None:
    """[hardening-2] 4: the state /healthz reports, and the `dropped` counter `logs stats` reads."""
    from bot.querylog import QueryLog, review

    path = tmp_path / "log.sqlite3"
    async with QueryLog(path, salt="s", required=True) as log:
        assert log.writing
        await log._db.execute("PRAGMA query_only = 1")  # every write now fails, as on a read-only disk
        for i in range(5):
            log.record(None, question=f"问{i}", platform="cli", chat_type="private", chat_id=None,
                       user_id=None)
        await log.flush()
        assert not log.writing and log.failures == 5 and "readonly" in (log.last_error or "")
        await log._db.execute("PRAGMA query_only = 0")
        log.record(None, question="再问", platform="cli", chat_type="private", chat_id=None, user_id=None)
        await log.flush()
        assert log.writing and log.last_error is None
    stats = review.stats(path)
    assert stats["total"] == 1 and stats["dropped"] == 5


async def test_a_required_log_that_cannot_be_written_raises_one_line(tmp_path) -> None:
    import pytest

    from bot.querylog import LogUnavailable, QueryLog

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LogUnavailable, match="cannot be opened and written"):
        async with QueryLog(blocker / "log.sqlite3", salt="s", required=True):
            pass
    async with QueryLog(blocker / "log.sqlite3", salt="s") as optional:  # `ask --log` carries on
        assert not optional.writing
