"""[context] item 7: one conversation path for every channel (bot/dialogue.py), on the real engine
and a real SQLite log. The channels' own tests drive it through their protocols."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot import texts
from bot.dialogue import Dialogue, Incoming, Step
from bot.engine import Engine
from bot.querylog import QueryLog
from bot.ratelimit import RateLimiter

QUESTION = "台州市推动组建了多少个产业链党委？"
CHANNELS = [("telegram", "telegram", "private"), ("wecom", "wecom", "private"), ("wecom", "aibot", "group"),
            ("cli", "cli", "private")]


def _dialogue(engine: Engine, log: QueryLog, db: Path, per_minute: int | None = None) -> Dialogue:
    limiter = RateLimiter(per_minute) if per_minute else None
    return Dialogue(lambda: engine, log, db, lambda platform: frozenset({"boss"}), limiter=limiter)


async def test_every_channel_gets_the_same_answer_and_logs_it_under_its_platform(engine: Engine,
                                                                                  tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    async with QueryLog(db, salt="s") as log:
        dialogue = _dialogue(engine, log, db)
        outcomes = [await dialogue.handle(Incoming(platform, channel, chat_type, "chat", "u1", QUESTION),
                                          lambda answer: answer.reply)
                    for platform, channel, chat_type in CHANNELS]
        await log.flush()
    assert {o.step for o in outcomes} == {Step.ANSWER}
    assert len({o.answer.answer for o in outcomes}) == 1 and "36个产业链党委" in outcomes[0].answer.answer
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT platform, chat_type, question, reply_chars FROM queries ORDER BY id")
        rows = rows.fetchall()
    assert [(p, t) for p, t, _, _ in rows] == [(p, t) for p, _, t in CHANNELS]
    assert all(q == QUESTION and n == len(outcomes[0].reply) for _, _, q, n in rows)


async def test_context_is_per_channel_chat_and_user(engine: Engine, tmp_path: Path) -> None:
    async with QueryLog(tmp_path / "log.sqlite3", salt="s") as log:
        dialogue = _dialogue(engine, log, tmp_path / "log.sqlite3")

        async def say(user: str, text: str, channel: str = "aibot"):
            incoming = Incoming("wecom", channel, "group", "g1", user, text)
            return await dialogue.handle(incoming, lambda a: a.reply)

        await say("alice", QUESTION)
        swapped = await say("alice", "宁波的呢")
        assert swapped.answer.read_as and "13个产业链党委" in swapped.answer.answer
        other = await say("bob", "宁波的呢")                      # bob asked nothing before
        assert not other.answer.read_as
        elsewhere = await say("alice", "宁波的呢", channel="wecom")  # nor did alice in the app
        assert not elsewhere.answer.read_as
        assert (await say("alice", "重新开始")).step is Step.RESET
        assert not (await say("alice", "宁波的呢")).answer.read_as


async def test_commands_follow_ups_and_limits_are_decided_once_for_all_channels(engine: Engine,
                                                                                 tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    async with QueryLog(db, salt="s") as log:
        dialogue = _dialogue(engine, log, db, per_minute=2)

        async def say(text: str, user: str = "u1"):
            incoming = Incoming("wecom", "wecom", "private", user, user, text)
            return await dialogue.handle(incoming, lambda a: a.reply)

        assert (await say("  ")).step is Step.EMPTY
        assert (await say("帮助")).step is Step.HELP
        assert (await say("目录 2")).page == 2
        assert (await say("原文")).notice == texts.NO_THREAD
        assert (await say("/stats")).notice == texts.ADMIN_ONLY
        assert (await say("/stats", user="boss")).stats is not None
        assert (await say(QUESTION)).step is Step.ANSWER
        passage = await say("1")
        assert passage.followup.kind == "passage" and "台州" in passage.followup.references[0].text
        assert (await say("9")).notice == texts.NO_SUCH_REFERENCE.format(number=9, count=3)
        assert (await say(QUESTION)).step is Step.ANSWER          # the second in the minute
        assert (await say(QUESTION)).step is Step.LIMITED         # told once
        assert (await say(QUESTION)).step is Step.SILENT          # then quiet
        assert (await say("目录")).step is Step.TOC               # commands are never limited
        await log.flush()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM queries").fetchone()[0] == 2   # only questions
        assert [k for (k,) in conn.execute("SELECT kind FROM followups")] == ["passage", "passage"]


async def test_an_engine_failure_is_one_apology_and_one_logged_error(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def ask(self, question: str, last: object = None):
            raise RuntimeError("index corrupted")

    db = tmp_path / "log.sqlite3"
    async with QueryLog(db, salt="s") as log:
        dialogue = Dialogue(lambda: Broken(), log, db, lambda platform: frozenset())
        outcome = await dialogue.handle(Incoming("telegram", "telegram", "private", 1, 2, QUESTION),
                                        lambda a: a.reply)
        await log.flush()
    assert outcome.step is Step.FAILED and outcome.notice == texts.APOLOGY
    assert "engine failed on a telegram question" in caplog.text
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT error, found FROM queries").fetchall() == [("RuntimeError", None)]
