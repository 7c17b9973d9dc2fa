"""`/wecom/aibot` with the real engine and query log: callbacks encrypted as WeCom's documentation shows.

In-process through httpx's ASGI transport, and against a real uvicorn on 127.0.0.1.
"""
from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fakes import aibot as wecom
from starlette.applications import Starlette

from bot import texts
from bot.engine import Engine
from bot.querylog.pseudonym import pseudonymise
from bot.resources import Resources, open_resources
from bot.settings import load_settings
from bot.wecom.aibot import routes
from bot.wecom.text import render_passage

URL = "/wecom/aibot"
SALT = "aibot-test-salt"
QUESTION = "浙江有多少款人工智能大模型通过备案？"
ARTICLE = "勇立新一代人工智能发展潮头"  # where the answer to QUESTION is printed


def robot_settings(tmp_path: Path, **extra: str) -> Any:
    env = {"WECOM_AIBOT_TOKEN": wecom.TOKEN, "WECOM_AIBOT_AES_KEY": wecom.AES_KEY,
           "ZHEWEN_DB": str(tmp_path / "queries.sqlite3"), "ZHEWEN_LOG_SALT": SALT, **extra}
    return load_settings(env, env_file=None)


@pytest.fixture
async def resources(engine: Engine, tmp_path: Path) -> AsyncIterator[Resources]:
    async with open_resources(robot_settings(tmp_path), engine=engine) as opened:
        yield opened


@pytest.fixture
async def client(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=routes(resources))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://wecom.test") as c:
        yield c


async def rows(resources: Resources) -> list[dict[str, Any]]:
    """What the query log committed, in order."""
    await resources.log.flush()
    with sqlite3.connect(resources.settings.db) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM queries ORDER BY id")]


async def post(client: httpx.AsyncClient, payload: dict[str, Any],
               **kw: Any) -> tuple[httpx.Response, str]:
    query, body = wecom.signed_post(payload, **kw)
    headers = {"content-type": "application/json"}
    response = await client.post(URL, params=query, content=body, headers=headers)
    return response, query["nonce"]


async def ask(client: httpx.AsyncClient, payload: dict[str, Any]) -> dict[str, Any]:
    """POST one callback and open the encrypted passive reply as WeCom would."""
    response, nonce = await post(client, payload)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return wecom.open_reply(response.content, nonce)


def stream_content(reply: dict[str, Any], msgid: str) -> str:
    """The content of a complete stream message (document 101031), checked field by field."""
    assert reply["msgtype"] == "stream", reply
    assert set(reply["stream"]) == {"id", "finish", "content"}
    assert reply["stream"]["finish"] is True
    assert reply["stream"]["id"] == msgid
    content = reply["stream"]["content"]
    assert 0 < len(content.encode("utf-8")) <= 2048
    return content


def mention(question: str) -> dict[str, Any]:
    return wecom.text_message(f"@浙问\u2005{question}", chatid="wrkGroupA", userid="lisi")


async def test_url_verification_answers_the_plaintext_only(client: httpx.AsyncClient) -> None:
    response = await client.get(URL, params=wecom.verification_query("5927782489442352469"))
    assert response.status_code == 200
    assert response.content == b"5927782489442352469"


async def test_url_verification_with_a_forged_signature_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(URL, params=wecom.verification_query("echo", token="notTheToken"))
    assert response.status_code == 403
    assert b"echo" not in response.content


async def test_group_mention_is_answered_with_a_cited_stream(client: httpx.AsyncClient, engine: Engine,
                                                             resources: Resources) -> None:
    message = mention(QUESTION)
    content = stream_content(await ask(client, message), message["msgid"])
    assert content.startswith(engine.ask(QUESTION).answer)
    assert "44款" in content and ARTICLE in content and "第8页" in content
    assert texts.AIBOT_GROUP_FOLLOWUP_HINT in content
    [row] = await rows(resources)
    assert (row["platform"], row["chat_type"], row["question"]) == ("wecom", "group", QUESTION)
    assert row["found"] == 1
    assert row["chat_id"] == pseudonymise("wrkGroupA", SALT) != "wrkGroupA"
    assert row["user_id"] == pseudonymise("lisi", SALT)
    assert row["reply_chars"] == len(content)


async def test_one_to_one_message_is_answered_like_the_app(client: httpx.AsyncClient,
                                                          resources: Resources) -> None:
    message = wecom.text_message(QUESTION, group=False, userid="wangwu")
    content = stream_content(await ask(client, message), message["msgid"])
    assert ARTICLE in content and texts.WECOM_FOLLOWUP_HINT in content
    [row] = await rows(resources)
    assert row["chat_type"] == "private"
    assert row["chat_id"] == row["user_id"] == pseudonymise("wangwu", SALT)


async def test_an_unanswerable_question_says_so_and_is_logged_as_not_found(client: httpx.AsyncClient,
                                                                          resources: Resources) -> None:
    message = mention("火星上的天气怎么样？")
    content = stream_content(await ask(client, message), message["msgid"])
    assert content.startswith(texts.NOT_FOUND.split("。")[0])
    assert [r["found"] for r in await rows(resources)] == [0]


async def test_a_retried_msgid_is_answered_again_and_logged_once(client: httpx.AsyncClient,
                                                                resources: Resources) -> None:
    message = mention(QUESTION)
    assert await ask(client, message) == await ask(client, message)
    assert len(await rows(resources)) == 1


async def test_three_concurrent_retries_give_one_answer_and_one_row(client: httpx.AsyncClient,
                                                                   resources: Resources) -> None:
    message = mention(QUESTION)
    replies = await asyncio.gather(*(ask(client, message) for _ in range(3)))
    assert replies[0] == replies[1] == replies[2]
    assert len(await rows(resources)) == 1


@pytest.mark.parametrize("forge", ["token", "signature", "nonce", "timestamp"])
async def test_forged_callbacks_are_refused_and_nothing_is_logged(client: httpx.AsyncClient,
                                                                 resources: Resources, forge: str) -> None:
    query, body = wecom.signed_post(mention(QUESTION), token="attacker" if forge == "token" else wecom.TOKEN)
    if forge == "signature":
        query["msg_signature"] = "f" * 40
    if forge in ("nonce", "timestamp"):
        query[forge] += "1"
    response = await client.post(URL, params=query, content=body)
    assert response.status_code == 403
    assert await rows(resources) == []


async def test_a_replayed_callback_from_hours_ago_is_refused(client: httpx.AsyncClient,
                                                            resources: Resources) -> None:
    ciphertext = wecom.encrypt(json.dumps(mention(QUESTION)))
    query = {"timestamp": str(int(time.time()) - 3 * 3600), "nonce": "n0"}
    query["msg_signature"] = wecom.sign(query["timestamp"], query["nonce"], ciphertext)
    response = await client.post(URL, params=query, content=json.dumps({"encrypt": ciphertext}))
    assert response.status_code == 403
    assert await rows(resources) == []


async def test_a_callback_without_signature_parameters_is_refused(client: httpx.AsyncClient,
                                                                  resources: Resources) -> None:
    _, body = wecom.signed_post(mention(QUESTION))
    assert (await client.post(URL, content=body)).status_code == 403
    assert await rows(resources) == []


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"Encrypt": "x"}', b'{"encrypt": 5}',
                                  b'{"encrypt": "\xff"}', b"", b"<xml><Encrypt>x</Encrypt></xml>"])
async def test_junk_bodies_are_bad_requests(client: httpx.AsyncClient, resources: Resources,
                                            body: bytes) -> None:
    query, _ = wecom.signed_post({})
    response = await client.post(URL, params=query, content=body)
    assert response.status_code == 400
    assert await rows(resources) == []


async def test_signed_but_undecryptable_or_malformed_callbacks_are_bad_requests(
        client: httpx.AsyncClient, resources: Resources) -> None:
    for ciphertext in ("QUJDREVGR0g=", wecom.encrypt("not json"), wecom.encrypt('{"msgtype": "text"}'),
                       wecom.encrypt(json.dumps(mention(QUESTION)), receive_id="wwOtherCorp")):
        query = {"timestamp": str(int(time.time())), "nonce": "n1"}
        query["msg_signature"] = wecom.sign(query["timestamp"], query["nonce"], ciphertext)
        response = await client.post(URL, params=query, content=json.dumps({"encrypt": ciphertext}))
        assert response.status_code == 400, ciphertext
    assert await rows(resources) == []


async def test_oversized_bodies_are_refused(client: httpx.AsyncClient, resources: Resources) -> None:
    query, _ = wecom.signed_post({})
    big = json.dumps({"encrypt": "A" * (64 * 1024)}).encode()
    assert (await client.post(URL, params=query, content=big)).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit holds on the bytes read
        for _ in range(70):
            yield b" " * 1024

    assert (await client.post(URL, params=query, content=chunks())).status_code == 413
    assert await rows(resources) == []


@pytest.mark.parametrize("message", [
    wecom.image_message(), wecom.voice_message(QUESTION), wecom.file_message(),
    wecom.mixed_message(f"@浙问 {QUESTION}")], ids=["image", "voice", "file", "mixed"])
async def test_non_text_messages_get_a_one_line_hint(client: httpx.AsyncClient, resources: Resources,
                                                     message: dict[str, Any]) -> None:
    content = stream_content(await ask(client, message), message["msgid"])
    assert content == texts.NOT_TEXT and "\n" not in content
    assert await rows(resources) == []


async def test_a_bare_mention_asks_for_the_question(client: httpx.AsyncClient, resources: Resources) -> None:
    message = wecom.text_message("@浙问 ")
    assert stream_content(await ask(client, message), message["msgid"]) == texts.AIBOT_EMPTY_QUESTION
    assert await rows(resources) == []


async def test_enter_chat_is_welcomed_with_a_text_message(client: httpx.AsyncClient,
                                                          resources: Resources) -> None:
    reply = await ask(client, wecom.enter_chat())
    assert reply == {"msgtype": "text", "text": {"content": texts.AIBOT_WELCOME}}
    assert await rows(resources) == []


async def test_other_events_get_an_empty_reply(client: httpx.AsyncClient) -> None:
    response, _ = await post(client, wecom.feedback_event())
    assert response.status_code == 200 and response.content == b""


async def test_a_stream_refresh_gets_the_finished_answer_again(client: httpx.AsyncClient,
                                                              resources: Resources) -> None:
    message = mention(QUESTION)
    answered = await ask(client, message)
    assert await ask(client, wecom.stream_refresh(message["msgid"], userid="lisi")) == answered
    unknown = await ask(client, wecom.stream_refresh("no-such-stream"))
    assert stream_content(unknown, "no-such-stream") == texts.AIBOT_STREAM_EXPIRED
    # A refresh naming its own msgid has no reply to wait for: answered at once, never hung.
    itself = wecom.stream_refresh("self-refresh", userid="lisi")
    itself["msgid"] = "self-refresh"
    reply = await asyncio.wait_for(ask(client, itself), timeout=5)
    assert stream_content(reply, "self-refresh") == texts.AIBOT_STREAM_EXPIRED
    assert len(await rows(resources)) == 1


async def test_follow_ups_by_mentioning_again(client: httpx.AsyncClient, engine: Engine,
                                              resources: Resources) -> None:
    first = mention("原文")
    assert stream_content(await ask(client, first), first["msgid"]) == texts.NO_THREAD

    await ask(client, mention(QUESTION))
    passage = mention("原文")
    expected = render_passage(engine.ask(QUESTION).references[0], 2048)
    assert stream_content(await ask(client, passage), passage["msgid"]) == expected

    more = mention("更多")
    content = stream_content(await ask(client, more), more["msgid"])
    assert content.startswith(texts.WECOM_MORE_HEADING) and "1. " in content

    # another member of the same group has asked nothing yet
    other = wecom.text_message("@浙问 更多", chatid="wrkGroupA", userid="zhaoliu")
    assert stream_content(await ask(client, other), other["msgid"]) == texts.NO_THREAD
    assert [r["question"] for r in await rows(resources)] == [QUESTION]


async def test_toc_and_help_words(client: httpx.AsyncClient) -> None:
    toc = mention("/toc")
    assert ARTICLE in stream_content(await ask(client, toc), toc["msgid"])
    helped = mention("帮助")
    assert stream_content(await ask(client, helped), helped["msgid"]) == texts.AIBOT_WELCOME


async def test_unconfigured_robot_answers_503(engine: Engine, tmp_path: Path) -> None:
    async with open_resources(load_settings({"ZHEWEN_DB": str(tmp_path / "q.sqlite3")}, env_file=None),
                              engine=engine) as bare:
        transport = httpx.ASGITransport(app=Starlette(routes=routes(bare)))
        async with httpx.AsyncClient(transport=transport, base_url="http://wecom.test") as c:
            for response in (await c.get(URL, params=wecom.verification_query("x")),
                             await c.post(URL, params=wecom.signed_post({})[0], content=b"{}")):
                assert response.status_code == 503
                assert "WECOM_AIBOT_TOKEN" in response.text


@asynccontextmanager
async def uvicorn_on_loopback(app: Starlette) -> AsyncIterator[str]:
    """A real uvicorn on 127.0.0.1, port chosen by the kernel; listening before the first request."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def test_real_uvicorn_verifies_and_answers_group_and_private(resources: Resources) -> None:
    async with uvicorn_on_loopback(Starlette(routes=routes(resources))) as base, \
            httpx.AsyncClient(base_url=base, timeout=5) as c:
        verify = await c.get(URL, params=wecom.verification_query("8167731540278470829"))
        assert (verify.status_code, verify.content) == (200, b"8167731540278470829")

        group = wecom.text_message(f"@浙问 {QUESTION}", chatid="wrkGroupB", userid="lisi")
        assert ARTICLE in stream_content(await ask(c, group), group["msgid"])

        private = wecom.text_message(QUESTION, group=False, userid="wangwu")
        assert ARTICLE in stream_content(await ask(c, private), private["msgid"])

        replies = await asyncio.gather(*(ask(c, group) for _ in range(3)))  # WeCom's retries
        assert replies[0] == replies[1] == replies[2]

        forged, _ = await post(c, mention(QUESTION), token="attacker")
        assert forged.status_code == 403
        assert (await c.post(URL, params=wecom.signed_post({})[0], content=b"x" * 70_000)).status_code == 413
    logged = await rows(resources)
    assert [(r["chat_type"], r["chat_id"]) for r in logged] == [
        ("group", pseudonymise("wrkGroupB", SALT)), ("private", pseudonymise("wangwu", SALT))]


async def test_served_by_zhewen_serve_app(resources: Resources) -> None:
    """The server mounts the robot: the same callback through bot.server.create_app."""
    from bot.server import create_app

    async with uvicorn_on_loopback(create_app(resources)) as base, httpx.AsyncClient(base_url=base) as c:
        message = mention(QUESTION)
        assert ARTICLE in stream_content(await ask(c, message), message["msgid"])


class BrokenEngine:
    """The real engine whose `ask` fails, as a bug in it would."""

    def __init__(self, engine: Engine) -> None:
        self.toc, self.more, self.passage = engine.toc, engine.more, engine.passage

    def ask(self, question: str, last: object = None) -> Any:
        raise RuntimeError("index corrupted")


async def test_an_engine_failure_is_apologised_for_and_logged_with_its_error(engine: Engine,
                                                                            tmp_path: Path) -> None:
    async with open_resources(robot_settings(tmp_path), engine=BrokenEngine(engine)) as broken:
        transport = httpx.ASGITransport(app=Starlette(routes=routes(broken)))
        async with httpx.AsyncClient(transport=transport, base_url="http://wecom.test") as c:
            message = mention(QUESTION)
            assert stream_content(await ask(c, message), message["msgid"]) == texts.APOLOGY
        [row] = await rows(broken)
    assert (row["question"], row["error"], row["found"]) == (QUESTION, "RuntimeError", None)
