"""Pinyin-input typos: the readings table and the corrections, on hand-made and real vocabularies."""
from __future__ import annotations

import pytest

from retrieval import homophones
from retrieval.homophones import Fix, Span, apply, corrections
from retrieval.normalize import normalize
from retrieval.question import analyse

DOCUMENTS = "整体生产周期缩短了三分之二。派出所生态警长张忠心劝说游客。爆炸事故造成5人死亡。"
VOCABULARY = {"整体", "生产", "周期", "缩短", "生态", "警长", "生态警长", "游客", "爆炸", "事故"}
PAIRS = {DOCUMENTS[i : i + 2] for i in range(len(DOCUMENTS) - 1)}


def fixes(text: str, fixed: tuple[str, ...] = ("整体", "生产", "周期", "生态", "游客", "爆炸")) -> list[Fix]:
    spans = [Span(text.find(w), text.find(w) + len(w), True) for w in fixed if w in text]
    return corrections(text, spans, VOCABULARY, PAIRS, lambda s: s in DOCUMENTS, lambda w: w in {"了", "的"})


def test_the_table_gives_toneless_readings_heteronyms_included():
    assert "缩" in homophones.homophones("锁") and "锁" in homophones.homophones("缩")
    assert "警" in homophones.homophones("井") and "区" in homophones.homophones("去")
    assert "锁" not in homophones.homophones("锁")
    assert homophones.homophones("A") == ""


def test_the_table_is_what_pypinyin_gives():
    pytest.importorskip("pypinyin")
    assert homophones.TABLE.read_text(encoding="utf-8").splitlines() == homophones.table_lines()


@pytest.mark.parametrize("typed, meant", [
    ("整体生产周期锁短了多少", "整体生产周期缩短了多少"),   # 锁 suo for 缩 suo
    ("那位生态井长叫什么", "那位生态警长叫什么"),           # 井 jing for 警 jing
    ("爆炸世故死了几个人", "爆炸事故死了几个人"),           # 世 shi for 事 shi
])
def test_a_homophone_typo_is_read_as_the_documents_word(typed, meant):
    assert apply(typed, fixes(typed)) == meant


def test_no_fix_without_an_unknown_pair_a_known_word_or_a_context_the_documents_use():
    assert fixes("整体生产周期缩短了多少") == []            # nothing odd: the documents say it
    assert fixes("整体生产周期锁短了多少", fixed=("整体", "生产", "周期", "锁短")) == []  # a known word
    assert fixes("他把门锁短了") == []                     # 缩短 never follows 门 in the documents


def test_a_fix_never_cuts_a_word_of_the_question():
    text = "生产周期锁短"
    spans = [Span(0, 2, True), Span(2, 4, True), Span(3, 5, False)]   # "期锁" cut as a word
    assert corrections(text, spans, VOCABULARY, PAIRS, lambda s: s in DOCUMENTS, lambda w: False) == []


def test_a_character_in_no_word_may_be_read_into_a_string_the_documents_write():
    # 付 stands alone in 所付警长 as jieba cut it; 所副警长 is no word, but 副警长 is written
    documents = "派出所副警长张忠心劝说游客。"
    pairs = {documents[i : i + 2] for i in range(len(documents) - 1)}
    text = "所付警长"
    spans = [Span(2, 4, True)]
    got = corrections(text, spans, VOCABULARY, pairs, lambda s: s in documents, lambda w: False)
    assert apply(text, got) == "所副警长"
    # the same character inside a word of the question is left alone
    assert corrections(text, [Span(1, 3, False), Span(2, 4, True)], VOCABULARY, pairs,
                       lambda s: s in documents, lambda w: False) == []


def test_a_function_character_beside_the_typo_is_read_with_the_one_before_it():
    # 能 (a stopword) alone says nothing; 智能眼镜 is what the documents write
    documents = "智能眼镜仅49克。"
    pairs = {documents[i : i + 2] for i in range(len(documents) - 1)}
    text = "智能眼睛多重"
    spans = [Span(0, 2, True), Span(2, 4, False), Span(4, 6, True)]
    stop = {"能", "多"}
    got = corrections(text, spans, {"智能", "眼镜"}, pairs, lambda s: s in documents, stop.__contains__)
    assert apply(text, got) == "智能眼镜多重"


def test_the_real_index_reads_typos_and_leaves_the_documents_own_words_alone(engine):
    index = engine.pipeline.index
    assert analyse("友道化学爆炸世故死了几个人", index).text == "友道化学爆炸事故死了几个人"
    assert "警长" in analyse("安吉那个生态井长叫啥名字", index).text
    for passage in index.passages:
        assert index.typos(normalize(passage.text)) == []


def test_a_typo_question_gets_the_answer_and_says_how_it_was_read(engine):
    answer = engine.ask("高密友道化学爆炸世故死了几个人")
    assert answer.found and "5人" in answer.answer
    assert answer.understood == (("世故", "事故"),)
    assert answer.reply.endswith("（已把“世故”按“事故”理解）")
    assert engine.ask("高密友道化学爆炸事故死了几个人").understood == ()


def test_a_pasted_page_is_left_as_it_is():
    long = "整体生产周期锁短了多少" * 40
    assert fixes(long) == []


def test_a_typo_in_what_is_asked_is_read_as_a_common_word_the_documents_use_elsewhere():
    # 局张 is in no context the documents write (they never name the office's head), but 局长 is a
    # common word they use, and its reading (zhang) is 张's main one
    documents = "温州市人工智能局揭牌。市公安局局长出席。香葱一把。"
    pairs = {documents[i : i + 2] for i in range(len(documents) - 1)}
    dictionary = {"局长": 2157, "人工智能": 500, "一把": 900}
    text = "人工智能局的局张是谁"
    spans = [Span(0, 4, True), Span(4, 5, False)]

    stop = {"的", "是", "谁"}

    def read(text: str, spans: list[Span]) -> str:
        got = corrections(text, spans, {"局长", "人工智能", "一把"}, pairs, lambda s: s in documents,
                          stop.__contains__, lambda w: dictionary.get(w, -1))
        return apply(text, got)

    assert read(text, spans) == "人工智能局的局长是谁"
    # without jieba's count the documents' context is still required
    assert apply(text, corrections(text, spans, {"局长"}, pairs, lambda s: s in documents,
                                   {"的", "是", "谁"}.__contains__)) == text
    # a pronoun is read by its main reading only (它 is "ta", not "yi": no 一把)
    assert read("它把总部迁到哪了", []) == "它把总部迁到哪了"


def test_the_real_index_declines_a_question_on_an_unstated_post_typed_with_a_typo(engine):
    answer = engine.ask("温州市人工智能局的局张是谁？")
    assert not answer.found
    assert answer.understood == (("局张", "局长"),)
    assert engine.ask("山东友道化学有限公司是哪一年成力的？").found is False
