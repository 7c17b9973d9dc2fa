"""Benchmark: WeCom callbacks per second through a real `zhewen serve` (uvicorn) on 127.0.0.1.

Starts the server as a subprocess with a fake app configuration and a temporary query log, sends
signed and encrypted text callbacks with bounded concurrency, and prints throughput and handling
latency (the httpx client shares the machine, so the figures are a floor for the server); then
stops the server with SIGTERM and counts the logged rows. Prints figures, asserts nothing.
Run with `make bench` or `.venv/bin/python tests/bench_serve.py [--requests N] [--concurrency C]`.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import queue
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from fakes import wecom as fake  # noqa: E402

QUESTIONS = [
    "浙江有多少款人工智能大模型通过备案？",
    "杭州如何建设人工智能创新高地？",
    "浙江大学在人工智能方面做了什么？",
    "阿里巴巴在人工智能领域投入了多少？",
    "什么是人工智能+行动？",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_line(lines: queue.Queue[str], marker: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        line = lines.get(timeout=remaining)
        if marker in line:
            return
        if not line:
            break
    raise SystemExit(f"the server did not report {marker!r}")


async def run_load(url: str, calls: list[tuple[dict[str, str], bytes]], concurrency: int) -> list[float]:
    """Send every call, at most `concurrency` at once; returns each call's latency in ms."""
    latencies: list[float] = []
    limit = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=limits) as client:
        async def one(query: dict[str, str], body: bytes) -> None:
            async with limit:
                started = time.perf_counter()
                response = await client.post("/wecom/callback", params=query, content=body)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200 or not response.content:
                    raise RuntimeError(f"callback answered {response.status_code}")

        await asyncio.gather(*(one(query, body) for query, body in calls))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()

    wecom = fake.FakeWeCom()
    warm_up = [wecom.callback(fake.text_xml(q, user=f"warm-up{i}")) for i, q in enumerate(QUESTIONS * 20)]
    # 400 users, 5 questions each at most: well under the per-user rate limit (ZHEWEN_RATE_LIMIT)
    calls = [wecom.callback(fake.text_xml(QUESTIONS[i % len(QUESTIONS)], user=f"user{i % 400}"))
             for i in range(args.requests)]
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        env = {**os.environ, **fake.env(ZHEWEN_DB=str(db))}
        zhewen = Path(sys.executable).with_name("zhewen")
        process = subprocess.Popen([str(zhewen), "serve", "--port", str(port)], env=env, cwd=tmp,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            for line in process.stderr:
                lines.put(line)
            lines.put("")

        threading.Thread(target=pump, daemon=True).start()
        try:
            wait_for_line(lines, "Uvicorn running on")
            url = f"http://127.0.0.1:{port}"
            asyncio.run(run_load(url, warm_up, args.concurrency))
            started = time.perf_counter()
            latencies = asyncio.run(run_load(url, calls, args.concurrency))
            elapsed = time.perf_counter() - started
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT count(*) FROM queries").fetchone()[0]

    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"zhewen serve, WeCom app callbacks: {args.requests} requests, concurrency {args.concurrency}")
    print(f"  throughput      {args.requests / elapsed:8.1f} callbacks/s ({elapsed:.2f} s)")
    print(f"  latency p50     {statistics.median(latencies):8.1f} ms")
    print(f"  latency p99     {p99:8.1f} ms")
    print(f"  latency max     {latencies[-1]:8.1f} ms")
    print(f"  logged rows     {rows} of {args.requests + len(warm_up)} sent (warm-up included)")
    print(f"  exit on SIGTERM {code}")


if __name__ == "__main__":
    main()
