"""Telegram throughput through the fake Bot API: updates per second and handling latency.

Simulated users each send a few private questions at once; the bot (the real Application, long
polling over HTTP on 127.0.0.1, real engine, real SQLite log) answers them. Prints figures and
asserts nothing. Run: `.venv/bin/python tests/bench_telegram.py [--users 200 --questions 5]`.

Two runs: without Bot API flood control (what the process can do), then with the production
FloodControl (AIORateLimiter), which holds sends to Telegram's 30 messages a second.
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
from pathlib import Path
from typing import Any

from fakes import telegram_api as tg
from fakes.telegram_api import FakeBotAPI
from telegram.ext import BaseRateLimiter

from bot.engine import Engine
from bot.querylog import QueryLog
from bot.resources import Resources
from bot.settings import load_settings
from bot.telegram.app import ALLOWED_UPDATES, build_application

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


async def run(engine: Engine, users: int, per_user: int, flood_control: bool, pool: list[str]) -> None:
    with FakeBotAPI() as api, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
                                  "ZHEWEN_DB": str(Path(tmp) / "log.sqlite3"), "ZHEWEN_RATE_LIMIT": "1000"},
                                 env_file=None)
        async with QueryLog(settings.db) as log:
            app = build_application(Resources(settings, engine, log), polling=True,
                                    rate_limiter=None if flood_control else NoFloodControl())
            async with app:
                await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
                await app.start()
                updates = [tg.private_text(pool[(u * per_user + i) % len(pool)], user_id=10_000 + u)
                           for i in range(per_user) for u in range(users)]
                started = time.monotonic()
                api.feed(*updates)
                sent = await api.wait("sendMessage", len(updates), timeout=600)
                elapsed = time.monotonic() - started
                await app.updater.stop()
                await app.stop()
        with sqlite3.connect(settings.db) as conn:
            engine_ms = [row[0] for row in conn.execute("SELECT latency_ms FROM queries")]
    latencies = [(call.at - started) * 1000 for call in sent]
    label = "FloodControl (production)" if flood_control else "no flood control"
    errors = sum(c.status != 200 for c in api.calls)
    print(f"{label}: {len(updates)} updates ({users} users × {per_user}) in {elapsed:.2f} s = "
          f"{len(updates) / elapsed:.0f} updates/s\n"
          f"  burst feed→reply p50 {statistics.median(latencies):.0f} ms, "
          f"p99 {percentile(latencies, 99):.0f} ms; engine per question "
          f"p50 {statistics.median(engine_ms):.1f} ms, p99 {percentile(engine_ms, 99):.1f} ms\n"
          f"  answered {len(sent)}, logged {len(engine_ms)}, Bot API errors {errors}")


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
    asyncio.run(run(engine, args.users, args.questions, flood_control=False, pool=pool))
    asyncio.run(run(engine, args.limited_updates, 1, flood_control=True, pool=pool))


if __name__ == "__main__":
    main()
