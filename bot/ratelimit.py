"""Per-user question rate limit: one verdict per question, the same `await limiter.check(user)`
whether the counts live in this process (`RateLimiter`, a sliding one-minute window) or in the shared
state every replica sees (`SharedRateLimiter`, fixed one-minute windows).

A user over the limit is told once per window, then ignored until the window frees up, so a
flood of messages gets one polite notice rather than a flood of notices.
"""
from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Protocol

from bot.storage.state import State


class Verdict(enum.Enum):
    ALLOW = "allow"
    NOTIFY = "notify"   # over the limit, first time in this window: say so
    SILENT = "silent"   # over the limit, already told


class Limiter(Protocol):
    async def check(self, user: Hashable) -> Verdict: ...


class RateLimiter:
    """In this process's memory: a single process (the terminal, tests)."""

    def __init__(self, per_window: int, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, max_users: int = 100_000) -> None:
        self.per_window = per_window
        self.window = window
        self._clock = clock
        self._max_users = max_users
        self._seen: dict[Hashable, deque[float]] = {}
        self._told: dict[Hashable, float] = {}

    async def check(self, user: Hashable) -> Verdict:
        return self.verdict(user)

    def verdict(self, user: Hashable) -> Verdict:
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


class SharedRateLimiter:
    """Counts in the shared state, so a user's questions count once across replicas: one `hit` per
    question (one statement). A fixed window lets a burst of up to twice the limit straddle its edge,
    which a per-minute limit against floods can afford. The hit that first passes the limit in a
    window is the one told (NOTIFY); the atomic count makes it exactly one, on whichever replica."""

    NAMESPACE = "rate"

    def __init__(self, state: State, per_window: int, key: Callable[[str], str],
                 window: float = 60.0) -> None:
        self.per_window = per_window
        self.window = window
        self._state = state
        self._key = key   # a raw user id to the key stored (keyed-hashed, as the log's ids)

    async def check(self, user: Hashable) -> Verdict:
        count = await self._state.hit(f"{self.NAMESPACE}:{self._key(repr(user))}", self.window)
        if count <= self.per_window:
            return Verdict.ALLOW
        return Verdict.NOTIFY if count == self.per_window + 1 else Verdict.SILENT
