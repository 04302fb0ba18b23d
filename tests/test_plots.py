"""Plots draw results: the drawn heights and lines are the figures of the tables and results they
are given, in the named unit; no plot reads a model itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vramlab as vl
import vramlab.articles as art
from vramlab import decoding, tables
from vramlab.plots import articles as pa, decoding as pd_, memory as pm
from vramlab.presets import preset_record

from .reference import kv_per_token_16bit

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

GiB = 2**30
PLOTS = Path(vl.__file__).parent / "plots"
#: Every plot module (the helpers in _axes and the re-exports in __init__ draw nothing).
PLOT_MODULES = sorted(p.stem for p in PLOTS.glob("*.py") if not p.stem.startswith("_"))


@pytest.fixture
def ax():
    from matplotlib.figure import Figure

    return Figure().add_subplot()


def test_every_plot_module_is_re_exported():
    import vramlab.plots as plots

    assert len(PLOT_MODULES) >= 8
    for name in PLOT_MODULES:
        mod = __import__(f"vramlab.plots.{name}", fromlist=["__all__"])
        assert set(mod.__all__) <= set(dir(plots)), name


@pytest.mark.parametrize("name", PLOT_MODULES)
def test_plot_functions_take_results_never_a_model(name):
    tree = ast.parse((PLOTS / f"{name}.py").read_text())
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")):
        args = [a.arg for a in fn.args.args + fn.args.kwonlyargs]
        assert not {"model", "models"} & set(args), f"plots.{name}.{fn.name} takes a model"
    assert "load_model" not in (PLOTS / f"{name}.py").read_text()


def test_kv_growth_lines_are_the_table(ax):
    ctx = [1024, 4096, 16384]
    t = tables.kv_growth_table(["Qwen/Qwen3-8B", "tiiuae/falcon-7b"], contexts=ctx)
    assert pm.plot_kv_growth(t, ax=ax) is ax
    for line, mid in zip(ax.lines, ("Qwen/Qwen3-8B", "tiiuae/falcon-7b")):
        assert list(line.get_ydata()) == pytest.approx([kv_per_token_16bit(mid) * n / GiB for n in ctx])
        assert list(line.get_xdata()) == ctx
    assert [x.get_text() for x in ax.get_legend().get_texts()] == ["Qwen3-8B (GQA)", "falcon-7b (MQA)"]
    assert ax.get_ylabel() == "KV cache of one sequence (GiB, bf16)"


def test_default_kv_growth_shows_every_attention_kind(ax):
    pm.plot_kv_growth(tables.kv_growth_table(contexts=[1024, 2048]), ax=ax)
    labels = " ".join(t.get_text() for t in ax.get_legend().get_texts())
    for kind in ("MHA", "GQA", "MQA", "MLA", "sliding window"):
        assert kind in labels


def test_kv_concurrency_lines_and_the_weights_line(ax):
    t = tables.kv_concurrency_table("Qwen/Qwen3-8B", 4096, [1, 2, 4], ["bf16", "fp8"], "bf16")
    pm.plot_kv_concurrency(t, unit="GB", ax=ax)
    per_seq = kv_per_token_16bit("Qwen/Qwen3-8B") * 4096
    bf16, fp8, weights = ax.lines
    assert list(bf16.get_ydata()) == pytest.approx([per_seq * n / 1e9 for n in (1, 2, 4)])
    assert list(fp8.get_ydata()) == pytest.approx([per_seq * n / 2e9 for n in (1, 2, 4)])
    w = 2 * preset_record("Qwen/Qwen3-8B")["reference"]["params_computed_from_config"]
    assert weights.get_ydata()[0] == pytest.approx(w / 1e9)
    assert ax.get_xlabel() == "concurrent sequences of 4,096 tokens" and ax.get_ylabel() == "memory (GB)"


def test_kv_per_token_bars_in_table_order_sliding_hatched(ax):
    t = tables.kv_table(["Qwen/Qwen3-8B", "tiiuae/falcon-7b", "google/gemma-2-9b"], context=32768)
    pm.plot_kv_per_token(t, ax=ax)
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx(t["KiB/token"].tolist())
    assert [bool(p.get_hatch()) for p in ax.patches] == ["sliding" in x for x in t["layers"]]
    pm.plot_kv_per_token(t, average=True, ax=ax)
    assert "average over 32,768 tokens" in ax.get_xlabel() and "bf16" in ax.get_xlabel()


def test_weights_bars_are_the_table_sorted_by_parameters(ax):
    t = tables.weights_table(["Qwen/QwQ-32B", "Qwen/Qwen3-8B"], ["bf16", "int4"], unit="GiB")
    pm.plot_weights_by_precision(t, ax=ax)
    labels = [x.get_text() for x in ax.get_yticklabels()]
    assert labels == ["Qwen3-8B", "QwQ-32B"]                       # smaller model first
    got = sorted(p.get_width() for p in ax.patches)
    assert got == pytest.approx(sorted(t["bf16"].tolist() + t["int4"].tolist()))
    assert ax.get_xlabel() == "weights (GiB)"


def test_a_table_without_its_unit_is_refused(ax):
    t = tables.weights_table(["Qwen/Qwen3-8B"], ["bf16"])
    t.attrs.clear()
    with pytest.raises(vl.VramlabError, match="weights_table"):
        pm.plot_weights_by_precision(t, ax=ax)


def test_decode_work_lines_are_the_results(ax):
    works = decoding.decode_work_curve("Qwen/Qwen3-8B", [1, 16, 256])
    pd_.plot_decode_work(works, ax=ax)
    no_cache, cache = ax.lines
    assert list(no_cache.get_ydata()) == pytest.approx([w.flops_no_cache / 1e9 for w in works])
    assert list(cache.get_ydata()) == pytest.approx([w.flops_cache / 1e9 for w in works])
    assert list(cache.get_xdata()) == [1, 16, 256] and ax.get_title() == "Qwen3-8B"


def test_qwen3_budget_bars_are_the_scenarios(ax):
    pub, cor = art.qwen3_8b_scenarios(), art.qwen3_8b_scenarios_corrected("RTX 3090")
    pa.qwen3_8b_budget_plot(pub, cor, ax=ax)
    n = len(pub)
    heights = [p.get_height() for p in ax.patches]
    assert heights[:n] == pytest.approx([float(v) * 1e9 / GiB for v in pub["total_published"]])
    assert heights[n:2 * n] == pytest.approx(cor["total_GiB"].tolist())
    usable = [ln for ln in ax.lines if ln.get_linestyle() == "--"][0]
    assert usable.get_ydata()[0] == pytest.approx(23.58)


def test_qwq_budget_stacks_the_totals(ax):
    t = art.qwq_32b_totals()
    pa.qwq_32b_budget_plot(t, gpu="H200", ax=ax)
    tops = [p.get_y() + p.get_height() for p in ax.patches]
    assert max(tops[-2:]) == pytest.approx(t["article_total"] / GiB)
    assert tops[-1] == pytest.approx(t["total"] / GiB)
    assert any("H200" in x.get_text() for x in ax.get_legend().get_texts())


def test_cache_growth_lines_are_the_table_with_the_state_as_a_floor(ax):
    from vramlab.plots import cache as pc

    ctx = [256, 4096, 65536]
    t = tables.cache_growth_table(["Qwen/Qwen3-32B", "Qwen/Qwen3-Next-80B-A3B-Instruct"], contexts=ctx)
    pc.plot_cache_growth(t, unit="GiB", ax=ax)
    dense, hybrid, state = ax.lines        # the dense model has no state line
    c = preset_record("Qwen/Qwen3-32B")["config"]
    per_token = 2 * c["num_hidden_layers"] * c["num_key_value_heads"] * c["head_dim"] * 2
    assert list(dense.get_ydata()) == [per_token * n / GiB for n in ctx]
    nxt = t[t["model"] == "Qwen/Qwen3-Next-80B-A3B-Instruct"]
    assert list(hybrid.get_ydata()) == [b / GiB for b in nxt["cache_bytes"]]
    assert list(state.get_ydata()) == [nxt["state_bytes"].iloc[0] / GiB] * 2
    assert all(y > s for y, s in zip(hybrid.get_ydata(), state.get_ydata()))
    assert "Qwen3-Next-80B-A3B-Instruct: fixed state" in [x.get_text() for x in ax.get_legend().get_texts()]
