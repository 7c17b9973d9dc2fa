"""A new document, end to end: tests/data/sample_policy.txt (a 意见 written for this test, not a real
one) is added with `zhewen content add` to a copy of the real sources; its numbered parts must be
sections at the right level, questions about it must be answered with the right sentence by the
real engine, and the answers on the original two sources must not get worse."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_onboarding_cli import ORIGINAL, SAMPLE, add, content_with_real_sources

from bot.engine import Engine
from retrieval.evaluate import load_items, score

DATA = Path(__file__).parent / "data"
SOURCE = "sample-policy"


@pytest.fixture(scope="module")
def added(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The content dir with the sample added; its corpus is <dir>/build/corpus.json."""
    content = content_with_real_sources(tmp_path_factory.mktemp("onboarding"))
    result = add(SAMPLE, content)
    assert result.exit_code == 0, result.output
    return content


@pytest.fixture(scope="module")
def corpus(added: Path) -> dict:
    return json.loads((added / "build" / "corpus.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def with_sample(added: Path) -> Engine:
    """The real engine loaded the way a deployment with ZHEWEN_CORPUS=<dir>/build/corpus.json loads."""
    return Engine.load(added / "build" / "corpus.json")


@pytest.fixture(scope="module")
def without_sample(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The same engine over the two original sources alone (what content/ held before any addition)."""
    content = content_with_real_sources(tmp_path_factory.mktemp("original"))
    return Engine.load(content / "build" / "corpus.json")


def test_the_sample_is_one_article_without_its_title_date_or_signature(corpus: dict) -> None:
    assert corpus["sources"][-1] == {"id": SOURCE, "title": "青溪市低空经济高质量发展实施意见",
                                     "kind": "document", "date": "2025-03-05"}
    [article] = [a for a in corpus["articles"] if a["source"] == SOURCE]
    assert article["title"] == "青溪市人民政府办公厅关于加快推进低空经济高质量发展的实施意见"
    texts = [p["text"] for s in article["sections"] for p in s["passages"]]
    assert not any(t.startswith(("青溪市人民政府办公厅", "2025年3月5日", "青政办发")) for t in texts)
    assert not any("2025年3月5日" in t or "此件公开发布" in t for t in texts)


def test_every_numbered_part_is_a_section_at_its_level(corpus: dict) -> None:
    [article] = [a for a in corpus["articles"] if a["source"] == SOURCE]
    paths = [tuple(s["heading"].split(" › ")) if s["heading"] else () for s in article["sections"]]
    tops = list(dict.fromkeys(p[0] for p in paths if p))
    assert tops == ["总体要求", "重点任务", "政策支持", "保障措施"]   # 一、 … 四、: level 1
    assert ("总体要求", "指导思想") in paths                          # （一）指导思想。… run in: level 2
    assert ("政策支持", "支持适航取证") in paths
    assert ("重点任务", "加快低空基础设施建设", "完善起降设施网络") in paths  # 1. under （一）: level 3
    assert ("重点任务", "强化低空飞行服务保障", "健全标准规范") in paths
    raw = SAMPLE.read_text(encoding="utf-8").splitlines()
    level3 = [line for line in raw if line[:2] in {f"{n}." for n in range(1, 10)}]
    assert len([p for p in paths if len(p) == 3]) == len(level3) == 16
    assert all(len(p) <= 3 and all("实施意见" not in part for part in p) for p in paths)
    assert paths[0] == () and paths[-1] == ()   # the preamble and the closing clause


QUESTIONS = [  # question, the sentence's words that answer it
    ("青溪市到2027年低空经济规模要达到多少？", "全市低空经济规模突破300亿元"),
    ("首次取得型号合格证的企业能拿到多少奖励？", "给予最高500万元奖励"),
    ("青溪市低空经济发展工作领导小组办公室设在哪里？", "领导小组办公室设在市发展改革委"),
    ("青溪低空经济实施意见自哪天起施行？", "本意见自2025年4月1日起施行"),
    ("市财政每年安排多少低空经济发展专项资金？", "不少于2亿元的低空经济发展专项资金"),
    ("新开通的低空物流航线每条奖励多少钱？", "一次性奖励20万元"),
    ("低空经济产业基金规模多大？", "规模为10亿元的低空经济产业基金"),
    ("新落户的整机制造企业最高补助多少？", "单个企业最高补助1000万元"),
    ("到2027年全市无人机配送年订单量达到多少？", "年订单量达到300万单"),
    ("低空公共服务场景清单每年不少于多少项？", "原则上不少于30项"),
]


def test_questions_about_the_sample_are_answered_with_the_right_sentence(with_sample: Engine) -> None:
    """The issue's target is 8 of 10; today all 10 are answered."""
    right = []
    for question, gold in QUESTIONS:
        answer = with_sample.ask(question)
        cited = answer.references[0].source if answer.references else ""
        if answer.found and gold in answer.answer and cited == "青溪市低空经济高质量发展实施意见":
            right.append(question)
    assert len(right) >= 8, sorted(set(q for q, _ in QUESTIONS) - set(right))


def test_a_citation_names_the_numbered_part(with_sample: Engine) -> None:
    answer = with_sample.ask("首次取得型号合格证的企业能拿到多少奖励？")
    assert answer.references[0].section == "政策支持 › 支持适航取证"
    assert "青溪市低空经济高质量发展实施意见" in answer.reply


@pytest.mark.parametrize("name", ["dev", "own_round12"])
def test_the_old_documents_answer_as_well_with_the_sample_added(without_sample: Engine,
                                                                with_sample: Engine, name: str) -> None:
    """Adding a document must not make the old ones worse: answer@1 and abstain on the original
    sources' question sets stay within 0.02 of the same engine without the sample."""
    items = load_items(DATA / f"{name}.jsonl")
    before = score(items, [without_sample.ask(it.question).to_json() for it in items]).metrics
    after = score(items, [with_sample.ask(it.question).to_json() for it in items]).metrics
    for metric in ("answer@1", "abstain"):
        assert after[metric] >= before[metric] - 0.02, (metric, before, after)


def test_the_old_sources_are_built_exactly_as_before(corpus: dict) -> None:
    from content.store import load_built

    old = load_built()
    assert [a for a in corpus["articles"] if a["source"] != SOURCE] == \
        [a for a in old["articles"] if a["source"] in ORIGINAL]
    assert corpus["sources"][:-1] == [s for s in old["sources"] if s["id"] in ORIGINAL]
