"""The cache of a sequence against its context: K/V that grows, state that does not."""

from __future__ import annotations

from typing import Any

from ..units import to_unit
from ._axes import axes, plain_log_ticks, short

__all__ = ["plot_cache_growth"]


def plot_cache_growth(table: Any, unit: str = "GiB", ax=None):
    """Cache of one sequence against its context, one line per model (log-log axes).

    Solid lines are the whole cache (``cache_bytes``); a model with a fixed state (linear
    attention, SSM layers) also gets a dotted line at its ``state_bytes``, the floor its cache
    never goes below and never grows past on those layers.

    Parameters
    ----------
    table : DataFrame
        From :func:`vramlab.tables.cache_growth_table` (``model``, ``layers``, ``context``,
        ``kv_dtype``, ``kv_bytes``, ``state_bytes``, ``cache_bytes``).
    unit : str
        Unit of the y axis.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from vramlab.tables import cache_growth_table
    >>> t = cache_growth_table(["Qwen/Qwen3-Next-80B-A3B-Instruct"], contexts=[1024, 4096])
    >>> ax = plot_cache_growth(t, unit="MiB")
    >>> [float(y) for y in ax.lines[0].get_ydata()], float(ax.lines[1].get_ydata()[0])   # 12 x T x 2,048 B + state
    ([98.25, 170.25], 74.25)
    """
    ax = axes(ax, size=(7, 4.5))
    for name, rows in table.groupby("model", sort=False):
        xs = rows["context"].tolist()
        line, = ax.plot(xs, [to_unit(int(b), unit) for b in rows["cache_bytes"]], marker="o", markersize=3,
                        label=f"{short(name)} ({rows['layers'].iloc[0]})")
        state = int(rows["state_bytes"].iloc[0])
        if state:
            ax.plot([xs[0], xs[-1]], [to_unit(state, unit)] * 2, linestyle=":", color=line.get_color(),
                    label=f"{short(name)}: fixed state")
    kv = ", ".join(dict.fromkeys(table["kv_dtype"]))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    plain_log_ticks(ax, "x")
    ax.set_xlabel("context (tokens per sequence)")
    ax.set_ylabel(f"cache of one sequence ({unit}, K/V {kv})")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=7)
    return ax
