"""deploy/datasette/metadata.yml parses and each canned query runs on a real log (Datasette not needed)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml
from test_querylog_review import seed_log

METADATA = Path(__file__).resolve().parents[1] / "deploy" / "datasette" / "metadata.yml"


def canned_queries() -> dict[str, dict]:
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    return metadata["databases"]["zhewen"]["queries"]


def test_metadata_names_the_default_database_and_the_canned_queries() -> None:
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    assert set(metadata["databases"]) == {"zhewen"}  # Datasette names data/zhewen.sqlite3 "zhewen"
    assert set(canned_queries()) == {"unanswered_this_week", "thumbs_down", "daily_volume", "suspect_answers"}
    assert all(q["title"] and q["sql"] for q in canned_queries().values())


@pytest.fixture()
def log_conn(tmp_path: Path) -> sqlite3.Connection:
    path = tmp_path / "zhewen.sqlite3"
    seed_log(path)
    conn = sqlite3.connect(path)
    yield conn
    conn.close()


def run(conn: sqlite3.Connection, name: str) -> list[tuple]:
    return conn.execute(canned_queries()[name]["sql"]).fetchall()


def test_unanswered_this_week(log_conn: sqlite3.Connection) -> None:
    rows = run(log_conn, "unanswered_this_week")
    assert [(q, n) for q, n, _ in rows] == [("火星上有几个城市？", 2), ("月球的人口是多少", 1)]


def test_thumbs_down_with_the_answer_given(log_conn: sqlite3.Connection) -> None:
    rows = run(log_conn, "thumbs_down")
    assert {row[3] for row in rows} == {"火星上有几个城市？", "很久以前的问题"}
    assert {row[4] for row in rows} == {"", "答案。"}


def test_daily_volume_per_platform(log_conn: sqlite3.Connection) -> None:
    rows = run(log_conn, "daily_volume")
    assert sum(row[2] for row in rows) == 8
    assert {row[1] for row in rows} == {"telegram", "wecom", "cli"}
    assert all(len(row[0]) == 10 for row in rows)


def test_described_columns_exist(log_conn: sqlite3.Connection) -> None:
    tables = yaml.safe_load(METADATA.read_text(encoding="utf-8"))["databases"]["zhewen"]["tables"]
    for name in ("queries", "feedback", "followups"):
        actual = [r[1] for r in log_conn.execute(f"PRAGMA table_info({name})")]
        assert list(tables[name]["columns"]) == actual
