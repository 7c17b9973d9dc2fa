"""[scale-out] The figures kept by triggers (bot/querylog/rollups.py, migration 0010) on both backends:
after every kind of write (the writer's batches, a changed vote, follow-ups, a purge, a script's
UPDATE or DELETE), a sign that reaches the log before its answer, and an older log upgraded (one
made by `zhewen logs migrate` too), they equal the same figures counted from the rows themselves."""
from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import log_reference
import pytest
from click.testing import CliRunner
from test_review_log import answer

from bot.cli import cli
from bot.querylog import review, rollups, schema
from bot.querylog.ids import IdSource
from bot.querylog.rows import QUERY_COLUMNS, query_row, utc_timestamp
from bot.querylog.stores import store_for
from bot.storage.target import PostgresUrl

NOW = datetime.now(UTC).replace(microsecond=0)
# Confidences on and around the tenths, 0.8 (low confidence) among them, and none at all.
CONFIDENCES = (0.0, 0.099, 0.1, 0.3, 0.5, 0.7, 0.799, 0.8, 0.801, 0.9, 0.95, 1.0, None)
Target = Path | PostgresUrl


def kept(conn: review.Connection) -> tuple[dict, dict]:
    """daily_counts with its slots added up, and the signs kept per answer (those with any)."""
    sums = ", ".join(f"sum({c})" for c in rollups.COUNT_COLUMNS)
    days = {(r[0], r[1]): tuple(r[2:]) for r in conn.execute(
        f"SELECT day, platform, {sums} FROM daily_counts GROUP BY day, platform") if r[2]}
    signs = {r[0]: tuple(r[1:]) for r in conn.execute(
        "SELECT query_id, down, up, reasked, more_first, passage_first FROM signals WHERE down <> 0 "
        "OR up <> 0 OR reasked <> 0 OR more_first IS NOT NULL OR passage_first IS NOT NULL")}
    return days, signs


def assert_kept_current(target: Target) -> None:
    conn = review.open_log(target)
    try:
        days, signs = kept(conn)
        assert days == log_reference.day_counts(conn)
        assert signs == log_reference.signs(conn)
        stale = conn.execute("SELECT count(*) FROM signals AS s JOIN queries AS q ON q.id = s.query_id "
                             "WHERE s.ts <> q.ts OR s.platform <> q.platform OR s.found <> q.found "
                             "OR s.confidence <> q.confidence").fetchone()[0]
        assert stale == 0   # the copies of the answers' columns (where there is one)
    finally:
        conn.close()


def random_rows(seed: int, count: int = 120) -> tuple[list[dict], list[tuple], list[tuple]]:
    """Questions over three weeks with every kind of confidence, some without a latency, re-asks,
    votes (a user voting twice) and follow-ups."""
    rng = random.Random(seed)
    ids = IdSource(writer=5)
    queries: list[dict] = []
    feedback: list[tuple] = []
    followups: list[tuple] = []
    for n in range(count):
        moment = NOW - timedelta(minutes=rng.randrange(60 * 24 * 21))
        found = rng.random() < 0.8
        question = f"问题{n % 30}"
        row = query_row(ids.next(), answer(question, found=found, confidence=0.5), ts=utc_timestamp(moment),
                        question=question, platform=rng.choice(review.PLATFORMS), chat_type="private",
                        chat_id="c", user_id=f"u{n}", reply_chars=1, error=None,
                        rephrase_of=rng.choice(queries)["id"] if queries and rng.random() < 0.1 else None)
        row["confidence"] = rng.choice(CONFIDENCES) if found else row["confidence"]
        row["latency_ms"] = None if rng.random() < 0.1 else row["latency_ms"]
        queries.append(row)
        for _ in range(rng.choice((0, 0, 0, 1, 2))):
            feedback.append((row["id"], f"v{rng.randrange(2)}", rng.choice((1, -1)), row["ts"]))
        if rng.random() < 0.2:
            later = utc_timestamp(moment + timedelta(seconds=rng.choice((10, 500))))
            followups.append((row["id"], rng.choice(("more", "passage")), "v", later))
    return queries, feedback, followups


def commit(target: Target, queries: list[dict], feedback: list[tuple] = (),
           followups: list[tuple] = (), completions: list[dict] = ()) -> int:
    """One batch through the writer's own store, as QueryLog commits it; the questions inserted
    (`completions` replace rows of the same id)."""
    async def run() -> int:
        store = store_for(target)
        db, _, _ = await store.open("s", False)
        try:
            return await store.commit(db, (list(queries), list(completions), list(feedback), list(followups),
                                           0, []))
        finally:
            await store.close(db)
    return asyncio.run(run())


def execute(target: Target, *statements: str) -> None:
    conn = review.open_log(target)
    try:
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()


def logs(target: Target, *args: str) -> str:
    db = target.dsn if isinstance(target, PostgresUrl) else str(target)
    result = CliRunner().invoke(cli, ["logs", *args, "--db", db], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_figures_follow_every_kind_of_write(db_target: Target) -> None:
    queries, feedback, followups = random_rows(1)
    for start in range(0, len(queries), 25):   # batches, each with the votes and follow-ups so far
        commit(db_target, queries[start:start + 25])
        assert_kept_current(db_target)
    assert commit(db_target, queries[:3]) == 0   # ids already there are skipped, and not counted again
    commit(db_target, [], feedback, followups)
    assert_kept_current(db_target)
    commit(db_target, [], [(query_id, user, -value, ts) for query_id, user, value, ts in feedback[:5]])
    assert_kept_current(db_target)                 # a changed vote moves from 👍 to 👎 (or back)
    review.purge(db_target, older_than=timedelta(days=10))
    assert_kept_current(db_target)
    execute(db_target, "UPDATE queries SET platform = 'cli', confidence = 0.75, latency_ms = NULL "
                       "WHERE id IN (SELECT id FROM queries WHERE found = 1 ORDER BY id LIMIT 5)",
            "UPDATE queries SET rephrase_of = NULL WHERE rephrase_of IS NOT NULL",
            "UPDATE feedback SET value = -value", "UPDATE followups SET kind = 'more'",
            "DELETE FROM followups WHERE ts < (SELECT max(ts) FROM followups)")
    assert_kept_current(db_target)
    execute(db_target, "DELETE FROM queries WHERE platform = 'wecom'")
    assert_kept_current(db_target)


def test_rows_acknowledged_early_and_completed_later_count_once(db_target: Target) -> None:
    """A question logged before its answer (the WeCom app past its deadline) and completed later by
    its answer: one row per question whatever the order the two writes arrive in, and figures, signs
    and their copies as if the answered rows had been written directly."""
    queries, feedback, _ = random_rows(3, count=40)
    unanswered = dict.fromkeys(("found", "answer", "top_score", "latency_ms", "confidence", "article",
                                "section", "rephrase_of"))
    early = [dict(q, **unanswered, normalized="", refs="[]", error="pending") for q in queries]
    commit(db_target, early[:20])                                   # acknowledged, still being answered
    commit(db_target, [], [f for f in feedback if f[0] in {q["id"] for q in queries[:20]}])
    assert_kept_current(db_target)
    commit(db_target, early[20:30], completions=queries[20:30])    # answered while acknowledged
    assert commit(db_target, [], completions=queries[30:]) == 10   # answered before its early row
    assert commit(db_target, early[30:]) == 0                      # ... which then changes nothing
    commit(db_target, [], completions=queries[:20])
    assert_kept_current(db_target)
    conn = review.open_log(db_target)
    try:
        stored = conn.execute("SELECT id, found, error, confidence FROM queries ORDER BY id").fetchall()
    finally:
        conn.close()
    assert [tuple(r) for r in stored] == sorted((q["id"], q["found"], q["error"], q["confidence"])
                                                for q in queries)


def test_a_sign_that_comes_before_its_answer_counts(db_target: Target, tmp_path: Path) -> None:
    """Another replica may commit the 👎 or 更多 on an answer before the answer's own row: the
    review reads the same as from a log that got them in order."""
    queries, _, _ = random_rows(2, count=10)
    answered = next(q for q in queries if q["found"] == 1 and q["confidence"] is not None)
    later = utc_timestamp(datetime.fromisoformat(answered["ts"]) + timedelta(seconds=20))
    signs = ([(answered["id"], "u", -1, later)], [(answered["id"], "more", "u", later)])
    commit(db_target, [], *signs)
    commit(db_target, queries)
    assert_kept_current(db_target)
    in_order = tmp_path / "in-order.sqlite3"
    commit(in_order, queries, *signs)
    for command in (["suspect", "--json"], ["stats", "--json"], ["stats", "--since", "7d", "--json"]):
        assert logs(db_target, *command) == logs(in_order, *command), command
    first = json.loads(logs(db_target, "suspect", "--json", "--limit", "1"))[0]
    assert first["id"] == answered["id"] and "👎 from 1 user" in first["why"]


def connect(target: Target):
    """A plain connection that upgrades nothing (review.open_log would)."""
    if isinstance(target, PostgresUrl):
        from bot.storage import postgres

        return postgres.connect(target)
    import sqlite3

    return sqlite3.connect(target, isolation_level=None)


def insert_rows(target: Target, queries: list[dict], feedback: list[tuple], followups: list[tuple]) -> None:
    """Rows written by plain INSERTs (an older version's writer, a script)."""
    conn = connect(target)
    try:
        conn.executemany(f"INSERT INTO queries ({', '.join(QUERY_COLUMNS)}) VALUES "
                         f"({', '.join('?' * len(QUERY_COLUMNS))})",
                         [[q[c] for c in QUERY_COLUMNS] for q in queries])
        conn.executemany("INSERT INTO feedback VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", feedback)
        conn.executemany("INSERT INTO followups VALUES (?, ?, ?, ?)", followups)
    finally:
        conn.close()


def migrate_to(target: Target, count: int) -> None:
    """The database as the first `count` migrations leave it (an older version's)."""
    conn = connect(target)
    try:
        schema.migrate(conn, schema.MIGRATIONS[:count])
    finally:
        conn.close()


def test_an_older_log_gets_its_figures_when_upgraded(db_target: Target, tmp_path: Path) -> None:
    migrate_to(db_target, 9)
    rows = random_rows(3)
    insert_rows(db_target, *rows)
    assert schema.upgrade(db_target) == ["0010_review_rollups"]
    assert_kept_current(db_target)
    fresh = tmp_path / "fresh.sqlite3"
    schema.upgrade(fresh)
    insert_rows(fresh, *rows)
    for command in (["stats", "--json"], ["suspect", "--json"], ["recent"], ["stats", "--since", "7d"]):
        assert logs(db_target, *command) == logs(fresh, *command), command


def test_a_log_copied_by_an_older_logs_migrate_is_upgraded(tmp_path: Path, postgres_url: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "zhewen.sqlite3"
    schema.upgrade(source)
    insert_rows(source, *random_rows(4))
    url = PostgresUrl(postgres_url)
    from bot.querylog import transfer

    monkeypatch.setattr(transfer.schema, "upgrade", lambda target: migrate_to(target, 9))
    transfer.copy_log(source, url, carry_salt=False)
    monkeypatch.undo()
    for command in (["stats", "--json"], ["suspect", "--json"], ["stats", "--platform", "wecom"]):
        assert logs(url, *command) == logs(source, *command), command   # upgraded on reading
    assert_kept_current(url)


def test_postgres_counts_per_server_process_and_adds_them_up(postgres_url: str) -> None:
    """Two connections writing the same day and platform keep a row each (neither waits for the
    other's commit); the review adds them up."""
    url = PostgresUrl(postgres_url)
    queries, _, _ = random_rows(5, count=40)
    same_day = [dict(q, ts=utc_timestamp(NOW), platform="wecom") for q in queries]
    commit(url, same_day[:20])
    commit(url, same_day[20:])
    conn = review.open_log(url)
    try:
        slots = conn.execute("SELECT count(DISTINCT slot) FROM daily_counts").fetchone()[0]
    finally:
        conn.close()
    assert slots == 2
    assert_kept_current(url)
    assert json.loads(logs(url, "stats", "--json"))["by_platform"] == {"wecom": 40}


def test_a_batch_arrives_exact(db_target: Target) -> None:
    """The writer sends PostgreSQL a batch as one JSON parameter: every value reads back as written
    (text that looks like JSON or SQL, control characters, floats to the last bit, 63-bit ids)."""
    queries, _, _ = random_rows(6, count=4)
    awkward = ['{"a": [1, "\\u00e9"]}\'; DROP TABLE queries; --', "tab\tnew\nline \x01 \\ \" 😀 浙江",
               "nul \x00 inside", "  "]
    numbers = (0.1 + 0.2, 1e-300, 2.5e300, 0.123456789012345678)
    for row, text, number in zip(queries, awkward, numbers, strict=True):
        row.update(question=text, answer=text, latency_ms=number, top_score=-number)
    queries[0]["id"] = 2**62 + 12345
    commit(db_target, queries)
    stored = {row["id"]: row for row in review.export_rows(db_target)}
    nul = "\\u0000" if isinstance(db_target, PostgresUrl) else "\x00"   # PostgreSQL text holds no NUL
    for row in queries:
        expected = {c: row[c].replace("\x00", nul) if isinstance(row[c], str) else row[c]
                    for c in QUERY_COLUMNS}
        assert {c: stored[row["id"]][c] for c in QUERY_COLUMNS} == expected
