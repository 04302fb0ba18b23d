"""Plain-text tables: alignment, validation, the pool lines, and that report imports only the foundations."""

import ast
from pathlib import Path

import pytest

import vramlab as vl
from vramlab import report
from vramlab.errors import VramlabError


def test_columns_align_left_and_right():
    text = report.render_table(["name", "n"], [["a", 1], ["long name", 12345]], "lr")
    lines = text.splitlines()
    assert lines == ["name           n", "a              1", "long name  12345"]
    assert len({len(line) for line in lines}) == 1


def test_default_alignment_first_column_left():
    lines = report.render_table(["a", "b", "c"], [["x", "1", "22"], ["yyy", "333", "4"]]).splitlines()
    assert lines[1].startswith("x  ") and lines[1].endswith(" 22") and lines[2].endswith("  4")


def test_no_trailing_blanks():
    text = report.render_table(["a", "b"], [["x", ""], ["yyyy", "z"]], "ll")
    assert all(line == line.rstrip() for line in text.splitlines())


@pytest.mark.parametrize("rows,align,field", [([["x"]], None, "rows"), ([["x", "y"]], "lx", "align"),
                                               ([["x", "y"]], "l", "align")])
def test_bad_tables_are_refused(rows, align, field):
    with pytest.raises(VramlabError, match=field):
        report.render_table(["a", "b"], rows, align)


def test_pool_text_lines_name_units():
    p = vl.kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB", max_model_len=32768)
    text = report.pool_text(p)
    assert text == str(p)
    assert f"{p.num_blocks:,} blocks = {p.tokens:,} tokens" in text
    assert f"max concurrency for 32,768 tokens per request: {p.num_blocks / 2048:.2f}x" in text
    assert text.count("GiB") >= 6 and "144.00 KiB per token" in text


def test_report_imports_only_the_foundations():
    tree = ast.parse((Path(vl.__file__).parent / "report.py").read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1}
    assert modules <= {"units", "dtypes", "errors"}
