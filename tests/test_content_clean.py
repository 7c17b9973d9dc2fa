"""Each cleaning rule on real snippets from the two documents, plus a few properties."""
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content import clean


@pytest.mark.parametrize(("raw", "expected"), [
    ("发 展人工智能,浙江有基础、有责 任继续当好先行者", "发展人工智能，浙江有基础、有责任继续当好先行者"),
    ("构筑引领 AI for Science 的丰富场景", "构筑引领AI for Science的丰富场景"),
    ("开源推理模型——Qwen3-235B-A22B-Thinking-2507", "开源推理模型——Qwen3-235B-A22B-Thinking-2507"),
    ("本刊记者 马跃明 叶 慧 邵玩玩", "本刊记者马跃明叶慧邵玩玩"),
])
def test_spaces_between_chinese_removed_latin_spacing_kept(raw: str, expected: str) -> None:
    assert clean.clean_line(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("建设\"数字浙江\",浙江是先行者;发展", "建设\"数字浙江\"，浙江是先行者；发展"),
    ("《数字浙江建设规划纲要(2003—2007年)》", "《数字浙江建设规划纲要（2003—2007年）》"),
    ("合格境外有限合伙人(OFLP)试点", "合格境外有限合伙人（OFLP）试点"),
    ("习近平强调:中华民族伟大复兴势不可挡!", "习近平强调：中华民族伟大复兴势不可挡！"),
    ("Qwen2.5-Omni-7B,全部来自杭州", "Qwen2.5-Omni-7B，全部来自杭州"),
])
def test_ascii_punctuation_touching_chinese_becomes_full_width(raw: str, expected: str) -> None:
    assert clean.fullwidth_punct(raw) == expected


def test_ascii_punctuation_between_latin_or_digits_stays() -> None:
    assert clean.fullwidth_punct("1,000 and 9:30 (OK)") == "1,000 and 9:30 (OK)"


def test_nfkc_folds_full_width_letters_but_keeps_ellipsis_dash_and_circled_numbers() -> None:
    assert clean.normalize_chars("ＡＩ＋ＸＡ１２") == "AI+XA12"
    assert clean.normalize_chars("驱动经济……新的黄金时代——②") == "驱动经济……新的黄金时代——②"
    assert clean.normalize_chars("发展，安全。") == "发展，安全。"


def test_html_tags_markdown_and_continuation_marks_removed() -> None:
    text, removed = clean.strip_markup("#### 全域推<mark>进机制日趋</mark>完善")
    assert text == "#### 全域推进机制日趋完善"
    assert removed == ["<mark>", "</mark>"]
    text, removed = clean.strip_markup("（上接A01版）从排队赴港上市企业数量看")
    assert text == "从排队赴港上市企业数量看" and removed == ["（上接A01版）"]
    assert clean.strip_markup("**半** ")[0].strip() == "半"
    assert [clean.markup_kind(p) for p in ("<mark>", "**", "（上接A01版）")] == [
        "HTML tag", "markdown residue", "continuation mark"]


def test_trailing_stray_glyphs_removed() -> None:
    assert clean.strip_stray_glyphs("为全国推进高水平科技自立自强作出积极贡献! ❷") == \
        ("为全国推进高水平科技自立自强作出积极贡献!", "❷")
    assert clean.strip_stray_glyphs("推动人工智能发展的时代命题。≥")[1] == "≥"
    assert clean.strip_stray_glyphs("第①项") == ("第①项", "")


def test_curly_quotes_alternate_within_a_paragraph() -> None:
    assert clean.curly_quotes('作出建设"数字浙江"的战略部署,"八八战略"') == \
        "作出建设“数字浙江”的战略部署,“八八战略”"


def test_sentence_end_detection() -> None:
    assert clean.ends_sentence("广场隆重举行。")
    assert clean.ends_sentence("“要让企业买得到算力，更要用得好算力。”")
    assert clean.ends_sentence("针对中低风险的资产组合，其策略还包括：")
    assert clean.ends_sentence('处理一些代买代办事宜。"')
    assert clean.ends_sentence("司法建议采纳率达100%······")
    assert not clean.ends_sentence("纪念大会在北京天安门")
    assert not clean.ends_sentence("以杭州为核心的“东方神秘力量”")


def test_split_sentences_keeps_closing_quotes() -> None:
    assert clean.split_sentences("人工智能发展的强大合力。人工智能发展的强大合力。“好！”他说。") == [
        "人工智能发展的强大合力。", "人工智能发展的强大合力。", "“好！”", "他说。"]


def test_join_fragments_cut_by_a_column() -> None:
    assert clean.join_fragments("纪念大会在北京天安门", "广场隆重举行") == "纪念大会在北京天安门广场隆重举行"
    assert clean.join_fragments("AI for", "Science") == "AI for Science"


def test_split_long_paragraph_at_sentence_ends() -> None:
    text = "甲" * 200 + "。" + "乙" * 200 + "。" + "丙" * 50 + "。"
    chunks = clean.split_long(text, 300)
    assert chunks == ["甲" * 200 + "。", "乙" * 200 + "。" + "丙" * 50 + "。"]
    assert all(len(c) <= 300 for c in chunks)
    assert "".join(chunks) == text
    balanced = clean.split_long(("一" * 49 + "。") * 7, 300)  # 350 characters
    assert [len(c) for c in balanced] == [200, 150]


# Properties over arbitrary mixes of Chinese, Latin, digits, spaces and punctuation.
_TEXT = st.text(alphabet=st.sampled_from(list("浙江人工智能发展AI for GPU 2025年,.:;()!?\"，。　 ")),
                max_size=80)


@given(_TEXT)
def test_clean_line_is_idempotent_and_leaves_no_space_between_chinese(text: str) -> None:
    once = clean.clean_line(text)
    assert clean.clean_line(once) == once
    assert not re.search(r"[\u4e00-\u9fff]\s+[\u4e00-\u9fff]", once)


@given(_TEXT)
def test_split_long_keeps_every_character_in_order(text: str) -> None:
    chunks = clean.split_long(text * 5, 60)
    assert "".join(chunks) in (text * 5, (text * 5).rstrip())  # a trailing blank is not a sentence


@given(_TEXT)
def test_compact_ignores_spacing_and_punctuation(text: str) -> None:
    assert clean.compact(text) == clean.compact(clean.clean_line(text).replace("，", ","))


@pytest.mark.parametrize("text, unopened", [
    ("此外，部分外贸企业是代工企业。”李茵说。", True),
    ("“此外，部分外贸企业是代工企业。”李茵说。", False),
    ("他说：“我们要‘敢为人先’。”", False),
    ("没有引号的段落。", False),
    ("“引语跨段，本段未闭合。", False),
])
def test_a_quotation_closed_without_being_opened(text: str, unopened: bool) -> None:
    assert clean.closes_unopened(text) is unopened
