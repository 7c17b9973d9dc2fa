"""Reloading the corpus in a running bot: on SIGHUP, and by itself when the built corpus file changes.

The new index is built in a worker thread beside the one serving and swapped in by `Engine.reload`;
questions keep being answered meanwhile, and a corpus that fails to load leaves the old one serving
with an error in the log (`zhewen content build` then says what is wrong).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from pathlib import Path

from bot.engine import Engine

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0   # how often the corpus file is looked at: a rebuild is picked up within seconds


def signature(path: Path | None) -> tuple[int, int] | None:
    """What changes when the corpus file is rewritten (it is replaced atomically by the build)."""
    try:
        info = path.stat() if path else None
    except OSError:
        return None
    return None if info is None else (info.st_mtime_ns, info.st_size)


class Reloader:
    """Watches one engine's corpus file; `reload` may also be called directly (SIGHUP)."""

    def __init__(self, engine: Engine, interval: float = CHECK_SECONDS) -> None:
        self._engine, self._interval = engine, interval
        self._seen = signature(engine.corpus_path)
        self._lock = asyncio.Lock()
        self.reloads = 0
        self.failures = 0

    async def reload(self, why: str) -> bool:
        """Reload once (concurrent requests wait for the one under way); True when swapped."""
        async with self._lock:
            seen = signature(self._engine.corpus_path)
            try:
                loaded = await asyncio.to_thread(self._engine.reload)
            except Exception as exc:  # a bad build must not take the serving corpus down
                self.failures += 1
                log.error("corpus reload (%s) failed, still serving the previous corpus: %s",
                          why, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                self._seen = seen  # do not retry the same broken file every few seconds
                return False
            self._seen = seen
            self.reloads += 1
            log.info("corpus reloaded (%s): %d passages, content %s", why, loaded.passages,
                     loaded.content_hash or "-")
            return True

    async def watch(self) -> None:
        """Reload whenever the corpus file's signature changes; runs until cancelled."""
        while True:
            await asyncio.sleep(self._interval)
            now = signature(self._engine.corpus_path)
            if now is not None and now != self._seen:
                await self.reload("corpus file changed")


@contextlib.asynccontextmanager
async def reloading(engine: Engine, interval: float = CHECK_SECONDS) -> AsyncIterator[Reloader]:
    """Watch the corpus and reload on SIGHUP while the block runs (the systemd unit's ExecReload)."""
    reloader = Reloader(engine, interval)
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task] = set()

    def on_hangup() -> None:
        task = loop.create_task(reloader.reload("SIGHUP"))
        pending.add(task)
        task.add_done_callback(pending.discard)

    watcher = loop.create_task(reloader.watch())
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
        loop.add_signal_handler(signal.SIGHUP, on_hangup)
    try:
        yield reloader
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.remove_signal_handler(signal.SIGHUP)
        watcher.cancel()
        for task in (watcher, *pending):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
