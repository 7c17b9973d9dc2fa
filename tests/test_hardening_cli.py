"""Bad input end to end through the terminal: `zhewen ask`, `zhewen ask --json --batch -`, `zhewen chat`.

Each hostile line gets a polite reply (or found=false), never a traceback; output is always valid
UTF-8, one JSON object per input line; and with --log each question lands in the query log exactly
as it was sent, which `zhewen logs export --format csv` gives back.
"""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import texts
from bot.querylog import review

# Questions users paste, one per line (the batch format cannot carry a newline inside a question).
BAD_INPUTS: dict[str, str] = {
    "empty": "",
    "whitespace": " \t\u3000 ",
    "punctuation": "？？？！！。，、…—",
    "emoji": "😀🎉👍🏽👨‍👩‍👧🇨🇳",
    "zero-width": "\u200b\u200c\u200d\u2060\ufeff",
    "control": "\x01\x02\x1b[31m\x7f\x08",
    "sql": "'; DROP TABLE queries; -- SELECT * FROM feedback WHERE 1=1",
    "html": "<script>alert('x')</script><b>&amp;&lt;</b>",
    "full-width": "ＳＥＬＥＣＴ　ｈｅｌｌｏ　ＡＩ？",
    "english": "hi there, how are you doing today?",
    "right-to-left": "\u202eمرحبا بالعالم שלום",
    "csv-breaker": 'a,"b",c\r\x0bd',
    "nul": "浙江\x00大模型",
    "hundred-thousand": "浙江有多少款大模型？" * 10_000,
}
# Junk that must never be answered as if the documents said something about it.
JUNK = ("empty", "whitespace", "punctuation", "emoji", "zero-width", "control", "sql", "full-width",
        "english", "right-to-left")
INVALID_UTF8 = [b"\xff\xfe\xfd", b"\xe6\xb5", b"\xc3(abc", b"\xed\xa0\x80surrogate", b"\xc0\xaf\xf8\x88"]


def zhewen(*args: str | bytes, stdin: bytes = b"", env: dict[str, str] | None = None,
           cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    environ = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
                          cwd=cwd, env=environ, timeout=180)


def clean_exit(out: subprocess.CompletedProcess[bytes]) -> str:
    """The process exited 0 without a traceback; its output is valid UTF-8 (strict)."""
    stderr = out.stderr.decode("utf-8", "replace")
    assert out.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    return out.stdout.decode("utf-8")


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[dict], Path]:
    """Every bad input plus invalid UTF-8, through one `zhewen ask --json --batch - --log`."""
    tmp = tmp_path_factory.mktemp("cli")
    db = tmp / "log.sqlite3"
    lines = [q.encode("utf-8") for q in BAD_INPUTS.values()] + INVALID_UTF8
    out = zhewen("ask", "--json", "--batch", "-", "--log", stdin=b"\n".join(lines) + b"\n",
                 env={"ZHEWEN_DB": str(db)}, cwd=tmp)
    objects = [json.loads(line) for line in clean_exit(out).splitlines()]
    sent = [raw.decode("utf-8", "replace") for raw in lines]
    return sent, objects, db


def test_batch_answers_every_line_in_order(batch: tuple[list[str], list[dict], Path]) -> None:
    sent, objects, _ = batch
    assert [o["question"] for o in objects] == sent
    for name, obj in zip([*BAD_INPUTS, *(f"invalid-{i}" for i in range(len(INVALID_UTF8)))], objects,
                         strict=True):
        assert obj["reply"].strip(), name
        assert obj["found"] == bool(obj["answer"]), name
        if name in JUNK or name.startswith("invalid"):
            assert obj["found"] is False, (name, obj["answer"])
            assert obj["reply"] in (texts.ASK_PROMPT,) or obj["reply"].startswith(texts.NOT_FOUND), name


def test_batch_questions_are_logged_as_sent_and_round_trip_through_csv(
        batch: tuple[list[str], list[dict], Path]) -> None:
    sent, objects, db = batch
    out = zhewen("logs", "export", "--format", "csv", env={"ZHEWEN_DB": str(db)}, cwd=db.parent)
    csv.field_size_limit(1_000_000)
    rows = list(csv.DictReader(io.StringIO(clean_exit(out), newline="")))
    assert [r["question"] for r in rows] == sent
    assert {r["platform"] for r in rows} == {"cli"}
    assert [r["found"] for r in rows] == [str(int(o["found"])) for o in objects]


def test_chat_replies_to_every_line_and_exits_at_end_of_input(tmp_path: Path) -> None:
    lines = [q.encode("utf-8") for q in BAD_INPUTS.values()] + INVALID_UTF8
    out = zhewen("chat", stdin=b"\n".join(lines) + b"\n", cwd=tmp_path,
                 env={"ZHEWEN_DB": str(tmp_path / "log.sqlite3")})
    text = clean_exit(out)
    replies = [block for block in text.split("\n\n") if block.strip()]
    asked = [line for line in lines if line.decode("utf-8", "replace").strip()]
    prompts = text.count(texts.ASK_PROMPT)
    not_found = text.count(texts.NOT_FOUND)
    answered = text.count(texts.SOURCE_LABEL)
    assert prompts + not_found + answered == len(asked), replies
    logged = list(review.export_rows(tmp_path / "log.sqlite3"))   # chat logs as platform cli unless --no-log
    assert len(logged) == len(asked) and {r["platform"] for r in logged} == {"cli"}


ARGUMENTS = {"invalid-utf8": b"\xff\xfe\xe6\xb5\x99\xe6\xb1\x9f",
             "rtl-html-sql": "\u202e<b>'; DROP TABLE x;--".encode(), "100k-ascii": b"a " * 50_000}


@pytest.mark.parametrize(("json_flag", "argument"), [
    pytest.param(json_flag, argument, id=f"{'json' if json_flag else 'plain'}-{name}")
    for json_flag in (False, True) for name, argument in ARGUMENTS.items()
])
def test_ask_argument_never_breaks_the_output(tmp_path: Path, json_flag: bool, argument: bytes) -> None:
    """A shell passes argv as bytes: undecodable bytes must not end in a traceback or invalid output."""
    out = zhewen("ask", *(["--json"] if json_flag else []), argument, cwd=tmp_path,
                 env={"PYTHONIOENCODING": "utf-8"})
    text = clean_exit(out)
    if json_flag:
        answer = json.loads(text)
        assert answer["question"] == argument.decode("utf-8", "replace")  # as --batch decodes a line
        text = answer["reply"]
    assert text.strip()
