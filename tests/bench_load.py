"""Load benchmark (`make bench`): the full-size version of the hardening load tests. Prints, asserts nothing.

1. Telegram: 200 simulated users × 5 questions through the fake Bot API. Each user asks, waits for the
   reply, then asks again (closed loop), against the real Application long-polling over HTTP on
   127.0.0.1 with the real engine and SQLite log. Bot API flood control is off here (it caps sends at
   Telegram's 30 a second; tests/bench_telegram.py measures that): this is what the process can do.
2. WeCom: a real `zhewen serve` (uvicorn) on 127.0.0.1; rounds of 200 concurrent app callbacks and
   200 concurrent 智能机器人 callbacks, then a retry storm (200 messages, each three times at once).
   Every callback is signed and encrypted as WeCom sends it; the process is stopped with SIGTERM.

Figures: throughput, p50/p99 handling latency (question sent → reply received), answered vs logged;
"200 with a reply" excludes empty 200s (an app answer past 4 s goes out through the message API).
Run: `.venv/bin/python tests/bench_load.py [--users 200 --questions 5 --callbacks 200 --rounds 3]`.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).parent))
from bench_telegram import NoFloodControl, polled  # noqa: E402
from fakes import aibot as robot  # noqa: E402
from fakes import telegram_api as tg  # noqa: E402
from fakes import wecom as fake  # noqa: E402
from test_server import Stderr, free_port  # noqa: E402

from bot.engine import Engine  # noqa: E402
from bot.querylog import QueryLog  # noqa: E402
from bot.resources import Resources  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.telegram.app import build_application  # noqa: E402

QUESTIONS = ["浙江有多少款大模型通过备案？", "魔搭社区是全球第几大开源模型社区？",
             "宇树科技的机器人为什么便宜？", "什么是算力券？", "火星上的天气怎么样？",
             "杭州六小龙指的是哪些企业？", "hello", "😀"]
ZHEWEN = Path(sys.executable).with_name("zhewen")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def summary(label: str, latencies_ms: list[float], elapsed: float, sent: int) -> str:
    return (f"  {label}: {sent} in {elapsed:.2f} s = {sent / elapsed:.0f}/s; "
            f"latency p50 {pct(latencies_ms, 50):.1f} ms, p99 {pct(latencies_ms, 99):.1f} ms, "
            f"max {max(latencies_ms, default=float('nan')):.1f} ms")


# --- Telegram ---------------------------------------------------------------------------------------

async def telegram_load(engine: Engine, users: int, per_user: int) -> None:
    with tg.FakeBotAPI() as api, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
                                  "ZHEWEN_DB": str(Path(tmp) / "log.sqlite3"), "ZHEWEN_RATE_LIMIT": "1000",
                                  "ZHEWEN_LOG_RAW_IDS": "true"}, env_file=None)
        total = users * per_user
        loop = asyncio.get_running_loop()
        waiting: dict[int, asyncio.Future[float]] = {}

        def on_reply(chat_id: int, at: float) -> None:
            future = waiting.pop(chat_id, None)
            if future is not None and not future.done():
                future.set_result(at)

        def watch() -> None:
            """One thread turns the fake's recorded replies into per-user events (bounded by `total`)."""
            seen = 0
            while seen < total:
                try:
                    calls = api.wait_for("sendMessage", seen + 1, timeout=120)
                except TimeoutError:
                    return
                for call in calls[seen:]:
                    loop.call_soon_threadsafe(on_reply, int(call.params["chat_id"]), call.at)
                seen = len(calls)

        latencies: list[float] = []

        async def user(n: int) -> None:
            uid = 50_000 + n
            for i in range(per_user):
                future = loop.create_future()
                waiting[uid] = future
                started = time.monotonic()
                question = QUESTIONS[(n + i) % len(QUESTIONS)]
                await asyncio.to_thread(api.feed, tg.private_text(question, user_id=uid))
                at = await asyncio.wait_for(future, 120)
                latencies.append((at - started) * 1000)

        async with QueryLog(settings.db, raw_ids=True) as log:
            resources = Resources(settings, engine, log)
            app = build_application(resources, rate_limiter=NoFloodControl())
            async with app, polled(app, resources, confirm_after=True):
                watcher = threading.Thread(target=watch, daemon=True)
                watcher.start()
                started = time.monotonic()
                results = await asyncio.gather(*(user(n) for n in range(users)), return_exceptions=True)
                elapsed = time.monotonic() - started
        watcher.join(5)
        with sqlite3.connect(settings.db) as conn:
            rows = conn.execute("SELECT count(*), count(DISTINCT user_id) FROM queries").fetchone()
            engine_ms = [r[0] for r in conn.execute("SELECT latency_ms FROM queries")]
        replies = len(api.calls_of("sendMessage"))
    failed = sum(isinstance(r, BaseException) for r in results)
    print(f"Telegram, fake Bot API, {users} users × {per_user} questions (closed loop, no flood control):")
    print(summary("questions", latencies, elapsed, len(latencies)))
    print(f"  engine per question p50 {pct(engine_ms, 50):.1f} ms, p99 {pct(engine_ms, 99):.1f} ms")
    print(f"  asked {total}, replies sent {replies}, logged {rows[0]} rows from {rows[1]} users, "
          f"users that timed out {failed}")


# --- WeCom ------------------------------------------------------------------------------------------

Call = tuple[str, dict[str, str], bytes]  # path, signed query, encrypted body


async def post(port: int, path: str, query: dict[str, str], body: bytes) -> tuple[int, bytes]:
    """One POST on its own connection, written by hand: httpx's pool costs more CPU than the server
    under test at 200 concurrent requests on 2 cores, and would be measured instead of it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = (f"POST {path}?{urlencode(query)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
        writer.write(head.encode("ascii") + body)
        await writer.drain()
        response = await reader.read()
    finally:
        writer.close()
    status_line, _, rest = response.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


async def timed(port: int, path: str, query: dict[str, str], body: bytes) -> tuple[float, int]:
    """Latency in ms and HTTP status (0 when the connection failed, -1 for a 200 without a reply)."""
    started = time.perf_counter()
    try:
        status, payload = await post(port, path, query, body)
    except (OSError, IndexError, ValueError):
        status, payload = 0, b""
    if status == 200 and not payload:
        status = -1
    return (time.perf_counter() - started) * 1000, status


async def wecom_round(port: int, label: str, calls: list[Call],
                      out: dict[str, list[tuple[float, int]]], elapsed: dict[str, float]) -> None:
    started = time.perf_counter()
    results = await asyncio.gather(*(timed(port, path, q, b) for path, q, b in calls))
    elapsed[label] = elapsed.get(label, 0.0) + time.perf_counter() - started
    out.setdefault(label, []).extend(results)


def round_calls(app_wecom: fake.FakeWeCom, r: int,
                callbacks: int) -> tuple[list[Call], list[Call], list[Call]]:
    """One round: app callbacks, robot callbacks (group @-mentions), and app messages each sent 3 times."""
    asked = [QUESTIONS[i % len(QUESTIONS)] for i in range(callbacks)]
    app_calls = [("/wecom/callback", *app_wecom.callback(fake.text_xml(q, user=f"app{r}-{i}")))
                 for i, q in enumerate(asked)]
    robot_calls = [("/wecom/aibot", *robot.signed_post(robot.text_message(
        f"@浙问 {q}", userid=f"bot{r}-{i}", chatid=f"chat{i % 20}"))) for i, q in enumerate(asked)]
    storm_messages = [fake.text_xml(q, user=f"storm{r}-{i}") for i, q in enumerate(asked)]
    storm = [("/wecom/callback", *app_wecom.callback(m)) for m in storm_messages for _ in range(3)]
    return app_calls, robot_calls, storm


def wecom_load(callbacks: int, rounds: int) -> None:
    port = free_port()
    env = {**os.environ, **fake.env(), "WECOM_AIBOT_TOKEN": robot.TOKEN, "WECOM_AIBOT_AES_KEY": robot.AES_KEY}
    app_wecom = fake.FakeWeCom()
    with tempfile.TemporaryDirectory() as tmp:
        env["ZHEWEN_DB"] = str(Path(tmp) / "log.sqlite3")
        process = subprocess.Popen([str(ZHEWEN), "serve", "--port", str(port)], env=env, cwd=tmp,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        results: dict[str, list[tuple[float, int]]] = {}
        elapsed: dict[str, float] = {}
        sent = 0
        try:
            Stderr(process).wait_for("Uvicorn running on", timeout=120)

            async def run() -> int:
                count = 0
                for r in range(rounds):
                    app_calls, robot_calls, storm = round_calls(app_wecom, r, callbacks)
                    await wecom_round(port, "app callbacks", app_calls, results, elapsed)
                    await wecom_round(port, "智能机器人 callbacks", robot_calls, results, elapsed)
                    await wecom_round(port, "retry storm (×3)", storm, results, elapsed)
                    count += 3 * callbacks
                return count

            sent = asyncio.run(run())
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
        with sqlite3.connect(env["ZHEWEN_DB"]) as conn:
            rows = conn.execute("SELECT count(*) FROM queries").fetchone()[0]
    print(f"WeCom, zhewen serve on 127.0.0.1, {rounds} rounds of {callbacks} concurrent callbacks per kind:")
    for label, pairs in results.items():
        ok = sum(status == 200 for _, status in pairs)
        figures = summary(label, [ms for ms, _ in pairs], elapsed[label], len(pairs))
        print(f"{figures}; 200 with a reply {ok}/{len(pairs)}")
    print(f"  distinct questions sent {sent}, logged {rows} rows; exit code on SIGTERM {code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--callbacks", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    started = time.monotonic()
    engine = Engine.load()
    print(f"bench_load: engine loaded in {time.monotonic() - started:.2f} s, {os.cpu_count()} CPUs")
    asyncio.run(telegram_load(engine, args.users, args.questions))
    wecom_load(args.callbacks, args.rounds)


if __name__ == "__main__":
    main()

