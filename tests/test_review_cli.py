"""[review] on the command line: `logs suspect`, `logs show`, the article and footer in `recent`/`top`,
`--wide`, the confidence histogram in `stats`, and help texts that point only to what users have."""
from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_review_log import answer

from bot.cli import cli
from bot.engine import Answer
from bot.querylog import QueryLog
from bot.querylog.render import display_width

LONG_ANSWER = "截至2025年7月，浙江共有44款人工智能大模型通过国家网信办备案，数量居全国第四。" * 3


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["logs", *args], catch_exceptions=False)


@pytest.fixture()
def db(tmp_path: Path) -> tuple[Path, list[int]]:
    path = tmp_path / "zhewen.sqlite3"

    async def write() -> list[int]:
        async with QueryLog(path, salt="s") as log:
            def ask(given: Answer, platform: str, user: int) -> int:
                return log.record(given, question=given.question, platform=platform, chat_type="private",
                                  chat_id=user, user_id=user)

            long = replace(answer("浙江有多少款大模型通过备案？", confidence=0.95), answer=LONG_ANSWER)
            ids = [ask(long, "telegram", 1),
                   ask(answer("浙江通过网信办备案的大模型有几款", confidence=0.9), "telegram", 1),
                   ask(answer("杭州的算力券有多少钱", confidence=0.6), "wecom", 2),
                   ask(answer("火星有城市吗", found=False), "cli", 3)]
            log.record_feedback(ids[2], user_id=2, value=-1)
            log.record_followup(ids[2], "more", user_id=2)
            return ids

    return path, asyncio.run(write())


def test_suspect_table_shows_question_answer_citation_and_why(db: tuple[Path, list[int]]) -> None:
    path, ids = db
    result = run("suspect", "--db", str(path))
    assert result.exit_code == 0, result.output
    blocks = result.output.split("\n\n")
    assert blocks[0].startswith(f"1. id {ids[2]}")            # 👎, 更多 right after and low confidence
    assert "why:      👎 from 1 user; 更多 asked 0 s after the answer; low confidence 0.60" in blocks[0]
    assert "cited:    文章1 › 小节1" in blocks[0] and "answer:   答案。" in blocks[0]
    assert blocks[1].startswith(f"2. id {ids[0]}")            # re-asked in other words
    assert "why:      asked again in other words 0 s later: 浙江通过网信办备案的大模型有几款" in blocks[1]
    assert "火星有城市吗" not in result.output                  # declines are for `logs unanswered`
    assert result.output.rstrip().endswith("3 answers, most suspect first. One in full: zhewen logs show ID.")


def test_suspect_json_keys_and_empty_log(db: tuple[Path, list[int]], tmp_path: Path) -> None:
    path, ids = db
    items = json.loads(run("suspect", "--db", str(path), "--json", "--limit", "2").output)
    assert [i["id"] for i in items] == [ids[2], ids[0]]
    assert list(items[0])[:7] == ["id", "ts", "question", "answer", "article", "confidence", "why"]
    assert run("suspect", "--db", str(path), "--platform", "cli").output == "No answers match.\n"


def test_show_in_full_and_as_json(db: tuple[Path, list[int]]) -> None:
    path, ids = db
    lines = run("show", str(ids[2]), "--db", str(path)).output.splitlines()
    fields = {line[:11].strip(): line[13:] for line in lines if not line.startswith(" ")}
    assert fields["question"] == "杭州的算力券有多少钱" and fields["found"] == "yes"
    assert (fields["cited"], fields["confidence"]) == ("文章1 › 小节1", "0.60")
    assert fields["feedback"] == "👍 0  👎 1"
    assert fields["follow-ups"].startswith("更多 at ") and fields["platform"] == "wecom (private)"
    assert lines[-2:] == ["  1. 《今日浙江 2025年第17期》第8页，文章1 › 小节1  [passage p-1, score 3.24]",
                          "  2. 《今日浙江 2025年第17期》第8页，文章2 › 小节2  [passage p-2, score 3.24]"]
    item = json.loads(run("show", str(ids[0]), "--db", str(path), "--json").output)
    assert item["id"] == ids[0] and item["normalized"] == "浙江有多少款大模型通过备案"
    assert item["refs"][0] == {"passage_id": "p-1", "score": 3.24, "source": "今日浙江 2025年第17期",
                               "article": "文章1", "section": "小节1", "page": 8}
    assert [r["id"] for r in item["rephrased_by"]] == [ids[1]]


def test_show_of_a_missing_id_is_one_line(db: tuple[Path, list[int]]) -> None:
    path, _ = db
    result = run("show", "42", "--db", str(path))
    assert (result.exit_code, result.output) == (1, "Error: no question with id 42 in the log\n")


def test_recent_shows_the_article_cuts_the_answer_unless_wide_and_says_how_many(
        db: tuple[Path, list[int]]) -> None:
    path, ids = db
    narrow = run("recent", "--db", str(path))
    lines = narrow.output.splitlines()
    header = ["time", "(UTC)", "platform", "found", "conf", "question", "answer", "article", "id"]
    assert lines[0].split() == header and lines[-1] == "4 questions, newest first."
    assert LONG_ANSWER not in narrow.output and "…" in narrow.output and "文章1" in narrow.output
    assert max(display_width(line) for line in lines) <= 140
    wide = run("recent", "--db", str(path), "--wide")
    assert LONG_ANSWER in wide.output and str(ids[0]) in wide.output
    assert run("recent", "--db", str(path), "--limit", "2").output.splitlines()[-1] == (
        "Showing 2 of 4 questions, newest first. See more with --limit 4, "
        "or narrow with --since / --platform.")


def test_top_shows_the_article_and_the_number_of_distinct_questions(db: tuple[Path, list[int]]) -> None:
    path, _ = db
    result = run("top", "--db", str(path), "--limit", "1")
    assert result.output.splitlines()[0].split() == ["count", "found", "question", "article"]
    assert result.output.splitlines()[-1].startswith("Showing 1 of 4 distinct questions, most asked first.")


def test_stats_shows_the_confidence_histogram_and_suspect_share(db: tuple[Path, list[int]]) -> None:
    path, _ = db
    text = run("stats", "--db", str(path)).output
    assert "suspect answers" in text and "confidence  answers" in text and "0.9-1.0" in text and "█" in text
    figures = json.loads(run("stats", "--db", str(path), "--json").output)
    histogram = figures["confidence_histogram"]
    assert histogram["0.6-0.7"] == 1 and sum(histogram.values()) == 3
    assert list(figures["suspect_by_day"].values()) == [round(2 / 3, 4)]  # the re-asked one and the 👎 one


LOGS = ("recent", "unanswered", "top", "stats", "export", "purge", "suspect", "show")
HELP = [["logs"], *[["logs", c] for c in LOGS], ["ask"], ["chat"], []]


@pytest.mark.parametrize("command", HELP, ids=lambda c: " ".join(c) or "zhewen")
def test_help_points_only_to_what_users_have(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "design" not in result.output.lower()
