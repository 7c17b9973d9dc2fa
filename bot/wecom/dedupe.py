"""Answer each WeCom callback once, however often WeCom retries it.

WeCom retries a callback it got no answer to (up to three times, sometimes while the first is still
being handled). The first call for a key produces the reply; concurrent and later duplicates within
the TTL wait for that same reply, so a retry storm gives one answer and one log row.
"""
from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

DEFAULT_TTL = 600.0  # seconds; WeCom's retries come within a few seconds of each other
DEFAULT_MAX_ENTRIES = 10_000


class Dedupe(Generic[T]):
    """A bounded TTL cache of replies (or replies in progress) keyed by message id."""

    def __init__(self, ttl: float = DEFAULT_TTL, max_entries: int = DEFAULT_MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, asyncio.Future[Any]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        entry = self._entries.get(key)
        return entry is not None and entry[0] > self._clock()

    async def once(self, key: Hashable, produce: Callable[[], Awaitable[T]]) -> T:
        """The reply for `key`: produced by the first caller, shared with every duplicate.

        If producing fails, the error reaches the callers waiting at that moment and the key is
        forgotten, so a later retry tries again.
        """
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return await asyncio.shield(entry[1])
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._entries[key] = (now + self._ttl, future)
        self._entries.move_to_end(key)
        self._evict(now)
        try:
            result = await produce()
        except BaseException as exc:
            if self._entries.get(key, (0, None))[1] is future:
                del self._entries[key]
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # retrieved here, so an unawaited failure is not reported twice
            raise
        future.set_result(result)
        return result

    def _evict(self, now: float) -> None:
        """Drop expired entries from the old end, then the oldest while over the bound."""
        while self._entries:
            key, (expires, _) = next(iter(self._entries.items()))
            if expires > now and len(self._entries) <= self._max:
                break
            del self._entries[key]
