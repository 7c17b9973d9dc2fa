"""kill -9 of a process in the middle of writing: the file stays sound and every committed row is there."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

# Records batches forever; after each batch is committed it prints the batch's ids.
WRITER = """
import asyncio, sys
from pathlib import Path
from bot.querylog import QueryLog

async def main() -> None:
    async with QueryLog(Path(sys.argv[1]), salt="s") as log:
        for batch in range(100_000):
            ids = [log.record(None, question=f"问题 {batch}-{n} " + "字" * 200, platform="cli",
                              chat_type="private", chat_id=batch, user_id=n, error="x") for n in range(50)]
            await log.flush()
            print(" ".join(map(str, ids)), flush=True)

asyncio.run(main())
"""


def test_kill_9_keeps_file_sound_and_committed_rows(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout is not None
    committed: list[int] = []
    try:
        for _ in range(20):  # wait for 20 committed batches; the writer keeps going meanwhile
            line = proc.stdout.readline()
            assert line, f"writer exited early with code {proc.poll()}"
            committed += map(int, line.split())
        os.kill(proc.pid, signal.SIGKILL)
        committed += (int(i) for line in proc.stdout for i in line.split())  # printed before dying
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {row[0] for row in conn.execute("SELECT id FROM queries")}
    finally:
        conn.close()
    missing = set(committed) - stored
    assert not missing, f"Expected every committed row, {len(missing)} missing"
    assert len(stored) >= len(committed) >= 1000
