"""Plots of why a KV cache pays (matplotlib; each function takes ax=None and returns the axes).

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from vramlab.decoding import decode_work_curve
>>> ax = plot_decode_work(decode_work_curve("Qwen/Qwen3-8B", [1, 2, 4]))
>>> ax.get_ylabel()
'work per generated token (GFLOP)'
"""

from __future__ import annotations

from typing import Any, Iterable

from ..errors import check_items
from ._axes import axes, plain_log_ticks, short

__all__ = ["plot_decode_work"]


def plot_decode_work(works: Iterable[Any], ax=None):
    """Floating-point work of one decoding step against the context, with and without a cache.

    Parameters
    ----------
    works : iterable of DecodeWork
        From :func:`vramlab.decoding.decode_work_curve` (or :func:`~vramlab.decoding.decode_work`
        at several contexts), drawn on log-log axes.
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from vramlab.decoding import decode_work_curve
    >>> ax = plot_decode_work(decode_work_curve("Qwen/Qwen3-8B", [1, 2, 4]))
    >>> len(ax.lines), ax.get_title()
    (2, 'Qwen3-8B')
    """
    work = check_items("works", works)
    contexts = [w.context for w in work]
    ax = axes(ax, (6, 4))
    ax.plot(contexts, [w.flops_no_cache / 1e9 for w in work], marker="o", markersize=3, label="no cache: recompute all")
    ax.plot(contexts, [w.flops_cache / 1e9 for w in work], marker="o", markersize=3, label="KV cache: new token only")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    plain_log_ticks(ax, "x", "y")
    ax.set_xlabel("context (tokens)")
    ax.set_ylabel("work per generated token (GFLOP)")
    ax.set_title(", ".join(dict.fromkeys(short(w.model) for w in work)), fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return ax
