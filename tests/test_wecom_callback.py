"""`/wecom/callback` in-process: callbacks encrypted with wechatpy exactly as WeCom sends them.

The engine here is a small stand-in whose answers and timing the tests control; the query log is the
real one on a temporary file. End-to-end runs with the real engine live in test_server.py.
"""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes import wecom as fake
from wechatpy.enterprise import WeChatClient, parse_message

from bot import texts
from bot.dialogue import PENDING
from bot.engine import Answer, Loaded, Reference, TocEntry
from bot.querylog import QueryLog
from bot.reply import format_citation
from bot.resources import Resources
from bot.server import create_app
from bot.settings import load_settings
from bot.storage.state import open_state
from bot.wecom.callback import AppEndpoint, dedupe_key, message_api_sender
from bot.wecom.crypto import signature
from bot.wecom.text import render_answer

URL = "/wecom/callback"
QUESTION = "浙江有多少款人工智能大模型通过备案？"


def ref(n: int) -> Reference:
    return Reference(rank=n, source="今日浙江 2025年第17期", article=f"文章{n}", section=f"小节{n}", page=n,
                     passage_id=f"p{n}", score=10.0 - n, text=f"第{n}条出处的完整段落。" * 3)


class FakeEngine:
    """Answers every question with three references; `more` has two further ones."""

    def __init__(self) -> None:
        self.questions: list[str] = []
        self.reply = "截至2025年7月，浙江共有44款大模型通过备案。\n\n出处：《今日浙江 2025年第17期》第1页"
        self.gate: threading.Event | None = None  # when set, ask() waits for it (a slow engine)
        self.entered = threading.Event()
        self.loaded = Loaded(pipeline=None, toc=(), content_hash="fake", passages=3)  # for /healthz

    def ask(self, question: str, last: object = None) -> Answer:
        self.questions.append(question)
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10), "the test never released the engine"
        refs = (ref(1), ref(2), ref(3))
        return Answer(question, True, "浙江共有44款大模型通过备案。", refs, self.reply, 1.0)

    def more(self, question: str, skip: int = 3, count: int = 3) -> list[Reference]:
        return [ref(n) for n in range(skip + 1, min(skip + count, 5) + 1)]

    def passage(self, passage_id: str) -> Reference | None:
        """As the real engine: rank 1, score 0 (threads in the shared state are rebuilt from ids)."""
        n = int(passage_id[1:]) if passage_id[:1] == "p" and passage_id[1:].isdigit() else 0
        return Reference(**{**ref(n).__dict__, "rank": 1, "score": 0.0}) if 1 <= n <= 5 else None

    def toc(self) -> list[TocEntry]:
        return [TocEntry("今日浙江 2025年第17期", 8, "勇立新一代人工智能发展潮头", ("马跃明",), "本期关注")]


class Sent:
    """The message API at the network edge: records what would have been sent."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def __call__(self, user: str, text: str) -> None:
        self.messages.append((user, text))


@pytest.fixture
async def resources(tmp_path: Path) -> AsyncIterator[Resources]:
    settings = load_settings(fake.env(ZHEWEN_DB=str(tmp_path / "log.sqlite3"), ZHEWEN_ADMINS="wecom:boss"),
                             env_file=None)
    async with QueryLog(settings.db, salt="test-salt") as log, open_state(settings.db) as state:
        yield Resources(settings=settings, engine=FakeEngine(), log=log, state=state)


@pytest.fixture
def sent() -> Sent:
    return Sent()


@pytest.fixture
def endpoint(resources: Resources, sent: Sent) -> AppEndpoint:
    return AppEndpoint(resources, send=sent, answer_deadline=4.0)


@pytest.fixture
async def client(resources: Resources, endpoint: AppEndpoint) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(resources, wecom=endpoint)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://wecom.test") as c:
        yield c


wecom = fake.FakeWeCom()


async def post(client: httpx.AsyncClient, message_xml: str, **kw: Any) -> tuple[httpx.Response, str]:
    query, body = wecom.callback(message_xml, **kw)
    response = await client.post(URL, params=query, content=body, headers={"content-type": "text/xml"})
    return response, query["nonce"]


async def say(client: httpx.AsyncClient, message_xml: str) -> fake.Reply:
    response, nonce = await post(client, message_xml)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return wecom.read_reply(response.text, nonce)


async def rows(resources: Resources) -> list[dict[str, Any]]:
    await resources.log.flush()
    with sqlite3.connect(resources.settings.db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM queries ORDER BY id")]


# --- URL verification ------------------------------------------------------------------------------

async def test_url_verification_answers_the_plaintext_only(client: httpx.AsyncClient) -> None:
    response = await client.get(URL, params=wecom.verification("5927782489442352469"))
    assert response.status_code == 200
    assert response.content == b"5927782489442352469"  # no quotes, newline or BOM


async def test_url_verification_with_a_forged_signature_is_refused(client: httpx.AsyncClient) -> None:
    query = fake.FakeWeCom(token="notTheToken").verification("echo")
    response = await client.get(URL, params=query)
    assert response.status_code == 403
    assert b"echo" not in response.content


async def test_requests_without_a_signature_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 403
    assert (await client.post(URL, content=b"<xml/>")).status_code == 403


# --- answering ---------------------------------------------------------------------------------------

async def test_a_text_message_gets_an_encrypted_passive_reply(client: httpx.AsyncClient,
                                                              resources: Resources) -> None:
    reply = await say(client, fake.text_xml(QUESTION, user="zhangsan"))
    assert (reply.msg_type, reply.to_user, reply.from_user) == ("text", "zhangsan", fake.CORP_ID)
    assert reply.content == render_answer(resources.engine.ask(QUESTION))
    assert reply.content.startswith("截至2025年7月，浙江共有44款大模型通过备案。")
    assert reply.content.endswith(texts.WECOM_FOLLOWUP_HINT)
    [row] = await rows(resources)
    assert (row["platform"], row["chat_type"], row["question"]) == ("wecom", "private", QUESTION)
    assert row["user_id"] and row["user_id"] != "zhangsan"  # pseudonymised
    assert row["reply_chars"] == len(reply.content)


async def test_a_long_reply_is_trimmed_to_2048_bytes(client: httpx.AsyncClient, resources: Resources) -> None:
    resources.engine.reply = "浙江" * 3000
    reply = await say(client, fake.text_xml(QUESTION))
    assert len(reply.content.encode("utf-8")) <= 2048
    assert reply.content.endswith("…")


async def test_an_empty_message_gets_a_prompt(client: httpx.AsyncClient, resources: Resources) -> None:
    reply = await say(client, fake.text_xml("   "))
    assert reply.content == texts.ASK_PROMPT
    assert await rows(resources) == []


async def test_help_and_toc(client: httpx.AsyncClient) -> None:
    assert (await say(client, fake.text_xml("帮助"))).content == texts.WECOM_WELCOME
    toc = (await say(client, fake.text_xml("/toc"))).content
    assert toc.startswith(texts.WECOM_TOC_HEADING)
    assert "第8页 勇立新一代人工智能发展潮头（马跃明）" in toc


# --- safety ------------------------------------------------------------------------------------------

async def test_a_forged_signature_is_refused_and_nothing_is_processed(client: httpx.AsyncClient,
                                                                     resources: Resources) -> None:
    query, body = fake.FakeWeCom(token="forger").callback(fake.text_xml(QUESTION))
    response = await client.post(URL, params=query, content=body)
    assert response.status_code == 403
    assert resources.engine.questions == []
    assert await rows(resources) == []


async def test_a_tampered_body_is_refused(client: httpx.AsyncClient, resources: Resources) -> None:
    query, body = wecom.callback(fake.text_xml(QUESTION))
    _, other = wecom.callback(fake.text_xml("另一个问题"))
    response = await client.post(URL, params=query, content=other)
    assert response.status_code == 403
    assert await rows(resources) == []


@pytest.mark.parametrize("body", [b"", b"garbage", b"<xml><Encrypt></Encrypt></xml>", b"\xff\xfe<xml>",
                                  b"{\"encrypt\": \"x\"}"])
async def test_garbage_is_refused_with_400(client: httpx.AsyncClient, body: bytes) -> None:
    query, _ = wecom.callback(fake.text_xml(QUESTION))
    response = await client.post(URL, params=query, content=body)
    assert response.status_code == 400


async def test_a_signed_but_undecryptable_body_is_refused_with_400(client: httpx.AsyncClient,
                                                                  resources: Resources) -> None:
    encrypt = "QUJD" * 11  # base64, signed with our token, but not our ciphertext
    query = {"timestamp": str(int(time.time())), "nonce": "n1"}
    query["msg_signature"] = signature(fake.TOKEN, query["timestamp"], query["nonce"], encrypt)
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
    response = await client.post(URL, params=query, content=body)
    assert response.status_code == 400
    assert await rows(resources) == []


async def test_a_stale_timestamp_is_refused(client: httpx.AsyncClient, resources: Resources) -> None:
    response, _ = await post(client, fake.text_xml(QUESTION), timestamp=1409659813)
    assert response.status_code == 403
    assert resources.engine.questions == []


async def test_an_oversized_body_is_refused_by_its_content_length(client: httpx.AsyncClient) -> None:
    query, _ = wecom.callback(fake.text_xml(QUESTION))
    response = await client.post(URL, params=query, content=b"<xml>" + b"a" * 70_000 + b"</xml>")
    assert response.status_code == 413


async def test_an_oversized_body_is_refused_by_the_bytes_read(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # streamed: no Content-Length to trust
        for _ in range(100):
            yield b"a" * 1024

    query, _ = wecom.callback(fake.text_xml(QUESTION))
    response = await client.post(URL, params=query, content=chunks())
    assert response.status_code == 413


# --- retries -----------------------------------------------------------------------------------------

async def test_a_retried_msgid_is_answered_again_and_logged_once(client: httpx.AsyncClient,
                                                                 resources: Resources) -> None:
    message = fake.text_xml(QUESTION, msg_id=1234567890123456)
    first = await say(client, message)
    second = await say(client, message)  # WeCom's retry: same message, new nonce and signature
    assert first.content == second.content
    assert resources.engine.questions == [QUESTION]
    assert len(await rows(resources)) == 1


async def test_three_concurrent_retries_get_one_answer_and_one_row(client: httpx.AsyncClient,
                                                                   resources: Resources) -> None:
    engine = resources.engine
    engine.gate = threading.Event()
    message = fake.text_xml(QUESTION, msg_id=42)
    storm = [asyncio.create_task(say(client, message)) for _ in range(3)]
    await asyncio.to_thread(engine.entered.wait, 10)
    engine.gate.set()
    replies = await asyncio.gather(*storm)
    assert len({r.content for r in replies}) == 1
    assert engine.questions == [QUESTION]
    assert len(await rows(resources)) == 1


async def test_events_dedupe_on_sender_and_time(client: httpx.AsyncClient) -> None:
    event = fake.event_xml("enter_agent", user="lisi", create_time=1_900_000_000)
    assert (await say(client, event)).content == texts.WECOM_WELCOME
    assert (await say(client, event)).content == texts.WECOM_WELCOME


def test_dedupe_keys() -> None:
    def key(message_xml: str) -> object:
        return dedupe_key(parse_message(message_xml))

    event = key(fake.event_xml("enter_agent", user="lisi", create_time=1_900_000_000))
    assert event == key(fake.event_xml("enter_agent", user="lisi", create_time=1_900_000_000))
    assert event != key(fake.event_xml("enter_agent", user="lisi", create_time=1_900_000_001))
    assert event != key(fake.event_xml("enter_agent", user="wangwu", create_time=1_900_000_000))
    # A MsgId is unique per sender only: the same id from two people is two messages.
    same_sender = key(fake.text_xml("另一问", msg_id=5))
    assert key(fake.text_xml("问", msg_id=5)) == same_sender == ("msg", "zhangsan", 5)
    assert key(fake.text_xml("问", msg_id=5)) != key(fake.text_xml("问", msg_id=5, user="x"))
    assert key(fake.text_xml("问", msg_id=5)) != key(fake.text_xml("问", msg_id=6))


# --- events and other messages -----------------------------------------------------------------------

@pytest.mark.parametrize("event", ["enter_agent", "subscribe"])
async def test_welcome_events(client: httpx.AsyncClient, event: str) -> None:
    reply = await say(client, fake.event_xml(event, user="lisi"))
    assert reply.content == texts.WECOM_WELCOME and reply.to_user == "lisi"
    assert "例如" in reply.content


async def test_other_events_get_an_empty_200(client: httpx.AsyncClient) -> None:
    response, _ = await post(client, fake.event_xml("click"))
    assert response.status_code == 200 and response.content == b""


@pytest.mark.parametrize("kind", ["image", "voice", "video", "location", "file"])
async def test_non_text_messages_get_a_one_line_hint(client: httpx.AsyncClient, resources: Resources,
                                                     kind: str) -> None:
    reply = await say(client, fake.media_xml(kind))
    assert reply.content == texts.NOT_TEXT and "\n" not in reply.content
    assert resources.engine.questions == []
    assert await rows(resources) == []


# --- follow-ups --------------------------------------------------------------------------------------

async def test_follow_ups_by_typing(client: httpx.AsyncClient, resources: Resources) -> None:
    await say(client, fake.text_xml(QUESTION, user="wangwu"))
    original = (await say(client, fake.text_xml("原文", user="wangwu"))).content
    assert original.startswith(format_citation(ref(1))) and ref(1).text in original
    assert ref(2).text in (await say(client, fake.text_xml("2", user="wangwu"))).content
    more = (await say(client, fake.text_xml("更多", user="wangwu"))).content
    assert more.startswith(texts.WECOM_MORE_HEADING)
    assert f"1. {format_citation(ref(4))}" in more and f"2. {format_citation(ref(5))}" in more
    assert ref(4).text in (await say(client, fake.text_xml("1", user="wangwu"))).content
    assert (await say(client, fake.text_xml("3", user="wangwu"))).content == (
        texts.NO_SUCH_REFERENCE.format(number=3, count=2))
    assert (await say(client, fake.text_xml("更多", user="wangwu"))).content == texts.NO_MORE
    assert (await say(client, fake.text_xml("原文", user="zhaoliu"))).content == texts.NO_THREAD
    assert resources.engine.questions == [QUESTION]  # follow-ups are not questions
    assert len(await rows(resources)) == 1


async def test_questions_are_rate_limited_per_user(tmp_path: Path) -> None:
    settings = load_settings(fake.env(ZHEWEN_DB=str(tmp_path / "log.sqlite3"), ZHEWEN_RATE_LIMIT="2"),
                             env_file=None)
    async with QueryLog(settings.db, salt="test-salt") as log, open_state(settings.db) as state:
        resources = Resources(settings=settings, engine=FakeEngine(), log=log, state=state)
        app = create_app(resources)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            for _ in range(2):
                assert (await say(client, fake.text_xml(QUESTION, user="zhouba"))).content.startswith("截至")
            assert (await say(client, fake.text_xml(QUESTION, user="zhouba"))).content == texts.RATE_LIMITED
            silent, _ = await post(client, fake.text_xml(QUESTION, user="zhouba"))
            assert silent.status_code == 200 and silent.content == b""  # told once per window
            assert ref(1).text in (await say(client, fake.text_xml("原文", user="zhouba"))).content
            assert (await say(client, fake.text_xml(QUESTION, user="wujiu"))).content.startswith("截至")
        assert len(await rows(resources)) == 3


# --- admin -------------------------------------------------------------------------------------------

async def test_stats_for_admins_only(client: httpx.AsyncClient) -> None:
    await say(client, fake.text_xml(QUESTION, user="zhangsan"))
    assert (await say(client, fake.text_xml("/stats", user="zhangsan"))).content == texts.ADMIN_ONLY
    stats = (await say(client, fake.text_xml("/stats", user="boss"))).content
    assert stats.startswith("提问统计") and "今天：1 个问题，找到答案 100%" in stats
    assert stats.endswith(texts.STATS_NONE)


async def test_stats_when_the_log_cannot_be_read(client: httpx.AsyncClient, resources: Resources) -> None:
    resources.settings.db.unlink()
    assert (await say(client, fake.text_xml("/stats", user="boss"))).content == texts.STATS_UNAVAILABLE


# --- a slow engine -----------------------------------------------------------------------------------

async def test_a_slow_answer_goes_through_the_message_api(resources: Resources, sent: Sent) -> None:
    endpoint = AppEndpoint(resources, send=sent, answer_deadline=0.05)
    app = create_app(resources, wecom=endpoint)
    resources.engine.gate = threading.Event()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response, _ = await post(client, fake.text_xml(QUESTION, user="sunqi", msg_id=77))
        assert response.status_code == 200 and response.content == b""
        assert sent.messages == []
        with sqlite3.connect(resources.settings.db) as conn:   # committed before the 200, no flush
            early = conn.execute("SELECT id, question, found, error FROM queries").fetchall()
        assert [row[1:] for row in early] == [(QUESTION, None, PENDING)]
        resources.engine.gate.set()
        await endpoint.drain()
        assert sent.messages == [("sunqi", render_answer(resources.engine.ask(QUESTION)))]
        retry, _ = await post(client, fake.text_xml(QUESTION, user="sunqi", msg_id=77))
        assert retry.status_code == 200 and retry.content == b""
    [row] = await rows(resources)                               # the pending row, completed
    assert (row["id"], row["found"], row["error"]) == (early[0][0], 1, None)
    assert len(sent.messages) == 1


# --- load --------------------------------------------------------------------------------------------

async def test_100_concurrent_callbacks_are_all_answered_quickly(client: httpx.AsyncClient,
                                                                 resources: Resources) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    replies = await asyncio.gather(*(say(client, fake.text_xml(f"{QUESTION}{i}", user=f"u{i}"))
                                     for i in range(100)))
    assert loop.time() - started < 5
    assert all(r.content.startswith("截至2025年7月") for r in replies)
    assert len(await rows(resources)) == 100


# --- configuration -----------------------------------------------------------------------------------

async def test_an_unconfigured_app_answers_503(tmp_path: Path) -> None:
    settings = load_settings({"ZHEWEN_DB": str(tmp_path / "x.sqlite3")}, env_file=None)
    async with QueryLog(settings.db, salt="s", required=True) as log:
        resources = Resources(settings=settings, engine=FakeEngine(), log=log)
        app = create_app(resources)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            response = await client.get(URL, params=wecom.verification())
            assert response.status_code == 503 and "WECOM_TOKEN" in response.text
            assert (await client.get("/healthz")).json()["status"] == "ok"


# --- the message API (the network edge is wechatpy's HTTP session) -----------------------------------

def api_client(api: fake.FakeMessageAPI) -> WeChatClient:
    client = WeChatClient(fake.CORP_ID, "app-secret")
    client._http.mount("https://", api)  # wechatpy's requests session: nothing leaves the process
    return client


def test_the_message_api_sender_sends_text_to_the_user() -> None:
    api = fake.FakeMessageAPI()
    message_api_sender(api_client(api), fake.AGENT_ID)("sunqi", "答案")
    assert api.sent == [{"touser": "sunqi", "toparty": "", "totag": "", "agentid": fake.AGENT_ID,
                         "msgtype": "text", "text": {"content": "答案"}, "safe": 0}]


async def test_a_refused_late_answer_is_logged_not_raised(resources: Resources,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    api = fake.FakeMessageAPI(errcode=60020)
    endpoint = AppEndpoint(resources, send=message_api_sender(api_client(api), fake.AGENT_ID),
                           answer_deadline=0.05)
    app = create_app(resources, wecom=endpoint)
    resources.engine.gate = threading.Event()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response, _ = await post(client, fake.text_xml(QUESTION, user="sunqi"))
        assert response.status_code == 200 and response.content == b""
        resources.engine.gate.set()
        await endpoint.drain()
    assert len(api.sent) == 1
    assert "message API failed" in caplog.text and "60020" in caplog.text
    assert len(await rows(resources)) == 1
