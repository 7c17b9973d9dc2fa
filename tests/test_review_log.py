"""[review] in the log itself: cited article and section, re-ask links, follow-ups, the migrations that
bring old logs up to date, `show`, and the suspect ranking against a brute-force one."""
from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import log_reference
import pytest

from bot.engine import Answer, Reference
from bot.querylog import QueryLog, review, schema
from bot.querylog.ids import IdSource
from bot.querylog.rephrase import Ask, RecentAsks, is_rephrase
from bot.querylog.rows import QUERY_COLUMNS, query_row, utc_timestamp
from bot.querylog.suspect import Evidence, is_suspect, rank, reasons, suspicion

NOW = datetime.now(UTC).replace(microsecond=0)


def ref(n: int, article: str = "文章", section: str = "小节") -> Reference:
    return Reference(n, "今日浙江 2025年第17期", article, section, 8, f"p-{n}", 3.24, "段落。")


def answer(question: str, found: bool = True, confidence: float = 0.9, refs: int = 2,
           normalized: str | None = None) -> Answer:
    references = tuple(ref(n, f"文章{n}", f"小节{n}") for n in range(1, refs + 1))
    return Answer(question, found, "答案。" if found else "", references, "回复", 1.5,
                  normalized if normalized is not None else question.rstrip("？"), confidence=confidence)


def ask(log: QueryLog, question: str, user: int | str, found: bool = True, reply_chars: int = 0) -> int:
    """Log a question as a private Telegram chat would."""
    return log.record(answer(question, found=found), question=question, platform="telegram",
                      chat_type="private", chat_id=user, user_id=user, reply_chars=reply_chars)


def write(db: Path, calls) -> list[int]:
    """Run `calls(log)` inside an open QueryLog; returns what it returns."""
    async def run() -> list[int]:
        async with QueryLog(db, salt="s") as log:
            return calls(log)
    return asyncio.run(run())


# --- re-asks in other words ----------------------------------------------------------------------

@pytest.mark.parametrize(("earlier", "later", "expected"), [
    ("温州的人工智能局是什么时候挂牌的", "温州人工智能局哪天挂牌", True),
    ("浙江有多少款大模型通过备案", "浙江通过网信办备案的大模型有几款", True),
    ("温州的人工智能局是什么时候挂牌的", "杭州的算力券每年有多少钱", False),
    ("浙江有多少款大模型通过备案", "浙江有多少款大模型通过备案", False),   # a repeat, not a rephrase
    ("什么", "哪个", False),
    ("", "温州", False),
])
def test_is_rephrase(earlier: str, later: str, expected: bool) -> None:
    assert is_rephrase(earlier, later) is expected


def test_recent_asks_links_within_the_window_per_user_and_forgets_the_oldest() -> None:
    asks = RecentAsks(window_s=120, max_users=2)
    assert asks.rephrased("a", Ask(1, 0.0, "温州人工智能局哪天挂牌")) is None
    assert asks.rephrased("b", Ask(2, 1.0, "温州人工智能局什么时候挂牌的")) is None   # another user
    assert asks.rephrased("a", Ask(3, 60.0, "温州的人工智能局是什么时候挂牌的")) == 1
    assert asks.rephrased("a", Ask(4, 300.0, "温州人工智能局哪天挂牌的呢")) is None   # too late
    asks.rephrased("c", Ask(5, 301.0, "杭州"))                                       # forgets b
    assert asks.rephrased("b", Ask(6, 302.0, "温州人工智能局挂牌时间")) is None


def test_rows_keep_the_cited_article_titles_and_reask_links(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"

    def calls(log: QueryLog) -> list[int]:
        return [
            ask(log, "温州的人工智能局是什么时候挂牌的？", user=1),
            ask(log, "温州人工智能局哪天挂牌？", user=1),
            ask(log, "温州人工智能局哪天挂牌？", user=2),
            ask(log, "火星有城市吗", user=3, found=False),
            log.record(None, question="出错", platform="cli", chat_type="private", chat_id=None, user_id=None,
                       error="boom"),
        ]

    first, reask, other_user, declined, error = write(db, calls)
    rows = {r["id"]: r for r in review.export_rows(db)}
    assert (rows[first]["article"], rows[first]["section"]) == ("文章1", "小节1")
    assert json.loads(rows[first]["refs"])[1] == {"passage_id": "p-2", "score": 3.24,
                                                  "source": "今日浙江 2025年第17期", "article": "文章2",
                                                  "section": "小节2", "page": 8}
    assert rows[reask]["rephrase_of"] == first
    assert rows[other_user]["rephrase_of"] is None
    assert rows[declined]["article"] is None and json.loads(rows[declined]["refs"])[0]["article"] == "文章1"
    assert rows[error]["article"] is None and rows[error]["rephrase_of"] is None


def test_followups_are_recorded_and_bad_ones_counted(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"

    def calls(log: QueryLog) -> list[int]:
        query_id = ask(log, "问题", user="me")
        log.record_followup(query_id, "more", user_id="me")
        log.record_followup(query_id, "passage")
        log.record_followup(query_id, "bogus")
        return [query_id, log.failures]

    query_id, failures = write(db, calls)
    assert failures == 1
    shown = review.show(db, query_id)
    assert [f["kind"] for f in shown["followups"]] == ["more", "passage"]


# --- migrations -------------------------------------------------------------------------------------

def old_log(path: Path) -> dict[str, int]:
    """A log as [querylog] and [answers-2] left it (schema 4): refs without titles, no links."""
    conn = sqlite3.connect(path, isolation_level=None)
    schema.migrate(conn, schema.MIGRATIONS[:4])
    ids = IdSource(writer=1)
    rows = {}
    base = NOW - timedelta(hours=1)
    for name, seconds, user, question, found, refs in [
        ("first", 0, "u1", "温州的人工智能局是什么时候挂牌的", 1, [{"passage_id": "known", "score": 3.2}]),
        ("reask", 40, "u1", "温州人工智能局哪天挂牌", 1, [{"passage_id": "gone", "score": 2.1}]),
        ("other", 50, "u2", "杭州的算力券有多少钱", 0, [{"passage_id": "known", "score": 1.0}]),
        ("late", 400, "u1", "温州人工智能局挂牌时间", 1, []),
    ]:
        moment = base + timedelta(seconds=seconds)
        rows[name] = ids.next(int(moment.timestamp() * 1000))
        conn.execute("INSERT INTO queries (id, ts, platform, chat_type, user_id, question, normalized, "
                     "found, answer, refs, top_score) "
                     "VALUES (?, ?, 'telegram', 'private', ?, ?, ?, ?, '答案。', ?, ?)",
                     (rows[name], utc_timestamp(moment), user, question, question, found, json.dumps(refs),
                      refs[0]["score"] if refs else None))
    conn.close()
    return rows


def test_old_logs_are_upgraded_with_titles_from_the_corpus_and_links(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    rows = old_log(db)
    lookup = {"known": {"source": "今日浙江", "article": "勇立潮头", "section": "强创新", "page": 8}}
    conn = sqlite3.connect(db, isolation_level=None)
    applied = schema.migrate(conn, citations=lambda: lookup)
    assert applied == [m.name for m in schema.MIGRATIONS[4:]]
    conn.row_factory = sqlite3.Row
    got = {r["id"]: r for r in conn.execute("SELECT * FROM queries")}
    assert (got[rows["first"]]["article"], got[rows["first"]]["section"]) == ("勇立潮头", "强创新")
    titled = [{"passage_id": "known", "score": 3.2, **lookup["known"]}]
    assert json.loads(got[rows["first"]]["refs"]) == titled
    assert got[rows["reask"]]["article"] is None                        # its passage is gone: left NULL
    assert json.loads(got[rows["reask"]]["refs"]) == [{"passage_id": "gone", "score": 2.1}]
    assert got[rows["other"]]["article"] is None                        # declined: cites nothing
    assert got[rows["reask"]]["rephrase_of"] == rows["first"]           # same user, 40 s, other words
    assert got[rows["late"]]["rephrase_of"] is None                     # too late
    assert got[rows["first"]]["group_key"] == "温州的人工智能局是什么时候挂牌的"
    assert tuple(conn.execute("PRAGMA user_version").fetchone()) == (schema.SCHEMA_VERSION,)
    assert schema.migrate(conn) == []
    conn.close()


def test_reading_an_old_log_upgrades_it_and_a_corpus_is_read_only_when_needed(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    rows = old_log(db)
    assert review.show(db, rows["first"])["question"] == "温州的人工智能局是什么时候挂牌的"  # upgrades it
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone() == (schema.SCHEMA_VERSION,)
    conn.close()
    asked = []
    schema.prepare(tmp_path / "new.sqlite3", citations=lambda: asked.append(1) or {})
    assert asked == []                                                   # an empty log needs no corpus


def test_indexes_answer_the_review_queries(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    schema.prepare(db)
    conn = sqlite3.connect(db)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"queries_group_key", "queries_ts_review", "queries_found_confidence", "queries_latency",
            "queries_rephrase_of", "followups_query"} <= names
    plan = " ".join(r[3] for r in conn.execute(
        "EXPLAIN QUERY PLAN SELECT count(*), sum(found = 1) FROM queries INDEXED BY queries_ts_review "
        "WHERE ts >= '2025' AND ts < '2026'"))
    assert "COVERING INDEX queries_ts_review" in plan
    conn.close()


# --- show ------------------------------------------------------------------------------------------

def test_show_returns_every_field_with_titles_feedback_followups_and_reasks(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"

    def calls(log: QueryLog) -> list[int]:
        first = ask(log, "温州的人工智能局是什么时候挂牌的？", user=1, reply_chars=42)
        second = ask(log, "温州人工智能局哪天挂牌？", user=1)
        log.record_feedback(first, user_id=1, value=-1)
        log.record_followup(first, "more", user_id=1)
        return [first, second]

    first, second = write(db, calls)
    item = review.show(db, first)
    assert set(QUERY_COLUMNS) < set(item) and {"feedback", "followups", "rephrased_by"} < set(item)
    assert item["found"] is True and item["reply_chars"] == 42 and item["confidence"] == 0.9
    assert [r["article"] for r in item["refs"]] == ["文章1", "文章2"]
    assert [f["value"] for f in item["feedback"]] == [-1]
    assert [r["id"] for r in item["rephrased_by"]] == [second]
    assert review.show(db, second)["rephrase_of"] == first
    assert review.show(db, 12345) is None


# --- suspect ---------------------------------------------------------------------------------------

def test_signals_order_the_answers_strongest_first() -> None:
    low = Evidence(confidence=0.55)
    more = Evidence(confidence=0.9, more_after_s=10.0)
    down = Evidence(confidence=0.9, down=1)
    reasked = Evidence(confidence=0.95, reasked=1)
    liked = Evidence(confidence=0.55, up=1)
    scores = [suspicion(e, e.confidence) for e in (reasked, down, more, low, liked)]
    assert scores == sorted(scores, reverse=True)
    assert reasons(down, 0.9) == ["👎 from 1 user", "confidence 0.90"]
    assert reasons(Evidence(top_score=3.0), 0.25)[0].startswith("no confidence logged; retrieval score 3")
    assert is_suspect(low) and is_suspect(more)
    assert not is_suspect(Evidence(confidence=0.9, passage_after_s=5))


def random_log(path: Path, seed: int, rows: int = 300, ties: bool = False) -> list[int]:
    """Rows with random confidences (some NULL; with `ties`, a few values shared by many answers, as
    on a large log), platforms, times, 👍/👎, follow-ups and re-asks."""
    rng = random.Random(seed)
    schema.prepare(path)
    ids = IdSource(writer=3)
    conn = sqlite3.connect(path)
    made = []
    for n in range(rows):
        moment = NOW - timedelta(minutes=rng.randrange(60 * 24 * 20))
        found = rng.random() < 0.8
        confidence = rng.choice((0.5, 0.6, 0.7)) if ties else rng.random()
        row = query_row(ids.next(), answer(f"问题{n}", found=found, confidence=confidence),
                        ts=utc_timestamp(moment), question=f"问题{n}", platform=rng.choice(review.PLATFORMS),
                        chat_type="private", chat_id="c", user_id=f"u{n}", reply_chars=1, error=None,
                        rephrase_of=rng.choice(made) if made and rng.random() < 0.05 else None)
        if rng.random() < 0.2:
            row["confidence"] = None
            row["top_score"] = rng.choice((2.5, 3.0, None)) if ties else rng.uniform(1, 10)
        conn.execute(f"INSERT INTO queries VALUES ({', '.join('?' * len(QUERY_COLUMNS))})",
                     [row[c] for c in QUERY_COLUMNS])
        made.append(row["id"])
        if rng.random() < 0.1:
            vote = (row["id"], "v", rng.choice((1, -1)), row["ts"])
            conn.execute("INSERT INTO feedback VALUES (?, ?, ?, ?)", vote)
        if rng.random() < 0.1:
            later = utc_timestamp(moment + timedelta(seconds=rng.choice((10, 500))))
            followup = (row["id"], rng.choice(("more", "passage")), "v", later)
            conn.execute("INSERT INTO followups VALUES (?, ?, ?, ?)", followup)
    conn.commit()
    conn.close()
    return made


def brute_force(db: Path, since: datetime | None, platform: str | None, limit: int) -> list[int]:
    """Every answered row scored in Python from the raw tables: what `suspect` must agree with."""
    conn = review.open_log(db)
    evidence = {query_id: item for query_id, (_, item) in log_reference.evidence(
        conn, None if since is None else utc_timestamp(since), platform).items()}
    low, high = review._score_range(conn, since, platform)
    conn.close()
    return [query_id for query_id, _, _ in rank(evidence.items(), low, high, limit)]


@pytest.mark.parametrize(("seed", "ties"), [(1, False), (2, False), (3, False), (4, True), (5, True)])
@pytest.mark.parametrize(("since", "platform", "limit"), [
    (None, None, 5), (None, None, 40), (timedelta(days=7), None, 10), (None, "wecom", 15),
    (timedelta(days=3), "cli", 3),
])
def test_suspect_equals_scoring_every_answer(tmp_path: Path, seed: int, ties: bool, since: timedelta | None,
                                             platform: str | None, limit: int) -> None:
    """Also when many answers share a confidence (or score): the newest of them rank first."""
    db = tmp_path / "log.sqlite3"
    random_log(db, seed, ties=ties)
    moment = None if since is None else NOW - since
    got = [item["id"] for item in review.suspect(db, since=moment, platform=platform, limit=limit)]
    assert got == brute_force(db, moment, platform, limit)


def test_suspect_lists_answers_only_with_why_and_citation(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    random_log(db, 7)
    items = review.suspect(db, limit=None)
    conn = sqlite3.connect(db)
    assert len(items) == conn.execute("SELECT count(*) FROM queries WHERE found = 1").fetchone()[0]
    conn.close()
    assert all(item["why"] and item["article"] == "文章1" and item["section"] == "小节1" for item in items)
    assert all(0 <= item["confidence"] <= 1 for item in items)
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)


@pytest.mark.parametrize("seed", [4, 5])
def test_stats_suspect_share_and_histogram_agree_with_the_python_rules(tmp_path: Path, seed: int) -> None:
    db = tmp_path / "log.sqlite3"
    random_log(db, seed)
    result = review.stats(db)
    conn = review.open_log(db)
    # every day with questions has a share (0 on a day with none answered)
    answered: dict[str, list[int]] = {ts[:10]: [0, 0] for (ts,) in conn.execute("SELECT ts FROM queries")}
    histogram = [0] * 10
    for ts, evidence in log_reference.evidence(conn).values():
        day = answered.setdefault(ts[:10], [0, 0])
        day[0] += 1
        day[1] += is_suspect(evidence)
        if evidence.confidence is not None:
            histogram[min(int(evidence.confidence * 10), 9)] += 1
    conn.close()
    shares = {day: round(s / n, 4) if n else 0.0 for day, (n, s) in sorted(answered.items())}
    assert result["suspect_by_day"] == shares
    assert list(result["confidence_histogram"].values()) == histogram
    assert sum(result["by_day"].values()) == result["total"] == 300


def test_purge_removes_followups_too(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    random_log(db, 9)
    review.purge(db, older_than=timedelta(days=0))
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM followups").fetchone() == (0,)
    conn.close()
