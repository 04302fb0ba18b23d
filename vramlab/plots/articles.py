"""Plots for the articles notebooks (matplotlib; each function takes ax=None and returns the axes).

Each function draws results of :mod:`vramlab.articles`.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..units import GB, GiB
from ._axes import axes

__all__ = ["qwen3_8b_budget_plot", "qwq_32b_budget_plot"]


def qwen3_8b_budget_plot(scenarios: Any, corrected: Any, ax=None):
    """The Qwen3-8B article's budget per scenario against a card's usable memory, in GiB.

    Three bars per scenario: the article's printed total read as GB (10^9 bytes, as it is
    labelled), the same method with exact figures, and vramlab's estimate with activations and
    framework memory. A line marks the card's usable memory.

    Parameters
    ----------
    scenarios : DataFrame
        :func:`vramlab.articles.qwen3_8b_scenarios` (the article's table).
    corrected : DataFrame
        :func:`vramlab.articles.qwen3_8b_scenarios_corrected` for a card (its name is in
        ``corrected.attrs["gpu"]``).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import vramlab.articles as art
    >>> ax = qwen3_8b_budget_plot(art.qwen3_8b_scenarios(), art.qwen3_8b_scenarios_corrected("RTX 3090"))
    >>> ax.get_ylabel(), "RTX 3090: 23.58 GiB usable" in [t.get_text() for t in ax.get_legend().get_texts()]
    ('memory (GiB)', True)
    """
    pub, cor = scenarios, corrected
    ax = axes(ax, (8, 4))
    x = list(range(len(pub)))
    w = 0.27
    printed = [float(v) * GB / GiB for v in pub["total_published"]]
    ax.bar([i - w for i in x], printed, w, label="article's total, printed GB", color="#bbbbbb")
    ax.bar(x, cor["total_GiB"], w, label="same method, exact (weights + KV) × 1.1", color="#4c72b0")
    ax.bar([i + w for i in x], cor["realistic_GiB"], w, label="+ activations + framework (vl.estimate)",
           color="#dd8452")
    usable = float(cor["usable_GiB"].iloc[0])
    ax.axhline(usable, color="black", ls="--", lw=1.2, label=f"{cor.attrs.get('gpu', 'GPU')}: {usable:.2f} GiB usable")
    labels = [f"{c}×{t // 1024}K\n{k}" for c, t, k in zip(pub["concurrency"], pub["tokens"], pub["kv_precision"])]
    ax.set_xticks(x)
    ax.set_xticklabels(labels)
    ax.set_xlabel("scenario (concurrency × tokens, KV precision)")
    ax.set_ylabel("memory (GiB)")
    ax.set_title("Qwen3-8B (BF16 weights): budget per scenario")
    top = max(max(printed), cor["realistic_GiB"].max(), usable)
    ax.set_ylim(0, top * 1.4)
    ax.legend(loc="upper left", ncol=2, fontsize=8)
    return ax


def qwq_32b_budget_plot(totals: Mapping[str, int], gpu: Any = "H100 80GB", ax=None):
    """QwQ-32B: the article's budget against the corrected one, stacked, in GiB.

    Weights, KV cache and the margin factor, for the article (its GB figures converted to GiB)
    and for the real config; lines mark a card's usable memory and the article's 128 GB.

    Parameters
    ----------
    totals : dict
        :func:`vramlab.articles.qwq_32b_totals` (bytes).
    gpu : str or GPU
        Catalog GPU whose usable memory is drawn.
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import vramlab.articles as art
    >>> ax = qwq_32b_budget_plot(art.qwq_32b_totals())
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['article', 'corrected']
    """
    from ..gpus import get_gpu

    t = totals
    ax = axes(ax, (6, 4))
    art_kv = t["article_base"] - t["article_weights"]
    weights = [t["article_weights"] / GiB, t["weights"] / GiB]
    kv = [art_kv / GiB, t["kv"] / GiB]
    margin = [(t["article_total"] - t["article_base"]) / GiB, (t["total"] - t["base"]) / GiB]
    x = [0, 1]
    ax.bar(x, weights, 0.5, label="weights", color="#4c72b0")
    ax.bar(x, kv, 0.5, bottom=weights, label="KV cache", color="#dd8452")
    ax.bar(x, margin, 0.5, bottom=[a + b for a, b in zip(weights, kv)], label="margin factor", color="#bbbbbb")
    h = get_gpu(gpu)
    ax.axhline(h.usable_bytes / GiB, color="black", ls="--", lw=1.2, label=f"{h.name}: {h.usable_bytes / GiB:.2f} GiB usable")
    ax.axhline(128 * GB / GiB, color="red", ls=":", lw=1.2, label="article's choice: 128 GB")
    ax.set_xticks(x)
    ax.set_xticklabels(["article", "corrected"])
    ax.set_ylabel("memory (GiB)")
    ax.set_title("QwQ-32B, BF16: the article's budget and the corrected one")
    ax.set_ylim(0, 128 * GB / GiB * 1.4)
    ax.legend(loc="upper left", ncol=2, fontsize=8)
    return ax
