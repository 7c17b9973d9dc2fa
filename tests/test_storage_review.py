"""[scale-out] `zhewen logs …` on PostgreSQL prints exactly what it prints on SQLite for the same
rows, and `zhewen logs migrate --to postgresql://…` copies a SQLite log once."""
from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_review_log import answer

from bot.cli import cli
from bot.querylog import QueryLog, review
from bot.querylog.ids import IdSource
from bot.querylog.rows import query_row, utc_timestamp
from bot.querylog.stores import store_for
from bot.storage.target import PostgresUrl

NOW = datetime.now(UTC).replace(microsecond=0)


def logged_rows() -> tuple[list[dict], list[tuple], list[tuple]]:
    """Questions, votes and follow-ups covering what the review reads: days inside and outside a
    7-day window, three platforms, declines, an engine error, low confidence, rows logged before
    confidence existed, a re-ask, repeated questions, and text that could trip SQL or a spreadsheet."""
    ids = IdSource(writer=3)
    queries: list[dict] = []

    def ask(days_ago: float, platform: str, user: str, question: str, *, seconds: float = 0,
            **changes) -> int:
        moment = NOW - timedelta(days=days_ago) + timedelta(seconds=seconds)
        query_id = ids.next(int(moment.timestamp() * 1000))
        confidence = changes.pop("confidence") if changes.get("confidence") else 0.9
        found = changes.pop("found", True)
        given = changes.pop("answer", answer(question, confidence=confidence, found=found))
        row = query_row(query_id, given, ts=utc_timestamp(moment), question=question, platform=platform,
                        chat_type="private", chat_id=f"c-{user}", user_id=user, reply_chars=40,
                        error=changes.pop("error", None), rephrase_of=changes.pop("rephrase_of", None))
        queries.append({**row, **changes})
        return query_id

    liked = ask(20, "telegram", "u1", "浙江有多少款大模型通过备案？", confidence=0.95)
    low = ask(3, "telegram", "u2", "杭州的算力券有多少钱", confidence=0.6)
    first = ask(2, "wecom", "u3", "温州的人工智能局是什么时候挂牌的", confidence=0.85)
    ask(2, "wecom", "u3", "温州人工智能局哪天挂牌", seconds=40, rephrase_of=first, confidence=0.92)
    ask(1, "cli", "u4", "火星有城市吗", found=False)
    ask(1, "wecom", "u5", "引擎出错的问题", answer=None, error="RuntimeError: boom")
    old = ask(10, "telegram", "u6", "旧的问题", confidence=None, top_score=2.5)
    ask(9, "telegram", "u6", "更旧的问题", confidence=None, top_score=None)
    ask(0.5, "cli", "u7", '=HYPERLINK("x") 100% 对吗? \'引号\' 😀', confidence=0.7)
    ask(0.2, "wecom", "u8", "浙江有多少款大模型通过备案？", confidence=0.95)
    ask(0.1, "telegram", "u9", "火星有城市吗", found=False)
    feedback = [(liked, "u1", 1, utc_timestamp(NOW - timedelta(days=20))),
                (old, "u6", -1, utc_timestamp(NOW - timedelta(days=10))),
                (low, "u2", -1, utc_timestamp(NOW - timedelta(days=3)))]
    low_ts = datetime.fromisoformat(queries[1]["ts"])
    followups = [(low, "more", "u2", utc_timestamp(low_ts + timedelta(seconds=30))),
                 (low, "passage", "u2", utc_timestamp(low_ts + timedelta(seconds=200))),
                 (first, "passage", "u3", utc_timestamp(low_ts + timedelta(days=1, seconds=12)))]
    return queries, feedback, followups


def insert(target: Path | PostgresUrl, rows: tuple[list[dict], list[tuple], list[tuple]]) -> None:
    """Write the rows through the writer's own store, as QueryLog's batches are."""
    async def run() -> None:
        store = store_for(target)
        db, _, _ = await store.open("s", False)
        try:
            queries, feedback, followups = rows
            await store.commit(db, (queries, [], feedback, followups, 0, []))
        finally:
            await store.close(db)
    asyncio.run(run())


def logs(target: Path | PostgresUrl, *args: str) -> Result:
    db = target.dsn if isinstance(target, PostgresUrl) else str(target)
    return CliRunner().invoke(cli, ["logs", *args, "--db", db], catch_exceptions=False)


COMMANDS = [
    ["recent", "--json"], ["recent"], ["recent", "--since", "7d", "--json"],
    ["recent", "--platform", "wecom"], ["unanswered", "--json"], ["top", "--json"], ["top"],
    ["top", "--since", "7d", "--json"], ["stats", "--json"], ["stats"], ["stats", "--since", "7d", "--json"],
    ["stats", "--platform", "wecom", "--json"], ["suspect", "--json"], ["suspect"],
    ["suspect", "--since", "7d", "--json"], ["suspect", "--limit", "2", "--json"],
    ["export", "--format", "jsonl"], ["export", "--format", "csv"], ["export", "--format", "csv", "--raw"],
    ["export", "--format", "jsonl", "--since", "7d", "--limit", "3"],
]


@pytest.fixture()
def both(tmp_path: Path, postgres_url: str) -> tuple[Path, PostgresUrl, list[dict]]:
    rows = logged_rows()
    sqlite, pg = tmp_path / "zhewen.sqlite3", PostgresUrl(postgres_url)
    insert(sqlite, rows)
    insert(pg, rows)
    return sqlite, pg, rows[0]


def test_every_logs_command_prints_the_same_on_both_backends(both) -> None:
    sqlite, pg, queries = both
    for command in COMMANDS:
        on_sqlite, on_pg = logs(sqlite, *command), logs(pg, *command)
        assert on_sqlite.exit_code == 0, (command, on_sqlite.output)
        assert on_pg.output == on_sqlite.output, command
    for row in queries:
        for command in (["show", str(row["id"]), "--json"], ["show", str(row["id"])]):
            assert logs(pg, *command).output == logs(sqlite, *command).output, command


def test_the_compared_output_holds_what_the_rows_say(both) -> None:
    """The comparison above is only worth something if the output is not empty or trivial."""
    _, pg, queries = both
    stats = json.loads(logs(pg, "stats", "--json").output)
    assert stats["total"] == len(queries) and stats["by_platform"] == {"cli": 2, "telegram": 5, "wecom": 4}
    # the rows' own days (six or seven, by the time of day the suite runs)
    assert stats["feedback"] == {"up": 1, "down": 2}
    assert len(stats["by_day"]) == len({q["ts"][:10] for q in queries})
    suspect = json.loads(logs(pg, "suspect", "--json").output)
    assert suspect[0]["question"] == "杭州的算力券有多少钱"
    assert "👎 from 1 user" in suspect[0]["why"] and "更多 asked 30 s after the answer" in suspect[0]["why"]
    assert any(item["why"][0].startswith("asked again in other words 40 s later") for item in suspect)
    top = json.loads(logs(pg, "top", "--json").output)
    assert top[0]["count"] == 2
    assert {t["question"] for t in top[:2]} == {"浙江有多少款大模型通过备案？", "火星有城市吗"}
    assert "'=HYPERLINK" in logs(pg, "export", "--format", "csv").output
    assert len(logs(pg, "export", "--format", "jsonl").output.splitlines()) == len(queries)


def test_purge_deletes_the_same_on_both_backends(both) -> None:
    sqlite, pg, _ = both
    for target in (sqlite, pg):
        assert logs(target, "purge", "--older-than", "7d").output == "Deleted 3 question(s) older than 7d.\n"
    export = ("export", "--format", "jsonl")
    assert logs(pg, *export).output == logs(sqlite, *export).output
    assert review.show(pg, queries_id := json.loads(logs(pg, "recent", "--json").output)[0]["id"]) == \
        review.show(sqlite, queries_id)


def test_logs_on_an_unreachable_or_empty_postgres_is_one_line(postgres_url: str) -> None:
    from pg_cluster import free_port

    for url, says in ((f"postgresql://zhewen:pw@127.0.0.1:{free_port()}/x", "cannot connect to"),
                      (postgres_url, "holds no zhewen query log")):
        result = CliRunner().invoke(cli, ["logs", "recent", "--db", url])
        assert result.exit_code == 1 and says in result.output, result.output
        assert result.output.count("\n") == 1
        assert "Traceback" not in result.output and ":pw@" not in result.output


# --- logs migrate ------------------------------------------------------------------------------

def write_sqlite_log(path: Path) -> list[int]:
    async def run() -> list[int]:
        async with QueryLog(path) as log:   # no salt given: the salt file beside the database
            ids = [log.record(answer(f"问题{n}"), question=f"问题{n}", platform="telegram",
                              chat_type="private", chat_id=n % 3, user_id=n % 3) for n in range(30)]
            log.record_feedback(ids[0], user_id=0, value=1)
            log.record_followup(ids[1], "more", user_id=1)
            log.record_followup(ids[1], "more", user_id=1)   # identical rows are both copied, once
            return ids
    return asyncio.run(run())


def test_logs_migrate_copies_once_and_keeps_pseudonyms(tmp_path: Path, postgres_url: str) -> None:
    source = tmp_path / "zhewen.sqlite3"
    write_sqlite_log(source)
    runner = CliRunner()
    first = runner.invoke(cli, ["logs", "migrate", "--from", str(source), "--to", postgres_url])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("Copied 30 question(s), 1 vote(s) and 2 follow-up(s) from ")
    assert first.output.rstrip().endswith("0 row(s) were there already.")
    again = runner.invoke(cli, ["logs", "migrate", "--to", postgres_url], env={"ZHEWEN_DB": str(source)})
    assert again.exit_code == 0, again.output
    assert again.output.startswith("Copied 0 question(s), 0 vote(s) and 0 follow-up(s)")
    assert again.output.rstrip().endswith("33 row(s) were there already.")
    pg = PostgresUrl(postgres_url)
    for command in (["export", "--format", "jsonl"], ["stats", "--json"], ["suspect", "--json"]):
        assert logs(pg, *command).output == logs(source, *command).output
    users = {row["user_id"] for row in review.export_rows(source)}

    async def log_after_switch() -> str:
        async with QueryLog(pg) as log:    # no ZHEWEN_LOG_SALT: the key copied from the salt file
            query_id = log.record(answer("问题"), question="问题", platform="telegram", chat_type="private",
                                  chat_id=1, user_id=1)
            await log.flush()
            return (await log.get(query_id))["user_id"]

    assert asyncio.run(log_after_switch()) in users


def test_logs_migrate_refuses_bad_targets_in_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    cases = [(["--from", str(tmp_path / "none.sqlite3"), "--to", "postgresql://127.0.0.1:1/x"],
              "no query log at"),
             (["--from", str(tmp_path / "x.sqlite3"), "--to", str(tmp_path / "other.sqlite3")],
              "expected a postgresql:// URL"),
             (["--to", "postgresql://127.0.0.1:1/x"], "already a postgresql:// URL")]
    for args, says in cases:
        env = {"ZHEWEN_DB": "postgresql://127.0.0.1:1/x"}
        result = runner.invoke(cli, ["logs", "migrate", *args], env=env)
        assert result.exit_code != 0 and says in result.output, result.output
        assert result.output.count("\n") == 1


def test_logs_migrate_to_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    from pg_cluster import free_port

    source = tmp_path / "zhewen.sqlite3"
    write_sqlite_log(source)
    result = CliRunner().invoke(cli, ["logs", "migrate", "--from", str(source), "--to",
                                      f"postgresql://127.0.0.1:{free_port()}/x"])
    assert result.exit_code == 1 and "cannot connect to" in result.output and result.output.count("\n") == 1


def test_a_log_written_on_either_backend_reads_the_same_through_review(db_target) -> None:
    async def run() -> int:
        async with QueryLog(db_target, salt="s") as log:
            query_id = log.record(replace(answer("问题"), latency_ms=2.25), question="问题", platform="cli",
                                  chat_type="private", chat_id=None, user_id=None)
            await log.flush()
            return query_id
    query_id = asyncio.run(run())
    shown = review.show(db_target, query_id)
    assert shown["latency_ms"] == 2.25 and shown["found"] is True and shown["refs"][0]["passage_id"] == "p-1"
    assert review.recent(db_target)[0]["id"] == query_id
