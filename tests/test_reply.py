"""Plain-text reply formatting and the citation shared by every channel."""
from __future__ import annotations

from bot.engine import Reference
from bot.reply import format_citation, format_reply


def ref(article: str, section: str = "", page: int | None = 8,
        source: str = "今日浙江 2025年第17期") -> Reference:
    return Reference(rank=1, source=source, article=article, section=section, page=page, passage_id="p",
                     score=1.0, text="……")


def test_citation_names_source_page_article_and_section():
    assert format_citation(ref("勇立潮头", "强创新 › 加强模型和算法创新")) == \
        "《今日浙江 2025年第17期》第8页，勇立潮头 › 强创新 › 加强模型和算法创新"
    assert format_citation(ref("企业赴境外上市", page=None, source="报纸 2025-05-28")) == \
        "《报纸 2025-05-28》，企业赴境外上市"


def test_found_reply_has_answer_source_and_at_most_two_related_articles():
    refs = [ref("甲"), ref("乙", page=12), ref("甲"), ref("丙", page=20), ref("丁", page=30)]
    reply = format_reply(True, "浙江共有44款大模型通过备案。", refs)
    lines = reply.splitlines()
    assert lines[0] == "浙江共有44款大模型通过备案。"
    assert lines[2] == "出处：《今日浙江 2025年第17期》第8页，甲"
    assert lines[3] == "相关文章："
    assert lines[4:] == ["· 乙（《今日浙江 2025年第17期》第12页）", "· 丙（《今日浙江 2025年第17期》第20页）"]


def test_not_found_reply_says_so_and_shows_no_citation():
    reply = format_reply(False, "", [ref("甲"), ref("乙")])
    assert reply.startswith("抱歉") and "/toc" in reply and "出处" not in reply
    assert "· 甲" in reply and "· 乙" in reply
    assert format_reply(False, "", []) .count("\n") == 0


def test_junk_prompt():
    assert "请" in format_reply(False, "", [], prompt=True)


def test_a_typo_read_otherwise_is_said_last_found_or_not():
    found = format_reply(True, "周期缩短了三分之二。", [ref("甲")], understood=[("锁短", "缩短")])
    assert found.splitlines()[-1] == "（已把“锁短”按“缩短”理解）"
    missing = format_reply(False, "", [], understood=[("世故", "事故"), ("井长", "警长")])
    assert missing.splitlines()[-1] == "（已把“世故”按“事故”，“井长”按“警长”理解）"
    assert "理解" not in format_reply(True, "答案。", [ref("甲")])
