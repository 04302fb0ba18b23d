"""Planning plots: the drawn heights and lines are the computed bytes, in the named unit."""

from __future__ import annotations

import pytest

import vramlab as vl
from vramlab.planning import fit_map
from vramlab.plots import planning
from vramlab.presets import preset_record

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

GiB = 2**30


@pytest.fixture
def ax():
    from matplotlib.figure import Figure

    return Figure().add_subplot()


def test_breakdown_bars_stack_the_parts_and_draw_the_gpu_line(ax):
    e = vl.estimate("Qwen/Qwen3-8B", tokens=32768, concurrency=2, weight_dtype="bf16")
    out = planning.plot_memory_breakdown({"bf16": e}, gpu="RTX 3090", ax=ax)
    assert out is ax
    heights = [p.get_height() for p in ax.patches]
    want = [e.weights, e.kv_cache, e.activations + e.framework, e.margin]
    assert heights == pytest.approx([w / GiB for w in want])
    assert sum(heights) == pytest.approx(e.total / GiB)
    (line,) = [ln for ln in ax.lines if ln.get_linestyle() == "--"]
    assert line.get_ydata()[0] == pytest.approx(23.58)             # RTX 3090 usable, from the vLLM log
    assert ax.get_ylabel() == "memory (GiB)"
    assert [t.get_text() for t in ax.get_legend().get_texts()][:4] == ["RTX 3090 usable (23.58 GiB)", "weights",
                                                                      "KV cache", "overhead"]


def test_breakdown_of_a_tensor_parallel_share_in_gb(ax):
    from vramlab.planning import plan_on

    p = plan_on("meta-llama/Llama-3.1-70B-Instruct", "H100 80GB", 2, 8192, 1, "bf16")
    planning.plot_memory_breakdown({"TP=2": p}, unit="GB", ax=ax)
    w = 2 * preset_record("meta-llama/Llama-3.1-70B-Instruct")["reference"]["params_computed_from_config"]
    assert ax.patches[0].get_height() == pytest.approx(-(-w // 2) / 1e9)
    assert ax.get_ylabel() == "memory (GB)"


def test_fit_map_colours_fits_and_shortfalls(ax):
    ctx, conc = [2048, 32768, 131072], [1, 8]
    fm = fit_map("Qwen/Qwen3-8B", "RTX 4090", contexts=ctx, concurrencies=conc, weight_dtype="bf16")
    assert planning.plot_fit_map(fm, ax=ax) is ax
    grid = ax.images[0].get_array()
    usable = int(24 * GiB * 0.985)
    for i, c in enumerate(conc):
        for j, t in enumerate(ctx):
            fits = vl.estimate("Qwen/Qwen3-8B", t, c, "bf16").total <= usable
            assert bool(grid[i][j]) == fits
    assert bool(grid[0][0]) and not bool(grid[1][2])
    assert ax.get_xlabel() == "context (tokens per sequence)" and ax.get_ylabel() == "concurrent sequences"
    assert "headroom in GiB" in ax.get_title()
    cells = [t.get_text() for t in ax.texts]
    assert cells == [f"{(usable - vl.estimate('Qwen/Qwen3-8B', t, c, 'bf16').total) / GiB:.0f}"
                     for c in conc for t in ctx]


def test_fit_map_title_names_tensor_parallelism(ax):
    fm = fit_map("meta-llama/Llama-3.1-70B-Instruct", "H100 80GB", contexts=[8192], concurrencies=[1],
                 tensor_parallel=2)
    planning.plot_fit_map(fm, ax=ax)
    assert "H100 80GB, TP=2" in ax.get_title()
