"""README commands work as written: every `zhewen logs …`, `zhewen ask …` and `zhewen chat` line of the
README's ```bash blocks runs offline, in README order, against a temporary ZHEWEN_DB, and exits 0.

Lines that need a token, a network or an install (`make`, `pip`, `datasette`, `zhewen telegram`,
`zhewen serve`) are not run; neither are the `zhewen content` and `zhewen eval` lines, which name
files of a checkout (they are other sections' business). The one liberty taken: the ID in the
README's `zhewen logs show <ID>` names a row of the author's log, so the test shows a row of its own.
"""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RUNNABLE = re.compile(r"(?:^|\|\s*)(?:\.venv/bin/)?zhewen\s+(logs|ask|chat)\b")
COMMENT = re.compile(r"\s+#\s.*$")
EXAMPLE_ID = re.compile(r"(?<=logs show )\d{6,}")


def readme_commands(text: str) -> list[str]:
    """The runnable command lines of the ```bash blocks, comments removed, in order."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL):
        for line in block.splitlines():
            line = COMMENT.sub("", line).strip()
            if RUNNABLE.search(line):
                commands.append(line)
    return commands


def test_the_readme_names_every_review_and_chat_command() -> None:
    commands = " ".join(readme_commands(README.read_text(encoding="utf-8")))
    for name in ("suspect", "show", "unanswered", "recent", "top", "stats", "export", "purge"):
        assert f"zhewen logs {name}" in commands
    assert "zhewen chat" in commands and "zhewen ask" in commands and "--no-log" in commands


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory with no .env, where `.venv/bin/zhewen` is this checkout's."""
    path = tmp_path_factory.mktemp("readme")
    (path / ".venv").symlink_to(ROOT / ".venv")
    return path


def latest_id(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("SELECT max(id) FROM queries").fetchone()[0])
    finally:
        conn.close()


def test_every_readme_command_runs_offline(workdir: Path) -> None:
    db = workdir / "zhewen.sqlite3"
    path = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "ZHEWEN_DB": str(db), "PATH": path}
    ran = []
    for command in readme_commands(README.read_text(encoding="utf-8")):
        if EXAMPLE_ID.search(command):
            command = EXAMPLE_ID.sub(latest_id(db), command)
        out = subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], cwd=workdir, env=env,
                             capture_output=True, timeout=180, stdin=subprocess.DEVNULL)
        stderr = out.stderr.decode("utf-8", "replace")
        assert out.returncode == 0 and "Traceback" not in stderr, f"{command}\n{stderr}"
        ran.append(command)
    assert len(ran) >= 15 and db.exists()
