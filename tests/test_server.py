"""`zhewen serve` end to end: the real engine and log, on a real uvicorn on 127.0.0.1.

Covers the parts of the server that only show with real sockets: WeCom callbacks over HTTP (one and
100 at once), the Telegram webhook against the fake Bot API, start-up errors, and SIGTERM with a
request still in flight.
"""
from __future__ import annotations

import asyncio
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from fakes import telegram_api as tg
from fakes import wecom as fake
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine import Engine
from bot.querylog import QueryLog
from bot.resources import Resources
from bot.server import check_settings, create_app
from bot.settings import ConfigError, load_settings
from bot.storage.state import open_state
from bot.wecom.text import render_answer

QUESTION = "浙江有多少款人工智能大模型通过备案？"
ZHEWEN = Path(sys.executable).with_name("zhewen")
WEBHOOK_URL = "https://bot.example.com/telegram/webhook"
SECRET = "webhook-secret-0123456789"
wecom = fake.FakeWeCom()


@asynccontextmanager
async def serving(resources: Resources) -> AsyncIterator[str]:
    """create_app on a real uvicorn in this event loop, on a socket already listening (no start-up race)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    config = uvicorn.Config(create_app(resources), lifespan="on", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


@asynccontextmanager
async def opened(environ: dict[str, str], engine: Engine) -> AsyncIterator[Resources]:
    settings = load_settings(environ, env_file=None)
    async with QueryLog(settings.db, salt="test-salt") as log, open_state(settings.db) as state:
        yield Resources(settings=settings, engine=engine, log=log, state=state)


def count_rows(db: Path, platform: str = "wecom") -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM queries WHERE platform = ?", (platform,)).fetchone()[0]


async def say(client: httpx.AsyncClient, message_xml: str) -> fake.Reply:
    query, body = wecom.callback(message_xml)
    response = await client.post("/wecom/callback", params=query, content=body)
    assert response.status_code == 200, response.text
    return wecom.read_reply(response.text, query["nonce"])


# --- WeCom over real HTTP ----------------------------------------------------------------------------

async def test_wecom_on_a_real_uvicorn(tmp_path: Path, engine: Engine) -> None:
    db = tmp_path / "log.sqlite3"
    async with opened(fake.env(ZHEWEN_DB=str(db)), engine) as resources, serving(resources) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            verified = await client.get("/wecom/callback", params=wecom.verification("echo-123"))
            assert (verified.status_code, verified.content) == (200, b"echo-123")
            reply = await say(client, fake.text_xml(QUESTION, user="zhangsan"))
            assert reply.content == render_answer(engine.ask(QUESTION))
            assert "44" in reply.content and "第8页" in reply.content
            forged_query, body = fake.FakeWeCom(token="forger").callback(fake.text_xml(QUESTION))
            forged = await client.post("/wecom/callback", params=forged_query, content=body)
            assert forged.status_code == 403
            assert (await client.get("/healthz")).json()["status"] == "ok"
            assert (await client.get("/nowhere")).status_code == 404
        await resources.log.flush()
    assert count_rows(db) == 1


async def test_100_concurrent_callbacks_on_a_real_uvicorn(tmp_path: Path, engine: Engine,
                                                           slowness: float) -> None:
    db = tmp_path / "log.sqlite3"
    async with opened(fake.env(ZHEWEN_DB=str(db)), engine) as resources, serving(resources) as url:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(base_url=url, timeout=10, limits=limits) as client:
            started = time.perf_counter()
            replies = await asyncio.gather(*(say(client, fake.text_xml(QUESTION, user=f"u{i}"))
                                             for i in range(100)))
            elapsed = time.perf_counter() - started
        await resources.log.flush()
    assert elapsed < 5 * slowness, f"100 callbacks took {elapsed:.2f} s"  # throughput: make bench
    assert all("44" in r.content for r in replies)
    assert count_rows(db) == 100


# --- Telegram webhook --------------------------------------------------------------------------------

@pytest.fixture
def bot_api() -> Iterator[tg.FakeBotAPI]:
    with tg.FakeBotAPI() as api:
        yield api


async def test_telegram_webhook_needs_the_secret(tmp_path: Path, engine: Engine,
                                                 bot_api: tg.FakeBotAPI) -> None:
    environ = {"ZHEWEN_DB": str(tmp_path / "log.sqlite3"), "TELEGRAM_BOT_TOKEN": tg.TOKEN,
               "TELEGRAM_API_BASE_URL": bot_api.base_url, "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
               "TELEGRAM_WEBHOOK_SECRET": SECRET}
    update = {"update_id": 1, **tg.private_text(QUESTION)}
    async with opened(environ, engine) as resources, serving(resources) as url:
        [registered] = await bot_api.wait("setWebhook")  # by the lifespan, at start-up
        assert registered.params["url"] == WEBHOOK_URL and registered.params["secret_token"] == SECRET
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            missing = await client.post("/telegram/webhook", json=update)
            wrong = await client.post("/telegram/webhook", json=update,
                                      headers={"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1] + "X"})
            assert (missing.status_code, wrong.status_code) == (403, 403)
            junk = await client.post("/telegram/webhook", content=b"not json",
                                     headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert junk.status_code == 400
            for bad in ({**update, "update_id": "x"}, {**update, "update_id": 1.5}, [update]):
                wrong_id = await client.post("/telegram/webhook", json=bad,
                                             headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                assert wrong_id.status_code == 400, bad
            assert bot_api.calls_of("sendMessage") == []
            ok = await client.post("/telegram/webhook", json=update,
                                   headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert ok.status_code == 200
            [sent] = await bot_api.wait("sendMessage")
        assert "44" in sent.params["text"]
        await resources.log.flush()
    assert count_rows(resources.settings.db, "telegram") == 1


async def test_telegram_webhook_unconfigured_answers_503(tmp_path: Path, engine: Engine) -> None:
    async with opened({"ZHEWEN_DB": str(tmp_path / "log.sqlite3")}, engine) as resources:
        app = create_app(resources)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            response = await client.post("/telegram/webhook", json={"update_id": 1})
    assert response.status_code == 503 and "TELEGRAM_WEBHOOK_URL" in response.text


# --- configuration -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("environ", "variable"), [
    ({"WECOM_CORP_ID": "ww1"}, "WECOM_TOKEN"),
    ({"WECOM_TOKEN": "t", "WECOM_AES_KEY": fake.AES_KEY}, "WECOM_CORP_ID"),
    ({"TELEGRAM_WEBHOOK_URL": WEBHOOK_URL, "TELEGRAM_BOT_TOKEN": tg.TOKEN}, "TELEGRAM_WEBHOOK_SECRET"),
    ({"TELEGRAM_WEBHOOK_URL": "http://bot.example.com/hook"}, "TELEGRAM_WEBHOOK_URL"),
])
def test_half_configured_channels_fail_at_start_up(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        check_settings(load_settings(environ, env_file=None))


def test_no_channel_at_all_is_fine() -> None:
    check_settings(load_settings({}, env_file=None))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_serve(tmp_path: Path, environ: dict[str, str], *args: str,
              preexec_fn: Any = None) -> subprocess.Popen[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "ZHEWEN_DB": str(tmp_path / "log.sqlite3"), **environ}
    return subprocess.Popen([str(ZHEWEN), "serve", *args], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=preexec_fn)


@pytest.mark.parametrize(("environ", "message"), [
    ({"WECOM_AES_KEY": "short"}, "WECOM_AES_KEY"),
    ({"WECOM_CORP_ID": "ww1"}, "WECOM_TOKEN is not set"),
])
def test_bad_settings_give_a_one_line_error(tmp_path: Path, environ: dict[str, str], message: str) -> None:
    process = run_serve(tmp_path, environ)
    out, err = process.communicate(timeout=30)
    assert process.returncode != 0
    [line] = err.strip().splitlines()
    assert line.startswith("Error: ") and message in line


# --- SIGTERM -----------------------------------------------------------------------------------------

class Stderr:
    """The server's log lines, read in a thread so waiting for one is bounded by a timeout."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(process.stderr,), daemon=True).start()

    def _pump(self, stream: Any) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put("")

    def wait_for(self, marker: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(line)
            if marker in line:
                return
            if not line:
                break
        raise AssertionError(f"never saw {marker!r}; the server said: {''.join(self.seen)}")


def start_request(port: int, query: dict[str, str], body: bytes) -> socket.socket:
    """A POST with `Expect: 100-continue`: once the server answers 100 the app is waiting for the body,
    so the request is in flight for as long as we hold the body back."""
    head = (f"POST /wecom/callback?{urlencode(query)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n"
            "Connection: close\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    sock.sendall(head)
    assert sock.recv(1024).startswith(b"HTTP/1.1 100"), "the server should ask for the body"
    return sock


def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(tmp_path: Path) -> None:
    port = free_port()
    process = run_serve(tmp_path, fake.env(), "--port", str(port))
    try:
        stderr = Stderr(process)
        stderr.wait_for("Uvicorn running on")  # logged once the socket listens
        query, body = wecom.callback(fake.text_xml(QUESTION, user="zhangsan"))
        sock = start_request(port, query, body)
        process.send_signal(signal.SIGTERM)
        stderr.wait_for("Shutting down")
        sock.sendall(body)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
        sock.close()
        head, _, payload = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        assert "44" in wecom.read_reply(payload.decode(), query["nonce"]).content
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert count_rows(tmp_path / "log.sqlite3") == 1


# --- anything a user can type ------------------------------------------------------------------------

# What WeCom can carry in XML 1.0: no surrogates, no control characters but tab and newline.
typed = st.text(st.characters(blacklist_categories=("Cs",), min_codepoint=0x20) | st.sampled_from("\t\n"),
                max_size=3000)


@settings(max_examples=30, deadline=None)
@given(text=typed)
def test_anything_typed_gets_a_reply_within_2048_bytes(engine: Engine,
                                                       tmp_path_factory: pytest.TempPathFactory,
                                                       text: str) -> None:
    db = tmp_path_factory.mktemp("typed") / "log.sqlite3"

    async def exchange() -> fake.Reply:
        async with opened(fake.env(ZHEWEN_DB=str(db)), engine) as resources:
            app = create_app(resources)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await say(client, fake.text_xml(text))

    reply = asyncio.run(exchange())
    assert reply.content.strip()
    assert len(reply.content.encode("utf-8")) <= 2048


# --- start-up failures -------------------------------------------------------------------------------

def test_a_rejected_telegram_token_stops_start_up_with_one_line(tmp_path: Path,
                                                                bot_api: tg.FakeBotAPI) -> None:
    environ = {"TELEGRAM_BOT_TOKEN": "999:not-the-token", "TELEGRAM_API_BASE_URL": bot_api.base_url,
               "TELEGRAM_WEBHOOK_URL": WEBHOOK_URL, "TELEGRAM_WEBHOOK_SECRET": SECRET}
    process = run_serve(tmp_path, environ, "--port", str(free_port()))
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert err.strip().splitlines()[-1].startswith("Error: TELEGRAM_BOT_TOKEN was rejected")
    assert "Traceback" not in err


def test_a_port_in_use_stops_start_up(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = run_serve(tmp_path, fake.env(), "--port", str(taken.getsockname()[1]))
        _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "Traceback" not in err and "address already in use" in err.lower()
    assert err.strip().splitlines()[-1].startswith("Error: cannot listen on 127.0.0.1:")
