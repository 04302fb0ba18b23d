"""Plots for the articles notebooks (matplotlib; each function takes ax=None and returns the axes)."""

from __future__ import annotations

__all__ = ["qwen3_8b_budget_plot", "qwq_32b_budget_plot"]


def _axes(ax, size=(8, 4)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def qwen3_8b_budget_plot(gpu: str = "RTX 3090", ax=None):
    """The Qwen3-8B article's budget per scenario against a card's usable memory, in GiB.

    Three bars per scenario: the article's printed total read as GB (10^9 bytes, as it is
    labelled), the same method with exact figures, and vramlab's estimate with activations and
    framework memory. A line marks the card's usable memory.

    Parameters
    ----------
    gpu : str
        Catalog GPU whose usable memory is drawn.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = qwen3_8b_budget_plot()
    >>> ax.get_ylabel()
    'memory (GiB)'
    """
    from ..articles import qwen3_8b_scenarios, qwen3_8b_scenarios_corrected
    from ..gpus import get_gpu
    from ..units import GB, GiB

    ax = _axes(ax)
    pub = qwen3_8b_scenarios()
    cor = qwen3_8b_scenarios_corrected(gpu)
    x = list(range(len(pub)))
    w = 0.27
    printed = [float(v) * GB / GiB for v in pub["total_published"]]
    ax.bar([i - w for i in x], printed, w, label="article's total, printed GB", color="#bbbbbb")
    ax.bar(x, cor["total_GiB"], w, label="same method, exact (weights + KV) × 1.1", color="#4c72b0")
    ax.bar([i + w for i in x], cor["realistic_GiB"], w, label="+ activations + framework (vl.estimate)",
           color="#dd8452")
    g = get_gpu(gpu)
    ax.axhline(g.usable_bytes / GiB, color="black", ls="--", lw=1.2,
               label=f"{g.name}: {g.usable_bytes / GiB:.2f} GiB usable")
    labels = [f"{c}×{t // 1024}K\n{k}" for c, t, k in zip(pub["concurrency"], pub["tokens"], pub["kv_precision"])]
    ax.set_xticks(x)
    ax.set_xticklabels(labels)
    ax.set_xlabel("scenario (concurrency × tokens, KV precision)")
    ax.set_ylabel("memory (GiB)")
    ax.set_title("Qwen3-8B (BF16 weights): budget per scenario")
    top = max(max(printed), cor["realistic_GiB"].max(), g.usable_bytes / GiB)
    ax.set_ylim(0, top * 1.4)
    ax.legend(loc="upper left", ncol=2, fontsize=8)
    return ax


def qwq_32b_budget_plot(ax=None):
    """QwQ-32B at 16,000 tokens: the article's budget against the corrected one, stacked, in GiB.

    Weights, KV cache and the ×1.2 margin, for the article (its GB figures converted to GiB)
    and for the real config; lines mark an 80 GB card's usable memory and the article's 128 GB.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = qwq_32b_budget_plot()
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['article', 'corrected']
    """
    from ..articles import qwq_32b_totals
    from ..gpus import get_gpu
    from ..units import GB, GiB

    ax = _axes(ax, (6, 4))
    t = qwq_32b_totals()
    art_kv = t["article_base"] - t["article_weights"]
    weights = [t["article_weights"] / GiB, t["weights"] / GiB]
    kv = [art_kv / GiB, t["kv"] / GiB]
    margin = [(t["article_total"] - t["article_base"]) / GiB, (t["total"] - t["base"]) / GiB]
    x = [0, 1]
    ax.bar(x, weights, 0.5, label="weights", color="#4c72b0")
    ax.bar(x, kv, 0.5, bottom=weights, label="KV cache, 16,000 tokens", color="#dd8452")
    ax.bar(x, margin, 0.5, bottom=[a + b for a, b in zip(weights, kv)], label="×1.2 margin", color="#bbbbbb")
    h = get_gpu("H100 80GB")
    ax.axhline(h.usable_bytes / GiB, color="black", ls="--", lw=1.2, label=f"{h.name}: {h.usable_bytes / GiB:.2f} GiB usable")
    ax.axhline(128 * GB / GiB, color="red", ls=":", lw=1.2, label="article's choice: 128 GB")
    ax.set_xticks(x)
    ax.set_xticklabels(["article", "corrected"])
    ax.set_ylabel("memory (GiB)")
    ax.set_title("QwQ-32B, BF16, 16,000 tokens")
    ax.set_ylim(0, 128 * GB / GiB * 1.4)
    ax.legend(loc="upper left", ncol=2, fontsize=8)
    return ax
