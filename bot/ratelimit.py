"""Per-user question rate limit: a sliding one-minute window kept in memory.

A user over the limit is told once per window, then ignored until the window frees up, so a
flood of messages gets one polite notice rather than a flood of notices.
"""
from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable, Hashable


class Verdict(enum.Enum):
    ALLOW = "allow"
    NOTIFY = "notify"   # over the limit, first time in this window: say so
    SILENT = "silent"   # over the limit, already told


class RateLimiter:
    def __init__(self, per_window: int, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, max_users: int = 100_000) -> None:
        self.per_window = per_window
        self.window = window
        self._clock = clock
        self._max_users = max_users
        self._seen: dict[Hashable, deque[float]] = {}
        self._told: dict[Hashable, float] = {}

    def check(self, user: Hashable) -> Verdict:
        now = self._clock()
        if len(self._seen) >= self._max_users:
            self._forget_idle(now)
        stamps = self._seen.setdefault(user, deque())
        while stamps and now - stamps[0] >= self.window:
            stamps.popleft()
        if len(stamps) < self.per_window:
            stamps.append(now)
            return Verdict.ALLOW
        told = self._told.get(user)
        if told is not None and now - told < self.window:
            return Verdict.SILENT
        self._told[user] = now
        return Verdict.NOTIFY

    def _forget_idle(self, now: float) -> None:
        """Keeps memory bounded: users quiet for a whole window start afresh."""
        for user in [u for u, s in self._seen.items() if not s or now - s[-1] >= self.window]:
            del self._seen[user]
            self._told.pop(user, None)
