"""[scale-out] The shared expiring state (bot/storage/state.py) on SQLite and on a real PostgreSQL:
first-wins claims across connections and processes, TTL expiry, rate-limit windows, JSON values."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

from bot.querylog import schema
from bot.storage.state import open_state
from bot.storage.target import PostgresUrl

ROOT = Path(__file__).resolve().parents[1]


class Clock:
    """A settable clock, so expiry is tested without sleeping."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_claim_is_won_once_across_two_connections_until_it_expires(db_target) -> None:
    schema.upgrade(db_target)
    clock = Clock()
    async with open_state(db_target, clock=clock) as one, open_state(db_target, clock=clock) as two:
        results = await asyncio.gather(*(state.claim("wecom-msg", "m1", ttl_s=300)
                                         for state in (one, two, one, two)))
        assert sorted(results) == [False, False, False, True], results
        assert await two.claim("wecom-msg", "m2", ttl_s=300)       # another key is free
        assert await one.claim("nonce", "m1", ttl_s=300)           # namespaces are separate
        clock.now += 299
        assert not await two.claim("wecom-msg", "m1", ttl_s=300)
        clock.now += 2                                              # expired: the next caller wins again
        assert await two.claim("wecom-msg", "m1", ttl_s=300)
        assert not await one.claim("wecom-msg", "m1", ttl_s=300)


def test_claim_is_won_by_exactly_one_of_several_processes(db_target) -> None:
    schema.upgrade(db_target)
    target = db_target.dsn if isinstance(db_target, PostgresUrl) else str(db_target)
    script = textwrap.dedent(f"""
        import asyncio
        from bot.storage.state import open_state
        from bot.storage.target import parse_target

        async def main():
            async with open_state(parse_target({target!r})) as state:
                print(await state.claim("wecom-msg", "same-msg-id", ttl_s=60))

        asyncio.run(main())
    """)
    processes = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=60) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    assert sorted(out.strip() for out, _ in outputs) == ["False", "False", "False", "True"], outputs


async def test_values_keep_json_until_they_expire_and_can_be_deleted(db_target) -> None:
    schema.upgrade(db_target)
    clock = Clock()
    context = {"question": "2024年宁波人工智能产业实现的增加值是多少?", "turn": 2, "ids": [1, 2], "ok": True}
    async with open_state(db_target, clock=clock) as state:
        assert await state.get("context", "chat:user") is None
        await state.put("context", "chat:user", context, ttl_s=600)
        await state.put("reply", "m1", "已收到：答案。", ttl_s=300)
        assert await state.get("context", "chat:user") == context
        assert await state.get("reply", "m1") == "已收到：答案。"
        await state.put("context", "chat:user", {"question": "那营收呢"}, ttl_s=600)   # replaced
        assert await state.get("context", "chat:user") == {"question": "那营收呢"}
        await state.delete("context", "chat:user")
        assert await state.get("context", "chat:user") is None
        clock.now += 301
        assert await state.get("reply", "m1") is None


async def test_get_can_wait_for_a_value_another_connection_puts(db_target) -> None:
    schema.upgrade(db_target)
    async with open_state(db_target) as waiting, open_state(db_target) as answering:
        async def answer_later() -> None:
            await asyncio.sleep(0.2)
            await answering.put("reply", "retried", "答案", ttl_s=60)

        later = asyncio.create_task(answer_later())
        assert await waiting.get("reply", "retried", wait_s=5) == "答案"
        await later
        assert await waiting.get("reply", "absent", wait_s=0.1) is None


async def test_hits_count_per_key_in_fixed_windows(db_target) -> None:
    schema.upgrade(db_target)
    clock = Clock(now=6_000.0)                                      # the start of a 60 s window
    async with open_state(db_target, clock=clock) as one, open_state(db_target, clock=clock) as two:
        counts = await asyncio.gather(*(state.hit("wecom:alice", window_s=60) for state in (one, two) * 10))
        assert sorted(counts) == list(range(1, 21))
        assert await one.hit("wecom:bob", window_s=60) == 1
        clock.now += 59.9
        assert await two.hit("wecom:alice", window_s=60) == 21
        clock.now += 0.1                                            # the next window starts from one
        assert await one.hit("wecom:alice", window_s=60) == 1


async def test_sweep_deletes_only_expired_rows(db_target) -> None:
    schema.upgrade(db_target)
    clock = Clock()
    async with open_state(db_target, clock=clock) as state:
        await state.claim("msg", "old", ttl_s=10)
        await state.put("reply", "old", "x", ttl_s=10)
        await state.hit("user", window_s=10)
        clock.now += 5
        await state.claim("msg", "new", ttl_s=100)
        await state.put("reply", "new", "y", ttl_s=100)
        assert await state.sweep() == 0
        clock.now += 10
        assert await state.sweep() == 3
        assert await state.get("reply", "new") == "y"
        assert not await state.claim("msg", "new", ttl_s=100)


async def test_the_background_sweep_runs_while_open(db_target) -> None:
    schema.upgrade(db_target)
    clock = Clock()
    async with open_state(db_target, clock=clock, sweep_interval_s=0.05) as state:
        await state.put("reply", "k", "v", ttl_s=1)
        clock.now += 2
        await asyncio.sleep(0.3)
        assert await state.sweep() == 0                             # already gone
