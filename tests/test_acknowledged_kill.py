"""[scale-out] An acknowledged question is a logged question, even under kill -9, on both backends.

(a) `zhewen telegram` long-polls the fake Bot API while questions keep coming and is killed with
    SIGKILL mid-run: every update the fake saw confirmed (a later getUpdates offset) is logged
    exactly once already; restarted, the bot handles the rest, and every update ends confirmed,
    logged once and answered at most once (one handled but not confirmed is found settled).
(b) `zhewen serve` whose engine is slowed past the WeCom app's 4 s deadline: each slow question gets
    its empty 200 (answered later through the message API), and after SIGKILL every one of them has
    its row, pending; the one whose late answer finished before the kill is complete, not doubled.
    `zhewen logs` counts pending rows as asked and not answered.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from click.testing import CliRunner
from fakes import telegram_api as tg
from fakes import wecom as fake
from fakes.telegram_api import FakeBotAPI
from test_hardening_faults import stop
from test_replicas import execute, url_of
from test_server import Stderr, free_port

from bot.cli import cli
from bot.dialogue import PENDING
from bot.storage.target import PostgresUrl

ZHEWEN = Path(sys.executable).with_name("zhewen")
QUESTION = "浙江有多少款大模型通过备案？"
TOTAL = 300
KILL_AFTER = 150         # answers sent before the first process is killed


def asked(n: int) -> str:
    return f"{QUESTION}（第{n}问）"


def logged(target: Path | PostgresUrl) -> Counter[str]:
    return Counter(q for (q,) in execute(target, "SELECT question FROM queries"))


def telegram(api: FakeBotAPI, target: Path | PostgresUrl, cwd: Path) -> subprocess.Popen[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), "TELEGRAM_BOT_TOKEN": api.token,
           "TELEGRAM_API_BASE_URL": api.base_url, "ZHEWEN_DB": url_of(target), "ZHEWEN_LOG_SALT": "kill-salt",
           "ZHEWEN_RATE_LIMIT": "10000"}
    return subprocess.Popen([str(ZHEWEN), "telegram"], env=env, cwd=cwd, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def keep_asking(api: FakeBotAPI) -> None:
    """Users asking a few questions at a time, as they do: the bot fetches many small batches."""
    for start in range(0, TOTAL, 3):
        api.feed(*(tg.private_text(asked(n), user_id=1000 + n) for n in range(start, min(start + 3, TOTAL))))
        time.sleep(0.03)


def test_telegram_killed_mid_run_loses_and_doubles_no_confirmed_question(db_target, tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        first = telegram(api, db_target, tmp_path)
        try:
            Stderr(first).wait_for("polling; stop with", timeout=120)
            users = threading.Thread(target=keep_asking, args=(api,), daemon=True)
            users.start()
            api.wait_for("sendMessage", KILL_AFTER, timeout=60)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            users.join(30)
            confirmed = api.confirmed()
            at_kill = logged(db_target)
            answered_at_kill = len(api.calls_of("sendMessage"))
        finally:
            stop(first)
        assert answered_at_kill < TOTAL, "killed too late to be mid-run"
        assert confirmed >= 1, "nothing was confirmed before the kill"
        lost = [n for n in range(confirmed) if at_kill[asked(n)] != 1]   # update n + 1 is question n
        assert not lost, f"confirmed but not logged exactly once at the kill: {lost[:10]}"

        second = telegram(api, db_target, tmp_path)
        try:
            deadline = time.monotonic() + 90       # the killed process's claims expire within 10 s
            while api.confirmed() < TOTAL and time.monotonic() < deadline:
                time.sleep(0.2)
            second.send_signal(signal.SIGTERM)
            _, stderr = second.communicate(timeout=30)
        finally:
            stop(second)
        assert second.returncode == 0, stderr
        replies = Counter(int(c.params["chat_id"]) for c in api.calls_of("sendMessage") if c.status == 200)
    counts = logged(db_target)
    print(f"\n{TOTAL} updates; killed after {answered_at_kill} answers with {confirmed} confirmed and "
          f"{sum(at_kill.values())} rows; after the restart {api.confirmed()} confirmed, "
          f"{sum(counts.values())} rows, {len(replies)} answered")
    assert api.confirmed() == TOTAL
    assert {q: c for q, c in counts.items() if c != 1} == {}
    assert sorted(counts) == sorted(asked(n) for n in range(TOTAL))
    assert max(replies.values()) == 1, "a question was answered twice"


# --- (b) WeCom app: late answers ---------------------------------------------------------------------

# `zhewen serve` with an engine that sleeps on questions marked 慢N (N seconds) before answering.
SLOW_SERVE = """
import sys, time
from bot.engine import Engine

ask = Engine.ask

def slowed(self, question, last=None):
    if "慢" in question:
        time.sleep(float(question.split("慢")[1].split("秒")[0]))
    return ask(self, question, last)

Engine.ask = slowed
from bot.cli import cli
cli(["serve", *sys.argv[1:]])
"""
wecom = fake.FakeWeCom()


async def late(url: str, question: str, msg_id: int) -> tuple[int, bytes]:
    query, body = wecom.callback(fake.text_xml(question, user=f"u{msg_id}", msg_id=msg_id))
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.post("/wecom/callback", params=query, content=body)
    return response.status_code, response.content


def logs(target: Path | PostgresUrl, *args: str) -> str:
    result = CliRunner().invoke(cli, ["logs", *args, "--db", url_of(target)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_wecom_late_answers_are_logged_before_their_200_even_under_kill_9(db_target, tmp_path: Path) -> None:
    port = free_port()
    environ = {k: v for k, v in fake.env(ZHEWEN_DB=url_of(db_target), ZHEWEN_LOG_SALT="kill-salt").items()
               if k != "WECOM_SECRET"}          # without the message API nothing leaves 127.0.0.1
    environ.update(PATH=os.environ.get("PATH", ""), HOME=str(tmp_path))
    process = subprocess.Popen([sys.executable, "-c", SLOW_SERVE, "--port", str(port)], env=environ,
                               cwd=tmp_path, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stuck = [f"{QUESTION}（慢600秒，第{n}问）" for n in range(4)]
    finishing = f"{QUESTION}（慢5秒）"
    try:
        Stderr(process).wait_for("Uvicorn running on", timeout=120)
        url = f"http://127.0.0.1:{port}"

        async def ask_all() -> list[tuple[int, bytes]]:
            return await asyncio.gather(*(late(url, q, 600 + n) for n, q in enumerate([finishing, *stuck])))

        acknowledged = asyncio.run(ask_all())
        assert acknowledged == [(200, b"")] * 5                   # each past the deadline: an empty 200
        deadline = time.monotonic() + 30
        while logged_rows(db_target).get(finishing, (None,))[0] is None and time.monotonic() < deadline:
            time.sleep(0.1)                                      # its late answer completes its row
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        stop(process)
    rows = logged_rows(db_target)
    assert sorted(rows) == sorted([finishing, *stuck])            # one row each, none doubled
    assert rows[finishing] == (1, None)
    assert all(rows[q] == (None, PENDING) for q in stuck)
    figures = json.loads(logs(db_target, "stats", "--json"))
    assert (figures["total"], figures["found_rate"]) == (5, 0.2)
    assert json.loads(logs(db_target, "unanswered", "--json")) == []   # not "the documents lack it"
    assert [r["question"] for r in json.loads(logs(db_target, "suspect", "--json"))] in ([], [finishing])


def logged_rows(target: Path | PostgresUrl) -> dict[str, tuple]:
    """question -> (found, error), checking there is one row per question."""
    found = execute(target, "SELECT question, found, error FROM queries")
    assert len(found) == len({q for q, _, _ in found}), found
    return {q: (f, e) for q, f, e in found}

