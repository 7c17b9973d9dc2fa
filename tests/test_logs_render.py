"""Terminal tables measured in display cells: CJK counts double, cuts end in … and never split a char."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.querylog.render import display_width, one_line, table, truncate


@pytest.mark.parametrize(("text", "cells"), [
    ("abc", 3), ("浙江", 4), ("ＡＢ", 4), ("e\u0301", 1), ("👍", 2), ("", 0), ("问a", 3),
])
def test_display_width(text: str, cells: int) -> None:
    assert display_width(text) == cells


@pytest.mark.parametrize(("text", "width", "expected"), [
    ("浙江省杭州市", 12, "浙江省杭州市"),
    ("浙江省杭州市", 11, "浙江省杭州…"),
    ("浙江省杭州市", 6, "浙江…"),
    ("浙江省杭州市", 5, "浙江…"),
    ("abcdef", 4, "abc…"),
    ("a浙江", 4, "a浙…"),
])
def test_truncate(text: str, width: int, expected: str) -> None:
    assert truncate(text, width) == expected
    assert display_width(truncate(text, width)) <= width


def test_one_line_removes_newlines_and_control_characters() -> None:
    assert one_line("第一行\n第二行\t\x1b[31m红\x00\u200b") == "第一行 第二行 [31m红"
    assert one_line(None) == ""


def test_table_columns_line_up_in_cells() -> None:
    text = table(["n", "question"], [[12, "浙江有多少款大模型"], [3, "short"]], numeric=[True, False])
    assert text.splitlines() == [
        " n  question",
        "--  ------------------",
        "12  浙江有多少款大模型",
        " 3  short",
    ]


def test_table_truncates_long_cells() -> None:
    text = table(["q"], [["浙" * 30]], max_widths=[10])
    assert text.splitlines()[2] == "浙" * 4 + "…"


@given(st.text(), st.integers(min_value=1, max_value=30))
def test_truncate_never_exceeds_the_width(text: str, width: int) -> None:
    cut = truncate(text, width)
    assert display_width(cut) <= width
    assert cut == text or (cut.endswith("…") and text.startswith(cut[:-1]))
