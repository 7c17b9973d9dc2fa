"""The Telegram bot with the real engine and corpus: long polling against the fake Bot API.

Includes `zhewen telegram` as a real process: it answers, then SIGTERM stops it with exit code 0
and the answered question in the log.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fakes import telegram_api as tg
from fakes.telegram_api import FakeBotAPI
from telegram import Update
from telegram.ext import Application
from test_hardening_telegram import polling_with

from bot import texts
from bot.engine import Engine
from bot.querylog import QueryLog
from bot.resources import Resources
from bot.settings import load_settings
from bot.telegram.app import build_application

ZHEWEN = Path(sys.executable).with_name("zhewen")
QUESTION = "浙江有多少款大模型通过备案？"


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


def _settings(api: FakeBotAPI, db: Path):
    return load_settings({"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
                          "ZHEWEN_DB": str(db), "ZHEWEN_LOG_RAW_IDS": "true"}, env_file=None)


@pytest.fixture
async def polling(api: FakeBotAPI, engine: Engine, tmp_path: Path) -> AsyncIterator[Application]:
    settings = _settings(api, tmp_path / "log.sqlite3")
    async with QueryLog(settings.db, raw_ids=True) as log:
        resources = Resources(settings, engine, log)
        application = build_application(resources)
        async with application, polling_with(application, resources):
            yield application


def _buttons(call: tg.Call) -> dict[str, str]:
    markup = call.params.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}


async def test_real_answer_with_sources_and_buttons(polling: Application, api: FakeBotAPI,
                                                   engine: Engine) -> None:
    api.feed(tg.private_text(QUESTION), tg.group_text("今天中午吃什么"),
             tg.group_text(f"/ask@{tg.BOT_USERNAME} {QUESTION}"))
    first, second = await api.wait("sendMessage", 2)
    expected = engine.ask(QUESTION)
    for call in (first, second):
        assert call.params["text"].startswith(expected.answer.replace("<", "&lt;"))
        assert "<b>出处</b>" in call.params["text"] and "44款" in call.params["text"]
        assert set(_buttons(call)) == {"原文", "更多", "👍", "👎"}
    api.feed(tg.callback(_buttons(first)["原文"], api.sent_message(first)),
             tg.callback(_buttons(first)["更多"], api.sent_message(first)))
    await api.wait("answerCallbackQuery", 2)
    sent = [c.params["text"] for c in await api.wait("sendMessage", 4)]
    assert any(expected.references[0].text[:30] in text for text in sent[2:])
    assert any(text.startswith(f"<b>{texts.TG_MORE_HEADING}</b>") for text in sent[2:])
    # The used 更多 leaves the answer (pressed again it would repeat the list); the rest stay.
    (edit,) = await api.wait("editMessageReplyMarkup", 1)
    assert int(edit.params["message_id"]) == api.sent_message(first)["message_id"]
    assert set(_buttons(edit)) == {"原文", "👍", "👎"}


async def test_hostile_and_huge_questions_on_the_real_engine(polling: Application, api: FakeBotAPI) -> None:
    hostile = '</b><script>alert("x")</script>&amp;&#0; 浙江 大模型 ' + "<i>&" * 2500  # 10 000+ characters
    api.feed(tg.private_text(hostile), tg.private_text("\u200b\u202e😀", user_id=43))
    calls = await api.wait("sendMessage", 2)
    for call in calls:
        assert tg.utf16_len(tg.parse_html(call.params["text"])) <= 4096
    assert [c.status for c in api.calls_of("sendMessage")] == [200, 200]


async def test_not_found_is_polite(polling: Application, api: FakeBotAPI) -> None:
    api.feed(tg.private_text("火星上的天气怎么样？"))
    [call] = await api.wait("sendMessage")
    assert "没有找到" in call.params["text"]


async def test_real_toc_pages(polling: Application, api: FakeBotAPI, engine: Engine) -> None:
    api.feed(tg.private_text("/toc"))
    [call] = await api.wait("sendMessage")
    assert engine.toc()[0].title in call.params["text"]
    api.feed(tg.callback(_buttons(call)[texts.TG_TOC_NEXT], api.sent_message(call)))
    [edit] = await api.wait("editMessageText")
    assert "2/" in edit.params["text"] and texts.TG_TOC_PREV in _buttons(edit)


async def test_buttons_after_a_restart_with_the_real_engine(api: FakeBotAPI, engine: Engine,
                                                            tmp_path: Path) -> None:
    settings = _settings(api, tmp_path / "log.sqlite3")
    async with QueryLog(settings.db, raw_ids=True) as log:
        async with build_application(Resources(settings, engine, log)) as first:
            update = dict(tg.private_text(QUESTION), update_id=1)
            await first.process_update(Update.de_json(update, first.bot))
    [answer] = api.calls_of("sendMessage")
    async with QueryLog(settings.db, raw_ids=True) as log:
        async with build_application(Resources(settings, Engine.load(), log)) as second:
            for n, label in enumerate(("原文", "👍"), 2):
                update = dict(tg.callback(_buttons(answer)[label], api.sent_message(answer)), update_id=n)
                await second.process_update(Update.de_json(update, second.bot))
    passage = api.calls_of("sendMessage")[-1].params["text"]
    assert engine.ask(QUESTION).references[0].text[:30] in passage
    with sqlite3.connect(settings.db) as conn:
        assert conn.execute("SELECT value FROM feedback").fetchall() == [(1,)]


def test_zhewen_telegram_answers_then_stops_cleanly_on_sigterm(api: FakeBotAPI, tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    env = dict(os.environ, TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=api.base_url,
               ZHEWEN_DB=str(db))
    process = subprocess.Popen([str(ZHEWEN), "telegram"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        api.wait_for("getUpdates", timeout=30)
        api.feed(tg.private_text(QUESTION))
        [call] = api.wait_for("sendMessage", timeout=30)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and api.token not in stderr
    assert "44款" in call.params["text"]
    assert len(api.calls_of("setMyCommands")) == 2
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT question, platform, chat_type, found FROM queries").fetchall()
    assert rows == [(QUESTION, "telegram", "private", 1)]
