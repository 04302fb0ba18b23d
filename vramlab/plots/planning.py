"""Plots for the planning notebooks (matplotlib; each function takes ax=None and returns the axes).

* :func:`plot_memory_breakdown` -- stacked weights / KV cache / overhead / margin against a
  GPU's usable memory;
* :func:`plot_kv_growth` -- KV cache of one sequence against context, one line per model
  (one model per attention kind by default);
* :func:`plot_fit_map` -- context x concurrency grid coloured by fits / does not fit.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import vramlab as vl
>>> ax = plot_memory_breakdown(vl.estimate("Qwen/Qwen3-8B", tokens=8192), gpu="RTX 4090")
>>> ax.get_ylabel()
'memory (GiB)'
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["plot_memory_breakdown", "plot_kv_growth", "plot_fit_map", "BREAKDOWN_COLORS", "KV_GROWTH_MODELS"]

#: Colours of the stacked parts (weights, KV cache, overhead, margin).
BREAKDOWN_COLORS = {"weights": "#4c72b0", "KV cache": "#dd8452", "overhead": "#8172b3", "margin": "#c7c7c7"}

#: One preset per attention kind: MHA, GQA, MQA, MLA, and sliding-window GQA.
KV_GROWTH_MODELS = (
    "meta-llama/Llama-2-7b-hf",
    "Qwen/Qwen3-8B",
    "tiiuae/falcon-7b",
    "deepseek-ai/DeepSeek-V2",
    "google/gemma-2-9b",
)


def _ax(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def _stack(item: Any) -> dict[str, int]:
    """Weights / KV cache / overhead / margin bytes of an Estimate or a GPUPlan."""
    return {"weights": item.weights, "KV cache": item.kv_cache, "overhead": item.overhead, "margin": item.margin}


def plot_memory_breakdown(estimates: Any, gpu: Any = None, unit: str = "GiB", ax=None):
    """Stacked bars of weights, KV cache, overhead and margin, with the GPU's usable line.

    Parameters
    ----------
    estimates : Estimate, GPUPlan, or a mapping label -> Estimate/GPUPlan
        One bar per item (a :class:`~vramlab.gpus.GPUPlan` shows one GPU's share).
    gpu : str or GPU, optional
        Draw this GPU's usable memory as a horizontal line.
    unit : str
        "GiB" or "GB".
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import vramlab as vl
    >>> e = vl.estimate("Qwen/Qwen3-8B", tokens=32768, weight_dtype="bf16")
    >>> ax = plot_memory_breakdown({"bf16 KV": e}, gpu="RTX 4090")
    >>> bool(round(sum(p.get_height() for p in ax.patches), 2) == round(e.total / 2**30, 2))
    True
    """
    from ..gpus import get_gpu
    from ..units import format_bytes, to_unit

    ax = _ax(ax)
    items = dict(estimates) if isinstance(estimates, Mapping) else {getattr(estimates, "model", ""): estimates}
    labels = list(items)
    bottoms = [0.0] * len(labels)
    for part, color in BREAKDOWN_COLORS.items():
        heights = [to_unit(_stack(items[k])[part], unit) for k in labels]
        ax.bar(labels, heights, bottom=bottoms, color=color, label=part, width=0.6)
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    for x, k in enumerate(labels):
        ax.annotate(format_bytes(items[k].total, unit), (x, bottoms[x]), ha="center", va="bottom", fontsize=9)
    top = max(bottoms) if bottoms else 1.0
    if gpu is not None:
        g = get_gpu(gpu)
        usable = to_unit(g.usable_bytes, unit)
        ax.axhline(usable, color="black", linestyle="--", linewidth=1.2,
                   label=f"{g.name} usable ({format_bytes(g.usable_bytes, unit)})")
        top = max(top, usable)
    ax.set_ylim(0, top * 1.45)
    ax.set_ylabel(f"memory ({unit})")
    ax.legend(loc="upper center", fontsize=8, ncol=3)
    return ax


def plot_kv_growth(models=KV_GROWTH_MODELS, contexts=None, kv_dtype: str = "bf16", unit: str = "GiB", ax=None):
    """KV cache of one sequence against its context, one line per model (log-log axes).

    Parameters
    ----------
    models : iterable of preset ids or ModelSpec
        Default: one model per attention kind (MHA, GQA, MQA, MLA, sliding window).
    contexts : iterable of int, optional
        Context lengths in tokens (default 512 to 131,072, powers of two).
    kv_dtype : str
        KV-cache format for every model.
    unit : str
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_kv_growth(["Qwen/Qwen3-8B"], contexts=[1024, 2048])
    >>> bool(ax.lines[0].get_ydata()[1] == 2 * ax.lines[0].get_ydata()[0])
    True
    """
    from ..memory import kv_cache_bytes
    from ..presets import load_model
    from ..units import to_unit

    ax = _ax(ax)
    contexts = list(contexts) if contexts is not None else [2**k for k in range(9, 18)]
    for mm in models:
        m = load_model(mm)
        kind = m.attention_kind + (" + sliding window" if m.num_sliding_layers else "")
        ys = [to_unit(kv_cache_bytes(m, t, 1, kv_dtype), unit) for t in contexts]
        ax.plot(contexts, ys, marker="o", markersize=3, label=f"{m.name.split('/')[-1]} ({kind})")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("context (tokens per sequence)")
    ax.set_ylabel(f"KV cache of one sequence ({unit}, {kv_dtype})")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_fit_map(model: Any, gpu: Any, contexts=None, concurrencies=None, weight_dtype: str = "auto",
                 kv_dtype: str = "auto", margin: float = 0.1, tensor_parallel: int = 1, ax=None):
    """Context x concurrency grid coloured green where the workload fits, red where it does not.

    Each cell is labelled with the headroom in GiB (negative: short by that much).

    Parameters
    ----------
    model : preset id or ModelSpec
    gpu : str or GPU
    contexts, concurrencies : iterable of int, optional
        Grid axes (default: ``vramlab.gpus.MAP_CONTEXTS`` and ``MAP_CONCURRENCIES``).
    weight_dtype, kv_dtype, margin, tensor_parallel
        As in :func:`vramlab.gpus.fit_map`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_fit_map("Qwen/Qwen3-8B", "RTX 4090", contexts=[4096, 131072], concurrencies=[1, 64])
    >>> ax.get_xlabel()
    'context (tokens per sequence)'
    """
    from matplotlib.colors import ListedColormap

    from ..gpus import MAP_CONCURRENCIES, MAP_CONTEXTS, fit_map
    from ..units import to_unit

    ax = _ax(ax)
    fm = fit_map(model, gpu, contexts if contexts is not None else MAP_CONTEXTS,
                 concurrencies if concurrencies is not None else MAP_CONCURRENCIES,
                 weight_dtype, kv_dtype, margin, tensor_parallel=tensor_parallel)
    grid = [[1 if ok else 0 for ok in row] for row in fm.fits]
    ax.imshow(grid, cmap=ListedColormap(["#e8a0a0", "#9fd49f"]), vmin=0, vmax=1, origin="lower", aspect="auto")
    for i, row in enumerate(fm.headroom):
        for j, h in enumerate(row):
            ax.text(j, i, f"{to_unit(h, 'GiB'):.0f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(fm.contexts)), [f"{c:,}" for c in fm.contexts], rotation=45, fontsize=8)
    ax.set_yticks(range(len(fm.concurrencies)), [str(c) for c in fm.concurrencies], fontsize=8)
    ax.set_xlabel("context (tokens per sequence)")
    ax.set_ylabel("concurrent sequences")
    tp = f", TP={tensor_parallel}" if tensor_parallel > 1 else ""
    ax.set_title(f"{fm.model} on {fm.gpu}{tp}: green fits (cells: headroom in GiB)", fontsize=9)
    return ax
