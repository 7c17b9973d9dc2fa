"""Follow-ups typed in WeCom: parsing the words and keeping per-user threads with a TTL."""
from __future__ import annotations

import pytest

from bot.engine import Reference
from bot.followups import FollowUp, FollowUps, parse_followup


def ref(n: int) -> Reference:
    return Reference(rank=n, source="今日浙江 2025年第17期", article=f"文章{n}", section="", page=n,
                     passage_id=f"p{n}", score=1.0, text=f"原文{n}")


@pytest.mark.parametrize(("text", "expected"), [
    ("更多", FollowUp("more")),
    (" 更多。", FollowUp("more")),
    ("原文", FollowUp("passage", 1)),
    ("原文2", FollowUp("passage", 2)),
    ("原文 第3条", FollowUp("passage", 3)),
    ("1", FollowUp("passage", 1)),
    ("３", FollowUp("passage", 3)),  # full-width digit
    ("第2条", FollowUp("passage", 2)),
])
def test_follow_up_words(text, expected):
    assert parse_followup(text) == expected


@pytest.mark.parametrize("text", [
    "2025", "0", "10", "更多的大模型有哪些", "原文在哪里", "", "浙江有多少款大模型？",
])
def test_questions_are_not_follow_ups(text):
    assert parse_followup(text) is None


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_threads_are_per_user_and_advance_with_more():
    store = FollowUps()
    await store.start("alice", "问题A", (ref(1), ref(2), ref(3)))
    await store.start("bob", "问题B", (ref(9),))
    alice = await store.get("alice")
    assert alice.question == "问题A" and alice.shown == 3
    after = await store.listed_more("alice", alice, [ref(4), ref(5)])
    assert after.listed == (ref(4), ref(5)) and after.shown == 5
    assert await store.get("alice") == after
    assert (await store.get("bob")).listed == (ref(9),)
    assert await store.get("carol") is None


async def test_threads_expire():
    clock = Clock()
    store = FollowUps(ttl=60, clock=clock)
    await store.start("alice", "问题", (ref(1),))
    clock.now = 59
    assert await store.get("alice") is not None
    clock.now = 61
    assert await store.get("alice") is None
    assert len(store) == 0


async def test_the_store_is_bounded():
    store = FollowUps(max_users=3)
    for user in range(10):
        await store.start(user, "问题", ())
    assert len(store) == 3
    assert await store.get(0) is None and await store.get(9) is not None


async def test_follow_ups_on_the_app_are_recorded_for_logs_suspect(tmp_path) -> None:
    """更多 and 原文 right after an answer are signs it missed: recorded against the logged question."""
    import sqlite3

    import httpx
    from fakes import wecom as fake

    from bot.engine import Engine
    from bot.resources import open_resources
    from bot.server import create_app
    from bot.settings import load_settings

    settings = load_settings(fake.env(ZHEWEN_DB=str(tmp_path / "log.sqlite3")), env_file=None)
    wecom = fake.FakeWeCom()
    async with open_resources(settings, engine=Engine.load()) as resources:
        app = create_app(resources)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            for text in ("浙江有多少款大模型通过备案？", "更多", "原文"):
                query, body = wecom.callback(fake.text_xml(text, user="zhangsan"))
                assert (await client.post("/wecom/callback", params=query, content=body)).status_code == 200
        await resources.log.flush()
    with sqlite3.connect(settings.db) as conn:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM followups ORDER BY rowid")]
        asked = conn.execute("SELECT count(*) FROM queries").fetchone()[0]
    assert kinds == ["more", "passage"] and asked == 1
