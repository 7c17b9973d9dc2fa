"""[scale-out] Two real `zhewen serve` processes on one PostgreSQL database behave as one.

(a) WeCom retries of one message (same sender and MsgId, signed anew each time as WeCom does) sent
    to both replicas at once and again afterwards: one row, the same reply everywhere.
(b) 2,000 questions split across both replicas, replica B killed with SIGKILL mid-run: every
    question that got a 200 with a reply is logged exactly once; those B never answered are retried
    on A as WeCom would (same MsgId) and are then logged exactly once too; no duplicates anywhere.

Needs the PostgreSQL cluster fixture (skipped, saying why, without the server). Selected on its own
with `-m replicas`; part of the default run.
"""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fakes import wecom as fake
from test_hardening_faults import stop
from test_server import Stderr, free_port, run_serve

pytestmark = pytest.mark.replicas

QUESTION = "浙江有多少款人工智能大模型通过备案？"
TOTAL = 2000
WORKERS_PER_REPLICA = 8
KILL_AFTER = TOTAL // 3          # answered questions before B is killed
RETRY_FOR_S = 30.0               # WeCom retries for a while; B's leases run out within 10 s
wecom = fake.FakeWeCom()


@dataclass
class Run:
    """What the load client saw: per question, the reply text of a 200, or why there was none."""

    replies: dict[int, str] = field(default_factory=dict)
    unanswered: dict[int, str] = field(default_factory=dict)   # question number -> what happened


def question(n: int) -> str:
    return f"{QUESTION}（第{n}问）"


def message(n: int) -> str:
    """Question n as its sender's message: one MsgId per question, kept by every retry."""
    return fake.text_xml(question(n), user=f"user{n % 97}", msg_id=9_000_000 + n)


async def send(client: httpx.AsyncClient, n: int) -> tuple[int, str]:
    """One delivery of question n, signed anew: (status, reply text or "")."""
    query, body = wecom.callback(message(n))
    response = await client.post("/wecom/callback", params=query, content=body)
    if response.status_code != 200 or not response.content:
        return response.status_code, ""
    return 200, wecom.read_reply(response.text, query["nonce"]).content


def logged(url: str) -> Counter[str]:
    import psycopg  # the fixture skips, saying why, when the driver is missing

    with psycopg.connect(url, autocommit=True) as conn:
        return Counter(q for (q,) in conn.execute("SELECT question FROM queries"))


@pytest.fixture
def replicas(postgres_url: str, tmp_path: Path):
    """Two `zhewen serve` on one database, ready; (url A, url B, process B, database URL)."""
    env = fake.env(ZHEWEN_DB=postgres_url, ZHEWEN_RATE_LIMIT="10000", ZHEWEN_LOG_SALT="e2e-salt")
    processes, urls = [], []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            port = free_port()
            process = run_serve(tmp_path / name, env, "--port", str(port))
            processes.append((process, Stderr(process)))
            urls.append(f"http://127.0.0.1:{port}")
        for _, stderr in processes:
            stderr.wait_for("Uvicorn running on", timeout=60)
        yield urls[0], urls[1], processes[1][0], postgres_url
    finally:
        for process, _ in processes:
            stop(process)


async def test_a_retry_on_both_replicas_is_answered_once_with_one_reply(replicas) -> None:
    url_a, url_b, _, database = replicas
    async with httpx.AsyncClient(base_url=url_a, timeout=30) as a, \
            httpx.AsyncClient(base_url=url_b, timeout=30) as b:
        for n in range(20):
            together = await asyncio.gather(send(a, n), send(b, n))    # the first copy and a retry at once
            after = [await send(b, n), await send(a, n)]                # and later ones
            statuses = [status for status, _ in (*together, *after)]
            texts = {text for _, text in (*together, *after)}
            assert statuses == [200] * 4, statuses
            assert len(texts) == 1 and "44" in texts.pop()
        query, body = wecom.callback(message(0))
        assert (await a.post("/wecom/callback", params=query, content=body)).status_code == 200
        assert (await b.post("/wecom/callback", params=query, content=body)).status_code == 403  # a replay
    counts = logged(database)
    assert counts == Counter({question(n): 1 for n in range(20)}), counts


async def test_2000_questions_and_a_replica_killed_mid_run_lose_and_duplicate_nothing(replicas) -> None:
    url_a, url_b, process_b, database = replicas
    run = Run()
    enough = asyncio.Event()
    started = time.monotonic()

    async def worker(client: httpx.AsyncClient, numbers: range) -> None:
        for n in numbers:
            try:
                status, text = await send(client, n)
            except httpx.TransportError as exc:
                run.unanswered[n] = type(exc).__name__
                continue
            if status == 200 and text:
                assert "44" in text, text
                run.replies[n] = text
                if len(run.replies) >= KILL_AFTER:
                    enough.set()
            else:
                run.unanswered[n] = str(status)

    async def kill_b() -> None:
        await enough.wait()
        process_b.kill()                                             # SIGKILL: no shutdown, no flush

    limits = httpx.Limits(max_connections=WORKERS_PER_REPLICA)
    async with httpx.AsyncClient(base_url=url_a, timeout=30, limits=limits) as a, \
            httpx.AsyncClient(base_url=url_b, timeout=30, limits=limits) as b:
        workers = WORKERS_PER_REPLICA * 2
        jobs = [worker(a if k % 2 == 0 else b, range(k, TOTAL, workers)) for k in range(workers)]
        await asyncio.gather(kill_b(), *jobs)
        loaded = time.monotonic() - started
        acknowledged = dict(run.replies)
        lost_on_b = sorted(run.unanswered)

        waited: list[int] = []                                         # claimed by B when it died

        async def retry_on_a(n: int) -> None:                         # as WeCom retries: same MsgId
            deadline = time.monotonic() + RETRY_FOR_S
            while time.monotonic() < deadline:
                status, text = await send(a, n)
                if status == 200 and text:
                    run.replies[n] = text
                    return
                assert status == 503, status                          # B's lease has not run out
                if n not in waited:
                    waited.append(n)
                await asyncio.sleep(0.5)

        for first in range(0, len(lost_on_b), 32):
            await asyncio.gather(*(retry_on_a(n) for n in lost_on_b[first:first + 32]))

    assert process_b.poll() is not None, "B should have been killed mid-run"
    assert 0 < len(lost_on_b) < TOTAL - KILL_AFTER
    counts = logged(database)
    duplicates = {q: c for q, c in counts.items() if c > 1}
    lost = [n for n in acknowledged if counts[question(n)] != 1]
    never = [n for n in range(TOTAL) if counts[question(n)] == 0]
    print(f"\n2,000 questions in {loaded:.1f} s; B killed after {KILL_AFTER} answers; "
          f"{len(acknowledged)} acknowledged, {len(lost_on_b)} unanswered then retried on A "
          f"({len(waited)} of them 503 until B's lease ran out); "
          f"rows {sum(counts.values())}, duplicates {len(duplicates)}, "
          f"acknowledged but not logged {len(lost)}, never logged {len(never)}")
    assert not duplicates, duplicates
    assert not lost, f"acknowledged but not logged exactly once: {lost[:10]}"
    assert sorted(run.replies) == list(range(TOTAL)), "every retried question was answered in the end"
    assert not never and sum(counts.values()) == TOTAL
