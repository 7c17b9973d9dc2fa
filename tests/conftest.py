"""Fixtures shared across test modules."""
from __future__ import annotations

import pytest

from bot.engine import Engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The real engine over the real corpus, loaded once: it is read-only, so tests can share it."""
    return Engine.load()


# Seconds a fixed piece of pure-Python work takes on the 2-core machine the time bounds were set on.
REFERENCE_SECONDS = 0.07


@pytest.fixture(scope="session")
def slowness() -> float:
    """How much slower this machine is than the reference (at least 1): time bounds in tests scale
    by it, so a slow or busy CI machine does not fail them while a real regression (ten times
    slower, a quadratic blow-up) still does. Absolute speed is for the benchmarks (make bench)."""
    import time

    started = time.perf_counter()
    total = 0
    for i in range(400_000):
        total += i * i % 7
    return max(1.0, (time.perf_counter() - started) / REFERENCE_SECONDS)
