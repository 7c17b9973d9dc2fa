"""Row ids assigned by the log itself, so a channel has the id before the row is committed.

Layout of the 63-bit id (Snowflake-like): 41 bits of milliseconds since 2025-01-01 UTC (good until
2094), 10 bits of writer number, 12 bits of sequence within the millisecond. Each process that opens
the file takes the next writer number from the file's `counters` table (an atomic UPDATE … RETURNING),
so processes sharing the file write disjoint ids; only two writers whose numbers are equal modulo
1024 (one opened while 1023 other openings happened) could meet, and then only in the same
millisecond with the same sequence: that row is dropped and counted, never overwrites. Within a
process ids strictly increase; 4096 ids in one millisecond, or a clock stepping back, borrow the
next millisecond.
"""
from __future__ import annotations

import secrets
import time

EPOCH_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
WRITER_BITS = 10
SEQUENCE_BITS = 12
MAX_ID = (1 << 63) - 1


class IdSource:
    """Strictly increasing, time-ordered 63-bit ids for one writer."""

    def __init__(self, writer: int | None = None) -> None:
        self.writer = secrets.randbits(WRITER_BITS) if writer is None else writer % (1 << WRITER_BITS)
        self._ms = -1
        self._seq = 0

    def next(self, now_ms: int | None = None) -> int:
        ms = max((time.time_ns() // 1_000_000 if now_ms is None else now_ms) - EPOCH_MS, 0)
        if ms > self._ms:
            self._ms, self._seq = ms, 0
        else:
            self._seq += 1
            if self._seq >> SEQUENCE_BITS:
                self._ms, self._seq = self._ms + 1, 0
        return (self._ms << (WRITER_BITS + SEQUENCE_BITS) | self.writer << SEQUENCE_BITS | self._seq) & MAX_ID


def id_time_ms(query_id: int) -> int:
    """The Unix time in milliseconds encoded in an id."""
    return (query_id >> (WRITER_BITS + SEQUENCE_BITS)) + EPOCH_MS


def id_writer(query_id: int) -> int:
    """The writer number encoded in an id."""
    return (query_id >> SEQUENCE_BITS) & ((1 << WRITER_BITS) - 1)
