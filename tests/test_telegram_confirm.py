"""[scale-out] A Telegram update is confirmed only once its question is logged, and handled once.

Two replicas in process on one database (each its own Resources: log writer, shared state), talking
to the fake Bot API over python-telegram-bot's real HTTP stack: the webhook's 200 comes after the
row is committed, a redelivery on the other replica is neither answered nor logged again, and on
PostgreSQL a question the log cannot commit gets 503 (Telegram delivers it again). Long polling
confirms (the next getUpdates offset) only past handled updates, and one handled but not confirmed
(killed after its commit) is skipped when fetched again. Kill -9 of real processes:
test_acknowledged_kill.py.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fakes import telegram_api as tg
from fakes.telegram_api import FakeBotAPI
from telegram import Update
from test_hardening_telegram import polling_with
from test_replicas import REFUSE, execute, questions, url_of
from test_server import SECRET, WEBHOOK_URL
from test_wecom_callback import QUESTION, FakeEngine

from bot.querylog import QueryLog
from bot.resources import Resources
from bot.server import SECRET_HEADER, create_app
from bot.settings import load_settings
from bot.storage.state import open_state
from bot.storage.target import PostgresUrl
from bot.telegram.app import build_application
from bot.telegram.delivery import Deliveries


@dataclass
class Replica:
    client: httpx.AsyncClient
    resources: Resources

    async def post(self, update: dict) -> int:
        response = await self.client.post("/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET})
        return response.status_code


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


def settings_for(api: FakeBotAPI, target: Path | PostgresUrl):
    return load_settings({"ZHEWEN_DB": url_of(target), "TELEGRAM_BOT_TOKEN": api.token,
                          "TELEGRAM_API_BASE_URL": api.base_url, "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
                          "TELEGRAM_WEBHOOK_SECRET": SECRET}, env_file=None)


@asynccontextmanager
async def opened(api: FakeBotAPI, target: Path | PostgresUrl) -> AsyncIterator[Resources]:
    settings = settings_for(api, target)
    async with QueryLog(settings.db, salt="shared-salt") as log, open_state(settings.db) as state:
        yield Resources(settings=settings, engine=FakeEngine(), log=log, state=state)


@asynccontextmanager
async def replica(api: FakeBotAPI, target: Path | PostgresUrl) -> AsyncIterator[Replica]:
    """`zhewen serve`'s app with its Telegram webhook running (as its lifespan runs it)."""
    async with opened(api, target) as resources:
        app = create_app(resources)
        async with app.state.telegram.running(), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://replica.test") as client:
            yield Replica(client, resources)


async def test_a_webhook_update_is_logged_before_its_200_and_handled_once_across_replicas(
        api: FakeBotAPI, db_target) -> None:
    update = {"update_id": 501, **tg.private_text(QUESTION)}
    async with replica(api, db_target) as a, replica(api, db_target) as b:
        assert await a.post(update) == 200
        # (questions() reads the database itself: the row is committed, not queued, by the 200)
        assert questions(db_target) == [QUESTION] and len(api.calls_of("sendMessage")) == 1
        assert [await b.post(update), await a.post(update)] == [200, 200]    # redeliveries
    assert questions(db_target) == [QUESTION]
    assert len(api.calls_of("sendMessage")) == 1
    assert b.resources.engine.questions == []


async def test_a_redelivery_while_the_first_is_being_answered_waits_for_it(api: FakeBotAPI,
                                                                           db_target) -> None:
    update = {"update_id": 502, **tg.private_text(QUESTION)}
    async with replica(api, db_target) as a, replica(api, db_target) as b:
        a.resources.engine.gate = threading.Event()
        first = asyncio.create_task(a.post(update))
        assert await asyncio.to_thread(a.resources.engine.entered.wait, 10)
        during = asyncio.create_task(b.post(update))
        await asyncio.sleep(0.3)
        a.resources.engine.gate.set()
        assert [await first, await during] == [200, 200]
    assert questions(db_target) == [QUESTION] and len(api.calls_of("sendMessage")) == 1


async def test_on_postgresql_a_question_the_log_cannot_commit_gets_503_and_comes_again(
        api: FakeBotAPI, postgres_url: str) -> None:
    target = PostgresUrl(postgres_url)
    update = {"update_id": 503, **tg.private_text(QUESTION)}
    async with replica(api, target) as a, replica(api, target) as b:
        execute(target, REFUSE["postgresql"])
        assert await a.post(update) == 503                    # not logged: not answered, not confirmed
        assert api.calls_of("sendMessage") == []
        execute(target, "DROP TRIGGER refuse ON queries")
        assert await b.post(update) == 200                    # the claim was given up: answered at once
        assert await a.post(update) == 200
    assert questions(target) == [QUESTION] and len(api.calls_of("sendMessage")) == 1


async def test_on_sqlite_a_question_the_log_cannot_commit_is_answered_anyway(api: FakeBotAPI,
                                                                           tmp_path: Path) -> None:
    target = tmp_path / "log.sqlite3"
    async with replica(api, target) as a:
        execute(target, REFUSE["sqlite"])
        assert await a.post({"update_id": 504, **tg.private_text(QUESTION)}) == 200
        assert a.resources.log.failures == 1
    assert questions(target) == [] and len(api.calls_of("sendMessage")) == 1


# --- long polling -------------------------------------------------------------------------------------

@asynccontextmanager
async def polling(api: FakeBotAPI, target: Path | PostgresUrl) -> AsyncIterator[Resources]:
    async with opened(api, target) as resources:
        application = build_application(resources)
        async with application, polling_with(application, resources):
            yield resources


async def test_polling_confirms_an_update_only_once_its_row_is_committed(api: FakeBotAPI,
                                                                         tmp_path: Path) -> None:
    target = tmp_path / "log.sqlite3"
    async with polling(api, target) as resources:
        resources.engine.gate = threading.Event()
        [first] = api.feed(tg.private_text(QUESTION))
        assert await asyncio.to_thread(resources.engine.entered.wait, 10)
        await asyncio.sleep(0.5)                                   # the loop has the update in hand
        assert api.confirmed() < first and questions(target) == []
        resources.engine.gate.set()
        await api.wait("getUpdates", where=lambda c: int(c.params.get("offset", 0) or 0) > first)
        assert questions(target) == [QUESTION]
    assert api.confirmed() == first


async def test_an_update_handled_but_not_confirmed_is_skipped_when_fetched_again(api: FakeBotAPI,
                                                                                 db_target) -> None:
    """As after a process killed between the commit and the next getUpdates: Telegram sends the
    update again, and it is confirmed without a second answer or row."""
    [first] = api.feed(tg.private_text(QUESTION))
    async with opened(api, db_target) as resources:
        application = build_application(resources)
        async with application:
            update = Update.de_json({"update_id": first, **tg.private_text(QUESTION)}, application.bot)
            await Deliveries(application, resources).deliver(update)   # handled; never confirmed
    api.feed(tg.private_text("大模型有多少？", user_id=8))
    async with polling(api, db_target):
        await api.wait("sendMessage", 2)
    assert api.confirmed() == first + 1
    assert questions(db_target) == [QUESTION, "大模型有多少？"] and len(api.calls_of("sendMessage")) == 2


async def test_on_postgresql_polling_leaves_a_question_it_cannot_log_unconfirmed(api: FakeBotAPI,
                                                                                postgres_url: str) -> None:
    target = PostgresUrl(postgres_url)
    async with polling(api, target):
        execute(target, REFUSE["postgresql"])
        before = len(api.calls_of("getUpdates"))
        [first] = api.feed(tg.private_text(QUESTION))
        await api.wait("getUpdates", before + 2, timeout=20)       # fetched, refused, fetched again
        assert api.confirmed() < first and api.calls_of("sendMessage") == []
        execute(target, "DROP TRIGGER refuse ON queries")
        await api.wait("sendMessage", timeout=20)
        await api.wait("getUpdates", where=lambda c: int(c.params.get("offset", 0) or 0) > first, timeout=20)
    assert questions(target) == [QUESTION] and api.confirmed() == first
