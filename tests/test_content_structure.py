"""Structure rules on small manifests built from real snippets: articles, sections, passages."""
from pathlib import Path

import pytest

from content.manifest import ManifestError, load_manifest
from content.segment import Events, segment

RAW = """中共浙江省委主管主办 ② 一本见证当代浙江发展的杂志

### 勇立新一代人工智能发展潮头

#### ■马跃明 叶 慧 邵玩玩

本刊记者

时代浪潮,浩浩荡荡;全球科技,风起云涌。

#### 强创新

#### 大力推进人工智能核心技术攻关

在人工智能产业链中,算力是基石,数据是"燃料",模型是引擎,三者相辅相成。

#### 加强模型和算法创新——

近年来,杭州在人工智能领域

#### 杭州市

已经形成先发优势,产业根基持续 夯实。

9月3日,纪念大会在北京天安门广场隆重举行。

新华社记者 谢环驰 摄

●党建引领

人工智能发展的强大合力。人工智能发展的强大合力。为高质量发展提供强劲动力。 ❷
"""

MANIFEST = """
[source]
id = "tiny"
title = "小刊 2025年第1期"
kind = "magazine"
date = "2025-01-01"
raw = "tiny.txt"

[[errata]]
find = "算力是基石"
replace = "算力是基础"
reason = "test erratum"

[[articles]]
title = "勇立新一代人工智能发展潮头"
authors = ["马跃明", "叶慧", "邵玩玩"]
column = "本期关注"
page = 8
spans = [["### 勇立新一代", "人工智能发展的强大合力"]]
"""


def build(tmp_path: Path, manifest: str = MANIFEST, raw: str = RAW) -> tuple[list[dict], Events]:
    (tmp_path / "tiny.txt").write_text(raw, encoding="utf-8")
    path = tmp_path / "tiny.toml"
    path.write_text(manifest, encoding="utf-8")
    events = Events()
    return segment(load_manifest(path, tmp_path), events), events


def texts(article: dict) -> list[tuple[str, str]]:
    return [(s["heading"], p["text"]) for s in article["sections"] for p in s["passages"]]


def test_sections_headings_lead_ins_and_joins(tmp_path: Path) -> None:
    [article], events = build(tmp_path)
    assert article["title"] == "勇立新一代人工智能发展潮头" and article["page"] == 8
    headings = [s["heading"] for s in article["sections"]]
    assert headings == ["", "强创新 › 大力推进人工智能核心技术攻关", "强创新 › 加强模型和算法创新",
                        "党建引领"]
    body = dict(texts(article))
    assert "算力是基础，数据是“燃料”" in body["强创新 › 大力推进人工智能核心技术攻关"]
    # the paragraph cut by the sidebar title 杭州市 continues after it, without the sidebar
    joined = body["强创新 › 加强模型和算法创新"]
    assert joined.startswith("近年来，杭州在人工智能领域已经形成先发优势，产业根基持续夯实。")
    assert "杭州市" not in joined.replace("近年来，杭州", "")


def test_noise_is_dropped_and_reported(tmp_path: Path) -> None:
    [article], events = build(tmp_path)
    everything = " ".join(t for _, t in texts(article))
    for noise in ("本刊记者", "马跃明", "谢环驰", "纪念大会", "❷", "主管主办"):
        assert noise not in everything
    kinds = {e.kind for e in events.items if e.action == "dropped"}
    assert {"byline", "photo credit", "caption", "stray glyph", "outside any article", "title"} <= kinds


def test_repeated_clause_collapsed_once(tmp_path: Path) -> None:
    [article], events = build(tmp_path)
    last = texts(article)[-1][1]
    assert last.count("人工智能发展的强大合力。") == 1
    assert [e.kind for e in events.items if e.action == "deduplicated"] == ["repeated sentence"]


def test_errata_are_reported_and_must_match(tmp_path: Path) -> None:
    _, events = build(tmp_path)
    assert [e.kind for e in events.items if e.action == "corrected"] == ["算力是基石→算力是基础"]
    with pytest.raises(ValueError, match="found 0 times"):
        build(tmp_path, MANIFEST.replace('find = "算力是基石"', 'find = "不存在"'))


def test_passage_ids_are_stable_and_follow_the_text(tmp_path: Path) -> None:
    [first], _ = build(tmp_path)
    [again], _ = build(tmp_path)
    assert [p["id"] for s in first["sections"] for p in s["passages"]] == \
        [p["id"] for s in again["sections"] for p in s["passages"]]
    [other], _ = build(tmp_path, raw=RAW.replace("风起云涌", "风起云动"))
    assert first["sections"][0]["passages"][0]["id"] != other["sections"][0]["passages"][0]["id"]
    assert first["sections"][1]["passages"][0]["id"] == other["sections"][1]["passages"][0]["id"]


@pytest.mark.parametrize(("change", "message"), [
    ('spans = [["### 勇立新一代", "人工智能发展的强大合力"]]', "must match exactly one"),
    ('spans = [["不存在的锚", "人工智能发展的强大合力"]]', "not found"),
    ('spans = [["人工智能发展的强大合力", "### 勇立新一代"]]', "before it starts"),
])
def test_bad_anchors_are_one_line_errors(tmp_path: Path, change: str, message: str) -> None:
    manifest = MANIFEST.replace('spans = [["### 勇立新一代", "人工智能发展的强大合力"]]', change)
    raw = RAW + "\n再说：人工智能发展的强大合力。\n" if "exactly" in message else RAW
    with pytest.raises(ManifestError, match=message) as info:
        build(tmp_path, manifest, raw)
    assert "\n" not in str(info.value)


def test_overlapping_articles_are_refused(tmp_path: Path) -> None:
    manifest = MANIFEST + """
[[articles]]
title = "重叠"
spans = [["#### 强创新", "#### 强创新"]]
"""
    with pytest.raises(ManifestError, match="belongs to both"):
        build(tmp_path, manifest)


def test_splits_and_spans_put_interleaved_columns_back_in_order(tmp_path: Path) -> None:
    raw = ("甲文开头。累计监测到欠薪风 劳动合同签订等功能避免纠纷。\n\n"
           "险预警信息106条,实现风险早发现。\n\n企业通过平台实名登记。同时,系统通过考勤、规范\n")
    manifest = """
[source]
id = "cols"
title = "t"
kind = "newspaper"
raw = "tiny.txt"

[[splits]]
at = "劳动合同签订等功能"
reason = "two columns in one line"

[[articles]]
title = "文"
spans = [[1, "累计监测到欠薪风"], ["险预警信息", "企业通过平台"],
         ["劳动合同签订等功能", "劳动合同签订等功能"]]
"""
    [article], _ = build(tmp_path, manifest, raw)
    assert [t for _, t in texts(article)] == [
        "甲文开头。累计监测到欠薪风险预警信息106条，实现风险早发现。",
        "企业通过平台实名登记。同时，系统通过考勤、规范劳动合同签订等功能避免纠纷。"]


def test_misspelt_manifest_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="unknown key 'span'"):
        build(tmp_path, MANIFEST.replace("spans = ", "span = "))
    with pytest.raises(ManifestError, match=r"unknown table \[erata\]"):
        build(tmp_path, MANIFEST.replace("[[errata]]", "[[erata]]"))
