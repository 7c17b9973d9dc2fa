"""`zhewen telegram` as an operator runs it: one-line errors for a missing or rejected token."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes.telegram_api import FakeBotAPI

from bot.cli import cli

ZHEWEN = Path(sys.executable).with_name("zhewen")


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


def test_missing_token_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    result = CliRunner().invoke(cli, ["telegram"], env={"TELEGRAM_BOT_TOKEN": ""})
    assert result.exit_code == 1
    assert result.output == "Error: TELEGRAM_BOT_TOKEN is not set (environment or .env)\n"


def test_rejected_token_is_a_one_line_error(api: FakeBotAPI, tmp_path: Path) -> None:
    env = dict(os.environ, TELEGRAM_BOT_TOKEN="999:wrong-token", TELEGRAM_API_BASE_URL=api.base_url,
               ZHEWEN_DB=str(tmp_path / "log.sqlite3"))
    done = subprocess.run([str(ZHEWEN), "telegram"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error")]
    assert errors == ["Error: TELEGRAM_BOT_TOKEN was rejected by the Telegram Bot API (getMe: Unauthorized); "
                      "copy the token again from @BotFather"]
    assert "Traceback" not in done.stderr and "wrong-token" not in done.stderr
    assert [c.status for c in api.calls_of("getMe")] == [401]
    assert not (tmp_path / "log.sqlite3").exists()  # nothing opened before the token was checked


def test_unreachable_bot_api_is_a_one_line_error(tmp_path: Path) -> None:
    with FakeBotAPI() as gone:
        base_url = gone.base_url
    env = dict(os.environ, TELEGRAM_BOT_TOKEN="1:secret-token", TELEGRAM_API_BASE_URL=base_url)
    done = subprocess.run([str(ZHEWEN), "telegram"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "secret-token" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error: cannot reach the Telegram Bot API at ")


def test_corrupt_corpus_is_a_one_line_error(api: FakeBotAPI, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.json"
    corpus.write_text("{not json", encoding="utf-8")
    env = dict(os.environ, TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=api.base_url,
               ZHEWEN_CORPUS=str(corpus), ZHEWEN_DB=str(tmp_path / "log.sqlite3"))
    done = subprocess.run([str(ZHEWEN), "telegram"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error: ")
