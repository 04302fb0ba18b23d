"""Plots of weights and KV cache (matplotlib; each function takes ax=None and returns the axes).

Each function draws a table of :mod:`vramlab.tables`:

* :func:`plot_weights_by_precision` -- :func:`~vramlab.tables.weights_table` (notebook 01);
* :func:`plot_kv_growth` -- :func:`~vramlab.tables.kv_growth_table`, KV cache of one sequence
  against context (notebooks 02, 03, 08);
* :func:`plot_kv_concurrency` -- :func:`~vramlab.tables.kv_concurrency_table`, KV cache against
  concurrency beside the weights (notebook 02);
* :func:`plot_kv_per_token` -- :func:`~vramlab.tables.kv_table`, KV per token coloured by
  attention kind (notebook 03).

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from vramlab.tables import weights_table
>>> ax = plot_weights_by_precision(weights_table(["Qwen/Qwen3-8B"], ["bf16", "int4"]))
>>> ax.get_xlabel()
'weights (GB)'
"""

from __future__ import annotations

from typing import Any

from ..errors import VramlabError
from ..units import format_bytes, to_unit
from ._axes import axes, plain_log_ticks, short

__all__ = ["plot_weights_by_precision", "plot_kv_growth", "plot_kv_concurrency", "plot_kv_per_token",
           "KIND_COLORS"]

#: Colour of each attention kind (sliding-window models are hatched).
KIND_COLORS = {"MHA": "#c44e52", "GQA": "#4c72b0", "MQA": "#55a868", "MLA": "#8172b3"}


def _attr(table: Any, key: str, maker: str):
    value = getattr(table, "attrs", {}).get(key)
    if value is None:
        raise VramlabError(f"table has no {key!r}: pass a table made by vramlab.tables.{maker}", field="table")
    return value


def plot_weights_by_precision(table: Any, ax=None):
    """Horizontal grouped bars: the weights of each model in each format (log scale).

    Parameters
    ----------
    table : DataFrame
        From :func:`vramlab.tables.weights_table` (its unit is read from ``table.attrs``);
        the bars are sorted by parameter count.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from vramlab.tables import weights_table
    >>> ax = plot_weights_by_precision(weights_table(["Qwen/Qwen3-8B"], ["bf16"]))
    >>> round(float(ax.patches[0].get_width()), 2)
    16.38
    """
    unit = _attr(table, "unit", "weights_table")
    t = table.sort_values("params", kind="stable").reset_index(drop=True)
    dtypes = [c for c in t.columns if c not in ("model", "params")]
    ax = axes(ax, (7, max(3.0, 0.12 * len(t) * len(dtypes) + 1)))
    height = 0.8 / max(1, len(dtypes))
    for j, d in enumerate(dtypes):
        ys = [i + (j - (len(dtypes) - 1) / 2) * height for i in range(len(t))]
        ax.barh(ys, t[d].tolist(), height=height, label=d)
    ax.set_yticks(range(len(t)))
    ax.set_yticklabels([short(n) for n in t["model"]], fontsize=8)
    ax.set_xscale("log")
    plain_log_ticks(ax, "x")
    ax.set_xlabel(f"weights ({unit})")
    ax.grid(True, axis="x", which="major", alpha=0.3)
    ax.legend(title="format", fontsize=8)
    ax.figure.tight_layout()
    return ax


def plot_kv_growth(table: Any, unit: str = "GiB", ax=None):
    """KV cache of one sequence against its context, one line per model (log-log axes).

    Parameters
    ----------
    table : DataFrame
        From :func:`vramlab.tables.kv_growth_table` (``model``, ``attention``, ``context``,
        ``kv_dtype``, ``kv_bytes``).
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
    >>> from vramlab.tables import kv_growth_table
    >>> ax = plot_kv_growth(kv_growth_table(["Qwen/Qwen3-8B"], contexts=[1024, 2048]))
    >>> bool(ax.lines[0].get_ydata()[1] == 2 * ax.lines[0].get_ydata()[0])
    True
    """
    ax = axes(ax)
    for name, rows in table.groupby("model", sort=False):
        ys = [to_unit(int(b), unit) for b in rows["kv_bytes"]]
        ax.plot(rows["context"].tolist(), ys, marker="o", markersize=3,
                label=f"{short(name)} ({rows['attention'].iloc[0]})")
    kv = ", ".join(dict.fromkeys(table["kv_dtype"]))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("context (tokens per sequence)")
    ax.set_ylabel(f"KV cache of one sequence ({unit}, {kv})")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_kv_concurrency(table: Any, unit: str = "GiB", ax=None):
    """KV cache against the number of sequences held at once, one line per KV format,
    with the weights as a horizontal line: where the cache overtakes the model.

    ``table`` is :func:`vramlab.tables.kv_concurrency_table`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from vramlab.tables import kv_concurrency_table
    >>> ax = plot_kv_concurrency(kv_concurrency_table("Qwen/Qwen3-8B", 4096, [1, 2]))
    >>> ax.get_ylabel(), len(ax.lines)
    ('memory (GiB)', 3)
    """
    ax = axes(ax)
    for d, rows in table.groupby("kv_dtype", sort=False):
        ax.plot(rows["concurrency"].tolist(), [to_unit(int(b), unit) for b in rows["kv_bytes"]], marker="o",
                markersize=3, label=f"KV cache, {d}")
    first = table.iloc[0]
    w = int(first["weights_bytes"])
    ax.axhline(to_unit(w, unit), color="black", linestyle="--", linewidth=1.2,
               label=f"weights, {first['weight_dtype']} ({format_bytes(w, unit)})")
    ax.set_xlabel(f"concurrent sequences of {int(first['tokens']):,} tokens")
    ax.set_ylabel(f"memory ({unit})")
    ax.set_title(short(first["model"]), fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_kv_per_token(table: Any, average: bool = False, ax=None):
    """Bars of KV cache per token (KiB), coloured by attention kind; sliding-window models hatched.

    Parameters
    ----------
    table : DataFrame
        From :func:`vramlab.tables.kv_table`, drawn in its row order.
    average : bool
        False: every layer counts (column ``KiB/token``). True: the average per token over
        the table's context, sliding layers capped at their window (``KiB/token @ context``).
    ax : matplotlib Axes, optional

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from vramlab.tables import kv_table
    >>> ax = plot_kv_per_token(kv_table(["Qwen/Qwen3-8B", "tiiuae/falcon-7b"]))
    >>> [float(p.get_width()) for p in ax.patches]
    [144.0, 8.0]
    """
    from matplotlib.patches import Patch

    kv_dtype = _attr(table, "kv_dtype", "kv_table")
    context = _attr(table, "context", "kv_table")
    column = f"KiB/token @ {context:,}" if average else "KiB/token"
    n = len(table)
    ax = axes(ax, (7, max(3.0, 0.3 * n + 1)))
    ys = list(range(n))[::-1]
    for y, (_, r) in zip(ys, table.iterrows()):
        v = float(r[column])
        ax.barh(y, v, color=KIND_COLORS.get(r["attention"], "grey"),
                hatch="//" if "sliding" in r["layers"] else None, edgecolor="white")
        ax.annotate(f"{v:,.0f}", (v, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=7)
    ax.set_yticks(ys)
    ax.set_yticklabels([short(m) for m in table["model"]], fontsize=8)
    where = f", average over {context:,} tokens" if average else ""
    ax.set_xlabel(f"KV cache per token (KiB, {kv_dtype}{where})")
    handles = [Patch(color=c, label=k) for k, c in KIND_COLORS.items()]
    handles.append(Patch(facecolor="white", edgecolor="grey", hatch="//", label="sliding-window layers"))
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    ax.grid(True, axis="x", alpha=0.3)
    ax.figure.tight_layout()
    return ax
