"""`zhewen content …` through click's CliRunner: exit codes, output, one-line errors.

tests/golden/content_toc.txt is today's table of contents, and the article count checked below is
read from it. After adding, removing or re-editing a document, regenerate it with one command and
review the diff before committing:

    .venv/bin/zhewen content toc > tests/golden/content_toc.txt
"""
import json
import shutil
import tomllib
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli
from content.manifest import load_manifest
from content.segment import Events, segment

GOLDEN = Path(__file__).parent / "golden" / "content_toc.txt"
RAW_DIR = Path(__file__).parent.parent / "content" / "raw"


def golden_article_count() -> int:
    """Articles in the golden table of contents (each is a line indented under its source)."""
    return sum(1 for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line.startswith("  "))


def test_build_prints_a_summary_and_report_lists_drops(tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    result = CliRunner().invoke(cli, ["content", "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f" {golden_article_count()} articles " in result.output and out.exists()
    result = CliRunner().invoke(cli, ["content", "build", "--report", "--out", str(out)])
    assert result.exit_code == 0
    assert "== dropped" in result.output and "photo credit" in result.output


def test_export_json_is_the_corpus_object() -> None:
    result = CliRunner().invoke(cli, ["content", "export", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"sources", "articles", "content_hash"} == set(data)


def test_export_requires_json_flag() -> None:
    result = CliRunner().invoke(cli, ["content", "export"])
    assert result.exit_code == 2 and "--json" in result.output


def test_toc_matches_golden_snapshot() -> None:
    """Regenerate after a content change: .venv/bin/zhewen content toc > tests/golden/content_toc.txt"""
    result = CliRunner().invoke(cli, ["content", "toc"])
    assert result.exit_code == 0
    assert result.output == GOLDEN.read_text(encoding="utf-8")


def test_draft_on_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["content", "draft", str(tmp_path / "missing.txt")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no such file") and result.output.count("\n") == 1


def _draft_and_build(tmp_path: Path, name: str) -> tuple[dict, list[dict]]:
    """Draft a manifest for a raw file, then build it as a new source would be built."""
    raw = RAW_DIR / name
    result = CliRunner().invoke(cli, ["content", "draft", str(raw)])
    assert result.exit_code == 0, result.output
    (tmp_path / "draft.toml").write_text(result.output, encoding="utf-8")
    shutil.copy(raw, tmp_path / name)
    manifest = tmp_path / f"{raw.stem}.toml"
    manifest.write_text(result.output, encoding="utf-8")
    return tomllib.loads(result.output), segment(load_manifest(manifest, tmp_path), Events())


def test_draft_of_the_magazine_finds_toc_pages_authors_and_feature_pieces(tmp_path: Path) -> None:
    data, articles = _draft_and_build(tmp_path, "jinri-zhejiang-2025-17.txt")
    assert data["source"]["date"] == "2025-09-20" and data["source"]["kind"] == "magazine"
    by_page = {a.get("page"): a for a in data["articles"]}
    assert {1, 8, 14, 16, 32, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 61, 62} <= set(by_page)
    assert by_page[8]["authors"] == ["马跃明", "叶慧", "邵玩玩"]
    pieces = [a["authors"] for a in data["articles"] if a["title"].startswith("TODO: title of the piece")]
    assert ["沈华军"] in pieces and ["今文"] in pieces
    assert sum(1 for a in articles if a["sections"]) >= 25
    assert '#   "全民参与氛围日益浓厚"' in (tmp_path / "draft.toml").read_text(encoding="utf-8")


def test_draft_of_the_newspaper_finds_its_six_items(tmp_path: Path) -> None:
    data, articles = _draft_and_build(tmp_path, "newspaper-2025-05-28.txt")
    assert [a["title"] for a in data["articles"]] == [
        "加快赋能千行百业 持续优化产业生态", "市场监管总局：大力推进计量测试关键技术创新",
        "政策效应不断显现 企业赴境外上市持续升温", "国务院安委会对山东友道化学有限公司爆炸事故查处挂牌督办",
        "多方联动护航外贸企业拓内销", "如何运用ETF构建中低风险组合"]
    assert data["articles"][3]["authors"] == ["周圆", "魏弘毅"]
    assert data["articles"][5]["column"] == "深交所ETF投资问答"
    assert len(articles) == 6


def test_draft_of_an_empty_file_is_a_one_line_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["content", "draft", str(empty)])
    assert result.exit_code == 1 and "is empty" in result.output


def test_build_with_a_broken_manifest_is_a_one_line_error(tmp_path: Path, monkeypatch) -> None:
    from content import store

    (tmp_path / "bad.toml").write_text('[source]\nid = "x"\n', encoding="utf-8")
    monkeypatch.setattr(store, "SOURCES_DIR", tmp_path)
    result = CliRunner().invoke(cli, ["content", "build", "--out", str(tmp_path / "c.json")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: manifest error: bad.toml") and result.output.count("\n") == 1


def test_export_of_a_corrupt_corpus_names_the_fix(tmp_path: Path, monkeypatch) -> None:
    from content import store

    broken = tmp_path / "corpus.json"
    broken.write_text("{", encoding="utf-8")
    monkeypatch.setattr(store, "DEFAULT_BUILD", broken)
    for command in (["content", "export", "--json"], ["content", "toc"]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 1 and "zhewen content build" in result.output
        assert result.output.count("\n") == 1 and "Traceback" not in result.output
