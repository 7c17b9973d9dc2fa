"""A bounded map whose entries expire: what a process keeps in memory for a few minutes (the
conversation context, the follow-up threads) when no shared state is configured."""
from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class ExpiringMap(Generic[V]):
    """key -> value for `ttl` seconds after it was put; past `max_entries` the oldest go first."""

    def __init__(self, ttl: float, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._max, self._clock = ttl, max_entries, clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, key: Hashable, value: V) -> V:
        now = self._clock()
        self._entries[key] = (now + self._ttl, value)
        self._entries.move_to_end(key)
        while self._entries:  # the expired and, past the bound, the oldest
            oldest, (expires, _) = next(iter(self._entries.items()))
            if expires > now and len(self._entries) <= self._max:
                break
            del self._entries[oldest]
        return value

    def pop(self, key: Hashable) -> None:
        self._entries.pop(key, None)
