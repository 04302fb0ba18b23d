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


# ---------------------------------------------------------------------------
# Rich display: HTML tables and IPython text of the results; ModelSpec in one line
def _cells(html_text: str) -> list[str]:
    import re

    return re.findall(r"<td>(.*?)</td>", html_text)


def test_estimate_renders_as_an_html_table_of_its_parts():
    e = vl.estimate("Qwen/Qwen3-8B", tokens=8192, concurrency=2)
    h = e._repr_html_()
    assert h.startswith("<table><caption>") and "</table>" in h
    cells = _cells(h)
    for part, value in [*e.parts().items(), ("total", e.total)]:
        i = cells.index(part)
        assert cells[i + 1] == f"{value:,}"
    assert "⚠" not in h                                 # 8,192 tokens: no warning


def test_warnings_appear_under_the_table():
    e = vl.estimate("Qwen/Qwen3-8B", tokens=131072)
    limit = vl.load_model("Qwen/Qwen3-8B").max_position_embeddings
    assert e.warnings and f"{limit:,}" in e.warnings[0]
    assert "<p>⚠ tokens 131,072" in e._repr_html_()
    assert "note: tokens 131,072" in report.display_text(e)


def test_pool_and_training_render_as_html_tables():
    p = vl.kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB", max_model_len=32768)
    cells = _cells(p._repr_html_())
    assert cells[cells.index("kv_cache") + 1] == f"{p.kv_bytes:,}" and cells[cells.index("blocks") + 1] == f"{p.num_blocks:,}"
    t = vl.training.estimate("Qwen/Qwen3-8B", "lora", 2048)
    cells = _cells(t._repr_html_())
    assert cells[cells.index("total") + 1] == f"{t.total:,}"


def test_html_cells_are_escaped():
    h = report.html_table(["a"], [["<script>"]], caption="x & y", notes=["<b>"])
    assert "<script>" not in h and "&lt;script&gt;" in h and "x &amp; y" in h and "&lt;b&gt;" in h


def test_pretty_printer_shows_the_text_table():
    IPython = pytest.importorskip("IPython")
    from IPython.lib.pretty import pretty

    e = vl.estimate("Qwen/Qwen3-8B", tokens=4096)
    text = pretty(e)
    assert text == report.display_text(e) and text.splitlines()[0] == str(e).splitlines()[0]
    assert IPython is not None


def test_display_rows_refuses_an_unknown_type():
    with pytest.raises(VramlabError, match="no display for int"):
        report.display_rows(3)


def test_a_pool_that_cannot_start_says_so():
    p = vl.kv_pool("meta-llama/Llama-3.1-70B-Instruct", gpu="RTX 4090")
    assert p.kv_bytes == 0 and "refuses to start" in p.warnings[0]
    assert vl.kv_pool("Qwen/Qwen3-8B", gpu="H100 80GB").warnings == ()


@pytest.mark.parametrize("model_id", vl.list_models())
def test_model_repr_is_one_short_line(model_id):
    m = vl.load_model(model_id)
    r = repr(m)
    assert len(r) <= 300 and "\n" not in r and "LayerAttention" not in r
    assert model_id in r and f"{m.num_layers} layers" in r and f"{m.param_count():,} params" in r
    d = m.describe()
    assert f"num_layers: {m.num_layers}" in d and f"max_position_embeddings: {m.max_position_embeddings!r}" in d
    assert f"layers 0-{m.num_layers - 1}" in d or f", {m.num_layers - 1} " in d  # a cycle, or every run listed


def test_model_repr_of_a_long_name_stays_short():
    cfg = {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
           "num_attention_heads": 4, "vocab_size": 100}
    assert len(repr(vl.load_model(cfg, name="x" * 5000))) <= 300


def test_describe_groups_the_layer_pattern():
    gemma3 = vl.load_model("google/gemma-3-27b-it")
    line = [x for x in gemma3.describe().splitlines() if x.startswith("layers 0-")][0]
    kinds = [la.kind for la in gemma3.layers]
    period = next(p for p in range(1, 9) if all(kinds[i] == kinds[i % p] for i in range(len(kinds))))
    assert f"a cycle of {period} layers" in line and line.count("full") == kinds[:period].count("full")
