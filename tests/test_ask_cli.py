"""`zhewen ask` and `zhewen chat` as a user runs them, on the real corpus, in one subprocess each."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def zhewen(*args: str, stdin: bytes = b"", env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
                          cwd=ROOT, env=environ, timeout=120)


@pytest.fixture(scope="module", autouse=True)
def built_corpus():
    """Build (or validate) the corpus once, so each command below only loads it."""
    out = zhewen("ask", "--json", "浙江")
    assert out.returncode == 0, out.stderr.decode()


def test_ask_prints_the_plain_reply():
    out = zhewen("ask", "魔搭社区是全球第几大开源模型社区？")
    text = out.stdout.decode()
    assert out.returncode == 0 and "出处：《" in text and "Traceback" not in out.stderr.decode()


def test_ask_json_is_one_answer_object():
    out = zhewen("ask", "--json", "魔搭社区托管了多少个模型？")
    lines = out.stdout.decode().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert set(data) == {"question", "found", "answer", "references", "reply", "latency_ms",
                         "confidence"}


def test_batch_reads_bytes_and_answers_every_line_in_order():
    stdin = b"\xe9\xad\x94\xe6\x90\xad\xe7\xa4\xbe\xe5\x8c\xba\n\n\xff\xfe\xe5\x9d\x8f\n\xf0\x9f\x98\x80\n"
    out = zhewen("ask", "--json", "--batch", "-", stdin=stdin)
    assert out.returncode == 0, out.stderr.decode()
    rows = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert [r["question"] for r in rows] == ["魔搭社区", "", "\ufffd\ufffd坏", "😀"]
    assert rows[1]["found"] is False and rows[3]["found"] is False


def test_batch_from_a_file(tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_bytes("宁波数字安全产业基地哪天投运？\n火星基地何时建成？\n".encode())
    out = zhewen("ask", "--json", "--batch", str(questions))
    rows = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert len(rows) == 2 and rows[1]["found"] is False


def test_chat_reads_a_pipe_until_end_of_input():
    out = zhewen("chat", stdin="魔搭社区托管了多少个模型？\n\n火星基地何时建成？\n".encode())
    text = out.stdout.decode()
    assert out.returncode == 0 and text.count("出处") == 1 and "没有找到" in text


@pytest.mark.parametrize("args", [("ask",), ("ask", "--batch", "-"),
                                  ("ask", "问题", "--json", "--batch", "-")])
def test_bad_usage_is_one_line_error(args):
    out = zhewen(*args)
    assert out.returncode == 2 and "Traceback" not in out.stderr.decode()


def test_corrupt_corpus_is_a_one_line_error(tmp_path):
    broken = tmp_path / "corpus.json"
    broken.write_text("{not json", encoding="utf-8")
    out = zhewen("ask", "浙江", env={"ZHEWEN_CORPUS": str(broken)})
    err = out.stderr.decode().strip()
    assert out.returncode == 1 and err.startswith("Error: corpus") and len(err.splitlines()) == 1


def test_ask_path_imports_nothing_heavy():
    code = ("import sys; from click.testing import CliRunner; from bot.cli import cli; "
            "r = CliRunner().invoke(cli, ['ask', '--json', '浙江']); assert r.exit_code == 0, r.output; "
            "heavy = ('telegram', 'starlette', 'uvicorn'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=120)
    assert out.stdout.decode().strip() == "[]", out.stderr.decode()


def test_log_records_the_question_for_review(tmp_path):
    env = {"ZHEWEN_DB": str(tmp_path / "log.sqlite3")}
    out = zhewen("ask", "--log", "魔搭社区托管了多少个模型？", env=env)
    assert out.returncode == 0, out.stderr.decode()
    rows = json.loads(zhewen("logs", "recent", "--json", env=env).stdout.decode())
    logged = [(r["platform"], r["question"], r["found"]) for r in rows]
    assert logged == [("cli", "魔搭社区托管了多少个模型？", True)]


def test_bad_setting_is_a_one_line_error():
    out = zhewen("ask", "浙江", env={"ZHEWEN_RATE_LIMIT": "abc"})
    err = out.stderr.decode().strip()
    assert out.returncode == 1 and err.startswith("Error: ZHEWEN_RATE_LIMIT") and len(err.splitlines()) == 1


def test_chat_survives_invalid_utf8():
    out = zhewen("chat", stdin=b"\xff\xfe\n\xe9\xad\x94\xe6\x90\xad\xe7\xa4\xbe\xe5\x8c\xba\n")
    assert out.returncode == 0 and "Traceback" not in out.stderr.decode()
    assert out.stdout.decode().count("出处") == 1
