"""Benchmark: one `zhewen serve` against two on one PostgreSQL, side by side, and one on SQLite.
Prints figures, asserts nothing.

The same load client drives every configuration: a small asyncio HTTP/1.1 client on keep-alive
connections, sending WeCom app callbacks encrypted and signed beforehand (so its own CPU goes to the
sockets, not to AES), a new question and MsgId each, split round-robin over the replicas. Printed:
questions per second; server CPU per question (utime + stime of each `zhewen serve` from
/proc/<pid>/stat, and of the PostgreSQL server's processes); the median latency `record_committed`
adds (tests/bench_storage.py's measurement); and a projection of N replicas on N machines.

PostgreSQL is a throwaway cluster on this machine (tests/pg_cluster.py) with fsync on. Everything
shares this machine's cores: the client, the replicas and the database.

    .venv/bin/python tests/bench_replicas.py [--questions 3000] [--concurrency 32]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench_storage import commit_figures
from fakes import wecom as fake
from pg_cluster import Cluster, find_binaries
from test_server import Stderr, free_port

from bot.storage.target import PostgresUrl

ZHEWEN = Path(sys.executable).with_name("zhewen")
QUESTION = "浙江有多少款人工智能大模型通过备案？"
TICKS = os.sysconf("SC_CLK_TCK")
wecom = fake.FakeWeCom()
_numbers = iter(range(10**9))


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                pass
    return found


def postgres_cpu(cluster: Cluster | None) -> dict[int, float]:
    """CPU seconds of the postmaster and each of its processes (backends, WAL writer, …), by pid."""
    if cluster is None:
        return {}
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    out = {}
    for pid in [postmaster, *children(postmaster)]:
        try:
            out[pid] = cpu_seconds(pid)
        except OSError:
            pass
    return out


def requests(count: int, port: int) -> list[bytes]:
    """`count` callbacks, each a new question from one of 500 users, as raw HTTP/1.1 requests."""
    out = []
    for _ in range(count):
        n = next(_numbers)
        message = fake.text_xml(f"{QUESTION}（{n}）", user=f"u{n % 500}", msg_id=10**9 + n)
        query, body = wecom.callback(message)
        head = (f"POST /wecom/callback?{urlencode(query)} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n")
        out.append(head.encode() + body)
    return out


async def drive(ports: list[int], count: int, concurrency: int) -> tuple[float, list[float], int]:
    """Send `count` callbacks over `concurrency` connections spread over the replicas: (seconds,
    latencies in ms, answers with status 200 and a body)."""
    batches = {port: requests(count // len(ports), port) for port in ports}
    per_port = max(1, concurrency // len(ports))
    latencies: list[float] = []
    answered = 0

    async def connection(port: int, first: int) -> None:
        nonlocal answered
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for raw in batches[port][first::per_port]:
            started = time.perf_counter()
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            body = await reader.readexactly(length)
            latencies.append((time.perf_counter() - started) * 1000)
            answered += head.startswith(b"HTTP/1.1 200") and len(body) > 0
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection(port, first) for port in ports for first in range(per_port)))
    return time.perf_counter() - started, latencies, answered


@dataclass
class Figures:
    name: str
    replicas: int
    per_second: float
    p50_ms: float
    p99_ms: float
    answered: int
    sent: int
    serve_cpu_ms: float      # per question, all replicas
    database_cpu_ms: float   # per question, PostgreSQL's processes


def start(db: str, workdir: Path) -> tuple[subprocess.Popen[str], int]:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir), **fake.env(
        ZHEWEN_DB=db, ZHEWEN_RATE_LIMIT="10000", ZHEWEN_LOG_SALT="bench")}
    process = subprocess.Popen([str(ZHEWEN), "serve", "--port", str(port)], cwd=workdir, env=env, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    Stderr(process).wait_for("Uvicorn running on", timeout=120)
    return process, port


def measure(name: str, db: str, replicas: int, workdir: Path, cluster: Cluster | None, questions: int,
            concurrency: int) -> Figures:
    servers = [start(db, workdir / f"{name}-{i}") for i in range(replicas)]
    try:
        ports = [port for _, port in servers]
        asyncio.run(drive(ports, 200, concurrency))          # warm-up: connections, pools, caches
        before = [cpu_seconds(p.pid) for p, _ in servers]
        pg_before = postgres_cpu(cluster)
        seconds, latencies, answered = asyncio.run(drive(ports, questions, concurrency))
        serve = sum(cpu_seconds(p.pid) - b for (p, _), b in zip(servers, before, strict=True))
        pg_after = postgres_cpu(cluster)
        database = sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_after.items())
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=60)
    latencies.sort()
    sent = len(latencies)
    return Figures(name, replicas, sent / seconds, statistics.median(latencies),
                   latencies[int(sent * 0.99)], answered, sent, serve / sent * 1000, database / sent * 1000)


def show(rows: list[Figures]) -> None:
    print(f"{'configuration':<34}{'questions/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'answered':>12}"
          f"{'serve CPU ms/q':>16}{'database CPU ms/q':>19}")
    for f in rows:
        database = f"{f.database_cpu_ms:.2f}" if f.name.startswith("PostgreSQL") else "(in serve)"
        print(f"{f.name + f', {f.replicas} replica(s)':<34}{f.per_second:>12.0f}{f.p50_ms:>9.1f}"
              f"{f.p99_ms:>9.1f}{f'{f.answered}/{f.sent}':>12}{f.serve_cpu_ms:>16.2f}{database:>19}")


def project(one: Figures, commits: dict[int, tuple[float, float, int]], requests: int) -> None:
    """N replicas on N machines: each replica on 2 cores of its own, the database on its own machine."""
    per_replica = 2 * 1000 / one.serve_cpu_ms                        # questions/s one 2-core machine serves
    database = 2 * 1000 / one.database_cpu_ms if one.database_cpu_ms else float("inf")
    per_commit = requests / commits[16][2]
    print("\nprojection, N replicas on N 2-core machines and PostgreSQL on a 2-core machine of its own:")
    print(f"  one replica's machine: 2 cores / {one.serve_cpu_ms:.2f} ms CPU per question "
          f"≈ {per_replica:.0f} questions/s (the load client elsewhere)")
    print(f"  the database: 2 cores / {one.database_cpu_ms:.2f} ms CPU per question ≈ {database:.0f} "
          "questions/s; every question commits its row (groups of "
          f"≈{per_commit:.0f} at 16 in flight) and makes about six small autocommitted writes")
    for n in (1, 2, 4, 8, 16):
        print(f"  N = {n:>2}: ≈ {min(n * per_replica, database):>6.0f} questions/s"
              + ("  (the database is the limit)" if n * per_replica > database else ""))
    print("  assumption: the database sustains the commits per second this implies (here fsync on a local "
          "disk); a bigger database machine, or fewer state writes per question, moves the limit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--requests", type=int, default=640, help="record_committed measurement")
    args = parser.parse_args()
    binaries = find_binaries()
    if binaries is None:
        print("PostgreSQL server binaries not found: PostgreSQL figures skipped (apt-get install postgresql)")
    cluster = Cluster(binaries, durable=True).start() if binaries else None
    rows: list[Figures] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            print(f"{args.questions} questions per configuration, {args.concurrency} connections, "
                  f"{os.cpu_count()} cores shared by client, replicas and database\n")
            if cluster:
                for replicas in (1, 2):
                    rows.append(measure("PostgreSQL", cluster.new_database(), replicas, work, cluster,
                                        args.questions, args.concurrency))
            rows.append(measure("SQLite", str(work / "bench.sqlite3"), 1, work, None, args.questions,
                                args.concurrency))
            show(rows)
            targets = {"SQLite": work / "commits.sqlite3"}
            if cluster:
                targets["PostgreSQL"] = PostgresUrl(cluster.new_database())
            commits = {name: asyncio.run(commit_figures(t, args.requests)) for name, t in targets.items()}
            print("\nlatency record_committed adds before the reply "
                  "(median ms; one at a time | 16 in flight):")
            for name, figures in commits.items():
                print(f"  {name:<11} {figures[1][0]:.2f} | {figures[16][0]:.2f}")
            if cluster:
                project(rows[0], commits["PostgreSQL"], args.requests)
    finally:
        if cluster:
            cluster.stop()


if __name__ == "__main__":
    main()
