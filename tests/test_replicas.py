"""[scale-out] Two replicas on one database behave as one, in process: each replica is its own
Resources (its own query log writer, shared-state connections and in-process caches) over the same
SQLite file or PostgreSQL database, driven through its own ASGI app with callbacks encrypted as WeCom
sends them. The real processes, kill -9 and 2,000 questions are in test_replicas_e2e.py."""
from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes import aibot as robot
from fakes import wecom as fake
from test_wecom_callback import QUESTION, FakeEngine

from bot import answered_once as replies
from bot import texts
from bot.engine import Engine
from bot.querylog import QueryLog
from bot.resources import Resources
from bot.server import create_app
from bot.settings import load_settings
from bot.storage.state import open_state
from bot.storage.target import PostgresUrl

wecom = fake.FakeWeCom()
READ_AS_PREFIX = texts.READ_AS.split("{")[0]


@dataclass
class Replica:
    client: httpx.AsyncClient
    resources: Resources

    async def post(self, query: dict[str, str], body: bytes, path: str = "/wecom/callback") -> httpx.Response:
        return await self.client.post(path, params=query, content=body)

    async def say(self, message_xml: str) -> str | None:
        """A callback as WeCom sends it (signed anew, as each retry is): the reply's text, None for an
        empty 200; any other status fails the test."""
        query, body = wecom.callback(message_xml)
        response = await self.post(query, body)
        assert response.status_code == 200, response.text
        return wecom.read_reply(response.text, query["nonce"]).content if response.content else None


def url_of(target: Path | PostgresUrl) -> str:
    return target.dsn if isinstance(target, PostgresUrl) else str(target)


@asynccontextmanager
async def replica(target: Path | PostgresUrl, engine: Any, **env: str) -> AsyncIterator[Replica]:
    environ = {**fake.env(ZHEWEN_DB=url_of(target), WECOM_AIBOT_TOKEN=robot.TOKEN,
                          WECOM_AIBOT_AES_KEY=robot.AES_KEY), **env}
    settings = load_settings(environ, env_file=None)
    async with QueryLog(settings.db, salt="shared-salt") as log, open_state(settings.db) as state:
        resources = Resources(settings=settings, engine=engine, log=log, state=state)
        transport = httpx.ASGITransport(app=create_app(resources))
        async with httpx.AsyncClient(transport=transport, base_url="http://replica.test") as client:
            yield Replica(client, resources)


@asynccontextmanager
async def two(target: Path | PostgresUrl, engine: Callable[[], Any], **env: str
              ) -> AsyncIterator[tuple[Replica, Replica]]:
    async with replica(target, engine(), **env) as a, replica(target, engine(), **env) as b:
        yield a, b


def execute(target: Path | PostgresUrl, sql: str) -> list[tuple]:
    """One statement on the database itself, as an operator (or a failing disk) would."""
    if isinstance(target, PostgresUrl):
        import psycopg

        with psycopg.connect(target.dsn, autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []
    with sqlite3.connect(target) as conn:
        return conn.execute(sql).fetchall()


def questions(target: Path | PostgresUrl) -> list[str]:
    return [q for (q,) in execute(target, "SELECT question FROM queries ORDER BY id")]


# --- retries ------------------------------------------------------------------------------------------

async def test_a_retry_on_the_other_replica_gets_the_first_reply_and_is_logged_once(db_target) -> None:
    async with two(db_target, FakeEngine) as (a, b):
        a.resources.engine.gate = threading.Event()                   # A's engine is still thinking
        message = fake.text_xml(QUESTION, user="zhangsan", msg_id=4242)
        first = asyncio.create_task(a.say(message))
        assert await asyncio.to_thread(a.resources.engine.entered.wait, 10)
        during = asyncio.create_task(b.say(message))                  # a retry while A answers
        await asyncio.sleep(0.3)
        a.resources.engine.gate.set()
        replies_seen = [await first, await during, await b.say(message), await a.say(message)]
    assert replies_seen[0] and replies_seen[0].startswith("截至2025年7月")
    assert len(set(replies_seen)) == 1, replies_seen
    assert a.resources.engine.questions == [QUESTION] and b.resources.engine.questions == []
    assert questions(db_target) == [QUESTION]


async def test_the_same_msgid_from_another_sender_is_another_message(db_target) -> None:
    async with two(db_target, FakeEngine) as (a, b):
        await a.say(fake.text_xml(QUESTION, user="zhangsan", msg_id=7))
        await b.say(fake.text_xml(QUESTION, user="lisi", msg_id=7))
    assert questions(db_target) == [QUESTION, QUESTION]


async def test_a_replayed_request_is_refused_by_the_other_replica(db_target) -> None:
    async with two(db_target, FakeEngine) as (a, b):
        query, body = wecom.callback(fake.text_xml(QUESTION, user="zhangsan"))
        assert (await a.post(query, body)).status_code == 200
        replayed = await b.post(query, body)
        assert replayed.status_code == 403 and replayed.text == "replayed request"
        verify = wecom.verification()
        assert (await b.client.get("/wecom/callback", params=verify)).status_code == 200
        assert (await a.client.get("/wecom/callback", params=verify)).status_code == 403
    assert questions(db_target) == [QUESTION]


async def test_a_replica_that_died_mid_answer_is_taken_over_after_its_lease(db_target, monkeypatch) -> None:
    """A claim with no reply behind it (its replica was killed before the commit): copies are refused
    with 503 while the lease runs, and the first copy after it answers and logs the question once."""
    monkeypatch.setattr(replies, "WAIT_S", 0.2)
    monkeypatch.setattr(replies, "LEASE_S", 1.0)
    async with two(db_target, FakeEngine) as (a, b):
        message = fake.text_xml(QUESTION, user="zhangsan", msg_id=99)
        key = a.resources.log.pseudonym(repr(("msg", "zhangsan", 99)))
        assert await a.resources.state.claim("wecom-reply", key, replies.LEASE_S)   # and then A died
        query, body = wecom.callback(message)
        refused = await b.post(query, body)
        assert refused.status_code == 503 and refused.text == "busy, try again later"
        await asyncio.sleep(1.0)
        assert (await b.say(message) or "").startswith("截至2025年7月")
    assert questions(db_target) == [QUESTION]


# --- the conversation across replicas -----------------------------------------------------------------

async def test_rate_limit_counts_a_users_questions_on_every_replica(db_target) -> None:
    async with two(db_target, FakeEngine, ZHEWEN_RATE_LIMIT="2") as (a, b):
        said = [await r.say(fake.text_xml(f"{QUESTION}{i}", user="zhouba"))
                for i, r in enumerate((a, b, a, b))]
        other = await b.say(fake.text_xml(QUESTION, user="wujiu"))
    assert said[0].startswith("截至") and said[1].startswith("截至")
    assert said[2] == texts.RATE_LIMITED and said[3] is None      # told once, then silent
    assert other.startswith("截至")
    assert len(questions(db_target)) == 3


async def test_context_follow_ups_and_reset_reach_the_other_replica(db_target, engine: Engine) -> None:
    async with two(db_target, lambda: engine) as (a, b):
        first = await a.say(fake.text_xml("台州市推动组建了多少个产业链党委？", user="wangwu"))
        assert "36个产业链党委" in first
        swapped = await b.say(fake.text_xml("宁波的呢", user="wangwu"))
        assert "13个产业链党委" in swapped and READ_AS_PREFIX in swapped
        passage = await a.say(fake.text_xml("原文", user="wangwu"))      # the thread B started
        assert passage != texts.NO_THREAD and "13个" in passage
        assert (await b.say(fake.text_xml("更多", user="wangwu"))).startswith(texts.WECOM_MORE_HEADING)
        assert await a.say(fake.text_xml("重新开始", user="wangwu")) == texts.CONTEXT_RESET
        after = await b.say(fake.text_xml("宁波的呢", user="wangwu"))
        assert READ_AS_PREFIX not in after
        elsewhere = await b.say(fake.text_xml("宁波的呢", user="zhaoliu"))   # another user: no context
        assert READ_AS_PREFIX not in elsewhere


async def test_the_state_holds_no_raw_user_ids(db_target, engine: Engine) -> None:
    async with two(db_target, lambda: engine) as (a, b):
        await a.say(fake.text_xml("台州市推动组建了多少个产业链党委？", user="zhangsan"))
        await b.say(fake.text_xml("宁波的呢", user="zhangsan"))
    keys = [k for table in ("claims", "kv") for (k,) in execute(db_target, f"SELECT key FROM {table}")]
    keys += [k for (k,) in execute(db_target, "SELECT key FROM hits")]
    assert keys and not [k for k in keys if "zhangsan" in k]


# --- the 智能机器人 -------------------------------------------------------------------------------------

async def test_robot_retry_and_stream_refresh_on_the_other_replica(db_target) -> None:
    async with two(db_target, FakeEngine) as (a, b):
        message = robot.text_message(f"@浙问 {QUESTION}", userid="lisi")

        async def ask(r: Replica, payload: dict) -> dict:
            query, body = robot.signed_post(payload)
            response = await r.post(query, body, "/wecom/aibot")
            assert response.status_code == 200, response.text
            return robot.open_reply(response.content, query["nonce"])

        first, retried = await ask(a, message), await ask(b, message)
        refreshed = await ask(b, robot.stream_refresh(message["msgid"], userid="lisi"))
        unknown = await ask(b, robot.stream_refresh("no-such-stream", userid="lisi"))
    assert first["stream"]["content"].startswith("截至2025年7月")
    assert retried == first and refreshed["stream"] == first["stream"]
    assert unknown["stream"]["content"] == texts.AIBOT_STREAM_EXPIRED
    assert questions(db_target) == [QUESTION]


# --- when the log cannot commit -----------------------------------------------------------------------

REFUSE = {
    "sqlite": "CREATE TRIGGER refuse BEFORE INSERT ON queries BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    "postgresql": "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                  "RAISE EXCEPTION 'disk full'; END $$; CREATE TRIGGER refuse BEFORE INSERT ON queries "
                  "FOR EACH ROW EXECUTE FUNCTION refuse()",
}


async def test_on_postgresql_a_question_the_log_cannot_commit_is_refused_so_wecom_retries(
        postgres_url: str) -> None:
    target = PostgresUrl(postgres_url)
    async with two(target, FakeEngine) as (a, b):
        execute(target, REFUSE["postgresql"])
        message = fake.text_xml(QUESTION, user="zhangsan", msg_id=5150)
        query, body = wecom.callback(message)
        refused = await a.post(query, body)
        assert refused.status_code == 503
        query, body = wecom.callback(message)              # the claim was given up: no waiting for it
        assert (await b.post(query, body)).status_code == 503
        assert not a.resources.log.writing
        execute(target, "DROP TRIGGER refuse ON queries")
        assert (await b.say(message)).startswith("截至2025年7月")
        assert await a.say(message) == await b.say(message)
    assert questions(target) == [QUESTION]


async def test_on_sqlite_a_question_the_log_cannot_commit_is_answered_anyway(tmp_path: Path) -> None:
    target = tmp_path / "log.sqlite3"
    async with two(target, FakeEngine) as (a, b):
        execute(target, REFUSE["sqlite"])
        message = fake.text_xml(QUESTION, user="zhangsan", msg_id=5151)
        answered = await a.say(message)
        assert answered.startswith("截至2025年7月")
        assert await b.say(message) == answered               # the reply is kept for retries all the same
        assert a.resources.log.failures == 1 and b.resources.engine.questions == []
    assert questions(target) == []


async def test_shared_state_that_fails_is_a_503_on_postgresql_and_ignored_on_sqlite(db_target) -> None:
    async with two(db_target, FakeEngine) as (a, _):
        execute(db_target, "ALTER TABLE claims RENAME TO claims_gone")   # every claim now fails
        query, body = wecom.callback(fake.text_xml(QUESTION, user="zhangsan"))
        response = await a.post(query, body)
    if isinstance(db_target, PostgresUrl):
        assert response.status_code == 503 and response.text == "busy, try again later"
        assert a.resources.engine.questions == [] and questions(db_target) == []
    else:  # answered; its row went with its reply's settle, in one transaction, and is counted dropped
        assert wecom.read_reply(response.text, query["nonce"]).content.startswith("截至2025年7月")
        assert questions(db_target) == [] and a.resources.log.failures == 1


@pytest.mark.parametrize("user", ["x" * 300, "用户\x00名", "'; DROP TABLE kv; --"])
async def test_odd_sender_ids_are_keys_like_any_other(db_target, user: str) -> None:
    async with two(db_target, FakeEngine) as (a, b):
        message = fake.text_xml(QUESTION, user=user.replace("\x00", ""), msg_id=31337)
        assert await a.say(message) == await b.say(message)
    assert len(questions(db_target)) == 1
