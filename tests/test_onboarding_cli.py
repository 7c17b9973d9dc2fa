"""`zhewen content add | list | remove` in a temporary content dir, through click's CliRunner: what
they write, what they print, and that a failure is one line and leaves nothing half-added."""
from __future__ import annotations

import json
import shutil
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli

ROOT = Path(__file__).parent.parent
PACKAGE_CONTENT = ROOT / "content"
SAMPLE = Path(__file__).parent / "data" / "sample_policy.txt"


ORIGINAL = ("jinri-zhejiang-2025-17", "newspaper-2025-05-28")   # the two sources of the first corpus


def content_with_real_sources(tmp_path: Path) -> Path:
    """A content dir holding copies of the two original sources only, as a fresh clone has them, so
    these tests give the same counts whatever documents have been added to content/ since."""
    target = tmp_path / "content"
    for part, suffix in (("raw", ".txt"), ("sources", ".toml")):
        (target / part).mkdir(parents=True)
        for source in ORIGINAL:
            shutil.copy(PACKAGE_CONTENT / part / f"{source}{suffix}", target / part)
    return target


def zhewen(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def add(path: Path, content: Path, *extra: str, title: str = "青溪市低空经济高质量发展实施意见",
        date: str = "2025-03-05") -> Result:
    return zhewen("content", "add", path, "--title", title, "--date", date, "--content-dir", content, *extra)


def files(content: Path) -> set[str]:
    return {p.relative_to(content).as_posix() for p in content.rglob("*") if p.is_file()}


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    return content_with_real_sources(tmp_path)


def test_add_stores_drafts_builds_and_reports(content: Path) -> None:
    result = add(SAMPLE, content)
    assert result.exit_code == 0, result.output
    assert (content / "raw" / "sample-policy.txt").read_text(encoding="utf-8") == \
        SAMPLE.read_text(encoding="utf-8")
    manifest = tomllib.loads((content / "sources" / "sample-policy.toml").read_text(encoding="utf-8"))
    assert manifest["source"] == {"id": "sample-policy", "title": "青溪市低空经济高质量发展实施意见",
                                  "kind": "document", "date": "2025-03-05", "raw": "sample-policy.txt"}
    corpus = json.loads((content / "build" / "corpus.json").read_text(encoding="utf-8"))
    assert [s["id"] for s in corpus["sources"]][-1] == "sample-policy"
    out = result.output
    assert "new source: 1 articles, " in out and "corpus:     3 sources, 39 articles, " in out
    assert "dropped lines" in out and "date line: sample-policy:46  2025年3月5日" in out
    assert "\n        完善起降设施网络" in out   # level 3, under 重点任务 › 加快低空基础设施建设


def test_add_leaves_the_package_content_alone(content: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in PACKAGE_CONTENT.glob("*/*") if p.suffix in (".txt", ".toml")}
    assert add(SAMPLE, content).exit_code == 0
    after = {p: p.stat().st_mtime_ns for p in PACKAGE_CONTENT.glob("*/*") if p.suffix in (".txt", ".toml")}
    assert before == after


def test_list_shows_each_source_with_its_counts(content: Path) -> None:
    add(SAMPLE, content)
    table = zhewen("content", "list", "--content-dir", content)
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["id", "kind", "date", "articles", "sections", "passages", "title"]
    assert lines[3].split()[:4] == ["sample-policy", "document", "2025-03-05", "1"]
    rows = json.loads(zhewen("content", "list", "--json", "--content-dir", content).output)
    assert [r["id"] for r in rows] == ["jinri-zhejiang-2025-17", "newspaper-2025-05-28", "sample-policy"]
    assert set(rows[0]) == {"id", "title", "kind", "date", "articles", "sections", "passages"}
    assert rows[2]["articles"] == 1 and rows[2]["sections"] >= 30 and rows[2]["passages"] >= 30


def test_remove_takes_the_source_out_and_rebuilds(content: Path) -> None:
    before = files(content)
    add(SAMPLE, content)
    result = zhewen("content", "remove", "sample-policy", "--content-dir", content)
    assert result.exit_code == 0, result.output
    assert files(content) - {"build/corpus.json"} == before
    corpus = json.loads((content / "build" / "corpus.json").read_text(encoding="utf-8"))
    assert [s["id"] for s in corpus["sources"]] == ["jinri-zhejiang-2025-17", "newspaper-2025-05-28"]


def test_remove_an_unknown_id_or_the_last_source_is_a_one_line_error(content: Path, tmp_path: Path) -> None:
    assert "no source with id 'nope'" in one_line_error(zhewen("content", "remove", "nope", "--content-dir",
                                                               content))
    single = tmp_path / "single"
    shutil.copytree(content / "raw", single / "raw")
    (single / "sources").mkdir()
    shutil.copy(content / "sources" / "newspaper-2025-05-28.toml", single / "sources")
    line = one_line_error(zhewen("content", "remove", "newspaper-2025-05-28", "--content-dir", single))
    assert "only source" in line and (single / "sources" / "newspaper-2025-05-28.toml").exists()


@pytest.mark.parametrize(("text", "why"), [
    (b"", "is empty"),
    (b"\n  \n", "is empty"),
    (bytes(range(256)) * 40, "not text in UTF-8 or GB18030"),
    ("关于做好有关工作的通知\n2025年3月5日\n".encode(), "yields no article"),
])
def test_add_refuses_in_one_line_and_leaves_nothing_behind(content: Path, tmp_path: Path,
                                                           text: bytes, why: str) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_bytes(text)
    zhewen("content", "build", "--content-dir", content)
    before = {p: p.read_bytes() for p in content.rglob("*") if p.is_file()}
    assert why in one_line_error(add(doc, content))
    assert {p: p.read_bytes() for p in content.rglob("*") if p.is_file()} == before


def test_add_refuses_an_existing_id_and_the_same_text_twice(content: Path, tmp_path: Path) -> None:
    assert "already exists" in one_line_error(add(SAMPLE, content, "--id", "newspaper-2025-05-28"))
    assert add(SAMPLE, content).exit_code == 0
    assert "already exists" in one_line_error(add(SAMPLE, content))
    assert "already added (raw/sample-policy.txt)" in one_line_error(add(SAMPLE, content, "--id", "again"))


@pytest.mark.parametrize(("extra", "title", "date", "why"), [
    ([], "TODO title", "2025-03-05", "--title"),
    ([], "  ", "2025-03-05", "--title"),
    ([], "意见", "2025-3-5", "not a date"),
    (["--id", "青溪"], "意见", "2025-03-05", "lowercase letters"),
    (["--id", "Policy"], "意见", "2025-03-05", "lowercase letters"),
])
def test_add_checks_its_arguments_before_writing(content: Path, extra, title, date, why) -> None:
    before = files(content)
    assert why in one_line_error(add(SAMPLE, content, *extra, title=title, date=date))
    assert files(content) == before


def test_add_without_a_file_is_a_one_line_error(content: Path, tmp_path: Path) -> None:
    assert "no such file" in one_line_error(add(tmp_path / "missing.txt", content))


def test_an_ocr_issue_with_todo_titles_is_refused_and_rolled_back(tmp_path: Path) -> None:
    """The draft of an OCR magazine names some pieces "TODO: title of the piece by …": the build
    refuses to cite a TODO, and `add` takes the files out again."""
    content = tmp_path / "content"
    (content / "raw").mkdir(parents=True)
    (content / "sources").mkdir()
    shutil.copy(PACKAGE_CONTENT / "raw" / "newspaper-2025-05-28.txt", content / "raw")
    shutil.copy(PACKAGE_CONTENT / "sources" / "newspaper-2025-05-28.toml", content / "sources")
    line = one_line_error(add(PACKAGE_CONTENT / "raw" / "jinri-zhejiang-2025-17.txt", content,
                              "--kind", "magazine", title="今日浙江 2025年第17期", date="2025-09-20"))
    assert "not added" in line and "title is still a TODO" in line
    assert files(content) == {"raw/newspaper-2025-05-28.txt", "sources/newspaper-2025-05-28.toml"}


@pytest.mark.parametrize(("encoding", "name", "expected_id"), [
    ("gb18030", "低空经济实施意见.txt", "document-2025-03-05"),
    ("utf-8-sig", "Policy_Draft v2.txt", "policy-draft-v2"),
])
def test_encodings_and_default_ids(content: Path, tmp_path: Path, encoding: str, name: str,
                                   expected_id: str) -> None:
    doc = tmp_path / name
    doc.write_bytes(SAMPLE.read_text(encoding="utf-8").encode(encoding))
    result = add(doc, content)
    assert result.exit_code == 0, result.output
    stored = content / "raw" / f"{expected_id}.txt"
    assert stored.read_text(encoding="utf-8") == SAMPLE.read_text(encoding="utf-8")


def test_build_export_and_toc_take_the_content_dir(content: Path) -> None:
    add(SAMPLE, content)
    built = zhewen("content", "build", "--content-dir", content)
    assert built.exit_code == 0 and "3 sources, 39 articles" in built.output
    exported = json.loads(zhewen("content", "export", "--json", "--content-dir", content).output)
    assert exported["sources"][-1]["id"] == "sample-policy"
    toc = zhewen("content", "toc", "--content-dir", content).output
    assert "青溪市低空经济高质量发展实施意见 (document, 2025-03-05)" in toc


def long_document(chapters: int = 8) -> str:
    """A 规划-style text over 20,000 characters: chapters (第X章) holding the sample's numbered parts."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    body = lines[4:-4]   # from 一、总体要求 to the last numbered part, without title, date, signature
    out = ["青溪市低空经济发展规划（2025—2030年）", "青政发〔2025〕20号"]
    for n in range(1, chapters + 1):
        out.append(f"第{'一二三四五六七八九十'[n - 1]}章 第{n}片区低空经济发展")
        out.extend(line.replace("全市", f"第{n}片区") for line in body)
    out += ["青溪市人民政府", "2025年6月1日"]
    return "\n".join(out) + "\n"


def test_a_long_document_is_added_in_under_five_seconds(content: Path, tmp_path: Path,
                                                        slowness: float) -> None:
    doc = tmp_path / "plan.txt"
    doc.write_text(long_document(), encoding="utf-8")
    assert len(doc.read_text(encoding="utf-8")) > 20_000
    started = time.perf_counter()
    result = add(doc, content, title="青溪市低空经济发展规划", date="2025-06-01")
    seconds = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert seconds < 5 * slowness, seconds
    corpus = json.loads((content / "build" / "corpus.json").read_text(encoding="utf-8"))
    [plan] = [a for a in corpus["articles"] if a["source"] == "plan"]
    headings = [s["heading"] for s in plan["sections"]]
    assert "第三章 第3片区低空经济发展 › 政策支持 › 支持适航取证" in headings
    assert "第八章 第8片区低空经济发展 › 重点任务 › 拓展低空应用场景 › 发展低空物流" in headings


def test_a_stale_corpus_is_rebuilt_from_its_own_content_dir(content: Path) -> None:
    """ZHEWEN_CORPUS=<dir>/build/corpus.json: load_built checks and rebuilds it from <dir>'s sources,
    not from the package's, so a server pointed at another content dir serves that dir."""
    from content.store import load_built

    add(SAMPLE, content)
    corpus = content / "build" / "corpus.json"
    assert load_built(corpus)["sources"][-1]["id"] == "sample-policy"
    (content / "sources" / "sample-policy.toml").unlink()   # edited behind the build's back
    assert [s["id"] for s in load_built(corpus)["sources"]] == ["jinri-zhejiang-2025-17",
                                                              "newspaper-2025-05-28"]
    assert "sample-policy" not in corpus.read_text(encoding="utf-8")


def test_a_content_dir_that_cannot_be_written_is_a_one_line_error(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "sources").mkdir(parents=True)
    (content / "raw").write_text("a file where the raw/ directory should be", encoding="utf-8")
    assert "not added: cannot write" in one_line_error(add(SAMPLE, content))
    assert list((content / "sources").iterdir()) == []


def test_remove_puts_the_files_back_when_the_rebuild_fails(content: Path) -> None:
    add(SAMPLE, content)
    broken = content / "sources" / "newspaper-2025-05-28.toml"
    broken.write_text(broken.read_text(encoding="utf-8").replace('date = "2025-05-28"', 'date = ""'),
                      encoding="utf-8")
    before = files(content)
    line = one_line_error(zhewen("content", "remove", "sample-policy", "--content-dir", content))
    assert "not removed" in line and "date is empty" in line
    assert files(content) == before
