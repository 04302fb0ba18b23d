"""Helpers shared by the plot modules: a fresh axes when none is given, plain log ticks."""

from __future__ import annotations


def axes(ax=None, size=(6, 4)):
    """``ax``, or the axes of a new figure of ``size`` inches."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def plain_log_ticks(ax, *names: str) -> None:
    """Log axes with plain tick labels (1, 32, 1,024) and no minor ticks: easier to read,
    and much faster to draw than mathtext powers."""
    from matplotlib.ticker import FuncFormatter, NullLocator

    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}")
    for name in names:
        axis = ax.xaxis if name == "x" else ax.yaxis
        axis.set_minor_locator(NullLocator())
        axis.set_major_formatter(fmt)


def short(name: str) -> str:
    """A model id without its organisation: ``"Qwen/Qwen3-8B"`` -> ``"Qwen3-8B"``."""
    return name.split("/")[-1]
