"""WeCom under hostile input and load: the app callback (/wecom/callback) and the 智能机器人 (/wecom/aibot).

Callbacks are signed and encrypted by the fakes exactly as WeCom sends them; the real engine and a
real SQLite log answer. Every question gets a decryptable reply within 2048 bytes of UTF-8 and one
log row holding the question as sent; a storm of retries (every message three times at once, on a
real uvicorn) gives one answer per message and one row.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fakes import aibot as robot
from fakes import wecom as fake
from test_hardening_cli import BAD_INPUTS

from bot import texts
from bot.engine import Engine
from bot.resources import Resources, open_resources
from bot.server import create_app
from bot.settings import load_settings
from bot.wecom.aibot_protocol import strip_mentions
from bot.wecom.text import MAX_BYTES

wecom = fake.FakeWeCom()
ROBOT_NAME = "@浙问"
# XML 1.0 cannot carry C0 controls, so WeCom's XML callbacks never contain them; the JSON robot can.
NOT_IN_XML = ("control", "nul", "csv-breaker")
LONG = "浙江有多少款大模型？" * 1000  # 10 000 characters: as long as a callback body may be (64 KiB)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@asynccontextmanager
async def opened(engine: Engine, db: Path) -> AsyncIterator[Resources]:
    settings = load_settings(fake.env(ZHEWEN_DB=str(db), ZHEWEN_LOG_SALT="hardening",
                                      WECOM_AIBOT_TOKEN=robot.TOKEN, WECOM_AIBOT_AES_KEY=robot.AES_KEY),
                             env_file=None)
    async with open_resources(settings, engine=engine) as resources:
        yield resources


@asynccontextmanager
async def in_process(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(resources))
    async with httpx.AsyncClient(transport=transport, base_url="http://wecom.test", timeout=30) as client:
        yield client


@asynccontextmanager
async def on_uvicorn(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    """The same app on a real uvicorn bound to 127.0.0.1 (socket listening before the first request)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    server = uvicorn.Server(uvicorn.Config(create_app(resources), lifespan="on", log_config=None,
                                           access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=200)) as c:
            yield c
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        sock.close()


async def app_say(client: httpx.AsyncClient, message_xml: str) -> str:
    """One app callback; the decrypted passive reply."""
    query, body = wecom.callback(message_xml)
    response = await client.post("/wecom/callback", params=query, content=body)
    assert response.status_code == 200, response.text
    return checked(wecom.read_reply(response.text, query["nonce"]).content)


async def robot_say(client: httpx.AsyncClient, payload: dict[str, Any]) -> str:
    """One 智能机器人 callback; the decrypted stream content."""
    query, body = robot.signed_post(payload)
    response = await client.post("/wecom/aibot", params=query, content=body)
    assert response.status_code == 200, response.text
    stream = robot.open_reply(response.content, query["nonce"])["stream"]
    assert stream["finish"] is True
    return checked(stream["content"])


def checked(content: str) -> str:
    assert content.strip() and "Traceback" not in content
    assert len(content.encode("utf-8")) <= MAX_BYTES
    return content


async def questions_logged(resources: Resources) -> list[tuple[str, str]]:
    await resources.log.flush()
    with sqlite3.connect(resources.settings.db) as conn:
        return conn.execute("SELECT chat_type, question FROM queries ORDER BY id").fetchall()


def polite(content: str) -> bool:
    return content.startswith((texts.ASK_PROMPT, texts.NOT_FOUND, texts.AIBOT_EMPTY_QUESTION)) or \
        texts.SOURCE_LABEL in content


# --- hostile input ----------------------------------------------------------------------------------

async def test_app_callback_answers_hostile_text_and_logs_it_as_sent(engine: Engine, tmp_path: Path) -> None:
    inputs = {n: t for n, t in BAD_INPUTS.items() if n not in NOT_IN_XML and n != "hundred-thousand"}
    inputs["long"] = LONG
    async with opened(engine, tmp_path / "log.sqlite3") as resources, in_process(resources) as client:
        replies = {name: await app_say(client, fake.text_xml(text, user=f"u{i}"))
                   for i, (name, text) in enumerate(inputs.items())}
        logged = await questions_logged(resources)
    assert all(polite(reply) for reply in replies.values()), replies
    asked = [t.strip() for t in inputs.values() if t.strip()]  # blank messages get the prompt, no row
    assert logged == [("private", q) for q in asked]


async def test_app_callback_refuses_a_body_over_64_kib_and_logs_nothing(engine: Engine,
                                                                        tmp_path: Path) -> None:
    async with opened(engine, tmp_path / "log.sqlite3") as resources, in_process(resources) as client:
        query, body = wecom.callback(fake.text_xml(BAD_INPUTS["hundred-thousand"]))
        response = await client.post("/wecom/callback", params=query, content=body)
        assert response.status_code == 413
        assert await questions_logged(resources) == []


async def test_robot_answers_hostile_text_in_groups_and_one_to_one(engine: Engine, tmp_path: Path) -> None:
    inputs = {n: t for n, t in BAD_INPUTS.items() if n != "hundred-thousand"}
    inputs["long"] = LONG
    async with opened(engine, tmp_path / "log.sqlite3") as resources, in_process(resources) as client:
        for i, text in enumerate(inputs.values()):
            group = await robot_say(client, robot.text_message(f"{ROBOT_NAME} {text}", userid=f"g{i}"))
            single = await robot_say(client, robot.text_message(text, group=False, userid=f"s{i}"))
            assert polite(group) and polite(single), (text[:40], group, single)
        logged = await questions_logged(resources)
    expected = []
    for text in inputs.values():
        in_group = strip_mentions(f"{ROBOT_NAME} {text}")
        if in_group:
            expected.append(("group", in_group))
        if text.strip():
            expected.append(("private", text.strip()))
    assert logged == expected


# --- load and retry storms on a real uvicorn --------------------------------------------------------

async def test_50_messages_each_retried_3_times_at_once_get_one_answer_and_one_row(
        engine: Engine, tmp_path: Path) -> None:
    questions = [f"浙江有多少款大模型通过备案？第{i}问" for i in range(25)]
    async with opened(engine, tmp_path / "log.sqlite3") as resources, on_uvicorn(resources) as client:
        app_calls, robot_calls = [], []
        for i, q in enumerate(questions):
            app_calls.append(fake.text_xml(q, user=f"app{i}"))
            payload = robot.text_message(f"{ROBOT_NAME} {q}", userid=f"bot{i}", chatid=f"chat{i % 5}")
            robot_calls.append(payload)

        async def app_once(message_xml: str) -> str:
            query, body = wecom.callback(message_xml)  # WeCom signs each retry anew, same MsgId
            response = await client.post("/wecom/callback", params=query, content=body)
            assert response.status_code == 200, response.text
            return checked(wecom.read_reply(response.text, query["nonce"]).content)

        async def robot_once(payload: dict[str, Any]) -> str:
            query, body = robot.signed_post(payload)  # WeCom signs each retry anew, same msgid
            response = await client.post("/wecom/aibot", params=query, content=body)
            assert response.status_code == 200, response.text
            return checked(robot.open_reply(response.content, query["nonce"])["stream"]["content"])

        jobs = [app_once(call) for call in app_calls for _ in range(3)]
        jobs += [robot_once(payload) for payload in robot_calls for _ in range(3)]
        replies = await asyncio.gather(*jobs)
        logged = await questions_logged(resources)
    for n in range(0, len(replies), 3):
        assert replies[n] == replies[n + 1] == replies[n + 2], "retries must get the same answer"
        assert "44" in replies[n]
    assert sorted(logged) == sorted([("private", q) for q in questions] + [("group", q) for q in questions])


async def test_concurrent_messages_from_many_users_are_each_answered_and_logged_once(
        engine: Engine, tmp_path: Path) -> None:
    asked = [(f"user{i}", f"{q}（{i}）") for i, q in enumerate(
        ["魔搭社区是全球第几大开源模型社区？", "宇树科技的机器人为什么便宜？", "火星上的天气怎么样？",
         "hello?", "😀"] * 10)]
    async with opened(engine, tmp_path / "log.sqlite3") as resources, on_uvicorn(resources) as client:
        replies = await asyncio.gather(*(app_say(client, fake.text_xml(q, user=u)) for u, q in asked))
        logged = await questions_logged(resources)
    assert all(polite(r) for r in replies)
    assert sorted(q for _, q in logged) == sorted(q for _, q in asked)



# --- unauthenticated junk ---------------------------------------------------------------------------

JUNK_BODIES = {
    "deeply-nested-json": ("/wecom/aibot", b"[" * 60_000),
    "deeply-nested-xml": ("/wecom/callback", b"<a>" * 20_000),
    "entity-expansion": ("/wecom/callback", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
                                            b"<xml><Encrypt>&a;</Encrypt></xml>"),
    "json-not-an-object": ("/wecom/aibot", b"[1, 2]"),
    "invalid-utf8-json": ("/wecom/aibot", b'{"encrypt": "\xff"}'),
}


@pytest.mark.parametrize(("path", "body"), JUNK_BODIES.values(), ids=JUNK_BODIES.keys())
async def test_junk_before_the_signature_check_is_a_400_without_a_traceback(
        engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture, path: str, body: bytes) -> None:
    async with opened(engine, tmp_path / "log.sqlite3") as resources:
        transport = httpx.ASGITransport(app=create_app(resources), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://wecom.test") as client:
            query = {"msg_signature": "0" * 40, "timestamp": "1700000000", "nonce": "n"}
            response = await client.post(path, params=query, content=body)
        assert await questions_logged(resources) == []
    assert response.status_code == 400, response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
