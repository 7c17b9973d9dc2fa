"""Pure parts of the Telegram channel: HTML rendering and trimming, callback data, the rate limit.

Rendered HTML is checked with the fake Bot API's parser, which refuses what Telegram refuses.
"""
from __future__ import annotations

import pytest
from fakes.telegram_api import HTMLError, parse_html, utf16_len
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine import Answer, Reference, TocEntry
from bot.ratelimit import RateLimiter, Verdict
from bot.telegram import callbacks, render

# any code point, lone surrogates included, with markup, zero-width, right-to-left and emoji mixed in
ANY_TEXT = st.text(st.one_of(st.characters(), st.characters(categories=["Cs"]),
                             st.sampled_from("<>&\"'\n\u200b\u202e😀。")), max_size=3000)


def _ref(text: str, article: str = "勇立新一代人工智能发展潮头", rank: int = 1) -> Reference:
    return Reference(rank=rank, source="今日浙江 2025年第17期", article=article, section="强创新",
                     page=8, passage_id="p1", score=1.0, text=text)


def _answer(text: str, found: bool = True, refs: tuple[Reference, ...] = ()) -> Answer:
    return Answer(question="q", found=found, answer=text if found else "", references=refs,
                  reply=text, latency_ms=1.0)


def _valid(html: str) -> str:
    visible = parse_html(html)
    assert utf16_len(html) <= render.MAX_UTF16
    return visible


@pytest.mark.parametrize("bad", ["<b>x", "x</b>", "<script>x</script>", "a & b", "a < b", "<b><i>x</b></i>",
                                 "&nbsp;"])
def test_fake_bot_api_refuses_what_telegram_refuses(bad: str) -> None:
    with pytest.raises(HTMLError):
        parse_html(bad)


def test_fake_bot_api_reads_entities_and_tags() -> None:
    assert parse_html("<b>a</b> &lt;&amp;&gt;&quot; &#20013;<blockquote>q</blockquote>") == 'a <&>" 中q'


def test_answer_first_then_sources_block() -> None:
    html = render.render_answer(_answer("浙江有44款大模型。", refs=(_ref("…"), _ref("…", "第二篇", 2))))
    assert html == ("浙江有44款大模型。\n\n<b>出处</b>\n<blockquote>"
                    "1. 《今日浙江 2025年第17期》第8页，勇立新一代人工智能发展潮头 › 强创新\n"
                    "2. 《今日浙江 2025年第17期》第8页，第二篇 › 强创新</blockquote>")


def test_a_typo_read_otherwise_is_said_after_the_sources() -> None:
    answer = Answer(question="q", found=True, answer="周期缩短了三分之二。", references=(_ref("…"),),
                    reply="", latency_ms=1.0, understood=(("锁短", "缩短"),))
    html = render.render_answer(answer)
    assert html.endswith("</blockquote>\n<i>（已把“锁短”按“缩短”理解）</i>")
    _valid(html)


def test_document_and_user_text_are_escaped() -> None:
    html = render.render_answer(_answer('<b>"x" & y</b>', refs=(_ref("t", article="<i>标题</i>"),)))
    assert "&lt;b&gt;" in html and "&lt;i&gt;标题&lt;/i&gt;" in html and "《今日浙江" in html
    assert parse_html(html).startswith('<b>"x" & y</b>')


def test_long_answer_is_trimmed_at_a_sentence_and_keeps_the_sources() -> None:
    answer = "浙江推进人工智能发展。" * 600
    html = render.render_answer(_answer(answer, refs=(_ref("t"),)))
    visible = _valid(html)
    assert visible.endswith("第8页，勇立新一代人工智能发展潮头 › 强创新")
    body = visible.split("\n\n出处")[0]
    assert body.endswith("。…") and len(body) < len(answer)


def test_trim_counts_escapes_and_utf16() -> None:
    assert render.trim("<<<<", 9) == "<<…"          # "&lt;" costs 4, the ellipsis 1
    assert render.trim("<<<<", 8) == "<…"
    assert render.trim("😀😀😀", 5) == "😀😀…"      # an emoji is two UTF-16 units
    assert render.trim("短句", 10) == "短句"
    assert render.trim("anything", 0) == ""


def test_clean_drops_control_characters_and_lone_surrogates() -> None:
    assert render.clean("a\x00b\x1bc\ud800d\n") == "abc\ufffdd\n"


@settings(max_examples=150, deadline=None)
@given(answer=ANY_TEXT, article=st.text(max_size=300), found=st.booleans(), repeat=st.integers(1, 40))
def test_any_answer_renders_to_html_telegram_accepts(answer: str, article: str, found: bool,
                                                     repeat: int) -> None:
    refs = tuple(_ref(answer, article * repeat, rank) for rank in (1, 2, 3))
    for html in (render.render_answer(_answer(answer * repeat, found, refs)), render.render_passage(refs[0]),
                 render.render_more(refs, 4)):
        _valid(html)


@settings(max_examples=50, deadline=None)
@given(titles=st.lists(st.text(max_size=200), max_size=60), page=st.integers(-2, 10))
def test_any_toc_page_renders(titles: list[str], page: int) -> None:
    entries = [TocEntry(source=f"来源{i // 20}", page=i or None, title=t, authors=(t[:5],), column="")
               for i, t in enumerate(titles)]
    _valid(render.render_toc(entries, page))


def test_toc_groups_by_source_and_pages() -> None:
    entries = [TocEntry(source="今日浙江" if i < 20 else "浙江日报", page=i, title=f"T{i}", authors=(),
                        column="") for i in range(1, 31)]
    assert render.toc_pages(entries) == 2
    second = parse_html(render.render_toc(entries, 1))
    assert second.startswith("文档目录 2/2\n\n今日浙江\n第16页 《T16》")
    assert "\n\n浙江日报\n第20页 《T20》" in second and "T15" not in second
    assert callbacks.toc_keyboard(0, 1) is None


@given(action=st.sampled_from([callbacks.SOURCE, callbacks.TOC]), key=st.integers(0, 2**63 - 1))
def test_callback_data_round_trips_within_64_bytes(action: str, key: int) -> None:
    for data, arg in ((callbacks.encode(action, key), 0), (callbacks.encode(callbacks.MORE, key, 999), 999),
                      (callbacks.encode(callbacks.FEEDBACK, key, -1), -1)):
        assert len(data.encode()) <= 64
        decoded = callbacks.decode(data)
        assert decoded is not None and decoded.key == key and decoded.arg == arg


@pytest.mark.parametrize("data", [None, "", "x:1", "s:", "s:abc", "m:1", "f:1:+2", "f:1", "s:1:2:3", "t:-1",
                                  "s:" + "9" * 30])
def test_foreign_callback_data_is_refused(data: str | None) -> None:
    assert callbacks.decode(data) is None


async def test_rate_limit_sliding_window_notifies_once() -> None:
    now = [0.0]
    limiter = RateLimiter(2, window=60, clock=lambda: now[0])
    verdicts = [await limiter.check("u") for _ in range(4)]
    assert verdicts == [Verdict.ALLOW, Verdict.ALLOW, Verdict.NOTIFY, Verdict.SILENT]
    assert await limiter.check("other") is Verdict.ALLOW
    now[0] = 60.0
    assert [await limiter.check("u") for _ in range(3)] == [Verdict.ALLOW, Verdict.ALLOW, Verdict.NOTIFY]


async def test_rate_limit_memory_is_bounded() -> None:
    now = [0.0]
    limiter = RateLimiter(1, window=10, clock=lambda: now[0], max_users=100)
    for user in range(100):
        await limiter.check(user)
    now[0] = 11.0
    await limiter.check("late")
    assert len(limiter._seen) == 1
