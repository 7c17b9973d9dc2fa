"""Benchmark: the storage layer on SQLite and on PostgreSQL, side by side. Prints figures, asserts nothing.

1. The shared state: microseconds per call (claim, put, get, hit) from one task, and from 16 tasks
   at once (what a busy replica does).
2. Durability: a question recorded and awaited until committed (`record_committed`), one at a time
   and 16 or 64 at once (group commit), with the commits it took; and how many rows a second one
   writer commits when questions are queued without waiting (the cost of the rollup triggers shows
   most here, bot/querylog/rollups.py).
3. `zhewen logs …` on a 1,000,000-row log: the log of tests/bench_review.py, copied into PostgreSQL
   by `zhewen logs migrate` (timed too), each command run in-process and as a new process on both,
   the median of --repeat runs; the outputs are compared.

PostgreSQL is a throwaway cluster on this machine (tests/pg_cluster.py) with fsync on, as a real
server runs; the script says so and skips it when the server binaries are missing.

    .venv/bin/python tests/bench_storage.py [--rows 1000000] [--calls 2000] [--repeat 3] [--skip-logs]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench_review import COMMANDS, build
from click.testing import CliRunner
from pg_cluster import Cluster, find_binaries

from bot.cli import cli
from bot.engine import Answer
from bot.querylog import QueryLog, schema
from bot.querylog.transfer import copy_log
from bot.storage.state import SharedState, open_state
from bot.storage.target import PostgresUrl

ROOT = Path(__file__).resolve().parents[1]
Target = Path | PostgresUrl


async def per_call(calls: int, concurrency: int, work: Callable[[int], Awaitable[object]]) -> float:
    """Wall-clock microseconds per call, `concurrency` tasks sharing `calls` calls."""
    async def worker(first: int) -> None:
        for n in range(first, calls, concurrency):
            await work(n)

    started = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return (time.perf_counter() - started) / calls * 1e6


async def state_figures(target: Target, calls: int) -> dict[str, tuple[float, float]]:
    schema.upgrade(target)
    async with open_state(target) as state:
        operations: dict[str, Callable[[SharedState, int], Awaitable[object]]] = {
            "claim (new key)": lambda s, n: s.claim("bench", f"k{n}-{time.time_ns()}", 300),
            "claim (taken key)": lambda s, n: s.claim("bench", "taken", 300),
            "put (context JSON)": lambda s, n: s.put("context", f"u{n % 500}", {"question": "那宁波呢"}, 600),
            "get": lambda s, n: s.get("context", f"u{n % 500}"),
            "hit (rate limit)": lambda s, n: s.hit(f"user{n % 500}", 60),
        }
        return {name: (await per_call(calls, 1, lambda n, op=op: op(state, n)),
                       await per_call(calls, 16, lambda n, op=op: op(state, n)))
                for name, op in operations.items()}


ANSWER = Answer("浙江有多少款大模型通过备案？", True, "截至2025年7月，浙江共有44款人工智能大模型通过备案。",
                (), "回复", 1.5, "浙江有多少款大模型通过备案", confidence=0.93)


async def commit_figures(target: Target, requests: int) -> dict[int, tuple[float, float, int]]:
    """concurrency -> (median ms per awaited record, p95 ms, commits); 0 -> (rows per second when
    queued without waiting, 0, commits)."""
    out = {}
    async with QueryLog(target, salt="bench") as log:
        real_commit = log._store.commit
        for concurrency in (1, 16, 64):
            commits = 0

            async def counted(db, batch, real=real_commit):
                nonlocal commits
                commits += 1
                return await real(db, batch)

            log._store.commit = counted
            latencies: list[float] = []

            async def one(n: int, latencies: list[float] = latencies) -> None:
                started = time.perf_counter()
                await log.record_committed(ANSWER, question=ANSWER.question, platform="wecom",
                                           chat_type="group", chat_id="room", user_id=n % 300)
                latencies.append((time.perf_counter() - started) * 1000)

            await per_call(requests, concurrency, one)
            latencies.sort()
            out[concurrency] = (statistics.median(latencies), latencies[int(len(latencies) * 0.95)], commits)
        commits = 0
        out[0] = (await queued_rate(log, requests * 10), 0.0, commits)
        log._store.commit = real_commit
    return out


async def queued_rate(log: QueryLog, rows: int) -> float:
    """Rows per second committed when `rows` questions are queued (200 per turn of the loop) and
    then flushed: the writer's throughput, batches of up to 200 rows."""
    started = time.perf_counter()
    for n in range(rows):
        log.record(ANSWER, question=ANSWER.question, platform="wecom", chat_type="group", chat_id="room",
                   user_id=n % 300)
        if n % 200 == 199:
            await asyncio.sleep(0)
    await log.flush()
    return rows / (time.perf_counter() - started)


def print_state(figures: dict[str, dict[str, tuple[float, float]]]) -> None:
    names = list(figures)
    heads = "".join(f"{n + ' (1 task)':>22}{n + ' (16 tasks)':>24}" for n in names)
    print(f"{'shared state, µs per call':<28}{heads}")
    for operation in next(iter(figures.values())):
        cells = "".join(f"{figures[n][operation][0]:>22.0f}{figures[n][operation][1]:>24.0f}" for n in names)
        print(f"{operation:<28}{cells}")


def print_commits(figures: dict[str, dict[int, tuple[float, float, int]]], requests: int) -> None:
    print(f"\nrecord_committed: {requests} questions at each concurrency "
          "(median / p95 ms per question, commits)")
    for name, by_concurrency in figures.items():
        cells = [f"{c:>2} at once: {m:6.2f} / {p:6.2f} ms, {k:>4} commits"
                 for c, (m, p, k) in by_concurrency.items() if c]
        rate, _, commits = by_concurrency[0]
        print(f"  {name:<11} " + " | ".join(cells) + f" | queued: {rate:,.0f} rows/s, {commits} commits")


def time_logs(sqlite: Path, pg: PostgresUrl, repeat: int) -> None:
    """Each command `repeat` times in turn on each backend, in-process and as a new process; medians.
    (The first run after the log is built may read its pages from disk: the median is of warm runs.)"""
    import sqlite3

    with sqlite3.connect(sqlite) as conn:
        some_id = str(conn.execute("SELECT max(id) FROM queries").fetchone()[0])
    runner = CliRunner()
    print(f"\n{'zhewen logs …':<48}{'SQLite':>10}{'PostgreSQL':>12}{'SQLite':>10}{'PostgreSQL':>12}   same")
    print(f"{'':<48}{'in-process':>22}{'new process':>22}   (median of {repeat})")
    for command in COMMANDS:
        args = [some_id if a == "ID" else a for a in command]
        runs: list[list[float]] = [[], [], [], []]
        outputs = []
        for _ in range(repeat):
            for n, db in enumerate((str(sqlite), pg.dsn)):
                started = time.perf_counter()
                result = runner.invoke(cli, ["logs", *args, "--db", db])
                runs[n].append(time.perf_counter() - started)
                failed = f"exit {result.exit_code}: {result.output}"
                outputs.append((n, result.output if result.exit_code == 0 else failed))
            for n, db in enumerate((str(sqlite), pg.dsn), start=2):
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "bot.cli", "logs", *args, "--db", db], cwd=ROOT,
                               capture_output=True, check=False)
                runs[n].append(time.perf_counter() - started)
        cells = [statistics.median(r) for r in runs]
        # the same run's outputs on both backends (a relative --since may move between runs)
        same = "yes" if all(outputs[i][1] == outputs[i + 1][1] for i in range(0, len(outputs), 2)) else "NO"
        times = "".join(f"{c * 1000:>{9 if i % 2 == 0 else 11}.0f}ms" for i, c in enumerate(cells))
        print(f"{' '.join(args):<48}{times}   {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=640)
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each logs command (median).")
    parser.add_argument("--skip-logs", action="store_true", help="Only the state and commit figures.")
    args = parser.parse_args()
    binaries = find_binaries()
    if binaries is None:
        print("PostgreSQL server binaries not found: PostgreSQL figures skipped (apt-get install postgresql)")
    cluster = Cluster(binaries, durable=True).start() if binaries else None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            targets: dict[str, Target] = {"SQLite": Path(tmp) / "state.sqlite3"}
            if cluster:
                targets["PostgreSQL"] = PostgresUrl(cluster.new_database())
            print_state({name: asyncio.run(state_figures(t, args.calls)) for name, t in targets.items()})
            commits = {name: asyncio.run(commit_figures(t, args.requests)) for name, t in targets.items()}
            print_commits(commits, args.requests)
            if args.skip_logs or cluster is None:
                return
            log = Path(tmp) / "bench.sqlite3"
            print(f"\nbuilding a {args.rows:,}-row SQLite log: {build(log, args.rows):.0f} s")
            url = PostgresUrl(cluster.new_database())
            started = time.perf_counter()
            copied = copy_log(log, url, carry_salt=False)
            print(f"zhewen logs migrate of {copied.queries:,} questions, {copied.feedback:,} votes, "
                  f"{copied.followups:,} follow-ups into PostgreSQL: {time.perf_counter() - started:.0f} s")
            started = time.perf_counter()
            subprocess.run([str(binaries / "vacuumdb"), "--analyze", "-q", "-h", "127.0.0.1", "-p",
                            str(cluster.port), "-U", "postgres", "-d", url.dsn.rsplit("/", 1)[1]], check=True)
            print(f"VACUUM ANALYZE (as autovacuum after a bulk load): {time.perf_counter() - started:.0f} s")
            time_logs(log, url, args.repeat)
    finally:
        if cluster:
            cluster.stop()


if __name__ == "__main__":
    main()
