"""Answer extraction on hand-picked passages: answer types, focus, sentences, trimming."""
from __future__ import annotations

import pytest

from retrieval.answer_types import (
    answer_type,
    counted_as,
    has_answer_type,
    is_duration_question,
    passage_cue,
)
from retrieval.extract import (
    FOCUS_WEIGHT,
    MAX_ANSWER_CHARS,
    choose,
    pick_sentences,
    sentence_weights,
    split_context,
    split_sentences,
    trim,
    with_neighbour,
)
from retrieval.focus import attribution, focus_sides, focus_words, mentions, resembles
from retrieval.normalize import normalize


def test_sentences_keep_their_end_and_closing_quote():
    text = "记载了杨伯子的故事。“嘉定间，杨伯子为湖州守。”杨伯子何以有名呢？一个重要原因！"
    assert split_sentences(text) == [
        "记载了杨伯子的故事。", "“嘉定间，杨伯子为湖州守。”", "杨伯子何以有名呢？", "一个重要原因！"]


@pytest.mark.parametrize("question, kind", [
    ("浙江有多少款大模型？", "number"), ("占比是多少", "number"), ("大概要花多长时间", "number"),
    ("哪一天发布的", "date"), ("什么时候建成", "date"), ("为什么性价比高", "reason"),
    ("背后有哪些客观原因", "reason"), ("现任CEO是谁", "name"), ("叫啥名", "name"), ("数知通", None),
])
def test_answer_type_from_the_question(question, kind):
    assert answer_type(normalize(question)) == kind


def test_a_number_answer_is_not_a_date_nor_a_number_the_question_gives():
    assert has_answer_type("共有44款大模型", "number")
    assert not has_answer_type("5月28日消息", "number")
    assert not has_answer_type("纪念80周年大会隆重举行", "number", "80周年大会检阅了多少个方队")
    assert has_answer_type("依次检阅22个装备方队", "number", "80周年大会检阅了多少个方队")
    assert has_answer_type("今年6月6日正式投运", "date") and not has_answer_type("正式投运上线", "date")
    assert has_answer_type("由于电机成本下降", "reason") and not has_answer_type("发生爆炸事故", "reason")


@pytest.mark.parametrize("question, words, sides", [
    ("莲都区的养老管家一个月工资大概多少钱", ["莲都区", "养老", "管家", "工资"], ("工资", "")),
    ("温州市人工智能局的首任局长由谁担任", ["温州市", "局长", "担任"], ("局长", "担任")),
    ("之江实验室有多少名研究人员", ["之江实验室", "研究", "人员"], ("之江实验室", "研究")),
    ("阿里云占比是多少", ["阿里云", "占比"], ("阿里云", "")),          # a type word is not a focus
    ("方案 财政投入 资金规模", ["方案", "财政投入", "资金", "规模"], ("", "资金")),
    ("数知通", ["数知通"], ("", "")),
])
def test_focus_is_what_the_interrogative_asks_about(question, words, sides):
    assert focus_sides(question, words) == sides


def test_mentions_accepts_the_word_or_most_of_its_bigrams():
    assert mentions("欠薪预警阈值13项", "欠薪预警阀值")
    assert not mentions("平台上线", "工资")


def test_attribution_terms_count_less_when_choosing_a_sentence():
    question = "东莞零售行业协会秘书长认为,外贸厂主要卡在什么短板上?"
    assert attribution(question) == "东莞零售行业协会秘书长认为,"
    weights = sentence_weights({"秘书长": 1.0, "外贸": 1.0}, *split_context(question, attribution(question)))
    assert weights["秘书长"] < weights["外贸"] == 1.0
    assert sentence_weights({"x": 1.0}, "没有引语的问题") == {"x": 1.0}


def test_a_quotation_in_the_question_locates_the_passage_not_the_sentence():
    question = normalize("“从来有名士，不用无名钱”这首诗是哪位诗人写的")
    weights = sentence_weights({"名士": 1.0, "诗人": 1.0}, *split_context(question))
    assert weights["名士"] < weights["诗人"]
    passage = ("宋代诗人陈与义在一首诗中写道：“我身如孤云，随风堕湖边。从来有名士，不用无名钱。”"
               "这首诗颇有警示之意。")
    best = choose(pick_sentences([passage], weights, "name", normalize, question_norm=question,
                                 asked=split_context(question)[0]), "name")
    assert "陈与义" in best.sentence


def test_pick_prefers_overlap_then_the_answer_type_and_joins_a_short_neighbour():
    passage = "浙江发布了大模型名单。全省共有44款大模型通过备案，居全国第四。另有若干项目在推进。"
    weights = {"大模型": 1.0, "备案": 1.0}
    candidates = pick_sentences([passage], weights, "number", normalize)
    best = choose(candidates, "number")
    assert best.sentence.startswith("全省共有44款")
    text = "明人所著《鹤林玉露》记载了杨伯子的故事。“嘉定间，杨伯子为湖州守。”"
    short = pick_sentences([text], {"鹤林玉露": 1.0, "杨伯子": 0.5}, "name", normalize)
    assert with_neighbour(short[0], short) == text


def test_a_typed_sentence_replaces_an_untyped_best_only_when_close():
    passage = "魔搭社区是开源模型社区。社区托管模型超7万个。"
    weights = {"魔搭": 1.0, "社区": 1.0, "模型": 0.3}
    best = choose(pick_sentences([passage], weights, "number", normalize), "number")
    assert "7万个" in best.sentence


def test_trim_cuts_at_clause_boundaries_around_the_best_clause():
    sentence = ("新交所将不断完善二次上市机制，吸引并支持在香港和美国上市的中资企业来新加坡上市，"
                "为中国企业全球化发展提供支持，欢迎更多优质企业前来挂牌，持续优化上市审核流程与信息披露安排，"
                "同时推动两地资本市场在产品、服务、人才和监管等方面开展更深层次、更宽领域、更高水平的"
                "互联互通与务实合作，共同维护国际金融市场稳定，促进区域经济发展，实现互利共赢。")
    out = trim(sentence, {"互联互通": 1.0, "资本市场": 1.0}, normalize)
    assert len(out) <= MAX_ANSWER_CHARS and out.startswith("…") and out[-1] in "。…"
    assert "互联互通" in out and "资本市场" in out
    assert trim("短句。", {}, normalize) == "短句。"
    latin = "x" * 50 + " DeepSeek-R1模型" + "很长" * 60
    assert "DeepSee…" not in trim(latin, {"模型": 1.0}, normalize)


@pytest.mark.parametrize(("question", "kind", "holds", "lacks"), [
    ("大会一共持续了多久", "number", "大会历时1小时26分钟", "2024年9月大会举行"),
    ("转型大概要花多长时间", "number", "大概需要半年到一年", "转型企业有80家"),
    ("为什么老是管不好", "reason", "受人手少、任务重之困，工作常常滞后", "工作正在推进"),
    ("有多少家企业", "number", "企业500家", "企业很多"),
])
def test_passage_cue_tests_for_the_kind_of_answer_asked(question, kind, holds, lacks):
    cue = passage_cue(kind, normalize(question))
    assert cue(normalize(holds)) and not cue(normalize(lacks))


def test_no_passage_cue_for_names():
    assert passage_cue("name", normalize("谁是局长")) is None


@pytest.mark.parametrize("question", ["种子班办到第几期了", "希望体育角第一批建了几批", "数贸会办了几届"])
def test_ji_with_any_measure_word_asks_for_a_number(question):
    assert answer_type(normalize(question)) == "number"


def _weight(ch: str) -> float:
    """Made-up character idf: common characters weigh little."""
    return 0.3 if ch in "一子种的年" else 2.0


@pytest.mark.parametrize("word, text, words", [
    ("补种", "累计补植复绿1731亩", ["累计", "补植", "复绿"]),       # same head
    ("第一批", "建设首批场地150个", ["建设", "首批", "场地"]),       # same tail
    ("案子", "办案周期缩短40%", ["办案", "周期", "缩短"]),          # the head as a verb-object's tail
    ("去年", "2024年，全市新签约项目30个", ["全市", "签约", "项目"]),  # a relative time, as a date
])
def test_a_paraphrase_resembles_the_word_it_stands_for(word, text, words):
    assert resembles(normalize(text), word, _weight, words)


@pytest.mark.parametrize("word, text, words", [
    ("工资", "整合各类养老服务资源", ["整合", "各类", "养老", "服务", "资源"]),  # tail as head: another thing
    ("案子", "设立子公司", ["设立", "子公司", "公司"]),  # only the common character, out of place
    ("去年", "全市新签约项目30个", ["全市", "签约", "项目"]),  # no date at all
])
def test_another_word_does_not_resemble(word, text, words):
    assert not resembles(normalize(text), word, _weight, words)


@pytest.mark.parametrize("question", ["《若干措施》自何日起施行？", "这项制度何年确立", "几时开幕"])
def test_classical_and_colloquial_date_words_ask_for_a_date(question):
    assert answer_type(normalize(question)) == "date"


def test_a_stated_duration_beats_a_span_mentioned_in_passing():
    passage = "教练机梯队拉出14道彩烟，寓意着14年可歌可泣的抗战历程。大会历时1小时26分钟，于10时26分结束。"
    weights = {"抗战": 1.0, "大会": 1.0}
    question = normalize("那场纪念大会从开场到落幕持续了多久")
    best = choose(pick_sentences([passage], weights, "number", normalize, question_norm=question,
                                 duration=is_duration_question(question)), "number")
    assert best.sentence.startswith("大会历时")


def test_a_sentence_stating_a_cause_or_purpose_is_preferred_for_a_why_question():
    passage = ("莲都区推出养老管家服务，破解山区养老服务难题。"
               "受服务半径大、人口分散、交通不便等现实之困，山区养老一直存在覆盖不全的问题。")
    weights = {"养老": 0.5, "服务": 0.5, "不全": 0.3}
    question = normalize("山里老人养老服务照顾不全，背后有哪些客观原因")
    best = choose(pick_sentences([passage], weights, "reason", normalize, question_norm=question), "reason")
    assert "现实之困" in best.sentence
    purpose = "放海生环节中，渔民将鱼苗放归大海，寓意取之于海、还之于海。开洋节有千年历史。"
    why = normalize("为什么要把鱼苗放归大海")
    assert pick_sentences([purpose], {"鱼苗": 1.0, "开洋节": 1.0}, "reason", normalize,
                          question_norm=why)[0].typed


def test_a_cause_word_the_question_already_uses_is_not_a_stated_cause():
    passage = "国务院安委会要求迅速查明事故原因，依法依规问责。"
    question = normalize("爆炸事故的原因是什么")
    (only,) = pick_sentences([passage], {"事故": 1.0}, "reason", normalize, question_norm=question)
    assert not only.typed


def test_the_speaker_named_in_a_question_does_not_pick_the_sentence_by_a_shared_phrase():
    passage = ("东莞市零售行业协会秘书长李茵表示，内销与出口存在着较大差异。"
               "部分代工外贸企业无符合国内要求的合规资质。")
    question = normalize("东莞零售行业协会秘书长认为，企业合规上缺什么")
    asked, context = split_context(question, attribution(question))
    weights = sentence_weights({"秘书长": 1.0, "合规": 0.4}, asked, context)
    best = choose(pick_sentences([passage], weights, None, normalize, question_norm=question,
                                 asked=asked), None)
    assert "合规资质" in best.sentence


def test_the_words_beside_the_interrogative_pick_the_sentence_that_names_the_answer():
    passage = "宋代诗人陈与义在一首诗中写道：“我身如孤云，随风堕湖边。从来有名士，不用无名钱。”"
    question = normalize("从来有名士不用无名钱这两句诗出自宋代哪位诗人")
    plain = {"名士": 0.25, "无名钱": 0.25, "宋代": 0.25, "诗人": 0.25}
    focus = focus_words(question, list(plain))
    assert focus == ["宋代", "诗人"]
    weights = sentence_weights(plain, question, focus=focus)
    assert weights["诗人"] == pytest.approx(0.25 * FOCUS_WEIGHT) and weights["名士"] == 0.25
    best = choose(pick_sentences([passage], weights, "name", normalize, question_norm=question), "name")
    assert "陈与义" in best.sentence


def test_a_spoken_complement_is_mentioned_by_its_written_form():
    assert mentions("漏诊率从48.8%降至4.8%", "降到")
    assert not mentions("漏诊率从48.8%升至50%", "降到")


@pytest.mark.parametrize("sentence", ["整体生产周期缩短了三分之二。", "占比达百分之五。"])
def test_a_fraction_in_words_is_a_number(sentence):
    assert has_answer_type(normalize(sentence), "number")


def test_trim_counts_each_question_word_once_and_keeps_a_list_whole():
    sentence = ("针对消防设备老旧，我们建设智慧消防预警处置系统，在重点场所布设电气火灾监控、消防水压监测、"
                "智能烟感等物联感知设备1.2万个，为应急救援队配备无人机、消防巡查车、消防水罐车等，"
                "为微型消防站更新了水带、灭火器等设备，添置了口哨、铜锣、喇叭、救生衣、头灯、雨具等六件套。")
    out = trim(sentence, {"消防": 0.6, "微型消防站": 0.3, "六件套": 0.4}, normalize)
    assert len(out) <= MAX_ANSWER_CHARS and out.endswith("六件套。")
    assert "口哨、铜锣、喇叭、救生衣、头灯、雨具" in out       # the list whole, not from its middle


def test_trim_does_not_stop_a_list_after_its_first_item():
    sentence = ("今年3月28日，全球最大AI开源社区HuggingFace发布最新趋势榜单，排在前三的分别是深度求索公司的"
                "DeepSeek-V3-0324、群核科技公司的SpatialLM，以及阿里巴巴集团的通义千问Qwen2.5-Omni-7B，全部来自杭州。")
    out = trim(sentence, {"huggingface": 1.0, "3月28日": 0.5, "公司": 0.3}, normalize)
    assert "SpatialLM" in out and len(out) <= MAX_ANSWER_CHARS


@pytest.mark.parametrize("question", ["“人工智能关联数据”指的是什么", "什么是算力券", "三券一贷是啥意思"])
def test_a_definition_question(question):
    assert answer_type(normalize(question)) == "definition"


def test_a_definition_question_gets_the_sentence_that_defines():
    passage = ("人工智能关联数据是指用于训练、测试和优化人工智能模型的各种信息集合。"
               "目前，人工智能关联数据和创新成果可探索以数据知识产权制度实现保护。")
    question = normalize("在数据知识产权保护的语境下，“人工智能关联数据”指的是什么？")
    weights = {"人工智能": 0.2, "关联": 0.3, "数据知识产权": 0.3, "保护": 0.2}
    candidates = pick_sentences([passage], weights, "definition", normalize, question_norm=question)
    assert choose(candidates, "definition").sentence.startswith("人工智能关联数据是指")


def test_a_colloquial_attribution_is_an_attribution():
    assert attribution(normalize("峰源乡的负责人觉得，管家为什么要培训？")) == "峰源乡的负责人觉得,"


@pytest.mark.parametrize("question, kind", [
    ("跟几家伙伴一起发起的那个倡议，名字叫什么", "name"),    # 几家 describes; the name is asked
    ("有多少家企业参与了那个联盟，它叫啥", "name"),
    ("事故的直接原因是什么", "reason"),
    ("全省有几家叫这个名字的企业", "number"),                # the name request comes first
])
def test_an_explicit_name_request_after_a_number_word_asks_for_a_name(question, kind):
    assert answer_type(normalize(question)) == kind


def test_a_number_in_the_unit_asked_about_is_the_answer_where_there_is_one():
    passage = ("莲都区建立养老管家培训制度，每年开展两期培训，每人每年须达20个学时。"
               "截至目前，莲都区已培育养老管家207名。")
    question = normalize("莲都区养老管家现在有几个人了")
    weights = {"莲都区": 0.4, "养老管家": 0.6}
    best = choose(pick_sentences([passage], weights, "number", normalize, question_norm=question,
                                 unit=counted_as(question)), "number")
    assert "207名" in best.sentence
    # No candidate counts in 亩: any number will do, as before.
    (only,) = pick_sentences(["共建成5个基地。"], {"基地": 1.0}, "number", normalize,
                             question_norm=normalize("补种了多少亩"), unit=counted_as("补种了多少亩"))
    assert only.typed


def test_trim_keeps_the_number_beside_what_is_asked():
    sentence = ("8月27日，浙江大学医学院附属第一医院、湖畔实验室（阿里巴巴达摩院）"
                "发布用于胸痛急诊场景的AI模型iAorta，可用常规平扫CT在几秒内识别急性主动脉综合征，将确诊时间缩短至2小时内，漏诊率从48.8%降至4.8%，"
                "已从1万多名胸痛患者中精准发现21例，帮助他们及时得到救治。")
    weights = {"湖畔": 0.3, "胸痛": 0.3, "急诊": 0.2, "模型": 0.2}
    question = normalize("胸痛急诊AI模型让漏掉的比例从近五成降到了多少")
    assert "4.8%" in trim(sentence, weights, normalize, "number", question_norm=question, focus=("降到",))
    assert "4.8%" not in trim(sentence, weights, normalize, "number", question_norm=question)
