"""WeCom retries: one reply per message id, shared with concurrent and later duplicates."""
from __future__ import annotations

import asyncio

import pytest

from bot.wecom.dedupe import Dedupe


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_sequential_duplicates_get_the_cached_reply():
    calls = []
    cache: Dedupe[str] = Dedupe()

    async def produce() -> str:
        calls.append(1)
        return f"reply {len(calls)}"

    assert await cache.once("m1", produce) == "reply 1"
    assert await cache.once("m1", produce) == "reply 1"
    assert await cache.once("m2", produce) == "reply 2"
    assert len(calls) == 2


async def test_three_concurrent_duplicates_wait_for_the_first():
    started, release = asyncio.Event(), asyncio.Event()
    calls = []
    cache: Dedupe[str] = Dedupe()

    async def produce() -> str:
        calls.append(1)
        started.set()
        await release.wait()
        return "answer"

    tasks = [asyncio.create_task(cache.once("m", produce)) for _ in range(3)]
    await started.wait()
    release.set()
    assert await asyncio.gather(*tasks) == ["answer"] * 3
    assert len(calls) == 1


async def test_entries_expire_after_the_ttl():
    clock = Clock()
    cache: Dedupe[int] = Dedupe(ttl=10, clock=clock)
    counter = iter(range(100))

    async def produce() -> int:
        return next(counter)

    assert await cache.once("m", produce) == 0
    clock.now = 9.9
    assert await cache.once("m", produce) == 0
    clock.now = 10.1
    assert "m" not in cache
    assert await cache.once("m", produce) == 1


async def test_the_cache_is_bounded():
    cache: Dedupe[str] = Dedupe(max_entries=5)

    async def produce() -> str:
        return "x"

    for i in range(50):
        await cache.once(i, produce)
    assert len(cache) == 5
    assert 49 in cache and 0 not in cache


async def test_a_failure_is_not_cached():
    cache: Dedupe[str] = Dedupe()
    attempts = []

    async def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("boom")
        return "ok"

    with pytest.raises(RuntimeError):
        await cache.once("m", flaky)
    assert await cache.once("m", flaky) == "ok"
