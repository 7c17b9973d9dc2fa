"""Invariants over the whole built corpus, and the build/load contract of content.store.

The invariants (the first tests, on the `built` fixture) run twice: on today's corpus and on today's
corpus plus a plain-text document added with `zhewen content add` (tests/data/sample_policy.txt), so
they hold for any corpus, not just this one. The tests after MAGAZINE_TOC check figures of today's two
sources (pages, pieces, report counts); they filter by source, so adding a document leaves them
alone. The golden table of contents is regenerated with
`.venv/bin/zhewen content toc > tests/golden/content_toc.txt` (see tests/test_content_cli.py).
"""
import json
import re
import tomllib
from pathlib import Path

import pytest

from content import clean
from content.onboard import add_document
from content.segment import noise_kind
from content.store import ContentError, build, load_built

HAN = r"[\u3400-\u9fff]"
SAMPLE = Path(__file__).parent / "data" / "sample_policy.txt"


@pytest.fixture(scope="module", params=["today", "with a new document"])
def built(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, object, Path | None]:
    """(corpus, report, content dir) of today's corpus (the package's content/, dir None), and of
    today's plus the sample policy in a temporary content dir."""
    if request.param == "today":
        out = tmp_path_factory.mktemp("corpus") / "corpus.json"
        report = build(out)
        return json.loads(out.read_text(encoding="utf-8")), report, None
    from test_onboarding_cli import content_with_real_sources

    content = content_with_real_sources(tmp_path_factory.mktemp("content"))
    add_document(SAMPLE, "青溪市低空经济高质量发展实施意见", "2025-03-05", content_dir=content)
    report = build(content_dir=content)
    return json.loads(report.path.read_text(encoding="utf-8")), report, content


def plain_sources(content_dir: Path | None) -> set[str]:
    """Ids of the sources whose manifest says layout = "plain" (text kept as its author wrote it)."""
    sources = (content_dir or Path(__file__).parent.parent / "content") / "sources"
    found = set()
    for path in sources.glob("*.toml"):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if data.get("structure", {}).get("layout") == "plain":
            found.add(data["source"]["id"])
    return found


def passages(corpus: dict):
    for article in corpus["articles"]:
        for section in article["sections"]:
            for passage in section["passages"]:
                yield article, section, passage


def test_export_object_has_exactly_the_design_keys(built) -> None:
    corpus = built[0]
    assert set(corpus) == {"sources", "articles", "content_hash"}
    for source in corpus["sources"]:
        assert set(source) == {"id", "title", "kind", "date"}
    for article in corpus["articles"]:
        assert set(article) == {"id", "source", "title", "subtitle", "authors", "column", "page",
                                "sections"}
        assert article["page"] is None or isinstance(article["page"], int)
        for section in article["sections"]:
            assert set(section) == {"heading", "passages"}
            for passage in section["passages"]:
                assert set(passage) == {"id", "text"}


def test_no_space_between_two_chinese_characters(built) -> None:
    bad = [p["text"] for _, _, p in passages(built[0]) if re.search(f"{HAN}\\s+{HAN}", p["text"])]
    assert bad == []


def test_no_noise_left_in_passages(built) -> None:
    pattern = re.compile(r"<[a-z/]|\*\*|^#|ISSN|邮发代号|上接A\d+版|[❷≥☆∮]|新华社记者 \S+ 摄|\s摄$")
    bad = [p["text"] for _, _, p in passages(built[0]) if pattern.search(p["text"])]
    assert bad == []
    assert [p["text"] for _, _, p in passages(built[0]) if noise_kind(p["text"])] == []


def test_every_passage_has_article_title_and_a_heading_string(built) -> None:
    for article, section, passage in passages(built[0]):
        assert article["title"] and article["source"]
        assert isinstance(section["heading"], str)  # "" when the article has no heading there
        assert passage["text"].strip() and passage["id"].startswith(article["id"])


def test_headings_are_never_left_inside_passages(built) -> None:
    for article in built[0]["articles"]:
        headings = {part for s in article["sections"] for part in s["heading"].split(" › ") if part}
        for section in article["sections"]:
            for passage in section["passages"]:
                assert passage["text"] not in headings


def test_no_duplicated_sentence_within_an_article(built) -> None:
    """OCR repeats text across columns and pages, and the build keeps each sentence once; a plain text
    is kept as its author wrote it, repeats included."""
    plain = plain_sources(built[2])
    for article in built[0]["articles"]:
        if article["source"] in plain:
            continue
        seen: set[str] = set()
        for section in article["sections"]:
            for passage in section["passages"]:
                for sentence in clean.split_sentences(passage["text"]):
                    key = clean.compact(sentence)
                    if len(key) >= 6:
                        assert key not in seen, (article["title"], sentence)
                        seen.add(key)


def test_a_quotation_closes_in_the_passage_holding_its_speaker(built) -> None:
    """A paragraph closing a quote it never opened ("…”李茵说。") was joined to the one naming the
    speaker."""
    for _, _, passage in passages(built[0]):
        said = re.search(r"”(\w{2,4})说。$", passage["text"])
        if said and clean.closes_unopened(passage["text"]):
            assert said.group(1) in passage["text"][: said.start()], passage["text"]


def test_every_source_has_an_article_with_text_and_a_dated_title(built) -> None:
    corpus = built[0]
    for source in corpus["sources"]:
        assert source["title"].strip() and "TODO" not in source["title"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", source["date"])
        assert any(s["passages"] for a in corpus["articles"] if a["source"] == source["id"]
                   for s in a["sections"])


def test_passage_ids_unique_and_stable_across_rebuilds(built, tmp_path: Path) -> None:
    ids = [p["id"] for _, _, p in passages(built[0])]
    assert len(ids) == len(set(ids))
    again = tmp_path / "again.json"
    build(again, content_dir=built[2])
    assert again.read_text(encoding="utf-8") == json.dumps(
        built[0], ensure_ascii=False, indent=1) + "\n"


@pytest.fixture(scope="module")
def today(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, object]:
    """Today's corpus, for the figures of its two sources below."""
    out = tmp_path_factory.mktemp("today") / "corpus.json"
    report = build(out)
    return json.loads(out.read_text(encoding="utf-8")), report


# Figures of today's two sources, as printed in the issue. They filter by source id, so a new
# document does not change them; `zhewen content toc` shows the current values.
MAGAZINE_TOC = {
    1: ["举全省之力打造人工智能创新发展高地"], 8: ["勇立新一代人工智能发展潮头"],
    14: ["以“四个强化”打造人工智能创新发展高地"], 16: ["勇当人工智能创新发展先行者"],
    32: ["把握人工智能新趋势 勇立创新发展大潮头"], 36: ["以数据知识产权保护促进人工智能创新发展"],
    38: ["为高质量发展建设共同富裕示范区贡献“银发力量”"], 40: ["在共富先行示范中展现巾帼担当作为"],
    42: ["绘就城乡融合高质量发展新图景"], 44: ["奋力书写自贸试验区提升发展的精彩答卷"],
    46: ["打造涉人工智能司法保护新高地"], 48: ["以法治之力化解“忧酬烦薪”事"], 50: ["千帆映海祈丰年"],
    52: ["“养老管家”守护山村“夕阳红”"], 54: ["以精准高效资源要素配置服务创新浙江建设"],
    56: ["“法护两山”筑牢生态屏障"], 58: ["党建链赋能产业链攀高向新"], 60: ["守好万家灯火"],
    61: ["全球治理的中国方案"], 62: ["从来有名士 不用无名钱"],
}
FEATURE = ["杭州市：", "宁波市：", "温州市：", "浙江大学：", "平湖市：", "阿里巴巴集团：", "之江实验室：",
           "中控技术公司："]


def test_every_toc_entry_present_with_its_page(today) -> None:
    magazine = [a for a in today[0]["articles"] if a["source"] == "jinri-zhejiang-2025-17"]
    by_title = {a["title"]: a for a in magazine}
    for page, titles in MAGAZINE_TOC.items():
        for title in titles:
            assert by_title[title]["page"] == page


def test_feature_pieces_are_articles_of_their_own(today) -> None:
    magazine = [a for a in today[0]["articles"] if a["source"] == "jinri-zhejiang-2025-17"]
    for prefix in FEATURE:
        [piece] = [a for a in magazine if a["title"].startswith(prefix)]
        assert piece["column"] == "本期关注" and piece["page"] == 16
        assert len(piece["authors"]) == 1 and piece["sections"]
    hangzhou = next(a for a in magazine if a["title"] == "杭州市：加快建设人工智能创新高地")
    assert hangzhou["authors"] == ["沈华军"]


def test_newspaper_has_six_items_without_pages(today) -> None:
    paper = [a for a in today[0]["articles"] if a["source"] == "newspaper-2025-05-28"]
    assert len(paper) == 6
    assert all(a["page"] is None for a in paper)


def test_report_counts_and_speed(today, slowness: float) -> None:
    _, report = today
    assert report.seconds < 2 * slowness  # the build's speed itself: make bench
    dropped = report.counts("dropped")
    for kind in ("photo credit", "caption", "byline", "sponsor list", "ISSN/CN", "HTML tag",
                 "continuation mark", "stray glyph", "editorial board", "masthead", "address/phone",
                 "copyright", "page furniture", "garbled OCR (two columns interleaved)"):
        assert dropped[kind] > 0, kind
    assert len([e for e in report.events if e.action == "corrected"]) >= 10
    assert "== dropped" in report.format()
    assert report.counts("joined")["quotation across paragraphs"] >= 1


def test_load_built_rebuilds_missing_and_stale_files(tmp_path: Path) -> None:
    path = tmp_path / "corpus.json"
    data = load_built(path)
    assert path.exists() and data["articles"]
    stale = dict(data, content_hash="0" * 16, articles=[])
    path.write_text(json.dumps(stale), encoding="utf-8")
    assert load_built(path)["articles"]


def test_load_built_refuses_a_corrupt_file_with_a_one_line_fix(tmp_path: Path) -> None:
    path = tmp_path / "corpus.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_built(path)
    assert "zhewen content build" in str(info.value) and "\n" not in str(info.value)


def test_load_built_works_where_the_build_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    data = load_built(blocker / "corpus.json")
    assert data["articles"] and data["content_hash"]
