"""Plots of the speed bounds (matplotlib; each function takes ax=None and returns the axes).

* :func:`plot_roofline` -- attainable FLOP/s against arithmetic intensity, with decode steps
  as points under the roof;
* :func:`plot_concurrency` -- the tokens/s bound against the number of sequences, with the
  crossover where decoding turns compute-bound;
* :func:`plot_bound_vs_measured` -- published measurements against their bounds.

They draw results of :mod:`vramlab.speed` and never read a model themselves.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import vramlab as vl
>>> ax = plot_bound_vs_measured(vl.speed.check_decode_benchmarks())
>>> ax.get_xlabel()
'roofline bound (output tokens/s)'
"""

from __future__ import annotations

from typing import Any, Sequence

from ._axes import axes, plain_log_ticks, short

__all__ = ["plot_roofline", "plot_concurrency", "plot_bound_vs_measured"]

_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")


def plot_roofline(steps: Sequence[Any], labels: Sequence[str] | None = None, ax=None):
    """The roofline of the steps' GPU, and each step at (FLOPs per byte, attainable FLOP/s).

    ``steps`` are :class:`~vramlab.speed.DecodeSpeed` results on one GPU; a step sits on the
    slanted (memory) part of the roof left of the ridge point, on the flat (compute) part right of it.
    """
    import numpy as np

    ax = axes(ax)
    first = steps[0]
    bw, peak = first.bandwidth, first.peak_flops
    x = np.logspace(-1, 4, 200)
    ax.plot(x, np.minimum(x * bw, peak) / 1e12, color="black", lw=1.5, label=f"{first.gpu} roof")
    ax.axvline(peak / bw, color="grey", ls=":", lw=1)
    ax.text(peak / bw * 1.1, peak / 1e12 * 0.3, f"ridge {peak / bw:,.0f} FLOP/byte", color="grey", fontsize=8)
    for i, s in enumerate(steps):
        label = labels[i] if labels else f"{s.concurrency:,} seq x {s.tokens:,} tokens"
        attained = s.flops_per_step / s.seconds_per_step / s.tensor_parallel / 1e12
        ax.plot(s.arithmetic_intensity, attained, "o", color=_COLORS[i % len(_COLORS)], label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax, "x", "y")
    ax.set_xlabel("arithmetic intensity (FLOPs per byte read)")
    ax.set_ylabel("attainable TFLOP/s (bound)")
    ax.set_title(f"Roofline of decode steps: {short(first.model)}")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_concurrency(sweeps: dict[str, Sequence[Any]], ax=None):
    """tokens/s bound against sequences per step, one line per sweep, crossover marked.

    ``sweeps`` maps a label to :class:`~vramlab.speed.DecodeSpeed` results at growing
    concurrency (same model, GPU and context).
    """
    ax = axes(ax)
    for i, (label, steps) in enumerate(sweeps.items()):
        color = _COLORS[i % len(_COLORS)]
        ax.plot([s.concurrency for s in steps], [s.tokens_per_s for s in steps], "o-", ms=3, color=color,
                label=label)
        cross = steps[0].crossover_concurrency
        if cross is not None and steps[0].concurrency <= cross <= steps[-1].concurrency:
            ax.axvline(cross, color=color, ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax, "x", "y")
    ax.set_xlabel("sequences decoded together (batch)")
    ax.set_ylabel("output tokens/s, all sequences (bound)")
    ax.set_title("Batching shares the weight reads until compute catches up")
    ax.legend(fontsize=8)
    return ax


def plot_bound_vs_measured(checks: Sequence[Any], ax=None):
    """Measured output tokens/s against the roofline bound, one colour per GPU, on log axes.

    ``checks`` are :class:`~vramlab.speed.BenchmarkCheck` results; every point must lie
    below the diagonal (measured = bound); the dashed line is 40 % of the bound.
    """
    ax = axes(ax, size=(6, 5))
    gpus = sorted({c.measurement.gpu for c in checks})
    for i, g in enumerate(gpus):
        pts = [c for c in checks if c.measurement.gpu == g]
        ax.plot([c.bound.tokens_per_s for c in pts], [c.measurement.measured_output_tokens_per_s for c in pts],
                "o", color=_COLORS[i % len(_COLORS)], label=g)
    lo = min(c.measurement.measured_output_tokens_per_s for c in checks) / 2
    hi = max(c.bound.tokens_per_s for c in checks) * 2
    ax.plot([lo, hi], [lo, hi], color="black", lw=1, label="measured = bound")
    ax.plot([lo, hi], [0.4 * lo, 0.4 * hi], color="grey", ls="--", lw=1, label="40 % of the bound")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_ticks(ax, "x", "y")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo / 2, hi)
    ax.set_xlabel("roofline bound (output tokens/s)")
    ax.set_ylabel("published measurement (output tokens/s)")
    ax.set_title("Published decode runs under their bound")
    ax.legend(fontsize=8, loc="upper left")
    return ax
