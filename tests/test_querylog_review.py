"""Review queries on a real log file seeded with known timestamps: every filter, grouping, figures."""
from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.engine import Answer, Reference
from bot.querylog import review, schema
from bot.querylog.ids import IdSource
from bot.querylog.rows import QUERY_COLUMNS, query_row, utc_timestamp

NOW = datetime.now(UTC).replace(microsecond=0)

# (age, platform, question, normalized, found, latency_ms)
SEED = [
    (timedelta(hours=1), "telegram", "浙江有多少款大模型通过备案？", "浙江有多少款大模型通过备案", True, 2.0),
    (timedelta(hours=2), "wecom", "浙江有多少款大模型通过備案?", "浙江有多少款大模型通过备案", True, 4.0),
    (timedelta(hours=3), "telegram", "火星上有几个城市？", "火星上有几个城市", False, 1.0),
    (timedelta(hours=30), "wecom", "火星上有几个城市", "火星上有几个城市", False, 3.0),
    (timedelta(days=3), "cli", "月球的人口是多少", "月球的人口是多少", False, 5.0),
    (timedelta(days=10), "telegram", "火星上有几个城市？？", "火星上有几个城市", False, 6.0),
    (timedelta(days=200), "wecom", "很久以前的问题", "很久以前的问题", True, 7.0),
]


def seed_log(path: Path, now: datetime = NOW) -> list[int]:
    """A log file with SEED rows (oldest last in SEED), plus 👍 on the first and 👎 on the third."""
    schema.prepare(path)
    ids = IdSource()
    rows = []
    for age, platform, question, normalized, found, latency in SEED:
        ref = Reference(1, "今日浙江 2025年第17期", "标题", "", 8, f"p-{len(rows)}", 9.5, "…")
        answer = Answer(question=question, found=found, answer="答案。" if found else "", references=(ref,),
                        reply="回复", latency_ms=latency, normalized=normalized)
        rows.append(query_row(ids.next(), answer, ts=utc_timestamp(now - age), question=question,
                              platform=platform, chat_type="private", chat_id="c", user_id="u",
                              reply_chars=10, error=None))
    rows.append(query_row(ids.next(), None, ts=utc_timestamp(now - timedelta(minutes=5)), question="引擎出错",
                          platform="telegram", chat_type="group", chat_id="c", user_id="u", reply_chars=0,
                          error="RuntimeError: boom"))
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(f"INSERT INTO queries VALUES ({', '.join('?' * len(QUERY_COLUMNS))})",
                         [[r[c] for c in QUERY_COLUMNS] for r in rows])
        conn.executemany("INSERT INTO feedback VALUES (?, ?, ?, ?)",
                         [(rows[0]["id"], "u1", 1, utc_timestamp(now)),
                          (rows[2]["id"], "u1", -1, utc_timestamp(now)),
                          (rows[6]["id"], "u2", -1, utc_timestamp(now))])
    conn.close()
    return [r["id"] for r in rows]


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "zhewen.sqlite3"
    seed_log(path)
    return path


def test_recent_is_newest_first_with_design_keys(db: Path) -> None:
    items = review.recent(db, limit=3)
    assert [i["question"] for i in items] == ["引擎出错", "浙江有多少款大模型通过备案？",
                                              "浙江有多少款大模型通过備案?"]
    assert list(items[0]) == ["id", "ts", "platform", "chat_type", "question", "found", "answer", "article",
                              "confidence", "latency_ms"]
    assert items[0]["found"] is None and items[1]["found"] is True
    # The cited article is stored with each answered question (none for an error or a decline).
    assert (items[0]["article"], items[1]["article"]) == (None, "标题")
    # The engine's confidence is stored with each answered question, none for an engine error.
    assert items[0]["confidence"] is None and 0 <= items[1]["confidence"] <= 1


@pytest.mark.parametrize(("since", "platform", "expected"), [
    (None, None, 8),
    (timedelta(hours=24), None, 4),
    (timedelta(days=7), None, 6),
    (timedelta(days=7), "wecom", 2),
    (None, "telegram", 4),
    (None, "cli", 1),
])
def test_recent_filters(db: Path, since: timedelta | None, platform: str | None, expected: int) -> None:
    items = review.recent(db, since=None if since is None else NOW - since, platform=platform, limit=None)
    assert len(items) == expected, f"Expected {expected} rows, got {len(items)}"
    assert all(platform in (None, i["platform"]) for i in items)


def test_unanswered_groups_by_normalised_text(db: Path) -> None:
    assert review.unanswered(db) == [
        {"question": "火星上有几个城市？", "count": 3, "last_ts": utc_timestamp(NOW - timedelta(hours=3))},
        {"question": "月球的人口是多少", "count": 1, "last_ts": utc_timestamp(NOW - timedelta(days=3))},
    ]
    week = review.unanswered(db, since=NOW - timedelta(days=7), platform="wecom")
    assert week == [{"question": "火星上有几个城市", "count": 1,
                     "last_ts": utc_timestamp(NOW - timedelta(hours=30))}]
    assert len(review.unanswered(db, limit=1)) == 1


def test_top_counts_and_found_rate(db: Path) -> None:
    items = review.top(db, since=NOW - timedelta(days=30))
    assert items[0] == {"question": "火星上有几个城市？", "count": 3, "found_rate": 0.0, "article": None}
    assert items[1] == {"question": "浙江有多少款大模型通过备案？", "count": 2, "found_rate": 1.0,
                        "article": "标题"}
    assert {i["question"] for i in items} == {"火星上有几个城市？", "浙江有多少款大模型通过备案？",
                                              "月球的人口是多少", "引擎出错"}
    assert review.top(db, platform="cli") == [{"question": "月球的人口是多少", "count": 1, "found_rate": 0.0,
                                               "article": None}]
    assert review.top_with_total(db, limit=1)[1] == 5


def test_stats_figures(db: Path) -> None:
    result = review.stats(db)
    assert list(result) == ["total", "found_rate", "by_platform", "by_day", "latency_ms_p50",
                            "latency_ms_p95", "feedback", "dropped", "confidence_histogram", "suspect_by_day"]
    assert result["dropped"] == 0
    assert result["total"] == 8 and result["found_rate"] == 0.375
    assert result["by_platform"] == {"cli": 1, "telegram": 4, "wecom": 3}
    assert sum(result["by_day"].values()) == 8 and list(result["by_day"]) == sorted(result["by_day"])
    assert (result["latency_ms_p50"], result["latency_ms_p95"]) == (4.0, 7.0)
    assert result["feedback"] == {"up": 1, "down": 2}
    week = review.stats(db, since=NOW - timedelta(days=7), platform="telegram")
    assert week["total"] == 3 and week["feedback"] == {"up": 1, "down": 1}
    assert len(review.stats(db, limit=1)["by_day"]) == 1
    assert list(review.stats(db, limit=1)["suspect_by_day"]) == list(review.stats(db, limit=1)["by_day"])


def test_stats_of_an_empty_log(tmp_path: Path) -> None:
    schema.prepare(tmp_path / "empty.sqlite3")
    assert review.stats(tmp_path / "empty.sqlite3") == {
        "total": 0, "found_rate": 0.0, "by_platform": {}, "by_day": {}, "latency_ms_p50": None,
        "latency_ms_p95": None, "feedback": {"up": 0, "down": 0}, "dropped": 0,
        "confidence_histogram": {f"{b / 10:.1f}-{(b + 1) / 10:.1f}": 0 for b in range(10)},
        "suspect_by_day": {}}


def test_export_rows_have_every_column_oldest_first(db: Path) -> None:
    rows = list(review.export_rows(db))
    assert [list(r) for r in rows] == [list(QUERY_COLUMNS)] * 8
    assert rows[0]["question"] == "很久以前的问题"
    assert len(list(review.export_rows(db, since=NOW - timedelta(hours=24), platform="wecom"))) == 1


def test_purge_deletes_old_questions_and_their_feedback(db: Path) -> None:
    assert review.purge(db, older_than=timedelta(days=180)) == 1
    assert review.stats(db)["total"] == 7
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM feedback").fetchone() == (2,)
    conn.close()
    assert review.purge(db, older_than=timedelta(days=180)) == 0


def test_connection_can_be_passed_in(db: Path) -> None:
    conn = review.open_log(db)
    assert review.stats(conn)["total"] == 8
    assert review.recent(conn, limit=1)[0]["question"] == "引擎出错"
    conn.close()


def test_open_log_never_creates_a_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "zhewen.sqlite3"
    with pytest.raises(review.ReviewError, match="no query log at"):
        review.stats(missing)
    assert not missing.parent.exists()


def test_open_log_refuses_foreign_files(tmp_path: Path) -> None:
    text = tmp_path / "notes.sqlite3"
    text.write_text("hello")
    with pytest.raises(review.ReviewError, match="as a SQLite database: file is not a database"):
        review.open_log(text)
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(review.ReviewError, match="not a zhewen query log"):
        review.open_log(other)


@pytest.mark.parametrize(("text", "expected"), [
    ("7d", NOW - timedelta(days=7)),
    ("24h", NOW - timedelta(hours=24)),
    ("30m", NOW - timedelta(minutes=30)),
    ("2w", NOW - timedelta(weeks=2)),
    ("2025-09-01", datetime(2025, 9, 1, tzinfo=UTC)),
    ("2025-09-01T08:30", datetime(2025, 9, 1, 8, 30, tzinfo=UTC)),
    ("2025-09-01T08:30+08:00", datetime(2025, 9, 1, 0, 30, tzinfo=UTC)),
])
def test_parse_since(text: str, expected: datetime) -> None:
    assert review.parse_since(text, now=NOW) == expected


@pytest.mark.parametrize("text", ["", "7", "d7", "-3d", "yesterday", "2025-13-01"])
def test_parse_since_rejects(text: str) -> None:
    with pytest.raises(review.ReviewError):
        review.parse_since(text, now=NOW)


def test_percentile_nearest_rank() -> None:
    assert review.percentile([], 50) is None
    assert review.percentile([3.0], 95) == 3.0
    values = [float(v) for v in range(1, 101)]
    assert (review.percentile(values, 50), review.percentile(values, 95)) == (50.0, 95.0)
