"""The query log's files are owner-only when the log creates them, and keep the mode an operator chose.

Real files on disk, opened through QueryLog as the bots do, with the usual umask 022 (which alone
would give 0644: readable by every local user).
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.querylog import QueryLog, schema


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def sidecars(db: Path) -> list[Path]:
    return [db.with_name(db.name + suffix) for suffix in ("-wal", "-shm")]


async def modes_after_first_use(db: Path) -> dict[str, int]:
    """Modes of the database and its -wal/-shm while the log is open and has committed a row."""
    async with QueryLog(db, salt="s") as log:
        log.record(None, question="问题", platform="cli", chat_type="private", chat_id=1, user_id=1)
        await log.flush()
        assert log.failures == 0
        return {path.name: mode(path) for path in [db, *sidecars(db)]}


async def test_a_new_log_and_its_wal_and_shm_are_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "data" / "zhewen.sqlite3"
    modes = await modes_after_first_use(db)
    assert modes == {"zhewen.sqlite3": 0o600, "zhewen.sqlite3-wal": 0o600, "zhewen.sqlite3-shm": 0o600}, \
        f"Expected 0600 for all three, got { {k: oct(v) for k, v in modes.items()} }"


async def test_an_existing_file_keeps_the_mode_the_operator_chose(tmp_path: Path) -> None:
    db = tmp_path / "zhewen.sqlite3"
    db.touch()
    db.chmod(0o640)  # e.g. readable by an admin group running Datasette
    modes = await modes_after_first_use(db)
    assert modes["zhewen.sqlite3"] == 0o640
    assert mode(db) == 0o640
    assert {modes[p.name] for p in sidecars(db)} == {0o640}  # SQLite copies the main file's mode


def test_create_private_leaves_an_existing_file_and_its_contents_alone(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    schema.prepare(db)
    db.chmod(0o644)
    size = db.stat().st_size
    schema.create_private(db)
    assert (mode(db), db.stat().st_size) == (0o644, size)


def test_the_umask_is_not_touched(tmp_path: Path) -> None:
    schema.prepare(tmp_path / "log.sqlite3")
    assert os.umask(0o022) == 0o022
