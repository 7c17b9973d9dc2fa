"""Normaliser, tokenizer, user dictionary, BM25 (with rank-bm25's idf floor pinned) and fusion."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from retrieval.bm25 import PostingsBM25, lucene_idf
from retrieval.index import Index, Params, build_index
from retrieval.normalize import display_text, normalize
from retrieval.question import analyse
from retrieval.stopwords import STOPWORDS
from retrieval.tokenize import Tokenizer, bigrams, strip_question_phrases, unique
from retrieval.userdict import build_user_words, frequent_ngrams, heading_terms, quoted_terms


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer(["算力券", "三体计算星座", "数安港"])


def test_normalize_folds_width_case_traditional_and_invisible_characters():
    folded = normalize("寧波數字\u200b安全　ＡＢＣ１２３％\x07 DeepSeek-R1")
    assert folded == "宁波数字安全 abc123% deepseek-r1"
    assert normalize("\ufeff  \u200d ") == ""


def test_an_ocr_run_of_middle_dots_is_shown_as_an_ellipsis():
    assert display_text("提高质量管控水平·····在宁波市") == "提高质量管控水平……在宁波市"
    assert display_text("创业中华·藤蔓全球，A··B") == "创业中华·藤蔓全球，A··B"


@pytest.mark.parametrize("text, whole", [
    ("规模达3800亿元", "3800亿元"), ("增长4.8%", "4.8%"), ("发布deepseek-r1和qwen3", "deepseek-r1"),
    ("连续16年位居第一", "16年"), ("成本降低118.27%", "118.27%"),
])
def test_numbers_units_and_latin_tokens_stay_whole(tokenizer, text, whole):
    assert whole in tokenizer.words(normalize(text))


def test_search_mode_keeps_compound_and_parts_and_drops_question_words(tokenizer):
    words = tokenizer.words(normalize("请问浙江省发放的算力券是什么？"))
    assert "算力券" in words and "浙江省" in words and "浙江" in words
    assert not {"请问", "什么", "是"} & set(words), f"Expected no stopwords, got {words}"


def test_user_dictionary_keeps_coined_terms_whole(tokenizer):
    assert "三体计算星座" in tokenizer.words("三体计算星座发射成功")
    assert "三体计算星座" not in Tokenizer().words("三体计算星座发射成功")


def test_bigrams_of_cjk_runs_and_whole_latin_tokens():
    assert bigrams("数安港 tpt2") == ["数安", "安港", "tpt2"]
    assert bigrams("港") == ["港"]
    assert "多少" not in bigrams(strip_question_phrases("魔搭社区有多少个模型"))


def test_duplicate_query_tokens_count_once():
    assert unique(["浙江", "模型", "浙江"]) == ["浙江", "模型"]


def test_question_words_are_stopwords():
    assert {"什么", "多少", "哪些", "哪个", "请问", "吗", "呢", "一下"} <= STOPWORDS


def test_user_words_come_from_quotes_titles_headings_and_frequent_ngrams():
    text = "发放“算力券”支持企业，印发《数字浙江建设规划纲要》。"
    assert {"算力券", "数字浙江建设规划纲要"} <= quoted_terms(text)
    assert heading_terms(["强创新 › 加强模型和算法创新"]) == {"强创新", "加强模型和算法创新"}
    texts = [f"{a}宇树科技{b}" for a, b in zip("甲乙丙丁戊", "子丑寅卯辰", strict=True)]
    assert "宇树科技" in frequent_ngrams(texts)
    # Always preceded by the same character: a fragment, not a term.
    assert "树科技" not in frequent_ngrams(texts)
    words = build_user_words(texts + [text], ["强创新"])
    assert words == sorted(words) and "算力券" in words


def test_rank_bm25_okapi_floors_frequent_terms_which_is_why_we_use_lucene_idf():
    corpus = [["a", "b"], ["a", "c"], ["a", "d"], ["b", "e"]]
    okapi = BM25Okapi(corpus)
    # "a" is in 3 of 4 documents: negative raw idf, floored to epsilon * mean idf.
    assert okapi.idf["a"] == pytest.approx(okapi.epsilon * okapi.average_idf)
    # "b" is in exactly half: raw idf log(1) = 0, and BM25Okapi does not floor zero.
    assert okapi.idf["b"] == 0.0
    ours = PostingsBM25(corpus)
    assert 0 < ours.idf["a"] < ours.idf["b"] < ours.idf["c"]
    assert ours.idf["b"] == pytest.approx(math.log(1 + 2.5 / 2.5))


def test_postings_scores_equal_bm25okapi_formula_with_the_same_idf():
    corpus = [["浙江", "模型", "模型"], ["浙江", "算力"], ["算力券", "浙江", "企业", "企业"], ["文化"]]
    ours = PostingsBM25(corpus, k1=1.2, b=0.75)
    reference = BM25Okapi(corpus, k1=1.2, b=0.75)
    reference.idf = {w: lucene_idf(len(corpus), sum(w in d for d in corpus)) for w in reference.idf}
    for query in (["浙江"], ["模型", "企业"], ["未知", "文化"]):
        np.testing.assert_allclose(ours.get_scores(query), reference.get_scores(query), rtol=1e-5)


def _corpus(*articles: tuple[str, str, list[str]]) -> dict:
    return {
        "sources": [{"id": "s", "title": "测试刊 第1期", "kind": "magazine", "date": None}],
        "articles": [
            {"id": f"a{i}", "source": "s", "title": title, "subtitle": "", "authors": [], "column": "",
             "page": i + 1,
             "sections": [{"heading": heading,
                           "passages": [{"id": f"a{i}p{j}", "text": t} for j, t in enumerate(ps)]}]}
            for i, (title, heading, ps) in enumerate(articles)
        ],
        "content_hash": "test-" + str(len(articles)),
    }


def test_index_ranks_the_matching_passage_first_and_uses_the_heading_field(tmp_path):
    corpus = _corpus(
        ("算力券的故事", "", ["今年全省发放算力券3亿元，惠及企业500家。"]),
        ("宇树科技", "机器人", ["公司把液压驱动改为电传动，成本大幅下降。"]),
        ("文化", "", ["西湖边举办了音乐节。"]),
    )
    index = build_index(corpus, Params(), cache_dir=tmp_path)
    assert index.passages[_search(index, "算力券发了多少")[0].doc].id == "a0p0"
    # "宇树" appears only in the article title: the boosted field finds it.
    assert index.passages[_search(index, "宇树的驱动方式")[0].doc].id == "a1p0"
    # The bigram channel rescues a word jieba cuts differently ("音乐节" vs "音乐 节").
    assert index.passages[_search(index, "乐节")[0].doc].id == "a2p0"
    assert _search(index, "完全无关的火星探测") == []


def test_an_article_lends_its_best_passage_score_and_the_cue_reranks(tmp_path):
    corpus = _corpus(
        ("纪念大会", "", ["纪念大会在广场隆重举行。", "大会历时1小时26分钟，圆满结束。"]),
        ("另一场活动", "", ["活动持续举办纪念展览。", "广场上游人如织。"]),
    )
    index = build_index(corpus, Params(), cache_dir=tmp_path)
    q = analyse("纪念大会持续多久", index)
    bare = build_index(corpus, Params(article_weight=0.0, cue_weight=0.0), cache_dir=tmp_path)
    plain = {index.passages[h.doc].id: h.score for h in bare.search(q.words, q.bigrams)}
    helped = {index.passages[h.doc].id: h.score for h in index.search(q.words, q.bigrams)}
    # A passage whose own words barely match gains from the best passage of its article.
    assert helped["a0p1"] - plain["a0p1"] >= Params().article_weight * plain["a0p0"] - 1e-6
    # A duration question: the passage stating a duration ("历时…") is lifted to the top.
    cued = index.search(q.words, q.bigrams, cue=lambda text: "历时" in text)
    assert index.passages[cued[0].doc].id == "a0p1"


def test_index_cache_is_reused_for_the_same_content_hash(tmp_path):
    corpus = _corpus(("标题", "", ["浙江发放算力券。"]))
    first = build_index(corpus, Params(), cache_dir=tmp_path)
    cached = sorted(p.name for p in tmp_path.iterdir())
    assert any(n.startswith("index-") for n in cached) and any(n.startswith("jieba-") for n in cached)
    again = build_index(corpus, Params(), cache_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == cached
    # The cache round-trips: same passages, same idf table, same scores.
    assert again.passages == first.passages and again.passages[0].text == "浙江发放算力券。"
    assert dict(again.word_body.idf) == dict(first.word_body.idf)
    q = analyse("算力券", first)
    assert again.search(q.words, q.bigrams) == first.search(q.words, q.bigrams)
    assert _search(again, "算力券")[0].doc == 0


def test_caches_of_older_corpora_are_pruned_but_recent_ones_spared(tmp_path):
    import os

    from retrieval.index import _prune

    for n in range(6):
        for name in (f"index-k{n}.pickle", f"jieba-k{n}.cache"):
            (tmp_path / name).write_bytes(b"x")
            os.utime(tmp_path / name, (1000 + n, 1000 + n))
    _prune(tmp_path, keep="k0")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(f"{kind}-k{n}.{ext}" for n in (0, 3, 4, 5)
                          for kind, ext in (("index", "pickle"), ("jieba", "cache")))


def test_an_unwritable_cache_directory_only_costs_a_rebuild(tmp_path):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("x")
    index = build_index(_corpus(("标题", "", ["浙江发放算力券。"])), Params(), cache_dir=blocked)
    assert _search(index, "算力券")[0].doc == 0


def _search(index: Index, question: str):
    q = analyse(question, index)
    return index.search(q.words, q.bigrams)


def test_the_code_hash_is_the_code_this_process_loaded(monkeypatch):
    """Files changed on disk after import (an upgrade beside a running process) do not change the
    key under which this process files the index its own code builds."""
    import retrieval.index as index_module

    before = index_module.code_hash()
    monkeypatch.setattr(Path, "read_bytes", lambda self: b"changed on disk")
    assert index_module.code_hash() == before
    assert index_module._hash_code_files() != before


def test_the_index_cache_follows_the_retrieval_code(tmp_path, monkeypatch):
    """A changed build step never serves an index built by the old one."""
    import retrieval.index as index_module

    corpus = _corpus(("标题", "", ["浙江发放算力券。"]))
    build_index(corpus, Params(), cache_dir=tmp_path)
    before = {p.name for p in tmp_path.glob("index-*.pickle")}
    assert len(before) == 1 and index_module.code_hash() == index_module.code_hash()
    monkeypatch.setattr(index_module, "code_hash", lambda: "changed-code")
    build_index(corpus, Params(), cache_dir=tmp_path)
    after = {p.name for p in tmp_path.glob("index-*.pickle")}
    assert len(after) == 2 and before < after
