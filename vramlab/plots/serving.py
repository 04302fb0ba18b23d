"""Plots for the serving notebooks (matplotlib; each function takes ax=None and returns the axes).

* :func:`plot_utilization_tradeoff` -- KV pool (GiB) and max concurrency against
  ``gpu_memory_utilization``;
* :func:`plot_paging` -- share of reserved KV memory holding tokens, contiguous vs paged,
  beside the PagedAttention paper's range;
* :func:`plot_chunked_prefill` -- activation peak against the chunk size;
* :func:`plot_predicted_vs_logged` -- vramlab's figures against vLLM's logged ones.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from vramlab.serving import utilization_sweep
>>> ax = plot_utilization_tradeoff(utilization_sweep("Qwen/Qwen3-8B", "H100", [0.5, 0.9], max_model_len=8192))
>>> ax.get_ylabel()
'KV cache pool (GiB)'
"""

from __future__ import annotations

from typing import Any

from ._axes import axes

__all__ = ["plot_utilization_tradeoff", "plot_paging", "plot_chunked_prefill", "plot_predicted_vs_logged"]


def plot_utilization_tradeoff(sweep: Any, ax=None):
    """KV pool (left axis, GiB) and max concurrency (right axis) against utilization.

    ``sweep`` is a DataFrame from :func:`vramlab.serving.utilization_sweep`.
    """
    ax = axes(ax)
    ax.plot(sweep["gpu_memory_utilization"], sweep["kv_gib"], "o-", color="#dd8452", label="KV cache pool")
    ax.set_xlabel("gpu_memory_utilization (share of total memory)")
    ax.set_ylabel("KV cache pool (GiB)")
    right = ax.twinx()
    right.plot(sweep["gpu_memory_utilization"], sweep["max_concurrency"], "s--", color="#4c72b0",
               label="max concurrency")
    right.set_ylabel("max concurrency (requests of max_model_len)")
    lines = ax.get_lines() + right.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], loc="upper left")
    ax.set_title("Memory left to vLLM becomes KV cache")
    return ax


def plot_paging(result: Any, ax=None):
    """Bars: % of reserved KV memory holding tokens, contiguous vs paged; the paper's range shaded."""
    from ..paging import PAGED_ATTENTION_PAPER as P

    ax = axes(ax)
    labels = ["contiguous\n(max length reserved)", f"paged\n({result.block_size}-token blocks)"]
    values = [result.contiguous_used_pct, result.paged_used_pct]
    bars = ax.bar(labels, values, color=["#c44e52", "#55a868"])
    ax.axhspan(P["prior_used_low_%"], P["prior_used_high_%"], color="#c44e52", alpha=0.15,
               label=f"paper, prior systems: {P['prior_used_low_%']}-{P['prior_used_high_%']} %")
    ax.axhline(100 - P["paged_waste_below_%"], color="#55a868", ls=":",
               label=f"paper, vLLM: waste < {P['paged_waste_below_%']:.0f} %")
    for b, v in zip(bars, values):
        ax.text(b.get_x() + b.get_width() / 2, v + 1, f"{v:.1f} %", ha="center")
    ax.set_ylim(0, 110)
    ax.set_ylabel("reserved KV memory holding tokens (%)")
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_chunked_prefill(table: Any, ax=None):
    """Activation peak (GiB) against the chunk size, with its forward and sampler terms.

    ``table`` is a DataFrame from :func:`vramlab.serving.chunked_prefill_table`.
    """
    ax = axes(ax)
    ax.plot(table["chunk_tokens"], table["activation_gib"], "o-", label="activation peak")
    ax.plot(table["chunk_tokens"], table["forward_gib"], "--", label="forward pass buffers")
    ax.plot(table["chunk_tokens"], table["sampler_gib"], ":", label="sampler (max_num_seqs x vocab)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("max_num_batched_tokens (tokens per forward pass)")
    ax.set_ylabel("memory (GiB)")
    ax.legend()
    return ax


def plot_predicted_vs_logged(df: Any, column: str = "tokens", ax=None):
    """vramlab's prediction against the logged figure, one point per calibration row.

    ``df`` is :func:`vramlab.serving.calibration_table`; ``column`` one of ``weights``,
    ``kv``, ``tokens``, ``concurrency``.
    """
    units = {"weights": "GiB", "kv": "GiB", "tokens": "tokens", "concurrency": "requests"}
    if column not in units:
        from ..errors import VramlabError

        raise VramlabError(f"column {column!r} is unknown; valid: {', '.join(units)}", field="column")
    ax = axes(ax)
    x, y = df[f"{column}_logged"], df[f"{column}_pred"]
    ax.scatter(x, y, zorder=3)
    for rid, a, b in zip(df["row_id"], x, y):
        ax.annotate(str(rid), (a, b), textcoords="offset points", xytext=(4, 4), fontsize=8)
    lo, hi = min(x.min(), y.min()), max(x.max(), y.max())
    ax.plot([lo, hi], [lo, hi], color="grey", lw=1, label="predicted = logged")
    if column in ("tokens", "concurrency"):
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(f"logged by vLLM ({units[column]})")
    ax.set_ylabel(f"predicted by vramlab ({units[column]})")
    ax.legend()
    return ax
