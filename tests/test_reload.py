"""[onboarding] 6: a running bot reloads the corpus on SIGHUP and by itself when the built corpus
file changes; the new index is built beside the old and swapped, a bad corpus keeps the old serving."""
from __future__ import annotations

import asyncio
import copy
import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from test_server import Stderr, free_port, run_serve

from bot.engine import Engine
from bot.reload import Reloader, reloading
from content.store import DEFAULT_BUILD

NEW_FACT = "乌鲁木齐今年建成人工智能算力中心共计8848座"
NEW_QUESTION = "乌鲁木齐今年建成了多少座人工智能算力中心？"


def _corpus() -> dict:
    return json.loads(DEFAULT_BUILD.read_text(encoding="utf-8"))


def _with_new_article(corpus: dict) -> dict:
    """The corpus plus one article (and a new content hash, as a rebuild gives)."""
    grown = copy.deepcopy(corpus)
    source = grown["sources"][0]["id"]
    grown["articles"].append({
        "id": f"{source}/reload-test", "source": source, "title": "乌鲁木齐建设人工智能算力高地",
        "subtitle": "", "authors": [], "column": "", "page": None,
        "sections": [{"heading": "", "passages": [{"id": f"{source}/reload-test.p1",
                                                   "text": f"据了解，{NEW_FACT}。"}]}]})
    grown["content_hash"] = "reloadtest" + corpus.get("content_hash", "")[:6]
    return grown


def _write(path: Path, corpus: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(corpus, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)  # as content/store.py writes it


@pytest.fixture()
def watched(tmp_path: Path) -> tuple[Engine, Path]:
    path = tmp_path / "corpus.json"
    _write(path, _corpus())
    engine = Engine.from_loader(lambda: json.loads(path.read_text(encoding="utf-8")),
                                cache_dir=tmp_path / "cache", corpus_path=path)
    return engine, path


def test_reload_swaps_in_the_new_corpus(watched: tuple[Engine, Path]) -> None:
    engine, path = watched
    assert not engine.ask(NEW_QUESTION).found
    before = engine.loaded.passages
    _write(path, _with_new_article(_corpus()))
    loaded = engine.reload()
    assert loaded.passages == before + 1 and loaded.content_hash.startswith("reloadtest")
    answer = engine.ask(NEW_QUESTION)
    assert answer.found and "8848座" in answer.answer
    assert any(e.title == "乌鲁木齐建设人工智能算力高地" for e in engine.toc())


async def test_a_broken_corpus_leaves_the_old_one_serving(watched: tuple[Engine, Path]) -> None:
    engine, path = watched
    serving = engine.loaded
    path.write_text("{ not json", encoding="utf-8")
    reloader = Reloader(engine)
    assert await reloader.reload("test") is False and reloader.failures == 1
    assert engine.loaded is serving
    assert engine.ask("浙江有多少款大模型通过备案？").found


async def test_the_watcher_notices_a_rebuilt_file_and_no_question_fails_meanwhile(
        watched: tuple[Engine, Path]) -> None:
    engine, path = watched
    questions = ["浙江有多少款大模型通过备案？", "杭州的算力券每年有多少钱？", NEW_QUESTION] * 70
    async with reloading(engine, interval=0.1) as reloader:
        _write(path, _with_new_article(_corpus()))
        with ThreadPoolExecutor(8) as pool:
            answers = await asyncio.gather(*(asyncio.get_running_loop().run_in_executor(pool, engine.ask, q)
                                             for q in questions))
        deadline = time.monotonic() + 10
        while reloader.reloads == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    assert reloader.reloads == 1 and reloader.failures == 0
    assert all(a.reply for a in answers) and sum(a.found for a in answers) >= 140
    assert "8848座" in engine.ask(NEW_QUESTION).answer


async def test_sighup_reloads(watched: tuple[Engine, Path]) -> None:
    engine, path = watched
    async with reloading(engine, interval=3600) as reloader:
        _write(path, _with_new_article(_corpus()))
        os.kill(os.getpid(), signal.SIGHUP)
        deadline = time.monotonic() + 10
        while reloader.reloads == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    assert reloader.reloads == 1
    assert engine.ask(NEW_QUESTION).found


def test_serve_reloads_on_sighup_and_reports_the_corpus_in_healthz(tmp_path: Path) -> None:
    port = free_port()
    process = run_serve(tmp_path, {}, "--port", str(port))
    try:
        stderr = Stderr(process)
        stderr.wait_for("Uvicorn running on")
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
        assert health["status"] == "ok" and health["corpus"]["passages"] > 600
        process.send_signal(signal.SIGHUP)
        stderr.wait_for("corpus reloaded (SIGHUP)")
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()["corpus"] == health["corpus"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0
