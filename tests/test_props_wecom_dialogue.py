"""Model-based property test: any conversation with the WeCom app or the 智能机器人, follow-ups included.

Hypothesis plays two users typing any mix of questions (hostile ones too), "更多", "原文", numbers,
/toc and /help, through encrypted callbacks into the real endpoints, engine and log. A small model of
the follow-up rules (the last answer's references are numbered; "更多" lists the next ones) predicts
what each reply must show. Whatever the sequence: every reply decrypts, fits 2048 bytes of UTF-8, and
the log holds exactly the questions, as sent, in order.
"""
from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes import aibot as robot
from fakes import wecom as fake
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_props_text import NASTY

from bot import texts
from bot.conversation import is_reset
from bot.dialogue import HELP_WORDS, TOC_WORDS, parse_toc_request
from bot.engine import Engine, Reference
from bot.followups import parse_followup
from bot.resources import open_resources
from bot.server import create_app
from bot.settings import load_settings
from bot.wecom.aibot_protocol import strip_mentions
from bot.wecom.text import MAX_BYTES

wecom = fake.FakeWeCom()
QUESTIONS = ["浙江有多少款大模型通过备案？", "魔搭社区是全球第几大开源模型社区？",
             "宇树科技的机器人为什么便宜？", "杭州六小龙是哪些企业？", "火星上的天气怎么样？"]
FOLLOW_UPS = ["更多", "更多。", "还有吗", "还有呢", "原文", "原文2", "全文 第3条", "1", "2", "3", "9", "１",
              "第2条"]
COMMANDS = ["/toc", "目录", "目录 2", "/toc 9", "目录０", "/help", "帮助", "HELP", "/stats"]


def on_the_wire(text: str) -> bool:
    """What WeCom can deliver: valid UTF-8 that XML 1.0 can hold (and no CDATA terminator for the fake)."""
    return "]]>" not in text and all(
        ch in "\t\n" or (" " <= ch and not "\ud800" <= ch <= "\udfff" and ch not in "\ufffe\uffff")
        for ch in text)


MESSAGE = st.one_of(st.sampled_from(QUESTIONS), st.sampled_from(FOLLOW_UPS), st.sampled_from(COMMANDS),
                    NASTY.map(lambda t: "".join(ch for ch in t if on_the_wire(ch))).filter(on_the_wire))
CONVERSATION = st.lists(st.tuples(st.sampled_from(["zhangsan", "lisi"]), MESSAGE), min_size=1, max_size=12)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@dataclass
class Thread:
    question: str = ""
    listed: list[Reference] = field(default_factory=list)
    shown: int = 0
    turn: Any = None          # the conversation's last answered turn, for follow-up questions


def expect(engine: Engine, threads: dict[str, Thread], user: str, text: str,
           commands: frozenset[str]) -> tuple[str | None, str | None]:
    """(a piece the reply must contain, the question it logs) under the follow-up rules."""
    followup = parse_followup(text)
    if not text or text.lower() in commands or parse_toc_request(text) is not None:
        return None, None
    if is_reset(text):
        if user in threads:
            threads[user].turn = None
        return texts.CONTEXT_RESET, None
    if followup is None:
        last = threads[user].turn if user in threads else None
        answer = engine.ask(text, last)
        turn = answer.turn if answer.turn is not None else last
        threads[user] = Thread(text, list(answer.references), len(answer.references), turn)
        return answer.reply[:30], text
    thread = threads.get(user)
    if thread is None:
        return texts.NO_THREAD, None
    if followup.kind == "more":
        more = engine.more(thread.question, skip=thread.shown, count=3)
        if not more:
            return texts.NO_MORE, None
        threads[user] = Thread(thread.question, more, thread.shown + len(more), thread.turn)
        return texts.WECOM_MORE_HEADING, None
    if not 1 <= followup.number <= len(thread.listed):
        return (texts.NO_MORE if not thread.listed else
                texts.NO_SUCH_REFERENCE.format(number=followup.number, count=len(thread.listed))), None
    return thread.listed[followup.number - 1].text[:20], None


async def app_turn(client: httpx.AsyncClient, user: str, text: str) -> str:
    query, body = wecom.callback(fake.text_xml(text, user=user))
    response = await client.post("/wecom/callback", params=query, content=body)
    assert response.status_code == 200, response.text
    return wecom.read_reply(response.text, query["nonce"]).content


async def robot_turn(client: httpx.AsyncClient, user: str, text: str) -> str:
    query, body = robot.signed_post(robot.text_message(f"@浙问 {text}", userid=user))
    response = await client.post("/wecom/aibot", params=query, content=body)
    assert response.status_code == 200, response.text
    return robot.open_reply(response.content, query["nonce"])["stream"]["content"]


async def converse(engine: Engine, conversation: list[tuple[str, str]], channel: str) -> None:
    turn = app_turn if channel == "app" else robot_turn
    # both channels take the same commands (one conversation path); in a group the question is what
    # follows the @mention
    commands = HELP_WORDS | TOC_WORDS | frozenset({"/stats"})
    threads: dict[str, Thread] = {}
    questions: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(fake.env(ZHEWEN_DB=str(Path(tmp) / "log.sqlite3"), ZHEWEN_LOG_SALT="s",
                                          WECOM_AIBOT_TOKEN=robot.TOKEN, WECOM_AIBOT_AES_KEY=robot.AES_KEY),
                                 env_file=None)
        async with open_resources(settings, engine=engine) as resources:
            transport = httpx.ASGITransport(app=create_app(resources))
            async with httpx.AsyncClient(transport=transport, base_url="http://wecom.test") as client:
                for user, message in conversation:
                    reply = await turn(client, user, message)
                    assert reply.strip() and len(reply.encode("utf-8")) <= MAX_BYTES
                    text = message.strip() if channel == "app" else strip_mentions(f"@浙问 {message}")
                    must_show, logged = expect(engine, threads, user, text, commands)
                    if must_show is not None:
                        assert must_show in reply, (message, must_show, reply)
                    if logged is not None:
                        questions.append(logged)
            await resources.log.flush()
            with sqlite3.connect(settings.db) as conn:
                rows = [q for (q,) in conn.execute("SELECT question FROM queries ORDER BY id")]
    assert rows == questions


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversation=CONVERSATION)
@pytest.mark.parametrize("channel", ["app", "robot"])
def test_any_conversation_gets_fitting_replies_and_logs_exactly_the_questions(
        engine: Engine, channel: str, conversation: list[tuple[str, str]]) -> None:
    asyncio.run(converse(engine, conversation, channel))
