"""`zhewen content …` through click's CliRunner: exit codes, output, one-line errors."""
import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli

GOLDEN = Path(__file__).parent / "golden" / "content_toc.txt"


def test_build_prints_a_summary_and_report_lists_drops(tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    result = CliRunner().invoke(cli, ["content", "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "38 articles" in result.output and out.exists()
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
    result = CliRunner().invoke(cli, ["content", "toc"])
    assert result.exit_code == 0
    assert result.output == GOLDEN.read_text(encoding="utf-8")


def test_draft_on_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["content", "draft", str(tmp_path / "missing.txt")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no such file") and result.output.count("\n") == 1


def test_draft_proposes_a_manifest_that_loads(tmp_path: Path) -> None:
    import tomllib

    raw = Path(__file__).parent.parent / "content" / "raw" / "jinri-zhejiang-2025-17.txt"
    result = CliRunner().invoke(cli, ["content", "draft", str(raw)])
    assert result.exit_code == 0
    data = tomllib.loads(result.output)
    assert data["source"]["date"] == "2025-09-20"
    pages = [a.get("page") for a in data["articles"]]
    assert {8, 14, 16, 32, 36, 38, 62} <= set(pages)
