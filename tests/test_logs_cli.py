"""`zhewen logs` through click's runner on a real seeded log: JSON objects, tables, export, errors."""
from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_querylog_review import NOW, seed_log

from bot.cli import cli
from bot.querylog import QueryLog
from bot.querylog.render import display_width
from bot.querylog.rows import QUERY_COLUMNS, utc_timestamp


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "zhewen.sqlite3"
    seed_log(path)
    return path


COMMANDS = ["recent", "unanswered", "top", "stats", "export", "purge", "suspect", "show"]


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["logs", *args], env=env, catch_exceptions=False)


def run_json(*args: str) -> object:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_recent_json_objects(db: Path) -> None:
    items = run_json("recent", "--db", str(db), "--limit", "2")
    assert [list(i) for i in items] == [["id", "ts", "platform", "chat_type", "question", "found", "answer",
                                         "article", "confidence", "latency_ms"]] * 2
    assert items[1] == {"id": items[1]["id"], "ts": utc_timestamp(NOW - timedelta(hours=1)),
                        "platform": "telegram", "chat_type": "private",
                        "question": "浙江有多少款大模型通过备案？", "found": True, "answer": "答案。",
                        "article": "标题", "confidence": 0.0, "latency_ms": 2.0}


def test_unanswered_json_answers_the_weekly_question(db: Path) -> None:
    assert run_json("unanswered", "--db", str(db), "--since", "7d") == [
        {"question": "火星上有几个城市？", "count": 2, "last_ts": utc_timestamp(NOW - timedelta(hours=3))},
        {"question": "月球的人口是多少", "count": 1, "last_ts": utc_timestamp(NOW - timedelta(days=3))},
    ]


def test_top_and_stats_json(db: Path) -> None:
    top = run_json("top", "--db", str(db), "--platform", "wecom")
    assert top[0] == {"question": "浙江有多少款大模型通过備案?", "count": 1, "found_rate": 1.0,
                      "article": "标题"}
    stats = run_json("stats", "--db", str(db), "--since", "24h")
    assert set(stats) == {"total", "found_rate", "by_platform", "by_day", "latency_ms_p50", "latency_ms_p95",
                          "feedback", "dropped", "confidence_histogram", "suspect_by_day"}
    assert stats["total"] == 4 and stats["by_platform"] == {"telegram": 3, "wecom": 1}


@pytest.mark.parametrize(("args", "expected"), [
    ((), 8), (("--since", "24h"), 4), (("--since", "7d", "--platform", "telegram"), 3),
    (("--platform", "cli"), 1), (("--limit", "5"), 5), (("--since", "2000-01-01"), 8),
])
def test_filters_on_recent(db: Path, args: tuple[str, ...], expected: int) -> None:
    assert len(run_json("recent", "--db", str(db), "--limit", "100", *args)) == expected


def test_database_from_zhewen_db(db: Path) -> None:
    result = run("stats", "--json", env={"ZHEWEN_DB": str(db)})
    assert result.exit_code == 0 and json.loads(result.output)["total"] == 8


def test_recent_table_aligns_wide_characters_and_truncates(tmp_path: Path) -> None:
    db = tmp_path / "zhewen.sqlite3"
    long_question = "请问" + "浙江省人工智能大模型备案" * 10

    async def write() -> None:
        async with QueryLog(db, salt="s") as log:
            log.record(None, question=long_question, platform="telegram", chat_type="private", chat_id=1,
                       user_id=1)
            log.record(None, question="short question", platform="wecom", chat_type="group", chat_id=1,
                       user_id=1)

    asyncio.run(write())
    result = run("recent", "--db", str(db))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    header, rule, *rows, footer = lines
    assert footer == "2 questions, newest first."
    question_col = display_width(header[:header.index("question")])
    for row in rows:
        chars, width = 0, 0
        while width < question_col:
            width += display_width(row[chars])
            chars += 1
        assert width == question_col, f"Expected the question column at cell {question_col} in {row!r}"
    assert "…" in result.output and long_question not in result.output
    assert max(display_width(line) for line in lines) <= 140


def test_empty_result_says_so(db: Path) -> None:
    result = run("unanswered", "--db", str(db), "--platform", "cli", "--since", "1h")
    assert (result.exit_code, result.output) == (0, "No questions match.\n")


def log_questions(db: Path, questions: list[str]) -> None:
    """Questions logged as the terminal logs them, in order."""
    async def write() -> None:
        async with QueryLog(db, salt="s") as log:
            for q in questions:
                log.record(None, question=q, platform="cli", chat_type="private", chat_id=None, user_id=None)

    asyncio.run(write())


def test_csv_export_round_trips_awkward_questions(tmp_path: Path) -> None:
    db = tmp_path / "zhewen.sqlite3"
    questions = ['逗号,引号"和\n换行', "'单引号', \"双\"\r\n", "普通问题", "tab\there"]
    log_questions(db, questions)
    out = tmp_path / "out.csv"
    result = run("export", "--db", str(db), "--format", "csv", "-o", str(out))
    assert result.exit_code == 0
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(QUERY_COLUMNS)
    assert [r[QUERY_COLUMNS.index("question")] for r in rows[1:]] == questions

    stdout = run("export", "--db", str(db)).stdout_bytes.decode()  # .output would fold \r\n
    assert list(csv.reader(io.StringIO(stdout, newline=""))) == rows


def test_csv_export_keeps_formulas_from_running_unless_raw(tmp_path: Path) -> None:
    db = tmp_path / "zhewen.sqlite3"
    questions = ['=HYPERLINK("http://x","点我")', "+1+2", "-3", "@SUM(A1)", "浙江有多少款大模型？", "1-2"]
    log_questions(db, questions)

    def exported(*flags: str) -> list[str]:
        stdout = run("export", "--db", str(db), *flags).stdout_bytes.decode()
        rows = list(csv.reader(io.StringIO(stdout, newline="")))
        assert rows[0] == list(QUERY_COLUMNS)
        return [r[QUERY_COLUMNS.index("question")] for r in rows[1:]]

    safe = ["'" + q for q in questions[:4]] + questions[4:]
    assert exported() == safe                      # the default opens safely in Excel or WPS
    assert exported("--excel-safe") == safe        # the old flag still works
    assert exported("--raw") == questions          # exactly as logged


def test_jsonl_export_with_filters(db: Path) -> None:
    result = run("export", "--db", str(db), "--format", "jsonl", "--platform", "wecom")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 3 and all(list(r) == list(QUERY_COLUMNS) for r in rows)
    assert rows[0]["question"] == "很久以前的问题" and rows[0]["found"] is True
    assert rows[0]["refs"] == [{"passage_id": "p-6", "score": 9.5, "source": "今日浙江 2025年第17期",
                                "article": "标题", "section": "", "page": 8}]
    assert len(run("export", "--db", str(db), "--format", "jsonl", "--limit", "2").output.splitlines()) == 2


def test_purge(db: Path) -> None:
    result = run("purge", "--db", str(db), "--older-than", "180d")
    assert (result.exit_code, result.output) == (0, "Deleted 1 question(s) older than 180d.\n")
    assert run_json("stats", "--db", str(db))["total"] == 7


@pytest.mark.parametrize(("args", "message"), [
    (("recent", "--since", "yesterday"), "Error: Invalid value for '--since': expected 7d, 24h or a date"),
    (("recent", "--platform", "qq"), "Error: Invalid value for '--platform': 'qq' is not one of"),
    (("top", "--limit", "0"), "Error: Invalid value for '--limit': 0 is not in the range"),
    (("stats", "--bogus"), "Error: No such option '--bogus'"),
    (("export", "--format", "xml"), "Error: Invalid value for '--format'"),
    (("purge",), "Error: Missing option '--older-than'"),
    (("purge", "--older-than", "soon"), "Error: Invalid value for '--older-than'"),
    (("nonsense",), "Error: No such command 'nonsense'"),
    (("show",), "Error: Missing argument 'ID'"),
    (("show", "abc"), "Error: Invalid value for 'ID'"),
    (("show", "-5"), "Error: No such option '-5'"),
    (("suspect", "--limit", "0"), "Error: Invalid value for '--limit'"),
])
def test_bad_usage_is_one_line(db: Path, args: tuple[str, ...], message: str) -> None:
    result = run(*args, "--db", str(db)) if args[0] != "nonsense" else run(*args)
    assert result.exit_code == 2
    assert result.output.startswith(message), result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_database_is_one_line_and_not_created(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "data" / "zhewen.sqlite3"
    extra = {"purge": ["--older-than", "1d"], "show": ["1"]}.get(command, [])
    result = run(command, "--db", str(missing), *extra)
    assert result.exit_code == 1
    assert result.output == f"Error: no query log at {missing} (set ZHEWEN_DB or pass --db)\n"
    assert not missing.parent.exists()


def test_foreign_file_and_bad_settings_are_one_line(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    result = run("recent", "--db", str(other))
    assert result.exit_code == 1 and result.output.startswith("Error: ") and result.output.count("\n") == 1
    result = run("stats", env={"ZHEWEN_ADMINS": "qq:1"})
    assert result.exit_code == 1 and result.output.startswith("Error: ZHEWEN_ADMINS")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_an_example(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0 and f"Example:\n    zhewen logs {command}" in result.output
