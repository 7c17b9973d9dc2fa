"""[answers-2]: the question analysis, the lexicon and the decision's checks, on the real corpus
and on hand-made inputs. Each case stands for a class of questions, not one question."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bot import texts
from bot.cli import cli
from retrieval import decide
from retrieval.decide import in_order, names
from retrieval.lexicon import is_short_form, mined_aliases, thesaurus_neighbours
from retrieval.question import analyse


@pytest.mark.parametrize("question, kind", [
    ("江山为了创文明城市一共花了多少钱", "money"),
    ("那款眼镜售价是多少", "money"),
    ("第十五届智博会是哪几天办的", "daterange"),
    ("开洋节从哪天到哪天", "daterange"),
    ("魔搭社区算不算全球最大的开源模型社区啊", "yesno"),
    ("新交所首席执行官是谁", "person"),
    ("浙江有多少款大模型通过备案", "number"),
])
def test_the_answer_type_is_read_once_into_the_analysis(engine, question, kind):
    assert analyse(question, engine.pipeline.index).kind == kind


def test_the_analysis_names_subjects_and_knows_which_no_document_mentions(engine):
    q = analyse("乌鲁木齐的人工智能产业增加值是多少", engine.pipeline.index)
    assert "乌鲁木齐" in q.subjects and q.unknown_subjects == ("乌鲁木齐",)
    q = analyse("温州市人工智能产业增加值是多少", engine.pipeline.index)
    assert "温州市" in q.subjects and not q.unknown_subjects
    # Common nouns that end like names are not subjects.
    assert "子公司" not in analyse("中控技术 海外子公司 数量", engine.pipeline.index).subjects


def test_short_forms_and_stems_name_what_the_text_writes_out(engine):
    index = engine.pipeline.index
    assert is_short_form("浙大", "浙江大学") and is_short_form("发改委", "发展和改革委员会")
    assert not is_short_form("大浙", "浙江大学") and not is_short_form("浙江大学", "浙大")
    assert in_order("团省委", "团浙江省委")
    assert names("共青团浙江省委发动144名社会体育指导员", "团省委", index)
    assert names("温州举行人工智能大会", "温州市", index)
    assert not names("临平区城乡居民收入倍差缩小至1.53", "余杭区", index)


def test_thesaurus_neighbours_lead_only_to_the_documents_words():
    neighbours = thesaurus_neighbours({"召开", "员工"})
    assert "召开" in neighbours["举行"] and "员工" in neighbours["职工"]
    assert all(w in {"召开", "员工"} for ws in neighbours.values() for w in ws)


def test_short_forms_are_mined_from_the_documents():
    aliases = mined_aliases(["中国（浙江）自由贸易试验区（以下简称“自贸区”）成立",
                             "魔搭社区（ModelScope）上线"])
    assert "自由贸易试验区" in aliases["自贸区"] and "魔搭社区" in aliases["modelscope"]
    assert "人工智能" in aliases["ai"]  # the standard Latin short forms


@pytest.mark.parametrize("question, name", [
    ("乌鲁木齐的人工智能产业增加值是多少", "乌鲁木齐"),     # no document mentions it
    ("深圳的人工智能产业增加值是多少", "深圳"),             # mentioned, but not where the figure is
    ("余杭区2024年城乡居民收入倍差是多少？", "余杭区"),      # another district's figure is there
])
def test_a_name_the_documents_do_not_cover_declines_and_the_reply_says_which(engine, question, name):
    answer = engine.ask(question)
    assert not answer.found and answer.answer == ""
    assert texts.NOT_FOUND_ABOUT.format(name=name).split("。")[0] in answer.reply


@pytest.mark.parametrize("question", [
    "灵伴那款49克的AI眼镜卖多少钱啊？",      # money: no amount in the sentence
    "阿里巴巴集团是哪一年创立的？",          # date: the dated event is not the one asked about
    "浙江省妇联现任主席是谁？",              # person: the role asked about is not in the sentence
    "杭州互联网法院的院长是谁？",            # person: a deputy (副院长) is not the holder
    "中控技术2024年全年的revenue是多少？",   # number: what is counted is named only in English
    "的的的的的了了了吗吗吗",                # nothing but stopwords
])
def test_a_sentence_without_what_is_asked_does_not_answer(engine, question):
    assert not engine.ask(question).found


@pytest.mark.parametrize("question, gold", [
    ("杭州市从2023年起每年设立的“算力券”总额上限是多少？", "5000万元"),  # 上限 is answered by the amount
    ("团省委首批建设的“希望体育角”场地一共有几处？", "150个"),            # 团省委 for 共青团浙江省委
    ("“从来有名士，不用无名钱”这首诗是哪位诗人写的？", "陈与义"),        # not the sentence quoting it
])
def test_paraphrases_short_forms_and_quotations_still_answer(engine, question, gold):
    answer = engine.ask(question)
    assert answer.found and gold in answer.answer


def test_confidence_is_in_the_json_and_separates_answers_from_declines(engine):
    found = engine.ask("浙江有多少款大模型通过备案？")
    declined = engine.ask("深圳的人工智能产业增加值是多少")
    assert found.found and decide.THRESHOLD <= found.confidence <= 1
    assert 0 <= declined.confidence < decide.THRESHOLD
    assert found.to_json()["confidence"] == found.confidence


def test_the_cited_passage_is_the_first_reference(engine):
    result = engine.pipeline.answer("温岭那家电脑绣花厂拖欠了员工多少工资啊？")
    assert result.found and "24万元" in result.answer
    assert "24万元" in result.references[0].text


def test_eval_command_prints_metrics_and_misses(tmp_path):
    questions = tmp_path / "set.jsonl"
    rows = [{"id": "a", "question": "浙江有多少款大模型通过备案？", "answers": ["44款"], "article": "潮头"},
            {"id": "b", "question": "深圳的人工智能产业增加值是多少", "answers": [], "article": None},
            {"id": "c", "question": "浙江有多少款大模型通过备案？", "answers": ["45款"], "article": None}]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", "--json", str(questions)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["metrics"]["answer@1"] == 0.5 and report["metrics"]["abstain"] == 1.0
    assert [m["id"] for m in report["misses"]] == ["c"]
    plain = CliRunner().invoke(cli, ["eval", str(questions)])
    assert plain.exit_code == 0 and "answer@1 0.5" in plain.output and "miss c" in plain.output


def test_eval_command_refuses_a_bad_file_in_one_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "x"}\nnot json\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", str(bad)])
    assert result.exit_code != 0 and "bad.jsonl:2" in result.output and "Traceback" not in result.output
    missing = CliRunner().invoke(cli, ["eval", str(tmp_path / "none.jsonl")])
    assert missing.exit_code != 0 and "Traceback" not in missing.output
