"""The answer engine on a small hand-made corpus: answers, citations, abstention, follow-ups."""
from __future__ import annotations

import pytest

from bot import texts
from bot.engine import Engine

CORPUS = {
    "sources": [{"id": "mag", "title": "测试月刊 2025年第1期", "kind": "magazine", "date": "2025-01-01"},
                {"id": "news", "title": "测试日报 2025-05-28", "kind": "newspaper", "date": "2025-05-28"}],
    "articles": [
        {"id": "a1", "source": "mag", "title": "打造人工智能创新高地", "subtitle": "", "authors": ["张三"],
         "column": "本期关注", "page": 8, "sections": [
             {"heading": "强创新 › 加强模型和算法创新", "passages": [
                 {"id": "a1-1", "text": "截至2025年7月，全省共有44款人工智能大模型通过国家网信办备案，"
                                        "数量居全国第四。全省还发放算力券，支持中小企业使用智能算力。"},
                 {"id": "a1-2", "text": "宁波数字安全产业基地于6月6日正式投运上线，标志着宁波在数字安全"
                                        "产业发展方面迈出重要一步。"},
             ]},
             {"heading": "强主体 › 做优做强龙头企业", "passages": [
                 {"id": "a1-3", "text": "宇树科技把机器人关节的液压驱动改为电传动，由于电机成本大幅下降，"
                                        "产品性价比胜过国际巨头。"},
             ]},
         ]},
        {"id": "a2", "source": "mag", "title": "守护山村夕阳红", "subtitle": "", "authors": [],
         "column": "社会建设", "page": 30, "sections": [{"heading": "", "passages": [
             {"id": "a2-1", "text": "莲都区为每个村培育1至2名本土养老管家，服务村中老人。"},
             {"id": "a2-2", "text": "山区老人居住分散，服务半径大、交通不便，养老服务长期送不到位。"},
         ]}]},
        {"id": "a3", "source": "news", "title": "企业赴境外上市持续升温", "subtitle": "", "authors": [],
         "column": "", "page": None, "sections": [{"heading": "", "passages": [
             {"id": "a3-1", "text": "新加坡交易所集团首席执行官罗文才表示，新交所将不断完善二次上市机制，"
                                    "吸引并支持在香港和美国上市的中资企业来新加坡上市，为中国企业全球化发展提供"
                                    "支持，同时推动两地资本市场在产品、服务、人才和监管等方面开展更深层次、"
                                    "更宽领域、更高水平的互联互通与务实合作。"},
         ]}]},
    ],
    "content_hash": "engine-test-1",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    return Engine.from_corpus(CORPUS, cache_dir=tmp_path_factory.mktemp("cache"))


def test_number_question_gets_the_sentence_with_the_number_and_its_citation(engine):
    answer = engine.ask("全省有多少款大模型通过备案？")
    assert answer.found, answer.reply
    assert "44款" in answer.answer
    first = answer.references[0]
    assert (first.source, first.page, first.article, first.section, first.passage_id) == (
        "测试月刊 2025年第1期", 8, "打造人工智能创新高地", "强创新 › 加强模型和算法创新", "a1-1")
    assert first.rank == 1 and first.score > 0 and "44款" in first.text
    assert answer.answer in answer.reply and "出处：《测试月刊 2025年第1期》第8页" in answer.reply


@pytest.mark.parametrize("question, expected", [
    ("寧波數字安全產業基地是哪天投運的？", "6月6日"),            # Traditional characters
    ("宇树科技的机器人为什么性价比高？", "电传动"),              # reason
    ("新加坡交易所集团（SGX）CEO 是谁", "罗文才"),              # English mixed, name
    ("莲都区 养老管家 每村 几名", "1至2名"),                    # keywords
    ("山区养老服务送不到位的原因", "交通不便"),
])
def test_styles_of_question(engine, question, expected):
    answer = engine.ask(question)
    assert answer.found and expected in answer.answer, f"Expected {expected!r} in {answer.answer!r}"


def test_long_sentence_is_trimmed_at_a_clause_boundary(engine):
    answer = engine.ask("罗文才说新交所要推动两地资本市场在哪些方面互联互通？")
    assert answer.found
    assert len(answer.answer) <= 120 and "…" in answer.answer
    assert "互联互通" in answer.answer


def test_references_are_one_per_article_but_the_cited_one_may_give_two(engine):
    answer = engine.ask("宁波数字安全产业基地和算力券")
    articles = [r.article for r in answer.references + answer.related]
    cited = articles[0]
    assert articles.count(cited) <= 2
    others = [a for a in articles if a != cited]
    assert len(others) == len(set(others)) and len(answer.references) <= 3
    assert [r.rank for r in answer.references] == list(range(1, len(answer.references) + 1))
    # The reply lists each article once.
    assert answer.reply.count(cited) <= 1


@pytest.mark.parametrize("junk", ["", "   ", "？？！！", "😀😀", "\u200b\u200b", "请问一下是什么呢",
                                  "hello how are you", "你好", "谢谢！", "哈哈哈", "在吗",
                                  "bonjour comment ça va"])
def test_junk_gets_a_short_prompt(engine, junk):
    answer = engine.ask(junk)
    assert not answer.found and answer.answer == "" and answer.references == ()
    assert "请" in answer.reply and "出处" not in answer.reply


@pytest.mark.parametrize("question", ["火星探测器什么时候发射？", "量子计算机的市场规模有多大？"])
def test_off_topic_question_is_not_answered(engine, question):
    answer = engine.ask(question)
    assert not answer.found and answer.answer == ""
    assert "没有找到" in answer.reply and "出处" not in answer.reply


def test_number_question_without_a_number_in_the_documents_is_not_answered(engine):
    answer = engine.ask("宁波数字安全产业基地投资规模有多少亿元？")
    assert not answer.found, answer.answer
    assert "/toc" in answer.reply


def test_who_question_needs_the_role_in_the_answer(engine):
    assert engine.ask("新加坡交易所集团首席执行官是谁？").found
    assert not engine.ask("新加坡交易所集团的董事长是谁？").found


def test_json_object_matches_the_design(engine):
    data = engine.ask("全省有多少款大模型通过备案？").to_json()
    assert set(data) == {"question", "found", "answer", "references", "reply", "latency_ms",
                         "confidence"}
    assert set(data["references"][0]) == {"rank", "source", "article", "section", "page", "passage_id",
                                          "score", "text"}
    assert data["latency_ms"] >= 0


def test_more_passage_and_toc(engine):
    assert engine.passage("a2-2").text.startswith("山区老人") and engine.passage("nope") is None
    ref = engine.passage("a3-1")
    assert (ref.rank, ref.score, ref.page) == (1, 0.0, None)
    more = engine.more("服务", skip=1, count=2)
    assert all(r.rank >= 2 for r in more) and len(more) <= 2
    toc = engine.toc()
    assert [t.title for t in toc] == ["打造人工智能创新高地", "守护山村夕阳红", "企业赴境外上市持续升温"]
    assert toc[0].authors == ("张三",) and toc[0].page == 8 and toc[2].source == "测试日报 2025-05-28"


def test_normalized_question_is_kept_for_the_log(engine):
    assert engine.ask("  寧波ＡＢＣ？ ").normalized == "宁波abc?"


def test_from_loader_reads_the_corpus_again_only_without_a_cached_index(tmp_path):
    calls: list[int] = []

    def load() -> dict:
        calls.append(1)
        return CORPUS

    first = Engine.from_loader(load, cache_dir=tmp_path)
    assert len(calls) == 2  # no cache yet: read once for the outline, once to build
    again = Engine.from_loader(load, cache_dir=tmp_path)
    assert len(calls) == 3  # the cached index needs no second read
    question = "算力券发了多少"
    assert again.ask(question).to_json()["answer"] == first.ask(question).to_json()["answer"] != ""
    assert again.toc() == first.toc() == Engine.from_corpus(CORPUS, cache_dir=tmp_path).toc()


@pytest.mark.parametrize("question", ["明天杭州天气怎么样", "给我讲个笑话吧"])
def test_off_topic_not_found_lists_no_articles(engine, question):
    reply = engine.ask(question).reply
    assert texts.NOT_FOUND_CLOSEST not in reply and "/toc" in reply

