"""Benchmark: query-log write throughput (record -> committed) on a real SQLite file. Prints figures."""
from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bot.querylog import QueryLog

ROWS = 20_000
CHUNK = 500  # questions arriving between two turns of the event loop


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with QueryLog(Path(tmp) / "bench.sqlite3", salt="bench") as log:
            record_s = 0.0
            start = time.perf_counter()
            for i in range(ROWS):
                t = time.perf_counter()
                log.record(None, question=f"问题 {i}", platform="cli", chat_type="private",
                           chat_id=i % 50, user_id=i % 200, error="bench")
                record_s += time.perf_counter() - t
                if i % CHUNK == CHUNK - 1:
                    await asyncio.sleep(0.005)
            await log.flush()
            elapsed = time.perf_counter() - start
            failures = log.failures
    print(f"querylog: {ROWS} rows committed in {elapsed:.2f} s = {ROWS / elapsed:,.0f} rows/s; "
          f"record() {record_s / ROWS * 1e6:.1f} µs per call; dropped {failures}")


if __name__ == "__main__":
    asyncio.run(main())
