"""The Telegram bot under hostile input, load and Bot API faults: long polling against the fake Bot API.

Real engine, real SQLite log, python-telegram-bot's real HTTP stack on 127.0.0.1. Every question is
answered once (a sendMessage the fake accepted: valid HTML within 4096) and logged once, exactly as
sent; 429 and 5xx from the Bot API are waited out and retried; SIGTERM to `zhewen telegram` under
load exits 0 with every answered question in the log.
"""
from __future__ import annotations

import asyncio
import csv
import io
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from bench_telegram import NoFloodControl
from fakes import telegram_api as tg
from fakes.telegram_api import FakeBotAPI
from telegram.ext import Application, BaseRateLimiter
from test_hardening_cli import BAD_INPUTS

from bot import texts
from bot.engine import Engine
from bot.querylog import QueryLog
from bot.resources import Resources
from bot.settings import load_settings
from bot.telegram.app import build_application
from bot.telegram.delivery import Deliveries
from bot.telegram.flood import FloodControl
from bot.telegram.polling import poll_updates

ZHEWEN = Path(sys.executable).with_name("zhewen")
QUESTIONS = ["浙江有多少款大模型通过备案？", "魔搭社区是全球第几大开源模型社区？", "今天天气怎么样？",
             "宇树科技的机器人为什么便宜？", "什么是算力券？"]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


def settings_for(api: FakeBotAPI, db: Path, **extra: str):
    return load_settings({"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
                          "ZHEWEN_DB": str(db), "ZHEWEN_LOG_RAW_IDS": "true", "ZHEWEN_RATE_LIMIT": "1000",
                          **extra}, env_file=None)


@asynccontextmanager
async def polling_with(application: Application, resources: Resources) -> AsyncIterator[Application]:
    """`zhewen telegram`'s loop (bot/telegram/polling.py) over an initialised application, in the
    background; on exit it stops, confirms what it handled, and the application stops."""
    stop = asyncio.Event()
    await application.start()
    task = asyncio.create_task(poll_updates(application, Deliveries(application, resources), stop))
    try:
        yield application
    finally:
        stop.set()
        try:
            await task
        finally:
            await application.stop()


@asynccontextmanager
async def polling(api: FakeBotAPI, engine: Engine, db: Path, rate_limiter: BaseRateLimiter | None = None,
                  **extra: str) -> AsyncIterator[Application]:
    """The bot long-polling the fake Bot API; on exit polling stops and the log is flushed and closed."""
    settings = settings_for(api, db, **extra)
    async with QueryLog(settings.db, raw_ids=True) as log:
        resources = Resources(settings, engine, log)
        application = build_application(resources, rate_limiter=rate_limiter)
        async with application, polling_with(application, resources):
            yield application


def logged(db: Path) -> list[tuple[str, str, int | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT user_id, question, found FROM queries ORDER BY id").fetchall()


# --- hostile input ----------------------------------------------------------------------------------

async def test_hostile_messages_each_get_one_accepted_reply_and_are_logged_as_sent(
        api: FakeBotAPI, engine: Engine, tmp_path: Path) -> None:
    # Telegram trims messages and refuses blank ones, so blank inputs never reach a bot.
    sent = {name: text.strip() for name, text in BAD_INPUTS.items() if text.strip()}
    users = {name: 500 + i for i, name in enumerate(sent)}
    db = tmp_path / "log.sqlite3"
    async with polling(api, engine, db, NoFloodControl()):
        api.feed(*(tg.private_text(text, user_id=users[name]) for name, text in sent.items()))
        api.feed(tg.group_text(f"/ask@{tg.BOT_USERNAME} {BAD_INPUTS['html']}", user_id=999),
                 tg.group_text(BAD_INPUTS["sql"], user_id=998))  # chatter: ignored silently
        replies = await api.wait("sendMessage", len(sent) + 1, timeout=30)
    assert all(c.status == 200 for c in api.calls_of("sendMessage")), "the Bot API refused a reply"
    by_chat = Counter(int(c.params["chat_id"]) for c in replies)
    assert by_chat == Counter({**{uid: 1 for uid in users.values()}, -1001234567890: 1})
    for call in replies:
        visible = tg.parse_html(call.params["text"])
        assert visible.startswith((texts.ASK_PROMPT, texts.NOT_FOUND)) or texts.TG_SOURCES in visible, visible
    rows = logged(db)
    assert sorted((int(u), q) for u, q, _ in rows) == sorted(
        [(users[n], t) for n, t in sent.items()] + [(999, BAD_INPUTS["html"])])
    out = subprocess.run([str(ZHEWEN), "logs", "export", "--format", "csv", "--platform", "telegram"],
                         env={**os.environ, "ZHEWEN_DB": str(db)}, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    csv.field_size_limit(1_000_000)
    exported = [r["question"] for r in csv.DictReader(io.StringIO(out.stdout.decode("utf-8"), newline=""))]
    assert sorted(exported) == sorted([*sent.values(), BAD_INPUTS["html"]])


# --- load -------------------------------------------------------------------------------------------

async def test_40_users_times_5_questions_each_answered_once_and_logged_once(
        api: FakeBotAPI, engine: Engine, tmp_path: Path) -> None:
    users, per_user = 40, 5
    db = tmp_path / "log.sqlite3"
    asked = [(10_000 + u, f"{QUESTIONS[(u + i) % len(QUESTIONS)]}（{u}-{i}）")
             for i in range(per_user) for u in range(users)]
    async with polling(api, engine, db, NoFloodControl()):
        api.feed(*(tg.private_text(q, user_id=u) for u, q in asked))
        replies = await api.wait("sendMessage", len(asked), timeout=60)
    assert len(api.calls_of("sendMessage")) == len(asked), "a question was answered twice"
    assert Counter(int(c.params["chat_id"]) for c in replies) == Counter({10_000 + u: per_user
                                                                          for u in range(users)})
    assert sorted((int(u), q) for u, q, _ in logged(db)) == sorted(asked)


# --- Bot API faults ---------------------------------------------------------------------------------

async def test_429_with_retry_after_under_a_burst_is_waited_out_without_duplicates(
        api: FakeBotAPI, engine: Engine, tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    api.fail("sendMessage", 429, retry_after=1, times=2)
    async with polling(api, engine, db, FloodControl(backoff=(0.1, 0.2, 0.4))):
        api.feed(*(tg.private_text(QUESTIONS[i % 5], user_id=700 + i) for i in range(6)))
        replies = await api.wait("sendMessage", 6, timeout=30)
    statuses = Counter(c.status for c in api.calls_of("sendMessage"))
    assert statuses == Counter({200: 6, 429: 2})
    assert sorted(int(c.params["chat_id"]) for c in replies) == list(range(700, 706))
    assert len(logged(db)) == 6


async def test_polling_outlives_429_and_500_on_get_updates(api: FakeBotAPI, engine: Engine,
                                                           tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    api.fail("getUpdates", 500, times=2)
    api.fail("getUpdates", 429, retry_after=1)
    async with polling(api, engine, db, FloodControl(backoff=(0.1, 0.2, 0.4))):
        api.feed(tg.private_text(QUESTIONS[0], user_id=801))
        [reply] = await api.wait("sendMessage", timeout=30)
    assert [c.status for c in api.calls_of("getUpdates")][:3] == [500, 500, 429]
    assert "44" in reply.params["text"]
    assert [q for _, q, _ in logged(db)] == [QUESTIONS[0]]


class Said(logging.Handler):
    """Sets an event when a log message containing `marker` is emitted (waits on it need no sleeps)."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.marker in record.getMessage():
            self.seen.set()


async def test_a_reply_lost_to_repeated_500s_does_not_stop_the_bot(api: FakeBotAPI, engine: Engine,
                                                                  tmp_path: Path) -> None:
    """Every retry fails: the reply (and the apology) is lost and the log says so; the next is answered."""
    db = tmp_path / "log.sqlite3"
    backoff = (0.05, 0.1)
    api.fail("sendMessage", 500, times=2 * (len(backoff) + 1))  # the answer's tries, then the apology's
    gave_up = Said("could not send the apology")
    handlers_log = logging.getLogger("bot.telegram.handlers")
    handlers_log.addHandler(gave_up)
    try:
        async with polling(api, engine, db, FloodControl(backoff=backoff)):
            api.feed(tg.private_text(QUESTIONS[0], user_id=901))
            assert await asyncio.to_thread(gave_up.seen.wait, 30)
            api.feed(tg.private_text(QUESTIONS[1], user_id=902))
            [reply] = await api.wait("sendMessage", timeout=30)
    finally:
        handlers_log.removeHandler(gave_up)
    assert int(reply.params["chat_id"]) == 902 and "魔搭" in reply.params["text"]
    assert [c.status for c in api.calls_of("sendMessage")] == [500] * 6 + [200]
    assert [q for _, q, _ in logged(db)] == [QUESTIONS[0], QUESTIONS[1]]


# --- an unusable log --------------------------------------------------------------------------------

async def test_replies_continue_when_the_log_cannot_be_opened(
        api: FakeBotAPI, engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Tests run as root, so a read-only mode would not stop writes: a file stands where the directory
    of the database should be."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the log's directory should be")
    db = blocker / "log.sqlite3"
    with caplog.at_level(logging.WARNING):
        async with polling(api, engine, db, NoFloodControl(), ZHEWEN_ADMINS="telegram:1000") as application:
            api.feed(*(tg.private_text(q, user_id=1000 + i) for i, q in enumerate(QUESTIONS)))
            replies = await api.wait("sendMessage", len(QUESTIONS), timeout=30)
            log = application.bot_data["resources"].log
            assert log.failures == len(QUESTIONS)
            api.feed(tg.private_text("/stats", user_id=1000))
            *_, stats = await api.wait("sendMessage", len(QUESTIONS) + 1, timeout=30)
    assert sorted(int(c.params["chat_id"]) for c in replies) == list(range(1000, 1000 + len(QUESTIONS)))
    assert stats.params["text"] == texts.STATS_UNAVAILABLE, "the admin is told the log is unreadable"
    reported = [r.getMessage() for r in caplog.records if r.name.startswith("bot.querylog")]
    assert any(str(db) in m and "cannot be opened" in m for m in reported), reported
    assert any("dropped" in m for m in reported), reported


# --- SIGTERM under load -----------------------------------------------------------------------------

def test_sigterm_under_load_exits_0_with_every_answered_question_logged_once_across_a_restart(
        api: FakeBotAPI, tmp_path: Path) -> None:
    """Stopping confirms the updates handled to the Bot API, so a restart does not answer them again."""
    db = tmp_path / "log.sqlite3"
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
           "ZHEWEN_DB": str(db), "ZHEWEN_LOG_RAW_IDS": "true"}

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen([str(ZHEWEN), "telegram"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def terminate(process: subprocess.Popen[str]) -> str:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr and api.token not in stderr
        return stderr

    asked = {20_000 + i: f"{QUESTIONS[i % len(QUESTIONS)]}#{i}" for i in range(80)}
    process = start()
    try:
        api.wait_for("getUpdates", timeout=60)
        api.feed(*(tg.private_text(q, user_id=u) for u, q in asked.items()))
        api.wait_for("sendMessage", 10, timeout=60)
        terminate(process)
        answered = {int(c.params["chat_id"]) for c in api.calls_of("sendMessage") if c.status == 200}
        polls = len(api.calls_of("getUpdates"))
        process = start()  # the same bot again: nothing already handled may come back
        api.wait_for("getUpdates", polls + 1, timeout=60)
        api.feed(tg.private_text(QUESTIONS[1], user_id=29_999))
        api.wait_for("sendMessage", where=lambda c: int(c.params["chat_id"]) == 29_999, timeout=60)
        terminate(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    rows = logged(db)
    replies = Counter(int(c.params["chat_id"]) for c in api.calls_of("sendMessage") if c.status == 200)
    assert len(answered) >= 10
    assert max(replies.values()) == 1, "a question was answered twice"
    assert len(rows) == len({u for u, _, _ in rows}), "a question was logged twice"
    logged_by_user = {int(u): q for u, q, _ in rows}
    assert all(logged_by_user.get(u) == asked[u] for u in answered), answered - set(logged_by_user)
    assert logged_by_user[29_999] == QUESTIONS[1]


def test_a_token_revoked_while_polling_ends_the_process_with_a_one_line_error(api: FakeBotAPI,
                                                                             tmp_path: Path) -> None:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
           "ZHEWEN_DB": str(tmp_path / "log.sqlite3")}
    process = subprocess.Popen([str(ZHEWEN), "telegram"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        api.wait_for("getUpdates", timeout=60)
        api.token = "revoked-in-botfather"  # every call from now on: 401 Unauthorized
        try:
            _, stderr = process.communicate(timeout=8)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGTERM)  # still idling: at least stop cleanly and say why
            _, stderr = process.communicate(timeout=30)
            raise AssertionError(f"kept running without polling; on SIGTERM: {stderr[-600:]}") from None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 1 and "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1].startswith("Error: TELEGRAM_BOT_TOKEN")
