"""The WeCom table of contents in pages: "/toc" or "目录" shows page 1, "目录 2" page 2, and so on.

WeCom has no buttons, so each page ends with the command for the next one. Unit tests of the pure
paging function, then one run per route through the encrypted callbacks the other WeCom tests use.
"""
from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fakes import aibot as robot
from fakes import wecom as fake
from hypothesis import given
from hypothesis import strategies as st
from test_aibot import ask, mention, stream_content
from test_wecom_callback import FakeEngine, rows, say

from bot import texts
from bot.dialogue import parse_toc_request
from bot.engine import TocEntry
from bot.resources import Resources, open_resources
from bot.server import create_app
from bot.settings import load_settings
from bot.wecom import aibot
from bot.wecom.text import TOC_PER_PAGE, render_toc, utf8_len

MAGAZINE, PAPER = "今日浙江 2025年第17期", "报纸 2025年5月28日"


def entry(n: int, source: str = MAGAZINE, title: str = "", page: int | None = None) -> TocEntry:
    return TocEntry(source, page, title or f"第{n}篇文章的标题", ("作者",) if n % 2 else (), "")


def line_of(e: TocEntry) -> str:
    """How an entry reads in the list (the same format as before paging)."""
    page = f"第{e.page}页 " if e.page is not None else ""
    return f"· {page}{e.title}{'（' + '、'.join(e.authors) + '）' if e.authors else ''}"


def all_pages(entries: list[TocEntry], max_bytes: int, reply: str = texts.WECOM_TOC_REPLY) -> list[str]:
    """Every page, asked for one by one until the reply says there is no such page."""
    pages: list[str] = []
    while True:
        text = render_toc(entries, len(pages) + 1, max_bytes, reply)
        if text.startswith(texts.WECOM_TOC_NO_PAGE.split("：")[0]):
            return pages
        pages.append(text)
        assert len(pages) <= len(entries), "more pages than entries"


# --- reading the request -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "page"), [
    ("/toc", 1), ("目录", 1), ("/TOC", 1), (" 目录 ", 1), ("/toc 2", 2), ("目录 2", 2), ("目录2", 2),
    ("目录　２", 2), ("目录２", 2), ("／ｔｏｃ　３", 3), ("目录 第3页", 3), ("目录 02", 2), ("目录 0", 0),
    ("目录 " + "9" * 30, 2**63 - 1),
])
def test_toc_requests_are_read_with_their_page(text: str, page: int) -> None:
    got = parse_toc_request(text)
    assert got == page, f"Expected page {page} for {text!r}, got {got}"


@pytest.mark.parametrize("text", ["目录里有哪些文章？", "目录 -1", "2", "原文2", "更多", "/tocs", "目录 2 3",
                                  ""])
def test_other_messages_are_not_toc_requests(text: str) -> None:
    assert parse_toc_request(text) is None


# --- paging (pure) -------------------------------------------------------------------------------------

def test_a_short_table_is_one_page_without_a_footer() -> None:
    entries = [entry(1, page=8), entry(2, page=16), entry(3, PAPER)]
    assert render_toc(entries).splitlines() == [
        texts.WECOM_TOC_HEADING, f"《{MAGAZINE}》", line_of(entries[0]), line_of(entries[1]),
        f"《{PAPER}》", line_of(entries[2])]
    assert render_toc(entries, 2) == texts.WECOM_TOC_ONE_PAGE.format(reply=texts.WECOM_TOC_REPLY)
    assert render_toc([], 1) == render_toc([], 5) == texts.WECOM_TOC_EMPTY


def test_pages_hold_as_many_articles_as_telegrams_and_name_the_next_command() -> None:
    entries = [entry(n) for n in range(TOC_PER_PAGE * 2)] + [entry(n, PAPER) for n in range(8)]
    pages = all_pages(entries, 2048)
    assert [sum(line.startswith("· ") for line in p.splitlines()) for p in pages] == [15, 15, 8]
    assert pages[0] == render_toc(entries) == render_toc(entries, 1)
    assert pages[0].endswith("\n\n" + texts.WECOM_TOC_NEXT.format(page=1, total=3, next=2,
                                                                  reply=texts.WECOM_TOC_REPLY))
    assert "回复“目录 2”查看下一页" in pages[0] and "1/3" in pages[0]
    assert "回复“目录 3”查看下一页" in pages[1]
    assert pages[2].endswith(texts.WECOM_TOC_LAST.format(page=3, total=3))
    assert all(p.startswith(texts.WECOM_TOC_HEADING + "\n") for p in pages)


@pytest.mark.parametrize("page", [0, 4, 99, 2**63 - 1])
def test_a_page_past_the_end_or_zero_says_which_pages_exist(page: int) -> None:
    entries = [entry(n) for n in range(40)]
    reply = render_toc(entries, page)
    assert reply == texts.WECOM_TOC_NO_PAGE.format(total=3, reply=texts.WECOM_TOC_REPLY)
    assert "“目录 1”到“目录 3”" in reply


def test_bytes_not_count_decide_when_titles_are_long() -> None:
    entries = [entry(n, title=f"{n}号" + "很长的标题" * 20) for n in range(TOC_PER_PAGE)]  # ~300 bytes each
    pages = all_pages(entries, 2048)
    assert len(pages) > 1
    assert all(utf8_len(p) <= 2048 for p in pages)
    assert sum(p.count("· ") for p in pages) == TOC_PER_PAGE


def test_a_page_that_continues_a_source_names_it_again_at_the_top() -> None:
    entries = [entry(n) for n in range(20)] + [entry(n, PAPER) for n in range(20)]
    pages = all_pages(entries, 2048)
    assert [p.splitlines()[1] for p in pages] == [f"《{MAGAZINE}》", f"《{MAGAZINE}》", f"《{PAPER}》"]
    assert pages[1].splitlines()[1:8] == [f"《{MAGAZINE}》", *map(line_of, entries[15:20]), f"《{PAPER}》"]


def test_an_entry_longer_than_a_page_is_trimmed_onto_its_own_page() -> None:
    entries = [entry(1), entry(2, title="长" * 2000), entry(3)]
    pages = all_pages(entries, 600)
    assert len(pages) == 3 and all(utf8_len(p) <= 600 for p in pages)
    assert "· 长长" in pages[1] and "…" in pages[1] and line_of(entries[2]) in pages[2]


def test_in_a_group_the_footer_says_to_mention_the_robot() -> None:
    entries = [entry(n) for n in range(40)]
    group = texts.AIBOT_GROUP_TOC_REPLY
    assert "@我并回复“目录 2”查看下一页" in render_toc(entries, 1, 2048, group)
    assert render_toc(entries, 9, 2048, group) == texts.WECOM_TOC_NO_PAGE.format(total=3, reply=group)


TITLE = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=60)
ENTRIES = st.lists(
    st.tuples(st.sampled_from([MAGAZINE, PAPER, "第三个来源：一个相当长的来源名称" * 2]), TITLE,
              st.one_of(st.none(), st.integers(1, 200)), st.lists(TITLE.map(lambda t: t[:6]), max_size=3)),
    max_size=120,
).map(lambda rows: sorted(
    (TocEntry(source, page, f"{i}#{title}", tuple(authors), "") for i, (source, title, page, authors) in
     enumerate(rows)), key=lambda e: e.source))


@given(entries=ENTRIES, max_bytes=st.integers(700, 20480),
       reply=st.sampled_from([texts.WECOM_TOC_REPLY, texts.AIBOT_GROUP_TOC_REPLY]))
def test_every_entry_is_on_exactly_one_page_and_every_page_fits(entries: list[TocEntry], max_bytes: int,
                                                              reply: str) -> None:
    if not entries:
        assert render_toc(entries, 1, max_bytes, reply) == texts.WECOM_TOC_EMPTY
        return
    pages = all_pages(entries, max_bytes, reply)
    assert pages, "no page at all"
    for number, page in enumerate(pages, 1):
        assert utf8_len(page) <= max_bytes, f"page {number} has {utf8_len(page)} bytes, limit {max_bytes}"
        lines = page.split("\n")
        assert lines[0] == texts.WECOM_TOC_HEADING and lines[1].startswith("《"), lines[:2]
        assert 1 <= sum(line.startswith("· ") for line in lines) <= TOC_PER_PAGE
        if len(pages) > 1:
            assert re.search(rf"第{number}/{len(pages)}页", lines[-1]), lines[-1]
    for e in entries:
        where = [n for n, page in enumerate(pages, 1) if line_of(e) in page.split("\n")]
        assert len(where) == 1, f"{e.title!r} is on pages {where}"
        lines = pages[where[0] - 1].split("\n")
        heading = next(line for line in reversed(lines[: lines.index(line_of(e))]) if line.startswith("《"))
        assert heading == f"《{e.source}》", f"{e.title!r} is under {heading}"


# --- end to end: both routes of `zhewen serve` ----------------------------------------------------------

LONG_TOC = [entry(n, page=n) for n in range(1, 33)] + [entry(n, PAPER, f"报纸文章{n}") for n in range(6)]


class LongTocEngine(FakeEngine):
    """test_wecom_callback's stand-in engine with a table of contents of three pages, the newspaper last."""

    def toc(self) -> list[TocEntry]:
        return list(LONG_TOC)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Resources]]:
    """The server's app with the WeCom app and the 智能机器人 configured, the real query log on a file."""
    env = fake.env(ZHEWEN_DB=str(tmp_path / "log.sqlite3"), WECOM_AIBOT_TOKEN=robot.TOKEN,
                   WECOM_AIBOT_AES_KEY=robot.AES_KEY)
    async with open_resources(load_settings(env, env_file=None), engine=LongTocEngine()) as resources:
        transport = httpx.ASGITransport(app=create_app(resources))
        async with httpx.AsyncClient(transport=transport, base_url="http://wecom.test") as client:
            yield client, resources


async def test_app_pages_through_the_whole_table_and_logs_no_question(
        served: tuple[httpx.AsyncClient, Resources]) -> None:
    client, resources = served
    first = (await say(client, fake.text_xml("/toc"))).content
    assert first == (await say(client, fake.text_xml("目录"))).content == render_toc(LONG_TOC, 1)
    assert "回复“目录 2”查看下一页" in first and "报纸文章" not in first
    for text in ("目录 2", "目录2", "/toc 2", "目录２"):
        assert (await say(client, fake.text_xml(text))).content == render_toc(LONG_TOC, 2), text
    last = (await say(client, fake.text_xml("目录 3"))).content
    assert all(f"报纸文章{n}" in last for n in range(6))
    assert last.endswith(texts.WECOM_TOC_LAST.format(page=3, total=3))
    for text in ("目录 0", "/toc 4"):
        assert (await say(client, fake.text_xml(text))).content == texts.WECOM_TOC_NO_PAGE.format(
            total=3, reply=texts.WECOM_TOC_REPLY)
    # like /toc: the engine is not asked and the query log gets no row
    assert resources.engine.questions == [] and await rows(resources) == []


async def robot_says(client: httpx.AsyncClient, message: dict) -> str:
    return stream_content(await ask(client, message), message["msgid"])


async def test_robot_pages_in_a_group_and_one_to_one_and_logs_no_question(
        served: tuple[httpx.AsyncClient, Resources]) -> None:
    client, resources = served
    group = texts.AIBOT_GROUP_TOC_REPLY
    first = await robot_says(client, mention("目录"))
    assert first == render_toc(LONG_TOC, 1, aibot.MAX_REPLY_BYTES, group)
    assert "@我并回复“目录 2”查看下一页" in first
    for text in ("目录 2", "目录2", "/toc 2", "目录２"):
        assert await robot_says(client, mention(text)) == render_toc(LONG_TOC, 2, 2048, group), text
    assert "报纸文章5" in await robot_says(client, mention("目录 3"))
    assert await robot_says(client, mention("目录 0")) == texts.WECOM_TOC_NO_PAGE.format(total=3, reply=group)
    private = robot.text_message("目录 2", group=False, userid="wangwu")
    assert await robot_says(client, private) == render_toc(LONG_TOC, 2, 2048)  # "回复“目录 3”…", no @
    assert resources.engine.questions == [] and await rows(resources) == []
