"""Telegram throughput through the fake Bot API: updates per second and handling latency.

Simulated users each send a few private questions at once; the bot (the real Application, long
polling over HTTP on 127.0.0.1, real engine, real SQLite log) answers them. Prints figures and
asserts nothing. Run: `.venv/bin/python tests/bench_telegram.py [--users 200 --questions 5]`.

Runs without Bot API flood control (what the process can do), each with `zhewen telegram`'s loop,
which confirms an update once handled (its row committed), and with python-telegram-bot's Updater,
which confirms on fetch (what the bot used before): a burst of updates at once, and users who ask
one question after another; then one run with the production FloodControl (AIORateLimiter), which
holds sends to Telegram's 30 messages a second.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sqlite3
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fakes import telegram_api as tg
from fakes.telegram_api import FakeBotAPI
from telegram.ext import Application, BaseRateLimiter, Updater

from bot.engine import Engine
from bot.querylog import QueryLog
from bot.resources import Resources
from bot.settings import load_settings
from bot.storage.state import open_state
from bot.telegram.app import ALLOWED_UPDATES, build_application
from bot.telegram.delivery import Deliveries
from bot.telegram.polling import poll_updates

DEV_SET = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval" / "dev.jsonl"
FALLBACK_QUESTIONS = ["浙江有多少款大模型通过备案？", "人工智能核心产业营收是多少？", "今天天气怎么样？"]


class NoFloodControl(BaseRateLimiter[dict[str, Any]]):
    """Sends at once: measures the bot itself rather than Telegram's limits."""

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):  # noqa: ANN001
        return await callback(*args, **kwargs)


def questions() -> list[str]:
    if DEV_SET.is_file():
        lines = DEV_SET.read_text("utf-8").splitlines()
        return [json.loads(line)["question"] for line in lines if line.strip()]
    return FALLBACK_QUESTIONS


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(round(pct / 100 * len(ordered)) - 1, 0)]


@asynccontextmanager
async def polled(app: Application, resources: Resources, confirm_after: bool) -> AsyncIterator[None]:
    """`zhewen telegram`'s loop (confirms once handled, dedupes by update id), or python-telegram-bot's
    Updater as the bot used it before (confirms on fetch), for the comparison."""
    await app.start()
    try:
        if confirm_after:
            stop = asyncio.Event()
            task = asyncio.create_task(poll_updates(app, Deliveries(app, resources), stop))
            try:
                yield
            finally:
                stop.set()
                await task
        else:
            async with Updater(app.bot, app.update_queue) as updater:
                await updater.start_polling(allowed_updates=ALLOWED_UPDATES)
                try:
                    yield
                finally:
                    await updater.stop()
    finally:
        await app.stop()


async def run(engine: Engine, users: int, per_user: int, flood_control: bool, pool: list[str],
              confirm_after: bool = True) -> None:
    with FakeBotAPI() as api, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
                                  "ZHEWEN_DB": str(Path(tmp) / "log.sqlite3"), "ZHEWEN_RATE_LIMIT": "1000"},
                                 env_file=None)
        async with QueryLog(settings.db) as log, open_state(settings.db) as state:
            resources = Resources(settings, engine, log, state)
            app = build_application(resources, rate_limiter=None if flood_control else NoFloodControl())
            async with app:
                async with polled(app, resources, confirm_after):
                    updates = [tg.private_text(pool[(u * per_user + i) % len(pool)], user_id=10_000 + u)
                               for i in range(per_user) for u in range(users)]
                    started = time.monotonic()
                    ids = api.feed(*updates)
                    sent = await api.wait("sendMessage", len(updates), timeout=600)
                    elapsed = time.monotonic() - started
                    await asyncio.to_thread(_confirmed, api, ids[-1])
                    confirmed_in = time.monotonic() - started
        with sqlite3.connect(settings.db) as conn:
            engine_ms = [row[0] for row in conn.execute("SELECT latency_ms FROM queries")]
    latencies = [(call.at - started) * 1000 for call in sent]
    label = "FloodControl (production)" if flood_control else "no flood control"
    label += ", confirmed once handled" if confirm_after else ", PTB Updater (confirmed on fetch)"
    errors = sum(c.status != 200 for c in api.calls)
    print(f"{label}: {len(updates)} updates ({users} users × {per_user}) in {elapsed:.2f} s = "
          f"{len(updates) / elapsed:.0f} updates/s, all confirmed after {confirmed_in:.2f} s\n"
          f"  burst feed→reply p50 {statistics.median(latencies):.0f} ms, "
          f"p99 {percentile(latencies, 99):.0f} ms; engine per question "
          f"p50 {statistics.median(engine_ms):.1f} ms, p99 {percentile(engine_ms, 99):.1f} ms\n"
          f"  answered {len(sent)}, logged {len(engine_ms)}, Bot API errors {errors}")


def _confirmed(api: FakeBotAPI, last: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while api.confirmed() < last and time.monotonic() < deadline:
        time.sleep(0.005)


async def sessions(engine: Engine, users: int, per_user: int, pool: list[str], confirm_after: bool) -> None:
    """Users who each ask, wait for the answer, then ask again: the feed→reply latency one user sees.
    (A few users: each waits in a thread of the default executor, which the engine needs too.)"""
    with FakeBotAPI() as api, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
                                  "ZHEWEN_DB": str(Path(tmp) / "log.sqlite3"), "ZHEWEN_RATE_LIMIT": "1000"},
                                 env_file=None)
        latencies: list[float] = []
        async with QueryLog(settings.db) as log, open_state(settings.db) as state:
            resources = Resources(settings, engine, log, state)
            app = build_application(resources, rate_limiter=NoFloodControl())
            async with app, polled(app, resources, confirm_after):
                async def user(n: int) -> None:
                    for i in range(per_user):
                        started = time.monotonic()
                        await asyncio.to_thread(api.feed, tg.private_text(pool[(n + i) % len(pool)],
                                                                          user_id=20_000 + n))
                        uid = str(20_000 + n)
                        await api.wait("sendMessage", i + 1, timeout=120,
                                       where=lambda c, uid=uid: str(c.params.get("chat_id")) == uid)
                        latencies.append((time.monotonic() - started) * 1000)

                started = time.monotonic()
                await asyncio.gather(*(user(n) for n in range(users)))
                elapsed = time.monotonic() - started
    label = "confirmed once handled" if confirm_after else "PTB Updater (confirmed on fetch)"
    print(f"sessions, {label}: {users} users × {per_user} questions in {elapsed:.2f} s; ask→reply "
          f"p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 99):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--limited-updates", type=int, default=90, help="updates in the flood-controlled run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.monotonic()
    engine = Engine.load()
    print(f"bench_telegram: engine loaded in {time.monotonic() - started:.2f} s")
    pool = questions()
    for confirm_after in (False, True):
        asyncio.run(run(engine, args.users, args.questions, flood_control=False, pool=pool,
                        confirm_after=confirm_after))
        asyncio.run(sessions(engine, 4, 25, pool, confirm_after))
    asyncio.run(run(engine, args.limited_updates, 1, flood_control=True, pool=pool))


if __name__ == "__main__":
    main()
