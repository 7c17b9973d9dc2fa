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


def test_chat_reads_a_pipe_until_end_of_input_echoing_each_question(tmp_path):
    out = zhewen("chat", stdin="魔搭社区托管了多少个模型？\n\n火星基地何时建成？\n".encode(),
                 env={"ZHEWEN_DB": str(tmp_path / "log.sqlite3")})
    text = out.stdout.decode()
    assert out.returncode == 0 and text.count("出处：") == 1 and "没有找到" in text
    assert text.startswith("问：魔搭社区托管了多少个模型？\n") and "\n问：火星基地何时建成？\n" in text


@pytest.mark.parametrize("args", [("ask",), ("ask", "--batch"), ("ask", "问题", "--json", "--batch", "-"),
                                  ("chat", "--bogus")])
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


def test_chat_survives_invalid_utf8(tmp_path):
    out = zhewen("chat", "--no-log", stdin=b"\xff\xfe\n\xe9\xad\x94\xe6\x90\xad\xe7\xa4\xbe\xe5\x8c\xba\n")
    assert out.returncode == 0 and "Traceback" not in out.stderr.decode()
    assert out.stdout.decode().count("出处：") == 1


def chat_blocks(text: str) -> dict[str, str]:
    """A piped chat transcript as {question: reply}: each reply follows its "问：…" line."""
    blocks = {}
    for block in text.split("问：")[1:]:
        question, _, reply = block.partition("\n")
        blocks[question] = reply.strip()
    return blocks


def test_chat_works_like_the_bots_and_logs_as_cli(tmp_path):
    env = {"ZHEWEN_DB": str(tmp_path / "log.sqlite3")}
    lines = ["浙江有多少款大模型通过国家网信办备案？", "原文", "更多", "2", "/toc", "目录 2", "/help",
             "/stats",
             "浙江通过网信办备案的大模型有几款？"]
    out = zhewen("chat", stdin=("\n".join(lines) + "\n").encode(), env=env)
    assert out.returncode == 0, out.stderr.decode()
    replies = chat_blocks(out.stdout.decode())
    assert list(replies) == lines
    assert replies["浙江有多少款大模型通过国家网信办备案？"].startswith("截至2025年7月，浙江共有44款")
    assert "回复“原文”查看完整段落" in replies["浙江有多少款大模型通过国家网信办备案？"]
    assert "数量居全国第四。在这个大模型矩阵中" in replies["原文"]            # the whole passage
    assert replies["更多"].startswith("更多出处：\n1. 《")
    assert replies["/toc"].startswith("文档目录\n《") and "输入“目录 2”查看下一页" in replies["/toc"]
    assert "第2/" in replies["目录 2"]
    assert replies["/help"].startswith("使用说明") and "/stats" in replies["/help"]
    assert replies["/stats"].startswith("提问统计\n今天：1 个问题")
    logged = json.loads(zhewen("logs", "recent", "--json", env=env).stdout.decode())
    assert [(r["platform"], r["question"]) for r in logged] == [
        ("cli", "浙江通过网信办备案的大模型有几款？"), ("cli", "浙江有多少款大模型通过国家网信办备案？")]
    first = json.loads(zhewen("logs", "show", str(logged[1]["id"]), "--json", env=env).stdout.decode())
    assert [f["kind"] for f in first["followups"]] == ["passage", "more", "passage"]
    assert [r["id"] for r in first["rephrased_by"]] == [logged[0]["id"]]    # the same user, in other words


def test_chat_no_log_writes_nothing(tmp_path):
    out = zhewen("chat", "--no-log", stdin="魔搭社区托管了多少个模型？\n/stats\n".encode(),
                 env={"ZHEWEN_DB": str(tmp_path / "log.sqlite3")})
    assert out.returncode == 0 and not (tmp_path / "log.sqlite3").exists()
    assert "统计暂不可用：no query log at" in out.stdout.decode()


@pytest.mark.parametrize("as_json", [True, False])
def test_batch_with_log_in_both_output_modes(tmp_path, as_json):
    env = {"ZHEWEN_DB": str(tmp_path / "log.sqlite3")}
    out = zhewen("ask", "--log", "--batch", "-", *(["--json"] if as_json else []),
                 stdin="魔搭社区托管了多少个模型？\n火星基地何时建成？\n".encode(), env=env)
    assert out.returncode == 0, out.stderr.decode()
    text = out.stdout.decode()
    if as_json:
        assert [json.loads(line)["found"] for line in text.splitlines()] == [True, False]
    else:
        assert list(chat_blocks(text)) == ["魔搭社区托管了多少个模型？", "火星基地何时建成？"]
        assert "出处：" in text
    logged = json.loads(zhewen("logs", "recent", "--json", env=env).stdout.decode())
    assert [(r["platform"], r["question"]) for r in logged] == [("cli", "火星基地何时建成？"),
                                                                 ("cli", "魔搭社区托管了多少个模型？")]


def test_context_file_carries_a_follow_up_between_calls_and_reset_clears_it(tmp_path):
    turn = tmp_path / "turn.json"
    first = zhewen("ask", "--json", "--context", str(turn), "台州市推动组建了多少个产业链党委？")
    assert first.returncode == 0 and json.loads(first.stdout)["found"]
    assert json.loads(turn.read_text(encoding="utf-8"))["subjects"] == ["台州市"]
    second = json.loads(zhewen("ask", "--json", "--context", str(turn), "宁波的呢").stdout)
    assert "宁波" in second["reply"] and "13个产业链党委" in second["answer"]
    # without the file the same words are a question of their own
    alone = json.loads(zhewen("ask", "--json", "宁波的呢").stdout)
    assert "13个产业链党委" not in alone["answer"]
    reset = zhewen("ask", "--context", str(turn), "/reset")
    assert reset.returncode == 0 and json.loads(turn.read_text(encoding="utf-8")) is None


def test_a_context_file_not_written_by_zhewen_is_a_one_line_error(tmp_path):
    bad = tmp_path / "turn.json"
    bad.write_text("{not json", encoding="utf-8")
    r = zhewen("ask", "--context", str(bad), "那宁波呢")
    err = r.stderr.decode()
    assert r.returncode != 0 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "context file" in err
