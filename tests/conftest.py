"""Fixtures shared across test modules."""
from __future__ import annotations

import pytest

from bot.engine import Engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The real engine over the real corpus, loaded once: it is read-only, so tests can share it."""
    return Engine.load()
