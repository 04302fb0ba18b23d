"""Plots for the planning notebooks (matplotlib; each function takes ax=None and returns the axes).

* :func:`plot_memory_breakdown` -- stacked weights / KV cache / overhead / margin of
  Estimates or GPUPlans against a GPU's usable memory;
* :func:`plot_fit_map` -- a :class:`~vramlab.planning.FitMap` as a context x concurrency grid
  coloured by fits / does not fit.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import vramlab as vl
>>> ax = plot_memory_breakdown(vl.estimate("Qwen/Qwen3-8B", tokens=8192), gpu="RTX 4090")
>>> ax.get_ylabel()
'memory (GiB)'
"""

from __future__ import annotations

from typing import Any, Mapping

from ._axes import axes

__all__ = ["plot_memory_breakdown", "plot_fit_map", "BREAKDOWN_COLORS"]

#: Colours of the stacked parts (weights, KV cache, overhead, margin).
BREAKDOWN_COLORS = {"weights": "#4c72b0", "KV cache": "#dd8452", "overhead": "#8172b3", "margin": "#c7c7c7"}


def _stack(item: Any) -> dict[str, int]:
    """Weights / KV cache / overhead / margin bytes of an Estimate or a GPUPlan."""
    return {"weights": item.weights, "KV cache": item.kv_cache, "overhead": item.overhead, "margin": item.margin}


def plot_memory_breakdown(estimates: Any, gpu: Any = None, unit: str = "GiB", ax=None):
    """Stacked bars of weights, KV cache, overhead and margin, with the GPU's usable line.

    Parameters
    ----------
    estimates : Estimate, GPUPlan, or a mapping label -> Estimate/GPUPlan
        One bar per item (a :class:`~vramlab.planning.GPUPlan` shows one GPU's share).
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

    ax = axes(ax)
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


def plot_fit_map(fit_map: Any, ax=None):
    """A fit map as a grid, green where the workload fits, red where it does not.

    Each cell is labelled with the headroom in GiB (negative: short by that much).

    Parameters
    ----------
    fit_map : FitMap
        From :func:`vramlab.planning.fit_map`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from vramlab.planning import fit_map
    >>> fm = fit_map("Qwen/Qwen3-8B", "RTX 4090", contexts=[4096, 131072], concurrencies=[1, 64])
    >>> ax = plot_fit_map(fm)
    >>> ax.get_xlabel(), [t.get_text() for t in ax.texts] == [f"{h / 2**30:.0f}" for r in fm.headroom for h in r]
    ('context (tokens per sequence)', True)
    """
    from matplotlib.colors import ListedColormap

    from ..units import to_unit

    fm = fit_map
    ax = axes(ax)
    grid = [[1 if ok else 0 for ok in row] for row in fm.fits]
    ax.imshow(grid, cmap=ListedColormap(["#e8a0a0", "#9fd49f"]), vmin=0, vmax=1, origin="lower", aspect="auto")
    for i, row in enumerate(fm.headroom):
        for j, h in enumerate(row):
            ax.text(j, i, f"{to_unit(h, 'GiB'):.0f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(fm.contexts)), [f"{c:,}" for c in fm.contexts], rotation=45, fontsize=8)
    ax.set_yticks(range(len(fm.concurrencies)), [str(c) for c in fm.concurrencies], fontsize=8)
    ax.set_xlabel("context (tokens per sequence)")
    ax.set_ylabel("concurrent sequences")
    tp = f", TP={fm.tensor_parallel}" if fm.tensor_parallel > 1 else ""
    ax.set_title(f"{fm.model} on {fm.gpu}{tp}: green fits (cells: headroom in GiB)", fontsize=9)
    return ax
