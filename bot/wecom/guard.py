"""What keeps a captured WeCom callback from being used again, and forged ones from flooding the log.

- `ReplayGuard`: every signed (timestamp, nonce, signature) is remembered for as long as a timestamp
  is accepted, so a byte-identical replay is refused however many messages came between. WeCom signs
  each retry anew, so a real retry is never one. Memory is bounded: when full of still-valid entries,
  new callbacks are refused (fail closed) rather than old ones forgotten.
- `Rejections`: refused requests are counted by reason and logged as one summary line per interval,
  with the first of each reason logged at once.
"""
from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable

log = logging.getLogger("bot.wecom")

MAX_REMEMBERED = 200_000   # ~400 callbacks a second for the whole window, a few tens of MB at most
SUMMARY_SECONDS = 60.0


class ReplayGuard:
    """Signed requests seen within the window, keyed by (timestamp, nonce, signature)."""

    def __init__(self, window: float, max_entries: int = MAX_REMEMBERED,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._window, self._max, self._clock = window, max_entries, clock
        self._expiry: dict[tuple[str, str, str], float] = {}
        self._order: deque[tuple[float, tuple[str, str, str]]] = deque()

    def __len__(self) -> int:
        return len(self._expiry)

    def admit(self, timestamp: str, nonce: str, signature: str) -> str:
        """"new" (now remembered), "replay", or "full" (refuse: nothing could be forgotten)."""
        now = self._clock()
        while self._order and self._order[0][0] <= now:
            _, old = self._order.popleft()
            if self._expiry.get(old, now + 1) <= now:
                del self._expiry[old]
        key = (timestamp, nonce, signature)
        if key in self._expiry:
            return "replay"
        if len(self._expiry) >= self._max:
            return "full"
        # Twice the window: a timestamp accepted at the window's far edge stays remembered until
        # it can no longer be accepted, whichever way the clocks differ.
        expires = now + 2 * self._window
        self._expiry[key] = expires
        self._order.append((expires, key))
        return "new"


class Rejections:
    """Counts refused requests by reason; one log line per interval instead of one per request."""

    def __init__(self, interval: float = SUMMARY_SECONDS, clock: Callable[[], float] = time.monotonic,
                 logger: logging.Logger = log) -> None:
        self._interval, self._clock, self._log = interval, clock, logger
        self._counts: Counter[str] = Counter()
        self._reported: set[str] = set()
        self._since = clock()
        self.total: Counter[str] = Counter()

    def note(self, reason: str) -> None:
        self.total[reason] += 1
        if reason not in self._reported:
            self._reported.add(reason)
            self._log.warning("refused: %s (further refusals are summed up every %.0f s)",
                              reason, self._interval)
        else:
            self._counts[reason] += 1
        if self._clock() - self._since >= self._interval:
            self.flush()

    def flush(self) -> None:
        """Log what was counted since the last line (also at shutdown)."""
        if self._counts:
            parts = ", ".join(f"{reason} {n}" for reason, n in self._counts.most_common())
            self._log.warning("refused in the last %.0f s: %s", self._clock() - self._since, parts)
        self._counts.clear()
        self._since = self._clock()
