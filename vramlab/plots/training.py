"""Plots for the training notebooks (matplotlib; each function takes ax=None and returns the axes)."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from ..errors import VramlabError
from ..units import to_unit

__all__ = ["plot_activations_vs_seq_len", "plot_training_breakdown"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4))
    return ax


def plot_activations_vs_seq_len(curves: Any, unit: str = "GiB", lines: dict[str, int] | None = None, ax=None):
    """Training activations of one micro-batch against tokens per sequence, log-log.

    Parameters
    ----------
    curves : ActivationCurves
        :func:`vramlab.training.activation_curves` output.
    unit : str
        Unit of the y axis (named in its label).
    lines : dict, optional
        Label -> bytes drawn as horizontal reference lines (e.g. a GPU's memory).

    Examples
    --------
    >>> from vramlab import training as tr
    >>> ax = plot_activations_vs_seq_len(tr.activation_curves("Qwen/Qwen3-8B", [1024, 4096]))
    >>> ax.get_ylabel(), len(ax.get_lines())
    ('activations per GPU (GiB)', 3)
    """
    if not hasattr(curves, "series") or not curves.seq_lens:
        raise VramlabError("curves must be vramlab.training.activation_curves() output", field="curves")
    seq_lens = list(curves.seq_lens)
    ax = _axes(ax)
    for label, ys in curves.series.items():
        ax.plot(seq_lens, [to_unit(y, unit) for y in ys], marker="o", label=label)
    for label, n in (lines or {}).items():
        ax.axhline(to_unit(n, unit), color="grey", linestyle="--", linewidth=1)
        ax.annotate(label, (seq_lens[0], to_unit(n, unit)), textcoords="offset points", xytext=(2, 3),
                    fontsize=8, color="grey")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(f"tokens per sequence (micro-batch {curves.micro_batch})")
    ax.set_ylabel(f"activations per GPU ({unit})")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    return ax


def plot_training_breakdown(estimates: Iterable[Any], labels: Sequence[str] | None = None,
                            unit: str = "GiB", ax=None):
    """Stacked bars of :class:`vramlab.training.TrainingEstimate` parts, one bar per estimate.

    Examples
    --------
    >>> from vramlab import training as tr
    >>> es = [tr.estimate("Qwen/Qwen3-8B", m, 2048) for m in ("full", "lora", "qlora")]
    >>> ax = plot_training_breakdown(es)
    >>> ax.get_ylabel()
    'memory per GPU (GiB)'
    """
    estimates = list(estimates)
    if not estimates:
        raise VramlabError("estimates must hold at least one TrainingEstimate", field="estimates")
    labels = list(labels) if labels is not None else [f"{e.model}\n{e.method}" for e in estimates]
    if len(labels) != len(estimates):
        raise VramlabError(f"labels must have {len(estimates)} entries, got {len(labels)}", field="labels")
    ax = _axes(ax)
    bottoms = [0.0] * len(estimates)
    for part in estimates[0].parts():
        vals = [to_unit(e.parts()[part], unit) for e in estimates]
        if not any(vals):
            continue
        ax.bar(range(len(estimates)), vals, bottom=bottoms, label=part.replace("_", " "))
        bottoms = [b + v for b, v in zip(bottoms, vals)]
    ax.set_xticks(range(len(estimates)))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel(f"memory per GPU ({unit})")
    ax.legend(fontsize=8)
    return ax
