"""The WeCom byte trimmer and plain-text rendering: always within the byte limit, valid UTF-8."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot import texts
from bot.engine import Answer, Reference, TocEntry
from bot.reply import format_citation
from bot.wecom.text import (
    ELLIPSIS,
    render_answer,
    render_more,
    render_passage,
    render_plain,
    render_toc,
    trim_utf8,
    utf8_len,
)


def test_short_text_is_unchanged():
    assert trim_utf8("浙江有44款大模型通过备案。") == "浙江有44款大模型通过备案。"


def test_exactly_at_the_limit_is_unchanged():
    text = "浙" * 10  # 30 bytes
    assert trim_utf8(text, 30) == text


def test_cut_by_bytes_not_characters():
    text = "浙" * 1000  # 3000 bytes, 1000 characters
    out = trim_utf8(text, 2048)
    assert len(out.encode("utf-8")) <= 2048
    assert out.endswith(ELLIPSIS)
    assert out == "浙" * 681 + ELLIPSIS  # (2048 - 3) // 3 whole characters


def test_prefers_a_sentence_end():
    text = "第一句话很长。" * 100 + "第二句" * 100
    out = trim_utf8(text, 600)
    assert out.endswith("。" + ELLIPSIS)
    assert utf8_len(out) <= 600


def test_ignores_a_boundary_that_would_drop_most_of_the_text():
    text = "短。" + "长" * 1000
    out = trim_utf8(text, 300)
    assert out.startswith("短。长")
    assert utf8_len(out) > 250


def test_four_byte_characters_are_never_split():
    out = trim_utf8("😀" * 100, 10)
    assert out == "😀" + ELLIPSIS


def test_limits_smaller_than_the_ellipsis():
    assert trim_utf8("浙江", 2) == ""
    assert trim_utf8("ab", 1) == "a"


def test_lone_surrogates_become_replacement_characters():
    out = trim_utf8("a\ud800b")
    assert out == "a\ufffdb"
    out.encode("utf-8")


@given(st.text(), st.integers(min_value=0, max_value=3000))
def test_always_valid_utf8_within_the_limit(text, limit):
    out = trim_utf8(text, limit)
    assert len(out.encode("utf-8")) <= limit


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1))
def test_a_trimmed_text_is_a_prefix_plus_ellipsis(text):
    out = trim_utf8(text, 64)
    if out != text:
        assert out.endswith(ELLIPSIS)
        assert text.startswith(out.removesuffix(ELLIPSIS))


def test_render_plain_uses_the_shared_reply_and_trims_it():
    reply = "答。\n\n来源：" + "长" * 2000
    answer = Answer(question="q", found=True, answer="答。", references=(), reply=reply, latency_ms=1.0)
    out = render_plain(answer)
    assert out.startswith("答。\n")
    assert utf8_len(out) <= 2048


def _ref(n: int, text: str = "段落。") -> Reference:
    return Reference(rank=n, source="今日浙江 2025年第17期", article=f"文章{n}", section="", page=n,
                     passage_id=f"p{n}", score=1.0, text=text)


def test_render_answer_adds_the_follow_up_hint_only_when_there_is_something_to_follow():
    found = Answer(question="q", found=True, answer="答。", references=(_ref(1),), reply="答。",
                   latency_ms=1.0)
    assert render_answer(found) == f"答。\n\n{texts.WECOM_FOLLOWUP_HINT}"
    nothing = Answer(question="q", found=False, answer="", references=(), reply="没有找到。", latency_ms=1.0)
    assert render_answer(nothing) == "没有找到。"


def test_render_more_numbers_the_references():
    out = render_more([_ref(4), _ref(5)])
    assert out.splitlines()[:3] == [texts.WECOM_MORE_HEADING, f"1. {format_citation(_ref(4))}",
                                    f"2. {format_citation(_ref(5))}"]
    assert out.endswith(texts.WECOM_MORE_FOOTER)


def test_a_long_passage_is_trimmed_after_its_citation():
    out = render_passage(_ref(1, "很长的段落。" * 500))
    assert out.startswith(format_citation(_ref(1)) + "\n\n")
    assert utf8_len(out) <= 2048 and out.endswith("。" + ELLIPSIS)


def test_render_toc_groups_by_source():
    entries = [TocEntry("今日浙江 2025年第17期", 8, "甲", ("马跃明",), "本期关注"),
               TocEntry("今日浙江 2025年第17期", 16, "乙", (), ""),
               TocEntry("报纸 2025年5月28日", None, "丙", (), "")]
    assert render_toc(entries).splitlines() == [
        texts.WECOM_TOC_HEADING, "《今日浙江 2025年第17期》", "· 第8页 甲（马跃明）", "· 第16页 乙",
        "《报纸 2025年5月28日》", "· 丙"]
    assert render_toc([]) == texts.WECOM_TOC_EMPTY
