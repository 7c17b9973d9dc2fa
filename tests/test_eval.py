"""Answer quality on the real corpus, as a regression test.

The public dev set (a copy in tests/data/dev.jsonl) plus questions of our own about articles the
dev set never asks about, in the same mix of styles. Thresholds sit just under what the engine
reaches, so a change that makes answers worse fails here.
"""
from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot import texts
from bot.engine import Answer

DEV = Path(__file__).parent / "data" / "dev.jsonl"
# Round 4, in the dev set's format: 45 questions written blind (without running the engine) by a
# colleague from the cleaned corpus, one article each, in the dev set's mix of kinds and styles.
ROUND4 = Path(__file__).parent / "data" / "own_round4.jsonl"
# Round 5, the same way, by another colleague, after round 4 was in use. Measured untuned at
# answer@1 0.914, passage@3 0.971, abstain 0.5; its two typo questions then led to retrieval/homophones.py.
ROUND5 = Path(__file__).parent / "data" / "own_round5.jsonl"
# Round 6, by a third colleague. Measured untuned at answer@1 0.686, passage@3 0.914, abstain 0.6
# (the same as the engine at the start of the session scored); its misses then led to the
# definition answer type, 觉得 as an attribution, and adverbs (最早, 是从) no longer taken for subjects.
ROUND6 = Path(__file__).parent / "data" / "own_round6.jsonl"

# (question, accepted answers (empty: the documents do not say), a fragment of the article title)
OWN: list[tuple[str, list[str], str | None]] = [
    ("2024年温州市人工智能产业实现的增加值是多少？", ["58.27亿元"], "温州市"),
    ("温州的“三券一贷”政策里都有哪些券？", ["算力券", "模型券", "语料券"], "温州市"),
    ("阿里云在全球设了多少个可用区啊", ["90个"], "阿里巴巴集团"),
    ("2025年上半年 中国AI云市场 阿里云 占比", ["35.8%"], "阿里巴巴集团"),
    ("義烏商城集團宣布接入了哪家的大模型？", ["通义"], "阿里巴巴集团"),
    ("浙江一共建设了多少家“银色家园”？", ["461家"], "银发力量"),
    ("江山市物业满意度从多少提高到了多少？", ["96%"], "江山市"),
    ("江山累计清理了多少个流动摊贩", ["1523个"], "江山市"),
    ("高德推出的全球首个基于地图的AI原生应用叫什么名字？", ["高德地图2025"], "阿里巴巴集团"),
    ("DingTalk 钉钉推出的下一代 AI 办公应用叫啥？", ["钉钉one"], "阿里巴巴集团"),
    ("辛鸣是哪所大学的教授？", ["北京航空航天大学"], "全球治理的中国方案"),
    ("债券和权益类资产的长期相关性大概在什么范围？", ["0至-30%"], "etf"),
    ("飞猪AI问一问推出了什么新功能", ["拍照讲解"], "阿里巴巴集团"),
    ("浙江妇联在推动执委履职上推行了哪些做法？", ["项目领办", "履职积分"], "巾帼"),
    ("柯桥区大桥村发展后劲不足的原因是什么", ["产业融合度低", "创新转化不足"], "侨界动能"),
    ("阿里云在全球有多少个可用去", ["90个"], "阿里巴巴集团"),  # pinyin-input typo
    ("江山那边老旧小区改造弄了多少个？", ["29个"], "江山市"),
    ("在已采用生成式AI的财富中国500强里，有多少比例的企业选择 Alibaba Cloud 阿里云？", ["53%"],
     "阿里巴巴集团"),
    ("浙江省婦聯推行了哪些執委履職做法？", ["项目领办", "履职积分"], "巾帼"),
    ("江山 中国好人 获评 几例", ["2例"], "江山市"),
    ("银发人才工作，老干部工作的职责定位是什么？", ["老干部工作是人才工作"], "银发力量"),
    ("温州今年1到7月规上人工智能核心产业营收增长了多少", ["24.7%"], "温州市"),
    ("义乌小商户用上 AI 了吗？有多少中小商家受益", ["210万"], "阿里巴巴集团"),
    ("杭州从哪年开始发算力券？每年最多多少钱？", ["5000万元"], "杭州市"),
    ("deepseek r1 啥时候开源的", ["2025年初"], None),
    ("魔搭社区用户有多少", ["1600万"], "人工智能发展潮头"),
    ("温岭那个欠薪预警平台覆盖了多少家企业？", ["2.58万家"], "忧酬烦薪"),
    ("中控TPT2发布当天有多少家企业有合作意向", ["518家"], "模式新典范"),
    ("浙江自贸区扩区以后累计形成了多少项制度创新成果", ["690项"], "自贸试验区"),
    ("阅兵式上天安门广场放飞了多少羽和平鸽", ["8万羽"], "阅兵"),
    ("外貿優品 以舊換新 浙江 實施意見 什麼時候發布", ["5月26日"], "外贸企业拓内销"),
    ("国务院安委会对友道化学爆炸事故采取了什么措施", ["挂牌督办"], "友道化学"),
    ("莲都区给每个村培育几名养老管家", ["1—2名", "1-2名"], "养老管家"),
    ("江山市创建了几个全国文明村", ["4个"], "江山市"),
    ("杨伯子说士大夫如果清廉就是几分人", ["七分"], "名士"),
    ("阿里巴巴集团的员工总数有多少？", [], None),
    ("江山市的常住人口是多少？", [], None),
    ("ETF的管理费率一般是多少？", [], None),
    ("东京奥运会中国队拿了多少枚金牌？", [], None),
    ("明天杭州会下雨吗", [], None),
]

# Round 2, written before the context and answer-type reranking were tried: colloquial
# paraphrases about articles neither list above asks about, including properties worded
# differently from the text (多长时间 vs 为期14天), quotes whose speaker is in the previous
# passage, and reasons the text gives without saying 原因.
OWN_ROUND2: list[tuple[str, list[str], str | None]] = [
    ("平湖那边规上算力企业有几家？", ["40家"], "平湖市"),
    ("平湖去年签了多少个AI产业链项目，总共投了多少钱", ["255.75亿元", "30个"], "平湖市"),
    ("之江实验室的种子班办到第几期了", ["19期"], "之江实验室"),
    ("我国第一单数据知识产权跨境交易卖了多少钱", ["14.12万美元"], "数据知识产权"),
    ("象山开洋节啥时候进的国家级非遗名录", ["2008年"], "千帆映海"),
    ("湖州这三年生态违法案子办得快了多少", ["40%"], "法护两山"),
    ("南太湖法院那个生态修复基地补种了多少亩树", ["1731亩"], "法护两山"),
    ("艺创小镇现在落了多少家文创企业", ["3000余家"], "党建链"),
    ("玉城街道以前应急消防为啥老是管不好", ["职能分散"], "守好万家灯火"),
    ("玉城街道那次消防安全联合巡查持续了多久", ["14天"], "守好万家灯火"),
    ("给山区海岛送了多少套体育壮苗活力包", ["5000套"], "以体润心"),
    ("希望体育角第一批建了几个", ["150个"], "以体润心"),
    ("计量技术规范修订计划里人工智能相关的有多少项", ["22项"], "计量测试"),
    ("新交所首席执行官是谁", ["罗文才"], "境外上市"),
    ("计量测试为什么要搞关键技术攻关，痛点是啥", ["测不了"], "计量测试"),
    ("象山开洋节门票多少钱？", [], None),
    ("平湖市的GDP是多少", [], None),
    ("之江实验室有多少名博士后", [], None),
]


# Round 3, written before the tolerant subject check: colloquial paraphrases, keywords and mixed
# styles about articles the lists above leave out, and questions naming real entities that ask for
# facts the documents do not give.
OWN_ROUND3: list[tuple[str, list[str], str | None]] = [
    ("临平城里人和农村人收入差了几倍", ["1.53"], "城乡融合"),
    ("临平区数字经济核心产业增加值多少钱", ["89.3亿元"], "城乡融合"),
    ("临平 老年助餐 覆盖率", ["81.63%"], "城乡融合"),
    ("浙江自贸区落地了几项国家级改革试点", ["71项"], "自贸试验区"),
    ("自贸区扩区后一共搞出来多少项制度创新成果", ["690项"], "自贸试验区"),
    ("数贸会办了几届，签约投资总共多少", ["4300亿元", "三届"], "自贸试验区"),
    ("版权AI智审是哪个法庭开发的", ["轻纺城法庭"], "涉人工智能司法"),
    ("第十一期浙知沙龙在哪开的", ["宁波"], "涉人工智能司法"),
    ("温岭上半年劳动纠纷案子收了多少件", ["831件"], "忧酬烦薪"),
    ("温岭那个工资支付风险预警平台盖了多少企业", ["2.58万家"], "忧酬烦薪"),
    ("莲都区养老管家现在有几个人了", ["207名"], "养老管家"),
    ("山区养老管家一年培训几次", ["两期"], "养老管家"),
    ("中控技术一共部署过多少套控制系统", ["10万套"], "中控技术"),
    ("TPT2发布第一天成交了几套", ["112套"], "中控技术"),
    ("高密友道化学爆炸死了几个人", ["5人"], "友道化学"),
    ("莲都区养老管家一个月工资多少", [], None),
    ("中控技术公司总部员工有多少人", [], None),
    ("温岭市的常住人口是多少", [], None),
    ("友道化学爆炸事故的原因是什么", [], None),
]


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split()).lower()


def _bare(text: str) -> str:
    return "".join(ch for ch in _norm(text) if ch.isalnum())


@dataclass
class Scores:
    answer_at_1: float
    passage_at_3: float
    cite_at_1: float
    found_rate: float
    abstain: float
    chars_p90: int


def score(items: list[tuple[str, list[str], str | None]], answers: list[Answer]) -> Scores:
    """The metrics of issue 3, computed here from their definitions."""
    hit1 = hit3 = cite = cited = found = abstained = 0
    lengths: list[int] = []
    answerable = [(item, a) for item, a in zip(items, answers, strict=True) if item[1]]
    unanswerable = [(item, a) for item, a in zip(items, answers, strict=True) if not item[1]]
    for (_, golds, article), a in answerable:
        golds = [_norm(g) for g in golds]
        lengths.append(len(a.answer))
        hit1 += any(g in _norm(a.answer) for g in golds)
        hit3 += any(g in _norm(r.text) for g in golds for r in a.references[:3])
        found += a.found
        if article:
            cited += 1
            r = a.references[0] if a.references else None
            cite += bool(r) and _bare(article) in _bare(f"{r.source} {r.article} {r.section}")
    abstained = sum(not a.found for _, a in unanswerable)
    n, u = max(len(answerable), 1), max(len(unanswerable), 1)
    lengths.sort()
    return Scores(hit1 / n, hit3 / n, cite / max(cited, 1), found / n, abstained / u,
                  lengths[int(len(lengths) * 0.9)] if lengths else 0)


def jsonl_items(path: Path) -> list[tuple[str, list[str], str | None]]:
    """Questions in the dev set's JSON-lines format."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["question"], r["answers"], r.get("article")) for r in rows]


def dev_items() -> list[tuple[str, list[str], str | None]]:
    return jsonl_items(DEV)


# Each floor sits just under what the engine reaches, so a regression on any set fails.
#                  set                         answer@1 passage@3 cite@1 found abstain
FLOORS = {
    "dev": (dev_items, Scores(0.92, 0.95, 0.95, 0.95, 0.95, 120)),
    "own round 1": (lambda: OWN, Scores(0.95, 0.95, 0.95, 0.95, 0.95, 120)),
    "own round 2": (lambda: OWN_ROUND2, Scores(0.9, 0.95, 0.95, 0.9, 0.95, 120)),
    "own round 3": (lambda: OWN_ROUND3, Scores(0.95, 0.95, 0.95, 0.95, 0.7, 120)),
    "own round 4": (lambda: jsonl_items(ROUND4), Scores(0.83, 0.9, 0.95, 0.9, 0.85, 120)),
    "own round 5": (lambda: jsonl_items(ROUND5), Scores(0.94, 0.97, 0.95, 0.97, 0.45, 120)),
    "own round 6": (lambda: jsonl_items(ROUND6), Scores(0.8, 0.9, 0.95, 0.9, 0.55, 120)),
}


@pytest.mark.parametrize("name", list(FLOORS))
def test_question_set_scores_at_least_its_floor(engine, name):
    items, floor = FLOORS[name]
    s = score(items(), [engine.ask(q) for q, _, _ in items()])
    assert s.answer_at_1 >= floor.answer_at_1, s
    assert s.passage_at_3 >= floor.passage_at_3, s
    assert s.cite_at_1 >= floor.cite_at_1, s
    assert s.found_rate >= floor.found_rate, s
    assert s.abstain >= floor.abstain, s
    assert s.chars_p90 <= floor.chars_p90, s


@pytest.mark.parametrize("question, gold", [
    ("温岭上半年劳动纠纷案子收了多少件", "831件"),   # 案子 for 案件
    ("希望体育角第一批建了几个", "150个"),            # 第一批 for 首批
    ("之江实验室的种子班办到第几期了", "19期"),      # 第几期: a number question; 办到 for 举办
    ("中国（温州）数据港最早是从什么时候运营的", "2022年5月"),  # 最早, 是从: no subject of a date
])
def test_paraphrased_subject_still_answers(engine, question, gold):
    answer = engine.ask(question)
    assert answer.found and gold in answer.answer


def test_a_duration_must_be_of_what_the_question_names(engine):
    # "最快3天即可放款" is a duration, but not of the train ride asked about.
    assert not engine.ask("从杭州坐高铁到上海最快要多久？").found
    answer = engine.ask("玉城街道那次消防安全联合巡查一共搞了多长时间")
    assert answer.found and "14天" in answer.answer


def test_which_organisation_needs_an_organisation_in_the_answer(engine):
    assert not engine.ask("江山城区的电动自行车充电桩是哪家企业建的").found
    answer = engine.ask("义乌商城集团接入了哪家的大模型")
    assert answer.found and "通义" in answer.answer


def test_related_articles_are_close_to_the_question(engine):
    """Only articles whose passage covers the question about as well as the cited one are listed."""
    answer = engine.ask("中控技术一共部署过多少套控制系统")
    assert answer.found and "10万套" in answer.answer
    assert texts.RELATED_LABEL not in answer.reply
    assert len(answer.references) > 1  # still in the JSON object, for "更多"


def test_not_found_lists_only_close_articles(engine):
    reply = engine.ask("莲都区养老管家一个月工资多少").reply
    assert texts.NOT_FOUND_CLOSEST in reply and "养老管家" in reply and "忧酬烦薪" not in reply
