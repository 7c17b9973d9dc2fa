"""Benchmark: `zhewen logs` on a 1,000,000-row query log. Prints figures, asserts nothing.

Builds a log shaped like a busy deployment (180 days, three platforms, 30,000 users asking in short
bursts, a quarter declined, 1% rated, 4% with a follow-up, 3% re-asked in other words), then times
each review command twice: in-process through click (what the command costs once Python is up)
and as a fresh `zhewen` process (what an admin waits for). With --upgrade it also times migrating
the same log from the format before [review] (schema version 4).

    .venv/bin/python tests/bench_review.py [--rows 1000000] [--keep PATH] [--upgrade]
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli
from bot.querylog import schema
from bot.querylog.ids import IdSource
from bot.querylog.rows import QUERY_COLUMNS, utc_timestamp

ROOT = Path(__file__).resolve().parents[1]
DAYS = 180
USERS = 30_000
PLATFORMS = (("telegram", 0.6), ("wecom", 0.35), ("cli", 0.05))
ARTICLES = [f"文章{i}：人工智能创新发展第{i}篇" for i in range(40)]
SECTION = "强创新 › 加强模型和算法创新"
ANSWER = "截至2025年7月，浙江共有44款人工智能大模型通过国家网信办备案。"


def questions() -> list[str]:
    """About 20,000 distinct questions: the question sets' wordings, each in a few variants."""
    base = [json.loads(line)["question"] for path in sorted((ROOT / "tests" / "data").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    suffixes = ("", "？", "呢", "啊", "吗", *(str(n) for n in range(23)))
    return [f"{q}{suffix}" for q in base for suffix in suffixes]


def asks(count: int, pool_size: int, rng: random.Random) -> list[tuple]:
    """(seconds from the start, burst, position, user, platform, question number, re-ask) in time
    order: users come at random times over DAYS and ask a few questions 5-90 s apart."""
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(pool_size)))  # Zipf-like
    out: list[tuple] = []
    burst = 0
    while len(out) < count:
        at = rng.uniform(0, DAYS * 86400 - 3600)
        user = f"u{rng.randrange(USERS):05d}"
        platform = rng.choices([p for p, _ in PLATFORMS], [w for _, w in PLATFORMS])[0]
        for position in range(min(1 + int(rng.expovariate(1 / 1.8)), count - len(out))):
            reask = position > 0 and rng.random() < 0.08
            number = rng.choices(range(pool_size), cum_weights=cumulative)[0]
            out.append((at, burst, position, user, platform, number, reask))
            at += rng.uniform(5, 90)
        burst += 1
    out.sort()
    return out


def rows(count: int, feedback: list[tuple], followups: list[tuple], seed: int = 17):
    """Yields queries rows in time order, as the writer would store them; collects the feedback and
    follow-up rows into the lists given."""
    rng = random.Random(seed)
    pool = questions()
    start = datetime.now(UTC) - timedelta(days=DAYS)
    ids = IdSource(writer=1)
    asked: dict[tuple[int, int], tuple[int, str]] = {}
    for at, burst, position, user, platform, number, reask in asks(count, len(pool), rng):
        moment = start + timedelta(seconds=at)
        query_id = ids.next(int(moment.timestamp() * 1000))
        previous = asked.get((burst, position - 1))
        reask = reask and previous is not None
        question = previous[1] + "，换个说法" if reask else pool[number]
        asked[(burst, position)] = (query_id, question)
        found = rng.random() < 0.75
        confidence = round(rng.uniform(0.5, 1.0) ** 0.5, 3) if found else 0.1
        article = rng.choice(ARTICLES)
        refs = [{"passage_id": f"p{rng.randrange(700)}", "score": rng.choice((2.16, 3.24, 1.7)),
                 "source": "今日浙江 2025年第17期", "article": article, "section": SECTION,
                 "page": rng.randrange(1, 60)} for _ in range(3)]
        yield {
            "id": query_id, "ts": utc_timestamp(moment), "platform": platform, "chat_type": "private",
            "chat_id": user, "user_id": user, "question": question, "normalized": question.rstrip("？"),
            "found": int(found), "answer": ANSWER if found else "",
            "refs": json.dumps(refs, ensure_ascii=False), "top_score": refs[0]["score"],
            "latency_ms": round(rng.lognormvariate(0.3, 0.5), 3), "reply_chars": 120, "error": None,
            "confidence": confidence, "article": article if found else None,
            "section": SECTION if found else None,
            "rephrase_of": previous[0] if reask and previous else None,
        }
        if found and rng.random() < 0.01:
            rated = utc_timestamp(moment + timedelta(seconds=30))
            feedback.append((query_id, user, rng.choice((1, 1, -1)), rated))
        if found and rng.random() < 0.04:
            kind = rng.choice(("more", "passage"))
            later = utc_timestamp(moment + timedelta(seconds=rng.uniform(5, 300)))
            followups.append((query_id, kind, user, later))


def build(path: Path, count: int, migrations: tuple[schema.Migration, ...] = schema.MIGRATIONS) -> float:
    """Write the log (current format, or the first `migrations`); returns the seconds it took."""
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA temp_store = MEMORY")  # as the log's writer: statement journals of triggers
    schema.migrate(conn, migrations, citations=lambda: {})
    feedback: list[tuple] = []
    followups: list[tuple] = []
    columns = [c for c in QUERY_COLUMNS if c in {r[1] for r in conn.execute("PRAGMA table_info(queries)")}]
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO queries ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                     ([q[c] for c in columns] for q in rows(count, feedback, followups)))
    conn.executemany("INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?)", feedback)
    if "followups" in {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}:
        conn.executemany("INSERT INTO followups VALUES (?, ?, ?, ?)", followups)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


COMMANDS = [
    ["recent"], ["recent", "--since", "7d"], ["recent", "--platform", "wecom"],
    ["unanswered"], ["unanswered", "--since", "7d"], ["top"], ["top", "--since", "30d"],
    ["stats"], ["stats", "--since", "7d"], ["stats", "--platform", "wecom"], ["top", "--platform", "cli"],
    ["suspect"], ["suspect", "--since", "7d"], ["suspect", "--platform", "cli", "--limit", "50"],
    ["show", "ID"],
    ["export", "--format", "jsonl", "--limit", "1000", "-o", "/dev/null"],
]


def time_commands(db: Path) -> None:
    conn = sqlite3.connect(db)
    some_id = str(conn.execute("SELECT max(id) FROM queries").fetchone()[0])
    conn.close()
    runner = CliRunner()
    print(f"{'command':<48} {'in-process':>11} {'new process':>12}")
    for command in COMMANDS:
        args = [some_id if a == "ID" else a for a in command]
        started = time.perf_counter()
        result = runner.invoke(cli, ["logs", *args, "--db", str(db)])
        inside = time.perf_counter() - started
        if result.exit_code != 0:
            print(f"{' '.join(args)}: exit {result.exit_code}: {result.output.strip()[:200]}")
            continue
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot.cli", "logs", *args, "--db", str(db)], cwd=ROOT,
                       capture_output=True, check=True)
        whole = time.perf_counter() - started
        print(f"zhewen logs {' '.join(args):<36} {inside * 1000:>9.0f} ms {whole * 1000:>9.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="Build the log here and keep it.")
    parser.add_argument("--upgrade", action="store_true", help="Also time upgrading a schema-4 log.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.keep or Path(tmp) / "bench.sqlite3"
        if not db.exists():
            seconds = build(db, args.rows)
            print(f"built a {args.rows:,}-row log in {seconds:.1f} s ({db.stat().st_size / 1e6:.0f} MB)")
        time_commands(db)
        if args.upgrade:
            old = Path(tmp) / "old.sqlite3"
            build(old, args.rows, schema.MIGRATIONS[:4])
            conn = sqlite3.connect(old, isolation_level=None)
            started = time.perf_counter()
            applied = schema.migrate(conn)
            print(f"upgrading a {args.rows:,}-row schema-4 log ({', '.join(applied)}): "
                  f"{time.perf_counter() - started:.1f} s")
            conn.close()


if __name__ == "__main__":
    main()
