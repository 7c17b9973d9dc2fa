"""`/wecom/aibot` in-process: callbacks encrypted exactly as WeCom's documentation shows them."""
from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fakes import aibot as wecom
from starlette.applications import Starlette

from bot import texts
from bot.engine import Answer, Reference
from bot.resources import Resources
from bot.settings import load_settings
from bot.wecom.aibot import routes

URL = "/wecom/aibot"
CONFIG = {"WECOM_AIBOT_TOKEN": wecom.TOKEN, "WECOM_AIBOT_AES_KEY": wecom.AES_KEY}
QUESTION = "浙江有多少款人工智能大模型通过备案？"


class FakeEngine:
    def __init__(self) -> None:
        self.questions: list[str] = []

    def ask(self, question: str) -> Answer:
        self.questions.append(question)
        ref = Reference(1, "今日浙江 2025年第17期", "勇立新一代人工智能发展潮头", "强创新", 8, "p1", 9.0, "…")
        reply = ("浙江共有44款大模型通过备案。\n\n"
                 "来源：今日浙江 2025年第17期 第8页《勇立新一代人工智能发展潮头》")
        return Answer(question, True, "浙江共有44款大模型通过备案。", (ref,), reply, 1.0)


class FakeLog:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def record(self, answer: Answer | None, **fields: Any) -> int:
        self.rows.append({"answer": answer, **fields})
        return len(self.rows)


@pytest.fixture
def resources() -> Resources:
    return Resources(settings=load_settings(CONFIG, env_file=None), engine=FakeEngine(), log=FakeLog())


@pytest.fixture
async def client(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=routes(resources))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://wecom.test") as c:
        yield c


def rows(resources: Resources) -> list[dict[str, Any]]:
    return resources.log.rows


async def post(client: httpx.AsyncClient, payload: dict[str, Any],
               **kw: Any) -> tuple[httpx.Response, str]:
    query, body = wecom.signed_post(payload, **kw)
    headers = {"content-type": "application/json"}
    response = await client.post(URL, params=query, content=body, headers=headers)
    return response, query["nonce"]


async def ask(client: httpx.AsyncClient, payload: dict[str, Any]) -> dict[str, Any]:
    response, nonce = await post(client, payload)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return wecom.open_reply(response.content, nonce)


def stream_content(reply: dict[str, Any], msgid: str) -> str:
    assert reply["msgtype"] == "stream", reply
    assert reply["stream"]["finish"] is True
    assert reply["stream"]["id"] == msgid
    return reply["stream"]["content"]


async def test_url_verification_answers_the_plaintext_only(client: httpx.AsyncClient) -> None:
    response = await client.get(URL, params=wecom.verification_query("5927782489442352469"))
    assert response.status_code == 200
    assert response.content == b"5927782489442352469"


async def test_url_verification_with_a_forged_signature_is_refused(client: httpx.AsyncClient) -> None:
    query = wecom.verification_query("echo", token="notTheToken")
    response = await client.get(URL, params=query)
    assert response.status_code == 403
    assert b"echo" not in response.content


async def test_group_mention_is_answered_with_a_cited_stream(client: httpx.AsyncClient,
                                                             resources: Resources) -> None:
    message = wecom.text_message(f"@浙问 {QUESTION}", chatid="wrkGroupA", userid="lisi")
    reply = await ask(client, message)
    content = stream_content(reply, message["msgid"])
    assert resources.engine.questions == [QUESTION]
    assert "44" in content and "《勇立新一代人工智能发展潮头》" in content
    assert len(content.encode("utf-8")) <= 2048
    [row] = rows(resources)
    assert (row["platform"], row["chat_type"]) == ("wecom", "group")
    assert (row["chat_id"], row["user_id"]) == ("wrkGroupA", "lisi")
    assert row["question"] == QUESTION and row["reply_chars"] == len(content)


async def test_one_to_one_message_is_answered(client: httpx.AsyncClient, resources: Resources) -> None:
    message = wecom.text_message(QUESTION, group=False, userid="wangwu")
    content = stream_content(await ask(client, message), message["msgid"])
    assert "《勇立新一代人工智能发展潮头》" in content
    [row] = rows(resources)
    assert (row["chat_type"], row["chat_id"], row["user_id"]) == ("private", "wangwu", "wangwu")


async def test_a_retried_msgid_is_answered_again_and_logged_once(client: httpx.AsyncClient,
                                                                resources: Resources) -> None:
    message = wecom.text_message(f"@浙问 {QUESTION}")
    first = await ask(client, message)
    again = await ask(client, message)
    assert first == again
    assert len(rows(resources)) == 1 and len(resources.engine.questions) == 1


async def test_three_concurrent_retries_give_one_answer_and_one_row(client: httpx.AsyncClient,
                                                                   resources: Resources) -> None:
    message = wecom.text_message(f"@浙问 {QUESTION}")
    replies = await asyncio.gather(*(ask(client, message) for _ in range(3)))
    assert replies[0] == replies[1] == replies[2]
    assert len(rows(resources)) == 1


@pytest.mark.parametrize("forge", ["token", "signature", "nonce"])
async def test_forged_callbacks_are_refused_and_nothing_is_logged(client: httpx.AsyncClient,
                                                                 resources: Resources, forge: str) -> None:
    query, body = wecom.signed_post(wecom.text_message(f"@浙问 {QUESTION}"),
                                    token="attacker" if forge == "token" else wecom.TOKEN)
    if forge == "signature":
        query["msg_signature"] = "f" * 40
    if forge == "nonce":
        query["nonce"] += "x"
    response = await client.post(URL, params=query, content=body)
    assert response.status_code == 403
    assert rows(resources) == [] and resources.engine.questions == []


async def test_a_callback_without_signature_parameters_is_refused(client: httpx.AsyncClient,
                                                                  resources: Resources) -> None:
    _, body = wecom.signed_post(wecom.text_message(QUESTION))
    assert (await client.post(URL, content=body)).status_code == 403
    assert rows(resources) == []


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"Encrypt": "x"}', b'{"encrypt": 5}',
                                  b'{"encrypt": "\xff"}', b""])
async def test_junk_bodies_are_bad_requests(client: httpx.AsyncClient, resources: Resources,
                                            body: bytes) -> None:
    query, _ = wecom.signed_post({})
    response = await client.post(URL, params=query, content=body)
    assert response.status_code == 400
    assert rows(resources) == []


async def test_signed_but_undecryptable_or_malformed_callbacks_are_bad_requests(
        client: httpx.AsyncClient, resources: Resources) -> None:
    for ciphertext in ("QUJDREVGR0g=", wecom.encrypt("not json"), wecom.encrypt('{"msgtype": "text"}'),
                       wecom.encrypt(json.dumps(wecom.text_message(QUESTION)), receive_id="wwOtherCorp")):
        query = {"timestamp": "1700000000", "nonce": "n1"}
        query["msg_signature"] = wecom.sign(query["timestamp"], query["nonce"], ciphertext)
        response = await client.post(URL, params=query, content=json.dumps({"encrypt": ciphertext}))
        assert response.status_code == 400, ciphertext
    assert rows(resources) == [] and resources.engine.questions == []


async def test_oversized_bodies_are_refused(client: httpx.AsyncClient, resources: Resources) -> None:
    query, _ = wecom.signed_post({})
    big = json.dumps({"encrypt": "A" * (64 * 1024)}).encode()
    assert (await client.post(URL, params=query, content=big)).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit holds on the bytes read
        for _ in range(70):
            yield b" " * 1024

    assert (await client.post(URL, params=query, content=chunks())).status_code == 413
    assert rows(resources) == []


@pytest.mark.parametrize("message", [
    wecom.image_message(), wecom.voice_message(QUESTION), wecom.file_message(),
    wecom.mixed_message(f"@浙问 {QUESTION}")], ids=["image", "voice", "file", "mixed"])
async def test_non_text_messages_get_a_one_line_hint(client: httpx.AsyncClient, resources: Resources,
                                                     message: dict[str, Any]) -> None:
    content = stream_content(await ask(client, message), message["msgid"])
    assert content == texts.NOT_TEXT and "\n" not in content
    assert rows(resources) == []


async def test_a_bare_mention_asks_for_the_question(client: httpx.AsyncClient, resources: Resources) -> None:
    message = wecom.text_message("@浙问 ")
    assert stream_content(await ask(client, message), message["msgid"]) == texts.AIBOT_EMPTY_QUESTION
    assert rows(resources) == []


async def test_enter_chat_is_welcomed_with_a_text_message(client: httpx.AsyncClient,
                                                          resources: Resources) -> None:
    reply = await ask(client, wecom.enter_chat())
    assert reply == {"msgtype": "text", "text": {"content": texts.AIBOT_WELCOME}}
    assert rows(resources) == []


async def test_other_events_get_an_empty_reply(client: httpx.AsyncClient) -> None:
    response, _ = await post(client, wecom.feedback_event())
    assert response.status_code == 200 and response.content == b""


async def test_a_stream_refresh_gets_the_finished_answer_again(client: httpx.AsyncClient,
                                                              resources: Resources) -> None:
    message = wecom.text_message(f"@浙问 {QUESTION}")
    answered = await ask(client, message)
    assert await ask(client, wecom.stream_refresh(message["msgid"])) == answered
    unknown = await ask(client, wecom.stream_refresh("no-such-stream"))
    assert stream_content(unknown, "no-such-stream") == texts.AIBOT_STREAM_EXPIRED
    assert len(rows(resources)) == 1


async def test_unconfigured_robot_answers_503(resources: Resources) -> None:
    bare = Resources(settings=load_settings({}, env_file=None), engine=resources.engine, log=resources.log)
    app = Starlette(routes=routes(bare))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://wecom.test") as c:
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

        group = wecom.text_message(f"@浙问\u2005{QUESTION}", chatid="wrkGroupB", userid="lisi")
        content = stream_content(await ask(c, group), group["msgid"])
        assert "《勇立新一代人工智能发展潮头》" in content

        private = wecom.text_message(QUESTION, group=False, userid="wangwu")
        assert stream_content(await ask(c, private), private["msgid"]) == content

        replies = await asyncio.gather(*(ask(c, group) for _ in range(3)))  # WeCom's retries
        assert all(stream_content(r, group["msgid"]) == content for r in replies)

        forged, _ = await post(c, wecom.text_message(f"@浙问 {QUESTION}"), token="attacker")
        assert forged.status_code == 403
    assert [(r["chat_type"], r["chat_id"]) for r in rows(resources)] == [("group", "wrkGroupB"),
                                                                           ("private", "wangwu")]
