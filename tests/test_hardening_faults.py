"""Faults around a running `zhewen serve` and the content build, on real processes.

SIGTERM while callbacks keep arriving: exit 0 and every question that got an answer is in the log.
A log that cannot be written: replies continue and the failure is reported. A corrupt, missing or
unwritable content build: a one-line start-up error naming the fix, or an automatic rebuild.
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fakes import telegram_api as tg
from fakes import wecom as fake
from test_server import Stderr, free_port, run_serve

from bot import texts

ZHEWEN = Path(sys.executable).with_name("zhewen")
QUESTION = "浙江有多少款人工智能大模型通过备案？"
wecom = fake.FakeWeCom()


def logged_questions(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [q for (q,) in conn.execute("SELECT question FROM queries ORDER BY id")]


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


# --- SIGTERM under load -----------------------------------------------------------------------------

async def keep_asking(url: str, workers: int, per_worker: int, answered: list[str],
                      enough: asyncio.Event, after: int) -> None:
    """`workers` clients each sending up to `per_worker` callbacks in a row, each question unique;
    a worker stops at its first refused or cut connection (the server is going away)."""
    async def worker(n: int, client: httpx.AsyncClient) -> None:
        for i in range(per_worker):
            question = f"{QUESTION}（{n}-{i}）"
            query, body = wecom.callback(fake.text_xml(question, user=f"w{n}"))
            try:
                response = await client.post("/wecom/callback", params=query, content=body)
            except httpx.TransportError:
                return
            if response.status_code != 200:
                return
            assert "44" in wecom.read_reply(response.text, query["nonce"]).content
            answered.append(question)
            if len(answered) >= after:
                enough.set()

    limits = httpx.Limits(max_connections=workers)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        await asyncio.gather(*(worker(n, client) for n in range(workers)))


def test_sigterm_under_load_exits_0_and_every_answered_question_is_logged(tmp_path: Path) -> None:
    port = free_port()
    process = run_serve(tmp_path, fake.env(ZHEWEN_RATE_LIMIT="1000"), "--port", str(port))
    answered: list[str] = []
    try:
        stderr = Stderr(process)
        stderr.wait_for("Uvicorn running on")

        async def scenario() -> None:
            enough = asyncio.Event()
            load = asyncio.create_task(keep_asking(f"http://127.0.0.1:{port}", 30, 40, answered, enough, 60))
            await asyncio.wait_for(enough.wait(), 60)
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(load, 60)

        asyncio.run(scenario())
        assert process.wait(timeout=60) == 0, "".join(stderr.seen)
    finally:
        stop(process)
    logged = logged_questions(tmp_path / "log.sqlite3")
    assert len(answered) >= 60 and len(answered) < 30 * 40, "SIGTERM should have cut the load short"
    assert len(logged) == len(set(logged)), "a question was logged twice"
    assert set(answered) <= set(logged), set(answered) - set(logged)


def test_sigterm_in_webhook_mode_answers_and_logs_every_acknowledged_update(tmp_path: Path) -> None:
    """Telegram never resends an update we answered 200 to: each must be answered and logged."""
    secret = "hardening-webhook-secret"
    with tg.FakeBotAPI() as api:
        port = free_port()
        process = run_serve(tmp_path, {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
                                       "TELEGRAM_WEBHOOK_URL": "https://bot.example.com/telegram/webhook",
                                       "TELEGRAM_WEBHOOK_SECRET": secret, "ZHEWEN_LOG_RAW_IDS": "true",
                                       "ZHEWEN_RATE_LIMIT": "1000"}, "--port", str(port))
        acknowledged: list[int] = []
        try:
            stderr = Stderr(process)
            stderr.wait_for("Uvicorn running on")

            async def scenario() -> None:
                enough = asyncio.Event()

                async def post(client: httpx.AsyncClient, n: int) -> None:
                    update = {"update_id": n + 1, **tg.private_text(f"{QUESTION}#{n}", user_id=40_000 + n)}
                    try:
                        response = await client.post("/telegram/webhook", json=update,
                                                     headers={"X-Telegram-Bot-Api-Secret-Token": secret})
                    except httpx.TransportError:
                        return
                    if response.status_code == 200:
                        acknowledged.append(40_000 + n)
                        if len(acknowledged) >= 40:
                            enough.set()

                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                    posts = [asyncio.create_task(post(client, n)) for n in range(200)]
                    await asyncio.wait_for(enough.wait(), 60)
                    process.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(asyncio.gather(*posts), 60)

            asyncio.run(scenario())
            assert process.wait(timeout=60) == 0, "".join(stderr.seen)
        finally:
            stop(process)
        answered = [int(c.params["chat_id"]) for c in api.calls_of("sendMessage") if c.status == 200]
    with sqlite3.connect(tmp_path / "log.sqlite3") as conn:
        logged = [int(u) for (u,) in conn.execute("SELECT user_id FROM queries")]
    assert len(acknowledged) >= 40
    assert set(acknowledged) <= set(answered), "an update acknowledged with 200 was never answered"
    assert sorted(answered) == sorted(set(answered)) == sorted(logged), "answered and logged once each"


# --- an unusable log --------------------------------------------------------------------------------

def test_serve_does_not_start_when_the_log_cannot_be_written(tmp_path: Path) -> None:
    """A bot that answers but logs nothing loses what reviewers need: start-up stops with one line.
    Root ignores read-only modes, so a file stands where the log's directory should be."""
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")
    environ = fake.env(ZHEWEN_DB=str(blocker / "zhewen.sqlite3"))
    process = run_serve(tmp_path, environ, "--port", str(free_port()))
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0
    [line] = err.strip().splitlines()
    assert line.startswith("Error: ") and "cannot be opened and written" in line
    assert str(blocker / "zhewen.sqlite3") in line


def serve_on_a_full_disk(tmp_path: Path, sent: int = 100) -> tuple[str, int, httpx.Response]:
    """A real "disk full": the server may write at most 200 KB per file (RLIMIT_FSIZE), so the log's
    writes fail with an I/O error after a few dozen rows. Every answer must still go out; returns
    what the server said and how many rows it kept."""
    import resource

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           **fake.env(ZHEWEN_DB=str(tmp_path / "log.sqlite3"), ZHEWEN_RATE_LIMIT="1000")}
    process = subprocess.Popen([str(ZHEWEN), "serve", "--port", str(port)], cwd=tmp_path, env=env, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=small_disk)
    try:
        stderr = Stderr(process)
        stderr.wait_for("Uvicorn running on")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for i in range(sent):
                padded = f"{QUESTION}{'填充' * 400}{i}"  # ~5 KB a row with its normalised form
                query, body = wecom.callback(fake.text_xml(padded, user=f"u{i}"))
                response = client.post("/wecom/callback", params=query, content=body)
                assert response.status_code == 200
                assert texts.SOURCE_LABEL in wecom.read_reply(response.text, query["nonce"]).content
            client.get("/healthz")
            time.sleep(0.5)  # the writer's last batch
            health = client.get("/healthz")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        stderr.wait_for("stopped")
    finally:
        stop(process)
    with sqlite3.connect(tmp_path / "log.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        kept = conn.execute("SELECT count(*) FROM queries").fetchone()[0]
    assert 0 < kept < sent
    return "".join(stderr.seen), kept, health


def test_serve_on_a_full_disk_keeps_answering_and_says_so(tmp_path: Path) -> None:
    said, kept, health = serve_on_a_full_disk(tmp_path)
    assert "Traceback" not in said
    assert "dropped" in said and "write failed" in said
    # /healthz says so too: 503 while the log is not writing, with the rows lost so far.
    assert health.status_code == 503
    body = health.json()
    assert body["log"]["writing"] is False and body["log"]["dropped"] >= 100 - kept - 5
    assert body["log"]["error"]


def test_the_number_of_questions_lost_is_reported_at_shutdown(tmp_path: Path) -> None:
    said, kept, _ = serve_on_a_full_disk(tmp_path, sent=100)
    at_shutdown = said.rsplit("Shutting down", 1)[-1]
    assert re.search(rf"\b{100 - kept}\b[^\n]*dropped", at_shutdown), at_shutdown


# --- the content build ------------------------------------------------------------------------------

def run(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ZHEWEN), *args], env={**os.environ, **env}, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    [line] = out.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    return line


GARBAGE = {
    "not-json": b"\x00\x01garbage{{",
    "not-utf8": b"\xff\xfe\xfa",
    "empty": b"",
    "wrong-shape": b'{"hello": "world"}',
    "a-list": b"[1, 2, 3]",
}


@pytest.mark.parametrize("content", GARBAGE.values(), ids=GARBAGE.keys())
def test_chat_on_a_garbage_corpus_is_a_one_line_error_naming_the_fix(tmp_path: Path, content: bytes) -> None:
    corpus = tmp_path / "corpus.json"
    corpus.write_bytes(content)
    out = subprocess.run([str(ZHEWEN), "chat"], input="浙江\n", cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "ZHEWEN_CORPUS": str(corpus)}, timeout=120)
    line = one_line_error(out)
    assert str(corpus) in line and "zhewen content build" in line


def test_a_directory_as_the_corpus_is_a_one_line_error(tmp_path: Path) -> None:
    line = one_line_error(run("ask", "浙江", env={"ZHEWEN_CORPUS": str(tmp_path)}, cwd=tmp_path))
    assert "zhewen content build" in line


def test_serve_on_a_garbage_corpus_is_a_one_line_error(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.json"
    corpus.write_bytes(GARBAGE["not-json"])
    out = run("serve", "--port", str(free_port()), env={"ZHEWEN_CORPUS": str(corpus), **fake.env()},
              cwd=tmp_path, timeout=60)
    line = one_line_error(out)
    assert str(corpus) in line and "zhewen content build" in line


def test_a_missing_corpus_is_rebuilt_where_it_should_be(tmp_path: Path) -> None:
    corpus = tmp_path / "new" / "place" / "corpus.json"
    out = run("ask", "--json", QUESTION, env={"ZHEWEN_CORPUS": str(corpus)}, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert '"found": true' in out.stdout and "44" in out.stdout
    assert corpus.is_file() and corpus.stat().st_size > 10_000


def test_an_unwritable_corpus_location_still_answers(tmp_path: Path) -> None:
    """A read-only install cannot write the rebuilt corpus: it is built in memory instead."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    out = run("ask", "--json", QUESTION, env={"ZHEWEN_CORPUS": str(blocker / "corpus.json")}, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert '"found": true' in out.stdout


def test_serve_on_a_port_already_taken_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        process = run_serve(tmp_path, fake.env(), "--port", str(port))
        try:
            _, err = process.communicate(timeout=60)
        finally:
            stop(process)
    assert process.returncode == 1 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("Error: cannot listen on 127.0.0.1:")


# --- configuration and caches -----------------------------------------------------------------------

def test_a_dot_env_that_is_not_utf8_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"ZHEWEN_DB=\xff\xfe.sqlite3\n")
    line = one_line_error(run("ask", "浙江", env={}, cwd=tmp_path))
    assert ".env" in line


def test_the_fallback_cache_is_never_a_directory_others_can_write(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a pickle from a directory another user controls runs their code as the bot."""
    import content
    from retrieval import index

    blocker = tmp_path / "read-only-install"
    blocker.write_text("content/build cannot be created under a file")
    monkeypatch.setattr(content, "__file__", str(blocker / "content" / "__init__.py"))
    shared = tmp_path / "tmp"
    shared.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(shared))
    planted = shared / "zhewen-cache"
    planted.mkdir()
    planted.chmod(0o777)  # as another local user could have made it before the bot first ran
    cache = index.default_cache_dir()
    assert cache != planted and cache.stat().st_uid == os.getuid() and not cache.stat().st_mode & 0o077
    again = index.default_cache_dir()
    assert again == cache, "the private directory is reused by the next run"
    cache.chmod(0o777)  # someone loosened it: it is no longer trusted
    assert index.default_cache_dir() != cache


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _foreign(path: Path) -> None:
    """Well-formed data of the wrong shape, as an older or newer version could leave behind."""
    import marshal
    import pickle

    if path.name == "jieba.cache":  # jieba's own base-dictionary cache is marshal data
        foreign = marshal.dumps(("x", 1))
    else:
        foreign = pickle.dumps({"not": "an index"} if path.suffix == ".pickle" else ("x", 1))
    path.write_bytes(foreign)


CORRUPTIONS = {"truncated": _truncate, "foreign": _foreign}


@pytest.mark.parametrize("kind", CORRUPTIONS)
def test_a_corrupt_index_cache_is_rebuilt_not_fatal(tmp_path: Path, kind: str) -> None:
    from bot.engine import Engine
    from content.store import load_built

    corpus = load_built()
    Engine.from_corpus(corpus, cache_dir=tmp_path)
    caches = sorted(tmp_path.iterdir())
    assert {p.suffix for p in caches} == {".pickle", ".cache"}
    assert (tmp_path / "jieba.cache").is_file()  # jieba's base cache too: ours, not a shared /tmp
    for path in caches:
        CORRUPTIONS[kind](path)
    answer = Engine.from_corpus(corpus, cache_dir=tmp_path).ask(QUESTION)
    assert answer.found and "44" in answer.answer


@pytest.mark.parametrize("secret", ["has spaces!", "密钥", "x" * 257], ids=["punctuation", "cjk", "too-long"])
def test_a_webhook_secret_telegram_would_refuse_is_a_start_up_error(secret: str) -> None:
    from bot.server import check_settings
    from bot.settings import ConfigError, load_settings

    environ = {"TELEGRAM_BOT_TOKEN": tg.TOKEN, "TELEGRAM_WEBHOOK_SECRET": secret,
               "TELEGRAM_WEBHOOK_URL": "https://bot.example.com/telegram/webhook"}
    settings = load_settings(environ, env_file=None)
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        check_settings(settings)
