"""Plain-text documents: the rules of content/plain.py, the draft they give, and the manifest options
that correct a draft (heading patterns and levels, article starts, refusals of TODO metadata)."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from content import plain
from content.draft import DraftError, decode, draft_text
from content.manifest import HeadingPattern, ManifestError, incomplete, load_manifest
from content.segment import Events, segment
from content.store import ContentError, build

LEVEL1, LEVEL2, LEVEL3 = (HeadingPattern(s.pattern, n, s.keep_number)
                          for n, s in enumerate(plain.NUMBERING[4:7], 1))
CHAPTER, ARTICLE = (HeadingPattern(s.pattern, n, s.keep_number)
                    for n, s in enumerate((plain.NUMBERING[0], plain.NUMBERING[2]), 1))
BRACKET = HeadingPattern(plain.NUMBERING[3].pattern, 1)


@pytest.mark.parametrize(("line", "pattern", "expected"), [
    ("一、总体要求", LEVEL1, ("总体要求", "")),
    ("（一）指导思想。全面贯彻新发展理念。", LEVEL2, ("指导思想", "全面贯彻新发展理念。")),
    ("(二)主要目标：到2027年，建成10个。", LEVEL2, ("主要目标", "到2027年，建成10个。")),
    ("1.完善起降设施网络。按照三级体系布局。", LEVEL3, ("完善起降设施网络", "按照三级体系布局。")),
    ("2、加强组织领导", LEVEL3, ("加强组织领导", "")),
    ("1.到2027年，全市建成机场3个。", LEVEL3, ("", "1.到2027年，全市建成机场3个。")),
    ("（三）实施“人工智能+”行动。推动……", LEVEL2, ("实施“人工智能+”行动", "推动……")),
    ("（四）完善制度、强化保障。健全……", LEVEL2, ("完善制度、强化保障", "健全……")),
    ("1.5万亿元的投资带动产业发展。", LEVEL3, None),
    ("第一章 总则", CHAPTER, ("第一章 总则", "")),
    ("第五条 为了规范管理，制定本办法。", ARTICLE, ("第五条", "为了规范管理，制定本办法。")),
    ("【总体要求】坚持稳中求进。", BRACKET, ("总体要求", "坚持稳中求进。")),
    ("二〇二五年是关键一年。", LEVEL1, None),
])
def test_a_numbered_line_gives_its_heading_and_first_paragraph(line, pattern, expected) -> None:
    assert plain.split_heading(line, pattern) == expected


@pytest.mark.parametrize(("line", "iso"), [
    ("2025年3月5日", "2025-03-05"), ("（2025年3月5日）", "2025-03-05"), ("(2025年12月31日)", "2025-12-31"),
    ("二〇二五年三月五日", "2025-03-05"), ("二〇二四年十二月二十一日", "2024-12-21"),
    ("2025年3月5日起施行", None), ("2025年13月5日", None), ("到2025年3月5日，完成验收。", None),
])
def test_only_a_line_holding_nothing_but_a_date_is_a_date_line(line, iso) -> None:
    assert plain.date_of_line(line) == iso


def test_document_furniture_and_wrapping() -> None:
    assert plain.furniture_kind("青政办发〔2025〕8号") == "document number"
    assert plain.furniture_kind("（此件公开发布）") == "publication note"
    assert plain.furniture_kind("附件2") == "attachment label"
    assert plain.furniture_kind("各区、县（市）人民政府，市政府直属各单位：") is None
    assert plain.wrap_width([30] * 20 + [12, 5]) == 30 and plain.is_wrapped(29, 30)
    assert not plain.is_wrapped(20, 30) and not plain.is_wrapped(5, 0)
    assert plain.is_closing("本意见自2025年4月1日起施行，有效期至2027年12月31日。")
    assert not plain.is_closing("本市加快发展低空经济。")


def test_a_title_in_two_lines_is_one_title() -> None:
    lines = ["浙江省人民政府关于加快推进", "低空经济发展的实施意见", "浙政发〔2025〕3号"]
    assert plain.title_lines(lines) == [0, 1]
    assert plain.title_lines(["关于加快推进低空经济发展的实施意见", "各市人民政府："]) == [0]
    assert plain.title_lines(["一、总体要求", "（一）指导思想。"]) == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_texts_saved_in_the_usual_chinese_encodings_decode(encoding: str) -> None:
    text = "关于推进低空经济发展的意见\n一、总体要求\n"
    assert decode(text.encode(encoding)) == text


def test_binary_files_are_refused_in_one_line() -> None:
    with pytest.raises(DraftError, match="not text in UTF-8 or GB18030") as info:
        decode(bytes(range(256)) * 8, "scan.pdf")
    assert "\n" not in str(info.value)


POLICY = """浙江省某某厅关于推进
数字化改革的实施意见
浙某发〔2025〕1号
各市、县（市、区）人民政府：
为推进数字化改革，现提出如下意见。
一、总体要求
（一）指导思想。坚持系统观念，统筹推进改革。
（二）主要目标。到2027年，建成数字化平台10个。
二、主要任务
（一）建设平台
1.建设数据中台。依托政务云建设全省统一数据中台。
2.到2026年，完成全部迁移。
（二）完善制度
三、保障措施
加强组织领导。
本意见自2025年5月1日起施行。
浙江省某某厅
2025年4月1日
"""


def _manifest(tmp_path: Path, text: str = POLICY, **given: str) -> tuple[str, list[dict]]:
    """Draft a manifest for `text` and build the source it describes, as `content add` does."""
    (tmp_path / "doc.txt").write_text(text, encoding="utf-8")
    draft = draft_text(text, "doc.txt", source_id="doc", raw="doc.txt", **given)
    (tmp_path / "doc.toml").write_text(draft, encoding="utf-8")
    return draft, segment(load_manifest(tmp_path / "doc.toml", tmp_path), Events())


def _sections(article: dict) -> list[tuple[str, str]]:
    return [(s["heading"], p["text"]) for s in article["sections"] for p in s["passages"]]


def test_the_draft_reads_title_date_and_numbering_levels(tmp_path: Path) -> None:
    draft, _ = _manifest(tmp_path)
    data = tomllib.loads(draft)
    assert data["source"]["title"] == "浙江省某某厅关于推进数字化改革的实施意见"
    assert data["source"]["date"] == "2025-04-01" and data["source"]["kind"] == "document"
    assert data["structure"]["layout"] == "plain"
    assert [p["level"] for p in data["structure"]["heading_patterns"]] == [1, 2, 3]
    assert data["articles"] == [{"title": "浙江省某某厅关于推进数字化改革的实施意见", "start": 1}]


def test_given_metadata_replaces_the_guesses(tmp_path: Path) -> None:
    draft, _ = _manifest(tmp_path, title="数字化改革实施意见", date="2025-04-02", kind="magazine")
    source = tomllib.loads(draft)["source"]
    assert [source["title"], source["date"], source["kind"]] == ["数字化改革实施意见", "2025-04-02",
                                                                 "magazine"]


def test_numbered_parts_become_sections_with_levels_and_the_title_is_not_repeated(tmp_path: Path) -> None:
    _, [article] = _manifest(tmp_path)
    assert _sections(article) == [
        ("", "各市、县（市、区）人民政府：为推进数字化改革，现提出如下意见。"),
        ("总体要求 › 指导思想", "坚持系统观念，统筹推进改革。"),
        ("总体要求 › 主要目标", "到2027年，建成数字化平台10个。"),
        ("主要任务 › 建设平台 › 建设数据中台", "依托政务云建设全省统一数据中台。"),
        # a numbered sentence without a title of its own stays a paragraph of its parent
        ("主要任务 › 建设平台", "2.到2026年，完成全部迁移。"),
        ("保障措施", "加强组织领导。"),
        ("", "本意见自2025年5月1日起施行。"),  # the closing clause belongs to the whole document
    ]
    assert all("实施意见" not in heading for heading, _ in _sections(article))


def test_title_number_date_and_signature_are_dropped_and_reported(tmp_path: Path) -> None:
    (tmp_path / "doc.txt").write_text(POLICY, encoding="utf-8")
    (tmp_path / "doc.toml").write_text(draft_text(POLICY, "doc.txt", source_id="doc", raw="doc.txt"),
                                       encoding="utf-8")
    events = Events()
    segment(load_manifest(tmp_path / "doc.toml", tmp_path), events)
    dropped = {(e.kind, e.text) for e in events.items if e.action == "dropped"}
    assert dropped == {("title", "浙江省某某厅关于推进"), ("title", "数字化改革的实施意见"),
                       ("document number", "浙某发〔2025〕1号"), ("signature", "浙江省某某厅"),
                       ("date line", "2025年4月1日")}


def test_lines_cut_at_a_fixed_width_are_joined_but_short_lines_are_not(tmp_path: Path) -> None:
    line1 = "为推进数字化改革，加快建设数字浙江，全面提升省域治理能力和服务水平，经省政府同意，现"
    line2 = "就有关事项提出如下意见，请各地各部门各单位结合实际认真贯彻落实，抓好执行，务必确保实效"
    short = "浙江省数字化改革工作领导小组办公室负责统筹协调推进全省改革工作"   # unfinished, not full
    assert min(len(line1), len(line2)) >= 42 and 30 <= len(short) < 0.9 * 42
    wrapped = (f"关于推进数字化改革的实施意见\n一、总体要求\n{line1}\n{line2}\n。\n二、主要任务\n{short}\n"
               "全面推进数字化改革，建设全省统一平台，持续提升治理能力和服务水平。\n")
    _, [article] = _manifest(tmp_path, wrapped)
    last = "全面推进数字化改革，建设全省统一平台，持续提升治理能力和服务水平。"
    assert _sections(article) == [("总体要求", f"{line1}{line2}。"), ("主要任务", short), ("主要任务", last)]


def test_heading_patterns_in_the_manifest_set_the_levels(tmp_path: Path) -> None:
    regulation = ("某某市数据管理办法\n第一章 总则\n第一条 为了规范数据管理，制定本办法。\n"
                  "第二条 本办法适用于本市行政区域。\n第二章 数据共享\n第三条 数据以共享为原则。\n")
    draft, [article] = _manifest(tmp_path, regulation)
    assert [(p["level"], p.get("keep_number", False)) for p in tomllib.loads(draft)["structure"][
        "heading_patterns"]] == [(1, True), (2, True)]
    assert _sections(article)[0] == ("第一章 总则 › 第一条", "为了规范数据管理，制定本办法。")
    assert _sections(article)[-1] == ("第二章 数据共享 › 第三条", "数据以共享为原则。")
    # the editor says 第X条 are not sections: delete its pattern and they stay paragraphs
    edited = draft.replace("[[structure.heading_patterns]]   # 第X条", "[[structure.heading_patterns_x]]")
    edited = edited[: edited.index("[[structure.heading_patterns_x]]")] + \
        edited[edited.index("# One article"):]
    (tmp_path / "doc.toml").write_text(edited, encoding="utf-8")
    [article] = segment(load_manifest(tmp_path / "doc.toml", tmp_path), Events())
    assert _sections(article)[0] == ("第一章 总则", "第一条为了规范数据管理，制定本办法。"
                                                  "第二条本办法适用于本市行政区域。")


def test_a_manifest_can_add_a_pattern_and_choose_its_level(tmp_path: Path) -> None:
    (tmp_path / "doc.txt").write_text(POLICY, encoding="utf-8")
    manifest = """
[source]
id = "doc"
title = "数字化改革实施意见"
kind = "document"
date = "2025-04-01"
raw = "doc.txt"

[structure]
layout = "plain"

[[structure.heading_patterns]]
pattern = "^[一二三四五六七八九十]+、"
level = 1

[[structure.heading_patterns]]
pattern = '^\\d+\\.'
level = 2

[[articles]]
title = "浙江省某某厅关于推进数字化改革的实施意见"
start = 1
"""
    (tmp_path / "doc.toml").write_text(manifest, encoding="utf-8")
    [article] = segment(load_manifest(tmp_path / "doc.toml", tmp_path), Events())
    headings = [h for h, _ in _sections(article)]
    assert "主要任务 › 建设数据中台" in headings   # 1. is level 2 now; （一） is ordinary text
    assert "主要任务" in headings


def test_articles_split_by_start_run_until_the_next_one(tmp_path: Path) -> None:
    text = POLICY + "附件\n重点任务清单\n一、平台建设\n建成数据中台。\n"
    draft = draft_text(text, "doc.txt", source_id="doc", raw="doc.txt")
    draft += '\n[[articles]]\ntitle = "重点任务清单"\nstart = "附件"\n'
    (tmp_path / "doc.txt").write_text(text, encoding="utf-8")
    (tmp_path / "doc.toml").write_text(draft, encoding="utf-8")
    first, second = segment(load_manifest(tmp_path / "doc.toml", tmp_path), Events())
    assert "建成数据中台。" not in str(first) and _sections(second)[-1] == ("平台建设", "建成数据中台。")


@pytest.mark.parametrize(("change", "field"), [
    ('title = "数字化改革实施意见"', 'title = "TODO title as printed"'),
    ('date = "2025-04-01"', 'date = ""'),
    ('date = "2025-04-01"', 'date = "2025-04"'),
])
def test_the_build_refuses_todo_or_empty_metadata_naming_source_and_field(
        tmp_path: Path, change: str, field: str) -> None:
    content = tmp_path / "content"
    (content / "raw").mkdir(parents=True)
    (content / "sources").mkdir()
    (content / "raw" / "doc.txt").write_text(POLICY, encoding="utf-8")
    draft = draft_text(POLICY, "doc.txt", source_id="doc", raw="doc.txt", title="数字化改革实施意见",
                       date="2025-04-01")
    (content / "sources" / "doc.toml").write_text(draft.replace(change, field), encoding="utf-8")
    with pytest.raises(ContentError) as info:
        build(content_dir=content)
    message = str(info.value)
    assert "doc.toml" in message and "source doc" in message and "\n" not in message
    assert ("title" if "title" in field else "date") in message
    assert not (content / "build" / "corpus.json").exists()


def test_the_build_refuses_a_source_that_yields_no_article(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "raw").mkdir(parents=True)
    (content / "sources").mkdir()
    (content / "raw" / "doc.txt").write_text(POLICY, encoding="utf-8")
    (content / "sources" / "doc.toml").write_text(
        '[source]\nid = "doc"\ntitle = "意见"\nkind = "document"\ndate = "2025-04-01"\nraw = "doc.txt"\n',
        encoding="utf-8")
    with pytest.raises(ContentError, match="source doc .*yields no article") as info:
        build(content_dir=content)
    assert "\n" not in str(info.value)


def test_incomplete_accepts_the_real_manifests() -> None:
    root = Path(__file__).parent.parent / "content"
    for path in sorted((root / "sources").glob("*.toml")):
        assert incomplete(load_manifest(path, root / "raw")) is None


def test_bad_heading_patterns_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "doc.txt").write_text(POLICY, encoding="utf-8")
    base = ('[source]\nid = "doc"\ntitle = "t"\nkind = "document"\ndate = "2025-04-01"\nraw = "doc.txt"\n'
            '[structure]\nlayout = "plain"\n')
    for entry, message in [('pattern = "^("\nlevel = 1', "bad pattern"),
                           ('pattern = "^一、"\nlevel = 0', "level must be"),
                           ('pattern = "^一、"\nlevel = 1\nkeep = true', "unknown key 'keep'")]:
        (tmp_path / "doc.toml").write_text(base + "[[structure.heading_patterns]]\n" + entry + "\n",
                                           encoding="utf-8")
        with pytest.raises(ManifestError, match=message) as info:
            load_manifest(tmp_path / "doc.toml", tmp_path)
        assert "\n" not in str(info.value)
    (tmp_path / "doc.toml").write_text(base.replace('"plain"', '"pdf"'), encoding="utf-8")
    with pytest.raises(ManifestError, match="layout must be one of"):
        load_manifest(tmp_path / "doc.toml", tmp_path)


def test_the_manifest_examples_in_content_readme_load(tmp_path: Path) -> None:
    """The documented options are the real ones: the README's plain-text manifest loads and builds."""
    import re

    readme = (Path(__file__).parent.parent / "content" / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.S)
    assert len(blocks) == 2
    for block in blocks:
        tomllib.loads(block)
    sample = (Path(__file__).parent / "data" / "sample_policy.txt").read_text(encoding="utf-8")
    (tmp_path / "sample-policy.txt").write_text(sample + "附件\n重点任务清单\n一、基础设施\n建设起降场。\n",
                                                encoding="utf-8")
    (tmp_path / "sample-policy.toml").write_text(blocks[0], encoding="utf-8")
    manifest = load_manifest(tmp_path / "sample-policy.toml", tmp_path)
    assert [p.level for p in manifest.heading_patterns] == [1, 2, 3, 2, 1]
    first, second = segment(manifest, Events())
    assert ("政策支持 › 支持适航取证", "对首次取得中国民用航空局颁发的型号合格证的企业，给予最高500万元奖励；"
            "取得生产许可证的，给予最高300万元奖励。") in _sections(first)
    assert _sections(second) == [("基础设施", "建设起降场。")]
