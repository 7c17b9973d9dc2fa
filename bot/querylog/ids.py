"""Row ids assigned by the log itself, so a channel has the id before the row is committed.

Layout of the 63-bit id: 41 bits of milliseconds since 2025-01-01 UTC (good until 2094) above
22 random bits. Ids from one process strictly increase (a clash within a millisecond takes the next
number); two processes writing in the same millisecond collide with probability 2**-22, and the
colliding row is then dropped and counted as a failure rather than overwriting the first.
"""
from __future__ import annotations

import secrets
import time

EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
RANDOM_BITS = 22
MAX_ID = (1 << 63) - 1


class IdSource:
    """Monotonic, time-ordered 63-bit ids for one process."""

    def __init__(self) -> None:
        self._last = 0

    def next(self, now_ms: int | None = None) -> int:
        ms = (time.time_ns() // 1_000_000 if now_ms is None else now_ms) - EPOCH_MS
        candidate = (max(ms, 0) << RANDOM_BITS) | secrets.randbits(RANDOM_BITS)
        self._last = max(candidate, self._last + 1) & MAX_ID
        return self._last


def id_time_ms(query_id: int) -> int:
    """The Unix time in milliseconds encoded in an id."""
    return (query_id >> RANDOM_BITS) + EPOCH_MS
