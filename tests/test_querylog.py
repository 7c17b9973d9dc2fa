"""QueryLog against real temporary SQLite files: ids at once, batching, pseudonymised ids, odd text."""
from __future__ import annotations

import asyncio
import logging
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine import Answer, Reference
from bot.querylog import QueryLog
from bot.querylog.pseudonym import pseudonymise, salt_path
from bot.querylog.rows import storable_text

RAW_USER = 987654321012
RAW_CHAT = -100555444333


def make_answer(question: str = "浙江有多少款大模型通过备案？", *, found: bool = True) -> Answer:
    source = "今日浙江 2025年第17期"
    refs = (Reference(1, source, "勇立新一代人工智能发展潮头", "强创新", 8, "p-0001", 12.3456, "…"),
            Reference(2, source, "另一篇", "", 9, "p-0002", 7.5, "…"))
    return Answer(question=question, found=found, answer="截至2025年7月，浙江共有44款。" if found else "",
                  references=refs, reply="回复", latency_ms=1.25, normalized=question.rstrip("？"))


def rows(path: Path, sql: str = "SELECT * FROM queries ORDER BY id") -> list[sqlite3.Row]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_record_returns_id_at_once_and_get_sees_queued_row(tmp_path: Path) -> None:
    db = tmp_path / "data" / "log.sqlite3"
    async with QueryLog(db) as log:
        query_id = log.record(make_answer(), question="浙江有多少款大模型通过备案？", platform="telegram",
                              chat_type="private", chat_id=RAW_CHAT, user_id=RAW_USER, reply_chars=42)
        queued = await log.get(query_id)
        assert queued is not None and queued["passage_ids"] == ["p-0001", "p-0002"]
        await log.flush()
        committed = await log.get(query_id)
    assert committed == queued
    assert committed["found"] is True and committed["top_score"] == 12.3456
    assert committed["reply_chars"] == 42 and committed["latency_ms"] == 1.25
    (row,) = rows(db)
    assert row["id"] == query_id and row["ts"].endswith("Z") and row["platform"] == "telegram"
    assert row["normalized"] == "浙江有多少款大模型通过备案"


async def test_thousand_concurrent_records_become_thousand_rows(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"

    async def ask(log: QueryLog, n: int) -> int:
        await asyncio.sleep(0)
        return log.record(make_answer(), question=f"问题{n}", platform="wecom", chat_type="group",
                          chat_id=n % 7, user_id=n)

    async with QueryLog(db) as log:
        ids = await asyncio.gather(*(ask(log, n) for n in range(1000)))
    assert log.failures == 0
    assert len(set(ids)) == 1000
    stored = rows(db, "SELECT id FROM queries")
    assert sorted(r["id"] for r in stored) == sorted(ids)


async def test_raw_ids_absent_from_file_bytes_by_default(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    async with QueryLog(db) as log:
        query_id = log.record(make_answer(), question="q", platform="telegram", chat_type="group",
                              chat_id=RAW_CHAT, user_id=RAW_USER)
        log.record_feedback(query_id, user_id=RAW_USER, value=1)
    salt = salt_path(db).read_text().strip()
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("log.sqlite3") and
                    not p.name.endswith(".salt"))
    assert str(RAW_USER).encode() not in data and str(RAW_CHAT).encode() not in data
    (row,) = rows(db)
    assert row["user_id"] == pseudonymise(RAW_USER, salt) and len(row["user_id"]) == 16
    assert row["chat_id"] == pseudonymise(RAW_CHAT, salt)
    assert stat.S_IMODE(salt_path(db).stat().st_mode) == 0o600


async def test_salt_file_is_reused_and_explicit_salt_wins(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    for _ in range(2):
        async with QueryLog(db) as log:
            log.record(None, question="q", platform="cli", chat_type="private", chat_id=None,
                       user_id=RAW_USER, error="engine failed")
    async with QueryLog(db, salt="explicit") as log:
        log.record(None, question="q", platform="cli", chat_type="private", chat_id=None, user_id=RAW_USER)
    first, second, third = (r["user_id"] for r in rows(db))
    assert first == second != third
    assert third == pseudonymise(RAW_USER, "explicit")


async def test_raw_ids_when_configured(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    async with QueryLog(db, raw_ids=True) as log:
        log.record(make_answer(), question="q", platform="telegram", chat_type="private",
                   chat_id=RAW_CHAT, user_id=RAW_USER)
    (row,) = rows(db)
    assert (row["chat_id"], row["user_id"]) == (str(RAW_CHAT), str(RAW_USER))
    assert not salt_path(db).exists()


@pytest.mark.parametrize("question", [
    "控制字符\x00\x01\x1b[31m\x7f\u200b\n\r\t结束",
    "半个表情\ud83d与孤立的\udc00代理",
    "'; DROP TABLE queries; --",
])
async def test_odd_questions_are_stored_deliberately(tmp_path: Path, question: str) -> None:
    db = tmp_path / "log.sqlite3"
    async with QueryLog(db) as log:
        query_id = log.record(make_answer(question), question=question, platform="telegram",
                              chat_type="private", chat_id=1, user_id=2)
    assert log.failures == 0
    (row,) = rows(db)
    expected = question.replace("\ud83d", "\\ud83d").replace("\udc00", "\\udc00")
    assert row["id"] == query_id and row["question"] == expected


async def test_feedback_later_vote_replaces_earlier(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    async with QueryLog(db) as log:
        query_id = log.record(make_answer(), question="q", platform="telegram", chat_type="private",
                              chat_id=1, user_id=2)
        log.record_feedback(query_id, user_id=2, value=1)
        await log.flush()
        log.record_feedback(query_id, user_id=2, value=-1)
        log.record_feedback(query_id, user_id=3, value=1)
        log.record_feedback(query_id, user_id=3, value=5)
    assert log.failures == 1
    votes = rows(db, "SELECT query_id, value FROM feedback ORDER BY value")
    assert [(r["query_id"], r["value"]) for r in votes] == [(query_id, -1), (query_id, 1)]


@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF)))
def test_storable_text_always_encodes_and_keeps_valid_text(text: str) -> None:
    stored = storable_text(text)
    stored.encode("utf-8")
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert stored == text


async def test_loose_salt_file_permissions_are_warned(tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "log.sqlite3"
    salt_path(db).write_text("0123abcd\n")
    salt_path(db).chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="bot.querylog"):
        async with QueryLog(db) as log:
            log.record(None, question="q", platform="cli", chat_type="private", chat_id=None, user_id=7)
    assert any("readable by others" in r.getMessage() for r in caplog.records)
    (row,) = rows(db)
    assert row["user_id"] == pseudonymise(7, "0123abcd")
